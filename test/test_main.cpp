#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#ifdef _WIN32
#include <fcntl.h>
#include <io.h>
#include <stdio.h>
#endif

namespace {

// Windows writes "\r\n" for each "\n" of a text-mode stdout, and CMake's test discovery (catch_discover_tests,
// run by the build under Wine for the MinGW-w64 build) would keep the "\r" in every test name.
void plain_newlines_on_stdout() {
#ifdef _WIN32
    _setmode(_fileno(stdout), _O_BINARY);
#endif
}

}  // namespace

int main(int argc, char* argv[]) {
    plain_newlines_on_stdout();
    return Catch::Session().run(argc, argv);
}
