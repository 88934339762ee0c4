#pragma once

#include <pieces/diagnostics.hpp>

#include <chrono>
#include <optional>

namespace pieces {

/// Per-call options, all optional.
struct call_options {
    /// Overrides `client_config::request_timeout` for this call.
    std::optional<std::chrono::milliseconds> timeout;
    /// Filled on failure (HTTP status, endpoint, server text) when set. Must outlive the operation.
    /// The throwing awaitable forms put the diagnostics in the exception instead.
    diagnostics* diag = nullptr;
};

}  // namespace pieces
