// The client's one deadline timer, armed at the earliest deadline queued (not re-armed for later ones): when it
// fires, every request past its deadline has the step in flight cancelled, which ends it in request_timeout.
#include "http/request_state.hpp"
#include "http/transport.hpp"

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/cancellation_type.hpp>
#include <boost/asio/error.hpp>

#include <memory>

namespace pieces::detail {

namespace asio = boost::asio;
using boost::system::error_code;

void transport::schedule_deadlines() {
    const auto next = deadlines.earliest();
    if (!next) {
        if (deadline_armed) {  // nothing left: leave no wait behind to keep the io_context busy
            deadline_armed = false;
            deadline_timer.cancel();
        }
        return;
    }
    if (deadline_armed && deadline_armed_at <= *next) return;
    deadline_armed = true;
    deadline_armed_at = *next;
    deadline_timer.expires_at(*next);  // a wait armed later is cancelled (its handler just returns)
    deadline_timer.async_wait(asio::bind_executor(strand, [w = weak_from_this()](error_code ec) {
        auto self = w.lock();
        if (!self || ec == asio::error::operation_aborted) return;
        self->deadline_armed = false;
        self->deadlines.expire(clock_type::now(), [](deadline_entry& e) {
            auto& st = static_cast<request_state&>(e);
            st.timed_out = true;
            st.signal.emit(asio::cancellation_type::terminal);
        });
        self->schedule_deadlines();
    }));
}

}  // namespace pieces::detail
