// Private: the life of one request as a state machine, free of I/O. It is resumed with what just happened (a
// connection was granted, the lookup ended, n bytes were written, a reply arrived), the time now and whether a
// cancellation arrived, and answers what to do next; the driver (request_driver.cpp) does the I/O. The machine
// keeps where it is (its phase), so the driver never chooses which event to report: it reports how the action
// it performed ended. So every path (deadlines, cancellation between and during steps, the TLS handshake, the
// stale-connection resend, the retry policy and its backoff, the interim-reply bound, the keep-alive decision)
// is tested without sockets or clocks.
#pragma once

#include "http/retry_schedule.hpp"

#include <pieces/retry_policy.hpp>

#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace pieces::detail {

/// What the driver must do next.
enum class request_action_kind {
    acquire,         ///< ask the pool for a connection (a new one when `resend`)
    wait_for_grant,  ///< wait in the pool's FIFO queue until `until`, or a grant, or cancellation
    resolve,         ///< look the host up, until `until`
    connect,         ///< open the connection, until `until`
    handshake,       ///< the TLS handshake on the new connection (https), until `until`
    write,           ///< send the request, until `until` (`Connection: close` when `last_on_connection`)
    read,            ///< read one reply (header and body), until `until`
    release,         ///< give the connection (or a granted slot) back, `reusable` or not
    backoff,         ///< wait until `until` (or a cancellation) before the next attempt
    done,            ///< complete with `ec` (and `detail` for the diagnostics)
};

struct request_action {
    request_action_kind kind = request_action_kind::done;
    std::chrono::steady_clock::time_point until{};
    bool resend = false;              // acquire: the stale-connection resend, on a new connection
    bool retry = false;               // acquire: the retry policy's next attempt
    bool last_on_connection = false;  // write
    bool reusable = false;            // release
    bool final_reply = false;         // release after a read: the reply just read is the answer (keep its fields)
    boost::system::error_code ec;     // done
    std::string detail;               // done: what the client saw (for diagnostics), when there is more to say
};

/// Where the machine is: the action whose outcome it waits for (or not started, or done).
enum class request_phase {
    not_started,
    acquiring,
    waiting_for_grant,
    resolving,
    connecting,
    handshaking,
    writing,
    reading,
    releasing,
    backing_off,
    done,
};

/// How an I/O step ended, as the driver saw it.
struct step_result {
    /// The library's code (`errc::request_timeout`, `errc::connection_closed`, `operation_aborted`, ...), or
    /// none. A timer or stream deadline that expired is `errc::request_timeout`.
    boost::system::error_code ec;
    /// The peer closed or reset the connection (the raw error said so, whatever code it maps to).
    bool peer_closed = false;
    /// What the driver can say about a failure (e.g. Beast's parser message); may be empty.
    std::string detail;
};

/// What the pool answered to `acquire`.
enum class pool_answer {
    idle_connection,  ///< an open, kept-alive connection
    new_slot,         ///< room to open a new connection
    must_wait,        ///< neither: wait for a grant
};

/// The connection (or slot) a request was given.
struct held_connection {
    bool open = false;                ///< open and ready for a request (over TLS: handshake done)
    bool needs_lookup = false;        ///< the host's address is not known yet
    std::size_t requests_served = 0;  ///< requests it has already carried
};

/// What a reply's header said, once the whole reply was read: the raw facts, classified by the machine.
struct reply_facts {
    unsigned status = 0;
    bool keep_alive = true;    ///< the parser's keep-alive: HTTP/1.1 and no `Connection: close`
    bool bytes_after = false;  ///< bytes arrived after the reply (buffered or in the socket)
    std::optional<std::chrono::steady_clock::duration> retry_after;  ///< the `Retry-After` field as a wait, if any
};

/// The events, one per outcome of an action.
namespace request_events {
struct started {};
struct acquired {
    pool_answer answer = pool_answer::must_wait;
    held_connection conn;  ///< when not `must_wait`
};
struct grant_wait_ended {
    bool granted = false;  ///< a connection or slot, or nothing (the deadline or a cancellation ended the wait)
    held_connection conn;  ///< when granted
};
struct resolved {
    step_result result;
};
struct connected {
    step_result result;
};
struct handshake_done {
    /// `errc::tls_handshake_failed`, `errc::tls_certificate_rejected`, a timeout, `operation_aborted`, or none.
    step_result result;
};
struct written {
    step_result result;
    std::size_t bytes = 0;  ///< written before it ended
};
struct read_done {
    step_result result;
    bool got_some = false;  ///< any byte of a reply arrived
    reply_facts reply;      ///< when `result` has no error
};
struct released {};
struct backoff_ended {};  ///< its time came, the deadline passed, or a cancellation
}  // namespace request_events

