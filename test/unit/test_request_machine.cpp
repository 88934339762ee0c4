// The life of one request as a state machine: every path stepped through with simulated time, no sockets.
#include "http/request_machine.hpp"

#include <pieces/error.hpp>

#include <boost/asio/error.hpp>
#include <catch2/catch.hpp>

using namespace pieces;
using namespace pieces::detail;
using namespace std::chrono_literals;
using boost::system::error_code;
using step = request_step;
using time_point = request_machine::clock_type::time_point;

namespace {

const error_code aborted = boost::asio::error::operation_aborted;
const time_point t0 = time_point{} + 1h;  // simulated time

reply_facts facts(unsigned status, bool keep_alive = true, bool bytes_after = false,
                  std::optional<request_machine::clock_type::duration> retry_after = std::nullopt) {
    reply_facts f;
    f.status = status;
    f.keep_alive = keep_alive;
    f.bytes_after = bytes_after;
    f.retry_after = retry_after;
    return f;
}
const step_result ok{};
const reply_facts ok_reply = facts(200, true, false);

request_machine::params get_params() {
    request_machine::params p;
    p.is_get = true;
    p.deadline = t0 + 1000ms;
    p.connect_timeout = 300ms;
    p.host = "pieces.test";
    p.authority = "pieces.test:39300";
    return p;
}

request_machine::params post_params() {
    auto p = get_params();
    p.is_get = false;
    return p;
}

step_result failed(error_code ec, bool closed_before_reply = false) {
    step_result r;
    r.ec = ec;
    r.closed_before_reply = closed_before_reply;
    return r;
}

// A machine that holds an open kept-alive connection (one reply served already) and is about to write.
request_machine on_reused_connection(request_machine::params p = get_params()) {
    request_machine m(std::move(p));
    REQUIRE(m.start(t0, false).step == step::acquire);
    const auto a = m.on_acquired(pool_answer::idle_connection, true, false, 1, t0, false);
    REQUIRE(a.step == step::write);
    return m;
}

void check_done(const request_action& a, error_code ec) {
    CHECK(a.step == step::done);
    CHECK(a.ec == ec);
}

// Expects a release (reusable or not) followed, once released, by the end with `ec`.
void check_release_then_done(request_machine& m, const request_action& a, bool reusable, error_code ec,
                             time_point now = t0) {
    REQUIRE(a.step == step::release);
    CHECK(a.reusable == reusable);
    check_done(m.on_released(now, false), ec);
}

}  // namespace

TEST_CASE("request machine: the plain path on an idle connection") {
    request_machine m(get_params());
    CHECK(m.start(t0, false).step == step::acquire);
    const auto w = m.on_acquired(pool_answer::idle_connection, true, false, 3, t0, false);
    CHECK(w.step == step::write);
    CHECK(w.until == t0 + 1000ms);
    CHECK_FALSE(w.last_on_connection);
    const auto r = m.on_written(ok, 120, t0 + 1ms, false);
    CHECK(r.step == step::read);
    CHECK(r.until == t0 + 1000ms);
    check_release_then_done(m, m.on_read(ok, true, ok_reply, t0 + 2ms, false), true, {});
    CHECK(m.status() == 200);
    CHECK_FALSE(m.retried());
}

TEST_CASE("request machine: a new connection is looked up and connected under connect_timeout") {
    request_machine m(get_params());
    (void)m.start(t0, false);
    const auto lookup = m.on_acquired(pool_answer::new_slot, false, true, 0, t0, false);
    CHECK(lookup.step == step::resolve);
    CHECK(lookup.until == t0 + 300ms);
    const auto connect = m.on_resolved(ok, t0 + 100ms, false);
    CHECK(connect.step == step::connect);
    CHECK(connect.until == t0 + 300ms);  // the lookup's time counts against the same bound
    CHECK(m.on_connected(ok, t0 + 150ms, false).step == step::write);

    SECTION("a known address goes straight to connect") {
        request_machine known(get_params());
        (void)known.start(t0, false);
        CHECK(known.on_acquired(pool_answer::new_slot, false, false, 0, t0, false).step == step::connect);
    }
    SECTION("a deadline before connect_timeout bounds the connect") {
        auto p = get_params();
        p.deadline = t0 + 200ms;
        request_machine near(p);
        (void)near.start(t0, false);
        CHECK(near.on_acquired(pool_answer::new_slot, false, false, 0, t0, false).until == t0 + 200ms);
    }
    SECTION("a huge connect_timeout does not overflow") {
        auto p = get_params();
        p.connect_timeout = request_machine::clock_type::duration::max();
        p.deadline = time_point::max();
        request_machine far(p);
        (void)far.start(t0, false);
        CHECK(far.on_acquired(pool_answer::new_slot, false, false, 0, t0, false).until == time_point::max());
    }
}

