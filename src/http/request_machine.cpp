#include "http/request_machine.hpp"

#include <pieces/error.hpp>

#include <boost/asio/error.hpp>

#include <iterator>
#include <ostream>
#include <string>

namespace pieces::detail {

using boost::system::error_code;
namespace events = request_events;

namespace {

const error_code aborted = boost::asio::error::operation_aborted;

// The phase that waits for the outcome of `k`.
request_phase phase_of(request_action_kind k) noexcept {
    switch (k) {
    case request_action_kind::acquire: return request_phase::acquiring;
    case request_action_kind::wait_for_grant: return request_phase::waiting_for_grant;
    case request_action_kind::resolve: return request_phase::resolving;
    case request_action_kind::connect: return request_phase::connecting;
    case request_action_kind::handshake: return request_phase::handshaking;
    case request_action_kind::write: return request_phase::writing;
    case request_action_kind::read: return request_phase::reading;
    case request_action_kind::release: return request_phase::releasing;
    case request_action_kind::backoff: return request_phase::backing_off;
    case request_action_kind::done: break;
    }
    return request_phase::done;
}

// 1xx but 101 (Switching Protocols, which ends the exchange): another reply follows.
bool is_interim(unsigned status) noexcept { return status >= 100 && status < 200 && status != 101; }

}  // namespace

request_action request_machine::resume(const request_event& ev, step_context ctx) {
    request_action a = dispatch(ev, ctx);
    phase_ = phase_of(a.kind);
    return a;
}

// Only the event that answers the phase's action is taken.
request_action request_machine::dispatch(const request_event& ev, step_context ctx) {
    switch (phase_) {
    case request_phase::not_started:
        if (std::holds_alternative<events::started>(ev)) return on_start(ctx);
        break;
    case request_phase::acquiring:
        if (const auto* e = std::get_if<events::acquired>(&ev)) return on_acquired(*e, ctx);
        break;
    case request_phase::waiting_for_grant:
        if (const auto* e = std::get_if<events::grant_wait_ended>(&ev)) return on_wait_ended(*e, ctx);
        break;
    case request_phase::resolving:
        if (const auto* e = std::get_if<events::resolved>(&ev)) return on_resolved(e->result, ctx);
        break;
    case request_phase::connecting:
        if (const auto* e = std::get_if<events::connected>(&ev)) return on_connected(e->result, ctx);
        break;
    case request_phase::handshaking:
        if (const auto* e = std::get_if<events::handshake_done>(&ev)) return on_handshake(e->result, ctx);
        break;
    case request_phase::writing:
        if (const auto* e = std::get_if<events::written>(&ev)) return on_written(*e, ctx);
        break;
    case request_phase::reading:
        if (const auto* e = std::get_if<events::read_done>(&ev)) return on_read(*e, ctx);
        break;
    case request_phase::releasing:
        if (std::holds_alternative<events::released>(ev)) return on_released(ctx);
        break;
    case request_phase::backing_off:
        if (std::holds_alternative<events::backoff_ended>(ev)) return on_backoff_ended(ctx);
        break;
    case request_phase::done: break;
    }
    return unexpected(ev);
}

// A driver bug: ended with a code that names it rather than guessed on (a lease the driver holds gives its slot
// back when the request goes).
request_action request_machine::unexpected(const request_event& ev) {
    holding_ = false;
    return finish(make_error_code(boost::system::errc::state_not_recoverable),
                  std::string("request machine: event ") + event_name(ev) + " in phase " + to_string(phase_));
}

request_action request_machine::finish(error_code ec, std::string detail) {
    request_action a;
    a.kind = request_action_kind::done;
    a.ec = ec;
    a.detail = std::move(detail);
    return a;
}

// Gives back what the request holds, then goes on as `next` says (or finishes at once when it holds nothing).
request_action request_machine::release_then(bool reusable, after_release next, error_code ec, std::string detail) {
    if (!holding_ && next == after_release::finish) return finish(ec, std::move(detail));
    next_ = next;
    final_ec_ = ec;
    final_detail_ = std::move(detail);
    request_action a;
    a.kind = request_action_kind::release;
    a.reusable = reusable;
    return a;
}

request_action request_machine::timeout_or_cancel(bool cancelled) {
    return finish(cancelled ? aborted : error_code(errc::request_timeout));
}

request_action request_machine::acquire_step(bool resend, bool retry) {
    request_action a;
    a.kind = request_action_kind::acquire;
    a.resend = resend;
    a.retry = retry;
    return a;
}

request_action request_machine::on_start(step_context ctx) {
    if (ctx.cancelled || ctx.now >= p_.deadline) return timeout_or_cancel(ctx.cancelled);
    attempt_ = 1;
    return acquire_step(false, false);
}

request_action request_machine::on_acquired(const events::acquired& e, step_context ctx) {
    if (e.answer == pool_answer::must_wait) {
        if (ctx.cancelled) return finish(aborted);
        request_action a;
        a.kind = request_action_kind::wait_for_grant;
        a.until = p_.deadline;
        return a;
    }
    holding_ = true;
    // An idle connection not used is given back as it was; a new slot holds nothing worth keeping.
    const bool keep = e.answer == pool_answer::idle_connection && e.conn.open;
    if (ctx.cancelled) return release_then(keep, after_release::finish, aborted);
    if (ctx.now >= p_.deadline) return release_then(keep, after_release::finish, errc::request_timeout);
    return proceed_on_connection(e.conn, ctx.now);
}

request_action request_machine::on_wait_ended(const events::grant_wait_ended& e, step_context ctx) {
    if (!e.granted) return timeout_or_cancel(ctx.cancelled);
    holding_ = true;
    // Granted too late, or cancelled meanwhile: the grant is passed on to the next waiter.
    if (ctx.cancelled) return release_then(e.conn.open, after_release::finish, aborted);
    if (ctx.now >= p_.deadline) return release_then(e.conn.open, after_release::finish, errc::request_timeout);
    return proceed_on_connection(e.conn, ctx.now);
}

request_action request_machine::proceed_on_connection(const held_connection& c, time_point now) {
    reused_ = c.requests_served > 0;
    last_ = p_.max_requests_per_connection != 0 && c.requests_served + 1 >= p_.max_requests_per_connection;
    if (c.open) return write_step();
    // pool.connect_timeout bounds the lookup and the connect together; the request's deadline bounds both.
    connect_deadline_ = p_.connect_timeout >= p_.deadline - now ? p_.deadline : now + p_.connect_timeout;
    return connect_or_resolve(c.needs_lookup);
}

// The next step of opening a connection, bounded by connect_deadline_.
request_action request_machine::connect_or_resolve(bool needs_lookup) {
    request_action a;
    a.kind = needs_lookup ? request_action_kind::resolve : request_action_kind::connect;
    a.until = connect_deadline_;
    return a;
}

request_action request_machine::write_step() {
    request_action a;
    a.kind = request_action_kind::write;
    a.until = p_.deadline;
    a.last_on_connection = last_;
    return a;
}

// A lookup or connect that failed (a refused connection, an unknown host).
request_action request_machine::fail_step(const step_result& r, time_point now) {
    return end_attempt(false, r.ec, r.detail, r.ec == errc::connection_failed ? retryable::connection_failed : retryable::no,
                       now);
}

const char* request_machine::describe(retryable why) noexcept {
    switch (why) {
    case retryable::gateway_timeout: return "HTTP 504";
    case retryable::connection_failed: return "a failed connection";
    case retryable::connection_closed: return "a connection closed before any reply";
    case retryable::no: break;
    }
    return "a failure";
}

// An attempt ended in `ec` (or a reply with a status the policy may retry): the request ends with it, unless the
// retry policy attempts it again after a backoff that fits before the deadline. When the backoff does not fit, the
// request waits out its deadline and ends in request_timeout, without another attempt.
request_action request_machine::end_attempt(bool reusable, error_code ec, std::string detail, retryable why,
                                            time_point now, std::optional<clock_type::duration> retry_after) {
    const retry_policy& rp = p_.retry;
    const bool policy_retries = (why == retryable::gateway_timeout && rp.on_gateway_timeout) ||
                                (why == retryable::connection_failed && rp.on_connection_failed) ||
                                (why == retryable::connection_closed && rp.on_connection_closed);
    if (!policy_retries || attempt_ >= rp.max_attempts || !(p_.is_get || rp.retry_posts) || now >= p_.deadline)
        return release_then(reusable, after_release::finish, ec, std::move(detail));
    const auto wait = backoff_before(rp, attempt_ + 1, retry_after, jitter_);
    if (wait >= p_.deadline - now) {
        backoff_until_ = p_.deadline;
        gave_up_ = "attempt " + std::to_string(attempt_) + " ended in " + describe(why) +
                   "; the wait before the next (" +
                   std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(wait).count()) +
                   " ms) would end after the deadline";
    } else {
        backoff_until_ = now + wait;
    }
    return release_then(reusable, after_release::back_off);
}

