// Every endpoint against the emulator: success and each documented error, through the throwing
// awaitable form and the as_tuple form; plus the callback and use_future forms and path encoding.
#include "async_test.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>

#include <stdexcept>
#include <thread>

using namespace pieces;
using namespace pieces_test;
using testing::endpoint;
using testing::fault;
using boost::system::error_code;

namespace {

const std::string first_id = "3d5a9b12-7c40-4e8f-a6b1-0e2f4c8d7a10";

struct api_fixture : emulator_fixture {
    api_fixture() : allocations(*cli), allocation(*cli) {}
    allocations_api allocations;
    allocation_api allocation;

    AllocationCloud cloud(const std::string& id = first_id) { return *emu.find(id); }

    // The throwing form must throw error_with_diagnostics with `expected` and the HTTP status.
    template <class T>
    void expect_throw(asio::awaitable<T> aw, errc expected, int status) {
        try {
            (void)run(ioc, std::move(aw));
            FAIL("no exception");
        } catch (const error_with_diagnostics& e) {
            CHECK(e.code() == expected);
            CHECK(e.get_diagnostics().http_status() == status);
            CHECK_FALSE(e.get_diagnostics().server_message().empty());
            CHECK_FALSE(e.get_diagnostics().endpoint().empty());
        }
    }

    // The as_tuple form must give `expected` and fill the caller's diagnostics.
    template <class Start>
    void expect_code(Start start, errc expected, int status) {
        diagnostics diag;
        call_options opts;
        opts.diag = &diag;
        const auto ec = run(ioc, [&]() -> asio::awaitable<error_code> {
            auto [e, r] = co_await start(opts);
            co_return e;
        }());
        CHECK(ec == expected);
        CHECK(diag.http_status() == status);
    }

    void force(endpoint e, int status) {
        fault f;
        f.status = status;
        f.body = "forced " + std::to_string(status);
        f.times = 2;  // one for each form
        emu.set_fault(e, f);
    }
};

UserProfile sample_user() { return from_json<UserProfile>(read_fixture("user_profile.json")); }

}  // namespace

TEST_CASE("allocations_snapshot: success and 500") {
    api_fixture f;
    const auto all = run(f.ioc, f.allocations.allocations_snapshot());
    CHECK(all == f.emu.snapshot());
    f.force(endpoint::snapshot, 500);
    f.expect_throw(f.allocations.allocations_snapshot(), errc::internal_server_error, 500);
    f.expect_code([&](call_options o) { return f.allocations.allocations_snapshot(o, tuple_token); },
                  errc::internal_server_error, 500);
}

TEST_CASE("allocation_snapshot: success and 410") {
    api_fixture f;
    CHECK(run(f.ioc, f.allocation.allocation_snapshot(first_id)) == f.cloud());
    f.expect_throw(f.allocation.allocation_snapshot("no-such-cloud"), errc::cloud_not_found, 410);
    f.expect_code([&](call_options o) { return f.allocation.allocation_snapshot("no-such-cloud", o, tuple_token); },
                  errc::cloud_not_found, 410);
    try {
        (void)run(f.ioc, f.allocation.allocation_snapshot("nope"));
        FAIL("no exception");
    } catch (const error_with_diagnostics& e) {
        CHECK(e.get_diagnostics().server_message() == "Cloud not found.");
        CHECK(e.get_diagnostics().endpoint() == "GET /allocation/{allocation}");
    }
}

TEST_CASE("allocation_snapshot: the id reaches the server as one path segment") {
    api_fixture f;
    for (std::string id : {"a/b", "a b", "../x", "..", ".", "\xC3\xA9", "%", "%2F", "a?b#c", "line\r\nbreak", "semi;colon"}) {
        auto cloud = f.cloud();
        cloud.id = id;
        f.emu.put(cloud);
        const auto got = run(f.ioc, f.allocation.allocation_snapshot(id));
        CHECK(got.id == id);
        CHECK(f.emu.last_allocation_id() == id);
    }
    f.expect_code([&](call_options o) { return f.allocation.allocation_snapshot("", o, tuple_token); },
                  errc::invalid_argument, 0);
}

