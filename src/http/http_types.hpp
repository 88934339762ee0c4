// Private: what the API layer hands the transport, and what it gets back. No Beast here.
#pragma once

#include <pieces/client_config.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <string>

namespace pieces::detail {

enum class http_method { get, post };

struct http_request {
    http_method method = http_method::get;
    std::string target;        // path after the base URL's prefix, already percent-encoded
    std::string body;          // sent with Content-Type: application/json when has_body
    bool has_body = false;
    const char* accept = "application/json, text/plain";
};

struct http_response {
    unsigned status = 0;
    std::string body;
    bool json_content = false;  // Content-Type is a JSON type
    std::string error_detail;   // on failure: what the transport saw (e.g. the Beast parser's message)
    unsigned attempts = 0;      // attempts made under the retry policy, the first included
};

using response_handler = boost::asio::any_completion_handler<void(boost::system::error_code, http_response)>;

/// The parsed base URL.
struct base_url {
    std::string host;          // as given (brackets stripped from IPv6)
    std::string host_header;   // host[:port] for the Host header
    unsigned short port = 80;
    bool tls = false;          // https://
    std::string path_prefix;   // "" or "/prefix" (no trailing slash)
};

/// Parses `http[s]://host[:port][/prefix]` with Boost.URL.
boost::system::error_code parse_base_url(std::string_view url, base_url& out, std::string& why);

}  // namespace pieces::detail
