// Umbrella header: the whole public API of pieces-allocations.
#pragma once

#include <pieces/version.hpp>
#include <pieces/error.hpp>
#include <pieces/diagnostics.hpp>
#include <pieces/error_with_diagnostics.hpp>
#include <pieces/models/allocations.hpp>
#include <pieces/models/user_profile.hpp>
#include <pieces/models/json.hpp>
