// One description per model drives reading (from text, from a DOM) and writing: shown on models that exist only
// here, two versions of one model that differ by one member and its name in the description, and on the checks
// every model gets from it (repeated names, nesting, the first error in the text).
#include "fixtures.hpp"

#include "models/model_codec.hpp"

#include <pieces/pieces.hpp>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <chrono>
#include <string>

using namespace pieces;
namespace json = boost::json;

namespace test_models {

enum class Shade { UNKNOWN, LIGHT, DARK };
BOOST_DESCRIBE_ENUM(Shade, UNKNOWN, LIGHT, DARK)

struct Part {
    std::string name;
    std::optional<std::int64_t> count;
    json_members unknown_members;
    friend bool operator==(const Part&, const Part&) = default;
};
BOOST_DESCRIBE_STRUCT(Part, (), (name, count))

// Version 1 of a model, with every kind of member: a keyword and a name that is not an identifier on the wire.
struct GadgetV1 {
    static constexpr wire_rename wire_renames[] = {{"content_type", "content-type"}};
    std::string id;
    std::optional<std::string> class_;
    std::string content_type;
    wire_enum<Shade> shade;
    std::vector<Part> parts;
    std::optional<raw_json> extra;
    pieces::timestamp made;
    bool on = false;
    json_members unknown_members;
    friend bool operator==(const GadgetV1&, const GadgetV1&) = default;
};
BOOST_DESCRIBE_STRUCT(GadgetV1, (), (id, class_, content_type, shade, parts, extra, made, on))

// Version 2: one member more, and its name in the description. Nothing else anywhere.
struct GadgetV2 {
    static constexpr wire_rename wire_renames[] = {{"content_type", "content-type"}};
    std::string id;
    std::optional<std::string> class_;
    std::string content_type;
    wire_enum<Shade> shade;
    std::vector<Part> parts;
    std::optional<raw_json> extra;
    pieces::timestamp made;
    bool on = false;
    std::optional<std::int64_t> weight;
    json_members unknown_members;
    friend bool operator==(const GadgetV2&, const GadgetV2&) = default;
};
BOOST_DESCRIBE_STRUCT(GadgetV2, (), (id, class_, content_type, shade, parts, extra, made, on, weight))

}  // namespace test_models

namespace {

using test_models::GadgetV1;
using test_models::GadgetV2;

template <class T>
T decoded(std::string_view text) {
    T out;
    std::string error;
    INFO(text);
    REQUIRE(detail::decode_text(text, out, error));
    CHECK(error.empty());
    // The same through a DOM.
    T via_dom;
    REQUIRE(detail::decode_value(json::parse(text), via_dom, error));
    CHECK(via_dom == out);
    return out;
}

template <class T>
std::string written(const T& m) {
    return json::serialize(detail::to_value(m));
}

// The error of reading `text` into T, straight and through the library's own DOM parse: they must agree.
template <class T>
std::string error_of(std::string_view text) {
    T out;
    std::string direct;
    CHECK_FALSE(detail::decode_text(text, out, direct));
    std::string via_dom;
    boost::system::error_code ec;
    const auto jv = detail::parse_json(text, ec, &via_dom);
    if (!ec) {
        T again;
        CHECK_FALSE(detail::decode_value(jv, again, via_dom));
    }
    CHECK(direct == via_dom);
    return direct;
}

const std::string gadget_v2_text =
    R"({"id":"g-1","class":"tool","content-type":"text/plain","shade":"DARK",)"
    R"("parts":[{"name":"lid","count":2},{"name":"hinge","finish":{"matte":true,"tones":[1,2.5,"x"]}}],)"
    R"("extra":{"any":[null,{}]},"made":"2026-11-24T10:00:00.000Z","on":true,"weight":7,"colour":"teal"})";

}  // namespace

TEST_CASE("a model described once: read, written back, every member and unknown member kept") {
    const auto g = decoded<GadgetV2>(gadget_v2_text);
    CHECK(g.id == "g-1");
    CHECK(g.class_ == "tool");
    CHECK(g.content_type == "text/plain");
    CHECK(g.shade == test_models::Shade::DARK);
    REQUIRE(g.parts.size() == 2);
    CHECK(g.parts[0].count == 2);
    REQUIRE(g.parts[1].unknown_members.size() == 1);
    CHECK(g.parts[1].unknown_members[0].name == "finish");
    CHECK(g.parts[1].unknown_members[0].value.text == R"({"matte":true,"tones":[1,2.5E0,"x"]})");
    REQUIRE(g.extra.has_value());
    CHECK(g.extra->text == R"({"any":[null,{}]})");
    CHECK(g.on);
    CHECK(g.weight == 7);
    REQUIRE(g.unknown_members.size() == 1);
    CHECK(g.unknown_members[0].name == "colour");
    // Written in the description's order, the unknown members after: the same JSON value as received.
    CHECK(json::parse(written(g)) == json::parse(gadget_v2_text));
    CHECK(decoded<GadgetV2>(written(g)) == g);
}

