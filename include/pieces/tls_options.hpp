// TLS settings of a client whose base URL is https://.
#pragma once

#include <string>

namespace pieces {

/// How a client speaks TLS to an `https://` base URL (ignored for `http://`). TLS 1.2 or newer only, with
/// SNI (for host names; RFC 6066 allows none for IP addresses).
///
/// Verification: by default the server's certificate chain must lead to a trusted CA and the certificate must
/// name the URL's host (RFC 6125 rules: a DNS name, or an IP address for an IP host; no partial wildcards).
/// Trusted are the system's CAs (OpenSSL's default paths, so the `SSL_CERT_FILE` and `SSL_CERT_DIR`
/// environment variables work as with other OpenSSL programs) and those of `ca_file` and `ca_directory`.
/// A certificate that fails ends the request in `errc::tls_certificate_rejected`, its diagnostics naming
/// the reason (unknown issuer, expired, host-name mismatch, ...).
///
/// Files are read when the client is constructed: one that cannot be read or used makes the constructor
/// throw `error_with_diagnostics` (`errc::invalid_config`, naming the field).
struct tls_options {
    /// Verify the server's certificate and host name. Turning it off (e.g. for a test server with a
    /// self-signed certificate) accepts any server: anyone on the path can then read and change the traffic.
    bool verify_peer = true;
    /// Trust the system's CA store (OpenSSL's default paths). Off: only `ca_file` and `ca_directory`.
    bool use_system_trust_store = true;
    /// A PEM file of further trusted CA certificates ("" for none).
    std::string ca_file;
    /// A directory of further trusted CA certificates, named by hash as `openssl rehash` makes them ("" for none).
    std::string ca_directory;
    /// A client certificate (PEM, the chain after it) presented when the server asks for one; with
    /// `private_key_file`, both or neither.
    std::string certificate_file;
    /// The private key (PEM, unencrypted) of `certificate_file`.
    std::string private_key_file;
};

}  // namespace pieces
