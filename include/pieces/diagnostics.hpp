// What went wrong besides the error code: the HTTP status, the endpoint, and the server's own words.
#pragma once

#include <pieces/detail/access.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

namespace pieces {

/// Details of a failed operation, kept apart from the `error_code`.
///
/// `server_message()` is text the server sent: it is untrusted (it may contain anything, including
/// control characters) and is cut to at most `max_server_message` bytes. `client_message()` is written
/// by this library (e.g. the JSON path of a member that failed to decode).
///
/// Thread-safety: a plain value; distinct objects may be used concurrently.
class diagnostics {
public:
    /// The most bytes of server text kept (the rest is cut off).
    static constexpr std::size_t max_server_message = 4096;

    diagnostics() = default;

    /// HTTP status of the reply, 0 when no reply was received.
    int http_status() const noexcept { return status_; }
    /// The endpoint of the operation that failed, e.g. "GET /allocations"; empty after a success.
    const std::string& endpoint() const noexcept { return endpoint_; }
    /// Untrusted: the reply body (excerpt) the server sent with an error status or an unusable 2xx.
    const std::string& server_message() const noexcept { return server_message_; }
    /// Written by this library: what exactly failed.
    const std::string& client_message() const noexcept { return client_message_; }
    /// Attempts made by the retry policy, the first included (1 without retries; 0 when none was begun).
    int attempts() const noexcept { return attempts_; }

    /// Forgets everything (the library clears the caller's diagnostics when an operation starts).
    void clear() { *this = diagnostics{}; }

    friend bool operator==(const diagnostics&, const diagnostics&) = default;

private:
    // Written by the library only (through detail::access).
    friend struct detail::access;
    void set_http_status(int s) noexcept { status_ = s; }
    void set_endpoint(std::string e) { endpoint_ = std::move(e); }
    // Keeps at most `max_server_message` bytes of `text`.
    void set_server_message(std::string_view text) { server_message_.assign(text.substr(0, max_server_message)); }
    void set_client_message(std::string m) { client_message_ = std::move(m); }
    void set_attempts(int n) noexcept { attempts_ = n; }

    int status_ = 0;
    std::string endpoint_;
    std::string server_message_;
    std::string client_message_;
    int attempts_ = 0;
};

}  // namespace pieces
