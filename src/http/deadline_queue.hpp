// Private: the deadlines of the requests in flight, kept for one timer per client instead of one per I/O
// operation (a timer per operation costs a heap insert and removal in Asio's timer queue each time, which
// grows with the number of connections). Requests with the same timeout arrive in deadline order, so each
// timeout value has its own FIFO list: add and remove are O(1), and the earliest deadline is the earliest of
// the lists' heads (a client has one or a few distinct timeouts). Past `max_lists` distinct timeouts in flight
// (per-call timeouts that differ on every call), the others share the last list, kept in deadline order by
// walking back from its tail: the lists stay few, so `earliest` and `add` do not grow with the requests, and
// trailing empty lists are dropped. Free of I/O, so it is tested on its own.
#pragma once

#include <chrono>
#include <optional>
#include <vector>

namespace pieces::detail {

/// Embedded in what has a deadline (a request).
struct deadline_entry {
    std::chrono::steady_clock::time_point deadline{};
    deadline_entry* prev = nullptr;
    deadline_entry* next = nullptr;
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
        while (i < lists_.size() && lists_[i].timeout != timeout) ++i;
        if (i == lists_.size()) {
            i = 0;
            while (i < lists_.size() && lists_[i].head) ++i;
            if (i == lists_.size() && lists_.size() < max_lists) lists_.push_back({timeout});
            if (i == lists_.size()) i = max_lists - 1;  // shared: mixed timeouts, still in deadline order
            else lists_[i].timeout = timeout;
        }
        list& l = lists_[i];
        // Deadlines are taken on the callers' threads and queued in the strand's order: walk back over the few
        // that may be later.
        deadline_entry* after = l.tail;
        while (after && after->deadline > e.deadline) after = after->prev;
        e.prev = after;
        e.next = after ? after->next : l.head;
        (e.next ? e.next->prev : l.tail) = &e;
        (after ? after->next : l.head) = &e;
        e.list = i;
        e.queued = true;
    }

    /// Unqueues `e` if it is queued.
    void remove(deadline_entry& e) noexcept {
        if (!e.queued) return;
        list& l = lists_[e.list];
        (e.prev ? e.prev->next : l.head) = e.next;
        (e.next ? e.next->prev : l.tail) = e.prev;
        e.prev = e.next = nullptr;
        e.queued = false;
        while (!lists_.empty() && !lists_.back().head) lists_.pop_back();  // entries index only earlier lists
    }

    /// The lists in use (tests).
    std::size_t list_count() const noexcept { return lists_.size(); }

    /// The earliest deadline queued, if any.
    std::optional<time_point> earliest() const noexcept {
        std::optional<time_point> t;
        for (const auto& l : lists_)
            if (l.head && (!t || l.head->deadline < *t)) t = l.head->deadline;
        return t;
    }

    /// Unqueues every entry due at `now` and calls `f(entry)` for each (which may not touch the queue).
    template <class F>
    void expire(time_point now, F&& f) {
        std::vector<deadline_entry*> due;
        for (auto& l : lists_)
            for (deadline_entry* e = l.head; e && e->deadline <= now; e = e->next) due.push_back(e);
        for (deadline_entry* e : due) remove(*e);
        for (deadline_entry* e : due) f(*e);
    }

private:
    struct list {
        std::chrono::milliseconds timeout;
        deadline_entry* head = nullptr;
        deadline_entry* tail = nullptr;
    };
    std::vector<list> lists_;
};

}  // namespace pieces::detail
