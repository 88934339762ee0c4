#include "watch/watch_core.hpp"

namespace pieces {

namespace {
const boost::system::error_code no_error;
const diagnostics no_diagnostics;
const std::vector<allocation_change> no_changes;
const Allocations no_allocations;
}  // namespace

watch_event::watch_event(std::shared_ptr<const detail::watch_snapshot> s,
                         std::shared_ptr<const detail::watch_delta> d) noexcept
    : snapshot_(std::move(s)), delta_(std::move(d)) {}

const boost::system::error_code& watch_event::error() const noexcept { return delta_ ? delta_->error : no_error; }
const diagnostics& watch_event::error_diagnostics() const noexcept { return delta_ ? delta_->diag : no_diagnostics; }
const std::vector<allocation_change>& watch_event::changes() const noexcept {
    return delta_ ? delta_->changes : no_changes;
}
bool watch_event::is_initial() const noexcept { return delta_ && delta_->initial; }
const Allocations& watch_event::snapshot() const noexcept { return snapshot_ ? snapshot_->allocations : no_allocations; }
std::chrono::steady_clock::time_point watch_event::polled_at() const noexcept {
    if (delta_ && delta_->error) return delta_->failed_at;
    return snapshot_ ? snapshot_->polled_at : std::chrono::steady_clock::time_point{};
}

}  // namespace pieces
