// Shows: error handling without exceptions. as_tuple(use_awaitable) hands back (error_code, result);
// a 410 is errc::cloud_not_found, and both our deadline and a 504 compare equal to condition::timed_out.
// Usage: errors_without_exceptions [--url URL]
#include "example_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <iostream>

int main(int argc, char** argv) {
    using namespace std::chrono_literals;
    boost::asio::io_context ioc;
    example::server server(ioc, argc, argv);
    pieces::client_config cfg;
    cfg.url = server.url;
    pieces::client client(ioc, cfg);
    pieces::allocation_api api(client);
    constexpr auto no_throw = boost::asio::as_tuple(boost::asio::use_awaitable);

    int status = 1;
    boost::asio::co_spawn(ioc, [&]() -> boost::asio::awaitable<void> {
        pieces::diagnostics diag;
        auto [ec, cloud] = co_await api.allocation_snapshot("no-such-cloud", example::with_diag(&diag), no_throw);
        if (ec == pieces::errc::cloud_not_found)
            std::cout << "410 handled: " << ec.message() << " The server said: " << diag.server_message() << "\n";
        else
            co_return;

        if (server.emulator) {  // make the server slower than our deadline
            pieces::testing::fault slow;
            slow.latency = 2s;
            server.emulator->set_fault(pieces::testing::endpoint::allocation_snapshot, slow);
        }
        auto [ec2, cloud2] = co_await api.allocation_snapshot("no-such-cloud", example::with_timeout(100ms), no_throw);
        if (ec2 == pieces::condition::timed_out) std::cout << "timed out handled: " << ec2.message() << "\n";
        status = server.emulator && ec2 != pieces::condition::timed_out ? 1 : 0;
    }, [&](std::exception_ptr e) {
        if (e) status = 1;
        ioc.stop();
    });
    ioc.run();
    return status;
}
