// Private: reading and writing models, generic over each model's one description (Boost.Describe).
// Reading: a model_decoder is fed JSON events, from the text by Boost.JSON's basic_parser (no DOM) or walked from
// a boost::json::value, and fills the model through tables built at compile time from its description.
// Writing: a Boost.JSON object built from the same description.
// Templates here so that a model the library does not compile (a test's) is read and written the same way.
#pragma once

#include "models/description.hpp"

#include <pieces/models/grouped_timestamp.hpp>
#include <pieces/models/json.hpp>

#include <boost/describe/members.hpp>
#include <boost/json/object.hpp>
#include <boost/json/storage_ptr.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_stack.hpp>
#include <boost/mp11/algorithm.hpp>
#include <boost/system/error_code.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <concepts>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_set>
#include <vector>

namespace pieces::detail {

// ---------------------------------------------------------------------------------------------------------------
// Reading

/// One JSON value as the decoder sees it (a container's begin; its end comes as object_end / array_end).
struct json_event {
    enum class kind : unsigned char { string, int64, uint64, number, boolean, null, object_begin, array_begin };
    json_event() = default;
    explicit json_event(kind k) : what(k) {}
    kind what = kind::null;
    std::string_view text;  // string
    std::int64_t i = 0;     // int64
    std::uint64_t u = 0;    // uint64
    double d = 0;           // number, read exactly
    bool b = false;         // boolean
};

class model_decoder;
struct member_reader;

/// How one C++ type is read: each value at a position of this type goes to `on_value` with the object to fill.
/// It returns false when it refuses the value (the decoder has recorded why and where).
struct type_reader {
    bool (*on_value)(model_decoder&, const type_reader& self, void* target, const json_event&) = nullptr;
    // A model: its described members (bit i of `required`: members[i] must be present), its unknown members.
    const member_reader* members = nullptr;
    std::size_t member_count = 0;
    std::uint64_t required = 0;
    json_members& (*unknown)(void* model) = nullptr;
    // An array: how each element is read, how one is appended, and what is done at its begin and end.
    const type_reader* element = nullptr;
    void* (*append)(void* vector) = nullptr;
    void (*begin)(void* vector) = nullptr;
    void (*end)(void* vector) = nullptr;
};

struct member_reader {
    std::string_view wire_name;
    const type_reader* reader = nullptr;
    void* (*address)(void* model) = nullptr;
};

/// Fills one model from JSON events, or (the second constructor) builds a boost::json::value from them. Both
/// refuse a member name given twice in one object, which stops the events (no DOM could hold both); a value of
/// the wrong shape does not stop them: the first is recorded and the rest of the text is still checked, so that
/// text that is not JSON (or has a repeated name) is reported as such wherever it goes wrong.
/// Paths in messages are JSON paths: `iterable[2].urls.base.status`, `(root)` for the whole text.
class model_decoder {
public:
    model_decoder(const type_reader& root, void* target);
    explicit model_decoder(boost::json::value& out, boost::json::storage_ptr sp = {});
    model_decoder(const model_decoder&) = delete;
    model_decoder& operator=(const model_decoder&) = delete;

    // The events; false (with `ec` set) stops them: see structure_error().
    bool value(const json_event& e, boost::system::error_code& ec);
    bool key(std::string_view name, boost::system::error_code& ec);
    bool object_end(std::size_t size, boost::system::error_code& ec);
    bool array_end(std::size_t size, boost::system::error_code& ec);

    /// What stopped the events ("<path>: member name given twice"), or empty.
    const std::string& structure_error() const noexcept { return structure_error_; }
    /// The first value refused ("<path>: expected a string"), or empty.
    const std::string& model_error() const noexcept { return model_error_; }

    // ---- for the type readers ----
    /// Records `why` at the current path (the first refusal only); returns false.
    bool refuse(std::string_view why);
    /// The object just begun is the model `self` describes, to fill into `model`.
    void begin_model(const type_reader& self, void* model);
    /// The array just begun fills `vector` (read by `self`).
    void begin_array(const type_reader& self, void* vector);
    /// `first` begins a value kept as compact JSON text in `text`.
    void capture(std::string& text, const json_event& first);

private:
    struct frame {
        enum class kind : unsigned char { root, model, array, any } what = kind::root;
        const type_reader* reader = nullptr;
        void* target = nullptr;
        // model: the member whose value comes next (nullptr: an unknown one), its name, the members seen
        const member_reader* pending = nullptr;
        std::string_view key;
        std::uint64_t seen = 0;
        std::size_t next = 0;      // the member expected next (the one after the last read)
        std::size_t names = npos;  // its unknown members' names, in names_ (from the first one)
        // array: elements begun
        std::size_t count = 0;
        // any: a value read only for its names (ignored) or kept (captured); its levels from levels_[levels_at]
        std::size_t levels_at = 0;
        std::string* capture_text = nullptr;
        boost::json::value* capture_value = nullptr;
    };
    // One object or array inside a value read as `any`.
    struct level {
        bool is_object = false;
        std::size_t count = 0;  // elements begun (array)
        std::string key;        // the member being read (object)
        std::size_t names = 0;  // its names, in names_
    };
    // The names of one object: checked for repeats in constant time on average, however many there are.
    class name_set {
    public:
        void clear();
        bool insert(std::string_view name);  // false: already there
    private:
        std::vector<std::string> few_;         // searched in order while short
        std::unordered_set<std::string> many_;  // then hashed
    };
    static constexpr std::size_t npos = static_cast<std::size_t>(-1);
    static constexpr std::size_t max_frames = 40;  // models nest far less; values read as `any` take one frame

