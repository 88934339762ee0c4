#include "cli/options.hpp"

#include "util/read_double.hpp"

#include <charconv>
#include <cmath>
#include <map>

namespace pieces::cli {
namespace {

constexpr const char* overview = R"(usage: pieces-allocations [OPTIONS] COMMAND [ARGS]

Operates the cloud allocations of a Pieces OS.

Commands:
  snapshot                 list the clouds
  get ID                   show one cloud
  connect --profile FILE   connect the cloud of the user profile in FILE (JSON)
  disconnect ID            disconnect a cloud
  reconnect ID             reconnect a cloud
  update --file FILE       update a cloud from FILE (an AllocationCloud, JSON)
  watch [--interval S]     print each status change of the clouds, polled every S seconds and pushed
                           where Pieces OS offers /user/stream (--no-push: polled only)

Options (before or after the command):
  --url URL                Pieces OS base URL (default: discovered: the port in Pieces OS's .port.txt,
                           then 39300-39333, then 1000, 5323)
  --timeout S              per-request deadline in seconds (default 30)
  --application-id ID      sent as X-Application-ID
  --ca-file FILE           with an https:// URL, trust the CAs of FILE (PEM) besides the system's
                           (which SSL_CERT_FILE / SSL_CERT_DIR replace)
  --insecure               with an https:// URL, do not verify the server's certificate (for a test
                           server only: anyone on the path can then read and change the traffic)
  --json                   print the reply as JSON (the wire model), for scripts
  -h, --help               this help, or a command's: pieces-allocations COMMAND --help

Exit codes: 0 ok, 1 other failure, 2 bad usage, 3 Pieces OS not reachable, 4 cloud not found (410),
5 server error (500 or an unexpected status), 6 timed out (504 or the deadline), 7 TLS failed
(handshake or certificate).
Errors print the error's message and the server's reply on stderr.
)";

const std::map<std::string, std::string, std::less<>> command_help = {
    {"snapshot", "usage: pieces-allocations snapshot [--json]\n\n"
                 "Lists the clouds (GET /allocations): id, status, urls and their status, project, region.\n"},
    {"get", "usage: pieces-allocations get ID [--json]\n\n"
            "Shows one cloud (GET /allocation/ID). Exit code 4 when there is no such cloud (410).\n"},
    {"connect", "usage: pieces-allocations connect --profile FILE [--json]\n\n"
                "Connects the cloud of a user (POST /allocations/connect); FILE holds the UserProfile as JSON.\n"
                "Prints the cloud it answered.\n"},
    {"disconnect", "usage: pieces-allocations disconnect ID [--json]\n\n"
                   "Disconnects a cloud (GET /allocation/ID, then POST /allocations/disconnect with it).\n"
                   "Prints the server's reply text.\n"},
    {"reconnect", "usage: pieces-allocations reconnect ID [--json]\n\n"
                  "Reconnects a cloud (GET /allocation/ID, then POST /allocations/reconnect with it).\n"
                  "Prints the cloud it answered.\n"},
    {"update", "usage: pieces-allocations update --file FILE [--json]\n\n"
               "Updates a cloud (POST /allocation/update); FILE holds the AllocationCloud as JSON.\n"
               "Prints the cloud it answered.\n"},
    {"watch", "usage: pieces-allocations watch [--interval S] [--changes N] [--no-push] [--json]\n\n"
              "Polls the clouds every S seconds (default 2) and prints one line per change: a cloud added or\n"
              "removed, its status, a url or a url's status. Where Pieces OS offers its push (the /user/stream\n"
              "WebSocket), the watch also listens to it and polls at once when the user's cloud changed; with\n"
              "--no-push it polls only. Runs until interrupted, or until N change lines were printed. A failed\n"
              "poll is reported on stderr and the watch goes on; with --json, each change is one JSON object\n"
              "per line.\n"},
};

std::optional<std::chrono::milliseconds> seconds(std::string_view text) {
    double s = 0;
    if (!detail::read_double(text, s) || s <= 0 || s > 86400) return {};
    return std::chrono::milliseconds(std::max<long long>(1, std::llround(s * 1000)));
}

}  // namespace

std::string help_text(const std::string& command) {
    const auto it = command_help.find(command);
    return it == command_help.end() ? overview : it->second;
}

parse_result parse_command_line(int argc, const char* const* argv) {
    parse_result r;
    auto& o = r.opts;
    auto fail = [&](std::string why) {
        r.error = std::move(why);
        return r;
    };
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        auto value = [&]() -> std::optional<std::string> {
            if (i + 1 >= argc) return std::nullopt;
            return std::string(argv[++i]);
        };
        if (arg == "-h" || arg == "--help") {
            o.help = true;
        } else if (arg == "--json") {
            o.json = true;
        } else if (arg == "--insecure") {
            o.insecure = true;
        } else if (arg == "--no-push") {
            o.push = false;
        } else if (arg == "--url" || arg == "--application-id" || arg == "--profile" || arg == "--file" ||
                   arg == "--ca-file") {
            auto v = value();
            if (!v) return fail(std::string(arg) + " needs a value");
            if (arg == "--url") o.url = std::move(v);
            else if (arg == "--application-id") o.application_id = std::move(v);
            else if (arg == "--profile") o.profile_file = std::move(v);
            else if (arg == "--ca-file") o.ca_file = std::move(v);
            else o.cloud_file = std::move(v);
        } else if (arg == "--timeout" || arg == "--interval") {
            auto v = value();
            const auto d = v ? seconds(*v) : std::nullopt;
            if (!d) return fail(std::string(arg) + " needs a number of seconds, > 0");
            if (arg == "--timeout") o.timeout = d;
            else o.interval = *d;
        } else if (arg == "--changes") {
            auto v = value();
            std::size_t n = 0;
            if (!v || std::from_chars(v->data(), v->data() + v->size(), n).ec != std::errc{} || n == 0)
                return fail("--changes needs a count, > 0");
            o.max_changes = n;
        } else if (arg.starts_with("-")) {
            return fail("unknown option " + std::string(arg));
        } else if (o.command.empty()) {
            o.command = arg;
        } else {
            o.arguments.emplace_back(arg);
        }
    }
    if (o.help) return r;
    if (o.command.empty()) return fail("no command");
    if (!command_help.contains(o.command)) return fail("unknown command " + o.command);
    const bool takes_id = o.command == "get" || o.command == "disconnect" || o.command == "reconnect";
    if (takes_id && o.arguments.size() != 1) return fail(o.command + " needs one ID");
    if (!takes_id && !o.arguments.empty()) return fail(o.command + " takes no argument: " + o.arguments.front());
    if (o.command == "connect" && !o.profile_file) return fail("connect needs --profile FILE");
    if (o.command == "update" && !o.cloud_file) return fail("update needs --file FILE");
    return r;
}

}  // namespace pieces::cli