using request_event = std::variant<request_events::started, request_events::acquired, request_events::grant_wait_ended,
                                   request_events::resolved, request_events::connected, request_events::handshake_done,
                                   request_events::written, request_events::read_done, request_events::released,
                                   request_events::backoff_ended>;

/// When an event is reported. A cancellation is a condition checked at every step, not an event: the step in
/// flight ends with it (its I/O cancelled), or it is seen between steps. The deadline likewise: the step in
/// flight ends in `errc::request_timeout`, and `now` tells the rest.
struct step_context {
    std::chrono::steady_clock::time_point now{};
    bool cancelled = false;  ///< a terminal cancellation arrived
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

    /// The one entry point: `ev` is how the last action ended (`started` first), and the answer what to do
    /// next. An event that does not answer the phase's action is a bug: it ends the request with `state_not_recoverable` (tested).
    request_action resume(const request_event& ev, step_context ctx);

    /// Where the machine is.
    request_phase phase() const noexcept { return phase_; }
    /// Whether a reply of `status` may have its `Retry-After` count (the driver parses the field only then).
    static bool may_use_retry_after(unsigned status) noexcept { return status == 504; }
    /// The final reply's status (of the last attempt that read one), else 0.
    unsigned status() const noexcept { return status_; }
    /// Re-sent on a fresh connection after a stale one (in the current attempt).
    bool resent() const noexcept { return resent_; }
    /// Attempts begun under the retry policy, the first included (a stale-connection resend is part of its attempt).
    unsigned attempts() const noexcept { return attempt_; }

private:
    enum class after_release { resend, back_off, finish };
    /// The outcomes a retry policy may attempt again.
    enum class retryable { no, gateway_timeout, connection_failed, connection_closed };
    using time_point = clock_type::time_point;

    request_action dispatch(const request_event& ev, step_context ctx);
    request_action unexpected(const request_event& ev);

    request_action on_start(step_context ctx);
    request_action on_acquired(const request_events::acquired& e, step_context ctx);
    request_action on_wait_ended(const request_events::grant_wait_ended& e, step_context ctx);
    request_action on_resolved(const step_result& r, step_context ctx);
    request_action on_connected(const step_result& r, step_context ctx);
    request_action on_handshake(const step_result& r, step_context ctx);
    request_action on_written(const request_events::written& e, step_context ctx);
    request_action on_read(const request_events::read_done& e, step_context ctx);
    request_action on_released(step_context ctx);
    request_action on_backoff_ended(step_context ctx);

    request_action finish(boost::system::error_code ec, std::string detail = {});
    request_action release_then(bool reusable, after_release next, boost::system::error_code ec = {},
                                std::string detail = {});
    request_action fail_step(const step_result& r, time_point now);
    request_action proceed_on_connection(const held_connection& c, time_point now);
    request_action connect_or_resolve(bool needs_lookup);
    request_action write_step();
    request_action on_opened(step_context ctx);
    request_action read_step(step_context ctx);
    bool may_resend(const step_result& r, bool got_some, bool cancelled) const;
    request_action timeout_or_cancel(bool cancelled);
    request_action end_attempt(bool reusable, boost::system::error_code ec, std::string detail, retryable why,
                               time_point now, std::optional<clock_type::duration> retry_after = {});
    request_action acquire_step(bool resend, bool retry);
    static const char* describe(retryable why) noexcept;

    params p_;
    request_phase phase_ = request_phase::not_started;
    time_point connect_deadline_{};
    bool holding_ = false;         // a connection or slot is leased to this request
    bool reused_ = false;          // the held connection carried replies before
    bool last_ = false;            // this request is the connection's last
    bool resent_ = false;          // the stale-connection resend of this attempt was made
    unsigned attempt_ = 0;
    jitter_source jitter_;
    time_point backoff_until_{};
    std::string gave_up_;          // why no further attempt fits before the deadline
    std::size_t written_ = 0;
    int interim_ = 0;
    unsigned status_ = 0;
    after_release next_ = after_release::finish;
    boost::system::error_code final_ec_;
    std::string final_detail_;
};

/// Names, for diagnostics and readable test failures.
const char* to_string(request_action_kind k) noexcept;
const char* to_string(request_phase p) noexcept;
/// The event's name (`written`, `read_done`, ...).
const char* event_name(const request_event& ev) noexcept;
std::ostream& operator<<(std::ostream& os, request_action_kind k);
std::ostream& operator<<(std::ostream& os, request_phase p);
std::ostream& operator<<(std::ostream& os, pool_answer a);
/// The kind and the data it uses (`release(reusable)`, `done(...: detail)`, ...).
std::ostream& operator<<(std::ostream& os, const request_action& a);

}  // namespace pieces::detail
