#include "http/retry_schedule.hpp"

#include <algorithm>

namespace pieces::detail {

const char* retry_policy_problem(const retry_policy& p) noexcept {
    if (p.max_attempts < 1) return "retry.max_attempts must be >= 1";
    if (p.initial_backoff.count() < 0) return "retry.initial_backoff must be >= 0";
    if (p.max_backoff < p.initial_backoff) return "retry.max_backoff must be >= retry.initial_backoff";
    // A zero bound doubles to zero: the attempts would follow one another without a pause (connects spinning
    // against a refused port until the deadline).
    if (p.max_attempts > 1 && p.initial_backoff.count() == 0)
        return "retry.initial_backoff must be > 0 when retry.max_attempts > 1";
    return nullptr;
}

clock_type::duration backoff_before(const retry_policy& p, unsigned next_attempt,
                                    std::optional<clock_type::duration> retry_after, jitter_source& jitter) noexcept {
    const auto cap = to_clock_duration(p.max_backoff);
    if (retry_after) return std::clamp(*retry_after, clock_type::duration::zero(), cap);
    return backoff_wait(to_clock_duration(p.initial_backoff), cap, next_attempt > 2 ? next_attempt - 2 : 0, jitter);
}

}  // namespace pieces::detail
