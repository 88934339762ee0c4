#include "http/connection.hpp"

#include "http/reply_fields.hpp"
#include "http/tls_context.hpp"

#if PIECES_WITH_TLS
#include <boost/asio/ssl/error.hpp>
#endif
#include <boost/beast/http/error.hpp>

namespace pieces::detail {

using boost::asio::ip::tcp;

void connection_deleter::operator()(connection* c) const noexcept { delete c; }

bool is_closed_error(const boost::system::error_code& ec) noexcept {
    namespace asio = boost::asio;
    return ec == boost::beast::http::error::end_of_stream || ec == asio::error::eof ||
           ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
           ec == asio::error::connection_aborted
#if PIECES_WITH_TLS
           || ec == asio::ssl::error::stream_truncated
#endif
        ;
}

connection_ptr new_connection(transport& impl) {
    auto c = connection_ptr(new connection(impl.strand));
    c->idle_limit = idle_limit_for(impl.config().pool.idle_timeout, std::nullopt);
    return c;
}

void close_connection(transport& impl, connection& c) noexcept {
    if (!c.connected) return;
#if PIECES_WITH_TLS
    send_close_notify(c);
#endif
    boost::system::error_code ignored;
    c.stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    c.stream.close();
    c.connected = false;
    ++impl.connections_closed;
    --impl.connections_open;
}

// Whether the server closed the connection or wrote to it unasked since its last reply: a peek that does not
// block tells, so that no request, a POST above all, is sent into a connection already known to be gone, and no
// stray bytes are read as a reply. (Which connections are peeked: reuse_check.hpp and request_driver.cpp.)
// The socket is in non-blocking mode from its connect on (see connect_result), so the peek is one receive
// call that returns at once, through Asio on every platform: would_block means nothing has arrived.
bool socket_has_input(connection& c) {
    if (!c.connected) return false;
    char byte = 0;
    boost::system::error_code ec;
    c.stream.socket().receive(boost::asio::buffer(&byte, 1), tcp::socket::message_peek, ec);
    return ec != boost::asio::error::would_block;
}

namespace {

auto discarder(transport& impl) {
    return [&impl](connection_ptr c) { close_connection(impl, *c); };
}

void wake(pool_state<connection_ptr>::waiter* w) {
    if (w) static_cast<timed_waiter*>(w)->timer.cancel();
}

// The wait on an idle connection's socket ended: unless it was cancelled (the connection was taken, or the hold
// ended) or the connection is gone, the server closed it or wrote to it unasked, and it is closed now.
struct idle_watch_ended {
    std::weak_ptr<transport> client;
    std::uint64_t watch;  // which wait: a connection taken and given back again has another