    frame& top() noexcept { return frames_[depth_ - 1]; }
    frame* push(frame::kind what);  // a new frame on top, or nullptr when too deep
    void dispatch(const type_reader& r, void* target, const json_event& e);
    void begin_any(std::string* text, boost::json::value* out, const json_event& first);
    void any_value(frame& f, const json_event& e);
    void finish_any(frame& f);
    std::size_t new_names();
    // A name given twice in the object at the end of the first `frames` and `levels`: stops the events.
    bool repeated(std::size_t frames, std::size_t levels, std::string_view name, boost::system::error_code& ec);
    std::string path(std::size_t frames, std::size_t levels) const;  // of the first frames and levels
    // The path of member `name` of the object at the end of the first `frames` and `levels`.
    std::string member_path(std::size_t frames, std::size_t levels, std::string_view name) const;
    // Every message's form: "<at>: <why>", `at` being "(root)" for the whole text.
    static std::string message(std::string at, std::string_view why);
    static void append_key(std::string& path, std::string_view key);

    std::array<frame, max_frames> frames_{};
    std::size_t depth_ = 0;
    std::vector<level> levels_;
    std::vector<name_set> names_;
    std::size_t names_used_ = 0;
    boost::json::value_stack stack_;  // builds a captured value
    boost::json::storage_ptr storage_;
    std::string model_error_;
    std::string structure_error_;
};

// The leaf readers (compiled once, in model_decoder.cpp).
bool read_string(model_decoder&, const type_reader&, void*, const json_event&);
bool read_int64(model_decoder&, const type_reader&, void*, const json_event&);
bool read_bool(model_decoder&, const type_reader&, void*, const json_event&);
bool read_raw(model_decoder&, const type_reader&, void*, const json_event&);
bool read_time(model_decoder&, const type_reader&, void*, const json_event&);
bool read_model_object(model_decoder&, const type_reader&, void*, const json_event&);
bool read_array_elements(model_decoder&, const type_reader&, void*, const json_event&);

template <class T>
struct reader_for;  // `static constexpr type_reader value`: how a T is read

template <>
struct reader_for<std::string> {
    static constexpr type_reader value{&read_string};
};
template <>
struct reader_for<std::int64_t> {
    static constexpr type_reader value{&read_int64};
};
template <>
struct reader_for<bool> {
    static constexpr type_reader value{&read_bool};
};
template <>
struct reader_for<raw_json> {
    static constexpr type_reader value{&read_raw};
};
template <>
struct reader_for<timestamp> {
    static constexpr type_reader value{&read_time};
};

template <class E>
struct reader_for<wire_enum<E>> {
    static bool read(model_decoder& d, const type_reader&, void* target, const json_event& e) {
        if (e.what != json_event::kind::string) return d.refuse("expected a string");
        auto& out = *static_cast<wire_enum<E>*>(target);
        if (auto known = enum_from_wire<E>(e.text))
            out = *known;
        else
            out = wire_enum<E>::from_unknown_text(std::string(e.text));
        return true;
    }
    static constexpr type_reader value{&read};
};

// An optional member that is `null` reads as absent (and is then not written).
template <class U>
struct reader_for<std::optional<U>> {
    static bool read(model_decoder& d, const type_reader&, void* target, const json_event& e) {
        auto& out = *static_cast<std::optional<U>*>(target);
        if (e.what == json_event::kind::null) {
            out.reset();
            return true;
        }
        const type_reader& inner = reader_for<U>::value;
        return inner.on_value(d, inner, &out.emplace(), e);
    }
    static constexpr type_reader value{&read};
};

// Reserved as many elements as the last array of this type had on this thread (up to 1024, so that one huge reply
// does not make every later one reserve as much): a snapshot polled again is read into one allocation of the right
// size, with no element moved (a 200-cloud vector grown by doubling moves 255 clouds, and maps, faults in and
// unmaps its larger buffers on every reply).
template <class U>
struct reader_for<std::vector<U>> {
    static inline thread_local std::size_t last_size = 0;
    static void* append(void* v) { return &static_cast<std::vector<U>*>(v)->emplace_back(); }
    static void begin(void* v) { static_cast<std::vector<U>*>(v)->reserve(std::min<std::size_t>(last_size, 1024)); }
    static void end(void* v) { last_size = static_cast<std::vector<U>*>(v)->size(); }
    static constexpr type_reader value{&read_array_elements, nullptr, 0, 0, nullptr, &reader_for<U>::value,
                                       &append, &begin, &end};
};

template <class T>
inline constexpr bool is_optional_v = false;
template <class U>
inline constexpr bool is_optional_v<std::optional<U>> = true;

template <described_model T>
struct reader_for<T> {
    using described = boost::describe::describe_members<T, boost::describe::mod_public>;
    static constexpr std::size_t count = boost::mp11::mp_size<described>::value;
    static_assert(count <= 64, "a model has at most 64 described members");

