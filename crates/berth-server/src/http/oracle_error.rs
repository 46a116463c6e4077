//! The Oracle error body (`type, title, status, detail, o:ecid, o:errorCode, o:errorPath`, plus
//! `o:errorDetails` when several problems exist), and the one mapping from domain errors to it.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use berth_core::{Error, StoreError};
use serde::Serialize;
use utoipa::ToSchema;

use super::context;

/// Berth's own `o:errorCode` values; Oracle's numbers are not public. Listed in docs/compat.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    MalformedBody,
    InvalidField,
    InvalidQuery,
    InvalidHeader,
    Unauthenticated,
    Forbidden,
    NotFound,
    NoSuchEndpoint,
    MethodNotAllowed,
    AlreadyExists,
    StateConflict,
    PreconditionFailed,
    LengthRequired,
    PayloadTooLarge,
    UnsupportedMediaType,
    TooManyRequests,
    RequestTimeout,
    UriTooLong,
    HeadersTooLarge,
    Internal,
    Unavailable,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::MalformedBody => "MOBILE-40001",
            ErrorCode::InvalidField => "MOBILE-40002",
            ErrorCode::InvalidQuery => "MOBILE-40003",
            ErrorCode::InvalidHeader => "MOBILE-40004",
            ErrorCode::Unauthenticated => "MOBILE-40101",
            ErrorCode::Forbidden => "MOBILE-40301",
            ErrorCode::NotFound => "MOBILE-40401",
            ErrorCode::NoSuchEndpoint => "MOBILE-40402",
            ErrorCode::MethodNotAllowed => "MOBILE-40501",
            ErrorCode::AlreadyExists => "MOBILE-40901",
            ErrorCode::StateConflict => "MOBILE-40902",
            ErrorCode::PreconditionFailed => "MOBILE-41201",
            ErrorCode::LengthRequired => "MOBILE-41101",
            ErrorCode::PayloadTooLarge => "MOBILE-41301",
            ErrorCode::UnsupportedMediaType => "MOBILE-41501",
            ErrorCode::TooManyRequests => "MOBILE-42901",
            ErrorCode::RequestTimeout => "MOBILE-40801",
            ErrorCode::UriTooLong => "MOBILE-41401",
            ErrorCode::HeadersTooLarge => "MOBILE-43101",
            ErrorCode::Internal => "MOBILE-50001",
            ErrorCode::Unavailable => "MOBILE-50301",
        }
    }

    fn status(self) -> StatusCode {
        match self {
            ErrorCode::MalformedBody
            | ErrorCode::InvalidField
            | ErrorCode::InvalidQuery
            | ErrorCode::InvalidHeader => StatusCode::BAD_REQUEST,
            ErrorCode::Unauthenticated => StatusCode::UNAUTHORIZED,
            ErrorCode::Forbidden => StatusCode::FORBIDDEN,
            ErrorCode::NotFound | ErrorCode::NoSuchEndpoint => StatusCode::NOT_FOUND,
            ErrorCode::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ErrorCode::AlreadyExists | ErrorCode::StateConflict => StatusCode::CONFLICT,
            ErrorCode::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            ErrorCode::LengthRequired => StatusCode::LENGTH_REQUIRED,
            ErrorCode::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            ErrorCode::UriTooLong => StatusCode::URI_TOO_LONG,
            ErrorCode::HeadersTooLarge => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

/// One of several problems, under `o:errorDetails`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProblemDetail {
    #[serde(rename = "type")]
    pub problem_type: String,
    pub title: String,
    pub detail: String,
    #[serde(rename = "o:errorCode")]
    pub error_code: String,
    /// JSON pointer to the offending member of the request body, e.g. `/name`.
    #[serde(rename = "o:errorPath")]
    pub error_path: String,
}

/// The Oracle error body.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub problem_type: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    #[serde(rename = "o:ecid")]
    pub ecid: String,
    #[serde(rename = "o:errorCode")]
    pub error_code: String,
    #[serde(rename = "o:errorPath")]
    pub error_path: String,
    #[serde(rename = "o:errorDetails", skip_serializing_if = "Vec::is_empty")]
    pub error_details: Vec<ProblemDetail>,
}

