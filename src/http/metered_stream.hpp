// Private: the TCP stream as requests read it, noting whether the last read filled all the space it was given.
// A read that returns less than asked emptied the socket's receive queue; one that filled its space may have left
// bytes behind in the kernel. So when a reply ends with such a read, the client looks once more before handing
// the connection on (see request_driver.cpp), and otherwise needs no system call to know nothing followed the reply.
#pragma once

#include <boost/asio/associator.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/handler_continuation_hook.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include <cstddef>
#include <memory>
#include <utility>

namespace pieces::detail {

/// Calls `inner` after noting in `*filled` whether the read returned all `asked` bytes (none asked: unchanged).
template <class Handler>
struct note_read_fill {
    Handler inner;
    bool* filled;
    std::size_t asked;

    void operator()(boost::system::error_code ec, std::size_t n) {
        // Asio's TLS stream reads zero bytes to complete an operation that needed no input: not a read.
        if (asked != 0) *filled = !ec && n == asked;
        std::move(inner)(ec, n);
    }

    // A read that continues an operation (the TLS layer's, as Beast says) stays one: Asio may then run it on this
    // thread without waking another.
    friend bool asio_handler_is_continuation(note_read_fill* h) {
        using boost::asio::asio_handler_is_continuation;
        return asio_handler_is_continuation(std::addressof(h->inner));
    }
};

class metered_stream {
public:
    using next_layer_type = boost::beast::tcp_stream;
    using lowest_layer_type = next_layer_type::socket_type;
    using executor_type = next_layer_type::executor_type;

    explicit metered_stream(next_layer_type& s) noexcept : stream_(&s) {}

    executor_type get_executor() noexcept { return stream_->get_executor(); }
    lowest_layer_type& lowest_layer() noexcept { return stream_->socket(); }
    const lowest_layer_type& lowest_layer() const noexcept { return stream_->socket(); }

    /// The last read returned all the space it was given (so more may wait in the socket).
    bool last_read_filled() const noexcept { return last_read_filled_; }

    template <class MutableBuffers, class Handler>
    void async_read_some(const MutableBuffers& buffers, Handler&& handler) {
        const std::size_t asked = boost::asio::buffer_size(buffers);
        stream_->async_read_some(buffers, note_read_fill<std::decay_t<Handler>>{std::forward<Handler>(handler),
                                                                                &last_read_filled_, asked});
    }
    template <class ConstBuffers, class Handler>
    void async_write_some(const ConstBuffers& buffers, Handler&& handler) {
        stream_->async_write_some(buffers, std::forward<Handler>(handler));
    }
    // The synchronous forms serve the TLS layer's close_notify, written without waiting (tls_context.cpp).
    template <class MutableBuffers>
    std::size_t read_some(const MutableBuffers& buffers, boost::system::error_code& ec) {
        return stream_->socket().read_some(buffers, ec);
    }
    template <class ConstBuffers>
    std::size_t write_some(const ConstBuffers& buffers, boost::system::error_code& ec) {
        return stream_->socket().write_some(buffers, ec);
    }

private:
    next_layer_type* stream_;
    bool last_read_filled_ = false;
};

}  // namespace pieces::detail

// The wrapper is the handler Asio sees: it answers for the caller's executor, allocator and cancellation slot.
template <template <class, class> class Associator, class Handler, class DefaultCandidate>
struct boost::asio::associator<Associator, pieces::detail::note_read_fill<Handler>, DefaultCandidate>
    : Associator<Handler, DefaultCandidate> {
    static typename Associator<Handler, DefaultCandidate>::type get(
        const pieces::detail::note_read_fill<Handler>& h) noexcept {
        return Associator<Handler, DefaultCandidate>::get(h.inner);
    }
    static auto get(const pieces::detail::note_read_fill<Handler>& h, const DefaultCandidate& c) noexcept
        -> decltype(Associator<Handler, DefaultCandidate>::get(h.inner, c)) {
        return Associator<Handler, DefaultCandidate>::get(h.inner, c);
    }
};
