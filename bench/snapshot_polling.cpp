// Concurrent snapshot polling: P coroutines share one client on one io_context thread, each looping
// allocations_snapshot() and counting the clouds, for N requests after a warm-up that opens the pool.
// Prints one row per (P, pool size): requests/s, latency percentiles, client CPU and heap allocations per
// request, peak RSS (and RSS per pending poller), connections opened.
//
// With --floor, the same measurement of the hand-written Beast client of floor_client.hpp (P connections, each
// looping one request at a time; POOL is ignored): the yardstick.
//
// Usage: snapshot_polling --url URL [--rows P:POOL,...] [--requests N] [--no-warmup] [--cancel-slots] [--floor] [--csv]
//        snapshot_polling --make-seed CLOUDS FIXTURE OUT   (writes an Allocations file with CLOUDS clouds)
//        snapshot_polling --parse FILE N dom|models         (parses FILE N times: DOM only, or into the models)
#include "floor_client.hpp"

#include <pieces/pieces.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <optional>
#include <new>
#include <sstream>
#include <string>
#include <vector>

// ---- heap allocations, counted for the whole binary ----
// The replaced operator new/delete pair is malloc/free on purpose; g++ cannot see that they match.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
namespace {
std::atomic<std::uint64_t> g_allocations{0};
}
void* operator new(std::size_t n) {
    g_allocations.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(n ? n : 1)) return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return operator new(n); }
void* operator new(std::size_t n, std::align_val_t a) {
    g_allocations.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::aligned_alloc(static_cast<std::size_t>(a), (n + static_cast<std::size_t>(a) - 1) & ~(static_cast<std::size_t>(a) - 1))) return p;
    throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
#pragma GCC diagnostic pop