/// An error answered in the Oracle format.
#[derive(Debug)]
pub struct OracleError {
    code: ErrorCode,
    detail: String,
    /// (JSON pointer, message) for each field problem.
    fields: Vec<(String, String)>,
}

impl OracleError {
    pub fn new(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self {
            code,
            detail: detail.into(),
            fields: Vec::new(),
        }
    }

    pub fn code(&self) -> ErrorCode {
        self.code
    }
}

/// The RFC 2616 section of a status, as Oracle's `type` member names it.
fn type_uri(status: StatusCode) -> String {
    let section = match status.as_u16() {
        400 => "10.4.1",
        401 => "10.4.2",
        403 => "10.4.4",
        404 => "10.4.5",
        405 => "10.4.6",
        406 => "10.4.7",
        408 => "10.4.9",
        409 => "10.4.10",
        411 => "10.4.12",
        412 => "10.4.13",
        413 => "10.4.14",
        414 => "10.4.15",
        415 => "10.4.16",
        // RFC 2616 has no 429; Oracle's pattern is kept with RFC 6585's section.
        429 => return "https://tools.ietf.org/html/rfc6585#section-4".to_owned(),
        431 => return "https://tools.ietf.org/html/rfc6585#section-5".to_owned(),
        503 => "10.5.4",
        _ => "10.5.1",
    };
    format!("http://www.w3.org/Protocols/rfc2616/rfc2616-sec10.html#sec{section}")
}

impl IntoResponse for OracleError {
    fn into_response(self) -> Response {
        let status = self.code.status();
        let context = context::current();
        let title = status.canonical_reason().unwrap_or("Error").to_owned();
        let problem_type = type_uri(status);
        let error_details = if self.fields.len() > 1 {
            self.fields
                .iter()
                .map(|(pointer, message)| ProblemDetail {
                    problem_type: problem_type.clone(),
                    title: title.clone(),
                    detail: message.clone(),
                    error_code: self.code.as_str().to_owned(),
                    error_path: pointer.clone(),
                })
                .collect()
        } else {
            Vec::new()
        };
        let body = Problem {
            problem_type,
            title,
            status: status.as_u16(),
            detail: self.detail,
            ecid: context.ecid,
            error_code: self.code.as_str().to_owned(),
            error_path: context.path,
            error_details,
        };
        let mut response = (status, axum::Json(body)).into_response();
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"berth\""),
            );
        }
        response
    }
}

impl From<Error> for OracleError {
    fn from(error: Error) -> Self {
        match error {
            Error::Invalid(problems) => {
                let detail = if problems.len() == 1 {
                    problems[0].message.clone()
                } else {
                    format!(
                        "The request has {} problems; see o:errorDetails.",
                        problems.len()
                    )
                };
                OracleError {
                    code: ErrorCode::InvalidField,
                    detail,
                    fields: problems
                        .into_iter()
                        .map(|p| (format!("/{}", p.field.replace('.', "/")), p.message))
                        .collect(),
                }
            }
            Error::NotFound { message, .. } => OracleError::new(ErrorCode::NotFound, message),
            Error::AlreadyExists { message, .. } => {
                OracleError::new(ErrorCode::AlreadyExists, message)
            }
            Error::PermissionDenied(detail) => OracleError::new(ErrorCode::Forbidden, detail),
            Error::RateLimited(detail) => OracleError::new(ErrorCode::TooManyRequests, detail),
            Error::Conflict(detail) => OracleError::new(ErrorCode::StateConflict, detail),
            Error::PreconditionFailed { current_version } => OracleError::new(
                ErrorCode::PreconditionFailed,
                format!(
                    "The If-Match precondition failed: the current ETag is \"{current_version}\"."
                ),
            ),
            Error::Store(StoreError::Unavailable(source)) => {
                tracing::warn!(error = %source, "storage unavailable");
                OracleError::new(
                    ErrorCode::Unavailable,
                    "The service is temporarily unable to reach its storage; try again.",
                )
            }
            Error::Store(other) => {
                tracing::error!(error = %other, "storage failure");
                OracleError::new(
                    ErrorCode::Internal,
                    "An internal error occurred; the o:ecid identifies it in the server log.",
                )
            }
        }
    }
}
