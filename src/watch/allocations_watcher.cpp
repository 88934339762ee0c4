// The watcher's I/O: a strand that owns the subscribers, one timer, at most one poll in flight and, with push, one
// /user/stream and its retry timer; watch_core and push_core decide what each of them does. Events are completed
// on each handler's own executor.
// The list of subscribers is intrusive (Boost.Intrusive): a subscriber is linked only while its subscription lives
// (remove() unlinks it before the last owner goes, and add() never links one already ended).
#include "watch/push_core.hpp"
#include "watch/watch_core.hpp"

#include "api/idle_watch.hpp"
#include "util/completion_executor.hpp"
#include "util/saturating_time.hpp"
#include "util/strand.hpp"

#include <pieces/allocations_api.hpp>
#include <pieces/allocations_watcher.hpp>
#include <pieces/detail/access.hpp>
#include <pieces/error.hpp>
#include <pieces/error_with_diagnostics.hpp>
#include <pieces/user_stream.hpp>

#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/intrusive/list.hpp>

#include <atomic>
#include <utility>
#include <stdexcept>
#include <vector>

namespace pieces::detail {

namespace asio = boost::asio;
using boost::system::error_code;
using next_handler = asio::any_completion_handler<void(error_code, watch_event)>;

// A handler to complete, with the work it holds on its executor until then.
struct completion {
    next_handler handler;
    asio::any_completion_executor work;
    error_code ec;
    watch_event event;

    void operator()() {
        asio::get_associated_cancellation_slot(handler).clear();
        std::move(handler)(ec, std::move(event));
    }
};

// From a handler of the watcher's own (a poll's end, a cancellation): on the handler's executor, at once when
// we already are there.
void complete_now(completion c) {
    auto ex = c.work;
    completion_poster::dispatch(std::move(ex), std::move(c));
}

// auto_unlink: one freed while still linked (only at teardown: its unlinking handler destroyed unrun, as when the
// io_context is destroyed first) takes itself off the list rather than leave a dangling pointer in it.
using subscriber_hook = boost::intrusive::list_base_hook<boost::intrusive::link_mode<boost::intrusive::auto_unlink>>;

struct watch_subscriber : subscriber_hook {
    ~watch_subscriber() { unlink(); }  // before `impl` goes: the list it is on may be the watcher's last
    std::shared_ptr<watch_impl> impl;
    // ---- on the watcher's strand only ----
    seen_state seen;
    std::optional<next_handler> pending;
    std::uint64_t pending_call = 0;      // which next() call `pending` is (a cancellation names the one it is for)
    asio::any_completion_executor work;  // held while `pending`
    std::atomic<std::uint64_t> calls{0}; // next() calls begun (from the initiating threads)
    bool ended = false;  // unsubscribed, or the watcher closed

    completion take(error_code ec, watch_event ev = {}) {
        completion c{std::move(*pending), std::move(work), ec, std::move(ev)};
        pending.reset();
        return c;
    }
};

class watch_impl : public std::enable_shared_from_this<watch_impl> {
public:
    watch_impl(const client& c, const watcher_config& cfg)
        : api_(c),
          poll_timeout_(cfg.poll_timeout.value_or(c.config().request_timeout)),
          completions_(c.get_executor()),
          strand_(make_strand_for(c.get_executor())),
          timer_(strand_),
          retry_timer_(strand_),
          core_({to_clock_duration(cfg.interval), to_clock_duration(cfg.max_backoff),
                 next_jitter_seed()}),
          push_({to_clock_duration(cfg.interval), to_clock_duration(cfg.max_backoff), next_jitter_seed()}) {
        if (cfg.push) stream_.emplace(c);
    }

    void add(std::shared_ptr<watch_subscriber> s) {
        asio::dispatch(strand_, [self = shared_from_this(), s = std::move(s)] {
            // Ended already: the subscription went (from inside the strand) before this add ran. Linked, it would
            // be freed with this lambda while still on the list, and keep count_ (so polling) up for good.
            if (s->ended) return;
            if (self->closed_) {
                s->ended = true;
                return;
            }
            self->link(*s);
            self->apply(self->core_.on_subscribers(self->count_, clock_type::now()));
            self->apply_push(self->push_.on_subscribers(self->count_, clock_type::now()));
        });
    }

    void remove(std::shared_ptr<watch_subscriber> s) {
        asio::dispatch(strand_, [self = shared_from_this(), s = std::move(s)] {
            s->ended = true;
            if (s->pending) self->complete_later(s->take(asio::error::operation_aborted));
            if (!s->is_linked()) return;
            self->unlink(*s);
            self->apply(self->core_.on_subscribers(self->count_, clock_type::now()));
            self->apply_push(self->push_.on_subscribers(self->count_, clock_type::now()));
        });
    }