TEST_CASE("request machine: deadlines and connect_timeout in the lookup and the connect") {
    SECTION("lookup past connect_timeout: connection_failed, saying so") {
        request_machine m(get_params());
        (void)m.start(t0, false);
        (void)m.on_acquired(pool_answer::new_slot, false, true, 0, t0, false);
        const auto a = m.on_resolved(failed(errc::request_timeout), t0 + 300ms, false);
        REQUIRE(a.step == step::release);
        CHECK_FALSE(a.reusable);
        const auto d = m.on_released(t0 + 300ms, false);
        check_done(d, errc::connection_failed);
        CHECK(d.detail == "resolving pieces.test took longer than pool.connect_timeout");
    }
    SECTION("lookup past the request's own deadline: request_timeout") {
        auto p = get_params();
        p.deadline = t0 + 200ms;
        request_machine m(p);
        (void)m.start(t0, false);
        (void)m.on_acquired(pool_answer::new_slot, false, true, 0, t0, false);
        check_release_then_done(m, m.on_resolved(failed(errc::request_timeout), t0 + 200ms, false), false,
                                errc::request_timeout);
    }
    SECTION("a lookup that answered after connect_timeout is out of time too") {
        request_machine m(get_params());
        (void)m.start(t0, false);
        (void)m.on_acquired(pool_answer::new_slot, false, true, 0, t0, false);
        check_release_then_done(m, m.on_resolved(ok, t0 + 301ms, false), false, errc::connection_failed);
    }
    SECTION("a failed lookup passes its code and detail on") {
        request_machine m(get_params());
        (void)m.start(t0, false);
        (void)m.on_acquired(pool_answer::new_slot, false, true, 0, t0, false);
        step_result r = failed(errc::connection_failed);
        r.detail = "cannot resolve x: Host not found";
        const auto a = m.on_resolved(r, t0 + 10ms, false);
        REQUIRE(a.step == step::release);
        const auto d = m.on_released(t0 + 10ms, false);
        check_done(d, errc::connection_failed);
        CHECK(d.detail == "cannot resolve x: Host not found");
    }
    SECTION("connect past connect_timeout: connection_failed; past the deadline: request_timeout") {
        request_machine m(get_params());
        (void)m.start(t0, false);
        (void)m.on_acquired(pool_answer::new_slot, false, false, 0, t0, false);
        const auto a = m.on_connected(failed(errc::request_timeout), t0 + 300ms, false);
        REQUIRE(a.step == step::release);
        const auto d = m.on_released(t0 + 300ms, false);
        check_done(d, errc::connection_failed);
        CHECK(d.detail == "connect to pieces.test:39300 took longer than pool.connect_timeout");

        auto p = get_params();
        p.deadline = t0 + 100ms;
        request_machine n(p);
        (void)n.start(t0, false);
        (void)n.on_acquired(pool_answer::new_slot, false, false, 0, t0, false);
        check_release_then_done(n, n.on_connected(failed(errc::request_timeout), t0 + 100ms, false), false,
                                errc::request_timeout);
    }
    SECTION("connected just as the deadline passed: the unused connection is kept") {
        request_machine m(get_params());
        (void)m.start(t0, false);
        (void)m.on_acquired(pool_answer::new_slot, false, false, 0, t0, false);
        check_release_then_done(m, m.on_connected(ok, t0 + 1000ms, false), true, errc::request_timeout);
    }
    SECTION("a step that ends at the deadline starts no other: written, or an interim reply read") {
        request_machine m = on_reused_connection();
        check_release_then_done(m, m.on_written(ok, 120, t0 + 1000ms, false), false, errc::request_timeout);
        request_machine n = on_reused_connection();
        (void)n.on_written(ok, 120, t0 + 1ms, false);
        check_release_then_done(n, n.on_read(ok, true, facts(100, true, false), t0 + 1000ms, false), false,
                                errc::request_timeout);
        request_machine o = on_reused_connection();
        (void)o.on_written(ok, 120, t0 + 1ms, false);
        // The whole reply arrived: late or not, it is the answer.
        check_release_then_done(o, o.on_read(ok, true, ok_reply, t0 + 1000ms, false), true, {});
    }
    SECTION("a request started after its deadline ends at once") {
        request_machine m(get_params());
        check_done(m.start(t0 + 1000ms, false), errc::request_timeout);
    }
}

