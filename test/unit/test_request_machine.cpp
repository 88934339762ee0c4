// The life of one request as a state machine: every path stepped through with simulated time, no sockets.
#include "http/request_machine.hpp"
#include "request_machine_steps.hpp"

#include <catch2/catch.hpp>

using namespace machine_steps;
using namespace std::chrono_literals;

namespace {

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

const reply_facts ok_reply = reply(200);

// A machine that holds an open kept-alive connection (one reply served already) and is about to write.
request_machine on_reused_connection(request_machine::params p = get_params()) {
    request_machine m(std::move(p));
    REQUIRE(m.resume(started(), at(t0)).kind == kind::acquire);
    const auto a = m.resume(idle_connection(1), at(t0));
    REQUIRE(a.kind == kind::write);
    return m;
}

// A machine that has written its request on a kept-alive connection and is reading the reply.
request_machine reading_on_reused_connection(request_machine::params p = get_params()) {
    request_machine m = on_reused_connection(std::move(p));
    (void)m.resume(written(120), at(t0 + 1ms));
    return m;
}

// A machine that has asked for a connection (started at t0).
request_machine acquiring(request_machine::params p = get_params()) {
    request_machine m(std::move(p));
    (void)m.resume(started(), at(t0));
    return m;
}

}  // namespace

TEST_CASE("request machine: the plain path on an idle connection") {
    request_machine m(get_params());
    CHECK(m.phase() == phase::not_started);
    CHECK(m.resume(started(), at(t0)).kind == kind::acquire);
    CHECK(m.phase() == phase::acquiring);
    const auto w = m.resume(idle_connection(3), at(t0));
    CHECK(w.kind == kind::write);
    CHECK(w.until == t0 + 1000ms);
    CHECK_FALSE(w.last_on_connection);
    CHECK(m.phase() == phase::writing);
    const auto r = m.resume(written(120), at(t0 + 1ms));
    CHECK(r.kind == kind::read);
    CHECK(r.until == t0 + 1000ms);
    CHECK(m.phase() == phase::reading);
    const auto rel = m.resume(reply_read(ok_reply), at(t0 + 2ms));
    CHECK(rel.final_reply);
    CHECK(m.phase() == phase::releasing);
    check_release_then_done(m, rel, kept, {});
    CHECK(m.phase() == phase::done);
    CHECK(m.status() == 200);
    CHECK_FALSE(m.resent());
}

TEST_CASE("request machine: a new connection is looked up and connected under connect_timeout") {
    request_machine m = acquiring();
    const auto lookup = m.resume(new_slot_to_look_up(), at(t0));
    CHECK(lookup.kind == kind::resolve);
    CHECK(lookup.until == t0 + 300ms);
    const auto connect = m.resume(resolved(ok), at(t0 + 100ms));
    CHECK(connect.kind == kind::connect);
    CHECK(connect.until == t0 + 300ms);  // the lookup's time counts against the same bound
    CHECK(m.resume(connected(ok), at(t0 + 150ms)).kind == kind::write);

    SECTION("a known address goes straight to connect") {
        request_machine known = acquiring();
        CHECK(known.resume(new_slot(), at(t0)).kind == kind::connect);
    }
    SECTION("a deadline before connect_timeout bounds the connect") {
        auto p = get_params();
        p.deadline = t0 + 200ms;
        request_machine near = acquiring(p);
        CHECK(near.resume(new_slot(), at(t0)).until == t0 + 200ms);
    }
    SECTION("a huge connect_timeout does not overflow") {
        auto p = get_params();
        p.connect_timeout = request_machine::clock_type::duration::max();
        p.deadline = time_point::max();
        request_machine far = acquiring(p);
        CHECK(far.resume(new_slot(), at(t0)).until == time_point::max());
    }
}

