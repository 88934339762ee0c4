#pragma once

#include <cstddef>
#include <cstdint>

namespace pieces {

/// Counters of a client's connection pool, read with `client::stats()` from any thread.
struct pool_stats {
    std::uint64_t connections_opened = 0;  ///< TCP connections established.
    std::uint64_t reuses = 0;              ///< Requests sent on a connection that had carried one before.
    std::uint64_t connections_closed = 0;  ///< Connections closed (errors, limits, idle expiry, shutdown).
    std::uint64_t resends = 0;             ///< Requests sent again on a new connection: a kept-alive one was closed before any reply.
    std::uint64_t retries = 0;             ///< Attempts after the first made by the retry policy (`retry_policy`).
    std::size_t connections_open = 0;      ///< Open now (idle or leased).
    std::size_t requests_in_flight = 0;    ///< Holding a connection now.
    std::size_t requests_waiting = 0;      ///< Waiting for a connection now.
};

}  // namespace pieces
