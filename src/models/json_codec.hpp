// Private: model <-> Boost.JSON DOM, with the JSON path of the first failure.
#pragma once

#include <pieces/models/json.hpp>

#include <boost/json/object.hpp>
#include <boost/json/storage_ptr.hpp>
#include <boost/json/value.hpp>
#include <boost/system/error_code.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace pieces::detail {

/// One step of a JSON path, linked to its parent on the stack (no allocation unless an error is formatted).
struct json_path {
    const json_path* parent = nullptr;
    std::string_view key;        // member name, or empty for an index
    std::size_t index = 0;
    bool is_index = false;

    std::string to_string() const;  // "iterable[2].urls.base.status"; "(root)" at the top
};

/// Parses JSON text (default limits: depth 32) with every double read exactly (see json_parse.cpp);
/// on failure `ec` is set and the result is null.
boost::json::value parse_json(std::string_view text, boost::system::error_code& ec, boost::json::storage_ptr sp = {});

/// Reads `jv` into `out`; on failure returns false with `error` = "<path>: <what>".
template <model T>
bool read_model(const boost::json::value& jv, T& out, const json_path& at, std::string& error);

/// Writes `m` as a JSON object.
template <model T>
void write_model(boost::json::object& obj, const T& m);

}  // namespace pieces::detail
