// Private: time arithmetic that saturates instead of overflowing, so that `milliseconds::max()` (or a
// server's huge `Keep-Alive: timeout=`) means "no limit in practice" rather than undefined behaviour.
#pragma once

#include <chrono>

namespace pieces::detail {

using clock_type = std::chrono::steady_clock;

/// `d` in the clock's own unit, or the largest such duration when `d` does not fit in it.
constexpr clock_type::duration to_clock_duration(std::chrono::milliseconds d) noexcept {
    constexpr auto max_ms = std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::duration::max());
    constexpr auto min_ms = std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::duration::min());
    if (d >= max_ms) return clock_type::duration::max();
    if (d <= min_ms) return clock_type::duration::min();
    return std::chrono::duration_cast<clock_type::duration>(d);
}

/// `now + d`, or the clock's last instant when that would overflow; `now` for `d <= 0`.
constexpr clock_type::time_point deadline_after(clock_type::time_point now, std::chrono::milliseconds d) noexcept {
    if (d <= std::chrono::milliseconds::zero()) return now;
    const auto room = clock_type::time_point::max() - now;
    if (d >= std::chrono::duration_cast<std::chrono::milliseconds>(room)) return clock_type::time_point::max();
    return now + std::chrono::duration_cast<clock_type::duration>(d);
}

/// `t + d` for a duration in the clock's own unit, or the clock's last instant when that would overflow; `t` for
/// `d <= 0`. (The watcher's due times: an `interval` of `milliseconds::max()` is "never again", not the past.)
constexpr clock_type::time_point time_after(clock_type::time_point t, clock_type::duration d) noexcept {
    if (d <= clock_type::duration::zero()) return t;
    // Before the epoch, t + d <= d cannot overflow (and max() - t could).
    if (t.time_since_epoch() >= clock_type::duration::zero() && d >= clock_type::time_point::max() - t)
        return clock_type::time_point::max();
    return t + d;
}

}  // namespace pieces::detail
