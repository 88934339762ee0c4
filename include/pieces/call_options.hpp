#pragma once

#include <pieces/diagnostics.hpp>
#include <pieces/retry_policy.hpp>

#include <chrono>
#include <optional>

namespace pieces {

/// Per-call options, all optional.
struct call_options {
    /// Overrides `client_config::request_timeout` for this call.
    std::optional<std::chrono::milliseconds> timeout;
    /// Overrides `client_config::retry` for this call (e.g. to let one POST be attempted again).
    std::optional<retry_policy> retry;
    /// Filled on failure (HTTP status, endpoint, server text) when set, and with the attempts made on success too.
    /// Must outlive the operation.
    /// The throwing awaitable forms put the diagnostics in the exception instead.
    diagnostics* diag = nullptr;
};

}  // namespace pieces
