// Private: the watcher's logic free of I/O and clocks. What each subscriber has seen and what its next event is
// (coalesced: the changes from what it last saw to the newest snapshot, computed once per starting point and
// shared), and when to poll (the interval, backoff with jitter after failures, stopping with the last subscriber).
// A poll in flight when the last subscriber leaves is let finish: its answer is kept for the next subscriber (which
// waits for it rather than starting another), so subscriptions that come and go cost no aborted requests.
// A pushed change (see push_core.hpp) polls at once, or once more after the poll in flight.
// The driver (allocations_watcher.cpp) tells it what happened and does what it answers.
#pragma once

#include "util/backoff.hpp"

#include <pieces/watch_event.hpp>

#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <unordered_map>

namespace pieces::detail {

struct watch_snapshot {
    Allocations allocations;
    std::chrono::steady_clock::time_point polled_at{};
    std::uint64_t version = 0;  // 1 for the first snapshot, +1 for each later one
};

struct watch_delta {
    std::vector<allocation_change> changes;
    bool initial = false;                       // from nothing: a subscriber's first change event
    boost::system::error_code error;            // a failed poll
    diagnostics diag;                           // what it said
    std::chrono::steady_clock::time_point failed_at{};
};

/// What one subscriber has been told.
struct seen_state {
    std::shared_ptr<const watch_snapshot> snapshot;  // the last snapshot reported to it (null: none yet)
    std::uint64_t failure = 0;                       // the last failure reported to it (0: none)
};

class watch_core {
public:
    using clock_type = std::chrono::steady_clock;
    using time_point = clock_type::time_point;
    using duration = clock_type::duration;

    struct params {
        duration interval{};
        duration max_backoff{};
        std::uint64_t jitter_seed = 0;
    };

    /// What the driver must do about polling.
    enum class poll_step {
        none,      ///< nothing changes
        poll_now,  ///< start a poll (none is in flight)
        wait,      ///< (re)arm the timer for `until`
        stop,      ///< no subscriber left: cancel the timer (a poll in flight is let finish and reported)
    };
    struct poll_action {
        poll_step step = poll_step::none;
        time_point until{};
    };

    explicit watch_core(params p) noexcept : p_(p), jitter_(p.jitter_seed) {}

    // ---- subscribers ----
    /// The event `s` is owed now, if any (and `s` then counts it as seen): the newest failure it was not told of,
    /// else the changes from its last snapshot to the newest (its first event even when there are none). A new
    /// subscriber's first snapshot is never one older than the interval, nor the last good one while polls fail.
    std::optional<watch_event> take_event(seen_state& s);

    // ---- polling ----
    /// The number of subscribers changed.
    poll_action on_subscribers(std::size_t count, time_point now);
    /// A poll ended with this snapshot / this error / cancelled by the driver (no event for the latter; the
    /// watcher's driver never cancels a poll but when it closes, and then reports nothing more).
    poll_action on_poll_succeeded(Allocations a, time_point now);
    poll_action on_poll_failed(boost::system::error_code ec, diagnostics d, time_point now);
    poll_action on_poll_aborted();
    /// The timer armed by the last `wait` fired.
    poll_action on_timer(time_point now);

    // ---- push (/user/stream) ----
    /// A pushed change: a poll now, or, while one is in flight, one more right after it (any number of pushes
    /// during a poll make one). The interval timer is re-armed after that poll, as after any.
    poll_action on_push();
    /// The stream said the user logged out: an event for every subscriber, carrying `ec` (no poll; the next
    /// profile pushed, or the interval poll, brings the state again). Unlike a failed poll it backs nothing off.
    void on_logged_out(boost::system::error_code ec, diagnostics d, time_point now);
    /// A poll is in flight.
    bool polling() const noexcept { return in_flight_; }
    /// The newest snapshot's clouds (null before the first successful poll).
    const Allocations* newest_allocations() const noexcept { return newest_ ? &newest_->allocations : nullptr; }

    /// The wait before the next poll: the interval, or after `failures` failed polls in a row a draw from
    /// [b/2, b], b = min(max_backoff, interval * 2^failures).
    duration next_wait(unsigned failures) noexcept;

private:
    poll_action after_poll(time_point now);
    poll_action poll_now();
    poll_action wait_until(time_point t);  // arms the timer
    std::shared_ptr<const watch_delta> delta_from(const std::shared_ptr<const watch_snapshot>& from);

    params p_;
    jitter_source jitter_;
    std::shared_ptr<const watch_snapshot> newest_;
    std::shared_ptr<const watch_delta> failure_;  // the newest poll's failure; null once a poll succeeds
    std::uint64_t failure_seq_ = 0;
    // The changes to newest_, by the version they start from (0: from nothing), computed once for all the
    // subscribers that start there.
    std::unordered_map<std::uint64_t, std::shared_ptr<const watch_delta>> deltas_;
    std::size_t subscribers_ = 0;
    bool in_flight_ = false;
    bool timer_armed_ = false;
    bool stale_ = false;      // polling resumed after a pause: what is held is older than the interval
    bool follow_up_ = false;  // a push came during the poll in flight: poll again when it ends
    time_point timer_until_{};
    time_point next_due_{};   // when the poll after the last one is due (kept while nobody subscribes)
    unsigned failures_ = 0;
};

}  // namespace pieces::detail
