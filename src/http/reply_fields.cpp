#include "http/reply_fields.hpp"

#include "util/text_scan.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstdint>

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

// A three-letter month name, as 1..12.
bool month_name(std::string_view s, std::size_t& pos, unsigned& out) noexcept {
    static constexpr std::array<std::string_view, 12> names{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    const auto it = std::find(names.begin(), names.end(), s.substr(pos, 3));
    if (it == names.end()) return false;
    out = static_cast<unsigned>(it - names.begin()) + 1;
    pos += 3;
    return true;
}

// "HH:MM:SS" (60 allowed for a leap second).
bool time_of_day(std::string_view s, std::size_t& pos, std::chrono::seconds& out) noexcept {
    int h = 0, m = 0, sec = 0;
    if (!scan_digits(s, pos, 2, h) || !scan_literal(s, pos, ":") || !scan_digits(s, pos, 2, m) || !scan_literal(s, pos, ":") ||
        !scan_digits(s, pos, 2, sec) || h > 23 || m > 59 || sec > 60)
        return false;
    out = std::chrono::hours{h} + std::chrono::minutes{m} + std::chrono::seconds{sec};
    return true;
}

// The day name before `pos`'s comma or space: its text is not checked against the date (RFC 9110 lets a
// recipient ignore it), only that it is letters.
bool day_name(std::string_view s, std::size_t& pos, char ends_with) noexcept {
    const auto end = s.find(ends_with);
    if (end == std::string_view::npos || end < 3 || end > 9) return false;
    for (std::size_t i = 0; i < end; ++i)
        if (!std::isalpha(static_cast<unsigned char>(s[i]))) return false;
    pos = end + 1;
    return true;
}

}  // namespace

std::optional<std::chrono::system_clock::time_point> parse_http_date(std::string_view s,
                                                                     std::chrono::system_clock::time_point now) noexcept {
    using namespace std::chrono;
    std::size_t pos = 0;
    int d = 0, y = 0;
    unsigned mo = 0;
    seconds tod{};
    bool rfc850 = false;
    if (s.find(',') != std::string_view::npos) {
        if (!day_name(s, pos, ',') || !scan_literal(s, pos, " ") || !scan_digits(s, pos, 2, d)) return std::nullopt;
        if (scan_literal(s, pos, " ")) {  // IMF-fixdate
            if (!month_name(s, pos, mo) || !scan_literal(s, pos, " ") || !scan_digits(s, pos, 4, y)) return std::nullopt;
        } else {  // RFC 850
            rfc850 = true;
            if (!scan_literal(s, pos, "-") || !month_name(s, pos, mo) || !scan_literal(s, pos, "-") || !scan_digits(s, pos, 2, y))
                return std::nullopt;
            y += static_cast<int>(year_month_day{floor<days>(now)}.year()) / 100 * 100;
        }
        if (!scan_literal(s, pos, " ") || !time_of_day(s, pos, tod) || !scan_literal(s, pos, " GMT")) return std::nullopt;
    } else {  // asctime: "Sun Nov  6 08:49:37 1994"
        if (!day_name(s, pos, ' ') || !month_name(s, pos, mo) || !scan_literal(s, pos, " ")) return std::nullopt;
        if (scan_literal(s, pos, " ")) {
            if (!scan_digits(s, pos, 1, d)) return std::nullopt;
        } else if (!scan_digits(s, pos, 2, d)) {
            return std::nullopt;
        }
        if (!scan_literal(s, pos, " ") || !time_of_day(s, pos, tod) || !scan_literal(s, pos, " ") || !scan_digits(s, pos, 4, y))
            return std::nullopt;
    }
    if (pos != s.size()) return std::nullopt;
    const year_month_day ymd{year{y}, month{mo}, day{static_cast<unsigned>(d)}};
    if (!ymd.ok()) return std::nullopt;
    const auto when = sys_days{ymd} + tod;
    // RFC 850's two-digit year: a date more than 50 years ahead is in the past century (RFC 9110 §5.6.7).
    if (rfc850 && when > now + years{50}) {
        const year_month_day earlier{year{y - 100}, month{mo}, day{static_cast<unsigned>(d)}};
        if (!earlier.ok()) return std::nullopt;  // 29 February of a year that is no leap year
        return sys_days{earlier} + tod;
    }
    return when;
}

std::optional<std::chrono::seconds> retry_after_delay(std::string_view v, std::chrono::system_clock::time_point now) noexcept {
    using namespace std::chrono;
    constexpr std::uint64_t most = 1'000'000'000;
    v = trim(v);
    if (!v.empty() && v.front() >= '0' && v.front() <= '9') {
        std::uint64_t n = 0;
        const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
        if (end != v.data() + v.size()) return std::nullopt;
        if (ec == std::errc::result_out_of_range) return seconds{most};  // only digits, too many of them
        if (ec != std::errc{}) return std::nullopt;
        return seconds{static_cast<seconds::rep>(std::min(n, most))};
    }
    const auto when = parse_http_date(v, now);
    if (!when) return std::nullopt;
    if (*when <= now) return seconds{0};
    return std::min(ceil<seconds>(*when - now), seconds{most});
}

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
