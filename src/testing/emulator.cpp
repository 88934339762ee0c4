// The emulator's HTTP server: Beast on loopback, over TLS when given a certificate, one coroutine per
// connection, faults applied to the bytes; `GET /user/stream` upgraded to a WebSocket.
#include "testing/emulator_state.hpp"

#include <pieces/models/json.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#if PIECES_WITH_TLS
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>

#include <openssl/bio.h>
#include <openssl/ssl.h>
#endif
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <boost/beast/websocket/stream.hpp>
#if PIECES_WITH_TLS
#include <boost/beast/websocket/ssl.hpp>  // the closing handshake's teardown over asio::ssl::stream
#endif

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdio>
#include <deque>
#include <exception>
#include <limits>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace pieces::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using asio::ip::tcp;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

struct session {
    explicit session(tcp::socket s) : stream(std::move(s)), timer(stream.get_executor()) {}
    void close() {
        beast::error_code ignored;
        stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
        stream.close();
        timer.cancel();  // closing the socket does not end a wait
    }
    beast::tcp_stream stream;
#if PIECES_WITH_TLS
    std::optional<asio::ssl::stream<beast::tcp_stream&>> tls;
#endif
    asio::steady_timer timer;  // the waits of faults (latency, trickle), so that close() ends them
};

namespace {

// For coroutines spawned detached: an exception is a bug, and leaves the io_context's run() instead of vanishing.
constexpr auto rethrow = [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
};

// One open /user/stream as the registry sees it: its connection's strand, and what may be done there.
struct user_stream_link {
    explicit user_stream_link(asio::any_io_executor ex) : executor(std::move(ex)) {}
    user_stream_link(const user_stream_link&) = delete;
    user_stream_link& operator=(const user_stream_link&) = delete;
    virtual ~user_stream_link() = default;

    const asio::any_io_executor executor;  // set once: read from any thread
    // On `executor` only:
    virtual void send(std::shared_ptr<const std::string> text) = 0;  // a text frame, after those queued
    virtual void drop() = 0;   // the connection closed, no close frame
    virtual void close() = 0;  // a close frame (going away), after the frames queued
};

#if PIECES_WITH_TLS
using server_tls_context = asio::ssl::context;
#else
struct server_tls_context {};  // built without TLS: only plain HTTP is served
#endif

template <class Stream>
constexpr bool is_tls_stream = false;
#if PIECES_WITH_TLS
template <>
constexpr bool is_tls_stream<asio::ssl::stream<beast::tcp_stream&>> = true;
#endif

// The plaintext that TLS 1.3 sends as exactly `wire` bytes of records (0: no plaintext does). A record is its
// plaintext and 22 bytes (a 5-byte header, the content-type byte, a 16-byte AEAD tag: every suite OpenSSL
// negotiates by default), and holds at most 16384 plaintext bytes (OpenSSL's default max send fragment).
constexpr std::size_t tls13_plaintext_for(std::size_t wire) {
    constexpr std::size_t overhead = 22;
    constexpr std::size_t fragment = 16384;
    for (std::size_t records = 1; overhead * records < wire; ++records) {
        const std::size_t plain = wire - overhead * records;
        if ((plain + fragment - 1) / fragment == records) return plain;
    }
    return 0;
}
static_assert(tls13_plaintext_for(17408) == 17364);  // two records: 16406 + 1002 bytes
static_assert(tls13_plaintext_for(16420) == 0);      // one record is at most 16406, two at least 16429

// The HTTP message `wire_size` asks for: the same bytes over plain HTTP, less the records' overhead over TLS.
template <class Stream>
constexpr std::size_t message_size_for(std::size_t wire_size) {
    if constexpr (is_tls_stream<Stream>) return tls13_plaintext_for(wire_size);
    else return wire_size;
}

// `res` serialized, its Content-Length set from its body.
std::string serialized(http::response<http::string_body>& res) {
    res.prepare_payload();
    std::ostringstream os;
    os << res;
    return os.str();
}

// Pads the body of `res` with spaces (JSON allows them after the value) until `bytes`, its serialization, is
// exactly `size` bytes. False when it cannot be: the unpadded reply is longer, or Content-Length gaining a
// digit jumps over `size`.
bool pad_to(http::response<http::string_body>& res, std::string& bytes, std::size_t size) {
    const std::size_t unpadded = res.body().size();
    // Content-Length's digits change with the body: a second pass corrects for that, a third fails on it.
    for (int pass = 0; pass < 3 && bytes.size() != size; ++pass) {
        const std::size_t header = bytes.size() - res.body().size();
        if (size < header + unpadded) return false;
        res.body().resize(size - header, ' ');
        bytes = serialized(res);
    }
    return bytes.size() == size;
}

// A fault a test got wrong (the connection is closed instead of answered): said where the test's output shows it.
void say(const std::string& what) { std::fputs(("emulator: " + what + "\n").c_str(), stderr); }

std::optional<server_tls_context> make_server_tls(const emulator_options& opts) {
    if (opts.tls_certificate_file.empty()) return std::nullopt;
#if !PIECES_WITH_TLS
    throw std::invalid_argument("emulator: tls_certificate_file given, but built without TLS (PIECES_WITH_TLS=OFF)");
#else
    std::optional<asio::ssl::context> ctx(std::in_place, asio::ssl::context::tls_server);
    ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                     asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
    ctx->use_certificate_chain_file(opts.tls_certificate_file);
    ctx->use_private_key_file(opts.tls_private_key_file, asio::ssl::context::pem);
    if (!opts.tls_client_ca_file.empty()) {
        ctx->load_verify_file(opts.tls_client_ca_file);
        ctx->set_verify_mode(asio::ssl::verify_peer | asio::ssl::verify_fail_if_no_peer_cert);
    }
    // No TLS 1.3 session tickets: sent after the handshake, they would reach the client ahead of the first reply
    // and move where its reads end (fault::wire_size counts on that). No test resumes a session.
    SSL_CTX_set_num_tickets(ctx->native_handle(), 0);
    return ctx;
#endif
}

}  // namespace

