// JSON -> models: strict on what the contract requires, lossless on everything else.
#include "json_codec.hpp"

#include <pieces/error.hpp>
#include <pieces/error_with_diagnostics.hpp>

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <initializer_list>
#include <vector>

namespace pieces::detail {

std::string json_path::to_string() const {
    if (parent == nullptr) return "(root)";
    std::string prefix = parent->parent == nullptr ? std::string{} : parent->to_string();
    if (is_index) return prefix + "[" + std::to_string(index) + "]";
    if (!prefix.empty()) prefix += '.';
    return prefix.append(key);
}

namespace {

namespace json = boost::json;

bool fail(const json_path& at, std::string_view what, std::string& error) {
    error = at.to_string();
    error += ": ";
    error += what;
    return false;
}

const json::object* expect_object(const json::value& jv, const json_path& at, std::string& error) {
    if (const auto* o = jv.if_object()) return o;
    fail(at, "expected an object", error);
    return nullptr;
}

// ---- leaf readers (overloads, so that optional<> and vector<> compose) ----

bool read_value(const json::value& jv, std::string& out, const json_path& at, std::string& error) {
    const auto* s = jv.if_string();
    if (s == nullptr) return fail(at, "expected a string", error);
    out.assign(s->data(), s->size());
    return true;
}

bool read_value(const json::value& jv, std::int64_t& out, const json_path& at, std::string& error) {
    if (const auto* i = jv.if_int64()) {
        out = *i;
        return true;
    }
    if (const auto* u = jv.if_uint64(); u != nullptr && *u <= static_cast<std::uint64_t>(INT64_MAX)) {
        out = static_cast<std::int64_t>(*u);
        return true;
    }
    // 14.0 is an integer in JSON's eyes; the range check comes first, as converting a double that does not
    // fit is undefined (2^63 itself is out: the largest int64 is one less).
    constexpr double two_to_63 = 9223372036854775808.0;
    if (const auto* d = jv.if_double(); d != nullptr && *d >= -two_to_63 && *d < two_to_63 &&
                                        *d == static_cast<double>(static_cast<std::int64_t>(*d))) {
        out = static_cast<std::int64_t>(*d);
        return true;
    }
    return fail(at, "expected an integer", error);
}

bool read_value(const json::value& jv, bool& out, const json_path& at, std::string& error) {
    const auto* b = jv.if_bool();
    if (b == nullptr) return fail(at, "expected a boolean", error);
    out = *b;
    return true;
}

bool read_value(const json::value& jv, raw_json& out, const json_path&, std::string&) {
    out.text = json::serialize(jv);
    return true;
}

template <class E, class FromString>
bool read_enum(const json::value& jv, wire_enum<E>& out, const json_path& at, std::string& error,
               FromString from_string) {
    const auto* s = jv.if_string();
    if (s == nullptr) return fail(at, "expected a string", error);
    const std::string_view text{s->data(), s->size()};
    if (auto e = from_string(text))
        out = *e;
    else
        out = wire_enum<E>::from_unknown_text(std::string{text});
    return true;
}

bool read_value(const json::value& jv, wire_enum<AllocationStatusEnum>& out, const json_path& at,
                std::string& error) {
    return read_enum(jv, out, at, error, allocation_status_from_string);
}

bool read_value(const json::value& jv, wire_enum<EmbeddedModelSchemaSemanticVersionEnum>& out,
                const json_path& at, std::string& error) {
    return read_enum(jv, out, at, error, semantic_version_from_string);
}

template <model T>
bool read_value(const json::value& jv, T& out, const json_path& at, std::string& error) {
    return read_model(jv, out, at, error);
}

template <class T>
bool read_value(const json::value& jv, std::vector<T>& out, const json_path& at, std::string& error) {
    const auto* a = jv.if_array();
    if (a == nullptr) return fail(at, "expected an array", error);
    out.clear();
    out.resize(a->size());
    for (std::size_t i = 0; i < a->size(); ++i) {
        const json_path item{&at, {}, i, true};
        if (!read_value((*a)[i], out[i], item, error)) return false;
    }
    return true;
}

// An optional member that is `null` reads as absent (and is then omitted on output).
template <class T>
bool read_value(const json::value& jv, std::optional<T>& out, const json_path& at, std::string& error) {
    if (jv.is_null()) {
        out.reset();
        return true;
    }
    return read_value(jv, out.emplace(), at, error);
}

// ---- objects ----

// One object's members, each matched to a reader by name; the rest go to `unknown`.
// `required` lists the names that must be present.
class object_reader {
public:
    object_reader(const json::object& obj, const json_path& at, std::string& error)
        : obj_(obj), at_(at), error_(error) {}

