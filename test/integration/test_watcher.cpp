// The watcher against the emulator: one request per interval whatever the number of subscribers, every change
// seen once by every subscriber, a slow subscriber's coalesced event, failed polls as events and recovery,
// cancellation and the ends of subscriptions and watchers (one that ends before its add has run), handlers that
// throw, and subscriptions that come and go faster than the server answers.
#include "async_test.hpp"

#include <pieces/allocations_api.hpp>
#include <pieces/allocations_watcher.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/strand.hpp>

#include <exception>
#include <memory>
#include <stdexcept>
#include <thread>

using namespace pieces;
using namespace pieces_test;
using testing::endpoint;
using testing::fault;
using boost::system::error_code;
using kind = allocation_change::kind;

namespace {

// Takes every event as it comes (a callback that asks for the next one).
struct subscriber {
    explicit subscriber(allocations_watcher& w) : sub(w.subscribe()) {}
    void pump() {
        sub.next([this](error_code ec, watch_event ev) {
            if (ec) {
                ended = ec;
                return;
            }
            events.push_back(std::move(ev));
            pump();
        });
    }
    std::size_t changes_of(kind k, const std::string& cloud) const {
        std::size_t n = 0;
        for (const auto& ev : events)
            for (const auto& c : ev.changes()) n += c.what == k && c.cloud_id == cloud;
        return n;
    }
    std::size_t errors() const {
        std::size_t n = 0;
        for (const auto& ev : events) n += static_cast<bool>(ev.error());
        return n;
    }
    watch_subscription sub;
    std::vector<watch_event> events;
    error_code ended;
};

std::vector<std::unique_ptr<subscriber>> subscribe_many(allocations_watcher& w, std::size_t n) {
    std::vector<std::unique_ptr<subscriber>> subs;
    for (std::size_t i = 0; i < n; ++i) {
        subs.push_back(std::make_unique<subscriber>(w));
        subs.back()->pump();
    }
    return subs;
}

template <class Pred>
bool all_of(const std::vector<std::unique_ptr<subscriber>>& subs, Pred p) {
    for (const auto& s : subs)
        if (!p(*s)) return false;
    return true;
}

watcher_config every(std::chrono::milliseconds interval) {
    watcher_config cfg;
    cfg.interval = interval;
    cfg.max_backoff = 4 * interval;
    return cfg;
}

void disconnect(emulator_fixture& f, const AllocationCloud& cloud) {
    const allocations_api api(*f.cli);
    run(f.ioc, [&]() -> asio::awaitable<void> { (void)co_await api.allocations_disconnect_cloud(cloud); }());
}

struct boom : std::runtime_error {
    boom() : std::runtime_error("a subscriber's handler threw") {}
};

// Takes every event, as a plain callback or bound to a strand of its own. One that throws does it from each of
// its handlers, after asking for the next event (so that it is among those woken by every poll).
struct taker {
    using strand_type = asio::strand<asio::io_context::executor_type>;
    taker(allocations_watcher& w, bool throws_, std::optional<strand_type> on = std::nullopt)
        : sub(w.subscribe()), throws(throws_), strand(std::move(on)) {}
    void pump() {
        auto h = [this](error_code ec, watch_event ev) {
            if (ec) return;
            events.push_back(std::move(ev));
            pump();
            if (throws) throw boom();
        };
        if (strand) sub.next(asio::bind_executor(*strand, std::move(h)));
        else sub.next(std::move(h));
    }
    watch_subscription sub;
    bool throws;
    std::optional<strand_type> strand;
    std::vector<watch_event> events;
};

// A coroutine subscriber: takes two events, then returns or throws.
asio::awaitable<void> take_two(watch_subscription& sub, std::vector<watch_event>& got, bool then_throw) {
    while (got.size() < 2) got.push_back(co_await sub.next());
    if (then_throw) throw boom();
}

// As run_until, but an exception that leaves the io_context (a handler's: Asio lets it out of run()) is counted.
template <class Pred>
void run_until_counting_throws(asio::io_context& ioc, Pred done, int& escaped) {
    const auto end = std::chrono::steady_clock::now() + 20s;
    ioc.restart();
    while (!done()) {
        if (std::chrono::steady_clock::now() > end) FAIL("timed out waiting for the io_context");
        try {
            ioc.run_one_for(50ms);
        } catch (...) {
            ++escaped;
        }
    }
}

}  // namespace