    void operator()(const boost::system::error_code& ec) const {
        auto impl = client.lock();
        if (!impl || ec == boost::asio::error::operation_aborted) return;
        wake(impl->pool.discard_idle_if([this](const connection_ptr& c) { return c->idle_watch == watch; },
                                        discarder(*impl)));
    }
};

void watch(transport& impl, connection& c) {
    if (c.idle_watch != 0 || !c.connected) return;
    c.idle_watch = ++impl.idle_watch_generation;
    c.stream.socket().async_wait(tcp::socket::wait_read,
                                 boost::asio::bind_executor(impl.strand, idle_watch_ended{impl.weak_from_this(), c.idle_watch}));
}

void unwatch(connection& c) {
    if (c.idle_watch == 0) return;
    c.idle_watch = 0;
    boost::system::error_code ignored;
    c.stream.socket().cancel(ignored);
}

}  // namespace

void watch_idle_connections(transport& impl) {
    impl.pool.for_each_idle([&impl](const connection_ptr& c) { watch(impl, *c); });
}

void unwatch_idle_connections(transport& impl) {
    impl.pool.for_each_idle([](const connection_ptr& c) { unwatch(*c); });
}

namespace {

// Whether `c`, given back `now - c.idle_since` ago, must not carry the next request (see reuse_check.hpp).
// `held_for`: it has not sat idle since, but was held this long (see check_before_reuse).
bool must_replace(transport& impl, connection& c, std::optional<clock_type::duration> held_for, bool is_get,
                  clock_type::time_point now) {
    switch (check_before_reuse(now - c.idle_since, c.idle_limit, held_for, is_get, impl.handover_limit)) {
    case reuse_check::expired: return true;
    case reuse_check::none: return false;
    case reuse_check::peek: break;
    }
    ++impl.reuse_peeks;
    return socket_has_input(c);  // the server closed it or wrote to it unasked since its last reply
}

}  // namespace

const connection* lease::give_back(bool reusable, clock_type::time_point now) {
    transport& impl = *std::exchange(impl_, nullptr);
    --impl.requests_in_flight;
    // Idle from now if it carried a request (or was just opened); one given back unused keeps its age.
    if (conn_->requests != requests_at_start_ || conn_->idle_since == clock_type::time_point{})
        conn_->idle_since = now;
    connection* c = conn_.get();
    reusable = reusable && !impl.closed;  // after shutdown nothing is kept open
    auto* granted = impl.pool.release(std::move(conn_), reusable, discarder(impl));
    wake(granted);
    if (!reusable || granted) return nullptr;
    if (impl.idle_watch_holds != 0) watch(impl, *c);
    return c;
}

timed_waiter::timed_waiter(transport& impl, clock_type::time_point deadline)
    : timer(impl.strand, deadline), impl_(impl) {
    impl.pool.enqueue(this);
    ++impl.requests_waiting;
}

timed_waiter::~timed_waiter() {
    --impl_.requests_waiting;
    if (granted) wake(impl_.pool.release(std::move(granted), true, discarder(impl_)));
    else if (slot_granted) wake(impl_.pool.release_slot());
    else if (!claimed_) impl_.pool.remove(this);
}

void timed_waiter::claim(std::optional<lease>& out, bool is_get, clock_type::time_point now) {
    if (granted) {
        if (must_replace(impl_, *granted, now - granted->idle_since, is_get, now)) {  // given straight to this request
            auto fresh = new_connection(impl_);  // first: if this throws, the destructor passes `granted` on
            close_connection(impl_, *granted);
            granted = std::move(fresh);
        }
        out.emplace(impl_, std::move(granted));
    } else {
        out.emplace(impl_, new_connection(impl_));  // if this throws, the destructor passes the slot on
        slot_granted = false;
    }
    claimed_ = true;
}

pool_answer take_from_pool(transport& impl, std::optional<lease>& out, bool want_fresh, bool is_get,
                           clock_type::time_point now, const connection* handed_over, clock_type::duration held_for) {
    const auto expired = [now, &impl, is_get, handed_over, held_for](const connection_ptr& c) {
        return must_replace(impl, *c, c.get() == handed_over ? std::optional(held_for) : std::nullopt, is_get, now);
    };
    // The oldest idle connections past their idle limit are closed as they are met (no system call): the peek
    // is only for the one about to be reused.
    impl.pool.discard_oldest_while(
        [now](const connection_ptr& c) {
            return check_before_reuse(now - c->idle_since, c->idle_limit, std::nullopt, false) == reuse_check::expired;
        },
        discarder(impl));
    if (handed_over) impl.pool.make_most_recent([handed_over](const connection_ptr& c) { return c.get() == handed_over; });
    connection_ptr idle;
    switch (impl.pool.acquire(idle, want_fresh, expired, discarder(impl))) {
    case pool_state<connection_ptr>::outcome::got_idle:
        unwatch(*idle);
        out.emplace(impl, std::move(idle));
        return pool_answer::idle_connection;
    case pool_state<connection_ptr>::outcome::may_open:
        try {
            out.emplace(impl, new_connection(impl));
        } catch (...) {
            wake(impl.pool.release_slot());  // the slot taken for it
            throw;
        }
        return pool_answer::new_slot;
    case pool_state<connection_ptr>::outcome::must_wait: break;
    }
    return pool_answer::must_wait;
}

}  // namespace pieces::detail
