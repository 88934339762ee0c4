// Private to the library: its way into the internals of the public objects, which keep them private.
#pragma once

#include <string>
#include <string_view>
#include <utility>

namespace pieces::detail {

/// The library's way into what the public objects keep private (Boost.MySQL's `detail::access`): their
/// implementation, their constructors from internal types, and the setters of `diagnostics`. The only friend of
/// `client`, `allocations_api`, `allocation_api`, `watch_event`, `watch_subscription` and `diagnostics`.
struct access {
    template <class T>
    static auto& impl(T& object) noexcept {
        return object.impl_;
    }
    template <class T>
    static const auto& impl(const T& object) noexcept {
        return object.impl_;
    }

    /// A `T` made by one of its private constructors (e.g. a `watch_event` from the watcher's shared state).
    template <class T, class... A>
    static T construct(A&&... args) {
        return T(std::forward<A>(args)...);
    }

    // The diagnostics setters (a template: `diagnostics` is not complete here).
    template <class Diagnostics>
    static void set_http_status(Diagnostics& d, int status) noexcept {
        d.set_http_status(status);
    }
    template <class Diagnostics>
    static void set_endpoint(Diagnostics& d, std::string endpoint) {
        d.set_endpoint(std::move(endpoint));
    }
    template <class Diagnostics>
    static void set_server_message(Diagnostics& d, std::string_view text) {
        d.set_server_message(text);
    }
    template <class Diagnostics>
    static void set_client_message(Diagnostics& d, std::string message) {
        d.set_client_message(std::move(message));
    }
    template <class Diagnostics>
    static void set_attempts(Diagnostics& d, int attempts) noexcept {
        d.set_attempts(attempts);
    }
};

}  // namespace pieces::detail
