//! Requests and errors per minute on this node, kept in memory for the console's overview. Each node
//! counts only what it served and forgets it on restart; behind a load balancer every node shows its
//! own share (the console says so).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
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

#[derive(Debug, Clone, Default)]
pub struct Traffic {
    minutes: Arc<Mutex<VecDeque<Minute>>>,
}

impl Traffic {
    pub fn record(&self, status: u16, now_seconds: u64) {
        let start = now_seconds - now_seconds % 60;
        let mut minutes = self.minutes.lock().unwrap_or_else(|e| e.into_inner());
        if minutes.back().is_none_or(|last| last.start < start) {
            minutes.push_back(Minute {
                start,
                ..Minute::default()
            });
            while minutes.len() > MINUTES_KEPT {
                minutes.pop_front();
            }
        }
        // A clock stepping back counts into the newest minute rather than reordering the list.
        if let Some(minute) = minutes.back_mut() {
            minute.requests += 1;
            match status {
                400..=499 => minute.client_errors += 1,
                500..=599 => minute.server_errors += 1,
                _ => {}
            }
        }
    }

    /// The last hour up to the minute of `now_seconds`, oldest first, one entry for every minute
    /// (zero where nothing was served).
    pub fn last_hour(&self, now_seconds: u64) -> Vec<Minute> {
        let current = now_seconds - now_seconds % 60;
        let minutes = self.minutes.lock().unwrap_or_else(|e| e.into_inner());
        (0..MINUTES_KEPT as u64)
            .rev()
            .map(|ago| current.saturating_sub(ago * 60))
            .map(|start| {
                minutes
                    .iter()
                    .find(|minute| minute.start == start)
                    .copied()
                    .unwrap_or(Minute {
                        start,
                        ..Minute::default()
                    })
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
        for minute in 0..(MINUTES_KEPT as u64 + 10) {
            traffic.record(200, minute * 60);
        }
        assert_eq!(traffic.minutes.lock().expect("lock").len(), MINUTES_KEPT);
        let hour = traffic.last_hour((MINUTES_KEPT as u64 + 9) * 60);
        assert!(hour.iter().all(|minute| minute.requests == 1));
    }
}
