// Models -> JSON: spec members first, absent optionals omitted, unknown members and enum strings written back.
#include "json_codec.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value_from.hpp>
#include <boost/system/system_error.hpp>

namespace pieces::detail {
namespace {

namespace json = boost::json;

json::value to_value(const std::string& s) { return json::string(s); }
json::value to_value(std::int64_t i) { return i; }
json::value to_value(bool b) { return b; }
json::value to_value(const raw_json& r) {
    boost::system::error_code ec;
    json::value v = parse_json(r.text, ec);
    if (ec) throw boost::system::system_error(ec, "raw_json holds invalid JSON");
    return v;
}

template <class E>
json::value to_value(const wire_enum<E>& e) {
    if (e.has_unknown_text()) return json::string(e.unknown_text());
    return json::string(to_string(e.value()));
}

template <model T>
json::value to_value(const T& m) {
    json::object obj;
    write_model(obj, m);
    return obj;
}

template <class T>
json::value to_value(const std::vector<T>& v) {
    json::array arr;
    arr.reserve(v.size());
    for (const auto& item : v) arr.push_back(to_value(item));
    return arr;
}

template <class T>
void put(json::object& obj, std::string_view name, const T& v) {
    obj.insert_or_assign(name, to_value(v));
}

template <class T>
void put(json::object& obj, std::string_view name, const std::optional<T>& v) {
    if (v) put(obj, name, *v);
}

void put_unknown(json::object& obj, const json_members& members) {
    for (const auto& m : members) obj.insert_or_assign(m.name, to_value(m.value));
}

}  // namespace

#define PIECES_PUT(NAME) put(obj, #NAME, m.NAME)

template <>
void write_model(json::object& obj, const EmbeddedModelSchema& m) {
    PIECES_PUT(migration);
    PIECES_PUT(semantic);
    put_unknown(obj, m.unknown_members);
}

template <>
void write_model(json::object& obj, const GroupedTimestamp& m) {
    PIECES_PUT(schema);
    obj.insert_or_assign("value", to_iso_string(m.value));
    PIECES_PUT(readable);
    put_unknown(obj, m.unknown_members);
}

template <>
void write_model(json::object& obj, const AllocationCloudUrl& m) {
    PIECES_PUT(schema);
    PIECES_PUT(url);
    PIECES_PUT(status);
    put_unknown(obj, m.unknown_members);
}

template <>
void write_model(json::object& obj, const AllocationCloudUrls& m) {
    PIECES_PUT(schema);
    PIECES_PUT(base);
    PIECES_PUT(id);
    PIECES_PUT(vanity);
    put_unknown(obj, m.unknown_members);
}

template <>
void write_model(json::object& obj, const AllocationCloudStatus& m) {
    PIECES_PUT(schema);
    PIECES_PUT(cloud);
    put_unknown(obj, m.unknown_members);
}

template <>
void write_model(json::object& obj, const AllocationCloud& m) {
    PIECES_PUT(schema);
    PIECES_PUT(id);
    PIECES_PUT(user);
    PIECES_PUT(urls);
    PIECES_PUT(status);
    PIECES_PUT(project);
    PIECES_PUT(updated);
    PIECES_PUT(version);
    PIECES_PUT(region);
    put_unknown(obj, m.unknown_members);
}

template <>
void write_model(json::object& obj, const Allocations& m) {
    PIECES_PUT(iterable);
    PIECES_PUT(schema);
    put_unknown(obj, m.unknown_members);
}

template <>
void write_model(json::object& obj, const Font& m) {
    PIECES_PUT(schema);
    PIECES_PUT(size);
    put_unknown(obj, m.unknown_members);
}

template <>
void write_model(json::object& obj, const Theme& m) {
    PIECES_PUT(schema);
    PIECES_PUT(dark);
    put_unknown(obj, m.unknown_members);
}

template <>
void write_model(json::object& obj, const Aesthetics& m) {
    PIECES_PUT(schema);
    PIECES_PUT(font);
    PIECES_PUT(theme);
    put_unknown(obj, m.unknown_members);
}

template <>
void write_model(json::object& obj, const UserProfile& m) {
    PIECES_PUT(schema);
    PIECES_PUT(id);
    PIECES_PUT(email);
    PIECES_PUT(name);
    PIECES_PUT(username);
    PIECES_PUT(vanityname);
    PIECES_PUT(picture);
    PIECES_PUT(aesthetics);
    PIECES_PUT(allocation);
    PIECES_PUT(apiKeys);
    PIECES_PUT(created);
    PIECES_PUT(updated);
    PIECES_PUT(auth0);
    PIECES_PUT(descope);
    PIECES_PUT(entities);
    PIECES_PUT(providers);
    PIECES_PUT(subscriptions);
    put_unknown(obj, m.unknown_members);
}

#undef PIECES_PUT

}  // namespace pieces::detail

namespace pieces {

template <model T>
std::string to_json(const T& m) {
    boost::json::object obj;
    detail::write_model(obj, m);
    return boost::json::serialize(obj);
}

template <model T>
void tag_invoke(const boost::json::value_from_tag&, boost::json::value& jv, const T& m) {
    auto& obj = jv.emplace_object();
    detail::write_model(obj, m);
}

#define PIECES_INSTANTIATE_WRITE(T)                  \
    template std::string to_json<T>(const T&); \
    template void tag_invoke<T>(const boost::json::value_from_tag&, boost::json::value&, const T&);

PIECES_INSTANTIATE_WRITE(AllocationCloud)
PIECES_INSTANTIATE_WRITE(AllocationCloudUrls)
PIECES_INSTANTIATE_WRITE(AllocationCloudUrl)
PIECES_INSTANTIATE_WRITE(AllocationCloudStatus)
PIECES_INSTANTIATE_WRITE(Allocations)
PIECES_INSTANTIATE_WRITE(EmbeddedModelSchema)
PIECES_INSTANTIATE_WRITE(GroupedTimestamp)
PIECES_INSTANTIATE_WRITE(UserProfile)
PIECES_INSTANTIATE_WRITE(Aesthetics)
PIECES_INSTANTIATE_WRITE(Font)
PIECES_INSTANTIATE_WRITE(Theme)

#undef PIECES_INSTANTIATE_WRITE

}  // namespace pieces
