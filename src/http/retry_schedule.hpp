// Private: the arithmetic of a retry policy, free of I/O and clocks: whether a policy is usable, and how long to
// wait before the next attempt (the backoff of util/backoff.hpp, or the server's Retry-After, both capped).
#pragma once

#include "util/backoff.hpp"

#include <pieces/retry_policy.hpp>

#include <optional>

namespace pieces::detail {

/// What is wrong with `p` ("retry.max_attempts must be >= 1", ...), or nullptr when it is usable.
const char* retry_policy_problem(const retry_policy& p) noexcept;

/// The wait before attempt `next_attempt` (2 for the first retry): a `Retry-After` from the server when there is
/// one, else `backoff_wait` from initial_backoff doubled (next_attempt - 2) times; never over max_backoff.
clock_type::duration backoff_before(const retry_policy& p, unsigned next_attempt,
                                    std::optional<clock_type::duration> retry_after, jitter_source& jitter) noexcept;

}  // namespace pieces::detail
