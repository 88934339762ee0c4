#pragma once

#include <pieces/models/allocation_cloud_status.hpp>
#include <pieces/models/allocation_cloud_urls.hpp>
#include <pieces/models/grouped_timestamp.hpp>

#include <optional>
#include <string>

namespace pieces {

/// A user's cloud. `updated` and `version` are present once the cloud was spun up and is running.
struct AllocationCloud {
    std::optional<EmbeddedModelSchema> schema;
    std::string id;               // required: uuid of this cloud (the user id)
    std::string user;             // required: the user's uuid
    AllocationCloudUrls urls;     // required
    AllocationCloudStatus status; // required
    std::string project;          // required
    std::optional<GroupedTimestamp> updated;
    std::optional<std::string> version;
    std::optional<std::string> region;
    json_members unknown_members;

    friend bool operator==(const AllocationCloud&, const AllocationCloud&) = default;
};

}  // namespace pieces
