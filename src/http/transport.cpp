// The client's shared state: its strand, pool, counters and name lookup. Requests are driven in http/request_driver.cpp
// (with async_send and cancel_all), their deadline timer is in http/deadline_timer.cpp.
#include "http/transport.hpp"
#include "util/completion_executor.hpp"

#include "http/connection.hpp"
#include "http/request_text.hpp"
#include "http/tls_context.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

namespace pieces::detail {

namespace asio = boost::asio;

transport::transport(asio::any_io_executor ex, client_config cfg, base_url url, std::unique_ptr<tls_context> t)
    : completions(ex),
      strand(make_strand_for(ex)),
      pool(cfg.pool.max_connections),
      resolver(strand),
      deadline_timer(strand),
      common_fields(common_request_fields(cfg, url)),
      tls(std::move(t)),
      executor_(std::move(ex)),
      config_(std::move(cfg)),
      url_(std::move(url)) {}

transport::~transport() {
    for (auto& c : pool.take_all_idle()) close_connection(*this, *c);
}

void transport::resolve(const std::string& host, const std::string& service, resolve_handler handler) {
    if (resolve_override) return resolve_override(host, service, std::move(handler));
    resolver.async_resolve(host, service, std::move(handler));
}

void transport::hold_idle_watch(bool hold) {
    asio::post(strand, [self = shared_from_this(), hold] {
        if (hold) {
            if (self->idle_watch_holds++ == 0) watch_idle_connections(*self);
        } else if (--self->idle_watch_holds == 0) {
            unwatch_idle_connections(*self);
        }
    });
}

void transport::shutdown() {
    closed = true;
    cancel_all();
}

pool_stats transport::stats() const noexcept {
    pool_stats s;
    s.connections_opened = connections_opened;
    s.reuses = reuses;
    s.connections_closed = connections_closed;
    s.resends = resends;
    s.retries = retries;
    s.connections_open = connections_open;
    s.requests_in_flight = requests_in_flight;
    s.requests_waiting = requests_waiting;
    return s;
}

}  // namespace pieces::detail
