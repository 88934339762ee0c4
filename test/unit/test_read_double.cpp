// A decimal number's text as the nearest double on every C++ library: std::from_chars where the library has it,
// the classic-locale stream where it does not (libc++ before LLVM 20). Both paths run here on every build.
#include "util/read_double.hpp"

#include <catch2/catch.hpp>

#include <charconv>
#include <cstdio>
#include <random>
#include <string>
#include <version>

using pieces::detail::read_double;
using pieces::detail::read_double_by_stream;

namespace {

using reader = bool (*)(std::string_view, double&);

double read_with(reader r, const std::string& text) {
    double d = -1;
    INFO(text);
    REQUIRE(r(text, d));
    return d;
}

}  // namespace

TEST_CASE("read_double: hard decimal texts give the nearest double on both paths") {
    const reader r = GENERATE(read_double, read_double_by_stream);
    // The expected values are exact binary literals (from Python's correctly rounded float()).
    CHECK(read_with(r, "0.1") == 0x1.999999999999ap-4);
    CHECK(read_with(r, "1e23") == 0x1.52d02c7e14af6p+76);                 // halfway-looking, rounds down
    CHECK(read_with(r, "9007199254740993") == 0x1p53);                    // a tie: to even
    CHECK(read_with(r, "1.7976931348623157e308") == 0x1.fffffffffffffp+1023);
    CHECK(read_with(r, "2.2250738585072014e-308") == 0x1p-1022);          // the smallest normal double
    CHECK(read_with(r, "2.2250738585072011e-308") == 0x0.fffffffffffffp-1022);  // the largest subnormal
    CHECK(read_with(r, "4.9406564584124654e-324") == 0x0.0000000000001p-1022);  // the smallest subnormal
    CHECK(read_with(r, "0e5") == 0.0);
    CHECK(read_with(r, "123456789012345678901234567890e-10") == 0x1.56a95319d63e1p+63);
    CHECK(read_with(r, std::string(89, '7') + "0") == 0x1.86fb65c757eb7p+298);  // 90 digits
    CHECK(read_with(r, "-2.5E-3") == -0.0025);
    CHECK(read_with(r, ".5") == 0.5);
    CHECK(read_with(r, "5.") == 5.0);
}

TEST_CASE("read_double: anything but a whole decimal number in range is refused and the output untouched") {
    const reader r = GENERATE(read_double, read_double_by_stream);
    for (const char* text : {"", "-", "abc", "inf", "nan", "0x10", " 1", "1 ", "+1", "1e", "1.2.3", "1e400", "-1e400",
                             "1e-400", "1,5"}) {
        double d = 42;
        INFO(text);
        CHECK_FALSE(r(text, d));
        CHECK(d == 42);
    }
}

#if defined(__cpp_lib_to_chars) && __cpp_lib_to_chars >= 201611L
TEST_CASE("read_double: the stream path agrees with std::from_chars on random long numbers") {
    std::mt19937_64 random(20261207);
    std::uniform_int_distribution<int> digit(0, 9), length(1, 40), exponent(-300, 260);
    for (int i = 0; i < 20000; ++i) {
        std::string text = std::to_string(1 + digit(random));
        for (int n = length(random); n > 0; --n) text += static_cast<char>('0' + digit(random));
        text.push_back('e');
        text += std::to_string(exponent(random));
        double expected = 0, got = 0;
        std::from_chars(text.data(), text.data() + text.size(), expected);
        INFO(text);
        REQUIRE(read_double_by_stream(text, got));
        REQUIRE(got == expected);
    }
}
#endif
