#include "http/tls_context.hpp"

#include "http/connection.hpp"

#include <pieces/error.hpp>

#include <boost/asio/ip/address.hpp>
#include <boost/beast/core/error.hpp>

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <filesystem>

namespace pieces::detail {

namespace asio = boost::asio;
using boost::system::error_code;

std::unique_ptr<tls_context> make_tls_context(const tls_options& opts, std::string& why) {
    auto t = std::make_unique<tls_context>(opts.verify_peer);
    auto& ssl = t->ssl;
    SSL_CTX_set_min_proto_version(ssl.native_handle(), TLS1_2_VERSION);
    ssl.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_compression);
    ssl.set_verify_mode(opts.verify_peer ? asio::ssl::verify_peer : asio::ssl::verify_none);
    // An encrypted key fails as unreadable instead of OpenSSL asking for its passphrase on the terminal.
    ssl.set_password_callback([](std::size_t, asio::ssl::context::password_purpose) { return std::string(); });
    error_code ec;
    const auto failed = [&ec](auto&& step) {  // Asio's error_code overloads return void without deprecated APIs
        step();
        return ec.failed();
    };
    if (opts.use_system_trust_store && failed([&] { ssl.set_default_verify_paths(ec); })) {
        why = "tls: cannot use the system trust store: " + ec.message();
        return nullptr;
    }
    if (!opts.ca_file.empty() && failed([&] { ssl.load_verify_file(opts.ca_file, ec); })) {
        why = "tls.ca_file: cannot load '" + opts.ca_file + "': " + ec.message();
        return nullptr;
    }
    if (!opts.ca_directory.empty()) {
        // OpenSSL reads the directory lazily, so a wrong path would only show as unknown issuers.
        if (!std::filesystem::is_directory(opts.ca_directory, ec)) {
            why = "tls.ca_directory: '" + opts.ca_directory + "' is not a directory";
            return nullptr;
        }
        if (failed([&] { ssl.add_verify_path(opts.ca_directory, ec); })) {
            why = "tls.ca_directory: cannot use '" + opts.ca_directory + "': " + ec.message();
            return nullptr;
        }
    }
    if (!opts.certificate_file.empty()) {
        if (failed([&] { ssl.use_certificate_chain_file(opts.certificate_file, ec); })) {
            why = "tls.certificate_file: cannot load '" + opts.certificate_file + "': " + ec.message();
            return nullptr;
        }
        if (failed([&] { ssl.use_private_key_file(opts.private_key_file, asio::ssl::context::pem, ec); })) {
            why = "tls.private_key_file: cannot load '" + opts.private_key_file + "': " + ec.message();
            return nullptr;
        }
        if (SSL_CTX_check_private_key(ssl.native_handle()) != 1) {
            why = "tls.private_key_file: the key does not match tls.certificate_file";
            return nullptr;
        }
    }
    return t;
}

step_result begin_tls(connection& c, tls_context& ctx, const base_url& url) {
    c.tls.emplace(c.reads, ctx.ssl);
    return set_tls_peer(c.tls->native_handle(), ctx, url);
}

step_result set_tls_peer(SSL* ssl, const tls_context& ctx, const base_url& url) {
    error_code not_ip;
    asio::ip::make_address(url.host, not_ip);
    // The checks are OpenSSL's X509_check_host / X509_check_ip_asc (as in asio::ssl::host_name_verification),
    // set on the session rather than in a verify callback, so that a mismatch is reported as one
    // (X509_V_ERR_HOSTNAME_MISMATCH) rather than as a bare "certificate verify failed".
    bool set = true;
    if (not_ip) {
        set = SSL_set_tlsext_host_name(ssl, url.host.c_str()) == 1;  // RFC 6066: no SNI for an IP address
        if (set && ctx.verify_peer) {
            SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
            set = SSL_set1_host(ssl, url.host.c_str()) == 1;
        }
    } else if (ctx.verify_peer) {
        set = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), url.host.c_str()) == 1;
    }
    step_result r;
    if (!set) {  // never a handshake without the name check verification asked for
        r.ec = errc::tls_handshake_failed;
        r.detail = "OpenSSL refused the server name '" + url.host + "' for SNI or its certificate check";
    }
    return r;
}

namespace {

const char* certificate_problem(long v) noexcept {
    switch (v) {
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN: return "unknown issuer";
    case X509_V_ERR_CERT_HAS_EXPIRED: return "expired";
    case X509_V_ERR_CERT_NOT_YET_VALID: return "not yet valid";
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH: return "host-name mismatch";
    case X509_V_ERR_CERT_REVOKED: return "revoked";
    default: return "invalid";
    }
}

}  // namespace

step_result handshake_result(const error_code& ec, connection& c, const tls_context& ctx, const base_url& url) {
    if (!ec) c.tls_established = true;
    return tls_handshake_outcome(ec, c.tls->native_handle(), ctx, url);
}

step_result tls_handshake_outcome(const error_code& ec, SSL* ssl, const tls_context& ctx, const base_url& url) {
    step_result r;
    if (!ec) return r;
    if (ec == boost::beast::error::timeout) {
        r.ec = errc::request_timeout;
        return r;
    }
    if (ec == asio::error::operation_aborted) {
        r.ec = ec;
        return r;
    }
    const long verified = SSL_get_verify_result(ssl);
    if (ctx.verify_peer && verified != X509_V_OK) {
        r.ec = errc::tls_certificate_rejected;
        r.detail = "the certificate of " + url.host_header + " was rejected: " + certificate_problem(verified) + " (" +
                   X509_verify_cert_error_string(verified) + ")";
    } else if (is_closed_error(ec)) {
        r.ec = errc::tls_handshake_failed;
        r.detail = url.host_header + " closed the connection during the TLS handshake";
    } else {
        r.ec = errc::tls_handshake_failed;
        r.detail = "TLS handshake with " + url.host_header + " failed: protocol error: " + ec.message();
    }
    return r;
}

void explain_tls_failure(step_result& r, const error_code& raw, connection& c, bool got_some, const base_url& url) {
    drop_tls_session(c);
    if (c.requests <= 1 && !got_some) {
        r.ec = errc::tls_handshake_failed;
        r.detail = url.host_header + " ended the TLS handshake on the first request: " + raw.message();
    } else {
        r.ec = errc::malformed_http;
        r.detail = "TLS error from " + url.host_header + ": " + raw.message();
    }
}

void drop_tls_session(connection& c) noexcept { c.tls_established = false; }

bool tls_input_pending(connection& c) noexcept {
    SSL* ssl = c.tls->native_handle();
    return SSL_has_pending(ssl) == 1 || BIO_ctrl_pending(SSL_get_rbio(ssl)) > 0;
}

void send_close_notify(connection& c) noexcept {
    if (!c.tls || !c.tls_established) return;
    // Non-blocking: the close_notify is written if the socket takes it now; reading the peer's answer
    // would block, so the shutdown ends there (would_block) instead of waiting.
    error_code ec;
    c.stream.socket().non_blocking(true, ec);
    if (!ec) c.tls->shutdown(ec);
}

}  // namespace pieces::detail
