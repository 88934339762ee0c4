// The pool's bookkeeping as a state machine, without I/O.
#include "http/pool_state.hpp"
#include "http/reuse_check.hpp"

#include <catch2/catch.hpp>

#include <memory>
#include <vector>

using pool = pieces::detail::pool_state<std::unique_ptr<int>>;
using conn = std::unique_ptr<int>;

namespace {
auto never_expired = [](const conn&) { return false; };
auto always_expired = [](const conn&) { return true; };

// Opens 3 slots and gives back connections 1, 2, 3 idle (3 the most recently used).
template <class Discard>
void fill_idle(pool& p, Discard& discard) {
    conn a, b, c;
    REQUIRE(p.acquire(a, false, never_expired, discard) == pool::outcome::may_open);
    REQUIRE(p.acquire(b, false, never_expired, discard) == pool::outcome::may_open);
    REQUIRE(p.acquire(c, false, never_expired, discard) == pool::outcome::may_open);
    for (int i = 1; i <= 3; ++i) p.release(std::make_unique<int>(i), true, discard);
}
}  // namespace

TEST_CASE("pool_state: opens up to max, then waits") {
    pool p(2);
    std::vector<conn> discarded;
    auto discard = [&](conn c) { discarded.push_back(std::move(c)); };
    conn a, b, c;
    CHECK(p.acquire(a, false, never_expired, discard) == pool::outcome::may_open);
    CHECK(p.acquire(b, false, never_expired, discard) == pool::outcome::may_open);
    CHECK(p.acquire(c, false, never_expired, discard) == pool::outcome::must_wait);
    CHECK(p.open() == 2);
}

TEST_CASE("pool_state: released connections go to waiters in FIFO order, then to idle") {
    pool p(1);
    auto discard = [](conn) {};
    conn a;
    REQUIRE(p.acquire(a, false, never_expired, discard) == pool::outcome::may_open);
    pool::waiter w1, w2;
    p.enqueue(&w1);
    p.enqueue(&w2);
    CHECK(p.release(std::make_unique<int>(1), true, discard) == &w1);
    CHECK(*w1.granted == 1);
    CHECK_FALSE(w2.is_granted());
    CHECK(p.release(std::move(w1.granted), true, discard) == &w2);
    CHECK(p.release(std::move(w2.granted), true, discard) == nullptr);
    CHECK(p.idle() == 1);
    CHECK(p.open() == 1);
}

TEST_CASE("pool_state: a broken connection passes its slot to the first waiter") {
    pool p(1);
    int discards = 0;
    auto discard = [&](conn) { ++discards; };
    conn a;
    REQUIRE(p.acquire(a, false, never_expired, discard) == pool::outcome::may_open);
    pool::waiter w;
    p.enqueue(&w);
    CHECK(p.release(std::make_unique<int>(1), false, discard) == &w);
    CHECK(discards == 1);
    CHECK(w.slot_granted);
    CHECK(p.open() == 1);
    CHECK(p.release_slot() == nullptr);
    CHECK(p.open() == 0);
}

TEST_CASE("pool_state: expired idle connections are discarded, most recent is reused") {
    pool p(3);
    std::vector<int> discarded;
    auto discard = [&](conn c) { discarded.push_back(*c); };
    conn x, y;
    REQUIRE(p.acquire(x, false, never_expired, discard) == pool::outcome::may_open);
    REQUIRE(p.acquire(y, false, never_expired, discard) == pool::outcome::may_open);
    p.release(std::make_unique<int>(1), true, discard);
    p.release(std::make_unique<int>(2), true, discard);
    conn got;
    CHECK(p.acquire(got, false, never_expired, discard) == pool::outcome::got_idle);
    CHECK(*got == 2);
    p.release(std::move(got), true, discard);
    CHECK(p.acquire(got, false, always_expired, discard) == pool::outcome::may_open);
    CHECK(discarded.size() == 2);
    CHECK(p.open() == 1);
}

TEST_CASE("pool_state: only the connection about to be reused is checked for expiry") {
    pool p(3);
    std::vector<int> discarded;
    auto discard = [&](conn c) { discarded.push_back(*c); };
    fill_idle(p, discard);
    std::vector<int> asked;
    auto newest_expired = [&](const conn& x) {
        asked.push_back(*x);
        return *x == 3;
    };
    conn got;
    CHECK(p.acquire(got, false, newest_expired, discard) == pool::outcome::got_idle);
    CHECK(*got == 2);
    CHECK(asked == std::vector<int>{3, 2});  // never the oldest, 1
    CHECK(discarded == std::vector<int>{3});
    CHECK(p.open() == 2);
    CHECK(p.idle() == 1);
}

TEST_CASE("pool_state: a request takes again the connection its maker gave back, though others went idle after it") {
    // Completions run in a queue outside the pool's strand: connections 1, 2 and 3 went idle before the completion of
    // the request that gave back 2 made the next request.
    pool p(3);
    auto discard = [](conn) {};
    fill_idle(p, discard);
    p.make_most_recent([](const conn& c) { return *c == 2; });
    conn got;
    REQUIRE(p.acquire(got, false, never_expired, discard) == pool::outcome::got_idle);
    CHECK(*got == 2);
    REQUIRE(p.acquire(got, false, never_expired, discard) == pool::outcome::got_idle);
    CHECK(*got == 3);  // the others keep their order
    p.make_most_recent([](const conn&) { return false; });  // given back and gone meanwhile: nothing changes
    REQUIRE(p.acquire(got, false, never_expired, discard) == pool::outcome::got_idle);
    CHECK(*got == 1);
}

