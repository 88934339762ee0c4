#pragma once

#include <pieces/models/font.hpp>
#include <pieces/models/theme.hpp>

namespace pieces {

struct Aesthetics {
    std::optional<EmbeddedModelSchema> schema;
    Font font;    // required
    Theme theme;  // required
    json_members unknown_members;

    friend bool operator==(const Aesthetics&, const Aesthetics&) = default;
};

}  // namespace pieces
