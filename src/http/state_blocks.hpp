// Private: the memory of requests' states, recycled on the thread (as Asio recycles handler memory). A request's
// state is larger than the blocks Asio's recycling allocator keeps (1 KiB), so without this each request would
// cost a malloc and a free of a block too large for the C library's per-thread caches. A poller's next request
// is made after its last one's state was let go (request_driver.cpp), so one kept block serves it.
#pragma once

#include <cstddef>
#include <memory>
#include <new>

namespace pieces::detail {

/// A block of exactly `size` bytes given back earlier on this thread, or null.
void* take_state_block(std::size_t size) noexcept;

/// Keeps `p` (`size` bytes, from `::operator new(size)`) for the next request made on this thread; false when
/// enough are kept already (the caller frees it).
bool keep_state_block(void* p, std::size_t size) noexcept;

/// An allocator for a request's state (through std::allocate_shared).
template <class T>
struct state_allocator {
    using value_type = T;
    state_allocator() = default;
    template <class U>
    state_allocator(const state_allocator<U>&) noexcept {}

    // Only single objects of ordinary alignment are recycled: those std::allocator takes from ::operator new.
    static constexpr bool recycled = alignof(T) <= __STDCPP_DEFAULT_NEW_ALIGNMENT__;

    T* allocate(std::size_t n) {
        if (recycled && n == 1)
            if (void* p = take_state_block(sizeof(T))) return static_cast<T*>(p);
        return std::allocator<T>().allocate(n);
    }
    void deallocate(T* p, std::size_t n) noexcept {
        if (recycled && n == 1 && keep_state_block(p, sizeof(T))) return;
        std::allocator<T>().deallocate(p, n);
    }
    template <class U>
    bool operator==(const state_allocator<U>&) const noexcept {
        return true;
    }
};

}  // namespace pieces::detail
