// The client: one base URL, its configuration and its connection pool, shared by the API classes.
#pragma once

#include <pieces/client_config.hpp>
#include <pieces/detail/access.hpp>
#include <pieces/pool_stats.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <memory>
#include <type_traits>

namespace pieces {

namespace detail {
class transport;
}

/// Owns the configuration and the HTTP/1.1 keep-alive connection pool for one Pieces OS.
/// `allocations_api` and `allocation_api` send their requests through it.
///
/// Thread-safety: all member functions may be called from any thread. The pool's state lives behind a
/// strand of the given executor, so the client works on a multi-threaded `io_context`. Every completion is
/// posted to its handler's associated executor (the client's executor by default): never inside the initiating
/// call, never inside that strand, so decoding and the handler run outside it and may call back into the client.
///
/// Cancellation: `cancel()` ends every waiting and in-flight request with `operation_aborted`; the client
/// stays usable. Per-operation cancellation works through Asio cancellation slots (terminal).
///
/// Object lifetimes: destroying the client cancels as `cancel()` does and refuses new requests
/// (`errc::client_closed`); pending operations still complete through their handlers, which keep the
/// internals alive, so the client may be destroyed while requests are pending. The executor's execution
/// context must outlive every pending operation.
class client {
public:
    /// The executor the client's strand and connections run on.
    using executor_type = boost::asio::any_io_executor;

    /// Throws `error_with_diagnostics` (`errc::invalid_config` or `errc::invalid_header_value`)
    /// when `cfg` fails `validate`. Opens no connection: the pool is lazy.
    explicit client(executor_type ex, client_config cfg = {});

    /// As above, on `ctx.get_executor()` (e.g. an `io_context`).
    template <class ExecutionContext>
        requires std::is_convertible_v<ExecutionContext&, boost::asio::execution_context&>
    explicit client(ExecutionContext& ctx, client_config cfg = {}) : client(ctx.get_executor(), std::move(cfg)) {}

    /// Takes over `other`'s pool and pending requests; `other` must not be used afterwards except to be
    /// destroyed or assigned to.
    client(client&& other) noexcept;
    /// Closes this client as the destructor does, then takes over `other`'s pool and pending requests.
    client& operator=(client&& other) noexcept;
    client(const client&) = delete;
    client& operator=(const client&) = delete;
    ~client();

    /// The executor given at construction.
    executor_type get_executor() const noexcept;
    /// The configuration, as validated at construction (it never changes).
    const client_config& config() const noexcept;

    /// Ends every waiting and in-flight request with `operation_aborted` and closes idle connections.
    void cancel();

    /// A snapshot of the pool's counters.
    pool_stats stats() const noexcept;

private:
    friend struct detail::access;
    std::shared_ptr<detail::transport> impl_;
};

}  // namespace pieces
