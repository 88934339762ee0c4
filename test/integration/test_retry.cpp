// The retry policy over real sockets, against the emulator: outcomes retried and not, Retry-After, the deadline
// over the whole sequence, POSTs only when opted in, and what stats() and the diagnostics say.
#include "async_test.hpp"

#include <pieces/allocations_api.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/ip/tcp.hpp>

using namespace pieces;
using namespace pieces_test;
using testing::endpoint;
using testing::fault;
using boost::system::error_code;

namespace {

retry_policy quick_retries(unsigned attempts) {
    retry_policy rp;
    rp.max_attempts = attempts;
    rp.initial_backoff = 1ms;
    rp.max_backoff = 5s;
    return rp;
}

client_config retrying(unsigned attempts, std::chrono::milliseconds timeout = 10s) {
    client_config cfg;
    cfg.retry = quick_retries(attempts);
    cfg.request_timeout = timeout;
    return cfg;
}

fault gateway_timeouts(int times, std::string retry_after = {}) {
    fault f;
    f.status = 504;
    f.body = "upstream timed out";
    f.times = times;
    if (!retry_after.empty()) f.headers.emplace_back("Retry-After", std::move(retry_after));
    return f;
}

using outcome = call_outcome;

outcome snapshot(emulator_fixture& f, call_options opts = {}) { return timed_snapshot(f.ioc, *f.cli, opts); }

outcome reconnect(emulator_fixture& f, call_options opts = {}) {
    outcome out;
    opts.diag = &out.diag;
    const allocations_api api(*f.cli);
    const auto cloud = f.emu.snapshot().iterable.at(0);
    out.ec = run(f.ioc, [&]() -> asio::awaitable<error_code> {
        auto [ec, c] = co_await api.allocations_reconnect_cloud(cloud, opts, tuple_token);
        co_return ec;
    }());
    return out;
}

}  // namespace

TEST_CASE("retry: a 504 twice then 200 succeeds in 3 attempts") {
    emulator_fixture f(retrying(3));
    f.emu.set_fault(endpoint::snapshot, gateway_timeouts(2));
    const auto r = snapshot(f);
    CHECK_FALSE(r.ec);
    CHECK(r.diag.attempts() == 3);
    CHECK(f.emu.requests(endpoint::snapshot) == 3);
    CHECK(f.cli->stats().retries == 2);
    CHECK(f.cli->stats().resends == 0);
    CHECK(f.cli->stats().connections_opened == 1);  // a 504 leaves the connection healthy
}

TEST_CASE("retry: attempts run out: the last 504 is the answer, with its diagnostics") {
    emulator_fixture f(retrying(3));
    f.emu.set_fault(endpoint::snapshot, gateway_timeouts(5));
    const auto r = snapshot(f);
    CHECK(r.ec == errc::gateway_timeout);
    CHECK(r.diag.attempts() == 3);
    CHECK(r.diag.http_status() == 504);
    CHECK(r.diag.server_message() == "upstream timed out");
    CHECK(f.emu.requests(endpoint::snapshot) == 3);
}

TEST_CASE("retry: off by default") {
    emulator_fixture f;
    f.emu.set_fault(endpoint::snapshot, gateway_timeouts(1));
    const auto r = snapshot(f);
    CHECK(r.ec == errc::gateway_timeout);
    CHECK(r.diag.attempts() == 1);
    CHECK(f.emu.requests(endpoint::snapshot) == 1);
    CHECK(f.cli->stats().retries == 0);
}

TEST_CASE("retry: Retry-After: 1 is waited") {
    emulator_fixture f(retrying(2));
    f.emu.set_fault(endpoint::snapshot, gateway_timeouts(1, "1"));
    const auto r = snapshot(f);
    CHECK_FALSE(r.ec);
    CHECK(r.diag.attempts() == 2);
    CHECK(r.elapsed_ms >= 1000);  // the drawn wait would be at most 1 ms
    CHECK(r.elapsed_ms < 3000);
}

TEST_CASE("retry: a deadline shorter than the backoff ends in request_timeout on time, without another attempt") {
    emulator_fixture f(retrying(3, 300ms));
    f.emu.set_fault(endpoint::snapshot, gateway_timeouts(-1, "3"));
    const auto r = snapshot(f);
    CHECK(r.ec == errc::request_timeout);
    CHECK(r.elapsed_ms >= 295);
    CHECK(r.elapsed_ms < 550);
    CHECK(f.emu.requests(endpoint::snapshot) == 1);
    CHECK(r.diag.attempts() == 1);
    CHECK(r.diag.client_message() ==
          "attempt 1 ended in HTTP 504; the wait before the next (3000 ms) would end after the deadline");
}

