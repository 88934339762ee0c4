// The retry policy without sockets or clocks: the request machine stepped through every retried outcome with
// simulated time, and the backoff arithmetic (jitter in [bound/2, bound], doubling, caps, Retry-After).
#include "http/request_machine.hpp"
#include "http/retry_schedule.hpp"

#include <pieces/error.hpp>

#include <boost/asio/error.hpp>
#include <catch2/catch.hpp>

#include <set>

using namespace pieces;
using namespace pieces::detail;
using namespace std::chrono_literals;
using boost::system::error_code;
using step = request_step;
using time_point = request_machine::clock_type::time_point;
using duration = request_machine::clock_type::duration;

namespace {

const error_code aborted = boost::asio::error::operation_aborted;
const time_point t0 = time_point{} + 1h;  // simulated time
const step_result ok{};

reply_facts reply(unsigned status, std::optional<duration> retry_after = std::nullopt) {
    reply_facts f;
    f.status = status;
    f.retry_after = retry_after;
    return f;
}

step_result failed(error_code ec) {
    step_result r;
    r.ec = ec;
    return r;
}

retry_policy three_attempts() {
    retry_policy rp;
    rp.max_attempts = 3;
    rp.initial_backoff = 100ms;
    rp.max_backoff = 1000ms;
    return rp;
}

request_machine::params params(retry_policy rp, bool is_get = true, duration timeout = 10s) {
    request_machine::params p;
    p.is_get = is_get;
    p.deadline = t0 + timeout;
    p.connect_timeout = 300ms;
    p.host = "pieces.test";
    p.authority = "pieces.test:39300";
    p.retry = rp;
    p.jitter_seed = 42;
    return p;
}

// From `acquire` to the read of a reply, on an idle kept-alive connection.
void send_on_idle_connection(request_machine& m, const request_action& acquire, time_point now) {
    REQUIRE(acquire.step == step::acquire);
    REQUIRE(m.on_acquired(pool_answer::idle_connection, true, false, 1, now, false).step == step::write);
    REQUIRE(m.on_written(ok, 120, now, false).step == step::read);
}

// A reply of `status` that the policy retries: the connection goes back kept alive, then a backoff within
// `bound`, which ends in the next attempt. Returns that attempt's `acquire`, and the time it starts at.
std::pair<request_action, time_point> retried_after_reply(request_machine& m, const reply_facts& r, time_point now,
                                                          duration bound) {
    const auto rel = m.on_read(ok, true, r, now, false);
    REQUIRE(rel.step == step::release);
    CHECK(rel.reusable);
    const auto wait = m.on_released(now, false);
    REQUIRE(wait.step == step::backoff);
    CHECK(wait.until >= now);
    CHECK(wait.until <= now + bound);
    const auto next = m.on_backoff_ended(wait.until, false);
    CHECK(next.step == step::acquire);
    CHECK(next.is_retry);
    CHECK_FALSE(next.want_fresh);
    return {next, wait.until};
}

void check_done(const request_action& a, error_code ec) {
    CHECK(a.step == step::done);
    CHECK(a.ec == ec);
}

}  // namespace

TEST_CASE("retry policy: a 504 twice then 200 succeeds in 3 attempts, each backoff within its doubled bound") {
    request_machine m(params(three_attempts()));
    auto [a1, now] = std::pair{m.start(t0, false), t0};
    send_on_idle_connection(m, a1, now);
    auto [a2, t2] = retried_after_reply(m, reply(504), now + 1ms, 100ms);
    CHECK(m.attempts() == 2);
    send_on_idle_connection(m, a2, t2);
    auto [a3, t3] = retried_after_reply(m, reply(504), t2 + 1ms, 200ms);
    CHECK(m.attempts() == 3);
    send_on_idle_connection(m, a3, t3);
    const auto rel = m.on_read(ok, true, reply(200), t3 + 1ms, false);
    REQUIRE(rel.step == step::release);
    check_done(m.on_released(t3 + 1ms, false), {});
    CHECK(m.status() == 200);
    CHECK(m.attempts() == 3);
}

TEST_CASE("retry policy: the last attempt's 504 is the answer") {
    request_machine m(params(three_attempts()));
    auto [a, now] = std::pair{m.start(t0, false), t0};
    for (int i = 0; i < 2; ++i) {
        send_on_idle_connection(m, a, now);
        std::tie(a, now) = retried_after_reply(m, reply(504), now, 1000ms);
    }
    send_on_idle_connection(m, a, now);
    const auto rel = m.on_read(ok, true, reply(504), now, false);
    REQUIRE(rel.step == step::release);
    check_done(m.on_released(now, false), {});
    CHECK(m.status() == 504);
    CHECK(m.attempts() == 3);
}

