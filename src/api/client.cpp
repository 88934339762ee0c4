// The client facade: its configuration checked, then everything handed to the transport.
#include "api/idle_watch.hpp"
#include "http/retry_schedule.hpp"
#include "http/tls_context.hpp"
#include "http/transport.hpp"

#include <pieces/client.hpp>
#include <pieces/error.hpp>
#include <pieces/error_with_diagnostics.hpp>

namespace pieces {
namespace {

// RFC 9110 field values: visible characters, obs-text (0x80 and up), and SP or HTAB between them. Any other
// control character (CR, LF and NUL above all: they would split or end the header) is refused.
bool has_bad_header_char(std::string_view v) {
    for (const char ch : v) {
        const auto c = static_cast<unsigned char>(ch);
        if ((c < 0x20 && c != '\t') || c == 0x7f) return true;
    }
    return false;
}

boost::system::error_code fail(diagnostics* diag, errc code, std::string why) {
    if (diag) detail::access::set_client_message(*diag, std::move(why));
    return code;
}

// Checks every field; the parsed base URL lands in `url` (the client keeps it, so it is parsed once).
boost::system::error_code validate_into(const client_config& cfg, diagnostics* diag, detail::base_url& url) {
    if (cfg.pool.max_connections == 0) return fail(diag, errc::invalid_config, "pool.max_connections must be >= 1");
    if (cfg.pool.idle_timeout.count() <= 0) return fail(diag, errc::invalid_config, "pool.idle_timeout must be > 0");
    if (cfg.pool.connect_timeout.count() <= 0)
        return fail(diag, errc::invalid_config, "pool.connect_timeout must be > 0");
    if (cfg.request_timeout.count() <= 0) return fail(diag, errc::invalid_config, "request_timeout must be > 0");
    if (cfg.max_body_size == 0) return fail(diag, errc::invalid_config, "max_body_size must be > 0");
    if (cfg.max_header_size < 256) return fail(diag, errc::invalid_config, "max_header_size must be >= 256");
    if (cfg.application_id && has_bad_header_char(*cfg.application_id))
        return fail(diag, errc::invalid_header_value, "application_id contains a control character (CR, LF, NUL, ...)");
    if (cfg.access_token && has_bad_header_char(*cfg.access_token))
        return fail(diag, errc::invalid_header_value, "access_token contains a control character (CR, LF, NUL, ...)");
    if (has_bad_header_char(cfg.user_agent))
        return fail(diag, errc::invalid_header_value, "user_agent contains a control character (CR, LF, NUL, ...)");
    if (const char* problem = detail::retry_policy_problem(cfg.retry)) return fail(diag, errc::invalid_config, problem);
    if (cfg.tls.certificate_file.empty() != cfg.tls.private_key_file.empty())
        return fail(diag, errc::invalid_config, "tls.certificate_file and tls.private_key_file go together");
    std::string why;
    if (auto ec = detail::parse_base_url(cfg.url, url, why)) return fail(diag, errc::invalid_config, why);
    if (url.tls && !PIECES_WITH_TLS)
        return fail(diag, errc::invalid_config,
                    "url is https:// but this build of pieces_allocations has no TLS (built with PIECES_WITH_TLS=OFF)");
    return {};
}

}  // namespace

boost::system::error_code validate(const client_config& cfg, diagnostics* diag) {
    detail::base_url url;
    return validate_into(cfg, diag, url);
}

client::client(executor_type ex, client_config cfg) {
    diagnostics diag;
    detail::base_url url;
    if (auto ec = validate_into(cfg, &diag, url)) throw error_with_diagnostics(ec, std::move(diag));
    std::unique_ptr<detail::tls_context> tls;
#if PIECES_WITH_TLS
    if (url.tls) {  // the files are read here, once per client
        std::string why;
        tls = detail::make_tls_context(cfg.tls, why);
        if (!tls) {
            detail::access::set_client_message(diag, std::move(why));
            throw error_with_diagnostics(errc::invalid_config, std::move(diag));
        }
    }
#endif
    impl_ = std::make_shared<detail::transport>(std::move(ex), std::move(cfg), std::move(url), std::move(tls));
}

client::client(client&&) noexcept = default;

client& client::operator=(client&& other) noexcept {
    if (this != &other) {
        if (impl_) impl_->shutdown();
        impl_ = std::move(other.impl_);
    }
    return *this;
}

client::~client() {
    if (impl_) impl_->shutdown();
}

client::executor_type client::get_executor() const noexcept { return impl_->get_executor(); }
const client_config& client::config() const noexcept { return impl_->config(); }
void client::cancel() { impl_->cancel_all(); }
pool_stats client::stats() const noexcept { return impl_->stats(); }

}  // namespace pieces

namespace pieces::detail {

void hold_idle_watch(const std::shared_ptr<transport>& client, bool hold) { client->hold_idle_watch(hold); }

}  // namespace pieces::detail