TEST_CASE("request machine: deadlines and connect_timeout in the lookup and the connect") {
    SECTION("lookup past connect_timeout: connection_failed, saying so") {
        request_machine m = acquiring();
        (void)m.resume(new_slot_to_look_up(), at(t0));
        const auto a = m.resume(resolved(failed(errc::request_timeout)), at(t0 + 300ms));
        REQUIRE(a.kind == kind::release);
        CHECK_FALSE(a.reusable);
        const auto d = m.resume(released(), at(t0 + 300ms));
        check_done(d, errc::connection_failed);
        CHECK(d.detail == "resolving pieces.test took longer than pool.connect_timeout");
    }
    SECTION("lookup past the request's own deadline: request_timeout") {
        auto p = get_params();
        p.deadline = t0 + 200ms;
        request_machine m = acquiring(p);
        (void)m.resume(new_slot_to_look_up(), at(t0));
        check_release_then_done(m, m.resume(resolved(failed(errc::request_timeout)), at(t0 + 200ms)), dropped,
                                errc::request_timeout);
    }
    SECTION("a lookup that answered after connect_timeout is out of time too") {
        request_machine m = acquiring();
        (void)m.resume(new_slot_to_look_up(), at(t0));
        check_release_then_done(m, m.resume(resolved(ok), at(t0 + 301ms)), dropped, errc::connection_failed);
    }
    SECTION("a failed lookup passes its code and detail on") {
        request_machine m = acquiring();
        (void)m.resume(new_slot_to_look_up(), at(t0));
        step_result r = failed(errc::connection_failed);
        r.detail = "cannot resolve x: Host not found";
        const auto a = m.resume(resolved(r), at(t0 + 10ms));
        REQUIRE(a.kind == kind::release);
        const auto d = m.resume(released(), at(t0 + 10ms));
        check_done(d, errc::connection_failed);
        CHECK(d.detail == "cannot resolve x: Host not found");
    }
    SECTION("connect past connect_timeout: connection_failed; past the deadline: request_timeout") {
        request_machine m = acquiring();
        (void)m.resume(new_slot(), at(t0));
        const auto a = m.resume(connected(failed(errc::request_timeout)), at(t0 + 300ms));
        REQUIRE(a.kind == kind::release);
        const auto d = m.resume(released(), at(t0 + 300ms));
        check_done(d, errc::connection_failed);
        CHECK(d.detail == "connect to pieces.test:39300 took longer than pool.connect_timeout");

        auto p = get_params();
        p.deadline = t0 + 100ms;
        request_machine n = acquiring(p);
        (void)n.resume(new_slot(), at(t0));
        check_release_then_done(n, n.resume(connected(failed(errc::request_timeout)), at(t0 + 100ms)), dropped,
                                errc::request_timeout);
    }
    SECTION("connected just as the deadline passed: the unused connection is kept") {
        request_machine m = acquiring();
        (void)m.resume(new_slot(), at(t0));
        check_release_then_done(m, m.resume(connected(ok), at(t0 + 1000ms)), kept, errc::request_timeout);
    }
    SECTION("a step that ends at the deadline starts no other: written, or an interim reply read") {
        request_machine m = on_reused_connection();
        check_release_then_done(m, m.resume(written(120), at(t0 + 1000ms)), dropped, errc::request_timeout);
        request_machine n = reading_on_reused_connection();
        check_release_then_done(n, n.resume(reply_read(reply(100)), at(t0 + 1000ms)), dropped, errc::request_timeout);
        request_machine o = reading_on_reused_connection();
        // The whole reply arrived: late or not, it is the answer.
        check_release_then_done(o, o.resume(reply_read(ok_reply), at(t0 + 1000ms)), kept, {});
    }
    SECTION("a request started after its deadline ends at once") {
        request_machine m(get_params());
        check_done(m.resume(started(), at(t0 + 1000ms)), errc::request_timeout);
    }
}

