// One client shared by coroutines on a 4-thread io_context, over plain HTTP and over TLS (run under
// ThreadSanitizer in CI).
#include "async_test.hpp"

#include <pieces/allocations_api.hpp>
#include <pieces/allocations_watcher.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <thread>

using namespace pieces;
using namespace pieces_test;

TEST_CASE("many pollers on a 4-thread io_context share one client") {
#if PIECES_WITH_TLS
    const bool tls = GENERATE(false, true);  // and its TLS connections, each used from any of the threads
#else
    const bool tls = false;  // built without TLS (PIECES_WITH_TLS=OFF)
#endif
    INFO((tls ? "over TLS" : "over plain HTTP"));
    asio::io_context ioc(4);
    testing::emulator emu(ioc.get_executor(), tls ? serving_tls() : testing::emulator_options{});
    emu.seed(from_json<Allocations>(read_fixture("allocations.json")));
    client_config cfg;
    cfg.url = emu.url();
    cfg.tls.ca_file = PIECES_TEST_CERTS_DIR "/ca.pem";
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

namespace {

// A watcher polling every 20 ms, with its client and emulator, on a 4-thread io_context that four threads run
// from `start_threads()` until `stop_threads()` (or the end).
struct threaded_watcher {
    explicit threaded_watcher(std::chrono::milliseconds interval = std::chrono::milliseconds(20))
        : emu(ioc.get_executor()) {
        emu.seed(from_json<Allocations>(read_fixture("allocations.json")));
        client_config cfg;
        cfg.url = emu.url();
        cli.emplace(ioc, cfg);
        wc.interval = interval;
        wc.max_backoff = 4 * interval;
        watcher.emplace(*cli, wc);
    }
    ~threaded_watcher() { stop_threads(); }

    void start_threads() {
        for (int t = 0; t < 4; ++t)
            threads.emplace_back([this] {
                while (!stop) ioc.run_one_for(std::chrono::milliseconds(20));
            });
    }
    void stop_threads() {
        stop = true;
        for (auto& t : threads) t.join();
        threads.clear();
    }
    // Waits (on this thread, the others running) until `pred()` holds, 20 s at most.
    template <class Pred>
    static bool wait_for(Pred pred) {
        const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        while (!pred() && std::chrono::steady_clock::now() < end) std::this_thread::yield();
        return pred();
    }

    asio::io_context ioc{4};
    testing::emulator emu;
    std::optional<client> cli;
    watcher_config wc;
    std::optional<allocations_watcher> watcher;
    std::vector<std::thread> threads;
    std::atomic<bool> stop{false};
};

// A subscriber whose callbacks run one at a time (each asks for the next only when done), on a strand of its own,
// counting what it gets (read from the test's thread): the status changes of the cloud it watches, and any other.
struct strand_subscriber {
    strand_subscriber(asio::io_context& ioc, allocations_watcher& w) : strand(asio::make_strand(ioc)), sub(w.subscribe()) {}
    void pump(const std::string& watched) {
        sub.next(asio::bind_executor(strand, [this, watched](boost::system::error_code ec, watch_event ev) {
            if (ec) {
                ended = true;
                return;
            }
            if (ev.error()) ++errors;
            else if (ev.is_initial()) ++initial;
            else
                for (const auto& c : ev.changes())
                    ++(c.cloud_id == watched && c.what == allocation_change::kind::cloud_status_changed ? changes : others);
            pump(watched);
        }));
    }
    asio::strand<asio::io_context::executor_type> strand;  // where its callbacks run, and its reset
    watch_subscription sub;
    std::atomic<int> initial{0}, errors{0}, changes{0}, others{0};
    std::atomic<bool> ended{false};
};

using subscribers = std::vector<std::unique_ptr<strand_subscriber>>;

subscribers subscribe(threaded_watcher& f, int n) {
    subscribers subs;
    for (int i = 0; i < n; ++i) subs.push_back(std::make_unique<strand_subscriber>(f.ioc, *f.watcher));
    return subs;
}

// A condition on every subscriber, for wait_for.
template <class Pred>
auto every(const subscribers& subs, Pred pred) {
    return [&subs, pred] {
        for (auto& s : subs)
            if (!pred(*s)) return false;
        return true;
    };
}

}  // namespace

TEST_CASE("a watcher on a 4-thread io_context: every subscriber sees a disconnect exactly once") {
    threaded_watcher f;
    const auto cloud = f.emu.snapshot().iterable.at(0);
    auto subs = subscribe(f, 200);
    f.start_threads();
    for (auto& s : subs) s->pump(cloud.id);  // from this thread, while the others run
    CHECK(f.wait_for(every(subs, [](strand_subscriber& s) { return s.initial == 1; })));
    const allocations_api api(*f.cli);
    std::atomic<bool> disconnected{false}, disconnect_failed{false};
    api.allocations_disconnect_cloud(cloud, {}, [&](boost::system::error_code ec, std::string) {
        disconnect_failed = static_cast<bool>(ec);  // checked on this thread: Catch is not thread-safe
        disconnected = true;
    });
    CHECK(f.wait_for(every(subs, [](strand_subscriber& s) { return s.changes == 1; })));
    const auto polls = f.watcher->stats().polls;
    CHECK(f.wait_for([&] { return f.watcher->stats().polls >= polls + 3; }));
    // Half the subscriptions ended on their strands while the others run the watcher; then, from this thread,
    // the watcher itself.
    for (std::size_t i = 0; i < subs.size() / 2; ++i) {
        auto& s = *subs[i];
        asio::post(s.strand, [&s] { s.sub.reset(); });
    }
    f.watcher.reset();
    CHECK(f.wait_for(every(subs, [](strand_subscriber& s) { return s.ended.load(); })));
    f.stop_threads();
    CHECK(disconnected);
    CHECK_FALSE(disconnect_failed);
    for (auto& s : subs) {
        CHECK(s->initial == 1);
        CHECK(s->changes == 1);
        CHECK(s->others == 0);
    }
}

TEST_CASE("a watcher on a 4-thread io_context with push: changes pushed reach every subscriber exactly once, "
          "with one poll each, while subscriptions end and the stream drops") {
    threaded_watcher f(std::chrono::milliseconds(5000));  // only a push can bring a change in time
    const auto cloud = f.emu.snapshot().iterable.at(0);
    auto subs = subscribe(f, 200);
    f.start_threads();
    for (auto& s : subs) s->pump(cloud.id);
    CHECK(f.wait_for(every(subs, [](strand_subscriber& s) { return s.initial == 1; })));
    CHECK(f.wait_for([&] { return f.watcher->stats().stream_open; }));
    const auto gets = f.emu.requests(testing::endpoint::snapshot);
    // Three changes, each seen by all before the next; the stream dropped after the second one.
    for (int i = 1; i <= 3; ++i) {
        f.emu.set_cloud_status(cloud.id, i % 2 ? AllocationStatusEnum::FAILED : AllocationStatusEnum::RUNNING);
        CHECK(f.wait_for(every(subs, [i](strand_subscriber& s) { return s.changes == i; })));
        if (i == 2) {
            f.emu.drop_user_streams();
            CHECK(f.wait_for([&] { return !f.watcher->stats().stream_open; }));
            // Back after the backoff (5 to 10 s here): the third change waits for the interval poll otherwise.
            CHECK(f.wait_for([&] { return f.watcher->stats().streams_opened == 2; }));
        }
    }
    const auto st = f.watcher->stats();
    CHECK(st.pushed_polls >= 3);
    // One GET per change, and whatever interval polls the 5 s of the reconnection let in.
    CHECK(f.emu.requests(testing::endpoint::snapshot) >= gets + 3);
    CHECK(f.emu.requests(testing::endpoint::snapshot) <= gets + 3 + 3);
    for (std::size_t i = 0; i < subs.size() / 2; ++i) {
        auto& s = *subs[i];
        asio::post(s.strand, [&s] { s.sub.reset(); });
    }
    f.watcher.reset();
    CHECK(f.wait_for(every(subs, [](strand_subscriber& s) { return s.ended.load(); })));
    f.stop_threads();
    for (auto& s : subs) {
        CHECK(s->initial == 1);
        CHECK(s->changes == 3);
        CHECK(s->others == 0);
        CHECK(s->errors == 0);
    }
}

TEST_CASE("a watcher on a 4-thread io_context: one poll per interval, failures to all, resumed, coalesced") {
    threaded_watcher f;
    const auto ids = [&] {
        std::vector<std::string> v;
        for (const auto& c : f.emu.snapshot().iterable) v.push_back(c.id);
        return v;
    }();
    auto subs = subscribe(f, 2000);
    // One that takes its first event, then does not ask for a while.
    strand_subscriber slow(f.ioc, *f.watcher);
    std::atomic<int> slow_events{0};
    std::optional<watch_event> slow_last;  // written on slow's strand, read after slow_events says so
    const auto slow_next = [&] {
        slow.sub.next(asio::bind_executor(slow.strand, [&](boost::system::error_code ec, watch_event ev) {
            if (ec) return;
            slow_last = std::move(ev);
            ++slow_events;
        }));
    };

    f.start_threads();
    const auto start = std::chrono::steady_clock::now();
    for (auto& s : subs) s->pump(ids[1]);
    slow_next();
    CHECK(f.wait_for(every(subs, [](strand_subscriber& s) { return s.initial == 1; })));
    CHECK(f.wait_for([&] { return slow_events == 1; }));

    // One request per interval, whatever the number of subscribers.
    CHECK(f.wait_for([&] { return f.watcher->stats().polls >= 6; }));
    const auto polls = f.watcher->stats().polls;
    const auto requests = f.emu.requests(testing::endpoint::snapshot);
    CHECK(requests >= polls);
    CHECK(requests <= polls + 1);
    CHECK(std::chrono::steady_clock::now() - start >= 5 * f.wc.interval);

    // A failing poll reaches every subscriber; once the server answers again, the next change is seen by all.
    testing::fault broken;
    broken.status = 500;
    f.emu.set_fault(testing::endpoint::snapshot, broken);
    CHECK(f.wait_for(every(subs, [](strand_subscriber& s) { return s.errors >= 1; })));
    f.emu.clear_faults();
    f.emu.set_cloud_status(ids[1], AllocationStatusEnum::FAILED);
    CHECK(f.wait_for(every(subs, [](strand_subscriber& s) { return s.changes == 1; })));
    f.emu.set_cloud_status(ids[2], AllocationStatusEnum::RUNNING);
    const auto polls_after = f.watcher->stats().polls;
    CHECK(f.wait_for([&] { return f.watcher->stats().polls >= polls_after + 2; }));

    // The slow one missed a failure (now stale) and two changes: one event, both changes, no error.
    slow_next();
    CHECK(f.wait_for([&] { return slow_events == 2; }));
    std::vector<allocation_change> combined;
    asio::post(slow.strand, [&] { combined = slow_last->changes(); ++slow_events; });
    CHECK(f.wait_for([&] { return slow_events == 3; }));
    CHECK(combined.size() == 2);  // (not REQUIRE: the threads must still be stopped below)
    if (combined.size() == 2) {
        CHECK((combined[0].cloud_id == ids[1] && combined[0].status_after == AllocationStatusEnum::FAILED));
        CHECK((combined[1].cloud_id == ids[2] && combined[1].status_after == AllocationStatusEnum::RUNNING));
    }

    f.watcher.reset();
    f.stop_threads();
    for (auto& s : subs) CHECK(s->changes == 1);
}
