// Private: reply bodies are read into strings recycled on the thread (as Asio recycles handler memory), so that
// polling does not allocate a body per reply: one given back after decoding is the next reply's.
#pragma once

#include <cstddef>
#include <string>
#include <utility>

namespace pieces::detail {

/// Smaller capacities are not worth keeping (nor worth swapping for a kept one).
inline constexpr std::size_t smallest_kept_body = 64;

/// A string for a reply body: empty, with the capacity of one given back earlier on this thread if any.
std::string take_body_buffer() noexcept;

/// Keeps `body`'s memory for the next reply read on this thread (a few at most, and none beyond 256 KiB).
void give_back_body_buffer(std::string&& body) noexcept;

}  // namespace pieces::detail
