// The pooled transport against the emulator over real sockets: reuse, limits, FIFO, stale-connection resends,
// deadlines in every phase, cancellation, size limits, malformed replies and injected closes.
#include "async_test.hpp"

#include "http/transport.hpp"
#include "http/body_buffers.hpp"
#include "http/connection.hpp"

#include <pieces/allocation_api.hpp>
#include <pieces/allocations_api.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/use_future.hpp>

#include <functional>
#include <future>
#include <thread>
#include <sstream>
#include <vector>

using namespace pieces;
using namespace pieces_test;
using testing::endpoint;
using testing::fault;
using boost::system::error_code;

namespace {

client_config with_pool(std::size_t max, std::chrono::milliseconds timeout = 10s) {
    client_config cfg;
    cfg.pool.max_connections = max;
    cfg.request_timeout = timeout;
    return cfg;
}

// The error code of one snapshot (success: empty code).
error_code snapshot_code(asio::io_context& ioc, const client& cli, call_options opts = {}) {
    allocations_api api(cli);
    return run(ioc, [&]() -> asio::awaitable<error_code> {
        auto [ec, all] = co_await api.allocations_snapshot(opts, tuple_token);
        co_return ec;
    }());
}

error_code snapshot_code(emulator_fixture& f, call_options opts = {}) { return snapshot_code(f.ioc, *f.cli, opts); }

// Our deadline, and no later than 100 ms after it.
void check_prompt_timeout(const error_code& ec, long long elapsed_ms, std::chrono::milliseconds timeout) {
    CHECK(ec == errc::request_timeout);
    CHECK(ec == condition::timed_out);
    CHECK(elapsed_ms >= timeout.count() - 5);
    CHECK(elapsed_ms < timeout.count() + 100);
}

// One snapshot with a given timeout: its code and how long it took.
std::pair<error_code, long long> timed_snapshot(emulator_fixture& f, std::chrono::milliseconds timeout) {
    const auto start = std::chrono::steady_clock::now();
    call_options opts;
    opts.timeout = timeout;
    const auto ec = snapshot_code(f, opts);
    return {ec, ms_since(start)};
}

}  // namespace

TEST_CASE("sequential requests reuse one connection") {
    emulator_fixture f;
    allocations_api api(*f.cli);
    run(f.ioc, [&]() -> asio::awaitable<void> {
        for (int i = 0; i < 20; ++i) {
            auto all = co_await api.allocations_snapshot();
            CHECK(all.iterable.size() == 3);
        }
    }());
    CHECK(f.emu.connections_accepted() == 1);
    const auto s = f.cli->stats();
    CHECK(s.connections_opened == 1);
    CHECK(s.reuses == 19);
    CHECK(s.requests_in_flight == 0);
    CHECK(s.connections_open == 1);
}

TEST_CASE("an idle connection is peeked before reuse, unless a GET made in the completion that gave it back takes it") {
    emulator_fixture f;
    allocations_api api(*f.cli);
    auto& impl = *pieces::detail::access::impl(*f.cli);
    impl.handover_limit = 10s;  // what is asserted is the rule, not how fast a sanitizer build runs
    const auto cloud = f.emu.snapshot().iterable.at(0);
    // A poller: each request is made inside the completion of the one before (the coroutine resumes there).
    run(f.ioc, [&]() -> asio::awaitable<void> {
        for (int i = 0; i < 5; ++i) {
            auto all = co_await api.allocations_snapshot();
            CHECK(all.iterable.size() == 3);
        }
    }());
    CHECK(f.cli->stats().reuses == 4);
    CHECK(impl.reuse_peeks == 0);

    // A POST made there is peeked all the same (it is not sent again if the connection turns out closed).
    run(f.ioc, [&]() -> asio::awaitable<void> {
        const auto before = co_await api.allocations_snapshot();  // peeked: run() returned since the last request
        const auto disconnected = co_await api.allocations_disconnect_cloud(cloud);
        const auto after = co_await api.allocations_snapshot();
        CHECK(before.iterable.size() == 3);
        CHECK(disconnected == cloud.id);
        CHECK(after.iterable.size() == 3);
    }());
    CHECK(f.cli->stats().reuses == 7);
    CHECK(impl.reuse_peeks == 2);

    // Requests made after the completion returned (posted from it): the connection sat idle, however briefly.
    int left = 3;
    std::vector<error_code> codes;
    std::function<void()> next = [&] {
        api.allocations_snapshot({}, [&](error_code ec, Allocations) {
            codes.push_back(ec);
            if (--left > 0) asio::post(f.ioc, next);
        });
    };
    asio::post(f.ioc, next);
    run_until(f.ioc, [&] { return left == 0; });
    CHECK(codes == std::vector<error_code>(3));
    CHECK(f.cli->stats().reuses == 10);
    CHECK(impl.reuse_peeks == 5);
    CHECK(f.emu.connections_accepted() == 1);
}

