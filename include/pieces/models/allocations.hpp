#pragma once

#include <pieces/models/allocation_cloud.hpp>

#include <vector>

namespace pieces {

/// All connected allocations (`GET /allocations`).
struct Allocations {
    std::optional<EmbeddedModelSchema> schema;
    std::vector<AllocationCloud> iterable;  // required
    json_members unknown_members;

    friend bool operator==(const Allocations&, const Allocations&) = default;
};

}  // namespace pieces