namespace {

using clock_type = std::chrono::steady_clock;

struct row {
    std::size_t pollers = 0, pool = 0, requests = 0;
    double seconds = 0, rps = 0, p50 = 0, p90 = 0, p99 = 0, max = 0;  // latencies in µs
    double cpu_us_per_request = 0, allocations_per_request = 0;
    std::uint64_t result_allocations = 0;  // made by copying one result: its own strings and vectors
    long peak_rss_kb = 0;
    double rss_per_pending_poller = 0;  // bytes
    std::uint64_t connections = 0, errors = 0;
};

double cpu_seconds() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

long max_rss_kb() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

// P pollers share `api`; they stop once `total` requests were issued.
// With `cancel_slots`, each poller's coroutine has a cancellation slot bound (never emitted), so every request
// installs its cancellation forwarder: the cost of cancellation support, for the instruction count.
void poll(boost::asio::io_context& ioc, const pieces::allocations_api& api, std::size_t pollers, std::size_t total,
          std::vector<std::uint32_t>* latencies, std::uint64_t& errors, std::size_t& clouds, bool cancel_slots,
          pieces::Allocations* last) {
    std::size_t issued = 0, finished = 0;
    std::vector<boost::asio::cancellation_signal> signals(cancel_slots ? pollers : 0);
    for (std::size_t p = 0; p < pollers; ++p) {
        auto done = [&](std::exception_ptr) { ++finished; };
        auto body = [&]() -> boost::asio::awaitable<void> {
            while (issued < total) {
                ++issued;
                const auto t0 = clock_type::now();
                try {
                    const auto all = co_await api.allocations_snapshot();
                    clouds += all.iterable.size();  // touch the result
                    if (last && issued == total) *last = all;
                } catch (const std::exception&) {
                    ++errors;
                }
                if (latencies)
                    latencies->push_back(static_cast<std::uint32_t>(
                        std::chrono::duration_cast<std::chrono::microseconds>(clock_type::now() - t0).count()));
            }
        };
        if (cancel_slots)
            boost::asio::co_spawn(ioc, body, boost::asio::bind_cancellation_slot(signals[p].slot(), done));
        else
            boost::asio::co_spawn(ioc, body, done);
    }
    ioc.restart();
    while (finished < pollers) ioc.run_one();
}

row measure(const std::string& url, std::size_t pollers, std::size_t pool, std::size_t requests, bool warmup,
            bool cancel_slots, bool floor) {
    boost::asio::io_context ioc(1);
    pieces::client_config cfg;
    cfg.url = url;
    cfg.pool.max_connections = pool;
    cfg.request_timeout = std::chrono::minutes(5);
    pieces::client client(ioc, cfg);
    pieces::allocations_api api(client);
    std::uint64_t errors = 0;
    std::size_t clouds = 0;
    pieces::Allocations last;
    std::optional<bench::floor_client> hand_written;
    if (floor) hand_written.emplace(ioc, url, pollers);
    const auto run = [&](std::size_t total, std::vector<std::uint32_t>* latencies, pieces::Allocations* keep) {
        if (hand_written) hand_written->poll(total, latencies, errors, clouds);
        else poll(ioc, api, pollers, total, latencies, errors, clouds, cancel_slots, keep);
    };
    if (warmup) run(std::max<std::size_t>(2 * pollers, 500), nullptr, &last);

    std::vector<std::uint32_t> latencies;
    latencies.reserve(requests);
    const long rss_before = max_rss_kb();
    const auto allocations_before = g_allocations.load();
    const double cpu_before = cpu_seconds();
    const auto t0 = clock_type::now();
    errors = 0;
    clouds = 0;  // counted for the measured requests only
    run(requests, &latencies, nullptr);
    const double secs = std::chrono::duration<double>(clock_type::now() - t0).count();

    row r;
    r.pollers = pollers;
    r.pool = pool;
    r.requests = requests;
    r.seconds = secs;
    r.rps = static_cast<double>(requests) / secs;
    r.cpu_us_per_request = (cpu_seconds() - cpu_before) * 1e6 / static_cast<double>(requests);
    r.allocations_per_request = static_cast<double>(g_allocations.load() - allocations_before) / static_cast<double>(requests);
    r.peak_rss_kb = max_rss_kb();
    r.rss_per_pending_poller = static_cast<double>(r.peak_rss_kb - rss_before) * 1024.0 / static_cast<double>(pollers);
    r.connections = floor ? pollers : client.stats().connections_opened;
    r.errors = errors;
    const auto before_copy = g_allocations.load();
    const pieces::Allocations copy = last;
    r.result_allocations = g_allocations.load() - before_copy;
    std::sort(latencies.begin(), latencies.end());
    auto pct = [&](double q) {
        return latencies.empty() ? 0.0 : static_cast<double>(latencies[std::min(latencies.size() - 1, static_cast<std::size_t>(q * static_cast<double>(latencies.size())))]);
    };
    r.p50 = pct(0.50);
    r.p90 = pct(0.90);
    r.p99 = pct(0.99);
    r.max = latencies.empty() ? 0 : latencies.back();
    if (clouds == 0 && requests > 0) r.errors += 1;  // nothing was decoded
    return r;
}

int make_seed(std::size_t n, const std::string& fixture, const std::string& out_path) {
    std::ifstream in(fixture);
    std::stringstream ss;
    ss << in.rdbuf();
    const auto base = pieces::from_json<pieces::Allocations>(ss.str());
    pieces::Allocations all;
    all.schema = base.schema;
    for (std::size_t i = 0; i < n; ++i) {
        auto c = base.iterable[i % base.iterable.size()];
        char suffix[32];
        std::snprintf(suffix, sizeof suffix, "%012zx", i);
        c.id = c.id.substr(0, 24) + suffix;
        c.user = c.id;
        all.iterable.push_back(std::move(c));
    }
    std::ofstream(out_path) << pieces::to_json(all);
    return 0;
}

// Parses FILE N times, either into a Boost.JSON DOM only (the baseline of a client without typed models) or
// into the models (what the library does per reply); run under callgrind by bench/callgrind.sh.
int parse_only(const std::string& path, std::size_t times, const std::string& into) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string text = ss.str();
    std::size_t clouds = 0;
    for (std::size_t i = 0; i < times; ++i) {
        if (into == "dom") {
            clouds += boost::json::parse(text).at("iterable").as_array().size();
        } else {
            auto r = pieces::try_from_json<pieces::Allocations>(text);
            clouds += r ? r->iterable.size() : 0;
        }
    }
    std::printf("%zu clouds\n", clouds);
    return clouds > 0 ? 0 : 1;
}

