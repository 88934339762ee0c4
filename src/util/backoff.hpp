// Private: exponential backoff with jitter, the one schedule of waits after failures (the retry policy's attempts
// and the watcher's polls). The bound doubles per failure up to a cap; the wait is drawn from [bound/2, bound], so
// that clients failing together do not come back together, and none comes back without a pause.
#pragma once

#include "util/saturating_time.hpp"

#include <cstdint>

namespace pieces::detail {

/// A small, fast generator (splitmix64): each request and each watcher draws from its own.
class jitter_source {
public:
    explicit jitter_source(std::uint64_t seed) noexcept : state_(seed) {}
    /// Uniform in [0, bound].
    clock_type::duration draw(clock_type::duration bound) noexcept;

private:
    std::uint64_t next() noexcept;
    std::uint64_t state_;
};

/// A different jitter seed at each call: a per-thread sequence, started from the system's entropy.
std::uint64_t next_jitter_seed();

/// min(cap, first * 2^doublings), without overflow however many doublings.
clock_type::duration backoff_bound(clock_type::duration first, clock_type::duration cap, unsigned doublings) noexcept;

/// The wait after a failure: drawn from [b/2, b], b = backoff_bound(first, cap, doublings).
clock_type::duration backoff_wait(clock_type::duration first, clock_type::duration cap, unsigned doublings,
                                  jitter_source& jitter) noexcept;

}  // namespace pieces::detail
