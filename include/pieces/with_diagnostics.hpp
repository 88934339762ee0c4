// The default completion token of every operation, and the adapter it is made of: a failure reaches the caller
// as an `error_with_diagnostics` exception that carries the operation's diagnostics.
#pragma once

#include <pieces/call_options.hpp>
#include <pieces/error_with_diagnostics.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/associator.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/error_code.hpp>

#include <exception>
#include <type_traits>
#include <utility>

namespace pieces {

/// Adapts a completion token: an operation that would complete with `void(boost::system::error_code, T...)`
/// completes with `void(std::exception_ptr, T...)` instead, the exception an `error_with_diagnostics` (the code,
/// and the diagnostics of the failure) or none. With `boost::asio::use_awaitable`, `co_await` then throws it;
/// with `boost::asio::deferred` or `use_future` too.
///
/// Works with any such operation. This library's operations fill the diagnostics (`call_options::diag` when the
/// caller set it, else a `diagnostics` object the adapted handler owns); for any other operation they are empty.
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

/// \cond INTERNAL
namespace detail {

// The convention by which with_diagnostics finds where an operation writes its diagnostics (Boost.MySQL's):
// an initiation argument of type `call_options` (its `diag`) or `diagnostics*`. Operations without one (any
// other library's, `watch_subscription::next`) get empty diagnostics in the exception.
template <class Arg>
constexpr bool is_diagnostics_slot =
    std::is_same_v<std::decay_t<Arg>, call_options> || std::is_same_v<std::decay_t<Arg>, diagnostics*>;

inline diagnostics* slot_value(const call_options& o) noexcept { return o.diag; }
inline diagnostics* slot_value(diagnostics* d) noexcept { return d; }

// The caller's diagnostics: the first slot's value (null when the caller gave none).
inline diagnostics* caller_diagnostics() noexcept { return nullptr; }
template <class Arg, class... Rest>
diagnostics* caller_diagnostics(const Arg& arg, const Rest&... rest) noexcept {
    if constexpr (is_diagnostics_slot<Arg>) return slot_value(arg);
    else return caller_diagnostics(rest...);
}

// `arg` as passed on to the initiation: a slot the caller left empty now names `own`; anything else unchanged.
template <class Arg>
decltype(auto) fill_slot(Arg&& arg, diagnostics* own) {
    if constexpr (std::is_same_v<std::decay_t<Arg>, call_options>) {
        call_options o = std::forward<Arg>(arg);
        if (!o.diag) o.diag = own;
        return o;
    } else if constexpr (std::is_same_v<std::decay_t<Arg>, diagnostics*>) {
        diagnostics* d = arg ? arg : own;
        return d;  // by value: decltype(auto) of `arg ? arg : own` would be a reference to a parameter
    } else {
        return std::forward<Arg>(arg);
    }
}

// The diagnostics a with_diagnostics handler owns when the caller gave none. The operation writes them where
// the handler sits once type-erased (any_completion_handler's one allocation, which the operation makes anyway);
// that address is only known after the erasure, so while `report` is set, each move tells it where they went.
struct owned_diagnostics {
    diagnostics value;
    owned_diagnostics** report = nullptr;

    owned_diagnostics() = default;
    owned_diagnostics(owned_diagnostics&& other) noexcept
        : value(std::move(other.value)), report(std::exchange(other.report, nullptr)) {
        if (report) *report = this;
    }
    owned_diagnostics& operator=(owned_diagnostics&&) = delete;
};

// Turns `(error_code, T...)` into `(exception_ptr, T...)`; the exception carries the caller's diagnostics when
// they gave some, else the owned ones (empty for an operation that has no diagnostics).
template <class Handler>
struct diagnostics_handler {
    Handler handler;
    diagnostics* caller = nullptr;
    owned_diagnostics own;

    template <class... T>
    void operator()(boost::system::error_code ec, T&&... values) {
        std::exception_ptr e;
        if (ec) e = std::make_exception_ptr(error_with_diagnostics(ec, caller ? *caller : own.value));
        std::move(handler)(std::move(e), std::forward<T>(values)...);
    }
};

// The initiation under a with_diagnostics token. `Erased` is the type-erased handler of the operation's own
// signature; for an operation with a diagnostics slot, the handler is erased here, so that the owned diagnostics
// have their final address before the operation starts (the operation's own erasure of it is then a move).
template <class Initiation, class Erased>
struct with_diagnostics_initiation {
    Initiation initiation;

    template <class Handler, class... Args>
    void operator()(Handler&& handler, Args&&... args) && {
        start(std::move(initiation), std::forward<Handler>(handler), std::forward<Args>(args)...);
    }
    template <class Handler, class... Args>
    void operator()(Handler&& handler, Args&&... args) const& {
        start(initiation, std::forward<Handler>(handler), std::forward<Args>(args)...);
    }

private:
    template <class Init, class Handler, class... Args>
    static void start(Init&& init, Handler&& handler, Args&&... args) {
        using adapted = diagnostics_handler<std::decay_t<Handler>>;
        if constexpr ((is_diagnostics_slot<Args> || ...)) {
            if (diagnostics* caller = caller_diagnostics(args...)) {
                std::forward<Init>(init)(Erased(adapted{std::forward<Handler>(handler), caller, {}}),
                                         std::forward<Args>(args)...);
                return;
            }
            owned_diagnostics* where = nullptr;
            adapted a{std::forward<Handler>(handler), nullptr, {}};
            a.own.report = &where;
            where = &a.own;
            Erased erased(std::move(a));
            where->report = nullptr;  // erased: it moves no more until it completes
            std::forward<Init>(init)(std::move(erased), fill_slot(std::forward<Args>(args), &where->value)...);
        } else {
            std::forward<Init>(init)(adapted{std::forward<Handler>(handler), nullptr, {}}, std::forward<Args>(args)...);
        }
    }
};

}  // namespace detail
/// \endcond

}  // namespace pieces

/// \cond INTERNAL
// The adapted handler keeps the original's executor, allocator, cancellation slot and immediate executor.
template <template <class, class> class Associator, class Handler, class DefaultCandidate>
struct boost::asio::associator<Associator, pieces::detail::diagnostics_handler<Handler>, DefaultCandidate>
    : Associator<Handler, DefaultCandidate> {
    static typename Associator<Handler, DefaultCandidate>::type get(
        const pieces::detail::diagnostics_handler<Handler>& h, const DefaultCandidate& c = DefaultCandidate()) noexcept {
        return Associator<Handler, DefaultCandidate>::get(h.handler, c);
    }
};

// Any operation that completes with `void(error_code, T...)`.
template <class CompletionToken, class... T>
struct boost::asio::async_result<pieces::with_diagnostics_t<CompletionToken>, void(boost::system::error_code, T...)> {
    template <class Initiation, class RawToken, class... Args>
    static auto initiate(Initiation&& initiation, RawToken&& token, Args&&... args) {
        using erased = boost::asio::any_completion_handler<void(boost::system::error_code, T...)>;
        using token_type = std::conditional_t<std::is_const_v<std::remove_reference_t<RawToken>>, const CompletionToken,
                                              CompletionToken>;
        return boost::asio::async_initiate<token_type, void(std::exception_ptr, T...)>(
            pieces::detail::with_diagnostics_initiation<std::decay_t<Initiation>, erased>{
                std::forward<Initiation>(initiation)},
            token.token, std::forward<Args>(args)...);
    }
};
/// \endcond
