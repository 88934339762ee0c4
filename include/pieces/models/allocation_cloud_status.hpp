#pragma once

#include <pieces/models/allocation_status_enum.hpp>
#include <pieces/models/embedded_model_schema.hpp>

namespace pieces {

/// Status of the cloud as a whole.
struct AllocationCloudStatus {
    std::optional<EmbeddedModelSchema> schema;
    wire_enum<AllocationStatusEnum> cloud;  // required
    json_members unknown_members;

    friend bool operator==(const AllocationCloudStatus&, const AllocationCloudStatus&) = default;
};

}  // namespace pieces
