#include "util/read_double.hpp"

#include <charconv>
#include <cmath>
#include <locale>
#include <sstream>
#include <string>
#include <system_error>
#include <version>

namespace pieces::detail {

namespace {

// Only what a decimal number is made of: a stream or from_chars alone would also take "inf", "nan", hex
// digits (libc++'s stream) or leading blanks.
bool looks_decimal(std::string_view text) noexcept {
    if (text.empty()) return false;
    const char first = text.front();
    if (first != '-' && first != '.' && (first < '0' || first > '9')) return false;
    for (const char c : text)
        if ((c < '0' || c > '9') && c != '.' && c != 'e' && c != 'E' && c != '+' && c != '-') return false;
    return true;
}

// A mantissa with a digit other than 0: a value that reads as 0 underflowed.
bool nonzero_mantissa(std::string_view text) noexcept {
    for (const char c : text) {
        if (c == 'e' || c == 'E') break;
        if (c >= '1' && c <= '9') return true;
    }
    return false;
}

}  // namespace

bool read_double_by_stream(std::string_view text, double& out) {
    if (!looks_decimal(text)) return false;
    std::istringstream in{std::string(text)};
    in.imbue(std::locale::classic());
    double d = 0;
    in >> d;
    if (!in.eof()) return false;  // stopped before the end: not one number
    // The libraries differ on strtod's ERANGE: libc++ fails the read (keeping the value) for subnormal results
    // too, libstdc++ only for an overflow. A subnormal is a double like any other, as from_chars has it.
    if (in.fail() && std::fpclassify(d) != FP_SUBNORMAL) return false;
    if (d == 0 && nonzero_mantissa(text)) return false;  // 1e-400: no double holds it (libstdc++ reads 0)
    out = d;
    return true;
}

bool read_double(std::string_view text, double& out) {
#if defined(__cpp_lib_to_chars) && __cpp_lib_to_chars >= 201611L
    if (!looks_decimal(text)) return false;
    double d = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), d);
    if (ec != std::errc{} || end != text.data() + text.size()) return false;
    out = d;
    return true;
#else
    return read_double_by_stream(text, out);
#endif
}

}  // namespace pieces::detail
