// JSON text -> Boost.JSON DOM, with every non-integer number read exactly.
// Boost.JSON 1.81's parser may leave a long or large-exponent number one unit in the last place off
// (its `imprecise` number mode is the only one in 1.81), so a value received and written back could
// change. Its SAX parser also hands over each number's text: that text, read with std::from_chars,
// gives the nearest double, and Boost.JSON writes doubles in the shortest form that reads back the same.
// Later Boost.JSON versions offer a precise mode too; this reading is exact on every version, so it is used
// on all of them (one code path, tested here on 1.81).
#include "json_codec.hpp"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/value_stack.hpp>

#include <charconv>
#include <cmath>
#include <string>

namespace pieces::detail {
namespace {

namespace json = boost::json;

// The handler of Boost.JSON's own `parser` (building the DOM on a value_stack), but for doubles.
struct exact_number_handler {
    static constexpr std::size_t max_object_size = json::object::max_size();
    static constexpr std::size_t max_array_size = json::array::max_size();
    static constexpr std::size_t max_key_size = json::string::max_size();
    static constexpr std::size_t max_string_size = json::string::max_size();

    json::value_stack st;
    std::string number;  // a number's text delivered in parts (only when the input comes in parts)

    exact_number_handler(unsigned char* temp, std::size_t size) : st(json::storage_ptr(), temp, size) {}

    bool on_document_begin(json::error_code&) { return true; }
    bool on_document_end(json::error_code&) { return true; }
    bool on_object_begin(json::error_code&) { return true; }
    bool on_object_end(std::size_t n, json::error_code&) {
        st.push_object(n);
        return true;
    }
    bool on_array_begin(json::error_code&) { return true; }
    bool on_array_end(std::size_t n, json::error_code&) {
        st.push_array(n);
        return true;
    }
    bool on_key_part(json::string_view s, std::size_t, json::error_code&) {
        st.push_chars(s);
        return true;
    }
    bool on_key(json::string_view s, std::size_t, json::error_code&) {
        st.push_key(s);
        return true;
    }
    bool on_string_part(json::string_view s, std::size_t, json::error_code&) {
        st.push_chars(s);
        return true;
    }
    bool on_string(json::string_view s, std::size_t, json::error_code&) {
        st.push_string(s);
        return true;
    }
    bool on_number_part(json::string_view s, json::error_code&) {
        number.append(s.data(), s.size());
        return true;
    }
    bool on_int64(std::int64_t i, json::string_view, json::error_code&) {
        number.clear();
        st.push_int64(i);
        return true;
    }
    bool on_uint64(std::uint64_t u, json::string_view, json::error_code&) {
        number.clear();
        st.push_uint64(u);
        return true;
    }
    bool on_double(double d, json::string_view s, json::error_code& ec) {
        const bool in_parts = !number.empty();
        if (in_parts) number.append(s.data(), s.size());
        const json::string_view text = in_parts ? json::string_view(number) : s;
        double exact = 0;
        const auto r = std::from_chars(text.data(), text.data() + text.size(), exact);
        number.clear();
        if (r.ec == std::errc{}) {
            d = exact;
        } else if (!std::isfinite(d)) {
            // 1e400: no double holds it, and JSON cannot write back an infinity. (An underflow such as 1e-400
            // is out of range for from_chars too, but Boost.JSON's 0 is the nearest double.)
            ec = json::error::exponent_overflow;
            return false;
        }
        st.push_double(d);
        return true;
    }
    bool on_bool(bool b, json::error_code&) {
        st.push_bool(b);
        return true;
    }
    bool on_null(json::error_code&) {
        st.push_null();
        return true;
    }
    bool on_comment_part(json::string_view, json::error_code&) { return true; }
    bool on_comment(json::string_view, json::error_code&) { return true; }
};

}  // namespace

json::value parse_json(std::string_view text, boost::system::error_code& ec, json::storage_ptr sp) {
    unsigned char temp[BOOST_JSON_STACK_BUFFER_SIZE];
    json::basic_parser<exact_number_handler> parser(json::parse_options{}, temp, sizeof temp);
    parser.handler().st.reset(std::move(sp));
    const std::size_t used = parser.write_some(false, text.data(), text.size(), ec);
    if (!ec && used < text.size()) ec = json::error::extra_data;
    if (ec) return nullptr;
    return parser.handler().st.release();
}

}  // namespace pieces::detail
