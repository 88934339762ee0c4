// Private, for the watcher: the one thing it asks of the transport beyond the API's requests.
#pragma once

#include <memory>

namespace pieces::detail {

class transport;

/// While held (by a watcher with subscribers), the client's idle connections are watched, so that one the server
/// closes is closed at once instead of sitting in CLOSE_WAIT (see transport::hold_idle_watch). Holds count; from
/// any thread.
void hold_idle_watch(const std::shared_ptr<transport>& client, bool hold);

}  // namespace pieces::detail