TEST_CASE("request machine: waiting for a connection") {
    SECTION("the deadline passes while waiting") {
        request_machine m = acquiring();
        const auto w = m.resume(must_wait(), at(t0));
        CHECK(w.kind == kind::wait_for_grant);
        CHECK(w.until == t0 + 1000ms);
        CHECK(m.phase() == phase::waiting_for_grant);
        check_done(m.resume(not_granted(), at(t0 + 1000ms)), errc::request_timeout);
    }
    SECTION("cancelled while waiting") {
        request_machine m = acquiring();
        (void)m.resume(must_wait(), at(t0));
        check_done(m.resume(not_granted(), cancelled_at(t0 + 10ms)), aborted);
    }
    SECTION("a connection granted after the deadline is passed on, reusable") {
        request_machine m = acquiring();
        (void)m.resume(must_wait(), at(t0));
        check_release_then_done(m, m.resume(granted_connection(2), at(t0 + 1000ms)), kept, errc::request_timeout);
    }
    SECTION("a slot granted after the deadline is passed on") {
        request_machine m = acquiring();
        (void)m.resume(must_wait(), at(t0));
        check_release_then_done(m, m.resume(granted_slot_to_look_up(), at(t0 + 1001ms)), dropped,
                                errc::request_timeout);
    }
    SECTION("a grant that arrives with a cancellation is passed on") {
        request_machine m = acquiring();
        (void)m.resume(must_wait(), at(t0));
        check_release_then_done(m, m.resume(granted_connection(1), cancelled_at(t0 + 5ms)), kept, aborted);
    }
    SECTION("a grant in time goes on to the request") {
        request_machine m = acquiring();
        (void)m.resume(must_wait(), at(t0));
        CHECK(m.resume(granted_connection(1), at(t0 + 5ms)).kind == kind::write);
        request_machine s = acquiring();
        (void)s.resume(must_wait(), at(t0));
        CHECK(s.resume(granted_slot_to_look_up(), at(t0 + 5ms)).kind == kind::resolve);
    }
}

TEST_CASE("request machine: cancellation in every step and between steps") {
    SECTION("before it starts") {
        request_machine m(get_params());
        check_done(m.resume(started(), cancelled_at(t0)), aborted);
    }
    SECTION("between acquiring an idle connection and writing: the connection is kept") {
        request_machine m = acquiring();
        check_release_then_done(m, m.resume(idle_connection(1), cancelled_at(t0)), kept, aborted);
    }
    SECTION("between acquiring a slot and connecting: the slot goes back") {
        request_machine m = acquiring();
        check_release_then_done(m, m.resume(new_slot(), cancelled_at(t0)), dropped, aborted);
    }
    SECTION("during the lookup") {
        request_machine m = acquiring();
        (void)m.resume(new_slot_to_look_up(), at(t0));
        check_release_then_done(m, m.resume(resolved(failed(aborted)), cancelled_at(t0 + 1ms)), dropped, aborted);
    }
    SECTION("during the connect") {
        request_machine m = acquiring();
        (void)m.resume(new_slot(), at(t0));
        check_release_then_done(m, m.resume(connected(failed(aborted)), cancelled_at(t0 + 1ms)), dropped, aborted);
    }
    SECTION("between connecting and writing: the fresh connection is kept") {
        request_machine m = acquiring();
        (void)m.resume(new_slot(), at(t0));
        check_release_then_done(m, m.resume(connected(ok), cancelled_at(t0 + 1ms)), kept, aborted);
    }
    SECTION("during the write: no resend, the connection goes") {
        request_machine m = on_reused_connection();
        check_release_then_done(m, m.resume(written(10, failed(aborted)), cancelled_at(t0 + 1ms)), dropped, aborted);
    }
    SECTION("between writing and reading: the reply is pending, so the connection goes") {
        request_machine m = on_reused_connection();
        check_release_then_done(m, m.resume(written(120), cancelled_at(t0 + 1ms)), dropped, aborted);
    }
    SECTION("during the read") {
        request_machine m = reading_on_reused_connection();
        check_release_then_done(m, m.resume(read_failed_mid_reply(failed(aborted)), cancelled_at(t0 + 2ms)), dropped,
                                aborted);
    }
    SECTION("after the whole reply arrived: it completes normally") {
        request_machine m = reading_on_reused_connection();
        check_release_then_done(m, m.resume(reply_read(ok_reply), cancelled_at(t0 + 2ms)), kept, {});
    }
    SECTION("before the resend on a fresh connection") {
        request_machine m = reading_on_reused_connection();
        const auto a = m.resume(read_failed_before_reply(closed_by_peer(errc::connection_closed)), at(t0 + 2ms));
        REQUIRE(a.kind == kind::release);
        check_done(m.resume(released(), cancelled_at(t0 + 2ms)), aborted);
    }
}