TEST_CASE("retry: a POST is not retried unless opted in; opted in, it is retried on 504") {
    emulator_fixture f(retrying(3));
    f.emu.set_fault(endpoint::reconnect, gateway_timeouts(1));
    const auto plain = reconnect(f);
    CHECK(plain.ec == errc::gateway_timeout);
    CHECK(plain.diag.attempts() == 1);
    CHECK(f.emu.requests(endpoint::reconnect) == 1);

    f.emu.set_fault(endpoint::reconnect, gateway_timeouts(1));
    call_options opted_in;
    opted_in.retry = f.cli->config().retry;
    opted_in.retry->retry_posts = true;
    const auto retried = reconnect(f, opted_in);
    CHECK_FALSE(retried.ec);
    CHECK(retried.diag.attempts() == 2);
    CHECK(f.emu.requests(endpoint::reconnect) == 3);
}

TEST_CASE("retry: the per-call policy overrides the client's") {
    emulator_fixture f;  // no retries configured
    f.emu.set_fault(endpoint::snapshot, gateway_timeouts(1));
    call_options opts;
    opts.retry = quick_retries(2);
    const auto r = snapshot(f, opts);
    CHECK_FALSE(r.ec);
    CHECK(r.diag.attempts() == 2);

    opts.retry->max_attempts = 0;  // unusable: refused before anything is sent
    const auto bad = snapshot(f, opts);
    CHECK(bad.ec == errc::invalid_argument);
    CHECK(bad.diag.client_message() == "call_options::retry.max_attempts must be >= 1");
    CHECK(f.emu.requests(endpoint::snapshot) == 2);
}

TEST_CASE("retry: a refused connection is attempted again, then ends in connection_failed") {
    // A port that refuses: bound, then closed.
    asio::io_context probe;
    asio::ip::tcp::acceptor a(probe, {asio::ip::make_address("127.0.0.1"), 0});
    const auto port = a.local_endpoint().port();
    a.close();
    client_config cfg = retrying(3);
    cfg.url = "http://127.0.0.1:" + std::to_string(port);
    asio::io_context ioc;
    client cli(ioc, cfg);
    const allocations_api api(cli);
    diagnostics diag;
    call_options opts;
    opts.diag = &diag;
    const auto ec = run(ioc, [&]() -> asio::awaitable<error_code> {
        auto [e, all] = co_await api.allocations_snapshot(opts, tuple_token);
        co_return e;
    }());
    CHECK(ec == errc::connection_failed);
    CHECK(diag.attempts() == 3);
    CHECK(cli.stats().retries == 2);
}

TEST_CASE("retry: a connection closed before any reply byte is attempted again") {
    emulator_fixture f(retrying(2));
    fault closes;
    closes.close = fault::close_mode::before_reply;
    closes.times = 1;
    f.emu.set_fault(endpoint::snapshot, closes);
    const auto r = snapshot(f);
    CHECK_FALSE(r.ec);
    CHECK(r.diag.attempts() == 2);
    CHECK(f.emu.requests(endpoint::snapshot) == 2);
}

TEST_CASE("retry: cancellation during the backoff ends at once in operation_aborted") {
    emulator_fixture f(retrying(3));
    f.emu.set_fault(endpoint::snapshot, gateway_timeouts(-1, "5"));
    const allocations_api api(*f.cli);
    asio::cancellation_signal cancel;
    error_code ec;
    bool done = false;
    const auto start = std::chrono::steady_clock::now();
    api.allocations_snapshot({}, asio::bind_cancellation_slot(cancel.slot(), [&](error_code e, Allocations) {
        ec = e;
        done = true;
    }));
    run_until(f.ioc, [&] { return f.emu.requests(endpoint::snapshot) == 1 && f.cli->stats().requests_in_flight == 0; });
    cancel.emit(asio::cancellation_type::terminal);
    run_until(f.ioc, [&] { return done; });
    CHECK(ec == asio::error::operation_aborted);
    CHECK(ms_since(start) < 1000);
    CHECK(f.emu.requests(endpoint::snapshot) == 1);
}
