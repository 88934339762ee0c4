// Shows: racing a request against a timer with the || operator. The loser is cancelled (terminal
// cancellation), its connection closed, and the client stays usable. Usage: timeout_race [--url URL]
#include "example_server.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <iostream>

int main(int argc, char** argv) {
    using namespace std::chrono_literals;
    using namespace boost::asio::experimental::awaitable_operators;
    boost::asio::io_context ioc;
    example::server server(ioc, argc, argv);
    pieces::client_config cfg;
    cfg.url = server.url;
    pieces::client client(ioc, cfg);
    pieces::allocations_api api(client);
    if (server.emulator) {
        pieces::testing::fault slow;
        slow.latency = 3s;
        slow.times = 1;
        server.emulator->set_fault(pieces::testing::endpoint::snapshot, slow);
    }

    int status = 1;
    boost::asio::co_spawn(ioc, [&]() -> boost::asio::awaitable<void> {
        boost::asio::steady_timer timer(ioc, 200ms);
        auto winner = co_await (api.allocations_snapshot() || timer.async_wait(boost::asio::use_awaitable));
        std::cout << (winner.index() == 0 ? "the snapshot won" : "the timer won; the snapshot was cancelled") << "\n";
        const auto all = co_await api.allocations_snapshot();  // the client is still fine
        std::cout << "next snapshot: " << all.iterable.size() << " clouds\n";
        status = 0;
    }, [&](std::exception_ptr e) {
        if (e) status = 1;
        ioc.stop();
    });
    ioc.run();
    return status;
}