TEST_CASE("request machine: waiting for a connection") {
    SECTION("the deadline passes while waiting") {
        request_machine m(get_params());
        (void)m.start(t0, false);
        const auto w = m.on_acquired(pool_answer::must_wait, false, false, 0, t0, false);
        CHECK(w.step == step::wait_for_grant);
        CHECK(w.until == t0 + 1000ms);
        check_done(m.on_wait_ended(false, false, false, 0, t0 + 1000ms, false), errc::request_timeout);
    }
    SECTION("cancelled while waiting") {
        request_machine m(get_params());
        (void)m.start(t0, false);
        (void)m.on_acquired(pool_answer::must_wait, false, false, 0, t0, false);
        check_done(m.on_wait_ended(false, false, false, 0, t0 + 10ms, true), aborted);
    }
    SECTION("a connection granted after the deadline is passed on, reusable") {
        request_machine m(get_params());
        (void)m.start(t0, false);
        (void)m.on_acquired(pool_answer::must_wait, false, false, 0, t0, false);
        check_release_then_done(m, m.on_wait_ended(true, true, false, 2, t0 + 1000ms, false), true,
                                errc::request_timeout);
    }
    SECTION("a slot granted after the deadline is passed on") {
        request_machine m(get_params());
        (void)m.start(t0, false);
        (void)m.on_acquired(pool_answer::must_wait, false, false, 0, t0, false);
        check_release_then_done(m, m.on_wait_ended(true, false, true, 0, t0 + 1001ms, false), false,
                                errc::request_timeout);
    }
    SECTION("a grant that arrives with a cancellation is passed on") {
        request_machine m(get_params());
        (void)m.start(t0, false);
        (void)m.on_acquired(pool_answer::must_wait, false, false, 0, t0, false);
        check_release_then_done(m, m.on_wait_ended(true, true, false, 1, t0 + 5ms, true), true, aborted);
    }
    SECTION("a grant in time goes on to the request") {
        request_machine m(get_params());
        (void)m.start(t0, false);
        (void)m.on_acquired(pool_answer::must_wait, false, false, 0, t0, false);
        CHECK(m.on_wait_ended(true, true, false, 1, t0 + 5ms, false).step == step::write);
        request_machine s(get_params());
        (void)s.start(t0, false);
        (void)s.on_acquired(pool_answer::must_wait, false, false, 0, t0, false);
        CHECK(s.on_wait_ended(true, false, true, 0, t0 + 5ms, false).step == step::resolve);
    }
}

