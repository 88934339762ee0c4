// One request as one asynchronous operation: request_machine decides each step, this file does its I/O on
// the client's strand. No coroutine and no co_spawn per request: the state lives in one allocation, moved
// from one step's completion handler to the next; the caller's handler is completed on its own executor.
#include "http/body_buffers.hpp"
#include "http/completion_memory.hpp"
#include "http/connection.hpp"
#include "http/reply_fields.hpp"
#include "http/reply_parser.hpp"
#include "http/request_machine.hpp"
#include "http/request_text.hpp"
#include "http/retry_schedule.hpp"
#include "http/state_blocks.hpp"
#if PIECES_WITH_TLS
#include "http/tls_context.hpp"
#endif

#include <pieces/error.hpp>

#include <boost/asio/bind_allocator.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#if PIECES_WITH_TLS
#include <boost/asio/ssl/error.hpp>
#endif
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>

#include <algorithm>
#include <cstdint>
#include <exception>
#include <new>
#include <optional>
#include <string>
#include <utility>

namespace pieces::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using boost::system::error_code;
using asio::ip::tcp;

// Everything one request needs from start to completion; owned by the operation in flight. Its deadline is
// queued in the client's deadline_queue while it runs.
struct request_state : deadline_entry {
    // Boost 1.81's any_completion_handler move-assignment recurses forever: only ever move-construct it.
    explicit request_state(response_handler h) : handler(std::move(h)) {}
    ~request_state() {
        unlink();
        impl->deadlines.remove(*this);
    }

    void link() {
        next = impl->active_head;
        if (next) next->prev = this;
        impl->active_head = this;
        linked = true;
    }
    void unlink() {
        if (!linked) return;
        if (prev) prev->next = next;
        else impl->active_head = next;
        if (next) next->prev = prev;
        prev = next = nullptr;
        linked = false;
    }

    std::shared_ptr<transport> impl;
    http_request req;
    std::chrono::milliseconds timeout{};
    retry_policy retry;
    response_handler handler;
    // Keeps the handler's executor busy while we run; not needed (left empty) when that is the client's own, which
    // the request's own I/O keeps busy.
    asio::any_completion_executor work;
    asio::cancellation_signal signal;    // emitted on the strand (by cancel_forwarder or cancel_all)
    bool cancelled = false;              // a terminal cancellation arrived (the machine is told at each step)
    bool timed_out = false;              // the deadline passed: the step in flight was cancelled for it
    bool done = false;
    bool linked = false;
    request_state* prev = nullptr;
    request_state* next = nullptr;

    const connection* handed_over = nullptr;  // given back by the request whose completion made this one,
    clock_type::duration held_for{};           // which had run this long when it made it
    std::optional<request_machine> machine;
    request_step awaiting = request_step::acquire;  // the step whose completion comes next
    std::optional<lease> held;                      // gives the slot back on every path
    std::optional<timed_waiter> waiter;
    std::optional<asio::steady_timer> backoff_timer;  // made on a request's first backoff
    std::optional<reply_parser> parser;
    http_response response;
    error_code result;                         // how it ended, for the completion
    const connection* went_idle = nullptr;     // the connection its last release put on the idle list
    completion_memory completion_block;        // for the posted completion (see completion_memory.hpp)
};

namespace {

error_code map_io_error(const error_code& ec) {
    if (ec == beast::error::timeout) return errc::request_timeout;
    if (ec == asio::error::operation_aborted) return ec;
    if (ec == http::error::body_limit || ec == http::error::header_limit || ec == http::error::buffer_overflow)
        return errc::response_too_large;
    if (ec == http::error::partial_message || is_closed_error(ec)) return errc::connection_closed;
    if (ec.category() == http::make_error_code(http::error::bad_version).category()) return errc::malformed_http;
    return ec;
}

// How a write or read ended: the library's code, and what Beast/Asio said about it when nothing more is known.
step_result io_result(const error_code& raw, std::string detail = {}) {
    step_result r;
    r.ec = map_io_error(raw);
    r.closed_before_reply = is_closed_error(raw);
    r.detail = detail.empty() && raw ? raw.message() : std::move(detail);
    return r;
}

// A name lookup runs in Asio's resolver thread and cannot be interrupted: the request waits for it until
// the step's deadline or a cancellation, and leaves it behind (its result dropped) when either comes first.
struct pending_resolution {
    explicit pending_resolution(const transport::strand_type& s) : finished_signal(s) {}
    asio::steady_timer finished_signal;
    bool finished = false;
    error_code ec;
    tcp::resolver::results_type results;
};

void complete(std::shared_ptr<request_state> st, error_code ec, const connection* went_idle = nullptr);

// The completion handler of every step: carries the request from one step to the next, on the strand, with
// the request's own cancellation slot (fed from the caller's, see cancel_forwarder).
struct request_op {
    std::shared_ptr<request_state> st;
    std::shared_ptr<pending_resolution> lookup;  // while resolving