    void next(std::shared_ptr<watch_subscriber> s, next_handler h) {
        auto work = completions_.work_for(h);
        const auto call = ++s->calls;
        auto slot = asio::get_associated_cancellation_slot(h);
        if (slot.is_connected()) slot.template emplace<cancel_next>(cancel_next{s, strand_, call});
        asio::dispatch(strand_, [self = shared_from_this(), s = std::move(s), h = std::move(h), work = std::move(work),
                                 call]() mutable {
            if (s->pending) return self->complete_later({std::move(h), std::move(work), asio::error::already_started, {}});
            if (s->ended) return self->complete_later({std::move(h), std::move(work), asio::error::operation_aborted, {}});
            if (auto ev = self->core_.take_event(s->seen)) {
                ++self->events;
                return self->complete_later({std::move(h), std::move(work), {}, std::move(*ev)});
            }
            s->pending.emplace(std::move(h));
            s->pending_call = call;
            s->work = std::move(work);
        });
    }

    // The watcher's end: no more polls (the one in flight cancelled: nobody is left to read it); every pending
    // next() ends.
    void close() {
        asio::dispatch(strand_, [self = shared_from_this()] {
            self->closed_ = true;
            self->stop_polling();
            if (self->in_flight_) self->poll_cancel_.emit(asio::cancellation_type::terminal);
            self->stop_stream();
            while (!self->linked_.empty()) {
                watch_subscriber& s = self->linked_.front();
                s.ended = true;
                if (s.pending) self->complete_later(s.take(asio::error::operation_aborted));
                self->unlink(s);
            }
        });
    }

    std::atomic<std::uint64_t> polls{0};
    std::atomic<std::uint64_t> failed_polls{0};
    std::atomic<std::uint64_t> events{0};
    std::atomic<std::size_t> subscribers{0};
    std::atomic<std::uint64_t> frames{0};
    std::atomic<std::uint64_t> pushed_polls{0};
    std::atomic<std::uint64_t> streams_opened{0};
    std::atomic<bool> stream_open{false};

private:
    using clock_type = watch_core::clock_type;

    // Installed on a next()'s cancellation slot: hops to the strand, where the subscriber lives.
    struct cancel_next {
        std::weak_ptr<watch_subscriber> sub;
        strand_type strand;
        std::uint64_t call;  // the next() this slot belongs to: a refused second call cancels nothing
        void operator()(asio::cancellation_type type) {
            if (type == asio::cancellation_type::none) return;
            asio::post(strand, [w = sub, call = call] {
                if (auto s = w.lock(); s && s->pending && s->pending_call == call)
                    complete_now(s->take(asio::error::operation_aborted));
            });
        }
    };

    void link(watch_subscriber& s) {
        linked_.push_front(s);
        if (count_++ == 0) hold_idle_watch(access::impl(api_), true);  // the timer keeps the io_context busy from now on anyway
        ++subscribers;
    }
    void unlink(watch_subscriber& s) {
        linked_.erase(linked_.iterator_to(s));
        if (--count_ == 0) hold_idle_watch(access::impl(api_), false);
        --subscribers;
    }

    void apply(watch_core::poll_action a) {
        switch (a.step) {
        case watch_core::poll_step::none: return;
        case watch_core::poll_step::poll_now: return start_poll();
        case watch_core::poll_step::wait: return arm_timer(a.until);
        case watch_core::poll_step::stop: return stop_polling();
        }
    }

    // ---- push: the /user/stream ----

    void apply_push(push_core::stream_action a) {
        if (!stream_) return;
        switch (a.step) {
        case push_core::stream_step::none: return;
        case push_core::stream_step::open:
            fresh_stream_ = true;
            return read_stream();
        case push_core::stream_step::close: return stop_stream();
        case push_core::stream_step::wait: return arm_retry(a.until);
        case push_core::stream_step::cancel_wait: ++retry_gen_; retry_timer_.cancel(); return;
        }
    }

    // The next frame of the stream held (connecting it first when it is new).
    void read_stream() {
        const auto gen = stream_gen_;
        auto diag = std::make_shared<diagnostics>();
        // Weak: the stream is ours (stream_), so a strong reference in its pending handler would be a cycle, never
        // broken when the io_context is destroyed before the handler runs.
        stream_->next(*diag, asio::bind_executor(strand_, [weak = weak_from_this(), gen, diag](
                                                              error_code ec, UserProfile profile) {
            auto self = weak.lock();
            if (!self || gen != self->stream_gen_ || self->closed_) return;  // gone, or a stream we closed since
            self->on_stream(ec, std::move(profile), std::move(*diag));
        }));
    }

