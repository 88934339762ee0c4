// Configuration of a client: a plain struct with documented defaults, checked by `validate`.
#pragma once

#include <pieces/diagnostics.hpp>
#include <pieces/retry_policy.hpp>
#include <pieces/tls_options.hpp>
#include <pieces/version.hpp>

#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>

namespace pieces {

/// The connection pool of one client (one base URL).
struct pool_params {
    /// Connections open at once, at most; requests beyond wait in FIFO order. Must be >= 1.
    std::size_t max_connections = 16;
    /// An idle connection older than this is closed instead of reused. A shorter `Keep-Alive: timeout=N`
    /// from the server wins. Must be > 0.
    std::chrono::milliseconds idle_timeout{30'000};
    /// Bound on establishing one connection: the name lookup, the TCP connect and, for `https://`, the TLS
    /// handshake together (the request's own deadline still applies). Must be > 0.
    std::chrono::milliseconds connect_timeout{5'000};
    /// Requests served by one connection before it is closed; 0 = unlimited.
    std::size_t max_requests_per_connection = 0;
};

/// Everything a client needs. Defaults talk to the documented `http://localhost:1000`.
struct client_config {
    /// Base URL of Pieces OS: `http://host[:port][/prefix]` (port 80 by default) or `https://host[:port][/prefix]`
    /// (port 443 by default; see `tls`).
    std::string url = "http://localhost:1000";
    /// TLS settings, used when `url` is `https://`: verification is on by default.
    tls_options tls;
    /// Default per-request deadline (waiting for a connection, connecting, writing, reading). Must be > 0.
    std::chrono::milliseconds request_timeout{30'000};
    /// The connection pool's settings.
    pool_params pool;
    /// Attempting failed requests again: off by default (`max_attempts = 1`).
    retry_policy retry;
    /// Largest reply body accepted (default 8 MiB); larger ends in `errc::response_too_large`.
    std::size_t max_body_size = 8 * 1024 * 1024;
    /// Largest reply header accepted (default 16 KiB).
    std::size_t max_header_size = 16 * 1024;
    /// Sent as `X-Application-ID` when set.
    std::optional<std::string> application_id;
    /// Sent as `Authorization: Bearer <token>` when set.
    std::optional<std::string> access_token;
    /// Sent as `User-Agent`.
    std::string user_agent = std::string("pieces-allocations/") + version_string;
};

/// Checks `cfg`: `errc::invalid_config` (bad number, URL not `http[s]://host[:port]`, a TLS certificate
/// without its key) or
/// `errc::invalid_header_value` (a control character, such as CR, LF or NUL, in a header value); `diag` says which field.
boost::system::error_code validate(const client_config& cfg, diagnostics* diag = nullptr);

}  // namespace pieces
