// pieces::user_stream alone against the emulator's /user/stream: the profile on connect and on each change, in
// order; the client's headers; logout, malformed and oversize frames; the server closing (with and without a
// close frame); a refused upgrade; a stalled upgrade under the deadline; cancellation; over TLS too.
#include "async_test.hpp"

#include <pieces/user_stream.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/post.hpp>

#include <string>
#include <vector>

using namespace pieces;
using namespace pieces_test;
using testing::endpoint;
using testing::fault;
using boost::system::error_code;

namespace {

struct outcome {
    error_code ec;
    UserProfile profile;
    diagnostics diag;
    long long ms = 0;
};

// One next(), run to its end (a hang fails the test).
outcome next_of(asio::io_context& ioc, user_stream& s, std::chrono::milliseconds limit = 20s) {
    outcome o;
    bool done = false;
    const auto start = std::chrono::steady_clock::now();
    s.next(o.diag, [&](error_code ec, UserProfile p) {
        o.ec = ec;
        o.profile = std::move(p);
        o.ms = ms_since(start);
        done = true;
    });
    run_until(ioc, [&] { return done; }, limit);
    return o;
}

AllocationStatusEnum status_of(const UserProfile& p) {
    REQUIRE(p.allocation);
    return p.allocation->status.cloud;
}

bool says(const diagnostics& d, const std::string& text) { return d.client_message().find(text) != std::string::npos; }

}  // namespace

TEST_CASE("user_stream: the profile on connect, then 20 changes in order, with the client's headers") {
    client_config cfg;
    cfg.application_id = "stream-test";
    cfg.access_token = "t0ken";
    emulator_fixture f(cfg);
    user_stream s(*f.cli);
    const auto first = next_of(f.ioc, s);
    REQUIRE(first.ec == error_code{});
    CHECK(first.profile == f.emu.user_profile());
    CHECK(status_of(first.profile) == AllocationStatusEnum::RUNNING);
    CHECK(f.emu.requests(endpoint::user_stream) == 1);
    CHECK(f.emu.last_request_header("X-Application-ID") == "stream-test");
    CHECK(f.emu.last_request_header("Authorization") == "Bearer t0ken");
    CHECK(f.emu.last_request_header("User-Agent").starts_with("pieces-allocations/"));
    CHECK(f.emu.user_streams_open() == 1);

    const auto id = first.profile.allocation->id;
    std::vector<AllocationStatusEnum> made;
    for (int i = 0; i < 20; ++i) {  // all at once: the frames queue at the server, in order
        made.push_back(i % 2 ? AllocationStatusEnum::RUNNING : AllocationStatusEnum::DISCONNECTED);
        REQUIRE(f.emu.set_cloud_status(id, made.back()));
    }
    for (int i = 0; i < 20; ++i) {
        const auto o = next_of(f.ioc, s);
        REQUIRE(o.ec == error_code{});
        CHECK(o.profile.allocation->id == id);
        CHECK(status_of(o.profile) == made[static_cast<std::size_t>(i)]);
    }
    CHECK(f.emu.requests(endpoint::user_stream) == 1);  // one connection for all of them
    CHECK(f.emu.user_stream_frames() == 21);
}

TEST_CASE("user_stream: a change made through the API is pushed") {
    emulator_fixture f;
    user_stream s(*f.cli);
    const auto first = next_of(f.ioc, s);
    REQUIRE(first.ec == error_code{});
    const auto cloud = *first.profile.allocation;
    const allocations_api api(*f.cli);
    run(f.ioc, [&]() -> asio::awaitable<void> { (void)co_await api.allocations_disconnect_cloud(cloud); }());
    const auto o = next_of(f.ioc, s);
    REQUIRE(o.ec == error_code{});
    CHECK(status_of(o.profile) == AllocationStatusEnum::DISCONNECTED);
}