    // Calls `dispatch(key, value, path) -> 1 (read), 0 (failed) or -1 (not mine)` for each member, then
    // checks that every name in `required` was read (noted while reading: no second lookup per name).
    template <class Dispatch>
    bool each(json_members& unknown, std::initializer_list<std::string_view> required, Dispatch&& dispatch) {
        unsigned seen = 0;  // bit i: required[i] was read; models have fewer than 32 required members
        for (const auto& kv : obj_) {
            const std::string_view key{kv.key().data(), kv.key().size()};
            const json_path child{&at_, key, 0, false};
            const int r = dispatch(key, kv.value(), child);
            if (r == 0) return false;
            if (r < 0) {
                unknown.push_back({std::string{key}, raw_json{json::serialize(kv.value())}});
                continue;
            }
            unsigned bit = 1;
            for (auto name : required) {
                if (name == key) seen |= bit;
                bit <<= 1;
            }
        }
        unsigned bit = 1;
        for (auto name : required) {
            if ((seen & bit) == 0) return fail(json_path{&at_, name, 0, false}, "missing required member", error_);
            bit <<= 1;
        }
        return true;
    }

private:
    const json::object& obj_;
    const json_path& at_;
    std::string& error_;
};

// 1 = read, 0 = failed, -1 = not this member.
#define PIECES_MEMBER(NAME)                                     \
    if (key == #NAME) return read_value(v, out.NAME, p, error) ? 1 : 0

template <class T, class Members>
bool read_object(const json::value& jv, T& out, const json_path& at, std::string& error,
                 std::initializer_list<std::string_view> required, Members&& members) {
    const auto* obj = expect_object(jv, at, error);
    if (obj == nullptr) return false;
    object_reader r{*obj, at, error};
    out.unknown_members.clear();
    return r.each(out.unknown_members, required, members);
}

}  // namespace

template <>
bool read_model(const json::value& jv, EmbeddedModelSchema& out, const json_path& at, std::string& error) {
    return read_object(jv, out, at, error, {"migration", "semantic"},
                       [&](std::string_view key, const json::value& v, const json_path& p) -> int {
                           PIECES_MEMBER(migration);
                           PIECES_MEMBER(semantic);
                           return -1;
                       });
}

template <>
bool read_model(const json::value& jv, GroupedTimestamp& out, const json_path& at, std::string& error) {
    return read_object(jv, out, at, error, {"value"},
                       [&](std::string_view key, const json::value& v, const json_path& p) -> int {
                           PIECES_MEMBER(schema);
                           PIECES_MEMBER(readable);
                           if (key != "value") return -1;
                           const auto* s = v.if_string();
                           if (s == nullptr) return fail(p, "expected a string", error) ? 1 : 0;
                           const auto tp = parse_rfc3339({s->data(), s->size()});
                           if (!tp) return fail(p, "expected an RFC 3339 date-time", error) ? 1 : 0;
                           out.value = *tp;
                           return 1;
                       });
}

template <>
bool read_model(const json::value& jv, AllocationCloudUrl& out, const json_path& at, std::string& error) {
    return read_object(jv, out, at, error, {"url", "status"},
                       [&](std::string_view key, const json::value& v, const json_path& p) -> int {
                           PIECES_MEMBER(schema);
                           PIECES_MEMBER(url);
                           PIECES_MEMBER(status);
                           return -1;
                       });
}

template <>
bool read_model(const json::value& jv, AllocationCloudUrls& out, const json_path& at, std::string& error) {
    return read_object(jv, out, at, error, {"base", "id"},
                       [&](std::string_view key, const json::value& v, const json_path& p) -> int {
                           PIECES_MEMBER(schema);
                           PIECES_MEMBER(base);
                           PIECES_MEMBER(id);
                           PIECES_MEMBER(vanity);
                           return -1;
                       });
}

template <>
bool read_model(const json::value& jv, AllocationCloudStatus& out, const json_path& at, std::string& error) {
    return read_object(jv, out, at, error, {"cloud"},
                       [&](std::string_view key, const json::value& v, const json_path& p) -> int {
                           PIECES_MEMBER(schema);
                           PIECES_MEMBER(cloud);
                           return -1;
                       });
}

template <>
bool read_model(const json::value& jv, AllocationCloud& out, const json_path& at, std::string& error) {
    return read_object(jv, out, at, error, {"id", "user", "urls", "status", "project"},
                       [&](std::string_view key, const json::value& v, const json_path& p) -> int {
                           PIECES_MEMBER(schema);
                           PIECES_MEMBER(id);
                           PIECES_MEMBER(user);
                           PIECES_MEMBER(urls);
                           PIECES_MEMBER(status);
                           PIECES_MEMBER(project);
                           PIECES_MEMBER(updated);
                           PIECES_MEMBER(version);
                           PIECES_MEMBER(region);
                           return -1;
                       });
}

template <>
bool read_model(const json::value& jv, Allocations& out, const json_path& at, std::string& error) {
    return read_object(jv, out, at, error, {"iterable"},
                       [&](std::string_view key, const json::value& v, const json_path& p) -> int {
                           PIECES_MEMBER(schema);
                           PIECES_MEMBER(iterable);
                           return -1;
                       });
}

template <>
bool read_model(const json::value& jv, Font& out, const json_path& at, std::string& error) {
    return read_object(jv, out, at, error, {"size"},
                       [&](std::string_view key, const json::value& v, const json_path& p) -> int {
                           PIECES_MEMBER(schema);
                           PIECES_MEMBER(size);
                           return -1;
                       });
}

template <>
bool read_model(const json::value& jv, Theme& out, const json_path& at, std::string& error) {
    return read_object(jv, out, at, error, {"dark"},
                       [&](std::string_view key, const json::value& v, const json_path& p) -> int {
                           PIECES_MEMBER(schema);
                           PIECES_MEMBER(dark);
                           return -1;
                       });
}

template <>
bool read_model(const json::value& jv, Aesthetics& out, const json_path& at, std::string& error) {
    return read_object(jv, out, at, error, {"font", "theme"},
                       [&](std::string_view key, const json::value& v, const json_path& p) -> int {
                           PIECES_MEMBER(schema);
                           PIECES_MEMBER(font);
                           PIECES_MEMBER(theme);
                           return -1;
                       });
}

template <>
bool read_model(const json::value& jv, UserProfile& out, const json_path& at, std::string& error) {
    return read_object(jv, out, at, error, {"id", "aesthetics"},
                       [&](std::string_view key, const json::value& v, const json_path& p) -> int {
                           PIECES_MEMBER(schema);
                           PIECES_MEMBER(id);
                           PIECES_MEMBER(picture);
                           PIECES_MEMBER(email);
                           PIECES_MEMBER(created);
                           PIECES_MEMBER(updated);
                           PIECES_MEMBER(username);
                           PIECES_MEMBER(name);
                           PIECES_MEMBER(aesthetics);
                           PIECES_MEMBER(allocation);
                           PIECES_MEMBER(vanityname);
                           PIECES_MEMBER(apiKeys);
                           PIECES_MEMBER(auth0);
                           PIECES_MEMBER(descope);
                           PIECES_MEMBER(entities);
                           PIECES_MEMBER(providers);
                           PIECES_MEMBER(subscriptions);
                           return -1;
                       });
}

#undef PIECES_MEMBER

}  // namespace pieces::detail

namespace pieces {

template <model T>
boost::system::result<T> try_from_json(std::string_view text, diagnostics* diag) {
    // The DOM lives in a per-thread arena kept between replies, sized from the text (a DOM takes about three
    // times its text), so steady polling parses without touching the heap for it. Up to 1 MiB is kept; a
    // larger reply's DOM spills to the heap for that reply only.
    constexpr std::size_t arena_kept = std::size_t{1} << 20;
    thread_local std::vector<unsigned char> arena;
    if (const std::size_t want = std::max<std::size_t>(4096, 3 * text.size());
        arena.size() < want && want <= arena_kept)
        arena.resize(want);
    boost::json::monotonic_resource resource(arena.data(), arena.size());
    boost::system::error_code ec;
    const auto jv = detail::parse_json(text, ec, &resource);
    if (ec) {
        if (diag) diag->set_client_message("(root): not valid JSON: " + ec.message());
        return make_error_code(errc::invalid_response);
    }
    T out;
    std::string error;
    if (!detail::read_model(jv, out, detail::json_path{}, error)) {
        if (diag) diag->set_client_message(std::move(error));
        return make_error_code(errc::invalid_response);
    }
    return out;
}

template <model T>
T from_json(std::string_view text) {
    diagnostics diag;
    auto r = try_from_json<T>(text, &diag);
    if (!r) throw error_with_diagnostics(r.error(), std::move(diag));
    return std::move(*r);
}

template <model T>
T tag_invoke(const boost::json::value_to_tag<T>&, const boost::json::value& jv) {
    T out;
    std::string error;
    if (!detail::read_model(jv, out, detail::json_path{}, error)) {
        diagnostics diag;
        diag.set_client_message(std::move(error));
        throw error_with_diagnostics(make_error_code(errc::invalid_response), std::move(diag));
    }
    return out;
}

template <model T>
boost::system::result<T> tag_invoke(const boost::json::try_value_to_tag<T>&, const boost::json::value& jv) {
    T out;
    std::string error;
    if (!detail::read_model(jv, out, detail::json_path{}, error)) return make_error_code(errc::invalid_response);
    return out;
}

#define PIECES_INSTANTIATE_READ(T)                                                                      \
    template boost::system::result<T> try_from_json<T>(std::string_view, diagnostics*);                 \
    template T from_json<T>(std::string_view);                                                          \
    template T tag_invoke<T>(const boost::json::value_to_tag<T>&, const boost::json::value&);           \
    template boost::system::result<T> tag_invoke<T>(const boost::json::try_value_to_tag<T>&,            \
                                                    const boost::json::value&);

PIECES_INSTANTIATE_READ(AllocationCloud)
PIECES_INSTANTIATE_READ(AllocationCloudUrls)
PIECES_INSTANTIATE_READ(AllocationCloudUrl)
PIECES_INSTANTIATE_READ(AllocationCloudStatus)
PIECES_INSTANTIATE_READ(Allocations)
PIECES_INSTANTIATE_READ(EmbeddedModelSchema)
PIECES_INSTANTIATE_READ(GroupedTimestamp)
PIECES_INSTANTIATE_READ(UserProfile)
PIECES_INSTANTIATE_READ(Aesthetics)
PIECES_INSTANTIATE_READ(Font)
PIECES_INSTANTIATE_READ(Theme)

#undef PIECES_INSTANTIATE_READ

}  // namespace pieces
