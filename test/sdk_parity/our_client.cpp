// Our client, doing what sdk_client.mjs does, printing the same JSON shape.
#include <pieces/pieces.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <iostream>

int main(int argc, char** argv) {
    if (argc < 2) return 2;
    boost::asio::io_context ioc;
    pieces::client_config cfg;
    cfg.url = argv[1];
    pieces::client client(ioc, cfg);
    pieces::allocations_api allocations(client);
    pieces::allocation_api allocation(client);
    int status = 1;
    boost::asio::co_spawn(ioc, [&]() -> boost::asio::awaitable<void> {
        const auto snapshot = co_await allocations.allocations_snapshot();
        const auto one = co_await allocation.allocation_snapshot(snapshot.iterable.at(0).id);
        pieces::diagnostics diag;
        pieces::call_options opts;
        opts.diag = &diag;
        auto [ec, none] = co_await allocation.allocation_snapshot("no-such-cloud", opts,
                                                                  boost::asio::as_tuple(boost::asio::use_awaitable));
        const auto disconnected = co_await allocations.allocations_disconnect_cloud(one);
        std::cout << R"({"snapshot":)" << pieces::to_json(snapshot) << R"(,"one":)" << pieces::to_json(one)
                  << R"(,"missing":)" << diag.http_status() << R"(,"disconnected":")" << disconnected << "\"}\n";
        status = 0;
    }, [&](std::exception_ptr e) {
        if (e) try { std::rethrow_exception(e); } catch (const std::exception& ex) { std::cerr << ex.what() << "\n"; }
    });
    ioc.run();
    return status;
}
