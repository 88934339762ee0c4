// Private: when the watcher holds its /user/stream, free of I/O and clocks. It opens one while there are
// subscribers, tells whether a pushed profile is news (its allocation differs from the last one seen), and after
// the stream ends says when to try again: after `max_backoff` when the server refused the upgrade (a Pieces OS
// without the stream), else after the backoff of failed polls; a wait still running when subscribers come back is
// kept. The driver (allocations_watcher.cpp) does the I/O.
#pragma once

#include "util/backoff.hpp"

#include <pieces/models/allocations.hpp>

#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstddef>
#include <optional>

namespace pieces::detail {

class push_core {
public:
    using clock_type = std::chrono::steady_clock;
    using time_point = clock_type::time_point;
    using duration = clock_type::duration;

    struct params {
        duration interval{};
        duration max_backoff{};
        std::uint64_t jitter_seed = 0;
    };

    /// What the driver must do about the stream.
    enum class stream_step {
        none,   ///< nothing changes
        open,   ///< open a stream and read it (none is held)
        close,  ///< close the stream held (the last subscriber left)
        wait,   ///< arm the retry timer for `until`; open when it fires (`on_retry_due`)
        cancel_wait,  ///< the last subscriber left while waiting to retry: disarm the timer
    };
    struct stream_action {
        stream_step step = stream_step::none;
        time_point until{};
    };

    /// What a profile pushed says.
    enum class profile_news {
        same,     ///< its allocation is the last one seen: nothing to do
        changed,  ///< its allocation differs from the last one seen (on this stream or an earlier one), or it
                  ///< follows a logout: poll
        first,    ///< the first profile ever: compare it (`differs_from`) with the snapshot of the poll that runs
                  ///< with it, once that poll has succeeded, and poll when they differ
    };

    explicit push_core(params p) noexcept : p_(p), jitter_(p.jitter_seed) {}

    /// The number of subscribers changed.
    stream_action on_subscribers(std::size_t count, time_point now);
    /// A profile arrived on the stream held.
    profile_news on_profile(const std::optional<AllocationCloud>& allocation);
    /// The allocation of the last profile seen is not the cloud of the same id in `snapshot` (or that cloud is
    /// missing). False when the profile had no allocation.
    bool differs_from(const Allocations& snapshot) const;
    /// A frame said the user logged out. True when that is news (not already logged out).
    bool on_logged_out();
    /// The stream ended (it was open or opening) with `ec`.
    stream_action on_ended(const boost::system::error_code& ec, time_point now);
    /// The retry timer armed by the last `wait` fired.
    stream_action on_retry_due();

    /// A stream is held (opening or open).
    bool holding() const noexcept { return state_ == state::holding; }

private:
    enum class state { idle, holding, waiting };
    params p_;
    jitter_source jitter_;
    state state_ = state::idle;
    std::size_t subscribers_ = 0;
    unsigned failures_ = 0;  // streams ended in a row without a profile
    time_point not_before_{};  // the end of the last wait: a stream is not opened again sooner
    bool seen_any_ = false;
    bool logged_out_ = false;
    std::optional<AllocationCloud> last_;  // the allocation of the last profile seen
};

}  // namespace pieces::detail
