// The eight endpoints: request building, status mapping, decoding, and the awaitable (throwing) forms.
#include "client_impl.hpp"

#include <pieces/allocation_api.hpp>
#include <pieces/allocations_api.hpp>
#include <pieces/error.hpp>
#include <pieces/error_with_diagnostics.hpp>
#include <pieces/models/json.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

namespace pieces::detail {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;

error_code map_status(unsigned status) {
    if (status >= 200 && status < 300) return {};
    switch (status) {
    case 410: return errc::cloud_not_found;
    case 500: return errc::internal_server_error;
    case 504: return errc::gateway_timeout;
    default: return errc::unexpected_status;
    }
}

template <model T>
error_code decode(const http_response& res, T& out, diagnostics* diag) {
    auto r = try_from_json<T>(res.body, diag);
    if (!r) return r.error();
    out = std::move(*r);
    return {};
}

// String results: a JSON string literal when the reply says it is JSON, raw text otherwise.
error_code decode(const http_response& res, std::string& out, diagnostics* diag) {
    if (!res.json_content) {
        out = res.body;
        return {};
    }
    error_code ec;
    const auto jv = boost::json::parse(res.body, ec);
    if (!ec && jv.is_string()) {
        out.assign(jv.get_string().data(), jv.get_string().size());
        return {};
    }
    if (diag) diag->set_client_message(ec ? "(root): not valid JSON: " + ec.message() : "(root): expected a string");
    return errc::invalid_response;
}

// Every operation starts its caller's diagnostics afresh; a failure names the endpoint (set then only, so that
// a success costs no string).
void start_diagnostics(diagnostics* diag) {
    if (diag) diag->clear();
}

// Completes at once with `ec`: never inside the initiating call (posted through the client's strand, whose
// executor can promise not to block), then on the handler's own executor, on which it holds outstanding
// work from now until the handler has run.
template <class T>
void fail_now(const client_ptr& impl, const char* endpoint, error_code ec, diagnostics* diag, std::string why,
              handler_of<T> handler) {
    start_diagnostics(diag);
    if (diag) {
        diag->set_endpoint(endpoint);
        diag->set_client_message(std::move(why));
    }
    auto work = asio::prefer(asio::get_associated_executor(handler, impl->completion_executor),
                             asio::execution::outstanding_work.tracked);
    asio::post(impl->strand, [h = std::move(handler), ec, work = std::move(work)]() mutable {
        asio::dispatch(work, [h = std::move(h), ec]() mutable { std::move(h)(ec, T{}); });
    });
}

template <class T>
void call(client_ptr impl, const char* endpoint, http_request req, call_options opts, handler_of<T> handler) {
    diagnostics* diag = opts.diag;
    if (opts.timeout && opts.timeout->count() <= 0)
        return fail_now(impl, endpoint, errc::invalid_argument, diag, "call_options::timeout must be > 0",
                        std::move(handler));
    start_diagnostics(diag);
    const auto timeout = opts.timeout.value_or(impl->config().request_timeout);
    auto slot = asio::get_associated_cancellation_slot(handler);
    auto ex = asio::get_associated_executor(handler, impl->completion_executor);
    auto on_reply = [h = std::move(handler), diag, endpoint](error_code ec, http_response res) mutable {
        T out{};
        if (!ec) {
            if (diag) diag->set_http_status(static_cast<int>(res.status));
            ec = map_status(res.status);
            if (!ec) ec = decode(res, out, diag);
            if (ec && diag) diag->set_server_message(res.body);
        } else if (diag && !res.error_detail.empty()) {
            diag->set_client_message(std::move(res.error_detail));
        }
        if (ec && diag) diag->set_endpoint(endpoint);
        std::move(h)(ec, std::move(out));
    };
    impl->async_send(std::move(req), timeout,
                     asio::bind_cancellation_slot(slot, asio::bind_executor(ex, std::move(on_reply))));
}

template <class Model>
http_request post(const char* target, const std::optional<Model>& body, const char* accept) {
    http_request r;
    r.method = http_method::post;
    r.target = target;
    r.accept = accept;
    if (body) {
        r.body = to_json(*body);
        r.has_body = true;
    }
    return r;
}

constexpr const char* accept_json = "application/json, text/plain";
constexpr const char* accept_text = "text/plain";

// One path segment: everything outside RFC 3986 "unreserved" is percent-encoded, so `/`, `%`, spaces,
// CR/LF and non-ASCII reach the server as part of the id. "." and ".." are encoded too, or they would be
// dot segments.
std::string encode_segment(std::string_view id) {
    if (id == "." || id == "..") {
        std::string s;
        for (std::size_t i = 0; i < id.size(); ++i) s += "%2E";
        return s;
    }
    return boost::urls::encode(id, boost::urls::unreserved_chars);
}

}  // namespace

