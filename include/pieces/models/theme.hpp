#pragma once

#include <pieces/models/embedded_model_schema.hpp>

namespace pieces {

/// The user's theme preferences.
struct Theme {
    std::optional<EmbeddedModelSchema> schema;  ///< The model's schema version, when the server sends one.
    bool dark = false;  ///< Required: true for the dark theme.
    json_members unknown_members;  ///< Members this version does not know, in order, written back unchanged.

    friend bool operator==(const Theme&, const Theme&) = default;
};
BOOST_DESCRIBE_STRUCT(Theme, (), (schema, dark))

}  // namespace pieces
