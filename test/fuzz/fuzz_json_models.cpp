// libFuzzer target: any text, as JSON, into one of the eleven models (picked by the first byte).
// It is read both ways, straight from the text and through a DOM, which must give the same model or the same
// error message.
// What decodes must encode to JSON that decodes to an equal model and the same text again (stable), and
// keeps every member the input had with its value (nothing lost; only null members may be left out, and a
// timestamp may be rewritten in canonical form for the same instant).
// What does not decode must fail with `invalid_response` and a message naming where.
#include <pieces/error.hpp>
#include <pieces/models/grouped_timestamp.hpp>
#include <pieces/models/json.hpp>

#include "models/model_codec.hpp"  // decode_text, decode_value, parse_json
#include "fuzz_fail.hpp"

#include <boost/json/value.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace {

namespace json = boost::json;

using pieces_fuzz::fail;

// Same content: equal, where null members count as absent, two timestamps are equal when they are the
// same instant and two numbers when they have the same value (an integral 14.0 is written back as 14).
bool same_content(const json::value& a, const json::value& b);

bool same_members(const json::object& a, const json::object& b) {
    std::size_t non_null = 0;
    for (const auto& m : a) {
        if (m.value().is_null()) continue;
        ++non_null;
        const auto* other = b.if_contains(m.key());
        if (!other || !same_content(m.value(), *other)) return false;
    }
    std::size_t other_non_null = 0;
    for (const auto& m : b) other_non_null += m.value().is_null() ? 0 : 1;
    return non_null == other_non_null;
}

bool same_content(const json::value& a, const json::value& b) {
    if (a.is_object() && b.is_object()) return same_members(a.get_object(), b.get_object());
    if (a.is_array() && b.is_array()) {
        const auto &x = a.get_array(), &y = b.get_array();
        if (x.size() != y.size()) return false;
        for (std::size_t i = 0; i < x.size(); ++i)
            if (!same_content(x[i], y[i])) return false;
        return true;
    }
    if (a.is_string() && b.is_string() && a != b) {
        const auto t = pieces::parse_rfc3339(a.get_string()), u = pieces::parse_rfc3339(b.get_string());
        return t && u && *t == *u;
    }
    if (a.is_number() && b.is_number() && a.kind() != b.kind())  // 14.0 read as an integer is written 14
        return a.to_number<double>() == b.to_number<double>();
    return a == b;
}

json::value parsed(std::string_view text) {
    boost::system::error_code ec;
    json::value v = pieces::detail::parse_json(text, ec);
    if (ec) fail("text that decoded does not parse", text);
    return v;
}

// Straight from the text, and through the library's DOM parse and then the DOM: the same outcome.
template <class T>
void both_ways(std::string_view text) {
    T direct, via_dom;
    std::string direct_error, dom_error;
    const bool direct_ok = pieces::detail::decode_text(text, direct, direct_error);
    boost::system::error_code ec;
    const json::value jv = pieces::detail::parse_json(text, ec, &dom_error);
    const bool dom_ok = !ec && pieces::detail::decode_value(jv, via_dom, dom_error);
    if (direct_ok != dom_ok) fail("read straight and through a DOM, one fails: " + direct_error + dom_error, text);
    if (direct_ok && !(direct == via_dom)) fail("read straight and through a DOM, the models differ", text);
    if (!direct_ok && direct_error != dom_error) fail("the two ways fail differently: " + direct_error + " | " + dom_error, text);
}

template <class T>
void round_trip(std::string_view text) {
    both_ways<T>(text);
    pieces::diagnostics diag;
    auto decoded = pieces::try_from_json<T>(text, &diag);
    if (!decoded) {
        if (decoded.error() != pieces::errc::invalid_response) fail("unexpected error code", decoded.error().message());
        if (diag.client_message().empty()) fail("an error without a message", text);
        return;
    }
    const std::string once = pieces::to_json(*decoded);
    auto again = pieces::try_from_json<T>(once);
    if (!again) fail("our own JSON does not decode", once);
    if (*again != *decoded) fail("our own JSON decodes to a different model", once);
    if (pieces::to_json(*again) != once) fail("encoding is not stable", once);
    if (!same_content(parsed(text), parsed(once))) fail("a member was lost or changed; wrote", once);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
    switch (data[0] % 11) {
        case 0: round_trip<pieces::Allocations>(text); break;
        case 1: round_trip<pieces::AllocationCloud>(text); break;
        case 2: round_trip<pieces::AllocationCloudUrls>(text); break;
        case 3: round_trip<pieces::AllocationCloudUrl>(text); break;
        case 4: round_trip<pieces::AllocationCloudStatus>(text); break;
        case 5: round_trip<pieces::UserProfile>(text); break;
        case 6: round_trip<pieces::EmbeddedModelSchema>(text); break;
        case 7: round_trip<pieces::GroupedTimestamp>(text); break;
        case 8: round_trip<pieces::Aesthetics>(text); break;
        case 9: round_trip<pieces::Font>(text); break;
        default: round_trip<pieces::Theme>(text); break;
    }
    return 0;
}
