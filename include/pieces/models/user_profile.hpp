#pragma once

#include <pieces/models/aesthetics.hpp>
#include <pieces/models/allocation_cloud.hpp>
#include <pieces/raw_json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace pieces {

/// The user logged into Pieces. The large nested models of the full Pieces API (`auth0`, `descope`,
/// `entities`, `providers`, `subscriptions`) are kept as raw JSON, never dropped.
struct UserProfile {
    std::optional<EmbeddedModelSchema> schema;
    std::string id;  // required
    std::optional<std::string> picture;
    std::optional<std::string> email;
    std::optional<GroupedTimestamp> created;
    std::optional<GroupedTimestamp> updated;
    std::optional<std::string> username;
    std::optional<std::string> name;
    Aesthetics aesthetics;  // required
    std::optional<AllocationCloud> allocation;
    std::optional<std::string> vanityname;
    std::optional<std::vector<std::string>> apiKeys;
    std::optional<raw_json> auth0;
    std::optional<raw_json> descope;
    std::optional<raw_json> entities;
    std::optional<raw_json> providers;
    std::optional<raw_json> subscriptions;
    json_members unknown_members;

    friend bool operator==(const UserProfile&, const UserProfile&) = default;
};

}  // namespace pieces
