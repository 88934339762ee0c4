// Private: reads one reply and keeps only what the client uses (the status, Content-Type, Keep-Alive,
// Retry-After and the body), so no header fields container is built per reply. Beast's basic_parser does the HTTP (framing,
// chunked encoding, limits, keep-alive). Trailer fields (after a chunked body) have no say over the header's,
// on every Boost version, and with the chunk extensions they are bounded (Beast bounds neither before 1.90).
// No callback throws: an exception inside Beast's read would escape io_context::run().
#pragma once

#include "http/body_buffers.hpp"

#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/version.hpp>

#include <algorithm>
#include <string>

namespace pieces::detail {

class reply_parser : public boost::beast::http::basic_parser<false> {
public:
    /// `framing_limit`: at most this many bytes of chunk extensions and trailer fields together.
    reply_parser(std::string& body, std::size_t framing_limit) : body_(body), framing_left_(framing_limit) {
        body_.clear();
    }

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
    void on_field_impl(field name, string_view name_text, string_view value, error_code& ec) override {
        if (header_done_) return framing(name_text.size() + value.size() + 4, ec);  // a trailer (Beast before 1.90)
        guarded(ec, [&] {
            if (name == field::content_type) content_type_.assign(value.data(), value.size());
            else if (name == field::keep_alive) keep_alive_.assign(value.data(), value.size());
            else if (name == field::retry_after) retry_after_.assign(value.data(), value.size());
        });
    }
    void on_header_impl(error_code&) override { header_done_ = true; }
#if BOOST_BEAST_VERSION >= 359
    // Beast 359 (Boost 1.90) sends trailer fields here, and requires this override.
    void on_trailer_field_impl(field, string_view name_text, string_view value, error_code& ec) override {
        framing(name_text.size() + value.size() + 4, ec);
    }
#endif
    void on_body_init_impl(const boost::optional<std::uint64_t>& length, error_code& ec) override {
        if (body_.capacity() < smallest_kept_body) body_ = take_body_buffer();
        // Room for what the header announces, up to a bound: beyond it the body grows with the bytes received,
        // so that a header alone (with a large max_body_size) cannot reserve much memory.
        if (length) guarded(ec, [&] { body_.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(*length, reserve_limit))); });
    }
    std::size_t on_body_impl(string_view s, error_code& ec) override { return append(s, ec); }
    void on_chunk_header_impl(std::uint64_t, string_view extensions, error_code& ec) override {
        framing(extensions.size(), ec);
    }
    std::size_t on_chunk_body_impl(std::uint64_t, string_view s, error_code& ec) override { return append(s, ec); }
    void on_finish_impl(error_code&) override {}

    static constexpr std::size_t reserve_limit = 1024 * 1024;

    // Memory exhausted inside a callback ends the read with a code instead of an exception.
    template <class F>
    static void guarded(error_code& ec, F&& f) noexcept {
        try {
            f();
        } catch (...) {
            ec = make_error_code(boost::system::errc::not_enough_memory);
        }
    }
    std::size_t append(string_view s, error_code& ec) noexcept {
        guarded(ec, [&] { body_.append(s.data(), s.size()); });
        return ec ? 0 : s.size();
    }
    void framing(std::size_t n, error_code& ec) noexcept {
        if (n > framing_left_) ec = boost::beast::http::error::header_limit;
        else framing_left_ -= n;
    }

    std::string& body_;
    std::size_t framing_left_;
    unsigned status_ = 0;
    bool header_done_ = false;
    std::string content_type_;
    std::string keep_alive_;
    std::string retry_after_;
};

}  // namespace pieces::detail
