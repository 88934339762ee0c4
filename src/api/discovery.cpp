// Discovery: concurrent health probes on loopback: the port of Pieces OS's port file, then the port range,
// then the legacy ports.
#include "util/completion_executor.hpp"

#include <pieces/detail/access.hpp>
#include <pieces/discovery.hpp>
#include <pieces/error.hpp>
#include <pieces/error_with_diagnostics.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <charconv>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <tuple>

namespace pieces {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;
using boost::system::error_code;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

asio::awaitable<bool> probe(unsigned short port, std::chrono::milliseconds timeout) {
    beast::tcp_stream stream(co_await asio::this_coro::executor);
    stream.expires_after(timeout);
    auto [cec] = co_await stream.async_connect(tcp::endpoint(asio::ip::address_v4::loopback(), port), use_tuple);
    if (cec) co_return false;
    http::request<http::empty_body> req{http::verb::get, "/.well-known/health", 11};
    req.set(http::field::host, "127.0.0.1:" + std::to_string(port));
    req.set(http::field::accept, "text/plain");
    req.keep_alive(false);
    auto [wec, wn] = co_await http::async_write(stream, req, use_tuple);
    if (wec) co_return false;
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(4096);
    auto [rec, rn] = co_await http::async_read(stream, buffer, parser, use_tuple);
    (void)wn;
    (void)rn;
    error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    // "ok" in any case: Pieces OS's C# SDK documents the body as "OK" and a GUID.
    const auto& body = parser.get().body();
    const bool ok = body.size() >= 2 && (body[0] == 'o' || body[0] == 'O') && (body[1] == 'k' || body[1] == 'K');
    co_return !rec && parser.get().result_int() == 200 && ok;
}

// The port in a port file: a number in 1..65535, surrounding whitespace aside; nothing otherwise.
std::optional<unsigned short> read_port_file(const std::string& file) {
    std::ifstream in(std::filesystem::path{file}, std::ios::binary);
    std::string text(64, '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    if (!in.eof()) return std::nullopt;  // not opened, or 64 bytes and more: not a port file
    text.resize(static_cast<std::size_t>(in.gcount()));
    const auto first = text.find_first_not_of(" \t\r\n\v\f");
    if (first == std::string::npos) return std::nullopt;
    const auto last = text.find_last_not_of(" \t\r\n\v\f") + 1;
    unsigned port = 0;
    const auto [end, ec] = std::from_chars(text.data() + first, text.data() + last, port);
    if (ec != std::errc{} || end != text.data() + last || port == 0 || port > 65535) return std::nullopt;
    return static_cast<unsigned short>(port);
}

// Probes every port at once; the lowest that answered, if any. Runs on one strand. When the scan is
// cancelled, every probe is cancelled too and the scan ends at once with operation_aborted.
asio::awaitable<std::pair<error_code, std::optional<unsigned short>>> probe_all(std::vector<unsigned short> ports,
                                                                                std::chrono::milliseconds timeout) {
    const auto cancelled = [](const asio::cancellation_state& cs) { return cs.cancelled() != asio::cancellation_type::none; };
    if (cancelled(co_await asio::this_coro::cancellation_state))
        co_return std::pair{error_code(asio::error::operation_aborted), std::nullopt};
    if (ports.empty()) co_return std::pair{error_code{}, std::nullopt};
    struct scan {
        scan(asio::any_io_executor ex, std::size_t n) : ok(n, false), pending(n), signals(n), done(ex) {}
        std::vector<bool> ok;
        std::size_t pending;
        std::deque<asio::cancellation_signal> signals;  // one per probe (a signal cannot move)
        asio::steady_timer done;
    };
    auto ex = co_await asio::this_coro::executor;
    auto st = std::make_shared<scan>(ex, ports.size());
    st->done.expires_at(asio::steady_timer::time_point::max());
    for (std::size_t i = 0; i < ports.size(); ++i)
        asio::co_spawn(ex, probe(ports[i], timeout),
                       asio::bind_cancellation_slot(st->signals[i].slot(), [st, i](std::exception_ptr e, bool ok) {
                           st->ok[i] = !e && ok;
                           if (--st->pending == 0) st->done.cancel();
                       }));
    if (st->pending > 0) co_await st->done.async_wait(use_tuple);
    if (cancelled(co_await asio::this_coro::cancellation_state)) {
        for (auto& signal : st->signals) signal.emit(asio::cancellation_type::terminal);
        co_return std::pair{error_code(asio::error::operation_aborted), std::nullopt};
    }
    std::optional<unsigned short> best;
    for (std::size_t i = 0; i < ports.size(); ++i)
        if (st->ok[i] && (!best || ports[i] < *best)) best = ports[i];
    co_return std::pair{error_code{}, best};
}

asio::awaitable<std::pair<error_code, std::string>> discover(discovery_options opts, diagnostics* diag) {
    co_await asio::this_coro::throw_if_cancelled(false);  // cancellation is an outcome: operation_aborted
    if (opts.url) co_return std::pair{error_code{}, *opts.url};
    // Pieces OS writes the port it chose to a file: it goes first; a stale file falls through to the scan.
    std::string file;
    if (opts.use_port_file) file = opts.port_file.empty() ? default_port_file() : opts.port_file;
    const auto file_port = file.empty() ? std::nullopt : read_port_file(file);
    std::vector<unsigned short> range;
    for (unsigned p = opts.first_port; p <= opts.last_port && opts.first_port != 0; ++p)
        range.push_back(static_cast<unsigned short>(p));
    error_code ec;
    std::optional<unsigned short> found;
    if (file_port) std::tie(ec, found) = co_await probe_all(std::vector<unsigned short>(1, *file_port), opts.probe_timeout);
    if (!ec && !found) std::tie(ec, found) = co_await probe_all(range, opts.probe_timeout);
    if (!ec && !found) std::tie(ec, found) = co_await probe_all(opts.legacy_ports, opts.probe_timeout);
    if (ec) co_return std::pair{ec, std::string{}};
    if (found) co_return std::pair{error_code{}, "http://127.0.0.1:" + std::to_string(*found)};
    if (diag) {
        std::string tried = "no Pieces OS answered GET /.well-known/health on 127.0.0.1 ports ";
        if (file_port) tried += std::to_string(*file_port) + " (from " + file + "), ";
        tried += std::to_string(opts.first_port) + "-" + std::to_string(opts.last_port);
        for (auto p : opts.legacy_ports) tried += ", " + std::to_string(p);
        if (!file.empty() && !file_port) tried += " (no port in " + file + ")";
        detail::access::set_client_message(*diag, std::move(tried));
    }
    co_return std::pair{error_code(errc::connection_failed), std::string{}};
}

}  // namespace

namespace detail {

void async_discover(asio::any_io_executor ex, discovery_options opts, diagnostics* diag, handler_of<std::string> handler) {
    if (diag) {
        diag->clear();
        access::set_endpoint(*diag, "GET /.well-known/health");
    }
    // Completed as every operation of the library is: on the handler's executor (`ex` when it names none), never
    // inside this call, with work held on it meanwhile. The caller's cancellation reaches the scan through a signal
    // of our own, emitted on the scan's strand: the signal outlives any emission still queued (handing co_spawn
    // the caller's slot itself would let a late emission, queued on the strand, use a handler the caller has
    // already cleared).
    completion_poster poster(ex);
    auto strand = asio::make_strand(ex);
    auto work = poster.work_for(handler);
    auto signal = std::make_shared<asio::cancellation_signal>();
    auto slot = asio::get_associated_cancellation_slot(handler);
    if (slot.is_connected())
        slot.assign([w = std::weak_ptr<asio::cancellation_signal>(signal), strand](asio::cancellation_type type) {
            asio::post(strand, [w, type] {
                if (auto s = w.lock()) s->emit(type);
            });
        });
    asio::co_spawn(strand, discover(std::move(opts), diag),
                   asio::bind_cancellation_slot(
                       signal->slot(), [poster = std::move(poster), h = std::move(handler), work = std::move(work),
                                        signal](std::exception_ptr e, std::pair<error_code, std::string> r) mutable {
                           if (e) r.first = make_error_code(boost::system::errc::io_error);
                           auto ex = asio::get_associated_executor(h, poster.default_executor());
                           // Off the scan's strand, then on the handler's executor.
                           poster.post(std::move(ex), [h = std::move(h), work = std::move(work),
                                                       r = std::move(r)]() mutable {
                               asio::get_associated_cancellation_slot(h).clear();
                               std::move(h)(r.first, std::move(r.second));
                           });
                       }));
}

}  // namespace detail

std::string port_file_under(std::string_view home) {
    if (home.empty()) return {};
#ifdef __APPLE__
    const char* base = "Library";
#else
    const char* base = "Documents";
#endif
    return (std::filesystem::path(home) / base / "com.pieces.os" / "production" / "Config" / ".port.txt").string();
}

std::string default_port_file() {
#ifdef _WIN32
    const char* home = std::getenv("USERPROFILE");
#else
    const char* home = std::getenv("HOME");
#endif
    return home ? port_file_under(home) : std::string{};
}

asio::awaitable<std::string> discover_pieces_os(discovery_options opts) {
    diagnostics diag;
    auto [ec, url] = co_await async_discover_pieces_os(co_await asio::this_coro::executor, std::move(opts), &diag,
                                                       asio::as_tuple(asio::use_awaitable));
    if (ec) throw error_with_diagnostics(ec, std::move(diag));
    co_return url;
}

}  // namespace pieces
