// pieces-allocations: the command-line tool for people who operate Pieces OS, on the library.
#include "cli/exit_codes.hpp"
#include "cli/options.hpp"
#include "cli/output.hpp"
#include "cli/watch_diff.hpp"

#include <pieces/pieces.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

namespace asio = boost::asio;
using namespace pieces;
using namespace pieces::cli;

namespace {

// A file the user named that we cannot use: bad usage, said plainly.
struct usage_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

template <class Model>
Model read_model_file(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw usage_error("cannot read " + path);
    std::ostringstream text;
    text << in.rdbuf();
    diagnostics diag;
    auto r = try_from_json<Model>(text.str(), &diag);
    if (!r) throw usage_error(path + ": " + diag.client_message());
    return std::move(*r);
}

void print_cloud(const AllocationCloud& c, bool json) {
    std::cout << (json ? to_json(c) + "\n" : clouds_table({c}));
}

// ISO 8601 in UTC from the C++20 calendar (gmtime_r is POSIX-only, gmtime not thread-safe).
std::string utc_now() {
    using namespace std::chrono;
    const auto now = floor<seconds>(system_clock::now());
    const auto day = floor<days>(now);
    const year_month_day ymd{day};
    const hh_mm_ss<seconds> hms{now - day};
    char buf[32];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                  static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                  static_cast<int>(hms.seconds().count()));
    return buf;
}

void print_change(const change& c, bool json) {
    if (json) {
        boost::json::value line = {{"time", utc_now()}, {"cloud", c.cloud}, {"what", c.what}, {"from", c.from},
                                   {"to", c.to}};
        std::cout << boost::json::serialize(line) << std::endl;
    } else {
        std::cout << utc_now() << "  " << c.cloud << "  " << c.what << ": " << c.from << " -> " << c.to << std::endl;
    }
}

void report(const error_with_diagnostics& e) {
    const auto& d = e.get_diagnostics();
    std::cerr << "pieces-allocations: " << e.code().message();
    if (!d.endpoint().empty()) std::cerr << " (" << d.endpoint() << ")";
    if (d.http_status() != 0) std::cerr << " [HTTP " << d.http_status() << "]";
    std::cerr << "\n";
    if (!d.client_message().empty()) std::cerr << "  detail: " << d.client_message() << "\n";
    if (!d.server_message().empty()) std::cerr << "  server said: " << d.server_message() << "\n";
}

// What the watch does, for its header line. That line comes with the first event, when the push stream may not
// be open yet (or never: an older Pieces OS refuses it), so it says what the watch will use, not what it uses now.
std::string watch_mode_text(const options& o) {
    std::ostringstream text;
    const double interval_s = std::chrono::duration<double>(o.interval).count();
    if (o.push) text << "push when Pieces OS offers /user/stream, polling every " << interval_s << " s";
    else text << "polling every " << interval_s << " s, push off";
    return text.str();
}

// Prints each change the watcher reports until `max_changes` change lines were printed (or forever); a failed
// poll is reported and the watch goes on.
asio::awaitable<int> watch(const client& c, const options& o) {
    watcher_config cfg;
    cfg.interval = std::chrono::duration_cast<std::chrono::milliseconds>(o.interval);
    cfg.max_backoff = std::max(cfg.max_backoff, cfg.interval);
    cfg.push = o.push;
    allocations_watcher watcher(c, cfg);
    auto sub = watcher.subscribe();
    std::size_t printed = 0;
    for (;;) {
        const watch_event ev = co_await sub.next();
        if (ev.error()) {
            report(error_with_diagnostics(ev.error(), ev.error_diagnostics()));
            continue;
        }
        if (ev.is_initial()) {
            const auto clouds = ev.snapshot().iterable.size();
            if (o.json)
                std::cout << R"({"watching":)" << clouds << R"(,"push":)" << (o.push ? "true" : "false") << "}"
                          << std::endl;
            else std::cout << "watching " << clouds << " clouds (" << watch_mode_text(o) << ")" << std::endl;
            continue;
        }
        for (const auto& change : ev.changes()) {
            print_change(describe(change), o.json);
            if (o.max_changes && ++printed >= *o.max_changes) co_return ok;
        }
    }
}

asio::awaitable<int> run(const options& o) {
    client_config cfg;
    discovery_options where;
    where.url = o.url;
    cfg.url = co_await discover_pieces_os(where);
    if (o.timeout) cfg.request_timeout = *o.timeout;
    cfg.application_id = o.application_id;
    if (o.ca_file) cfg.tls.ca_file = *o.ca_file;
    cfg.tls.verify_peer = !o.insecure;
    client c(co_await asio::this_coro::executor, cfg);
    const allocations_api clouds(c);
    const allocation_api cloud(c);

    if (o.command == "snapshot") {
        const auto all = co_await clouds.allocations_snapshot();
        std::cout << (o.json ? to_json(all) + "\n" : clouds_table(all.iterable));
    } else if (o.command == "get") {
        print_cloud(co_await cloud.allocation_snapshot(o.arguments[0]), o.json);
    } else if (o.command == "connect") {
        print_cloud(co_await clouds.allocations_connect_new_cloud(read_model_file<UserProfile>(*o.profile_file)),
                    o.json);
    } else if (o.command == "update") {
        print_cloud(co_await cloud.allocation_update(read_model_file<AllocationCloud>(*o.cloud_file)), o.json);
    } else if (o.command == "disconnect") {
        const auto text = co_await clouds.allocations_disconnect_cloud(co_await cloud.allocation_snapshot(o.arguments[0]));
        std::cout << (o.json ? boost::json::serialize(boost::json::value(text)) : text) << "\n";
    } else if (o.command == "reconnect") {
        print_cloud(co_await clouds.allocations_reconnect_cloud(co_await cloud.allocation_snapshot(o.arguments[0])),
                    o.json);
    } else if (o.command == "watch") {
        co_return co_await watch(c, o);
    }
    co_return ok;
}

}  // namespace

int main(int argc, char** argv) {
    const auto parsed = parse_command_line(argc, argv);
    const options& o = parsed.opts;
    if (o.help) {
        std::cout << help_text(o.command);
        return ok;
    }
    if (!parsed.error.empty()) {
        std::cerr << "pieces-allocations: " << parsed.error << "\n\n" << help_text(o.command);
        return bad_usage;
    }

    asio::io_context ioc(1);
    int status = failed;
    asio::signal_set stop_signals(ioc, SIGINT, SIGTERM);
    stop_signals.async_wait([&](const boost::system::error_code& ec, int) {
        if (!ec) {
            status = ok;  // an interrupted watch ends normally
            ioc.stop();
        }
    });
    asio::co_spawn(ioc, run(o), [&](std::exception_ptr e, int code) {
        stop_signals.cancel();
        status = code;
        if (!e) return;
        try {
            std::rethrow_exception(e);
        } catch (const error_with_diagnostics& err) {
            report(err);
            status = exit_code_for(err.code());
        } catch (const usage_error& err) {
            std::cerr << "pieces-allocations: " << err.what() << "\n";
            status = bad_usage;
        } catch (const std::exception& err) {
            std::cerr << "pieces-allocations: " << err.what() << "\n";
            status = failed;
        }
    });
    ioc.run();
    return status;
}
