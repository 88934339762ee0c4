// Private: what Beast, Asio and OpenSSL say when a step's I/O fails, as the library's codes (pieces::errc) and
// the words of the diagnostics, in the form the request machine is told (step_result).
#pragma once

#include "http/http_types.hpp"
#include "http/request_machine.hpp"

#include <boost/system/error_code.hpp>

#include <cstddef>
#include <string>

namespace pieces::detail {

struct connection;

/// The library's code for an I/O error: a stream timeout is `errc::request_timeout`, a limit of the reply
/// `errc::response_too_large`, a peer that closed `errc::connection_closed`, a bad reply `errc::malformed_http`;
/// `operation_aborted` and others as they are.
boost::system::error_code map_io_error(const boost::system::error_code& ec);

/// How a write or read ended: the library's code, and what Beast/Asio said about it when `detail` is empty.
step_result io_result(const boost::system::error_code& raw, std::string detail = {});

/// How a write or read on `c` ended (`got_some`: a byte of the reply had arrived): as io_result, and a TLS error
/// explained (see explain_tls_failure), a truncated TLS session dropped.
step_result exchange_result(const boost::system::error_code& raw, connection& c, bool got_some, const base_url& url,
                            std::string detail = {});

/// A failed reply read as every Boost version reports it: Beast 1.90 and newer end a chunk-size line at 8 KiB as
/// a bad extension, before our buffer's bound (`buffered`: the bytes in the read buffer); it is the same line
/// without end as on Beast 1.81, which has no such limit: `buffer_overflow`.
boost::system::error_code normalize_read_error(const boost::system::error_code& ec, std::size_t buffered);

/// What to say about a read that hit one of the reply's limits; empty for other errors.
std::string read_limit_detail(const boost::system::error_code& ec, std::size_t max_body_size);

}  // namespace pieces::detail