TEST_CASE("retry policy: off by default, and per outcome") {
    SECTION("max_attempts = 1 (the default): a 504 is the answer") {
        request_machine m(params(retry_policy{}));
        send_on_idle_connection(m, m.start(t0, false), t0);
        REQUIRE(m.on_read(ok, true, reply(504), t0, false).step == step::release);
        check_done(m.on_released(t0, false), {});
        CHECK(m.attempts() == 1);
    }
    SECTION("on_gateway_timeout = false") {
        auto rp = three_attempts();
        rp.on_gateway_timeout = false;
        request_machine m(params(rp));
        send_on_idle_connection(m, m.start(t0, false), t0);
        REQUIRE(m.on_read(ok, true, reply(504), t0, false).step == step::release);
        check_done(m.on_released(t0, false), {});
    }
    SECTION("other statuses are not retried") {
        for (unsigned status : {500u, 502u, 503u, 410u, 200u}) {
            request_machine m(params(three_attempts()));
            send_on_idle_connection(m, m.start(t0, false), t0);
            REQUIRE(m.on_read(ok, true, reply(status), t0, false).step == step::release);
            check_done(m.on_released(t0, false), {});
            CHECK(m.status() == status);
        }
    }
    SECTION("a timeout is never retried: the deadline is the whole sequence's") {
        request_machine m(params(three_attempts()));
        send_on_idle_connection(m, m.start(t0, false), t0);
        REQUIRE(m.on_read(failed(errc::request_timeout), true, {}, t0 + 10s, false).step == step::release);
        check_done(m.on_released(t0 + 10s, false), errc::request_timeout);
    }
}

TEST_CASE("retry policy: a failed connection, and one closed before any reply byte") {
    SECTION("connection_failed: released unusable, waited, attempted again") {
        request_machine m(params(three_attempts()));
        REQUIRE(m.start(t0, false).step == step::acquire);
        REQUIRE(m.on_acquired(pool_answer::new_slot, false, false, 0, t0, false).step == step::connect);
        const auto rel = m.on_connected(failed(errc::connection_failed), t0 + 1ms, false);
        REQUIRE(rel.step == step::release);
        CHECK_FALSE(rel.reusable);
        const auto wait = m.on_released(t0 + 1ms, false);
        REQUIRE(wait.step == step::backoff);
        CHECK(m.on_backoff_ended(wait.until, false).step == step::acquire);
        CHECK(m.attempts() == 2);
    }
    SECTION("on_connection_failed = false: the failure is the answer") {
        auto rp = three_attempts();
        rp.on_connection_failed = false;
        request_machine m(params(rp));
        (void)m.start(t0, false);
        (void)m.on_acquired(pool_answer::new_slot, false, false, 0, t0, false);
        const auto rel = m.on_connected(failed(errc::connection_failed), t0 + 1ms, false);
        REQUIRE(rel.step == step::release);
        check_done(m.on_released(t0 + 1ms, false), errc::connection_failed);
    }
    SECTION("connection_closed before any reply byte, on a fresh connection") {
        request_machine m(params(three_attempts()));
        (void)m.start(t0, false);
        (void)m.on_acquired(pool_answer::new_slot, false, false, 0, t0, false);
        REQUIRE(m.on_connected(ok, t0, false).step == step::write);
        REQUIRE(m.on_written(ok, 120, t0, false).step == step::read);
        REQUIRE(m.on_read(failed(errc::connection_closed), false, {}, t0 + 1ms, false).step == step::release);
        CHECK(m.on_released(t0 + 1ms, false).step == step::backoff);
    }
    SECTION("connection_closed after some reply bytes is the answer") {
        request_machine m(params(three_attempts()));
        send_on_idle_connection(m, m.start(t0, false), t0);
        REQUIRE(m.on_read(failed(errc::connection_closed), true, {}, t0 + 1ms, false).step == step::release);
        check_done(m.on_released(t0 + 1ms, false), errc::connection_closed);
    }
    SECTION("a stale kept-alive connection's re-send is part of the same attempt") {
        request_machine m(params(three_attempts()));
        send_on_idle_connection(m, m.start(t0, false), t0);
        step_result stale = failed(errc::connection_closed);
        stale.closed_before_reply = true;
        REQUIRE(m.on_read(stale, false, {}, t0 + 1ms, false).step == step::release);
        const auto again = m.on_released(t0 + 1ms, false);
        CHECK(again.step == step::acquire);
        CHECK(again.want_fresh);
        CHECK(again.is_retry);
        CHECK(m.attempts() == 1);
        // The fresh connection's reply is a 504: the policy's second attempt.
        REQUIRE(m.on_acquired(pool_answer::new_slot, false, false, 0, t0 + 2ms, false).step == step::connect);
        REQUIRE(m.on_connected(ok, t0 + 2ms, false).step == step::write);
        REQUIRE(m.on_written(ok, 120, t0 + 2ms, false).step == step::read);
        (void)retried_after_reply(m, reply(504), t0 + 3ms, 100ms);
        CHECK(m.attempts() == 2);
        CHECK_FALSE(m.retried());  // a new attempt may re-send once more on a stale connection
    }
}

