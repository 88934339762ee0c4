// The library's own error codes and the conditions callers test against.
#pragma once

#include <boost/system/error_category.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/error_condition.hpp>

#include <type_traits>

namespace pieces {

/// Errors this library reports (category `pieces.allocations`).
///
/// Operations may also end with codes of other categories: `boost::asio::error::operation_aborted`
/// after a cancellation, and system codes for socket failures other than "not reachable".
enum class errc {
    // ---- the server answered, but not with success ----
    cloud_not_found = 1,        ///< HTTP 410: no cloud has that id ("Cloud not found.").
    internal_server_error,      ///< HTTP 500.
    gateway_timeout,            ///< HTTP 504: Pieces OS itself timed out.
    unexpected_status,          ///< Any other non-2xx status (3xx redirects are not followed).

    // ---- the reply could not be used ----
    invalid_response,           ///< A 2xx whose body is not the promised model (diagnostics name the JSON path).
    malformed_http,             ///< The bytes received are not a valid HTTP/1.1 reply (over TLS: nor valid TLS records, once a reply began or on a later request).
    response_too_large,         ///< Header or body over the configured limit.
    connection_closed,          ///< The server closed the connection before the reply was complete.

    // ---- no reply at all ----
    request_timeout,            ///< Our own per-request deadline passed.
    connection_failed,          ///< Pieces OS is not reachable (refused, unreachable, or nothing found by discovery).

    // ---- rejected before anything was sent ----
    invalid_header_value,       ///< A configured header value contains a control character (CR, LF, NUL, ...).
    invalid_argument,           ///< An argument cannot be used: an empty allocation id, a per-call timeout <= 0.
    invalid_config,             ///< The client configuration fails validation (a bad number, a base URL that is not `http[s]://host[:port][/prefix]`, a TLS file that cannot be used).
    client_closed,              ///< The client was closed (destroyed, or assigned over by a move); an API object that outlived it takes no new request. `client::cancel()` does not close it: that ends requests with `operation_aborted`.

    // ---- https: no TLS connection (appended: the values above are unchanged) ----
    tls_handshake_failed,       ///< The TLS handshake failed: no common protocol version or cipher, the server closed the connection during it or did not speak TLS, or it refused the client certificate (diagnostics say which).
    tls_certificate_rejected,   ///< The server's certificate failed verification: unknown issuer, expired, host-name mismatch, ... (diagnostics name the reason).

    // ---- the /user/stream push (appended: the values above are unchanged) ----
    stream_ended,               ///< The server ended the `/user/stream` WebSocket (a close frame, or the connection closed without one).
    logged_out,                 ///< A `/user/stream` frame that is not a JSON object: Pieces OS says no user is logged in. The stream stays open.
    upgrade_refused,            ///< The server refused the WebSocket upgrade of `/user/stream` (404 or 426: a Pieces OS without it); diagnostics carry the status.
};

/// Conditions several codes compare equal to (category `pieces.allocations.condition`).
enum class condition {
    timed_out = 1,   ///< `errc::gateway_timeout` or `errc::request_timeout`.
    server_error,    ///< The server answered with a non-2xx status (`upgrade_refused` included).
    bad_response,    ///< `invalid_response`, `malformed_http`, `response_too_large`, `connection_closed`.
    tls_failed,      ///< `tls_handshake_failed` or `tls_certificate_rejected`.
};

/// The category of `errc`, named "pieces.allocations".
const boost::system::error_category& error_category() noexcept;
/// The category of `condition`, named "pieces.allocations.condition".
const boost::system::error_category& condition_category() noexcept;

inline boost::system::error_code make_error_code(errc e) noexcept {
    return {static_cast<int>(e), error_category()};
}
inline boost::system::error_condition make_error_condition(condition c) noexcept {
    return {static_cast<int>(c), condition_category()};
}

}  // namespace pieces

/// \cond
// Lets `errc` convert to `error_code` and `condition` to `error_condition` (not part of the reference).
template <>
struct boost::system::is_error_code_enum<pieces::errc> : std::true_type {};
template <>
struct boost::system::is_error_condition_enum<pieces::condition> : std::true_type {};
/// \endcond
