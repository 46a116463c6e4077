//! A local APNs: HTTP/2 only, over TLS with a throwaway CA, token authentication.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Version};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use p256::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
use serde_json::{Value, json};
use tokio_rustls::rustls;

use super::{RecorderHandle, ScriptedServer, bind, failure_response};
use crate::{ApnsCredentials, ApnsEnvironment, Url};

struct RegisteredKey {
    public_key_pem: String,
    topic: String,
}

#[derive(Default)]
struct AuthState {
    /// (team id, key id) -> key.
    keys: HashMap<(String, String), RegisteredKey>,
    provider_tokens_seen: HashSet<String>,
    /// Tokens answered with 403 ExpiredProviderToken, as APNs does for tokens older than an hour.
    expired_provider_tokens: HashSet<String>,
}

#[derive(Clone)]
struct AppState {
    recorder: RecorderHandle,
    auth: Arc<Mutex<AuthState>>,
}

pub struct ApnsTestServer {
    url: Url,
    ca_pem: String,
    state: AppState,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for ApnsTestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl ScriptedServer for ApnsTestServer {
    fn recorder(&self) -> &RecorderHandle {
        &self.state.recorder
    }
}

impl ApnsTestServer {
    #[allow(clippy::expect_used)]
    pub async fn start() -> Self {
        let (listener, address) = bind().await;
        let (ca_pem, server_config) = tls_config().expect("test TLS configuration");
        let state = AppState {
            recorder: RecorderHandle::default(),
            auth: Arc::default(),
        };
        let app = Router::new()
            .route("/3/device/{token}", post(deliver))
            .with_state(state.clone());
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(server_config));
        let task = tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    continue;
                };
                let acceptor = acceptor.clone();
                let app = app.clone();
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let service = hyper_util::service::TowerToHyperService::new(app);
                    let _ = hyper_util::server::conn::auto::Builder::new(
                        hyper_util::rt::TokioExecutor::new(),
                    )
                    .serve_connection(hyper_util::rt::TokioIo::new(tls), service)
                    .await;
                });
            }
        });
        let url =
            Url::parse(&format!("https://127.0.0.1:{}/", address.port())).expect("server URL");
        Self {
            url,
            ca_pem,
            state,
            task,
        }
    }

    pub fn url(&self) -> Url {
        self.url.clone()
    }

    /// PEM of the CA that signed the server's certificate (add to `Endpoints::extra_root_certificates_pem`).
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// Trusts a signing key of `team_id`, for pushes to `topic`.
    pub fn register_key(&self, team_id: &str, key_id: &str, public_key_pem: &str, topic: &str) {
        let mut auth = self
            .state
            .auth
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        auth.keys.insert(
            (team_id.to_string(), key_id.to_string()),
            RegisteredKey {
                public_key_pem: public_key_pem.to_string(),
                topic: topic.to_string(),
            },
        );
    }

    /// Treats every provider token seen so far as older than an hour (403 ExpiredProviderToken).
    pub fn expire_provider_tokens(&self) {
        let mut auth = self
            .state
            .auth
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let seen: Vec<String> = auth.provider_tokens_seen.iter().cloned().collect();
        auth.expired_provider_tokens.extend(seen);
    }

    /// Distinct provider tokens (JWTs) that authenticated successfully, to observe reuse and refresh.
    pub fn provider_tokens_seen(&self) -> usize {
        self.state
            .auth
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .provider_tokens_seen
            .len()
    }
}

fn tls_config() -> Result<(String, rustls::ServerConfig), Box<dyn std::error::Error>> {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
    let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "Berth test APNs CA");
    let ca_key = KeyPair::generate()?;
    let ca = ca_params.self_signed(&ca_key)?;
    let leaf_params =
        CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])?;
    let leaf_key = KeyPair::generate()?;
    let leaf = leaf_params.signed_by(&leaf_key, &ca, &ca_key)?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(
            vec![leaf.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into()),
        )?;
    // Like APNs: HTTP/2 only.
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok((ca.pem(), config))
}

fn reason(status: StatusCode, reason: &str) -> Response {
    (status, axum::Json(json!({ "reason": reason }))).into_response()
}

