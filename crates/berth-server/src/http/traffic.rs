//! Requests and errors per minute on this node, kept in memory for the console's overview. Each node
//! counts only what it served and forgets it on restart; behind a load balancer every node shows its
//! own share (the console says so).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use serde::Serialize;

/// How many minutes are kept: the console's chart shows the last hour.
pub const MINUTES_KEPT: usize = 60;

/// One minute of traffic.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Minute {
    /// Start of the minute, in seconds since the Unix epoch.
    pub start: u64,
    pub requests: u64,
    /// Answers with a 4xx status.
    pub client_errors: u64,
    /// Answers with a 5xx status.
    pub server_errors: u64,
}

/// The counters of one minute; slot `m % 60` holds minute `m` until minute `m + 60` reuses it.
#[derive(Debug, Default)]
struct Slot {
    start: AtomicU64,
    requests: AtomicU64,
    client_errors: AtomicU64,
    server_errors: AtomicU64,
}

/// Lock-free, so counting costs every request a few atomic additions and never a wait. At a minute
/// boundary, a request counted by another thread while the first one of the new minute resets the
/// slot may be lost: the figures are for watching, not for billing.
#[derive(Debug, Clone)]
pub struct Traffic {
    slots: Arc<[Slot; MINUTES_KEPT]>,
}

impl Default for Traffic {
    fn default() -> Self {
        Self {
            slots: Arc::new(std::array::from_fn(|_| Slot::default())),
        }
    }
}

impl Traffic {
    pub fn record(&self, status: u16, now_seconds: u64) {
        let minute = now_seconds / 60;
        let start = minute * 60;
        let slot = &self.slots[(minute % MINUTES_KEPT as u64) as usize];
        let seen = slot.start.load(Ordering::Acquire);
        if seen < start
            && slot
                .start
                .compare_exchange(seen, start, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
        {
            slot.requests.store(0, Ordering::Relaxed);
            slot.client_errors.store(0, Ordering::Relaxed);
            slot.server_errors.store(0, Ordering::Relaxed);
        } else if seen > start {
            // The clock stepped back past this slot's minute: leave the newer figures alone.
            return;
        }
        slot.requests.fetch_add(1, Ordering::Relaxed);
        match status {
            400..=499 => slot.client_errors.fetch_add(1, Ordering::Relaxed),
            500..=599 => slot.server_errors.fetch_add(1, Ordering::Relaxed),
            _ => 0,
        };
    }

    /// The last hour up to the minute of `now_seconds`, oldest first, one entry for every minute
    /// (zero where nothing was served).
    pub fn last_hour(&self, now_seconds: u64) -> Vec<Minute> {
        let current = now_seconds / 60;
        (0..MINUTES_KEPT as u64)
            .rev()
            .filter_map(|ago| current.checked_sub(ago))
            .map(|minute| {
                let start = minute * 60;
                let slot = &self.slots[(minute % MINUTES_KEPT as u64) as usize];
                if slot.start.load(Ordering::Acquire) != start {
                    return Minute {
                        start,
                        ..Minute::default()
                    };
                }
                Minute {
                    start,
                    requests: slot.requests.load(Ordering::Relaxed),
                    client_errors: slot.client_errors.load(Ordering::Relaxed),
                    server_errors: slot.server_errors.load(Ordering::Relaxed),
                }
            })
            .collect()
    }
}

pub fn now_seconds() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs())
        .unwrap_or(0)
}

/// Counts every answer except the console's own pages and polls, which would otherwise drown what
/// the apps do.
pub async fn count(State(traffic): State<Traffic>, request: Request, next: Next) -> Response {
    let counted = !request.uri().path().starts_with("/console");
    let response = next.run(request).await;
    if counted {
        traffic.record(response.status().as_u16(), now_seconds());
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_minute_and_fills_quiet_minutes() {
        let traffic = Traffic::default();
        // A minute boundary (1_800_000_000 is a multiple of 60).
        let base = 1_800_000_000;
        traffic.record(200, base + 1);
        traffic.record(404, base + 59);
        traffic.record(503, base + 120);
        let hour = traffic.last_hour(base + 130);
        assert_eq!(hour.len(), MINUTES_KEPT);
        let last = hour[MINUTES_KEPT - 1];
        assert_eq!(
            (last.start, last.requests, last.server_errors),
            (base + 120, 1, 1)
        );
        assert_eq!(hour[MINUTES_KEPT - 2].requests, 0);
        let first = hour[MINUTES_KEPT - 3];
        assert_eq!(
            (first.start, first.requests, first.client_errors),
            (base, 2, 1)
        );
    }

    #[test]
    fn forgets_what_is_older_than_an_hour() {
        let traffic = Traffic::default();
        let base = 1_800_000_000;
        for minute in 0..(MINUTES_KEPT as u64 + 10) {
            traffic.record(200, base + minute * 60);
            traffic.record(500, base + minute * 60 + 30);
        }
        let hour = traffic.last_hour(base + (MINUTES_KEPT as u64 + 9) * 60);
        assert_eq!(hour.len(), MINUTES_KEPT);
        assert_eq!(hour[0].start, base + 10 * 60);
        assert!(
            hour.iter()
                .all(|minute| minute.requests == 2 && minute.server_errors == 1)
        );
    }

    #[test]
    fn counts_from_many_threads_add_up() {
        let traffic = Traffic::default();
        let now = 1_800_000_000 + 5;
        // The minute's first request claims the slot; the rest only add.
        traffic.record(200, now);
        std::thread::scope(|scope| {
            for _ in 0..4 {
                scope.spawn(|| {
                    for _ in 0..1000 {
                        traffic.record(404, now);
                    }
                });
            }
        });
        let last = traffic.last_hour(now)[MINUTES_KEPT - 1];
        assert_eq!((last.requests, last.client_errors), (4001, 4000));
    }
}