TEST_CASE("watcher: one GET /allocations per interval, with 1 and with 10,000 subscribers") {
    for (std::size_t n : {std::size_t{1}, std::size_t{10'000}}) {
        emulator_fixture f;
        allocations_watcher w(*f.cli, every(50ms));
        const auto start = std::chrono::steady_clock::now();
        auto subs = subscribe_many(w, n);
        run_until(f.ioc, [&] { return w.stats().polls >= 6; });
        const auto elapsed = ms_since(start);
        const auto polls = w.stats().polls;
        const auto requests = f.emu.requests(endpoint::snapshot);
        CHECK(requests >= polls);
        CHECK(requests <= polls + 1);  // one may be on its way
        CHECK(elapsed >= 5 * 50 - 5);  // 6 polls: 5 intervals at least
        CHECK(w.stats().subscribers == n);
        CHECK(all_of(subs, [](const subscriber& s) { return s.events.size() == 1 && s.events[0].is_initial(); }));
        CHECK(w.stats().events == n);
        CHECK(subs[0]->events[0].changes().size() == 3);
    }
}

TEST_CASE("watcher: a cloud disconnected through the API is seen by every subscriber exactly once") {
    emulator_fixture f;
    allocations_watcher w(*f.cli, every(30ms));
    auto subs = subscribe_many(w, 1000);
    run_until(f.ioc, [&] { return all_of(subs, [](const subscriber& s) { return s.events.size() == 1; }); });
    const auto cloud = f.emu.snapshot().iterable.at(0);
    disconnect(f, cloud);
    run_until(f.ioc, [&] { return all_of(subs, [](const subscriber& s) { return s.events.size() == 2; }); });
    const auto polls = w.stats().polls;
    run_until(f.ioc, [&] { return w.stats().polls >= polls + 3; });  // more polls bring nothing more
    CHECK(all_of(subs, [&](const subscriber& s) {
        return s.events.size() == 2 && s.events[1].changes().size() == 1 &&
               s.changes_of(kind::cloud_status_changed, cloud.id) == 1 &&
               s.events[1].changes()[0].status_after == AllocationStatusEnum::DISCONNECTED;
    }));
}

TEST_CASE("watcher: a subscriber that does not ask for ten intervals gets one event with the changes combined") {
    emulator_fixture f;
    allocations_watcher w(*f.cli, every(20ms));
    subscriber pacer(w);
    pacer.pump();
    subscriber slow(w);
    std::optional<watch_event> got;
    slow.sub.next([&](error_code, watch_event ev) { got = std::move(ev); });
    run_until(f.ioc, [&] { return got && pacer.events.size() == 1; });
    const auto ids = [&] {
        std::vector<std::string> v;
        for (const auto& c : f.emu.snapshot().iterable) v.push_back(c.id);
        return v;
    }();
    // Ten intervals, a change in most: cloud 0 fails then comes back (no net change), cloud 1 and 2 change.
    for (int i = 1; i <= 10; ++i) {
        if (i == 2) f.emu.set_cloud_status(ids[0], AllocationStatusEnum::FAILED);
        if (i == 3) f.emu.set_cloud_status(ids[1], AllocationStatusEnum::DISCONNECTED);
        if (i == 6) f.emu.set_cloud_status(ids[0], got->snapshot().iterable[0].status.cloud.value());
        if (i == 8) f.emu.set_cloud_status(ids[2], AllocationStatusEnum::FAILED);
        const auto polls = w.stats().polls;
        run_until(f.ioc, [&] { return w.stats().polls > polls; });
    }
    got.reset();
    slow.sub.next([&](error_code, watch_event ev) { got = std::move(ev); });
    run_until(f.ioc, [&] { return got.has_value(); });
    REQUIRE(got->changes().size() == 2);
    CHECK(got->changes()[0].cloud_id == ids[1]);
    CHECK(got->changes()[0].status_after == AllocationStatusEnum::DISCONNECTED);
    CHECK(got->changes()[1].cloud_id == ids[2]);
    CHECK(got->changes()[1].status_after == AllocationStatusEnum::FAILED);
    CHECK(pacer.changes_of(kind::cloud_status_changed, ids[0]) == 2);  // the pacer saw both of cloud 0's
}

TEST_CASE("watcher: a failed poll reaches every subscriber as an error event, and polling resumes") {
    SECTION("500") {
        emulator_fixture f;
        allocations_watcher w(*f.cli, every(20ms));
        auto subs = subscribe_many(w, 50);
        run_until(f.ioc, [&] { return all_of(subs, [](const subscriber& s) { return s.events.size() == 1; }); });
        fault broken;
        broken.status = 500;
        broken.body = "boom";
        f.emu.set_fault(endpoint::snapshot, broken);
        run_until(f.ioc, [&] { return all_of(subs, [](const subscriber& s) { return s.errors() >= 1; }); });
        CHECK(subs[0]->events[1].error() == errc::internal_server_error);
        CHECK(subs[0]->events[1].error_diagnostics().server_message() == "boom");
        CHECK(w.stats().failed_polls >= 1);
        f.emu.clear_faults();
        const auto id = f.emu.snapshot().iterable.at(1).id;
        f.emu.set_cloud_status(id, AllocationStatusEnum::FAILED);
        run_until(f.ioc, [&] {
            return all_of(subs, [&](const subscriber& s) { return s.changes_of(kind::cloud_status_changed, id) == 1; });
        });
    }
    SECTION("timeout") {
        emulator_fixture f;
        auto cfg = every(20ms);
        cfg.poll_timeout = 100ms;
        allocations_watcher w(*f.cli, cfg);
        auto subs = subscribe_many(w, 20);
        run_until(f.ioc, [&] { return all_of(subs, [](const subscriber& s) { return s.events.size() == 1; }); });
        fault slow;
        slow.latency = 2s;
        f.emu.set_fault(endpoint::snapshot, slow);
        run_until(f.ioc, [&] { return all_of(subs, [](const subscriber& s) { return s.errors() >= 1; }); });
        CHECK(subs[0]->events[1].error() == errc::request_timeout);
        f.emu.clear_faults();
        const auto id = f.emu.snapshot().iterable.at(0).id;
        f.emu.set_cloud_status(id, AllocationStatusEnum::FAILED);
        run_until(f.ioc, [&] {
            return all_of(subs, [&](const subscriber& s) { return s.changes_of(kind::cloud_status_changed, id) == 1; });
        });
    }
    SECTION("refused, then the server is back on its port") {
        asio::io_context ioc;
        std::optional<testing::emulator> emu(std::in_place, ioc.get_executor());
        emu->seed(from_json<Allocations>(read_fixture("allocations.json")));
        const auto port = emu->port();
        client_config cc;
        cc.url = emu->url();
        client cli(ioc, cc);
        allocations_watcher w(cli, every(20ms));
        auto subs = subscribe_many(w, 20);
        run_until(ioc, [&] { return all_of(subs, [](const subscriber& s) { return s.events.size() == 1; }); });
        auto state = emu->snapshot();
        emu.reset();
        run_until(ioc, [&] { return all_of(subs, [](const subscriber& s) { return s.errors() >= 1; }); });
        CHECK(subs[0]->events[1].error() == errc::connection_failed);
        testing::emulator_options back;
        back.port = port;
        emu.emplace(ioc.get_executor(), back);
        state.iterable.at(2).status.cloud = AllocationStatusEnum::FAILED;
        emu->seed(state);
        const auto id = state.iterable.at(2).id;
        run_until(ioc, [&] {
            return all_of(subs, [&](const subscriber& s) { return s.changes_of(kind::cloud_status_changed, id) == 1; });
        });
    }
}

TEST_CASE("watcher: cancellation, and the ends of a subscription and of the watcher") {
    emulator_fixture f;
    std::optional<allocations_watcher> w(std::in_place, *f.cli, every(20ms));
    subscriber a(*w), b(*w);
    a.pump();
    b.pump();
    run_until(f.ioc, [&] { return a.events.size() == 1 && b.events.size() == 1; });

    SECTION("cancelling next() ends it with operation_aborted; the subscription goes on") {
        subscriber c(*w);
        std::optional<watch_event> first;
        c.sub.next([&](error_code, watch_event ev) { first = std::move(ev); });
        run_until(f.ioc, [&] { return first.has_value(); });
        asio::cancellation_signal cancel;
        std::optional<error_code> ended;
        c.sub.next(asio::bind_cancellation_slot(cancel.slot(), [&](error_code ec, watch_event) { ended = ec; }));
        f.ioc.poll();
        cancel.emit(asio::cancellation_type::terminal);
        run_until(f.ioc, [&] { return ended.has_value(); });
        CHECK(*ended == asio::error::operation_aborted);
        const auto id = f.emu.snapshot().iterable.at(0).id;
        f.emu.set_cloud_status(id, AllocationStatusEnum::FAILED);
        c.pump();
        run_until(f.ioc, [&] { return c.changes_of(kind::cloud_status_changed, id) == 1; });
    }
    SECTION("a second next() at once: already_started") {
        std::optional<error_code> second;
        a.sub.next([&](error_code ec, watch_event) { second = ec; });
        run_until(f.ioc, [&] { return second.has_value(); });
        CHECK(*second == asio::error::already_started);
    }
    SECTION("destroying a subscription ends its pending next()") {
        a.sub.reset();
        run_until(f.ioc, [&] { return a.ended; });
        CHECK(a.ended == asio::error::operation_aborted);
        CHECK_FALSE(b.ended);
        run_until(f.ioc, [&] { return w->stats().subscribers == 1; });
    }
    SECTION("destroying the watcher ends every pending next(), and later ones") {
        w.reset();
        run_until(f.ioc, [&] { return a.ended && b.ended; });
        CHECK(a.ended == asio::error::operation_aborted);
        CHECK(b.ended == asio::error::operation_aborted);
        std::optional<error_code> later;
        a.sub.next([&](error_code ec, watch_event) { later = ec; });
        run_until(f.ioc, [&] { return later.has_value(); });
        CHECK(*later == asio::error::operation_aborted);
    }
    SECTION("the awaitable form") {
        subscriber c(*w);
        const auto ev = run(f.ioc, c.sub.next());
        CHECK(ev.is_initial());
        CHECK(ev.snapshot().iterable.size() == 3);
    }
}

TEST_CASE("watcher: an unusable configuration is refused") {
    emulator_fixture f;
    watcher_config cfg;
    cfg.interval = 0ms;
    CHECK_THROWS_AS(allocations_watcher(*f.cli, cfg), error_with_diagnostics);
    cfg = {};
    cfg.max_backoff = 1ms;
    CHECK_THROWS_AS(allocations_watcher(*f.cli, cfg), error_with_diagnostics);
    watch_subscription empty;
    CHECK_THROWS_AS(empty.next([](error_code, watch_event) {}), std::logic_error);
}

TEST_CASE("watcher: with no subscriber left nothing stays pending, so io_context::run() returns") {
    asio::io_context ioc;
    testing::emulator emu(ioc.get_executor());
    emu.seed(from_json<Allocations>(read_fixture("allocations.json")));
    client_config cc;
    cc.url = emu.url();
    client cli(ioc, cc);
    std::optional<allocations_watcher> w(std::in_place, cli, every(20ms));
    subscriber a(*w), b(*w);
    a.pump();
    b.pump();
    run_until(ioc, [&] { return a.events.size() == 1 && b.events.size() == 1; });
    const auto check_run_returns = [&] {
        const auto start = std::chrono::steady_clock::now();
        ioc.restart();
        ioc.run_for(10s);  // returns at once when nothing is pending: the timer and polls stopped
        CHECK(ioc.stopped());
        CHECK(ms_since(start) < 5000);
    };
    SECTION("the watcher alive, every subscription ended") {
        a.sub.reset();
        b.sub.reset();
        emu.stop();
        check_run_returns();
        CHECK(a.ended == asio::error::operation_aborted);
        CHECK(w->stats().subscribers == 0);
    }
    SECTION("the watcher ended, the subscriptions alive") {
        w.reset();
        emu.stop();
        check_run_returns();
        CHECK(a.ended == asio::error::operation_aborted);
        CHECK(b.ended == asio::error::operation_aborted);
    }
}

TEST_CASE("watcher: idle connections the server closed sit in CLOSE_WAIT: while a watcher has subscribers, each is "
          "closed when the server closes it, and no wait is left when the last one goes") {
    // The server on an io_context of its own: the client's then runs out of work exactly when the client has none.
    asio::io_context server_ioc;
    auto server_work = asio::make_work_guard(server_ioc);
    testing::emulator emu(server_ioc.get_executor());
    emu.seed(from_json<Allocations>(read_fixture("allocations.json")));
    std::thread server([&] { server_ioc.run(); });
    asio::io_context ioc;
    client_config cc;
    cc.url = emu.url();
    client cli(ioc, cc);
    {
        allocations_watcher w(cli, every(60s));  // one poll in this test
        fault fin;
        fin.close_after_reply = true;  // a keep-alive reply, then the server closes the connection
        fin.times = 1;
        emu.set_fault(endpoint::snapshot, fin);
        subscriber a(w);
        a.pump();
        run_until(ioc, [&] { return a.events.size() == 1; });
        // The FIN ends the wait on the idle connection: closed with no request made.
        run_until(ioc, [&] { return cli.stats().connections_closed == 1; }, 5s);
        CHECK(cli.stats().connections_open == 0);
        CHECK(emu.requests(endpoint::snapshot) == 1);
        // A connection the server keeps open is idle (and watched) after this request ...
        const allocations_api api(cli);
        run(ioc, [&]() -> asio::awaitable<void> { CHECK((co_await api.allocations_snapshot()).iterable.size() == 3); }());
        CHECK(cli.stats().connections_open == 1);
        a.sub.reset();  // ... until the last subscriber goes
        run_until(ioc, [&] { return a.ended == asio::error::operation_aborted; });  // its pending next() ended
    }
    // Nothing of the client's is pending: run() returns at once, the idle connection still open.
    const auto start = std::chrono::steady_clock::now();
    ioc.restart();
    ioc.run_for(10s);
    CHECK(ioc.stopped());
    CHECK(ms_since(start) < 5000);
    CHECK(cli.stats().connections_open == 1);
    emu.stop();
    server_work.reset();
    server.join();
}

TEST_CASE("watcher: use after free in the watcher: a subscription ended in the strand before its add ran is never "
          "linked, and polling stops") {
    emulator_fixture f;
    allocations_watcher w(*f.cli, every(1h));  // one poll: nothing below waits for the timer
    watch_subscription a = w.subscribe();
    std::optional<watch_subscription> b;
    asio::cancellation_signal cancel;
    std::optional<error_code> a_ended;
    // A cancellation completes on the watcher's strand, and this handler's executor (the io_context's) runs it
    // there at once: b's subscription ends from inside the strand.
    a.next(asio::bind_cancellation_slot(cancel.slot(), [&](error_code ec, watch_event) {
        a_ended = ec;
        b.reset();
    }));
    // From outside the strand (nothing runs the io_context yet), queued on it in this order: a's add and next(),
    // the cancellation, b's add. So b ends before its add runs.
    cancel.emit(asio::cancellation_type::terminal);
    b.emplace(w.subscribe());
    run_until(f.ioc, [&] { return a_ended.has_value() && w.stats().polls == 1; });  // the poll wakes the list
    CHECK(*a_ended == asio::error::operation_aborted);
    CHECK_FALSE(b.has_value());
    CHECK(w.stats().subscribers == 1);  // a alone: b was never linked

    // a goes too: the count is back to 0 and polling stops (no timer, no poll left pending).
    a.reset();
    run_until(f.ioc, [&] { return w.stats().subscribers == 0; });
    const auto requests = f.emu.requests(endpoint::snapshot);
    f.emu.stop();
    f.ioc.restart();
    f.ioc.run_for(10s);  // returns at once when nothing is pending
    CHECK(f.ioc.stopped());
    CHECK(requests == 1);
    CHECK(w.stats().polls == 1);
}

TEST_CASE("watcher: a subscriber whose handler throws must not cost the others their events") {
    emulator_fixture f;
    allocations_watcher w(*f.cli, every(20ms));
    // Throwers first, between and last on the list (the last subscribed is woken first): callbacks, coroutines,
    // strand-bound handlers.
    taker throw_first(w, true);
    taker good_callback(w, false);
    watch_subscription throw_co_sub = w.subscribe();
    watch_subscription good_co_sub = w.subscribe();
    taker throw_strand(w, true, asio::make_strand(f.ioc));
    taker good_strand(w, false, asio::make_strand(f.ioc));
    taker throw_last(w, true);
    for (taker* t : {&throw_first, &good_callback, &throw_strand, &good_strand, &throw_last}) t->pump();
    std::vector<watch_event> throw_co_events, good_co_events;
    std::optional<std::exception_ptr> throw_co_end, good_co_end;  // what each coroutine ended with
    asio::co_spawn(f.ioc, take_two(throw_co_sub, throw_co_events, true),
                   [&](std::exception_ptr e) { throw_co_end = e; });
    asio::co_spawn(f.ioc, take_two(good_co_sub, good_co_events, false),
                   [&](std::exception_ptr e) { good_co_end = e; });
    const auto takers = {&throw_first, &good_callback, &throw_strand, &good_strand, &throw_last};
    const auto all_have = [&](std::size_t n) {
        for (const taker* t : takers)
            if (t->events.size() < n) return false;
        return throw_co_events.size() >= n && good_co_events.size() >= n;
    };

    int escaped = 0;
    run_until_counting_throws(f.ioc, [&] { return all_have(1); }, escaped);
    // Every one waits in next() now: one poll wakes them all, throwers and others, in one go.
    const auto id = f.emu.snapshot().iterable.at(0).id;
    f.emu.set_cloud_status(id, AllocationStatusEnum::FAILED);
    run_until_counting_throws(f.ioc, [&] { return all_have(2) && throw_co_end && good_co_end; }, escaped);

    CHECK(escaped >= 1);  // the throwers' exceptions left run(), as Asio lets a handler's
    REQUIRE(*throw_co_end);
    CHECK_THROWS_AS(std::rethrow_exception(*throw_co_end), boom);
    CHECK_FALSE(*good_co_end);
    const auto first_then_change = [&](const std::vector<watch_event>& evs) {
        return evs.size() == 2 && evs[0].is_initial() && evs[1].changes().size() == 1 &&
               evs[1].changes()[0].cloud_id == id && evs[1].changes()[0].status_after == AllocationStatusEnum::FAILED;
    };
    for (const taker* t : takers) CHECK(first_then_change(t->events));
    CHECK(first_then_change(throw_co_events));
    CHECK(first_then_change(good_co_events));
}

TEST_CASE("watcher: no rate limit after a stop: subscriptions that come and go get their first event, on one "
          "connection") {
    emulator_fixture f;
    fault slow;  // a server that takes 500 ms
    slow.latency = 500ms;
    f.emu.set_fault(endpoint::snapshot, slow);
    allocations_watcher w(*f.cli, every(100ms));
    std::optional<watch_event> first;
    // Each subscription goes once a poll has reached the server, before its answer (as churn faster than the
    // server does); the next comes at once.
    for (int cycle = 0; cycle < 5 && !first; ++cycle) {
        const auto requests = f.emu.requests(endpoint::snapshot);
        watch_subscription sub = w.subscribe();
        sub.next([&](error_code ec, watch_event ev) {
            if (!ec) first = std::move(ev);
        });
        run_until(f.ioc, [&] { return first || f.emu.requests(endpoint::snapshot) > requests; });
    }
    REQUIRE(first);  // the second subscription waited for the poll the first one left
    CHECK(first->is_initial());
    CHECK(first->snapshot().iterable.size() == 3);
    CHECK(f.emu.requests(endpoint::snapshot) == 1);  // not a poll per subscription
    // Nor a connection for the polls (each subscription held the /user/stream, on a connection of its own).
    CHECK(f.emu.connections_accepted() == 1 + f.emu.requests(endpoint::user_stream));
    CHECK(w.stats().polls == 1);
}