    using executor_type = transport::strand_type;
    executor_type get_executor() const noexcept { return st->impl->strand; }
    using cancellation_slot_type = asio::cancellation_slot;
    cancellation_slot_type get_cancellation_slot() const noexcept { return st->signal.slot(); }

    void operator()(error_code ec = {}, std::size_t n = 0) {
        try {
            advance(on_step_done(ec, n));
        } catch (...) {
            // Once the state has moved on (into the next step, or to the caller's handler, which may run here
            // and throw), the exception is not the request's: it propagates, as Asio's rules say.
            if (!st) throw;
            fail(std::current_exception());
        }
    }
    void operator()(error_code ec, const tcp::endpoint&) { (*this)(ec, 0); }

private:
    using clock = clock_type;

    request_machine& m() { return *st->machine; }

    // How a write or read on the held connection ended (`got_some`: a byte of the reply had arrived).
    step_result exchange_result(const error_code& raw, bool got_some, std::string detail = {}) {
        auto r = io_result(raw, std::move(detail));
#if PIECES_WITH_TLS
        if (raw.category() == asio::error::get_ssl_category())
            explain_tls_failure(r, raw, st->held->conn(), got_some, st->impl->url());
        else if (raw == asio::ssl::error::stream_truncated)
            drop_tls_session(st->held->conn());
#else
        (void)got_some;
#endif
        return r;
    }
    bool cancelled() const { return st->cancelled; }

    // The machine's next step, from how the awaited step ended.
    request_action on_step_done(error_code ec, std::size_t n) {
        const auto now = clock::now();
        if (st->timed_out && ec == asio::error::operation_aborted) ec = beast::error::timeout;
        switch (st->awaiting) {
        case request_step::acquire: {  // the start
            auto& cfg = st->impl->config();
            request_machine::params p;
            p.is_get = st->req.method == http_method::get;
            p.tls = st->impl->url().tls;
            p.deadline = st->deadline;
            p.connect_timeout = to_clock_duration(cfg.pool.connect_timeout);
            p.max_requests_per_connection = cfg.pool.max_requests_per_connection;
            p.host = st->impl->url().host;
            p.authority = st->impl->url().host_header;
            p.retry = st->retry;
            if (p.retry.max_attempts > 1) p.jitter_seed = next_jitter_seed();
            st->machine.emplace(std::move(p));
            return m().start(now, cancelled());
        }
        case request_step::wait_for_grant: {
            const bool granted = st->waiter->is_granted();
            if (granted) st->waiter->claim(st->held, st->req.method == http_method::get, now);
            st->waiter.reset();
            if (!granted) return m().on_wait_ended(false, false, false, 0, now, cancelled());
            auto& c = st->held->conn();
            return m().on_wait_ended(true, c.ready(), !st->impl->resolved, c.requests, now, cancelled());
        }
        case request_step::resolve: return m().on_resolved(lookup_result(ec), now, cancelled());
        case request_step::connect: return m().on_connected(connect_result(ec), now, cancelled());
        case request_step::handshake: {
#if PIECES_WITH_TLS
            auto& c = st->held->conn();
            c.stream.expires_never();
            return m().on_handshake(handshake_result(ec, c, *st->impl->tls, st->impl->url()), now, cancelled());
#else
            break;  // not reached: without TLS no URL is https://
#endif
        }
        case request_step::write: return m().on_written(exchange_result(ec, false), n, now, cancelled());
        case request_step::read: return on_reply(ec, now);
        case request_step::backoff: return m().on_backoff_ended(now, cancelled());
        case request_step::release:
        case request_step::done: break;
        }
        return m().on_released(now, cancelled());  // not reached: release and done are never awaited
    }

