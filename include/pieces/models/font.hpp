#pragma once

#include <pieces/models/embedded_model_schema.hpp>

namespace pieces {

struct Font {
    std::optional<EmbeddedModelSchema> schema;
    std::int64_t size = 0;  // required
    json_members unknown_members;

    friend bool operator==(const Font&, const Font&) = default;
};

}  // namespace pieces