TEST_CASE("retry policy: POSTs") {
    SECTION("a failed connection is not retried unless opted in") {
        request_machine m(params(three_attempts(), false));
        (void)m.start(t0, false);
        (void)m.on_acquired(pool_answer::new_slot, false, false, 0, t0, false);
        REQUIRE(m.on_connected(failed(errc::connection_failed), t0, false).step == step::release);
        check_done(m.on_released(t0, false), errc::connection_failed);
    }
    SECTION("nor one closed before any reply byte") {
        request_machine m(params(three_attempts(), false));
        (void)m.start(t0, false);
        (void)m.on_acquired(pool_answer::new_slot, false, false, 0, t0, false);
        (void)m.on_connected(ok, t0, false);
        (void)m.on_written(ok, 120, t0, false);
        REQUIRE(m.on_read(failed(errc::connection_closed), false, {}, t0, false).step == step::release);
        check_done(m.on_released(t0, false), errc::connection_closed);
    }
    SECTION("not retried on 504 unless opted in") {
        request_machine m(params(three_attempts(), false));
        send_on_idle_connection(m, m.start(t0, false), t0);
        REQUIRE(m.on_read(ok, true, reply(504), t0, false).step == step::release);
        check_done(m.on_released(t0, false), {});
        CHECK(m.status() == 504);
        CHECK(m.attempts() == 1);
    }
    SECTION("opted in: retried on 504") {
        auto rp = three_attempts();
        rp.retry_posts = true;
        request_machine m(params(rp, false));
        send_on_idle_connection(m, m.start(t0, false), t0);
        (void)retried_after_reply(m, reply(504), t0, 100ms);
        CHECK(m.attempts() == 2);
    }
}

TEST_CASE("retry policy: Retry-After and the deadline") {
    SECTION("Retry-After replaces the drawn wait") {
        request_machine m(params(three_attempts()));
        send_on_idle_connection(m, m.start(t0, false), t0);
        REQUIRE(m.on_read(ok, true, reply(504, 700ms), t0, false).step == step::release);
        const auto wait = m.on_released(t0, false);
        REQUIRE(wait.step == step::backoff);
        CHECK(wait.until == t0 + 700ms);
    }
    SECTION("... capped at max_backoff") {
        request_machine m(params(three_attempts()));
        send_on_idle_connection(m, m.start(t0, false), t0);
        REQUIRE(m.on_read(ok, true, reply(504, 3600s), t0, false).step == step::release);
        CHECK(m.on_released(t0, false).until == t0 + 1000ms);
    }
    SECTION("a backoff that would end after the deadline: waits to the deadline, then request_timeout") {
        request_machine m(params(three_attempts(), true, 500ms));
        send_on_idle_connection(m, m.start(t0, false), t0);
        REQUIRE(m.on_read(ok, true, reply(504, 800ms), t0 + 10ms, false).step == step::release);
        const auto wait = m.on_released(t0 + 10ms, false);
        REQUIRE(wait.step == step::backoff);
        CHECK(wait.until == t0 + 500ms);
        const auto end = m.on_backoff_ended(t0 + 500ms, false);
        check_done(end, errc::request_timeout);
        CHECK(end.detail == "attempt 1 ended in HTTP 504; the wait before the next (800 ms) would end after the deadline");
        CHECK(m.attempts() == 1);
    }
    SECTION("an answer that arrives at the deadline is the answer") {
        request_machine m(params(three_attempts(), true, 500ms));
        send_on_idle_connection(m, m.start(t0, false), t0);
        REQUIRE(m.on_read(ok, true, reply(504), t0 + 500ms, false).step == step::release);
        check_done(m.on_released(t0 + 500ms, false), {});
        CHECK(m.status() == 504);
    }
    SECTION("a backoff timer woken early waits the rest") {
        request_machine m(params(three_attempts()));
        send_on_idle_connection(m, m.start(t0, false), t0);
        REQUIRE(m.on_read(ok, true, reply(504, 700ms), t0, false).step == step::release);
        (void)m.on_released(t0, false);
        const auto rest = m.on_backoff_ended(t0 + 100ms, false);
        CHECK(rest.step == step::backoff);
        CHECK(rest.until == t0 + 700ms);
    }
    SECTION("a Retry-After of 0 attempts again at once") {
        request_machine m(params(three_attempts()));
        send_on_idle_connection(m, m.start(t0, false), t0);
        REQUIRE(m.on_read(ok, true, reply(504, 0ms), t0, false).step == step::release);
        const auto next = m.on_released(t0, false);
        CHECK(next.step == step::acquire);
        CHECK(next.is_retry);
    }
}

