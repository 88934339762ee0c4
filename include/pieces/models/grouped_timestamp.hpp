#pragma once

#include <pieces/models/embedded_model_schema.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace pieces {

/// A point in time as Pieces sends it. `value` is read from RFC 3339 (`Z` or `+hh:mm`, 0 to 9
/// fractional digits) and written in the `Date.toISOString()` form, `2026-11-22T10:00:00.000Z`
/// (with 6 or 9 fractional digits only when the value has sub-millisecond precision, so nothing is lost).
struct GroupedTimestamp {
    std::optional<EmbeddedModelSchema> schema;  ///< The model's schema version, when the server sends one.
    std::chrono::system_clock::time_point value;  ///< Required: the point in time (UTC).
    std::optional<std::string> readable;  ///< A human text for it, e.g. "a minute ago".
    json_members unknown_members;  ///< Members this version does not know, in order, written back unchanged.

    friend bool operator==(const GroupedTimestamp&, const GroupedTimestamp&) = default;
};
BOOST_DESCRIBE_STRUCT(GroupedTimestamp, (), (schema, value, readable))

/// `tp` in the `toISOString` form (UTC, `Z`).
std::string to_iso_string(std::chrono::system_clock::time_point tp);
/// Parses an RFC 3339 date-time; nullopt when `text` is not one.
std::optional<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view text) noexcept;

}  // namespace pieces
