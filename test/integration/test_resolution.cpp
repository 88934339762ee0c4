// Name resolution under the request's deadline, pool.connect_timeout and cancellation, with the system's
// lookup replaced by one the test controls (a lookup that never ends cannot be had from a real resolver
// on demand); and the pool slot of a request that ends in an exception.
#include "async_test.hpp"

#include "http/transport.hpp"

#include <pieces/allocations_api.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/post.hpp>

#include <stdexcept>

using namespace pieces;
using namespace pieces_test;
using boost::system::error_code;
using tcp = asio::ip::tcp;
using resolve_handler = detail::transport::resolve_handler;

namespace {

// A client for a host name, on the emulator's port, whose lookups go to `lookup`.
struct named_host_fixture : emulator_fixture {
    explicit named_host_fixture(client_config cfg = {}) {
        cfg.url = "http://pieces-os.invalid:" + std::to_string(emu.port());
        named.emplace(ioc, cfg);
        pieces::detail::access::impl(*named)->resolve_override = [this](const std::string& host, const std::string& service,
                                                 resolve_handler h) {
            ++lookups;
            CHECK(host == "pieces-os.invalid");
            CHECK(service == std::to_string(emu.port()));
            lookup(std::move(h));
        };
    }

    // Answers with the emulator's address, later (as an asynchronous lookup does).
    void answer(resolve_handler h) {
        const tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), emu.port());
        asio::post(ioc, [h = std::move(h), ep, port = std::to_string(emu.port())]() mutable {
            std::move(h)(error_code{}, tcp::resolver::results_type::create(ep, "pieces-os.invalid", port));
        });
    }

    std::pair<error_code, long long> timed_snapshot(call_options opts = {}) {
        allocations_api api(*named);
        const auto start = std::chrono::steady_clock::now();
        const auto ec = run(ioc, [&]() -> asio::awaitable<error_code> {
            auto [e, all] = co_await api.allocations_snapshot(opts, tuple_token);
            co_return e;
        }());
        return {ec, ms_since(start)};
    }

    std::function<void(resolve_handler)> lookup;
    std::vector<resolve_handler> never_answered;
    int lookups = 0;
    std::optional<client> named;
};

}  // namespace

TEST_CASE("a lookup that answers: the request goes to the address it gave, and the answer is kept") {
    named_host_fixture f;
    f.lookup = [&](resolve_handler h) { f.answer(std::move(h)); };
    const auto [first, first_ms] = f.timed_snapshot();
    CHECK_FALSE(first);
    CHECK(first_ms < 1000);
    CHECK_FALSE(f.timed_snapshot().first);
    CHECK(f.lookups == 1);
    CHECK(f.emu.requests(testing::endpoint::snapshot) == 2);
}

TEST_CASE("a host name that never resolves ends in request_timeout within the deadline") {
    client_config cfg;
    cfg.request_timeout = 300ms;
    named_host_fixture f(cfg);
    f.lookup = [&](resolve_handler h) { f.never_answered.push_back(std::move(h)); };
    const auto [ec, elapsed] = f.timed_snapshot();
    CHECK(ec == errc::request_timeout);
    CHECK(elapsed >= 295);
    CHECK(elapsed < 400);
    CHECK(f.lookups == 1);
    CHECK(f.named->stats().requests_in_flight == 0);
}

TEST_CASE("pool.connect_timeout bounds the lookup: connection_failed, saying why") {
    client_config cfg;
    cfg.request_timeout = 10s;
    cfg.pool.connect_timeout = 200ms;
    named_host_fixture f(cfg);
    f.lookup = [&](resolve_handler h) { f.never_answered.push_back(std::move(h)); };
    diagnostics diag;
    call_options opts;
    opts.diag = &diag;
    const auto [ec, elapsed] = f.timed_snapshot(opts);
    CHECK(ec == errc::connection_failed);
    CHECK(diag.client_message() == "resolving pieces-os.invalid took longer than pool.connect_timeout");
    CHECK(elapsed >= 195);
    CHECK(elapsed < 300);
}

