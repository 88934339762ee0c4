// One poll loop of GET /allocations for any number of subscribers, each told what changed since it last looked.
#pragma once

#include <pieces/client.hpp>
#include <pieces/detail/access.hpp>
#include <pieces/watch_event.hpp>
#include <pieces/with_diagnostics.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>

namespace pieces {

/// How a watcher polls.
struct watcher_config {
    /// Time between two polls while at least one subscriber exists. Must be > 0.
    std::chrono::milliseconds interval{5'000};
    /// After failed polls the wait doubles from `interval` (with jitter: drawn from [wait/2, wait]) up to this
    /// bound; one successful poll brings it back to `interval`. Must be >= `interval`.
    std::chrono::milliseconds max_backoff{60'000};
    /// The deadline of each poll; the client's `request_timeout` when not set. Must be > 0.
    std::optional<std::chrono::milliseconds> poll_timeout;
    /// Wake on Pieces OS's push (`/user/stream`, see `user_stream`): while it has subscribers, the watcher holds
    /// one stream, and a profile whose `allocation` differs from the last one seen starts a poll at once (one in
    /// flight at most; pushes during it make one more). The interval poll stays. A server without the stream
    /// (upgrade refused) is polled only, and asked again after `max_backoff`; a stream that ends is opened again
    /// after the backoff of a failed poll. A logout pushed is an error event (`errc::logged_out`) for every
    /// subscriber. false: poll only.
    bool push = true;
};

/// A watcher's counters, from any thread.
struct watcher_stats {
    std::uint64_t polls = 0;         ///< polls completed (successful or not)
    std::uint64_t failed_polls = 0;  ///< of which failed
    std::uint64_t events = 0;        ///< events delivered to subscribers
    std::size_t subscribers = 0;     ///< subscriptions alive now
    std::uint64_t frames = 0;        ///< `/user/stream` frames received (profiles, logouts, malformed ones)
    std::uint64_t pushed_polls = 0;  ///< polls started by a pushed change (not by the interval)
    std::uint64_t streams_opened = 0;  ///< `/user/stream` connections that delivered their first frame
    bool stream_open = false;        ///< a `/user/stream` is open and has delivered its first frame
};

namespace detail {
class watch_impl;
struct watch_subscriber;
void async_watch_next(std::shared_ptr<watch_subscriber>, boost::asio::any_completion_handler<void(boost::system::error_code, watch_event)>);
struct watch_next_initiation {
    template <class Handler>
    void operator()(Handler&& h, std::shared_ptr<watch_subscriber> s) const {
        async_watch_next(std::move(s), boost::asio::any_completion_handler<void(boost::system::error_code, watch_event)>(
                                           std::forward<Handler>(h)));
    }
};
}  // namespace detail

/// One subscriber of an `allocations_watcher`: awaits its events one at a time with `next()`.
///
/// Thread-safety: `next()` may be called from any thread, one call pending at a time per subscription (a second
/// concurrent one completes at once with `boost::asio::error::already_started`). Moving or destroying it must not
/// race with other calls on the same object.
///
/// Object lifetimes: destroying the subscription (or `reset()`) unsubscribes it and completes its pending `next()`
/// with `operation_aborted`; it may outlive the watcher, whose end completes pending and later `next()` calls
/// with `operation_aborted`.
class watch_subscription {
public:
    watch_subscription() = default;  ///< empty, as a moved-from one: `next()` throws `std::logic_error`
    /// Takes over `other`'s subscription; `other` is left empty.
    watch_subscription(watch_subscription&& other) noexcept = default;
    /// Unsubscribes this one (as `reset()`), then takes over `other`'s.
    watch_subscription& operator=(watch_subscription&& other) noexcept;
    watch_subscription(const watch_subscription&) = delete;
    watch_subscription& operator=(const watch_subscription&) = delete;
    ~watch_subscription();

    /// The next event: at once when something happened since this subscriber's last event (coalesced: the
    /// changes from the snapshot it last saw to the newest, never a queue of old snapshots), else when a poll
    /// brings one. A failed poll is an event (`watch_event::error()`), not an error of `next()`. Without a token it
    /// returns `awaitable<watch_event>` and throws `error_with_diagnostics` (with empty diagnostics) on the codes
    /// below; `with_diagnostics(token)` does the same for any token.
    ///
    /// \par Handler signature
    /// `void(boost::system::error_code, watch_event)`.
    ///
    /// \par Executor
    /// The handler runs on its associated executor (the client's when it names none), never inside the call to
    /// `next()`.
    ///
    /// \par Per-operation cancellation
    /// Terminal cancellation through the token's slot ends it at once with `operation_aborted`; the subscription
    /// stays subscribed and loses nothing.
    ///
    /// \par Errors
    /// Only `operation_aborted` (cancelled, unsubscribed, the watcher gone) and `already_started` (another
    /// `next()` of this subscription is pending). `std::logic_error` is thrown when the subscription is empty.
    template <boost::asio::completion_token_for<void(boost::system::error_code, watch_event)> Token =
                  default_completion_token>
    auto next(Token&& token = {}) {
        return boost::asio::async_initiate<Token, void(boost::system::error_code, watch_event)>(
            detail::watch_next_initiation{}, token, sub_);
    }

    /// Unsubscribes now (as the destructor does).
    void reset() noexcept;

private:
    friend struct detail::access;
    // For the watcher (through detail::access).
    explicit watch_subscription(std::shared_ptr<detail::watch_subscriber> s) noexcept : sub_(std::move(s)) {}

    std::shared_ptr<detail::watch_subscriber> sub_;
};

/// Polls `GET /allocations` every `interval` while at least one subscriber exists, and tells each subscriber
/// what changed: one request per interval whatever the number of subscribers. Polling starts with the first
/// subscription and stops when the last one goes: its timer is cancelled, but a poll in flight is let finish (at
/// most `poll_timeout`) and its answer kept, so a subscriber that comes meanwhile waits for it rather than
/// starting another, and subscriptions that come and go cost no aborted requests.
///
/// Errors: a failed poll (any error of `allocations_snapshot`, retried as the client's retry policy says) is an
/// event for every subscriber, carrying its code and diagnostics; polling goes on with exponential backoff and
/// jitter, up to `max_backoff`, and returns to `interval` once a poll succeeds.
///
/// Thread-safety: every member function may be called from any thread, and the watcher works on a multi-threaded
/// `io_context`. Handlers run on their own associated executors.
///
/// Object lifetimes: destroying the watcher stops polling (a poll in flight cancelled) and completes every pending
/// `next()` with `operation_aborted`; subscriptions may outlive it. It may outlive the client (its polls then fail
/// with `client_closed`). The executor's execution context must outlive pending operations.
class allocations_watcher {
public:
    /// Throws `error_with_diagnostics` (`errc::invalid_config`) when `cfg` is not usable. Sends nothing yet.
    explicit allocations_watcher(const client& c, watcher_config cfg = {});
    allocations_watcher(const allocations_watcher&) = delete;
    allocations_watcher& operator=(const allocations_watcher&) = delete;
    ~allocations_watcher();

    /// A new subscriber. Its first event is the whole current state (every cloud as added): at once when the
    /// watcher holds a snapshot younger than `interval`, else after a poll started now.
    watch_subscription subscribe();

    /// The watcher's counters (polls, failures, events, subscribers).
    watcher_stats stats() const noexcept;

private:
    std::shared_ptr<detail::watch_impl> impl_;
};

}  // namespace pieces
