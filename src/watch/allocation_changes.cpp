#include <pieces/allocation_changes.hpp>

#include <map>
#include <set>
#include <string_view>

namespace pieces {
namespace {

using kind = allocation_change::kind;
using url_name = allocation_change::url_name;

bool same_url(const AllocationCloudUrl& a, const AllocationCloudUrl& b) { return a.url == b.url && a.status == b.status; }

void compare_url(const AllocationCloud& c, url_name which, const std::optional<AllocationCloudUrl>& a,
                 const std::optional<AllocationCloudUrl>& b, std::vector<allocation_change>& out) {
    if (!a && !b) return;
    if (a && b && same_url(*a, *b)) return;
    allocation_change ch;
    ch.what = !a ? kind::url_added : !b ? kind::url_removed : kind::url_changed;
    ch.cloud_id = c.id;
    ch.url = which;
    ch.url_before = a;
    ch.url_after = b;
    out.push_back(std::move(ch));
}

void compare(const AllocationCloud& a, const AllocationCloud& b, std::vector<allocation_change>& out) {
    if (!(a.status.cloud == b.status.cloud)) {
        allocation_change ch;
        ch.what = kind::cloud_status_changed;
        ch.cloud_id = b.id;
        ch.status_before = a.status.cloud;
        ch.status_after = b.status.cloud;
        out.push_back(std::move(ch));
    }
    compare_url(b, url_name::base, a.urls.base, b.urls.base, out);
    compare_url(b, url_name::id, a.urls.id, b.urls.id, out);
    compare_url(b, url_name::vanity, a.urls.vanity, b.urls.vanity, out);
}

allocation_change presence(kind k, const AllocationCloud& c) {
    allocation_change ch;
    ch.what = k;
    ch.cloud_id = c.id;
    return ch;
}

}  // namespace

std::vector<allocation_change> diff_allocations(const Allocations& before, const Allocations& after) {
    std::map<std::string_view, const AllocationCloud*> old;
    for (const auto& c : before.iterable) old.emplace(c.id, &c);
    std::vector<allocation_change> out;
    std::set<std::string_view> done;  // an id given twice in a reply counts once, as its first
    for (const auto& c : after.iterable) {
        if (!done.insert(c.id).second) continue;
        const auto it = old.find(c.id);
        if (it == old.end()) {
            out.push_back(presence(kind::cloud_added, c));
            continue;
        }
        compare(*it->second, c, out);
        old.erase(it);
    }
    for (const auto& [id, c] : old) out.push_back(presence(kind::cloud_removed, *c));
    return out;
}

const char* to_string(allocation_change::kind k) noexcept {
    switch (k) {
    case kind::cloud_added: return "cloud_added";
    case kind::cloud_removed: return "cloud_removed";
    case kind::cloud_status_changed: return "cloud_status_changed";
    case kind::url_added: return "url_added";
    case kind::url_removed: return "url_removed";
    case kind::url_changed: return "url_changed";
    }
    return "?";
}

const char* to_string(allocation_change::url_name u) noexcept {
    switch (u) {
    case url_name::base: return "base";
    case url_name::id: return "id";
    case url_name::vanity: return "vanity";
    }
    return "?";
}

}  // namespace pieces
