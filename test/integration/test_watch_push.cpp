// The watcher with push (/user/stream) against the emulator: a change made through the API reaches 1,000
// subscribers within 100 ms with a 5 s interval, with one GET /allocations per change and none while nothing
// changes; a Pieces OS without the stream is polled, with the same events; a dropped stream is opened again after
// the backoff without an event lost or repeated; a logout is an event.
#include "async_test.hpp"

#include <pieces/allocations_api.hpp>
#include <pieces/allocations_watcher.hpp>

#include <memory>
#include <string>
#include <vector>

using namespace pieces;
using namespace pieces_test;
using testing::endpoint;
using testing::fault;
using boost::system::error_code;
using kind = allocation_change::kind;

namespace {

struct subscriber {
    explicit subscriber(allocations_watcher& w) : sub(w.subscribe()) {}
    void pump() {
        sub.next([this](error_code ec, watch_event ev) {
            if (ec) return;
            events.push_back(std::move(ev));
            woken_at = std::chrono::steady_clock::now();
            pump();
        });
    }
    // What it saw, as text: one line per change ("status <id> <status>"), per error ("error <code>").
    std::vector<std::string> story() const {
        std::vector<std::string> out;
        for (const auto& ev : events) {
            if (ev.error()) out.push_back("error " + ev.error().message());
            if (ev.is_initial()) {
                out.push_back("initial " + std::to_string(ev.changes().size()));
                continue;
            }
            for (const auto& c : ev.changes())
                out.push_back("change " + c.cloud_id + " " + std::to_string(static_cast<int>(c.what)) + " " +
                              std::string(to_string(c.status_after.value())));
        }
        return out;
    }
    watch_subscription sub;
    std::vector<watch_event> events;
    std::chrono::steady_clock::time_point woken_at{};
};

using subscribers = std::vector<std::unique_ptr<subscriber>>;

subscribers subscribe_many(allocations_watcher& w, std::size_t n) {
    subscribers subs;
    for (std::size_t i = 0; i < n; ++i) {
        subs.push_back(std::make_unique<subscriber>(w));
        subs.back()->pump();
    }
    return subs;
}

template <class Pred>
bool all_of(const subscribers& subs, Pred p) {
    for (const auto& s : subs)
        if (!p(*s)) return false;
    return true;
}

bool all_have(const subscribers& subs, std::size_t events) {
    return all_of(subs, [events](const subscriber& s) { return s.events.size() == events; });
}

watcher_config every(std::chrono::milliseconds interval, std::chrono::milliseconds max_backoff) {
    watcher_config cfg;
    cfg.interval = interval;
    cfg.max_backoff = max_backoff;
    return cfg;
}

// Disconnects or reconnects `cloud` through the API (so the server pushes the change).
void flip(emulator_fixture& f, const AllocationCloud& cloud, bool down) {
    const allocations_api api(*f.cli);
    run(f.ioc, [&]() -> asio::awaitable<void> {
        if (down) (void)co_await api.allocations_disconnect_cloud(cloud);
        else (void)co_await api.allocations_reconnect_cloud(cloud);
    }());
}

}  // namespace

