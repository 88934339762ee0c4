// The retry policy without sockets or clocks: the request machine stepped through every retried outcome with
// simulated time, and the backoff arithmetic (jitter in [bound/2, bound], doubling, caps, Retry-After).
#include "http/request_machine.hpp"
#include "http/retry_schedule.hpp"
#include "request_machine_steps.hpp"

#include <catch2/catch.hpp>

#include <set>

using namespace machine_steps;
using namespace std::chrono_literals;

namespace {

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
    INFO("action: " << acquire);
    REQUIRE(acquire.kind == kind::acquire);
    REQUIRE(m.resume(idle_connection(1), at(now)).kind == kind::write);
    REQUIRE(m.resume(written(120), at(now)).kind == kind::read);
}

// A reply of `status` that the policy retries: the connection goes back kept alive, then a backoff within
// `bound`, which ends in the next attempt. Returns that attempt's `acquire`, and the time it starts at.
std::pair<request_action, time_point> retried_after_reply(request_machine& m, const reply_facts& r, time_point now,
                                                          duration bound) {
    const auto rel = m.resume(reply_read(r), at(now));
    REQUIRE(rel.kind == kind::release);
    CHECK(rel.reusable);
    const auto wait = m.resume(released(), at(now));
    REQUIRE(wait.kind == kind::backoff);
    CHECK(wait.until >= now);
    CHECK(wait.until <= now + bound);
    const auto next = m.resume(backoff_ended(), at(wait.until));
    CHECK(next.kind == kind::acquire);
    CHECK(next.retry);
    CHECK_FALSE(next.resend);
    return {next, wait.until};
}

}  // namespace

TEST_CASE("retry policy: a 504 twice then 200 succeeds in 3 attempts, each backoff within its doubled bound") {
    request_machine m(params(three_attempts()));
    auto [a1, now] = std::pair{m.resume(started(), at(t0)), t0};
    send_on_idle_connection(m, a1, now);
    auto [a2, t2] = retried_after_reply(m, reply(504), now + 1ms, 100ms);
    CHECK(m.attempts() == 2);
    send_on_idle_connection(m, a2, t2);
    auto [a3, t3] = retried_after_reply(m, reply(504), t2 + 1ms, 200ms);
    CHECK(m.attempts() == 3);
    send_on_idle_connection(m, a3, t3);
    const auto rel = m.resume(reply_read(reply(200)), at(t3 + 1ms));
    REQUIRE(rel.kind == kind::release);
    check_done(m.resume(released(), at(t3 + 1ms)), {});
    CHECK(m.status() == 200);
    CHECK(m.attempts() == 3);
}

TEST_CASE("retry policy: the last attempt's 504 is the answer") {
    request_machine m(params(three_attempts()));
    auto [a, now] = std::pair{m.resume(started(), at(t0)), t0};
    for (int i = 0; i < 2; ++i) {
        send_on_idle_connection(m, a, now);
        std::tie(a, now) = retried_after_reply(m, reply(504), now, 1000ms);
    }
    send_on_idle_connection(m, a, now);
    const auto rel = m.resume(reply_read(reply(504)), at(now));
    REQUIRE(rel.kind == kind::release);
    check_done(m.resume(released(), at(now)), {});
    CHECK(m.status() == 504);
    CHECK(m.attempts() == 3);
}

TEST_CASE("retry policy: off by default, and per outcome") {
    SECTION("max_attempts = 1 (the default): a 504 is the answer") {
        request_machine m(params(retry_policy{}));
        send_on_idle_connection(m, m.resume(started(), at(t0)), t0);
        REQUIRE(m.resume(reply_read(reply(504)), at(t0)).kind == kind::release);
        check_done(m.resume(released(), at(t0)), {});
        CHECK(m.attempts() == 1);
    }
    SECTION("on_gateway_timeout = false") {
        auto rp = three_attempts();
        rp.on_gateway_timeout = false;
        request_machine m(params(rp));
        send_on_idle_connection(m, m.resume(started(), at(t0)), t0);
        REQUIRE(m.resume(reply_read(reply(504)), at(t0)).kind == kind::release);
        check_done(m.resume(released(), at(t0)), {});
    }
    SECTION("other statuses are not retried") {
        for (unsigned status : {500u, 502u, 503u, 410u, 200u}) {
            request_machine m(params(three_attempts()));
            send_on_idle_connection(m, m.resume(started(), at(t0)), t0);
            REQUIRE(m.resume(reply_read(reply(status)), at(t0)).kind == kind::release);
            check_done(m.resume(released(), at(t0)), {});
            CHECK(m.status() == status);
        }
    }
    SECTION("a Retry-After on another status changes nothing") {
        request_machine m(params(three_attempts()));
        send_on_idle_connection(m, m.resume(started(), at(t0)), t0);
        REQUIRE(m.resume(reply_read(reply(503, 700ms)), at(t0)).kind == kind::release);
        check_done(m.resume(released(), at(t0)), {});
        CHECK(m.attempts() == 1);
    }
    SECTION("a timeout is never retried: the deadline is the whole sequence's") {
        request_machine m(params(three_attempts()));
        send_on_idle_connection(m, m.resume(started(), at(t0)), t0);
        REQUIRE(m.resume(read_failed_mid_reply(failed(errc::request_timeout)), at(t0 + 10s)).kind == kind::release);
        check_done(m.resume(released(), at(t0 + 10s)), errc::request_timeout);
    }
}