TEST_CASE("user code and decoding run inside the client's strand no more: callback, awaitable, immediate failure") {
    emulator_fixture f;
    allocations_api api(*f.cli);
    const auto* strand_of_client = pieces::detail::access::impl(*f.cli)->strand.target<asio::strand<asio::io_context::executor_type>>();
    REQUIRE(strand_of_client);
    const auto& strand = *strand_of_client;
    std::optional<bool> callback_in_strand;
    api.allocations_snapshot({}, [&](error_code ec, Allocations all) {
        CHECK_FALSE(ec);
        CHECK(all.iterable.size() == 3);
        callback_in_strand = strand.running_in_this_thread();
    });
    run_until(f.ioc, [&] { return callback_in_strand.has_value(); });
    CHECK(callback_in_strand == false);

    bool coroutine_in_strand = true;
    run(f.ioc, [&]() -> asio::awaitable<void> {
        const auto all = co_await api.allocations_snapshot();
        CHECK(all.iterable.size() == 3);
        coroutine_in_strand = strand.running_in_this_thread();
    }());
    CHECK_FALSE(coroutine_in_strand);

    std::optional<bool> failure_in_strand;
    allocation_api(*f.cli).allocation_snapshot("", {}, [&](error_code ec, AllocationCloud) {
        CHECK(ec == errc::invalid_argument);
        failure_in_strand = strand.running_in_this_thread();
    });
    run_until(f.ioc, [&] { return failure_in_strand.has_value(); });
    CHECK(failure_in_strand == false);
}

// Issue: on a 2-thread io_context, a callback that waited on another request of the same client never saw it
// complete: the callback held the strand, so neither that request nor the deadline timer could run.
TEST_CASE("user code and decoding run inside the client's strand no more: a handler that blocks on another request") {
    asio::io_context ioc(2);
    testing::emulator emu(ioc.get_executor());
    emu.seed(from_json<Allocations>(read_fixture("allocations.json")));
    client_config cfg;
    cfg.url = emu.url();
    cfg.request_timeout = 3s;
    client cli(ioc, cfg);
    allocations_api api(cli);
    std::promise<std::pair<std::future_status, std::size_t>> outcome;
    auto waited = outcome.get_future();
    api.allocations_snapshot({}, [&](error_code ec, Allocations) {
        CHECK_FALSE(ec);
        auto inner = api.allocations_snapshot({}, asio::use_future);
        const auto status = inner.wait_for(5s);
        outcome.set_value({status, status == std::future_status::ready ? inner.get().iterable.size() : 0});
    });
    auto guard = asio::make_work_guard(ioc);
    std::thread a([&] { ioc.run(); }), b([&] { ioc.run(); });
    const auto [status, clouds] = waited.get();
    guard.reset();
    emu.stop();
    ioc.stop();
    a.join();
    b.join();
    CHECK(status == std::future_status::ready);
    CHECK(clouds == 3);
}

TEST_CASE("a reply body is read into the memory the decoded one before it gave back") {
    emulator_fixture f;
    for (int i = 0; i < 8; ++i) (void)detail::take_body_buffer();  // whatever earlier cases left on this thread
    std::string buffer(8192, 'x');
    const char* memory = buffer.data();
    detail::give_back_body_buffer(std::move(buffer));
    // The completion runs on this thread: the reply is read into `memory`, which is given back after decoding.
    REQUIRE_FALSE(snapshot_code(f));
    const std::string after = detail::take_body_buffer();
    CHECK(after.data() == memory);
    CHECK(after.capacity() >= 8192);
}

TEST_CASE("the pool is lazy") {
    emulator_fixture f;
    // A connection of our own, made after the client: once the emulator has accepted it, it would have
    // accepted one the client opened at construction too (the kernel queues them in order).
    asio::ip::tcp::socket own(f.ioc);
    own.async_connect({asio::ip::make_address("127.0.0.1"), f.emu.port()}, [](error_code ec) { REQUIRE_FALSE(ec); });
    run_until(f.ioc, [&] { return f.emu.connections_accepted() >= 1; });
    f.ioc.poll();
    CHECK(f.emu.connections_accepted() == 1);
    CHECK(f.cli->stats().connections_opened == 0);
    CHECK(f.cli->stats().connections_open == 0);
}