TEST_CASE("watch push: a disconnect through the API reaches 1,000 subscribers within 100 ms (interval 5 s), "
          "one GET per change") {
    emulator_fixture f;
    allocations_watcher w(*f.cli, every(5s, 60s));
    auto subs = subscribe_many(w, 1000);
    run_until(f.ioc, [&] { return all_have(subs, 1) && w.stats().stream_open; });
    const auto cloud = f.emu.user_profile().allocation.value();
    const auto gets = f.emu.requests(endpoint::snapshot);
    for (std::size_t i = 1; i <= 20; ++i) {
        const bool down = i % 2 == 1;
        const auto start = std::chrono::steady_clock::now();
        flip(f, cloud, down);
        run_until(f.ioc, [&] { return all_have(subs, i + 1); });
        const auto last = std::max_element(subs.begin(), subs.end(), [](const auto& a, const auto& b) {
                              return a->woken_at < b->woken_at;
                          })->get()->woken_at;
        const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(last - start).count();
        CHECK(ms < 100);
        CHECK(f.emu.requests(endpoint::snapshot) == gets + i);  // one GET per change, no interval poll yet
        CHECK(all_of(subs, [&](const subscriber& s) {
            const auto& ev = s.events.back();
            return ev.changes().size() == 1 && ev.changes()[0].cloud_id == cloud.id &&
                   ev.changes()[0].status_after ==
                       (down ? AllocationStatusEnum::DISCONNECTED : AllocationStatusEnum::RUNNING);
        }));
    }
    CHECK(w.stats().pushed_polls == 20);
    CHECK(w.stats().streams_opened == 1);
    CHECK(f.emu.requests(endpoint::user_stream) == 1);
}

TEST_CASE("watch push: while nothing changes, no GET but the interval poll") {
    emulator_fixture f;
    allocations_watcher w(*f.cli, every(200ms, 800ms));
    auto subs = subscribe_many(w, 10);
    run_until(f.ioc, [&] { return all_have(subs, 1) && w.stats().stream_open; });
    const auto polls = w.stats().polls;
    const auto start = std::chrono::steady_clock::now();
    run_until(f.ioc, [&] { return w.stats().polls >= polls + 5; });
    CHECK(ms_since(start) >= 4 * 200 - 5);  // interval polls only: five of them take four intervals at least
    CHECK(w.stats().pushed_polls == 0);
    CHECK(w.stats().frames == 1);  // the profile sent on connect
    const auto requests = f.emu.requests(endpoint::snapshot);
    CHECK(requests >= w.stats().polls);
    CHECK(requests <= w.stats().polls + 1);  // one may be on its way
    CHECK(all_have(subs, 1));
}

TEST_CASE("watch push: an upgrade refused (an older Pieces OS) means polling only, with the same events; the "
          "stream is asked for again after max_backoff") {
    std::vector<std::string> with_push, without_push;
    for (const bool refused : {false, true}) {
        emulator_fixture f;
        if (refused) {
            fault refuse;
            refuse.status = 404;
            f.emu.set_fault(endpoint::user_stream, refuse);
        }
        allocations_watcher w(*f.cli, every(100ms, 300ms));
        auto subs = subscribe_many(w, 20);
        const auto start = std::chrono::steady_clock::now();
        run_until(f.ioc, [&] { return all_have(subs, 1) && (refused || w.stats().stream_open); });
        const auto cloud = f.emu.user_profile().allocation.value();
        flip(f, cloud, true);
        run_until(f.ioc, [&] { return all_have(subs, 2); });
        f.emu.set_cloud_status(cloud.id, AllocationStatusEnum::FAILED);
        run_until(f.ioc, [&] { return all_have(subs, 3); });
        CHECK(all_of(subs, [&](const subscriber& s) { return s.story() == subs[0]->story(); }));
        (refused ? without_push : with_push) = subs[0]->story();
        if (refused) {
            CHECK(w.stats().streams_opened == 0);
            CHECK(w.stats().pushed_polls == 0);
            CHECK_FALSE(w.stats().stream_open);
            // Asked again every max_backoff (300 ms), never sooner.
            run_until(f.ioc, [&] { return f.emu.requests(endpoint::user_stream) >= 3; });
            CHECK(ms_since(start) >= 2 * 300 - 5);
            // Pieces OS updated: the next question opens the stream.
            f.emu.clear_faults();
            run_until(f.ioc, [&] { return w.stats().stream_open; });
        } else {
            CHECK(w.stats().pushed_polls >= 1);
        }
    }
    CHECK(with_push == without_push);
    CHECK(with_push.size() == 3);
}

