// libFuzzer target: arbitrary bytes from the server as the HTTP reply to one of the eight endpoints
// (picked by the first byte's low three bits, in the emulator's order), over a real loopback socket from the
// emulator (`fault::raw_reply`), plain or, when the first byte's bit 3 is set, through TLS. Every reply must end, well within the deadline, in success or one of the errors a
// reply can cause, after exactly one request (a fresh connection is never retried); what succeeds must
// encode again.
#include "endpoint_calls.hpp"
#include "fuzz_fail.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <string_view>

namespace {

namespace asio = boost::asio;
using pieces::testing::endpoint;
using pieces_fuzz::fail;
using boost::system::error_code;
using namespace std::chrono_literals;

// What a reply, however bad, may end in.
bool reply_error(error_code ec) {
    using pieces::errc;
    return ec == errc::cloud_not_found || ec == errc::internal_server_error || ec == errc::gateway_timeout ||
           ec == errc::unexpected_status || ec == errc::invalid_response || ec == errc::malformed_http ||
           ec == errc::response_too_large || ec == errc::connection_closed;
}

// A result that decoded must encode, and decode again.
struct check_encodes {
    template <class T>
    void operator()(const T& result) const {
        if constexpr (pieces::model<T>) {
            const std::string text = pieces::to_json(result);
            if (!pieces::try_from_json<T>(text)) fail("a decoded reply does not encode to JSON that decodes", text);
        }
    }
};

// The emulator and one client, for the whole run (one thread; each input is one request).
struct harness {
    asio::io_context ioc;
    pieces::testing::emulator emu;
    std::optional<pieces::client> cli;
    const pieces_test::endpoint_arguments arguments;

    explicit harness(bool tls)
        : emu(ioc.get_executor(), tls ? pieces_test::serving_tls() : pieces::testing::emulator_options{}) {
        pieces::client_config cfg;
        cfg.url = emu.url();
        cfg.tls.ca_file = PIECES_TEST_CERTS_DIR "/ca.pem";
        cfg.request_timeout = 5s;
        cfg.pool.max_requests_per_connection = 1;  // every input on a connection of its own
        cfg.max_header_size = 2048;                // limits a small input can reach
        cfg.max_body_size = 8192;
        cli.emplace(ioc, cfg);
    }

    void answer_once(endpoint e, std::string_view reply) {
        pieces::testing::fault f;
        f.raw_reply = std::string(reply);
        f.times = 1;
        emu.set_fault(e, f);

        const std::size_t requests_before = emu.requests(e);
        std::optional<error_code> outcome;
        std::exception_ptr thrown;
        asio::co_spawn(ioc, pieces_test::call_endpoint(*cli, e, arguments, check_encodes{}),
                       [&](std::exception_ptr ex, error_code ec) {
                           thrown = ex;
                           outcome = ec;
                       });
        const auto limit = std::chrono::steady_clock::now() + 8s;
        ioc.restart();
        while (!outcome) {
            if (std::chrono::steady_clock::now() > limit) fail("no outcome after 8 s (deadline 5 s)", reply);
            ioc.run_one_for(100ms);
        }
        if (thrown) {
            try {
                std::rethrow_exception(thrown);
            } catch (const std::exception& ex) {
                fail("the call threw", ex.what());
            }
        }
        if (*outcome && !reply_error(*outcome)) fail("an error a reply cannot cause", outcome->message());
        if (emu.requests(e) != requests_before + 1) fail("not exactly one request was sent", to_string(e));
        emu.clear_faults();
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static harness plain(false), over_tls(true);
    if (size == 0) return 0;
    const auto& endpoints = pieces_test::all_endpoints;
    static_assert(std::tuple_size_v<std::decay_t<decltype(endpoints)>> == 8);
    harness& h = (data[0] & 8) != 0 ? over_tls : plain;
    h.answer_once(endpoints[data[0] % endpoints.size()],
                  std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1));
    return 0;
}
