// The eight endpoints: request building, status mapping, decoding, and completion with `(error_code, T)`; one
// compiled entry each, for every completion token (with_diagnostics included: it reads the diagnostics written).
#include "http/transport.hpp"
#include "http/body_buffers.hpp"
#include "http/retry_schedule.hpp"

#include <pieces/detail/access.hpp>
#include <pieces/detail/async_ops.hpp>
#include <pieces/error.hpp>
#include <pieces/models/json.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
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
    if (diag) access::set_client_message(*diag, ec ? "(root): not valid JSON: " + ec.message() : "(root): expected a string");
    return errc::invalid_response;
}

// Every operation starts its caller's diagnostics afresh; a failure names the endpoint (set then only, so that
// a success costs no string).
void start_diagnostics(diagnostics* diag) {
    if (diag) diag->clear();
}

// Completes at once with `ec` on the handler's own executor, on which it holds outstanding work from now until
// the handler has run.
template <class T>
void fail_now(const client_ptr& impl, const char* endpoint, error_code ec, diagnostics* diag, std::string why,
              handler_of<T> handler) {
    start_diagnostics(diag);
    auto ex = asio::get_associated_executor(handler, impl->completions.default_executor());
    auto work = impl->completions.work_for(handler);
    impl->completions.post(std::move(ex), [h = std::move(handler), ec, work = std::move(work), diag, endpoint,
                                          why = std::move(why)]() mutable {
        if (diag) {
            access::set_endpoint(*diag, endpoint);
            access::set_client_message(*diag, std::move(why));
        }
        std::move(h)(ec, T{});
    });
}

// `diag` is the caller's, those of a with_diagnostics handler (inside `handler`: written before it is called,
// never after), or none.
template <class T>
void call(client_ptr impl, const char* endpoint, http_request req, call_options opts, handler_of<T> handler) {
    diagnostics* diag = opts.diag;
    if (opts.timeout && opts.timeout->count() <= 0)
        return fail_now<T>(impl, endpoint, errc::invalid_argument, diag, "call_options::timeout must be > 0",
                           std::move(handler));
    if (opts.retry) {
        if (const char* why = retry_policy_problem(*opts.retry))
            return fail_now<T>(impl, endpoint, errc::invalid_argument, diag, std::string("call_options::") + why,
                               std::move(handler));
    }
    start_diagnostics(diag);
    const auto timeout = opts.timeout.value_or(impl->config().request_timeout);
    const retry_policy& retry = opts.retry ? *opts.retry : impl->config().retry;
    auto slot = asio::get_associated_cancellation_slot(handler);
    auto ex = asio::get_associated_executor(handler, impl->completions.default_executor());
    auto on_reply = [h = std::move(handler), diag, endpoint](error_code ec, http_response res) mutable {
        if (diag) access::set_attempts(*diag, static_cast<int>(res.attempts));
        T out{};
        if (!ec) {
            if (diag) access::set_http_status(*diag, static_cast<int>(res.status));
            ec = map_status(res.status);
            if (!ec) ec = decode(res, out, diag);
            if (ec && diag) access::set_server_message(*diag, res.body);
        } else if (diag && !res.error_detail.empty()) {
            access::set_client_message(*diag, std::move(res.error_detail));
        }
        if (ec && diag) access::set_endpoint(*diag, endpoint);
        give_back_body_buffer(std::move(res.body));
        std::move(h)(ec, std::move(out));
    };
    impl->async_send(std::move(req), timeout, retry,
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

// The compiled entry points: one per operation.
void async_connect_new_cloud(client_ptr impl, std::optional<UserProfile> p, call_options o, handler_of<AllocationCloud> h) {
    call<AllocationCloud>(std::move(impl), "POST /allocations/connect", post("/allocations/connect", p, accept_json), o,
                          std::move(h));
}
void async_create_new_allocation(client_ptr impl, std::optional<AllocationCloud> c, call_options o,
                                 handler_of<AllocationCloud> h) {
    call<AllocationCloud>(std::move(impl), "POST /allocations/create", post("/allocations/create", c, accept_json), o,
                          std::move(h));
}
void async_delete_allocation(client_ptr impl, std::optional<AllocationCloud> c, call_options o, handler_of<std::string> h) {
    call<std::string>(std::move(impl), "POST /allocations/delete", post("/allocations/delete", c, accept_text), o,
                      std::move(h));
}
void async_disconnect_cloud(client_ptr impl, std::optional<AllocationCloud> c, call_options o, handler_of<std::string> h) {
    call<std::string>(std::move(impl), "POST /allocations/disconnect", post("/allocations/disconnect", c, accept_text), o,
                      std::move(h));
}
void async_reconnect_cloud(client_ptr impl, std::optional<AllocationCloud> c, call_options o, handler_of<AllocationCloud> h) {
    call<AllocationCloud>(std::move(impl), "POST /allocations/reconnect", post("/allocations/reconnect", c, accept_json), o,
                          std::move(h));
}
void async_allocations_snapshot(client_ptr impl, call_options o, handler_of<Allocations> h) {
    http_request r;
    r.target = "/allocations";
    call<Allocations>(std::move(impl), "GET /allocations", std::move(r), o, std::move(h));
}
void async_allocation_snapshot(client_ptr impl, std::string id, call_options o, handler_of<AllocationCloud> h) {
    constexpr const char* endpoint = "GET /allocation/{allocation}";
    if (id.empty())
        return fail_now<AllocationCloud>(impl, endpoint, errc::invalid_argument, o.diag, "allocation id is empty",
                                         std::move(h));
    http_request r;
    r.target = "/allocation/" + encode_segment(id);
    call<AllocationCloud>(std::move(impl), endpoint, std::move(r), o, std::move(h));
}
void async_allocation_update(client_ptr impl, std::optional<AllocationCloud> c, call_options o, handler_of<AllocationCloud> h) {
    call<AllocationCloud>(std::move(impl), "POST /allocation/update", post("/allocation/update", c, accept_json), o,
                          std::move(h));
}

}  // namespace pieces::detail