    void on_stream(error_code ec, UserProfile profile, diagnostics diag) {
        const auto now = clock_type::now();
        const bool frame = !ec || ec == errc::logged_out || ec == errc::invalid_response;
        if (frame) {
            ++frames;
            if (std::exchange(fresh_stream_, false)) {
                ++streams_opened;
                stream_open = true;
            }
        }
        if (!ec) {
            switch (push_.on_profile(profile.allocation)) {
            case push_core::profile_news::same: break;
            case push_core::profile_news::changed: pushed(); break;
            case push_core::profile_news::first:  // compared with the snapshot of the poll that runs with it
                check_first_profile_ = true;
                if (!core_.polling()) check_first_profile();
                break;
            }
            return read_stream();
        }
        if (ec == errc::logged_out) {
            if (push_.on_logged_out()) {
                core_.on_logged_out(ec, std::move(diag), now);
                wake_waiting();
            }
            return read_stream();
        }
        if (ec == errc::invalid_response) {  // a frame we cannot read may be a change: the poll tells
            pushed();
            return read_stream();
        }
        // The stream ended (or never opened): polls only until it is opened again.
        stream_open = false;
        ++stream_gen_;
        apply_push(push_.on_ended(ec, now));
    }

    // The first profile against the newest snapshot: a change between the poll's answer and the stream's start
    // would be seen at the interval poll only.
    void check_first_profile() {
        const Allocations* newest = core_.newest_allocations();
        if (!newest) return;  // no good poll yet: the next one answers, and the check waits for it
        check_first_profile_ = false;
        if (push_.differs_from(*newest)) pushed();
    }

    void pushed() {
        const auto a = core_.on_push();
        if (a.step == watch_core::poll_step::poll_now) ++pushed_polls;
        apply(a);
    }

    void arm_retry(clock_type::time_point until) {
        const auto gen = ++retry_gen_;
        retry_timer_.expires_at(until);
        retry_timer_.async_wait([self = shared_from_this(), gen](error_code ec) {
            if (ec || gen != self->retry_gen_ || self->closed_) return;
            self->apply_push(self->push_.on_retry_due());
        });
    }

    void stop_stream() {
        if (!stream_) return;
        ++stream_gen_;
        ++retry_gen_;
        retry_timer_.cancel();
        stream_->close();
        stream_open = false;
    }

    // Never inside the call that started the operation: posted, then on the handler's executor.
    void complete_later(completion c) const {
        auto ex = c.work;
        completions_.post(std::move(ex), std::move(c));
    }

    void arm_timer(clock_type::time_point until) {
        const auto gen = ++timer_gen_;
        timer_.expires_at(until);
        timer_.async_wait([self = shared_from_this(), gen](error_code ec) {
            if (ec || gen != self->timer_gen_ || self->closed_) return;
            self->apply(self->core_.on_timer(clock_type::now()));
        });
    }

    // The timer only: a poll in flight is let finish, its answer kept for the next subscriber. Cancelling it
    // cost a connection each time subscriptions came and went, and starved them when polls took longer.
    void stop_polling() {
        ++timer_gen_;
        timer_.cancel();
    }

    void start_poll() {
        in_flight_ = true;
        auto diag = std::make_shared<diagnostics>();
        call_options opts;
        opts.timeout = poll_timeout_;
        opts.diag = diag.get();
        auto done = [self = shared_from_this(), diag](error_code ec, Allocations all) {
            self->on_poll_done(ec, std::move(all), std::move(*diag));
        };
        api_.allocations_snapshot(
            opts, asio::bind_cancellation_slot(poll_cancel_.slot(), asio::bind_executor(strand_, std::move(done))));
    }

    void on_poll_done(error_code ec, Allocations all, diagnostics diag) {
        in_flight_ = false;
        if (closed_) return;  // the only poll ever cancelled: nobody to tell
        const auto now = clock_type::now();
        ++polls;
        watch_core::poll_action next;
        if (ec) {
            ++failed_polls;
            next = core_.on_poll_failed(ec, std::move(diag), now);
        } else {
            next = core_.on_poll_succeeded(std::move(all), now);
        }
        if (next.step == watch_core::poll_step::poll_now) ++pushed_polls;  // only a push's follow-up polls at once
        apply(next);
        if (!ec && check_first_profile_ && !core_.polling()) check_first_profile();
        wake_waiting();
    }