TEST_CASE("pool_state: an idle connection the server closed is discarded and its slot freed, or given to a waiter") {
    pool p(3);
    std::vector<int> discarded;
    auto discard = [&](conn c) { discarded.push_back(*c); };
    fill_idle(p, discard);
    CHECK(p.discard_idle_if([](const conn& c) { return *c == 2; }, discard) == nullptr);
    CHECK(discarded == std::vector<int>{2});
    CHECK(p.idle() == 2);
    CHECK(p.open() == 2);
    CHECK(p.discard_idle_if([](const conn&) { return false; }, discard) == nullptr);  // taken meanwhile: nothing
    CHECK(p.open() == 2);
    conn a;
    REQUIRE(p.acquire(a, false, never_expired, discard) == pool::outcome::got_idle);
    REQUIRE(p.acquire(a, false, never_expired, discard) == pool::outcome::got_idle);
    REQUIRE(p.acquire(a, false, never_expired, discard) == pool::outcome::may_open);
    pool::waiter w;
    p.enqueue(&w);
    p.release(std::make_unique<int>(4), true, discard);  // to the waiter
    p.release(std::make_unique<int>(5), true, discard);  // idle
    CHECK(static_cast<bool>(w.granted));
    pool::waiter w2;
    p.enqueue(&w2);
    CHECK(p.discard_idle_if([](const conn& c) { return *c == 5; }, discard) == &w2);
    CHECK(w2.slot_granted);
    CHECK(p.open() == 3);
}

TEST_CASE("pool_state: the oldest idle connections are discarded while they are expired") {
    pool p(3);
    std::vector<int> discarded;
    auto discard = [&](conn c) { discarded.push_back(*c); };
    fill_idle(p, discard);
    p.discard_oldest_while([](const conn& x) { return *x != 2; }, discard);  // 1 expired, 2 not: stops there
    CHECK(discarded == std::vector<int>{1});
    CHECK(p.open() == 2);
    CHECK(p.idle() == 2);
}

TEST_CASE("pool_state: want_fresh never reuses, and makes room in a full pool") {
    pool p(1);
    std::vector<int> discarded;
    auto discard = [&](conn c) { discarded.push_back(*c); };
    conn a;
    REQUIRE(p.acquire(a, false, never_expired, discard) == pool::outcome::may_open);
    p.release(std::make_unique<int>(7), true, discard);
    conn got;
    CHECK(p.acquire(got, true, never_expired, discard) == pool::outcome::may_open);
    CHECK(discarded == std::vector<int>{7});
    CHECK(p.open() == 1);
}

TEST_CASE("pool_state: a waiter that gives up is unlinked") {
    pool p(1);
    auto discard = [](conn) {};
    conn a;
    REQUIRE(p.acquire(a, false, never_expired, discard) == pool::outcome::may_open);
    pool::waiter w1, w2;
    p.enqueue(&w1);
    p.enqueue(&w2);
    p.remove(&w1);
    CHECK(p.release(std::make_unique<int>(1), true, discard) == &w2);
    CHECK(p.release(std::make_unique<int>(2), true, discard) == nullptr);  // w2 was the only one left
}

TEST_CASE("pool_state: take_all_idle frees the slots") {
    pool p(2);
    auto discard = [](conn) {};
    conn a, b;
    p.acquire(a, false, never_expired, discard);
    p.acquire(b, false, never_expired, discard);
    p.release(std::make_unique<int>(1), true, discard);
    p.release(std::make_unique<int>(2), true, discard);
    CHECK(p.take_all_idle().size() == 2);
    CHECK(p.open() == 0);
}

TEST_CASE("reuse check: a connection that sat idle is peeked; one a GET takes again from its completion is not") {
    using namespace std::chrono_literals;
    using pieces::detail::check_before_reuse;
    using pieces::detail::handover_window;
    using pieces::detail::reuse_check;
    const std::chrono::steady_clock::duration limit = 30s;
    const std::optional<std::chrono::steady_clock::duration> sat_idle;
    const bool get = true, post = false;
    CHECK(check_before_reuse(0ns, limit, sat_idle, get) == reuse_check::peek);
    CHECK(check_before_reuse(20s, limit, sat_idle, get) == reuse_check::peek);
    CHECK(check_before_reuse(0ns, limit, 0ns, get) == reuse_check::none);
    CHECK(check_before_reuse(0ns, limit, handover_window - 1ns, get) == reuse_check::none);
    CHECK(check_before_reuse(0ns, limit, handover_window, get) == reuse_check::peek);  // held too long
    CHECK(check_before_reuse(0ns, limit, 0ns, post) == reuse_check::peek);  // a POST is not sent again
    CHECK(check_before_reuse(0ns, limit, 5ms, get, 10ms) == reuse_check::none);  // a wider window
    // Its completion waited 20 ms in the queue behind others, then made the request at once: not the caller's time.
    CHECK(check_before_reuse(20ms, limit, 0ns, get) == reuse_check::none);
    // ... up to a bound: stray bytes a server sent after its reply have at most 50 windows to go unseen.
    CHECK(check_before_reuse(handover_window * 50 - 1ns, limit, 0ns, get) == reuse_check::none);
    CHECK(check_before_reuse(handover_window * 50, limit, 0ns, get) == reuse_check::peek);
    CHECK(check_before_reuse(limit, limit, sat_idle, get) == reuse_check::expired);
    CHECK(check_before_reuse(limit, limit, 0ns, get) == reuse_check::expired);
    CHECK(check_before_reuse(0ns, 0ns, 0ns, get) == reuse_check::expired);  // Keep-Alive: timeout=0
}
