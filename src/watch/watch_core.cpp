#include "watch/watch_core.hpp"

#include "util/saturating_time.hpp"

#include <algorithm>

namespace pieces::detail {

std::shared_ptr<const watch_delta> watch_core::delta_from(const std::shared_ptr<const watch_snapshot>& from) {
    const std::uint64_t key = from ? from->version : 0;
    auto& slot = deltas_[key];
    if (!slot) {
        auto d = std::make_shared<watch_delta>();
        d->initial = !from;
        d->changes = diff_allocations(from ? from->allocations : Allocations{}, newest_->allocations);
        slot = std::move(d);
    }
    return slot;
}

std::optional<watch_event> watch_core::take_event(seen_state& s) {
    const bool newcomer = !s.snapshot;
    // A newcomer after a pause is told nothing from before it: the poll started for it answers first.
    if (newcomer && stale_) return std::nullopt;
    if (failure_ && s.failure < failure_seq_) {
        s.failure = failure_seq_;
        return access::construct<watch_event>(newest_, failure_);
    }
    // While polls fail, a newcomer's first state is the next good snapshot, not the last one.
    if (newcomer && failure_) return std::nullopt;
    if (!newest_ || s.snapshot == newest_) return std::nullopt;
    auto delta = delta_from(s.snapshot);
    s.snapshot = newest_;  // nothing changed that is reported: its old snapshot is let go all the same
    if (delta->changes.empty() && !delta->initial) return std::nullopt;
    return access::construct<watch_event>(newest_, std::move(delta));
}

watch_core::duration watch_core::next_wait(unsigned failures) noexcept {
    if (failures == 0) return p_.interval;
    return backoff_wait(p_.interval, p_.max_backoff, failures, jitter_);
}

watch_core::poll_action watch_core::wait_until(time_point t) {
    timer_armed_ = true;
    timer_until_ = t;
    return {poll_step::wait, t};
}

watch_core::poll_action watch_core::poll_now() {
    in_flight_ = true;
    timer_armed_ = false;
    return {poll_step::poll_now, {}};
}

watch_core::poll_action watch_core::on_subscribers(std::size_t count, time_point now) {
    const bool had = subscribers_ > 0;
    subscribers_ = count;
    if (count == 0) {
        if (!had) return {};
        timer_armed_ = false;
        return {poll_step::stop, {}};
    }
    if (in_flight_ || timer_armed_) return {};
    // The first subscriber after none. Polls that were failing keep their backoff (so subscribing and leaving
    // again does not hammer a failing server); a snapshot younger than the interval is fresh enough; else a
    // poll now, whose answer is the newcomers' first event.
    if (failure_ && now < next_due_) return wait_until(next_due_);
    // Saturating: with an interval of milliseconds::max() the snapshot stays fresh (it does not wrap to the past).
    if (newest_ && !failure_) {
        const auto fresh_until = time_after(newest_->polled_at, p_.interval);
        if (now < fresh_until) return wait_until(fresh_until);
    }
    stale_ = newest_ || failure_;
    return poll_now();
}

watch_core::poll_action watch_core::after_poll(time_point now) {
    in_flight_ = false;
    stale_ = false;
    next_due_ = time_after(now, next_wait(failures_));  // saturating: a huge wait must not land in the past
    if (subscribers_ == 0) {
        follow_up_ = false;
        return {};
    }
    if (follow_up_) {  // what was pushed during the poll may have come after the server answered it
        follow_up_ = false;
        return poll_now();
    }
    return wait_until(next_due_);
}

watch_core::poll_action watch_core::on_push() {
    if (subscribers_ == 0) return {};
    if (in_flight_) {
        follow_up_ = true;
        return {};
    }
    return poll_now();
}

void watch_core::on_logged_out(boost::system::error_code ec, diagnostics d, time_point now) {
    auto f = std::make_shared<watch_delta>();
    f->error = ec;
    f->diag = std::move(d);
    f->failed_at = now;
    failure_ = std::move(f);
    ++failure_seq_;
}

watch_core::poll_action watch_core::on_poll_succeeded(Allocations a, time_point now) {
    auto s = std::make_shared<watch_snapshot>();
    s->allocations = std::move(a);
    s->polled_at = now;
    s->version = newest_ ? newest_->version + 1 : 1;
    newest_ = std::move(s);
    deltas_.clear();
    failure_.reset();
    failures_ = 0;
    return after_poll(now);
}

watch_core::poll_action watch_core::on_poll_failed(boost::system::error_code ec, diagnostics d, time_point now) {
    auto f = std::make_shared<watch_delta>();
    f->error = ec;
    f->diag = std::move(d);
    f->failed_at = now;
    failure_ = std::move(f);
    ++failure_seq_;
    ++failures_;
    return after_poll(now);
}

watch_core::poll_action watch_core::on_poll_aborted() {
    in_flight_ = false;
    // A subscriber came back while the cancelled poll was ending: poll for it now.
    if (subscribers_ > 0 && !timer_armed_) return poll_now();
    return {};
}

watch_core::poll_action watch_core::on_timer(time_point now) {
    if (!timer_armed_) return {};  // a stale wakeup: the timer was disarmed since
    if (now < timer_until_) return {poll_step::wait, timer_until_};
    timer_armed_ = false;
    if (subscribers_ == 0 || in_flight_) return {};
    return poll_now();
}

}  // namespace pieces::detail
