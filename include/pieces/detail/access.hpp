// Private to the library: its way into the internals of the public objects, which keep them private.
#pragma once

namespace pieces::detail {

/// Reads a public object's implementation (Boost.MySQL's `detail::access`): the only friend of `client`,
/// `allocations_api`, `allocation_api`, `watch_event` and `diagnostics`.
struct access {
    template <class T>
    static auto& impl(T& object) noexcept {
        return object.impl_;
    }
    template <class T>
    static const auto& impl(const T& object) noexcept {
        return object.impl_;
    }
};

}  // namespace pieces::detail
