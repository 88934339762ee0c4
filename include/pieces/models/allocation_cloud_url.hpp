#pragma once

#include <pieces/models/allocation_status_enum.hpp>
#include <pieces/models/embedded_model_schema.hpp>

#include <optional>
#include <string>

namespace pieces {

/// One url of a cloud and its status.
struct AllocationCloudUrl {
    std::optional<EmbeddedModelSchema> schema;  ///< The model's schema version, when the server sends one.
    std::string url;  ///< Required: the address.
    wire_enum<AllocationStatusEnum> status;  ///< Required: its status.
    json_members unknown_members;  ///< Members this version does not know, in order, written back unchanged.

    friend bool operator==(const AllocationCloudUrl&, const AllocationCloudUrl&) = default;
};
BOOST_DESCRIBE_STRUCT(AllocationCloudUrl, (), (schema, url, status))

}  // namespace pieces
