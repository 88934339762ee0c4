// Pieces OS's push: the `/user/stream` WebSocket, which sends the user's profile each time it changes.
#pragma once

#include <pieces/client.hpp>
#include <pieces/detail/access.hpp>
#include <pieces/diagnostics.hpp>
#include <pieces/models/user_profile.hpp>
#include <pieces/with_diagnostics.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <memory>

namespace pieces {

/// How a `user_stream` keeps its connection.
struct user_stream_options {
    /// A stream that has received nothing for half this long is pinged; one that has received nothing (not even
    /// the pong) for this long is closed, and `next()` ends with `errc::request_timeout`. The stream reads only
    /// while a `next()` is pending: call it again within this time (as `allocations_watcher` does, always), or the
    /// pong waits unread and the stream is closed as silent, with the profiles queued behind it. Must be > 0.
    std::chrono::milliseconds keepalive{30'000};
    /// Bound on the closing handshake (our close frame, the server's answer) when the stream is closed or
    /// destroyed; past it the connection is dropped. Must be > 0.
    std::chrono::milliseconds close_timeout{5'000};
};

namespace detail {
class user_stream_impl;
void async_user_stream_next(std::shared_ptr<user_stream_impl>, diagnostics*,
                            boost::asio::any_completion_handler<void(boost::system::error_code, UserProfile)>);
struct user_stream_next_initiation {
    template <class Handler>
    void operator()(Handler&& h, std::shared_ptr<user_stream_impl> s, diagnostics* diag) const {
        async_user_stream_next(std::move(s), diag,
                               boost::asio::any_completion_handler<void(boost::system::error_code, UserProfile)>(
                                   std::forward<Handler>(h)));
    }
};
}  // namespace detail

/// One `GET /user/stream` WebSocket of a client's Pieces OS: the user's `UserProfile`, sent by the server when a
/// client connects and each time the profile changes (`UserProfile::allocation` is the user's cloud, its status
/// included). It uses the client's settings: its base URL (`ws://` for `http://`, `wss://` for `https://`, with the
/// same TLS options and verification), its `X-Application-ID`, bearer token and `User-Agent`, `connect_timeout`
/// for the name lookup, TCP connect and TLS handshake, and `request_timeout` for the whole opening handshake. It
/// holds a connection of its own, outside the client's pool.
///
/// The stream connects on the first `next()`. After it ended (any error but `logged_out` and a malformed frame)
/// the next `next()` connects again: reconnecting is the caller's choice (`allocations_watcher` does it with
/// backoff).
///
/// Thread-safety: `next()` and `close()` may be called from any thread, one `next()` pending at a time (a second
/// completes at once with `boost::asio::error::already_started`). Moving or destroying it must not race with other
/// calls on the same object.
///
/// Object lifetimes: destroying it (or `close()`) ends a pending `next()` with `operation_aborted` and closes the
/// stream with a close frame, waiting for the server's at most `close_timeout`; that closing handshake runs on
/// its own. It may outlive the client (it then connects no more: `errc::client_closed`). The executor's execution
/// context must outlive pending operations.
class user_stream {
public:
    user_stream() = default;  ///< empty, as a moved-from one: `next()` throws `std::logic_error`
    /// Connects nothing yet. Throws `error_with_diagnostics` (`errc::invalid_config`) when `opts` is not usable.
    explicit user_stream(const client& c, user_stream_options opts = {});
    /// Takes over `other`'s stream; `other` is left empty.
    user_stream(user_stream&& other) noexcept = default;
    /// Closes this stream (as `close()`), then takes over `other`'s.
    user_stream& operator=(user_stream&& other) noexcept;
    user_stream(const user_stream&) = delete;
    user_stream& operator=(const user_stream&) = delete;
    ~user_stream();

    /// The next profile the server sends: the first one (sent on connect) after connecting, else the next change.
    /// Waits without a deadline once the stream is open (the keepalive pings find a dead peer). Without a token
    /// it returns `awaitable<UserProfile>` and throws `error_with_diagnostics` on failure.
    ///
    /// \par Handler signature
    /// `void(boost::system::error_code, UserProfile)`.
    ///
    /// \par Executor
    /// The handler runs on its associated executor (the client's when it names none), never inside the call.
    ///
    /// \par Per-operation cancellation
    /// Terminal cancellation ends it with `operation_aborted` and closes the stream (the next `next()` connects
    /// again).
    ///
    /// \par Errors
    /// - `errc::logged_out`: a frame that is not a JSON object (the user logged out); the stream stays open.
    /// - `errc::invalid_response`: a JSON frame that is not a `UserProfile` (diagnostics name the JSON path); the
    ///   stream stays open.
    /// - `errc::response_too_large`: a message over the client's `max_body_size`; the stream is closed.
    /// - `errc::stream_ended`: the server closed the stream (diagnostics say whether with a close frame).
    /// - `errc::upgrade_refused`: the server answered the upgrade with another status (404 or 426: a Pieces OS
    ///   without the stream; diagnostics carry the status and body).
    /// - `errc::request_timeout`: the opening handshake did not complete within `request_timeout` (or the
    ///   connection within `connect_timeout`), or the open stream was silent for `keepalive`.
    /// - `errc::connection_failed`, `errc::connection_closed` (the server closed the connection before answering
    ///   the upgrade), `errc::tls_handshake_failed`, `errc::tls_certificate_rejected`, `errc::malformed_http`: as
    ///   for requests; a WebSocket handshake the server got wrong ends with Beast's code.
    /// - `errc::client_closed`: the client is gone. `operation_aborted`: cancelled or closed.
    ///   `already_started`: another `next()` is pending.
    template <boost::asio::completion_token_for<void(boost::system::error_code, UserProfile)> Token =
                  default_completion_token>
    auto next(Token&& token = {}) {
        return boost::asio::async_initiate<Token, void(boost::system::error_code, UserProfile)>(
            detail::user_stream_next_initiation{}, token, impl_checked(), static_cast<diagnostics*>(nullptr));
    }

    /// As `next(token)`, writing what went wrong to `diag`.
    template <boost::asio::completion_token_for<void(boost::system::error_code, UserProfile)> Token =
                  default_completion_token>
    auto next(diagnostics& diag, Token&& token = {}) {
        return boost::asio::async_initiate<Token, void(boost::system::error_code, UserProfile)>(
            detail::user_stream_next_initiation{}, token, impl_checked(), &diag);
    }

    /// Ends a pending `next()` with `operation_aborted` and closes the stream (as the destructor does); a later
    /// `next()` connects again.
    void close() noexcept;

private:
    friend struct detail::access;
    const std::shared_ptr<detail::user_stream_impl>& impl_checked() const;
    std::shared_ptr<detail::user_stream_impl> impl_;
};

}  // namespace pieces