TEST_CASE("allocations_connect_new_cloud: success, 500 without a user, 504") {
    api_fixture f;
    const auto user = sample_user();
    const auto cloud = run(f.ioc, f.allocations.allocations_connect_new_cloud(user));
    CHECK(cloud.id == user.id);
    CHECK(cloud.status.cloud == AllocationStatusEnum::RUNNING);
    auto newcomer = user;
    newcomer.id = "11111111-2222-4333-8444-555555555555";
    const auto created = run(f.ioc, f.allocations.allocations_connect_new_cloud(newcomer));
    CHECK(created.id == newcomer.id);
    REQUIRE(created.urls.vanity.has_value());
    CHECK(created.urls.vanity->url == "https://ines.pieces.cloud");
    CHECK(f.emu.find(newcomer.id).has_value());

    f.expect_throw(f.allocations.allocations_connect_new_cloud(), errc::internal_server_error, 500);
    f.expect_code([&](call_options o) { return f.allocations.allocations_connect_new_cloud(std::nullopt, o, tuple_token); },
                  errc::internal_server_error, 500);
    f.force(endpoint::connect, 504);
    f.expect_throw(f.allocations.allocations_connect_new_cloud(user), errc::gateway_timeout, 504);
    f.expect_code([&](call_options o) { return f.allocations.allocations_connect_new_cloud(user, o, tuple_token); },
                  errc::gateway_timeout, 504);
}

TEST_CASE("allocations_disconnect_cloud: the uuid as text, and 500") {
    api_fixture f;
    const auto id = run(f.ioc, f.allocations.allocations_disconnect_cloud(f.cloud()));
    CHECK(id == first_id);
    CHECK(f.emu.find(first_id)->status.cloud == AllocationStatusEnum::DISCONNECTED);
    auto unknown = f.cloud();
    unknown.id = "not-there";
    f.expect_throw(f.allocations.allocations_disconnect_cloud(unknown), errc::internal_server_error, 500);
    f.expect_code([&](call_options o) { return f.allocations.allocations_disconnect_cloud(unknown, o, tuple_token); },
                  errc::internal_server_error, 500);
}

TEST_CASE("allocations_reconnect_cloud: success, 500, 504") {
    api_fixture f;
    f.emu.set_cloud_status(first_id, AllocationStatusEnum::DISCONNECTED);
    const auto cloud = run(f.ioc, f.allocations.allocations_reconnect_cloud(f.cloud()));
    CHECK(cloud.status.cloud == AllocationStatusEnum::RUNNING);
    REQUIRE(cloud.updated.has_value());
    CHECK(cloud.updated->value > std::chrono::system_clock::now() - std::chrono::minutes(1));
    auto unknown = f.cloud();
    unknown.id = "not-there";
    f.expect_throw(f.allocations.allocations_reconnect_cloud(unknown), errc::internal_server_error, 500);
    f.expect_code([&](call_options o) { return f.allocations.allocations_reconnect_cloud(unknown, o, tuple_token); },
                  errc::internal_server_error, 500);
    f.force(endpoint::reconnect, 504);
    f.expect_throw(f.allocations.allocations_reconnect_cloud(f.cloud()), errc::gateway_timeout, 504);
    f.expect_code([&](call_options o) { return f.allocations.allocations_reconnect_cloud(f.cloud(), o, tuple_token); },
                  errc::gateway_timeout, 504);
}

TEST_CASE("allocation_update: success keeps every member, 500, 504") {
    api_fixture f;
    auto cloud = from_json<AllocationCloud>(read_fixture("allocation_cloud_unknown_fields.json"));
    f.emu.put(cloud);
    cloud.region = "asia-south1";
    const auto updated = run(f.ioc, f.allocation.allocation_update(cloud));
    CHECK(updated == cloud);  // unknown members and enum strings survived the round trip through the server
    CHECK(f.emu.find(cloud.id)->region == "asia-south1");
    auto unknown = cloud;
    unknown.id = "not-there";
    f.expect_throw(f.allocation.allocation_update(unknown), errc::internal_server_error, 500);
    f.expect_code([&](call_options o) { return f.allocation.allocation_update(unknown, o, tuple_token); },
                  errc::internal_server_error, 500);
    f.force(endpoint::update, 504);
    f.expect_throw(f.allocation.allocation_update(cloud), errc::gateway_timeout, 504);
    f.expect_code([&](call_options o) { return f.allocation.allocation_update(cloud, o, tuple_token); },
                  errc::gateway_timeout, 504);
}

TEST_CASE("create and delete: 500 from a local Pieces OS") {
    api_fixture f;
    f.expect_throw(f.allocations.allocations_create_new_allocation(f.cloud()), errc::internal_server_error, 500);
    f.expect_code([&](call_options o) { return f.allocations.allocations_create_new_allocation(f.cloud(), o, tuple_token); },
                  errc::internal_server_error, 500);
    f.expect_throw(f.allocations.allocations_delete_allocation(f.cloud()), errc::internal_server_error, 500);
    f.expect_code([&](call_options o) { return f.allocations.allocations_delete_allocation(f.cloud(), o, tuple_token); },
                  errc::internal_server_error, 500);
}

