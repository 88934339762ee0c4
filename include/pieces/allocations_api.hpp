// The Allocations API: each endpoint one function template, for the awaitable form and every completion token.
#pragma once

#include <pieces/client.hpp>
#include <pieces/detail/async_ops.hpp>
#include <pieces/with_diagnostics.hpp>

#include <boost/asio/async_result.hpp>

#include <string>
#include <string_view>
#include <utility>

namespace pieces {

/// The Allocations API (`/allocations/...`), with the official SDKs' method names.
///
/// **Forms.** Every method is one function template: its last two parameters are the `call_options` (timeout,
/// diagnostics) and a completion token, both optional. Without a token (`default_completion_token`) it returns
/// `boost::asio::awaitable<T>`: `co_await` gives the result and throws `error_with_diagnostics` on failure. With
/// any Asio completion token (`as_tuple(use_awaitable)`, a callback, `use_future`, `deferred`, ...) it completes
/// with `void(boost::system::error_code, T)`; pass `{}` for default options: `api.op({}, token)`.
/// `with_diagnostics(token)` turns any token into the throwing form.
///
/// **Errors.** Every failure has a specific code (`pieces::errc`): the statuses each method names, then
/// `unexpected_status`, `invalid_response` (a 2xx that is not the promised model), `malformed_http`,
/// `response_too_large`, `connection_closed`, `request_timeout`, `connection_failed`, `invalid_argument` (a
/// per-call timeout <= 0 or an unusable per-call retry policy), `client_closed`, `operation_aborted`.
/// `call_options::diag` (or the exception) says more; the server's text there is untrusted.
///
/// **Retries.** Off by default; `client_config::retry`, or `call_options::retry` per call, attempts a 504, a
/// failed connection or one closed before any reply again (POSTs only when opted in), all within the one
/// deadline: see `retry_policy`.
///
/// **Cancellation.** Terminal cancellation through the token's cancellation slot ends the operation promptly
/// with `operation_aborted`; the connection in use is closed. `client::cancel()` ends all of them.
///
/// **Thread-safety.** A `const` object may be used from any thread; its operations share the client's pool.
///
/// **Object lifetimes.** The object may be destroyed while its operations are pending; `call_options::diag`
/// must outlive the operation. The executor's execution context must outlive pending operations.
class allocations_api {
public:
    /// Shares `c`'s configuration and pool; may outlive `c` (its requests then fail with `client_closed`).
    explicit allocations_api(const client& c) : impl_(detail::access::impl(c)) {}

    /// `POST /allocations/connect`: connects the cloud of the given user (who must be logged in). Errors: `internal_server_error` (500, e.g. no user), `gateway_timeout` (504). See the class documentation for the forms, errors and cancellation.
    template <boost::asio::completion_token_for<void(boost::system::error_code, AllocationCloud)> Token = default_completion_token>
    auto allocations_connect_new_cloud(std::optional<UserProfile> user_profile = std::nullopt, call_options opts = {}, Token&& token = {}) const {
        return boost::asio::async_initiate<Token, void(boost::system::error_code, AllocationCloud)>(
            detail::forward_to_compiled<AllocationCloud>{}, token,
            [](auto&&... a) { detail::async_connect_new_cloud(std::forward<decltype(a)>(a)...); }, impl_, std::move(user_profile), opts);
    }

    /// `POST /allocations/create`: unimplemented by a local Pieces OS (it answers 500); used within the cloud. See the class documentation for the forms, errors and cancellation.
    template <boost::asio::completion_token_for<void(boost::system::error_code, AllocationCloud)> Token = default_completion_token>
    auto allocations_create_new_allocation(std::optional<AllocationCloud> allocation_cloud = std::nullopt, call_options opts = {}, Token&& token = {}) const {
        return boost::asio::async_initiate<Token, void(boost::system::error_code, AllocationCloud)>(
            detail::forward_to_compiled<AllocationCloud>{}, token,
            [](auto&&... a) { detail::async_create_new_allocation(std::forward<decltype(a)>(a)...); }, impl_, std::move(allocation_cloud), opts);
    }

    /// `POST /allocations/delete`: unimplemented by a local Pieces OS (it answers 500); used within the cloud. See the class documentation for the forms, errors and cancellation.
    template <boost::asio::completion_token_for<void(boost::system::error_code, std::string)> Token = default_completion_token>
    auto allocations_delete_allocation(std::optional<AllocationCloud> allocation_cloud = std::nullopt, call_options opts = {}, Token&& token = {}) const {
        return boost::asio::async_initiate<Token, void(boost::system::error_code, std::string)>(
            detail::forward_to_compiled<std::string>{}, token,
            [](auto&&... a) { detail::async_delete_allocation(std::forward<decltype(a)>(a)...); }, impl_, std::move(allocation_cloud), opts);
    }

    /// `POST /allocations/disconnect`: disconnects the cloud; the result is the uuid of the cloud disconnected. Errors: `internal_server_error`. See the class documentation for the forms, errors and cancellation.
    template <boost::asio::completion_token_for<void(boost::system::error_code, std::string)> Token = default_completion_token>
    auto allocations_disconnect_cloud(std::optional<AllocationCloud> allocation_cloud = std::nullopt, call_options opts = {}, Token&& token = {}) const {
        return boost::asio::async_initiate<Token, void(boost::system::error_code, std::string)>(
            detail::forward_to_compiled<std::string>{}, token,
            [](auto&&... a) { detail::async_disconnect_cloud(std::forward<decltype(a)>(a)...); }, impl_, std::move(allocation_cloud), opts);
    }

    /// `POST /allocations/reconnect`: ensures the cloud is connected and up to date; can take long. Errors: `internal_server_error`, `gateway_timeout`. See the class documentation for the forms, errors and cancellation.
    template <boost::asio::completion_token_for<void(boost::system::error_code, AllocationCloud)> Token = default_completion_token>
    auto allocations_reconnect_cloud(std::optional<AllocationCloud> allocation_cloud = std::nullopt, call_options opts = {}, Token&& token = {}) const {
        return boost::asio::async_initiate<Token, void(boost::system::error_code, AllocationCloud)>(
            detail::forward_to_compiled<AllocationCloud>{}, token,
            [](auto&&... a) { detail::async_reconnect_cloud(std::forward<decltype(a)>(a)...); }, impl_, std::move(allocation_cloud), opts);
    }

    /// `GET /allocations`: all connected allocations. Errors: `internal_server_error`. See the class documentation for the forms, errors and cancellation.
    template <boost::asio::completion_token_for<void(boost::system::error_code, Allocations)> Token = default_completion_token>
    auto allocations_snapshot(call_options opts = {}, Token&& token = {}) const {
        return boost::asio::async_initiate<Token, void(boost::system::error_code, Allocations)>(
            detail::forward_to_compiled<Allocations>{}, token,
            [](auto&&... a) { detail::async_allocations_snapshot(std::forward<decltype(a)>(a)...); }, impl_, opts);
    }

private:
    friend struct detail::access;
    detail::client_ptr impl_;
};

}  // namespace pieces