TEST_CASE("the pool never exceeds max_connections under 10x concurrent requests") {
    emulator_fixture f(with_pool(4));
    fault slow;
    slow.latency = 20ms;
    f.emu.set_fault(endpoint::snapshot, slow);
    allocations_api api(*f.cli);
    int ok = 0, finished = 0;
    std::size_t peak_waiting = 0;
    for (int i = 0; i < 40; ++i)
        asio::co_spawn(f.ioc, [&]() -> asio::awaitable<void> {
            auto [ec, all] = co_await api.allocations_snapshot(call_options{}, tuple_token);
            ok += !ec && all.iterable.size() == 3;
            ++finished;
        }, [](std::exception_ptr e) { if (e) std::rethrow_exception(e); });
    run_until(f.ioc, [&] {
        peak_waiting = std::max(peak_waiting, f.cli->stats().requests_waiting);
        CHECK(f.cli->stats().connections_open <= 4);
        return finished == 40;
    });
    CHECK(ok == 40);
    CHECK(f.emu.connections_accepted() == 4);
    CHECK(f.cli->stats().connections_opened == 4);
    CHECK(peak_waiting >= 30);
}

TEST_CASE("waiting requests are served in FIFO order") {
    emulator_fixture f(with_pool(1));
    allocation_api api(*f.cli);
    std::vector<int> order;
    for (int i = 0; i < 25; ++i)
        asio::co_spawn(f.ioc, [&, i]() -> asio::awaitable<void> {
            auto [ec, cloud] = co_await api.allocation_snapshot("id-" + std::to_string(i), call_options{}, tuple_token);
            CHECK(ec == errc::cloud_not_found);
            order.push_back(i);
        }, [](std::exception_ptr e) { if (e) std::rethrow_exception(e); });
    run_until(f.ioc, [&] { return order.size() == 25; });
    std::vector<int> expected(25);
    for (int i = 0; i < 25; ++i) expected[i] = i;
    CHECK(order == expected);
}

TEST_CASE("a pooled connection the server closed is not reused: seen before sending, even for a POST") {
    emulator_fixture f;
    const auto port = f.emu.port();
    const auto cloud = f.emu.snapshot().iterable.at(0);
    REQUIRE_FALSE(snapshot_code(f));
    // Restart the server on the same port: the pooled connection is now closed by its peer.
    f.emu.stop();
    f.ioc.restart();
    f.ioc.poll();
    testing::emulator restarted(f.ioc.get_executor(), testing::emulator_options{.port = port});
    restarted.seed(f.emu.snapshot());
    allocations_api api(*f.cli);
    const auto ec = run(f.ioc, [&]() -> asio::awaitable<error_code> {
        auto [e, id] = co_await api.allocations_disconnect_cloud(cloud, {}, tuple_token);
        co_return e;
    }());
    CHECK_FALSE(ec);
    CHECK(restarted.requests(endpoint::disconnect) == 1);
    CHECK(f.cli->stats().resends == 0);
    CHECK(f.cli->stats().retries == 0);
    CHECK(f.cli->stats().connections_opened == 2);
}

// The server closes a kept-alive connection just as the request goes out (a race no check before sending
// can see): a GET is resent once on a fresh connection; a POST whose bytes were written is not.
TEST_CASE("a kept-alive connection closed before any reply byte is resent for GET") {
    emulator_fixture f;
    REQUIRE_FALSE(snapshot_code(f));
    fault close_once;
    close_once.close = fault::close_mode::before_reply;
    close_once.times = 1;
    f.emu.set_fault(endpoint::snapshot, close_once);
    CHECK_FALSE(snapshot_code(f));
    CHECK(f.cli->stats().resends == 1);
    CHECK(f.cli->stats().retries == 0);  // no retry policy: the resend is not one of its attempts
    CHECK(f.emu.requests(endpoint::snapshot) == 3);  // the warm-up, the one closed on, the retry
}

