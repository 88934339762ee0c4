// Test helper: the shared sample payloads.
#pragma once

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace pieces_test {

inline std::string read_fixture(const std::string& name) {
    std::ifstream in(std::string(PIECES_FIXTURES_DIR) + "/" + name, std::ios::binary);
    if (!in) throw std::runtime_error("missing fixture " + name);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

}  // namespace pieces_test
