// Finding a running Pieces OS on this machine, the way the official wrappers do.
#pragma once

#include <pieces/detail/async_ops.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace pieces {

/// Where `discover_pieces_os` looks for a running Pieces OS; the defaults are those of the official wrappers.
struct discovery_options {
    /// An explicit base URL wins: it is returned as is, nothing is probed.
    std::optional<std::string> url;
    /// Probed concurrently with `GET /.well-known/health` (200 with an `ok` body); the lowest port that
    /// answers wins.
    unsigned short first_port = 39300;
    unsigned short last_port = 39333;  ///< The last port of the range (included).
    /// Probed (concurrently) only when no port of the range answered.
    std::vector<unsigned short> legacy_ports{1000, 5323};
    /// Bound on each probe; the whole scan takes at most about twice this.
    std::chrono::milliseconds probe_timeout{250};
};

namespace detail {
void async_discover(boost::asio::any_io_executor ex, discovery_options opts, diagnostics* diag,
                    handler_of<std::string> handler);
}

/// Finds Pieces OS and completes with its base URL (`http://127.0.0.1:39300`), or with
/// `errc::connection_failed` when nothing answered; `diag` (when given) then lists what was tried.
/// Signature `void(boost::system::error_code, std::string)`.
template <boost::asio::completion_token_for<void(boost::system::error_code, std::string)> Token>
auto async_discover_pieces_os(boost::asio::any_io_executor ex, discovery_options opts, diagnostics* diag,
                              Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::system::error_code, std::string)>(
        detail::forward_to_compiled<std::string>{}, token, &detail::async_discover, std::move(ex), std::move(opts), diag);
}

/// As `async_discover_pieces_os`, on the calling coroutine's executor; throws `error_with_diagnostics`.
boost::asio::awaitable<std::string> discover_pieces_os(discovery_options opts = {});

}  // namespace pieces
