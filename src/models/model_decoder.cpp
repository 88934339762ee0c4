// JSON events -> a model, through the tables its description makes; the same events -> a DOM. Fed from the text
// by Boost.JSON's basic_parser, or from a DOM by a walk: one reader for both, no recursion in either.
#include "models/model_codec.hpp"

#include "util/read_double.hpp"

#include <pieces/error.hpp>
#include <pieces/models/grouped_timestamp.hpp>

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/serialize.hpp>

#include <bit>
#include <cmath>

namespace pieces::detail {

namespace json = boost::json;
using boost::system::error_code;
using kind = json_event::kind;

// ---- names of one object ----

void model_decoder::name_set::clear() {
    few_.clear();
    // clear() zeroes every bucket: a set that once held many names is dropped instead, or each later object at
    // its depth would pay for them again.
    if (many_.bucket_count() > 64) many_ = {};
    else many_.clear();
}

bool model_decoder::name_set::insert(std::string_view name) {
    constexpr std::size_t few_max = 8;
    if (many_.empty()) {
        for (const auto& n : few_)
            if (n == name) return false;
        if (few_.size() < few_max) {
            few_.emplace_back(name);
            return true;
        }
        many_.insert(few_.begin(), few_.end());
        few_.clear();
    }
    return many_.emplace(name).second;
}

// ---- the decoder ----

model_decoder::model_decoder(const type_reader& root, void* target) {
    frames_[0].reader = &root;
    frames_[0].target = target;
    depth_ = 1;
}

model_decoder::model_decoder(json::value& out, json::storage_ptr sp) : storage_(std::move(sp)) {
    frames_[0].capture_value = &out;
    depth_ = 1;
}

model_decoder::frame* model_decoder::push(frame::kind what) {
    if (depth_ == max_frames) {  // not reached: models nest far less, and a value read as `any` is one frame
        if (structure_error_.empty()) structure_error_ = message(path(depth_, levels_.size()), "nested too deeply");
        return nullptr;
    }
    frame& f = frames_[depth_++];
    f = frame{};
    f.what = what;
    return &f;
}

bool model_decoder::value(const json_event& e, error_code& ec) {
    frame& f = top();
    switch (f.what) {
    case frame::kind::any: any_value(f, e); break;
    case frame::kind::root:
        if (f.reader) dispatch(*f.reader, f.target, e);
        else begin_any(nullptr, f.capture_value, e);
        break;
    case frame::kind::model:
        if (f.pending) dispatch(*f.pending->reader, f.pending->address(f.target), e);
        else begin_any(&f.reader->unknown(f.target).back().value.text, nullptr, e);
        break;
    case frame::kind::array:
        ++f.count;
        dispatch(*f.reader->element, f.reader->append(f.target), e);
        break;
    }
    if (structure_error_.empty()) return true;
    ec = errc::invalid_response;
    return false;
}

void model_decoder::dispatch(const type_reader& r, void* target, const json_event& e) {
    // A refused object or array is still read, for its names: the text is checked to its end either way.
    if (!r.on_value(*this, r, target, e) && (e.what == kind::object_begin || e.what == kind::array_begin))
        begin_any(nullptr, nullptr, e);
}

void model_decoder::begin_model(const type_reader& self, void* model) {
    if (frame* f = push(frame::kind::model)) {
        f->reader = &self;
        f->target = model;
    }
}

void model_decoder::begin_array(const type_reader& self, void* vector) {
    self.begin(vector);
    if (frame* f = push(frame::kind::array)) {
        f->reader = &self;
        f->target = vector;
    }
}

void model_decoder::capture(std::string& text, const json_event& first) { begin_any(&text, nullptr, first); }

void model_decoder::begin_any(std::string* text, json::value* out, const json_event& first) {
    frame* f = push(frame::kind::any);
    if (!f) return;
    f->levels_at = levels_.size();
    f->capture_text = text;
    f->capture_value = out;
    if (text || out) stack_.reset(storage_);
    any_value(*f, first);
}

void model_decoder::any_value(frame& f, const json_event& e) {
    if (levels_.size() > f.levels_at && !levels_.back().is_object) ++levels_.back().count;
    const bool keep = f.capture_text || f.capture_value;
    switch (e.what) {
    case kind::object_begin: {
        level l;
        l.is_object = true;
        l.names = new_names();
        levels_.push_back(std::move(l));
        return;
    }
    case kind::array_begin: levels_.emplace_back(); return;
    case kind::string:
        if (keep) stack_.push_string(e.text);
        break;
    case kind::int64:
        if (keep) stack_.push_int64(e.i);
        break;
    case kind::uint64:
        if (keep) stack_.push_uint64(e.u);
        break;
    case kind::number:
        if (keep) stack_.push_double(e.d);
        break;
    case kind::boolean:
        if (keep) stack_.push_bool(e.b);
        break;
    case kind::null:
        if (keep) stack_.push_null();
        break;
    }
    if (levels_.size() == f.levels_at) finish_any(f);
}

void model_decoder::finish_any(frame& f) {
    if (f.capture_text) *f.capture_text = json::serialize(stack_.release());
    else if (f.capture_value) *f.capture_value = stack_.release();
    --depth_;
}

std::size_t model_decoder::new_names() {
    if (names_used_ == names_.size()) names_.emplace_back();
    names_[names_used_].clear();
    return names_used_++;
}

bool model_decoder::key(std::string_view name, error_code& ec) {
    frame& f = top();
    if (f.what == frame::kind::any) {
        level& l = levels_.back();
        if (!names_[l.names].insert(name)) return repeated(depth_, levels_.size() - 1, name, ec);
        l.key.assign(name);
        if (f.capture_text || f.capture_value) stack_.push_key(name);
        return true;
    }
    // Servers write members in a fixed order, mostly the described one: the member after the last one read is
    // tried first, then all of them.
    const member_reader* members = f.reader->members;
    const std::size_t count = f.reader->member_count;
    const auto same = [name](std::string_view known) {
        return known.size() == name.size() && (name.empty() || (known[0] == name[0] && known == name));
    };
    std::size_t i = f.next;
    if (i >= count || !same(members[i].wire_name))
        for (i = 0; i < count && !same(members[i].wire_name);) ++i;
    if (i < count) {
        const std::uint64_t bit = std::uint64_t{1} << i;
        if (f.seen & bit) return repeated(depth_ - 1, levels_.size(), name, ec);
        f.seen |= bit;
        f.pending = &members[i];
        f.key = members[i].wire_name;
        f.next = i + 1;
        return true;
    }
    if (f.names == npos) f.names = new_names();
    if (!names_[f.names].insert(name)) return repeated(depth_ - 1, levels_.size(), name, ec);
    auto& unknown = f.reader->unknown(f.target);
    unknown.push_back({std::string(name), {}});
    f.pending = nullptr;
    f.key = unknown.back().name;
    return true;
}

bool model_decoder::repeated(std::size_t frames, std::size_t levels, std::string_view name, error_code& ec) {
    structure_error_ = message(member_path(frames, levels, name), "member name given twice");
    ec = errc::invalid_response;
    return false;
}

bool model_decoder::object_end(std::size_t size, error_code&) {
    frame& f = top();
    if (f.what == frame::kind::any) {
        levels_.pop_back();
        --names_used_;
        if (f.capture_text || f.capture_value) stack_.push_object(size);
        if (levels_.size() == f.levels_at) finish_any(f);
        return true;
    }
    if (const std::uint64_t missing = f.reader->required & ~f.seen; missing != 0 && model_error_.empty()) {
        const std::string_view name = f.reader->members[std::countr_zero(missing)].wire_name;
        model_error_ = message(member_path(depth_ - 1, levels_.size(), name), "missing required member");
    }
    if (f.names != npos) --names_used_;
    --depth_;
    return true;
}

bool model_decoder::array_end(std::size_t size, error_code&) {
    frame& f = top();
    if (f.what == frame::kind::any) {
        levels_.pop_back();
        if (f.capture_text || f.capture_value) stack_.push_array(size);
        if (levels_.size() == f.levels_at) finish_any(f);
        return true;
    }
    f.reader->end(f.target);
    --depth_;
    return true;
}

bool model_decoder::refuse(std::string_view why) {
    if (model_error_.empty()) model_error_ = message(path(depth_, levels_.size()), why);
    return false;
}

std::string model_decoder::message(std::string at, std::string_view why) {
    if (at.empty()) at = "(root)";
    at += ": ";
    at += why;
    return at;
}

std::string model_decoder::member_path(std::size_t frames, std::size_t levels, std::string_view name) const {
    std::string at = path(frames, levels);
    append_key(at, name);
    return at;
}

void model_decoder::append_key(std::string& path, std::string_view key) {
    if (!path.empty()) path += '.';
    path += key;
}

std::string model_decoder::path(std::size_t frames, std::size_t levels) const {
    std::string out;
    const auto index = [&out](std::size_t count) { out += '[' + std::to_string(count - 1) + ']'; };
    for (std::size_t i = 0; i < frames; ++i) {
        const frame& f = frames_[i];
        switch (f.what) {
        case frame::kind::root: break;
        case frame::kind::model: append_key(out, f.key); break;
        case frame::kind::array: index(f.count); break;
        case frame::kind::any:
            for (std::size_t j = f.levels_at; j < levels; ++j) {
                if (levels_[j].is_object) append_key(out, levels_[j].key);
                else index(levels_[j].count);
            }
            break;
        }
    }
    return out;
}

// ---- the leaf readers ----

bool read_string(model_decoder& d, const type_reader&, void* target, const json_event& e) {
    if (e.what != kind::string) return d.refuse("expected a string");
    static_cast<std::string*>(target)->assign(e.text);
    return true;
}

bool read_int64(model_decoder& d, const type_reader&, void* target, const json_event& e) {
    auto& out = *static_cast<std::int64_t*>(target);
    // 14.0 is an integer in JSON's eyes; the range check comes first, as converting a double that does not fit
    // is undefined (2^63 itself is out: the largest int64 is one less).
    constexpr double two_to_63 = 9223372036854775808.0;
    switch (e.what) {
    case kind::int64: out = e.i; return true;
    case kind::uint64:
        if (e.u > static_cast<std::uint64_t>(INT64_MAX)) break;
        out = static_cast<std::int64_t>(e.u);
        return true;
    case kind::number:
        if (!(e.d >= -two_to_63 && e.d < two_to_63) || e.d != static_cast<double>(static_cast<std::int64_t>(e.d))) break;
        out = static_cast<std::int64_t>(e.d);
        return true;
    default: break;
    }
    return d.refuse("expected an integer");
}

bool read_bool(model_decoder& d, const type_reader&, void* target, const json_event& e) {
    if (e.what != kind::boolean) return d.refuse("expected a boolean");
    *static_cast<bool*>(target) = e.b;
    return true;
}

bool read_raw(model_decoder& d, const type_reader&, void* target, const json_event& e) {
    d.capture(static_cast<raw_json*>(target)->text, e);
    return true;
}

bool read_time(model_decoder& d, const type_reader&, void* target, const json_event& e) {
    if (e.what != kind::string) return d.refuse("expected a string");
    const auto tp = parse_rfc3339(e.text);
    if (!tp) return d.refuse("expected an RFC 3339 date-time");
    *static_cast<timestamp*>(target) = *tp;
    return true;
}

bool read_model_object(model_decoder& d, const type_reader& self, void* target, const json_event& e) {
    if (e.what != kind::object_begin) return d.refuse("expected an object");
    d.begin_model(self, target);
    return true;
}

bool read_array_elements(model_decoder& d, const type_reader& self, void* target, const json_event& e) {
    if (e.what != kind::array_begin) return d.refuse("expected an array");
    d.begin_array(self, target);
    return true;
}

// ---- from the text ----

namespace {

// basic_parser's handler: whole strings, keys and numbers to the decoder. Every non-integer number is read
// exactly: Boost.JSON 1.81's parser may leave a long or large-exponent number one unit in the last place off (its
// only number mode), so a value received and written back could change; the number's text, read with
// read_double (util/read_double.hpp), gives the nearest double, and Boost.JSON writes doubles in the shortest form that reads back
// the same. Later versions offer a precise mode too; this reading is exact on every version (one code path).
struct event_handler {
    static constexpr std::size_t max_object_size = json::object::max_size();
    static constexpr std::size_t max_array_size = json::array::max_size();
    static constexpr std::size_t max_key_size = json::string::max_size();
    static constexpr std::size_t max_string_size = json::string::max_size();

