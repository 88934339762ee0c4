// The default completion token of every operation, and the adapter it is made of: a failure reaches the caller
// as an `error_with_diagnostics` exception that carries the operation's diagnostics.
#pragma once

#include <pieces/error_with_diagnostics.hpp>

#include <boost/asio/associator.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <exception>
#include <type_traits>
#include <utility>

namespace pieces {

/// Adapts a completion token for this library's operations: one that would complete with
/// `void(boost::system::error_code, T)` completes with `void(std::exception_ptr, T)` instead, the exception an
/// `error_with_diagnostics` (the code, and the diagnostics of the failure) or none. With
/// `boost::asio::use_awaitable`, `co_await` then throws it; with `boost::asio::deferred` or `use_future` too.
/// Only for this library's operations (they fill the diagnostics).
template <class CompletionToken>
struct with_diagnostics_t {
    CompletionToken token;  ///< the adapted token
};

/// `with_diagnostics_t` for `token`.
template <class CompletionToken>
constexpr with_diagnostics_t<std::decay_t<CompletionToken>> with_diagnostics(CompletionToken&& token) {
    return {std::forward<CompletionToken>(token)};
}

/// The completion token of an operation called without one: `co_await api.allocations_snapshot()` returns the
/// result and throws `error_with_diagnostics` on failure.
using default_completion_token = with_diagnostics_t<boost::asio::use_awaitable_t<>>;

namespace detail {

/// For an operation that is not this library's: turns its `(error_code, T...)` completion into
/// `(exception_ptr, T...)`, the exception an `error_with_diagnostics` with empty diagnostics.
template <class Handler>
struct rethrowing_handler {
    Handler handler;
    template <class... T>
    void operator()(boost::system::error_code ec, T&&... values) {
        std::move(handler)(ec ? std::make_exception_ptr(error_with_diagnostics(ec, diagnostics{})) : std::exception_ptr{},
                           std::forward<T>(values)...);
    }
};

/// This library's initiations have a `throwing` entry, which fills the diagnostics; others are adapted.
template <class Initiation>
struct with_diagnostics_initiation {
    Initiation initiation;
    template <class Handler, class... Args>
    void operator()(Handler&& handler, Args&&... args) {
        if constexpr (requires { std::move(initiation).throwing(std::forward<Handler>(handler), std::forward<Args>(args)...); })
            std::move(initiation).throwing(std::forward<Handler>(handler), std::forward<Args>(args)...);
        else
            std::move(initiation)(rethrowing_handler<std::decay_t<Handler>>{std::forward<Handler>(handler)},
                                  std::forward<Args>(args)...);
    }
};
}  // namespace detail

}  // namespace pieces

/// \cond INTERNAL
// The adapted handler keeps the original's executor, allocator and cancellation slot.
template <template <class, class> class Associator, class Handler, class DefaultCandidate>
struct boost::asio::associator<Associator, pieces::detail::rethrowing_handler<Handler>, DefaultCandidate>
    : Associator<Handler, DefaultCandidate> {
    static typename Associator<Handler, DefaultCandidate>::type get(const pieces::detail::rethrowing_handler<Handler>& h,
                                                                   const DefaultCandidate& c = DefaultCandidate()) noexcept {
        return Associator<Handler, DefaultCandidate>::get(h.handler, c);
    }
};

template <class CompletionToken, class T>
struct boost::asio::async_result<pieces::with_diagnostics_t<CompletionToken>, void(boost::system::error_code, T)> {
    template <class Initiation, class RawToken, class... Args>
    static auto initiate(Initiation&& initiation, RawToken&& token, Args&&... args) {
        return boost::asio::async_initiate<CompletionToken, void(std::exception_ptr, T)>(
            pieces::detail::with_diagnostics_initiation<std::decay_t<Initiation>>{std::forward<Initiation>(initiation)},
            token.token, std::forward<Args>(args)...);
    }
};
/// \endcond
