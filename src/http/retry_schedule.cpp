#include "retry_schedule.hpp"

#include <algorithm>
#include <random>

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

std::uint64_t next_jitter_seed() {
    thread_local std::uint64_t state = (std::uint64_t{std::random_device{}()} << 32) ^ std::random_device{}();
    return state += 0x9e3779b97f4a7c15ULL;
}

std::uint64_t jitter_source::next() noexcept {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

clock_type::duration jitter_source::draw(clock_type::duration bound) noexcept {
    if (bound <= clock_type::duration::zero()) return clock_type::duration::zero();
    const auto span = static_cast<std::uint64_t>(bound.count());
    if (span == UINT64_MAX) return clock_type::duration(static_cast<clock_type::rep>(next() >> 1));
    return clock_type::duration(static_cast<clock_type::rep>(next() % (span + 1)));
}

clock_type::duration backoff_before(const retry_policy& p, unsigned next_attempt,
                                    std::optional<clock_type::duration> retry_after, jitter_source& jitter) noexcept {
    const auto cap = to_clock_duration(p.max_backoff);
    if (retry_after) return std::clamp(*retry_after, clock_type::duration::zero(), cap);
    // Doubled once per earlier retry, stopping at the cap (so it never overflows).
    auto bound = std::min(to_clock_duration(p.initial_backoff), cap);
    for (unsigned i = 2; i < next_attempt && bound < cap; ++i) bound = bound > cap / 2 ? cap : bound * 2;
    return jitter.draw(bound);
}

}  // namespace pieces::detail
