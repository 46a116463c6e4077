//! Local servers that speak each provider's real protocol, for tests: APNs (HTTP/2 over TLS, checks the
//! ES256 provider token and the topic), FCM HTTP v1 (OAuth JWT-bearer token endpoint checking the RS256
//! assertion, `messages:send` checking the access token) and a Web Push service (checks VAPID and
//! decrypts the aes128gcm body with the subscription's private key). Each records what it received and
//! can be scripted to fail. Never use these outside tests: they keep every message in memory.

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use serde_json::Value;

mod apns;
mod fcm;
mod webpush;

pub use apns::{ApnsTestServer, apns_credentials, apns_credentials_for_team};
pub use fcm::{FcmTestServer, fcm_credentials};
pub use webpush::{Subscription, WebPushTestServer, vapid_credentials};

/// One notification a test server accepted.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// APNs device token, FCM registration token, or Web Push subscription id.
    pub token: String,
    /// Request headers, lower-case names (the `authorization` header included).
    pub headers: HashMap<String, String>,
    /// The payload as the device would see it (APNs JSON body, FCM `message`, decrypted Web Push body).
    pub payload: Value,
}

/// A scripted failure for the next request.
#[derive(Debug, Clone)]
pub struct Failure {
    pub status: u16,
    pub retry_after: Option<String>,
}

#[derive(Default)]
struct Script {
    deliveries: Vec<Delivery>,
    dead_tokens: HashSet<String>,
    failures: VecDeque<Failure>,
    latency: Duration,
    requests: usize,
}

/// State and scripting shared by the three servers.
#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Script>>);

impl Recorder {
    fn lock(&self) -> MutexGuard<'_, Script> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Counts the request, waits the scripted latency, and returns a scripted failure if one is due.
    async fn begin(&self) -> Option<Failure> {
        let (latency, failure) = {
            let mut script = self.lock();
            script.requests += 1;
            (script.latency, script.failures.pop_front())
        };
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
        failure
    }

    fn is_dead(&self, token: &str) -> bool {
        self.lock().dead_tokens.contains(token)
    }

    fn record(&self, token: &str, headers: &HeaderMap, payload: Value) {
        let headers = headers
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_string(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect();
        self.lock().deliveries.push(Delivery {
            token: token.to_string(),
            headers,
            payload,
        });
    }
}

/// Scripting and inspection common to every test server.
pub trait ScriptedServer {
    #[doc(hidden)]
    fn recorder(&self) -> &RecorderHandle;

    /// Everything accepted so far, oldest first.
    fn deliveries(&self) -> Vec<Delivery> {
        self.recorder().0.lock().deliveries.clone()
    }
    /// Requests received so far, accepted or not.
    fn requests(&self) -> usize {
        self.recorder().0.lock().requests
    }
    /// From now on the provider reports this token as dead (APNs 410 Unregistered, FCM 404
    /// UNREGISTERED, Web Push 410 Gone).
    fn mark_dead(&self, token: &str) {
        self.recorder()
            .0
            .lock()
            .dead_tokens
            .insert(token.to_string());
    }
    /// The next `count` requests fail with `status` (e.g. 500, 429) and the given `Retry-After` value.
    fn fail_next(&self, count: usize, status: u16, retry_after: Option<&str>) {
        let mut script = self.recorder().0.lock();
        for _ in 0..count {
            script.failures.push_back(Failure {
                status,
                retry_after: retry_after.map(str::to_string),
            });
        }
    }
    /// Every request waits this long before it is answered.
    fn set_latency(&self, latency: Duration) {
        self.recorder().0.lock().latency = latency;
    }
}

/// Opaque handle to a server's recorder (so [`ScriptedServer`] can have default methods).
#[derive(Clone, Default)]
pub struct RecorderHandle(Recorder);

fn failure_response(failure: &Failure, body: Value) -> axum::response::Response {
    use axum::response::IntoResponse;
    let status = StatusCode::from_u16(failure.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (status, axum::Json(body)).into_response();
    if let Some(retry_after) = &failure.retry_after
        && let Ok(value) = retry_after.parse()
    {
        response
            .headers_mut()
            .insert(axum::http::header::RETRY_AFTER, value);
    }
    response
}

async fn bind() -> (tokio::net::TcpListener, SocketAddr) {
    #[allow(clippy::expect_used)]
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a local test server port");
    #[allow(clippy::expect_used)]
    let address = listener.local_addr().expect("local address");
    (listener, address)
}

/// Endpoints pointing at local test servers (any of them may be absent).
pub fn endpoints(apns: Option<&ApnsTestServer>, fcm: Option<&FcmTestServer>) -> crate::Endpoints {
    let mut endpoints = crate::Endpoints::default();
    if let Some(apns) = apns {
        endpoints.apns_production = apns.url();
        endpoints.apns_sandbox = apns.url();
        endpoints
            .extra_root_certificates_pem
            .push(apns.ca_pem().to_string());
    }
    if let Some(fcm) = fcm {
        endpoints.fcm_base = fcm.url();
        endpoints.fcm_token_uri_override = Some(fcm.token_uri());
    }
    endpoints
}

fn base64url(text: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text.trim_end_matches('='))
        .ok()
}