TEST_CASE("retry policy: cancellation") {
    SECTION("during the backoff: operation_aborted, no other attempt") {
        request_machine m(params(three_attempts()));
        send_on_idle_connection(m, m.start(t0, false), t0);
        (void)m.on_read(ok, true, reply(504, 700ms), t0, false);
        REQUIRE(m.on_released(t0, false).step == step::backoff);
        check_done(m.on_backoff_ended(t0 + 10ms, true), aborted);
        CHECK(m.attempts() == 1);
    }
    SECTION("while the connection is given back before the backoff") {
        request_machine m(params(three_attempts()));
        send_on_idle_connection(m, m.start(t0, false), t0);
        (void)m.on_read(ok, true, reply(504), t0, false);
        check_done(m.on_released(t0, true), aborted);
    }
}

TEST_CASE("retry schedule: jitter in the upper half of a doubling bound, capped") {
    retry_policy rp;
    rp.initial_backoff = 100ms;
    rp.max_backoff = 350ms;
    std::set<duration::rep> draws;
    for (std::uint64_t seed = 1; seed <= 200; ++seed) {
        jitter_source j(seed);
        const auto second = backoff_before(rp, 2, std::nullopt, j);
        const auto third = backoff_before(rp, 3, std::nullopt, j);
        const auto tenth = backoff_before(rp, 10, std::nullopt, j);
        CHECK(second >= 50ms);
        CHECK(second <= 100ms);
        CHECK(third >= 100ms);
        CHECK(third <= 200ms);
        CHECK(tenth >= 175ms);
        CHECK(tenth <= 350ms);
        draws.insert(second.count());
    }
    CHECK(draws.size() > 150);  // spread, not one value
    jitter_source j(7);
    CHECK(backoff_before(rp, 2, 250ms, j) == 250ms);
    CHECK(backoff_before(rp, 2, 10s, j) == 350ms);
    CHECK(backoff_before(rp, 1000, std::nullopt, j) <= 350ms);  // no overflow however many attempts
    rp.max_backoff = std::chrono::milliseconds::max();
    rp.max_attempts = 1000;
    CHECK(backoff_before(rp, 1000, std::nullopt, j) >= 0ms);
}

TEST_CASE("retry schedule: which policies are usable") {
    CHECK(retry_policy_problem(retry_policy{}) == nullptr);
    retry_policy rp;
    rp.max_attempts = 0;
    CHECK(std::string(retry_policy_problem(rp)) == "retry.max_attempts must be >= 1");
    rp = {};
    rp.initial_backoff = -1ms;
    CHECK(std::string(retry_policy_problem(rp)) == "retry.initial_backoff must be >= 0");
    rp = {};
    rp.max_backoff = 10ms;
    CHECK(std::string(retry_policy_problem(rp)) == "retry.max_backoff must be >= retry.initial_backoff");
}

// Issue: initial_backoff = max_backoff = 0 with many attempts spun connects against a refused port until the
// deadline (a zero bound doubles to zero).
TEST_CASE("retry schedule: a zero backoff with more than one attempt is refused") {
    retry_policy rp;
    rp.max_attempts = 1000;
    rp.initial_backoff = 0ms;
    rp.max_backoff = 0ms;
    CHECK(std::string(retry_policy_problem(rp)) == "retry.initial_backoff must be > 0 when retry.max_attempts > 1");
    rp.max_backoff = 5s;
    CHECK(retry_policy_problem(rp) != nullptr);
    rp.initial_backoff = 1ms;
    CHECK(retry_policy_problem(rp) == nullptr);
    rp = {};
    rp.initial_backoff = rp.max_backoff = 0ms;  // one attempt: no wait to speak of
    CHECK(retry_policy_problem(rp) == nullptr);
}
