// Private: reads one reply into a reply_parser: Beast's http::async_read, except for where the bytes go.
// - Once the parser knows how many body bytes come next (the rest of the Content-Length, or of the current chunk)
//   and nothing waits in the connection's buffer, the read goes straight into the body's own storage, sized to what
//   remains, instead of 16 KiB at a time through the buffer and a copy.
// - The first read of a reply on a connection whose last reply was larger than the buffer also reads past the
//   buffer into the body's storage, as much as that reply was: a large reply that has arrived whole is one read.
// Behind the body's room the buffer's free space is read into as well, for what follows (the end of a chunk and
// the next one's size, or bytes after the reply), so a read that does not fill everything it was given still says
// the socket is empty (metered_stream) without another system call.
#pragma once

#include "http/reply_parser.hpp"

#include <boost/asio/append.hpp>
#include <boost/asio/associator.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/handler_continuation_hook.hpp>
#include <boost/asio/post.hpp>
#include <boost/assert.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/read_size.hpp>
#include <boost/beast/http/error.hpp>

#include <array>
#include <cstddef>
#include <memory>
#include <stdexcept>
#include <utility>

namespace pieces::detail {

template <class Stream, class Handler>
struct reply_read_op {
    using error_code = boost::system::error_code;

    Stream* stream;
    boost::beast::flat_buffer* buffer;
    reply_parser* parser;
    std::size_t* size_hint;  // the connection's last reply size, in and out (null: no early room)
    Handler handler;
    std::size_t tail_size = 0;     // the buffer's part of the read in flight
    std::size_t room_size = 0;     // the body storage's part (0: none)
    bool room_first = false;       // the body's room is the read's first buffer (else the buffer's part is)
    std::size_t read_total = 0;    // bytes of this reply read (completing now is not inside the initiating call)

    /// Parses what is buffered and staged, then reads, or completes.
    void next() {
        for (;;) {
            if (const error_code ec = parser->parse_buffered(*buffer)) return finish(ec);
            if (!parser->has_staged()) break;
            if (const error_code ec = parser->feed_staged(*buffer)) return finish(ec);
        }
        if (parser->is_done()) return finish({});
        // What the buffer may take: at least 512 bytes, at most its spare capacity or what its limit leaves.
        const std::size_t spare = boost::beast::read_size(*buffer, 65536);
        if (spare == 0) return finish(boost::beast::http::error::buffer_overflow);
        boost::asio::mutable_buffer tail;
        try {
            tail = buffer->prepare(spare);
        } catch (const std::length_error&) {
            return finish(boost::beast::http::error::buffer_overflow);
        }
        boost::asio::mutable_buffer room;
        if (buffer->size() == 0) {
            room_first = parser->got_some();
            if (room_first) room = parser->open_body_room();
            else if (size_hint && *size_hint > tail.size())
                room = parser->open_early_room(tail.size(), *size_hint - tail.size() + early_slack);
        }
        tail_size = tail.size();
        room_size = room.size();
        if (room_size == 0) return stream->async_read_some(tail, std::move(*this));
        using pair = std::array<boost::asio::mutable_buffer, 2>;
        stream->async_read_some(room_first ? pair{room, tail} : pair{tail, room}, std::move(*this));
    }

    void operator()(error_code ec, std::size_t n) {
        read_total += n;
        if (room_size != 0 && room_first) {
            // The body's room came first: its bytes, all body (the room is no larger than what remains of it), are
            // parsed before what followed them into the buffer. Parsing them leaves the buffer alone.
            const std::size_t into_room = std::min(n, room_size);
            room_size = 0;
            parser->room_filled(into_room);
            if (const error_code staged_ec = parser->feed_staged(*buffer)) return finish(staged_ec);
            BOOST_ASSERT(buffer->size() == 0);  // all body: feeding it left the buffer (and its tail) alone
            buffer->commit(n - into_room);
        } else if (room_size != 0) {
            // The buffer came first (the reply's first read): its bytes are parsed first, then the staged ones (next()).
            const std::size_t into_room = n - std::min(n, tail_size);
            room_size = 0;
            buffer->commit(n - into_room);
            parser->room_filled(into_room);
        } else {
            buffer->commit(n);
        }
        if (ec == boost::asio::error::eof) {
            // As Beast's read: the end of the stream (a read of no bytes) ends a reply read to its end, or it is a
            // truncated one.
            if (!parser->got_some()) return finish(boost::beast::http::error::end_of_stream);
            if (parser->is_done()) return finish({});
            error_code eof_ec;
            parser->put_eof(eof_ec);
            return finish(eof_ec);
        }
        if (ec) return finish(ec);
        next();
    }

    void finish(error_code ec) {
        parser->settle();
        if (!ec && size_hint && read_total != 0) *size_hint = read_total;
        if (read_total != 0) return std::move(handler)(ec, std::size_t{0});
        // Never inside the initiating call (a reply that was in the buffer whole, after an interim one).
        boost::asio::post(stream->get_executor(), boost::asio::append(std::move(handler), ec, std::size_t{0}));
    }

    // A reply a little larger than the last one still arrives in one read.
    static constexpr std::size_t early_slack = 4096;

    // A read continues this operation: Asio may run it on this thread without waking another.
    friend bool asio_handler_is_continuation(reply_read_op*) { return true; }
};

/// Reads one reply on `stream` (bytes already in `buffer` first) into `parser`; completes `handler(ec, 0)`.
/// `size_hint`: the size of the last reply read on this connection, updated (null: not kept).
template <class Stream, class Handler>
void async_read_reply(Stream& stream, boost::beast::flat_buffer& buffer, reply_parser& parser, std::size_t* size_hint,
                      Handler&& handler) {
    parser.eager(true);
    reply_read_op<Stream, std::decay_t<Handler>>{&stream, &buffer, &parser, size_hint, std::forward<Handler>(handler)}
        .next();
}

}  // namespace pieces::detail

// The operation is the handler Asio sees: it answers for the caller's executor, allocator and cancellation slot.
template <template <class, class> class Associator, class Stream, class Handler, class DefaultCandidate>
struct boost::asio::associator<Associator, pieces::detail::reply_read_op<Stream, Handler>, DefaultCandidate>
    : Associator<Handler, DefaultCandidate> {
    static typename Associator<Handler, DefaultCandidate>::type get(
        const pieces::detail::reply_read_op<Stream, Handler>& h) noexcept {
        return Associator<Handler, DefaultCandidate>::get(h.handler);
    }
    static auto get(const pieces::detail::reply_read_op<Stream, Handler>& h, const DefaultCandidate& c) noexcept
        -> decltype(Associator<Handler, DefaultCandidate>::get(h.handler, c)) {
        return Associator<Handler, DefaultCandidate>::get(h.handler, c);
    }
};
