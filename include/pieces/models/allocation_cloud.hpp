#pragma once

#include <pieces/models/allocation_cloud_status.hpp>
#include <pieces/models/allocation_cloud_urls.hpp>
#include <pieces/models/grouped_timestamp.hpp>

#include <optional>
#include <string>

namespace pieces {

/// A user's cloud. `updated` and `version` are present once the cloud was spun up and is running.
struct AllocationCloud {
    std::optional<EmbeddedModelSchema> schema;  ///< The model's schema version, when the server sends one.
    std::string id;  ///< Required: uuid of this cloud (the user id).
    std::string user;  ///< Required: the user's uuid.
    AllocationCloudUrls urls;  ///< Required: the cloud's urls.
    AllocationCloudStatus status;  ///< Required: the cloud's status.
    std::string project;  ///< Required: the hosting project.
    std::optional<GroupedTimestamp> updated;  ///< When the cloud was last updated (once running).
    std::optional<std::string> version;  ///< The version the cloud runs (once running).
    std::optional<std::string> region;  ///< Where the cloud runs.
    json_members unknown_members;  ///< Members this version does not know, in order, written back unchanged.

    friend bool operator==(const AllocationCloud&, const AllocationCloud&) = default;
};
BOOST_DESCRIBE_STRUCT(AllocationCloud, (), (schema, id, user, urls, status, project, updated, version, region))

}  // namespace pieces
