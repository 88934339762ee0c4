// The watcher's push logic without sockets or clocks: when the /user/stream is held, which profiles are news,
// when to try again after the stream ended (max_backoff when refused, the poll backoff when dropped), and how a
// push polls at once or once more after the poll in flight.
#include "watch/push_core.hpp"
#include "watch/watch_core.hpp"

#include "fixtures.hpp"

#include <pieces/error.hpp>
#include <pieces/models/json.hpp>

#include <catch2/catch.hpp>

using namespace pieces;
using namespace pieces::detail;
using namespace std::chrono_literals;
using stream_step = push_core::stream_step;
using poll_step = watch_core::poll_step;
using news = push_core::profile_news;

namespace {

const push_core::time_point t0 = push_core::time_point{} + 1h;

push_core make_push() { return push_core({1000ms, 8000ms, 11}); }

AllocationCloud cloud(AllocationStatusEnum s) {
    auto c = from_json<Allocations>(pieces_test::read_fixture("allocations.json")).iterable.at(0);
    c.status.cloud = s;
    return c;
}

}  // namespace

TEST_CASE("push core: the stream is held while there are subscribers") {
    auto p = make_push();
    CHECK(p.on_subscribers(1, t0).step == stream_step::open);
    CHECK(p.holding());
    CHECK(p.on_subscribers(5, t0).step == stream_step::none);  // one stream whatever the number
    CHECK(p.on_subscribers(0, t0).step == stream_step::close);
    CHECK_FALSE(p.holding());
    CHECK(p.on_subscribers(0, t0).step == stream_step::none);
    CHECK(p.on_subscribers(1, t0).step == stream_step::open);
    SECTION("an end reported after we closed it changes nothing") {
        CHECK(p.on_subscribers(0, t0).step == stream_step::close);
        CHECK(p.on_ended(errc::stream_ended, t0).step == stream_step::none);
        CHECK(p.on_retry_due().step == stream_step::none);
    }
}

TEST_CASE("push core: a profile is news when its allocation differs from the last one seen") {
    auto p = make_push();
    REQUIRE(p.on_subscribers(1, t0).step == stream_step::open);
    const auto running = cloud(AllocationStatusEnum::RUNNING);
    const auto down = cloud(AllocationStatusEnum::DISCONNECTED);
    CHECK(p.on_profile(running) == news::first);  // compared with a snapshot instead (below)
    CHECK(p.on_profile(running) == news::same);   // the profile changed elsewhere (a name), the cloud did not
    CHECK(p.on_profile(down) == news::changed);
    CHECK(p.on_profile(down) == news::same);
    CHECK(p.on_profile(std::nullopt) == news::changed);  // the cloud went
    CHECK(p.on_profile(running) == news::changed);
    SECTION("the stream reopened: its first profile is compared with the last one of the old stream") {
        CHECK(p.on_ended(errc::stream_ended, t0).step == stream_step::wait);
        CHECK(p.on_retry_due().step == stream_step::open);
        CHECK(p.on_profile(running) == news::same);
        CHECK(p.on_ended(errc::stream_ended, t0).step == stream_step::wait);
        CHECK(p.on_retry_due().step == stream_step::open);
        CHECK(p.on_profile(down) == news::changed);  // changed while no stream was held
    }
    SECTION("a logout is news once; the profile after it is news even when the same") {
        CHECK(p.on_logged_out());
        CHECK_FALSE(p.on_logged_out());
        CHECK(p.on_profile(running) == news::changed);
        CHECK(p.on_profile(running) == news::same);
    }
}

TEST_CASE("push core: the first profile ever is compared with the snapshot of the poll that runs with it") {
    auto all = from_json<Allocations>(pieces_test::read_fixture("allocations.json"));
    auto p = make_push();
    REQUIRE(p.on_subscribers(1, t0).step == stream_step::open);
    const auto& first_cloud = all.iterable.at(0);
    REQUIRE(p.on_profile(first_cloud) == news::first);
    CHECK_FALSE(p.differs_from(all));  // the poll answered the same state
    SECTION("the cloud changed between the poll's answer and the stream's start") {
        auto changed = first_cloud;
        changed.status.cloud = AllocationStatusEnum::DISCONNECTED;
        REQUIRE(p.on_profile(changed) == news::changed);
        CHECK(p.differs_from(all));
    }
    SECTION("the cloud is not in the snapshot") {
        all.iterable.erase(all.iterable.begin());
        CHECK(p.differs_from(all));
    }
    SECTION("a profile without a cloud says nothing about the snapshot") {
        auto q = make_push();
        REQUIRE(q.on_subscribers(1, t0).step == stream_step::open);
        REQUIRE(q.on_profile(std::nullopt) == news::first);
        CHECK_FALSE(q.differs_from(all));
    }
}

