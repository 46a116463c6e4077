//! Turning provider HTTP responses into [`DeliveryOutcome`]s.

use std::time::{Duration, SystemTime};

use reqwest::header::{HeaderMap, RETRY_AFTER};

use crate::DeliveryOutcome;

/// `Retry-After` as delta-seconds or an HTTP date (RFC 9110 §10.2.3).
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

/// Connection errors, timeouts and the like are temporary.
pub(crate) fn transport_failure(error: &reqwest::Error) -> DeliveryOutcome {
    DeliveryOutcome::Retry {
        after: None,
        reason: format!("transport error: {}", error_chain(error)),
    }
}

/// 429 and 5xx are temporary; the caller handles the provider-specific 4xx meanings first.
pub(crate) fn retryable_status(
    status: reqwest::StatusCode,
    headers: &HeaderMap,
    reason: String,
) -> Option<DeliveryOutcome> {
    if status == reqwest::StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
        Some(DeliveryOutcome::Retry {
            after: retry_after(headers),
            reason,
        })
    } else {
        None
    }
}

pub(crate) fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
