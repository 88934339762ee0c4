// The watcher's logic without sockets or clocks: the diff, each subscriber's coalesced events, failures as
// events, and when to poll (interval, backoff, stopping with the last subscriber, a fresh snapshot reused, a poll
// in flight at the stop let finish, due times that saturate).
#include "watch/watch_core.hpp"
#include "util/saturating_time.hpp"

#include "fixtures.hpp"

#include <pieces/error.hpp>
#include <pieces/models/json.hpp>

#include <catch2/catch.hpp>

using namespace pieces;
using namespace pieces::detail;
using namespace std::chrono_literals;
using kind = allocation_change::kind;
using step = watch_core::poll_step;
using time_point = watch_core::time_point;

namespace {

const time_point t0 = time_point{} + 1h;

Allocations fixture() { return from_json<Allocations>(pieces_test::read_fixture("allocations.json")); }

watch_core make_core() { return watch_core({1000ms, 8000ms, 7}); }

// A core that polled once (the fixture) with one subscriber.
watch_core polled_once() {
    auto c = make_core();
    REQUIRE(c.on_subscribers(1, t0).step == step::poll_now);
    const auto a = c.on_poll_succeeded(fixture(), t0 + 5ms);
    CHECK(a.step == step::wait);
    CHECK(a.until == t0 + 5ms + 1000ms);
    return c;
}

Allocations with_status(Allocations all, std::size_t i, AllocationStatusEnum s) {
    all.iterable.at(i).status.cloud = s;
    return all;
}

}  // namespace

TEST_CASE("diff: added, removed, status and url changes, in order; nothing when nothing changed") {
    const auto before = fixture();
    CHECK(diff_allocations(before, before).empty());
    auto after = before;
    after.iterable[0].status.cloud = AllocationStatusEnum::DISCONNECTED;
    after.iterable[1].urls.base.url = "https://elsewhere";
    after.iterable[1].urls.id.status = AllocationStatusEnum::FAILED;
    after.iterable[1].urls.vanity = AllocationCloudUrl{std::nullopt, "https://v.pieces.cloud", AllocationStatusEnum::PENDING, {}};
    const auto gone = after.iterable[2];
    after.iterable.pop_back();
    auto added = gone;
    added.id = "new-cloud";
    after.iterable.push_back(added);
    after.iterable[0].region = "elsewhere";  // not watched

    const auto d = diff_allocations(before, after);
    REQUIRE(d.size() == 6);
    CHECK(d[0].what == kind::cloud_status_changed);
    CHECK(d[0].cloud_id == before.iterable[0].id);
    CHECK(d[0].status_before == AllocationStatusEnum::RUNNING);
    CHECK(d[0].status_after == AllocationStatusEnum::DISCONNECTED);
    CHECK((d[1].what == kind::url_changed && d[1].url == allocation_change::url_name::base));
    CHECK(d[1].url_after->url == "https://elsewhere");
    CHECK((d[2].what == kind::url_changed && d[2].url == allocation_change::url_name::id));
    CHECK(d[2].url_after->status == AllocationStatusEnum::FAILED);
    const bool had_vanity = before.iterable[1].urls.vanity.has_value();
    CHECK(d[3].what == (had_vanity ? kind::url_changed : kind::url_added));
    CHECK(d[3].url == allocation_change::url_name::vanity);
    CHECK((d[4].what == kind::cloud_added && d[4].cloud_id == "new-cloud"));
    CHECK((d[5].what == kind::cloud_removed && d[5].cloud_id == gone.id));
    CHECK(std::string(to_string(kind::url_removed)) == "url_removed");
}

TEST_CASE("diff: an id given twice counts once, as its first") {
    auto twice = fixture();
    twice.iterable.push_back(twice.iterable[0]);
    twice.iterable.back().status.cloud = AllocationStatusEnum::FAILED;
    CHECK(diff_allocations(fixture(), twice).empty());
    CHECK(diff_allocations(twice, twice).empty());
    CHECK(diff_allocations(twice, fixture()).empty());
}

