// The /user/stream WebSocket (Beast) over the client's settings: one connection of its own, opened on the first
// next() after none is open, kept open across next() calls. Everything runs on one strand; each connection is a
// `ws_connection` that its pending handlers keep alive, and a generation number tells a stale handler (from a
// connection already given up) from the current one.
#include "http/connection.hpp"
#include "http/io_errors.hpp"
#include "http/tls_context.hpp"
#include "http/transport.hpp"
#include "util/completion_executor.hpp"
#include "util/strand.hpp"

#include <pieces/error.hpp>
#include <pieces/error_with_diagnostics.hpp>
#include <pieces/models/json.hpp>
#include <pieces/user_stream.hpp>

#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/websocket/error.hpp>
#include <boost/beast/websocket/stream.hpp>
#if PIECES_WITH_TLS
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/websocket/ssl.hpp>
#endif

#include <atomic>
#include <optional>
#include <stdexcept>
#include <string>
#include <variant>

namespace pieces::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using boost::system::error_code;
using asio::ip::tcp;
using next_handler = asio::any_completion_handler<void(error_code, UserProfile)>;

namespace {

using plain_socket = websocket::stream<beast::tcp_stream>;
#if PIECES_WITH_TLS
using tls_socket = websocket::stream<asio::ssl::stream<beast::tcp_stream>>;
using any_socket = std::variant<plain_socket, tls_socket>;
#else
using any_socket = std::variant<plain_socket>;
#endif

// One connection of the stream, kept alive by the handlers pending on it.
struct ws_connection {
    ws_connection(const strand_type& strand, tls_context* tls) : resolver(strand) {
#if PIECES_WITH_TLS
        if (tls) {
            socket.emplace(std::in_place_index<1>, strand, tls->ssl);
            return;
        }
#else
        (void)tls;
#endif
        socket.emplace(std::in_place_index<0>, strand);
    }
    template <class F>
    decltype(auto) visit(F&& f) {
        return std::visit(std::forward<F>(f), *socket);
    }
    beast::tcp_stream& tcp() {
        return visit([](auto& ws) -> beast::tcp_stream& { return beast::get_lowest_layer(ws); });
    }
    // Ends whatever is pending on it (each handler then sees operation_aborted).
    void abort() noexcept {
        resolver.cancel();
        error_code ignored;
        tcp().socket().close(ignored);
    }

    tcp::resolver resolver;
    std::optional<any_socket> socket;  // optional: a variant of non-movable streams is built in place
    beast::flat_buffer buffer;
    websocket::response_type upgrade;  // the server's answer to the upgrade (its status when refused)
};

// A frame that is not a JSON object: Pieces OS's sign that no user is logged in (the official SDKs read any frame
// that is not JSON so). A frame that begins as an object but is not a UserProfile is malformed instead.
bool is_object_text(std::string_view text) {
    const auto start = text.find_first_not_of(" \t\r\n");
    return start != std::string_view::npos && text[start] == '{';
}

}  // namespace

class user_stream_impl : public std::enable_shared_from_this<user_stream_impl> {
public:
    user_stream_impl(std::shared_ptr<transport> t, const user_stream_options& opts)
        : transport_(std::move(t)),
          options_(opts),
          completions_(transport_->get_executor()),
          strand_(make_strand_for(transport_->get_executor())),
          deadline_(strand_) {}

    void next(diagnostics* diag, next_handler h) {
        auto work = completions_.work_for(h);
        const auto call = ++calls_;
        auto slot = asio::get_associated_cancellation_slot(h);
        if (slot.is_connected())
            slot.template emplace<cancel_next>(cancel_next{weak_from_this(), strand_, call});
        asio::dispatch(strand_, [self = shared_from_this(), diag, h = std::move(h), work = std::move(work),
                                 call]() mutable {
            if (self->pending_) {
                self->complete_later(std::move(h), std::move(work), asio::error::already_started);
                return;
            }
            self->pending_.emplace(std::move(h));
            self->work_ = std::move(work);
            self->diag_ = diag;
            self->pending_call_ = call;
            if (diag) *diag = diagnostics{};
            if (self->conn_ && self->open_) return self->read();
            if (!self->conn_) self->connect();
        });
    }