struct emulator::impl : std::enable_shared_from_this<emulator::impl> {
    impl(asio::any_io_executor ex, const emulator_options& opts)
        : executor(ex), acceptor(asio::make_strand(ex)), tls(make_server_tls(opts)), state(opts.cloud_mode) {
        const tcp::endpoint ep(asio::ip::make_address(opts.address), opts.port);
        acceptor.open(ep.protocol());
        acceptor.set_option(tcp::acceptor::reuse_address(true));
        acceptor.bind(ep);
        acceptor.listen(asio::socket_base::max_listen_connections);
        port = acceptor.local_endpoint().port();
        // Set before anything is served and never again: the state calls it without a lock.
        state.on_user_changed = [this] { user_changed(); };
    }

    static asio::awaitable<void> accept_loop(std::shared_ptr<impl> self) {
        auto& acceptor = self->acceptor;
        for (;;) {
            auto [ec, socket] = co_await acceptor.async_accept(asio::make_strand(self->executor), use_tuple);
            if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
            if (ec) continue;  // e.g. too many open files: keep serving the others
            ++self->accepted;
            auto s = std::make_shared<session>(std::move(socket));
            {
                std::lock_guard lock(self->sessions_mutex);
                std::erase_if(self->sessions, [](const std::weak_ptr<session>& w) { return w.expired(); });
                self->sessions.push_back(s);
            }
            asio::co_spawn(s->stream.get_executor(), start(self, s), asio::detached);
        }
    }

    // The TLS handshake (or its fault) on a new connection, then the requests on it.
    static asio::awaitable<void> start(std::shared_ptr<impl> self, std::shared_ptr<session> s) {
        if (!self->tls) co_return co_await serve(self, s, s->stream);
#if PIECES_WITH_TLS
        if (const auto fault = self->handshake_fault_now.load(); fault != handshake_fault::none) {
            std::array<char, 512> hello{};
            auto [ec, n] = co_await s->stream.async_read_some(asio::buffer(hello), use_tuple);
            (void)n;
            if (!ec && fault == handshake_fault::stall)  // until the client gives up and closes
                while (!std::get<0>(co_await s->stream.async_read_some(asio::buffer(hello), use_tuple))) {
                }
            s->close();
            co_return;
        }
        s->tls.emplace(s->stream, *self->tls);
        s->stream.expires_after(std::chrono::seconds(10));
        auto [ec] = co_await s->tls->async_handshake(asio::ssl::stream_base::server, use_tuple);
        s->stream.expires_never();
        if (ec) {
            s->close();
            co_return;
        }
        ++self->handshakes;
        co_await serve(self, s, *s->tls);
#endif
    }

