// The reply reader (http/reply_reader.hpp) on a scripted stream: no socket. Each read returns what has "arrived"
// (the rest of the current segment, at most what the buffers take), and the test sees what each read asked for:
// the body read straight into its own storage, sized to what remains, and nothing lost or misplaced.
#include "http/reply_parser.hpp"
#include "http/reply_reader.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>

#include <catch2/catch.hpp>

#include <cstdio>
#include <deque>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using boost::system::error_code;
using pieces::detail::reply_parser;

// A read: how many buffers it was given, the first one's size (the body's room when it has two), and all they take.
struct read_asked {
    std::size_t buffers;
    std::size_t first;
    std::size_t total;
};

class scripted_stream {
public:
    using executor_type = asio::io_context::executor_type;

    scripted_stream(asio::io_context& io, std::vector<std::string> arrivals)
        : io_(io), arrivals_(arrivals.begin(), arrivals.end()) {}

    // As asio::ssl::stream reads: into the first non-empty buffer only, one record (16 KiB) at most.
    bool like_tls = false;

    executor_type get_executor() noexcept { return io_.get_executor(); }

    template <class MutableBuffers, class Handler>
    void async_read_some(const MutableBuffers& buffers, Handler&& handler) {
        read_asked r{0, 0, asio::buffer_size(buffers)};
        for (auto it = asio::buffer_sequence_begin(buffers); it != asio::buffer_sequence_end(buffers); ++it) {
            if (r.buffers++ == 0) r.first = asio::buffer(*it).size();
        }
        reads.push_back(r);
        error_code ec;
        std::size_t n = 0;
        if (arrivals_.empty()) {
            ec = asio::error::eof;
        } else {
            std::string& now = arrivals_.front();
            if (like_tls) {
                auto first = asio::buffer_sequence_begin(buffers);
                while (asio::buffer(*first).size() == 0) ++first;
                n = asio::buffer_copy(asio::buffer(*first), asio::buffer(now), 16 * 1024);
            } else {
                n = asio::buffer_copy(buffers, asio::buffer(now));
            }
            now.erase(0, n);
            if (now.empty()) arrivals_.pop_front();
        }
        asio::post(io_, [h = std::forward<Handler>(handler), ec, n]() mutable { std::move(h)(ec, n); });
    }

    std::vector<read_asked> reads;

private:
    asio::io_context& io_;
    std::deque<std::string> arrivals_;
};

struct outcome {
    std::optional<error_code> ec;
    std::string body;
    std::size_t left_in_buffer = 0;
    std::vector<read_asked> reads;
    bool completed_inside_call = false;
};

// Reads one reply from `arrivals` (whatever `buffered` holds first) with the driver's limits; `size_hint` as the
// connection's last reply size (null: none kept).
outcome read_reply(std::vector<std::string> arrivals, std::size_t max_body = 64 * 1024 * 1024, std::string buffered = {},
                   std::size_t* size_hint = nullptr) {
    asio::io_context io;
    scripted_stream stream(io, std::move(arrivals));
    boost::beast::flat_buffer buffer;
    buffer.reserve(16 * 1024);
    buffer.max_size(8 * 1024 + 16 * 1024);
    if (!buffered.empty()) {
        buffer.commit(asio::buffer_copy(buffer.prepare(buffered.size()), asio::buffer(buffered)));
    }
    outcome out;
    reply_parser parser(out.body, 8 * 1024);
    parser.header_limit(8 * 1024);
    parser.body_limit(max_body);
    pieces::detail::async_read_reply(stream, buffer, parser, size_hint, [&](error_code ec, std::size_t) { out.ec = ec; });
    out.completed_inside_call = out.ec.has_value();
    io.run();
    out.left_in_buffer = buffer.size();
    out.reads = stream.reads;
    return out;
}

std::string pattern(std::size_t n, char seed = 'a') {
    std::string s(n, '\0');
    for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>(seed + (i * 7 + i / 251) % 26);
    return s;
}

std::string header_with_length(std::size_t n) {
    return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(n) + "\r\n\r\n";
}

}  // namespace

