// The requests' deadlines as one queue per client: order, removal and expiry, without a clock or a timer.
#include "http/deadline_queue.hpp"

#include <catch2/catch.hpp>

#include <vector>

using namespace pieces::detail;
using namespace std::chrono_literals;
using time_point = deadline_queue::time_point;

namespace {
const time_point t0 = time_point{} + 1h;

std::vector<deadline_entry*> expire_at(deadline_queue& q, time_point now) {
    std::vector<deadline_entry*> due;
    q.expire(now, [&](deadline_entry& e) { due.push_back(&e); });
    return due;
}
}  // namespace

TEST_CASE("deadline queue: the earliest of every timeout's list, expired in order") {
    deadline_queue q;
    CHECK_FALSE(q.earliest());
    deadline_entry a, b, c, d;
    a.deadline = t0 + 30s;
    b.deadline = t0 + 31s;
    c.deadline = t0 + 5s;  // a shorter per-call timeout: a list of its own
    d.deadline = t0 + 32s;
    q.add(a, 30s);
    q.add(b, 30s);
    q.add(c, 5s);
    q.add(d, 30s);
    CHECK(q.earliest() == t0 + 5s);
    CHECK(expire_at(q, t0 + 4s).empty());
    CHECK(expire_at(q, t0 + 5s) == std::vector<deadline_entry*>{&c});
    CHECK_FALSE(c.queued);
    CHECK(q.earliest() == t0 + 30s);
    CHECK(expire_at(q, t0 + 31s) == std::vector<deadline_entry*>{&a, &b});
    CHECK(q.earliest() == t0 + 32s);
    CHECK(d.queued);
}

TEST_CASE("deadline queue: removal anywhere, and a deadline taken a little earlier queued in its place") {
    deadline_queue q;
    deadline_entry a, b, c, late_comer;
    a.deadline = t0 + 10s;
    b.deadline = t0 + 11s;
    c.deadline = t0 + 12s;
    q.add(a, 10s);
    q.add(b, 10s);
    q.add(c, 10s);
    q.remove(b);
    q.remove(b);  // twice is harmless
    CHECK_FALSE(b.queued);
    // Taken on another thread before c's, queued after it.
    late_comer.deadline = t0 + 11500ms;
    q.add(late_comer, 10s);
    q.remove(a);
    CHECK(q.earliest() == t0 + 11500ms);
    CHECK(expire_at(q, t0 + 12s) == std::vector<deadline_entry*>{&late_comer, &c});
    CHECK_FALSE(q.earliest());
}

// Issue: the lists never shrank, and per-call timeouts that differed on every call made add and earliest O(n).
TEST_CASE("deadline queue: deadline_queue lists never shrink no more, and differing timeouts share a bounded few") {
    deadline_queue q;
    std::vector<deadline_entry> entries(1000);
    for (std::size_t i = 0; i < entries.size(); ++i) {
        // A timeout of its own each, the deadlines not in the order of adding.
        const auto timeout = std::chrono::milliseconds(1000 + static_cast<long>((i * 7919) % 1000));
        entries[i].deadline = t0 + timeout;
        q.add(entries[i], timeout);
        CHECK(q.list_count() <= deadline_queue::max_lists);
    }
    CHECK(q.earliest() == t0 + 1000ms);
    // Expired in deadline order across the lists, shared or not.
    const auto due = expire_at(q, t0 + 1499ms);
    REQUIRE(due.size() == 500);
    for (const deadline_entry* e : due) CHECK(e->deadline <= t0 + 1499ms);
    CHECK(q.earliest() == t0 + 1500ms);
    for (auto& e : entries) q.remove(e);
    CHECK_FALSE(q.earliest());
    CHECK(q.list_count() == 0);  // nothing left behind
}
