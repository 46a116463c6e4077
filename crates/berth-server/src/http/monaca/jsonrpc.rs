//! JSON-RPC 2.0 as the Monaca services spoke it: the envelope, batches and notifications, and the one
//! mapping from domain errors to JSON-RPC error objects with Monaca's codes.

use std::future::Future;

use berth_core::{Error, StoreError};
use serde_json::{Map, Value, json};

/// Most calls one batch may hold.
pub const MAX_BATCH: usize = 100;

/// Monaca's numeric error codes (spec §4), besides the JSON-RPC standard ones.
pub mod codes {
    pub const PARSE_ERROR: i64 = -32700;
    pub const INVALID_REQUEST: i64 = -32600;
    pub const METHOD_NOT_FOUND: i64 = -32601;
    pub const INVALID_PARAMS: i64 = -32602;
    pub const INTERNAL_ERROR: i64 = -32603;
    pub const API_KEY_INVALID: i64 = 4;
    pub const SESSION_ID_INVALID: i64 = 10;
    pub const USER_LOGIN_REQUIRED: i64 = 11;
    pub const DEVICE_ID_REQUIRED: i64 = 12;
    pub const OPERATION_INVALID: i64 = 13;
    pub const PERMISSION_DENIED: i64 = 14;
    pub const CALL_LIMIT_EXCEEDED: i64 = 9999;
}

/// A JSON-RPC error object.
#[derive(Debug, Clone, PartialEq)]
pub struct RpcError {
    pub code: i64,
    pub message: String,
    pub data: Option<Value>,
}

impl RpcError {
    pub fn new(code: i64, message: &str) -> Self {
        Self {
            code,
            message: message.to_owned(),
            data: None,
        }
    }

    pub fn with_data(mut self, data: Value) -> Self {
        self.data = Some(data);
        self
    }

    pub fn parse_error(detail: String) -> Self {
        Self::new(codes::PARSE_ERROR, "Parse error").with_data(json!({ "body": detail }))
    }

    pub fn invalid_request(detail: &str) -> Self {
        Self::new(codes::INVALID_REQUEST, "Invalid Request").with_data(json!({ "request": detail }))
    }

    pub fn method_not_found() -> Self {
        Self::new(codes::METHOD_NOT_FOUND, "Method not found")
    }

    /// `-32602` with `data` naming the bad parameter, as Monaca answered: `{"collectionName": "…"}`.
    pub fn invalid_param(name: &str, message: impl Into<String>) -> Self {
        let mut data = Map::new();
        data.insert(name.to_owned(), Value::from(message.into()));
        Self::new(codes::INVALID_PARAMS, "Invalid params").with_data(Value::Object(data))
    }

    pub fn internal() -> Self {
        Self::new(codes::INTERNAL_ERROR, "Internal error")
    }

    pub fn api_key_invalid() -> Self {
        Self::new(codes::API_KEY_INVALID, "API key is invalid.")
    }

    fn to_json(&self) -> Value {
        let mut error = json!({ "code": self.code, "message": self.message });
        if let Some(data) = &self.data {
            error["data"] = data.clone();
        }
        error
    }
}

impl From<Error> for RpcError {
    fn from(error: Error) -> Self {
        match error {
            Error::Invalid(problems) => {
                let mut data = Map::new();
                for problem in problems {
                    match data.get_mut(&problem.field) {
                        Some(Value::String(existing)) => {
                            existing.push(' ');
                            existing.push_str(&problem.message);
                        }
                        _ => {
                            data.insert(problem.field, Value::from(problem.message));
                        }
                    }
                }
                RpcError::new(codes::INVALID_PARAMS, "Invalid params")
                    .with_data(Value::Object(data))
            }
            Error::NotFound { field, message } | Error::AlreadyExists { field, message } => {
                RpcError::invalid_param(field, message)
            }
            Error::PermissionDenied(message) => {
                RpcError::new(codes::PERMISSION_DENIED, "Permission denied.")
                    .with_data(json!({ "reason": message }))
            }
            Error::RateLimited(message) => {
                RpcError::new(codes::CALL_LIMIT_EXCEEDED, "Call limit exceeded.")
                    .with_data(json!({ "reason": message }))
            }
            Error::Conflict(message) => {
                RpcError::new(codes::OPERATION_INVALID, "Operation is invalid.")
                    .with_data(json!({ "reason": message }))
            }
            Error::PreconditionFailed { .. } => {
                RpcError::new(codes::OPERATION_INVALID, "Operation is invalid.").with_data(
                    json!({ "reason": "The record was changed concurrently; try again." }),
                )
            }
            Error::Store(StoreError::Unavailable(source)) => {
                tracing::warn!(error = %source, "storage unavailable");
                RpcError::internal().with_data(
                    json!({ "reason": "Storage is temporarily unavailable; try again." }),
                )
            }
            Error::Store(other) => {
                tracing::error!(error = %other, "storage failure");
                RpcError::internal()
            }
        }
    }
}

/// One call of a request or batch.
#[derive(Debug, Clone)]
pub struct Call {
    /// `None` for a notification (no `id` member): executed, never answered.
    pub id: Option<Value>,
    pub method: String,
    pub params: Map<String, Value>,
}

/// The parsed body: one call or a batch.
pub enum Envelope {
    Single(Value),
    Batch(Vec<Value>),
}