TEST_CASE("create and delete: served in cloud mode") {
    asio::io_context ioc;
    testing::emulator emu(ioc.get_executor(), {"127.0.0.1", 0, true});
    client_config cfg;
    cfg.url = emu.url();
    client cli(ioc, cfg);
    allocations_api api(cli);
    auto cloud = from_json<AllocationCloud>(read_fixture("allocation_cloud.json"));
    CHECK(run(ioc, api.allocations_create_new_allocation(cloud)) == cloud);
    CHECK(emu.find(cloud.id).has_value());
    CHECK(run(ioc, api.allocations_delete_allocation(cloud)) == cloud.id);
    CHECK_FALSE(emu.find(cloud.id).has_value());
}

TEST_CASE("string results: a JSON string literal when the reply is JSON") {
    api_fixture f;
    fault json_string;
    json_string.raw_reply = "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: 8\r\n\r\n\"abc\\\"d\"";
    f.emu.set_fault(endpoint::disconnect, json_string);
    CHECK(run(f.ioc, f.allocations.allocations_disconnect_cloud(f.cloud())) == "abc\"d");
    json_string.raw_reply = "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}";
    f.emu.set_fault(endpoint::disconnect, json_string);
    f.expect_code([&](call_options o) { return f.allocations.allocations_disconnect_cloud(f.cloud(), o, tuple_token); },
                  errc::invalid_response, 200);
}

TEST_CASE("a 2xx with a body that is not the model is invalid_response naming the path") {
    api_fixture f;
    fault wrong;
    wrong.payload = fault::body_mode::wrong_type;
    f.emu.set_fault(endpoint::snapshot, wrong);
    try {
        (void)run(f.ioc, f.allocations.allocations_snapshot());
        FAIL("no exception");
    } catch (const error_with_diagnostics& e) {
        CHECK(e.code() == errc::invalid_response);
        CHECK(e.code() == condition::bad_response);
        CHECK(e.get_diagnostics().client_message() == "iterable: expected an array");
    }
    wrong.payload = fault::body_mode::malformed_json;
    f.emu.set_fault(endpoint::snapshot, wrong);
    f.expect_code([&](call_options o) { return f.allocations.allocations_snapshot(o, tuple_token); },
                  errc::invalid_response, 200);
}

TEST_CASE("other statuses are unexpected_status; redirects are not followed") {
    api_fixture f;
    fault redirect;
    // The redirect points at the emulator itself: a client that followed it would send a second request.
    redirect.raw_reply = "HTTP/1.1 302 Found\r\nLocation: " + f.emu.url() + "/allocations\r\nContent-Length: 0\r\n\r\n";
    redirect.times = 1;  // a client that followed would get the snapshot the second time
    f.emu.set_fault(endpoint::snapshot, redirect);
    f.expect_code([&](call_options o) { return f.allocations.allocations_snapshot(o, tuple_token); },
                  errc::unexpected_status, 302);
    CHECK(f.emu.requests(endpoint::snapshot) == 1);
}

TEST_CASE("callback form, from a plain event loop") {
    api_fixture f;
    std::optional<error_code> got;
    std::size_t clouds = 0;
    f.allocations.allocations_snapshot({}, [&](error_code ec, Allocations all) {
        got = ec;
        clouds = all.iterable.size();
    });
    run_until(f.ioc, [&] { return got.has_value(); });
    CHECK_FALSE(*got);
    CHECK(clouds == 3);

    std::optional<error_code> missing;
    f.allocation.allocation_snapshot("nope", {}, [&](error_code ec, AllocationCloud) { missing = ec; });
    run_until(f.ioc, [&] { return missing.has_value(); });
    CHECK(*missing == errc::cloud_not_found);
}

TEST_CASE("use_future form") {
    api_fixture f;
    auto work = asio::make_work_guard(f.ioc);
    std::thread runner([&] { f.ioc.run(); });
    auto all = f.allocations.allocations_snapshot({}, asio::use_future);
    auto missing = f.allocation.allocation_snapshot("nope", {}, asio::use_future);
    CHECK(all.get().iterable.size() == 3);
    try {
        (void)missing.get();
        FAIL("no exception");
    } catch (const boost::system::system_error& e) {
        CHECK(e.code() == errc::cloud_not_found);
    }
    work.reset();
    f.cli->cancel();
    f.emu.stop();
    runner.join();
}

TEST_CASE("per-call timeout overrides the configured one") {
    api_fixture f;
    fault slow;
    slow.latency = std::chrono::seconds(2);
    f.emu.set_fault(endpoint::snapshot, slow);
    call_options opts;
    opts.timeout = std::chrono::milliseconds(100);
    f.expect_code([&](call_options o) {
        o.timeout = std::chrono::milliseconds(100);
        return f.allocations.allocations_snapshot(o, tuple_token);
    }, errc::request_timeout, 0);
}

