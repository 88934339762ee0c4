#include "util/backoff.hpp"

#include <algorithm>
#include <random>

namespace pieces::detail {

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

clock_type::duration backoff_bound(clock_type::duration first, clock_type::duration cap, unsigned doublings) noexcept {
    // Doubled once per failure, stopping at the cap (so it never overflows).
    auto bound = std::min(first, cap);
    for (unsigned i = 0; i < doublings && bound < cap; ++i) bound = bound > cap / 2 ? cap : bound * 2;
    return bound;
}

clock_type::duration backoff_wait(clock_type::duration first, clock_type::duration cap, unsigned doublings,
                                  jitter_source& jitter) noexcept {
    const auto bound = backoff_bound(first, cap, doublings);
    return bound / 2 + jitter.draw(bound - bound / 2);
}

}  // namespace pieces::detail
