// Finding a running Pieces OS on this machine, the way the official wrappers do.
#pragma once

#include <pieces/detail/async_ops.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pieces {

/// Where `discover_pieces_os` looks for a running Pieces OS, in this order: an explicit `url`, the port in the
/// port file, the port range, the legacy ports. The defaults are those of the official wrappers.
struct discovery_options {
    /// An explicit base URL wins: it is returned as is, nothing is probed.
    std::optional<std::string> url;
    /// Read the port file Pieces OS writes at start-up and probe its port before any scan; a file that is
    /// absent, unreadable or not a port, or a port that does not answer, falls through to the scan.
    bool use_port_file = true;
    /// The port file to read; empty: `default_port_file()`.
    std::string port_file;
    /// Probed concurrently with `GET /.well-known/health` (200 with a body starting with `ok`, in any case);
    /// the lowest port that answers wins.
    unsigned short first_port = 39300;
    unsigned short last_port = 39333;  ///< The last port of the range (included).
    /// Probed (concurrently) only when no port of the range answered.
    std::vector<unsigned short> legacy_ports{1000, 5323};
    /// Bound on each probe; the whole discovery takes at most about three times this.
    std::chrono::milliseconds probe_timeout{250};
};

/// The port file Pieces OS writes under the home directory `home`:
/// `<home>/Documents/com.pieces.os/production/Config/.port.txt` (`<home>/Library/...` on macOS); "" when
/// `home` is empty.
std::string port_file_under(std::string_view home);

/// `port_file_under` the home directory of the environment (`USERPROFILE` on Windows, `HOME` elsewhere);
/// "" when that variable is unset or empty.
std::string default_port_file();

namespace detail {
void async_discover(boost::asio::any_io_executor ex, discovery_options opts, diagnostics* diag,
                    handler_of<std::string> handler);
}

/// Finds Pieces OS (explicit url, then the port file, the port range, the legacy ports: see
/// `discovery_options`) and completes with its base URL (`http://127.0.0.1:39300`). `diag` (when given) names
/// the probe and, when nothing answered, lists what was tried; with `with_diagnostics(token)` the exception
/// carries them (in `diag`, or in diagnostics of its own when `diag` is null).
///
/// \par Handler signature
/// `void(boost::system::error_code, std::string)`.
///
/// \par Executor
/// The handler's associated executor (`ex` when it names none); never inside this call. The probes run on a
/// strand of `ex`.
///
/// \par Per-operation cancellation
/// Terminal: every probe is cancelled and it ends promptly with `operation_aborted`.
///
/// \par Errors
/// `errc::connection_failed` when nothing answered; `operation_aborted` when cancelled.
template <boost::asio::completion_token_for<void(boost::system::error_code, std::string)> Token>
auto async_discover_pieces_os(boost::asio::any_io_executor ex, discovery_options opts, diagnostics* diag,
                              Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::system::error_code, std::string)>(
        detail::forward_to_compiled<std::string>{}, token, &detail::async_discover, std::move(ex), std::move(opts), diag);
}

/// As `async_discover_pieces_os`, on the calling coroutine's executor; throws `error_with_diagnostics` (with the
/// diagnostics of the failure).
boost::asio::awaitable<std::string> discover_pieces_os(discovery_options opts = {});

}  // namespace pieces