    step_result lookup_result(const error_code& wait_ec) {
        auto r = std::move(lookup);
        step_result out;
        if (!r->finished) {
            out.ec = wait_ec == asio::error::operation_aborted ? error_code(asio::error::operation_aborted)
                                                               : error_code(errc::request_timeout);
        } else if (r->ec == asio::error::operation_aborted) {
            out.ec = r->ec;
        } else if (r->ec) {
            out.ec = errc::connection_failed;
            out.detail = "cannot resolve " + st->impl->url().host + ": " + r->ec.message();
        } else {
            st->impl->resolved = std::move(r->results);
        }
        return out;
    }

    step_result connect_result(const error_code& ec) {
        step_result out;
        auto& c = st->held->conn();
        transport& impl = *st->impl;
        if (ec == beast::error::timeout) {
            out.ec = errc::request_timeout;
        } else if (ec == asio::error::operation_aborted) {
            out.ec = ec;
        } else if (ec) {
            out.ec = errc::connection_failed;
            out.detail = "connect to " + impl.url().host_header + ": " + ec.message();
            // The host may have moved (a restarted service, a new address): the next request looks it up again.
            // (The connect in flight of another request holds its own copy of the addresses.)
            impl.resolved.reset();
        } else {
            c.connected = true;
            c.stream.expires_never();  // from now on the request's deadline is the client's deadline queue
            error_code ignored;
            c.stream.socket().set_option(tcp::no_delay(true), ignored);
            c.stream.socket().non_blocking(true, ignored);  // for the peek before reuse (connection.cpp)
            ++impl.connections_opened;
            ++impl.connections_open;
        }
        return out;
    }

    request_action on_reply(error_code ec, clock::time_point now) {
        auto& c = st->held->conn();
        const auto& cfg = st->impl->config();
        reply_parser& p = *st->parser;
        const bool got_some = p.got_some();
        // Beast 1.90 and newer end a chunk-size line at 8 KiB as a bad extension, before our buffer's bound: the
        // same line without end on every version (Beast 1.81 has no such limit).
        if (ec == http::error::bad_chunk_extension && c.buffer.size() >= 8192) ec = http::error::buffer_overflow;
        if (ec) {
            std::string detail;
            if (ec == http::error::body_limit)
                detail = "reply body over max_body_size (" + std::to_string(cfg.max_body_size) + " bytes)";
            else if (ec == http::error::header_limit)
                detail = "reply header, chunk extensions or trailer over max_header_size";
            else if (ec == http::error::buffer_overflow)
                detail = "reply line without end over max_header_size";
            st->parser.reset();
            return m().on_read(exchange_result(ec, got_some, std::move(detail)), got_some, {}, now, cancelled());
        }
        reply_facts facts;
        facts.status = p.status();
        facts.keep_alive = p.keep_alive();
        // Bytes after the reply (a second, unrequested reply, or junk) would be read as the next request's
        // reply. Bytes arriving later are seen by the peek before reuse (see reuse_check.hpp for when).
        facts.bytes_after = c.buffer.size() != 0;
#if PIECES_WITH_TLS
        facts.bytes_after = facts.bytes_after || (c.tls && tls_input_pending(c));
#endif
        // A reply that ended with a read that filled its space may have bytes behind it still in the socket (it
        // ended where the read ended): one look now, since the next request may take the connection unpeeked.
        // Otherwise the socket was empty when the reply ended, and no system call is needed.
        if (!facts.bytes_after && facts.keep_alive && c.reads.last_read_filled()) facts.bytes_after = socket_has_input(c);
        if (facts.status < 100 || facts.status >= 200 || facts.status == 101) {
            st->response.status = facts.status;
            st->response.json_content = is_json_type(p.content_type());
            c.idle_limit = idle_limit_for(cfg.pool.idle_timeout, keep_alive_timeout(p.keep_alive_field()));
        }
        if (facts.status == 504 && !p.retry_after_field().empty()) {
            if (const auto wait = retry_after_delay(p.retry_after_field(), std::chrono::system_clock::now()))
                facts.retry_after = std::chrono::duration_cast<clock_type::duration>(*wait);
        }
        st->parser.reset();
        // A reply whose header or framing made the buffer grow leaves no more than the usual behind on a pooled
        // connection.
        if (c.buffer.capacity() > connection::read_buffer_capacity * 4 && c.buffer.size() == 0) {
            c.buffer = beast::flat_buffer();
            c.buffer.reserve(connection::read_buffer_capacity);
        }
        return m().on_read(step_result{}, got_some, facts, now, cancelled());
    }

