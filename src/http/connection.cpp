#include "connection.hpp"

#include "reply_fields.hpp"

#include <boost/asio/bind_executor.hpp>

#include <algorithm>

namespace pieces::detail {

using boost::asio::ip::tcp;
using boost::system::error_code;

void connection_deleter::operator()(connection* c) const noexcept { delete c; }

connection_ptr new_connection(client_impl& impl) {
    auto c = connection_ptr(new connection(impl.strand));
    c->idle_limit = idle_limit_for(impl.config().pool.idle_timeout, std::nullopt);
    c->idle = std::make_shared<idle_read>();
    c->idle->conn = c.get();
    c->idle->impl = &impl;
    return c;
}

void close_connection(client_impl& impl, connection& c) noexcept {
    if (!c.connected) return;
    boost::system::error_code ignored;
    c.stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    c.stream.close();
    c.connected = false;
    ++impl.connections_closed;
    --impl.connections_open;
}

namespace {

auto discarder(client_impl& impl) {
    return [&impl](connection_ptr c) { close_connection(impl, *c); };
}

void wake(pool_state<connection_ptr>::waiter* w) {
    if (w) static_cast<timed_waiter*>(w)->timer.cancel();
}

// The idle read's handler. The read ended: with the next reply's first bytes (a request waits for them), or while
// the connection was idle or granted (the peer closed it or wrote unasked: an idle one is closed at once, a granted
// one when claimed), or because the connection was closed.
struct idle_read_done {
    std::shared_ptr<idle_read> r;

    idle_read_done(const idle_read_done&) = delete;
    idle_read_done(idle_read_done&&) noexcept = default;
    explicit idle_read_done(std::shared_ptr<idle_read> read) : r(std::move(read)) {}
    // Destroyed without being run (its io_context went away): the waiting request is let go, which would
    // otherwise hold its connection, and so this state, forever.
    ~idle_read_done() {
        if (r) r->reader.reset();
    }

    void operator()(error_code ec, std::size_t n) {
        auto read = std::move(r);
        read->pending = false;
        if (!read->conn) return;
        connection& c = *read->conn;
        c.buffer.commit(n);
        if (read->reader) return resume_reply_read(std::move(read->reader), ec);
        read->ended = true;
        read->ec = ec;
        if (read->leased) return;  // the request holding it finds it ended when it reads
        client_impl& impl = *read->impl;
        if (auto gone = impl.pool.take_idle_if([&c](const connection_ptr& p) { return p.get() == &c; }))
            close_connection(impl, *gone);  // (no request waits while a connection is idle: nobody to wake)
    }
};

}  // namespace

void start_idle_read(client_impl& impl, connection& c) {
    idle_read& r = *c.idle;
    if (r.pending || r.ended || !c.connected) return;
    r.pending = true;
    // Into the buffer's room (empty: no reply leaves bytes behind on a kept connection).
    const std::size_t room = std::max<std::size_t>(512, c.buffer.capacity() - c.buffer.size());
    c.stream.socket().async_read_some(c.buffer.prepare(room),
                                      boost::asio::bind_executor(impl.strand, idle_read_done{c.idle}));
}

namespace {
}  // namespace

void lease::give_back(bool reusable) {
    client_impl& impl = *std::exchange(impl_, nullptr);
    --impl.requests_in_flight;
    // Idle from now if it carried a request (or was just opened); one given back unused keeps its age.
    if (conn_->requests != requests_at_start_ || conn_->idle_since == clock_type::time_point{})
        conn_->idle_since = clock_type::now();
    conn_->idle->leased = false;
    // After shutdown nothing is kept open; nor is a connection whose peer has spoken since its last reply.
    reusable = reusable && !impl.closed && !conn_->idle->ended;
    if (reusable) start_idle_read(impl, *conn_);
    wake(impl.pool.release(std::move(conn_), reusable, discarder(impl)));
}

timed_waiter::timed_waiter(client_impl& impl, clock_type::time_point deadline)
    : timer(impl.strand, deadline), impl_(impl) {
    impl.pool.enqueue(this);
    ++impl.requests_waiting;
}

timed_waiter::~timed_waiter() {
    --impl_.requests_waiting;
    if (granted) wake(impl_.pool.release(std::move(granted), !granted->idle->ended, discarder(impl_)));
    else if (slot_granted) wake(impl_.pool.release_slot());
    else if (!claimed_) impl_.pool.remove(this);
}

void timed_waiter::claim(std::optional<lease>& out) {
    if (granted && granted->idle->ended) {  // its peer closed or wrote since: a new connection in its slot
        close_connection(impl_, *granted);
        granted.reset();
    }
    if (granted) {
        out.emplace(impl_, std::move(granted));
    } else {
        out.emplace(impl_, new_connection(impl_));  // if this throws, the destructor passes the slot on
        slot_granted = false;
    }
    claimed_ = true;
}

pool_answer take_from_pool(client_impl& impl, std::optional<lease>& out, bool want_fresh) {
    const auto now = clock_type::now();
    const auto expired = [now](const connection_ptr& c) { return now - c->idle_since >= c->idle_limit || c->idle->ended; };
    // The oldest idle connections past their idle limit are closed as they are met.
    impl.pool.discard_oldest_while([now](const connection_ptr& c) { return now - c->idle_since >= c->idle_limit; },
                                   discarder(impl));
    connection_ptr idle;
    switch (impl.pool.acquire(idle, want_fresh, expired, discarder(impl))) {
    case pool_state<connection_ptr>::outcome::got_idle:
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
