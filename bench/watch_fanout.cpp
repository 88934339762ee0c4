// The watcher's fan-out: N coroutine subscribers on one allocations_watcher, against a server (the emulator
// process bench/run.sh starts). Prints, for one mode:
//   watcher  requests to the server per interval, RSS per subscriber (all of them waiting in next()), and the time
//            from a poll's reply (watch_event::polled_at) to the last subscriber woken, p50 and p99 over K changes
//            (each change made through the API, one per poll).
//   loops    the yardstick without a watcher: N coroutines each polling every interval on one client; requests
//            per interval and RSS per poller.
//   timers   the floor for waking: N coroutines each waiting on its own steady_timer, all cancelled at once, K
//            times; RSS per waiter and the time to the last one resumed.
//   change   N subscribers on one watcher, with Pieces OS's push (--push on: the watcher holds /user/stream) or
//            polling only (--push off): the time from a change made through the API (taken just before the
//            request) to the last subscriber woken, p50 and p99 over K changes, and the watcher's polls per change.
// usage: watch_fanout --url URL --mode watcher|loops|timers|change [--subscribers N] [--interval MS] [--changes K]
//                     [--push on|off]
#include <pieces/pieces.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

namespace asio = boost::asio;
using clock_type = std::chrono::steady_clock;

long resident_bytes() {
    std::ifstream statm("/proc/self/statm");
    long size = 0, resident = 0;
    statm >> size >> resident;
    return resident * sysconf(_SC_PAGESIZE);
}

double percentile(std::vector<double> v, double p) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    const auto i = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
    return v[std::min(i, v.size() - 1)];
}

// A coroutine's end: what it threw ends the benchmark.
void rethrow(std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
}