    // True when every byte was written.
    template <class Stream>
    static asio::awaitable<bool> write_bytes(Stream& stream, std::string_view bytes) {
        auto [ec, n] = co_await asio::async_write(stream, asio::buffer(bytes.data(), bytes.size()), use_tuple);
        (void)n;
        co_return !ec;
    }

    // Waits on the session's timer, which its close() cancels: stop() ends the wait as it ends the I/O.
    static asio::awaitable<void> session_wait(session& s, std::chrono::milliseconds d) {
        if (!s.stream.socket().is_open()) co_return;  // closed while the request was read: nothing to wait for
        s.timer.expires_after(d);
        co_await s.timer.async_wait(use_tuple);
    }

#if PIECES_WITH_TLS
    // `reply` and then `trailing` as TLS records, each its own, the whole ciphertext in one socket write (Asio's
    // engine hands the records to the socket a few at a time: the stray ones could arrive after the client has
    // read the reply). The records are made in a memory BIO put in place of the engine's, so the engine cannot
    // write on this SSL any more: the session ends after this.
    static asio::awaitable<void> write_records_at_once(asio::ssl::stream<beast::tcp_stream&>& stream,
                                                      std::string_view reply, std::string_view trailing,
                                                      std::size_t wire_size) {
        SSL* ssl = stream.native_handle();
        BIO* mem = BIO_new(BIO_s_mem());
        if (!mem) co_return;
        // Owned by the SSL from here. The engine's BIO it replaces is also the read BIO, which holds a reference
        // of its own: reading goes on as before.
        SSL_set0_wbio(ssl, mem);
        const auto encrypt = [ssl](std::string_view plain) {
            while (!plain.empty()) {  // Asio's SSL_MODE_ENABLE_PARTIAL_WRITE: a record or so per call
                const auto chunk =
                    std::min(plain.size(), static_cast<std::size_t>(std::numeric_limits<int>::max()));
                const int n = SSL_write(ssl, plain.data(), static_cast<int>(chunk));
                if (n <= 0) return false;
                plain.remove_prefix(static_cast<std::size_t>(n));
            }
            return true;
        };
        if (!encrypt(reply)) co_return;
        // The reply was padded for TLS 1.3 records with a 16-byte tag; another version or cipher makes records of
        // other sizes, and the reply would not end where the client's read ends: nothing is sent, the connection
        // is closed, and the test fails on it.
        if (const std::size_t made = BIO_ctrl_pending(mem); made != wire_size) {
            say("fault::wire_size " + std::to_string(wire_size) + ": the reply took " + std::to_string(made) +
                " bytes of TLS records (not TLS 1.3 with a 16-byte tag?); nothing sent");
            co_return;
        }
        if (!encrypt(trailing)) co_return;
        char* data = nullptr;
        const long size = BIO_get_mem_data(mem, &data);
        if (size <= 0 || !data) co_return;
        const std::string wire(data, static_cast<std::size_t>(size));
        co_await write_bytes(stream.next_layer(), wire);  // the TCP stream under the TLS one: one buffer, one send
    }
#endif