request_action request_machine::on_resolved(const step_result& r, step_context ctx) {
    if (ctx.cancelled || r.ec == aborted) return release_then(false, after_release::finish, aborted);
    const bool out_of_time = r.ec == errc::request_timeout || (!r.ec && ctx.now >= connect_deadline_);
    if (out_of_time) {
        if (connect_deadline_ >= p_.deadline) return release_then(false, after_release::finish, errc::request_timeout);
        return end_attempt(false, errc::connection_failed, "resolving " + p_.host + " took longer than pool.connect_timeout",
                           retryable::connection_failed, ctx.now);
    }
    if (r.ec) return fail_step(r, ctx.now);
    return connect_or_resolve(false);
}

request_action request_machine::on_connected(const step_result& r, step_context ctx) {
    if (r.ec == aborted || (r.ec && ctx.cancelled)) return release_then(false, after_release::finish, aborted);
    if (r.ec == errc::request_timeout) {
        if (connect_deadline_ >= p_.deadline) return release_then(false, after_release::finish, errc::request_timeout);
        return end_attempt(false, errc::connection_failed,
                           "connect to " + p_.authority + " took longer than pool.connect_timeout",
                           retryable::connection_failed, ctx.now);
    }
    if (r.ec) return fail_step(r, ctx.now);
    if (!p_.tls) return on_opened(ctx);
    // Without its handshake the connection is of no use to another request.
    if (ctx.cancelled) return release_then(false, after_release::finish, aborted);
    if (ctx.now >= p_.deadline) return release_then(false, after_release::finish, errc::request_timeout);
    request_action a;
    a.kind = request_action_kind::handshake;
    a.until = connect_deadline_;
    return a;
}

