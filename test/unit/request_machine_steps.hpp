// The request machine's events, contexts and checks under readable names, for the tests that step it through
// with simulated time (test_request_machine.cpp, test_retry_policy.cpp). A failed check prints the actions and
// phases by name (their operator<<, which Catch uses).
#pragma once

#include "http/request_machine.hpp"

#include <pieces/error.hpp>

#include <boost/asio/error.hpp>
#include <catch2/catch.hpp>

#include <chrono>
#include <cstddef>
#include <optional>

namespace machine_steps {

using namespace pieces;
using namespace pieces::detail;
using boost::system::error_code;
using kind = request_action_kind;
using phase = request_phase;
using time_point = request_machine::clock_type::time_point;
using duration = request_machine::clock_type::duration;

inline const error_code aborted = boost::asio::error::operation_aborted;
inline const time_point t0 = time_point{} + std::chrono::hours(1);  // simulated time

// ---- when: the time of an event, and whether a cancellation had arrived ----
inline step_context at(time_point t) { return {t, false}; }
inline step_context cancelled_at(time_point t) { return {t, true}; }

// ---- how an I/O step ended ----
inline const step_result ok{};
inline step_result failed(error_code ec) {
    step_result r;
    r.ec = ec;
    return r;
}
/// Failed with `ec`, the raw error saying the peer closed or reset the connection.
inline step_result closed_by_peer(error_code ec) {
    step_result r = failed(ec);
    r.peer_closed = true;
    return r;
}

// ---- replies ----
inline reply_facts reply(unsigned status, std::optional<duration> retry_after = std::nullopt) {
    reply_facts f;
    f.status = status;
    f.retry_after = retry_after;
    return f;
}
/// With `Connection: close` (or HTTP/1.0).
inline reply_facts closing_reply(unsigned status) {
    reply_facts f = reply(status);
    f.keep_alive = false;
    return f;
}
/// Followed by bytes nobody asked for.
inline reply_facts reply_then_bytes(unsigned status) {
    reply_facts f = reply(status);
    f.bytes_after = true;
    return f;
}

// ---- events ----
inline request_event started() { return request_events::started{}; }
/// The pool gave an open kept-alive connection that has carried `served` requests.
inline request_event idle_connection(std::size_t served) {
    return request_events::acquired{pool_answer::idle_connection, {true, false, served}};
}
/// The pool gave room for a new connection, the host's address known.
inline request_event new_slot() { return request_events::acquired{pool_answer::new_slot, {false, false, 0}}; }
/// ... the host's address not known yet.
inline request_event new_slot_to_look_up() { return request_events::acquired{pool_answer::new_slot, {false, true, 0}}; }
inline request_event must_wait() { return request_events::acquired{pool_answer::must_wait, {}}; }
inline request_event granted_connection(std::size_t served) {
    return request_events::grant_wait_ended{true, {true, false, served}};
}
inline request_event granted_slot_to_look_up() { return request_events::grant_wait_ended{true, {false, true, 0}}; }
inline request_event not_granted() { return request_events::grant_wait_ended{false, {}}; }
inline request_event resolved(step_result r = {}) { return request_events::resolved{std::move(r)}; }
inline request_event connected(step_result r = {}) { return request_events::connected{std::move(r)}; }
inline request_event handshake_done(step_result r = {}) { return request_events::handshake_done{std::move(r)}; }
inline request_event written(std::size_t bytes, step_result r = {}) { return request_events::written{std::move(r), bytes}; }
/// A whole reply was read.
inline request_event reply_read(reply_facts f) { return request_events::read_done{{}, true, f}; }
/// The read failed before any byte of a reply.
inline request_event read_failed_before_reply(step_result r) { return request_events::read_done{std::move(r), false, {}}; }
/// The read failed after some bytes of a reply.
inline request_event read_failed_mid_reply(step_result r) { return request_events::read_done{std::move(r), true, {}}; }
inline request_event released() { return request_events::released{}; }
inline request_event backoff_ended() { return request_events::backoff_ended{}; }

// ---- checks ----
inline constexpr bool kept = true;      // released reusable
inline constexpr bool dropped = false;  // released to be closed

inline void check_done(const request_action& a, error_code ec) {
    INFO("action: " << a);
    CHECK(a.kind == kind::done);
    CHECK(a.ec == ec);
}

/// Expects a release (`kept` or `dropped`) followed, once released, by the end with `ec`.
inline void check_release_then_done(request_machine& m, const request_action& a, bool reusable, error_code ec,
                                    time_point now = t0) {
    INFO("action: " << a);
    REQUIRE(a.kind == kind::release);
    CHECK(a.reusable == reusable);
    check_done(m.resume(released(), at(now)), ec);
}

}  // namespace machine_steps