TEST_CASE("watch core: a subscriber's first event is the whole state, then only changes") {
    auto c = polled_once();
    seen_state s;
    const auto first = c.take_event(s);
    REQUIRE(first);
    CHECK(first->is_initial());
    CHECK(first->changes().size() == fixture().iterable.size());
    for (const auto& ch : first->changes()) CHECK(ch.what == kind::cloud_added);
    CHECK(first->snapshot() == fixture());
    CHECK(first->polled_at() == t0 + 5ms);
    CHECK_FALSE(c.take_event(s));  // nothing new

    (void)c.on_poll_succeeded(fixture(), t0 + 2s);  // the same clouds again: no event
    CHECK_FALSE(c.take_event(s));
    (void)c.on_poll_succeeded(with_status(fixture(), 1, AllocationStatusEnum::DISCONNECTED), t0 + 3s);
    const auto ev = c.take_event(s);
    REQUIRE(ev);
    CHECK_FALSE(ev->is_initial());
    REQUIRE(ev->changes().size() == 1);
    CHECK(ev->changes()[0].what == kind::cloud_status_changed);
    CHECK(ev->changes()[0].status_after == AllocationStatusEnum::DISCONNECTED);
    CHECK_FALSE(c.take_event(s));
}

TEST_CASE("watch core: the first event comes even when there is no cloud") {
    auto c = make_core();
    (void)c.on_subscribers(1, t0);
    (void)c.on_poll_succeeded(Allocations{}, t0);
    seen_state s;
    const auto ev = c.take_event(s);
    REQUIRE(ev);
    CHECK(ev->is_initial());
    CHECK(ev->changes().empty());
}

TEST_CASE("watch core: a slow subscriber gets one event with the changes combined, never a queue") {
    auto c = polled_once();
    seen_state slow, fast;
    (void)c.take_event(slow);
    (void)c.take_event(fast);
    auto all = fixture();
    for (int i = 1; i <= 10; ++i) {  // ten polls; cloud 0 goes down then back up, cloud 1 and 2 change once
        if (i == 2) all.iterable[0].status.cloud = AllocationStatusEnum::FAILED;
        if (i == 3) all.iterable[1].status.cloud = AllocationStatusEnum::DISCONNECTED;
        if (i == 5) all.iterable[0].status.cloud = fixture().iterable[0].status.cloud;
        if (i == 7) all.iterable[2].urls.base.status = AllocationStatusEnum::FAILED;
        (void)c.on_poll_succeeded(all, t0 + std::chrono::seconds(i));
        while (c.take_event(fast)) {
        }
    }
    const auto ev = c.take_event(slow);
    REQUIRE(ev);
    REQUIRE(ev->changes().size() == 2);  // cloud 0 is as it was: not reported
    CHECK(ev->changes()[0].cloud_id == fixture().iterable[1].id);
    CHECK(ev->changes()[0].what == kind::cloud_status_changed);
    CHECK(ev->changes()[1].cloud_id == fixture().iterable[2].id);
    CHECK(ev->changes()[1].what == kind::url_changed);
    CHECK(ev->snapshot() == all);
    CHECK_FALSE(c.take_event(slow));
}

TEST_CASE("watch core: subscribers at the same snapshot share one computed change list") {
    auto c = polled_once();
    seen_state a, b;
    (void)c.take_event(a);
    (void)c.take_event(b);
    (void)c.on_poll_succeeded(with_status(fixture(), 0, AllocationStatusEnum::FAILED), t0 + 2s);
    const auto ea = c.take_event(a);
    const auto eb = c.take_event(b);
    REQUIRE((ea && eb));
    CHECK(&ea->changes() == &eb->changes());
    CHECK(&ea->snapshot() == &eb->snapshot());
}

