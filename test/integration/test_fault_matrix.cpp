// Every endpoint x every fault the emulator can inject: the outcome each cell must have (a specific error code,
// or success, after a permitted retry where one is allowed), and after each cell the next normal request
// succeeds on the same client. Each over plain HTTP and over TLS (the same rules hold through the TLS layer).
#include "async_test.hpp"

#include <boost/asio/ip/tcp.hpp>

#include <functional>
#include <string>
#include <vector>

using namespace pieces;
using namespace pieces_test;
using pieces::testing::endpoint;
using pieces::testing::fault;
using boost::system::error_code;

namespace {

bool is_get(endpoint e) { return e == endpoint::snapshot || e == endpoint::allocation_snapshot; }
// delete and disconnect answer text; the others a JSON model
bool answers_text(endpoint e) { return e == endpoint::delete_allocation || e == endpoint::disconnect; }

struct cell {
    const char* name;
    std::function<void(fault&)> set;
    std::function<error_code(endpoint)> expected;
    std::function<void(endpoint, const pool_stats& before, const pool_stats& after)> also = {};
};

error_code ok(endpoint) { return {}; }

const std::vector<cell> cells = {
    {"latency past the deadline", [](fault& f) { f.latency = 2s; },
     [](endpoint) { return error_code(errc::request_timeout); }},
    {"410", [](fault& f) { f.status = 410; }, [](endpoint) { return error_code(errc::cloud_not_found); }},
    {"500", [](fault& f) { f.status = 500; }, [](endpoint) { return error_code(errc::internal_server_error); }},
    {"504", [](fault& f) { f.status = 504; }, [](endpoint) { return error_code(errc::gateway_timeout); }},
    {"418", [](fault& f) { f.status = 418; }, [](endpoint) { return error_code(errc::unexpected_status); }},
    {"close before the reply, every time", [](fault& f) { f.close = fault::close_mode::before_reply; },
     [](endpoint) { return error_code(errc::connection_closed); }},
    // The request goes out on the kept-alive connection of the warm-up: a GET is retried once on a fresh
    // connection and succeeds; a POST was written, so it is not retried.
    {"close before the reply, once",
     [](fault& f) {
         f.close = fault::close_mode::before_reply;
         f.times = 1;
     },
     [](endpoint e) { return is_get(e) ? error_code{} : error_code(errc::connection_closed); },
     [](endpoint e, const pool_stats& before, const pool_stats& after) {
         CHECK(after.resends - before.resends == (is_get(e) ? 1u : 0u));
         CHECK(after.retries == before.retries);
     }},
    // Part of the reply arrived: never retried, not even a GET.
    {"close after the headers", [](fault& f) { f.close = fault::close_mode::after_headers; },
     [](endpoint) { return error_code(errc::connection_closed); },
     [](endpoint, const pool_stats& before, const pool_stats& after) {
         CHECK(after.resends == before.resends);
         CHECK(after.retries == before.retries);
     }},
    {"close mid-body", [](fault& f) { f.close = fault::close_mode::mid_body; },
     [](endpoint) { return error_code(errc::connection_closed); },
     [](endpoint, const pool_stats& before, const pool_stats& after) {
         CHECK(after.resends == before.resends);
         CHECK(after.retries == before.retries);
     }},
    // A text reply is taken as it is; a model must be JSON.
    {"malformed JSON", [](fault& f) { f.payload = fault::body_mode::malformed_json; },
     [](endpoint e) { return answers_text(e) ? error_code{} : error_code(errc::invalid_response); }},
    {"wrongly typed JSON", [](fault& f) { f.payload = fault::body_mode::wrong_type; },
     [](endpoint) { return error_code(errc::invalid_response); }},
    {"chunked", [](fault& f) { f.chunked = true; }, ok},
    {"Connection: close", [](fault& f) { f.connection_close = true; }, ok,
     [](endpoint, const pool_stats& before, const pool_stats& after) {
         CHECK(after.connections_closed > before.connections_closed);
     }},
    {"close after 1 request", [](fault& f) { f.close_after_requests = 1; }, ok,
     [](endpoint, const pool_stats& before, const pool_stats& after) {
         CHECK(after.connections_closed > before.connections_closed);
     }},
    {"trickled reply", [](fault& f) {
         f.trickle_interval = 1ms;
         f.trickle_bytes = 97;
     }, ok},
};

client_config matrix_config(const std::string& url) {
    client_config cfg;
    cfg.url = url;
    cfg.request_timeout = 300ms;
    cfg.tls.ca_file = PIECES_TEST_CERTS_DIR "/ca.pem";  // used with https:// only
    return cfg;
}

void seed(testing::emulator& emu) { emu.seed(from_json<Allocations>(read_fixture("allocations.json"))); }

testing::emulator_options cloud_mode(bool tls, unsigned short port = 0) {
    testing::emulator_options o;
    o.cloud_mode = true;  // create and delete answer as within the cloud
    o.port = port;
    return tls ? serving_tls(o) : o;
}

bool over_tls() {
#if PIECES_WITH_TLS
    const bool tls = GENERATE(false, true);
#else
    const bool tls = false;  // built without TLS (PIECES_WITH_TLS=OFF)
#endif
    UNSCOPED_INFO((tls ? "over TLS" : "over plain HTTP"));
    return tls;
}

}  // namespace