    explicit event_handler(model_decoder* d) : decoder(d) {}

    model_decoder* decoder;
    std::string part;    // a key or string delivered in parts (only when the input comes in parts)
    std::string number;  // a number's text delivered in parts

    std::string_view whole(json::string_view s) {
        if (part.empty()) return {s.data(), s.size()};
        part.append(s.data(), s.size());
        return part;
    }
    bool scalar(json_event e, error_code& ec) { return decoder->value(e, ec); }

    bool on_document_begin(error_code&) { return true; }
    bool on_document_end(error_code&) { return true; }
    bool on_object_begin(error_code& ec) { return scalar(json_event(kind::object_begin), ec); }
    bool on_object_end(std::size_t n, error_code& ec) { return decoder->object_end(n, ec); }
    bool on_array_begin(error_code& ec) { return scalar(json_event(kind::array_begin), ec); }
    bool on_array_end(std::size_t n, error_code& ec) { return decoder->array_end(n, ec); }
    bool on_key_part(json::string_view s, std::size_t, error_code&) {
        part.append(s.data(), s.size());
        return true;
    }
    bool on_key(json::string_view s, std::size_t, error_code& ec) {
        const bool ok = decoder->key(whole(s), ec);
        part.clear();
        return ok;
    }
    bool on_string_part(json::string_view s, std::size_t, error_code&) {
        part.append(s.data(), s.size());
        return true;
    }
    bool on_string(json::string_view s, std::size_t, error_code& ec) {
        json_event e(kind::string);
        e.text = whole(s);
        const bool ok = decoder->value(e, ec);
        part.clear();
        return ok;
    }
    bool on_number_part(json::string_view s, error_code&) {
        number.append(s.data(), s.size());
        return true;
    }
    bool on_int64(std::int64_t i, json::string_view, error_code& ec) {
        number.clear();
        json_event e(kind::int64);
        e.i = i;
        return decoder->value(e, ec);
    }
    bool on_uint64(std::uint64_t u, json::string_view, error_code& ec) {
        number.clear();
        json_event e(kind::uint64);
        e.u = u;
        return decoder->value(e, ec);
    }
    bool on_double(double d, json::string_view s, error_code& ec) {
        const bool in_parts = !number.empty();
        if (in_parts) number.append(s.data(), s.size());
        const json::string_view text = in_parts ? json::string_view(number) : s;
        double exact = 0;
        const bool read = read_double(std::string_view(text.data(), text.size()), exact);
        number.clear();
        if (read) {
            d = exact;
        } else if (!std::isfinite(d)) {
            // 1e400: no double holds it, and JSON cannot write back an infinity. (An underflow such as 1e-400
            // is out of range for read_double too, but Boost.JSON's 0 is the nearest double.)
            ec = json::error::exponent_overflow;
            return false;
        }
        json_event e(kind::number);
        e.d = d;
        return decoder->value(e, ec);
    }
    bool on_bool(bool b, error_code& ec) {
        json_event e(kind::boolean);
        e.b = b;
        return decoder->value(e, ec);
    }
    bool on_null(error_code& ec) { return scalar(json_event(kind::null), ec); }
    bool on_comment_part(json::string_view, error_code&) { return true; }
    bool on_comment(json::string_view, error_code&) { return true; }
};

// Parses the whole of `text` into `d` (default limits: 32 levels, no comments); the first failure is `error`.
bool run_parser(std::string_view text, model_decoder& d, error_code& ec, std::string& error) {
    json::basic_parser<event_handler> parser(json::parse_options{}, &d);
    const std::size_t used = parser.write_some(false, text.data(), text.size(), ec);
    if (!ec && used < text.size()) ec = json::error::extra_data;
    if (ec) {
        error = d.structure_error().empty() ? "(root): not valid JSON: " + ec.message() : d.structure_error();
        return false;
    }
    if (!d.model_error().empty()) {
        error = d.model_error();
        ec = errc::invalid_response;
        return false;
    }
    return true;
}

}  // namespace

bool decode_text(std::string_view text, const type_reader& root, void* target, std::string& error) {
    model_decoder d(root, target);
    error_code ec;
    return run_parser(text, d, ec, error);
}

json::value parse_json(std::string_view text, error_code& ec, std::string* error, json::storage_ptr sp) {
    json::value out(sp);
    model_decoder d(out, std::move(sp));
    std::string why;
    if (run_parser(text, d, ec, why)) return out;
    if (error) *error = std::move(why);
    return nullptr;
}

// ---- from a DOM: the same events, in document order, by a walk with a stack of its own ----

bool decode_value(const json::value& jv, const type_reader& root, void* target, std::string& error) {
    model_decoder d(root, target);
    error_code ec;
    struct open_container {
        const json::value* v;
        std::size_t next = 0;
    };
    std::vector<open_container> open;
    const auto emit = [&](const json::value& v) {
        json_event e;
        switch (v.kind()) {
        case json::kind::object:
        case json::kind::array:
            e.what = v.is_object() ? kind::object_begin : kind::array_begin;
            if (!d.value(e, ec)) return false;
            open.push_back({&v});
            return true;
        case json::kind::string:
            e.what = kind::string;
            e.text = {v.get_string().data(), v.get_string().size()};
            break;
        case json::kind::int64:
            e.what = kind::int64;
            e.i = v.get_int64();
            break;
        case json::kind::uint64:
            e.what = kind::uint64;
            e.u = v.get_uint64();
            break;
        case json::kind::double_:
            e.what = kind::number;
            e.d = v.get_double();
            break;
        case json::kind::bool_:
            e.what = kind::boolean;
            e.b = v.get_bool();
            break;
        case json::kind::null: e.what = kind::null; break;
        }
        return d.value(e, ec);
    };
    bool ok = emit(jv);
    while (ok && !open.empty()) {
        open_container& top = open.back();
        if (const auto* obj = top.v->if_object()) {
            if (top.next == obj->size()) {
                ok = d.object_end(obj->size(), ec);
                open.pop_back();
                continue;
            }
            const auto& member = *(obj->begin() + top.next++);
            ok = d.key({member.key().data(), member.key().size()}, ec) && emit(member.value());
        } else {
            const auto& arr = top.v->get_array();
            if (top.next == arr.size()) {
                ok = d.array_end(arr.size(), ec);
                open.pop_back();
                continue;
            }
            ok = emit(arr[top.next++]);
        }
    }
    if (!ok) {
        error = d.structure_error();
        return false;
    }
    if (!d.model_error().empty()) {
        error = d.model_error();
        return false;
    }
    return true;
}

}  // namespace pieces::detail