template <class... Args>
std::string fmt(const char* format, Args... args) {
    char buf[64];
    std::snprintf(buf, sizeof buf, format, args...);
    return buf;
}

// One row, as CSV (for bench/run.sh, which adds the peers) or in columns.
void print_row(bool csv, const std::vector<std::string>& fields) {
    for (std::size_t i = 0; i < fields.size(); ++i) {
        if (csv) std::printf("%s%s", i ? "," : "", fields[i].c_str());
        else std::printf("%-*s", i == 0 ? 5 : 14, fields[i].c_str());
    }
    std::printf("\n");
}

}  // namespace

int main(int argc, char** argv) {
    std::string url, rows_spec = "1:1,16:16,64:64,256:64,256:16";
    std::size_t requests = 20000;
    bool warmup = true, csv = false, cancel_slots = false, floor = false;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--make-seed" && i + 3 < argc) return make_seed(std::stoul(argv[i + 1]), argv[i + 2], argv[i + 3]);
        if (a == "--parse" && i + 3 < argc) return parse_only(argv[i + 1], std::stoul(argv[i + 2]), argv[i + 3]);
        if (a == "--url" && i + 1 < argc) url = argv[++i];
        else if (a == "--rows" && i + 1 < argc) rows_spec = argv[++i];
        else if (a == "--requests" && i + 1 < argc) requests = std::stoul(argv[++i]);
        else if (a == "--no-warmup") warmup = false;
        else if (a == "--csv") csv = true;
        else if (a == "--cancel-slots") cancel_slots = true;
        else if (a == "--floor") floor = true;
        else {
            std::cerr << "usage: snapshot_polling --url URL [--rows P:POOL,...] [--requests N] [--no-warmup] "
                         "[--cancel-slots] [--floor] [--csv]\n";
            return 2;
        }
    }
    if (url.empty()) {
        std::cerr << "snapshot_polling: --url is required (bench/run.sh starts the emulator)\n";
        return 2;
    }
    std::stringstream spec(rows_spec);
    std::string item;
    print_row(csv, {"who", "P", "pool", "N", "req/s", "p50us", "p90us", "p99us", "maxus", "cpu_us/rq", "allocs/rq",
                    "result_allocs", "peakRSS_kB", "RSS/poller_B", "conns"});
    int status = 0;
    while (std::getline(spec, item, ',')) {
        const auto colon = item.find(':');
        const std::size_t p = std::stoul(item.substr(0, colon));
        const std::size_t pool = std::stoul(item.substr(colon + 1));
        const std::size_t n = std::max(requests, p);
        const row r = measure(url, p, pool, n, warmup, cancel_slots, floor);
        print_row(csv, {floor ? "floor" : "ours", fmt("%zu", r.pollers), fmt("%zu", r.pool), fmt("%zu", r.requests), fmt("%.0f", r.rps),
                        fmt("%.0f", r.p50), fmt("%.0f", r.p90), fmt("%.0f", r.p99), fmt("%.0f", r.max),
                        fmt("%.2f", r.cpu_us_per_request), fmt("%.2f", r.allocations_per_request),
                        fmt("%llu", static_cast<unsigned long long>(r.result_allocations)), fmt("%ld", r.peak_rss_kb),
                        fmt("%.0f", r.rss_per_pending_poller),
                        fmt("%llu", static_cast<unsigned long long>(r.connections))});
        std::fflush(stdout);
        if (r.errors) {
            std::fprintf(stderr, "snapshot_polling: %llu failed requests at P=%zu\n", static_cast<unsigned long long>(r.errors), p);
            status = 1;
        }
    }
    return status;
}
