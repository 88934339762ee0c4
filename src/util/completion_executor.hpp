// Private: the one way this library completes an operation: on the handler's associated executor (the client's
// when it names none), never inside the initiating call. Requests, immediate failures, the watcher and discovery
// all complete through a completion_poster.
#pragma once

#include <boost/asio/any_completion_executor.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>

#include <optional>
#include <utility>

namespace pieces::detail {

/// `ex` as a handler's default executor. Over the io_context's own executor when `ex` is one: that fits in
/// any_completion_executor's inline storage, so neither making it nor copying it per operation allocates.
inline boost::asio::any_completion_executor make_completion_executor(const boost::asio::any_io_executor& ex) {
    if (const auto* ioc = ex.target<boost::asio::io_context::executor_type>())
        return boost::asio::any_completion_executor(*ioc);
    return boost::asio::any_completion_executor(ex);
}

/// Completes operations begun on one executor (a client's, a watcher's).
class completion_poster {
public:
    explicit completion_poster(boost::asio::any_io_executor ex)
        : executor_(std::move(ex)), default_(make_completion_executor(executor_)) {
        if (const auto* ioc = executor_.target<boost::asio::io_context::executor_type>()) io_executor_ = *ioc;
    }

    /// The executor a handler runs on when it names none.
    const boost::asio::any_completion_executor& default_executor() const noexcept { return default_; }

    /// `handler`'s executor, holding outstanding work on it from now until the completion has run (the io_context
    /// must not run out of work while the operation is pending).
    template <class Handler>
    boost::asio::any_completion_executor work_for(const Handler& handler) const {
        return boost::asio::prefer(boost::asio::get_associated_executor(handler, default_),
                                   boost::asio::execution::outstanding_work.tracked);
    }

    /// Runs `f` (a completion) on `ex`, its handler's executor: never inside the calling function, and never inside
    /// a strand of ours, so the caller's code runs outside it. Posted to our executor: when `ex` is that executor,
    /// straight there (a thread-local queue push and pop on a one-thread io_context), as the io_context's own
    /// executor when it is one, which takes the operation's memory from `f`'s associated allocator (Asio's
    /// type-erased executor does not); else from there dispatched to `ex` (a handler's executor, type-erased,
    /// cannot promise not to block, so it is not posted to). `ex` is taken by value and moved along, never copied
    /// across threads: an erased executor's shared state is counted with fences, which ThreadSanitizer cannot
    /// see, so a copy released on another thread reads as a race.
    template <class F>
    void post(boost::asio::any_completion_executor ex, F&& f) const {
        if (ex == default_) {  // the usual case (a coroutine or callback on this io_context): one hop
            if (io_executor_) boost::asio::post(*io_executor_, std::forward<F>(f));
            else boost::asio::post(executor_, std::forward<F>(f));
            return;
        }
        boost::asio::post(executor_, [ex = std::move(ex), f = std::forward<F>(f)]() mutable {
            boost::asio::dispatch(ex, std::move(f));
        });
    }

    /// As `post`, for a completion that already runs outside the initiating call (a handler of our own): at once
    /// when we already are on `ex`.
    template <class F>
    static void dispatch(boost::asio::any_completion_executor ex, F&& f) {
        boost::asio::dispatch(ex, std::forward<F>(f));
    }

    const boost::asio::any_io_executor& executor() const noexcept { return executor_; }

private:
    boost::asio::any_io_executor executor_;
    boost::asio::any_completion_executor default_;
    std::optional<boost::asio::io_context::executor_type> io_executor_;  // executor_'s target, when an io_context's
};

}  // namespace pieces::detail
