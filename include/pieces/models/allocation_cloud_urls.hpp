#pragma once

#include <pieces/models/allocation_cloud_url.hpp>

namespace pieces {

/// The urls of a cloud: at least `base` and `id`.
struct AllocationCloudUrls {
    std::optional<EmbeddedModelSchema> schema;
    AllocationCloudUrl base;                 // required: the default url
    AllocationCloudUrl id;                   // required: `<uuid>.pieces.cloud`
    std::optional<AllocationCloudUrl> vanity; // `<vanityname>.pieces.cloud`
    json_members unknown_members;

    friend bool operator==(const AllocationCloudUrls&, const AllocationCloudUrls&) = default;
};

}  // namespace pieces
