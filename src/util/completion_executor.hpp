// Private: the executor a completion handler runs on when it names none of its own.
#pragma once

#include <boost/asio/any_completion_executor.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/io_context.hpp>

namespace pieces::detail {

/// `ex` as a handler's default executor. Over the io_context's own executor when `ex` is one: that fits in
/// any_completion_executor's inline storage, so neither making it nor copying it per operation allocates.
inline boost::asio::any_completion_executor make_completion_executor(const boost::asio::any_io_executor& ex) {
    if (const auto* ioc = ex.target<boost::asio::io_context::executor_type>())
        return boost::asio::any_completion_executor(*ioc);
    return boost::asio::any_completion_executor(ex);
}

}  // namespace pieces::detail