TEST_CASE("a lookup that fails is connection_failed naming the host") {
    named_host_fixture f;
    f.lookup = [&](resolve_handler h) {
        asio::post(f.ioc, [h = std::move(h)]() mutable { std::move(h)(asio::error::host_not_found, tcp::resolver::results_type{}); });
    };
    diagnostics diag;
    call_options opts;
    opts.diag = &diag;
    CHECK(f.timed_snapshot(opts).first == errc::connection_failed);
    CHECK(diag.client_message().rfind("cannot resolve pieces-os.invalid: ", 0) == 0);
}

TEST_CASE("a request cancelled while its host name is being resolved ends at once") {
    client_config cfg;
    cfg.request_timeout = 10s;
    named_host_fixture f(cfg);
    asio::cancellation_signal cancel;
    f.lookup = [&](resolve_handler h) {
        f.never_answered.push_back(std::move(h));
        asio::post(f.ioc, [&] { cancel.emit(asio::cancellation_type::terminal); });  // once the lookup runs
    };
    allocations_api api(*f.named);
    std::optional<error_code> result;
    const auto start = std::chrono::steady_clock::now();
    api.allocations_snapshot(call_options{}, asio::bind_cancellation_slot(cancel.slot(), [&](error_code ec, Allocations) {
                                 result = ec;
                             }));
    run_until(f.ioc, [&] { return result.has_value(); });
    CHECK(*result == asio::error::operation_aborted);
    CHECK(ms_since(start) < 100);
    CHECK(f.lookups == 1);
}

TEST_CASE("a request that ends in an exception gives its pool slot back") {
    client_config cfg;
    cfg.pool.max_connections = 1;
    cfg.request_timeout = 2s;
    named_host_fixture f(cfg);
    f.lookup = [&](resolve_handler h) {
        if (f.lookups == 1) throw std::runtime_error("lookup failed unexpectedly");
        f.answer(std::move(h));
    };
    const auto [first, first_ms] = f.timed_snapshot();
    CHECK(first == boost::system::errc::io_error);
    CHECK(f.named->stats().requests_in_flight == 0);
    // With the only slot lost, this one would wait for its whole deadline and end in request_timeout.
    const auto [second, second_ms] = f.timed_snapshot();
    CHECK_FALSE(second);
    CHECK(second_ms < 1000);
    CHECK(f.lookups == 2);
    CHECK(f.named->stats().connections_open == 1);
}

// Issue: a host name was resolved once for the client's life, and never again after connection_failed.
TEST_CASE("a host name is resolved once for the client's life no more: after a failed connect it is looked up again") {
    named_host_fixture f;
    unsigned short refused = 0;
    {
        tcp::acceptor a(f.ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
        refused = a.local_endpoint().port();
    }  // closed: nothing listens there now
    f.lookup = [&](resolve_handler h) {
        if (f.lookups == 1) {  // the first answer is an address where nothing listens (the service moved)
            const tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), refused);
            asio::post(f.ioc, [h = std::move(h), ep]() mutable {
                std::move(h)(error_code{}, tcp::resolver::results_type::create(ep, "pieces-os.invalid", "x"));
            });
        } else {
            f.answer(std::move(h));
        }
    };
    diagnostics d1, d2;
    call_options o1, o2;
    o1.diag = &d1;
    o2.diag = &d2;
    CHECK(f.timed_snapshot(o1).first == errc::connection_failed);
    INFO(d1.client_message());
    const auto second = f.timed_snapshot(o2).first;
    INFO(d2.client_message());
    CHECK_FALSE(second);
    CHECK(f.lookups == 2);
    CHECK_FALSE(f.timed_snapshot().first);  // kept while it works
    CHECK(f.lookups == 2);
}