TEST_CASE("a kept-alive connection closed before any reply byte is not retried for a POST") {
    emulator_fixture f;
    const auto cloud = f.emu.snapshot().iterable.at(0);
    REQUIRE_FALSE(snapshot_code(f));
    fault close_once;
    close_once.close = fault::close_mode::before_reply;
    close_once.times = 1;
    f.emu.set_fault(endpoint::disconnect, close_once);
    allocations_api api(*f.cli);
    const auto ec = run(f.ioc, [&]() -> asio::awaitable<error_code> {
        auto [e, id] = co_await api.allocations_disconnect_cloud(cloud, {}, tuple_token);
        co_return e;
    }());
    CHECK(ec == errc::connection_closed);
    CHECK(f.cli->stats().resends == 0);
    CHECK(f.cli->stats().retries == 0);
    CHECK(f.emu.requests(endpoint::disconnect) == 1);  // it was sent: sending it again could act twice
    CHECK_FALSE(snapshot_code(f));  // the next request opens a fresh connection
}

TEST_CASE("deadline while waiting for a connection") {
    emulator_fixture f(with_pool(1));
    fault slow;
    slow.latency = 3s;
    slow.times = 1;
    f.emu.set_fault(endpoint::snapshot, slow);
    allocations_api api(*f.cli);
    std::optional<error_code> first;
    api.allocations_snapshot({}, [&](error_code ec, Allocations) { first = ec; });
    run_until(f.ioc, [&] { return f.cli->stats().requests_in_flight == 1; });
    const auto [ec, elapsed] = timed_snapshot(f, 200ms);
    check_prompt_timeout(ec, elapsed, 200ms);
    CHECK(f.cli->stats().requests_waiting == 0);
    f.cli->cancel();
    run_until(f.ioc, [&] { return first.has_value(); });
    CHECK(*first == asio::error::operation_aborted);
}

TEST_CASE("deadline while connecting to a listener that never accepts") {
    // A listener with a full backlog: the kernel drops further SYNs, so connect() hangs.
    asio::io_context ioc;
    asio::ip::tcp::acceptor blackhole(ioc, asio::ip::tcp::v4());
    blackhole.bind({asio::ip::make_address("127.0.0.1"), 0});
    blackhole.listen(0);
    std::vector<std::unique_ptr<asio::ip::tcp::socket>> fillers;
    for (int i = 0; i < 4; ++i) {
        fillers.push_back(std::make_unique<asio::ip::tcp::socket>(ioc));
        fillers.back()->async_connect(blackhole.local_endpoint(), [](error_code) {});
    }
    client_config cfg;
    cfg.url = "http://127.0.0.1:" + std::to_string(blackhole.local_endpoint().port());
    client cli(ioc, cfg);
    const auto start = std::chrono::steady_clock::now();
    call_options opts;
    opts.timeout = 300ms;
    const auto ec = snapshot_code(ioc, cli, opts);
    check_prompt_timeout(ec, ms_since(start), 300ms);
    CHECK(cli.stats().connections_opened == 0);  // it timed out connecting, not later
}

TEST_CASE("deadline while waiting for slow headers") {
    emulator_fixture f;
    fault slow;
    slow.latency = 3s;
    f.emu.set_fault(endpoint::snapshot, slow);
    const auto [ec, elapsed] = timed_snapshot(f, 250ms);
    check_prompt_timeout(ec, elapsed, 250ms);
    f.emu.clear_faults();
    CHECK_FALSE(snapshot_code(f));
    CHECK(f.cli->stats().connections_opened == 2);  // the timed-out connection was closed, not reused
}

TEST_CASE("deadline while a body trickles in") {
    emulator_fixture f;
    fault trickle;  // the header (~120 bytes) comes in the first write, the 1.9 KB body over ~800 ms
    trickle.trickle_interval = 100ms;
    trickle.trickle_bytes = 256;
    f.emu.set_fault(endpoint::snapshot, trickle);
    const auto [ec, elapsed] = timed_snapshot(f, 300ms);
    check_prompt_timeout(ec, elapsed, 300ms);
}

TEST_CASE("a trickled reply that fits the deadline succeeds") {
    emulator_fixture f;
    fault trickle;  // ~32 writes 10 ms apart: ~300 ms of a 1 s deadline
    trickle.trickle_interval = 10ms;
    trickle.trickle_bytes = 64;
    f.emu.set_fault(endpoint::snapshot, trickle);
    const auto [ec, elapsed] = timed_snapshot(f, 1s);
    CHECK_FALSE(ec);
    CHECK(elapsed >= 250);
}