TEST_CASE("user_stream: frames that are not profiles") {
    client_config cfg;
    cfg.max_body_size = 4096;
    emulator_fixture f(cfg);
    user_stream s(*f.cli);
    REQUIRE(next_of(f.ioc, s).ec == error_code{});
    SECTION("not JSON: logged out, and the stream goes on") {
        f.emu.log_out();
        const auto o = next_of(f.ioc, s);
        CHECK(o.ec == errc::logged_out);
        CHECK(says(o.diag, "not a JSON object"));
        CHECK_FALSE(o.diag.server_message().empty());
        f.emu.set_cloud_status(f.emu.user_profile().allocation->id, AllocationStatusEnum::FAILED);
        const auto after = next_of(f.ioc, s);
        REQUIRE(after.ec == error_code{});
        CHECK(status_of(after.profile) == AllocationStatusEnum::FAILED);
        CHECK(f.emu.requests(endpoint::user_stream) == 1);
    }
    SECTION("JSON that is not a UserProfile: invalid_response naming the path, and the stream goes on") {
        f.emu.send_user_stream_text(R"({"id": 7, "aesthetics": {}})");
        const auto o = next_of(f.ioc, s);
        CHECK(o.ec == errc::invalid_response);
        CHECK(says(o.diag, "id"));
        f.emu.send_user_stream_text(to_json(f.emu.user_profile()));
        CHECK(next_of(f.ioc, s).ec == error_code{});
        CHECK(f.emu.requests(endpoint::user_stream) == 1);
    }
    SECTION("over max_body_size: response_too_large, the stream closed; the next next() connects again") {
        f.emu.send_user_stream_text("{\"pad\": \"" + std::string(8000, 'x') + "\"}");
        const auto o = next_of(f.ioc, s);
        CHECK(o.ec == errc::response_too_large);
        CHECK(says(o.diag, "max_body_size"));
        const auto again = next_of(f.ioc, s);
        CHECK(again.ec == error_code{});
        CHECK(f.emu.requests(endpoint::user_stream) == 2);
    }
}

TEST_CASE("user_stream: the server ends the stream") {
    emulator_fixture f;
    user_stream s(*f.cli);
    REQUIRE(next_of(f.ioc, s).ec == error_code{});
    SECTION("with a close frame") {
        f.emu.close_user_streams();
        const auto o = next_of(f.ioc, s);
        CHECK(o.ec == errc::stream_ended);
        CHECK(says(o.diag, "close code"));
    }
    SECTION("without one (the connection dropped)") {
        f.emu.drop_user_streams();
        const auto o = next_of(f.ioc, s);
        CHECK(o.ec == errc::stream_ended);
        CHECK(says(o.diag, "without a close frame"));
    }
    // Either way the next next() is a new stream, which starts with the profile.
    const auto again = next_of(f.ioc, s);
    CHECK(again.ec == error_code{});
    CHECK(f.emu.requests(endpoint::user_stream) == 2);
}

TEST_CASE("user_stream: an upgrade refused (an older Pieces OS) is upgrade_refused with the status") {
    for (int status : {404, 426}) {
        emulator_fixture f;
        fault refuse;
        refuse.status = status;
        refuse.body = "Not found.";
        f.emu.set_fault(endpoint::user_stream, refuse);
        user_stream s(*f.cli);
        const auto o = next_of(f.ioc, s);
        CHECK(o.ec == errc::upgrade_refused);
        CHECK(o.ec == condition::server_error);
        CHECK(o.diag.http_status() == status);
        CHECK(says(o.diag, "a Pieces OS without the stream"));
        // The API still works on the same client.
        CHECK(timed_snapshot(f.ioc, *f.cli).ec == error_code{});
    }
}

TEST_CASE("user_stream: a stalled upgrade ends at request_timeout; nothing listening is connection_failed") {
    SECTION("stalled") {
        client_config cfg;
        cfg.request_timeout = 300ms;
        emulator_fixture f(cfg);
        fault stall;
        stall.latency = 30s;
        f.emu.set_fault(endpoint::user_stream, stall);
        user_stream s(*f.cli);
        const auto o = next_of(f.ioc, s);
        CHECK(o.ec == errc::request_timeout);
        CHECK(o.ms >= 290);
        CHECK(o.ms < 5000);
        CHECK(says(o.diag, "opening /user/stream took longer than"));
    }
    SECTION("refused connection") {
        asio::io_context ioc;
        unsigned short port = 0;
        {
            testing::emulator gone(ioc.get_executor());
            port = gone.port();
        }
        client_config cfg;
        cfg.url = "http://127.0.0.1:" + std::to_string(port);
        client cli(ioc, cfg);
        user_stream s(cli);
        const auto o = next_of(ioc, s);
        CHECK(o.ec == errc::connection_failed);
    }
}

