#include "fixtures.hpp"

#include <pieces/pieces.hpp>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <charconv>
#include <cstdint>
#include <string>
#include <type_traits>

using namespace pieces;
using pieces_test::read_fixture;
namespace json = boost::json;

namespace {

template <class T>
void check_round_trip(const std::string& fixture) {
    const auto original = json::parse(read_fixture(fixture));
    const T model = json::value_to<T>(original);
    const json::value back = json::value_from(model);
    // json::value equality on objects ignores member order.
    CHECK(back == original);
    // And through the text functions.
    CHECK(json::parse(to_json(from_json<T>(json::serialize(original)))) == original);
}

std::string decode_error(std::string_view text) {
    diagnostics diag;
    auto r = try_from_json<Allocations>(text, &diag);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error() == errc::invalid_response);
    return diag.client_message();
}

}  // namespace

TEST_CASE("every fixture round-trips value -> model -> value") {
    check_round_trip<AllocationCloud>("allocation_cloud.json");
    check_round_trip<AllocationCloud>("allocation_cloud_unknown_fields.json");
    check_round_trip<Allocations>("allocations.json");
    check_round_trip<UserProfile>("user_profile.json");
}

TEST_CASE("fixtures decode into typed members") {
    const auto cloud = from_json<AllocationCloud>(read_fixture("allocation_cloud.json"));
    CHECK(cloud.id == "3d5a9b12-7c40-4e8f-a6b1-0e2f4c8d7a10");
    CHECK(cloud.urls.base.status == AllocationStatusEnum::RUNNING);
    REQUIRE(cloud.urls.vanity.has_value());
    CHECK(cloud.urls.vanity->status == AllocationStatusEnum::PENDING);
    CHECK(cloud.status.cloud == AllocationStatusEnum::RUNNING);
    REQUIRE(cloud.schema.has_value());
    CHECK(cloud.schema->semantic == EmbeddedModelSchemaSemanticVersionEnum::MAJOR_0_MINOR_0_PATCH_1);
    CHECK(cloud.version == "11.0.3");
    CHECK(cloud.unknown_members.empty());

    const auto all = from_json<Allocations>(read_fixture("allocations.json"));
    REQUIRE(all.iterable.size() == 3);
    CHECK(all.iterable[2].status.cloud == AllocationStatusEnum::DISCONNECTED);
    CHECK_FALSE(all.iterable[2].urls.vanity.has_value());
    CHECK_FALSE(all.iterable[1].updated.has_value());

    const auto user = from_json<UserProfile>(read_fixture("user_profile.json"));
    CHECK(user.aesthetics.font.size == 13);
    CHECK_FALSE(user.aesthetics.theme.dark);
    REQUIRE(user.auth0.has_value());
    CHECK(json::parse(user.auth0->text) == json::parse(R"({"global_id":"auth0|5e0c71","cloud_key":"ck-ines","vanityname":"ines","mfa":{"enrolled":true}})"));
    REQUIRE(user.providers.has_value());
    REQUIRE(user.apiKeys.has_value());
    CHECK(*user.apiKeys == std::vector<std::string>{"pk-ines-01", "pk-ines-02"});
}

TEST_CASE("unknown members and enum strings are kept and written back") {
    const auto cloud = from_json<AllocationCloud>(read_fixture("allocation_cloud_unknown_fields.json"));
    CHECK(cloud.urls.base.status == AllocationStatusEnum::UNKNOWN);
    CHECK(cloud.urls.base.status.unknown_text() == "REPLICATING");
    CHECK(cloud.status.cloud == AllocationStatusEnum::UNKNOWN);
    CHECK(cloud.status.cloud.unknown_text() == "SUSPENDED");
    REQUIRE(cloud.schema.has_value());
    CHECK(cloud.schema->semantic.unknown_text() == "MAJOR_0_MINOR_0_PATCH_3");
    REQUIRE(cloud.unknown_members.size() == 1);
    CHECK(cloud.unknown_members[0].name == "quota");
    REQUIRE(cloud.urls.unknown_members.size() == 1);
    CHECK(cloud.urls.unknown_members[0].name == "mirror");

    const auto back = json::parse(to_json(cloud));
    CHECK(back.at("urls").at("base").at("status") == "REPLICATING");
    CHECK(back.at("status").at("cloud") == "SUSPENDED");
    CHECK(back.at("quota").at("seats").as_array().size() == 3);

    // A known value set in code replaces the unknown text.
    auto edited = cloud;
    edited.status.cloud = AllocationStatusEnum::RUNNING;
    CHECK(json::parse(to_json(edited)).at("status").at("cloud") == "RUNNING");
}

TEST_CASE("a missing required member names its path") {
    auto doc = json::parse(read_fixture("allocations.json"));
    doc.at("iterable").at(2).at("urls").at("base").as_object().erase("status");
    CHECK(decode_error(json::serialize(doc)) == "iterable[2].urls.base.status: missing required member");

    auto doc2 = json::parse(read_fixture("allocations.json"));
    doc2.at("iterable").at(0).as_object().erase("project");
    CHECK(decode_error(json::serialize(doc2)) == "iterable[0].project: missing required member");

    CHECK(decode_error("{}") == "iterable: missing required member");
}

