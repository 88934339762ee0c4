// Private: the life of one request as a state machine, free of I/O. It is told what happened (a connection
// was granted, the lookup ended, n bytes were written, a reply arrived, the time now, a cancellation) and
// answers what to do next; the transport does the I/O. So every path (deadlines, cancellation between and
// during steps, the TLS handshake, the stale-connection retry rule, the retry policy and its backoff, the interim-reply bound, the
// keep-alive decision) is tested without sockets or clocks.
#pragma once

#include "http/retry_schedule.hpp"

#include <pieces/retry_policy.hpp>

#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

namespace pieces::detail {

/// What the transport must do next.
enum class request_step {
    acquire,           ///< ask the pool for a connection (a fresh one when `want_fresh`)
    wait_for_grant,    ///< wait in the pool's FIFO queue until `until`, or a grant, or cancellation
    resolve,           ///< look the host up, until `until`
    connect,           ///< open the connection, until `until`
    handshake,         ///< the TLS handshake on the new connection (https), until `until`
    write,             ///< send the request, until `until` (`Connection: close` when `last_on_connection`)
    read,              ///< read one reply (header and body), until `until`
    release,           ///< give the connection (or a granted slot) back, `reusable` or not, then `on_released`
    backoff,           ///< wait until `until` (or a cancellation) before the next attempt, then `on_backoff_ended`
    done,              ///< complete with `ec` (and `detail` for the diagnostics)
};

struct request_action {
    request_step step = request_step::done;
    std::chrono::steady_clock::time_point until{};
    bool want_fresh = false;          // acquire
    bool is_retry = false;            // acquire: a later attempt (the stale-connection re-send, or the policy's)
    bool last_on_connection = false;  // write
    bool reusable = false;            // release
    boost::system::error_code ec;     // done
    std::string detail;               // done: what the client saw (for diagnostics), when there is more to say
};

/// How a step ended, as the transport saw it.
struct step_result {
    /// The library's code (`errc::request_timeout`, `errc::connection_closed`, `operation_aborted`, ...), or
    /// none. A timer or stream deadline that expired is `errc::request_timeout`.
    boost::system::error_code ec;
    /// The peer closed or reset the connection before any reply byte arrived (a stale kept-alive connection).
    bool closed_before_reply = false;
    /// What the transport can say about a failure (e.g. Beast's parser message); may be empty.
    std::string detail;
};

/// What the pool answered to `acquire`.
enum class pool_answer {
    idle_connection,  ///< an open, kept-alive connection
    new_slot,         ///< room to open a new connection
    must_wait,        ///< neither: wait for a grant
};

/// What a reply's header said, once the whole reply was read.
struct reply_facts {
    unsigned status = 0;
    bool keep_alive = true;      ///< HTTP/1.1 keep-alive, no `Connection: close`
    bool bytes_after = false;    ///< bytes arrived after the reply (buffered): the connection is not reusable
    std::optional<std::chrono::steady_clock::duration> retry_after;  ///< the reply's `Retry-After`, as a wait
};

class request_machine {
public:
    using clock_type = std::chrono::steady_clock;

    struct params {
        bool is_get = true;                          ///< a GET may be re-sent; a POST only if nothing was written
        bool tls = false;                            ///< https: a new connection needs a TLS handshake
        clock_type::time_point deadline;             ///< the request's own deadline (already saturated)
        clock_type::duration connect_timeout{};      ///< bounds lookup + connect together (already saturated)
        std::size_t max_requests_per_connection = 0; ///< 0: unlimited
        int max_interim_replies = 32;                ///< 1xx replies skipped before the real one, at most
        std::string host;                            ///< the host name, for the diagnostics of a lookup
        std::string authority;                       ///< host[:port], for the diagnostics of a connect
        retry_policy retry;                          ///< checked already (retry_policy_problem)
        std::uint64_t jitter_seed = 0;               ///< this request's own jitter
    };

    explicit request_machine(params p) noexcept : p_(std::move(p)), jitter_(p_.jitter_seed) {}