TEST_CASE("request machine: cancellation in every step and between steps") {
    SECTION("before it starts") {
        request_machine m(get_params());
        check_done(m.start(t0, true), aborted);
    }
    SECTION("between acquiring an idle connection and writing: the connection is kept") {
        request_machine m(get_params());
        (void)m.start(t0, false);
        check_release_then_done(m, m.on_acquired(pool_answer::idle_connection, true, false, 1, t0, true), true, aborted);
    }
    SECTION("between acquiring a slot and connecting: the slot goes back") {
        request_machine m(get_params());
        (void)m.start(t0, false);
        check_release_then_done(m, m.on_acquired(pool_answer::new_slot, false, false, 0, t0, true), false, aborted);
    }
    SECTION("during the lookup") {
        request_machine m(get_params());
        (void)m.start(t0, false);
        (void)m.on_acquired(pool_answer::new_slot, false, true, 0, t0, false);
        check_release_then_done(m, m.on_resolved(failed(aborted), t0 + 1ms, true), false, aborted);
    }
    SECTION("during the connect") {
        request_machine m(get_params());
        (void)m.start(t0, false);
        (void)m.on_acquired(pool_answer::new_slot, false, false, 0, t0, false);
        check_release_then_done(m, m.on_connected(failed(aborted), t0 + 1ms, true), false, aborted);
    }
    SECTION("between connecting and writing: the fresh connection is kept") {
        request_machine m(get_params());
        (void)m.start(t0, false);
        (void)m.on_acquired(pool_answer::new_slot, false, false, 0, t0, false);
        check_release_then_done(m, m.on_connected(ok, t0 + 1ms, true), true, aborted);
    }
    SECTION("during the write: no retry, the connection goes") {
        request_machine m = on_reused_connection();
        check_release_then_done(m, m.on_written(failed(aborted), 10, t0 + 1ms, true), false, aborted);
    }
    SECTION("between writing and reading: the reply is pending, so the connection goes") {
        request_machine m = on_reused_connection();
        check_release_then_done(m, m.on_written(ok, 120, t0 + 1ms, true), false, aborted);
    }
    SECTION("during the read") {
        request_machine m = on_reused_connection();
        (void)m.on_written(ok, 120, t0 + 1ms, false);
        check_release_then_done(m, m.on_read(failed(aborted), true, {}, t0 + 2ms, true), false, aborted);
    }
    SECTION("after the whole reply arrived: it completes normally") {
        request_machine m = on_reused_connection();
        (void)m.on_written(ok, 120, t0 + 1ms, false);
        check_release_then_done(m, m.on_read(ok, true, ok_reply, t0 + 2ms, true), true, {});
    }
    SECTION("before the retry on a fresh connection") {
        request_machine m = on_reused_connection();
        (void)m.on_written(ok, 120, t0 + 1ms, false);
        const auto a = m.on_read(failed(errc::connection_closed, true), false, {}, t0 + 2ms, false);
        REQUIRE(a.step == step::release);
        check_done(m.on_released(t0 + 2ms, true), aborted);
    }
}

TEST_CASE("request machine: the stale-connection retry rule") {
    SECTION("GET: a kept-alive connection closed before any reply byte is retried once on a fresh one") {
        request_machine m = on_reused_connection();
        (void)m.on_written(ok, 120, t0 + 1ms, false);
        const auto a = m.on_read(failed(errc::connection_closed, true), false, {}, t0 + 2ms, false);
        REQUIRE(a.step == step::release);
        CHECK_FALSE(a.reusable);
        const auto again = m.on_released(t0 + 2ms, false);
        CHECK(again.step == step::acquire);
        CHECK(again.want_fresh);
        CHECK(m.retried());
        // The second attempt fails the same way: no second retry.
        CHECK(m.on_acquired(pool_answer::new_slot, false, false, 0, t0 + 3ms, false).step == step::connect);
        (void)m.on_connected(ok, t0 + 4ms, false);
        (void)m.on_written(ok, 120, t0 + 5ms, false);
        check_release_then_done(m, m.on_read(failed(errc::connection_closed, true), false, {}, t0 + 6ms, false),
                                false, errc::connection_closed);
    }
    SECTION("GET: a reply cut short after some bytes is not retried") {
        request_machine m = on_reused_connection();
        (void)m.on_written(ok, 120, t0 + 1ms, false);
        check_release_then_done(m, m.on_read(failed(errc::connection_closed, false), true, {}, t0 + 2ms, false),
                                false, errc::connection_closed);
    }
    SECTION("a fresh connection is not retried") {
        request_machine m(get_params());
        (void)m.start(t0, false);
        (void)m.on_acquired(pool_answer::new_slot, false, false, 0, t0, false);
        (void)m.on_connected(ok, t0 + 1ms, false);
        (void)m.on_written(ok, 120, t0 + 1ms, false);
        check_release_then_done(m, m.on_read(failed(errc::connection_closed, true), false, {}, t0 + 2ms, false),
                                false, errc::connection_closed);
    }
    SECTION("POST with nothing written: retried") {
        request_machine m = on_reused_connection(post_params());
        const auto a = m.on_written(failed(errc::connection_closed, true), 0, t0 + 1ms, false);
        REQUIRE(a.step == step::release);
        CHECK(m.on_released(t0 + 1ms, false).step == step::acquire);
    }
    SECTION("POST partly written: not retried") {
        request_machine m = on_reused_connection(post_params());
        check_release_then_done(m, m.on_written(failed(errc::connection_closed, true), 40, t0 + 1ms, false), false,
                                errc::connection_closed);
    }
    SECTION("POST written, then closed before any reply byte: not retried (it may have been applied)") {
        request_machine m = on_reused_connection(post_params());
        (void)m.on_written(ok, 300, t0 + 1ms, false);
        check_release_then_done(m, m.on_read(failed(errc::connection_closed, true), false, {}, t0 + 2ms, false),
                                false, errc::connection_closed);
    }
    SECTION("the retry still respects the deadline") {
        request_machine m = on_reused_connection();
        (void)m.on_written(ok, 120, t0 + 1ms, false);
        (void)m.on_read(failed(errc::connection_closed, true), false, {}, t0 + 2ms, false);
        check_done(m.on_released(t0 + 1000ms, false), errc::request_timeout);
    }
}