    template <class Stream>
    static asio::awaitable<void> serve(std::shared_ptr<impl> self, std::shared_ptr<session> s, Stream& stream) {
        beast::flat_buffer buffer;
        std::size_t served = 0;
        for (;;) {
            http::request_parser<http::string_body> parser;
            parser.body_limit(64 * 1024 * 1024);
            auto [ec, n] = co_await http::async_read(stream, buffer, parser, use_tuple);
            (void)n;
            if (ec) break;
            auto& req = parser.get();

            detail::request_view view;
            view.is_get = req.method() == http::verb::get;
            view.is_post = req.method() == http::verb::post;
            view.target = req.target();
            view.body = req.body();
            for (const auto& field : req) {
                std::string name(field.name_string());
                for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
                view.headers[name] = std::string(field.value());
            }
            const std::string_view path = view.target.substr(0, view.target.find('?'));
            detail::reply r = view.is_get && path == "/user/stream"
                                  ? self->state.user_stream_request(view, websocket::is_upgrade(req))
                                  : self->state.handle(view);
            const fault& f = r.applied;
            ++served;

            if (f.latency.count() > 0) co_await session_wait(*s, f.latency);
            if (f.raw_reply) {
                co_await write_bytes(stream, *f.raw_reply);
                break;
            }
            if (f.close == fault::close_mode::before_reply) break;
            if (r.status == 101) {  // the upgrade accepted: the connection is the stream's until it ends
                co_await serve_user_stream(self, s, stream, req);
                break;
            }

            http::response<http::string_body> res{static_cast<http::status>(r.status), req.version()};
            res.set(http::field::server, "pieces-os-emulator");
            res.set(http::field::content_type, r.content_type);
            const bool keep_alive = req.keep_alive() && !f.connection_close &&
                                    !(f.close_after_requests != 0 && served >= f.close_after_requests);
            res.keep_alive(keep_alive);
            for (const auto& [name, value] : f.headers) res.set(name, value);
            res.body() = std::move(r.body);
            if (f.chunked) res.chunked(true);
            else res.prepare_payload();

            std::ostringstream os;
            os << res;
            std::string bytes = os.str();
            if (f.chunked && !f.trailers.empty()) {  // the last chunk "0\r\n\r\n" gets its trailer fields
                bytes.resize(bytes.size() - 2);
                for (const auto& [name, value] : f.trailers) bytes += name + ": " + value + "\r\n";
                bytes += "\r\n";
            }
            // A reply that ends exactly where the client's read ends, the trailing bytes behind it in one write.
            const bool exact = f.wire_size != 0 && !f.chunked && f.trickle_interval.count() == 0 &&
                               f.close == fault::close_mode::none;
            if (exact) {
                const std::size_t unpadded = bytes.size();
                const std::size_t message_size = message_size_for<Stream>(f.wire_size);
                if (message_size == 0 || !pad_to(res, bytes, message_size)) {  // a test's mistake
                    say("fault::wire_size " + std::to_string(f.wire_size) + " cannot be met by a reply of " +
                        std::to_string(unpadded) + " bytes; nothing sent");
                    break;
                }
                beast::error_code ignored;  // large enough for one send of the reply and the trailing bytes
                s->stream.socket().set_option(asio::socket_base::send_buffer_size(1 << 20), ignored);
            }
            bytes += f.trailing_bytes;
            const std::size_t header_end = bytes.find("\r\n\r\n") + 4;

            if (f.close == fault::close_mode::after_headers) {
                co_await write_bytes(stream, std::string_view(bytes).substr(0, header_end));
                break;
            }
            if (f.close == fault::close_mode::mid_body) {
                co_await write_bytes(stream, std::string_view(bytes).substr(0, header_end + (bytes.size() - header_end) / 2));
                break;
            }
#if PIECES_WITH_TLS
            if constexpr (is_tls_stream<Stream>) {
                if (exact) {  // the engine cannot write on this SSL afterwards: the session ends
                    const std::size_t reply_size = bytes.size() - f.trailing_bytes.size();
                    co_await write_records_at_once(stream, std::string_view(bytes).substr(0, reply_size),
                                                   std::string_view(bytes).substr(reply_size), f.wire_size);
                    break;
                }
            }
#endif
            if (f.trickle_interval.count() > 0) {
                const std::size_t step = std::max<std::size_t>(1, f.trickle_bytes);
                bool ok = true;
                for (std::size_t pos = 0; pos < bytes.size() && ok; pos += step) {
                    ok = co_await write_bytes(stream, std::string_view(bytes).substr(pos, step));
                    if (ok && pos + step < bytes.size()) co_await session_wait(*s, f.trickle_interval);
                }
                if (!ok) break;
            } else if (!co_await write_bytes(stream, bytes)) {
                break;
            }
            if (!keep_alive || f.close_after_reply) break;
        }
        s->close();
    }

    // A /user/stream after its upgrade: the WebSocket over the connection's stream, and the frames waiting for it.
    // Everything here runs on the connection's strand.
    template <class Stream>
    struct user_stream_conn final : user_stream_link, std::enable_shared_from_this<user_stream_conn<Stream>> {
        user_stream_conn(std::shared_ptr<impl> o, std::shared_ptr<session> sess, Stream& next)
            : user_stream_link(sess->stream.get_executor()), owner(std::move(o)), s(std::move(sess)), ws(next) {}

        void send(std::shared_ptr<const std::string> text) override {
            if (!open || closing) return;
            pending.push_back(std::move(text));
            start_writing();
        }
        void drop() override {
            open = false;
            pending.clear();
            s->close();  // the pending read and write fail: the stream ends
        }
        void close() override {
            if (!open || closing) return;
            closing = true;
            start_writing();
        }
        void ended() {  // the read ended: nothing more is written
            open = false;
            pending.clear();
        }

