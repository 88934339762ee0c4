// Discovery over real sockets: it finds an emulator in 39300-39333 and fails fast when none runs.
#include "async_test.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_future.hpp>

#include <future>
#include <thread>

using namespace pieces;
using namespace pieces_test;

namespace {

// An emulator on the highest free port of the range (so lower ports stay free and the "lowest wins" rule
// is exercised by the test below).
std::optional<testing::emulator> emulator_in_range(asio::io_context& ioc, unsigned short from, unsigned short to) {
    for (unsigned p = to; p >= from; --p) {
        try {
            return std::optional<testing::emulator>(std::in_place, ioc.get_executor(),
                                                    testing::emulator_options{.port = static_cast<unsigned short>(p)});
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

TEST_CASE("discovery prefers the lowest answering port, even when it answers last") {
    asio::io_context ioc;
    auto high = emulator_in_range(ioc, 39320, 39333);
    auto low = emulator_in_range(ioc, 39300, 39310);
    REQUIRE(high.has_value());
    REQUIRE(low.has_value());
    testing::fault slower;
    slower.latency = 100ms;  // well within the probe timeout (250 ms)
    low->set_fault(testing::endpoint::health, slower);
    CHECK(run(ioc, discover_pieces_os()) == low->url());
    CHECK(high->requests(testing::endpoint::health) == 1);
    CHECK(low->requests(testing::endpoint::health) == 1);
}

TEST_CASE("an explicit URL wins without probing") {
    asio::io_context ioc;
    auto emu = emulator_in_range(ioc, 39300, 39333);
    REQUIRE(emu.has_value());
    discovery_options opts;
    opts.url = "http://10.0.0.1:1";
    CHECK(run(ioc, discover_pieces_os(opts)) == "http://10.0.0.1:1");
    ioc.poll();
    CHECK(emu->requests(testing::endpoint::health) == 0);
    CHECK(emu->connections_accepted() == 0);
}

TEST_CASE("discovery reports connection_failed quickly when nothing runs") {
    asio::io_context ioc;
    // A listener that is not Pieces OS does not count.
    asio::ip::tcp::acceptor impostor(ioc, {asio::ip::make_address("127.0.0.1"), 0});
    asio::ip::tcp::socket impostor_side(ioc);
    bool probed = false;
    impostor.async_accept(impostor_side, [&](boost::system::error_code ec) { probed = !ec; });
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
    CHECK(probed);
}

TEST_CASE("discovery completes on the caller's strand of a 4-thread io_context") {
    asio::io_context ioc(4);
    testing::emulator emu(ioc.get_executor());
    discovery_options opts;
    opts.first_port = opts.last_port = emu.port();
    opts.legacy_ports.clear();
    auto work = asio::make_work_guard(ioc);
    std::vector<std::thread> threads;
    for (int i = 0; i < 4; ++i) threads.emplace_back([&] { ioc.run(); });

    auto strand = asio::make_strand(ioc);
    // Each time the throwing form, then the token form given the io_context's executor (the scan runs on a
    // strand of its own): found the emulator, and resumed on the caller's strand.
    // (Checked on the main thread: Catch's assertions are not for worker threads.)
    auto checks = asio::co_spawn(strand, [&]() -> asio::awaitable<std::vector<bool>> {
        std::vector<bool> found_on_strand;
        for (int i = 0; i < 8; ++i) {
            const auto url = co_await discover_pieces_os(opts);
            found_on_strand.push_back(url == emu.url() && strand.running_in_this_thread());
            auto [ec, token_url] = co_await async_discover_pieces_os(ioc.get_executor(), opts, nullptr, tuple_token);
            found_on_strand.push_back(!ec && token_url == emu.url() && strand.running_in_this_thread());
        }
        co_return found_on_strand;
    }, asio::use_future);
    const bool finished = checks.wait_for(20s) == std::future_status::ready;
    ioc.stop();  // the emulator's accept loop keeps the io_context busy
    for (auto& t : threads) t.join();
    REQUIRE(finished);
    CHECK(checks.get() == std::vector<bool>(16, true));
    CHECK(emu.requests(testing::endpoint::health) == 16);
}

TEST_CASE("cancelled discovery ends promptly with operation_aborted") {
    asio::io_context ioc;
    // A listener that accepts and never answers: each probe would wait for its whole timeout.
    asio::ip::tcp::acceptor mute(ioc, {asio::ip::make_address("127.0.0.1"), 0});
    asio::ip::tcp::socket mute_side(ioc);
    discovery_options opts;
    opts.first_port = opts.last_port = mute.local_endpoint().port();
    opts.legacy_ports = {mute.local_endpoint().port()};
    opts.probe_timeout = 10s;
    asio::cancellation_signal cancel;
    mute.async_accept(mute_side, [&](boost::system::error_code ec) {
        REQUIRE_FALSE(ec);
        cancel.emit(asio::cancellation_type::terminal);  // the scan is under way: a probe is connected
    });
    std::optional<boost::system::error_code> result;
    diagnostics diag;
    const auto start = std::chrono::steady_clock::now();
    async_discover_pieces_os(ioc.get_executor(), opts, &diag,
                             asio::bind_cancellation_slot(cancel.slot(), [&](boost::system::error_code ec, std::string url) {
                                 result = ec;
                                 CHECK(url.empty());
                             }));
    run_until(ioc, [&] { return result.has_value(); });
    CHECK(*result == asio::error::operation_aborted);
    CHECK(ms_since(start) < 500);
}
