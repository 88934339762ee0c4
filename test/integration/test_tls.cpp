// https:// against the emulator serving TLS with the certificates of tls/make_test_certs.sh: verification on
// by default (chain, expiry, host name), its opt-out, client certificates, the handshake under the deadline,
// cancelled, stalled and cut, and TLS connections pooled and kept alive like TCP ones.
#include "async_test.hpp"

#include "http/transport.hpp"

#include <pieces/allocations_api.hpp>
#include <pieces/error_with_diagnostics.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>

#include <string>

using namespace pieces;
using namespace pieces_test;
using testing::endpoint;
using testing::fault;
using testing::handshake_fault;
using boost::system::error_code;

namespace {

std::string cert(const char* name) { return std::string(PIECES_TEST_CERTS_DIR) + "/" + name; }

// A client that trusts the test CA (and, as by default, the system's).
client_config trusting_test_ca() {
    client_config cfg;
    cfg.tls.ca_file = cert("ca.pem");
    cfg.request_timeout = 10s;
    return cfg;
}

struct tls_fixture {
    explicit tls_fixture(const char* certificate = "server.pem", client_config cfg = trusting_test_ca(),
                         testing::emulator_options opts = {})
        : emu(ioc.get_executor(), serving_tls(std::move(opts), certificate)) {
        emu.seed(from_json<Allocations>(read_fixture("allocations.json")));
        if (cfg.url == client_config{}.url) cfg.url = emu.url();
        cli.emplace(ioc, cfg);
    }
    asio::io_context ioc;
    testing::emulator emu;
    std::optional<client> cli;
};

call_outcome snapshot(tls_fixture& f, call_options opts = {}) { return timed_snapshot(f.ioc, *f.cli, opts); }

bool says(const diagnostics& d, const std::string& text) { return d.client_message().find(text) != std::string::npos; }

}  // namespace

TEST_CASE("tls: a verified connection carries 20 requests, kept alive and pooled") {
    tls_fixture f;
    REQUIRE(f.emu.url().starts_with("https://127.0.0.1:"));
    for (int i = 0; i < 20; ++i) {
        const auto r = snapshot(f);
        REQUIRE(r.ec == error_code{});
        CHECK(r.clouds == 3);
    }
    const auto s = f.cli->stats();
    CHECK(s.connections_opened == 1);
    CHECK(s.reuses == 19);
    CHECK(f.emu.connections_accepted() == 1);
    CHECK(f.emu.handshakes_completed() == 1);
    CHECK(f.emu.requests(endpoint::snapshot) == 20);
}

TEST_CASE("tls: a host name is verified too (SNI, the certificate's DNS name)") {
    tls_fixture f;
    auto cfg = trusting_test_ca();
    cfg.url = "https://localhost:" + std::to_string(f.emu.port());
    f.cli.emplace(f.ioc, cfg);
    const auto r = snapshot(f);
    CHECK(r.ec == error_code{});
    CHECK(r.clouds == 3);
}

TEST_CASE("tls: a certificate that fails verification is rejected, the reason named") {
    struct rejected {
        const char* certificate;
        const char* reason;
    };
    for (const auto& [certificate, reason] : {rejected{"unknown_issuer.pem", "unknown issuer"},
                                              rejected{"self_signed.pem", "unknown issuer"},
                                              rejected{"expired.pem", "expired"},
                                              rejected{"other_host.pem", "host-name mismatch"}}) {
        INFO(certificate);
        tls_fixture f(certificate);
        const auto r = snapshot(f);
        CHECK(r.ec == error_code(errc::tls_certificate_rejected));
        CHECK(r.ec == condition::tls_failed);
        CHECK(says(r.diag, reason));
        CHECK(says(r.diag, "127.0.0.1:" + std::to_string(f.emu.port())));
        CHECK(f.emu.requests(endpoint::snapshot) == 0);  // nothing was sent
        CHECK(f.cli->stats().connections_open == 0);
    }
}

TEST_CASE("tls: a certificate for another DNS name is rejected for a host name") {
    tls_fixture f("other_host.pem");
    auto cfg = trusting_test_ca();
    cfg.url = "https://localhost:" + std::to_string(f.emu.port());
    f.cli.emplace(f.ioc, cfg);
    const auto r = snapshot(f);
    CHECK(r.ec == error_code(errc::tls_certificate_rejected));
    CHECK(says(r.diag, "host-name mismatch"));
    CHECK(says(r.diag, "localhost:"));
}

