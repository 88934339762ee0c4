// Private: everything one request needs from start to completion, owned by the operation in flight (the driver,
// request_driver.cpp). Its deadline is queued in the client's deadline_queue while it runs, and it is linked in
// the client's list of pending requests (cancel_all). Strand only.
#pragma once

#include "http/completion_memory.hpp"
#include "http/connection.hpp"
#include "http/deadline_queue.hpp"
#include "http/http_types.hpp"
#include "http/reply_parser.hpp"
#include "http/request_machine.hpp"
#include "http/transport.hpp"

#include <pieces/retry_policy.hpp>

#include <boost/asio/any_completion_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <memory>
#include <optional>

namespace pieces::detail {

struct request_state : deadline_entry, active_request {
    // Boost 1.81's any_completion_handler move-assignment recurses forever: only ever move-construct it.
    explicit request_state(response_handler h) : handler(std::move(h)) {}
    // Unlinked here, while `impl` (whose list and queue link it) is alive: the bases go after the members.
    ~request_state() {
        active_request::unlink();
        impl->deadlines.remove(*this);
    }

    /// Joins the client's pending requests.
    void link() { impl->active.push_back(*this); }
    /// Leaves them (harmless when not linked).
    void unlink() noexcept { active_request::unlink(); }

    std::shared_ptr<transport> impl;
    http_request req;
    std::chrono::milliseconds timeout{};
    retry_policy retry;
    response_handler handler;
    // Keeps the handler's executor busy while we run; not needed (left empty) when that is the client's own, which
    // the request's own I/O keeps busy.
    boost::asio::any_completion_executor work;
    boost::asio::cancellation_signal signal;  // emitted on the strand (by cancel_forwarder or cancel_all)
    bool cancelled = false;                   // a terminal cancellation arrived (the machine is told at each step)
    bool timed_out = false;                   // the deadline passed: the step in flight was cancelled for it
    bool done = false;

    const connection* handed_over = nullptr;  // given back by the request whose completion made this one,
    clock_type::duration held_for{};           // which had run this long when it made it
    std::optional<request_machine> machine;    // made when the request starts, on the strand
    std::optional<lease> held;                 // gives the slot back on every path
    std::optional<timed_waiter> waiter;
    std::optional<boost::asio::steady_timer> backoff_timer;  // made on a request's first backoff
    std::optional<reply_parser> parser;
    http_response response;
    boost::system::error_code result;       // how it ended, for the completion
    const connection* went_idle = nullptr;  // the connection its last release put on the idle list
    completion_memory completion_block;     // for the posted completion (see completion_memory.hpp)
};

}  // namespace pieces::detail
