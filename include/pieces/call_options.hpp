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
    /// The throwing forms (`with_diagnostics`, the default token) put a copy in the exception; when this is not
    /// set, they fill diagnostics of their own for it.
    diagnostics* diag = nullptr;
};

}  // namespace pieces
