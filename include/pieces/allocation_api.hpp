// The Allocation API: the awaitable form and the completion-token forms of each method.
#pragma once

#include <pieces/client.hpp>
#include <pieces/detail/async_ops.hpp>

#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>

#include <string_view>

namespace pieces {

/// The Allocation API (`/allocation/...`), with the official SDKs' method names.
/// Thread-safety: a `const` object may be used from any thread; its operations share the client's pool.
/// Object lifetimes: the object may be destroyed while its operations are pending.
class allocation_api {
public:
    /// Shares `c`'s configuration and pool; may outlive `c` (its requests then fail with `client_closed`).
    explicit allocation_api(const client& c) : impl_(c.impl()) {}

    /// `GET /allocation/{allocation}`: one allocation; `allocation` is sent percent-encoded as one path segment. Errors: `cloud_not_found` (410), `invalid_argument` (empty id).
    ///
    /// Forms: with no completion token, returns `boost::asio::awaitable<AllocationCloud>` and throws
    /// `error_with_diagnostics` on failure. With any Asio completion token (`as_tuple(use_awaitable)`,
    /// a callback, `use_future`, `deferred`, ...), completes with `void(boost::system::error_code, AllocationCloud)`.
    /// Every failure has a specific code: HTTP statuses as above, else `request_timeout`, `connection_failed`,
    /// `invalid_response`, `malformed_http`, `response_too_large`, `connection_closed`, `operation_aborted`.
    /// Cancellation: terminal, through the token's cancellation slot; the connection in use is closed.
    boost::asio::awaitable<AllocationCloud> allocation_snapshot(std::string_view allocation, call_options opts = {}) const;

    /// The same request with a completion token: completes with the signature above (see "Forms").
    template <boost::asio::completion_token_for<void(boost::system::error_code, AllocationCloud)> Token>
    auto allocation_snapshot(std::string_view allocation, call_options opts, Token&& token) const {
        return boost::asio::async_initiate<Token, void(boost::system::error_code, AllocationCloud)>(detail::forward_to_compiled{}, token,
                                                         &detail::async_allocation_snapshot, impl_, std::string(allocation), opts);
    }
    /// The same request with a completion token and default `call_options`.
    template <boost::asio::completion_token_for<void(boost::system::error_code, AllocationCloud)> Token>
    auto allocation_snapshot(std::string_view allocation, Token&& token) const {
        return allocation_snapshot(std::string(allocation), call_options{}, std::forward<Token>(token));
    }

    /// `POST /allocation/update`: updates the allocation with the same `id` and returns it. Errors: `internal_server_error`, `gateway_timeout`.
    ///
    /// Forms: with no completion token, returns `boost::asio::awaitable<AllocationCloud>` and throws
    /// `error_with_diagnostics` on failure. With any Asio completion token (`as_tuple(use_awaitable)`,
    /// a callback, `use_future`, `deferred`, ...), completes with `void(boost::system::error_code, AllocationCloud)`.
    /// Every failure has a specific code: HTTP statuses as above, else `request_timeout`, `connection_failed`,
    /// `invalid_response`, `malformed_http`, `response_too_large`, `connection_closed`, `operation_aborted`.
    /// Cancellation: terminal, through the token's cancellation slot; the connection in use is closed.
    boost::asio::awaitable<AllocationCloud> allocation_update(std::optional<AllocationCloud> allocation_cloud = std::nullopt, call_options opts = {}) const;

    /// The same request with a completion token: completes with the signature above (see "Forms").
    template <boost::asio::completion_token_for<void(boost::system::error_code, AllocationCloud)> Token>
    auto allocation_update(std::optional<AllocationCloud> allocation_cloud, call_options opts, Token&& token) const {
        return boost::asio::async_initiate<Token, void(boost::system::error_code, AllocationCloud)>(detail::forward_to_compiled{}, token,
                                                         &detail::async_allocation_update, impl_, std::move(allocation_cloud), opts);
    }
    /// The same request with a completion token and default `call_options`.
    template <boost::asio::completion_token_for<void(boost::system::error_code, AllocationCloud)> Token>
    auto allocation_update(std::optional<AllocationCloud> allocation_cloud, Token&& token) const {
        return allocation_update(std::move(allocation_cloud), call_options{}, std::forward<Token>(token));
    }

private:
    detail::client_ptr impl_;
};

}  // namespace pieces
