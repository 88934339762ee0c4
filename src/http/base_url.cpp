#include "http/http_types.hpp"

#include <pieces/error.hpp>

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

namespace pieces::detail {

boost::system::error_code parse_base_url(std::string_view text, base_url& out, std::string& why) {
    auto parsed = boost::urls::parse_uri(text);
    if (!parsed) {
        why = "url: not a valid URI: " + std::string(text);
        return errc::invalid_config;
    }
    const boost::urls::url_view u = *parsed;
    if (u.scheme() != "http" && u.scheme() != "https") {
        why = "url: only http:// and https:// are supported, got '" + std::string(u.scheme()) + "'";
        return errc::invalid_config;
    }
    out.tls = u.scheme() == "https";
    if (!u.has_authority() || u.encoded_host().empty()) {
        why = "url: no host in " + std::string(text);
        return errc::invalid_config;
    }
    if (u.has_userinfo() || u.has_query() || u.has_fragment()) {
        why = "url: user info, query and fragment are not allowed in the base URL";
        return errc::invalid_config;
    }
    out.host = u.host_address();  // IPv6 without brackets
    if (u.has_port()) {
        if (u.port_number() == 0) {
            why = "url: invalid port";
            return errc::invalid_config;
        }
        out.port = u.port_number();
    } else {
        out.port = out.tls ? 443 : 80;
    }
    out.host_header = std::string(u.encoded_host_and_port());
    out.path_prefix = std::string(u.encoded_path());
    while (!out.path_prefix.empty() && out.path_prefix.back() == '/') out.path_prefix.pop_back();
    return {};
}

}  // namespace pieces::detail
