// Test helper, without a test framework (the fuzz targets use it too): a call of any of the eight
// Allocations endpoints, named as the emulator names them, with the fixture's profile and cloud.
#pragma once

#include <pieces/pieces.hpp>
#include <pieces/testing/emulator.hpp>

#include "fixtures.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <array>

namespace pieces_test {

namespace asio = boost::asio;

/// The token of the non-throwing coroutine form: `auto [ec, result] = co_await op(..., tuple_token)`.
constexpr auto tuple_token = asio::as_tuple(asio::use_awaitable);

/// `o`, serving TLS with `certificate` of tls/make_test_certs.sh (all of its server certificates share
/// server.key).
inline pieces::testing::emulator_options serving_tls(pieces::testing::emulator_options o = {},
                                                     const char* certificate = "server.pem") {
    o.tls_certificate_file = std::string(PIECES_TEST_CERTS_DIR) + "/" + certificate;
    o.tls_private_key_file = PIECES_TEST_CERTS_DIR "/server.key";
    return o;
}

/// The eight Allocations endpoints (not health/version), in the emulator's order.
inline constexpr std::array<pieces::testing::endpoint, 8> all_endpoints = {
    pieces::testing::endpoint::connect,    pieces::testing::endpoint::create,
    pieces::testing::endpoint::delete_allocation, pieces::testing::endpoint::disconnect,
    pieces::testing::endpoint::reconnect,  pieces::testing::endpoint::snapshot,
    pieces::testing::endpoint::allocation_snapshot, pieces::testing::endpoint::update};

/// What the calls send: the fixture's profile and cloud (the emulator, seeded with the fixture, answers each
/// with success when not faulted).
struct endpoint_arguments {
    pieces::UserProfile profile = pieces::from_json<pieces::UserProfile>(read_fixture("user_profile.json"));
    pieces::AllocationCloud cloud = pieces::from_json<pieces::AllocationCloud>(read_fixture("allocation_cloud.json"));
};

struct ignore_result {
    template <class T>
    void operator()(const T&) const noexcept {}
};

/// One call of endpoint `e`; `on_success` is given the result when there is no error.
/// health/version are not Allocations endpoints: `errc::invalid_argument`.
template <class OnSuccess = ignore_result>
asio::awaitable<boost::system::error_code> call_endpoint(const pieces::client& c, pieces::testing::endpoint e,
                                                         const endpoint_arguments& a, OnSuccess on_success = {}) {
    using pieces::testing::endpoint;
    const pieces::allocations_api clouds(c);
    const pieces::allocation_api one(c);
    const auto settle = [&](const auto& outcome) {
        const auto& [ec, result] = outcome;
        if (!ec) on_success(result);
        return ec;
    };
    switch (e) {
    case endpoint::connect: co_return settle(co_await clouds.allocations_connect_new_cloud(a.profile, {}, tuple_token));
    case endpoint::create: co_return settle(co_await clouds.allocations_create_new_allocation(a.cloud, {}, tuple_token));
    case endpoint::delete_allocation:
        co_return settle(co_await clouds.allocations_delete_allocation(a.cloud, {}, tuple_token));
    case endpoint::disconnect: co_return settle(co_await clouds.allocations_disconnect_cloud(a.cloud, {}, tuple_token));
    case endpoint::reconnect: co_return settle(co_await clouds.allocations_reconnect_cloud(a.cloud, {}, tuple_token));
    case endpoint::snapshot: co_return settle(co_await clouds.allocations_snapshot({}, tuple_token));
    case endpoint::allocation_snapshot: co_return settle(co_await one.allocation_snapshot(a.cloud.id, {}, tuple_token));
    case endpoint::update: co_return settle(co_await one.allocation_update(a.cloud, {}, tuple_token));
    default: co_return boost::system::error_code(pieces::errc::invalid_argument);
    }
}

}  // namespace pieces_test