request_action request_machine::on_handshake(const step_result& r, step_context ctx) {
    if (r.ec == aborted || (r.ec && ctx.cancelled)) return release_then(false, after_release::finish, aborted);
    if (r.ec == errc::request_timeout) {
        if (connect_deadline_ >= p_.deadline) return release_then(false, after_release::finish, errc::request_timeout);
        return release_then(false, after_release::finish, errc::tls_handshake_failed,
                            "the TLS handshake with " + p_.authority + " took longer than pool.connect_timeout");
    }
    // A handshake that failed fails the same way again: the retry policy does not attempt it again.
    if (r.ec) return release_then(false, after_release::finish, r.ec, r.detail);
    return on_opened(ctx);
}

// The new connection is ready for requests: a fresh connection nobody wrote to is worth keeping.
request_action request_machine::on_opened(step_context ctx) {
    if (ctx.cancelled) return release_then(true, after_release::finish, aborted);
    if (ctx.now >= p_.deadline) return release_then(true, after_release::finish, errc::request_timeout);
    return write_step();
}

request_action request_machine::on_written(const events::written& e, step_context ctx) {
    const step_result& r = e.result;
    written_ = e.bytes;
    if (r.ec) {
        if (may_resend(r, false, ctx.cancelled)) return release_then(false, after_release::resend);
        if (ctx.cancelled) return release_then(false, after_release::finish, aborted);
        return end_attempt(false, r.ec, r.detail,
                           r.ec == errc::connection_closed ? retryable::connection_closed : retryable::no, ctx.now);
    }
    return read_step(ctx);
}

// A kept-alive connection the server had already closed before any reply byte: sent again once, on a fresh
// connection; a POST only if none of it was written (the server may have received it).
bool request_machine::may_resend(const step_result& r, bool got_some, bool cancelled) const {
    return reused_ && r.peer_closed && !got_some && !resent_ && !cancelled && (p_.is_get || written_ == 0);
}

// The request is on the wire: from here a cancellation or the deadline closes the connection, since its
// reply would be read by the next request.
request_action request_machine::read_step(step_context ctx) {
    if (ctx.cancelled) return release_then(false, after_release::finish, aborted);
    if (ctx.now >= p_.deadline) return release_then(false, after_release::finish, errc::request_timeout);
    request_action a;
    a.kind = request_action_kind::read;
    a.until = p_.deadline;
    return a;
}

request_action request_machine::on_read(const events::read_done& e, step_context ctx) {
    const step_result& r = e.result;
    if (r.ec) {
        if (may_resend(r, e.got_some, ctx.cancelled)) return release_then(false, after_release::resend);
        if (ctx.cancelled && r.ec != errc::request_timeout) return release_then(false, after_release::finish, aborted);
        const bool closed_early = r.ec == errc::connection_closed && !e.got_some;
        return end_attempt(false, r.ec, r.detail, closed_early ? retryable::connection_closed : retryable::no, ctx.now);
    }
    const reply_facts& reply = e.reply;
    if (is_interim(reply.status)) {  // read the real one
        if (++interim_ > p_.max_interim_replies)
            return release_then(false, after_release::finish, errc::malformed_http,
                                "more than " + std::to_string(p_.max_interim_replies) + " interim (1xx) replies");
        return read_step(ctx);
    }
    // The whole reply is here: a cancellation that arrives now changes nothing.
    status_ = reply.status;
    const bool reusable = reply.keep_alive && !last_ && reply.status != 101 && !reply.bytes_after;
    // Retry-After counts only for the status the policy retries.
    request_action a = reply.status == 504
                           ? end_attempt(reusable, {}, {}, retryable::gateway_timeout, ctx.now, reply.retry_after)
                           : release_then(reusable, after_release::finish);
    a.final_reply = true;
    return a;
}

