// Private: the two steps of a strict, fixed-layout text scanner (dates, times), shared by the RFC 3339 timestamps
// of the models and the HTTP-dates of Retry-After. Each advances `pos` only when it matches.
#pragma once

#include <cstddef>
#include <string_view>

namespace pieces::detail {

/// Reads exactly `n` decimal digits at `pos` into `out`.
inline bool scan_digits(std::string_view s, std::size_t& pos, std::size_t n, int& out) noexcept {
    if (pos + n > s.size()) return false;
    out = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const char c = s[pos + i];
        if (c < '0' || c > '9') return false;
        out = out * 10 + (c - '0');
    }
    pos += n;
    return true;
}

/// Skips `text` at `pos`.
inline bool scan_literal(std::string_view s, std::size_t& pos, std::string_view text) noexcept {
    if (s.substr(pos, text.size()) != text) return false;
    pos += text.size();
    return true;
}

/// Skips the character `c` at `pos`.
inline bool scan_literal(std::string_view s, std::size_t& pos, char c) noexcept {
    if (pos >= s.size() || s[pos] != c) return false;
    ++pos;
    return true;
}

}  // namespace pieces::detail
