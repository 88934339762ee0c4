#include "cli/exit_codes.hpp"

#include <pieces/error.hpp>

namespace pieces::cli {

exit_code exit_code_for(const boost::system::error_code& ec) noexcept {
    if (!ec) return ok;
    if (ec == condition::timed_out) return timed_out;
    if (ec == errc::cloud_not_found) return not_found;
    if (ec == errc::internal_server_error || ec == errc::unexpected_status) return server_error;
    if (ec == errc::connection_failed) return not_reachable;
    if (ec == condition::tls_failed) return tls_failed;
    if (ec == errc::invalid_config || ec == errc::invalid_header_value) return bad_usage;  // from our options
    return failed;
}

}  // namespace pieces::cli