    // Runs the machine's steps: the ones without I/O at once, until one starts I/O (this handler then moves
    // into it) or the request is done.
    void advance(request_action act) {
        transport& impl = *st->impl;
        const connection* went_idle = nullptr;  // by the last release
        for (;;) {
            const auto now = clock::now();
            switch (act.step) {
            case request_step::acquire: {
                if (act.is_retry) ++impl.retries;
                went_idle = nullptr;  // given back before this attempt: maybe discarded by now
                const auto answer =
                    take_from_pool(impl, st->held, act.want_fresh, st->req.method == http_method::get, now,
                                   std::exchange(st->handed_over, nullptr), st->held_for);  // the first attempt only
                if (st->held) {
                    auto& c = st->held->conn();
                    act = m().on_acquired(answer, c.ready(), !impl.resolved, c.requests, now, cancelled());
                } else {
                    act = m().on_acquired(answer, false, false, 0, now, cancelled());
                }
                continue;
            }
            case request_step::wait_for_grant: {
                st->waiter.emplace(impl, clock::time_point::max());  // a grant wakes it, or the deadline queue
                st->awaiting = request_step::wait_for_grant;
                auto& timer = st->waiter->timer;
                timer.async_wait(std::move(*this));
                return;
            }
            case request_step::resolve: {
                lookup = std::make_shared<pending_resolution>(impl.strand);
                lookup->finished_signal.expires_at(act.until);
                impl.resolve(impl.url().host, std::to_string(impl.url().port),
                             asio::bind_executor(impl.strand, [r = lookup](error_code ec, tcp::resolver::results_type res) {
                                 r->finished = true;
                                 r->ec = ec;
                                 r->results = std::move(res);
                                 r->finished_signal.cancel();
                             }));
                if (lookup->finished) {  // a lookup may answer at once
                    act = m().on_resolved(lookup_result({}), now, cancelled());
                    continue;
                }
                st->awaiting = request_step::resolve;
                auto& timer = lookup->finished_signal;
                timer.async_wait(std::move(*this));
                return;
            }
            case request_step::connect: {
                auto& c = st->held->conn();
                c.stream.expires_at(act.until);
                st->awaiting = request_step::connect;
                c.stream.async_connect(*impl.resolved, std::move(*this));
                return;
            }
            case request_step::handshake: {
#if PIECES_WITH_TLS
                auto& c = st->held->conn();
                if (auto refused = begin_tls(c, *impl.tls, impl.url()); refused.ec) {
                    act = m().on_handshake(refused, now, cancelled());
                    continue;
                }
                c.stream.expires_at(act.until);  // pool.connect_timeout; the deadline queue bounds it too
                st->awaiting = request_step::handshake;
                c.tls->async_handshake(asio::ssl::stream_base::client, std::move(*this));
                return;
#else
                step_result not_built;  // not reached: without TLS no URL is https://
                not_built.ec = errc::invalid_config;
                act = m().on_handshake(not_built, now, cancelled());
                continue;
#endif
            }
            case request_step::write: {
                auto& c = st->held->conn();
                if (c.requests > 0) ++impl.connections_reused;
                ++c.requests;
                format_request(c.wire, impl.url(), impl.common_fields, st->req, act.last_on_connection);
                st->awaiting = request_step::write;
                c.with_stream([&](auto& s) { asio::async_write(s, asio::buffer(c.wire), std::move(*this)); });
                return;
            }
            case request_step::read: {
                auto& c = st->held->conn();
                const auto& cfg = impl.config();
                st->parser.emplace(st->response.body, cfg.max_header_size);
                st->parser->header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(cfg.max_header_size, UINT32_MAX)));
                st->parser->body_limit(cfg.max_body_size);
                // What waits in the buffer is a header or a framing line being completed, and one read: more
                // is a line without end (a chunk size, an extension, a trailer), refused as buffer_overflow.
                c.buffer.max_size(cfg.max_header_size + connection::read_buffer_capacity);
                st->awaiting = request_step::read;
                c.with_stream([&](auto& s) { http::async_read(s, c.buffer, *st->parser, std::move(*this)); });
                return;
            }
            case request_step::backoff: {
                if (!st->backoff_timer) st->backoff_timer.emplace(impl.strand);
                st->backoff_timer->expires_at(act.until);
                st->awaiting = request_step::backoff;
                auto& timer = *st->backoff_timer;
                timer.async_wait(std::move(*this));
                return;
            }
            case request_step::release:
                went_idle = st->held->give_back(act.reusable, now);
                st->held.reset();
                act = m().on_released(now, cancelled());
                continue;
            case request_step::done:
                if (act.ec) st->response.error_detail = std::move(act.detail);
                st->response.attempts = m().attempts();
                complete(std::move(st), act.ec, went_idle);
                return;
            }
        }
    }

    // An exception inside a step ends the request with a code (the slot is given back by the lease).
    void fail(std::exception_ptr e) {
        error_code ec = make_error_code(boost::system::errc::io_error);
        try {
            std::rethrow_exception(e);
        } catch (const std::bad_alloc&) {
            ec = make_error_code(boost::system::errc::not_enough_memory);
        } catch (const boost::system::system_error& se) {
            ec = se.code();
        } catch (...) {
        }
        st->held.reset();
        st->waiter.reset();
        st->parser.reset();
        complete(std::move(st), ec);
    }
};

