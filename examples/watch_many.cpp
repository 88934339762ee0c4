// Many subscribers on one allocations_watcher: one poll per interval, whatever their number, and Pieces OS's push
// (the /user/stream WebSocket) waking them all soon after a cloud changes.
// usage: watch_many [--url URL] [--subscribers N] [--seconds S] [--interval MS] [--no-push]
// Without --url an emulator runs in-process and a cloud's status flips now and then: for each flip, it prints how
// long after the change the last subscriber was woken. With --url it changes nothing and counts the events.
#include "example_server.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <iomanip>
#include <iostream>
#include <optional>
#include <string>
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

bool has_flag(int argc, char** argv, std::string_view flag) {
    for (int i = 1; i < argc; ++i)
        if (argv[i] == flag) return true;
    return false;
}

// One status flip made at the emulator, and how many subscribers have seen it.
struct change_made {
    std::chrono::steady_clock::time_point at;  // just before the change was made
    pieces::AllocationStatusEnum status = pieces::AllocationStatusEnum::UNKNOWN;
    std::uint64_t pushed_polls_before = 0;     // the watcher's count then: did a pushed poll bring the change?
    std::size_t woken = 0;
};

}  // namespace

int main(int argc, char** argv) {
    namespace asio = boost::asio;
    using namespace std::chrono;
    if (has_flag(argc, argv, "--help")) {
        std::cout << "usage: watch_many [--url URL] [--subscribers N] [--seconds S] [--interval MS] [--no-push]\n";
        return 0;
    }
    const auto subscribers = static_cast<std::size_t>(number_after(argc, argv, "--subscribers", 1000));
    const auto seconds_to_run = seconds(number_after(argc, argv, "--seconds", 2));
    const auto interval = milliseconds(number_after(argc, argv, "--interval", 200));
    const bool push = !has_flag(argc, argv, "--no-push");

    asio::io_context ioc;  // run by this thread alone: the counters below need no lock
    example::server server(ioc, argc, argv);
    pieces::client_config cfg;
    cfg.url = server.url;
    pieces::client client(ioc, cfg);
    pieces::watcher_config wc;
    wc.interval = interval;
    wc.max_backoff = std::max(wc.max_backoff, interval);
    wc.push = push;
    std::optional<pieces::allocations_watcher> watcher(std::in_place, client, wc);
    std::cout << "watching " << server.url << " with " << subscribers << " subscribers for " << seconds_to_run.count()
              << " s, polling every " << interval.count() << " ms, push " << (push ? "on" : "off") << "\n";

    // With the emulator: the cloud whose status flips, the flips made, and how many of them each subscriber saw.
    std::string flipped_id;
    if (server.emulator) flipped_id = server.emulator->snapshot().iterable.at(0).id;
    std::vector<change_made> changes;
    std::vector<std::size_t> changes_seen(subscribers, 0);
    bool running = true;  // until the stop timer: then the watcher goes
    std::size_t changes_complete = 0;
    auto shows_flip = [&](const pieces::watch_event& ev) {
        return std::any_of(ev.changes().begin(), ev.changes().end(), [&](const pieces::allocation_change& c) {
            return c.what == pieces::allocation_change::kind::cloud_status_changed && c.cloud_id == flipped_id;
        });
    };
    // A flip is made only once every subscriber saw the one before, so an event showing the flipped cloud's
    // status shows the last flip made.
    auto saw_flip = [&](std::size_t subscriber) {
        if (!running || changes.empty() || changes_seen[subscriber] == changes.size()) return;
        changes_seen[subscriber] = changes.size();
        change_made& c = changes.back();
        if (++c.woken < subscribers) return;
        const double after_ms = duration<double, std::milli>(steady_clock::now() - c.at).count();
        // "push" when a poll started by a push ran meanwhile: the one that brought the change, unless an interval
        // poll already in flight happened to bring it first.
        const bool pushed = watcher->stats().pushed_polls > c.pushed_polls_before;
        ++changes_complete;
        std::cout << "change " << changes.size() << ": last of " << subscribers << " subscribers woken " << std::fixed
                  << std::setprecision(2) << after_ms << " ms after the change (" << (pushed ? "push" : "poll")
                  << ")\n";
    };

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
                    if (!flipped_id.empty() && shows_flip(ev)) saw_flip(i);
                }
            } catch (const pieces::error_with_diagnostics& e) {
                if (e.code() != asio::error::operation_aborted) throw;
            }
            ++finished;
        }, [](std::exception_ptr e) { if (e) std::rethrow_exception(e); });

    // With the emulator: the cloud's status flips every three intervals, once the flip before was seen by all.
    asio::steady_timer flip(ioc), stop(ioc, seconds_to_run);
    std::function<void()> flip_later = [&] {
        flip.expires_after(3 * interval);
        flip.async_wait([&](boost::system::error_code ec) {
            if (ec || !running) return;
            if (changes.empty() || changes.back().woken == subscribers) {
                change_made c;
                c.status = changes.size() % 2 ? pieces::AllocationStatusEnum::RUNNING
                                              : pieces::AllocationStatusEnum::DISCONNECTED;
                c.pushed_polls_before = watcher->stats().pushed_polls;
                c.at = steady_clock::now();
                changes.push_back(c);
                server.emulator->set_cloud_status(flipped_id, c.status);
            }
            flip_later();
        });
    };
    if (server.emulator) flip_later();
    stop.async_wait([&](boost::system::error_code) {
        running = false;
        flip.cancel();
        const auto st = watcher->stats();
        watcher.reset();  // ends every subscriber's next()
        const auto [lo, hi] = std::minmax_element(events.begin(), events.end());
        std::size_t total = 0;
        for (auto n : events) total += n;
        std::cout << "polls made: " << st.polls << " (" << st.failed_polls << " failed, " << st.pushed_polls
                  << " started by a push)";
        if (server.emulator)
            std::cout << "; GET /allocations received: "
                      << server.emulator->requests(pieces::testing::endpoint::snapshot);
        if (push)
            std::cout << "\n/user/stream: " << st.streams_opened << " opened, " << st.frames << " profiles received";
        std::cout << "\nevents received: " << total << " in total (" << failures << " errors); per subscriber min "
                  << (events.empty() ? 0 : *lo) << ", max " << (events.empty() ? 0 : *hi) << "\n";
        if (server.emulator) {
            std::cout << "changes made: " << changes.size() << ", seen by all " << subscribers << " subscribers: "
                      << changes_complete << "\n";
            server.emulator->stop();
        }
    });
    ioc.run();
    return finished == subscribers ? 0 : 1;
}