// Found by fuzz_json_models: an integer member given a number too large for int64 (read as a double by the
// JSON parser) was converted anyway (undefined behaviour, reported by UBSan) instead of being refused.
TEST_CASE("an integer member refuses a number int64 cannot hold, and accepts integral doubles within range") {
    CHECK_FALSE(try_from_json<Font>(R"({"size":11111111111111111111111111113})").has_value());
    CHECK_FALSE(try_from_json<Font>(R"({"size":1e28})").has_value());
    CHECK_FALSE(try_from_json<Font>(R"({"size":-1e28})").has_value());
    CHECK_FALSE(try_from_json<Font>(R"({"size":9223372036854775808.0})").has_value());  // 2^63
    CHECK_FALSE(try_from_json<Font>(R"({"size":14.5})").has_value());
    CHECK(try_from_json<Font>(R"({"size":14.0})")->size == 14);
    CHECK(try_from_json<Font>(R"({"size":-9223372036854775808.0})")->size == INT64_MIN);
    const auto r = try_from_json<Font>(R"({"size":1e28})");
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error() == errc::invalid_response);
}

// Found by fuzz_json_models: an empty enum string was taken for "no unknown text" and written back as "UNKNOWN".
TEST_CASE("an empty enum string is kept as unknown text and written back as received") {
    const auto status = from_json<AllocationCloudStatus>(R"({"cloud":""})");
    CHECK(status.cloud == AllocationStatusEnum::UNKNOWN);
    CHECK(status.cloud.has_unknown_text());
    CHECK(status.cloud.unknown_text().empty());
    CHECK(to_json(status) == R"({"cloud":""})");
    CHECK_FALSE(wire_enum<AllocationStatusEnum>{}.has_unknown_text());
    CHECK(to_json(AllocationCloudStatus{}) == R"({"cloud":"UNKNOWN"})");
}

// Found by fuzz_json_models: Boost.JSON 1.81 reads some numbers a unit in the last place off (and 0e1113 as
// NaN), so an unknown member's number could change on its way back; 1e400 was written back as `Infinity`
// (not JSON). Numbers are now read exactly, and one no double holds is refused.
TEST_CASE("numbers are read exactly and written back as the nearest double; 1e400 is refused") {
    const std::string long_number = std::string(89, '7') + "0";  // 7.7...7e89, 90 digits
    const auto font = from_json<Font>(R"({"size":12,"scale":)" + long_number + "}");
    REQUIRE(font.unknown_members.size() == 1);
    const double expected = 0x1.86fb65c757eb7p+298;  // the nearest double (Python's float() of the same text)
    // Written in the shortest form that reads back as that double.
    CHECK(to_json(font) == R"({"size":12,"scale":)" + json::serialize(json::value(expected)) + "}");
    CHECK(from_json<Font>(to_json(font)) == font);  // stable

    CHECK(from_json<Font>(R"({"size":0e1113})").size == 0);
    CHECK(from_json<Font>(R"({"size":12,"tiny":1e-400})").unknown_members.at(0).value.text == "0E0");
    const auto huge = try_from_json<Font>(R"({"size":12,"huge":1e400})");
    REQUIRE_FALSE(huge.has_value());
    CHECK(huge.error() == errc::invalid_response);
}

TEST_CASE("a wrong type names its path") {
    auto doc = json::parse(read_fixture("allocations.json"));
    doc.at("iterable").at(2).at("urls").at("base").at("status") = 7;
    CHECK(decode_error(json::serialize(doc)) == "iterable[2].urls.base.status: expected a string");

    auto doc2 = json::parse(read_fixture("allocations.json"));
    doc2.at("iterable").at(1).at("schema").at("migration") = "zero";
    CHECK(decode_error(json::serialize(doc2)) == "iterable[1].schema.migration: expected an integer");

    auto doc3 = json::parse(read_fixture("allocations.json"));
    doc3.at("iterable").at(0).at("updated").at("value") = "yesterday";
    CHECK(decode_error(json::serialize(doc3)) == "iterable[0].updated.value: expected an RFC 3339 date-time");

    CHECK(decode_error(R"({"iterable": {}})") == "iterable: expected an array");
    CHECK(decode_error("[]") == "(root): expected an object");
    CHECK(decode_error("{\"iterable\": [") .starts_with("(root): not valid JSON"));
}

TEST_CASE("value_to throws with the path; try_value_to returns the code") {
    const auto doc = json::parse(R"({"url": "u", "status": 3})");
    try {
        (void)json::value_to<AllocationCloudUrl>(doc);
        FAIL("value_to accepted a wrong type");
    } catch (const error_with_diagnostics& e) {
        CHECK(e.code() == errc::invalid_response);
        CHECK(e.get_diagnostics().client_message() == "status: expected a string");
    }
    const auto r = json::try_value_to<AllocationCloudUrl>(doc);
    REQUIRE(r.has_error());
    CHECK(r.error() == errc::invalid_response);
    CHECK(json::try_value_to<AllocationCloudUrl>(json::parse(R"({"url": "u", "status": "FAILED"})"))->status ==
          AllocationStatusEnum::FAILED);
}

