// Peer of snapshot_polling in Rust: hyper 0.14's pooled client on a current-thread tokio runtime, P tasks each
// looping GET /allocations (one request in flight each, so P keep-alive connections), the reply deserialised
// by serde_json into typed models and its clouds counted, for N requests after the same warm-up as ours.
// Prints one CSV row in snapshot_polling's --csv columns ("-" where this peer cannot tell); exits 1 when a
// request failed or no cloud was read.
// Usage: pieces-peer-rust URL P N
use hyper::client::HttpConnector;
use hyper::{Body, Client, StatusCode, Uri};
use serde::de::{Deserializer, Visitor};
use serde_derive::Deserialize;
use std::cell::{Cell, RefCell};
use std::fmt;
use std::rc::Rc;
use std::time::Instant;

// ---- the models: the members of the API's Allocations, typed as the C++ models hold them; serde skips
// members it does not know. Only the count of clouds is read back: the rest is there to be decoded.

#[derive(Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[allow(dead_code)]
enum AllocationStatus {
    Pending,
    Running,
    Failed,
    Succeeded,
    Disconnected,
    #[serde(other)] // UNKNOWN and any status this version does not know
    Unknown,
}

#[derive(Deserialize)]
#[allow(dead_code)]
enum SemanticVersion {
    #[serde(rename = "MAJOR_0_MINOR_0_PATCH_1")]
    Major0Minor0Patch1,
    #[serde(other)]
    Unknown,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct EmbeddedModelSchema {
    migration: i64,
    semantic: SemanticVersion,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct GroupedTimestamp {
    schema: Option<EmbeddedModelSchema>,
    #[serde(deserialize_with = "rfc3339_ns")]
    value: i64, // nanoseconds since 1970 (UTC), as the C++ model holds it
    readable: Option<String>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct AllocationCloudUrl {
    schema: Option<EmbeddedModelSchema>,
    url: String,
    status: AllocationStatus,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct AllocationCloudUrls {
    schema: Option<EmbeddedModelSchema>,
    base: AllocationCloudUrl,
    id: AllocationCloudUrl,
    vanity: Option<AllocationCloudUrl>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct AllocationCloudStatus {
    schema: Option<EmbeddedModelSchema>,
    cloud: AllocationStatus,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct AllocationCloud {
    schema: Option<EmbeddedModelSchema>,
    id: String,
    user: String,
    urls: AllocationCloudUrls,
    status: AllocationCloudStatus,
    project: String,
    updated: Option<GroupedTimestamp>,
    version: Option<String>,
    region: Option<String>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct Allocations {
    schema: Option<EmbeddedModelSchema>,
    iterable: Vec<AllocationCloud>,
}

// An RFC 3339 date-time ("2026-10-03T08:15:42.250Z", "...+02:00") as nanoseconds since 1970: read from the
// string in place (a visitor, so no String is made), as the C++ models read it.
fn rfc3339_ns<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    struct Rfc3339;
    impl<'de> Visitor<'de> for Rfc3339 {
        type Value = i64;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("an RFC 3339 date-time")
        }
        fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<i64, E> {
            parse_rfc3339(s.as_bytes()).ok_or_else(|| E::custom(format!("not an RFC 3339 date-time: {s}")))
        }
    }
    d.deserialize_str(Rfc3339)
}

fn parse_rfc3339(s: &[u8]) -> Option<i64> {
    let num = |from: usize, len: usize| -> Option<i64> {
        let digits = s.get(from..from + len)?;
        digits.iter().try_fold(0i64, |n, &c| c.is_ascii_digit().then(|| n * 10 + i64::from(c - b'0')))
    };
    let sep = |at: usize, allowed: &[u8]| s.get(at).map_or(false, |c| allowed.contains(c));
    if !(sep(4, b"-") && sep(7, b"-") && sep(10, b"Tt ") && sep(13, b":") && sep(16, b":")) {
        return None;
    }
    let (year, month, day) = (num(0, 4)?, num(5, 2)?, num(8, 2)?);
    let (hour, minute, second) = (num(11, 2)?, num(14, 2)?, num(17, 2)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut at = 19;
    let mut nanos = 0i64;
    if sep(at, b".") {
        at += 1;
        let start = at;
        while s.get(at).map_or(false, u8::is_ascii_digit) {
            if at - start < 9 {
                nanos = nanos * 10 + i64::from(s[at] - b'0');
            }
            at += 1;
        }
        if at == start {
            return None;
        }
        for _ in (at - start).min(9)..9 {
            nanos *= 10;
        }
    }
    let offset_s = match s.get(at)? {
        b'Z' | b'z' if at + 1 == s.len() => 0,
        b'+' | b'-' if at + 6 == s.len() && sep(at + 3, b":") => {
            let sign = if s[at] == b'-' { -1 } else { 1 };
            sign * (num(at + 1, 2)? * 3600 + num(at + 4, 2)? * 60)
        }
        _ => return None,
    };
    // days since 1970-01-01 in the proleptic Gregorian calendar: years counted from March, so that the leap
    // day ends a year
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    let days = era * 146_097 + day_of_era - 719_468;
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset_s;
    seconds.checked_mul(1_000_000_000)?.checked_add(nanos)
}

// ---- the polling

type Error = Box<dyn std::error::Error>;

// One GET /allocations: its clouds, or why not.
async fn snapshot(client: &Client<HttpConnector>, uri: &Uri) -> Result<usize, Error> {
    let reply = client.get(uri.clone()).await?;
    if reply.status() != StatusCode::OK {
        return Err(format!("HTTP status {}", reply.status()).into());
    }
    let body = hyper::body::to_bytes(reply.into_body()).await?;
    let all: Allocations = serde_json::from_slice(&body)?;
    Ok(all.iterable.len()) // touch the result
}

#[derive(Default)]
struct Tally {
    latencies_us: Vec<u32>,
    clouds: usize,
    errors: usize,
    first_error: Option<String>,
}

// P tasks on the current thread share `client`; they stop once `total` requests were issued.
async fn poll(client: &Client<HttpConnector>, uri: &Uri, pollers: usize, total: usize, timed: bool) -> Tally {
    let issued = Rc::new(Cell::new(0usize));
    let tally = Rc::new(RefCell::new(Tally::default()));
    if timed {
        tally.borrow_mut().latencies_us.reserve(total);
    }
    let tasks = tokio::task::LocalSet::new();
    for _ in 0..pollers {
        let (client, uri, issued, tally) = (client.clone(), uri.clone(), issued.clone(), tally.clone());
        tasks.spawn_local(async move {
            while issued.get() < total {
                issued.set(issued.get() + 1);
                let t0 = Instant::now();
                let result = snapshot(&client, &uri).await;
                let mut t = tally.borrow_mut();
                match result {
                    Ok(clouds) => t.clouds += clouds,
                    Err(e) => {
                        t.errors += 1;
                        t.first_error.get_or_insert_with(|| e.to_string());
                    }
                }
                if timed {
                    t.latencies_us.push(t0.elapsed().as_micros() as u32);
                }
            }
        });
    }
    tasks.await;
    let done = std::mem::take(&mut *tally.borrow_mut());
    done
}

struct Usage {
    cpu_us: f64,
    max_rss_kb: i64,
}

fn usage() -> Usage {
    // SAFETY: getrusage only writes the struct it is given.
    let ru = unsafe {
        let mut ru: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut ru);
        ru
    };
    let us = |t: libc::timeval| t.tv_sec as f64 * 1e6 + t.tv_usec as f64;
    Usage { cpu_us: us(ru.ru_utime) + us(ru.ru_stime), max_rss_kb: ru.ru_maxrss as i64 }
}

fn usage_error() -> ! {
    eprintln!("usage: pieces-peer-rust URL P N");
    std::process::exit(2)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 4 {
        usage_error();
    }
    let uri: Uri = match format!("{}/allocations", args[1].trim_end_matches('/')).parse() {
        Ok(u) => u,
        Err(_) => usage_error(),
    };
    let pollers: usize = args[2].parse().ok().filter(|&p| p > 0).unwrap_or_else(|| usage_error());
    let requests: usize = args[3].parse::<usize>().unwrap_or_else(|_| usage_error()).max(pollers);

    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a tokio runtime");
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true); // as ours and Go's client do
    // one request in flight per task: P connections, all kept between requests
    let client = Client::builder().pool_max_idle_per_host(pollers).build::<_, Body>(connector);

    let (tally, seconds, cpu_us, max_rss_kb) = runtime.block_on(async {
        poll(&client, &uri, pollers, pollers.saturating_mul(2).max(500), false).await; // warm-up: opens the pool
        let before = usage();
        let t0 = Instant::now();
        let tally = poll(&client, &uri, pollers, requests, true).await;
        let seconds = t0.elapsed().as_secs_f64();
        let after = usage();
        (tally, seconds, after.cpu_us - before.cpu_us, after.max_rss_kb)
    });

    let mut lat = tally.latencies_us;
    lat.sort_unstable();
    let pct = |q: f64| lat.get(((q * lat.len() as f64) as usize).min(lat.len().saturating_sub(1))).copied().unwrap_or(0);
    println!(
        "rust,{pollers},{pollers},{requests},{:.0},{},{},{},{},{:.2},-,-,{max_rss_kb},-,-",
        requests as f64 / seconds,
        pct(0.50),
        pct(0.90),
        pct(0.99),
        lat.last().copied().unwrap_or(0),
        cpu_us / requests as f64
    );
    if tally.errors > 0 || tally.clouds == 0 {
        eprintln!(
            "pieces-peer-rust: {} failed requests, {} clouds at P={pollers} (first error: {})",
            tally.errors,
            tally.clouds,
            tally.first_error.as_deref().unwrap_or("none")
        );
        std::process::exit(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339() {
        assert_eq!(parse_rfc3339(b"1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_rfc3339(b"2026-10-03T08:15:42.250Z"), Some(1_791_015_342_250_000_000));
        assert_eq!(parse_rfc3339(b"1969-12-31T23:59:59.5Z"), Some(-500_000_000));
        assert_eq!(parse_rfc3339(b"2000-02-29T12:00:00+02:00"), Some(951_818_400_000_000_000));
        assert_eq!(parse_rfc3339(b"2026-10-03T08:15:42.123456789123Z"), Some(1_791_015_342_123_456_789));
        assert_eq!(parse_rfc3339(b"1600-03-01T00:00:00Z"), None); // beyond i64 nanoseconds, as in the C++ model
        for bad in ["", "2026-10-03", "2026-10-03T08:15:42", "2026-13-03T08:15:42Z", "2026-10-03T08:15:42.Z",
                    "2026-10-03T08:15:42Zx", "2026-10-03T08:15:42+0200"] {
            assert_eq!(parse_rfc3339(bad.as_bytes()), None, "{bad}");
        }
    }

    #[test]
    fn fixture() {
        let all: Allocations =
            serde_json::from_str(include_str!("../../../../test/data/allocations.json")).expect("the fixture");
        assert_eq!(all.iterable.len(), 3);
        assert!(matches!(all.iterable[2].status.cloud, AllocationStatus::Disconnected));
        assert_eq!(all.iterable[0].updated.as_ref().map(|u| u.value), Some(1_791_015_342_250_000_000));
    }
}
