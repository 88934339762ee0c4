#include <pieces/error.hpp>
#include <pieces/error_with_diagnostics.hpp>

#include <boost/asio/error.hpp>

#include <string>

namespace pieces {
namespace {

class errc_category final : public boost::system::error_category {
public:
    const char* name() const noexcept override { return "pieces.allocations"; }

    std::string message(int ev) const override {
        switch (static_cast<errc>(ev)) {
        case errc::cloud_not_found: return "No cloud has that id (HTTP 410).";
        case errc::internal_server_error: return "Pieces OS reported an internal error (HTTP 500).";
        case errc::gateway_timeout: return "Pieces OS timed out upstream (HTTP 504).";
        case errc::unexpected_status: return "Pieces OS answered with an unexpected HTTP status.";
        case errc::invalid_response: return "The reply body is not the promised model.";
        case errc::malformed_http: return "The reply is not valid HTTP/1.1.";
        case errc::response_too_large: return "The reply exceeds the configured size limit.";
        case errc::connection_closed: return "The server closed the connection before the reply was complete.";
        case errc::request_timeout: return "The request did not complete before its deadline.";
        case errc::connection_failed: return "Pieces OS is not reachable.";
        case errc::tls_handshake_failed: return "The TLS handshake failed.";
        case errc::tls_certificate_rejected: return "The server's TLS certificate was rejected.";
        case errc::stream_ended: return "The server ended the user stream.";
        case errc::logged_out: return "Pieces OS says no user is logged in.";
        case errc::upgrade_refused: return "The server refused the WebSocket upgrade of the user stream.";
        case errc::invalid_header_value: return "A header value contains a control character (CR, LF, NUL, ...).";
        case errc::invalid_argument: return "An argument cannot be sent as given.";
        case errc::invalid_config: return "The client configuration is invalid.";
        case errc::client_closed: return "The client was cancelled or destroyed.";
        }
        return "Unknown pieces.allocations error.";
    }

    boost::system::error_condition default_error_condition(int ev) const noexcept override {
        switch (static_cast<errc>(ev)) {
        case errc::gateway_timeout:
        case errc::request_timeout: return condition::timed_out;
        default: return {ev, *this};
        }
    }

    bool equivalent(int ev, const boost::system::error_condition& cond) const noexcept override {
        if (cond.category() != condition_category()) return default_error_condition(ev) == cond;
        const auto e = static_cast<errc>(ev);
        switch (static_cast<condition>(cond.value())) {
        case condition::timed_out: return e == errc::gateway_timeout || e == errc::request_timeout;
        case condition::server_error:
            return e == errc::cloud_not_found || e == errc::internal_server_error ||
                   e == errc::gateway_timeout || e == errc::unexpected_status || e == errc::upgrade_refused;
        case condition::bad_response:
            return e == errc::invalid_response || e == errc::malformed_http ||
                   e == errc::response_too_large || e == errc::connection_closed;
        case condition::tls_failed: return e == errc::tls_handshake_failed || e == errc::tls_certificate_rejected;
        }
        return false;
    }
};

class condition_category_impl final : public boost::system::error_category {
public:
    const char* name() const noexcept override { return "pieces.allocations.condition"; }
    std::string message(int ev) const override {
        switch (static_cast<condition>(ev)) {
        case condition::timed_out: return "The operation timed out (our deadline or HTTP 504).";
        case condition::server_error: return "The server answered with an error status.";
        case condition::bad_response: return "The server's reply could not be used.";
        case condition::tls_failed: return "No TLS connection could be made (handshake or certificate).";
        }
        return "Unknown pieces.allocations condition.";
    }
};

std::string describe(const diagnostics& d) {
    // system_error appends ": <ec.message()>" to this.
    std::string s = d.endpoint().empty() ? std::string{"pieces"} : d.endpoint();
    if (d.http_status() != 0) s += " (HTTP " + std::to_string(d.http_status()) + ")";
    if (!d.client_message().empty()) s += ": " + d.client_message();
    return s;
}

}  // namespace

const boost::system::error_category& error_category() noexcept {
    static const errc_category instance;
    return instance;
}

const boost::system::error_category& condition_category() noexcept {
    static const condition_category_impl instance;
    return instance;
}

error_with_diagnostics::error_with_diagnostics(boost::system::error_code ec, diagnostics diag)
    : boost::system::system_error(ec, describe(diag)), diag_(std::move(diag)) {}

}  // namespace pieces
