//! Limits on what one request may ask of the server, checked before any handler runs: the length of
//! the target, the number and size of header lines, and the time a request may take (a client that
//! sends its body slowly holds a connection and a task; so does a runaway handler). Each rejection is
//! answered in the format of the API the path belongs to: a JSON-RPC error object (HTTP 200, as the
//! Monaca surfaces answer everything) for `/json-rpc/…` and `/manage/json-rpc/…`, the Oracle problem
//! body for everything else.
//!
//! Oracle storage objects are exempt from the whole-request deadline (they may be large and the link
//! slow); their bodies must instead never stall for longer than it.
//!
//! Body sizes are limited per surface where the bodies are read (`DefaultBodyLimit`), JSON nesting by
//! the JSON parser (128 levels), MonaQL by `berth_core::monaql::limits`, page sizes by each list.

use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::http::HeaderValue;
use axum::http::header::{ACCESS_CONTROL_ALLOW_ORIGIN, ORIGIN, VARY};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use tower_http::timeout::TimeoutBody;

use super::monaca::jsonrpc::{self, RpcError};
use super::oracle_error::{ErrorCode, OracleError};

/// Most header lines one request may carry.
pub const MAX_HEADER_COUNT: usize = 100;
/// Most bytes all header names and values of one request may add up to.
pub const MAX_HEADER_BYTES: usize = 32 * 1024;
/// Longest request target (path and query).
pub const MAX_URI_BYTES: usize = 8 * 1024;
/// How long a request may take, from its head being read to its answer, unless configured.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// Per-server settings of the request guard, put into each request's extensions by the server.
#[derive(Debug, Clone, Copy)]
pub struct RequestLimits {
    pub request_timeout: Duration,
}

impl Default for RequestLimits {
    fn default() -> Self {
        Self {
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
        }
    }
}

/// Which error format a path's API speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Surface {
    JsonRpc,
    Oracle,
}

fn surface(path: &str) -> Surface {
    if path.starts_with("/json-rpc/") || path.starts_with("/manage/json-rpc/") {
        Surface::JsonRpc
    } else {
        Surface::Oracle
    }
}

/// Why a request was refused before reaching its handler.
enum Refusal {
    UriTooLong,
    TooManyHeaders(usize),
    HeadersTooLarge(usize),
    TimedOut(Duration),
}

impl Refusal {
    fn detail(&self) -> String {
        match self {
            Refusal::UriTooLong => {
                format!("The request target is longer than {MAX_URI_BYTES} bytes.")
            }
            Refusal::TooManyHeaders(count) => format!(
                "The request has {count} header lines; at most {MAX_HEADER_COUNT} are allowed."
            ),
            Refusal::HeadersTooLarge(bytes) => format!(
                "The request headers add up to {bytes} bytes; at most {MAX_HEADER_BYTES} are allowed."
            ),
            Refusal::TimedOut(limit) => format!(
                "The request was not received and answered within {} seconds.",
                limit.as_secs_f64()
            ),
        }
    }

    fn answer(self, surface: Surface) -> Response {
        let detail = self.detail();
        match surface {
            Surface::Oracle => {
                let code = match self {
                    Refusal::UriTooLong => ErrorCode::UriTooLong,
                    Refusal::TooManyHeaders(_) | Refusal::HeadersTooLarge(_) => {
                        ErrorCode::HeadersTooLarge
                    }
                    Refusal::TimedOut(_) => ErrorCode::RequestTimeout,
                };
                OracleError::new(code, detail).into_response()
            }
            Surface::JsonRpc => {
                let error = match self {
                    // The server gave up, whatever the reason: not a fault in the request itself.
                    Refusal::TimedOut(_) => {
                        RpcError::internal().with_data(serde_json::json!({ "reason": detail }))
                    }
                    _ => RpcError::invalid_request(&detail),
                };
                axum::Json(jsonrpc::response(Value::Null, Err(error))).into_response()
            }
        }
    }
}

/// The request guard: checks the request head, then runs the request under the time limit.
pub async fn guard(request: Request, next: Next) -> Response {
    let surface = surface(request.uri().path());
    // The app API is called from browsers; its refusals (which carry nothing of any backend) are
    // readable by the calling page, so the app learns why instead of seeing a network error.
    let readable_by = request
        .uri()
        .path()
        .starts_with("/json-rpc/")
        .then(|| request.headers().get(ORIGIN).cloned())
        .flatten();
    let readable = |mut response: Response| {
        if let Some(origin) = &readable_by {
            let headers = response.headers_mut();
            headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
            headers.insert(VARY, HeaderValue::from_static("origin"));
        }
        response
    };
    if let Some(refusal) = check_head(&request) {
        return readable(refusal.answer(surface));
    }
    let limit = request
        .extensions()
        .get::<RequestLimits>()
        .copied()
        .unwrap_or_default()
        .request_timeout;
    if moves_objects(request.uri().path()) {
        // Objects may be gigabytes over a slow link: no deadline for the whole request, but the
        // body must not stall for longer than the limit (the handler then reports it unreadable).
        let request = request.map(|body| Body::new(TimeoutBody::new(limit, body)));
        return next.run(request).await;
    }
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!(
                limit_seconds = limit.as_secs_f64(),
                "request timed out (a slow client or a slow handler); answered without finishing it"
            );
            readable(Refusal::TimedOut(limit).answer(surface))
        }
    }
}

/// Oracle storage objects: uploads and downloads that may rightly take longer than any deadline.
fn moves_objects(path: &str) -> bool {
    path.starts_with("/mobile/platform/storage/")
}

fn check_head(request: &Request) -> Option<Refusal> {
    let target = request
        .uri()
        .path_and_query()
        .map_or(0, |target| target.as_str().len());
    if target > MAX_URI_BYTES {
        return Some(Refusal::UriTooLong);
    }
    let headers = request.headers();
    if headers.len() > MAX_HEADER_COUNT {
        return Some(Refusal::TooManyHeaders(headers.len()));
    }
    let bytes: usize = headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len())
        .sum();
    if bytes > MAX_HEADER_BYTES {
        return Some(Refusal::HeadersTooLarge(bytes));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_map_to_their_api_format() {
        assert_eq!(surface("/json-rpc/abc"), Surface::JsonRpc);
        assert_eq!(surface("/manage/json-rpc/abc"), Surface::JsonRpc);
        assert_eq!(surface("/mobile/tools/1.0/mobilebackends"), Surface::Oracle);
        assert_eq!(surface("/oauth2/v1/token"), Surface::Oracle);
        assert_eq!(surface("/json-rpcx"), Surface::Oracle);
    }
}
