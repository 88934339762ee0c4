#include "http/io_errors.hpp"

#include "http/connection.hpp"
#if PIECES_WITH_TLS
#include "http/tls_context.hpp"
#endif

#include <pieces/error.hpp>

#include <boost/asio/error.hpp>
#if PIECES_WITH_TLS
#include <boost/asio/ssl/error.hpp>
#endif
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>

#include <utility>

namespace pieces::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using boost::system::error_code;

error_code map_io_error(const error_code& ec) {
    if (ec == beast::error::timeout) return errc::request_timeout;
    if (ec == asio::error::operation_aborted) return ec;
    if (ec == http::error::body_limit || ec == http::error::header_limit || ec == http::error::buffer_overflow)
        return errc::response_too_large;
    if (ec == http::error::partial_message || is_closed_error(ec)) return errc::connection_closed;
    if (ec.category() == http::make_error_code(http::error::bad_version).category()) return errc::malformed_http;
    return ec;
}

step_result io_result(const error_code& raw, std::string detail) {
    step_result r;
    r.ec = map_io_error(raw);
    r.peer_closed = is_closed_error(raw);
    r.detail = detail.empty() && raw ? raw.message() : std::move(detail);
    return r;
}

step_result exchange_result(const error_code& raw, connection& c, bool got_some, const base_url& url,
                            std::string detail) {
    auto r = io_result(raw, std::move(detail));
#if PIECES_WITH_TLS
    if (raw.category() == asio::error::get_ssl_category())
        explain_tls_failure(r, raw, c, got_some, url);
    else if (raw == asio::ssl::error::stream_truncated)
        drop_tls_session(c);
#else
    (void)c;
    (void)got_some;
    (void)url;
#endif
    return r;
}

error_code normalize_read_error(const error_code& ec, std::size_t buffered) {
    if (ec == http::error::bad_chunk_extension && buffered >= 8192) return http::error::buffer_overflow;
    return ec;
}

std::string read_limit_detail(const error_code& ec, std::size_t max_body_size) {
    if (ec == http::error::body_limit)
        return "reply body over max_body_size (" + std::to_string(max_body_size) + " bytes)";
    if (ec == http::error::header_limit) return "reply header, chunk extensions or trailer over max_header_size";
    if (ec == http::error::buffer_overflow) return "reply line without end over max_header_size";
    return {};
}

}  // namespace pieces::detail
