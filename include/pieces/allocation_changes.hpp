// What changed between two snapshots of the allocations: clouds added or removed, a cloud's status, its urls.
#pragma once

#include <pieces/models/allocations.hpp>

#include <optional>
#include <string>
#include <vector>

namespace pieces {

/// One change between two snapshots (`diff_allocations`, and every `watch_event`).
struct allocation_change {
    /// What changed.
    enum class kind {
        cloud_added,           ///< a cloud not in the earlier snapshot
        cloud_removed,         ///< a cloud no longer in the snapshot
        cloud_status_changed,  ///< `status.cloud` changed (`status_before` -> `status_after`)
        url_added,             ///< the vanity url appeared (`url_after`)
        url_removed,           ///< the vanity url went (`url_before`)
        url_changed,           ///< a url's address or status changed (`url_before` -> `url_after`)
    };
    /// Which of the cloud's urls (`urls.base`, `urls.id`, `urls.vanity`).
    enum class url_name { base, id, vanity };

    kind what = kind::cloud_added;                      ///< what changed
    std::string cloud_id;                               ///< the cloud's `id`
    url_name url = url_name::base;                      ///< the url kinds: which url
    wire_enum<AllocationStatusEnum> status_before;      ///< cloud_status_changed: the cloud's status before
    wire_enum<AllocationStatusEnum> status_after;       ///< cloud_status_changed: and after
    std::optional<AllocationCloudUrl> url_before;       ///< url_removed, url_changed: the url before
    std::optional<AllocationCloudUrl> url_after;        ///< url_added, url_changed: the url after

    friend bool operator==(const allocation_change&, const allocation_change&) = default;
};

/// The changes from `before` to `after`: for each cloud of `after` in its order, added, or its status change
/// then its url changes (base, id, vanity); then the removed clouds, by id. Only ids, the clouds' statuses and
/// the urls' addresses and statuses are compared.
std::vector<allocation_change> diff_allocations(const Allocations& before, const Allocations& after);

/// "cloud_added", "cloud_removed", "cloud_status_changed", "url_added", "url_removed", "url_changed".
const char* to_string(allocation_change::kind k) noexcept;
/// "base", "id", "vanity".
const char* to_string(allocation_change::url_name u) noexcept;

}  // namespace pieces
