// JSON kept as text: members this version does not model, and the big UserProfile sub-objects.
#pragma once

#include <string>
#include <vector>

namespace pieces {

/// One JSON value kept verbatim as compact serialized text (e.g. `{"name":"pro"}`), so that a model read
/// from the server and written back loses nothing this library does not model.
struct raw_json {
    std::string text;  ///< The value as compact JSON text.
    friend bool operator==(const raw_json&, const raw_json&) = default;
};

/// A member this library does not know, kept with its name so it is written back.
struct json_member {
    std::string name;  ///< The member's name, as received.
    raw_json value;    ///< Its value, verbatim.
    friend bool operator==(const json_member&, const json_member&) = default;
};

/// The unknown members of one JSON object, in the order they were received.
using json_members = std::vector<json_member>;

}  // namespace pieces