// Found by fuzz_json_models: a year outside system_clock's nanosecond range overflowed (UBSan) instead of
// being refused.
TEST_CASE("timestamps: a year system_clock cannot hold is refused, not overflowed") {
    using namespace std::chrono;
    CHECK_FALSE(parse_rfc3339("1013-11-11T10:00:00.000Z"));
    CHECK_FALSE(parse_rfc3339("4183-11-11T10:00:00.000Z"));
    CHECK_FALSE(parse_rfc3339("9999-12-31T23:59:59.999999999-23:59"));
    CHECK_FALSE(parse_rfc3339("0000-01-01T00:00:00+23:59"));
    // The ends (a timestamp counts nanoseconds in a 64-bit integer on every platform): the last instant is kept.
    static_assert(std::is_same_v<timestamp::duration, nanoseconds>);
    CHECK(parse_rfc3339("2262-04-11T23:47:16.854775807Z") == timestamp::max());
    CHECK_FALSE(parse_rfc3339("2262-04-11T23:47:16.854775808Z"));
    CHECK_FALSE(parse_rfc3339("2262-04-11T23:47:17Z"));
    CHECK(parse_rfc3339("1677-09-21T00:12:44Z"));
    CHECK_FALSE(parse_rfc3339("1677-09-21T00:12:42Z"));

    const auto r = try_from_json<GroupedTimestamp>(R"({"value":"1013-11-11T10:00:00.000Z","readable":"long ago"})");
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error() == errc::invalid_response);
}

TEST_CASE("timestamps: 0, 3, 6 and 9 fractional digits, Z and offsets") {
    using namespace std::chrono;
    const auto base = sys_days{year{2026} / 11 / 22} + hours{10};
    CHECK(parse_rfc3339("2026-11-22T10:00:00Z") == base);
    CHECK(parse_rfc3339("2026-11-22T10:00:00.617Z") == base + milliseconds{617});
    CHECK(parse_rfc3339("2026-11-22T10:00:00.617743Z") == base + microseconds{617743});
    CHECK(parse_rfc3339("2026-11-22T10:00:00.617743123Z") == base + nanoseconds{617743123});
    CHECK(parse_rfc3339("2026-11-22T12:00:00.000+02:00") == base);
    CHECK(parse_rfc3339("2026-11-22T07:30:00-02:30") == base);
    CHECK_FALSE(parse_rfc3339("2026-11-22T10:00:00"));      // no offset
    CHECK_FALSE(parse_rfc3339("2026-02-30T10:00:00Z"));     // no such day
    CHECK_FALSE(parse_rfc3339("2026-11-22T10:00:00.Z"));    // empty fraction
    CHECK_FALSE(parse_rfc3339("2026-11-22T10:00:00Zjunk"));

    CHECK(to_iso_string(base) == "2026-11-22T10:00:00.000Z");
    CHECK(to_iso_string(base + milliseconds{5}) == "2026-11-22T10:00:00.005Z");
    CHECK(to_iso_string(base + microseconds{617743}) == "2026-11-22T10:00:00.617743Z");
    CHECK(to_iso_string(base + nanoseconds{617743123}) == "2026-11-22T10:00:00.617743123Z");

    const auto ts = from_json<GroupedTimestamp>(R"({"value": "2026-11-22T12:00:00+02:00"})");
    CHECK(ts.value == base);
    CHECK(json::parse(to_json(ts)) == json::parse(R"({"value": "2026-11-22T10:00:00.000Z"})"));
}

TEST_CASE("value_from omits absent optionals and never writes null") {
    AllocationCloud cloud;
    cloud.id = "a";
    cloud.user = "b";
    cloud.project = "p";
    cloud.urls.base = {std::nullopt, "https://base", AllocationStatusEnum::RUNNING, {}};
    cloud.urls.id = {std::nullopt, "https://id", AllocationStatusEnum::PENDING, {}};
    cloud.status.cloud = AllocationStatusEnum::PENDING;
    const auto jv = json::value_from(cloud);
    const auto& obj = jv.as_object();
    CHECK(obj.size() == 5);
    for (auto name : {"schema", "updated", "version", "region"}) CHECK_FALSE(obj.contains(name));
    CHECK_FALSE(jv.at("urls").as_object().contains("vanity"));
    CHECK(jv.at("urls").at("id").at("status") == "PENDING");
    CHECK(json::serialize(jv).find("null") == std::string::npos);

    // An explicit null from a server reads as absent.
    const auto with_null = from_json<AllocationCloud>(
        R"({"id":"a","user":"b","project":"p","status":{"cloud":"RUNNING"},"version":null,
            "urls":{"base":{"url":"x","status":"RUNNING"},"id":{"url":"y","status":"RUNNING"}}})");
    CHECK_FALSE(with_null.version.has_value());
}
