// The HTTP/1.1 keep-alive transport: one coroutine per request on the client's strand.
// Everything Beast-specific in the client is in this file.
#include "../client_impl.hpp"
#include "deadline.hpp"
#include "reply_fields.hpp"
#include "request_machine.hpp"

#include <pieces/error.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

namespace pieces::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using boost::system::error_code;
using asio::ip::tcp;

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

struct connection {
    // Beast reads at most the buffer's spare capacity (at least 512 bytes) per read: 16 KiB up front lets a
    // 100 KB reply arrive in a handful of reads instead of ~200, each a strand hop.
    explicit connection(const client_impl::strand_type& s) : stream(s) { buffer.reserve(16 * 1024); }
    beast::tcp_stream stream;
    beast::flat_buffer buffer;  // kept across requests: no reallocation per reply
    std::size_t requests = 0;
    clock_type::time_point idle_since{};
    clock_type::duration idle_limit{};
    bool connected = false;
};

void connection_deleter::operator()(connection* c) const noexcept { delete c; }

struct request_state {
    // Boost 1.81's any_completion_handler move-assignment recurses forever: only ever move-construct it.
    explicit request_state(response_handler h) : handler(std::move(h)) {}

    std::shared_ptr<client_impl> impl;
    http_request req;
    clock_type::time_point deadline;
    response_handler handler;
    asio::any_completion_executor work;  // keeps the handler's executor busy while we run
    asio::cancellation_signal signal;
    bool done = false;
    request_state* prev = nullptr;
    request_state* next = nullptr;
    error_code ec;
    http_response response;
};

namespace {

// ---- pool plumbing (strand only) ----

void close_connection(client_impl& impl, connection& c) {
    if (!c.connected) return;
    error_code ignored;
    c.stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    c.stream.close();
    c.connected = false;
    ++impl.connections_closed;
    --impl.connections_open;
}

auto discarder(client_impl& impl) {
    return [&impl](connection_ptr c) { close_connection(impl, *c); };
}

void wake(pool_state<connection_ptr>::waiter* w);

// One pool slot held by one request, with the connection in it. It goes back exactly once: by give_back(),
// or on every other path (an error, an exception, the coroutine's frame destroyed) by the destructor, as
// broken. So no path loses a slot or leaves `requests_in_flight` counting a request that has ended.
class lease {
public:
    lease(client_impl& impl, connection_ptr c) : impl_(&impl), conn_(std::move(c)) { ++impl.requests_in_flight; }
    lease(const lease&) = delete;
    lease& operator=(const lease&) = delete;
    ~lease() {
        if (impl_) give_back(false);
    }

    connection& conn() const noexcept { return *conn_; }

    void give_back(bool reusable) {
        client_impl& impl = *std::exchange(impl_, nullptr);
        --impl.requests_in_flight;
        conn_->idle_since = clock_type::now();
        wake(impl.pool.release(std::move(conn_), reusable, discarder(impl)));
    }

private:
    client_impl* impl_;
    connection_ptr conn_;
};

connection_ptr new_connection(client_impl& impl) {
    auto c = connection_ptr(new connection(impl.strand));
    c->idle_limit = idle_limit_for(impl.config().pool.idle_timeout, std::nullopt);
    return c;
}

// A request waiting for a connection: queued from construction until granted or destroyed. A grant that is
// not claimed (it came too late, or the frame went away) is passed on by the destructor.
class timed_waiter : public pool_state<connection_ptr>::waiter {
public:
    timed_waiter(client_impl& impl, clock_type::time_point deadline) : timer(impl.strand, deadline), impl_(impl) {
        impl.pool.enqueue(this);
        ++impl.requests_waiting;
    }
    timed_waiter(const timed_waiter&) = delete;
    timed_waiter& operator=(const timed_waiter&) = delete;
    ~timed_waiter() {
        --impl_.requests_waiting;
        if (granted) wake(impl_.pool.release(std::move(granted), true, discarder(impl_)));
        else if (slot_granted) wake(impl_.pool.release_slot());
        else impl_.pool.remove(this);
    }

