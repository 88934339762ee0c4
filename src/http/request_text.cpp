#include "http/request_text.hpp"

namespace pieces::detail {

std::string common_request_fields(const client_config& cfg, const base_url& url) {
    std::string s = "Host: " + url.host_header + "\r\nUser-Agent: " + cfg.user_agent + "\r\n";
    if (cfg.application_id) s += "X-Application-ID: " + *cfg.application_id + "\r\n";
    if (cfg.access_token) s += "Authorization: Bearer " + *cfg.access_token + "\r\n";
    return s;
}

void format_request(std::string& out, const base_url& url, const std::string& common, const http_request& r,
                    bool last_on_connection) {
    out.clear();
    out += r.method == http_method::get ? "GET " : "POST ";
    out += url.path_prefix;
    out += r.target;
    out += " HTTP/1.1\r\n";
    out += common;
    out += "Accept: ";
    out += r.accept;
    out += "\r\n";
    if (r.has_body) out += "Content-Type: application/json\r\n";
    if (r.method == http_method::post || r.has_body) {
        out += "Content-Length: ";
        out += std::to_string(r.body.size());
        out += "\r\n";
    }
    if (last_on_connection) out += "Connection: close\r\n";
    out += "\r\n";
    out += r.body;
}

}  // namespace pieces::detail
