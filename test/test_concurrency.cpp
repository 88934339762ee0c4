// One client shared by coroutines on a 4-thread io_context (run under ThreadSanitizer in CI).
#include "async_test.hpp"

#include <pieces/allocations_api.hpp>
#include <pieces/allocations_watcher.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <functional>
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

TEST_CASE("a watcher on a 4-thread io_context: every subscriber sees a disconnect exactly once") {
    asio::io_context ioc(4);
    testing::emulator emu(ioc.get_executor());
    emu.seed(from_json<Allocations>(read_fixture("allocations.json")));
    client_config cfg;
    cfg.url = emu.url();
    client cli(ioc, cfg);
    watcher_config wc;
    wc.interval = std::chrono::milliseconds(20);
    wc.max_backoff = std::chrono::milliseconds(80);
    std::optional<allocations_watcher> watcher(std::in_place, cli, wc);
    const auto cloud = emu.snapshot().iterable.at(0);

    // Each subscriber's callbacks run one at a time (each asks for the next only when done), on any thread,
    // each bound to a strand of its own.
    struct sub_state {
        explicit sub_state(asio::io_context& ioc) : strand(asio::make_strand(ioc)) {}
        asio::strand<asio::io_context::executor_type> strand;  // where its callbacks run, and its reset
        watch_subscription sub;
        std::atomic<int> initial{0}, disconnects{0}, others{0};
        std::atomic<bool> ended{false};
    };
    constexpr int subscribers = 200;
    std::vector<std::unique_ptr<sub_state>> subs;
    std::atomic<int> ready{0}, seen{0};
    std::function<void(sub_state&, asio::strand<asio::io_context::executor_type>)> pump =
        [&](sub_state& s, asio::strand<asio::io_context::executor_type> strand) {
            s.sub.next(asio::bind_executor(strand, [&, strand](boost::system::error_code ec, watch_event ev) {
                if (ec) {
                    s.ended = true;
                    return;
                }
                if (ev.is_initial()) {
                    ++s.initial;
                    ++ready;
                } else {
                    for (const auto& c : ev.changes()) {
                        if (c.cloud_id == cloud.id && c.what == allocation_change::kind::cloud_status_changed) {
                            ++s.disconnects;
                            ++seen;
                        } else {
                            ++s.others;
                        }
                    }
                }
                pump(s, strand);
            }));
        };
    for (int i = 0; i < subscribers; ++i) {
        subs.push_back(std::make_unique<sub_state>(ioc));
        subs.back()->sub = watcher->subscribe();
    }
    std::vector<std::thread> threads;
    std::atomic<bool> stop{false};
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&] {
            while (!stop) ioc.run_one_for(std::chrono::milliseconds(20));
        });
    for (auto& s : subs) pump(*s, s->strand);  // from this thread, while the others run
    const auto wait_for = [&](auto pred) {
        const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        while (!pred() && std::chrono::steady_clock::now() < end) std::this_thread::yield();
        return pred();
    };
    CHECK(wait_for([&] { return ready == subscribers; }));
    const allocations_api api(cli);
    std::atomic<bool> disconnected{false}, disconnect_failed{false};
    api.allocations_disconnect_cloud(cloud, {}, [&](boost::system::error_code ec, std::string) {
        disconnect_failed = static_cast<bool>(ec);  // checked on this thread: Catch is not thread-safe
        disconnected = true;
    });
    CHECK(wait_for([&] { return seen == subscribers; }));
    const auto polls = watcher->stats().polls;
    CHECK(wait_for([&] { return watcher->stats().polls >= polls + 3; }));
    // Half the subscriptions ended on their strands while the others run the watcher; then, from this thread,
    // the watcher itself.
    for (int i = 0; i < subscribers / 2; ++i) {
        auto& s = *subs[static_cast<std::size_t>(i)];
        asio::post(s.strand, [&s] { s.sub.reset(); });
    }
    watcher.reset();
    CHECK(wait_for([&] {
        for (auto& s : subs)
            if (!s->ended) return false;
        return true;
    }));
    stop = true;
    for (auto& t : threads) t.join();
    CHECK(disconnected);
    CHECK_FALSE(disconnect_failed);
    for (auto& s : subs) {
        CHECK(s->initial == 1);
        CHECK(s->disconnects == 1);
        CHECK(s->others == 0);
    }
}

