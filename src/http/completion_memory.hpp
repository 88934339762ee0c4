// Private: memory for the one posted completion of a request, kept inside the request's state.
// At many connections many completions wait in the queue at once, more than Asio's per-thread cache of recycled
// blocks (two) holds, so each would cost a malloc and a free. Asio frees a handler's memory before calling it
// (while the completion still owns the state), so the block is always free again before the next request.
#pragma once

#include <cstddef>
#include <memory>

namespace pieces::detail {

struct completion_memory {
    alignas(std::max_align_t) unsigned char bytes[160];
    bool in_use = false;
};

/// Takes its block from a completion_memory when that is free and large enough, else from the heap.
template <class T>
class completion_allocator {
public:
    using value_type = T;

    explicit completion_allocator(completion_memory& m) noexcept : memory_(&m) {}
    template <class U>
    completion_allocator(const completion_allocator<U>& other) noexcept : memory_(other.memory()) {}

    T* allocate(std::size_t n) {
        if (!memory_->in_use && n * sizeof(T) <= sizeof(memory_->bytes) && alignof(T) <= alignof(std::max_align_t)) {
            memory_->in_use = true;
            return reinterpret_cast<T*>(memory_->bytes);
        }
        return std::allocator<T>().allocate(n);
    }
    void deallocate(T* p, std::size_t n) noexcept {
        if (static_cast<void*>(p) == static_cast<void*>(memory_->bytes)) {
            memory_->in_use = false;
            return;
        }
        std::allocator<T>().deallocate(p, n);
    }

    completion_memory* memory() const noexcept { return memory_; }

    template <class U>
    bool operator==(const completion_allocator<U>& other) const noexcept {
        return memory_ == other.memory();
    }

private:
    completion_memory* memory_;
};

}  // namespace pieces::detail
