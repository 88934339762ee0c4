// The emulator's behaviour: what a local Pieces OS answers on each Allocations endpoint.
#include "testing/emulator_state.hpp"

#include <pieces/models/json.hpp>
#include <pieces/version.hpp>

#include <boost/url/pct_string_view.hpp>

#include <algorithm>
#include <random>

namespace pieces::testing {

namespace {
constexpr std::array<std::string_view, endpoint_count> endpoint_names{
    "connect", "create", "delete_allocation", "disconnect", "reconnect",
    "snapshot", "allocation_snapshot", "update", "health", "version", "user_stream"};
}

std::string_view to_string(endpoint e) noexcept { return endpoint_names[static_cast<std::size_t>(e)]; }

std::optional<endpoint> endpoint_from_string(std::string_view s) noexcept {
    for (std::size_t i = 0; i < endpoint_names.size(); ++i)
        if (endpoint_names[i] == s) return static_cast<endpoint>(i);
    return std::nullopt;
}

}  // namespace pieces::testing

namespace pieces::testing::detail {
namespace {

std::string random_uuid() {
    std::random_device rd;
    std::uniform_int_distribution<int> hex(0, 15);
    std::string s = "xxxxxxxx-xxxx-4xxx-8xxx-xxxxxxxxxxxx";
    for (char& c : s)
        if (c == 'x') c = "0123456789abcdef"[hex(rd)];
    return s;
}

reply text(unsigned status, std::string body) { return {status, "text/plain; charset=utf-8", std::move(body), {}}; }
reply json(std::string body) { return {200, "application/json; charset=utf-8", std::move(body), {}}; }

GroupedTimestamp now_stamp() {
    GroupedTimestamp t;
    t.value = std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
    t.readable = "just now";
    return t;
}

EmbeddedModelSchema schema() { return {0, EmbeddedModelSchemaSemanticVersionEnum::MAJOR_0_MINOR_0_PATCH_1, {}}; }

AllocationCloud new_cloud_for(const UserProfile& user) {
    AllocationCloud c;
    c.schema = schema();
    c.id = user.id;
    c.user = user.id;
    c.urls.base = {std::nullopt, "https://pieces-cloud-us-central1.run.app/" + user.id.substr(0, 8),
                   AllocationStatusEnum::RUNNING, {}};
    c.urls.id = {std::nullopt, "https://" + user.id + ".pieces.cloud", AllocationStatusEnum::RUNNING, {}};
    if (user.vanityname)
        c.urls.vanity = AllocationCloudUrl{std::nullopt, "https://" + *user.vanityname + ".pieces.cloud",
                                           AllocationStatusEnum::RUNNING, {}};
    c.status.cloud = AllocationStatusEnum::RUNNING;
    c.project = "pieces-production";
    c.updated = now_stamp();
    c.version = version_string;
    c.region = "us-central1";
    return c;
}

template <model T>
std::optional<T> parse_body(std::string_view body, std::string& why) {
    diagnostics d;
    auto r = try_from_json<T>(body, &d);
    if (!r) {
        why = d.client_message();
        return std::nullopt;
    }
    return std::move(*r);
}

// The AllocationCloud a POST carries; a 500 in `error` when there is none or it does not decode.
std::optional<AllocationCloud> posted_cloud(std::string_view body, reply& error) {
    std::string why;
    auto cloud = body.empty() ? std::nullopt : parse_body<AllocationCloud>(body, why);
    if (!cloud) error = text(500, body.empty() ? "No allocation given." : "Invalid AllocationCloud: " + why);
    return cloud;
}

reply unknown_cloud(const std::string& id) { return text(500, "No allocation with id " + id + "."); }

// The emulator's user until a test sets another.
UserProfile default_user() {
    UserProfile u;
    u.schema = schema();
    u.id = "5f0c2b7e-9a41-4d3c-8e26-7b1d0a9c4f58";
    u.email = "emulator@example.org";
    u.name = "Emulator User";
    u.username = "emulator";
    u.aesthetics.font.size = 14;
    u.aesthetics.theme.dark = false;
    return u;
}

}  // namespace

emulator_state::emulator_state(bool cloud_mode)
    : cloud_mode_(cloud_mode), health_id_(random_uuid()), user_(default_user()) {}

AllocationCloud* emulator_state::find_locked(std::string_view id) {
    auto it = std::find_if(clouds_.begin(), clouds_.end(), [&](const AllocationCloud& c) { return c.id == id; });
    return it == clouds_.end() ? nullptr : &*it;
}

reply emulator_state::handle(const request_view& req) {
    bool changed = false;
    reply r;
    {
        std::lock_guard lock(mutex_);
        const auto before = user_changes_;
        r = handle_locked(req);
        changed = user_changes_ != before;
    }
    if (changed) notify_user_changed();  // outside the lock: the hook reads the profile
    return r;
}

reply emulator_state::handle_locked(const request_view& req) {
    last_headers_ = req.headers;
    std::optional<endpoint> which;
    reply r = route(req, which);
    if (!which) return r;
    const auto i = static_cast<std::size_t>(*which);
    ++counts_[i];
    if (auto f = pick_fault_locked(i)) {
        r.applied = std::move(*f);
        if (r.applied.status != 0) r = {static_cast<unsigned>(r.applied.status), "text/plain; charset=utf-8",
                                         r.applied.body, r.applied};
        else if (r.applied.payload == fault::body_mode::malformed_json)
            r.body = R"({"iterable": [{"id": "3d5a9b12", "user": )";
        else if (r.applied.payload == fault::body_mode::wrong_type)
            r = {200, "application/json", R"({"id":7,"user":7,"urls":7,"status":7,"project":7,"iterable":7})",
                 r.applied};
    }
    return r;
}

reply emulator_state::route(const request_view& req, std::optional<endpoint>& which) {
    std::string_view path = req.target.substr(0, req.target.find('?'));
    if (req.is_get) {
        if (path == "/allocations") {
            which = endpoint::snapshot;
            Allocations all{schema(), clouds_, {}};
            return json(to_json(all));
        }
        if (path.starts_with("/allocation/")) {
            which = endpoint::allocation_snapshot;
            const auto segment = path.substr(12);
            auto pct = boost::urls::make_pct_string_view(segment);
            if (segment.empty() || segment.find('/') != std::string_view::npos || !pct)
                return text(404, "Not found.");
            last_id_ = pct->decode();
            if (auto* c = find_locked(last_id_)) return json(to_json(*c));
            return text(410, "Cloud not found.");
        }
        if (path == "/.well-known/health") {
            which = endpoint::health;
            return text(200, "ok:" + health_id_);
        }
        if (path == "/.well-known/version") {
            which = endpoint::version;
            return text(200, std::string(version_string) + "-emulator");
        }
    } else if (req.is_post) {
        if (path == "/allocations/connect") return which = endpoint::connect, connect(req.body);
        if (path == "/allocations/disconnect") return which = endpoint::disconnect, disconnect(req.body);
        if (path == "/allocations/reconnect") return which = endpoint::reconnect, reconnect(req.body);
        if (path == "/allocation/update") return which = endpoint::update, update(req.body);
        if (path == "/allocations/create") return which = endpoint::create, create(req.body);
        if (path == "/allocations/delete") return which = endpoint::delete_allocation, remove(req.body);
    }
    return text(404, "Not found.");
}

reply emulator_state::connect(std::string_view body) {
    if (body.empty()) return text(500, "No user is logged in: post the UserProfile to connect.");
    std::string why;
    auto user = parse_body<UserProfile>(body, why);
    if (!user) return text(500, "Invalid UserProfile: " + why);
    user_cloud_changed_locked(user->id);
    if (auto* c = find_locked(user->id)) {
        c->status.cloud = AllocationStatusEnum::RUNNING;
        return json(to_json(*c));
    }
    clouds_.push_back(new_cloud_for(*user));
    return json(to_json(clouds_.back()));
}

reply emulator_state::disconnect(std::string_view body) {
    reply error;
    auto cloud = posted_cloud(body, error);
    if (!cloud) return error;
    auto* c = find_locked(cloud->id);
    if (!c) return unknown_cloud(cloud->id);
    c->status.cloud = AllocationStatusEnum::DISCONNECTED;
    user_cloud_changed_locked(c->id);
    return text(200, c->id);
}

reply emulator_state::reconnect(std::string_view body) {
    reply error;
    auto cloud = posted_cloud(body, error);
    if (!cloud) return error;
    auto* c = find_locked(cloud->id);
    if (!c) return unknown_cloud(cloud->id);
    c->status.cloud = AllocationStatusEnum::RUNNING;
    c->updated = now_stamp();
    user_cloud_changed_locked(c->id);
    return json(to_json(*c));
}

reply emulator_state::update(std::string_view body) {
    reply error;
    auto cloud = posted_cloud(body, error);
    if (!cloud) return error;
    auto* c = find_locked(cloud->id);
    if (!c) return unknown_cloud(cloud->id);
    *c = std::move(*cloud);
    user_cloud_changed_locked(c->id);
    return json(to_json(*c));
}

reply emulator_state::create(std::string_view body) {
    if (!cloud_mode_) return text(500, "allocations/create is unimplemented locally; it is only used within the cloud.");
    reply error;
    auto cloud = posted_cloud(body, error);
    if (!cloud) return error;
    if (auto* c = find_locked(cloud->id)) return json(to_json(*c));  // there already: nothing changes
    clouds_.push_back(std::move(*cloud));
    user_cloud_changed_locked(clouds_.back().id);
    return json(to_json(clouds_.back()));
}

reply emulator_state::remove(std::string_view body) {
    if (!cloud_mode_) return text(500, "allocations/delete is unimplemented locally; it is only used within the cloud.");
    reply error;
    auto cloud = posted_cloud(body, error);
    if (!cloud) return error;
    auto it = std::find_if(clouds_.begin(), clouds_.end(), [&](const AllocationCloud& c) { return c.id == cloud->id; });
    if (it == clouds_.end()) return unknown_cloud(cloud->id);
    std::string id = it->id;
    clouds_.erase(it);
    user_cloud_changed_locked(std::nullopt);
    return text(200, id);
}

void emulator_state::seed(const Allocations& all) {
    {
        std::lock_guard lock(mutex_);
        clouds_ = all.iterable;
        user_cloud_changed_locked(std::nullopt);
    }
    notify_user_changed();
}

void emulator_state::put(AllocationCloud cloud) {
    {
        std::lock_guard lock(mutex_);
        user_cloud_changed_locked(cloud.id);
        if (auto* c = find_locked(cloud.id)) *c = std::move(cloud);
        else clouds_.push_back(std::move(cloud));
    }
    notify_user_changed();
}

std::optional<AllocationCloud> emulator_state::find(std::string_view id) const {
    std::lock_guard lock(mutex_);
    for (const auto& c : clouds_)
        if (c.id == id) return c;
    return std::nullopt;
}

Allocations emulator_state::snapshot() const {
    std::lock_guard lock(mutex_);
    return {schema(), clouds_, {}};
}

bool emulator_state::set_cloud_status(std::string_view id, AllocationStatusEnum status) {
    {
        std::lock_guard lock(mutex_);
        auto* c = find_locked(id);
        if (!c) return false;
        c->status.cloud = status;
        user_cloud_changed_locked(c->id);
    }
    notify_user_changed();
    return true;
}

reply emulator_state::user_stream_request(const request_view& req, bool upgrade) {
    std::lock_guard lock(mutex_);
    last_headers_ = req.headers;
    const auto i = static_cast<std::size_t>(endpoint::user_stream);
    ++counts_[i];
    reply r = upgrade ? reply{101, {}, {}, {}} : text(426, "Upgrade required.");
    if (!upgrade) r.applied.headers = {{"Upgrade", "websocket"}};  // a 426 names the protocol to upgrade to
    auto f = pick_fault_locked(i);
    if (!f) return r;
    if (f->status != 0)  // the upgrade refused: an ordinary reply, the rest of the fault shaping it as any other
        return {static_cast<unsigned>(f->status), "text/plain; charset=utf-8", f->body, std::move(*f)};
    // The other settings shape a reply of ours, and an accepted upgrade is answered by the WebSocket handshake.
    r.applied.latency = f->latency;
    if (f->close == fault::close_mode::before_reply) r.applied.close = f->close;
    return r;
}

void emulator_state::set_user_profile(UserProfile user) {
    user.allocation.reset();  // filled from the store on each read
    std::lock_guard lock(mutex_);
    user_ = std::move(user);
}

UserProfile emulator_state::user_profile() const {
    std::lock_guard lock(mutex_);
    UserProfile u = user_;
    auto it = clouds_.begin();
    if (user_cloud_)
        it = std::find_if(clouds_.begin(), clouds_.end(),
                          [&](const AllocationCloud& c) { return c.id == *user_cloud_; });
    if (it == clouds_.end()) it = clouds_.begin();  // not stored (cannot happen): the first one
    if (it != clouds_.end()) u.allocation = *it;
    return u;
}

void emulator_state::user_cloud_changed_locked(std::optional<std::string> id) {
    user_cloud_ = std::move(id);
    ++user_changes_;
}

void emulator_state::notify_user_changed() const {
    if (on_user_changed) on_user_changed();
}

void emulator_state::set_fault(endpoint e, fault f) {
    std::lock_guard lock(mutex_);
    faults_[static_cast<std::size_t>(e)] = std::move(f);
}

void emulator_state::set_random_faults(double probability, std::vector<fault> choices, std::uint64_t seed) {
    std::lock_guard lock(mutex_);
    random_ = random_faults{probability, std::move(choices), std::mt19937_64(seed)};
}

// The endpoint's own fault (counting down its `times`), else maybe a random one, else none.
std::optional<fault> emulator_state::pick_fault_locked(std::size_t endpoint_index) {
    if (auto& f = faults_[endpoint_index]) {
        std::optional<fault> out = *f;
        if (f->times > 0 && --f->times == 0) f.reset();
        return out;
    }
    if (!random_ || random_->choices.empty()) return std::nullopt;
    if (std::uniform_real_distribution<double>(0, 1)(random_->generator) >= random_->probability) return std::nullopt;
    const auto k = std::uniform_int_distribution<std::size_t>(0, random_->choices.size() - 1)(random_->generator);
    return random_->choices[k];
}

void emulator_state::clear_faults() {
    std::lock_guard lock(mutex_);
    for (auto& f : faults_) f.reset();
    random_.reset();
}

std::size_t emulator_state::requests(endpoint e) const {
    std::lock_guard lock(mutex_);
    return counts_[static_cast<std::size_t>(e)];
}

std::string emulator_state::last_allocation_id() const {
    std::lock_guard lock(mutex_);
    return last_id_;
}

std::string emulator_state::last_request_header(std::string_view name) const {
    std::string key(name);
    std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    std::lock_guard lock(mutex_);
    auto it = last_headers_.find(key);
    return it == last_headers_.end() ? std::string{} : it->second;
}

}  // namespace pieces::testing::detail