TEST_CASE("user_stream: cancellation, close, a second next() at once, an empty one, bad options") {
    emulator_fixture f;
    user_stream s(*f.cli);
    REQUIRE(next_of(f.ioc, s).ec == error_code{});
    SECTION("a pending next() cancelled: operation_aborted; the next one connects again") {
        asio::cancellation_signal sig;
        error_code got;
        bool done = false;
        s.next(asio::bind_cancellation_slot(sig.slot(), [&](error_code ec, UserProfile) {
            got = ec;
            done = true;
        }));
        f.ioc.restart();
        f.ioc.poll();
        CHECK_FALSE(done);
        sig.emit(asio::cancellation_type::terminal);
        run_until(f.ioc, [&] { return done; });
        CHECK(got == asio::error::operation_aborted);
        CHECK(next_of(f.ioc, s).ec == error_code{});
        CHECK(f.emu.requests(endpoint::user_stream) == 2);
    }
    SECTION("close(): the pending next() aborted, the stream closed with a close frame") {
        error_code got;
        bool done = false;
        s.next([&](error_code ec, UserProfile) {
            got = ec;
            done = true;
        });
        s.close();
        run_until(f.ioc, [&] { return done && f.emu.user_streams_open() == 0; });
        CHECK(got == asio::error::operation_aborted);
    }
    SECTION("a next() asked for from the handler of the one close() or a cancellation ended connects again") {
        const bool by_close = GENERATE(true, false);
        asio::cancellation_signal sig;
        error_code first, second;
        bool second_done = false;
        UserProfile got;
        s.next(asio::bind_cancellation_slot(sig.slot(), [&](error_code ec, UserProfile) {
            first = ec;
            s.next([&](error_code ec2, UserProfile p) {
                second = ec2;
                got = std::move(p);
                second_done = true;
            });
        }));
        f.ioc.restart();
        f.ioc.poll();
        if (by_close) s.close();
        else sig.emit(asio::cancellation_type::terminal);
        run_until(f.ioc, [&] { return second_done; });
        CHECK(first == asio::error::operation_aborted);
        CHECK(second == error_code{});
        CHECK(got == f.emu.user_profile());
        CHECK(f.emu.requests(endpoint::user_stream) == 2);
    }
    SECTION("the client gone: client_closed, never inside the call") {
        s.close();
        f.cli.reset();
        bool inside = false, done = false, completed_inside = false;
        error_code got;
        // From a thread running the io_context, where a dispatch to an idle strand runs at once.
        asio::post(f.ioc, [&] {
            inside = true;
            s.next([&](error_code ec, UserProfile) {
                got = ec;
                completed_inside = inside;
                done = true;
            });
            inside = false;
        });
        run_until(f.ioc, [&] { return done; });
        CHECK(got == errc::client_closed);
        CHECK_FALSE(completed_inside);
    }
    SECTION("a second next() while one is pending: already_started; the first one goes on") {
        error_code first, second;
        bool first_done = false, second_done = false;
        s.next([&](error_code ec, UserProfile) { first = ec, first_done = true; });
        s.next([&](error_code ec, UserProfile) { second = ec, second_done = true; });
        run_until(f.ioc, [&] { return second_done; });
        CHECK(second == asio::error::already_started);
        CHECK_FALSE(first_done);
        f.emu.log_out();
        run_until(f.ioc, [&] { return first_done; });
        CHECK(first == errc::logged_out);
    }
    SECTION("moved from: next() throws logic_error; the moved-to one works") {
        user_stream t = std::move(s);
        CHECK_THROWS_AS(s.next([](error_code, UserProfile) {}), std::logic_error);
        f.emu.log_out();
        CHECK(next_of(f.ioc, t).ec == errc::logged_out);
    }
    SECTION("the default token: co_await throws error_with_diagnostics") {
        f.emu.log_out();
        error_code caught;
        run(f.ioc, [&]() -> asio::awaitable<void> {
            try {
                (void)co_await s.next();
            } catch (const error_with_diagnostics& e) {
                caught = e.code();
            }
        }());
        CHECK(caught == errc::logged_out);
    }
    user_stream_options bad;
    bad.keepalive = 0ms;
    CHECK_THROWS_AS(user_stream(*f.cli, bad), error_with_diagnostics);
}

#if PIECES_WITH_TLS
TEST_CASE("user_stream: over TLS (wss://), verified with the test CA") {
    asio::io_context ioc;
    testing::emulator emu(ioc.get_executor(), serving_tls());
    emu.seed(from_json<Allocations>(read_fixture("allocations.json")));
    client_config cfg;
    cfg.url = emu.url();
    cfg.tls.ca_file = std::string(PIECES_TEST_CERTS_DIR) + "/ca.pem";
    client cli(ioc, cfg);
    user_stream s(cli);
    const auto first = next_of(ioc, s);
    REQUIRE(first.ec == error_code{});
    CHECK(emu.handshakes_completed() == 1);
    const auto id = first.profile.allocation->id;
    for (int i = 0; i < 5; ++i) {
        const auto want = i % 2 ? AllocationStatusEnum::RUNNING : AllocationStatusEnum::FAILED;
        REQUIRE(emu.set_cloud_status(id, want));
        const auto o = next_of(ioc, s);
        REQUIRE(o.ec == error_code{});
        CHECK(status_of(o.profile) == want);
    }
    SECTION("a certificate not trusted: tls_certificate_rejected") {
        client_config untrusting;
        untrusting.url = emu.url();
        client other(ioc, untrusting);
        user_stream t(other);
        CHECK(next_of(ioc, t).ec == errc::tls_certificate_rejected);
    }
}
#endif
