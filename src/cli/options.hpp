// The command line of pieces-allocations: global options, one subcommand, its arguments.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace pieces::cli {

struct options {
    std::string command;                  // snapshot, get, connect, disconnect, reconnect, update, watch
    std::vector<std::string> arguments;   // positional: the id for get/disconnect/reconnect
    std::optional<std::string> url;       // else discovery
    std::optional<std::chrono::milliseconds> timeout;
    std::optional<std::string> application_id;
    std::optional<std::string> ca_file;       // --ca-file: trusted CAs (PEM) besides the system's
    bool insecure = false;                    // --insecure: no certificate verification
    std::optional<std::string> profile_file;  // connect --profile
    std::optional<std::string> cloud_file;    // update --file
    std::chrono::milliseconds interval{2000}; // watch --interval
    std::optional<std::size_t> max_changes;   // watch --changes: stop after this many change lines
    bool push = true;                         // watch: wake on Pieces OS's /user/stream too (--no-push: poll only)
    bool json = false;
    bool help = false;
};

struct parse_result {
    options opts;
    std::string error;  // not empty: bad usage, say this and the help of `opts.command`
};

parse_result parse_command_line(int argc, const char* const* argv);

// The help of one subcommand, or the overview when `command` is empty or unknown.
std::string help_text(const std::string& command);

}  // namespace pieces::cli
