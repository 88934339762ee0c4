#include "http/body_buffers.hpp"

namespace pieces::detail {

namespace {

constexpr std::size_t kept_buffers = 4;
// A 200-cloud snapshot (~100 KB) and the room its connection reads past the buffer: kept, or each such reply
// costs the heap a grow and a trim (brk) besides the allocation.
constexpr std::size_t largest_kept = 256 * 1024;

struct body_cache {
    std::string buffers[kept_buffers];
    std::size_t count = 0;
};
thread_local body_cache cache;

}  // namespace

std::string take_body_buffer() noexcept {
    if (cache.count == 0) return {};
    return std::move(cache.buffers[--cache.count]);
}

void give_back_body_buffer(std::string&& body) noexcept {
    if (cache.count == kept_buffers || body.capacity() > largest_kept || body.capacity() < smallest_kept_body) return;
    body.clear();
    cache.buffers[cache.count++] = std::move(body);
}

}  // namespace pieces::detail