TEST_CASE("cancellation with || ends the request, and the next request works") {
    using namespace asio::experimental::awaitable_operators;
    emulator_fixture f;
    fault slow;
    slow.latency = 3s;
    slow.times = 1;
    f.emu.set_fault(endpoint::snapshot, slow);
    allocations_api api(*f.cli);
    const auto start = std::chrono::steady_clock::now();
    const auto winner = run(f.ioc, [&]() -> asio::awaitable<std::size_t> {
        asio::steady_timer timer(co_await asio::this_coro::executor, 100ms);
        auto r = co_await (api.allocations_snapshot() || timer.async_wait(asio::use_awaitable));
        co_return r.index();
    }());
    CHECK(winner == 1);
    CHECK(ms_since(start) < 600);
    CHECK(f.cli->stats().requests_in_flight == 0);
    CHECK_FALSE(snapshot_code(f));
}

TEST_CASE("a cancelled request reports operation_aborted") {
    emulator_fixture f;
    fault slow;
    slow.latency = 3s;
    f.emu.set_fault(endpoint::snapshot, slow);
    allocations_api api(*f.cli);
    asio::cancellation_signal signal;
    std::optional<error_code> result;
    api.allocations_snapshot({}, asio::bind_cancellation_slot(signal.slot(), [&](error_code ec, Allocations) { result = ec; }));
    run_until(f.ioc, [&] { return f.cli->stats().requests_in_flight == 1; });
    signal.emit(asio::cancellation_type::terminal);
    run_until(f.ioc, [&] { return result.has_value(); }, 1s);
    CHECK(*result == asio::error::operation_aborted);
}

TEST_CASE("a body over the limit is response_too_large") {
    client_config cfg;
    cfg.max_body_size = 200;
    emulator_fixture f(cfg);
    diagnostics diag;
    call_options opts;
    opts.diag = &diag;
    CHECK(snapshot_code(f, opts) == errc::response_too_large);
    CHECK(diag.client_message().find("max_body_size") != std::string::npos);
    fault chunked;
    chunked.chunked = true;
    f.emu.set_fault(endpoint::snapshot, chunked);
    CHECK(snapshot_code(f) == errc::response_too_large);
}

TEST_CASE("a chunked reply within limits decodes") {
    emulator_fixture f;
    fault chunked;
    chunked.chunked = true;
    f.emu.set_fault(endpoint::snapshot, chunked);
    CHECK_FALSE(snapshot_code(f));
    CHECK_FALSE(snapshot_code(f));
    CHECK(f.emu.connections_accepted() == 1);
    // Chunks written by hand (the emulator's writer might not chunk at all): the body in three chunks.
    const std::string body = R"({"iterable":[],"schema":{"migration":0,"semantic":"MAJOR_0_MINOR_0_PATCH_1"}})";
    const auto chunk = [](const std::string& data) {
        std::ostringstream hex;
        hex << std::hex << data.size();
        return hex.str() + "\r\n" + data + "\r\n";
    };
    fault by_hand;
    by_hand.raw_reply = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" +
                        chunk(body.substr(0, 13)) + chunk(body.substr(13, 1)) + chunk(body.substr(14)) + "0\r\n\r\n";
    f.emu.set_fault(endpoint::snapshot, by_hand);
    allocations_api api(*f.cli);
    const auto all = run(f.ioc, api.allocations_snapshot());
    CHECK(all.iterable.empty());
    REQUIRE(all.schema.has_value());
    CHECK(all.schema->migration == 0);
}

TEST_CASE("a malformed reply is malformed_http") {
    emulator_fixture f;
    fault bad;
    bad.raw_reply = "HTTP/1.1 200 OK\r\nContent-Length: banana\r\n\r\n{}";
    f.emu.set_fault(endpoint::snapshot, bad);
    CHECK(snapshot_code(f) == errc::malformed_http);
    bad.raw_reply = "SSH-2.0-OpenSSH_9.2\r\n";
    f.emu.set_fault(endpoint::snapshot, bad);
    CHECK(snapshot_code(f) == errc::malformed_http);
}

TEST_CASE("each injected close is connection_closed, and the client recovers") {
    const std::pair<fault::close_mode, const char*> closes[] = {{fault::close_mode::before_reply, "end of stream"},
                                                               {fault::close_mode::after_headers, "partial message"},
                                                               {fault::close_mode::mid_body, "partial message"}};
    for (const auto& [mode, detail] : closes) {
        emulator_fixture f;
        fault close;
        close.close = mode;
        close.times = 1;
        f.emu.set_fault(endpoint::snapshot, close);
        diagnostics diag;
        call_options opts;
        opts.diag = &diag;
        CHECK(snapshot_code(f, opts) == errc::connection_closed);
        CHECK(diag.client_message() == detail);  // where the reply was cut
        CHECK_FALSE(snapshot_code(f));
    }
}

