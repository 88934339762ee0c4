// Fuzz targets: a property that does not hold ends the run as a crash (libFuzzer keeps the input).
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace pieces_fuzz {

[[noreturn]] inline void fail(const char* what, std::string_view detail) {
    std::fprintf(stderr, "fuzz: %s\n%.*s\n", what, static_cast<int>(detail.size()), detail.data());
    std::abort();
}

}  // namespace pieces_fuzz