    /// The granted connection, or a new one in the granted slot.
    void claim(std::optional<lease>& out) {
        if (granted) {
            out.emplace(impl_, std::move(granted));
        } else {
            out.emplace(impl_, new_connection(impl_));
        }
        slot_granted = false;
    }

    asio::steady_timer timer;

private:
    client_impl& impl_;
};

void wake(pool_state<connection_ptr>::waiter* w) {
    if (w) static_cast<timed_waiter*>(w)->timer.cancel();
}

bool is_cancelled(const asio::cancellation_state& cs) { return cs.cancelled() != asio::cancellation_type::none; }

// An idle connection the server closed (or wrote to unasked) since its last reply: a peek that does not block
// tells, so that no request, a POST above all, is sent into a connection already known to be gone.
bool peer_gone(connection& c) {
    if (!c.connected) return false;
    char byte = 0;
    const auto n = ::recv(c.stream.socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
}

// ---- the steps: each does one piece of I/O and reports how it ended; request_machine decides ----

error_code map_io_error(const error_code& ec) {
    if (ec == beast::error::timeout) return errc::request_timeout;
    if (ec == asio::error::operation_aborted) return ec;
    if (ec == http::error::body_limit || ec == http::error::header_limit || ec == http::error::buffer_overflow)
        return errc::response_too_large;
    if (ec == http::error::end_of_stream || ec == http::error::partial_message || ec == asio::error::eof ||
        ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
        ec == asio::error::connection_aborted)
        return errc::connection_closed;
    if (ec.category() == http::make_error_code(http::error::bad_version).category()) return errc::malformed_http;
    return ec;
}

// The peer closed or reset the connection (as opposed to sending something wrong).
bool is_closed_error(const error_code& ec) {
    return ec == http::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset ||
           ec == asio::error::broken_pipe || ec == asio::error::connection_aborted;
}

// How a write or read ended: the library's code, and what Beast/Asio said about it when nothing more is known.
step_result io_result(const error_code& raw, std::string detail = {}) {
    step_result r;
    r.ec = map_io_error(raw);
    r.closed_before_reply = is_closed_error(raw);
    r.detail = detail.empty() && raw ? raw.message() : std::move(detail);
    return r;
}

// Takes an idle connection or a slot from the pool without waiting.
pool_answer take_from_pool(client_impl& impl, std::optional<lease>& out, bool want_fresh) {
    const auto now = clock_type::now();
    const auto expired = [now](const connection_ptr& c) {
        return now - c->idle_since >= c->idle_limit || peer_gone(*c);
    };
    connection_ptr idle;
    switch (impl.pool.acquire(idle, want_fresh, expired, discarder(impl))) {
    case pool_state<connection_ptr>::outcome::got_idle:
        out.emplace(impl, std::move(idle));
        return pool_answer::idle_connection;
    case pool_state<connection_ptr>::outcome::may_open:
        out.emplace(impl, new_connection(impl));
        return pool_answer::new_slot;
    case pool_state<connection_ptr>::outcome::must_wait: break;
    }
    return pool_answer::must_wait;
}

// Waits in the pool's FIFO queue until `until`; true when granted (the grant is then in `out`).
asio::awaitable<bool> wait_for_grant(client_impl& impl, clock_type::time_point until, std::optional<lease>& out) {
    timed_waiter w(impl, until);
    co_await w.timer.async_wait(use_tuple);
    if (!w.is_granted()) co_return false;
    w.claim(out);
    co_return true;
}

// A name lookup runs in Asio's resolver thread and cannot be interrupted: the request waits for it until
// `until` or a cancellation, and leaves it behind (its result dropped) when either comes first.
struct pending_resolution {
    explicit pending_resolution(const client_impl::strand_type& s) : finished_signal(s) {}
    asio::steady_timer finished_signal;
    bool finished = false;
    error_code ec;
    tcp::resolver::results_type results;
};

asio::awaitable<step_result> resolve_host(client_impl& impl, clock_type::time_point until) {
    const base_url& url = impl.url();
    auto r = std::make_shared<pending_resolution>(impl.strand);
    r->finished_signal.expires_at(until);
    impl.resolve(url.host, std::to_string(url.port),
                 asio::bind_executor(impl.strand, [r](error_code ec, tcp::resolver::results_type results) {
                     r->finished = true;
                     r->ec = ec;
                     r->results = std::move(results);
                     r->finished_signal.cancel();
                 }));
    auto [wait_ec] = co_await r->finished_signal.async_wait(use_tuple);  // (a lookup may answer at once)
    step_result out;
    if (!r->finished) {
        out.ec = wait_ec == asio::error::operation_aborted ? error_code(asio::error::operation_aborted)
                                                           : error_code(errc::request_timeout);
    } else if (r->ec == asio::error::operation_aborted) {
        out.ec = r->ec;
    } else if (r->ec) {
        out.ec = errc::connection_failed;
        out.detail = "cannot resolve " + url.host + ": " + r->ec.message();
    } else {
        impl.resolved = std::move(r->results);
    }
    co_return out;
}

asio::awaitable<step_result> open_connection(client_impl& impl, connection& c, clock_type::time_point until) {
    step_result out;
    c.stream.expires_at(until);
    auto [ec, endpoint] = co_await c.stream.async_connect(*impl.resolved, use_tuple);
    (void)endpoint;
    if (ec == beast::error::timeout) {
        out.ec = errc::request_timeout;
    } else if (ec == asio::error::operation_aborted) {
        out.ec = ec;
    } else if (ec) {
        out.ec = errc::connection_failed;
        out.detail = "connect to " + impl.url().host_header + ": " + ec.message();
    } else {
        c.connected = true;
        c.stream.socket().set_option(tcp::no_delay(true), ec);
        ++impl.connections_opened;
        ++impl.connections_open;
    }
    co_return out;
}

http::request<http::string_body> build_request(const client_impl& impl, http_request& r, bool last_on_connection) {
    const auto& cfg = impl.config();
    http::request<http::string_body> req{r.method == http_method::get ? http::verb::get : http::verb::post,
                                         impl.url().path_prefix + r.target, 11};
    req.set(http::field::host, impl.url().host_header);
    req.set(http::field::user_agent, cfg.user_agent);
    req.set(http::field::accept, r.accept);
    if (cfg.application_id) req.set("X-Application-ID", *cfg.application_id);
    if (cfg.access_token) req.set(http::field::authorization, "Bearer " + *cfg.access_token);
    if (r.has_body) {
        req.set(http::field::content_type, "application/json");
        req.body() = r.body;  // kept in `r` for a retry
    }
    if (r.method == http_method::post || r.has_body) req.prepare_payload();
    if (last_on_connection) req.keep_alive(false);
    return req;
}

asio::awaitable<step_result> write_request(request_state& st, connection& c, clock_type::time_point until, bool last,
                                   std::size_t& written) {
    client_impl& impl = *st.impl;
    if (c.requests > 0) ++impl.connections_reused;
    ++c.requests;
    auto req = build_request(impl, st.req, last);
    c.stream.expires_at(until);
    auto [ec, n] = co_await http::async_write(c.stream, req, use_tuple);
    written = n;
    co_return io_result(ec);
}

// Reads one reply; the final one (not 1xx) lands in the request's response.
asio::awaitable<step_result> read_reply(request_state& st, connection& c, clock_type::time_point until, bool& got_some,
                                  reply_facts& facts) {
    const auto& cfg = st.impl->config();
    http::response_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(cfg.max_header_size, UINT32_MAX)));
    parser.body_limit(cfg.max_body_size);
    c.stream.expires_at(until);
    auto [ec, n] = co_await http::async_read(c.stream, c.buffer, parser, use_tuple);
    (void)n;
    got_some = parser.got_some();
    if (ec) {
        std::string detail;
        if (ec == http::error::body_limit)
            detail = "reply body over max_body_size (" + std::to_string(cfg.max_body_size) + " bytes)";
        else if (ec == http::error::header_limit)
            detail = "reply header over max_header_size";
        co_return io_result(ec, std::move(detail));
    }
    auto& res = parser.get();
    facts.status = res.result_int();
    facts.keep_alive = res.keep_alive();
    // Bytes after the reply (a second, unrequested reply, or junk) would be read as the next request's reply.
    // Bytes arriving later are seen by peer_gone() before reuse.
    facts.bytes_after = c.buffer.size() != 0;
    if (facts.status < 100 || facts.status >= 200 || facts.status == 101) {
        st.response.status = facts.status;
        st.response.json_content = is_json_type(res[http::field::content_type]);
        st.response.body = std::move(res.body());
        c.idle_limit = idle_limit_for(cfg.pool.idle_timeout, keep_alive_timeout(res["Keep-Alive"]));
    }
    co_return step_result{};
}

