// Retrying a request that failed in a way a later attempt may not: off by default.
#pragma once

#include <chrono>

namespace pieces {

/// When and how often a request is attempted again (`client_config::retry`, or per call `call_options::retry`).
///
/// Every attempt and every wait between two attempts stays inside the request's one deadline: a wait that would
/// end after it is not begun in full, and the request ends in `request_timeout` at the deadline, without another
/// attempt. Cancellation ends a wait at once (`operation_aborted`). `client::stats().retries` counts the attempts
/// after the first (`stats().resends` apart: a request sent again after a stale kept-alive connection, which is
/// part of its attempt); a failure's `diagnostics::attempts()` says how many were made.
struct retry_policy {
    /// Attempts in all, the first included: 1 = no retry (the default). Must be >= 1.
    unsigned max_attempts = 1;
    /// The bound on the wait before the second attempt; it doubles for each later one, up to `max_backoff`. Each
    /// wait is drawn uniformly from [bound/2, bound] (the watcher's backoff too), so that many clients do not retry
    /// in step and none retries without a pause.
    /// Must be >= 0.
    std::chrono::milliseconds initial_backoff{200};
    /// The largest bound, and the longest a server's `Retry-After` (seconds or an HTTP date) is honoured: a
    /// `Retry-After` replaces the drawn wait, capped at this. Must be >= `initial_backoff`.
    std::chrono::milliseconds max_backoff{5'000};

    /// Which failures are attempted again.
    bool on_gateway_timeout = true;    ///< HTTP 504: Pieces OS timed out upstream (`errc::gateway_timeout`).
    bool on_connection_failed = true;  ///< The connection could not be opened (`errc::connection_failed`).
    bool on_connection_closed = true;  ///< Closed before any byte of the reply (`errc::connection_closed`).

    /// POSTs are attempted again only when this is set (a POST that failed may still have been applied). Set it
    /// for the calls whose POSTs may safely run twice, e.g. through `call_options::retry`.
    bool retry_posts = false;
};

}  // namespace pieces
