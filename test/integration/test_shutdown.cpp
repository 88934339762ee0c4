// Shutdown under load: the client destroyed, or the io_context stopped and destroyed, with 1 000 requests in
// flight and waiting. No crash, no leak (LeakSanitizer in the asan preset), every handler run exactly once or,
// when the io_context is destroyed first, never. Built into test_concurrency, so it also runs under TSan.
#include "async_test.hpp"

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

using namespace pieces;
using namespace pieces_test;

namespace {

constexpr int requests = 1000;
constexpr std::size_t pool_size = 16;

// Counts each handler's runs, per request.
struct tally {
    std::vector<std::atomic<int>> runs = std::vector<std::atomic<int>>(requests);
    std::atomic<int> aborted{0}, total{0};
};

// An emulator that holds every snapshot (30 s), a client of `pool_size` connections to it, and `requests`
// snapshots started on the client, each handler counted in `counts`. Destroyed client first, then emulator.
struct pending_load {
    pending_load(asio::io_context& ioc, std::shared_ptr<tally> t) : counts(std::move(t)), emu(ioc.get_executor()) {
        testing::fault stalled;
        stalled.latency = std::chrono::seconds(30);
        emu.set_fault(testing::endpoint::snapshot, stalled);
        client_config cfg;
        cfg.url = emu.url();
        cfg.pool.max_connections = pool_size;
        cfg.request_timeout = std::chrono::seconds(60);
        cli.emplace(ioc, cfg);
        const allocations_api api(*cli);
        for (int i = 0; i < requests; ++i)
            api.allocations_snapshot({}, [t = counts, i](boost::system::error_code ec, Allocations) {
                ++t->runs[static_cast<std::size_t>(i)];
                t->aborted += ec == asio::error::operation_aborted;
                ++t->total;
            });
    }

    // Every request holds a connection or waits for one.
    bool all_pending() const {
        const auto s = cli->stats();
        return s.requests_in_flight == pool_size && s.requests_waiting == requests - pool_size;
    }

    std::shared_ptr<tally> counts;
    testing::emulator emu;
    std::optional<client> cli;
};

}  // namespace

TEST_CASE("shutdown: destroying the client with 1 000 requests pending ends each once, with operation_aborted") {
    asio::io_context ioc;
    auto t = std::make_shared<tally>();
    {
        pending_load load(ioc, t);
        run_until(ioc, [&] { return load.all_pending(); });
        load.cli.reset();
        run_until(ioc, [&] { return t->total == requests; }, std::chrono::seconds(10));
    }
    CHECK(t->aborted == requests);
    for (const auto& r : t->runs) CHECK(r == 1);
    ioc.restart();
    ioc.poll();
    CHECK(t->total == requests);  // nothing ran twice, nothing late
}

TEST_CASE("shutdown: the same on a 4-thread io_context, the client destroyed from another thread") {
    asio::io_context ioc(4);
    auto t = std::make_shared<tally>();
    pending_load load(ioc, t);
    std::atomic<bool> stop{false};
    std::vector<std::thread> threads;
    for (int i = 0; i < 4; ++i)
        threads.emplace_back([&] {
            while (!stop) ioc.run_one_for(std::chrono::milliseconds(20));
        });
    const auto limit = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!load.all_pending() && std::chrono::steady_clock::now() < limit) std::this_thread::yield();
    REQUIRE(load.all_pending());
    load.cli.reset();
    while (t->total < requests && std::chrono::steady_clock::now() < limit) std::this_thread::yield();
    stop = true;
    for (auto& th : threads) th.join();
    CHECK(t->total == requests);
    CHECK(t->aborted == requests);
    for (const auto& r : t->runs) CHECK(r == 1);
}

TEST_CASE("shutdown: stopping and destroying the io_context with 1 000 requests pending runs no handler") {
    auto t = std::make_shared<tally>();
    {
        asio::io_context ioc;
        pending_load load(ioc, t);
        run_until(ioc, [&] { return load.all_pending(); });
        ioc.stop();
    }  // the client, the emulator, then the io_context with every pending handler: destroyed, not run
    CHECK(t->total == 0);
    CHECK(t.use_count() == 1);  // no handler (each holds `t`) outlived the io_context: nothing leaked
}
