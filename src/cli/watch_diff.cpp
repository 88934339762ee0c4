#include "cli/watch_diff.hpp"

#include "cli/output.hpp"

namespace pieces::cli {
namespace {

// One url, as watched: its address and status.
std::string url_state(const std::optional<AllocationCloudUrl>& u) {
    return u ? u->url + " " + status_text(u->status) : "-";
}

}  // namespace

change describe(const allocation_change& c) {
    using kind = allocation_change::kind;
    switch (c.what) {
    case kind::cloud_added: return {c.cloud_id, "cloud", "-", "present"};
    case kind::cloud_removed: return {c.cloud_id, "cloud", "present", "-"};
    case kind::cloud_status_changed:
        return {c.cloud_id, "status", status_text(c.status_before), status_text(c.status_after)};
    case kind::url_added:
    case kind::url_removed:
    case kind::url_changed: return {c.cloud_id, to_string(c.url), url_state(c.url_before), url_state(c.url_after)};
    }
    return {c.cloud_id, "?", "-", "-"};
}

std::vector<change> diff_snapshots(const Allocations& before, const Allocations& after) {
    std::vector<change> out;
    for (const auto& c : diff_allocations(before, after)) out.push_back(describe(c));
    return out;
}

}  // namespace pieces::cli
