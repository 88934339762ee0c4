// Private: what the client reads from a reply's header fields, as plain functions of their text.
#pragma once

#include "deadline.hpp"

#include <chrono>
#include <optional>
#include <string_view>

namespace pieces::detail {

/// True for `application/json` and any `+json` type, parameters ignored, case-insensitively.
bool is_json_type(std::string_view content_type) noexcept;

/// The `timeout=N` of a `Keep-Alive` field value (`timeout=5, max=100` -> 5 s); nullopt when absent or not a
/// non-negative integer. A huge N is kept as it is: `idle_limit_for` clamps it.
std::optional<std::chrono::seconds> keep_alive_timeout(std::string_view keep_alive) noexcept;

/// How long an idle connection may be kept: the configured idle timeout, or the server's shorter
/// `Keep-Alive: timeout=`. Never overflows, whatever either value is.
clock_type::duration idle_limit_for(std::chrono::milliseconds configured, std::optional<std::chrono::seconds> server) noexcept;

}  // namespace pieces::detail