TEST_CASE("watch core: a failed poll is one error event per subscriber; a recovery drops it") {
    auto c = polled_once();
    seen_state s;
    (void)c.take_event(s);
    diagnostics d;
    access::set_http_status(d, 500);
    (void)c.on_poll_failed(errc::internal_server_error, d, t0 + 2s);
    const auto ev = c.take_event(s);
    REQUIRE(ev);
    CHECK(ev->error() == errc::internal_server_error);
    CHECK(ev->error_diagnostics().http_status() == 500);
    CHECK(ev->polled_at() == t0 + 2s);
    CHECK(ev->snapshot() == fixture());  // the last good one
    CHECK(ev->changes().empty());
    CHECK_FALSE(c.take_event(s));  // told once
    (void)c.on_poll_failed(errc::request_timeout, {}, t0 + 4s);
    const auto again = c.take_event(s);  // a later failure is news again
    REQUIRE(again);
    CHECK(again->error() == errc::request_timeout);

    seen_state newcomer;  // a new subscriber is told the watcher is failing
    const auto told = c.take_event(newcomer);
    REQUIRE(told);
    CHECK(told->error() == errc::request_timeout);
    (void)c.on_poll_succeeded(with_status(fixture(), 0, AllocationStatusEnum::FAILED), t0 + 8s);
    const auto recovered = c.take_event(s);
    REQUIRE(recovered);
    CHECK_FALSE(recovered->error());
    CHECK(recovered->changes().size() == 1);
    const auto newcomer_first = c.take_event(newcomer);
    REQUIRE(newcomer_first);
    CHECK(newcomer_first->is_initial());
}

TEST_CASE("watch core: before any snapshot, a failure is the first event") {
    auto c = make_core();
    (void)c.on_subscribers(1, t0);
    (void)c.on_poll_failed(errc::connection_failed, {}, t0 + 1ms);
    seen_state s;
    const auto ev = c.take_event(s);
    REQUIRE(ev);
    CHECK(ev->error() == errc::connection_failed);
    CHECK(ev->snapshot().iterable.empty());
    CHECK_FALSE(c.take_event(s));
    (void)c.on_poll_succeeded(fixture(), t0 + 2s);
    const auto first = c.take_event(s);
    REQUIRE(first);
    CHECK(first->is_initial());
}