TEST_CASE("deferred form: nothing is sent until the deferred operation is launched") {
    api_fixture f;
    auto op = f.allocations.allocations_snapshot({}, asio::deferred);
    // A request of another client, made after the deferred operation was created, completes: had the
    // deferred one been sent, the emulator would have seen it first (one connection, served in order).
    allocations_api other(*f.cli);
    CHECK(run(f.ioc, other.allocations_snapshot()).iterable.size() == 3);
    f.ioc.poll();
    CHECK(f.emu.requests(endpoint::snapshot) == 1);
    CHECK(f.cli->stats().connections_opened == 1);
    std::optional<error_code> got;
    std::move(op)([&](error_code ec, Allocations all) {
        got = ec;
        CHECK(all.iterable.size() == 3);
    });
    run_until(f.ioc, [&] { return got.has_value(); });
    CHECK_FALSE(*got);
    CHECK(f.emu.requests(endpoint::snapshot) == 2);
}

TEST_CASE("an argument refused at once completes on the handler's executor, which it keeps busy") {
    api_fixture f;
    asio::io_context other;  // not the client's
    bool done = false;
    error_code result;
    bool on_other = false;
    f.allocation.allocation_snapshot("", call_options{}, asio::bind_executor(other, [&](error_code ec, AllocationCloud) {
                                         result = ec;
                                         on_other = other.get_executor().running_in_this_thread();
                                         done = true;
                                     }));
    CHECK_FALSE(done);  // never inside the initiating call
    other.poll();
    // An io_context stops when it runs out of work: the pending completion must count as work on `other`.
    CHECK_FALSE(other.stopped());
    f.ioc.restart();
    f.ioc.poll();  // the client's side hands the completion over to `other`
    other.run_for(5s);
    CHECK(done);
    CHECK(result == errc::invalid_argument);
    CHECK(on_other);
    CHECK(f.emu.requests(endpoint::allocation_snapshot) == 0);
}

TEST_CASE("an exception thrown by a completion handler reaches the caller of run(), and the client goes on") {
    api_fixture f;
    f.allocations.allocations_snapshot({}, [](error_code, Allocations) { throw std::runtime_error("from the handler"); });
    CHECK_THROWS_WITH(run_until(f.ioc, [] { return false; }, 5s), "from the handler");
    CHECK(f.cli->stats().requests_in_flight == 0);
    CHECK(run(f.ioc, f.allocations.allocations_snapshot()).iterable.size() == 3);
}

TEST_CASE("with_diagnostics turns any token into the throwing form") {
    api_fixture f;
    auto work = asio::make_work_guard(f.ioc);
    std::thread runner([&] { f.ioc.run(); });
    auto ok = f.allocations.allocations_snapshot({}, with_diagnostics(asio::use_future));
    auto missing = f.allocation.allocation_snapshot("nope", {}, with_diagnostics(asio::use_future));
    CHECK(ok.get().iterable.size() == 3);
    try {
        (void)missing.get();
        FAIL("no exception");
    } catch (const error_with_diagnostics& e) {
        CHECK(e.code() == errc::cloud_not_found);
        CHECK(e.get_diagnostics().http_status() == 410);
        CHECK(e.get_diagnostics().endpoint() == "GET /allocation/{allocation}");
        CHECK(e.get_diagnostics().server_message() == "Cloud not found.");
    }
    work.reset();
    f.cli->cancel();
    f.emu.stop();
    runner.join();
}

TEST_CASE("with_diagnostics fills the caller's diagnostics when given, and the exception carries them") {
    api_fixture f;
    diagnostics diag;
    call_options opts;
    opts.diag = &diag;
    auto missing = f.allocation.allocation_snapshot("nope", opts, with_diagnostics(asio::deferred));
    try {
        (void)run(f.ioc, std::move(missing)(asio::use_awaitable));
        FAIL("no exception");
    } catch (const error_with_diagnostics& e) {
        CHECK(e.code() == errc::cloud_not_found);
        CHECK(diag.http_status() == 410);
        CHECK(diag.attempts() == 1);
        CHECK(e.get_diagnostics() == diag);
    }
}

TEST_CASE("with_diagnostics works for watch_subscription::next: its codes arrive as the exception") {
    api_fixture f;
    std::optional<allocations_watcher> watcher(std::in_place, *f.cli);
    auto sub = watcher->subscribe();
    watcher.reset();  // the watcher's end: next() completes with operation_aborted
    std::optional<error_code> caught;
    run(f.ioc, [&]() -> asio::awaitable<void> {
        try {
            (void)co_await sub.next(with_diagnostics(asio::use_awaitable));
        } catch (const error_with_diagnostics& e) {
            caught = e.code();
            CHECK(e.get_diagnostics() == diagnostics{});  // next() has no diagnostics of its own
        }
    }());
    REQUIRE(caught);
    CHECK(*caught == asio::error::operation_aborted);
}