TEST_CASE("Connection: close and close-after-N are honoured without errors") {
    emulator_fixture f;
    fault close_after;
    close_after.close_after_requests = 3;
    f.emu.set_fault(endpoint::snapshot, close_after);
    for (int i = 0; i < 9; ++i) CHECK_FALSE(snapshot_code(f));
    CHECK(f.emu.connections_accepted() == 3);
    CHECK(f.cli->stats().resends == 0);
    CHECK(f.cli->stats().retries == 0);

    fault close;
    close.connection_close = true;
    f.emu.set_fault(endpoint::snapshot, close);
    for (int i = 0; i < 3; ++i) CHECK_FALSE(snapshot_code(f));
    CHECK(f.emu.connections_accepted() == 6);
}

TEST_CASE("max_requests_per_connection closes after N requests") {
    client_config cfg;
    cfg.pool.max_requests_per_connection = 2;
    emulator_fixture f(cfg);
    for (int i = 0; i < 6; ++i) CHECK_FALSE(snapshot_code(f));
    CHECK(f.emu.connections_accepted() == 3);
}

TEST_CASE("connection refused is connection_failed") {
    asio::io_context ioc;
    asio::ip::tcp::acceptor probe(ioc, {asio::ip::make_address("127.0.0.1"), 0});
    const auto port = probe.local_endpoint().port();
    probe.close();
    client_config cfg;
    cfg.url = "http://127.0.0.1:" + std::to_string(port);
    client cli(ioc, cfg);
    diagnostics diag;
    call_options opts;
    opts.diag = &diag;
    CHECK(snapshot_code(ioc, cli, opts) == errc::connection_failed);
    CHECK(diag.client_message().find("refused") != std::string::npos);
}

TEST_CASE("after cancel() every pending request has completed") {
    emulator_fixture f(with_pool(4));
    fault slow;
    slow.latency = 5s;
    f.emu.set_fault(endpoint::snapshot, slow);
    allocations_api api(*f.cli);
    std::vector<error_code> results;
    for (int i = 0; i < 20; ++i)
        api.allocations_snapshot({}, [&](error_code ec, Allocations) { results.push_back(ec); });
    run_until(f.ioc, [&] {
        const auto s = f.cli->stats();
        return s.requests_in_flight == 4 && s.requests_waiting == 16;
    });
    const auto start = std::chrono::steady_clock::now();
    f.cli->cancel();
    run_until(f.ioc, [&] { return results.size() == 20; }, 2s);
    CHECK(ms_since(start) < 500);
    for (const auto& ec : results) CHECK(ec == asio::error::operation_aborted);
    const auto s = f.cli->stats();
    CHECK(s.requests_in_flight == 0);
    CHECK(s.requests_waiting == 0);
    f.emu.clear_faults();
    CHECK_FALSE(snapshot_code(f));  // the client stays usable
}

TEST_CASE("destroying the client completes pending requests with operation_aborted") {
    emulator_fixture f(with_pool(2));
    fault slow;
    slow.latency = 5s;
    f.emu.set_fault(endpoint::snapshot, slow);
    std::vector<error_code> results;
    std::optional<error_code> late;
    {
        allocations_api api(*f.cli);
        for (int i = 0; i < 6; ++i)
            api.allocations_snapshot({}, [&](error_code ec, Allocations) { results.push_back(ec); });
        run_until(f.ioc, [&] { return f.cli->stats().requests_waiting == 4; });
        f.cli.reset();
        // An API object that outlives its client is refused.
        api.allocations_snapshot({}, [&](error_code ec, Allocations) { late = ec; });
    }
    run_until(f.ioc, [&] { return results.size() == 6 && late.has_value(); }, 2s);
    for (const auto& ec : results) CHECK(ec == asio::error::operation_aborted);
    CHECK(*late == errc::client_closed);
}

TEST_CASE("request headers: Host, User-Agent, Accept, X-Application-ID, Authorization") {
    client_config cfg;
    cfg.application_id = "my-app";
    cfg.access_token = "tok";
    emulator_fixture f(cfg);
    REQUIRE_FALSE(snapshot_code(f));
    CHECK(f.emu.last_request_header("Host") == "127.0.0.1:" + std::to_string(f.emu.port()));
    CHECK(f.emu.last_request_header("User-Agent") == std::string("pieces-allocations/") + version_string);
    CHECK(f.emu.last_request_header("Accept") == "application/json, text/plain");
    CHECK(f.emu.last_request_header("X-Application-ID") == "my-app");
    CHECK(f.emu.last_request_header("Authorization") == "Bearer tok");
}