TEST_CASE("watch push: a stream dropped mid-way is opened again after the backoff; no event lost or repeated") {
    emulator_fixture f;
    allocations_watcher w(*f.cli, every(300ms, 1200ms));
    auto subs = subscribe_many(w, 50);
    run_until(f.ioc, [&] { return all_have(subs, 1) && w.stats().stream_open; });
    const auto cloud = f.emu.user_profile().allocation.value();
    flip(f, cloud, true);
    run_until(f.ioc, [&] { return all_have(subs, 2); });

    const auto dropped = std::chrono::steady_clock::now();
    f.emu.drop_user_streams();
    run_until(f.ioc, [&] { return !w.stats().stream_open; });
    // A change while no stream is held: the interval poll, or the new stream's first profile, brings it.
    f.emu.set_cloud_status(cloud.id, AllocationStatusEnum::FAILED);
    run_until(f.ioc, [&] { return all_have(subs, 3) && w.stats().streams_opened == 2; });
    CHECK(ms_since(dropped) >= 300 - 5);  // the backoff of a failed poll: drawn from [interval, 2 x interval]
    CHECK(f.emu.requests(endpoint::user_stream) == 2);

    flip(f, cloud, false);
    run_until(f.ioc, [&] { return all_have(subs, 4); });
    const auto polls = w.stats().polls;
    run_until(f.ioc, [&] { return w.stats().polls >= polls + 2; });  // more polls bring nothing more
    const std::vector<std::string> expected = {
        "initial 3",
        "change " + cloud.id + " " + std::to_string(static_cast<int>(kind::cloud_status_changed)) + " DISCONNECTED",
        "change " + cloud.id + " " + std::to_string(static_cast<int>(kind::cloud_status_changed)) + " FAILED",
        "change " + cloud.id + " " + std::to_string(static_cast<int>(kind::cloud_status_changed)) + " RUNNING",
    };
    CHECK(all_of(subs, [&](const subscriber& s) { return s.story() == expected; }));
}

TEST_CASE("watch push: a logout is an event carrying errc::logged_out; the next profile polls again") {
    emulator_fixture f;
    allocations_watcher w(*f.cli, every(5s, 60s));
    auto subs = subscribe_many(w, 10);
    run_until(f.ioc, [&] { return all_have(subs, 1) && w.stats().stream_open; });
    const auto gets = f.emu.requests(endpoint::snapshot);
    f.emu.log_out();
    run_until(f.ioc, [&] { return all_have(subs, 2); });
    CHECK(all_of(subs, [](const subscriber& s) {
        return s.events[1].error() == errc::logged_out && s.events[1].snapshot().iterable.size() == 3;
    }));
    CHECK(f.emu.requests(endpoint::snapshot) == gets);  // a logout polls nothing
    // Logged in again: the next profile is news, and the poll it starts brings the change.
    const auto cloud = f.emu.user_profile().allocation.value();
    f.emu.set_cloud_status(cloud.id, AllocationStatusEnum::FAILED);
    run_until(f.ioc, [&] { return all_have(subs, 3); });
    CHECK(all_of(subs, [&](const subscriber& s) {
        const auto& ev = s.events[2];
        return !ev.error() && ev.changes().size() == 1 && ev.changes()[0].status_after == AllocationStatusEnum::FAILED;
    }));
    CHECK(f.emu.requests(endpoint::snapshot) == gets + 1);
}

TEST_CASE("watch push: push = false never asks for the stream") {
    emulator_fixture f;
    auto cfg = every(50ms, 200ms);
    cfg.push = false;
    allocations_watcher w(*f.cli, cfg);
    auto subs = subscribe_many(w, 3);
    run_until(f.ioc, [&] { return all_have(subs, 1) && w.stats().polls >= 3; });
    f.emu.set_cloud_status(f.emu.user_profile().allocation.value().id, AllocationStatusEnum::FAILED);
    run_until(f.ioc, [&] { return all_have(subs, 2); });
    CHECK(f.emu.requests(endpoint::user_stream) == 0);
    CHECK(w.stats().frames == 0);
    CHECK(w.stats().pushed_polls == 0);
}
