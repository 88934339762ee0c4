// The floor: the client a user would write by hand with Beast for the same job, without this library: one
// coroutine per connection looping GET /allocations on a beast::tcp_stream, http::response<string_body> read
// with a 16 KiB reserved buffer, boost::json::parse into a DOM; no pool, no deadlines, no typed models.
#pragma once

#include <boost/asio/io_context.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace bench {

class floor_client {
public:
    /// `connections` connections to `url` (`http://host:port`), opened by the first poll.
    floor_client(boost::asio::io_context& ioc, const std::string& url, std::size_t connections);
    ~floor_client();

    /// Every connection loops requests until `total` were issued; runs `ioc` until all are done. Latencies in
    /// microseconds when `latencies` is given; `clouds` counts the clouds of every reply decoded.
    void poll(std::size_t total, std::vector<std::uint32_t>* latencies, std::uint64_t& errors, std::size_t& clouds);

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace bench