TEST_CASE("reply reader: a 100 KB body that has arrived is read in two reads, the second straight into the body") {
    const std::string body = pattern(100'000);
    const std::string header = header_with_length(body.size());
    // The first read takes the buffer's 16 KiB (the header and the body's start); the rest has arrived whole.
    const std::string wire = header + body;
    const auto out = read_reply({wire});
    REQUIRE(out.ec == error_code{});
    CHECK(out.body == body);
    CHECK(out.left_in_buffer == 0);
    REQUIRE(out.reads.size() == 2);
    CHECK(out.reads[0].buffers == 1);
    CHECK(out.reads[0].total == 16 * 1024);
    // The second: room for exactly the rest of the body, then the buffer's free space for whatever follows.
    CHECK(out.reads[1].buffers == 2);
    CHECK(out.reads[1].first == wire.size() - 16 * 1024);
    CHECK(out.reads[1].total > out.reads[1].first);
}

TEST_CASE("reply reader: a body arriving in parts is read into its room part by part, each read sized to what remains") {
    const std::string body = pattern(60'000, 'k');
    const std::string header = header_with_length(body.size());
    const std::string wire = header + body;
    const auto out = read_reply({wire.substr(0, header.size()), wire.substr(header.size(), 10'000),
                                 wire.substr(header.size() + 10'000, 30'000), wire.substr(header.size() + 40'000)});
    REQUIRE(out.ec == error_code{});
    CHECK(out.body == body);
    REQUIRE(out.reads.size() == 4);
    CHECK(out.reads[1].first == 60'000);
    CHECK(out.reads[2].first == 50'000);
    CHECK(out.reads[3].first == 20'000);
}

TEST_CASE("reply reader: chunked, each chunk's data read into the body, the framing after it into the buffer") {
    const std::string a = pattern(70'000, 'c'), b = pattern(30'000, 'q');
    char sizes[2][16];
    std::snprintf(sizes[0], sizeof sizes[0], "%zx", a.size());
    std::snprintf(sizes[1], sizeof sizes[1], "%zx", b.size());
    const std::string head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + std::string(sizes[0]) + "\r\n";
    const std::string rest = a + "\r\n" + sizes[1] + ";ext=1\r\n" + b + "\r\n0\r\n\r\n";
    const auto out = read_reply({head, rest});
    REQUIRE(out.ec == error_code{});
    CHECK(out.body == a + b);
    CHECK(out.left_in_buffer == 0);
    REQUIRE(out.reads.size() >= 3);
    CHECK(out.reads[1].buffers == 2);
    CHECK(out.reads[1].first == a.size());  // the first chunk's data, all of it
}

TEST_CASE("reply reader: bytes after the reply stay in the buffer, where the driver sees them") {
    const std::string body = pattern(40'000);
    const std::string header = header_with_length(body.size());
    const auto out = read_reply({header, body + "HTTP/1.1 200 OK\r\n"});
    REQUIRE(out.ec == error_code{});
    CHECK(out.body == body);
    CHECK(out.left_in_buffer == 17);
}

TEST_CASE("reply reader: a body cut short by the end of the stream is partial_message, a stream ended before a byte end_of_stream") {
    const std::string header = header_with_length(50'000);
    const auto cut = read_reply({header, pattern(10'000)});
    CHECK(cut.ec == error_code(http::error::partial_message));
    const auto none = read_reply({});
    CHECK(none.ec == error_code(http::error::end_of_stream));
}

TEST_CASE("reply reader: a header announcing a huge body makes no room beyond the first reserve and what arrived") {
    // 500 MB announced (under max_body_size), 1 000 bytes sent: the room asked for stays within 1 MiB, and grows
    // with what arrives.
    const std::string header = header_with_length(500'000'000);
    const auto out = read_reply({header, pattern(1'000)}, 1'000'000'000);
    CHECK(out.ec == error_code(http::error::partial_message));
    REQUIRE(out.reads.size() >= 2);
    // (The string may round its reserve up: libc++ to a multiple of 16 bytes.)
    for (const auto& r : out.reads) CHECK(r.first <= 1024 * 1024 + 64);
    CHECK(out.body.size() == 1'000);
    // Over max_body_size: refused at the header, nothing read into a room.
    const auto over = read_reply({header_with_length(2'000'000) + pattern(100)}, 1'000'000);
    CHECK(over.ec == error_code(http::error::body_limit));
}

TEST_CASE("reply reader: a reply without a length is read through the buffer to the end of the stream") {
    const std::string body = pattern(30'000);
    const auto out = read_reply({"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n", body});
    REQUIRE(out.ec == error_code{});
    CHECK(out.body == body);
    for (const auto& r : out.reads) CHECK(r.buffers == 1);
}

TEST_CASE("reply reader: a reply already in the buffer completes after the call, without a read") {
    const std::string reply = header_with_length(5) + "hello";
    const auto out = read_reply({}, 1024, reply);
    REQUIRE(out.ec == error_code{});
    CHECK_FALSE(out.completed_inside_call);
    CHECK(out.body == "hello");
    CHECK(out.reads.empty());
}

TEST_CASE("reply reader: after a large reply, the next one that has arrived whole is one read, its body unmoved") {
    const std::string body = pattern(100'000, 'e');
    const std::string wire = header_with_length(body.size()) + body;
    std::size_t hint = 0;
    const auto first = read_reply({wire}, 64 * 1024 * 1024, {}, &hint);
    REQUIRE(first.ec == error_code{});
    CHECK(first.reads.size() == 2);
    CHECK(hint == wire.size());
    const auto second = read_reply({wire}, 64 * 1024 * 1024, {}, &hint);
    REQUIRE(second.ec == error_code{});
    CHECK(second.body == body);
    CHECK(second.left_in_buffer == 0);
    REQUIRE(second.reads.size() == 1);
    CHECK(second.reads[0].buffers == 2);
    CHECK(second.reads[0].first == 16 * 1024);  // the buffer first: the header is parsed from it
    CHECK(second.reads[0].total > wire.size());  // room to spare: a read short of it says the socket is empty
    // A larger one than the hint: the rest in a read of its own, sized to it.
    const std::string larger = pattern(150'000, 'f');
    const auto third = read_reply({header_with_length(larger.size()) + larger}, 64 * 1024 * 1024, {}, &hint);
    REQUIRE(third.ec == error_code{});
    CHECK(third.body == larger);
    CHECK(third.reads.size() == 2);
    // A small one after it: read whole, the room's unused part gone from the body.
    const auto small = read_reply({header_with_length(5) + "small"}, 64 * 1024 * 1024, {}, &hint);
    REQUIRE(small.ec == error_code{});
    CHECK(small.body == "small");
    CHECK(small.reads.size() == 1);
}

TEST_CASE("reply reader: a chunked reply read whole past the buffer loses its framing in place") {
    std::string wire = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
    std::string body;
    for (int i = 0; i < 40; ++i) {
        const std::string piece = pattern(1000 + 97 * i, static_cast<char>('a' + i % 20));
        char size[16];
        std::snprintf(size, sizeof size, "%zx", piece.size());
        wire += std::string(size) + "\r\n" + piece + "\r\n";
        body += piece;
    }
    wire += "0\r\n\r\n";
    std::size_t hint = wire.size();
    const auto out = read_reply({wire}, 64 * 1024 * 1024, {}, &hint);
    REQUIRE(out.ec == error_code{});
    CHECK(out.body == body);
    CHECK(out.reads.size() == 1);
    CHECK(out.left_in_buffer == 0);
    // Split at every place around a chunk's framing: the same body.
    for (const std::size_t cut : {std::size_t{16 * 1024 + 1}, std::size_t{16 * 1024 + 3}, std::size_t{40'000}, std::size_t{80'000}, wire.size() - 3}) {
        std::size_t h = wire.size();
        const auto parts = read_reply({wire.substr(0, cut), wire.substr(cut)}, 64 * 1024 * 1024, {}, &h);
        REQUIRE(parts.ec == error_code{});
        CHECK(parts.body == body);
    }
}

TEST_CASE("reply reader: bytes after a reply read past the buffer are left in the buffer") {
    const std::string body = pattern(50'000);
    std::size_t hint = 80'000;
    const auto out = read_reply({header_with_length(body.size()) + body + "junk"}, 64 * 1024 * 1024, {}, &hint);
    REQUIRE(out.ec == error_code{});
    CHECK(out.body == body);
    CHECK(out.left_in_buffer == 4);
    // ... and a reply cut short there is partial_message.
    std::size_t hint2 = 80'000;
    const auto cut = read_reply({header_with_length(body.size()) + body.substr(0, 30'000)}, 64 * 1024 * 1024, {}, &hint2);
    CHECK(cut.ec == error_code(http::error::partial_message));
}

namespace {

// The same reply read by Beast's own http::async_read (16 KiB at a time through the buffer), the reference.
outcome read_reply_with_beast(std::vector<std::string> arrivals, std::size_t max_body) {
    asio::io_context io;
    scripted_stream stream(io, std::move(arrivals));
    boost::beast::flat_buffer buffer;
    buffer.reserve(16 * 1024);
    buffer.max_size(8 * 1024 + 16 * 1024);
    outcome out;
    reply_parser parser(out.body, 8 * 1024);
    parser.header_limit(8 * 1024);
    parser.body_limit(max_body);
    http::async_read(stream, buffer, parser, [&](error_code ec, std::size_t) { out.ec = ec; });
    io.run();
    out.left_in_buffer = buffer.size();
    out.reads = stream.reads;
    return out;
}

}  // namespace

TEST_CASE("reply reader: random replies, split at random, read as Beast's own read reads them") {
    // Content-Length and chunked bodies (extensions, trailers), cut short or followed by junk, arriving in random
    // parts, with random hints and limits: the same outcome and the same body as Beast's http::async_read.
    std::mt19937 rng(20261207);
    std::size_t our_reads = 0, beast_reads = 0, failures = 0;
    auto pick = [&](std::size_t lo, std::size_t hi) { return std::uniform_int_distribution<std::size_t>(lo, hi)(rng); };
    for (int round = 0; round < 1500; ++round) {
        const std::size_t length = pick(0, 3) == 0 ? pick(0, 300) : pick(0, 90'000);
        const std::string body = pattern(length, static_cast<char>('a' + round % 26));
        const bool chunked = pick(0, 2) == 0;
        std::string wire = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n";
        for (std::size_t i = pick(0, 3); i > 0; --i) wire += "X-Extra-" + std::to_string(i) + ": " + pattern(pick(1, 200)) + "\r\n";
        if (chunked) {
            wire += "Transfer-Encoding: chunked\r\n\r\n";
            for (std::size_t at = 0; at < body.size();) {
                const std::size_t n = std::min(body.size() - at, pick(0, 1) ? pick(1, 40) : pick(1, 30'000));
                char size[32];
                std::snprintf(size, sizeof size, "%zx", n);
                wire += size;
                if (pick(0, 4) == 0) wire += ";ext=" + pattern(pick(1, 30));
                wire += "\r\n" + body.substr(at, n) + "\r\n";
                at += n;
            }
            wire += "0\r\n";
            if (pick(0, 4) == 0) wire += "X-Trailer: " + pattern(pick(1, 50)) + "\r\n";
            wire += "\r\n";
        } else {
            wire += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
        }
        const int ending = static_cast<int>(pick(0, 9));
        if (ending == 0) wire.resize(pick(0, wire.size() - 1));  // cut short
        else if (ending == 1) wire += pattern(pick(1, 20), 'J');  // junk after the reply
        std::vector<std::string> arrivals;
        std::size_t from = 0;
        for (std::size_t cuts = pick(0, 4); cuts > 0 && from < wire.size(); --cuts) {
            const std::size_t to = pick(from, wire.size());
            if (to > from) arrivals.push_back(wire.substr(from, to - from));
            from = to;
        }
        if (from < wire.size()) arrivals.push_back(wire.substr(from));
        const std::size_t max_body = pick(0, 9) == 0 && length > 0 ? pick(0, length - 1) : 64 * 1024 * 1024;
        const std::size_t hints[] = {0, 20'000, wire.size(), wire.size() / 2, 200'000};
        std::size_t hint = hints[pick(0, 4)];

        const auto reference = read_reply_with_beast(arrivals, max_body);
        const auto ours = read_reply(arrivals, max_body, {}, &hint);
        INFO("round " << round << ", " << wire.size() << " bytes in " << arrivals.size() << " parts, "
                      << (chunked ? "chunked" : "Content-Length") << ", ending " << ending << ", max_body " << max_body);
        REQUIRE(ours.ec.has_value());
        REQUIRE(reference.ec.has_value());
        our_reads += ours.reads.size();
        beast_reads += reference.reads.size();
        failures += *reference.ec ? 1 : 0;
        CHECK(ours.ec->message() == reference.ec->message());
        if (!*reference.ec) {
            CHECK(ours.body == reference.body);
            CHECK(ours.body == body);
        }
        // Junk after a whole reply: both see some of it (where a read ended decides how much).
        if (ending == 1 && !*reference.ec) CHECK((ours.left_in_buffer != 0 || reference.left_in_buffer == 0));
    }
    // The rounds did reach the errors, and reading straight into the body took fewer reads than Beast's.
    CHECK(failures > 100);
    CHECK(our_reads * 10 < beast_reads * 9);  // (4,731 against 6,061: most parts here are small)
    INFO("reads: ours " << our_reads << ", Beast's " << beast_reads << "; rounds failing " << failures);
    CHECK(our_reads > 0);
}

TEST_CASE("reply reader: an interim reply read past the buffer with the final one: the final one whole, no byte lost") {
    // A 103 and a 100 KB 200 in one read after a large reply: the first read takes all of it, the 103 is done
    // with the 200 staged behind it, and every one of its bytes must be there for the next read of the reply.
    const std::string body = pattern(100'000, 'i');
    const std::string wire = "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n" +
                             header_with_length(body.size()) + body;
    asio::io_context io;
    scripted_stream stream(io, {wire});
    boost::beast::flat_buffer buffer;
    buffer.reserve(16 * 1024);
    std::size_t hint = 110'000;
    std::string interim_body, final_body;
    std::optional<error_code> interim_ec, final_ec;
    unsigned interim_status = 0, final_status = 0;
    std::optional<reply_parser> parser;
    auto read = [&](std::string& into, std::optional<error_code>& ec, unsigned& status, auto then) {
        buffer.max_size(std::max<std::size_t>(8 * 1024 + 16 * 1024, buffer.size() + 16 * 1024));  // as the driver
        parser.emplace(into, 8 * 1024);
        parser->header_limit(8 * 1024);
        pieces::detail::async_read_reply(stream, buffer, *parser, &hint, [&, then](error_code e, std::size_t) {
            ec = e;
            status = parser->status();
            then();
        });
    };
    read(interim_body, interim_ec, interim_status, [&] { read(final_body, final_ec, final_status, [] {}); });
    io.run();
    REQUIRE(interim_ec == error_code{});
    CHECK(interim_status == 103);
    REQUIRE(final_ec == error_code{});
    CHECK(final_status == 200);
    CHECK(final_body == body);
    CHECK(buffer.size() == 0);
    CHECK(stream.reads.size() == 1);
}

TEST_CASE("reply reader: a stream that fills only the first buffer, 16 KiB at a time (as TLS): the same bodies") {
    for (const std::size_t length : {std::size_t{0}, std::size_t{5'000}, std::size_t{70'000}, std::size_t{600'000}}) {
        const std::string body = pattern(length, 't');
        const std::string wire = header_with_length(body.size()) + body;
        asio::io_context io;
        scripted_stream stream(io, {wire});
        stream.like_tls = true;
        boost::beast::flat_buffer buffer;
        buffer.reserve(16 * 1024);
        buffer.max_size(8 * 1024 + 16 * 1024);
        std::string got;
        reply_parser parser(got, 8 * 1024);
        parser.body_limit(64 * 1024 * 1024);
        std::optional<error_code> ec;
        pieces::detail::async_read_reply(stream, buffer, parser, nullptr, [&](error_code e, std::size_t) { ec = e; });
        io.run();
        INFO("body of " << length << " bytes");
        REQUIRE(ec == error_code{});
        CHECK(got == body);
        // Every read after the header went into the body: one per 16 KiB record.
        CHECK(stream.reads.size() == (wire.size() + 16 * 1024 - 1) / (16 * 1024));
    }
}
