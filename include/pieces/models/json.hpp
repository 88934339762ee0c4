// JSON conversion of every model: this library's text functions, and Boost.JSON's
// `value_from` / `value_to` / `try_value_to` customisation points (declared here, defined in src/).
#pragma once

#include <pieces/diagnostics.hpp>
#include <pieces/models/allocations.hpp>
#include <pieces/models/user_profile.hpp>

#include <boost/json/fwd.hpp>
#include <boost/system/result.hpp>

#include <string>
#include <string_view>
#include <type_traits>

namespace pieces {

/// True for the model types of the Allocations API.
template <class T>
inline constexpr bool is_model_v =
    std::is_same_v<T, AllocationCloud> || std::is_same_v<T, AllocationCloudUrls> ||
    std::is_same_v<T, AllocationCloudUrl> || std::is_same_v<T, AllocationCloudStatus> ||
    std::is_same_v<T, Allocations> || std::is_same_v<T, EmbeddedModelSchema> ||
    std::is_same_v<T, GroupedTimestamp> || std::is_same_v<T, UserProfile> ||
    std::is_same_v<T, Aesthetics> || std::is_same_v<T, Font> || std::is_same_v<T, Theme>;

template <class T>
concept model = is_model_v<T>;

/// Decodes JSON text into a model. On failure returns `errc::invalid_response`, and fills `diag`
/// (when given) with a client message naming the JSON path: `iterable[2].urls.base.status: expected a string`.
template <model T>
boost::system::result<T> try_from_json(std::string_view json, diagnostics* diag = nullptr);

/// As `try_from_json`, throwing `error_with_diagnostics` on failure.
template <model T>
T from_json(std::string_view json);

/// Compact JSON text of a model: absent optionals omitted, unknown members and enum strings written back.
template <model T>
std::string to_json(const T& m);

// ---- Boost.JSON customisation points (found by ADL) ----
template <model T>
void tag_invoke(const boost::json::value_from_tag&, boost::json::value& jv, const T& m);

/// Throws `error_with_diagnostics` (code `invalid_response`, message naming the JSON path).
template <model T>
T tag_invoke(const boost::json::value_to_tag<T>&, const boost::json::value& jv);

/// Returns `errc::invalid_response` on failure (the path is only in the throwing form's message).
template <model T>
boost::system::result<T> tag_invoke(const boost::json::try_value_to_tag<T>&, const boost::json::value& jv);

}  // namespace pieces