TEST_CASE("invalid configurations are refused before any request") {
    asio::io_context ioc;
    auto refused = [&](client_config cfg, errc expected) {
        try {
            client c(ioc, cfg);
            FAIL("accepted an invalid config");
        } catch (const error_with_diagnostics& e) {
            CHECK(e.code() == expected);
            CHECK_FALSE(e.get_diagnostics().client_message().empty());
        }
    };
    client_config cfg;
    cfg.application_id = "bad\r\nX-Evil: 1";
    refused(cfg, errc::invalid_header_value);
    cfg = {};
    cfg.access_token = std::string("a\0b", 3);
    refused(cfg, errc::invalid_header_value);
    cfg = {};
    cfg.url = "ftp://127.0.0.1:1";
    refused(cfg, errc::invalid_config);
    cfg = {};
    cfg.url = "https://127.0.0.1:1";
    cfg.tls.ca_file = "/nonexistent.pem";  // https:// is taken (test_tls.cpp), its files checked
    refused(cfg, errc::invalid_config);
    cfg = {};
    cfg.url = "not a url";
    refused(cfg, errc::invalid_config);
    cfg = {};
    cfg.pool.max_connections = 0;
    refused(cfg, errc::invalid_config);
    cfg = {};
    cfg.request_timeout = 0ms;
    refused(cfg, errc::invalid_config);
}

TEST_CASE("bytes after a reply: the connection is not reused, and each request gets its own reply") {
    emulator_fixture f;
    // After each real reply, in the same write, a well-formed reply nobody asked for (an empty snapshot).
    fault twice;
    twice.trailing_bytes = unrequested_empty_snapshot_reply();
    f.emu.set_fault(endpoint::snapshot, twice);
    allocations_api api(*f.cli);
    run(f.ioc, [&]() -> asio::awaitable<void> {
        for (int i = 0; i < 3; ++i) {
            auto all = co_await api.allocations_snapshot();
            CHECK(all.iterable.size() == 3);
        }
    }());
    CHECK(f.emu.requests(endpoint::snapshot) == 3);
    CHECK(f.emu.connections_accepted() == 3);
    const auto s = f.cli->stats();
    CHECK(s.connections_opened == 3);
    CHECK(s.reuses == 0);
    CHECK(s.connections_open == 0);
}

TEST_CASE("hostile: a stray reply right behind a reply that ends where the read ends is not read as the next reply") {
    emulator_fixture f;
    pieces::detail::access::impl(*f.cli)->handover_limit = 10s;  // the unchecked hand-over is the path under test, however slow the build
    fault stray;
    stray.trailing_bytes = unrequested_empty_snapshot_reply();
    // The client's first read on a new connection asks for 16384 bytes (its 16 KiB read buffer): the reply
    // fills it exactly, and the stray reply waits unread in the socket, not in the client's buffer.
    stray.wire_size = 16384;
    stray.times = 1;
    f.emu.set_fault(endpoint::snapshot, stray);
    two_snapshots_back_to_back(f.ioc, *f.cli);
    CHECK(f.cli->stats().connections_opened == 2);
    CHECK(f.emu.requests(endpoint::snapshot) == 2);
}

TEST_CASE("Keep-Alive: timeout= from the server: a huge value is clamped, 0 means no reuse") {
    // Two snapshots answered with this Keep-Alive field: how many TCP connections the emulator accepted.
    const auto connections_for = [](const char* keep_alive) {
        emulator_fixture f;
        fault ka;
        ka.headers = {{"Keep-Alive", keep_alive}};
        f.emu.set_fault(endpoint::snapshot, ka);
        REQUIRE_FALSE(snapshot_code(f));
        REQUIRE_FALSE(snapshot_code(f));
        CHECK(f.cli->stats().reuses + f.emu.connections_accepted() == 2);
        return f.emu.connections_accepted();
    };
    // Would overflow the clock: the configured idle timeout holds.
    CHECK(connections_for("timeout=99999999999, max=1000") == 1);
    // The idle connection has expired by the next request.
    CHECK(connections_for("timeout=0") == 2);
}

