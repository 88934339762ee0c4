#include "floor_client.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <optional>

namespace bench {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct floor_client::impl {
    struct connection {
        explicit connection(asio::io_context& ioc) : stream(ioc) { buffer.reserve(16 * 1024); }
        beast::tcp_stream stream;
        beast::flat_buffer buffer;
        bool open = false;
    };

    impl(asio::io_context& ioc, const std::string& url, std::size_t n) : ioc(ioc) {
        // http://host:port
        const auto hostport = url.substr(url.find("//") + 2);
        const auto colon = hostport.rfind(':');
        host = hostport;
        endpoint = tcp::endpoint(asio::ip::make_address(hostport.substr(0, colon)),
                                 static_cast<unsigned short>(std::stoul(hostport.substr(colon + 1))));
        for (std::size_t i = 0; i < n; ++i) connections.push_back(std::make_unique<connection>(ioc));
    }

    asio::awaitable<void> loop(connection& c, std::size_t total, std::vector<std::uint32_t>* latencies,
                               std::uint64_t& errors, std::size_t& clouds) {
        http::request<http::empty_body> req{http::verb::get, "/allocations", 11};
        req.set(http::field::host, host);
        req.set(http::field::user_agent, "floor/1");
        req.set(http::field::accept, "application/json, text/plain");
        while (issued < total) {
            ++issued;
            const auto t0 = std::chrono::steady_clock::now();
            try {
                if (!c.open) {
                    co_await c.stream.async_connect(endpoint, asio::use_awaitable);
                    c.stream.socket().set_option(tcp::no_delay(true));
                    c.open = true;
                }
                co_await http::async_write(c.stream, req, asio::use_awaitable);
                http::response<http::string_body> res;
                co_await http::async_read(c.stream, c.buffer, res, asio::use_awaitable);
                clouds += boost::json::parse(res.body()).at("iterable").as_array().size();
            } catch (const std::exception&) {
                ++errors;
                c.stream.close();
                c.open = false;
            }
            if (latencies)
                latencies->push_back(static_cast<std::uint32_t>(
                    std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0).count()));
        }
    }

    asio::io_context& ioc;
    std::string host;
    tcp::endpoint endpoint;
    std::vector<std::unique_ptr<connection>> connections;
    std::size_t issued = 0;
};

floor_client::floor_client(asio::io_context& ioc, const std::string& url, std::size_t connections)
    : impl_(std::make_unique<impl>(ioc, url, connections)) {}

floor_client::~floor_client() = default;

void floor_client::poll(std::size_t total, std::vector<std::uint32_t>* latencies, std::uint64_t& errors,
                        std::size_t& clouds) {
    impl_->issued = 0;
    std::size_t finished = 0;
    for (auto& c : impl_->connections)
        asio::co_spawn(impl_->ioc, impl_->loop(*c, total, latencies, errors, clouds), [&](std::exception_ptr) { ++finished; });
    impl_->ioc.restart();
    while (finished < impl_->connections.size()) impl_->ioc.run_one();
}

}  // namespace bench