TEST_CASE("push core: after the stream ended, when to try again") {
    SECTION("refused upgrade (an older Pieces OS): after max_backoff, again and again") {
        auto p = make_push();
        REQUIRE(p.on_subscribers(1, t0).step == stream_step::open);
        for (int i = 0; i < 3; ++i) {
            const auto a = p.on_ended(errc::upgrade_refused, t0);
            CHECK(a.step == stream_step::wait);
            CHECK(a.until == t0 + 8000ms);
            CHECK(p.on_retry_due().step == stream_step::open);
        }
    }
    SECTION("dropped or failed: the backoff of failed polls, doubling, reset by a profile") {
        auto p = make_push();
        REQUIRE(p.on_subscribers(1, t0).step == stream_step::open);
        std::vector<push_core::duration> waits;
        for (int i = 0; i < 4; ++i) {
            const auto a = p.on_ended(i % 2 ? errc::connection_failed : errc::stream_ended, t0);
            REQUIRE(a.step == stream_step::wait);
            waits.push_back(a.until - t0);
            REQUIRE(p.on_retry_due().step == stream_step::open);
        }
        CHECK((waits[0] >= 1000ms && waits[0] <= 2000ms));  // bounds 2, 4, 8, 8 s, each drawn from [b/2, b]
        CHECK((waits[1] >= 2000ms && waits[1] <= 4000ms));
        CHECK((waits[2] >= 4000ms && waits[2] <= 8000ms));
        CHECK((waits[3] >= 4000ms && waits[3] <= 8000ms));
        (void)p.on_profile(std::nullopt);
        const auto a = p.on_ended(errc::stream_ended, t0);
        CHECK((a.until - t0 >= 1000ms && a.until - t0 <= 2000ms));
    }
    SECTION("the last subscriber leaves while waiting: the timer is let go, but a new one waits for the same time") {
        auto p = make_push();
        REQUIRE(p.on_subscribers(1, t0).step == stream_step::open);
        REQUIRE(p.on_ended(errc::upgrade_refused, t0).step == stream_step::wait);
        CHECK(p.on_subscribers(0, t0).step == stream_step::cancel_wait);
        CHECK(p.on_retry_due().step == stream_step::none);
        const auto back = p.on_subscribers(1, t0 + 1s);  // subscriptions that come and go ask no sooner
        CHECK(back.step == stream_step::wait);
        CHECK(back.until == t0 + 8000ms);
        CHECK(p.on_retry_due().step == stream_step::open);
        CHECK(p.on_subscribers(0, t0 + 9s).step == stream_step::close);
        CHECK(p.on_subscribers(1, t0 + 9s).step == stream_step::open);  // the wait is over
    }
    SECTION("a subscriber more while waiting: the wait stands") {
        auto p = make_push();
        REQUIRE(p.on_subscribers(1, t0).step == stream_step::open);
        REQUIRE(p.on_ended(errc::upgrade_refused, t0).step == stream_step::wait);
        CHECK(p.on_subscribers(2, t0).step == stream_step::none);
        CHECK(p.on_retry_due().step == stream_step::open);
    }
}

TEST_CASE("watch core: a push polls at once, or once more after the poll in flight") {
    const auto all = from_json<Allocations>(pieces_test::read_fixture("allocations.json"));
    watch_core c({1000ms, 8000ms, 7});
    REQUIRE(c.on_subscribers(1, t0).step == poll_step::poll_now);
    SECTION("pushes during a poll make one follow-up poll, then the interval") {
        CHECK(c.on_push().step == poll_step::none);
        CHECK(c.on_push().step == poll_step::none);
        CHECK(c.on_poll_succeeded(all, t0 + 5ms).step == poll_step::poll_now);
        const auto a = c.on_poll_succeeded(all, t0 + 10ms);
        CHECK(a.step == poll_step::wait);
        CHECK(a.until == t0 + 10ms + 1000ms);
    }
    SECTION("a push between polls polls at once; the old timer then fires for nothing") {
        REQUIRE(c.on_poll_succeeded(all, t0 + 5ms).step == poll_step::wait);
        CHECK(c.on_push().step == poll_step::poll_now);
        CHECK(c.on_timer(t0 + 1005ms).step == poll_step::none);
        const auto a = c.on_poll_succeeded(all, t0 + 20ms);
        CHECK(a.until == t0 + 20ms + 1000ms);  // the interval counts from the pushed poll
    }
    SECTION("no subscriber: a push polls nothing, and a follow-up owed is dropped") {
        CHECK(c.on_push().step == poll_step::none);
        CHECK(c.on_subscribers(0, t0 + 1ms).step == poll_step::stop);
        CHECK(c.on_poll_succeeded(all, t0 + 5ms).step == poll_step::none);
        CHECK(c.on_push().step == poll_step::none);
    }
}

TEST_CASE("watch core: a logout is an error event for every subscriber, and backs nothing off") {
    const auto all = from_json<Allocations>(pieces_test::read_fixture("allocations.json"));
    watch_core c({1000ms, 8000ms, 7});
    REQUIRE(c.on_subscribers(2, t0).step == poll_step::poll_now);
    REQUIRE(c.on_poll_succeeded(all, t0 + 5ms).step == poll_step::wait);
    seen_state a, b;
    REQUIRE(c.take_event(a));
    REQUIRE(c.take_event(b));
    c.on_logged_out(errc::logged_out, {}, t0 + 10ms);
    const auto ev = c.take_event(a);
    REQUIRE(ev);
    CHECK(ev->error() == errc::logged_out);
    CHECK(ev->snapshot().iterable.size() == 3);  // the last good snapshot stays
    CHECK_FALSE(c.take_event(a));
    CHECK(c.take_event(b)->error() == errc::logged_out);
    // The poll after it is due at the interval, not backed off.
    CHECK(c.on_timer(t0 + 1005ms).step == poll_step::poll_now);
    CHECK(c.on_poll_succeeded(all, t0 + 1010ms).until == t0 + 1010ms + 1000ms);
    CHECK_FALSE(c.take_event(a));  // nothing changed since
}
