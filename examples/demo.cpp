// The demo (README's first command): starts the Pieces OS emulator in-process, or uses the Pieces OS
// given with --url or found with --discover; connects a sample user, prints the snapshot as a table,
// and shows a 410 being handled and injected 504s retried by the client's retry policy.
#include "example_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cstdio>
#include <iostream>

namespace {

void print_table(const pieces::Allocations& all) {
    std::printf("%-38s %-13s %-13s %-26s %s\n", "CLOUD", "STATUS", "BASE STATUS", "UPDATED", "VANITY URL");
    for (const auto& c : all.iterable) {
        const std::string updated = c.updated ? pieces::to_iso_string(c.updated->value) : "-";
        const std::string vanity = c.urls.vanity ? c.urls.vanity->url : "-";
        const auto status = c.status.cloud.has_unknown_text() ? c.status.cloud.unknown_text()
                                                              : std::string(pieces::to_string(c.status.cloud));
        std::printf("%-38s %-13s %-13s %-26s %s\n", c.id.c_str(), status.c_str(),
                    std::string(pieces::to_string(c.urls.base.status)).c_str(), updated.c_str(), vanity.c_str());
    }
}

}  // namespace

int main(int argc, char** argv) {
    using namespace std::chrono_literals;
    boost::asio::io_context ioc;
    bool discover = false;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "--discover") discover = true;
        else if (arg == "--help" || arg == "-h") {
            std::cout << "usage: pieces-demo [--url URL | --discover]\n"
                         "  without either, an emulated Pieces OS is started in-process\n";
            return 0;
        }
    }
    if (discover) {
        // Fill --url from discovery, then proceed as if it had been given.
        std::optional<std::string> found;
        boost::asio::co_spawn(ioc, pieces::discover_pieces_os(), [&](std::exception_ptr e, std::string url) {
            if (e) try { std::rethrow_exception(e); } catch (const std::exception& ex) { std::cerr << ex.what() << "\n"; }
            else found = url;
        });
        ioc.run();
        ioc.restart();
        if (!found) return 1;
        static std::string url_arg;
        url_arg = *found;
        static char flag[] = "--url";
        static char* fake_argv[] = {argv[0], flag, url_arg.data(), nullptr};
        argc = 3;
        argv = fake_argv;
    }

    example::server server(ioc, argc, argv);
    std::cout << "Pieces OS: " << server.url << (server.emulator ? "  (emulator, in-process)" : "") << "\n\n";
    pieces::client_config cfg;
    cfg.url = server.url;
    cfg.request_timeout = 10s;
    cfg.retry.max_attempts = 4;  // a 504, a refused or a dropped connection: attempted again after a backoff
    cfg.retry.initial_backoff = 100ms;
    pieces::client client(ioc, cfg);
    pieces::allocations_api allocations(client);
    pieces::allocation_api allocation(client);
    constexpr auto no_throw = boost::asio::as_tuple(boost::asio::use_awaitable);

    int status = 1;
    boost::asio::co_spawn(ioc, [&]() -> boost::asio::awaitable<void> {
        const auto mine = co_await allocations.allocations_connect_new_cloud(example::sample_user());
        std::cout << "connected user " << *example::sample_user().email << " -> cloud " << mine.id << "\n\n";
        print_table(co_await allocations.allocations_snapshot());

        pieces::diagnostics diag;
        auto [ec, none] = co_await allocation.allocation_snapshot("00000000-no-such-cloud", example::with_diag(&diag), no_throw);
        std::cout << "\nGET /allocation/00000000-no-such-cloud -> " << ec.message() << " (HTTP " << diag.http_status()
                  << ", server said \"" << diag.server_message() << "\")\n";

        if (server.emulator) {
            pieces::testing::fault gateway;
            gateway.status = 504;
            gateway.body = "Gateway Timeout, request timed out.";
            gateway.times = 2;
            server.emulator->set_fault(pieces::testing::endpoint::reconnect, gateway);
            // The client's retry policy (cfg.retry above) retries 504s; reconnecting twice is harmless, so this
            // POST opts in.
            pieces::call_options reconnect_opts = example::with_diag(&diag);
            reconnect_opts.retry = client.config().retry;
            reconnect_opts.retry->retry_posts = true;
            const auto cloud = co_await allocations.allocations_reconnect_cloud(mine, reconnect_opts);
            std::cout << "POST /allocations/reconnect (504 injected twice) -> " << pieces::to_string(cloud.status.cloud)
                      << " after " << diag.attempts() << " attempts (retry policy: up to "
                      << client.config().retry.max_attempts << ", POSTs opted in)\n";
        } else {
            std::cout << "(a real Pieces OS: no 504 injected)\n";
        }
        const auto s = client.stats();
        std::cout << "\npool: " << s.connections_opened << " connection(s) opened, " << s.reuses
                  << " reuse(s)\n";
        status = 0;
    }, [&](std::exception_ptr e) {
        if (e) try { std::rethrow_exception(e); } catch (const std::exception& ex) { std::cerr << "error: " << ex.what() << "\n"; }
        ioc.stop();
    });
    ioc.run();
    return status;
}
