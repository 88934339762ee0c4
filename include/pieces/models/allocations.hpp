#pragma once

#include <pieces/models/allocation_cloud.hpp>

#include <vector>

namespace pieces {

/// All connected allocations (`GET /allocations`).
struct Allocations {
    std::optional<EmbeddedModelSchema> schema;  ///< The model's schema version, when the server sends one.
    std::vector<AllocationCloud> iterable;  ///< Required: the clouds.
    json_members unknown_members;  ///< Members this version does not know, in order, written back unchanged.

    friend bool operator==(const Allocations&, const Allocations&) = default;
};
BOOST_DESCRIBE_STRUCT(Allocations, (), (iterable, schema))

}  // namespace pieces