    // The public object's end (or close()): a pending next() aborted, the connection closed with a close frame.
    void close() {
        asio::dispatch(strand_, [self = shared_from_this()] {
            self->drop_connection(true);
            if (self->pending_) self->finish(asio::error::operation_aborted);
        });
    }

private:
    // Installed on a next()'s cancellation slot: hops to the strand.
    struct cancel_next {
        std::weak_ptr<user_stream_impl> impl;
        strand_type strand;
        std::uint64_t call;
        void operator()(asio::cancellation_type type) {
            if (type == asio::cancellation_type::none) return;
            asio::post(strand, [w = impl, call = call] {
                auto self = w.lock();
                if (!self || !self->pending_ || self->pending_call_ != call) return;
                self->drop_connection(false);
                self->finish(asio::error::operation_aborted);
            });
        }
    };

    // ---- connecting: name lookup, TCP, TLS under connect_timeout; all of it and the upgrade under
    // request_timeout ----

    void connect() {
        if (transport_->closed) return finish(errc::client_closed, "the client was closed: the stream connects no more");
        conn_ = std::make_shared<ws_connection>(strand_, transport_->tls.get());
        open_ = false;
        const auto gen = ++generation_;
        const auto& cfg = transport_->config();
        started_ = std::chrono::steady_clock::now();
        arm_deadline(std::min(cfg.pool.connect_timeout, cfg.request_timeout),
                     cfg.pool.connect_timeout < cfg.request_timeout ? "pool.connect_timeout" : "request_timeout", gen);
        const auto& url = transport_->url();
        conn_->resolver.async_resolve(
            url.host, std::to_string(url.port),
            asio::bind_executor(strand_, [self = shared_from_this(), c = conn_, gen](error_code ec,
                                                                                     tcp::resolver::results_type r) {
                if (!self->current(gen)) return;
                if (ec) return self->fail_connect(ec, errc::connection_failed,
                                                  "cannot resolve " + self->transport_->url().host + ": " + ec.message());
                c->tcp().async_connect(
                    r, asio::bind_executor(self->strand_, [self, c, gen](error_code ec, const tcp::endpoint&) {
                        if (!self->current(gen)) return;
                        if (ec) return self->fail_connect(ec, errc::connection_failed,
                                                          "connect to " + self->transport_->url().host_header + ": " +
                                                              ec.message());
                        self->secure(gen);
                    }));
            }));
    }

    // The deadline of the opening: past it everything pending on the connection is aborted, and the abort is
    // reported as request_timeout.
    void arm_deadline(std::chrono::milliseconds from_start, const char* limit, std::uint64_t gen) {
        deadline_limit_ = limit;
        deadline_.expires_at(started_ + from_start);
        deadline_.async_wait([self = shared_from_this(), gen](error_code ec) {
            if (ec || !self->current(gen) || self->open_) return;
            // Ended here, not by the aborted step's handler: a step that succeeded just before is stale now too.
            self->fail_with(errc::request_timeout, self->timeout_detail());
        });
    }

    void secure(std::uint64_t gen) {
#if PIECES_WITH_TLS
        if (auto* ws = std::get_if<tls_socket>(&*conn_->socket)) {
            auto& ctx = *transport_->tls;
            const auto peer = set_tls_peer(ws->next_layer().native_handle(), ctx, transport_->url());
            if (peer.ec) return fail_with(peer.ec, peer.detail);
            ws->next_layer().async_handshake(
                asio::ssl::stream_base::client,
                asio::bind_executor(strand_, [self = shared_from_this(), c = conn_, gen](error_code ec) {
                    if (!self->current(gen)) return;
                    if (ec) {
                        auto* ws = std::get_if<tls_socket>(&*c->socket);
                        const auto r = tls_handshake_outcome(ec, ws->next_layer().native_handle(),
                                                             *self->transport_->tls, self->transport_->url());
                        return self->fail_with(r.ec, r.detail);
                    }
                    self->upgrade(gen);
                }));
            return;
        }
#endif
        upgrade(gen);
    }

    void upgrade(std::uint64_t gen) {
        const auto& cfg = transport_->config();
        arm_deadline(cfg.request_timeout, "request_timeout", gen);  // connected: the rest of the request's deadline
        conn_->visit([&](auto& ws) {
            // Our own deadline bounds the opening; Beast's timeouts take over once the stream is open.
            websocket::stream_base::timeout none{};
            none.handshake_timeout = websocket::stream_base::none();
            none.idle_timeout = websocket::stream_base::none();
            none.keep_alive_pings = false;
            ws.set_option(none);
            ws.read_message_max(cfg.max_body_size);
            ws.set_option(websocket::stream_base::decorator(
                [agent = cfg.user_agent, app = cfg.application_id, token = cfg.access_token](websocket::request_type& req) {
                    req.set(beast::http::field::user_agent, agent);
                    if (app) req.set("X-Application-ID", *app);
                    if (token) req.set(beast::http::field::authorization, "Bearer " + *token);
                }));
            const auto& url = transport_->url();
            ws.async_handshake(conn_->upgrade, url.host_header, url.path_prefix + "/user/stream",
                               asio::bind_executor(strand_, [self = shared_from_this(), c = conn_, gen](error_code ec) {
                                   if (!self->current(gen)) return;
                                   if (ec) return self->upgrade_failed(ec);
                                   self->opened();
                               }));
        });
    }