// Drives the request's state machine: each step's I/O, then the machine's next step.
asio::awaitable<void> run_request(std::shared_ptr<request_state> st) {
    co_await asio::this_coro::throw_if_cancelled(false);
    client_impl& impl = *st->impl;
    const auto& cfg = impl.config();
    const auto cs = co_await asio::this_coro::cancellation_state;
    const auto cancelled = [&cs] { return is_cancelled(cs); };
    const auto now = [] { return clock_type::now(); };

    request_machine::params p;
    p.is_get = st->req.method == http_method::get;
    p.deadline = st->deadline;
    p.connect_timeout = to_clock_duration(cfg.pool.connect_timeout);
    p.max_requests_per_connection = cfg.pool.max_requests_per_connection;
    p.host = impl.url().host;
    p.authority = impl.url().host_header;
    request_machine m(std::move(p));

    std::optional<lease> held;  // gives the slot back on every path, exceptions included
    request_action act = m.start(now(), cancelled());
    for (;;) {
        switch (act.step) {
        case request_step::acquire: {
            if (act.want_fresh) ++impl.retries;
            const auto answer = take_from_pool(impl, held, act.want_fresh);
            act = held ? m.on_acquired(answer, held->conn().connected, !impl.resolved, held->conn().requests, now(),
                                       cancelled())
                       : m.on_acquired(answer, false, false, 0, now(), cancelled());
            break;
        }
        case request_step::wait_for_grant:
            if (co_await wait_for_grant(impl, act.until, held))
                act = m.on_wait_ended(true, held->conn().connected, !impl.resolved, held->conn().requests, now(),
                                      cancelled());
            else
                act = m.on_wait_ended(false, false, false, 0, now(), cancelled());
            break;
        case request_step::resolve: {
            const auto r = co_await resolve_host(impl, act.until);
            act = m.on_resolved(r, now(), cancelled());
            break;
        }
        case request_step::connect: {
            const auto r = co_await open_connection(impl, held->conn(), act.until);
            act = m.on_connected(r, now(), cancelled());
            break;
        }
        case request_step::write: {
            std::size_t written = 0;
            const auto r = co_await write_request(*st, held->conn(), act.until, act.last_on_connection, written);
            act = m.on_written(r, written, now(), cancelled());
            break;
        }
        case request_step::read: {
            bool got_some = false;
            reply_facts facts;
            const auto r = co_await read_reply(*st, held->conn(), act.until, got_some, facts);
            act = m.on_read(r, got_some, facts, now(), cancelled());
            break;
        }
        case request_step::release:
            held->give_back(act.reusable);
            held.reset();
            act = m.on_released(now(), cancelled());
            break;
        case request_step::done:
            st->ec = act.ec;
            if (act.ec) st->response.error_detail = std::move(act.detail);
            co_return;
        }
    }
}