TEST_CASE("request machine: the stale-connection resend rule") {
    SECTION("GET: a kept-alive connection closed before any reply byte is resent once on a fresh one") {
        request_machine m = reading_on_reused_connection();
        const auto a = m.resume(read_failed_before_reply(closed_by_peer(errc::connection_closed)), at(t0 + 2ms));
        REQUIRE(a.kind == kind::release);
        CHECK_FALSE(a.reusable);
        const auto again = m.resume(released(), at(t0 + 2ms));
        CHECK(again.kind == kind::acquire);
        CHECK(again.resend);
        CHECK_FALSE(again.retry);
        CHECK(m.resent());
        // The second attempt fails the same way: no second resend.
        CHECK(m.resume(new_slot(), at(t0 + 3ms)).kind == kind::connect);
        (void)m.resume(connected(ok), at(t0 + 4ms));
        (void)m.resume(written(120), at(t0 + 5ms));
        check_release_then_done(m, m.resume(read_failed_before_reply(closed_by_peer(errc::connection_closed)), at(t0 + 6ms)),
                                dropped, errc::connection_closed);
    }
    SECTION("GET: a reply cut short after some bytes is not resent") {
        request_machine m = reading_on_reused_connection();
        check_release_then_done(m, m.resume(read_failed_mid_reply(failed(errc::connection_closed)), at(t0 + 2ms)),
                                dropped, errc::connection_closed);
    }
    SECTION("a fresh connection is not resent on") {
        request_machine m = acquiring();
        (void)m.resume(new_slot(), at(t0));
        (void)m.resume(connected(ok), at(t0 + 1ms));
        (void)m.resume(written(120), at(t0 + 1ms));
        check_release_then_done(m, m.resume(read_failed_before_reply(closed_by_peer(errc::connection_closed)), at(t0 + 2ms)),
                                dropped, errc::connection_closed);
    }
    SECTION("POST with nothing written: resent") {
        request_machine m = on_reused_connection(post_params());
        const auto a = m.resume(written(0, closed_by_peer(errc::connection_closed)), at(t0 + 1ms));
        REQUIRE(a.kind == kind::release);
        CHECK(m.resume(released(), at(t0 + 1ms)).kind == kind::acquire);
    }
    SECTION("POST partly written: not resent") {
        request_machine m = on_reused_connection(post_params());
        check_release_then_done(m, m.resume(written(40, closed_by_peer(errc::connection_closed)), at(t0 + 1ms)), dropped,
                                errc::connection_closed);
    }
    SECTION("POST written, then closed before any reply byte: not resent (it may have been applied)") {
        request_machine m = on_reused_connection(post_params());
        (void)m.resume(written(300), at(t0 + 1ms));
        check_release_then_done(m, m.resume(read_failed_before_reply(closed_by_peer(errc::connection_closed)), at(t0 + 2ms)),
                                dropped, errc::connection_closed);
    }
    SECTION("the resend still respects the deadline") {
        request_machine m = reading_on_reused_connection();
        (void)m.resume(read_failed_before_reply(closed_by_peer(errc::connection_closed)), at(t0 + 2ms));
        check_done(m.resume(released(), at(t0 + 1000ms)), errc::request_timeout);
    }
}