TEST_CASE("watch core: polling follows the subscribers") {
    SECTION("the interval after a success; backoff with jitter after failures; the interval again after a success") {
        auto c = polled_once();
        auto a = c.on_timer(t0 + 1005ms);
        CHECK(a.step == step::poll_now);
        std::vector<watch_core::duration> waits;
        time_point now = t0 + 2s;
        for (int i = 0; i < 6; ++i) {
            a = c.on_poll_failed(errc::internal_server_error, {}, now);
            REQUIRE(a.step == step::wait);
            waits.push_back(a.until - now);
            now = a.until;
            REQUIRE(c.on_timer(now).step == step::poll_now);
        }
        // bounds 2, 4, 8, 8, 8, 8 s: each drawn from [bound/2, bound]
        CHECK((waits[0] >= 1000ms && waits[0] <= 2000ms));
        CHECK((waits[1] >= 2000ms && waits[1] <= 4000ms));
        CHECK((waits[2] >= 4000ms && waits[2] <= 8000ms));
        for (std::size_t i = 3; i < waits.size(); ++i) CHECK((waits[i] >= 4000ms && waits[i] <= 8000ms));
        a = c.on_poll_succeeded(fixture(), now);
        CHECK(a.until == now + 1000ms);
    }
    SECTION("the last subscriber gone: stop; a timer that fires after it starts nothing") {
        auto c = polled_once();
        CHECK(c.on_subscribers(0, t0 + 10ms).step == step::stop);
        CHECK(c.on_timer(t0 + 1005ms).step == step::none);
    }
    SECTION("a subscriber back within the interval: the snapshot is fresh, the timer waits for the rest") {
        auto c = polled_once();
        (void)c.on_subscribers(0, t0 + 10ms);
        const auto a = c.on_subscribers(1, t0 + 500ms);
        CHECK(a.step == step::wait);
        CHECK(a.until == t0 + 1005ms);
    }
    SECTION("a subscriber back after the interval: a poll at once, whose answer is its first event") {
        auto c = polled_once();
        (void)c.on_subscribers(0, t0 + 10ms);
        CHECK(c.on_subscribers(1, t0 + 5s).step == step::poll_now);
        seen_state newcomer;
        CHECK_FALSE(c.take_event(newcomer));  // not the snapshot of five seconds ago
        (void)c.on_poll_succeeded(with_status(fixture(), 0, AllocationStatusEnum::FAILED), t0 + 5s + 5ms);
        const auto first = c.take_event(newcomer);
        REQUIRE(first);
        CHECK(first->is_initial());
        CHECK(first->polled_at() == t0 + 5s + 5ms);
        CHECK(first->snapshot().iterable[0].status.cloud == AllocationStatusEnum::FAILED);
    }
    SECTION("subscribing again while polls fail keeps their backoff; the newcomer hears of the failure only") {
        auto c = polled_once();
        (void)c.on_timer(t0 + 1005ms);
        const auto a = c.on_poll_failed(errc::connection_failed, {}, t0 + 1010ms);
        REQUIRE(a.step == step::wait);
        CHECK(c.on_subscribers(0, t0 + 1020ms).step == step::stop);
        const auto back = c.on_subscribers(1, t0 + 1030ms);
        CHECK(back.step == step::wait);  // not a poll at once
        CHECK(back.until == a.until);
        seen_state newcomer;
        const auto told = c.take_event(newcomer);
        REQUIRE(told);
        CHECK(told->error() == errc::connection_failed);
        CHECK_FALSE(c.take_event(newcomer));  // not the last good snapshot: the next good one
        REQUIRE(c.on_timer(a.until).step == step::poll_now);
        (void)c.on_poll_succeeded(fixture(), a.until + 1ms);
        const auto first = c.take_event(newcomer);
        REQUIRE(first);
        CHECK(first->is_initial());
    }
    SECTION("more subscribers while polling: nothing more") {
        auto c = polled_once();
        CHECK(c.on_subscribers(2, t0 + 10ms).step == step::none);
        CHECK(c.on_subscribers(10'000, t0 + 20ms).step == step::none);
    }
    SECTION("a poll cancelled by stop: a subscriber that came back meanwhile gets a poll at once") {
        auto c = make_core();
        REQUIRE(c.on_subscribers(1, t0).step == step::poll_now);
        CHECK(c.on_subscribers(0, t0 + 1ms).step == step::stop);
        CHECK(c.on_subscribers(1, t0 + 2ms).step == step::none);  // the cancelled poll is still ending
        CHECK(c.on_poll_aborted().step == step::poll_now);
    }
    SECTION("a poll cancelled by stop with nobody back: nothing") {
        auto c = make_core();
        (void)c.on_subscribers(1, t0);
        (void)c.on_subscribers(0, t0 + 1ms);
        CHECK(c.on_poll_aborted().step == step::none);
    }
    SECTION("a timer that fires early waits the rest") {
        auto c = polled_once();
        const auto a = c.on_timer(t0 + 500ms);
        CHECK(a.step == step::wait);
        CHECK(a.until == t0 + 1005ms);
    }
}

TEST_CASE("watch core: the watcher's time arithmetic overflows no more (interval and max_backoff of "
          "milliseconds::max())") {
    // As the watcher hands them over: milliseconds::max() in the clock's unit, saturated.
    const auto forever = to_clock_duration(std::chrono::milliseconds::max());
    watch_core c({forever, forever, 7});
    REQUIRE(c.on_subscribers(1, t0).step == step::poll_now);
    const auto a = c.on_poll_succeeded(fixture(), t0 + 5ms);
    REQUIRE(a.step == step::wait);
    CHECK(a.until > t0 + 5ms);  // not wrapped into the past
    CHECK(a.until == time_point::max());
    seen_state s;
    REQUIRE(c.take_event(s));
    const auto century = std::chrono::hours(24 * 365 * 100);
    CHECK(c.on_timer(t0 + century).step == step::wait);  // no second poll is due

    // Back after leaving, a century on: the snapshot is still younger than the interval (no poll at once).
    CHECK(c.on_subscribers(0, t0 + 10ms).step == step::stop);
    const auto back = c.on_subscribers(1, t0 + century);
    CHECK(back.step == step::wait);
    CHECK(back.until == time_point::max());
    seen_state newcomer;
    CHECK(c.take_event(newcomer));

    // After a failure the backoff, drawn from [max/2, max], is as far away.
    REQUIRE(c.on_timer(time_point::max()).step == step::poll_now);
    const auto failed = c.on_poll_failed(errc::internal_server_error, {}, t0 + century);
    REQUIRE(failed.step == step::wait);
    CHECK(failed.until > t0 + century + century);
    CHECK(c.on_timer(t0 + century + 1h).step == step::wait);
    CHECK(c.next_wait(3) >= forever / 2);
}

TEST_CASE("watch core: no rate limit after a stop: the poll in flight is let finish and answers the next subscriber") {
    // A server that takes 500 ms, subscriptions that come and go every 300 ms. The stop cancels the timer only
    // (the driver lets the poll in flight finish and reports it): never a second poll for the same wait.
    auto c = make_core();
    REQUIRE(c.on_subscribers(1, t0).step == step::poll_now);
    SECTION("back while the poll is in flight: no second poll; its answer is the newcomer's first event") {
        CHECK(c.on_subscribers(0, t0 + 300ms).step == step::stop);
        CHECK(c.on_subscribers(1, t0 + 300ms).step == step::none);  // waits for the poll in flight
        seen_state newcomer;
        CHECK_FALSE(c.take_event(newcomer));
        const auto a = c.on_poll_succeeded(fixture(), t0 + 500ms);
        CHECK(a.step == step::wait);
        CHECK(a.until == t0 + 1500ms);
        const auto first = c.take_event(newcomer);
        REQUIRE(first);
        CHECK(first->is_initial());
        CHECK(first->polled_at() == t0 + 500ms);
        // It goes too, and the next comes within the interval: that snapshot at once, no poll before it is due.
        CHECK(c.on_subscribers(0, t0 + 600ms).step == step::stop);
        const auto third = c.on_subscribers(1, t0 + 600ms);
        CHECK(third.step == step::wait);
        CHECK(third.until == t0 + 1500ms);
        seen_state later;
        REQUIRE(c.take_event(later));
    }
    SECTION("the answer comes with nobody subscribed: kept; the next subscriber within the interval gets it at once") {
        CHECK(c.on_subscribers(0, t0 + 300ms).step == step::stop);
        CHECK(c.on_poll_succeeded(fixture(), t0 + 500ms).step == step::none);  // nobody: no timer
        CHECK(c.on_timer(t0 + 550ms).step == step::none);  // no timer was armed
        const auto back = c.on_subscribers(1, t0 + 600ms);
        CHECK(back.step == step::wait);  // not a poll at once
        CHECK(back.until == t0 + 1500ms);
        seen_state newcomer;
        const auto first = c.take_event(newcomer);
        REQUIRE(first);
        CHECK(first->is_initial());
    }
    SECTION("a failure that comes with nobody subscribed: its backoff holds for the next subscriber, told of it") {
        CHECK(c.on_subscribers(0, t0 + 300ms).step == step::stop);
        CHECK(c.on_poll_failed(errc::request_timeout, {}, t0 + 500ms).step == step::none);
        const auto back = c.on_subscribers(1, t0 + 600ms);
        CHECK(back.step == step::wait);  // not a poll at once
        CHECK(back.until >= t0 + 1500ms);  // the failure's backoff: 500 ms + [1, 2] s
        seen_state newcomer;
        const auto told = c.take_event(newcomer);
        REQUIRE(told);
        CHECK(told->error() == errc::request_timeout);
    }
}
