// What an `allocations_watcher` subscriber receives: the changes since the snapshot it last saw, or a failed poll
// (or a logout pushed).
#pragma once

#include <pieces/allocation_changes.hpp>
#include <pieces/detail/access.hpp>
#include <pieces/diagnostics.hpp>
#include <pieces/models/allocations.hpp>

#include <boost/system/error_code.hpp>

#include <chrono>
#include <memory>
#include <vector>

namespace pieces {

namespace detail {
struct watch_snapshot;  // one polled snapshot, shared by every event that reports it
struct watch_delta;     // the changes between two snapshots, or a failure, shared likewise
}  // namespace detail

/// One event of a subscription. Events share what they report (the snapshot, the changes) with every other
/// subscriber's: copying one is two reference counts, and it stays valid whatever the watcher does next.
///
/// A change event: `changes()` is everything that changed since the snapshot this subscriber last saw (not
/// empty; in a subscription's first event, every cloud as `cloud_added`, and that first event comes even when
/// there are no clouds), `snapshot()` the newest snapshot. An error event: `error()` is set, and says, with
/// `error_diagnostics()`, why the newest poll failed (or, `errc::logged_out`, that Pieces OS pushed a logout);
/// `snapshot()` is the last good one (empty before any).
///
/// Thread-safety: a value; distinct objects may be used concurrently, and a `const` one from any thread.
class watch_event {
public:
    watch_event() = default;  ///< an empty change event (no changes, an empty snapshot)

    /// Set when the event reports a failed poll, or `errc::logged_out` when Pieces OS pushed a logout.
    const boost::system::error_code& error() const noexcept;
    /// The failed poll's diagnostics (HTTP status, server text, attempts); empty for a change event.
    const diagnostics& error_diagnostics() const noexcept;
    /// The changes since this subscriber's last event (empty for an error event).
    const std::vector<allocation_change>& changes() const noexcept;
    /// True for a subscription's first change event (every cloud reported as added).
    bool is_initial() const noexcept;
    /// The newest snapshot the watcher holds (for an error event: the last good one, or empty).
    const Allocations& snapshot() const noexcept;
    /// When the reply of the poll this event reports arrived (for an error event: when the poll failed).
    std::chrono::steady_clock::time_point polled_at() const noexcept;

private:
    friend struct detail::access;
    // For the watcher (through detail::access).
    watch_event(std::shared_ptr<const detail::watch_snapshot> s, std::shared_ptr<const detail::watch_delta> d) noexcept;

    std::shared_ptr<const detail::watch_snapshot> snapshot_;
    std::shared_ptr<const detail::watch_delta> delta_;
};

}  // namespace pieces