        void start_writing() {
            if (writing) return;
            writing = true;
            asio::co_spawn(executor, write_all(this->shared_from_this()), rethrow);
        }
        // The frames in order, each written whole before the next (Beast allows one write at a time), then the
        // close frame when asked for.
        static asio::awaitable<void> write_all(std::shared_ptr<user_stream_conn> c) {
            while (c->open && !c->pending.empty()) {
                const auto text = std::move(c->pending.front());
                c->pending.pop_front();
                auto [ec, n] = co_await c->ws.async_write(asio::buffer(*text), use_tuple);
                (void)n;
                if (ec) {  // the connection is gone; the pending read ends too
                    c->ended();
                    break;
                }
                ++c->owner->user_stream_frames;
            }
            if (c->open && c->closing) {
                c->open = false;
                // The client's answer completes the pending read (error::closed), which ends the stream.
                co_await c->ws.async_close(websocket::close_code::going_away, use_tuple);
            }
            c->writing = false;
        }

        std::shared_ptr<impl> owner;    // its counters
        std::shared_ptr<session> s;     // owns the stream under `ws`: declared first, destroyed last
        websocket::stream<Stream&> ws;
        std::deque<std::shared_ptr<const std::string>> pending;
        bool open = true;      // false: nothing more is written (ended, dropped, broken, or the close frame sent)
        bool closing = false;  // close() asked: the close frame follows the frames queued
        bool writing = false;  // write_all runs
    };

    // Accepts the upgrade `req` (already read) on `stream`, sends the user's profile, then each change, until the
    // stream ends.
    template <class Stream>
    static asio::awaitable<void> serve_user_stream(std::shared_ptr<impl> self, std::shared_ptr<session> s,
                                                   Stream& stream, const http::request<http::string_body>& req) {
        auto conn = std::make_shared<user_stream_conn<Stream>>(self, s, stream);
        auto& ws = conn->ws;
        s->stream.expires_never();  // the WebSocket's own timeouts rule now; Beast wants the TCP stream's off
        ws.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
        ws.set_option(websocket::stream_base::decorator(
            [](websocket::response_type& res) { res.set(http::field::server, "pieces-os-emulator"); }));
        ws.read_message_max(1024 * 1024);
        ws.text(true);
        // `serve`'s buffer holds nothing after the request: the client sends no frame before our 101, so the
        // WebSocket starts with no bytes of its own to read.
        auto [ec] = co_await ws.async_accept(req, use_tuple);
        if (ec) co_return;
        self->user_stream_opened(conn);
        beast::flat_buffer in;
        for (;;) {  // a read always pending: Beast answers pings; a close frame, a drop or stop() ends it
            auto [read_ec, n] = co_await ws.async_read(in, use_tuple);
            (void)n;
            if (read_ec) break;
            in.consume(in.size());
        }
        conn->ended();
        --self->open_user_streams;
    }

    // ---- the registry of open streams ----
    // What reaches the streams is posted to their strands under this lock. A strand runs what is posted to it in
    // order, so each stream gets the frames in the order of the changes.
    template <class Act>
    void each_user_stream_locked(const Act& act) {
        std::erase_if(user_streams, [](const std::weak_ptr<user_stream_link>& w) { return w.expired(); });
        for (const auto& w : user_streams) {
            auto link = w.lock();
            if (!link) continue;
            const auto ex = link->executor;
            // `link` moved in: this thread never holds the last owner, so a stream is destroyed on its strand.
            asio::post(ex, [link = std::move(link), act] { act(*link); });
        }
    }

    template <class Act>
    void each_user_stream(const Act& act) {
        std::lock_guard lock(user_streams_mutex);
        each_user_stream_locked(act);
    }

    void send_to_user_streams(std::string text) {
        auto shared = std::make_shared<const std::string>(std::move(text));
        each_user_stream([shared](user_stream_link& l) { l.send(shared); });
    }

    // The state's hook, after a change of the user's cloud.
    void user_changed() {
        std::lock_guard lock(user_streams_mutex);
        if (user_streams.empty()) return;
        // Read under the lock the posts are made under: frames that follow each other carry states that do.
        auto text = std::make_shared<const std::string>(pieces::to_json(state.user_profile()));
        each_user_stream_locked([text](user_stream_link& l) { l.send(text); });
    }

