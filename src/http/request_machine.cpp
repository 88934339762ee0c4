#include "http/request_machine.hpp"

#include <pieces/error.hpp>

#include <boost/asio/error.hpp>

namespace pieces::detail {

using boost::system::error_code;

namespace {
const error_code aborted = boost::asio::error::operation_aborted;
}

request_action request_machine::finish(error_code ec, std::string detail) {
    request_action a;
    a.step = request_step::done;
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
    a.step = request_step::release;
    a.reusable = reusable;
    return a;
}

request_action request_machine::timeout_or_cancel(bool cancelled) {
    return finish(cancelled ? aborted : error_code(errc::request_timeout));
}

request_action request_machine::acquire_step(bool fresh, bool is_retry) {
    request_action a;
    a.step = request_step::acquire;
    a.want_fresh = fresh;
    a.is_retry = is_retry;
    return a;
}

request_action request_machine::start(clock_type::time_point now, bool cancelled) {
    if (cancelled || now >= p_.deadline) return timeout_or_cancel(cancelled);
    attempt_ = 1;
    return acquire_step(false, false);
}

request_action request_machine::on_acquired(pool_answer answer, bool connected, bool needs_lookup,
                                            std::size_t requests_served, clock_type::time_point now, bool cancelled) {
    if (answer == pool_answer::must_wait) {
        if (cancelled) return finish(aborted);
        request_action a;
        a.step = request_step::wait_for_grant;
        a.until = p_.deadline;
        return a;
    }
    holding_ = true;
    // An idle connection not used is given back as it was; a new slot holds nothing worth keeping.
    const bool keep = answer == pool_answer::idle_connection && connected;
    if (cancelled) return release_then(keep, after_release::finish, aborted);
    if (now >= p_.deadline) return release_then(keep, after_release::finish, errc::request_timeout);
    return proceed_on_connection(connected, needs_lookup, requests_served, now);
}

request_action request_machine::on_wait_ended(bool granted, bool granted_connected, bool needs_lookup,
                                              std::size_t requests_served, clock_type::time_point now, bool cancelled) {
    if (!granted) return timeout_or_cancel(cancelled);
    holding_ = true;
    // Granted too late, or cancelled meanwhile: the grant is passed on to the next waiter.
    if (cancelled) return release_then(granted_connected, after_release::finish, aborted);
    if (now >= p_.deadline) return release_then(granted_connected, after_release::finish, errc::request_timeout);
    return proceed_on_connection(granted_connected, needs_lookup, requests_served, now);
}

request_action request_machine::proceed_on_connection(bool connected, bool needs_lookup, std::size_t requests_served,
                                                      clock_type::time_point now) {
    reused_ = requests_served > 0;
    last_ = p_.max_requests_per_connection != 0 && requests_served + 1 >= p_.max_requests_per_connection;
    if (connected) return write_step();
    // pool.connect_timeout bounds the lookup and the connect together; the request's deadline bounds both.
    connect_deadline_ = p_.connect_timeout >= p_.deadline - now ? p_.deadline : now + p_.connect_timeout;
    return connect_or_resolve(needs_lookup);
}

// The next step of opening a connection, bounded by connect_deadline_.
request_action request_machine::connect_or_resolve(bool needs_lookup) {
    request_action a;
    a.step = needs_lookup ? request_step::resolve : request_step::connect;
    a.until = connect_deadline_;
    return a;
}

request_action request_machine::write_step() {
    request_action a;
    a.step = request_step::write;
    a.until = p_.deadline;
    a.last_on_connection = last_;
    return a;
}

// A lookup or connect that failed (a refused connection, an unknown host).
request_action request_machine::fail_step(const step_result& r, clock_type::time_point now) {
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
                                            clock_type::time_point now, std::optional<clock_type::duration> retry_after) {
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

request_action request_machine::on_resolved(const step_result& r, clock_type::time_point now, bool cancelled) {
    if (cancelled || r.ec == aborted) return release_then(false, after_release::finish, aborted);
    const bool out_of_time = r.ec == errc::request_timeout || (!r.ec && now >= connect_deadline_);
    if (out_of_time) {
        if (connect_deadline_ >= p_.deadline) return release_then(false, after_release::finish, errc::request_timeout);
        return end_attempt(false, errc::connection_failed, "resolving " + p_.host + " took longer than pool.connect_timeout",
                           retryable::connection_failed, now);
    }
    if (r.ec) return fail_step(r, now);
    return connect_or_resolve(false);
}

request_action request_machine::on_connected(const step_result& r, clock_type::time_point now, bool cancelled) {
    if (r.ec == aborted || (r.ec && cancelled)) return release_then(false, after_release::finish, aborted);
    if (r.ec == errc::request_timeout) {
        if (connect_deadline_ >= p_.deadline) return release_then(false, after_release::finish, errc::request_timeout);
        return end_attempt(false, errc::connection_failed,
                           "connect to " + p_.authority + " took longer than pool.connect_timeout",
                           retryable::connection_failed, now);
    }
    if (r.ec) return fail_step(r, now);
    if (!p_.tls) return on_opened(now, cancelled);
    // Without its handshake the connection is of no use to another request.
    if (cancelled) return release_then(false, after_release::finish, aborted);
    if (now >= p_.deadline) return release_then(false, after_release::finish, errc::request_timeout);
    request_action a;
    a.step = request_step::handshake;
    a.until = connect_deadline_;
    return a;
}

request_action request_machine::on_handshake(const step_result& r, clock_type::time_point now, bool cancelled) {
    if (r.ec == aborted || (r.ec && cancelled)) return release_then(false, after_release::finish, aborted);
    if (r.ec == errc::request_timeout) {
        if (connect_deadline_ >= p_.deadline) return release_then(false, after_release::finish, errc::request_timeout);
        return release_then(false, after_release::finish, errc::tls_handshake_failed,
                            "the TLS handshake with " + p_.authority + " took longer than pool.connect_timeout");
    }
    // A handshake that failed fails the same way again: the retry policy does not attempt it again.
    if (r.ec) return release_then(false, after_release::finish, r.ec, r.detail);
    return on_opened(now, cancelled);
}

// The new connection is ready for requests: a fresh connection nobody wrote to is worth keeping.
request_action request_machine::on_opened(clock_type::time_point now, bool cancelled) {
    if (cancelled) return release_then(true, after_release::finish, aborted);
    if (now >= p_.deadline) return release_then(true, after_release::finish, errc::request_timeout);
    return write_step();
}

request_action request_machine::on_written(const step_result& r, std::size_t bytes, clock_type::time_point now,
                                           bool cancelled) {
    written_ = bytes;
    if (r.ec) {
        if (may_retry(r, false, cancelled)) return release_then(false, after_release::acquire_fresh);
        if (cancelled) return release_then(false, after_release::finish, aborted);
        return end_attempt(false, r.ec, r.detail,
                           r.ec == errc::connection_closed ? retryable::connection_closed : retryable::no, now);
    }
    return read_step(now, cancelled);
}

// A kept-alive connection the server had already closed before any reply byte: once, on a fresh connection;
// a POST only if none of it was written (the server may have received it).
bool request_machine::may_retry(const step_result& r, bool got_some, bool cancelled) const {
    return reused_ && r.closed_before_reply && !got_some && !retried_ && !cancelled && (p_.is_get || written_ == 0);
}

// The request is on the wire: from here a cancellation or the deadline closes the connection, since its
// reply would be read by the next request.
request_action request_machine::read_step(clock_type::time_point now, bool cancelled) {
    if (cancelled) return release_then(false, after_release::finish, aborted);
    if (now >= p_.deadline) return release_then(false, after_release::finish, errc::request_timeout);
    request_action a;
    a.step = request_step::read;
    a.until = p_.deadline;
    return a;
}

request_action request_machine::on_read(const step_result& r, bool got_some, const reply_facts& reply,
                                        clock_type::time_point now, bool cancelled) {
    if (r.ec) {
        if (may_retry(r, got_some, cancelled)) return release_then(false, after_release::acquire_fresh);
        if (cancelled && r.ec != errc::request_timeout) return release_then(false, after_release::finish, aborted);
        const bool closed_early = r.ec == errc::connection_closed && !got_some;
        return end_attempt(false, r.ec, r.detail, closed_early ? retryable::connection_closed : retryable::no, now);
    }
    if (reply.status >= 100 && reply.status < 200 && reply.status != 101) {  // interim: read the real one
        if (++interim_ > p_.max_interim_replies)
            return release_then(false, after_release::finish, errc::malformed_http,
                                "more than " + std::to_string(p_.max_interim_replies) + " interim (1xx) replies");
        return read_step(now, cancelled);
    }
    // The whole reply is here: a cancellation that arrives now changes nothing.
    status_ = reply.status;
    const bool reusable = reply.keep_alive && !last_ && reply.status != 101 && !reply.bytes_after;
    if (reply.status == 504)
        return end_attempt(reusable, {}, {}, retryable::gateway_timeout, now, reply.retry_after);
    return release_then(reusable, after_release::finish);
}

request_action request_machine::on_released(clock_type::time_point now, bool cancelled) {
    holding_ = false;
    if (next_ == after_release::finish) return finish(final_ec_, std::move(final_detail_));
    if (next_ == after_release::back_off) return on_backoff_ended(now, cancelled);  // waits, unless it is time
    retried_ = true;
    written_ = 0;
    interim_ = 0;
    if (cancelled || now >= p_.deadline) return timeout_or_cancel(cancelled);
    return acquire_step(true, true);
}

request_action request_machine::on_backoff_ended(clock_type::time_point now, bool cancelled) {
    if (cancelled) return finish(aborted);
    if (now < backoff_until_) {  // just released, or woken early: wait the rest
        request_action a;
        a.step = request_step::backoff;
        a.until = backoff_until_;
        return a;
    }
    if (now >= p_.deadline || !gave_up_.empty()) return finish(errc::request_timeout, std::move(gave_up_));
    ++attempt_;
    retried_ = false;
    written_ = 0;
    interim_ = 0;
    return acquire_step(false, true);
}

}  // namespace pieces::detail
