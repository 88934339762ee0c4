// What `pieces-allocations watch` reports between two snapshots.
#pragma once

#include <pieces/allocation_changes.hpp>
#include <pieces/models/allocations.hpp>

#include <string>
#include <vector>

namespace pieces::cli {

struct change {
    std::string cloud;  // the cloud's id
    std::string what;   // "cloud" (added/removed), "status", "base", "id" or "vanity"
    std::string from;   // "-" when it was absent
    std::string to;     // "-" when it is gone
};

// One change as `watch` prints it.
change describe(const allocation_change& c);

// The changes from `before` to `after` (the library's diff_allocations), as `watch` prints them.
std::vector<change> diff_snapshots(const Allocations& before, const Allocations& after);

}  // namespace pieces::cli