    /// The first step.
    request_action start(clock_type::time_point now, bool cancelled);

    /// The pool's answer. `connected`: the connection is open; `needs_lookup`: the host's address is not known
    /// yet; `requests_served`: replies this connection has already carried.
    request_action on_acquired(pool_answer a, bool connected, bool needs_lookup, std::size_t requests_served,
                               clock_type::time_point now, bool cancelled);
    /// The wait for a grant ended: `granted` a connection (`granted_connected` tells whether it is open) or a
    /// slot, or nothing (the deadline or a cancellation ended the wait).
    request_action on_wait_ended(bool granted, bool granted_connected, bool needs_lookup, std::size_t requests_served,
                                 clock_type::time_point now, bool cancelled);
    request_action on_resolved(const step_result& r, clock_type::time_point now, bool cancelled);
    request_action on_connected(const step_result& r, clock_type::time_point now, bool cancelled);
    /// The TLS handshake ended (`r.ec`: `errc::tls_handshake_failed`, `errc::tls_certificate_rejected`, a
    /// timeout, `operation_aborted`, or none).
    request_action on_handshake(const step_result& r, clock_type::time_point now, bool cancelled);
    request_action on_written(const step_result& r, std::size_t bytes, clock_type::time_point now, bool cancelled);
    /// One reply was read (or reading failed: `r.ec`); `got_some`: any byte of a reply arrived.
    request_action on_read(const step_result& r, bool got_some, const reply_facts& reply, clock_type::time_point now,
                           bool cancelled);
    /// The connection or grant of the last `release` was given back.
    request_action on_released(clock_type::time_point now, bool cancelled);
    /// The wait of a `backoff` step ended (its time came, the deadline passed, or a cancellation).
    request_action on_backoff_ended(clock_type::time_point now, bool cancelled);

    /// The final reply's status (when `done` came without an error).
    unsigned status() const noexcept { return status_; }
    /// Re-sent on a fresh connection after a stale one (in the current attempt).
    bool retried() const noexcept { return retried_; }
    /// Attempts begun under the retry policy, the first included (a stale-connection re-send is part of its attempt).
    unsigned attempts() const noexcept { return attempt_; }

private:
    enum class after_release { acquire_fresh, back_off, finish };
    /// The outcomes a retry policy may attempt again.
    enum class retryable { no, gateway_timeout, connection_failed, connection_closed };

    request_action finish(boost::system::error_code ec, std::string detail = {});
    request_action release_then(bool reusable, after_release next, boost::system::error_code ec = {},
                                std::string detail = {});
    request_action fail_step(const step_result& r, clock_type::time_point now);
    request_action proceed_on_connection(bool connected, bool needs_lookup, std::size_t requests_served,
                                         clock_type::time_point now);
    request_action connect_or_resolve(bool needs_lookup);
    request_action write_step();
    request_action on_opened(clock_type::time_point now, bool cancelled);
    request_action read_step(clock_type::time_point now, bool cancelled);
    bool may_retry(const step_result& r, bool got_some, bool cancelled) const;
    request_action timeout_or_cancel(bool cancelled);
    request_action end_attempt(bool reusable, boost::system::error_code ec, std::string detail, retryable why,
                               clock_type::time_point now, std::optional<clock_type::duration> retry_after = {});
    request_action acquire_step(bool fresh, bool is_retry);
    static const char* describe(retryable why) noexcept;

    params p_;
    clock_type::time_point connect_deadline_{};
    bool holding_ = false;         // a connection or slot is leased to this request
    bool reused_ = false;          // the held connection carried replies before
    bool last_ = false;            // this request is the connection's last
    bool retried_ = false;
    unsigned attempt_ = 0;
    jitter_source jitter_;
    clock_type::time_point backoff_until_{};
    std::string gave_up_;          // why no further attempt fits before the deadline
    std::size_t written_ = 0;
    int interim_ = 0;
    unsigned status_ = 0;
    after_release next_ = after_release::finish;
    boost::system::error_code final_ec_;
    std::string final_detail_;
};

}  // namespace pieces::detail
