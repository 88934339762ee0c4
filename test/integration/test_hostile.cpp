// Hostile and bad input: replies built to hurt a client, and arguments that must never reach the wire.
// Each ends in a specific error code, promptly, and the client goes on.
#include "async_test.hpp"

#include <string>

using namespace pieces;
using namespace pieces_test;
using pieces::testing::endpoint;
using pieces::testing::fault;
using boost::system::error_code;

namespace {

struct hostile_fixture : emulator_fixture {
    explicit hostile_fixture(client_config cfg = quick()) : emulator_fixture(std::move(cfg)) {}

    static client_config quick() {
        client_config cfg;
        cfg.request_timeout = 1s;
        return cfg;
    }

    // The next snapshot's reply is `bytes`, verbatim, then the connection closes.
    void answer_next_snapshot_with(std::string bytes) {
        fault f;
        f.raw_reply = std::move(bytes);
        f.times = 1;
        emu.set_fault(endpoint::snapshot, f);
    }

    error_code snapshot_answered_with(std::string bytes, diagnostics* diag = nullptr) {
        answer_next_snapshot_with(std::move(bytes));
        return snapshot(diag);
    }

    // As snapshot_answered_with; then the same client must succeed again.
    error_code answered_then_recovers(std::string bytes, diagnostics* diag = nullptr) {
        const auto ec = snapshot_answered_with(std::move(bytes), diag);
        CHECK_FALSE(snapshot());
        return ec;
    }

    error_code snapshot(diagnostics* diag = nullptr) {
        const allocations_api api(*cli);
        call_options opts;
        opts.diag = diag;
        return run(ioc, [&]() -> asio::awaitable<error_code> {
            auto [ec, all] = co_await api.allocations_snapshot(opts, tuple_token);
            co_return ec;
        }());
    }

    error_code cloud(std::string_view id) {
        const allocation_api api(*cli);
        return run(ioc, [&]() -> asio::awaitable<error_code> {
            auto [ec, c] = co_await api.allocation_snapshot(id, {}, tuple_token);
            co_return ec;
        }());
    }

    // A 200 JSON reply with this body.
    static std::string json_reply(const std::string& body) {
        return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
               "\r\n\r\n" + body;
    }
};

}  // namespace

TEST_CASE("hostile: an endless header line is cut at the header limit") {
    hostile_fixture f;
    CHECK(f.snapshot_answered_with("HTTP/1.1 200 OK\r\nX-Endless: " + std::string(1 << 20, 'a')) ==
          errc::response_too_large);
    CHECK_FALSE(f.snapshot());
}

