//! Extractors and middleware shared by the Oracle-style REST surfaces: JSON bodies, If-Match, the
//! operator token. Each rejects in the Oracle error format.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::header::{AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, IF_MATCH};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use berth_core::Precondition;
use serde::de::DeserializeOwned;

use super::AppState;
use super::oracle_error::{ErrorCode, OracleError};

/// A JSON request body. The content type may be absent, or curl's default form type (scripts often
/// forget `-H 'Content-Type: application/json'`); any other non-JSON type is refused with 415.
pub struct OracleJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for OracleJson<T> {
    type Rejection = OracleError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        if let Some(content_type) = request.headers().get(CONTENT_TYPE) {
            let content_type = content_type.to_str().unwrap_or("").to_ascii_lowercase();
            if !content_type.contains("json")
                && !content_type.starts_with("application/x-www-form-urlencoded")
            {
                return Err(OracleError::new(
                    ErrorCode::UnsupportedMediaType,
                    format!(
                        "The body must be JSON (Content-Type: application/json), not {content_type}."
                    ),
                ));
            }
        }
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                    OracleError::new(ErrorCode::PayloadTooLarge, "The request body is too large.")
                } else {
                    OracleError::new(ErrorCode::MalformedBody, rejection.body_text())
                }
            })?;
        parse_json(&bytes).map(OracleJson)
    }
}

pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, OracleError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(OracleError::new(
            ErrorCode::MalformedBody,
            "The request body is missing.",
        ));
    }
    serde_json::from_slice(bytes).map_err(|error| {
        OracleError::new(
            ErrorCode::MalformedBody,
            format!("The request body is not valid: {error}."),
        )
    })
}

/// The `If-Match` header as a domain precondition.
pub struct IfMatch(pub Precondition);

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = OracleError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let mut versions = Vec::new();
        let mut any = false;
        let mut present = false;
        for value in parts.headers.get_all(IF_MATCH) {
            present = true;
            let text = value.to_str().map_err(|_| bad_if_match())?;
            for tag in text.split(',').map(str::trim).filter(|t| !t.is_empty()) {
                match parse_entity_tag(tag)? {
                    EntityTag::Any => any = true,
                    EntityTag::Version(v) => versions.push(v),
                    EntityTag::Foreign => {}
                }
            }
        }
        Ok(IfMatch(match (present, any) {
            (false, _) => Precondition::None,
            (true, true) => Precondition::Any,
            (true, false) => Precondition::OneOf(versions),
        }))
    }
}

enum EntityTag {
    Any,
    Version(i64),
    /// Well-formed but not one of ours (weak, or not a number): it can never match.
    Foreign,
}

fn parse_entity_tag(tag: &str) -> Result<EntityTag, OracleError> {
    if tag == "*" {
        return Ok(EntityTag::Any);
    }
    // If-Match compares strongly (RFC 9110 §13.1.1): a weak tag never matches.
    let (weak, rest) = match tag.strip_prefix("W/") {
        Some(rest) => (true, rest),
        None => (false, tag),
    };
    let opaque = if let Some(inner) = rest.strip_prefix('"') {
        inner.strip_suffix('"').ok_or_else(bad_if_match)?
    } else if rest.chars().all(|c| c.is_ascii_digit()) && !rest.is_empty() {
        // Unquoted numbers are not valid syntax, but some scripts send them; accept them.
        rest
    } else {
        return Err(bad_if_match());
    };
    if opaque.contains('"') {
        return Err(bad_if_match());
    }
    Ok(match (weak, opaque.parse::<i64>()) {
        (false, Ok(version)) => EntityTag::Version(version),
        _ => EntityTag::Foreign,
    })
}

fn bad_if_match() -> OracleError {
    OracleError::new(
        ErrorCode::InvalidHeader,
        "The If-Match header is not valid: give * or one or more quoted entity tags such as \"3\".",
    )
}

/// Lets a request through only with `Authorization: Bearer <admin token>`.
pub async fn require_admin(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let presented = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| {
            let (scheme, token) = value.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        });
    let Some(token) = presented else {
        return unauthenticated(
            "This API needs the admin token: send Authorization: Bearer <token>.",
        );
    };
    match state.berth.admin_token_is_valid(token).await {
        Ok(true) => next.run(request).await,
        Ok(false) => unauthenticated("The admin token is not valid."),
        Err(error) => OracleError::from(error).into_response(),
    }
}

fn unauthenticated(detail: &str) -> Response {
    OracleError::new(ErrorCode::Unauthenticated, detail).into_response()
}

/// Path parameters; a path that does not decode names no resource, so it answers 404.
pub struct OraclePath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for OraclePath<T> {
    type Rejection = OracleError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(value)| OraclePath(value))
            .map_err(|rejection| OracleError::new(ErrorCode::NoSuchEndpoint, rejection.body_text()))
    }
}

/// Answers 413 as soon as the declared length exceeds the tools limit, without waiting for the body.
/// (`DefaultBodyLimit` still stops chunked bodies that grow past it while being read.)
pub async fn refuse_oversized_body(request: Request, next: Next) -> Response {
    let declared = request
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if declared.is_some_and(|length| length > super::TOOLS_BODY_LIMIT as u64) {
        return OracleError::new(
            ErrorCode::PayloadTooLarge,
            format!(
                "The request body is larger than {} bytes.",
                super::TOOLS_BODY_LIMIT
            ),
        )
        .into_response();
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn precondition(values: &[&str]) -> Result<Precondition, ErrorCode> {
        let mut request = axum::http::Request::builder();
        for value in values {
            request = request.header(IF_MATCH, *value);
        }
        let (mut parts, ()) = request.body(()).expect("request").into_parts();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        runtime
            .block_on(IfMatch::from_request_parts(&mut parts, &()))
            .map(|IfMatch(p)| p)
            .map_err(|e| e.code())
    }

    #[test]
    fn if_match_forms() {
        assert_eq!(precondition(&[]), Ok(Precondition::None));
        assert_eq!(precondition(&["*"]), Ok(Precondition::Any));
        assert_eq!(precondition(&["\"3\""]), Ok(Precondition::OneOf(vec![3])));
        assert_eq!(
            precondition(&["\"3\", \"5\""]),
            Ok(Precondition::OneOf(vec![3, 5]))
        );
        assert_eq!(
            precondition(&["\"3\"", "\"4\""]),
            Ok(Precondition::OneOf(vec![3, 4]))
        );
        assert_eq!(precondition(&["7"]), Ok(Precondition::OneOf(vec![7])));
        assert_eq!(precondition(&["W/\"3\""]), Ok(Precondition::OneOf(vec![])));
        assert_eq!(precondition(&["\"abc\""]), Ok(Precondition::OneOf(vec![])));
        assert_eq!(precondition(&["\"3"]), Err(ErrorCode::InvalidHeader));
        assert_eq!(precondition(&["abc"]), Err(ErrorCode::InvalidHeader));
    }
}