    // On the stream's strand, its upgrade done.
    void user_stream_opened(const std::shared_ptr<user_stream_link>& link) {
        std::shared_ptr<const std::string> first;
        {
            // The profile read and the stream registered under one lock: every change comes either before the
            // read (and is in it) or after the registration (and is posted to the strand, to run after this).
            std::lock_guard lock(user_streams_mutex);
            first = std::make_shared<const std::string>(pieces::to_json(state.user_profile()));
            std::erase_if(user_streams, [](const std::weak_ptr<user_stream_link>& w) { return w.expired(); });
            user_streams.push_back(link);
        }
        ++open_user_streams;
        link->send(std::move(first));
    }

    void stop() {
        asio::post(acceptor.get_executor(), [self = shared_from_this()] {
            beast::error_code ignored;
            self->acceptor.close(ignored);
        });
        std::lock_guard lock(sessions_mutex);
        for (auto& w : sessions)
            if (auto s = w.lock())
                asio::post(s->stream.get_executor(), [s] { s->close(); });
        sessions.clear();
    }

    asio::any_io_executor executor;
    tcp::acceptor acceptor;
    std::optional<server_tls_context> tls;
    std::atomic<handshake_fault> handshake_fault_now{handshake_fault::none};
    std::atomic<std::size_t> handshakes{0};
    unsigned short port = 0;
    detail::emulator_state state;
    std::atomic<std::size_t> accepted{0};
    std::mutex sessions_mutex;
    std::vector<std::weak_ptr<session>> sessions;
    std::mutex user_streams_mutex;  // taken before the state's, never after
    std::vector<std::weak_ptr<user_stream_link>> user_streams;
    std::atomic<std::size_t> open_user_streams{0};
    std::atomic<std::size_t> user_stream_frames{0};
};

emulator::emulator(asio::any_io_executor ex, emulator_options opts)
    : impl_(std::make_shared<impl>(std::move(ex), opts)) {
    asio::co_spawn(impl_->acceptor.get_executor(), impl::accept_loop(impl_), asio::detached);
}

emulator::~emulator() { impl_->stop(); }

unsigned short emulator::port() const noexcept { return impl_->port; }
std::string emulator::url() const {
    return (impl_->tls ? "https://127.0.0.1:" : "http://127.0.0.1:") + std::to_string(impl_->port);
}
void emulator::stop() { impl_->stop(); }

void emulator::seed(const Allocations& all) { impl_->state.seed(all); }
void emulator::put(AllocationCloud cloud) { impl_->state.put(std::move(cloud)); }
std::optional<AllocationCloud> emulator::find(std::string_view id) const { return impl_->state.find(id); }
Allocations emulator::snapshot() const { return impl_->state.snapshot(); }
bool emulator::set_cloud_status(std::string_view id, AllocationStatusEnum s) { return impl_->state.set_cloud_status(id, s); }

void emulator::set_user_profile(UserProfile user) { impl_->state.set_user_profile(std::move(user)); }
UserProfile emulator::user_profile() const { return impl_->state.user_profile(); }
void emulator::log_out() { impl_->send_to_user_streams("User logged out."); }
void emulator::send_user_stream_text(std::string text) { impl_->send_to_user_streams(std::move(text)); }
void emulator::drop_user_streams() {
    impl_->each_user_stream([](user_stream_link& l) { l.drop(); });
}
void emulator::close_user_streams() {
    impl_->each_user_stream([](user_stream_link& l) { l.close(); });
}
std::size_t emulator::user_streams_open() const { return impl_->open_user_streams; }
std::size_t emulator::user_stream_frames() const { return impl_->user_stream_frames; }

void emulator::set_fault(endpoint e, fault f) { impl_->state.set_fault(e, std::move(f)); }
void emulator::set_fault_all(const fault& f) {
    for (std::size_t i = 0; i < static_cast<std::size_t>(endpoint::health); ++i)
        impl_->state.set_fault(static_cast<endpoint>(i), f);
}
void emulator::set_random_faults(double probability, std::vector<fault> choices, std::uint64_t seed) {
    impl_->state.set_random_faults(probability, std::move(choices), seed);
}
void emulator::clear_faults() { impl_->state.clear_faults(); }
void emulator::set_handshake_fault(handshake_fault f) { impl_->handshake_fault_now = f; }

std::size_t emulator::requests(endpoint e) const { return impl_->state.requests(e); }
std::size_t emulator::connections_accepted() const { return impl_->accepted; }
std::size_t emulator::handshakes_completed() const { return impl_->handshakes; }
std::string emulator::last_allocation_id() const { return impl_->state.last_allocation_id(); }
std::string emulator::last_request_header(std::string_view name) const { return impl_->state.last_request_header(name); }

}  // namespace pieces::testing