TEST_CASE("retry policy: a failed connection, and one closed before any reply byte") {
    SECTION("connection_failed: released unusable, waited, attempted again") {
        request_machine m(params(three_attempts()));
        REQUIRE(m.resume(started(), at(t0)).kind == kind::acquire);
        REQUIRE(m.resume(new_slot(), at(t0)).kind == kind::connect);
        const auto rel = m.resume(connected(failed(errc::connection_failed)), at(t0 + 1ms));
        REQUIRE(rel.kind == kind::release);
        CHECK_FALSE(rel.reusable);
        const auto wait = m.resume(released(), at(t0 + 1ms));
        REQUIRE(wait.kind == kind::backoff);
        CHECK(m.resume(backoff_ended(), at(wait.until)).kind == kind::acquire);
        CHECK(m.attempts() == 2);
    }
    SECTION("on_connection_failed = false: the failure is the answer") {
        auto rp = three_attempts();
        rp.on_connection_failed = false;
        request_machine m(params(rp));
        (void)m.resume(started(), at(t0));
        (void)m.resume(new_slot(), at(t0));
        const auto rel = m.resume(connected(failed(errc::connection_failed)), at(t0 + 1ms));
        REQUIRE(rel.kind == kind::release);
        check_done(m.resume(released(), at(t0 + 1ms)), errc::connection_failed);
    }
    SECTION("connection_closed before any reply byte, on a fresh connection") {
        request_machine m(params(three_attempts()));
        (void)m.resume(started(), at(t0));
        (void)m.resume(new_slot(), at(t0));
        REQUIRE(m.resume(connected(ok), at(t0)).kind == kind::write);
        REQUIRE(m.resume(written(120), at(t0)).kind == kind::read);
        REQUIRE(m.resume(read_failed_before_reply(failed(errc::connection_closed)), at(t0 + 1ms)).kind == kind::release);
        CHECK(m.resume(released(), at(t0 + 1ms)).kind == kind::backoff);
    }
    SECTION("connection_closed after some reply bytes is the answer") {
        request_machine m(params(three_attempts()));
        send_on_idle_connection(m, m.resume(started(), at(t0)), t0);
        REQUIRE(m.resume(read_failed_mid_reply(failed(errc::connection_closed)), at(t0 + 1ms)).kind == kind::release);
        check_done(m.resume(released(), at(t0 + 1ms)), errc::connection_closed);
    }
    SECTION("a stale kept-alive connection's resend is part of the same attempt") {
        request_machine m(params(three_attempts()));
        send_on_idle_connection(m, m.resume(started(), at(t0)), t0);
        REQUIRE(m.resume(read_failed_before_reply(closed_by_peer(errc::connection_closed)), at(t0 + 1ms)).kind ==
                kind::release);
        const auto again = m.resume(released(), at(t0 + 1ms));
        CHECK(again.kind == kind::acquire);
        CHECK(again.resend);
        CHECK_FALSE(again.retry);  // a resend, not the policy's next attempt
        CHECK(m.attempts() == 1);
        // The fresh connection's reply is a 504: the policy's second attempt.
        REQUIRE(m.resume(new_slot(), at(t0 + 2ms)).kind == kind::connect);
        REQUIRE(m.resume(connected(ok), at(t0 + 2ms)).kind == kind::write);
        REQUIRE(m.resume(written(120), at(t0 + 2ms)).kind == kind::read);
        (void)retried_after_reply(m, reply(504), t0 + 3ms, 100ms);
        CHECK(m.attempts() == 2);
        CHECK_FALSE(m.resent());  // a new attempt may resend once more on a stale connection
    }
}