// The client's one deadline timer, armed at the earliest deadline queued (not re-armed for later ones): when it
// fires, every request past its deadline has the step in flight cancelled, which ends it in request_timeout.
void schedule_deadlines(transport& impl) {
    const auto next = impl.deadlines.earliest();
    if (!next) {
        if (impl.deadline_armed) {  // nothing left: leave no wait behind to keep the io_context busy
            impl.deadline_armed = false;
            impl.deadline_timer.cancel();
        }
        return;
    }
    if (impl.deadline_armed && impl.deadline_armed_at <= *next) return;
    impl.deadline_armed = true;
    impl.deadline_armed_at = *next;
    impl.deadline_timer.expires_at(*next);  // a wait armed later is cancelled (its handler just returns)
    impl.deadline_timer.async_wait(
        asio::bind_executor(impl.strand, [w = std::weak_ptr<transport>(impl.shared_from_this())](error_code ec) {
            auto self = w.lock();
            if (!self || ec == asio::error::operation_aborted) return;
            self->deadline_armed = false;
            self->deadlines.expire(clock_type::now(), [](deadline_entry& e) {
                auto& st = static_cast<request_state&>(e);
                st.timed_out = true;
                st.signal.emit(asio::cancellation_type::terminal);
            });
            schedule_deadlines(*self);
        }));
}

// While a completion runs on this thread: the connection its request gave back to the idle list, and when the
// completion began. A request it makes (a poller's next one) may take that connection again as it is (see
// reuse_check.hpp). The connection is only compared, never dereferenced.
struct running_completion {
    const connection* gave_back = nullptr;
    clock_type::time_point began{};
};
thread_local running_completion completion_on_this_thread;