TEST_CASE("request machine: interim replies, up to a bound") {
    const reply_facts interim = facts(100, true, false);
    SECTION("32 interim replies, then the real one") {
        request_machine m = on_reused_connection();
        (void)m.on_written(ok, 120, t0 + 1ms, false);
        for (int i = 0; i < 32; ++i) REQUIRE(m.on_read(ok, true, interim, t0 + 2ms, false).step == step::read);
        check_release_then_done(m, m.on_read(ok, true, ok_reply, t0 + 3ms, false), true, {});
    }
    SECTION("the 33rd is malformed_http") {
        request_machine m = on_reused_connection();
        (void)m.on_written(ok, 120, t0 + 1ms, false);
        for (int i = 0; i < 32; ++i) (void)m.on_read(ok, true, interim, t0 + 2ms, false);
        const auto a = m.on_read(ok, true, interim, t0 + 2ms, false);
        REQUIRE(a.step == step::release);
        CHECK_FALSE(a.reusable);
        const auto d = m.on_released(t0 + 2ms, false);
        check_done(d, errc::malformed_http);
        CHECK(d.detail == "more than 32 interim (1xx) replies");
    }
    SECTION("101 is not interim: it ends the request and the connection") {
        request_machine m = on_reused_connection();
        (void)m.on_written(ok, 120, t0 + 1ms, false);
        check_release_then_done(m, m.on_read(ok, true, facts(101, true, false), t0 + 2ms, false), false, {});
        CHECK(m.status() == 101);
    }
}

TEST_CASE("request machine: whether the connection is kept after the reply") {
    SECTION("Connection: close") {
        request_machine m = on_reused_connection();
        (void)m.on_written(ok, 120, t0 + 1ms, false);
        check_release_then_done(m, m.on_read(ok, true, facts(200, false, false), t0 + 2ms, false), false, {});
    }
    SECTION("bytes after the reply") {
        request_machine m = on_reused_connection();
        (void)m.on_written(ok, 120, t0 + 1ms, false);
        check_release_then_done(m, m.on_read(ok, true, facts(200, true, true), t0 + 2ms, false), false, {});
    }
    SECTION("an error status keeps a healthy connection") {
        request_machine m = on_reused_connection();
        (void)m.on_written(ok, 120, t0 + 1ms, false);
        check_release_then_done(m, m.on_read(ok, true, facts(500, true, false), t0 + 2ms, false), true, {});
        CHECK(m.status() == 500);
    }
    SECTION("max_requests_per_connection: the last request says Connection: close and the connection goes") {
        auto p = get_params();
        p.max_requests_per_connection = 2;
        request_machine first(p);
        (void)first.start(t0, false);
        CHECK_FALSE(first.on_acquired(pool_answer::idle_connection, true, false, 0, t0, false).last_on_connection);
        request_machine second(p);
        (void)second.start(t0, false);
        const auto w = second.on_acquired(pool_answer::idle_connection, true, false, 1, t0, false);
        CHECK(w.last_on_connection);
        (void)second.on_written(ok, 120, t0 + 1ms, false);
        check_release_then_done(second, second.on_read(ok, true, ok_reply, t0 + 2ms, false), false, {});
    }
    SECTION("a deadline during the read is request_timeout, and the connection goes") {
        request_machine m = on_reused_connection();
        (void)m.on_written(ok, 120, t0 + 1ms, false);
        check_release_then_done(m, m.on_read(failed(errc::request_timeout), true, {}, t0 + 1000ms, false), false,
                                errc::request_timeout);
    }
}

