#include "http/state_blocks.hpp"

namespace pieces::detail {

namespace {

constexpr std::size_t kept_blocks = 4;

struct block_cache {
    void* blocks[kept_blocks] = {};
    std::size_t size = 0;  // one size kept: a request's state (the first size given back)
    std::size_t count = 0;
    block_cache() = default;
    block_cache(const block_cache&) = delete;
    block_cache& operator=(const block_cache&) = delete;
    ~block_cache() {
        while (count > 0) ::operator delete(blocks[--count]);
        gone = true;  // a state destroyed later in this thread's exit (a static client) is freed, not kept
    }
    bool gone = false;
};
thread_local block_cache cache;

}  // namespace

void* take_state_block(std::size_t size) noexcept {
    if (cache.count == 0 || cache.size != size) return nullptr;  // (none kept once `gone`)
    return cache.blocks[--cache.count];
}

bool keep_state_block(void* p, std::size_t size) noexcept {
    if (cache.gone) return false;
    if (cache.count == 0) cache.size = size;
    if (cache.size != size || cache.count == kept_blocks) return false;
    cache.blocks[cache.count++] = p;
    return true;
}

}  // namespace pieces::detail
