//! A local FCM HTTP v1: the OAuth 2.0 JWT-bearer token endpoint and `messages:send`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Form, Json, Router};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Value, json};

use super::{RecorderHandle, ScriptedServer, bind, failure_response};
use crate::{FcmCredentials, Url};

/// Test-only RSA key of the service account [`fcm_credentials`] returns (committed: RSA key generation
/// is slow in debug builds).
pub const TEST_PRIVATE_KEY_PEM: &str = include_str!("fcm_test_key.pem");
pub const TEST_PUBLIC_KEY_PEM: &str = include_str!("fcm_test_key.pub.pem");
pub const TEST_PROJECT_ID: &str = "berth-test";
pub const TEST_CLIENT_EMAIL: &str = "push@berth-test.iam.gserviceaccount.com";

#[derive(Default)]
struct AuthState {
    /// client_email -> (public key PEM, project id).
    accounts: HashMap<String, (String, String)>,
    /// access token -> project id it may send for.
    access_tokens: HashMap<String, String>,
    token_lifetime_seconds: u64,
    tokens_issued: usize,
}

#[derive(Clone)]
struct AppState {
    recorder: RecorderHandle,
    auth: Arc<Mutex<AuthState>>,
    token_uri: String,
}

impl AppState {
    fn auth(&self) -> std::sync::MutexGuard<'_, AuthState> {
        self.auth
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

pub struct FcmTestServer {
    url: Url,
    state: AppState,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FcmTestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl ScriptedServer for FcmTestServer {
    fn recorder(&self) -> &RecorderHandle {
        &self.state.recorder
    }
}

impl FcmTestServer {
    #[allow(clippy::expect_used)]
    pub async fn start() -> Self {
        let (listener, address) = bind().await;
        let url = Url::parse(&format!("http://127.0.0.1:{}/", address.port())).expect("server URL");
        let auth = AuthState {
            token_lifetime_seconds: 3600,
            ..Default::default()
        };
        let state = AppState {
            recorder: RecorderHandle::default(),
            auth: Arc::new(Mutex::new(auth)),
            token_uri: format!("{url}token"),
        };
        state.auth().accounts.insert(
            TEST_CLIENT_EMAIL.to_string(),
            (TEST_PUBLIC_KEY_PEM.to_string(), TEST_PROJECT_ID.to_string()),
        );
        let app = Router::new()
            .route("/token", post(issue_token))
            .route("/v1/projects/{project}/{method}", post(send))
            .with_state(state.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { url, state, task }
    }

    /// Base URL for `Endpoints::fcm_base`.
    pub fn url(&self) -> Url {
        self.url.clone()
    }

    /// The OAuth token endpoint (the `token_uri` of the test service account).
    #[allow(clippy::expect_used)]
    pub fn token_uri(&self) -> Url {
        Url::parse(&self.state.token_uri).expect("token URI")
    }

    /// Lifetime (`expires_in`) of access tokens issued from now on.
    pub fn set_token_lifetime_seconds(&self, seconds: u64) {
        self.state.auth().token_lifetime_seconds = seconds;
    }

    /// Access tokens issued so far, to observe caching.
    pub fn tokens_issued(&self) -> usize {
        self.state.auth().tokens_issued
    }

    /// Revokes every issued access token (the next send gets 401 UNAUTHENTICATED).
    pub fn revoke_access_tokens(&self) {
        self.state.auth().access_tokens.clear();
    }
}

fn oauth_error(error: &str, description: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({ "error": error, "error_description": description })),
    )
        .into_response()
}

async fn issue_token(
    State(state): State<AppState>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if form.get("grant_type").map(String::as_str)
        != Some("urn:ietf:params:oauth:grant-type:jwt-bearer")
    {
        return oauth_error("unsupported_grant_type", "Invalid grant_type");
    }
    let Some(assertion) = form.get("assertion") else {
        return oauth_error("invalid_request", "Missing required parameter: assertion");
    };
    let invalid = || oauth_error("invalid_grant", "Invalid JWT Signature.");
    let Some(unverified) = assertion
        .split('.')
        .nth(1)
        .and_then(super::base64url)
        .and_then(|claims| serde_json::from_slice::<Value>(&claims).ok())
    else {
        return invalid();
    };
    let issuer = unverified
        .get("iss")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let Some((public_key, project)) = state.auth().accounts.get(&issuer).cloned() else {
        return oauth_error("invalid_grant", "Invalid issuer");
    };
    let Ok(key) = DecodingKey::from_rsa_pem(public_key.as_bytes()) else {
        return invalid();
    };
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_audience(&[state.token_uri.as_str()]);
    validation.set_required_spec_claims(&["exp", "iat", "aud", "iss"]);
    let Ok(verified) = jsonwebtoken::decode::<Value>(assertion, &key, &validation) else {
        return invalid();
    };
    let scope = verified
        .claims
        .get("scope")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if !scope.split(' ').any(|scope| scope == crate::fcm::SCOPE) {
        return oauth_error("invalid_scope", "The firebase.messaging scope is missing");
    }
    let access_token = format!("ya29.test-{}", uuid::Uuid::new_v4().simple());
    let mut auth = state.auth();
    auth.tokens_issued += 1;
    auth.access_tokens.insert(access_token.clone(), project);
    let expires_in = auth.token_lifetime_seconds;
    Json(json!({ "access_token": access_token, "expires_in": expires_in, "token_type": "Bearer" }))
        .into_response()
}

fn fcm_error(status: StatusCode, code: &str, message: &str, error_code: Option<&str>) -> Response {
    let mut error = json!({ "code": status.as_u16(), "message": message, "status": code });
    if let Some(error_code) = error_code {
        error["details"] = json!([{
            "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
            "errorCode": error_code,
        }]);
    }
    (status, Json(json!({ "error": error }))).into_response()
}

async fn send(
    State(state): State<AppState>,
    Path((project, method)): Path<(String, String)>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if let Some(failure) = state.recorder.0.begin().await {
        let status = if failure.status == 429 {
            "RESOURCE_EXHAUSTED"
        } else {
            "INTERNAL"
        };
        let code = if failure.status == 429 {
            "QUOTA_EXCEEDED"
        } else {
            "INTERNAL"
        };
        let body = json!({ "error": { "code": failure.status, "message": "scripted failure", "status": status,
            "details": [{ "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": code }] } });
        return failure_response(&failure, body);
    }
    if method != "messages:send" {
        return fcm_error(StatusCode::NOT_FOUND, "NOT_FOUND", "Unknown method", None);
    }
    let bearer = headers
        .get("authorization")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .unwrap_or_default();
    let allowed = state.auth().access_tokens.get(bearer).cloned();
    match allowed {
        None => {
            return fcm_error(
                StatusCode::UNAUTHORIZED,
                "UNAUTHENTICATED",
                "Request had invalid authentication credentials. Expected OAuth 2 access token.",
                None,
            );
        }
        Some(allowed) if allowed != project => {
            return fcm_error(
                StatusCode::FORBIDDEN,
                "PERMISSION_DENIED",
                "SenderId mismatch",
                Some("SENDER_ID_MISMATCH"),
            );
        }
        Some(_) => {}
    }
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        return fcm_error(
            StatusCode::BAD_REQUEST,
            "INVALID_ARGUMENT",
            "Invalid JSON payload received.",
            None,
        );
    };
    let Some(message) = request.get("message").cloned() else {
        return fcm_error(
            StatusCode::BAD_REQUEST,
            "INVALID_ARGUMENT",
            "message is required",
            None,
        );
    };
    let token = message
        .get("token")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    if token.is_empty() || token.contains(char::is_whitespace) {
        return fcm_error(
            StatusCode::BAD_REQUEST,
            "INVALID_ARGUMENT",
            "The registration token is not a valid FCM registration token",
            Some("INVALID_ARGUMENT"),
        );
    }
    if let Some(data) = message.get("data").and_then(Value::as_object)
        && data.values().any(|value| !value.is_string())
    {
        return fcm_error(
            StatusCode::BAD_REQUEST,
            "INVALID_ARGUMENT",
            "data values must be strings",
            Some("INVALID_ARGUMENT"),
        );
    }
    if state.recorder.0.is_dead(&token) {
        return fcm_error(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "Requested entity was not found.",
            Some("UNREGISTERED"),
        );
    }
    state.recorder.0.record(&token, &headers, message);
    let name = format!(
        "projects/{project}/messages/{}",
        uuid::Uuid::new_v4().simple()
    );
    Json(json!({ "name": name })).into_response()
}

/// The committed test service account, with `token_uri` pointing at `server`.
pub fn fcm_credentials(server: &FcmTestServer) -> FcmCredentials {
    let account = json!({
        "type": "service_account",
        "project_id": TEST_PROJECT_ID,
        "private_key_id": "0123456789abcdef",
        "private_key": TEST_PRIVATE_KEY_PEM,
        "client_email": TEST_CLIENT_EMAIL,
        "client_id": "100000000000000000000",
        "token_uri": server.token_uri().to_string(),
    });
    FcmCredentials {
        service_account_json: account.to_string(),
    }
}