async fn deliver(
    State(state): State<AppState>,
    Path(token): Path<String>,
    version: Version,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if let Some(failure) = state.recorder.0.begin().await {
        let code = if failure.status == 429 {
            "TooManyRequests"
        } else {
            "InternalServerError"
        };
        return failure_response(&failure, json!({ "reason": code }));
    }
    if version != Version::HTTP_2 {
        return reason(StatusCode::BAD_REQUEST, "APNs speaks HTTP/2 only");
    }
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
    };
    let Some(jwt) = header("authorization").strip_prefix("bearer ") else {
        return reason(StatusCode::FORBIDDEN, "MissingProviderToken");
    };
    let topic = header("apns-topic");
    if topic.is_empty() {
        return reason(StatusCode::BAD_REQUEST, "MissingTopic");
    }
    match verify_provider_token(&state, jwt, topic) {
        Ok(()) => {}
        Err(problem) => return problem,
    }
    if token.is_empty() || !token.chars().all(|c| c.is_ascii_hexdigit()) {
        return reason(StatusCode::BAD_REQUEST, "BadDeviceToken");
    }
    if state.recorder.0.is_dead(&token) {
        let timestamp = crate::outcome::unix_now() * 1000;
        return (
            StatusCode::GONE,
            axum::Json(json!({ "reason": "Unregistered", "timestamp": timestamp })),
        )
            .into_response();
    }
    if body.len() > crate::apns::MAX_PAYLOAD_BYTES {
        return reason(StatusCode::PAYLOAD_TOO_LARGE, "PayloadTooLarge");
    }
    let Ok(payload) = serde_json::from_slice::<Value>(&body) else {
        return reason(StatusCode::BAD_REQUEST, "BadPayload");
    };
    if payload.get("aps").is_none() {
        return reason(StatusCode::BAD_REQUEST, "PayloadEmpty");
    }
    state.recorder.0.record(&token, &headers, payload);
    let apns_id = match header("apns-id") {
        "" => uuid::Uuid::new_v4().hyphenated().to_string().to_uppercase(),
        id => id.to_string(),
    };
    (StatusCode::OK, [("apns-id", apns_id)]).into_response()
}

#[allow(clippy::result_large_err)]
fn verify_provider_token(state: &AppState, jwt: &str, topic: &str) -> Result<(), Response> {
    let invalid = || reason(StatusCode::FORBIDDEN, "InvalidProviderToken");
    let header = jsonwebtoken::decode_header(jwt).map_err(|_| invalid())?;
    if header.alg != Algorithm::ES256 {
        return Err(invalid());
    }
    let key_id = header.kid.ok_or_else(invalid)?;
    // The issuer is needed to find the key; it is trusted only once the signature checks out.
    let unverified: Value = jwt
        .split('.')
        .nth(1)
        .and_then(super::base64url)
        .and_then(|claims| serde_json::from_slice(&claims).ok())
        .ok_or_else(invalid)?;
    let team_id = unverified
        .get("iss")
        .and_then(Value::as_str)
        .ok_or_else(invalid)?
        .to_string();
    let mut auth = state
        .auth
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let registered = auth.keys.get(&(team_id, key_id)).ok_or_else(invalid)?;
    let key =
        DecodingKey::from_ec_pem(registered.public_key_pem.as_bytes()).map_err(|_| invalid())?;
    let mut validation = Validation::new(Algorithm::ES256);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    let claims = jsonwebtoken::decode::<Value>(jwt, &key, &validation)
        .map_err(|_| invalid())?
        .claims;
    let issued_at = claims
        .get("iat")
        .and_then(Value::as_u64)
        .ok_or_else(invalid)?;
    if crate::outcome::unix_now().saturating_sub(issued_at) > 3600
        || auth.expired_provider_tokens.contains(jwt)
    {
        return Err(reason(StatusCode::FORBIDDEN, "ExpiredProviderToken"));
    }
    if registered.topic != topic {
        return Err(reason(StatusCode::BAD_REQUEST, "DeviceTokenNotForTopic"));
    }
    auth.provider_tokens_seen.insert(jwt.to_string());
    Ok(())
}

/// Fresh credentials for team `TEAM000001` whose public key the server trusts, for topic
/// `com.example.berth`.
pub fn apns_credentials(server: &ApnsTestServer) -> ApnsCredentials {
    apns_credentials_for_team(server, "TEAM000001", "com.example.berth")
}

/// Fresh credentials (new P-256 key, new key id) registered with the server for `team_id` and `topic`.
#[allow(clippy::expect_used)]
pub fn apns_credentials_for_team(
    server: &ApnsTestServer,
    team_id: &str,
    topic: &str,
) -> ApnsCredentials {
    let secret = p256::SecretKey::random(&mut rand_core::OsRng);
    let private_pem = secret
        .to_pkcs8_pem(LineEnding::LF)
        .expect("PKCS#8 PEM")
        .to_string();
    let public_pem = secret
        .public_key()
        .to_public_key_pem(LineEnding::LF)
        .expect("public key PEM");
    let key_id = uuid::Uuid::new_v4().simple().to_string()[..10].to_uppercase();
    server.register_key(team_id, &key_id, &public_pem, topic);
    ApnsCredentials {
        key_id,
        team_id: team_id.to_string(),
        signing_key_pem: private_pem,
        topic: topic.to_string(),
        environment: ApnsEnvironment::Sandbox,
    }
}