// Hands the result to the caller's handler, on the handler's executor (holding work on it until then), always
// posted: never inside the initiating call, and never inside the client's strand. Decoding the reply and the
// caller's code run outside it, so one client's replies are decoded in parallel on a multi-threaded io_context, a
// handler that calls back into the client (cancel(), a new request) does not re-enter it mid-step, a slow one
// delays none of its I/O or its deadline timer, and one that blocks on another request of the same client does
// not stop that request. (The post is a thread-local queue push on a one-thread io_context.)
void complete(std::shared_ptr<request_state> st, error_code ec, const connection* went_idle) {
    st->done = true;
    st->unlink();
    if (st->queued) {
        st->impl->deadlines.remove(*st);
        schedule_deadlines(*st->impl);
    }
    st->result = ec;
    st->went_idle = went_idle;
    st->backoff_timer.reset();  // its executor (the strand's shared state) is released here, on the strand
    auto ex = asio::get_associated_executor(st->handler, st->impl->completions.default_executor());
    const completion_allocator<void> memory(st->completion_block);
    std::shared_ptr<transport> impl = st->impl;  // `st` moves into the completion
    // The completion holds the state (and so its own memory) until Asio has freed that memory; it then lets the
    // state go before the caller's code runs, so the next request the caller makes reuses its block.
    auto deliver = [st = std::move(st)]() mutable {
        response_handler h = std::move(st->handler);
        auto work = std::move(st->work);
        http_response res = std::move(st->response);
        const error_code ec = st->result;
        const connection* went_idle = st->went_idle;
        st.reset();
        asio::get_associated_cancellation_slot(h).clear();
        running_completion now_running;
        if (went_idle) now_running = {went_idle, clock_type::now()};
        struct restore {
            running_completion outer;
            ~restore() { completion_on_this_thread = outer; }  // also when the handler throws
        } scope{std::exchange(completion_on_this_thread, now_running)};
        std::move(h)(ec, std::move(res));
    };
    impl->completions.post(std::move(ex), asio::bind_allocator(memory, std::move(deliver)));
}

// Installed on the caller's cancellation slot: hops to the strand, where the request lives.
struct cancel_forwarder {
    std::weak_ptr<request_state> state;
    transport::strand_type strand;
    void operator()(asio::cancellation_type type) {
        if ((type & asio::cancellation_type::terminal) == asio::cancellation_type::none) return;
        asio::post(strand, [w = state] {
            if (auto s = w.lock(); s && !s->done) {
                s->cancelled = true;
                s->signal.emit(asio::cancellation_type::terminal);
            }
        });
    }
};

}  // namespace

void transport::async_send(http_request req, std::chrono::milliseconds timeout, const retry_policy& retry,
                             response_handler handler) {
    // From the thread's recycled blocks: a request's state is one block, reused by the next request.
    auto st = std::allocate_shared<request_state>(state_allocator<request_state>(), std::move(handler));
    st->impl = shared_from_this();
    st->req = std::move(req);
    // Taken now, not when the reply begins: a poller's completion gives its body back just before it makes this
    // request, so the kept one is reused even when many replies are read in one burst.
    st->response.body = take_body_buffer();
    const auto now = clock_type::now();
    st->deadline = deadline_after(now, timeout);
    st->timeout = timeout;
    st->retry = retry;
    if (const auto& running = completion_on_this_thread; running.gave_back) {  // made inside a completion: complete()
        st->handed_over = running.gave_back;
        st->held_for = now - running.began;
    }
    if (auto ex = asio::get_associated_executor(st->handler, completions.default_executor()); !(ex == completions.default_executor()))
        st->work = asio::prefer(std::move(ex), asio::execution::outstanding_work.tracked);
    if (closed) {  // refused; completed from the strand, never inside this call
        asio::post(strand, [st = std::move(st)]() mutable { complete(std::move(st), errc::client_closed); });
        return;
    }
    auto slot = asio::get_associated_cancellation_slot(st->handler);
    if (slot.is_connected()) slot.template emplace<cancel_forwarder>(cancel_forwarder{st, strand});
    asio::dispatch(strand, [st = std::move(st)]() mutable {
        if (st->impl->closed) return complete(std::move(st), asio::error::operation_aborted);  // closed meanwhile
        st->link();
        if (st->deadline != clock_type::time_point::max()) {  // (milliseconds::max(): no deadline)
            st->impl->deadlines.add(*st, st->timeout);
            schedule_deadlines(*st->impl);
        }
        request_op{std::move(st), nullptr}();
    });
}

void transport::cancel_all() {
    asio::post(strand, [self = shared_from_this()] {
        for (request_state* r = self->active_head; r != nullptr; r = r->next) {
            r->cancelled = true;
            r->signal.emit(asio::cancellation_type::terminal);
        }
        for (auto& c : self->pool.take_all_idle()) close_connection(*self, *c);
    });
}

}  // namespace pieces::detail
