#pragma once

#include <pieces/models/allocation_status_enum.hpp>
#include <pieces/models/embedded_model_schema.hpp>

namespace pieces {

/// Status of the cloud as a whole.
struct AllocationCloudStatus {
    std::optional<EmbeddedModelSchema> schema;  ///< The model's schema version, when the server sends one.
    wire_enum<AllocationStatusEnum> cloud;  ///< Required: the cloud's status.
    json_members unknown_members;  ///< Members this version does not know, in order, written back unchanged.

    friend bool operator==(const AllocationCloudStatus&, const AllocationCloudStatus&) = default;
};
BOOST_DESCRIBE_STRUCT(AllocationCloudStatus, (), (schema, cloud))

}  // namespace pieces