pub fn parse_envelope(body: &[u8]) -> Result<Envelope, RpcError> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| RpcError::parse_error(e.to_string()))?;
    match value {
        Value::Array(calls) if calls.is_empty() => {
            Err(RpcError::invalid_request("An empty batch holds no call."))
        }
        Value::Array(calls) if calls.len() > MAX_BATCH => Err(RpcError::invalid_request(&format!(
            "A batch may hold at most {MAX_BATCH} calls."
        ))),
        Value::Array(calls) => Ok(Envelope::Batch(calls)),
        other => Ok(Envelope::Single(other)),
    }
}

/// The id to echo for a request object, if it has a usable one.
pub fn request_id(request: &Value) -> Value {
    match request.get("id") {
        Some(id @ (Value::String(_) | Value::Number(_) | Value::Null)) => id.clone(),
        _ => Value::Null,
    }
}

/// Checks one request object; on failure gives the error response, with the id it could read (or null).
pub fn parse_call(request: Value) -> Result<Call, Value> {
    let refuse = |id: Value, error: RpcError| response(id, Err(error));
    let Value::Object(mut object) = request else {
        return Err(refuse(
            Value::Null,
            RpcError::invalid_request("A request must be a JSON object."),
        ));
    };
    let id = match object.remove("id") {
        None => None,
        Some(id @ (Value::String(_) | Value::Number(_) | Value::Null)) => Some(id),
        Some(_) => {
            return Err(refuse(
                Value::Null,
                RpcError::invalid_request("The id must be a string, a number or null."),
            ));
        }
    };
    let reply_id = id.clone().unwrap_or(Value::Null);
    if object.get("jsonrpc") != Some(&Value::from("2.0")) {
        return Err(refuse(
            reply_id,
            RpcError::invalid_request("The jsonrpc member must be \"2.0\"."),
        ));
    }
    let method = match object.remove("method") {
        Some(Value::String(method)) => method,
        _ => {
            return Err(refuse(
                reply_id,
                RpcError::invalid_request("The method member must be a string."),
            ));
        }
    };
    let params = match object.remove("params") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(params)) => params,
        Some(_) => {
            return Err(refuse(
                reply_id,
                RpcError::invalid_param(
                    "params",
                    "Parameters must be given by name, as an object.",
                ),
            ));
        }
    };
    Ok(Call { id, method, params })
}

pub fn response(id: Value, outcome: Result<Value, RpcError>) -> Value {
    match outcome {
        Ok(result) => json!({ "jsonrpc": "2.0", "id": id, "result": result }),
        Err(error) => json!({ "jsonrpc": "2.0", "id": id, "error": error.to_json() }),
    }
}

/// Runs every call of the envelope through `execute`, in order. Returns the body to answer with, or
/// `None` when every call was a notification.
pub async fn run<F, Fut>(envelope: Envelope, mut execute: F) -> Option<Value>
where
    F: FnMut(Call) -> Fut,
    Fut: Future<Output = Result<Value, RpcError>>,
{
    let single = matches!(envelope, Envelope::Single(_));
    let requests = match envelope {
        Envelope::Single(request) => vec![request],
        Envelope::Batch(requests) => requests,
    };
    let mut answers = Vec::with_capacity(requests.len());
    for request in requests {
        match parse_call(request) {
            Err(error_response) => answers.push(error_response),
            Ok(call) => {
                let id = call.id.clone();
                let outcome = execute(call).await;
                if let Some(id) = id {
                    answers.push(response(id, outcome));
                }
            }
        }
    }
    match (single, answers.len()) {
        (_, 0) => None,
        (true, _) => answers.pop(),
        (false, _) => Some(Value::Array(answers)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn answer(body: &str) -> Option<Value> {
        match parse_envelope(body.as_bytes()) {
            Ok(envelope) => {
                run(envelope, |call| async move {
                    Ok(json!({ "echo": call.method }))
                })
                .await
            }
            Err(error) => Some(response(Value::Null, Err(error))),
        }
    }

    #[tokio::test]
    async fn envelopes() {
        let ok = answer(r#"{"jsonrpc":"2.0","id":"1","method":"A.b","params":{}}"#)
            .await
            .expect("answer");
        assert_eq!(
            ok,
            json!({"jsonrpc":"2.0","id":"1","result":{"echo":"A.b"}})
        );
        let parse = answer("{").await.expect("answer");
        assert_eq!(parse["error"]["code"], -32700);
        assert_eq!(parse["id"], Value::Null);
        let empty = answer("[]").await.expect("answer");
        assert_eq!(empty["error"]["code"], -32600);
        let version = answer(r#"{"jsonrpc":"1.0","id":7,"method":"A.b"}"#)
            .await
            .expect("answer");
        assert_eq!(
            (version["id"].clone(), version["error"]["code"].clone()),
            (json!(7), json!(-32600))
        );
        let positional = answer(r#"{"jsonrpc":"2.0","id":7,"method":"A.b","params":[1]}"#)
            .await
            .expect("answer");
        assert_eq!(positional["error"]["code"], -32602);
        assert!(
            answer(r#"{"jsonrpc":"2.0","method":"A.b"}"#)
                .await
                .is_none(),
            "a notification is not answered"
        );
        let batch =
            answer(r#"[{"jsonrpc":"2.0","id":1,"method":"A"},{"jsonrpc":"2.0","method":"B"},5]"#)
                .await
                .expect("answer");
        assert_eq!(batch.as_array().map(Vec::len), Some(2));
        assert_eq!(batch[0]["result"]["echo"], "A");
        assert_eq!(batch[1]["error"]["code"], -32600);
        let bad_id = answer(r#"{"jsonrpc":"2.0","id":{},"method":"A"}"#)
            .await
            .expect("answer");
        assert_eq!(
            (bad_id["id"].clone(), bad_id["error"]["code"].clone()),
            (Value::Null, json!(-32600))
        );
    }
}
