// Private: a request as the bytes sent on the wire. The fields that are the same for every request of a
// client (Host, User-Agent, X-Application-ID, Authorization) are formatted once, when the client is made.
#pragma once

#include "http/http_types.hpp"

#include <pieces/client_config.hpp>

#include <string>

namespace pieces::detail {

/// `Host: ...\r\nUser-Agent: ...\r\n` and the optional fields, from a validated configuration (no CR/LF).
std::string common_request_fields(const client_config& cfg, const base_url& url);

/// The whole request into `out` (its capacity kept from one use to the next): request line, `common`, Accept,
/// Content-Type and Content-Length for a body (Content-Length: 0 for a POST without one), `Connection: close`
/// when `last_on_connection`, then the body.
void format_request(std::string& out, const base_url& url, const std::string& common, const http_request& r,
                    bool last_on_connection);

}  // namespace pieces::detail