request_action request_machine::on_released(step_context ctx) {
    holding_ = false;
    if (next_ == after_release::finish) return finish(final_ec_, std::move(final_detail_));
    if (next_ == after_release::back_off) return on_backoff_ended(ctx);  // waits, unless it is time
    resent_ = true;
    written_ = 0;
    interim_ = 0;
    if (ctx.cancelled || ctx.now >= p_.deadline) return timeout_or_cancel(ctx.cancelled);
    return acquire_step(true, false);
}

request_action request_machine::on_backoff_ended(step_context ctx) {
    if (ctx.cancelled) return finish(aborted);
    if (ctx.now < backoff_until_) {  // just released, or woken early: wait the rest
        request_action a;
        a.kind = request_action_kind::backoff;
        a.until = backoff_until_;
        return a;
    }
    if (ctx.now >= p_.deadline || !gave_up_.empty()) return finish(errc::request_timeout, std::move(gave_up_));
    ++attempt_;
    resent_ = false;
    written_ = 0;
    interim_ = 0;
    return acquire_step(false, true);
}

const char* to_string(request_action_kind k) noexcept {
    switch (k) {
    case request_action_kind::acquire: return "acquire";
    case request_action_kind::wait_for_grant: return "wait_for_grant";
    case request_action_kind::resolve: return "resolve";
    case request_action_kind::connect: return "connect";
    case request_action_kind::handshake: return "handshake";
    case request_action_kind::write: return "write";
    case request_action_kind::read: return "read";
    case request_action_kind::release: return "release";
    case request_action_kind::backoff: return "backoff";
    case request_action_kind::done: return "done";
    }
    return "(unknown action)";
}

const char* to_string(request_phase p) noexcept {
    switch (p) {
    case request_phase::not_started: return "not_started";
    case request_phase::acquiring: return "acquiring";
    case request_phase::waiting_for_grant: return "waiting_for_grant";
    case request_phase::resolving: return "resolving";
    case request_phase::connecting: return "connecting";
    case request_phase::handshaking: return "handshaking";
    case request_phase::writing: return "writing";
    case request_phase::reading: return "reading";
    case request_phase::releasing: return "releasing";
    case request_phase::backing_off: return "backing_off";
    case request_phase::done: return "done";
    }
    return "(unknown phase)";
}

const char* event_name(const request_event& ev) noexcept {
    // In the order of the variant's alternatives.
    static constexpr const char* names[] = {"started", "acquired", "grant_wait_ended", "resolved", "connected",
                                            "handshake_done", "written", "read_done", "released", "backoff_ended"};
    static_assert(std::size(names) == std::variant_size_v<request_event>);
    return ev.index() < std::size(names) ? names[ev.index()] : "(valueless)";
}

std::ostream& operator<<(std::ostream& os, request_action_kind k) { return os << to_string(k); }

std::ostream& operator<<(std::ostream& os, request_phase p) { return os << to_string(p); }

std::ostream& operator<<(std::ostream& os, pool_answer a) {
    switch (a) {
    case pool_answer::idle_connection: return os << "idle_connection";
    case pool_answer::new_slot: return os << "new_slot";
    case pool_answer::must_wait: return os << "must_wait";
    }
    return os << "(unknown pool_answer)";
}

std::ostream& operator<<(std::ostream& os, const request_action& a) {
    os << a.kind;
    switch (a.kind) {
    case request_action_kind::acquire:
        if (a.resend) os << "(resend)";
        if (a.retry) os << "(retry)";
        break;
    case request_action_kind::write:
        if (a.last_on_connection) os << "(last on connection)";
        break;
    case request_action_kind::release:
        os << (a.reusable ? "(reusable)" : "(not reusable)");
        if (a.final_reply) os << "(final reply)";
        break;
    case request_action_kind::done:
        os << '(' << (a.ec ? a.ec.message() : std::string("ok"));
        if (!a.detail.empty()) os << ": " << a.detail;
        os << ')';
        break;
    default: break;
    }
    // Time points print as the clock's count, which tests compare in their own simulated time.
    if (a.until != std::chrono::steady_clock::time_point{}) os << " until " << a.until.time_since_epoch().count();
    return os;
}

}  // namespace pieces::detail