TEST_CASE("tls: without the test CA, the system's store does not know the issuer") {
    client_config cfg;
    cfg.request_timeout = 10s;
    tls_fixture f("server.pem", cfg);
    const auto r = snapshot(f);
    CHECK(r.ec == error_code(errc::tls_certificate_rejected));
    CHECK(says(r.diag, "unknown issuer"));
}

TEST_CASE("tls: verification turned off accepts a self-signed or expired certificate") {
    for (const char* certificate : {"self_signed.pem", "expired.pem", "other_host.pem"}) {
        INFO(certificate);
        client_config cfg;
        cfg.tls.verify_peer = false;
        tls_fixture f(certificate, cfg);
        const auto r = snapshot(f);
        CHECK(r.ec == error_code{});
        CHECK(r.clouds == 3);
    }
}

TEST_CASE("tls: a server that asks for a client certificate gets the configured one") {
    testing::emulator_options asks;
    asks.tls_client_ca_file = cert("ca.pem");
    SECTION("without one, the handshake fails") {
        tls_fixture f("server.pem", trusting_test_ca(), asks);
        const auto r = snapshot(f);
        CHECK(r.ec == error_code(errc::tls_handshake_failed));
        CHECK(f.emu.requests(endpoint::snapshot) == 0);
    }
    SECTION("with one, it is accepted") {
        auto cfg = trusting_test_ca();
        cfg.tls.certificate_file = cert("client.pem");
        cfg.tls.private_key_file = cert("client.key");
        tls_fixture f("server.pem", cfg, asks);
        const auto r = snapshot(f);
        CHECK(r.ec == error_code{});
        CHECK(f.emu.requests(endpoint::snapshot) == 1);
    }
}

TEST_CASE("tls: a server that stalls mid-handshake ends the request at its deadline") {
    tls_fixture f;
    f.emu.set_handshake_fault(handshake_fault::stall);
    call_options opts;
    opts.timeout = 300ms;
    const auto r = snapshot(f, opts);
    CHECK(r.ec == error_code(errc::request_timeout));
    CHECK(r.elapsed_ms >= 290);
    CHECK(r.elapsed_ms < 1500);
    CHECK(f.cli->stats().connections_open == 0);

    f.emu.set_handshake_fault(handshake_fault::none);  // the same client goes on
    CHECK(snapshot(f).ec == error_code{});
}

TEST_CASE("tls: pool.connect_timeout bounds the handshake too") {
    auto cfg = trusting_test_ca();
    cfg.pool.connect_timeout = 200ms;
    tls_fixture f("server.pem", cfg);
    f.emu.set_handshake_fault(handshake_fault::stall);
    const auto r = snapshot(f);  // its own deadline: 10 s
    CHECK(r.ec == error_code(errc::tls_handshake_failed));
    CHECK(says(r.diag, "took longer than pool.connect_timeout"));
    CHECK(r.elapsed_ms >= 190);
    CHECK(r.elapsed_ms < 1500);
}

TEST_CASE("tls: a server that closes mid-handshake ends in the handshake code") {
    tls_fixture f;
    f.emu.set_handshake_fault(handshake_fault::close);
    const auto r = snapshot(f);
    CHECK(r.ec == error_code(errc::tls_handshake_failed));
    CHECK(r.ec == condition::tls_failed);
    CHECK(says(r.diag, "closed the connection during the TLS handshake"));
    CHECK(r.elapsed_ms < 1500);
}

TEST_CASE("tls: a plain HTTP server named by an https:// URL fails the handshake") {
    emulator_fixture plain;
    auto cfg = trusting_test_ca();
    cfg.url = "https://127.0.0.1:" + std::to_string(plain.emu.port());
    client cli(plain.ioc, cfg);
    const allocations_api api(cli);
    diagnostics diag;
    call_options opts;
    opts.diag = &diag;
    const auto ec = run(plain.ioc, [&]() -> asio::awaitable<error_code> {
        auto [e, all] = co_await api.allocations_snapshot(opts, tuple_token);
        co_return e;
    }());
    CHECK(ec == error_code(errc::tls_handshake_failed));
    CHECK(plain.emu.requests(endpoint::snapshot) == 0);
}

