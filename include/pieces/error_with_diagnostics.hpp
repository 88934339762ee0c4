// The exception the awaitable (no completion token) forms throw.
#pragma once

#include <pieces/diagnostics.hpp>

#include <boost/system/system_error.hpp>

namespace pieces {

/// A `boost::system::system_error` that also carries the `diagnostics` of the failure.
/// `what()` gives the code's message, the endpoint and HTTP status, and the client message;
/// the untrusted server text is only in `get_diagnostics().server_message()`.
class error_with_diagnostics : public boost::system::system_error {
public:
    /// `what()` is `ec`'s message with the endpoint, HTTP status and client message; never the server's
    /// text, which stays in `get_diagnostics().server_message()`.
    error_with_diagnostics(boost::system::error_code ec, diagnostics diag);

    /// The details of the failure, server text included (untrusted).
    const diagnostics& get_diagnostics() const noexcept { return diag_; }

private:
    diagnostics diag_;
};

}  // namespace pieces