TEST_CASE("retry policy: POSTs") {
    SECTION("a failed connection is not retried unless opted in") {
        request_machine m(params(three_attempts(), false));
        (void)m.resume(started(), at(t0));
        (void)m.resume(new_slot(), at(t0));
        REQUIRE(m.resume(connected(failed(errc::connection_failed)), at(t0)).kind == kind::release);
        check_done(m.resume(released(), at(t0)), errc::connection_failed);
    }
    SECTION("nor one closed before any reply byte") {
        request_machine m(params(three_attempts(), false));
        (void)m.resume(started(), at(t0));
        (void)m.resume(new_slot(), at(t0));
        (void)m.resume(connected(ok), at(t0));
        (void)m.resume(written(120), at(t0));
        REQUIRE(m.resume(read_failed_before_reply(failed(errc::connection_closed)), at(t0)).kind == kind::release);
        check_done(m.resume(released(), at(t0)), errc::connection_closed);
    }
    SECTION("not retried on 504 unless opted in") {
        request_machine m(params(three_attempts(), false));
        send_on_idle_connection(m, m.resume(started(), at(t0)), t0);
        REQUIRE(m.resume(reply_read(reply(504)), at(t0)).kind == kind::release);
        check_done(m.resume(released(), at(t0)), {});
        CHECK(m.status() == 504);
        CHECK(m.attempts() == 1);
    }
    SECTION("opted in: retried on 504") {
        auto rp = three_attempts();
        rp.retry_posts = true;
        request_machine m(params(rp, false));
        send_on_idle_connection(m, m.resume(started(), at(t0)), t0);
        (void)retried_after_reply(m, reply(504), t0, 100ms);
        CHECK(m.attempts() == 2);
    }
}

TEST_CASE("retry policy: Retry-After and the deadline") {
    SECTION("Retry-After replaces the drawn wait") {
        request_machine m(params(three_attempts()));
        send_on_idle_connection(m, m.resume(started(), at(t0)), t0);
        REQUIRE(m.resume(reply_read(reply(504, 700ms)), at(t0)).kind == kind::release);
        const auto wait = m.resume(released(), at(t0));
        REQUIRE(wait.kind == kind::backoff);
        CHECK(wait.until == t0 + 700ms);
    }
    SECTION("... capped at max_backoff") {
        request_machine m(params(three_attempts()));
        send_on_idle_connection(m, m.resume(started(), at(t0)), t0);
        REQUIRE(m.resume(reply_read(reply(504, 3600s)), at(t0)).kind == kind::release);
        CHECK(m.resume(released(), at(t0)).until == t0 + 1000ms);
    }
    SECTION("a backoff that would end after the deadline: waits to the deadline, then request_timeout") {
        request_machine m(params(three_attempts(), true, 500ms));
        send_on_idle_connection(m, m.resume(started(), at(t0)), t0);
        REQUIRE(m.resume(reply_read(reply(504, 800ms)), at(t0 + 10ms)).kind == kind::release);
        const auto wait = m.resume(released(), at(t0 + 10ms));
        REQUIRE(wait.kind == kind::backoff);
        CHECK(wait.until == t0 + 500ms);
        const auto end = m.resume(backoff_ended(), at(t0 + 500ms));
        check_done(end, errc::request_timeout);
        CHECK(end.detail == "attempt 1 ended in HTTP 504; the wait before the next (800 ms) would end after the deadline");
        CHECK(m.attempts() == 1);
    }
    SECTION("an answer that arrives at the deadline is the answer") {
        request_machine m(params(three_attempts(), true, 500ms));
        send_on_idle_connection(m, m.resume(started(), at(t0)), t0);
        REQUIRE(m.resume(reply_read(reply(504)), at(t0 + 500ms)).kind == kind::release);
        check_done(m.resume(released(), at(t0 + 500ms)), {});
        CHECK(m.status() == 504);
    }
    SECTION("a backoff timer woken early waits the rest") {
        request_machine m(params(three_attempts()));
        send_on_idle_connection(m, m.resume(started(), at(t0)), t0);
        REQUIRE(m.resume(reply_read(reply(504, 700ms)), at(t0)).kind == kind::release);
        (void)m.resume(released(), at(t0));
        const auto rest = m.resume(backoff_ended(), at(t0 + 100ms));
        CHECK(rest.kind == kind::backoff);
        CHECK(rest.until == t0 + 700ms);
    }
    SECTION("a Retry-After of 0 attempts again at once") {
        request_machine m(params(three_attempts()));
        send_on_idle_connection(m, m.resume(started(), at(t0)), t0);
        REQUIRE(m.resume(reply_read(reply(504, 0ms)), at(t0)).kind == kind::release);
        const auto next = m.resume(released(), at(t0));
        CHECK(next.kind == kind::acquire);
        CHECK(next.retry);
        CHECK_FALSE(next.resend);
    }
}

TEST_CASE("retry policy: cancellation") {
    SECTION("during the backoff: operation_aborted, no other attempt") {
        request_machine m(params(three_attempts()));
        send_on_idle_connection(m, m.resume(started(), at(t0)), t0);
        (void)m.resume(reply_read(reply(504, 700ms)), at(t0));
        REQUIRE(m.resume(released(), at(t0)).kind == kind::backoff);
        check_done(m.resume(backoff_ended(), cancelled_at(t0 + 10ms)), aborted);
        CHECK(m.attempts() == 1);
    }
    SECTION("while the connection is given back before the backoff") {
        request_machine m(params(three_attempts()));
        send_on_idle_connection(m, m.resume(started(), at(t0)), t0);
        (void)m.resume(reply_read(reply(504)), at(t0));
        check_done(m.resume(released(), cancelled_at(t0)), aborted);
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
