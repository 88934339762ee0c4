// What every operation of `allocations_api` and `allocation_api` has in common, written once: the reference
// page `operations` (Doxygen), which each class and operation refers to.
#pragma once

/// \defgroup operations Operations
/// What every operation of `pieces::allocations_api` and `pieces::allocation_api` has in common; each operation
/// adds its handler signature, its executor, its cancellation and the errors specific to it.
///
/// **Forms.** Every operation is one function template: its last two parameters are the `call_options` (timeout,
/// retries, diagnostics) and a completion token, both optional. Without a token (`default_completion_token`) it
/// returns `boost::asio::awaitable<T>`: `co_await` gives the result and throws `error_with_diagnostics` on
/// failure. With any Asio completion token (`as_tuple(use_awaitable)`, a callback, `use_future`, `deferred`, ...)
/// it completes with `void(boost::system::error_code, T)`; pass `{}` for default options: `api.op({}, token)`.
/// `with_diagnostics(token)` turns any token into the throwing form. Each operation is compiled once, in the
/// library, for every token: the token only decides how the result is delivered.
///
/// **Executor.** The handler runs on its associated executor (the client's when it names none), never inside
/// the initiating call; outstanding work is held on that executor until then.
///
/// **Errors.** Every failure has a specific code (`pieces::errc`): the statuses each operation names, then
/// `unexpected_status`, `invalid_response` (a 2xx that is not the promised model), `malformed_http`,
/// `response_too_large`, `connection_closed`, `request_timeout`, `connection_failed`, `invalid_argument` (a
/// per-call timeout <= 0 or an unusable per-call retry policy), `client_closed`, `operation_aborted`.
/// `call_options::diag` (or the exception) says more; the server's text there is untrusted.
///
/// **Retries.** Off by default; `client_config::retry`, or `call_options::retry` per call, attempts a 504, a
/// failed connection or one closed before any reply again (POSTs only when opted in), all within the one
/// deadline: see `retry_policy`.
///
/// **Cancellation.** Terminal cancellation through the token's cancellation slot ends the operation promptly
/// with `operation_aborted`; the connection in use is closed. `client::cancel()` ends all of them.
///
/// **Thread-safety.** A `const` API object may be used from any thread; its operations share the client's pool.
///
/// **Object lifetimes.** The API object may be destroyed while its operations are pending; `call_options::diag`
/// must outlive the operation. The executor's execution context must outlive pending operations.
