// Shows: many coroutines polling snapshots at once through one client. The pool (8 connections here)
// is shared; requests beyond it wait in FIFO order. Usage: concurrent_pollers [--url URL]
#include "example_server.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <iostream>

int main(int argc, char** argv) {
    boost::asio::io_context ioc;
    example::server server(ioc, argc, argv);
    pieces::client_config cfg;
    cfg.url = server.url;
    cfg.pool.max_connections = 8;
    pieces::client client(ioc, cfg);
    pieces::allocations_api api(client);

    constexpr int pollers = 100, polls_each = 20;
    int finished = 0, failures = 0;
    std::size_t clouds_seen = 0;
    for (int p = 0; p < pollers; ++p)
        boost::asio::co_spawn(ioc, [&]() -> boost::asio::awaitable<void> {
            for (int i = 0; i < polls_each; ++i) clouds_seen += (co_await api.allocations_snapshot()).iterable.size();
        }, [&](std::exception_ptr e) {
            failures += e ? 1 : 0;
            if (++finished == pollers) ioc.stop();
        });
    ioc.run();
    const auto s = client.stats();
    std::cout << pollers * polls_each << " snapshots, " << clouds_seen << " clouds seen, " << s.connections_opened
              << " connections opened, " << failures << " failed pollers\n";
    return failures == 0 && s.connections_opened <= 8 ? 0 : 1;
}
