#include "cli/output.hpp"

#include <algorithm>
#include <array>

namespace pieces::cli {

std::string status_text(const wire_enum<AllocationStatusEnum>& status) {
    return status.has_unknown_text() ? status.unknown_text() : std::string(to_string(status.value()));
}

namespace {

std::string url_cell(const AllocationCloudUrl& u) { return u.url + " (" + status_text(u.status) + ")"; }

}  // namespace

std::string clouds_table(const std::vector<AllocationCloud>& clouds) {
    using row = std::array<std::string, 7>;
    std::vector<row> rows{{"ID", "STATUS", "PROJECT", "REGION", "BASE URL", "ID URL", "VANITY URL"}};
    for (const auto& c : clouds)
        rows.push_back({c.id, status_text(c.status.cloud), c.project, c.region.value_or("-"), url_cell(c.urls.base),
                        url_cell(c.urls.id), c.urls.vanity ? url_cell(*c.urls.vanity) : "-"});
    std::array<std::size_t, 7> width{};
    for (const auto& r : rows)
        for (std::size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], r[i].size());
    std::string out;
    for (const auto& r : rows) {
        for (std::size_t i = 0; i < r.size(); ++i) {
            out += r[i];
            if (i + 1 < r.size()) out.append(width[i] - r[i].size() + 2, ' ');
        }
        out += '\n';
    }
    return out;
}

}  // namespace pieces::cli
