// Private: reads one reply and keeps only what the client uses (the status, Content-Type, Keep-Alive,
// Retry-After and the body), so no header fields container is built per reply. Beast's basic_parser does the HTTP (framing,
// chunked encoding, limits, keep-alive). Trailer fields (after a chunked body) have no say over the header's,
// on every Boost version.
#pragma once

#include "body_buffers.hpp"

#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/version.hpp>

#include <string>

namespace pieces::detail {

class reply_parser : public boost::beast::http::basic_parser<false> {
public:
    explicit reply_parser(std::string& body) : body_(body) { body_.clear(); }

    unsigned status() const noexcept { return status_; }
    const std::string& content_type() const noexcept { return content_type_; }
    const std::string& keep_alive_field() const noexcept { return keep_alive_; }
    const std::string& retry_after_field() const noexcept { return retry_after_; }

private:
    using error_code = boost::system::error_code;
    using string_view = boost::beast::string_view;
    using field = boost::beast::http::field;

    void on_request_impl(boost::beast::http::verb, string_view, string_view, int, error_code&) override {}
    void on_response_impl(int code, string_view, int, error_code&) override { status_ = static_cast<unsigned>(code); }
    void on_field_impl(field name, string_view, string_view value, error_code&) override {
        if (header_done_) return;  // a trailer field (Beast before 1.90 sends them here too)
        if (name == field::content_type) content_type_.assign(value.data(), value.size());
        else if (name == field::keep_alive) keep_alive_.assign(value.data(), value.size());
        else if (name == field::retry_after) retry_after_.assign(value.data(), value.size());
    }
    void on_header_impl(error_code&) override { header_done_ = true; }
#if BOOST_BEAST_VERSION >= 359
    // Beast 359 (Boost 1.90) sends trailer fields here, and requires this override.
    void on_trailer_field_impl(field, string_view, string_view, error_code&) override {}
#endif
    void on_body_init_impl(const boost::optional<std::uint64_t>& length, error_code&) override {
        if (body_.capacity() < smallest_kept_body) body_ = take_body_buffer();
        if (length) body_.reserve(static_cast<std::size_t>(*length));  // within the parser's body limit
    }
    std::size_t on_body_impl(string_view s, error_code&) override {
        body_.append(s.data(), s.size());
        return s.size();
    }
    void on_chunk_header_impl(std::uint64_t, string_view, error_code&) override {}
    std::size_t on_chunk_body_impl(std::uint64_t, string_view s, error_code&) override {
        body_.append(s.data(), s.size());
        return s.size();
    }
    void on_finish_impl(error_code&) override {}

    std::string& body_;
    unsigned status_ = 0;
    bool header_done_ = false;
    std::string content_type_;
    std::string keep_alive_;
    std::string retry_after_;
};

}  // namespace pieces::detail
