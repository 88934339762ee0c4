// Private: what an idle connection needs before it carries another request. Decided without I/O, so that it is
// tested on its own; the peek itself is in connection.cpp.
#pragma once

#include "util/saturating_time.hpp"

#include <chrono>
#include <optional>

namespace pieces::detail {

enum class reuse_check {
    expired,  ///< past its idle limit: closed unused
    peek,     ///< sat idle: one non-blocking peek tells whether the server closed it or wrote to it unasked
    none,     ///< did not sit idle: reused as it is
};

/// How long a connection may be held by the completion of the request that gave it back and still count as
/// not having sat idle.
inline constexpr clock_type::duration handover_window = std::chrono::milliseconds(1);

/// How many windows a connection handed over may have spent in all since its give-back, its completion's wait in
/// the queue included (at 256 connections a few milliseconds): beyond that (50 ms) it is peeked all the same, so
/// that bytes a server sent later than its reply have a bounded time to go unseen.
inline constexpr int handover_queue_windows = 50;

/// `idle_for`: since it was given back. `held_for`, for a connection that did not go back to sit in the idle list
/// but straight to the next request: how long it was held on the way, within `window`. Either taken again by a
/// request made inside the completion of the request that gave it back (a poller's next request; the completion
/// runs outside the client's strand and marks the requests it makes: see request_driver.cpp), counted from the
/// start of that completion (a completion may wait in the io_context's queue behind many others: that wait is
/// not the caller's); or handed straight to a waiting request, counted from the give-back. Such a connection
/// has not sat idle, and a GET on it is not peeked: at many connections the peek is a system call on a socket
/// gone cold in the cache, the one cost per request that grew with the connections in use. A GET that meets a
/// connection closed in that gap is sent again (the stale-connection rule); a POST, which is not, is always
/// peeked. (Bytes the server sent right behind the reply are looked for when the reply ends: request_driver.cpp.) The
/// time since the give-back is bounded all the same: see handover_queue_windows.
constexpr reuse_check check_before_reuse(clock_type::duration idle_for, clock_type::duration idle_limit,
                                         std::optional<clock_type::duration> held_for, bool is_get,
                                         clock_type::duration window = handover_window) noexcept {
    if (idle_for >= idle_limit) return reuse_check::expired;
    if (held_for && is_get && *held_for < window && idle_for < window * handover_queue_windows)
        return reuse_check::none;
    return reuse_check::peek;
}

}  // namespace pieces::detail
