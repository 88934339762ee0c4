// How a model is described: once, by Boost.Describe, next to its struct. That one description drives reading
// (straight from the reply text, or from a Boost.JSON value) and writing; nothing else lists a model's members.
//
//     struct Font {
//         std::optional<EmbeddedModelSchema> schema;
//         std::int64_t size = 0;
//         json_members unknown_members;
//     };
//     BOOST_DESCRIBE_STRUCT(Font, (), (schema, size))
//
// - Members are listed in the order they are written; `unknown_members` (a `json_members`, required in every
//   model) is not listed: it holds the members the description does not name, in the order received.
// - A `std::optional<U>` member may be absent (or `null`) on the wire, and is not written when empty; every
//   other member is required.
// - Member types: `std::string`, `std::int64_t`, `bool`, `raw_json` (any JSON value, kept as text),
//   `wire_enum<E>` (E described with BOOST_DESCRIBE_ENUM; its enumerators are the wire strings),
//   `pieces::timestamp` (an RFC 3339 string; `system_clock::time_point` with libstdc++), another model, `std::vector<U>` and
//   `std::optional<U>` of these.
// - The wire name is the member's name, with one trailing `_` dropped (`class_` is `"class"`). A name that is not
//   a C++ identifier is given by a `static constexpr wire_rename wire_renames[]` member of the model:
//   `{"content_type", "content-type"}`.
#pragma once

#include <boost/describe/class.hpp>
#include <boost/describe/enum.hpp>

#include <string_view>

namespace pieces {

/// One entry of a model's optional `wire_renames` table: the member `member` is `wire_name` on the wire.
struct wire_rename {
    std::string_view member;     ///< The C++ member's name.
    std::string_view wire_name;  ///< Its name in JSON.
};

}  // namespace pieces
