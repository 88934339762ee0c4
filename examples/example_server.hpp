// Shared by the examples: talk to the Pieces OS given with `--url URL`, or else to an emulator started
// in-process with a few sample clouds (so every example runs anywhere).
#pragma once

#include <pieces/pieces.hpp>
#include <pieces/testing/emulator.hpp>

#include <boost/asio/io_context.hpp>

#include <memory>
#include <string>
#include <string_view>

namespace example {

inline pieces::UserProfile sample_user() {
    pieces::UserProfile user;
    user.id = "6f1c2a9e-3b4d-4c8e-9a1f-2d7e5b0c8a41";
    user.email = "mark@example.com";
    user.name = "Mark Example";
    user.vanityname = "mark";
    user.aesthetics.font.size = 14;
    user.aesthetics.theme.dark = true;
    return user;
}

inline pieces::AllocationCloud sample_cloud(std::string id, pieces::AllocationStatusEnum status) {
    pieces::AllocationCloud c;
    c.id = c.user = std::move(id);
    c.urls.base = {std::nullopt, "https://pieces-cloud-us-central1.run.app/" + c.id.substr(0, 8), status, {}};
    c.urls.id = {std::nullopt, "https://" + c.id + ".pieces.cloud", status, {}};
    c.status.cloud = status;
    c.project = "pieces-production";
    c.region = "us-central1";
    return c;
}

inline pieces::call_options with_diag(pieces::diagnostics* d) {
    pieces::call_options o;
    o.diag = d;
    return o;
}

inline pieces::call_options with_timeout(std::chrono::milliseconds t) {
    pieces::call_options o;
    o.timeout = t;
    return o;
}

/// The server an example talks to: `--url URL` from the command line, else an embedded emulator.
struct server {
    server(boost::asio::io_context& ioc, int argc, char** argv) {
        for (int i = 1; i + 1 < argc; ++i)
            if (std::string_view(argv[i]) == "--url") url = argv[i + 1];
        if (url.empty()) {
            emulator = std::make_unique<pieces::testing::emulator>(ioc.get_executor());
            emulator->put(sample_cloud("0d7e1c52-8a3b-4f6e-9c21-5b8d4e7a1f30", pieces::AllocationStatusEnum::RUNNING));
            emulator->put(sample_cloud("9a4f2e61-7c8d-4b1a-8e3f-2d6c5b9a0e17", pieces::AllocationStatusEnum::PENDING));
            url = emulator->url();
        }
    }
    std::string url;
    std::unique_ptr<pieces::testing::emulator> emulator;  // null when talking to a real Pieces OS
};

}  // namespace example
