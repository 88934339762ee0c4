// What pieces-allocations prints: a readable table of clouds.
#pragma once

#include <pieces/models/allocation_cloud.hpp>

#include <string>
#include <vector>

namespace pieces::cli {

// One header line, then one line per cloud: id, status, project, region, then each url with its status.
std::string clouds_table(const std::vector<AllocationCloud>& clouds);

// The status as on the wire (an unknown one as received).
std::string status_text(const wire_enum<AllocationStatusEnum>& status);

}  // namespace pieces::cli