double ms(clock_type::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

// Runs the io_context until `done()`, failing after `limit`.
template <class Pred>
bool run_until(asio::io_context& ioc, Pred done, std::chrono::seconds limit = std::chrono::seconds(120)) {
    const auto end = clock_type::now() + limit;
    ioc.restart();  // a phase may have ended with nothing left to run, which stops the io_context
    while (!done()) {
        if (clock_type::now() > end) return false;
        ioc.run_one_for(std::chrono::milliseconds(50));
    }
    return true;
}

struct options {
    std::string url, mode;
    std::size_t subscribers = 10'000, changes = 20;
    std::chrono::milliseconds interval{1000};
    bool push = true;  // change mode: the watcher's push on or off
};

// The server's first cloud, the one the changes flip.
pieces::AllocationCloud first_cloud(asio::io_context& ioc, const pieces::allocations_api& api) {
    std::optional<pieces::AllocationCloud> c;
    asio::co_spawn(ioc, api.allocations_snapshot(), [&](std::exception_ptr e, pieces::Allocations all) {
        if (e) std::rethrow_exception(e);
        c = all.iterable.at(0);
    });
    run_until(ioc, [&] { return c.has_value(); });
    return *c;
}

int watcher_mode(const options& o) {
    asio::io_context ioc(1);
    pieces::client_config cfg;
    cfg.url = o.url;
    pieces::client client(ioc, cfg);
    const pieces::allocations_api api(client);
    const auto cloud = first_cloud(ioc, api);
    pieces::watcher_config wc;
    wc.interval = o.interval;
    wc.max_backoff = std::max(wc.max_backoff, o.interval);
    wc.push = false;  // the fan-out of the interval poll: each change waits for it, one poll per change (see change)

    const long rss_before = resident_bytes();
    std::optional<pieces::allocations_watcher> watcher(std::in_place, client, wc);
    std::size_t woken = 0, ended = 0;
    clock_type::duration slowest{};  // of the current change: its last subscriber's delay
    for (std::size_t i = 0; i < o.subscribers; ++i)
        asio::co_spawn(ioc, [&, sub = watcher->subscribe()]() mutable -> asio::awaitable<void> {
            try {
                for (;;) {
                    const auto ev = co_await sub.next();
                    slowest = std::max(slowest, clock_type::now() - ev.polled_at());
                    ++woken;
                }
            } catch (const pieces::error_with_diagnostics&) {
            }
            ++ended;
        }, rethrow);
    if (!run_until(ioc, [&] { return woken == o.subscribers; })) return 1;
    ioc.poll();  // every subscriber back in next()
    const long rss_per_subscriber = (resident_bytes() - rss_before) / static_cast<long>(o.subscribers);

    std::vector<double> wake_ms;
    const auto start = clock_type::now();
    const auto polls_before = watcher->stats().polls;
    for (std::size_t k = 0; k < o.changes; ++k) {
        woken = 0;
        slowest = {};
        std::optional<bool> changed;
        auto flip = [&]() -> asio::awaitable<void> {
            if (k % 2 == 0) (void)co_await api.allocations_disconnect_cloud(cloud);
            else (void)co_await api.allocations_reconnect_cloud(cloud);
        };
        asio::co_spawn(ioc, flip(), [&](std::exception_ptr e) { changed = !e; });
        if (!run_until(ioc, [&] { return changed.has_value() && woken == o.subscribers; })) return 1;
        wake_ms.push_back(ms(slowest));
    }
    const double intervals = std::chrono::duration<double>(clock_type::now() - start) / o.interval;
    const double polls = static_cast<double>(watcher->stats().polls - polls_before);
    watcher.reset();
    run_until(ioc, [&] { return ended == o.subscribers; });
    std::printf("watcher,%zu,%.2f,%ld,%.2f,%.2f\n", o.subscribers, polls / intervals, rss_per_subscriber,
                percentile(wake_ms, 0.5), percentile(wake_ms, 0.99));
    return 0;
}

// With push, change k + 1 is made interval/10 after every subscriber saw change k, so the K changes span a few
// interval polls. Polling only, a change waits for the next interval poll: change k is made (k + 0.5)/K of an
// interval after the poll that brought the one before, so the K changes sample the interval evenly (each takes
// one interval: K intervals in all).
int change_mode(const options& o) {
    asio::io_context ioc(1);
    pieces::client_config cfg;
    cfg.url = o.url;
    pieces::client client(ioc, cfg);
    const pieces::allocations_api api(client);
    const auto cloud = first_cloud(ioc, api);
    // The flips alternate from the cloud's status now, so that each one is a change.
    const bool starts_disconnected = cloud.status.cloud == pieces::AllocationStatusEnum::DISCONNECTED;
    pieces::watcher_config wc;
    wc.interval = o.interval;
    wc.max_backoff = std::max(wc.max_backoff, o.interval);
    wc.push = o.push;

    std::optional<pieces::allocations_watcher> watcher(std::in_place, client, wc);
    std::size_t initial = 0, woken = 0, ended = 0;
    clock_type::time_point changed_at{};  // of the current change
    clock_type::duration slowest{};  // of the current change: its last subscriber's delay
    for (std::size_t i = 0; i < o.subscribers; ++i)
        asio::co_spawn(ioc, [&, sub = watcher->subscribe()]() mutable -> asio::awaitable<void> {
            try {
                for (;;) {
                    const auto ev = co_await sub.next();
                    if (ev.is_initial()) ++initial;
                    if (ev.is_initial() || ev.error()) continue;  // only the flips change anything
                    slowest = std::max(slowest, clock_type::now() - changed_at);
                    ++woken;
                }
            } catch (const pieces::error_with_diagnostics&) {
            }
            ++ended;
        }, rethrow);
    if (!run_until(ioc, [&] { return initial == o.subscribers; })) return 1;
    if (o.push) {
        if (!run_until(ioc, [&] { return watcher->stats().stream_open; }, std::chrono::seconds(30))) {
            std::cerr << "watch_fanout: the watcher's /user/stream did not open within 30 s\n";
            return 1;
        }
        // A poll the stream's first profile may have started ends before the polls are counted.
        const auto settled = clock_type::now() + std::chrono::milliseconds(200);
        run_until(ioc, [&] { return clock_type::now() >= settled; });
    }

    std::vector<double> wake_ms;
    const auto before = watcher->stats();
    for (std::size_t k = 0; k < o.changes; ++k) {
        const auto pause = o.push ? std::chrono::duration<double, std::milli>(o.interval) / 10
                                  : std::chrono::duration<double, std::milli>(o.interval) *
                                        ((static_cast<double>(k) + 0.5) / static_cast<double>(o.changes));
        woken = 0;
        slowest = {};
        std::optional<bool> changed;
        auto flip = [&]() -> asio::awaitable<void> {
            asio::steady_timer t(co_await asio::this_coro::executor,
                                 std::chrono::duration_cast<clock_type::duration>(pause));
            co_await t.async_wait(asio::use_awaitable);
            changed_at = clock_type::now();  // just before the request that makes the change
            if ((k % 2 == 0) != starts_disconnected) (void)co_await api.allocations_disconnect_cloud(cloud);
            else (void)co_await api.allocations_reconnect_cloud(cloud);
        };
        asio::co_spawn(ioc, flip(), [&](std::exception_ptr e) { changed = !e; });
        if (!run_until(ioc, [&] { return changed.has_value() && woken == o.subscribers; }) || !*changed) {
            std::cerr << "watch_fanout: change " << k << (changed.value_or(true) ? " was not seen by all" : " failed")
                      << "\n";
            return 1;
        }
        wake_ms.push_back(ms(slowest));
    }
    const auto after = watcher->stats();
    watcher.reset();
    run_until(ioc, [&] { return ended == o.subscribers; });
    const auto changes = static_cast<double>(o.changes);
    std::printf("%s,%zu,%.2f,%.2f,%.2f,%.2f\n", o.push ? "push" : "poll", o.subscribers, percentile(wake_ms, 0.5),
                percentile(wake_ms, 0.99), static_cast<double>(after.polls - before.polls) / changes,
                static_cast<double>(after.pushed_polls - before.pushed_polls) / changes);
    return 0;
}

int loops_mode(const options& o) {
    asio::io_context ioc(1);
    pieces::client_config cfg;
    cfg.url = o.url;
    cfg.request_timeout = std::chrono::seconds(120);
    pieces::client client(ioc, cfg);
    const pieces::allocations_api api(client);
    const long rss_before = resident_bytes();
    std::size_t requests = 0, ended = 0;
    bool stop = false;
    long rss_per_poller = 0;
    for (std::size_t i = 0; i < o.subscribers; ++i)
        asio::co_spawn(ioc, [&]() -> asio::awaitable<void> {
            asio::steady_timer t(co_await asio::this_coro::executor);
            while (!stop) {
                t.expires_after(o.interval);
                auto [ec, all] = co_await api.allocations_snapshot({}, asio::as_tuple(asio::use_awaitable));
                ++requests;
                co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
            }
            ++ended;
        }, rethrow);
    // RSS with every poller's first request pending; then three intervals, counting the requests made.
    run_until(ioc, [&] {
        const auto st = client.stats();
        return requests + st.requests_waiting + st.requests_in_flight >= o.subscribers;
    });
    rss_per_poller = (resident_bytes() - rss_before) / static_cast<long>(o.subscribers);
    const auto start = clock_type::now();
    run_until(ioc, [&] { return clock_type::now() - start >= 3 * o.interval; });
    const double intervals = std::chrono::duration<double>(clock_type::now() - start) / o.interval;
    const double per_interval = static_cast<double>(requests) / intervals;
    stop = true;
    run_until(ioc, [&] { return ended == o.subscribers; });
    std::printf("loops,%zu,%.2f,%ld,,\n", o.subscribers, per_interval, rss_per_poller);
    return 0;
}

int timers_mode(const options& o) {
    asio::io_context ioc(1);
    const long rss_before = resident_bytes();
    std::vector<std::unique_ptr<asio::steady_timer>> timers;
    std::size_t woken = 0, waiting = 0;
    bool stop = false;
    clock_type::time_point fired{};
    clock_type::duration slowest{};
    for (std::size_t i = 0; i < o.subscribers; ++i) {
        timers.push_back(std::make_unique<asio::steady_timer>(ioc, clock_type::time_point::max()));
        asio::co_spawn(ioc, [&, t = timers.back().get()]() -> asio::awaitable<void> {
            while (!stop) {
                ++waiting;
                t->expires_at(clock_type::time_point::max());
                co_await t->async_wait(asio::as_tuple(asio::use_awaitable));
                slowest = std::max(slowest, clock_type::now() - fired);
                ++woken;
            }
        }, rethrow);
    }
    run_until(ioc, [&] { return waiting == o.subscribers; });
    const long rss_per_waiter = (resident_bytes() - rss_before) / static_cast<long>(o.subscribers);
    std::vector<double> wake_ms;
    for (std::size_t k = 0; k < o.changes; ++k) {
        woken = 0;
        waiting = 0;
        slowest = {};
        fired = clock_type::now();
        for (auto& t : timers) t->cancel();
        run_until(ioc, [&] { return woken == o.subscribers && waiting == o.subscribers; });
        wake_ms.push_back(ms(slowest));
    }
    stop = true;
    for (auto& t : timers) t->cancel();
    ioc.run();
    std::printf("timers,%zu,,%ld,%.2f,%.2f\n", o.subscribers, rss_per_waiter, percentile(wake_ms, 0.5),
                percentile(wake_ms, 0.99));
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    options o;
    bool bad_usage = argc % 2 == 0;  // flags come in pairs: FLAG VALUE
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string_view a = argv[i];
        const std::string v = argv[i + 1];
        if (a == "--url") o.url = v;
        else if (a == "--mode") o.mode = v;
        else if (a == "--subscribers") o.subscribers = std::stoul(v);
        else if (a == "--interval") o.interval = std::chrono::milliseconds(std::stol(v));
        else if (a == "--changes") o.changes = std::stoul(v);
        else if (a == "--push" && (v == "on" || v == "off")) o.push = v == "on";
        else bad_usage = true;
    }
    if (!bad_usage && o.mode == "timers") return timers_mode(o);
    if (bad_usage || o.url.empty() || o.changes == 0 ||
        (o.mode != "watcher" && o.mode != "loops" && o.mode != "change")) {
        std::cerr << "usage: watch_fanout --url URL --mode watcher|loops|timers|change [--subscribers N] "
                     "[--interval MS] [--changes K] [--push on|off]\n";
        return 2;
    }
    if (o.mode == "change") return change_mode(o);
    return o.mode == "watcher" ? watcher_mode(o) : loops_mode(o);
}
