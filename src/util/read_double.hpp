// Private: a decimal number's text as the nearest double, on every C++ library. std::from_chars does this where
// the library has it for floating point (libstdc++ 11+, MSVC); libc++ before LLVM 20, and so many Xcode
// releases, has none, and there the C++ library's stream reads it, in the classic locale, through the C
// library's correctly rounded strtod.
#pragma once

#include <string_view>

namespace pieces::detail {

/// Reads all of `text`, a decimal number (`-`, digits, `.`, an exponent: as JSON writes one, and `5.` or `.5`),
/// into `out` as the nearest double. False, `out` unchanged, when `text` is not such a number or its value is
/// out of a double's range (1e400, 1e-400).
bool read_double(std::string_view text, double& out);

/// As read_double, always through the stream (the libc++ path), so that it is tested on every library.
bool read_double_by_stream(std::string_view text, double& out);

}  // namespace pieces::detail