    void upgrade_failed(const error_code& ec) {
        if (ec == websocket::error::upgrade_declined) {  // any status but 101 (the response is read whole)
            const auto status = conn_->upgrade.result_int();
            if (diag_) {
                access::set_http_status(*diag_, static_cast<int>(status));
                access::set_server_message(*diag_, conn_->upgrade.body());
            }
            return fail_with(errc::upgrade_refused,
                             transport_->url().host_header + " answered the upgrade of /user/stream with " +
                                 std::to_string(status) + (status == 404 || status == 426
                                                               ? " (a Pieces OS without the stream)"
                                                               : ""));
        }
        const auto r = io_result(ec);
        fail_with(r.ec, "upgrade of /user/stream: " + (r.detail.empty() ? ec.message() : r.detail));
    }

    void opened() {
        open_ = true;
        deadline_.cancel();
        conn_->visit([&](auto& ws) {
            websocket::stream_base::timeout t{};
            t.handshake_timeout = options_.close_timeout;  // Beast bounds the closing handshake by it
            t.idle_timeout = options_.keepalive;
            t.keep_alive_pings = true;
            ws.set_option(t);
        });
        if (pending_) read();
    }

    // ---- reading: one frame per next() ----

    void read() {
        const auto gen = generation_;
        conn_->visit([&](auto& ws) {
            ws.async_read(conn_->buffer, asio::bind_executor(strand_, [self = shared_from_this(), c = conn_, gen](
                                                                          error_code ec, std::size_t) {
                              if (!self->current(gen)) return;
                              self->frame_read(ec);
                          }));
        });
    }

    void frame_read(const error_code& ec) {
        if (ec) return read_failed(ec);
        auto text = beast::buffers_to_string(conn_->buffer.data());
        conn_->buffer.consume(conn_->buffer.size());
        if (!pending_) return;  // aborted meanwhile: the frame is dropped with the connection below
        if (!is_object_text(text)) {
            if (diag_) access::set_server_message(*diag_, text);
            return finish(errc::logged_out, "/user/stream sent a frame that is not a JSON object: no user is logged in");
        }
        diagnostics d;
        auto profile = try_from_json<UserProfile>(text, &d);
        if (!profile) return finish(errc::invalid_response, "/user/stream frame: " + d.client_message());
        finish({}, {}, std::move(*profile));
    }

    void read_failed(const error_code& ec) {
        std::string detail;
        error_code code;
        if (ec == websocket::error::closed) {
            code = errc::stream_ended;
            visit_reason(detail);
        } else if (ec == websocket::error::message_too_big || ec == websocket::error::buffer_overflow) {
            code = errc::response_too_large;
            detail = "a /user/stream message is over max_body_size (" +
                     std::to_string(transport_->config().max_body_size) + " bytes)";
        } else if (ec == beast::error::timeout) {
            code = errc::request_timeout;
            detail = "/user/stream was silent (not even a pong) for user_stream_options::keepalive";
        } else if (is_closed_error(ec) || ec == beast::http::error::end_of_stream ||
                   ec == asio::error::operation_aborted) {
            // operation_aborted here is Beast's, never ours (ours are stale by their generation): an operation of
            // its own (a keepalive ping) met the failure first, and the read is told to stop.
            code = errc::stream_ended;
            detail = transport_->url().host_header + " closed /user/stream without a close frame";
        } else {
            const auto r = io_result(ec);
            code = r.ec;
            detail = "/user/stream: " + (r.detail.empty() ? ec.message() : r.detail);
        }
        drop_connection(false);
        if (pending_) finish(code, std::move(detail));
    }

    void visit_reason(std::string& detail) {
        conn_->visit([&](auto& ws) {
            const auto& reason = ws.reason();
            detail = "the server closed /user/stream (close code " + std::to_string(reason.code) +
                     (reason.reason.empty() ? std::string(")")
                                            : ": " + std::string(reason.reason.data(), reason.reason.size()) + ")");
        });
    }