TEST_CASE("fault matrix: every endpoint x every injected fault") {
    const bool tls = over_tls();
    const endpoint_arguments m;
    for (const auto& c : cells) {
        for (const endpoint e : all_endpoints) {
            INFO(c.name << " on " << testing::to_string(e));
            asio::io_context ioc;
            testing::emulator emu(ioc.get_executor(), cloud_mode(tls));
            seed(emu);
            client cli(ioc, matrix_config(emu.url()));
            REQUIRE(run(ioc, call_endpoint(cli, e, m)) == error_code{});  // warm-up: one kept-alive connection
            seed(emu);

            fault f;
            c.set(f);
            emu.set_fault(e, f);
            const auto before = cli.stats();
            const error_code got = run(ioc, call_endpoint(cli, e, m));
            CHECK(got == c.expected(e));
            if (c.also) c.also(e, before, cli.stats());

            emu.clear_faults();
            seed(emu);
            CHECK(run(ioc, call_endpoint(cli, e, m)) == error_code{});  // the same client goes on
            CHECK(cli.stats().connections_open <= 1);  // one request at a time: never a second connection
            CHECK(cli.stats().requests_in_flight == 0);
        }
    }
}

TEST_CASE("fault matrix: connection refused, then the server comes up") {
    const bool tls = over_tls();
    const endpoint_arguments m;
    for (const endpoint e : all_endpoints) {
        INFO(testing::to_string(e));
        asio::io_context ioc;
        unsigned short port = 0;
        {
            asio::ip::tcp::acceptor probe(ioc, {asio::ip::make_address("127.0.0.1"), 0});
            port = probe.local_endpoint().port();
        }  // closed: nothing listens on `port` now
        client cli(ioc, matrix_config((tls ? "https://127.0.0.1:" : "http://127.0.0.1:") + std::to_string(port)));
        CHECK(run(ioc, call_endpoint(cli, e, m)) == error_code(errc::connection_failed));

        testing::emulator emu(ioc.get_executor(), cloud_mode(tls, port));
        seed(emu);
        CHECK(run(ioc, call_endpoint(cli, e, m)) == error_code{});
    }
}

TEST_CASE("fault matrix: the server restarted between two requests") {
    const bool tls = over_tls();
    const endpoint_arguments m;
    for (const endpoint e : all_endpoints) {
        INFO(testing::to_string(e));
        asio::io_context ioc;
        std::optional<testing::emulator> emu(std::in_place, ioc.get_executor(), cloud_mode(tls));
        const auto port = emu->port();
        seed(*emu);
        client cli(ioc, matrix_config(emu->url()));
        REQUIRE(run(ioc, call_endpoint(cli, e, m)) == error_code{});  // leaves a kept-alive connection in the pool

        emu.reset();  // the old server closes every connection...
        ioc.restart();
        ioc.poll();   // ...in handlers that are ready now
        emu.emplace(ioc.get_executor(), cloud_mode(tls, port));
        seed(*emu);

        // The pooled connection is seen closed before it is used: even a POST goes out on a fresh one.
        const auto before = cli.stats();
        CHECK(run(ioc, call_endpoint(cli, e, m)) == error_code{});
        CHECK(cli.stats().connections_opened == before.connections_opened + 1);
        CHECK(cli.stats().resends == before.resends);
        CHECK(cli.stats().retries == before.retries);
    }
}