// ---- starting and completing ----

void link(client_impl& impl, request_state* r) {
    r->next = impl.active_head;
    if (impl.active_head) impl.active_head->prev = r;
    impl.active_head = r;
}

void unlink(client_impl& impl, request_state* r) {
    if (r->prev) r->prev->next = r->next;
    else if (impl.active_head == r) impl.active_head = r->next;
    if (r->next) r->next->prev = r->prev;
    r->prev = r->next = nullptr;
}

void complete(const std::shared_ptr<request_state>& st) {
    st->done = true;
    unlink(*st->impl, st.get());
    auto ex = asio::get_associated_executor(st->handler, st->impl->get_executor());
    asio::dispatch(ex, [h = std::move(st->handler), work = std::move(st->work), ec = st->ec,
                        res = std::move(st->response)]() mutable {
        asio::get_associated_cancellation_slot(h).clear();
        std::move(h)(ec, std::move(res));
    });
}

void on_coroutine_done(const std::shared_ptr<request_state>& st, std::exception_ptr e) {
    if (e) {
        try {
            std::rethrow_exception(e);
        } catch (const boost::system::system_error& se) {
            st->ec = se.code();
        } catch (const std::bad_alloc&) {
            st->ec = make_error_code(boost::system::errc::not_enough_memory);
        } catch (...) {
            st->ec = make_error_code(boost::system::errc::io_error);
        }
    }
    complete(st);
}

