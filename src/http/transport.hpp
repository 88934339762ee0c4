// Private: the shared state behind a client, its API objects, and its pending requests.
#pragma once

#include "http/deadline_queue.hpp"
#include "http/http_types.hpp"
#include "http/pool_state.hpp"
#include "http/reuse_check.hpp"
#include "util/completion_executor.hpp"
#include "util/strand.hpp"

#include <pieces/client_config.hpp>
#include <pieces/pool_stats.hpp>

#include <boost/asio/any_completion_executor.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/intrusive/list.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace pieces::detail {

struct connection;  // a Beast stream and its read buffer; defined in http/connection.hpp
struct connection_deleter {
    void operator()(connection* c) const noexcept;
};
using connection_ptr = std::unique_ptr<connection, connection_deleter>;

struct request_state;  // one request in flight; defined in http/request_state.hpp
struct tls_context;    // the SSL context of an https client; defined in http/tls_context.hpp

/// What the transport's list of pending requests links (a request_state is one). auto_unlink: a request leaves
/// the list when it unlinks itself, or at the latest when it goes.
struct active_request
    : boost::intrusive::list_base_hook<boost::intrusive::link_mode<boost::intrusive::auto_unlink>> {};

class transport : public std::enable_shared_from_this<transport> {
public:
    using strand_type = detail::strand_type;  // see util/strand.hpp

    /// `tls`: made from `cfg.tls` when `url` is https, else null.
    transport(boost::asio::any_io_executor ex, client_config cfg, base_url url, std::unique_ptr<tls_context> tls);
    ~transport();

    /// Sends one request, attempting it again as `retry` says (checked already); the handler gets the reply
    /// whatever its status, or a transport error.
    void async_send(http_request req, std::chrono::milliseconds timeout, const retry_policy& retry,
                    response_handler handler);

    /// Ends every pending request with operation_aborted and closes idle connections.
    void cancel_all();
    /// As cancel_all, and refuses new requests with errc::client_closed.
    void shutdown();

    /// Arms the deadline timer at the earliest deadline queued, or lets it go when none is left (strand only;
    /// in http/deadline_timer.cpp).
    void schedule_deadlines();

    /// While held (by a watcher with subscribers, which keeps the io_context busy anyway), each idle connection has a
    /// wait on its socket, so that one the server closes is closed at once instead of sitting in CLOSE_WAIT until
    /// the next request (see http/connection.hpp). Without a hold there is none: a pending wait counts as work,
    /// and would keep io_context::run() from returning after the caller's last request. From any thread.
    void hold_idle_watch(bool hold);

    pool_stats stats() const noexcept;

    using resolve_handler =
        boost::asio::any_completion_handler<void(boost::system::error_code, boost::asio::ip::tcp::resolver::results_type)>;
    /// Looks up `host`:`service` with Asio's resolver, or with `resolve_override` when one is set.
    void resolve(const std::string& host, const std::string& service, resolve_handler handler);
    /// Tests only: stands in for the system's name lookup (a lookup that never ends, or one that throws).
    std::function<void(const std::string& host, const std::string& service, resolve_handler)> resolve_override;

    const client_config& config() const noexcept { return config_; }
    const base_url& url() const noexcept { return url_; }
    boost::asio::any_io_executor get_executor() const noexcept { return executor_; }
    /// Where completions go (the handler's executor, never inside the initiating call).
    const completion_poster completions;

    // ---- used by the transport, on the strand only ----
    strand_type strand;
    pool_state<connection_ptr> pool;
    boost::intrusive::list<active_request, boost::intrusive::constant_time_size<false>> active;  // pending requests
    std::optional<boost::asio::ip::tcp::resolver::results_type> resolved;
    boost::asio::ip::tcp::resolver resolver;
    deadline_queue deadlines;                     // of the requests in flight
    boost::asio::steady_timer deadline_timer;     // one for all of them: armed at the earliest
    std::chrono::steady_clock::time_point deadline_armed_at{};
    bool deadline_armed = false;
    const std::string common_fields;  // the request header fields every request of this client sends
    const std::unique_ptr<tls_context> tls;  // https only
    // A connection given back this recently has not sat idle (see http/reuse_check.hpp).
    std::chrono::steady_clock::duration handover_limit = detail::handover_window;  // tests set it
    std::uint64_t reuse_peeks = 0;  // idle connections peeked before reuse (read by tests)
    std::size_t idle_watch_holds = 0;         // see hold_idle_watch
    std::uint64_t idle_watch_generation = 0;  // names each wait on an idle connection: never the same twice

    // ---- counters, readable from any thread ----
    std::atomic<std::uint64_t> connections_opened{0};
    std::atomic<std::uint64_t> reuses{0};
    std::atomic<std::uint64_t> connections_closed{0};
    std::atomic<std::uint64_t> resends{0};
    std::atomic<std::uint64_t> retries{0};
    std::atomic<std::size_t> connections_open{0};
    std::atomic<std::size_t> requests_in_flight{0};
    std::atomic<std::size_t> requests_waiting{0};
    std::atomic<bool> closed{false};

private:
    boost::asio::any_io_executor executor_;
    client_config config_;
    base_url url_;
};

}  // namespace pieces::detail
