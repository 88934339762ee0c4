// Private to the library (included by the API headers): the compiled, type-erased operations that the API
// templates forward to, and the initiation that does the forwarding.
#pragma once

#include <pieces/call_options.hpp>
#include <pieces/models/allocations.hpp>
#include <pieces/models/user_profile.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/system/error_code.hpp>

#include <memory>
#include <optional>
#include <string>
#include <utility>

namespace pieces::detail {

class transport;
using client_ptr = std::shared_ptr<transport>;

/// The handler of a completion token, type-erased: every operation is compiled once, for this.
template <class T>
using handler_of = boost::asio::any_completion_handler<void(boost::system::error_code, T)>;

// The compiled operations (src/api/endpoints.cpp). Each writes its diagnostics to `call_options::diag` when set:
// the caller's, or those a `with_diagnostics` handler owns (see with_diagnostics.hpp).
void async_connect_new_cloud(client_ptr, std::optional<UserProfile>, call_options, handler_of<AllocationCloud>);
void async_create_new_allocation(client_ptr, std::optional<AllocationCloud>, call_options, handler_of<AllocationCloud>);
void async_delete_allocation(client_ptr, std::optional<AllocationCloud>, call_options, handler_of<std::string>);
void async_disconnect_cloud(client_ptr, std::optional<AllocationCloud>, call_options, handler_of<std::string>);
void async_reconnect_cloud(client_ptr, std::optional<AllocationCloud>, call_options, handler_of<AllocationCloud>);
void async_allocations_snapshot(client_ptr, call_options, handler_of<Allocations>);
void async_allocation_snapshot(client_ptr, std::string, call_options, handler_of<AllocationCloud>);
void async_allocation_update(client_ptr, std::optional<AllocationCloud>, call_options, handler_of<AllocationCloud>);

/// The initiation of every operation: calls `fn(args..., handler)`, the handler type-erased at that call (a move
/// when a `with_diagnostics` token erased it already). The `call_options` or `diagnostics*` among `args` is where
/// `with_diagnostics` finds the operation's diagnostics.
template <class T>
struct forward_to_compiled {
    template <class Handler, class Fn, class... Args>
    void operator()(Handler&& handler, Fn fn, Args&&... args) const {
        fn(std::forward<Args>(args)..., handler_of<T>(std::forward<Handler>(handler)));
    }
};

}  // namespace pieces::detail
