#pragma once

#include <pieces/models/embedded_model_schema.hpp>

namespace pieces {

/// The user's font preferences.
struct Font {
    std::optional<EmbeddedModelSchema> schema;  ///< The model's schema version, when the server sends one.
    std::int64_t size = 0;  ///< Required: the font size.
    json_members unknown_members;  ///< Members this version does not know, in order, written back unchanged.

    friend bool operator==(const Font&, const Font&) = default;
};
BOOST_DESCRIBE_STRUCT(Font, (), (schema, size))

}  // namespace pieces
