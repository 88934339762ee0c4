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

}  // namespace pieces::detail
