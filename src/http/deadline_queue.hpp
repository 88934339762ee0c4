// Private: the deadlines of the requests in flight, kept for one timer per client instead of one per I/O
// operation (a timer per operation costs a heap insert and removal in Asio's timer queue each time, which
// grows with the number of connections). Requests with the same timeout arrive in deadline order, so each
// timeout value has its own FIFO list: add and remove are O(1), and the earliest deadline is the earliest of
// the lists' heads (a client has one or a few distinct timeouts). Past `max_lists` distinct timeouts in flight
// (per-call timeouts that differ on every call), the others share the last list, kept in deadline order by
// walking back from its tail: the lists stay few, so `earliest` and `add` do not grow with the requests, and
// trailing empty lists are dropped. The lists are Boost.Intrusive lists: no allocation per entry. Free of I/O,
// so it is tested on its own.
#pragma once

#include <boost/intrusive/list.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <iterator>
#include <optional>
#include <vector>

namespace pieces::detail {

// normal_link: the queue unlinks what it holds (`remove`), and an entry or a queue may go while still linked
// (no check, no unlink, on destruction).
using deadline_hook_type = boost::intrusive::list_member_hook<boost::intrusive::link_mode<boost::intrusive::normal_link>>;

/// Embedded in what has a deadline (a request).
struct deadline_entry {
    std::chrono::steady_clock::time_point deadline{};
    deadline_hook_type deadline_hook;
    std::size_t list = 0;  // which list it is in
    bool queued = false;
};

class deadline_queue {
public:
    using time_point = std::chrono::steady_clock::time_point;

    /// The most lists kept; the last one is shared by the timeouts beyond.
    static constexpr std::size_t max_lists = 8;

    /// Queues `e` (its `deadline` set) in the list of `timeout`.
    void add(deadline_entry& e, std::chrono::milliseconds timeout) {
        // The list of this timeout, else an empty one taken over, else a new one, else the shared last one.
        std::size_t i = 0;
        while (i < used_ && lists_[i].timeout != timeout) ++i;
        if (i == used_) {
            i = 0;
            while (i < used_ && !lists_[i].entries.empty()) ++i;
            if (i == used_ && used_ < max_lists) lists_[used_++].timeout = timeout;
            if (i == used_) i = max_lists - 1;  // shared: mixed timeouts, still in deadline order
            else lists_[i].timeout = timeout;
        }
        entry_list& l = lists_[i].entries;
        // Deadlines are taken on the callers' threads and queued in the strand's order: walk back over the few
        // that may be later.
        auto before = l.end();
        while (before != l.begin() && std::prev(before)->deadline > e.deadline) --before;
        l.insert(before, e);
        e.list = i;
        e.queued = true;
    }

    /// Unqueues `e` if it is queued.
    void remove(deadline_entry& e) noexcept {
        if (!e.queued) return;
        entry_list& l = lists_[e.list].entries;
        l.erase(l.iterator_to(e));
        e.queued = false;
        while (used_ > 0 && lists_[used_ - 1].entries.empty()) --used_;  // entries index only earlier lists
    }

    /// The lists in use (tests).
    std::size_t list_count() const noexcept { return used_; }

    /// The earliest deadline queued, if any.
    std::optional<time_point> earliest() const noexcept {
        std::optional<time_point> t;
        for (std::size_t i = 0; i < used_; ++i) {
            const entry_list& l = lists_[i].entries;
            if (!l.empty() && (!t || l.front().deadline < *t)) t = l.front().deadline;
        }
        return t;
    }

    /// Unqueues every entry due at `now` and calls `f(entry)` for each (which may not touch the queue).
    template <class F>
    void expire(time_point now, F&& f) {
        std::vector<deadline_entry*> due;
        for (std::size_t i = 0; i < used_; ++i)
            for (deadline_entry& e : lists_[i].entries) {
                if (e.deadline > now) break;
                due.push_back(&e);
            }
        for (deadline_entry* e : due) remove(*e);
        for (deadline_entry* e : due) f(*e);
    }

private:
    using entry_list = boost::intrusive::list<
        deadline_entry,
        boost::intrusive::member_hook<deadline_entry, deadline_hook_type, &deadline_entry::deadline_hook>,
        boost::intrusive::constant_time_size<false>>;
    struct timeout_list {
        std::chrono::milliseconds timeout{};
        entry_list entries;
    };
    // Fixed: a list is never moved (its header is linked to by its entries), and none is allocated.
    std::array<timeout_list, max_lists> lists_;
    std::size_t used_ = 0;
};

}  // namespace pieces::detail
