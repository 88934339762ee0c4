#include <pieces/models/allocation_status_enum.hpp>
#include <pieces/models/embedded_model_schema.hpp>

#include <array>
#include <utility>

namespace pieces {
namespace {

constexpr std::array<std::pair<AllocationStatusEnum, std::string_view>, 6> status_names{{
    {AllocationStatusEnum::UNKNOWN, "UNKNOWN"},
    {AllocationStatusEnum::PENDING, "PENDING"},
    {AllocationStatusEnum::RUNNING, "RUNNING"},
    {AllocationStatusEnum::FAILED, "FAILED"},
    {AllocationStatusEnum::SUCCEEDED, "SUCCEEDED"},
    {AllocationStatusEnum::DISCONNECTED, "DISCONNECTED"},
}};

constexpr std::array<std::pair<EmbeddedModelSchemaSemanticVersionEnum, std::string_view>, 2> semantic_names{{
    {EmbeddedModelSchemaSemanticVersionEnum::UNKNOWN, "UNKNOWN"},
    {EmbeddedModelSchemaSemanticVersionEnum::MAJOR_0_MINOR_0_PATCH_1, "MAJOR_0_MINOR_0_PATCH_1"},
}};

template <class E, std::size_t N>
std::string_view name_of(const std::array<std::pair<E, std::string_view>, N>& table, E e) noexcept {
    for (const auto& [value, name] : table)
        if (value == e) return name;
    return "UNKNOWN";
}

template <class E, std::size_t N>
std::optional<E> value_of(const std::array<std::pair<E, std::string_view>, N>& table, std::string_view s) noexcept {
    for (const auto& [value, name] : table)
        if (name == s) return value;
    return std::nullopt;
}

}  // namespace

std::string_view to_string(AllocationStatusEnum e) noexcept { return name_of(status_names, e); }
std::optional<AllocationStatusEnum> allocation_status_from_string(std::string_view s) noexcept {
    return value_of(status_names, s);
}

std::string_view to_string(EmbeddedModelSchemaSemanticVersionEnum e) noexcept { return name_of(semantic_names, e); }
std::optional<EmbeddedModelSchemaSemanticVersionEnum> semantic_version_from_string(std::string_view s) noexcept {
    return value_of(semantic_names, s);
}

}  // namespace pieces
