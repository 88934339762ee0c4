#pragma once

#include <pieces/models/allocation_cloud_url.hpp>

namespace pieces {

/// The urls of a cloud: at least `base` and `id`.
struct AllocationCloudUrls {
    std::optional<EmbeddedModelSchema> schema;  ///< The model's schema version, when the server sends one.
    AllocationCloudUrl base;  ///< Required: the default url.
    AllocationCloudUrl id;  ///< Required: `<uuid>.pieces.cloud`.
    std::optional<AllocationCloudUrl> vanity;  ///< `<vanityname>.pieces.cloud`, when the user chose one.
    json_members unknown_members;  ///< Members this version does not know, in order, written back unchanged.

    friend bool operator==(const AllocationCloudUrls&, const AllocationCloudUrls&) = default;
};
BOOST_DESCRIBE_STRUCT(AllocationCloudUrls, (), (schema, base, id, vanity))

}  // namespace pieces
