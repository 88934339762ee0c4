// Fuzz targets: a property that does not hold ends the run as a crash (libFuzzer keeps the input).
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace pieces_fuzz {

[[noreturn]] inline void fail(std::string_view what, std::string_view detail) {
    std::fprintf(stderr, "fuzz: %.*s\n%.*s\n", static_cast<int>(what.size()), what.data(),
                 static_cast<int>(detail.size()), detail.data());
    std::abort();
}

}  // namespace pieces_fuzz
