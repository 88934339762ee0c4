#include "watch_diff.hpp"

#include "output.hpp"

#include <map>

namespace pieces::cli {
namespace {

// One url, as watched: its address and status.
std::string url_state(const std::optional<AllocationCloudUrl>& u) {
    return u ? u->url + " " + status_text(u->status) : "-";
}

void compare(const AllocationCloud* a, const AllocationCloud* b, std::vector<change>& out) {
    const std::string& id = b ? b->id : a->id;
    auto note = [&](const char* what, std::string from, std::string to) {
        if (from != to) out.push_back({id, what, std::move(from), std::move(to)});
    };
    if (!a || !b) {
        note("cloud", a ? "present" : "-", b ? "present" : "-");
        return;
    }
    note("status", status_text(a->status.cloud), status_text(b->status.cloud));
    note("base", url_state(a->urls.base), url_state(b->urls.base));
    note("id", url_state(a->urls.id), url_state(b->urls.id));
    note("vanity", url_state(a->urls.vanity), url_state(b->urls.vanity));
}

}  // namespace

std::vector<change> diff_snapshots(const Allocations& before, const Allocations& after) {
    std::map<std::string_view, const AllocationCloud*> old;
    for (const auto& c : before.iterable) old.emplace(c.id, &c);
    std::vector<change> out;
    for (const auto& c : after.iterable) {
        const auto it = old.find(c.id);
        compare(it == old.end() ? nullptr : it->second, &c, out);
        if (it != old.end()) old.erase(it);
    }
    for (const auto& [id, c] : old) compare(c, nullptr, out);
    return out;
}

}  // namespace pieces::cli
