// Private: the connection pool's bookkeeping, free of I/O so it is tested on its own.
// Slots: every connection that is idle, leased, or being opened holds one; at most `max` exist.
// Waiters are served in FIFO order; an idle connection is reused most-recently-used first.
#pragma once

#include <algorithm>
#include <cstddef>
#include <deque>
#include <utility>
#include <vector>

namespace pieces::detail {

template <class ConnPtr>
class pool_state {
public:
    /// A request waiting for a connection; owned by the request, linked here while it waits.
    struct waiter {
        ConnPtr granted{};          // a connection handed over by release()
        bool slot_granted = false;  // or the right to open a new one
        bool is_granted() const noexcept { return slot_granted || static_cast<bool>(granted); }
    };

    enum class outcome { got_idle, may_open, must_wait };

    explicit pool_state(std::size_t max_slots) : max_(max_slots) {}

    /// Takes an idle connection into `out` (got_idle), or a slot to open one (may_open), or neither.
    /// Only the connection about to be reused is asked `expired(conn)` (it may cost a system call): one for
    /// which it holds is passed to `discard`, its slot freed, and the next most recently used is asked.
    /// `want_fresh` (a retry after a stale connection): no idle connection is reused, and when the pool is
    /// full the least recently used idle one is discarded to make room.
    template <class Expired, class Discard>
    outcome acquire(ConnPtr& out, bool want_fresh, Expired&& expired, Discard&& discard) {
        while (!want_fresh && !idle_.empty()) {
            ConnPtr c = take_mru();
            if (!expired(c)) {
                out = std::move(c);
                return outcome::got_idle;
            }
            discard(std::move(c));
            --open_;
        }
        if (want_fresh && open_ >= max_ && !idle_.empty()) {
            discard(take_lru());
            --open_;
        }
        if (open_ < max_ && waiters_.empty()) {
            ++open_;
            return outcome::may_open;
        }
        return outcome::must_wait;
    }

    /// Makes the idle connection for which `is_it(conn)` holds (if any) the most recently used, the next one
    /// acquire() takes: a request takes again the connection its maker's request gave back, though others went
    /// idle after it.
    template <class Pred>
    void make_most_recent(Pred&& is_it) {
        for (auto it = idle_.end(); it != idle_.begin();) {
            --it;
            if (is_it(*it)) {
                std::rotate(it, it + 1, idle_.end());
                return;
            }
        }
    }

    /// Calls `f(conn)` for each idle connection.
    template <class F>
    void for_each_idle(F&& f) {
        for (auto& c : idle_) f(c);
    }

    /// Discards the idle connection for which `is_it(conn)` holds, if any, and frees its slot. Returns the waiter
    /// the slot went to (the caller wakes it), or nullptr.
    template <class Pred, class Discard>
    waiter* discard_idle_if(Pred&& is_it, Discard&& discard) {
        for (auto it = idle_.begin(); it != idle_.end(); ++it) {
            if (!is_it(*it)) continue;
            ConnPtr c = std::move(*it);
            idle_.erase(it);
            discard(std::move(c));
            return release_slot();
        }
        return nullptr;
    }

    /// Discards idle connections from the least recently used end while `expired(conn)` holds.
    template <class Expired, class Discard>
    void discard_oldest_while(Expired&& expired, Discard&& discard) {
        while (!idle_.empty() && expired(idle_.front())) {
            discard(take_lru());
            --open_;
        }
    }

    void enqueue(waiter* w) { waiters_.push_back(w); }

    /// Unlinks a waiter that gave up (timeout or cancellation) before being granted.
    void remove(waiter* w) {
        for (auto it = waiters_.begin(); it != waiters_.end(); ++it)
            if (*it == w) {
                waiters_.erase(it);
                return;
            }
    }

    /// Returns a leased connection. A reusable one goes to the first waiter, else to the idle list;
    /// a broken one is passed to `discard` and its slot goes to the first waiter.
    /// Returns the waiter that was granted something (the caller wakes it), or nullptr.
    template <class Discard>
    waiter* release(ConnPtr c, bool reusable, Discard&& discard) {
        if (!reusable) {
            discard(std::move(c));
            return release_slot();
        }
        if (waiters_.empty()) {
            idle_.push_back(std::move(c));
            return nullptr;
        }
        waiter* w = waiters_.front();
        waiters_.pop_front();
        w->granted = std::move(c);
        return w;
    }

    /// Gives back a slot that holds no connection (an open failed, or a granted slot went unused).
    waiter* release_slot() {
        if (waiters_.empty()) {
            --open_;
            return nullptr;
        }
        waiter* w = waiters_.front();
        waiters_.pop_front();
        w->slot_granted = true;  // the slot passes on: open_ unchanged
        return w;
    }

    /// Removes and returns every idle connection (shutdown, cancel); their slots are freed.
    std::vector<ConnPtr> take_all_idle() {
        open_ -= idle_.size();
        return std::exchange(idle_, {});
    }

    std::size_t open() const noexcept { return open_; }
    std::size_t idle() const noexcept { return idle_.size(); }

private:
    ConnPtr take_mru() {
        ConnPtr c = std::move(idle_.back());
        idle_.pop_back();
        return c;
    }
    ConnPtr take_lru() {
        ConnPtr c = std::move(idle_.front());
        idle_.erase(idle_.begin());
        return c;
    }

    std::size_t max_;
    std::size_t open_ = 0;
    std::vector<ConnPtr> idle_;  // back = most recently used
    std::deque<waiter*> waiters_;
};

}  // namespace pieces::detail
