// Private: reads one reply and keeps only what the client uses (the status, Content-Type, Keep-Alive,
// Retry-After and the body), so no header fields container is built per reply. Beast's basic_parser does the HTTP (framing,
// chunked encoding, limits, keep-alive). Trailer fields (after a chunked body) have no say over the header's,
// on every Boost version, and with the chunk extensions they are bounded (Beast bounds neither before 1.90).
// No callback throws: an exception inside Beast's read would escape io_context::run().
#pragma once

#include "http/body_buffers.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/version.hpp>

#include <algorithm>
#include <cstring>
#include <string>

namespace pieces::detail {

class reply_parser : public boost::beast::http::basic_parser<false> {
public:
    using error_code = boost::system::error_code;

    /// `framing_limit`: at most this many bytes of chunk extensions and trailer fields together.
    reply_parser(std::string& body, std::size_t framing_limit) : body_(body), framing_left_(framing_limit) {
        body_.clear();
    }

    // Reads straight into the body's storage (reply_reader.hpp). Once one has, the body's string is storage until
    // settle(): [the body | a gap | staged bytes, read but not parsed | spare], its size the most ever asked for, so
    // that no part is zeroed twice however small the reads (over TLS, 16 KiB each). Parsing the staged bytes moves
    // their body bytes down to the body's end (a chunk's framing is passed over): a reply read whole takes no copy.

    /// Room for the body's next bytes, when the parser knows how many come next (the rest of the Content-Length,
    /// or of the current chunk): up to that many, and beyond what is reserved at the header (at most
    /// reserve_limit) at most as much again as has arrived, so that a header or a chunk size alone cannot make it
    /// hold much memory. Empty when framing comes next, or the length is unknown (a body to the end of the stream).
    boost::asio::mutable_buffer open_body_room() noexcept {
        if (has_staged() || !is_header_done() || is_done()) return {};
        std::uint64_t left = chunk_left_;
        if (!chunked()) {
            const auto remaining = content_length_remaining();
            if (!remaining) return {};
            left = *remaining;
        }
        if (left == 0) return {};
        error_code ec;
        prepare_body(content_length(), ec);
        if (ec) return {};
        const std::size_t have = storage_ ? body_end_ : body_.size();
        const auto first_reserve = static_cast<std::size_t>(std::min<std::uint64_t>(left, reserve_limit));
        const std::size_t limit = std::max(body_.capacity(), have + std::max(have, first_reserve));
        const std::size_t room = static_cast<std::size_t>(std::min<std::uint64_t>(left, limit - have));
        return open_room(have, 0, room);
    }
    /// Room for the bytes after the first `gap` of a reply not begun (the first read's other buffer holds those):
    /// `size` bytes (at most reserve_limit), at `gap` so that the body bytes before them fit in front.
    boost::asio::mutable_buffer open_early_room(std::size_t gap, std::size_t size) noexcept {
        if (storage_ || got_some() || !body_.empty()) return {};
        error_code ec;
        guarded(ec, [&] {
            if (body_.capacity() < smallest_kept_body) body_ = take_body_buffer();
        });
        if (ec) return {};
        return open_room(0, gap, std::min(size, reserve_limit));
    }
    /// `n` bytes were read into the room (or none): staged until feed_staged().
    void room_filled(std::size_t n) noexcept {
        if (storage_) staged_end_ = staged_begin_ + n;
    }
    bool has_staged() const noexcept { return storage_ && staged_begin_ != staged_end_; }
    /// Parses the staged bytes: body bytes move down to the body's end; a line begun (a chunk size, a header)
    /// goes on through `buffer`, and so do bytes after the reply (where the caller sees them; all of them after an
    /// interim reply, since the final one follows). Nothing is staged after it.
    error_code feed_staged(boost::beast::flat_buffer& buffer) noexcept {
        namespace http = boost::beast::http;
        error_code ec;
        while (has_staged()) {
            const std::size_t staged = staged_end_ - staged_begin_;
            if (is_done() || buffer.size() != 0) {
                // After the reply, or completing a line the buffer holds: through the buffer, as a read would.
                // After an interim reply every byte is the final reply's: the buffer takes them all.
                const bool interim = is_done() && status_ >= 100 && status_ < 200;
                if (interim) buffer.max_size(std::max(buffer.max_size(), buffer.size() + staged));
                const std::size_t n = std::min(staged, buffer.max_size() - buffer.size());
                if (n == 0 && is_done()) break;  // bytes after a final reply: already seen in the buffer
                if (n == 0) {
                    ec = http::error::buffer_overflow;
                    break;
                }
                ec = move_staged_to(buffer, n);
                if (ec) break;
                if (is_done()) break;  // a final reply: the caller sees bytes after it, the rest does not matter
                ec = parse_buffered(buffer);
                if (ec) break;
                continue;
            }
            const std::size_t used = put(boost::asio::const_buffer(body_.data() + staged_begin_, staged), ec);
            staged_begin_ += used;
            if (ec == http::error::need_more || (!ec && used == 0 && !is_done())) {
                // A line begun: the rest goes to the buffer (the buffer is empty here), completed by the next read.
                ec = {};
                const std::size_t rest = staged_end_ - staged_begin_;
                if (rest == 0) break;
                if (rest > buffer.max_size() - buffer.size()) {
                    ec = http::error::buffer_overflow;
                    break;
                }
                ec = move_staged_to(buffer, rest);
                break;
            }
            if (ec) break;
        }
        staged_begin_ = staged_end_;
        return ec;
    }
    /// Parses what `buffer` holds, consuming what was used. need_more is no error: the rest waits for a read.
    error_code parse_buffered(boost::beast::flat_buffer& buffer) noexcept {
        error_code ec;
        while (buffer.size() != 0 && !is_done()) {
            const std::size_t used = put(buffer.data(), ec);
            buffer.consume(used);
            if (ec || used == 0) break;
        }
        if (ec == boost::beast::http::error::need_more) ec = {};
        return ec;
    }
    /// The body's string is the body again: what was parsed, nothing staged or spare.
    void settle() noexcept {
        if (!storage_) return;
        storage_ = false;
        staged_begin_ = staged_end_ = 0;
        body_.resize(body_end_);
    }