namespace {

// An https request that has just connected a new connection (connect_timeout: t0 + 300ms).
request_machine connected_over_tls(request_machine::params p = get_params()) {
    p.tls = true;
    request_machine m(std::move(p));
    (void)m.start(t0, false);
    REQUIRE(m.on_acquired(pool_answer::new_slot, false, false, 0, t0, false).step == step::connect);
    return m;
}

}  // namespace

TEST_CASE("request machine: over TLS a new connection shakes hands before the first write") {
    SECTION("the handshake is bounded by connect_timeout, then the request is written") {
        auto m = connected_over_tls();
        const auto h = m.on_connected(ok, t0 + 100ms, false);
        REQUIRE(h.step == step::handshake);
        CHECK(h.until == t0 + 300ms);  // the lookup, connect and handshake share pool.connect_timeout
        const auto w = m.on_handshake(ok, t0 + 120ms, false);
        CHECK(w.step == step::write);
        CHECK(w.until == t0 + 1000ms);
    }
    SECTION("a kept-alive TLS connection needs none") {
        auto p = get_params();
        p.tls = true;
        request_machine m(p);
        (void)m.start(t0, false);
        CHECK(m.on_acquired(pool_answer::idle_connection, true, false, 1, t0, false).step == step::write);
    }
    SECTION("a failed handshake or rejected certificate ends the request, the connection closed, no retry") {
        for (const errc e : {errc::tls_handshake_failed, errc::tls_certificate_rejected}) {
            auto p = get_params();
            p.retry.max_attempts = 3;  // not attempted again: the same handshake fails the same way
            auto m = connected_over_tls(p);
            REQUIRE(m.on_connected(ok, t0 + 10ms, false).step == step::handshake);
            step_result r = failed(e);
            r.detail = "the certificate of pieces.test:39300 was rejected: expired";
            const auto a = m.on_handshake(r, t0 + 20ms, false);
            REQUIRE(a.step == step::release);
            CHECK_FALSE(a.reusable);
            const auto d = m.on_released(t0 + 20ms, false);
            check_done(d, e);
            CHECK(d.detail == r.detail);
            CHECK(m.attempts() == 1);
        }
    }
    SECTION("past connect_timeout (before the deadline): the handshake failed, saying so") {
        auto m = connected_over_tls();
        (void)m.on_connected(ok, t0 + 10ms, false);
        const auto a = m.on_handshake(failed(errc::request_timeout), t0 + 300ms, false);
        REQUIRE(a.step == step::release);
        CHECK_FALSE(a.reusable);
        const auto d = m.on_released(t0 + 300ms, false);
        check_done(d, errc::tls_handshake_failed);
        CHECK(d.detail.find("took longer than pool.connect_timeout") != std::string::npos);
    }
    SECTION("the request's deadline in the handshake: request_timeout") {
        auto p = get_params();
        p.deadline = t0 + 200ms;  // before connect_timeout
        auto m = connected_over_tls(p);
        const auto h = m.on_connected(ok, t0 + 10ms, false);
        CHECK(h.until == t0 + 200ms);
        check_release_then_done(m, m.on_handshake(failed(errc::request_timeout), t0 + 200ms, false), false,
                                errc::request_timeout);
    }
    SECTION("cancelled during the handshake: aborted, the half-made connection not kept") {
        auto m = connected_over_tls();
        (void)m.on_connected(ok, t0 + 10ms, false);
        check_release_then_done(m, m.on_handshake(failed(aborted), t0 + 20ms, true), false, aborted);
    }
    SECTION("cancelled between the connect and the handshake: the connection is not kept") {
        auto m = connected_over_tls();
        check_release_then_done(m, m.on_connected(ok, t0 + 10ms, true), false, aborted);
    }
    SECTION("the deadline passed between the connect and the handshake") {
        auto m = connected_over_tls();
        check_release_then_done(m, m.on_connected(ok, t0 + 1000ms, false), false, errc::request_timeout);
    }
    SECTION("cancelled just after the handshake: the ready connection is kept for others") {
        auto m = connected_over_tls();
        (void)m.on_connected(ok, t0 + 10ms, false);
        check_release_then_done(m, m.on_handshake(ok, t0 + 20ms, true), true, aborted);
    }
}