void start(const std::shared_ptr<request_state>& st) {
    client_impl& impl = *st->impl;
    if (impl.closed) {
        st->ec = asio::error::operation_aborted;
        complete(st);
        return;
    }
    link(impl, st.get());
    asio::co_spawn(impl.strand, run_request(st),
                   asio::bind_cancellation_slot(
                       st->signal.slot(),
                       asio::bind_executor(impl.strand, [st](std::exception_ptr e) { on_coroutine_done(st, e); })));
}

// Installed on the caller's cancellation slot: hops to the strand, where the request lives.
struct cancel_forwarder {
    std::weak_ptr<request_state> state;
    client_impl::strand_type strand;
    void operator()(asio::cancellation_type type) {
        if ((type & asio::cancellation_type::terminal) == asio::cancellation_type::none) return;
        asio::post(strand, [w = state] {
            if (auto s = w.lock(); s && !s->done) s->signal.emit(asio::cancellation_type::terminal);
        });
    }
};

client_impl::strand_type make_client_strand(const asio::any_io_executor& ex) {
    if (const auto* ioc = ex.target<asio::io_context::executor_type>()) return asio::make_strand(*ioc);
    return asio::make_strand(ex);
}

}  // namespace

client_impl::client_impl(asio::any_io_executor ex, client_config cfg, base_url url)
    : strand(make_client_strand(ex)),
      pool(cfg.pool.max_connections),
      resolver(strand),
      executor_(std::move(ex)),
      config_(std::move(cfg)),
      url_(std::move(url)) {}

client_impl::~client_impl() {
    for (auto& c : pool.take_all_idle()) close_connection(*this, *c);
}

void client_impl::async_send(http_request req, std::chrono::milliseconds timeout, response_handler handler) {
    auto st = std::make_shared<request_state>(std::move(handler));
    st->impl = shared_from_this();
    st->req = std::move(req);
    st->deadline = deadline_after(clock_type::now(), timeout);
    st->work = asio::prefer(asio::get_associated_executor(st->handler, executor_),
                            asio::execution::outstanding_work.tracked);
    if (closed) {
        st->ec = errc::client_closed;
        asio::post(strand, [st] { complete(st); });
        return;
    }
    auto slot = asio::get_associated_cancellation_slot(st->handler);
    if (slot.is_connected()) slot.template emplace<cancel_forwarder>(cancel_forwarder{st, strand});
    asio::dispatch(strand, [st] { start(st); });
}

void client_impl::resolve(const std::string& host, const std::string& service, resolve_handler handler) {
    if (resolve_override) return resolve_override(host, service, std::move(handler));
    resolver.async_resolve(host, service, std::move(handler));
}

void client_impl::cancel_all() {
    asio::post(strand, [self = shared_from_this()] {
        for (request_state* r = self->active_head; r != nullptr; r = r->next)
            if (!r->done) r->signal.emit(asio::cancellation_type::terminal);
        for (auto& c : self->pool.take_all_idle()) close_connection(*self, *c);
    });
}

void client_impl::shutdown() {
    closed = true;
    cancel_all();
}

pool_stats client_impl::stats() const noexcept {
    pool_stats s;
    s.connections_opened = connections_opened;
    s.connections_reused = connections_reused;
    s.connections_closed = connections_closed;
    s.retries = retries;
    s.connections_open = connections_open;
    s.requests_in_flight = requests_in_flight;
    s.requests_waiting = requests_waiting;
    return s;
}

}  // namespace pieces::detail
