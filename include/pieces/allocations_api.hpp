// The Allocations API: the awaitable form and the completion-token forms of each method.
#pragma once

#include <pieces/client.hpp>
#include <pieces/detail/async_ops.hpp>

#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>

#include <string_view>

namespace pieces {

/// The Allocations API (`/allocations/...`), with the official SDKs' method names.
/// Thread-safety: a `const` object may be used from any thread; its operations share the client's pool.
/// Object lifetimes: the object may be destroyed while its operations are pending.
class allocations_api {
public:
    /// Shares `c`'s configuration and pool; may outlive `c` (its requests then fail with `client_closed`).
    explicit allocations_api(const client& c) : impl_(c.impl()) {}

    /// `POST /allocations/connect`: connects the cloud of the given user (who must be logged in). Errors: `internal_server_error` (500, e.g. no user), `gateway_timeout` (504).
    ///
    /// Forms: with no completion token, returns `boost::asio::awaitable<AllocationCloud>` and throws
    /// `error_with_diagnostics` on failure. With any Asio completion token (`as_tuple(use_awaitable)`,
    /// a callback, `use_future`, `deferred`, ...), completes with `void(boost::system::error_code, AllocationCloud)`.
    /// Every failure has a specific code: HTTP statuses as above, else `request_timeout`, `connection_failed`,
    /// `invalid_response`, `malformed_http`, `response_too_large`, `connection_closed`, `operation_aborted`.
    /// Cancellation: terminal, through the token's cancellation slot; the connection in use is closed.
    boost::asio::awaitable<AllocationCloud> allocations_connect_new_cloud(std::optional<UserProfile> user_profile = std::nullopt, call_options opts = {}) const;

    /// The same request with a completion token: completes with the signature above (see "Forms").
    template <boost::asio::completion_token_for<void(boost::system::error_code, AllocationCloud)> Token>
    auto allocations_connect_new_cloud(std::optional<UserProfile> user_profile, call_options opts, Token&& token) const {
        return boost::asio::async_initiate<Token, void(boost::system::error_code, AllocationCloud)>(detail::forward_to_compiled{}, token,
                                                         &detail::async_connect_new_cloud, impl_, std::move(user_profile), opts);
    }
    /// The same request with a completion token and default `call_options`.
    template <boost::asio::completion_token_for<void(boost::system::error_code, AllocationCloud)> Token>
    auto allocations_connect_new_cloud(std::optional<UserProfile> user_profile, Token&& token) const {
        return allocations_connect_new_cloud(std::move(user_profile), call_options{}, std::forward<Token>(token));
    }

    /// `POST /allocations/create`: unimplemented by a local Pieces OS (it answers 500); used within the cloud.
    ///
    /// Forms: with no completion token, returns `boost::asio::awaitable<AllocationCloud>` and throws
    /// `error_with_diagnostics` on failure. With any Asio completion token (`as_tuple(use_awaitable)`,
    /// a callback, `use_future`, `deferred`, ...), completes with `void(boost::system::error_code, AllocationCloud)`.
    /// Every failure has a specific code: HTTP statuses as above, else `request_timeout`, `connection_failed`,
    /// `invalid_response`, `malformed_http`, `response_too_large`, `connection_closed`, `operation_aborted`.
    /// Cancellation: terminal, through the token's cancellation slot; the connection in use is closed.
    boost::asio::awaitable<AllocationCloud> allocations_create_new_allocation(std::optional<AllocationCloud> allocation_cloud = std::nullopt, call_options opts = {}) const;

    /// The same request with a completion token: completes with the signature above (see "Forms").
    template <boost::asio::completion_token_for<void(boost::system::error_code, AllocationCloud)> Token>
    auto allocations_create_new_allocation(std::optional<AllocationCloud> allocation_cloud, call_options opts, Token&& token) const {
        return boost::asio::async_initiate<Token, void(boost::system::error_code, AllocationCloud)>(detail::forward_to_compiled{}, token,
                                                         &detail::async_create_new_allocation, impl_, std::move(allocation_cloud), opts);
    }
    /// The same request with a completion token and default `call_options`.
    template <boost::asio::completion_token_for<void(boost::system::error_code, AllocationCloud)> Token>
    auto allocations_create_new_allocation(std::optional<AllocationCloud> allocation_cloud, Token&& token) const {
        return allocations_create_new_allocation(std::move(allocation_cloud), call_options{}, std::forward<Token>(token));
    }

    /// `POST /allocations/delete`: unimplemented by a local Pieces OS (it answers 500); used within the cloud.
    ///
    /// Forms: with no completion token, returns `boost::asio::awaitable<std::string>` and throws
    /// `error_with_diagnostics` on failure. With any Asio completion token (`as_tuple(use_awaitable)`,
    /// a callback, `use_future`, `deferred`, ...), completes with `void(boost::system::error_code, std::string)`.
    /// Every failure has a specific code: HTTP statuses as above, else `request_timeout`, `connection_failed`,
    /// `invalid_response`, `malformed_http`, `response_too_large`, `connection_closed`, `operation_aborted`.
    /// Cancellation: terminal, through the token's cancellation slot; the connection in use is closed.
    boost::asio::awaitable<std::string> allocations_delete_allocation(std::optional<AllocationCloud> allocation_cloud = std::nullopt, call_options opts = {}) const;

    /// The same request with a completion token: completes with the signature above (see "Forms").
    template <boost::asio::completion_token_for<void(boost::system::error_code, std::string)> Token>
    auto allocations_delete_allocation(std::optional<AllocationCloud> allocation_cloud, call_options opts, Token&& token) const {
        return boost::asio::async_initiate<Token, void(boost::system::error_code, std::string)>(detail::forward_to_compiled{}, token,
                                                         &detail::async_delete_allocation, impl_, std::move(allocation_cloud), opts);
    }
    /// The same request with a completion token and default `call_options`.
    template <boost::asio::completion_token_for<void(boost::system::error_code, std::string)> Token>
    auto allocations_delete_allocation(std::optional<AllocationCloud> allocation_cloud, Token&& token) const {
        return allocations_delete_allocation(std::move(allocation_cloud), call_options{}, std::forward<Token>(token));
    }

