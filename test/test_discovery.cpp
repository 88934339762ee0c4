// Discovery over real sockets: it finds an emulator in 39300-39333 and fails fast when none runs.
#include "async_test.hpp"

#include <boost/asio/ip/tcp.hpp>

using namespace pieces;
using namespace pieces_test;

namespace {

// An emulator on the highest free port of the range (so lower ports stay free and the "lowest wins" rule
// is exercised by the test below).
std::optional<testing::emulator> emulator_in_range(asio::io_context& ioc, unsigned short from, unsigned short to) {
    for (unsigned p = to; p >= from; --p) {
        try {
            return std::optional<testing::emulator>(std::in_place, ioc.get_executor(),
                                                    testing::emulator_options{"127.0.0.1", static_cast<unsigned short>(p), false});
        } catch (const boost::system::system_error&) {
        }
    }
    return std::nullopt;
}

}  // namespace

TEST_CASE("discovery finds an emulator on a port in 39300-39333") {
    asio::io_context ioc;
    auto emu = emulator_in_range(ioc, 39300, 39333);
    REQUIRE(emu.has_value());
    const auto url = run(ioc, discover_pieces_os());
    CHECK(url == emu->url());
    CHECK(emu->requests(testing::endpoint::health) == 1);
}

TEST_CASE("discovery prefers the lowest answering port") {
    asio::io_context ioc;
    auto high = emulator_in_range(ioc, 39320, 39333);
    auto low = emulator_in_range(ioc, 39300, 39310);
    REQUIRE(high.has_value());
    REQUIRE(low.has_value());
    CHECK(run(ioc, discover_pieces_os()) == low->url());
}

TEST_CASE("an explicit URL wins without probing") {
    asio::io_context ioc;
    discovery_options opts;
    opts.url = "http://10.0.0.1:1";
    CHECK(run(ioc, discover_pieces_os(opts)) == "http://10.0.0.1:1");
}

TEST_CASE("discovery reports connection_failed quickly when nothing runs") {
    asio::io_context ioc;
    // A listener that is not Pieces OS does not count.
    asio::ip::tcp::acceptor impostor(ioc, {asio::ip::make_address("127.0.0.1"), 0});
    discovery_options opts;
    opts.legacy_ports.push_back(impostor.local_endpoint().port());
    const auto start = std::chrono::steady_clock::now();
    try {
        (void)run(ioc, discover_pieces_os(opts));
        FAIL("found something");
    } catch (const error_with_diagnostics& e) {
        CHECK(e.code() == errc::connection_failed);
        CHECK(e.get_diagnostics().client_message().find("39300-39333, 1000, 5323") != std::string::npos);
    }
    CHECK(ms_since(start) < 1000);
}