    unsigned status() const noexcept { return status_; }
    const std::string& content_type() const noexcept { return content_type_; }
    const std::string& keep_alive_field() const noexcept { return keep_alive_; }
    const std::string& retry_after_field() const noexcept { return retry_after_; }

private:
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
        prepare_body(length, ec);
    }
    // At the first body byte, or before it when a read goes straight into the body (open_body_room).
    void prepare_body(const boost::optional<std::uint64_t>& length, error_code& ec) noexcept {
        if (body_prepared_) return;
        body_prepared_ = true;
        // The body's storage holds bytes read, and may be what the parser reads from: it must not move, and the
        // rooms were bounded already.
        if (storage_) return;
        guarded(ec, [&] {
            if (body_.capacity() < smallest_kept_body) body_ = take_body_buffer();
            // Room for what the header announces, up to a bound: beyond it the body grows with the bytes
            // received, so that a header alone (with a large max_body_size) cannot reserve much memory.
            if (length) body_.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(*length, reserve_limit)));
        });
    }
    std::size_t on_body_impl(string_view s, error_code& ec) override { return append(s, ec); }
    void on_chunk_header_impl(std::uint64_t size, string_view extensions, error_code& ec) override {
        chunk_left_ = size;
        framing(extensions.size(), ec);
    }
    std::size_t on_chunk_body_impl(std::uint64_t remain, string_view s, error_code& ec) override {
        chunk_left_ = remain - s.size();
        return append(s, ec);
    }
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
        if (!storage_) {
            guarded(ec, [&] { body_.append(s.data(), s.size()); });
            return ec ? 0 : s.size();
        }
        char* const base = body_.data();
        if (s.data() >= base + staged_begin_ && s.data() < base + staged_end_) {
            // Staged: moved down to the body's end (a chunk's framing before it is passed over); what the parser
            // has yet to read lies after it, untouched.
            if (s.data() != base + body_end_) std::memmove(base + body_end_, s.data(), s.size());
            body_end_ += s.size();
            return s.size();
        }
        // From the connection's buffer: before the staged bytes (into the gap, or the gap widened), or at the end.
        const std::size_t room = has_staged() ? staged_begin_ : body_.size();
        if (body_end_ + s.size() <= room) {
            std::memcpy(base + body_end_, s.data(), s.size());
        } else {
            guarded(ec, [&] { body_.replace(body_end_, room - body_end_, s.data(), s.size()); });
            if (ec) return 0;
            if (has_staged()) {
                const std::size_t shift = body_end_ + s.size() - staged_begin_;
                staged_begin_ += shift;
                staged_end_ += shift;
            }
        }
        body_end_ += s.size();
        return s.size();
    }
    // The first `n` staged bytes go to the end of `buffer`, as if read there.
    error_code move_staged_to(boost::beast::flat_buffer& buffer, std::size_t n) noexcept {
        error_code ec;
        guarded(ec, [&] {
            buffer.commit(boost::asio::buffer_copy(buffer.prepare(n), boost::asio::buffer(body_.data() + staged_begin_, n)));
        });
        if (!ec) staged_begin_ += n;
        return ec;
    }
    // Room at body_[end + gap, end + gap + size): the string grown to hold it (only what it never held is zeroed).
    boost::asio::mutable_buffer open_room(std::size_t end, std::size_t gap, std::size_t size) noexcept {
        error_code ec;
        guarded(ec, [&] {
            if (body_.size() < end + gap + size) body_.resize(end + gap + size);
        });
        if (ec) return {};
        storage_ = true;
        body_end_ = end;
        staged_begin_ = staged_end_ = end + gap;
        return {body_.data() + staged_begin_, size};
    }
    void framing(std::size_t n, error_code& ec) noexcept {
        if (n > framing_left_) ec = boost::beast::http::error::header_limit;
        else framing_left_ -= n;
    }

    std::string& body_;
    std::size_t framing_left_;
    std::uint64_t chunk_left_ = 0;  // of the current chunk, not yet parsed
    bool storage_ = false;           // body_ is [body | gap | staged | spare] (see open_body_room):
    std::size_t body_end_ = 0;       //   the body's end
    std::size_t staged_begin_ = 0;   //   the first staged byte not yet parsed
    std::size_t staged_end_ = 0;     //   the end of the staged bytes
    bool body_prepared_ = false;
    unsigned status_ = 0;
    bool header_done_ = false;
    std::string content_type_;
    std::string keep_alive_;
    std::string retry_after_;
};

}  // namespace pieces::detail
