//! Per-request context: the execution-context id (Oracle's `o:ecid`) that ties an answer to its log
//! lines, and the path, which Oracle error bodies repeat as `o:errorPath`.

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

#[derive(Debug, Clone)]
pub struct RequestContext {
    pub ecid: String,
    pub path: String,
}

tokio::task_local! {
    static CURRENT: RequestContext;
}

/// Oracle servers send the execution-context id in this header too.
pub const ECID_HEADER: &str = "x-oracle-dms-ecid";

/// The context of the request being handled (empty outside a request, e.g. in unit tests).
pub fn current() -> RequestContext {
    CURRENT
        .try_with(Clone::clone)
        .unwrap_or_else(|_| RequestContext {
            ecid: String::new(),
            path: String::new(),
        })
}

pub async fn with_request_context(request: Request, next: Next) -> Response {
    let context = RequestContext {
        ecid: uuid::Uuid::new_v4().simple().to_string(),
        path: request.uri().path().to_owned(),
    };
    let span = tracing::info_span!(
        "request",
        method = %request.method(),
        path = %context.path,
        ecid = %context.ecid,
    );
    let ecid = context.ecid.clone();
    let mut response = CURRENT
        .scope(context, next.run(request).instrument(span.clone()))
        .await;
    if let Ok(value) = HeaderValue::from_str(&ecid) {
        response.headers_mut().insert(ECID_HEADER, value);
    }
    span.in_scope(|| tracing::debug!(status = response.status().as_u16(), "answered"));
    response
}
