#pragma once

#include <pieces/models/embedded_model_schema.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace pieces {

/// A point in time as the models hold it: nanoseconds since 1970 (UTC), so from 1677 to 2262, on every platform.
/// `system_clock`'s own unit differs (nanoseconds with libstdc++, where this is `system_clock::time_point` itself;
/// microseconds with libc++; 100 ns with MSVC): a coarser one would drop digits a server sent. Any
/// `system_clock::time_point` converts to it implicitly.
using timestamp = std::chrono::sys_time<std::chrono::nanoseconds>;

/// A point in time as Pieces sends it. `value` is read from RFC 3339 (`Z` or `+hh:mm`, 0 to 9
/// fractional digits) and written in the `Date.toISOString()` form, `2026-11-22T10:00:00.000Z`
/// (with 6 or 9 fractional digits only when the value has sub-millisecond precision, so nothing is lost).
struct GroupedTimestamp {
    std::optional<EmbeddedModelSchema> schema;  ///< The model's schema version, when the server sends one.
    timestamp value;  ///< Required: the point in time (UTC).
    std::optional<std::string> readable;  ///< A human text for it, e.g. "a minute ago".
    json_members unknown_members;  ///< Members this version does not know, in order, written back unchanged.

    friend bool operator==(const GroupedTimestamp&, const GroupedTimestamp&) = default;
};
BOOST_DESCRIBE_STRUCT(GroupedTimestamp, (), (schema, value, readable))

/// `tp` in the `toISOString` form (UTC, `Z`).
std::string to_iso_string(timestamp tp);
/// Parses an RFC 3339 date-time; nullopt when `text` is not one.
std::optional<timestamp> parse_rfc3339(std::string_view text) noexcept;

}  // namespace pieces
