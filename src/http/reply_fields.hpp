// Private: what the client reads from a reply's header fields, as plain functions of their text.
#pragma once

#include "util/saturating_time.hpp"

#include <chrono>
#include <optional>
#include <string_view>

namespace pieces::detail {

/// True for `application/json` and any `+json` type, parameters ignored, case-insensitively.
bool is_json_type(std::string_view content_type) noexcept;

/// The `timeout=N` of a `Keep-Alive` field value (`timeout=5, max=100` -> 5 s); nullopt when absent or not a
/// non-negative integer. A huge N is kept as it is: `idle_limit_for` clamps it.
std::optional<std::chrono::seconds> keep_alive_timeout(std::string_view keep_alive) noexcept;

/// An HTTP-date (RFC 9110 §5.6.7) in any of its three forms: IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), the
/// obsolete RFC 850 form (`Sunday, 06-Nov-94 08:49:37 GMT`; a two-digit year more than 50 years ahead of `now` is
/// in the past century) and asctime's (`Sun Nov  6 08:49:37 1994`). nullopt when it is none of them.
std::optional<std::chrono::system_clock::time_point> parse_http_date(std::string_view s,
                                                                     std::chrono::system_clock::time_point now) noexcept;

/// The wait a `Retry-After` value asks for at `now`: delay-seconds, or the time until an HTTP-date (zero for one
/// in the past). nullopt when it is neither. A huge value is cut to 10^9 s (the retry policy caps it far lower).
std::optional<std::chrono::seconds> retry_after_delay(std::string_view value,
                                                      std::chrono::system_clock::time_point now) noexcept;

/// How long an idle connection may be kept: the configured idle timeout, or the server's shorter
/// `Keep-Alive: timeout=`. Never overflows, whatever either value is.
clock_type::duration idle_limit_for(std::chrono::milliseconds configured, std::optional<std::chrono::seconds> server) noexcept;

}  // namespace pieces::detail
