#pragma once

#include <pieces/models/allocation_status_enum.hpp>
#include <pieces/models/embedded_model_schema.hpp>

#include <optional>
#include <string>

namespace pieces {

/// One url of a cloud and its status.
struct AllocationCloudUrl {
    std::optional<EmbeddedModelSchema> schema;
    std::string url;                        // required
    wire_enum<AllocationStatusEnum> status; // required
    json_members unknown_members;

    friend bool operator==(const AllocationCloudUrl&, const AllocationCloudUrl&) = default;
};

}  // namespace pieces
