// A faithful, stateful Pieces OS for tests, examples and benchmarks: a real HTTP/1.1 server on loopback
// that serves the eight Allocations endpoints, with fault injection per endpoint.
#pragma once

#include <pieces/models/allocations.hpp>
#include <pieces/models/user_profile.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pieces::testing {

/// The endpoints the emulator serves.
enum class endpoint {
    connect,              ///< POST /allocations/connect
    create,               ///< POST /allocations/create
    delete_allocation,    ///< POST /allocations/delete
    disconnect,           ///< POST /allocations/disconnect
    reconnect,            ///< POST /allocations/reconnect
    snapshot,             ///< GET /allocations
    allocation_snapshot,  ///< GET /allocation/{id}
    update,               ///< POST /allocation/update
    health,               ///< GET /.well-known/health
    version,              ///< GET /.well-known/version
    /// GET /user/stream, a WebSocket (see "the user stream" below). Its faults: `status` refuses the upgrade with
    /// that status (and `body`), `latency` stalls it (the upgrade request read, nothing answered for that long),
    /// `close = before_reply` closes the connection unanswered.
    user_stream,
};
inline constexpr std::size_t endpoint_count = 11;

/// "snapshot", "allocation_snapshot", ... (the enumerator names).
std::string_view to_string(endpoint e) noexcept;
std::optional<endpoint> endpoint_from_string(std::string_view s) noexcept;

/// What to do wrong when answering an endpoint.
struct fault {
    /// Where the connection is closed: not at all, before any reply byte, after the headers, mid-body.
    enum class close_mode { none, before_reply, after_headers, mid_body };
    /// The JSON of a 200 reply: as it should be, not JSON at all, or JSON of the wrong shape.
    enum class body_mode { normal, malformed_json, wrong_type };

    std::chrono::milliseconds latency{0};  ///< wait before answering
    int status = 0;                        ///< force this status (e.g. 410, 500, 504) ...
    std::string body;                      ///< ... with this text/plain body
    close_mode close = close_mode::none;   ///< close the connection instead of (part of) the reply
    body_mode payload = body_mode::normal; ///< a 200 whose JSON is broken or wrongly typed
    bool connection_close = false;         ///< answer with `Connection: close`, then close
    /// Answer as if keeping the connection alive, then close it (a server whose keep-alive ran out just then).
    bool close_after_reply = false;
    bool chunked = false;                  ///< `Transfer-Encoding: chunked`
    /// With `chunked`: trailer fields after the last chunk (e.g. `{"Content-Type", "text/html"}`).
    std::vector<std::pair<std::string, std::string>> trailers;
    std::size_t close_after_requests = 0;  ///< close each connection after N replies (nginx keepalive_requests)
    std::chrono::milliseconds trickle_interval{0};  ///< send the reply `trickle_bytes` at a time, this far apart
    std::size_t trickle_bytes = 1;         ///< bytes per trickled write
    std::optional<std::string> raw_reply;  ///< send these bytes verbatim instead of a reply, then close
    /// Extra header fields of the reply (e.g. `{"Keep-Alive", "timeout=5"}`).
    std::vector<std::pair<std::string, std::string>> headers;
    /// Sent right after the reply, in the same write, on a connection kept open: bytes nobody asked for
    /// (e.g. a second, unrequested reply).
    std::string trailing_bytes;
    /// With `trailing_bytes`: the reply's body (JSON) is padded with spaces so that the reply takes exactly this many
    /// bytes on the wire (the HTTP message; over TLS its records), and over TLS the trailing bytes are records of
    /// their own, sent in the same socket write. 0: no padding. Ignored with `chunked`, a trickle or a `close` mode.
    /// Over TLS (1.3 assumed) the session ends after this reply. A size that cannot be met: nothing is written and
    /// the connection is closed (the emulator says why on stderr).
    std::size_t wire_size = 0;
    int times = -1;                        ///< requests this applies to; -1 until cleared
};

