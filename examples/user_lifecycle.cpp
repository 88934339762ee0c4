// Shows: a user's cloud through its life: connect the user, reconnect the cloud, disconnect it, and read
// it back. Usage: user_lifecycle [--url URL]
#include "example_server.hpp"

#include <boost/asio/co_spawn.hpp>

#include <iostream>

int main(int argc, char** argv) {
    boost::asio::io_context ioc;
    example::server server(ioc, argc, argv);
    pieces::client_config cfg;
    cfg.url = server.url;
    pieces::client client(ioc, cfg);
    pieces::allocations_api allocations(client);
    pieces::allocation_api allocation(client);

    int status = 1;
    boost::asio::co_spawn(ioc, [&]() -> boost::asio::awaitable<void> {
        auto cloud = co_await allocations.allocations_connect_new_cloud(example::sample_user());
        std::cout << "connected:    " << cloud.id << " " << pieces::to_string(cloud.status.cloud) << "\n";
        cloud = co_await allocations.allocations_reconnect_cloud(cloud);
        std::cout << "reconnected:  " << pieces::to_string(cloud.status.cloud) << "\n";
        const std::string id = co_await allocations.allocations_disconnect_cloud(cloud);
        const auto after = co_await allocation.allocation_snapshot(id);
        std::cout << "disconnected: " << id << " " << pieces::to_string(after.status.cloud) << "\n";
        status = after.status.cloud == pieces::AllocationStatusEnum::DISCONNECTED ? 0 : 1;
    }, [&](std::exception_ptr e) {
        if (e) try { std::rethrow_exception(e); } catch (const std::exception& ex) { std::cerr << ex.what() << "\n"; }
        ioc.stop();
    });
    ioc.run();
    return status;
}
