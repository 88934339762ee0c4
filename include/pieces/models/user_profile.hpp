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
    std::optional<EmbeddedModelSchema> schema;  ///< The model's schema version, when the server sends one.
    std::string id;  ///< Required: the user's uuid.
    std::optional<std::string> picture;  ///< URL of the avatar.
    std::optional<std::string> email;  ///< The user's e-mail address.
    std::optional<GroupedTimestamp> created;  ///< When the account was created.
    std::optional<GroupedTimestamp> updated;  ///< When the profile last changed.
    std::optional<std::string> username;  ///< The user's handle.
    std::optional<std::string> name;  ///< The display name.
    Aesthetics aesthetics;  ///< Required: font and theme preferences.
    std::optional<AllocationCloud> allocation;  ///< The user's cloud, when it has one.
    std::optional<std::string> vanityname;  ///< The `<vanityname>.pieces.cloud` subdomain, when chosen.
    std::optional<std::vector<std::string>> apiKeys;  ///< API keys of the user.
    std::optional<raw_json> auth0;  ///< Auth0 identity (raw JSON, kept as received).
    std::optional<raw_json> descope;  ///< Descope identity (raw JSON, kept as received).
    std::optional<raw_json> entities;  ///< Entities of the user (raw JSON, kept as received).
    std::optional<raw_json> providers;  ///< Identity providers (raw JSON, kept as received).
    std::optional<raw_json> subscriptions;  ///< Subscriptions (raw JSON, kept as received).
    json_members unknown_members;  ///< Members this version does not know, in order, written back unchanged.

    friend bool operator==(const UserProfile&, const UserProfile&) = default;
};
BOOST_DESCRIBE_STRUCT(UserProfile, (), (schema, id, email, name, username, vanityname, picture, aesthetics, allocation, apiKeys, created, updated, auth0, descope, entities, providers, subscriptions))

}  // namespace pieces