/// Where and how the emulator listens.
struct emulator_options {
    std::string address = "127.0.0.1";  ///< the address to listen on (loopback by default)
    unsigned short port = 0;   ///< 0: an ephemeral port
    bool cloud_mode = false;   ///< serve create/delete (a local Pieces OS answers them with 500)
    /// Serve HTTPS with this certificate (PEM, the chain after it) and `tls_private_key_file`; "" for plain HTTP.
    std::string tls_certificate_file{};
    std::string tls_private_key_file{};  ///< the certificate's private key (PEM)
    /// With TLS: require a client certificate issued by a CA of this PEM file ("" asks for none).
    std::string tls_client_ca_file{};
};

/// What the server does wrong in the TLS handshake (the endpoint is not known yet then).
enum class handshake_fault {
    none,   ///< complete it
    stall,  ///< read the client's first bytes, then send nothing (until the client closes)
    close,  ///< read the client's first bytes, then close the connection
};

/// Thread-safety: every member function may be called from any thread while the server runs, and the
/// server may run on a multi-threaded `io_context`.
/// Object lifetimes: the destructor stops the server; its pending handlers end on the executor's context.
class emulator {
public:
    /// Binds and starts accepting on `ex`. Throws `boost::system::system_error` when it cannot bind or
    /// cannot load the TLS files.
    explicit emulator(boost::asio::any_io_executor ex, emulator_options opts = {});
    ~emulator();
    emulator(const emulator&) = delete;
    emulator& operator=(const emulator&) = delete;

    /// The port it listens on (the one chosen when `emulator_options::port` was 0).
    unsigned short port() const noexcept;
    std::string url() const;  ///< "http://127.0.0.1:<port>" ("https://..." when serving TLS)
    /// Stops accepting and closes every connection.
    void stop();

    // ---- the store ----
    void seed(const Allocations& all);  ///< replaces the store
    void put(AllocationCloud cloud);    ///< adds or replaces by id
    std::optional<AllocationCloud> find(std::string_view id) const;  ///< the stored cloud with this id
    Allocations snapshot() const;  ///< every stored cloud, as `GET /allocations` answers
    /// Changes a stored cloud's status (as Pieces OS would on its own); false when there is no such cloud.
    bool set_cloud_status(std::string_view id, AllocationStatusEnum status);

    // ---- the user stream (GET /user/stream) ----
    // The emulator has one user. Each open stream is sent its UserProfile on connect and again each time the
    // user's cloud changes: through the API (connect, disconnect, reconnect, update, create, delete) or through
    // seed, put and set_cloud_status. The profile's `allocation` is the user's cloud: the stored cloud changed
    // last (before any change, the first stored one; none when the store is empty).
    void set_user_profile(UserProfile user);  ///< the user (its `allocation` is ignored: filled as above)
    UserProfile user_profile() const;         ///< the user, as the next frame will send it
    void log_out();                           ///< sends a frame that is not JSON on every open stream
    void send_user_stream_text(std::string text);  ///< sends this text frame on every open stream, as given
    void drop_user_streams();   ///< closes every open stream's connection, without a close frame
    void close_user_streams();  ///< closes every open stream with a close frame (a server shutting down)
    std::size_t user_streams_open() const;  ///< streams open now (upgrade done, not yet closed)
    std::size_t user_stream_frames() const;  ///< frames sent so far, on every stream

    // ---- faults ----
    void set_fault(endpoint e, fault f);  ///< replaces the fault of one endpoint
    void set_fault_all(const fault& f);  ///< every Allocations endpoint (not health/version)
    /// Random faults, for soak tests: each Allocations request without a fault of its own gets, with
    /// `probability`, one of `choices` picked uniformly; the generator is seeded with `seed`.
    void set_random_faults(double probability, std::vector<fault> choices, std::uint64_t seed);
    void clear_faults();                 ///< every endpoint answers normally again (random faults too)
    /// Applies to the TLS handshakes that begin from now on (with TLS only; not cleared by clear_faults).
    void set_handshake_fault(handshake_fault f);

    // ---- what the server saw ----
    std::size_t requests(endpoint e) const;  ///< requests received for `e` so far
    std::size_t connections_accepted() const;  ///< TCP connections accepted so far
    std::size_t handshakes_completed() const;  ///< TLS handshakes completed so far
    std::string last_allocation_id() const;  ///< decoded id of the last GET /allocation/{id}
    /// A header of the last request received ("" when absent).
    std::string last_request_header(std::string_view name) const;

    struct impl;

private:
    std::shared_ptr<impl> impl_;
};

}  // namespace pieces::testing
