#pragma once

#include <pieces/models/model_description.hpp>

#include <optional>
#include <string_view>

namespace pieces {

/// Status of a cloud or of one of its urls. Unknown strings read as `UNKNOWN` (see `wire_enum`).
enum class AllocationStatusEnum { UNKNOWN, PENDING, RUNNING, FAILED, SUCCEEDED, DISCONNECTED };
BOOST_DESCRIBE_ENUM(AllocationStatusEnum, UNKNOWN, PENDING, RUNNING, FAILED, SUCCEEDED, DISCONNECTED)

/// The wire spelling, e.g. "RUNNING".
std::string_view to_string(AllocationStatusEnum e) noexcept;
/// The enumerator spelled `s`, or nullopt for a string this version does not know.
std::optional<AllocationStatusEnum> allocation_status_from_string(std::string_view s) noexcept;

}  // namespace pieces
