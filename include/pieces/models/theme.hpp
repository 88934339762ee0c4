#pragma once

#include <pieces/models/embedded_model_schema.hpp>

namespace pieces {

struct Theme {
    std::optional<EmbeddedModelSchema> schema;
    bool dark = false;  // required
    json_members unknown_members;

    friend bool operator==(const Theme&, const Theme&) = default;
};

}  // namespace pieces
