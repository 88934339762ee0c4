// The leaves of writing a model (the members themselves follow its description: see model_codec.hpp).
#include "models/model_codec.hpp"

#include <pieces/models/grouped_timestamp.hpp>

#include <boost/system/system_error.hpp>

namespace pieces::detail {

namespace json = boost::json;

json::value to_value(const std::string& s) { return json::string_view(s); }
json::value to_value(std::int64_t i) { return i; }
json::value to_value(bool b) { return b; }
json::value to_value(timestamp tp) { return to_value(to_iso_string(tp)); }

json::value to_value(const raw_json& r) {
    boost::system::error_code ec;
    json::value v = parse_json(r.text, ec);
    if (ec) throw boost::system::system_error(ec, "raw_json holds invalid JSON");
    return v;
}

}  // namespace pieces::detail
