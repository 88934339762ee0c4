// Private: TLS for the transport. The client's SSL context made from its tls_options, a new connection's TLS
// session (SNI, the name its certificate must carry), what a failed handshake means, and closing without
// waiting for the peer.
#pragma once

#include "http/http_types.hpp"
#include "http/request_machine.hpp"

#include <pieces/tls_options.hpp>

#include <memory>
#include <string>

#if !PIECES_WITH_TLS
namespace pieces::detail {
struct tls_context {};  // built without TLS: an https:// URL is refused by validate, so none is ever made
}  // namespace pieces::detail
#else

#include <boost/asio/ssl/context.hpp>

#include <openssl/ssl.h>

namespace pieces::detail {

struct connection;

/// One client's TLS settings, made once and shared by its connections.
struct tls_context {
    explicit tls_context(bool verify) : ssl(boost::asio::ssl::context::tls_client), verify_peer(verify) {}
    boost::asio::ssl::context ssl;
    bool verify_peer;
};

/// TLS 1.2 or newer, the trust store, the client certificate. Null, with `why` naming the field, when a file
/// cannot be used.
std::unique_ptr<tls_context> make_tls_context(const tls_options& opts, std::string& why);

/// Gives `c` (connected, without TLS yet) its TLS session for `url`'s host: SNI for a host name, and the DNS
/// name or IP address its certificate must carry when verifying. On failure (OpenSSL refused a setting, so the
/// name could not be checked) the result says `errc::tls_handshake_failed`, and no handshake may start.
step_result begin_tls(connection& c, tls_context& ctx, const base_url& url);
/// As begin_tls, for the TLS session of another stream (the user stream's WebSocket).
step_result set_tls_peer(SSL* ssl, const tls_context& ctx, const base_url& url);

/// How the handshake on `c` ended, as the request machine is told it: `errc::tls_certificate_rejected` (the
/// detail names the reason), `errc::tls_handshake_failed`, a timeout, `operation_aborted`, or none.
step_result handshake_result(const boost::system::error_code& ec, connection& c, const tls_context& ctx,
                             const base_url& url);
/// As handshake_result, for the TLS session `ssl` of another stream.
step_result tls_handshake_outcome(const boost::system::error_code& ec, SSL* ssl, const tls_context& ctx,
                                  const base_url& url);

/// A TLS error (`raw`, of the SSL category) while writing or reading a request on `c`: on the connection's
/// first request before any reply byte, it is the end of the handshake (in TLS 1.3 the server checks, e.g., the
/// client's certificate after the client has finished its part), so `errc::tls_handshake_failed`; else a bad
/// record (`errc::malformed_http`). `r.detail` says what OpenSSL said. The session is not used again (no
/// close_notify after a fatal error).
void explain_tls_failure(step_result& r, const boost::system::error_code& raw, connection& c, bool got_some,
                         const base_url& url);

/// `c`'s session ended without close_notify (truncated): no close_notify is sent back.
void drop_tls_session(connection& c) noexcept;

/// The TLS layer of `c` holds bytes beyond the reply just read (decrypted or not yet).
bool tls_input_pending(connection& c) noexcept;

/// Sends close_notify when the socket takes it at once; never waits for the peer's.
void send_close_notify(connection& c) noexcept;

}  // namespace pieces::detail

#endif  // PIECES_WITH_TLS
