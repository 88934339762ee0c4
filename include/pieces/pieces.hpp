// The whole public API of pieces-allocations in one header.
#pragma once

#include <pieces/version.hpp>
#include <pieces/error.hpp>
#include <pieces/diagnostics.hpp>
#include <pieces/error_with_diagnostics.hpp>
#include <pieces/with_diagnostics.hpp>
#include <pieces/models/allocations.hpp>
#include <pieces/models/user_profile.hpp>
#include <pieces/models/json.hpp>
#include <pieces/client_config.hpp>
#include <pieces/retry_policy.hpp>
#include <pieces/call_options.hpp>
#include <pieces/pool_stats.hpp>
#include <pieces/client.hpp>
#include <pieces/allocations_api.hpp>
#include <pieces/allocation_api.hpp>
#include <pieces/discovery.hpp>
#include <pieces/allocation_changes.hpp>
#include <pieces/watch_event.hpp>
#include <pieces/user_stream.hpp>
#include <pieces/allocations_watcher.hpp>