    /// `POST /allocations/disconnect`: disconnects the cloud; the result is the uuid of the cloud disconnected. Errors: `internal_server_error`.
    ///
    /// Forms: with no completion token, returns `boost::asio::awaitable<std::string>` and throws
    /// `error_with_diagnostics` on failure. With any Asio completion token (`as_tuple(use_awaitable)`,
    /// a callback, `use_future`, `deferred`, ...), completes with `void(boost::system::error_code, std::string)`.
    /// Every failure has a specific code: HTTP statuses as above, else `request_timeout`, `connection_failed`,
    /// `invalid_response`, `malformed_http`, `response_too_large`, `connection_closed`, `operation_aborted`.
    /// Cancellation: terminal, through the token's cancellation slot; the connection in use is closed.
    boost::asio::awaitable<std::string> allocations_disconnect_cloud(std::optional<AllocationCloud> allocation_cloud = std::nullopt, call_options opts = {}) const;

    /// The same request with a completion token: completes with the signature above (see "Forms").
    template <boost::asio::completion_token_for<void(boost::system::error_code, std::string)> Token>
    auto allocations_disconnect_cloud(std::optional<AllocationCloud> allocation_cloud, call_options opts, Token&& token) const {
        return boost::asio::async_initiate<Token, void(boost::system::error_code, std::string)>(detail::forward_to_compiled{}, token,
                                                         &detail::async_disconnect_cloud, impl_, std::move(allocation_cloud), opts);
    }
    /// The same request with a completion token and default `call_options`.
    template <boost::asio::completion_token_for<void(boost::system::error_code, std::string)> Token>
    auto allocations_disconnect_cloud(std::optional<AllocationCloud> allocation_cloud, Token&& token) const {
        return allocations_disconnect_cloud(std::move(allocation_cloud), call_options{}, std::forward<Token>(token));
    }

    /// `POST /allocations/reconnect`: ensures the cloud is connected and up to date; can take long. Errors: `internal_server_error`, `gateway_timeout`.
    ///
    /// Forms: with no completion token, returns `boost::asio::awaitable<AllocationCloud>` and throws
    /// `error_with_diagnostics` on failure. With any Asio completion token (`as_tuple(use_awaitable)`,
    /// a callback, `use_future`, `deferred`, ...), completes with `void(boost::system::error_code, AllocationCloud)`.
    /// Every failure has a specific code: HTTP statuses as above, else `request_timeout`, `connection_failed`,
    /// `invalid_response`, `malformed_http`, `response_too_large`, `connection_closed`, `operation_aborted`.
    /// Cancellation: terminal, through the token's cancellation slot; the connection in use is closed.
    boost::asio::awaitable<AllocationCloud> allocations_reconnect_cloud(std::optional<AllocationCloud> allocation_cloud = std::nullopt, call_options opts = {}) const;

    /// The same request with a completion token: completes with the signature above (see "Forms").
    template <boost::asio::completion_token_for<void(boost::system::error_code, AllocationCloud)> Token>
    auto allocations_reconnect_cloud(std::optional<AllocationCloud> allocation_cloud, call_options opts, Token&& token) const {
        return boost::asio::async_initiate<Token, void(boost::system::error_code, AllocationCloud)>(detail::forward_to_compiled{}, token,
                                                         &detail::async_reconnect_cloud, impl_, std::move(allocation_cloud), opts);
    }
    /// The same request with a completion token and default `call_options`.
    template <boost::asio::completion_token_for<void(boost::system::error_code, AllocationCloud)> Token>
    auto allocations_reconnect_cloud(std::optional<AllocationCloud> allocation_cloud, Token&& token) const {
        return allocations_reconnect_cloud(std::move(allocation_cloud), call_options{}, std::forward<Token>(token));
    }

    /// `GET /allocations`: all connected allocations. Errors: `internal_server_error`.
    ///
    /// Forms: with no completion token, returns `boost::asio::awaitable<Allocations>` and throws
    /// `error_with_diagnostics` on failure. With any Asio completion token (`as_tuple(use_awaitable)`,
    /// a callback, `use_future`, `deferred`, ...), completes with `void(boost::system::error_code, Allocations)`.
    /// Every failure has a specific code: HTTP statuses as above, else `request_timeout`, `connection_failed`,
    /// `invalid_response`, `malformed_http`, `response_too_large`, `connection_closed`, `operation_aborted`.
    /// Cancellation: terminal, through the token's cancellation slot; the connection in use is closed.
    boost::asio::awaitable<Allocations> allocations_snapshot(call_options opts = {}) const;

    /// The same request with a completion token: completes with the signature above (see "Forms").
    template <boost::asio::completion_token_for<void(boost::system::error_code, Allocations)> Token>
    auto allocations_snapshot(call_options opts, Token&& token) const {
        return boost::asio::async_initiate<Token, void(boost::system::error_code, Allocations)>(detail::forward_to_compiled{}, token,
                                                         &detail::async_allocations_snapshot, impl_, opts);
    }
    /// The same request with a completion token and default `call_options`.
    template <boost::asio::completion_token_for<void(boost::system::error_code, Allocations)> Token>
    auto allocations_snapshot(Token&& token) const {
        return allocations_snapshot(call_options{}, std::forward<Token>(token));
    }

private:
    detail::client_ptr impl_;
};

}  // namespace pieces
