// One request as one asynchronous operation: request_machine decides each step, this driver does its I/O on
// the client's strand and resumes the machine with how it ended. No coroutine and no co_spawn per request: the
// state (request_state.hpp) lives in one allocation, moved from one step's completion handler to the next; the
// caller's handler is completed on its own executor. Also here: transport::async_send and transport::cancel_all,
// which start requests and reach the pending ones.
#include "http/body_buffers.hpp"
#include "http/completion_memory.hpp"
#include "http/connection.hpp"
#include "http/io_errors.hpp"
#include "http/reply_fields.hpp"
#include "http/reply_parser.hpp"
#include "http/reply_reader.hpp"
#include "http/request_machine.hpp"
#include "http/request_state.hpp"
#include "http/request_text.hpp"
#include "http/retry_schedule.hpp"
#include "http/state_blocks.hpp"
#include "http/transport.hpp"
#if PIECES_WITH_TLS
#include "http/tls_context.hpp"
#endif

#include <pieces/error.hpp>

#include <boost/asio/bind_allocator.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>

#include <algorithm>
#include <cstdint>
#include <exception>
#include <new>
#include <stdexcept>
#include <string>
#include <utility>

namespace pieces::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using boost::system::error_code;
using asio::ip::tcp;

namespace {

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
// the request's own cancellation slot (fed from the caller's, see cancel_forwarder). Which step ended is the
// machine's phase: the driver only reports how.
struct request_op {
    std::shared_ptr<request_state> st;
    std::shared_ptr<pending_resolution> lookup;  // while resolving

    using executor_type = transport::strand_type;
    executor_type get_executor() const noexcept { return st->impl->strand; }
    using cancellation_slot_type = asio::cancellation_slot;
    cancellation_slot_type get_cancellation_slot() const noexcept { return st->signal.slot(); }

    /// Makes the machine and runs its first steps.
    void start() {
        run([&] { return begin(); });
    }

    void operator()(error_code ec, std::size_t n = 0) {
        run([&] { return on_step_done(ec, n); });
    }
    void operator()(error_code ec, const tcp::endpoint&) { (*this)(ec, 0); }

private:
    using clock = clock_type;

    request_machine& m() { return *st->machine; }
    step_context context(clock::time_point now) const { return {now, st->cancelled}; }
    bool is_get() const { return st->req.method == http_method::get; }

    template <class Step>
    void run(Step&& step) {
        try {
            advance(step());
        } catch (...) {
            // Once the state has moved on (into the next step, or to the caller's handler, which may run here
            // and throw), the exception is not the request's: it propagates, as Asio's rules say.
            if (!st) throw;
            fail(std::current_exception());
        }
    }

    // What the pool gave (a connection, or a slot with a new one in it), as the machine is told it.
    held_connection held_facts() const {
        const connection& c = st->held->conn();
        return {c.ready(), !st->impl->resolved.has_value(), c.requests};
    }

    request_action begin() {
        const auto now = clock::now();
        transport& impl = *st->impl;
        const auto& cfg = impl.config();
        request_machine::params p;
        p.is_get = is_get();
        p.tls = impl.url().tls;
        p.deadline = st->deadline;
        p.connect_timeout = to_clock_duration(cfg.pool.connect_timeout);
        p.max_requests_per_connection = cfg.pool.max_requests_per_connection;
        p.host = impl.url().host;
        p.authority = impl.url().host_header;
        p.retry = st->retry;
        if (p.retry.max_attempts > 1) p.jitter_seed = next_jitter_seed();
        st->machine.emplace(std::move(p));
        return m().resume(request_events::started{}, context(now));
    }

