// The Allocation API: each endpoint one function template, for the awaitable form and every completion token.
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

/// The Allocation API (`/allocation/...`), with the official SDKs' method names. Its forms (awaitable or any
/// completion token), errors, retries, cancellation, thread-safety and object lifetimes are those of every
/// operation: see \ref operations.
/// \ingroup operations
class allocation_api {
public:
    /// Shares `c`'s configuration and pool; may outlive `c` (its requests then fail with `client_closed`).
    explicit allocation_api(const client& c) : impl_(detail::access::impl(c)) {}

    /// `GET /allocation/{allocation}`: one allocation; `allocation` is sent percent-encoded as one path segment.
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
    /// `cloud_not_found` (410), `invalid_argument` (an empty id: nothing is sent), and those of every operation (\ref operations).
    template <boost::asio::completion_token_for<void(boost::system::error_code, AllocationCloud)> Token = default_completion_token>
    auto allocation_snapshot(std::string_view allocation, call_options opts = {}, Token&& token = {}) const {
        return boost::asio::async_initiate<Token, void(boost::system::error_code, AllocationCloud)>(
            detail::forward_to_compiled<AllocationCloud>{}, token,
            [](auto&&... a) { detail::async_allocation_snapshot(std::forward<decltype(a)>(a)...); }, impl_, std::string(allocation), opts);
    }

    /// `POST /allocation/update`: updates the allocation with the same `id` and returns it.
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
