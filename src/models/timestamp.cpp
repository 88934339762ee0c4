// RFC 3339 reading and toISOString writing, on the C++20 <chrono> calendar.
// A strict field scanner rather than a stream-based parser: this runs once per cloud in every
// snapshot, and an istream per timestamp costs a locale and an allocation.
#include <pieces/models/grouped_timestamp.hpp>

#include "util/text_scan.hpp"

#include <charconv>
#include <cstdio>

namespace pieces {
namespace {

using namespace std::chrono;

using detail::scan_digits;
using detail::scan_literal;

}  // namespace

std::optional<timestamp> parse_rfc3339(std::string_view s) noexcept {
    std::size_t pos = 0;
    int y, mo, d, h, mi, sec;
    if (!scan_digits(s, pos, 4, y) || !scan_literal(s, pos, '-') || !scan_digits(s, pos, 2, mo) || !scan_literal(s, pos, '-') ||
        !scan_digits(s, pos, 2, d))
        return std::nullopt;
    if (pos >= s.size() || (s[pos] != 'T' && s[pos] != 't' && s[pos] != ' ')) return std::nullopt;
    ++pos;
    if (!scan_digits(s, pos, 2, h) || !scan_literal(s, pos, ':') || !scan_digits(s, pos, 2, mi) || !scan_literal(s, pos, ':') ||
        !scan_digits(s, pos, 2, sec))
        return std::nullopt;
    const year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
    if (!ymd.ok() || h > 23 || mi > 59 || sec > 60) return std::nullopt;  // 60: a leap second

    nanoseconds frac{0};
    if (pos < s.size() && s[pos] == '.') {
        ++pos;
        std::int64_t ns = 0;
        std::size_t n = 0;
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
            if (n < 9) ns = ns * 10 + (s[pos] - '0');
            ++n;
            ++pos;
        }
        if (n == 0) return std::nullopt;
        for (std::size_t i = n; i < 9; ++i) ns *= 10;
        frac = nanoseconds{ns};
    }

    minutes offset{0};
    if (pos >= s.size()) return std::nullopt;
    if (s[pos] == 'Z' || s[pos] == 'z') {
        ++pos;
    } else if (s[pos] == '+' || s[pos] == '-') {
        const bool negative = s[pos] == '-';
        ++pos;
        int oh, om;
        if (!scan_digits(s, pos, 2, oh) || !scan_literal(s, pos, ':') || !scan_digits(s, pos, 2, om) || oh > 23 || om > 59)
            return std::nullopt;
        offset = hours{oh} + minutes{om};
        if (negative) offset = -offset;
    } else {
        return std::nullopt;
    }
    if (pos != s.size()) return std::nullopt;

    // Whole seconds first: a 4-digit year always fits in seconds, but not always in nanoseconds (about 1677 to
    // 2262), where it would overflow. Outside that range the text is refused.
    const seconds whole = (sys_days{ymd} + hours{h} + minutes{mi} + seconds{sec} - offset).time_since_epoch();
    constexpr auto earliest = duration_cast<seconds>(nanoseconds::min());
    constexpr auto latest = duration_cast<seconds>(nanoseconds::max());
    if (whole < earliest || whole > latest) return std::nullopt;
    if (whole == latest && frac > nanoseconds::max() - duration_cast<nanoseconds>(latest)) return std::nullopt;
    return timestamp{duration_cast<nanoseconds>(whole) + frac};
}

std::string to_iso_string(timestamp tp) {
    const auto ns_total = tp;
    const auto day_start = floor<days>(ns_total);
    const year_month_day ymd{day_start};
    const hh_mm_ss<nanoseconds> tod{ns_total - day_start};
    const auto ns = tod.subseconds().count();

    char buf[96];
    const int n = std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d", static_cast<int>(ymd.year()),
                                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                                static_cast<int>(tod.hours().count()), static_cast<int>(tod.minutes().count()),
                                static_cast<int>(tod.seconds().count()));
    std::string out(buf, static_cast<std::size_t>(n));
    char frac[32];
    if (ns % 1'000'000 == 0)
        std::snprintf(frac, sizeof frac, ".%03lldZ", static_cast<long long>(ns / 1'000'000));
    else if (ns % 1'000 == 0)
        std::snprintf(frac, sizeof frac, ".%06lldZ", static_cast<long long>(ns / 1'000));
    else
        std::snprintf(frac, sizeof frac, ".%09lldZ", static_cast<long long>(ns));
    out += frac;
    return out;
}

}  // namespace pieces
