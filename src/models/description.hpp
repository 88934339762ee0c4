// Private: what the models' descriptions say, read at compile time: which types are models, wire names, and the
// wire strings of described enumerations.
#pragma once

#include <pieces/models/model_description.hpp>
#include <pieces/raw_json.hpp>

#include <boost/describe/enumerators.hpp>
#include <boost/describe/members.hpp>
#include <boost/mp11/algorithm.hpp>

#include <concepts>
#include <optional>
#include <string_view>

namespace pieces::detail {

template <class T>
concept described_model = boost::describe::has_describe_members<T>::value && requires(T& m) {
    { m.unknown_members } -> std::same_as<json_members&>;
};

template <class T>
constexpr std::string_view wire_name(std::string_view member) {
    if constexpr (requires { T::wire_renames; }) {
        for (const wire_rename& r : T::wire_renames)
            if (r.member == member) return r.wire_name;
    }
    if (!member.empty() && member.back() == '_') member.remove_suffix(1);
    return member;
}

template <class E>
std::string_view enum_wire_name(E e) noexcept {
    std::string_view out = "UNKNOWN";
    boost::mp11::mp_for_each<boost::describe::describe_enumerators<E>>([&](auto D) {
        if (D.value == e) out = D.name;
    });
    return out;
}

template <class E>
std::optional<E> enum_from_wire(std::string_view text) noexcept {
    std::optional<E> out;
    boost::mp11::mp_for_each<boost::describe::describe_enumerators<E>>([&](auto D) {
        if (!out && text == D.name) out = D.value;
    });
    return out;
}

}  // namespace pieces::detail
