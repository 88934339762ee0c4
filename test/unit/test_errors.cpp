#include <pieces/detail/access.hpp>
#include <pieces/pieces.hpp>

#include <boost/asio/error.hpp>
#include <catch2/catch.hpp>

using namespace pieces;

TEST_CASE("timed_out covers gateway_timeout and request_timeout only") {
    CHECK(make_error_code(errc::gateway_timeout) == condition::timed_out);
    CHECK(make_error_code(errc::request_timeout) == condition::timed_out);
    CHECK_FALSE(make_error_code(errc::internal_server_error) == condition::timed_out);
    CHECK_FALSE(make_error_code(errc::cloud_not_found) == condition::timed_out);
    CHECK_FALSE(boost::system::error_code(boost::asio::error::operation_aborted) == condition::timed_out);
}

TEST_CASE("server_error and bad_response group the codes") {
    CHECK(make_error_code(errc::cloud_not_found) == condition::server_error);
    CHECK(make_error_code(errc::unexpected_status) == condition::server_error);
    CHECK_FALSE(make_error_code(errc::request_timeout) == condition::server_error);
    CHECK(make_error_code(errc::invalid_response) == condition::bad_response);
    CHECK(make_error_code(errc::response_too_large) == condition::bad_response);
    CHECK_FALSE(make_error_code(errc::connection_failed) == condition::bad_response);
}

TEST_CASE("categories are named and messages are sentences") {
    CHECK(std::string(error_category().name()) == "pieces.allocations");
    CHECK(std::string(condition_category().name()) == "pieces.allocations.condition");
    for (int e = static_cast<int>(errc::cloud_not_found); e <= static_cast<int>(errc::tls_certificate_rejected); ++e) {
        const auto msg = make_error_code(static_cast<errc>(e)).message();
        CHECK(msg.back() == '.');
        CHECK(msg.find("Unknown") == std::string::npos);
    }
}

TEST_CASE("error_with_diagnostics carries the code and diagnostics, server text stays out of what()") {
    using pieces::detail::access;  // the setters are the library's
    diagnostics d;
    access::set_http_status(d, 410);
    access::set_endpoint(d, "GET /allocation/x");
    access::set_server_message(d, "Cloud not found.\r\n<script>");
    const error_with_diagnostics e(errc::cloud_not_found, d);
    CHECK(e.code() == errc::cloud_not_found);
    CHECK(e.get_diagnostics() == d);
    const std::string what = e.what();
    CHECK(what.find("GET /allocation/x") != std::string::npos);
    CHECK(what.find("410") != std::string::npos);
    CHECK(what.find("<script>") == std::string::npos);

    diagnostics big;
    access::set_server_message(big, std::string(100'000, 'x'));
    CHECK(big.server_message().size() == diagnostics::max_server_message);
}
