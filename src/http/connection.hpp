// Private: a pooled connection (a Beast stream, its TLS layer for https, and its read buffer), the lease by which a request holds one,
// and the waiter by which it queues for one. Strand only.
#pragma once

#include "http/transport.hpp"
#include "util/saturating_time.hpp"
#include "http/metered_stream.hpp"
#include "http/request_machine.hpp"
#include "http/reuse_check.hpp"

#if PIECES_WITH_TLS
#include <boost/asio/ssl/stream.hpp>
#endif
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include <optional>
#include <string>

namespace pieces::detail {

struct connection {
    // Beast reads at most the buffer's spare capacity (at least 512 bytes) per read: 16 KiB up front lets a
    // 100 KB reply arrive in a handful of reads instead of ~200, each a strand hop.
    explicit connection(const transport::strand_type& s) : stream(s), reads(stream) {
        buffer.reserve(read_buffer_capacity);
    }
    static constexpr std::size_t read_buffer_capacity = 16 * 1024;
    boost::beast::tcp_stream stream;
    metered_stream reads;  // `stream` as requests (and the TLS layer) use it: notes whether a read filled its space
#if PIECES_WITH_TLS
    std::optional<boost::asio::ssl::stream<metered_stream&>> tls;  // https: made after the connect
#else
    static constexpr bool tls = false;  // built without TLS: https:// is refused before any connection
#endif
    boost::beast::flat_buffer buffer;  // kept across requests: no reallocation per reply
    std::string wire;                  // the request being sent; its capacity is kept across requests too
    std::size_t last_reply_size = 0;   // the next reply's first read goes as far (reply_reader.hpp)
    std::size_t requests = 0;          // requests written on it
    std::uint64_t idle_watch = 0;      // the wait on its socket while idle (see watch_idle_connections), or 0
    clock_type::time_point idle_since{};
    clock_type::duration idle_limit{};
    bool connected = false;        // TCP
    bool tls_established = false;  // https: the handshake completed

    /// Open and ready for a request (over TLS: handshake done).
    bool ready() const noexcept { return connected && (!tls || tls_established); }

    /// Calls `f` with the stream requests are written to and read from: the TLS stream for https.
    template <class F>
    decltype(auto) with_stream(F&& f) {
#if PIECES_WITH_TLS
        if (tls) return f(*tls);
#endif
        return f(reads);
    }
};

/// The peer closed or reset the connection (over TLS too: closed without close_notify).
bool is_closed_error(const boost::system::error_code& ec) noexcept;

/// While `impl` holds the idle watch: a wait on the socket of each idle connection (and of each one that goes
/// idle later), which closes the connection when the server closes it or writes to it unasked. Starting a wait
/// costs a system call on a reactor (epoll_ctl), cancelling one does not.
void watch_idle_connections(transport& impl);
/// Cancels those waits: the hold ended.
void unwatch_idle_connections(transport& impl);

/// Bytes (or the end of the stream) wait on `c`'s socket: one non-blocking peek.
bool socket_has_input(connection& c);

/// A new, unconnected connection of `impl`'s pool.
connection_ptr new_connection(transport& impl);

/// Closes `c` (if open) and counts it.
void close_connection(transport& impl, connection& c) noexcept;

/// One pool slot held by one request, with the connection in it. It goes back exactly once: by give_back(),
/// or on every other path (an error, an exception, the request destroyed) by the destructor, as broken. So no
/// path loses a slot or leaves `requests_in_flight` counting a request that has ended.
class lease {
public:
    lease(transport& impl, connection_ptr c)
        : impl_(&impl), conn_(std::move(c)), requests_at_start_(conn_->requests) {
        ++impl.requests_in_flight;
    }
    lease(const lease&) = delete;
    lease& operator=(const lease&) = delete;
    ~lease() {
        if (impl_) give_back(false, clock_type::now());
    }

    connection& conn() const noexcept { return *conn_; }

    /// Returns the connection: to the first waiter or the idle list when `reusable`, else closed; `now` starts
    /// its idle time. Returns the connection if it went to the idle list, else nullptr.
    const connection* give_back(bool reusable, clock_type::time_point now);

private:
    transport* impl_;
    connection_ptr conn_;
    std::size_t requests_at_start_;  // a connection that carried nothing keeps its idle time
};

/// A request waiting for a connection: queued from construction until granted or destroyed. A grant that is
/// not claimed (it came too late, or the request went away) is passed on by the destructor.
class timed_waiter : public pool_state<connection_ptr>::waiter {
public:
    timed_waiter(transport& impl, clock_type::time_point deadline);
    timed_waiter(const timed_waiter&) = delete;
    timed_waiter& operator=(const timed_waiter&) = delete;
    ~timed_waiter();

    /// The granted connection, or a new one in the granted slot, now held by `out`. A granted connection is
    /// checked as one taken from the idle list is (`is_get`; see reuse_check.hpp): one the server closed or wrote
    /// to unasked meanwhile is replaced by a new one in its slot.
    void claim(std::optional<lease>& out, bool is_get, clock_type::time_point now);

    boost::asio::steady_timer timer;  ///< expires at the deadline; cancelled by a grant

private:
    transport& impl_;
    bool claimed_ = false;  // granted and taken: no longer in the pool's queue
};

/// Takes the most recently used idle connection that is still good (not past its idle limit, not closed or
/// written to by the server: see reuse_check.hpp), or a slot to open one, into `out`; or neither (the request
/// must wait). `is_get`: the request is a GET. `handed_over`: the connection the request whose completion made
/// this one gave back (it has not sat idle, see reuse_check.hpp), if any; `held_for`: how long that completion
/// had run when it made this request.
pool_answer take_from_pool(transport& impl, std::optional<lease>& out, bool want_fresh, bool is_get,
                           clock_type::time_point now, const connection* handed_over, clock_type::duration held_for);

}  // namespace pieces::detail