    // Every waiting subscriber owed an event gets it; the handlers run after the list is walked (one may
    // subscribe, unsubscribe or call next() again at once).
    // The list of handlers is kept between polls: a fresh one for 10,000 subscribers is a megabyte of new pages
    // each time (profiled: most of the time to wake them). It is taken out while in use, so that a handler run
    // at once cannot reach it whatever it does.
    void wake_waiting() {
        std::vector<completion> woken = std::move(spare_);
        woken.clear();
        woken.reserve(count_);
        for (watch_subscriber& s : linked_) {
            if (!s.pending) continue;
            if (auto ev = core_.take_event(s.seen)) woken.push_back(s.take({}, std::move(*ev)));
        }
        events += woken.size();
        for (auto& c : woken) complete_now(std::move(c));
        woken.clear();
        if (woken.capacity() > spare_.capacity()) spare_ = std::move(woken);
    }

    allocations_api api_;  // the watcher is built on the API: its polls are allocations_snapshot() calls
    std::chrono::milliseconds poll_timeout_;
    completion_poster completions_;
    strand_type strand_;
    // ---- on the strand only ----
    asio::steady_timer timer_;
    asio::steady_timer retry_timer_;  // the stream's retry
    asio::cancellation_signal poll_cancel_;
    watch_core core_;
    push_core push_;
    std::optional<user_stream> stream_;  // with push
    boost::intrusive::list<watch_subscriber, boost::intrusive::constant_time_size<false>> linked_;  // the linked ones (see the top of this file)
    std::vector<completion> spare_;  // wake_waiting's list, kept for the next poll
    std::size_t count_ = 0;
    std::uint64_t timer_gen_ = 0;
    std::uint64_t retry_gen_ = 0;
    std::uint64_t stream_gen_ = 0;  // names the stream held: a completion of one closed since is ignored
    bool fresh_stream_ = false;     // the stream held has not delivered a frame yet
    bool check_first_profile_ = false;  // the first profile ever waits for a successful poll to be compared with
    bool in_flight_ = false;
    bool closed_ = false;
};

void async_watch_next(std::shared_ptr<watch_subscriber> s, next_handler h) {
    if (!s) throw std::logic_error("next() on an empty watch_subscription (default-constructed or moved from)");
    auto& impl = *s->impl;
    impl.next(std::move(s), std::move(h));
}

}  // namespace pieces::detail

namespace pieces {

namespace {
const char* watcher_config_problem(const watcher_config& cfg) {
    if (cfg.interval.count() <= 0) return "interval must be > 0";
    if (cfg.max_backoff < cfg.interval) return "max_backoff must be >= interval";
    if (cfg.poll_timeout && cfg.poll_timeout->count() <= 0) return "poll_timeout must be > 0";
    return nullptr;
}
}  // namespace

allocations_watcher::allocations_watcher(const client& c, watcher_config cfg) {
    if (const char* why = watcher_config_problem(cfg)) {
        diagnostics d;
        detail::access::set_client_message(d, std::string("watcher_config::") + why);
        throw error_with_diagnostics(errc::invalid_config, std::move(d));
    }
    impl_ = std::make_shared<detail::watch_impl>(c, cfg);
}

allocations_watcher::~allocations_watcher() { impl_->close(); }

watch_subscription allocations_watcher::subscribe() {
    auto s = std::make_shared<detail::watch_subscriber>();
    s->impl = impl_;
    impl_->add(s);
    return detail::access::construct<watch_subscription>(std::move(s));
}

watcher_stats allocations_watcher::stats() const noexcept {
    watcher_stats st;
    st.polls = impl_->polls;
    st.failed_polls = impl_->failed_polls;
    st.events = impl_->events;
    st.subscribers = impl_->subscribers;
    st.frames = impl_->frames;
    st.pushed_polls = impl_->pushed_polls;
    st.streams_opened = impl_->streams_opened;
    st.stream_open = impl_->stream_open;
    return st;
}

watch_subscription& watch_subscription::operator=(watch_subscription&& other) noexcept {
    if (this != &other) {
        reset();
        sub_ = std::move(other.sub_);
    }
    return *this;
}

watch_subscription::~watch_subscription() { reset(); }

void watch_subscription::reset() noexcept {
    if (!sub_) return;
    auto s = std::move(sub_);
    auto& impl = *s->impl;
    impl.remove(std::move(s));
}

}  // namespace pieces
