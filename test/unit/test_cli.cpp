// The parts of the pieces-allocations tool: its command line, its table, what `watch` reports, exit codes.
#include "fixtures.hpp"

#include "cli/exit_codes.hpp"
#include "cli/options.hpp"
#include "cli/output.hpp"
#include "cli/watch_diff.hpp"

#include <pieces/pieces.hpp>

#include <catch2/catch.hpp>

using namespace pieces;
using namespace pieces::cli;

namespace {

parse_result parse(std::vector<const char*> args) {
    args.insert(args.begin(), "pieces-allocations");
    return parse_command_line(static_cast<int>(args.size()), args.data());
}

Allocations fixture_snapshot() { return from_json<Allocations>(pieces_test::read_fixture("allocations.json")); }

}  // namespace

TEST_CASE("cli: options before and after the command; seconds become milliseconds") {
    const auto r = parse({"--url", "http://127.0.0.1:1", "get", "abc", "--timeout", "0.25", "--json"});
    REQUIRE(r.error.empty());
    CHECK(r.opts.command == "get");
    CHECK(r.opts.arguments == std::vector<std::string>{"abc"});
    CHECK(r.opts.url == "http://127.0.0.1:1");
    CHECK(r.opts.timeout == std::chrono::milliseconds(250));
    CHECK(r.opts.json);
    const auto w = parse({"watch", "--interval", "0.1", "--changes", "3"});
    REQUIRE(w.error.empty());
    CHECK(w.opts.interval == std::chrono::milliseconds(100));
    CHECK(w.opts.max_changes == 3u);
}

TEST_CASE("cli: watch uses push unless --no-push, which takes no value") {
    const auto pushed = parse({"watch"});
    REQUIRE(pushed.error.empty());
    CHECK(pushed.opts.push);
    const auto polled = parse({"watch", "--no-push", "--interval", "5"});
    REQUIRE(polled.error.empty());
    CHECK_FALSE(polled.opts.push);
    CHECK(polled.opts.interval == std::chrono::milliseconds(5000));
    CHECK(polled.opts.arguments.empty());
    const auto before_command = parse({"--no-push", "watch", "--json"});
    REQUIRE(before_command.error.empty());
    CHECK(before_command.opts.command == "watch");
    CHECK_FALSE(before_command.opts.push);
    CHECK(parse({"watch", "--push"}).error == "unknown option --push");
    CHECK(help_text("watch").find("--no-push") != std::string::npos);
    CHECK(help_text("").find("--no-push") != std::string::npos);
}

TEST_CASE("cli: bad usage is named") {
    CHECK(parse({}).error == "no command");
    CHECK(parse({"frobnicate"}).error == "unknown command frobnicate");
    CHECK(parse({"get"}).error == "get needs one ID");
    CHECK(parse({"get", "a", "b"}).error == "get needs one ID");
    CHECK(parse({"snapshot", "x"}).error == "snapshot takes no argument: x");
    CHECK(parse({"connect"}).error == "connect needs --profile FILE");
    CHECK(parse({"update"}).error == "update needs --file FILE");
    CHECK(parse({"snapshot", "--timeout", "-1"}).error == "--timeout needs a number of seconds, > 0");
    CHECK(parse({"snapshot", "--timeout", "nan"}).error == "--timeout needs a number of seconds, > 0");
    CHECK(parse({"snapshot", "--url"}).error == "--url needs a value");
    CHECK(parse({"snapshot", "--bogus"}).error == "unknown option --bogus");
    CHECK(parse({"watch", "--changes", "0"}).error == "--changes needs a count, > 0");
}

TEST_CASE("cli: --help needs no command, and each command has its own") {
    const auto r = parse({"get", "--help"});
    CHECK(r.opts.help);
    CHECK(help_text("get").find("usage: pieces-allocations get ID") == 0);
    CHECK(help_text("").find("Commands:") != std::string::npos);
    for (const char* c : {"snapshot", "get", "connect", "disconnect", "reconnect", "update", "watch"})
        CHECK(help_text(c).find(std::string("usage: pieces-allocations ") + c) == 0);
}

TEST_CASE("cli: the table has a header and one aligned line per cloud") {
    const auto all = fixture_snapshot();
    const auto table = clouds_table(all.iterable);
    std::vector<std::string> lines;
    std::istringstream in(table);
    for (std::string l; std::getline(in, l);) lines.push_back(l);
    REQUIRE(lines.size() == all.iterable.size() + 1);
    CHECK(lines[0].find("ID") == 0);
    const auto status_column = lines[0].find("STATUS");
    for (std::size_t i = 0; i < all.iterable.size(); ++i) {
        CHECK(lines[i + 1].find(all.iterable[i].id) == 0);
        CHECK(lines[i + 1].substr(status_column).find(status_text(all.iterable[i].status.cloud)) == 0);
    }
    CHECK(table.find("https://ines.pieces.cloud (RUNNING)") != std::string::npos);
}

TEST_CASE("cli: an unknown status prints as received") {
    auto all = fixture_snapshot();
    all.iterable[0].status.cloud = wire_enum<AllocationStatusEnum>::from_unknown_text("HIBERNATING");
    CHECK(status_text(all.iterable[0].status.cloud) == "HIBERNATING");
}

TEST_CASE("cli: watch reports status, url, added and removed clouds, and nothing when nothing changed") {
    const auto before = fixture_snapshot();
    CHECK(diff_snapshots(before, before).empty());

    auto after = before;
    after.iterable[0].status.cloud = AllocationStatusEnum::DISCONNECTED;
    after.iterable[1].urls.base.url = "https://elsewhere";
    const auto gone = after.iterable[2];
    after.iterable.pop_back();
    auto added = gone;
    added.id = "new-cloud";
    after.iterable.push_back(added);

    const auto changes = diff_snapshots(before, after);
    REQUIRE(changes.size() == 4);
    CHECK(changes[0].cloud == before.iterable[0].id);
    CHECK(changes[0].what == "status");
    CHECK(changes[0].from == "RUNNING");
    CHECK(changes[0].to == "DISCONNECTED");
    CHECK(changes[1].what == "base");
    CHECK(changes[1].to.find("https://elsewhere ") == 0);
    CHECK((changes[2].cloud == "new-cloud" && changes[2].what == "cloud" && changes[2].from == "-"));
    CHECK((changes[3].cloud == gone.id && changes[3].what == "cloud" && changes[3].to == "-"));
}

TEST_CASE("cli: exit codes tell the failures apart") {
    CHECK(exit_code_for({}) == ok);
    CHECK(exit_code_for(errc::cloud_not_found) == not_found);
    CHECK(exit_code_for(errc::internal_server_error) == server_error);
    CHECK(exit_code_for(errc::unexpected_status) == server_error);
    CHECK(exit_code_for(errc::gateway_timeout) == timed_out);
    CHECK(exit_code_for(errc::request_timeout) == timed_out);
    CHECK(exit_code_for(errc::connection_failed) == not_reachable);
    CHECK(exit_code_for(errc::tls_handshake_failed) == tls_failed);
    CHECK(exit_code_for(errc::tls_certificate_rejected) == tls_failed);
    CHECK(exit_code_for(errc::invalid_config) == bad_usage);
    CHECK(exit_code_for(errc::invalid_response) == failed);
}
