// pieces-os-emulator: the Pieces OS emulator as a program, for the demo, benchmarks and other clients.
#include <pieces/models/json.hpp>
#include <pieces/testing/emulator.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <charconv>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>
#include <vector>

namespace {

constexpr const char* usage = R"(usage: pieces-os-emulator [options]
  --port N          listen on N (default 0: an ephemeral port, printed on start)
  --address A       listen address (default 127.0.0.1)
  --seed FILE       load the store from an Allocations JSON file
  --cloud           serve create/delete (a local Pieces OS answers them with 500)
  --threads N       threads running the server (default 1)
  --tls-cert FILE   serve HTTPS with this certificate (PEM, chain after it); needs --tls-key
  --tls-key FILE    the certificate's private key (PEM)
  --tls-client-ca FILE  require client certificates issued by a CA of FILE (PEM)
  --fault SPEC      ENDPOINT:KEY=VALUE[,KEY=VALUE...], repeatable. ENDPOINT: connect, create,
                    delete_allocation, disconnect, reconnect, snapshot, allocation_snapshot, update,
                    health, version, user_stream (the GET /user/stream WebSocket: status and body
                    refuse the upgrade, latency_ms stalls it, close=before_reply drops it), all (the
                    Allocations endpoints). KEY: latency_ms, status, body,
                    close (before_reply|after_headers|mid_body), json (malformed|wrong_type),
                    connection_close, chunked, close_after, trickle_ms, trickle_bytes, times
Prints "listening on http://ADDRESS:PORT" (https:// with --tls-cert) once ready; stops on SIGINT or SIGTERM.
)";

[[noreturn]] void die(const std::string& why) {
    std::cerr << "pieces-os-emulator: " << why << "\n" << usage;
    std::exit(2);
}

long long number(std::string_view v, const std::string& what) {
    long long n = 0;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc{} || p != v.data() + v.size() || n < 0) die("bad number for " + what + ": " + std::string(v));
    return n;
}

pieces::testing::fault parse_fault(std::string_view spec, std::string& endpoint_name) {
    using pieces::testing::fault;
    const auto colon = spec.find(':');
    if (colon == std::string_view::npos) die("--fault needs ENDPOINT:KEY=VALUE");
    endpoint_name = std::string(spec.substr(0, colon));
    fault f;
    std::string_view rest = spec.substr(colon + 1);
    while (!rest.empty()) {
        const auto comma = rest.find(',');
        const auto item = rest.substr(0, comma);
        rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
        const auto eq = item.find('=');
        const std::string key(item.substr(0, eq));
        const std::string_view value = eq == std::string_view::npos ? std::string_view{"1"} : item.substr(eq + 1);
        if (key == "latency_ms") f.latency = std::chrono::milliseconds(number(value, key));
        else if (key == "status") f.status = static_cast<int>(number(value, key));
        else if (key == "body") f.body = std::string(value);
        else if (key == "close" && value == "before_reply") f.close = fault::close_mode::before_reply;
        else if (key == "close" && value == "after_headers") f.close = fault::close_mode::after_headers;
        else if (key == "close" && value == "mid_body") f.close = fault::close_mode::mid_body;
        else if (key == "json" && value == "malformed") f.payload = fault::body_mode::malformed_json;
        else if (key == "json" && value == "wrong_type") f.payload = fault::body_mode::wrong_type;
        else if (key == "connection_close") f.connection_close = value != "0";
        else if (key == "chunked") f.chunked = value != "0";
        else if (key == "close_after") f.close_after_requests = static_cast<std::size_t>(number(value, key));
        else if (key == "trickle_ms") f.trickle_interval = std::chrono::milliseconds(number(value, key));
        else if (key == "trickle_bytes") f.trickle_bytes = static_cast<std::size_t>(number(value, key));
        else if (key == "times") f.times = static_cast<int>(number(value, key));
        else die("unknown fault setting: " + std::string(item));
    }
    return f;
}

}  // namespace

int main(int argc, char** argv) {
    pieces::testing::emulator_options opts;
    std::string seed_file;
    unsigned threads = 1;
    std::vector<std::string> faults;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) die(arg + " needs a value");
            return argv[++i];
        };
        if (arg == "--port") opts.port = static_cast<unsigned short>(number(value(), arg));
        else if (arg == "--address") opts.address = value();
        else if (arg == "--seed") seed_file = value();
        else if (arg == "--cloud") opts.cloud_mode = true;
        else if (arg == "--threads") threads = static_cast<unsigned>(std::max(1LL, number(value(), arg)));
        else if (arg == "--fault") faults.push_back(value());
        else if (arg == "--tls-cert") opts.tls_certificate_file = value();
        else if (arg == "--tls-key") opts.tls_private_key_file = value();
        else if (arg == "--tls-client-ca") opts.tls_client_ca_file = value();
        else if (arg == "--help" || arg == "-h") {
            std::cout << usage;
            return 0;
        } else die("unknown option " + arg);
    }

    if (opts.tls_certificate_file.empty() != opts.tls_private_key_file.empty()) die("--tls-cert and --tls-key go together");
    if (!opts.tls_client_ca_file.empty() && opts.tls_certificate_file.empty()) die("--tls-client-ca needs --tls-cert");
    try {
        boost::asio::io_context ioc(static_cast<int>(threads));
        pieces::testing::emulator server(ioc.get_executor(), opts);
        if (!seed_file.empty()) {
            std::ifstream in(seed_file);
            if (!in) die("cannot read " + seed_file);
            std::ostringstream ss;
            ss << in.rdbuf();
            server.seed(pieces::from_json<pieces::Allocations>(ss.str()));
        }
        for (const auto& spec : faults) {
            std::string name;
            auto f = parse_fault(spec, name);
            if (name == "all") server.set_fault_all(f);
            else if (auto e = pieces::testing::endpoint_from_string(name)) server.set_fault(*e, f);
            else die("unknown endpoint " + name);
        }
        boost::asio::signal_set signals(ioc, SIGINT, SIGTERM);
        signals.async_wait([&](const boost::system::error_code&, int) {
            server.stop();
            ioc.stop();
        });
        std::cout << "listening on " << (opts.tls_certificate_file.empty() ? "http://" : "https://") << opts.address << ":" << server.port() << std::endl;
        std::vector<std::thread> pool;
        for (unsigned t = 1; t < threads; ++t) pool.emplace_back([&ioc] { ioc.run(); });
        ioc.run();
        for (auto& t : pool) t.join();
    } catch (const std::exception& e) {
        std::cerr << "pieces-os-emulator: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
