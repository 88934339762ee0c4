#pragma once

#include <pieces/models/model_description.hpp>
#include <pieces/raw_json.hpp>
#include <pieces/wire_enum.hpp>

#include <cstdint>
#include <optional>
#include <string_view>

namespace pieces {

/// Schema version of a model. Unknown strings read as `UNKNOWN` (see `wire_enum`).
enum class EmbeddedModelSchemaSemanticVersionEnum { UNKNOWN, MAJOR_0_MINOR_0_PATCH_1 };
BOOST_DESCRIBE_ENUM(EmbeddedModelSchemaSemanticVersionEnum, UNKNOWN, MAJOR_0_MINOR_0_PATCH_1)

/// The wire spelling, e.g. "MAJOR_0_MINOR_0_PATCH_1".
std::string_view to_string(EmbeddedModelSchemaSemanticVersionEnum e) noexcept;
/// The enumerator spelled `s`, or nullopt for a string this version does not know.
std::optional<EmbeddedModelSchemaSemanticVersionEnum> semantic_version_from_string(std::string_view s) noexcept;

/// `schema` member every model may carry.
struct EmbeddedModelSchema {
    std::int64_t migration = 0;  ///< Required: the migration number.
    wire_enum<EmbeddedModelSchemaSemanticVersionEnum> semantic;  ///< Required: the semantic version.
    json_members unknown_members;  ///< Members this version does not know, in order, written back unchanged.

    friend bool operator==(const EmbeddedModelSchema&, const EmbeddedModelSchema&) = default;
};
BOOST_DESCRIBE_STRUCT(EmbeddedModelSchema, (), (migration, semantic))

}  // namespace pieces