TEST_CASE("request machine: interim replies, up to a bound") {
    const reply_facts interim = reply(100);
    SECTION("32 interim replies, then the real one") {
        request_machine m = reading_on_reused_connection();
        for (int i = 0; i < 32; ++i) {
            const auto a = m.resume(reply_read(interim), at(t0 + 2ms));
            REQUIRE(a.kind == kind::read);
            CHECK_FALSE(a.final_reply);
        }
        check_release_then_done(m, m.resume(reply_read(ok_reply), at(t0 + 3ms)), kept, {});
    }
    SECTION("the 33rd is malformed_http") {
        request_machine m = reading_on_reused_connection();
        for (int i = 0; i < 32; ++i) (void)m.resume(reply_read(interim), at(t0 + 2ms));
        const auto a = m.resume(reply_read(interim), at(t0 + 2ms));
        REQUIRE(a.kind == kind::release);
        CHECK_FALSE(a.reusable);
        CHECK_FALSE(a.final_reply);
        const auto d = m.resume(released(), at(t0 + 2ms));
        check_done(d, errc::malformed_http);
        CHECK(d.detail == "more than 32 interim (1xx) replies");
    }
    SECTION("101 is not interim: it ends the request and the connection") {
        request_machine m = reading_on_reused_connection();
        const auto a = m.resume(reply_read(reply(101)), at(t0 + 2ms));
        CHECK(a.final_reply);
        check_release_then_done(m, a, dropped, {});
        CHECK(m.status() == 101);
    }
}

TEST_CASE("request machine: whether the connection is kept after the reply") {
    SECTION("Connection: close") {
        request_machine m = reading_on_reused_connection();
        check_release_then_done(m, m.resume(reply_read(closing_reply(200)), at(t0 + 2ms)), dropped, {});
    }
    SECTION("bytes after the reply") {
        request_machine m = reading_on_reused_connection();
        check_release_then_done(m, m.resume(reply_read(reply_then_bytes(200)), at(t0 + 2ms)), dropped, {});
    }
    SECTION("an error status keeps a healthy connection") {
        request_machine m = reading_on_reused_connection();
        check_release_then_done(m, m.resume(reply_read(reply(500)), at(t0 + 2ms)), kept, {});
        CHECK(m.status() == 500);
    }
    SECTION("max_requests_per_connection: the last request says Connection: close and the connection goes") {
        auto p = get_params();
        p.max_requests_per_connection = 2;
        request_machine first = acquiring(p);
        CHECK_FALSE(first.resume(idle_connection(0), at(t0)).last_on_connection);
        request_machine second = acquiring(p);
        const auto w = second.resume(idle_connection(1), at(t0));
        CHECK(w.last_on_connection);
        (void)second.resume(written(120), at(t0 + 1ms));
        check_release_then_done(second, second.resume(reply_read(ok_reply), at(t0 + 2ms)), dropped, {});
    }
    SECTION("a deadline during the read is request_timeout, and the connection goes") {
        request_machine m = reading_on_reused_connection();
        check_release_then_done(m, m.resume(read_failed_mid_reply(failed(errc::request_timeout)), at(t0 + 1000ms)),
                                dropped, errc::request_timeout);
    }
}

namespace {

// An https request that has just connected a new connection (connect_timeout: t0 + 300ms).
request_machine connected_over_tls(request_machine::params p = get_params()) {
    p.tls = true;
    request_machine m = acquiring(std::move(p));
    REQUIRE(m.resume(new_slot(), at(t0)).kind == kind::connect);
    return m;
}

}  // namespace

