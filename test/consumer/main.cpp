// Uses both installed targets: starts the emulator in-process and takes a snapshot with the client.
#include <pieces/pieces.hpp>
#include <pieces/testing/emulator.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <iostream>

int main() {
    boost::asio::io_context ioc;
    pieces::testing::emulator server(ioc.get_executor());
    pieces::client_config cfg;
    cfg.url = server.url();
    pieces::client client(ioc, cfg);
    pieces::allocations_api api(client);
    int status = 1;
    boost::asio::co_spawn(ioc, api.allocations_snapshot(), [&](std::exception_ptr e, pieces::Allocations all) {
        if (e) {
            std::cerr << "consumer: the snapshot failed\n";
        } else {
            std::cout << "consumer: " << all.iterable.size() << " clouds from " << server.url() << "\n";
            status = 0;
        }
        server.stop();
    });
    ioc.run();
    return status;
}