TEST_CASE("tls: cancellation during the handshake ends the request at once") {
    tls_fixture f;
    f.emu.set_handshake_fault(handshake_fault::stall);
    const allocations_api api(*f.cli);
    asio::cancellation_signal cancel;
    std::optional<error_code> got;
    api.allocations_snapshot({}, asio::bind_cancellation_slot(cancel.slot(), [&](error_code ec, Allocations) { got = ec; }));
    // Connected (the counter moves in the handler that starts the handshake), and the emulator stalls it.
    run_until(f.ioc, [&] { return f.cli->stats().connections_opened == 1 && f.emu.connections_accepted() == 1; });
    const auto start = std::chrono::steady_clock::now();
    cancel.emit(asio::cancellation_type::terminal);
    run_until(f.ioc, [&] { return got.has_value(); }, 2s);
    CHECK(*got == error_code(asio::error::operation_aborted));
    CHECK(ms_since(start) < 500);
    CHECK(f.cli->stats().connections_open == 0);  // a connection without its handshake is not kept
    CHECK(f.cli->stats().requests_in_flight == 0);
}

TEST_CASE("tls: bytes after a reply are not read as the next reply over TLS either") {
    tls_fixture f;
    fault junk;
    junk.trailing_bytes = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}";
    junk.times = 1;
    f.emu.set_fault(endpoint::snapshot, junk);
    CHECK(snapshot(f).clouds == 3);
    const auto second = snapshot(f);
    CHECK(second.ec == error_code{});
    CHECK(second.clouds == 3);
    CHECK(f.cli->stats().connections_opened == 2);  // the first connection was not reused
}

TEST_CASE("tls: a stray TLS record right behind a reply that ends where the read ends is not read as the next reply") {
    tls_fixture f;
    pieces::detail::access::impl(*f.cli)->handover_limit = 10s;  // the unchecked hand-over is the path under test, however slow the build
    fault stray;
    stray.trailing_bytes = unrequested_empty_snapshot_reply();
    // Asio's TLS stream reads the socket 17408 (17 KiB) bytes at a time: the reply's two TLS 1.3 records
    // (16406 + 1002 bytes) fill that read exactly, and the stray records wait unread in the socket.
    stray.wire_size = 17408;
    stray.times = 1;
    f.emu.set_fault(endpoint::snapshot, stray);
    two_snapshots_back_to_back(f.ioc, *f.cli);
    CHECK(f.cli->stats().connections_opened == 2);
    CHECK(f.emu.requests(endpoint::snapshot) == 2);
}


TEST_CASE("tls: the configuration's files are checked when the client is made") {
    asio::io_context ioc;
    const auto made = [&](client_config cfg) -> std::string {
        cfg.url = "https://127.0.0.1:1";
        try {
            client c(ioc, cfg);
            return "";
        } catch (const error_with_diagnostics& e) {
            CHECK(e.code() == error_code(errc::invalid_config));
            return e.get_diagnostics().client_message();
        }
    };
    client_config cfg;
    CHECK(made(cfg).empty());
    cfg.tls.ca_file = "/nonexistent/ca.pem";
    CHECK(made(cfg).starts_with("tls.ca_file: cannot load '/nonexistent/ca.pem'"));
    cfg.tls.ca_file.clear();
    cfg.tls.ca_directory = "/nonexistent";
    CHECK(made(cfg).starts_with("tls.ca_directory:"));
    cfg.tls.ca_directory.clear();
    cfg.tls.certificate_file = cert("client.pem");
    CHECK(made(cfg) == "tls.certificate_file and tls.private_key_file go together");
    cfg.tls.private_key_file = cert("server.key");
    const auto mismatch = made(cfg);
    CHECK(mismatch.starts_with("tls.private_key_file:"));
    CHECK(mismatch.find("mismatch") != std::string::npos);
    cfg.tls.private_key_file = cert("client.key");
    CHECK(made(cfg).empty());

    // The scheme decides; TLS files are not read for http://.
    client_config plain;
    plain.url = "http://127.0.0.1:1";
    plain.tls.ca_file = "/nonexistent/ca.pem";
    CHECK(validate(plain) == error_code{});
    CHECK_NOTHROW(client(ioc, plain));
    plain.url = "ftp://127.0.0.1:1";
    diagnostics d;
    CHECK(validate(plain, &d) == error_code(errc::invalid_config));
    CHECK(d.client_message().find("http:// and https://") != std::string::npos);
}
