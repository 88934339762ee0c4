// Private: the arithmetic of a retry policy, free of I/O and clocks: whether a policy is usable, and how long to
// wait before the next attempt (full jitter, or the server's Retry-After, both capped).
#pragma once

#include "deadline.hpp"

#include <pieces/retry_policy.hpp>

#include <cstdint>
#include <optional>

namespace pieces::detail {

/// What is wrong with `p` ("retry.max_attempts must be >= 1", ...), or nullptr when it is usable.
const char* retry_policy_problem(const retry_policy& p) noexcept;

/// A small, fast generator (splitmix64) for jitter: each request draws from its own, so requests that fail
/// together do not come back together.
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

/// The wait before attempt `next_attempt` (2 for the first retry): a `Retry-After` from the server when there is
/// one, else a draw from [0, min(max_backoff, initial_backoff * 2^(next_attempt - 2))]; never over max_backoff.
clock_type::duration backoff_before(const retry_policy& p, unsigned next_attempt,
                                    std::optional<clock_type::duration> retry_after, jitter_source& jitter) noexcept;

}  // namespace pieces::detail
