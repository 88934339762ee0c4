// The enumerations' wire strings, from their descriptions.
#include "models/description.hpp"

#include <pieces/models/allocation_status_enum.hpp>
#include <pieces/models/embedded_model_schema.hpp>

namespace pieces {

std::string_view to_string(AllocationStatusEnum e) noexcept { return detail::enum_wire_name(e); }
std::optional<AllocationStatusEnum> allocation_status_from_string(std::string_view s) noexcept {
    return detail::enum_from_wire<AllocationStatusEnum>(s);
}

std::string_view to_string(EmbeddedModelSchemaSemanticVersionEnum e) noexcept { return detail::enum_wire_name(e); }
std::optional<EmbeddedModelSchemaSemanticVersionEnum> semantic_version_from_string(std::string_view s) noexcept {
    return detail::enum_from_wire<EmbeddedModelSchemaSemanticVersionEnum>(s);
}

}  // namespace pieces