TEST_CASE("hostile: a body far over the limit, announced by Content-Length, is refused from the header") {
    hostile_fixture f;
    CHECK(f.snapshot_answered_with("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                   "Content-Length: 100000000000\r\n\r\n{") == errc::response_too_large);
    CHECK_FALSE(f.snapshot());
}

TEST_CASE("hostile: a chunked body over the limit is cut at the limit") {
    client_config cfg = hostile_fixture::quick();
    cfg.max_body_size = 4096;  // the fixture's reply (1.9 KB) fits
    hostile_fixture f(cfg);
    std::string reply = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (int i = 0; i < 16; ++i) reply += "200\r\n" + std::string(0x200, ' ') + "\r\n";
    reply += "0\r\n\r\n";
    CHECK(f.snapshot_answered_with(reply) == errc::response_too_large);
    CHECK_FALSE(f.snapshot());
}

TEST_CASE("hostile: a chunk size that overflows is malformed HTTP") {
    hostile_fixture f;
    CHECK(f.snapshot_answered_with("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
                                   "\r\nFFFFFFFFFFFFFFFFFFFF\r\n{}") == errc::malformed_http);
    CHECK_FALSE(f.snapshot());
}

TEST_CASE("hostile: a reply that never ends stops at the deadline") {
    hostile_fixture f;
    fault endless;
    endless.trickle_interval = 10s;  // one byte, then a long silence
    endless.trickle_bytes = 1;
    endless.times = 1;
    f.emu.set_fault(endpoint::snapshot, endless);
    const auto t0 = std::chrono::steady_clock::now();
    CHECK(f.snapshot() == errc::request_timeout);
    CHECK(ms_since(t0) < 1000 + 500);
    CHECK_FALSE(f.snapshot());
}

TEST_CASE("hostile: a few 1xx replies are skipped; a flood of them is malformed HTTP") {
    hostile_fixture f;
    std::string few, flood;
    for (int i = 0; i < 3; ++i) few += "HTTP/1.1 100 Continue\r\n\r\n";
    for (int i = 0; i < 1000; ++i) flood += "HTTP/1.1 102 Processing\r\n\r\n";
    const std::string real = hostile_fixture::json_reply(read_fixture("allocations.json"));
    CHECK_FALSE(f.snapshot_answered_with(few + real));
    diagnostics diag;
    CHECK(f.snapshot_answered_with(flood + real, &diag) == errc::malformed_http);
    CHECK(diag.client_message().find("interim (1xx) replies") != std::string::npos);
    CHECK_FALSE(f.snapshot());
}

TEST_CASE("hostile: a redirect is not followed") {
    hostile_fixture f;
    diagnostics diag;
    CHECK(f.snapshot_answered_with("HTTP/1.1 302 Found\r\nLocation: http://example.com/\r\nContent-Length: 0\r\n\r\n",
                                   &diag) == errc::unexpected_status);
    CHECK(diag.http_status() == 302);
    CHECK(f.emu.connections_accepted() == 1);  // nothing went anywhere else
    CHECK_FALSE(f.snapshot());
}

TEST_CASE("hostile: bytes that are not UTF-8 in a string are a bad reply") {
    hostile_fixture f;
    std::string body = read_fixture("allocations.json");
    body.replace(body.find("eu-production"), 6, "\xC3\x28\xFF\xFE\x80\x80");
    diagnostics diag;
    CHECK(f.snapshot_answered_with(hostile_fixture::json_reply(body), &diag) == errc::invalid_response);
    CHECK(diag.client_message().find("not valid JSON") != std::string::npos);
    CHECK_FALSE(f.snapshot());
}

TEST_CASE("hostile: NUL and control characters in strings are kept exactly") {
    hostile_fixture f;
    std::string body = read_fixture("allocations.json");
    body.replace(body.find("eu-production"), 13, R"(a\u0000b\r\nc\u001f)");
    const allocations_api api(*f.cli);
    f.answer_next_snapshot_with(hostile_fixture::json_reply(body));
    const auto all = run(f.ioc, api.allocations_snapshot());
    CHECK(all.iterable.at(0).project == std::string("a\0b\r\nc\x1f", 7));
    CHECK(from_json<Allocations>(to_json(all)) == all);
}

TEST_CASE("hostile: JSON nested 10 000 deep is refused without recursing") {
    hostile_fixture f;
    const std::string deep = std::string(10'000, '[') + std::string(10'000, ']');
    CHECK(f.snapshot_answered_with(hostile_fixture::json_reply(R"({"iterable":)" + deep + "}")) ==
          errc::invalid_response);
    CHECK_FALSE(f.snapshot());
}

TEST_CASE("hostile: a 100 MB number") {
    const std::string huge = std::string(100'000'000, '7');  // 7.7e99999999: no double holds it
    const std::string body = R"({"iterable":[],"n":)" + huge + "}";
    SECTION("over the default body limit") {
        hostile_fixture f;
        CHECK(f.snapshot_answered_with(hostile_fixture::json_reply(body)) == errc::response_too_large);
        CHECK_FALSE(f.snapshot());
    }
    client_config cfg = hostile_fixture::quick();
    cfg.max_body_size = 128 * 1024 * 1024;
    cfg.request_timeout = 20s;
    SECTION("within a raised body limit, too large for a double: refused (it could not be written back)") {
        hostile_fixture f(cfg);
        diagnostics diag;
        CHECK(f.snapshot_answered_with(hostile_fixture::json_reply(body), &diag) == errc::invalid_response);
        CHECK(diag.client_message().find("exponent overflow") != std::string::npos);
        CHECK_FALSE(f.snapshot());
    }
    SECTION("within a raised body limit, 100 MB of digits of a fraction: read, kept as the nearest double") {
        hostile_fixture f(cfg);
        const allocations_api api(*f.cli);
        f.answer_next_snapshot_with(hostile_fixture::json_reply(R"({"iterable":[],"n":0.)" + huge + "}"));
        const auto all = run(f.ioc, api.allocations_snapshot());
        REQUIRE(all.unknown_members.size() == 1);
        CHECK(all.unknown_members[0].name == "n");
        CHECK(all.unknown_members[0].value.text == "7.777777777777778E-1");
        CHECK_FALSE(f.snapshot());
    }
}

TEST_CASE("hostile: an id with CR, LF or NUL is sent as one encoded path segment") {
    hostile_fixture f;
    for (const std::string& id : {std::string("a\r\nHost: evil"), std::string("x\0y", 3), std::string("../allocations")}) {
        CHECK(f.cloud(id) == errc::cloud_not_found);
        CHECK(f.emu.last_allocation_id() == id);
    }
    CHECK_FALSE(f.snapshot());
}

TEST_CASE("hostile: an application id or token with CR or LF is refused before anything is sent") {
    asio::io_context ioc;
    testing::emulator emu(ioc.get_executor());
    for (const std::string& bad : {std::string("app\r\nX-Injected: 1"), std::string("app\nx"), std::string("app\rx"),
                                  std::string("a\0b", 3)}) {
        client_config cfg;
        cfg.url = emu.url();
        cfg.application_id = bad;
        CHECK_THROWS_AS(client(ioc, cfg), error_with_diagnostics);
        diagnostics diag;
        CHECK(validate(cfg, &diag) == errc::invalid_header_value);
        CHECK(diag.client_message() == "application_id contains a control character (CR, LF, NUL, ...)");
        client_config token_cfg;
        token_cfg.url = emu.url();
        token_cfg.access_token = cfg.application_id;
        CHECK(validate(token_cfg) == errc::invalid_header_value);
    }
    ioc.poll();
    CHECK(emu.connections_accepted() == 0);
}

// Issue: has_bad_header_char refused CR, LF and NUL but sent the other control characters.
TEST_CASE("hostile: a header value with any control character but HTAB is refused; visible text and obs-text are not") {
    for (const std::string& bad : {std::string("a\x01b"), std::string("a\x1b[31m"), std::string("a\x7f"),
                                  std::string("\x0b"), std::string("a\x1f")}) {
        client_config cfg;
        cfg.application_id = bad;
        CHECK(validate(cfg) == errc::invalid_header_value);
        cfg = {};
        cfg.user_agent = bad;
        CHECK(validate(cfg) == errc::invalid_header_value);
    }
    for (const std::string& good : {std::string("my app\t1.0"), std::string("caf\xc3\xa9"), std::string("~!#$%&'*+")}) {
        client_config cfg;
        cfg.application_id = good;
        CHECK_FALSE(validate(cfg));
    }
}

// Issue: the read buffer had no maximum: a chunk-size line that never ends grew the client without bound.
TEST_CASE("hostile: the connection read buffer is unbounded no more: an endless chunk-size line") {
    hostile_fixture f;
    diagnostics diag;
    CHECK(f.answered_then_recovers("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n1;" +
                                   std::string(4 << 20, 'a'), &diag) == errc::response_too_large);
    CHECK(diag.client_message().find("max_header_size") != std::string::npos);
}

// Issue: a valid chunked reply followed by megabytes of trailer fields was accepted, all of it held in memory.
TEST_CASE("hostile: the connection read buffer is unbounded no more: trailers and chunk extensions are bounded") {
    hostile_fixture f;
    const std::string head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
    const std::string body = R"({"iterable":[]})";
    std::string trailers;
    for (int i = 0; i < 20000; ++i) trailers += "X-T" + std::to_string(i) + ": " + std::string(100, 'v') + "\r\n";
    CHECK(f.snapshot_answered_with(head + "f\r\n" + body + "\r\n0\r\n" + trailers + "\r\n") == errc::response_too_large);
    // Extensions: each chunk's are small, together they are not.
    std::string chunks;
    for (int i = 0; i < 400; ++i) chunks += "0001;ext=" + std::string(100, 'e') + "\r\n" + " " + "\r\n";
    CHECK(f.answered_then_recovers(head + chunks + "0\r\n\r\n") == errc::response_too_large);
}

// Issue: the body was reserved at the size the header announced, inside Beast's read: with a large max_body_size a
// huge Content-Length threw std::bad_alloc out of io_context::run() (the process terminated).
TEST_CASE("hostile: exceptions from parser callbacks escape io_context::run() no more: a huge Content-Length") {
    client_config cfg = hostile_fixture::quick();
    cfg.max_body_size = std::size_t{1} << 62;
    hostile_fixture f(cfg);
    CHECK(f.answered_then_recovers("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                   "Content-Length: 1000000000000000\r\n\r\n{\"iterable\"") == errc::connection_closed);
}

// Beast 1.81 hands trailer fields to the same callback as the header's; Beast 1.90 to a callback of their own.
// On either, a trailer cannot change what the header said: the body stays JSON, the connection kept.
TEST_CASE("hostile: trailer fields after a chunked body do not override the header's") {
    hostile_fixture f;
    fault tr;
    tr.chunked = true;
    tr.trailers = {{"Content-Type", "text/html"}, {"Keep-Alive", "timeout=0"}, {"Retry-After", "1"}};
    tr.times = 1;
    f.emu.set_fault(endpoint::snapshot, tr);
    CHECK_FALSE(f.snapshot());  // read as the JSON it is (as text/html it would be invalid_response)
    CHECK_FALSE(f.snapshot());
    CHECK(f.emu.requests(endpoint::snapshot) == 2);
    CHECK(f.emu.connections_accepted() == 1);  // kept (timeout=0 would have retired it at once)
}
