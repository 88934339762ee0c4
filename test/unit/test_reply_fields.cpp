// What the client reads from reply header fields, its deadline arithmetic, and the recycling of reply bodies:
// plain functions, no I/O.
#include "http/body_buffers.hpp"
#include "util/saturating_time.hpp"
#include "http/reply_fields.hpp"

#include <catch2/catch.hpp>

using namespace pieces::detail;
using namespace std::chrono;
using namespace std::chrono_literals;

TEST_CASE("reply fields: JSON content types") {
    CHECK(is_json_type("application/json"));
    CHECK(is_json_type("Application/JSON; charset=utf-8"));
    CHECK(is_json_type("application/problem+json"));
    CHECK(is_json_type(" application/json ;charset=utf-8"));
    CHECK_FALSE(is_json_type("text/plain"));
    CHECK_FALSE(is_json_type("application/jsonp"));
    CHECK_FALSE(is_json_type("json"));
    CHECK_FALSE(is_json_type(""));
}

TEST_CASE("reply fields: Keep-Alive timeout=") {
    CHECK(keep_alive_timeout("timeout=5, max=100") == 5s);
    CHECK(keep_alive_timeout("max=100, timeout=0") == 0s);
    CHECK(keep_alive_timeout("timeout=99999999999") == seconds{99999999999});
    CHECK_FALSE(keep_alive_timeout("max=100"));
    CHECK_FALSE(keep_alive_timeout("timeout=-1"));
    CHECK_FALSE(keep_alive_timeout("timeout=abc"));
    CHECK_FALSE(keep_alive_timeout("timeout=99999999999999999999"));  // beyond int64
    CHECK_FALSE(keep_alive_timeout(""));
}

TEST_CASE("reply fields: the idle limit is the shorter of ours and the server's, never overflowing") {
    CHECK(idle_limit_for(30s, std::nullopt) == 30s);
    CHECK(idle_limit_for(30s, 5s) == 5s);
    CHECK(idle_limit_for(30s, 0s) == 0s);
    CHECK(idle_limit_for(30s, 30s) == 30s);
    CHECK(idle_limit_for(30s, 31s) == 30s);
    CHECK(idle_limit_for(5500ms, 5s) == 5s);
    CHECK(idle_limit_for(5500ms, 6s) == 5500ms);
    CHECK(idle_limit_for(30s, seconds{99999999999}) == 30s);
    CHECK(idle_limit_for(30s, seconds::max()) == 30s);
    CHECK(idle_limit_for(milliseconds::max(), std::nullopt) == clock_type::duration::max());
    CHECK(idle_limit_for(milliseconds::max(), seconds::max()) == clock_type::duration::max());
    CHECK(idle_limit_for(milliseconds::max(), 7s) == 7s);
}

TEST_CASE("deadlines saturate instead of overflowing") {
    const auto now = clock_type::now();
    CHECK(deadline_after(now, 250ms) == now + 250ms);
    CHECK(deadline_after(now, 0ms) == now);
    CHECK(deadline_after(now, -5ms) == now);
    CHECK(deadline_after(now, milliseconds::max()) == clock_type::time_point::max());
    CHECK(deadline_after(now, duration_cast<milliseconds>(hours{24 * 365 * 400})) == clock_type::time_point::max());
    const auto room = duration_cast<milliseconds>(clock_type::time_point::max() - now);
    CHECK(deadline_after(now, room - 1ms) == now + (room - 1ms));
    CHECK(deadline_after(now, room) == clock_type::time_point::max());
    CHECK(to_clock_duration(milliseconds::max()) == clock_type::duration::max());
    CHECK(to_clock_duration(milliseconds::min()) == clock_type::duration::min());
    CHECK(to_clock_duration(1500ms) == 1500ms);
}

TEST_CASE("reply fields: Retry-After, in seconds or as an HTTP date in its three forms") {
    const auto now = sys_days{year{2026} / 11 / 24} + 12h;
    CHECK(retry_after_delay("1", now) == 1s);
    CHECK(retry_after_delay(" 120 ", now) == 120s);
    CHECK(retry_after_delay("0", now) == 0s);
    CHECK(retry_after_delay("99999999999999999999999", now) == seconds{1'000'000'000});
    CHECK_FALSE(retry_after_delay("-1", now));
    CHECK_FALSE(retry_after_delay("1.5", now));
    CHECK_FALSE(retry_after_delay("", now));
    CHECK_FALSE(retry_after_delay("soon", now));
    CHECK(retry_after_delay("Tue, 24 Nov 2026 12:00:30 GMT", now) == 30s);
    CHECK(retry_after_delay("Tuesday, 24-Nov-26 12:01:00 GMT", now) == 60s);
    CHECK(retry_after_delay("Tue Nov 24 12:00:05 2026", now) == 5s);
    CHECK(retry_after_delay("Tue, 24 Nov 2026 11:00:00 GMT", now) == 0s);  // in the past: at once
    CHECK(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT", now) == sys_days{year{1994} / 11 / 6} + 8h + 49min + 37s);
    CHECK(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT", now) == sys_days{year{1994} / 11 / 6} + 8h + 49min + 37s);
    CHECK(parse_http_date("Sun Nov  6 08:49:37 1994", now) == sys_days{year{1994} / 11 / 6} + 8h + 49min + 37s);
    CHECK(parse_http_date("Wed, 01-Jan-76 00:00:00 GMT", now) == sys_days{year{2076} / 1 / 1});  // 50 years ahead
    CHECK(parse_http_date("Fri, 01-Jan-77 00:00:00 GMT", now) == sys_days{year{1977} / 1 / 1});  // more: the past
    CHECK(parse_http_date("Thu, 31-Dec-76 00:00:00 GMT", now) == sys_days{year{1976} / 12 / 31});  // by the day
    CHECK_FALSE(parse_http_date("Sun, 31 Feb 1994 08:49:37 GMT", now));
    CHECK_FALSE(parse_http_date("Sun, 06 Nov 1994 24:00:00 GMT", now));
    CHECK_FALSE(parse_http_date("Sun, 06 Nov 1994 08:49:37 UTC", now));
    CHECK_FALSE(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT ", now));
    CHECK_FALSE(parse_http_date("Sun, 6 Nov 1994 08:49:37 GMT", now));
    CHECK_FALSE(parse_http_date("Sun, 06 Foo 1994 08:49:37 GMT", now));
    CHECK_FALSE(parse_http_date("Sun Nov 6 08:49:37 1994", now));
    CHECK_FALSE(parse_http_date("", now));
}

TEST_CASE("reply bodies: the memory of one given back is the next one's, a few at most, none too large") {
    for (int i = 0; i < 8; ++i) (void)take_body_buffer();  // whatever earlier cases left on this thread
    std::string body(1566, 'x');
    const char* memory = body.data();
    give_back_body_buffer(std::move(body));
    std::string next = take_body_buffer();
    CHECK(next.empty());
    CHECK(next.capacity() >= 1566);
    CHECK(next.data() == memory);
    CHECK(take_body_buffer().capacity() < 64);  // none left

    give_back_body_buffer(std::string(257 * 1024, 'x'));  // too large to keep (over 256 KiB)
    give_back_body_buffer(std::string(10, 'x'));         // nothing worth keeping
    CHECK(take_body_buffer().capacity() < 64);

    for (int i = 0; i < 6; ++i) give_back_body_buffer(std::string(2000, 'x'));
    int kept = 0;
    while (take_body_buffer().capacity() >= 2000) ++kept;
    CHECK(kept == 4);
}
