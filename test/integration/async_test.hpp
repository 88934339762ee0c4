// Test helpers: run a coroutine to completion on an io_context, failing the test if it throws or hangs.
#pragma once

#include <pieces/pieces.hpp>
#include <pieces/testing/emulator.hpp>

#include "endpoint_calls.hpp"
#include "fixtures.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <exception>
#include <optional>

namespace pieces_test {

namespace asio = boost::asio;
using namespace std::chrono_literals;


/// Runs the io_context until `done()` holds; fails the test after `limit` (a hang is a failure, not a wait).
template <class Pred>
void run_until(asio::io_context& ioc, Pred done, std::chrono::milliseconds limit = 20s) {
    const auto end = std::chrono::steady_clock::now() + limit;
    ioc.restart();
    while (!done()) {
        if (std::chrono::steady_clock::now() > end) FAIL("timed out waiting for the io_context");
        ioc.run_one_for(50ms);
    }
}

/// Runs `aw` to completion; rethrows what it threw, so a throwing coroutine fails the test.
template <class T>
T run(asio::io_context& ioc, asio::awaitable<T> aw, std::chrono::milliseconds limit = 20s) {
    std::exception_ptr error;
    std::optional<T> result;
    bool done = false;
    asio::co_spawn(ioc, std::move(aw), [&](std::exception_ptr e, T v) {
        error = e;
        if (!e) result.emplace(std::move(v));
        done = true;
    });
    run_until(ioc, [&] { return done; }, limit);
    if (error) std::rethrow_exception(error);
    return std::move(*result);
}

inline void run(asio::io_context& ioc, asio::awaitable<void> aw, std::chrono::milliseconds limit = 20s) {
    std::exception_ptr error;
    bool done = false;
    asio::co_spawn(ioc, std::move(aw), [&](std::exception_ptr e) {
        error = e;
        done = true;
    });
    run_until(ioc, [&] { return done; }, limit);
    if (error) std::rethrow_exception(error);
}

/// An emulator seeded with the 3-cloud fixture, and a client for it.
struct emulator_fixture {
    explicit emulator_fixture(pieces::client_config cfg = {}) : emu(ioc.get_executor()) {
        emu.seed(pieces::from_json<pieces::Allocations>(read_fixture("allocations.json")));
        cfg.url = emu.url();
        cli.emplace(ioc, cfg);
    }
    asio::io_context ioc;
    pieces::testing::emulator emu;
    std::optional<pieces::client> cli;
};

inline long long ms_since(std::chrono::steady_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t).count();
}

/// How one call ended: its code, the clouds a snapshot answered, the diagnostics, and the time it took.
struct call_outcome {
    boost::system::error_code ec;
    std::size_t clouds = 0;
    pieces::diagnostics diag;
    long long elapsed_ms = 0;
};

/// One `GET /allocations` on `cli`, run to completion on `ioc` (`opts.diag` is the outcome's).
inline call_outcome timed_snapshot(asio::io_context& ioc, pieces::client& cli, pieces::call_options opts = {}) {
    call_outcome out;
    opts.diag = &out.diag;
    const pieces::allocations_api api(cli);
    const auto start = std::chrono::steady_clock::now();
    out.ec = run(ioc, [&]() -> asio::awaitable<boost::system::error_code> {
        auto [ec, all] = co_await api.allocations_snapshot(opts, tuple_token);
        out.clouds = all.iterable.size();
        co_return ec;
    }());
    out.elapsed_ms = ms_since(start);
    return out;
}

/// A well-formed reply nobody asked for (an empty snapshot), for the emulator to send right behind a real one.
inline std::string unrequested_empty_snapshot_reply() {
    const std::string body = R"({"iterable":[]})";
    return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
           "\r\n\r\n" + body;
}

/// Two snapshots on `cli`, the second made inside the first's completion (where the connection is handed over
/// unchecked); each must end without error and with the 3-cloud fixture's clouds.
inline void two_snapshots_back_to_back(asio::io_context& ioc, pieces::client& cli) {
    const pieces::allocations_api api(cli);
    run(ioc, [&]() -> asio::awaitable<void> {
        auto [first_ec, first] = co_await api.allocations_snapshot({}, tuple_token);
        auto [second_ec, second] = co_await api.allocations_snapshot({}, tuple_token);
        CHECK(first_ec == boost::system::error_code{});
        CHECK(first.iterable.size() == 3);
        CHECK(second_ec == boost::system::error_code{});
        CHECK(second.iterable.size() == 3);
    }());
}

}  // namespace pieces_test
