// The exit codes of the pieces-allocations tool: scripts tell failures apart by them.
#pragma once

#include <boost/system/error_code.hpp>

namespace pieces::cli {

enum exit_code : int {
    ok = 0,
    failed = 1,         // anything else: a reply we could not read, a rejected argument, ...
    bad_usage = 2,      // unknown subcommand or option, missing argument, unreadable file
    not_reachable = 3,  // no Pieces OS found, or the connection was refused
    not_found = 4,      // 410: no such cloud
    server_error = 5,   // 500, or another unexpected HTTP status
    timed_out = 6,      // 504, or our deadline passed
    tls_failed = 7,     // the TLS handshake failed, or the server's certificate was rejected
};

exit_code exit_code_for(const boost::system::error_code& ec) noexcept;

}  // namespace pieces::cli
