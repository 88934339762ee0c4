// The Allocation API: each endpoint one function template, for the awaitable form and every completion token.
#pragma once

#include <pieces/client.hpp>
#include <pieces/detail/async_ops.hpp>
#include <pieces/with_diagnostics.hpp>

#include <boost/asio/async_result.hpp>

#include <string>
#include <string_view>
#include <utility>

namespace pieces {

/// The Allocation API (`/allocation/...`), with the official SDKs' method names.
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
class allocation_api {
public:
    /// Shares `c`'s configuration and pool; may outlive `c` (its requests then fail with `client_closed`).
    explicit allocation_api(const client& c) : impl_(detail::access::impl(c)) {}

    /// `GET /allocation/{allocation}`: one allocation; `allocation` is sent percent-encoded as one path segment. Errors: `cloud_not_found` (410), `invalid_argument` (empty id). See the class documentation for the forms, errors and cancellation.
    template <boost::asio::completion_token_for<void(boost::system::error_code, AllocationCloud)> Token = default_completion_token>
    auto allocation_snapshot(std::string_view allocation, call_options opts = {}, Token&& token = {}) const {
        return boost::asio::async_initiate<Token, void(boost::system::error_code, AllocationCloud)>(
            detail::forward_to_compiled<AllocationCloud>{}, token,
            [](auto&&... a) { detail::async_allocation_snapshot(std::forward<decltype(a)>(a)...); }, impl_, std::string(allocation), opts);
    }

    /// `POST /allocation/update`: updates the allocation with the same `id` and returns it. Errors: `internal_server_error`, `gateway_timeout`. See the class documentation for the forms, errors and cancellation.
    template <boost::asio::completion_token_for<void(boost::system::error_code, AllocationCloud)> Token = default_completion_token>
    auto allocation_update(std::optional<AllocationCloud> allocation_cloud = std::nullopt, call_options opts = {}, Token&& token = {}) const {
        return boost::asio::async_initiate<Token, void(boost::system::error_code, AllocationCloud)>(
            detail::forward_to_compiled<AllocationCloud>{}, token,
            [](auto&&... a) { detail::async_allocation_update(std::forward<decltype(a)>(a)...); }, impl_, std::move(allocation_cloud), opts);
    }

private:
    friend struct detail::access;
    detail::client_ptr impl_;
};

}  // namespace pieces
