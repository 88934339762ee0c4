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

/// The model types of the Allocations API, each described once (see model_description.hpp): `X(Type)` for each.
/// The conversions below are compiled for exactly these.
#define PIECES_FOR_EACH_MODEL(X)                                                                            \
    X(Allocations) X(AllocationCloud) X(AllocationCloudUrls) X(AllocationCloudUrl) X(AllocationCloudStatus) \
    X(EmbeddedModelSchema) X(GroupedTimestamp) X(UserProfile) X(Aesthetics) X(Font) X(Theme)

#define PIECES_DETAIL_IS(T) || std::is_same_v<Model, T>
/// True for the model types of the Allocations API.
template <class Model>
inline constexpr bool is_model_v = false PIECES_FOR_EACH_MODEL(PIECES_DETAIL_IS);
#undef PIECES_DETAIL_IS

template <class T>
concept model = is_model_v<T>;

/// Decodes JSON text straight into a model (no DOM is built). On failure returns `errc::invalid_response`, and
/// fills `diag` (when given) with a client message naming the JSON path:
/// `iterable[2].urls.base.status: expected a string`. Strict: a missing required member, a wrong type, a member
/// name given twice in one object (anywhere in the text) or nesting deeper than 32 levels is refused; text
/// that is not JSON is refused before any of these. Lossless: unknown members (at any depth) and unknown enum
/// strings are kept and written back; numbers are read exactly.
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
