// Many subscribers on one allocations_watcher: one poll per interval, whatever their number.
// usage: watch_many [--url URL] [--subscribers N] [--seconds S] [--interval MS]
// Without --url an emulator runs in-process, and a cloud changes status now and then so that there is news.
#include "example_server.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <charconv>
#include <functional>
#include <cstdlib>
#include <iostream>
#include <vector>

namespace {

long number_after(int argc, char** argv, std::string_view flag, long fallback) {
    for (int i = 1; i + 1 < argc; ++i) {
        if (argv[i] != flag) continue;
        long v = 0;
        const std::string_view s = argv[i + 1];
        if (std::from_chars(s.data(), s.data() + s.size(), v).ec != std::errc{} || v <= 0) {
            std::cerr << flag << " needs a number > 0\n";
            std::exit(2);
        }
        return v;
    }
    return fallback;
}

}  // namespace

int main(int argc, char** argv) {
    namespace asio = boost::asio;
    using namespace std::chrono;
    for (int i = 1; i < argc; ++i)
        if (std::string_view(argv[i]) == "--help") {
            std::cout << "usage: watch_many [--url URL] [--subscribers N] [--seconds S] [--interval MS]\n";
            return 0;
        }
    const auto subscribers = static_cast<std::size_t>(number_after(argc, argv, "--subscribers", 1000));
    const auto seconds_to_run = seconds(number_after(argc, argv, "--seconds", 2));
    const auto interval = milliseconds(number_after(argc, argv, "--interval", 200));

    asio::io_context ioc;
    example::server server(ioc, argc, argv);
    pieces::client_config cfg;
    cfg.url = server.url;
    pieces::client client(ioc, cfg);
    pieces::watcher_config wc;
    wc.interval = interval;
    wc.max_backoff = std::max(wc.max_backoff, interval);
    std::optional<pieces::allocations_watcher> watcher(std::in_place, client, wc);
    std::cout << "watching " << server.url << " with " << subscribers << " subscribers for " << seconds_to_run.count()
              << " s, polling every " << interval.count() << " ms\n";

    // Each subscriber counts its events until the watcher goes (its next() then throws operation_aborted).
    std::vector<std::size_t> events(subscribers, 0);
    std::size_t failures = 0, finished = 0;
    for (std::size_t i = 0; i < subscribers; ++i)
        asio::co_spawn(ioc, [&, i, sub = watcher->subscribe()]() mutable -> asio::awaitable<void> {
            try {
                for (;;) {
                    const pieces::watch_event ev = co_await sub.next();
                    ++events[i];
                    failures += ev.error() ? 1 : 0;
                }
            } catch (const pieces::error_with_diagnostics& e) {
                if (e.code() != asio::error::operation_aborted) throw;
            }
            ++finished;
        }, [](std::exception_ptr e) { if (e) std::rethrow_exception(e); });

    // With the emulator: a cloud's status flips every three intervals.
    asio::steady_timer flip(ioc), stop(ioc, seconds_to_run);
    bool running = true;
    std::function<void(int)> flip_later = [&](int n) {
        flip.expires_after(3 * interval);
        flip.async_wait([&, n](boost::system::error_code ec) {
            if (ec || !running) return;
            const auto clouds = server.emulator->snapshot().iterable;
            if (!clouds.empty())
                server.emulator->set_cloud_status(clouds[0].id, n % 2 ? pieces::AllocationStatusEnum::RUNNING
                                                                      : pieces::AllocationStatusEnum::DISCONNECTED);
            flip_later(n + 1);
        });
    };
    if (server.emulator) flip_later(0);
    stop.async_wait([&](boost::system::error_code) {
        running = false;
        flip.cancel();
        const auto st = watcher->stats();
        watcher.reset();  // ends every subscriber's next()
        const auto [lo, hi] = std::minmax_element(events.begin(), events.end());
        std::size_t total = 0;
        for (auto n : events) total += n;
        std::cout << "polls made: " << st.polls << " (" << st.failed_polls << " failed)";
        if (server.emulator)
            std::cout << "; GET /allocations received: " << server.emulator->requests(pieces::testing::endpoint::snapshot);
        std::cout << "\nevents received: " << total << " in total (" << failures << " errors); per subscriber min "
                  << (events.empty() ? 0 : *lo) << ", max " << (events.empty() ? 0 : *hi) << "\n";
        if (server.emulator) server.emulator->stop();
    });
    ioc.run();
    return finished == subscribers ? 0 : 1;
}
