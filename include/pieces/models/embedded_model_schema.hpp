#pragma once

#include <pieces/raw_json.hpp>
#include <pieces/wire_enum.hpp>

#include <cstdint>
#include <optional>
#include <string_view>

namespace pieces {

/// Schema version of a model. Unknown strings read as `UNKNOWN` (see `wire_enum`).
enum class EmbeddedModelSchemaSemanticVersionEnum { UNKNOWN, MAJOR_0_MINOR_0_PATCH_1 };

std::string_view to_string(EmbeddedModelSchemaSemanticVersionEnum e) noexcept;
std::optional<EmbeddedModelSchemaSemanticVersionEnum> semantic_version_from_string(std::string_view s) noexcept;

/// `schema` member every model may carry.
struct EmbeddedModelSchema {
    std::int64_t migration = 0;                                   // required
    wire_enum<EmbeddedModelSchemaSemanticVersionEnum> semantic;   // required
    json_members unknown_members;

    friend bool operator==(const EmbeddedModelSchema&, const EmbeddedModelSchema&) = default;
};

}  // namespace pieces
