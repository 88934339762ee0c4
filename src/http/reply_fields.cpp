#include "reply_fields.hpp"

#include <cctype>
#include <charconv>

namespace pieces::detail {
namespace {

bool iequals(std::string_view s, std::string_view lower) noexcept {
    if (s.size() != lower.size()) return false;
    for (std::size_t i = 0; i < lower.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(s[i])) != lower[i]) return false;
    return true;
}

std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

}  // namespace

bool is_json_type(std::string_view content_type) noexcept {
    const auto type = trim(content_type.substr(0, content_type.find(';')));
    if (iequals(type, "application/json")) return true;
    return type.size() > 5 && iequals(type.substr(type.size() - 5), "+json");
}

std::optional<std::chrono::seconds> keep_alive_timeout(std::string_view v) noexcept {
    const auto pos = v.find("timeout=");
    if (pos == std::string_view::npos) return std::nullopt;
    v.remove_prefix(pos + 8);
    std::chrono::seconds::rep n = 0;
    const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    (void)end;
    if (ec != std::errc{} || n < 0) return std::nullopt;
    return std::chrono::seconds{n};
}

clock_type::duration idle_limit_for(std::chrono::milliseconds configured, std::optional<std::chrono::seconds> server) noexcept {
    const auto limit = to_clock_duration(configured);
    // Compared in whole seconds (rounded up), so the server's value is converted only when it is the
    // smaller one, and then it fits.
    if (server && *server < std::chrono::ceil<std::chrono::seconds>(limit))
        return std::chrono::duration_cast<clock_type::duration>(*server);
    return limit;
}

}  // namespace pieces::detail
