//! `POST /oauth2/v1/token` (RFC 6749 answers) and the authentication of platform calls: Bearer
//! tokens, or Basic with `Oracle-Mobile-Backend-ID`.

use std::net::SocketAddr;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use berth_core::backend::Backend;
use berth_core::service::{Grant, OAuthError, PlatformCaller, decode_basic};
use serde_json::json;

use crate::http::AppState;
use crate::http::oracle_error::{ErrorCode, OracleError};

pub const BACKEND_HEADER: &str = "oracle-mobile-backend-id";

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    let mut response = (
        status,
        Json(json!({ "error": error, "error_description": description })),
    )
        .into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"berth\""),
        );
    }
    response
}

/// Client authentication by `Authorization: Basic base64(client_id:client_secret)` or by the form
/// fields `client_id` and `client_secret`; grants `password` and `client_credentials`; `scope` is
/// accepted and ignored (Oracle SDKs send `<base url>urn:opc:resource:consumer::all`).
pub async fn token(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match body {
        Ok(body) => body,
        Err(rejection) => {
            let status = rejection.status();
            let description = if status == StatusCode::PAYLOAD_TOO_LARGE {
                "The request body is too large.".to_owned()
            } else {
                rejection.body_text()
            };
            return oauth_error(status, "invalid_request", &description);
        }
    };
    let form: std::collections::HashMap<String, String> =
        form_urlencoded::parse(&body).into_owned().collect();
    let from_header = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Basic ")
                .or_else(|| v.strip_prefix("basic "))
        })
        .and_then(decode_basic);
    let client = from_header.or_else(|| {
        Some((
            form.get("client_id")?.clone(),
            form.get("client_secret")?.clone(),
        ))
    });
    let Some((client_id, client_secret)) = client else {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Authenticate the client with HTTP Basic (client id and secret).",
        );
    };
    let grant = match form.get("grant_type").map(String::as_str) {
        Some("client_credentials") => Grant::ClientCredentials,
        Some("password") => match (form.get("username"), form.get("password")) {
            (Some(username), Some(password)) => Grant::Password { username, password },
            _ => {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "The password grant needs username and password.",
                );
            }
        },
        Some(_) => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "Use grant_type password or client_credentials.",
            );
        }
        None => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "grant_type is required.",
            );
        }
    };
    match state
        .berth
        .oauth_token(&client_id, &client_secret, grant, peer.ip())
        .await
    {
        Ok(Ok((token, expires_in))) => {
            let mut response = Json(
                json!({ "access_token": token, "token_type": "Bearer", "expires_in": expires_in }),
            )
            .into_response();
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Ok(Err(OAuthError::InvalidClient)) => oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "The client id or secret is wrong.",
        ),
        Ok(Err(OAuthError::InvalidGrant)) => oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "The username or password is wrong.",
        ),
        Ok(Err(OAuthError::UnauthorizedClient)) => oauth_error(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            "The mobile backend does not accept OAuth now.",
        ),
        Err(berth_core::Error::RateLimited(message)) => {
            oauth_error(StatusCode::TOO_MANY_REQUESTS, "slow_down", &message)
        }
        Err(error) => OracleError::from(error).into_response(),
    }
}

/// The authenticated caller of a platform API and its backend.
pub struct Platform {
    pub backend: Backend,
    pub caller: PlatformCaller,
}

fn unauthenticated() -> OracleError {
    OracleError::new(
        ErrorCode::Unauthenticated,
        "User not authenticated or MBE Id missing.",
    )
}

impl FromRequestParts<AppState> for Platform {
    type Rejection = OracleError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let authorization = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(unauthenticated)?
            .to_owned();
        let backend_header = parts
            .headers
            .get(BACKEND_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let address = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(std::net::IpAddr::from([127, 0, 0, 1]), |info| info.0.ip());
        let (scheme, credentials) = authorization.split_once(' ').ok_or_else(unauthenticated)?;
        let found = if scheme.eq_ignore_ascii_case("bearer") {
            let found = state.berth.bearer_caller(credentials.trim()).await?;
            // With a bearer token the header is optional; when given, it must name the same backend.
            found.filter(|(backend, _)| {
                backend_header.as_deref().is_none_or(|h| {
                    let h = h.trim();
                    h == backend.id.to_string()
                        || h == backend.credentials.basic_auth_backend_id.to_string()
                })
            })
        } else if scheme.eq_ignore_ascii_case("basic") {
            let header = backend_header.ok_or_else(unauthenticated)?;
            state
                .berth
                .basic_caller(&header, credentials, address)
                .await?
        } else {
            None
        };
        let (backend, caller) = found.ok_or_else(unauthenticated)?;
        Ok(Platform { backend, caller })
    }
}
