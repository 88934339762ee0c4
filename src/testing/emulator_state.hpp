// Private: the emulator's store, faults and routing, behind one mutex. No sockets here.
#pragma once

#include <pieces/testing/emulator.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <vector>

namespace pieces::testing::detail {

struct reply {
    unsigned status = 200;
    std::string content_type = "application/json";
    std::string body;
    fault applied;  // the fault to apply to this reply (default: none)
};

struct request_view {
    bool is_get = false;
    bool is_post = false;
    std::string_view target;
    std::string_view body;
    std::map<std::string, std::string> headers;  // lower-case names
};

class emulator_state {
public:
    explicit emulator_state(bool cloud_mode);

    reply handle(const request_view& req);
    /// A `GET /user/stream`: counted, its fault picked. Status 101 means "accept the upgrade" (the WebSocket
    /// handshake answers it); any other status is an ordinary reply (426 for a request that is no upgrade, or the
    /// fault's status). Of a fault without a status only `latency` and `close = before_reply` are kept.
    reply user_stream_request(const request_view& req, bool upgrade);

    void set_user_profile(UserProfile user);
    UserProfile user_profile() const;  ///< with `allocation` the user's cloud

    /// Called after each change of the user's cloud, outside the lock. Set once before serving, never after:
    /// read without a lock.
    std::function<void()> on_user_changed;

    void seed(const Allocations& all);
    void put(AllocationCloud cloud);
    std::optional<AllocationCloud> find(std::string_view id) const;
    Allocations snapshot() const;
    bool set_cloud_status(std::string_view id, AllocationStatusEnum status);

    void set_fault(endpoint e, fault f);
    void set_random_faults(double probability, std::vector<fault> choices, std::uint64_t seed);
    void clear_faults();

    std::size_t requests(endpoint e) const;
    std::string last_allocation_id() const;
    std::string last_request_header(std::string_view name) const;

private:
    reply route(const request_view& req, std::optional<endpoint>& which);
    reply connect(std::string_view body);
    reply reconnect(std::string_view body);
    reply disconnect(std::string_view body);
    reply update(std::string_view body);
    reply create(std::string_view body);
    reply remove(std::string_view body);
    AllocationCloud* find_locked(std::string_view id);
    std::optional<fault> pick_fault_locked(std::size_t endpoint_index);
    reply handle_locked(const request_view& req);
    // The user's cloud is now this one (none: the first stored one).
    void user_cloud_changed_locked(std::optional<std::string> id);
    void notify_user_changed() const;

    mutable std::mutex mutex_;
    const bool cloud_mode_;
    const std::string health_id_;
    std::vector<AllocationCloud> clouds_;
    std::array<std::optional<fault>, endpoint_count> faults_{};
    struct random_faults {
        double probability = 0;
        std::vector<fault> choices;
        std::mt19937_64 generator;
    };
    std::optional<random_faults> random_;
    std::array<std::size_t, endpoint_count> counts_{};
    std::string last_id_;
    std::map<std::string, std::string> last_headers_;
    UserProfile user_;
    std::optional<std::string> user_cloud_;  // the stored cloud changed last; none: the first stored one
    std::uint64_t user_changes_ = 0;         // changes of the user's cloud so far
};

}  // namespace pieces::testing::detail