TEST_CASE("adding a member is one edit: the older model keeps it as unknown and writes it back") {
    const auto v1 = decoded<GadgetV1>(gadget_v2_text);
    REQUIRE(v1.unknown_members.size() == 2);
    CHECK(v1.unknown_members[0].name == "weight");
    CHECK(v1.unknown_members[0].value.text == "7");
    CHECK(json::parse(written(v1)) == json::parse(gadget_v2_text));
    // And the newer one reads what the older one wrote.
    CHECK(decoded<GadgetV2>(written(v1)) == decoded<GadgetV2>(gadget_v2_text));
}

TEST_CASE("a description's rules: required members, wire names, enum strings, nulls") {
    CHECK(error_of<GadgetV1>(R"({"id":"g","shade":"LIGHT","parts":[],"made":"2026-11-24T10:00:00Z","on":false})") ==
          "content-type: missing required member");
    CHECK(error_of<GadgetV1>(R"({"id":"g","content-type":"t","shade":"LIGHT","parts":[{"count":1}],)"
                             R"("made":"2026-11-24T10:00:00Z","on":false})") == "parts[0].name: missing required member");
    const auto g = decoded<GadgetV1>(R"({"id":"g","class":null,"content-type":"t","shade":"PURPLE","parts":[],)"
                                     R"("made":"2026-11-24T10:00:00Z","on":false,"extra":null})");
    CHECK_FALSE(g.class_.has_value());
    CHECK_FALSE(g.extra.has_value());
    CHECK(g.shade.unknown_text() == "PURPLE");
    CHECK(written(g).find("\"shade\":\"PURPLE\"") != std::string::npos);
    CHECK(written(g).find("null") == std::string::npos);
}

TEST_CASE("a member name given twice in one object is refused, at any depth, whichever way it is read") {
    CHECK(error_of<Allocations>(R"({"iterable":[],"iterable":[]})") == "iterable: member name given twice");
    CHECK(error_of<Allocations>(R"({"iterable":[],"x":1,"x":2})") == "x: member name given twice");
    CHECK(error_of<Allocations>(R"({"iterable":[],"x":{"a":[{"b":1,"b":1}]}})") == "x.a[0].b: member name given twice");
    CHECK(error_of<AllocationCloudUrl>(R"({"url":"u","status":"RUNNING","schema":{"semantic":"X","semantic":"Y"}})") ==
          "schema.semantic: member name given twice");
    // Many names in one object: still found (and in time linear in their number).
    std::string many = R"({"iterable":[])";
    for (int i = 0; i < 5000; ++i) many += ",\"k" + std::to_string(i) + "\":0";
    CHECK(decoded<Allocations>(many + "}").unknown_members.size() == 5000);
    CHECK(error_of<Allocations>(many + R"(,"k4321":1})") == "k4321: member name given twice");
    // Many names in one object, then many objects at its depth (each checked against its own names only).
    std::string objects = R"({"iterable":[],"x":[{)";
    for (int i = 0; i < 5000; ++i) objects += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":0";
    objects += "}";
    for (int i = 0; i < 20000; ++i) objects += ",{\"k1\":1}";
    CHECK(decoded<Allocations>(objects + "]}").unknown_members.size() == 1);
    CHECK(error_of<Allocations>(R"({"":1,"":2})") == "(root): member name given twice");
}

TEST_CASE("the first error in the text wins, and text that is not JSON is reported as such wherever it breaks") {
    // A wrong type first, then broken JSON: the text is not JSON.
    CHECK(error_of<Allocations>(R"({"iterable":5,"x":[1,2)").starts_with("(root): not valid JSON"));
    // A wrong type first, then a repeated name: the repeated name.
    CHECK(error_of<Allocations>(R"({"iterable":{"a":1},"y":{"b":1,"b":2}})") == "y.b: member name given twice");
    // Two wrong types: the first.
    CHECK(error_of<Allocations>(R"({"schema":{"migration":"one","semantic":7},"iterable":[]})") ==
          "schema.migration: expected an integer");
    // A refused value is still read through to its end.
    CHECK(error_of<Allocations>(R"({"iterable":[{"id":[[{"a":{}}]]}]})") == "iterable[0].id: expected a string");
}

TEST_CASE("nesting: 32 levels are read, deeper is refused; no recursion on deep input") {
    const auto nested = [](int depth) {
        return R"({"iterable":[],"deep":)" + std::string(depth, '[') + std::string(depth, ']') + "}";
    };
    CHECK(decoded<Allocations>(nested(31)).unknown_members.at(0).value.text.size() == 62);
    CHECK(error_of<Allocations>(nested(32)).starts_with("(root): not valid JSON"));
    CHECK(error_of<Allocations>(std::string(100000, '[')).starts_with("(root): not valid JSON"));
    // A DOM deeper than the text limit, built in code, is read too (its walk has a stack of its own).
    json::value deep = json::array();
    json::value* at = &deep;
    for (int i = 0; i < 200; ++i) at = &at->as_array().emplace_back(json::array());
    json::object root;
    root["iterable"] = json::array();
    root["deep"] = std::move(deep);
    Allocations all;
    std::string error;
    CHECK(detail::decode_value(root, all, error));
    CHECK(all.unknown_members.at(0).value.text.size() == 2 * 201);
}
