// Shows: an event-loop application with no coroutines in user code. Each call takes a plain callback
// `void(error_code, T)`; the io_context is the application's loop. Usage: callbacks_event_loop [--url URL]
#include "example_server.hpp"

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
    allocations.allocations_snapshot({}, [&](boost::system::error_code ec, pieces::Allocations all) {
        if (ec || all.iterable.empty()) {
            std::cerr << "snapshot failed: " << ec.message() << "\n";
            return ioc.stop();
        }
        const std::string id = all.iterable.front().id;
        allocation.allocation_snapshot(id, {}, [&, id](boost::system::error_code ec2, pieces::AllocationCloud cloud) {
            if (!ec2 && cloud.id == id) {
                std::cout << "cloud " << cloud.id << " is " << pieces::to_string(cloud.status.cloud) << "\n";
                status = 0;
            }
            ioc.stop();
        });
    });
    ioc.run();
    return status;
}