    // The machine's next step, from how the I/O it asked for ended.
    request_action on_step_done(error_code ec, std::size_t n) {
        const auto ctx = context(clock::now());
        if (st->timed_out && ec == asio::error::operation_aborted) ec = beast::error::timeout;
        switch (m().phase()) {
        case request_phase::waiting_for_grant: {
            request_events::grant_wait_ended ended;
            ended.granted = st->waiter->is_granted();
            if (ended.granted) st->waiter->claim(st->held, is_get(), ctx.now);
            st->waiter.reset();
            if (ended.granted) ended.conn = held_facts();
            return m().resume(std::move(ended), ctx);
        }
        case request_phase::resolving: return m().resume(request_events::resolved{lookup_result(ec)}, ctx);
        case request_phase::connecting: return m().resume(request_events::connected{connect_result(ec)}, ctx);
        case request_phase::handshaking: {
#if PIECES_WITH_TLS
            auto& c = st->held->conn();
            c.stream.expires_never();
            return m().resume(request_events::handshake_done{handshake_result(ec, c, *st->impl->tls, st->impl->url())},
                              ctx);
#else
            break;  // not reached: without TLS no URL is https://
#endif
        }
        case request_phase::writing: {
            auto& c = st->held->conn();
            return m().resume(request_events::written{exchange_result(ec, c, false, st->impl->url()), n}, ctx);
        }
        case request_phase::reading: return on_reply(ec, ctx);
        case request_phase::backing_off: return m().resume(request_events::backoff_ended{}, ctx);
        case request_phase::not_started:
        case request_phase::acquiring:
        case request_phase::releasing:
        case request_phase::done: break;  // no I/O in flight in these: advance() answers them at once
        }
        throw std::logic_error("request driver: a completion in a phase without I/O");
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

    // A reply was read, or reading failed: its raw facts go to the machine, which classifies them (interim,
    // 504, kept alive or not); the fields of the reply it takes as the answer are kept.
    request_action on_reply(error_code ec, step_context ctx) {
        auto& c = st->held->conn();
        const auto& cfg = st->impl->config();
        reply_parser& p = *st->parser;
        request_events::read_done got;
        got.got_some = p.got_some();
        ec = normalize_read_error(ec, c.buffer.size());
        if (ec) {
            st->parser.reset();
            got.result = exchange_result(ec, c, got.got_some, st->impl->url(), read_limit_detail(ec, cfg.max_body_size));
            return m().resume(std::move(got), ctx);
        }
        reply_facts& facts = got.reply;
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
        // Whether the wait counts is the machine's to say; it is parsed only for a status that may use it.
        if (const auto& retry_after = p.retry_after_field();
            !retry_after.empty() && request_machine::may_use_retry_after(facts.status)) {
            if (const auto wait = retry_after_delay(retry_after, std::chrono::system_clock::now()))
                facts.retry_after = std::chrono::duration_cast<clock_type::duration>(*wait);
        }
        request_action act = m().resume(std::move(got), ctx);
        if (act.final_reply) {
            st->response.json_content = is_json_type(p.content_type());
            c.idle_limit = idle_limit_for(cfg.pool.idle_timeout, keep_alive_timeout(p.keep_alive_field()));
        }
        st->parser.reset();
        // A reply whose header or framing made the buffer grow leaves no more than the usual behind on a pooled
        // connection.
        if (c.buffer.capacity() > connection::read_buffer_capacity * 4 && c.buffer.size() == 0) {
            c.buffer = beast::flat_buffer();
            c.buffer.reserve(connection::read_buffer_capacity);
        }
        return act;
    }

    // Performs the machine's actions: the ones without I/O at once (resuming the machine with their outcome),
    // until one starts I/O (this handler then moves into it) or the request is done.
    void advance(request_action act) {
        transport& impl = *st->impl;
        const connection* went_idle = nullptr;  // by the last release
        for (;;) {
            const auto ctx = context(clock::now());
            switch (act.kind) {
            case request_action_kind::acquire: {
                if (act.resend) ++impl.resends;
                if (act.retry) ++impl.retries;
                went_idle = nullptr;  // given back before this attempt: maybe discarded by now
                request_events::acquired got;
                got.answer = take_from_pool(impl, st->held, act.resend, is_get(), ctx.now,
                                            std::exchange(st->handed_over, nullptr), st->held_for);  // the first attempt only
                if (st->held) got.conn = held_facts();
                act = m().resume(std::move(got), ctx);
                continue;
            }
            case request_action_kind::wait_for_grant: {
                st->waiter.emplace(impl, clock::time_point::max());  // a grant wakes it, or the deadline queue
                auto& timer = st->waiter->timer;
                timer.async_wait(std::move(*this));
                return;
            }
            case request_action_kind::resolve: {
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
                    act = m().resume(request_events::resolved{lookup_result({})}, ctx);
                    continue;
                }
                auto& timer = lookup->finished_signal;
                timer.async_wait(std::move(*this));
                return;
            }
            case request_action_kind::connect: {
                auto& c = st->held->conn();
                c.stream.expires_at(act.until);
                c.stream.async_connect(*impl.resolved, std::move(*this));
                return;
            }
            case request_action_kind::handshake: {
#if PIECES_WITH_TLS
                auto& c = st->held->conn();
                if (auto refused = begin_tls(c, *impl.tls, impl.url()); refused.ec) {
                    act = m().resume(request_events::handshake_done{std::move(refused)}, ctx);
                    continue;
                }
                c.stream.expires_at(act.until);  // pool.connect_timeout; the deadline queue bounds it too
                c.tls->async_handshake(asio::ssl::stream_base::client, std::move(*this));
                return;
#else
                step_result not_built;  // not reached: without TLS no URL is https://
                not_built.ec = errc::invalid_config;
                act = m().resume(request_events::handshake_done{std::move(not_built)}, ctx);
                continue;
#endif
            }
            case request_action_kind::write: {
                auto& c = st->held->conn();
                if (c.requests > 0) ++impl.reuses;
                ++c.requests;
                format_request(c.wire, impl.url(), impl.common_fields, st->req, act.last_on_connection);
                c.with_stream([&](auto& s) { asio::async_write(s, asio::buffer(c.wire), std::move(*this)); });
                return;
            }
            case request_action_kind::read: {
                auto& c = st->held->conn();
                const auto& cfg = impl.config();
                st->parser.emplace(st->response.body, cfg.max_header_size);
                st->parser->header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(cfg.max_header_size, UINT32_MAX)));
                st->parser->body_limit(cfg.max_body_size);
                // What waits in the buffer is a header or a framing line being completed, and one read: more
                // is a line without end (a chunk size, an extension, a trailer), refused as buffer_overflow.
                // (After an interim reply read past the buffer, the final reply's bytes may be more: all kept.)
                c.buffer.max_size(std::max(cfg.max_header_size + connection::read_buffer_capacity,
                                           c.buffer.size() + connection::read_buffer_capacity));
                // Over TLS a read takes one buffer: no early room (it would only cost its zeroing).
                std::size_t* const size_hint = c.tls ? nullptr : &c.last_reply_size;
                c.with_stream([&](auto& s) { async_read_reply(s, c.buffer, *st->parser, size_hint, std::move(*this)); });
                return;
            }
            case request_action_kind::backoff: {
                if (!st->backoff_timer) st->backoff_timer.emplace(impl.strand);
                st->backoff_timer->expires_at(act.until);
                auto& timer = *st->backoff_timer;
                timer.async_wait(std::move(*this));
                return;
            }
            case request_action_kind::release:
                went_idle = st->held->give_back(act.reusable, ctx.now);
                st->held.reset();
                act = m().resume(request_events::released{}, ctx);
                continue;
            case request_action_kind::done:
                // Empty on every path the machine knows; after an unexpected event (a driver bug) a lease or a
                // place in the queue may remain, and it must go back here, on the strand.
                st->held.reset();
                st->waiter.reset();
                st->parser.reset();
                if (act.ec) st->response.error_detail = std::move(act.detail);
                st->response.status = m().status();
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
        if (st->machine) st->response.status = st->machine->status();  // a final reply read before the exception
        st->held.reset();
        st->waiter.reset();
        st->parser.reset();
        complete(std::move(st), ec);
    }
};

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
        st->impl->schedule_deadlines();
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
            st->impl->schedule_deadlines();
        }
        request_op{std::move(st), nullptr}.start();
    });
}

void transport::cancel_all() {
    asio::post(strand, [self = shared_from_this()] {
        // The next one is taken before each emit: were a cancellation ever to complete its request at once, that
        // request would unlink itself (auto_unlink) from under the iterator.
        for (auto it = self->active.begin(); it != self->active.end();) {
            auto& r = static_cast<request_state&>(*it++);
            r.cancelled = true;
            r.signal.emit(asio::cancellation_type::terminal);
        }
        for (auto& c : self->pool.take_all_idle()) close_connection(*self, *c);
    });
}

}  // namespace pieces::detail
