#include "watch/push_core.hpp"

#include <pieces/error.hpp>

namespace pieces::detail {

push_core::stream_action push_core::on_subscribers(std::size_t count, time_point now) {
    subscribers_ = count;
    if (count > 0) {
        if (state_ != state::idle) return {};  // held already, or waiting to retry (the wait stands)
        // Subscribers that come and go do not cut a wait short (a refused upgrade each time).
        if (now < not_before_) {
            state_ = state::waiting;
            return {stream_step::wait, not_before_};
        }
        state_ = state::holding;
        return {stream_step::open, {}};
    }
    const auto was = state_;
    state_ = state::idle;
    if (was == state::holding) return {stream_step::close, {}};
    if (was == state::waiting) return {stream_step::cancel_wait, {}};
    return {};
}

push_core::profile_news push_core::on_profile(const std::optional<AllocationCloud>& allocation) {
    failures_ = 0;  // the stream works
    const auto news = !seen_any_                               ? profile_news::first
                      : logged_out_ || allocation != last_ ? profile_news::changed
                                                             : profile_news::same;
    seen_any_ = true;
    logged_out_ = false;
    last_ = allocation;
    return news;
}

bool push_core::differs_from(const Allocations& snapshot) const {
    if (!last_) return false;
    for (const auto& c : snapshot.iterable)
        if (c.id == last_->id) return c != *last_;
    return true;
}

bool push_core::on_logged_out() {
    failures_ = 0;
    const bool news = !logged_out_;
    logged_out_ = true;
    seen_any_ = true;
    return news;
}

push_core::stream_action push_core::on_ended(const boost::system::error_code& ec, time_point now) {
    if (state_ != state::holding) return {};  // closed by us meanwhile
    if (subscribers_ == 0) {
        state_ = state::idle;
        return {};
    }
    state_ = state::waiting;
    // A Pieces OS without the stream: polls only, and the question asked again after the longest wait.
    not_before_ = ec == errc::upgrade_refused
                      ? time_after(now, p_.max_backoff)
                      : time_after(now, backoff_wait(p_.interval, p_.max_backoff, ++failures_, jitter_));
    return {stream_step::wait, not_before_};
}

push_core::stream_action push_core::on_retry_due() {
    if (state_ != state::waiting) return {};
    state_ = state::holding;
    return {stream_step::open, {}};
}

}  // namespace pieces::detail