void async_connect_new_cloud(client_ptr impl, std::optional<UserProfile> p, call_options o, handler_of<AllocationCloud> h) {
    call(std::move(impl), "POST /allocations/connect", post("/allocations/connect", p, accept_json), o, std::move(h));
}
void async_create_new_allocation(client_ptr impl, std::optional<AllocationCloud> c, call_options o,
                                 handler_of<AllocationCloud> h) {
    call(std::move(impl), "POST /allocations/create", post("/allocations/create", c, accept_json), o, std::move(h));
}
void async_delete_allocation(client_ptr impl, std::optional<AllocationCloud> c, call_options o, handler_of<std::string> h) {
    call(std::move(impl), "POST /allocations/delete", post("/allocations/delete", c, accept_text), o, std::move(h));
}
void async_disconnect_cloud(client_ptr impl, std::optional<AllocationCloud> c, call_options o, handler_of<std::string> h) {
    call(std::move(impl), "POST /allocations/disconnect", post("/allocations/disconnect", c, accept_text), o,
         std::move(h));
}
void async_reconnect_cloud(client_ptr impl, std::optional<AllocationCloud> c, call_options o, handler_of<AllocationCloud> h) {
    call(std::move(impl), "POST /allocations/reconnect", post("/allocations/reconnect", c, accept_json), o,
         std::move(h));
}
void async_allocations_snapshot(client_ptr impl, call_options o, handler_of<Allocations> h) {
    http_request r;
    r.target = "/allocations";
    call(std::move(impl), "GET /allocations", std::move(r), o, std::move(h));
}
void async_allocation_snapshot(client_ptr impl, std::string id, call_options o, handler_of<AllocationCloud> h) {
    constexpr const char* endpoint = "GET /allocation/{allocation}";
    if (id.empty())
        return fail_now(impl, endpoint, errc::invalid_argument, o.diag, "allocation id is empty", std::move(h));
    http_request r;
    r.target = "/allocation/" + encode_segment(id);
    call(std::move(impl), endpoint, std::move(r), o, std::move(h));
}
void async_allocation_update(client_ptr impl, std::optional<AllocationCloud> c, call_options o, handler_of<AllocationCloud> h) {
    call(std::move(impl), "POST /allocation/update", post("/allocation/update", c, accept_json), o, std::move(h));
}

namespace {

// The awaitable form: the token form with as_tuple, throwing error_with_diagnostics on failure.
// The diagnostics live in this coroutine's frame, which outlives the operation.
template <class T, class Start>
asio::awaitable<T> throwing(call_options opts, Start start) {
    diagnostics diag;
    diagnostics* user_diag = opts.diag;
    opts.diag = &diag;
    auto [ec, result] = co_await start(opts, asio::as_tuple(asio::use_awaitable));
    if (user_diag) *user_diag = diag;
    if (ec) throw error_with_diagnostics(ec, std::move(diag));
    co_return std::move(result);
}

}  // namespace
}  // namespace pieces::detail

namespace pieces {

namespace asio = boost::asio;
using detail::throwing;

asio::awaitable<AllocationCloud> allocations_api::allocations_connect_new_cloud(std::optional<UserProfile> p,
                                                                                call_options o) const {
    return throwing<AllocationCloud>(o, [self = *this, p = std::move(p)](call_options opts, auto token) {
        return self.allocations_connect_new_cloud(p, opts, token);
    });
}
asio::awaitable<AllocationCloud> allocations_api::allocations_create_new_allocation(std::optional<AllocationCloud> c,
                                                                                    call_options o) const {
    return throwing<AllocationCloud>(o, [self = *this, c = std::move(c)](call_options opts, auto token) {
        return self.allocations_create_new_allocation(c, opts, token);
    });
}
asio::awaitable<std::string> allocations_api::allocations_delete_allocation(std::optional<AllocationCloud> c,
                                                                            call_options o) const {
    return throwing<std::string>(o, [self = *this, c = std::move(c)](call_options opts, auto token) {
        return self.allocations_delete_allocation(c, opts, token);
    });
}
asio::awaitable<std::string> allocations_api::allocations_disconnect_cloud(std::optional<AllocationCloud> c,
                                                                           call_options o) const {
    return throwing<std::string>(o, [self = *this, c = std::move(c)](call_options opts, auto token) {
        return self.allocations_disconnect_cloud(c, opts, token);
    });
}
asio::awaitable<AllocationCloud> allocations_api::allocations_reconnect_cloud(std::optional<AllocationCloud> c,
                                                                              call_options o) const {
    return throwing<AllocationCloud>(o, [self = *this, c = std::move(c)](call_options opts, auto token) {
        return self.allocations_reconnect_cloud(c, opts, token);
    });
}
asio::awaitable<Allocations> allocations_api::allocations_snapshot(call_options o) const {
    return throwing<Allocations>(
        o, [self = *this](call_options opts, auto token) { return self.allocations_snapshot(opts, token); });
}
asio::awaitable<AllocationCloud> allocation_api::allocation_snapshot(std::string_view id, call_options o) const {
    return throwing<AllocationCloud>(o, [self = *this, id = std::string(id)](call_options opts, auto token) {
        return self.allocation_snapshot(id, opts, token);
    });
}
asio::awaitable<AllocationCloud> allocation_api::allocation_update(std::optional<AllocationCloud> c,
                                                                   call_options o) const {
    return throwing<AllocationCloud>(o, [self = *this, c = std::move(c)](call_options opts, auto token) {
        return self.allocation_update(c, opts, token);
    });
}

}  // namespace pieces
