#pragma once

#include <pieces/models/font.hpp>
#include <pieces/models/theme.hpp>

namespace pieces {

/// The look the user chose: font and theme.
struct Aesthetics {
    std::optional<EmbeddedModelSchema> schema;  ///< The model's schema version, when the server sends one.
    Font font;  ///< Required: the font preferences.
    Theme theme;  ///< Required: the theme preferences.
    json_members unknown_members;  ///< Members this version does not know, in order, written back unchanged.

    friend bool operator==(const Aesthetics&, const Aesthetics&) = default;
};
BOOST_DESCRIBE_STRUCT(Aesthetics, (), (schema, font, theme))

}  // namespace pieces
