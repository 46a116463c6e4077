//! The Monaca Backend surfaces: JSON-RPC 2.0 over HTTP POST. The Backend Management API lives under
//! `/manage/json-rpc/{backendId}`.

pub mod app;
pub mod jsonrpc;
pub mod manage;
pub mod origins;
pub mod params;
pub mod push_register;

/// Any method but POST (and OPTIONS, for CORS) on a JSON-RPC path: 405 with `Allow: POST`, the body a
/// JSON-RPC error like every other refusal there.
pub async fn post_only() -> axum::response::Response {
    use axum::response::IntoResponse;
    (
        axum::http::StatusCode::METHOD_NOT_ALLOWED,
        [(axum::http::header::ALLOW, "POST")],
        axum::Json(jsonrpc::response(
            serde_json::Value::Null,
            Err(jsonrpc::RpcError::invalid_request(
                "Send JSON-RPC requests with POST.",
            )),
        )),
    )
        .into_response()
}