    template <class D>
    static constexpr member_reader entry() {
        using U = std::remove_cvref_t<decltype(std::declval<T&>().*D::pointer)>;
        return {wire_name<T>(D::name), &reader_for<U>::value,
                [](void* m) -> void* { return &(static_cast<T*>(m)->*D::pointer); }};
    }
    template <template <class...> class L, class... D>
    static constexpr std::array<member_reader, sizeof...(D)> make_table(L<D...>) {
        return {entry<D>()...};
    }
    template <template <class...> class L, class... D>
    static constexpr std::uint64_t make_required(L<D...>) {
        std::uint64_t mask = 0, bit = 1;
        ((mask |= is_optional_v<std::remove_cvref_t<decltype(std::declval<T&>().*D::pointer)>> ? 0 : bit,
          bit <<= 1),
         ...);
        return mask;
    }
    static json_members& unknown(void* m) { return static_cast<T*>(m)->unknown_members; }

    static constexpr std::array<member_reader, count> table = make_table(described{});
    static constexpr type_reader value{&read_model_object, table.data(), count, make_required(described{}), &unknown};
};

/// Reads JSON text straight into `target` (of the type `root` reads); on failure `error` = "<path>: <why>".
bool decode_text(std::string_view text, const type_reader& root, void* target, std::string& error);
/// The same, from a DOM.
bool decode_value(const boost::json::value& jv, const type_reader& root, void* target, std::string& error);

template <described_model T>
bool decode_text(std::string_view text, T& out, std::string& error) {
    return decode_text(text, reader_for<T>::value, &out, error);
}
template <described_model T>
bool decode_value(const boost::json::value& jv, T& out, std::string& error) {
    return decode_value(jv, reader_for<T>::value, &out, error);
}

/// JSON text -> DOM with the same checks as decode_text (names given once per object, numbers read exactly, at
/// most 32 levels); on failure `ec` is set, `error` (when given) says why, and the result is null.
boost::json::value parse_json(std::string_view text, boost::system::error_code& ec, std::string* error = nullptr,
                              boost::json::storage_ptr sp = {});

// ---------------------------------------------------------------------------------------------------------------
// Writing

boost::json::value to_value(const std::string& s);
boost::json::value to_value(std::int64_t i);
boost::json::value to_value(bool b);
boost::json::value to_value(const raw_json& r);  // throws system_error when `r` is not JSON
boost::json::value to_value(timestamp tp);

template <class E>
boost::json::value to_value(const wire_enum<E>& e) {
    return boost::json::string_view(e.has_unknown_text() ? std::string_view(e.unknown_text()) : enum_wire_name(e.value()));
}

template <described_model T>
void write_model(boost::json::object& obj, const T& m);

template <described_model T>
boost::json::value to_value(const T& m) {
    boost::json::value jv;
    write_model(jv.emplace_object(), m);
    return jv;
}

template <class U>
boost::json::value to_value(const std::vector<U>& v);

template <class U>
void put(boost::json::object& obj, std::string_view name, const U& v) {
    obj.insert_or_assign(name, to_value(v));
}
template <class U>
void put(boost::json::object& obj, std::string_view name, const std::optional<U>& v) {
    if (v) put(obj, name, *v);
}

template <class U>
boost::json::value to_value(const std::vector<U>& v) {
    boost::json::value jv;
    auto& arr = jv.emplace_array();
    arr.reserve(v.size());
    for (const auto& item : v) arr.push_back(to_value(item));
    return jv;
}

/// Writes `m`'s described members in their order (absent optionals left out), then its unknown members.
template <described_model T>
void write_model(boost::json::object& obj, const T& m) {
    boost::mp11::mp_for_each<boost::describe::describe_members<T, boost::describe::mod_public>>(
        [&](auto D) { put(obj, wire_name<T>(D.name), m.*D.pointer); });
    for (const auto& u : m.unknown_members) obj.insert_or_assign(u.name, to_value(u.value));
}

}  // namespace pieces::detail
