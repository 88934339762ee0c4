// The Allocations API: each endpoint one function template, for the awaitable form and every completion token.
#pragma once

#include <pieces/client.hpp>
#include <pieces/detail/async_ops.hpp>
#include <pieces/operations.hpp>
#include <pieces/with_diagnostics.hpp>

#include <boost/asio/async_result.hpp>

#include <string>
#include <string_view>
#include <utility>

namespace pieces {

/// The Allocations API (`/allocations/...`), with the official SDKs' method names. Its forms (awaitable or any
/// completion token), errors, retries, cancellation, thread-safety and object lifetimes are those of every
/// operation: see \ref operations.
/// \ingroup operations
class allocations_api {
public:
    /// Shares `c`'s configuration and pool; may outlive `c` (its requests then fail with `client_closed`).
    explicit allocations_api(const client& c) : impl_(detail::access::impl(c)) {}

    /// `POST /allocations/connect`: connects the cloud of the given user (who must be logged in).
    ///
    /// \par Handler signature
    /// `void(boost::system::error_code, AllocationCloud)`.
    ///
    /// \par Executor
    /// The handler's associated executor (the client's when it names none); never inside this call.
    ///
    /// \par Per-operation cancellation
    /// Terminal: ends with `operation_aborted`, the connection in use closed.
    ///
    /// \par Errors
    /// `internal_server_error` (500, e.g. no user), `gateway_timeout` (504), and those of every operation (\ref operations).
    template <boost::asio::completion_token_for<void(boost::system::error_code, AllocationCloud)> Token = default_completion_token>
    auto allocations_connect_new_cloud(std::optional<UserProfile> user_profile = std::nullopt, call_options opts = {}, Token&& token = {}) const {
        return boost::asio::async_initiate<Token, void(boost::system::error_code, AllocationCloud)>(
            detail::forward_to_compiled<AllocationCloud>{}, token,
            [](auto&&... a) { detail::async_connect_new_cloud(std::forward<decltype(a)>(a)...); }, impl_, std::move(user_profile), opts);
    }

    /// `POST /allocations/create`: unimplemented by a local Pieces OS (it answers 500); used within the cloud.
    ///
    /// \par Handler signature
    /// `void(boost::system::error_code, AllocationCloud)`.
    ///
    /// \par Executor
    /// The handler's associated executor (the client's when it names none); never inside this call.
    ///
    /// \par Per-operation cancellation
    /// Terminal: ends with `operation_aborted`, the connection in use closed.
    ///
    /// \par Errors
    /// `internal_server_error` (500), and those of every operation (\ref operations).
    template <boost::asio::completion_token_for<void(boost::system::error_code, AllocationCloud)> Token = default_completion_token>
    auto allocations_create_new_allocation(std::optional<AllocationCloud> allocation_cloud = std::nullopt, call_options opts = {}, Token&& token = {}) const {
        return boost::asio::async_initiate<Token, void(boost::system::error_code, AllocationCloud)>(
            detail::forward_to_compiled<AllocationCloud>{}, token,
            [](auto&&... a) { detail::async_create_new_allocation(std::forward<decltype(a)>(a)...); }, impl_, std::move(allocation_cloud), opts);
    }

    /// `POST /allocations/delete`: unimplemented by a local Pieces OS (it answers 500); used within the cloud.
    ///
    /// \par Handler signature
    /// `void(boost::system::error_code, std::string)`.
    ///
    /// \par Executor
    /// The handler's associated executor (the client's when it names none); never inside this call.
    ///
    /// \par Per-operation cancellation
    /// Terminal: ends with `operation_aborted`, the connection in use closed.
    ///
    /// \par Errors
    /// `internal_server_error` (500), and those of every operation (\ref operations).
    template <boost::asio::completion_token_for<void(boost::system::error_code, std::string)> Token = default_completion_token>
    auto allocations_delete_allocation(std::optional<AllocationCloud> allocation_cloud = std::nullopt, call_options opts = {}, Token&& token = {}) const {
        return boost::asio::async_initiate<Token, void(boost::system::error_code, std::string)>(
            detail::forward_to_compiled<std::string>{}, token,
            [](auto&&... a) { detail::async_delete_allocation(std::forward<decltype(a)>(a)...); }, impl_, std::move(allocation_cloud), opts);
    }

    /// `POST /allocations/disconnect`: disconnects the cloud; the result is the uuid of the cloud disconnected.
    ///
    /// \par Handler signature
    /// `void(boost::system::error_code, std::string)`.
    ///
    /// \par Executor
    /// The handler's associated executor (the client's when it names none); never inside this call.
    ///
    /// \par Per-operation cancellation
    /// Terminal: ends with `operation_aborted`, the connection in use closed.
    ///
    /// \par Errors
    /// `internal_server_error` (500), and those of every operation (\ref operations).
    template <boost::asio::completion_token_for<void(boost::system::error_code, std::string)> Token = default_completion_token>
    auto allocations_disconnect_cloud(std::optional<AllocationCloud> allocation_cloud = std::nullopt, call_options opts = {}, Token&& token = {}) const {
        return boost::asio::async_initiate<Token, void(boost::system::error_code, std::string)>(
            detail::forward_to_compiled<std::string>{}, token,
            [](auto&&... a) { detail::async_disconnect_cloud(std::forward<decltype(a)>(a)...); }, impl_, std::move(allocation_cloud), opts);
    }

    /// `POST /allocations/reconnect`: ensures the cloud is connected and up to date; can take long.
    ///
    /// \par Handler signature
    /// `void(boost::system::error_code, AllocationCloud)`.
    ///
    /// \par Executor
    /// The handler's associated executor (the client's when it names none); never inside this call.
    ///
    /// \par Per-operation cancellation
    /// Terminal: ends with `operation_aborted`, the connection in use closed.
    ///
    /// \par Errors
    /// `internal_server_error` (500), `gateway_timeout` (504), and those of every operation (\ref operations).
    template <boost::asio::completion_token_for<void(boost::system::error_code, AllocationCloud)> Token = default_completion_token>
    auto allocations_reconnect_cloud(std::optional<AllocationCloud> allocation_cloud = std::nullopt, call_options opts = {}, Token&& token = {}) const {
        return boost::asio::async_initiate<Token, void(boost::system::error_code, AllocationCloud)>(
            detail::forward_to_compiled<AllocationCloud>{}, token,
            [](auto&&... a) { detail::async_reconnect_cloud(std::forward<decltype(a)>(a)...); }, impl_, std::move(allocation_cloud), opts);
    }

    /// `GET /allocations`: all connected allocations.
    ///
    /// \par Handler signature
    /// `void(boost::system::error_code, Allocations)`.
    ///
    /// \par Executor
    /// The handler's associated executor (the client's when it names none); never inside this call.
    ///
    /// \par Per-operation cancellation
    /// Terminal: ends with `operation_aborted`, the connection in use closed.
    ///
    /// \par Errors
    /// `internal_server_error` (500), and those of every operation (\ref operations).
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
