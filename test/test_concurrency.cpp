// One client shared by coroutines on a 4-thread io_context (run under ThreadSanitizer in CI).
#include "async_test.hpp"

#include <pieces/allocations_api.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <thread>

using namespace pieces;
using namespace pieces_test;

TEST_CASE("many pollers on a 4-thread io_context share one client") {
    asio::io_context ioc(4);
    testing::emulator emu(ioc.get_executor());
    emu.seed(from_json<Allocations>(read_fixture("allocations.json")));
    client_config cfg;
    cfg.url = emu.url();
    cfg.pool.max_connections = 4;
    client cli(ioc, cfg);
    allocations_api api(cli);

    constexpr int pollers = 16, per_poller = 40;
    std::atomic<int> ok{0}, failed{0}, finished{0};
    for (int p = 0; p < pollers; ++p)
        asio::co_spawn(asio::make_strand(ioc), [&]() -> asio::awaitable<void> {
            for (int i = 0; i < per_poller; ++i) {
                auto [ec, all] = co_await api.allocations_snapshot(call_options{}, asio::as_tuple(asio::use_awaitable));
                (!ec && all.iterable.size() == 3 ? ok : failed)++;
            }
            ++finished;
        }, [](std::exception_ptr e) { if (e) std::rethrow_exception(e); });

    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&] {
            while (finished < pollers) ioc.run_one_for(std::chrono::milliseconds(50));
        });
    for (auto& t : threads) t.join();
    CHECK(ok == pollers * per_poller);
    CHECK(failed == 0);
    CHECK(cli.stats().connections_opened <= 4);

    // cancel() from another thread while requests are pending.
    testing::fault slow;
    slow.latency = std::chrono::seconds(5);
    emu.set_fault(testing::endpoint::snapshot, slow);
    std::atomic<int> aborted{0}, done{0};
    for (int i = 0; i < 12; ++i)
        api.allocations_snapshot({}, asio::bind_executor(asio::make_strand(ioc), [&](boost::system::error_code ec, Allocations) {
            aborted += ec == asio::error::operation_aborted;
            ++done;
        }));
    std::thread canceller([&] {
        while (cli.stats().requests_waiting + cli.stats().requests_in_flight < 12) std::this_thread::yield();
        cli.cancel();
    });
    threads.clear();
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&] {
            while (done < 12) ioc.run_one_for(std::chrono::milliseconds(50));
        });
    for (auto& t : threads) t.join();
    canceller.join();
    CHECK(aborted == 12);
}
