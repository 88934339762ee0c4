// Discovery over real sockets: it finds an emulator through Pieces OS's port file or in 39300-39333, and
// fails fast when none runs.
#include "async_test.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_future.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <random>
#include <thread>

using namespace pieces;
using namespace pieces_test;

namespace {

// An emulator on the highest free port of the range (so lower ports stay free and the "lowest wins" rule
// is exercised by the test below).
std::optional<testing::emulator> emulator_in_range(asio::io_context& ioc, unsigned short from, unsigned short to) {
    for (unsigned p = to; p >= from; --p) {
        try {
            return std::optional<testing::emulator>(std::in_place, ioc.get_executor(),
                                                    testing::emulator_options{.port = static_cast<unsigned short>(p)});
        } catch (const boost::system::system_error&) {
        }
    }
    return std::nullopt;
}

namespace fs = std::filesystem;

// A fresh directory under the system's temporary directory, removed with everything in it at scope exit.
struct temp_dir {
    temp_dir() : path(fs::temp_directory_path() / ("pieces-discovery-" + std::to_string(std::random_device{}()))) {
        fs::create_directories(path);
    }
    ~temp_dir() {
        std::error_code ignored;
        fs::remove_all(path, ignored);
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
    fs::path path;
};

fs::path write_file(const fs::path& file, const std::string& text) {
    fs::create_directories(file.parent_path());
    std::ofstream out(file, std::ios::binary);
    out << text;
    return file;
}

// Where Pieces OS writes its port file under a home directory (the spec port_file_under must meet).
fs::path port_file_in(const fs::path& home) {
#ifdef __APPLE__
    return home / "Library" / "com.pieces.os" / "production" / "Config" / ".port.txt";
#else
    return home / "Documents" / "com.pieces.os" / "production" / "Config" / ".port.txt";
#endif
}

// The environment variable that names the home directory.
#ifdef _WIN32
constexpr const char* home_variable = "USERPROFILE";
#else
constexpr const char* home_variable = "HOME";
#endif

// Sets an environment variable of the process ("" unsets it on Windows); the old value is back at scope exit.
class scoped_env {
public:
    scoped_env(const char* name, const std::string& value) : name_(name) {
        if (const char* old = std::getenv(name)) old_ = old;
        set(value.c_str());
    }
    ~scoped_env() {
        if (old_) set(old_->c_str());
        else {
#ifdef _WIN32
            set("");
#else
            unsetenv(name_);
#endif
        }
    }
    scoped_env(const scoped_env&) = delete;
    scoped_env& operator=(const scoped_env&) = delete;

private:
    void set(const char* value) {
#ifdef _WIN32
        _putenv_s(name_, value);
#else
        setenv(name_, value, 1);
#endif
    }
    const char* name_;
    std::optional<std::string> old_;
};

// A loopback port where nothing listens (a stale port file's port): bound, then released.
unsigned short closed_port(asio::io_context& ioc) {
    asio::ip::tcp::acceptor a(ioc, {asio::ip::make_address("127.0.0.1"), 0});
    return a.local_endpoint().port();
}

// Options that scan only `port` (a port the test controls), without legacy ports or port file.
discovery_options scan_only(unsigned short port) {
    discovery_options opts;
    opts.use_port_file = false;
    opts.first_port = opts.last_port = port;
    opts.legacy_ports.clear();
    return opts;
}

// A discovery that must fail: what its diagnostics say was tried.
std::string tried_by_failing(asio::io_context& ioc, const discovery_options& opts) {
    diagnostics diag;
    auto [ec, url] = run(ioc, async_discover_pieces_os(ioc.get_executor(), opts, &diag, tuple_token));
    CHECK(ec == errc::connection_failed);
    CHECK(url.empty());
    return diag.client_message();
}

}  // namespace

TEST_CASE("discovery finds an emulator on a port in 39300-39333") {
    asio::io_context ioc;
    auto emu = emulator_in_range(ioc, 39300, 39333);
    REQUIRE(emu.has_value());
    const auto url = run(ioc, discover_pieces_os());
    CHECK(url == emu->url());
    CHECK(emu->requests(testing::endpoint::health) == 1);
}

TEST_CASE("discovery prefers the lowest answering port, even when it answers last") {
    asio::io_context ioc;
    auto high = emulator_in_range(ioc, 39320, 39333);
    auto low = emulator_in_range(ioc, 39300, 39310);
    REQUIRE(high.has_value());
    REQUIRE(low.has_value());
    testing::fault slower;
    slower.latency = 100ms;  // well within the probe timeout (250 ms)
    low->set_fault(testing::endpoint::health, slower);
    CHECK(run(ioc, discover_pieces_os()) == low->url());
    CHECK(high->requests(testing::endpoint::health) == 1);
    CHECK(low->requests(testing::endpoint::health) == 1);
}

TEST_CASE("an explicit URL wins without probing") {
    asio::io_context ioc;
    auto emu = emulator_in_range(ioc, 39300, 39333);
    REQUIRE(emu.has_value());
    discovery_options opts;
    opts.url = "http://10.0.0.1:1";
    CHECK(run(ioc, discover_pieces_os(opts)) == "http://10.0.0.1:1");
    ioc.poll();
    CHECK(emu->requests(testing::endpoint::health) == 0);
    CHECK(emu->connections_accepted() == 0);
}

TEST_CASE("discovery reports connection_failed quickly when nothing runs") {
    asio::io_context ioc;
    // A listener that is not Pieces OS does not count.
    asio::ip::tcp::acceptor impostor(ioc, {asio::ip::make_address("127.0.0.1"), 0});
    asio::ip::tcp::socket impostor_side(ioc);
    bool probed = false;
    impostor.async_accept(impostor_side, [&](boost::system::error_code ec) { probed = !ec; });
    discovery_options opts;
    opts.legacy_ports.push_back(impostor.local_endpoint().port());
    const auto start = std::chrono::steady_clock::now();
    try {
        (void)run(ioc, discover_pieces_os(opts));
        FAIL("found something");
    } catch (const error_with_diagnostics& e) {
        CHECK(e.code() == errc::connection_failed);
        CHECK(e.get_diagnostics().client_message().find("39300-39333, 1000, 5323") != std::string::npos);
    }
    CHECK(ms_since(start) < 1000);
    CHECK(probed);
}

TEST_CASE("with_diagnostics works for discovery: the exception carries what was tried") {
    asio::io_context ioc;
    const auto opts = scan_only(closed_port(ioc));
    const auto port = std::to_string(opts.first_port);
    // Without diagnostics of the caller's, the adapter supplies its own and the exception carries them.
    try {
        (void)run(ioc, async_discover_pieces_os(ioc.get_executor(), opts, nullptr, with_diagnostics(asio::use_awaitable)));
        FAIL("found something");
    } catch (const error_with_diagnostics& e) {
        CHECK(e.code() == errc::connection_failed);
        CHECK(e.get_diagnostics().endpoint() == "GET /.well-known/health");
        CHECK(e.get_diagnostics().client_message().find(port) != std::string::npos);
    }
    // With the caller's, those are filled and carried.
    diagnostics diag;
    auto failed = async_discover_pieces_os(ioc.get_executor(), opts, &diag, with_diagnostics(asio::use_future));
    run_until(ioc, [&] { return failed.wait_for(0s) == std::future_status::ready; }, 5s);
    try {
        (void)failed.get();
        FAIL("found something");
    } catch (const error_with_diagnostics& e) {
        CHECK(e.code() == errc::connection_failed);
        CHECK(e.get_diagnostics() == diag);
        CHECK(diag.client_message().find(port) != std::string::npos);
    }
}

TEST_CASE("discovery completes on the caller's strand of a 4-thread io_context") {
    asio::io_context ioc(4);
    testing::emulator emu(ioc.get_executor());
    discovery_options opts;
    opts.first_port = opts.last_port = emu.port();
    opts.legacy_ports.clear();
    auto work = asio::make_work_guard(ioc);
    std::vector<std::thread> threads;
    for (int i = 0; i < 4; ++i) threads.emplace_back([&] { ioc.run(); });

    auto strand = asio::make_strand(ioc);
    // Each time the throwing form, then the token form given the io_context's executor (the scan runs on a
    // strand of its own): found the emulator, and resumed on the caller's strand.
    // (Checked on the main thread: Catch's assertions are not for worker threads.)
    auto checks = asio::co_spawn(strand, [&]() -> asio::awaitable<std::vector<bool>> {
        std::vector<bool> found_on_strand;
        for (int i = 0; i < 8; ++i) {
            const auto url = co_await discover_pieces_os(opts);
            found_on_strand.push_back(url == emu.url() && strand.running_in_this_thread());
            auto [ec, token_url] = co_await async_discover_pieces_os(ioc.get_executor(), opts, nullptr, tuple_token);
            found_on_strand.push_back(!ec && token_url == emu.url() && strand.running_in_this_thread());
        }
        co_return found_on_strand;
    }, asio::use_future);
    const bool finished = checks.wait_for(20s) == std::future_status::ready;
    ioc.stop();  // the emulator's accept loop keeps the io_context busy
    for (auto& t : threads) t.join();
    REQUIRE(finished);
    CHECK(checks.get() == std::vector<bool>(16, true));
    CHECK(emu.requests(testing::endpoint::health) == 16);
}

TEST_CASE("cancelled discovery ends promptly with operation_aborted") {
    asio::io_context ioc;
    // A listener that accepts and never answers: each probe would wait for its whole timeout.
    asio::ip::tcp::acceptor mute(ioc, {asio::ip::make_address("127.0.0.1"), 0});
    asio::ip::tcp::socket mute_side(ioc);
    discovery_options opts;
    opts.first_port = opts.last_port = mute.local_endpoint().port();
    opts.legacy_ports = {mute.local_endpoint().port()};
    opts.probe_timeout = 10s;
    asio::cancellation_signal cancel;
    mute.async_accept(mute_side, [&](boost::system::error_code ec) {
        REQUIRE_FALSE(ec);
        cancel.emit(asio::cancellation_type::terminal);  // the scan is under way: a probe is connected
    });
    std::optional<boost::system::error_code> result;
    diagnostics diag;
    const auto start = std::chrono::steady_clock::now();
    async_discover_pieces_os(ioc.get_executor(), opts, &diag,
                             asio::bind_cancellation_slot(cancel.slot(), [&](boost::system::error_code ec, std::string url) {
                                 result = ec;
                                 CHECK(url.empty());
                             }));
    run_until(ioc, [&] { return result.has_value(); });
    CHECK(*result == asio::error::operation_aborted);
    CHECK(ms_since(start) < 500);
}

TEST_CASE("discovery tries the port of .port.txt first") {
    asio::io_context ioc;
    testing::emulator emu(ioc.get_executor());    // named by the file only
    testing::emulator decoy(ioc.get_executor());  // what the scan would find
    temp_dir dir;
    auto opts = scan_only(decoy.port());
    opts.use_port_file = true;
    opts.port_file = write_file(dir.path / ".port.txt", "  " + std::to_string(emu.port()) + "\r\n").string();
    CHECK(run(ioc, discover_pieces_os(opts)) == emu.url());
    CHECK(emu.requests(testing::endpoint::health) == 1);
    CHECK(decoy.requests(testing::endpoint::health) == 0);  // found by the file: no scan
}

TEST_CASE("a stale .port.txt falls through to the scan") {
    asio::io_context ioc;
    testing::emulator emu(ioc.get_executor());
    temp_dir dir;
    const auto stale = closed_port(ioc);
    auto opts = scan_only(emu.port());
    opts.use_port_file = true;
    opts.port_file = write_file(dir.path / ".port.txt", std::to_string(stale) + "\n").string();
    CHECK(run(ioc, discover_pieces_os(opts)) == emu.url());
    CHECK(emu.requests(testing::endpoint::health) == 1);
    // With nothing answering at all, the failure says the file's port was tried before the range.
    opts.first_port = opts.last_port = closed_port(ioc);
    const auto tried = tried_by_failing(ioc, opts);
    CHECK(tried.find(std::to_string(stale) + " (from " + opts.port_file + "), " + std::to_string(opts.first_port)) !=
          std::string::npos);
}

TEST_CASE("an absent or garbled .port.txt falls through to the scan") {
    asio::io_context ioc;
    testing::emulator emu(ioc.get_executor());
    temp_dir dir;
    auto opts = scan_only(emu.port());
    opts.use_port_file = true;
    opts.port_file = (dir.path / "absent" / ".port.txt").string();
    CHECK(run(ioc, discover_pieces_os(opts)) == emu.url());
    CHECK(emu.requests(testing::endpoint::health) == 1);
    opts.first_port = opts.last_port = closed_port(ioc);  // nothing answers: the failure tells why the file did not
    CHECK(tried_by_failing(ioc, opts).find("(no port in " + opts.port_file + ")") != std::string::npos);
    // Not a port in 1..65535: the same as no file (a wrapped 65536 would show as port 0 being tried).
    for (const std::string text : {"", " \n", "port", "0", "65536", "-1", "39300x", "+39300", "393 00"}) {
        INFO("port file holding '" << text << "'");
        opts.port_file = write_file(dir.path / "garbled.txt", text).string();
        CHECK(tried_by_failing(ioc, opts).find("(no port in " + opts.port_file + ")") != std::string::npos);
    }
}

TEST_CASE("a health check answering OK in upper case is Pieces OS") {
    asio::io_context ioc;
    testing::emulator emu(ioc.get_executor());
    testing::fault upper;
    upper.status = 200;
    upper.body = "OK 2f6a9c1e-4b7d-4e0a-9f3c-8d2b5a7e1c40";  // as Pieces OS's C# SDK documents it
    emu.set_fault(testing::endpoint::health, upper);
    CHECK(run(ioc, discover_pieces_os(scan_only(emu.port()))) == emu.url());
    // Still not any 200: a body that does not start with ok is not Pieces OS.
    testing::fault other = upper;
    other.body = "KO";
    emu.set_fault(testing::endpoint::health, other);
    (void)tried_by_failing(ioc, scan_only(emu.port()));
}

TEST_CASE("with a temporary home directory, default options read its .port.txt") {
    asio::io_context ioc;
    testing::emulator emu(ioc.get_executor());
    testing::emulator decoy(ioc.get_executor());
    temp_dir home;
    const auto file = write_file(port_file_in(home.path), std::to_string(emu.port()));
    scoped_env env(home_variable, home.path.string());
    CHECK(default_port_file() == file.string());
    CHECK(port_file_under(home.path.string()) == file.string());
    discovery_options opts;  // use_port_file and an empty port_file: the default file
    opts.first_port = opts.last_port = decoy.port();
    opts.legacy_ports.clear();
    CHECK(run(ioc, discover_pieces_os(opts)) == emu.url());
    CHECK(decoy.requests(testing::endpoint::health) == 0);
    // Without a home directory there is no default file.
    scoped_env no_home(home_variable, "");
    CHECK(default_port_file().empty());
    CHECK(port_file_under("").empty());
}