TEST_CASE("request machine: over TLS a new connection shakes hands before the first write") {
    SECTION("the handshake is bounded by connect_timeout, then the request is written") {
        auto m = connected_over_tls();
        const auto h = m.resume(connected(ok), at(t0 + 100ms));
        REQUIRE(h.kind == kind::handshake);
        CHECK(h.until == t0 + 300ms);  // the lookup, connect and handshake share pool.connect_timeout
        const auto w = m.resume(handshake_done(ok), at(t0 + 120ms));
        CHECK(w.kind == kind::write);
        CHECK(w.until == t0 + 1000ms);
    }
    SECTION("a kept-alive TLS connection needs none") {
        auto p = get_params();
        p.tls = true;
        request_machine m = acquiring(p);
        CHECK(m.resume(idle_connection(1), at(t0)).kind == kind::write);
    }
    SECTION("a failed handshake or rejected certificate ends the request, the connection closed, no retry") {
        for (const errc e : {errc::tls_handshake_failed, errc::tls_certificate_rejected}) {
            auto p = get_params();
            p.retry.max_attempts = 3;  // not attempted again: the same handshake fails the same way
            auto m = connected_over_tls(p);
            REQUIRE(m.resume(connected(ok), at(t0 + 10ms)).kind == kind::handshake);
            step_result r = failed(e);
            r.detail = "the certificate of pieces.test:39300 was rejected: expired";
            const auto a = m.resume(handshake_done(r), at(t0 + 20ms));
            REQUIRE(a.kind == kind::release);
            CHECK_FALSE(a.reusable);
            const auto d = m.resume(released(), at(t0 + 20ms));
            check_done(d, e);
            CHECK(d.detail == r.detail);
            CHECK(m.attempts() == 1);
        }
    }
    SECTION("past connect_timeout (before the deadline): the handshake failed, saying so") {
        auto m = connected_over_tls();
        (void)m.resume(connected(ok), at(t0 + 10ms));
        const auto a = m.resume(handshake_done(failed(errc::request_timeout)), at(t0 + 300ms));
        REQUIRE(a.kind == kind::release);
        CHECK_FALSE(a.reusable);
        const auto d = m.resume(released(), at(t0 + 300ms));
        check_done(d, errc::tls_handshake_failed);
        CHECK(d.detail.find("took longer than pool.connect_timeout") != std::string::npos);
    }
    SECTION("the request's deadline in the handshake: request_timeout") {
        auto p = get_params();
        p.deadline = t0 + 200ms;  // before connect_timeout
        auto m = connected_over_tls(p);
        const auto h = m.resume(connected(ok), at(t0 + 10ms));
        CHECK(h.until == t0 + 200ms);
        check_release_then_done(m, m.resume(handshake_done(failed(errc::request_timeout)), at(t0 + 200ms)), dropped,
                                errc::request_timeout);
    }
    SECTION("cancelled during the handshake: aborted, the half-made connection not kept") {
        auto m = connected_over_tls();
        (void)m.resume(connected(ok), at(t0 + 10ms));
        check_release_then_done(m, m.resume(handshake_done(failed(aborted)), cancelled_at(t0 + 20ms)), dropped, aborted);
    }
    SECTION("cancelled between the connect and the handshake: the connection is not kept") {
        auto m = connected_over_tls();
        check_release_then_done(m, m.resume(connected(ok), cancelled_at(t0 + 10ms)), dropped, aborted);
    }
    SECTION("the deadline passed between the connect and the handshake") {
        auto m = connected_over_tls();
        check_release_then_done(m, m.resume(connected(ok), at(t0 + 1000ms)), dropped, errc::request_timeout);
    }
    SECTION("cancelled just after the handshake: the ready connection is kept for others") {
        auto m = connected_over_tls();
        (void)m.resume(connected(ok), at(t0 + 10ms));
        check_release_then_done(m, m.resume(handshake_done(ok), cancelled_at(t0 + 20ms)), kept, aborted);
    }
}

TEST_CASE("request machine: an event that does not answer the phase's action ends the request, naming both") {
    request_machine m = acquiring();
    const auto d = m.resume(written(120), at(t0));  // asked to acquire, told of a write
    check_done(d, make_error_code(boost::system::errc::state_not_recoverable));
    CHECK(d.detail == "request machine: event written in phase acquiring");
    CHECK(m.phase() == phase::done);
}

TEST_CASE("request machine: actions, phases and events print by name") {
    CHECK(Catch::Detail::stringify(kind::wait_for_grant) == "wait_for_grant");
    CHECK(Catch::Detail::stringify(phase::backing_off) == "backing_off");
    CHECK(event_name(reply_read(ok_reply)) == std::string("read_done"));
    request_action a;
    a.kind = kind::release;
    a.reusable = true;
    CHECK(Catch::Detail::stringify(a) == "release(reusable)");
    a = {};
    a.ec = errc::request_timeout;
    a.detail = "late";
    CHECK(Catch::Detail::stringify(a) == "done(" + a.ec.message() + ": late)");
}