namespace {

// A subscriber whose callbacks run on a strand of its own, counting what it gets (read from the test's thread).
struct strand_subscriber {
    strand_subscriber(asio::io_context& ioc, allocations_watcher& w) : strand(asio::make_strand(ioc)), sub(w.subscribe()) {}
    void pump(const std::string& watched) {
        sub.next(asio::bind_executor(strand, [this, watched](boost::system::error_code ec, watch_event ev) {
            if (ec) return;
            if (ev.error()) ++errors;
            else if (ev.is_initial()) ++initial;
            for (const auto& c : ev.changes())
                if (c.cloud_id == watched && c.what == allocation_change::kind::cloud_status_changed) ++changes;
            pump(watched);
        }));
    }
    asio::strand<asio::io_context::executor_type> strand;
    watch_subscription sub;
    std::atomic<int> initial{0}, errors{0}, changes{0};
};

}  // namespace

TEST_CASE("a watcher on a 4-thread io_context: one poll per interval, failures to all, resumed, coalesced") {
    asio::io_context ioc(4);
    testing::emulator emu(ioc.get_executor());
    emu.seed(from_json<Allocations>(read_fixture("allocations.json")));
    client_config cfg;
    cfg.url = emu.url();
    client cli(ioc, cfg);
    watcher_config wc;
    wc.interval = std::chrono::milliseconds(20);
    wc.max_backoff = std::chrono::milliseconds(80);
    std::optional<allocations_watcher> watcher(std::in_place, cli, wc);
    const auto ids = [&] {
        std::vector<std::string> v;
        for (const auto& c : emu.snapshot().iterable) v.push_back(c.id);
        return v;
    }();

    constexpr int subscribers = 2000;
    std::vector<std::unique_ptr<strand_subscriber>> subs;
    for (int i = 0; i < subscribers; ++i) subs.push_back(std::make_unique<strand_subscriber>(ioc, *watcher));
    // One that takes its first event, then does not ask for a while.
    strand_subscriber slow(ioc, *watcher);
    std::atomic<int> slow_events{0};
    std::optional<watch_event> slow_last;  // written on slow's strand, read after slow_events says so
    const auto slow_next = [&] {
        slow.sub.next(asio::bind_executor(slow.strand, [&](boost::system::error_code ec, watch_event ev) {
            if (ec) return;
            slow_last = std::move(ev);
            ++slow_events;
        }));
    };

    std::vector<std::thread> threads;
    std::atomic<bool> stop{false};
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&] {
            while (!stop) ioc.run_one_for(std::chrono::milliseconds(20));
        });
    const auto wait_for = [&](auto pred) {
        const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        while (!pred() && std::chrono::steady_clock::now() < end) std::this_thread::yield();
        return pred();
    };
    const auto all = [&](auto pred) {
        return [&, pred] {
            for (auto& s : subs)
                if (!pred(*s)) return false;
            return true;
        };
    };
    const auto start = std::chrono::steady_clock::now();
    for (auto& s : subs) s->pump(ids[1]);
    slow_next();
    CHECK(wait_for(all([](strand_subscriber& s) { return s.initial == 1; })));
    CHECK(wait_for([&] { return slow_events == 1; }));

    // One request per interval, whatever the number of subscribers.
    CHECK(wait_for([&] { return watcher->stats().polls >= 6; }));
    const auto polls = watcher->stats().polls;
    const auto requests = emu.requests(testing::endpoint::snapshot);
    CHECK(requests >= polls);
    CHECK(requests <= polls + 1);
    CHECK(std::chrono::steady_clock::now() - start >= 5 * wc.interval);

    // A failing poll reaches every subscriber; once the server answers again, the next change is seen by all.
    testing::fault broken;
    broken.status = 500;
    emu.set_fault(testing::endpoint::snapshot, broken);
    CHECK(wait_for(all([](strand_subscriber& s) { return s.errors >= 1; })));
    emu.clear_faults();
    emu.set_cloud_status(ids[1], AllocationStatusEnum::FAILED);
    CHECK(wait_for(all([](strand_subscriber& s) { return s.changes == 1; })));
    emu.set_cloud_status(ids[2], AllocationStatusEnum::RUNNING);
    const auto polls_after = watcher->stats().polls;
    CHECK(wait_for([&] { return watcher->stats().polls >= polls_after + 2; }));

    // The slow one missed a failure (now stale) and two changes: one event, both changes, no error.
    slow_next();
    CHECK(wait_for([&] { return slow_events == 2; }));
    std::vector<allocation_change> combined;
    asio::post(slow.strand, [&] { combined = slow_last->changes(); ++slow_events; });
    CHECK(wait_for([&] { return slow_events == 3; }));
    CHECK(combined.size() == 2);  // (not REQUIRE: the threads must still be stopped below)
    if (combined.size() == 2) {
        CHECK((combined[0].cloud_id == ids[1] && combined[0].status_after == AllocationStatusEnum::FAILED));
        CHECK((combined[1].cloud_id == ids[2] && combined[1].status_after == AllocationStatusEnum::RUNNING));
    }

    watcher.reset();
    stop = true;
    for (auto& t : threads) t.join();
    for (auto& s : subs) CHECK(s->changes == 1);
}
