// Private: the one strand type of the library (the transport's and the watcher's).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>

namespace pieces::detail {

/// A strand, type-erased. Over an io_context's own executor when `ex` is one: that strand fits in
/// any_io_executor's inline storage, so a completion that hops through it allocates nothing; over `ex` otherwise.
using strand_type = boost::asio::any_io_executor;

inline strand_type make_strand_for(const boost::asio::any_io_executor& ex) {
    if (const auto* ioc = ex.target<boost::asio::io_context::executor_type>()) return boost::asio::make_strand(*ioc);
    return boost::asio::make_strand(ex);
}

}  // namespace pieces::detail
