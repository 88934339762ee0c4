// Shows: the basic use. A coroutine co_awaits allocations_snapshot() and prints each cloud.
// Errors arrive as pieces::error_with_diagnostics exceptions. Usage: snapshot_coawait [--url URL]
#include "example_server.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <iostream>

int main(int argc, char** argv) {
    boost::asio::io_context ioc;
    example::server server(ioc, argc, argv);
    pieces::client_config cfg;
    cfg.url = server.url;
    pieces::client client(ioc, cfg);
    pieces::allocations_api api(client);

    int status = 1;
    boost::asio::co_spawn(ioc, [&]() -> boost::asio::awaitable<void> {
        const pieces::Allocations all = co_await api.allocations_snapshot();
        for (const auto& cloud : all.iterable)
            std::cout << cloud.id << "  " << pieces::to_string(cloud.status.cloud) << "  " << cloud.urls.base.url << "\n";
        status = 0;
    }, [&](std::exception_ptr e) {
        if (e) try { std::rethrow_exception(e); } catch (const std::exception& ex) { std::cerr << ex.what() << "\n"; }
        ioc.stop();
    });
    ioc.run();
    return status;
}