TEST_CASE("milliseconds::max() as every timeout means no deadline, and requests complete normally") {
    client_config cfg;
    cfg.request_timeout = std::chrono::milliseconds::max();
    cfg.pool.connect_timeout = std::chrono::milliseconds::max();
    cfg.pool.idle_timeout = std::chrono::milliseconds::max();
    emulator_fixture f(cfg);
    allocations_api api(*f.cli);
    call_options per_call;
    per_call.timeout = std::chrono::milliseconds::max();
    // (No co_await inside CHECK: g++ 12 evaluates the operand of Catch's `false && (...)` guard too.)
    CHECK(run(f.ioc, api.allocations_snapshot()).iterable.size() == 3);
    CHECK(run(f.ioc, api.allocations_snapshot(per_call)).iterable.size() == 3);
    CHECK(f.emu.requests(endpoint::snapshot) == 2);
    CHECK(f.cli->stats().reuses == 1);  // the idle limit did not wrap around either
}

TEST_CASE("a per-call timeout <= 0 is invalid_argument, and nothing is sent") {
    emulator_fixture f;
    for (auto t : {0ms, -5ms}) {
        diagnostics diag;
        call_options opts;
        opts.timeout = t;
        opts.diag = &diag;
        CHECK(snapshot_code(f, opts) == errc::invalid_argument);
        CHECK(diag.client_message() == "call_options::timeout must be > 0");
        CHECK(diag.endpoint() == "GET /allocations");
    }
    CHECK(f.emu.requests(endpoint::snapshot) == 0);
    CHECK(f.emu.connections_accepted() == 0);
}

#if !PIECES_WITH_TLS
TEST_CASE("built without TLS, an https:// URL is refused as invalid_config, saying why") {
    client_config cfg;
    cfg.url = "https://127.0.0.1:39300";
    diagnostics diag;
    CHECK(validate(cfg, &diag) == errc::invalid_config);
    CHECK(diag.client_message().find("no TLS") != std::string::npos);
    cfg.url = "http://127.0.0.1:39300";
    CHECK_FALSE(validate(cfg));
}
#endif

// Issue: a connection handed straight to a waiting request was never checked: with one connection, a GET in
// flight and a POST waiting, a server that answered keep-alive and then closed made the POST fail with
// connection_closed, unseen by the server.
TEST_CASE("a connection handed to a waiting request is checked: a POST never goes into one the server closed") {
    client_config cfg;
    cfg.pool.max_connections = 1;
    emulator_fixture f(cfg);
    allocations_api api(*f.cli);
    const auto cloud = f.emu.snapshot().iterable.at(0);
    fault fin;
    fin.close_after_reply = true;  // a keep-alive reply, then FIN
    fin.times = 1;
    f.emu.set_fault(endpoint::snapshot, fin);
    std::optional<error_code> get_ec, post_ec;
    api.allocations_snapshot({}, [&](error_code ec, Allocations) { get_ec = ec; });
    api.allocations_disconnect_cloud(cloud, {}, [&](error_code ec, std::string) { post_ec = ec; });
    run_until(f.ioc, [&] { return get_ec && post_ec; });
    CHECK_FALSE(*get_ec);
    CHECK_FALSE(*post_ec);
    CHECK(f.emu.requests(endpoint::disconnect) == 1);  // the POST reached the server ...
    CHECK(f.emu.connections_accepted() == 2);           // ... on a new connection
    CHECK(pieces::detail::access::impl(*f.cli)->reuse_peeks == 1);             // the one handed over was peeked
}

// Issue: the read buffer never shrank: one reply with a large header pinned its size on a pooled connection.
TEST_CASE("the connection read buffer is unbounded no more: it shrinks back after a large reply") {
    client_config cfg;
    cfg.max_header_size = 1024 * 1024;
    emulator_fixture f(cfg);
    fault big;
    for (int i = 0; i < 5; ++i) big.headers.emplace_back("X-Big-" + std::to_string(i), std::string(60000, 'b'));
    big.times = 1;
    f.emu.set_fault(endpoint::snapshot, big);
    diagnostics diag;
    call_options opts;
    opts.diag = &diag;
    const auto ec = snapshot_code(f, opts);
    INFO(diag.client_message());
    REQUIRE_FALSE(ec);
    auto& impl = *pieces::detail::access::impl(*f.cli);
    auto idle = impl.pool.take_all_idle();
    REQUIRE(idle.size() == 1);  // kept alive: reusable
    CHECK(idle.front()->buffer.capacity() <= 4 * detail::connection::read_buffer_capacity);
    for (auto& c : idle) detail::close_connection(impl, *c);
}