    // ---- ending ----

    std::string timeout_detail() const { return std::string("opening /user/stream took longer than ") + deadline_limit_; }

    void fail_connect(const error_code& ec, errc code, std::string detail) {
        if (ec == asio::error::operation_aborted) return fail_with(ec, {});
        if (ec == beast::error::timeout) return fail_with(errc::request_timeout, timeout_detail());
        fail_with(code, std::move(detail));
    }

    // The opening failed: the connection is given up.
    void fail_with(error_code code, std::string detail) {
        deadline_.cancel();
        drop_connection(false);
        if (pending_) finish(code, std::move(detail));
    }

    // Lets the current connection go: with a close frame (bounded by close_timeout) when it is open and
    // `graceful`, else at once.
    void drop_connection(bool graceful) {
        if (!conn_) return;
        ++generation_;  // every handler still pending on it is stale from now on
        auto c = std::move(conn_);
        const bool was_open = open_;
        open_ = false;
        deadline_.cancel();
        if (!graceful || !was_open) return c->abort();
        c->visit([&](auto& ws) {
            ws.async_close(websocket::close_code::normal, [c](error_code) {});  // keeps `c` until it ends
        });
    }

    void finish(error_code ec, std::string detail = {}, UserProfile profile = {}) {
        if (diag_ && !detail.empty()) access::set_client_message(*diag_, std::move(detail));
        next_handler h = std::move(*pending_);
        pending_.reset();
        diag_ = nullptr;
        asio::get_associated_cancellation_slot(h).clear();
        auto work = std::move(work_);
        auto ex = work;
        // Posted, never run here: the handler may call next() again, which must not run inside this step (on the
        // strand, with the old connection not yet let go) nor inside its own initiating call.
        completions_.post(std::move(ex), [h = std::move(h), work = std::move(work), ec,
                                          p = std::move(profile)]() mutable { std::move(h)(ec, std::move(p)); });
    }

    // Never inside the initiating call.
    void complete_later(next_handler h, asio::any_completion_executor work, error_code ec) const {
        auto ex = work;
        completions_.post(std::move(ex), [h = std::move(h), work = std::move(work), ec]() mutable {
            std::move(h)(ec, UserProfile{});
        });
    }

    bool current(std::uint64_t gen) const noexcept { return conn_ && gen == generation_; }

    const std::shared_ptr<transport> transport_;  // its settings; `closed` once the client is gone
    const user_stream_options options_;
    completion_poster completions_;
    strand_type strand_;
    std::atomic<std::uint64_t> calls_{0};  // next() calls begun (from the initiating threads)
    // ---- on the strand only ----
    asio::steady_timer deadline_;
    std::shared_ptr<ws_connection> conn_;
    std::uint64_t generation_ = 0;
    std::chrono::steady_clock::time_point started_{};
    bool open_ = false;
    const char* deadline_limit_ = "request_timeout";  // the setting the deadline armed now comes from
    std::optional<next_handler> pending_;
    asio::any_completion_executor work_;
    diagnostics* diag_ = nullptr;
    std::uint64_t pending_call_ = 0;
};

void async_user_stream_next(std::shared_ptr<user_stream_impl> s, diagnostics* diag, next_handler h) {
    s->next(diag, std::move(h));
}

}  // namespace pieces::detail

namespace pieces {

user_stream::user_stream(const client& c, user_stream_options opts) {
    const char* problem = opts.keepalive.count() <= 0       ? "user_stream_options::keepalive must be > 0"
                          : opts.close_timeout.count() <= 0 ? "user_stream_options::close_timeout must be > 0"
                                                            : nullptr;
    if (problem) {
        diagnostics d;
        detail::access::set_client_message(d, problem);
        throw error_with_diagnostics(errc::invalid_config, std::move(d));
    }
    impl_ = std::make_shared<detail::user_stream_impl>(detail::access::impl(c), opts);
}

user_stream& user_stream::operator=(user_stream&& other) noexcept {
    if (this != &other) {
        close();
        impl_ = std::move(other.impl_);
    }
    return *this;
}

user_stream::~user_stream() { close(); }

void user_stream::close() noexcept {
    if (impl_) impl_->close();
}

const std::shared_ptr<detail::user_stream_impl>& user_stream::impl_checked() const {
    if (!impl_) throw std::logic_error("next() on an empty user_stream (default-constructed or moved from)");
    return impl_;
}

}  // namespace pieces
