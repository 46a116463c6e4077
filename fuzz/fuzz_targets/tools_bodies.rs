//! Bodies of the tools API, through the real router, handlers, services and SQLite store (in a
//! temporary folder), without a socket: whatever the body, the answer is not a server error and is an
//! Oracle problem body or a success. The first byte picks the endpoint, the rest is the body.
#![no_main]

use std::net::SocketAddr;
use std::sync::{Arc, LazyLock, Mutex};

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Method, Request, header};
use berth_core::Berth;
use berth_server::http::{self, AppState};
use berth_store_sqlite::SqliteStore;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use tower::ServiceExt;

const TOKEN: &str = "fuzz-admin-token-0123456789abcdef";

struct Fixture {
    runtime: tokio::runtime::Runtime,
    router: Router,
    backend_id: String,
    _dir: tempfile::TempDir,
}

static FIXTURE: LazyLock<Mutex<Fixture>> = LazyLock::new(|| {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("temp dir");
    let (router, backend_id) = runtime.block_on(async {
        let store = SqliteStore::open(dir.path()).await.expect("store");
        let berth = Berth::new(Arc::new(store));
        berth
            .ensure_admin_token(Some(TOKEN))
            .await
            .expect("admin token");
        let router = http::router(AppState {
            berth,
            trusted_proxies: Vec::new().into(),
        });
        let created = call(
            &router,
            Method::POST,
            "/mobile/tools/1.0/mobilebackends",
            br#"{"name":"Fuzzed"}"#.to_vec(),
        )
        .await;
        let id = created["id"].as_str().expect("backend id").to_owned();
        (router, id)
    });
    Mutex::new(Fixture {
        runtime,
        router,
        backend_id,
        _dir: dir,
    })
});

async fn call(router: &Router, method: Method, path: &str, body: Vec<u8>) -> Value {
    let mut request = Request::builder()
        .method(method)
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::IF_MATCH, "*")
        .body(Body::from(body))
        .expect("request");
    request
        .extensions_mut()
        .insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 9))));
    let response = router.clone().oneshot(request).await.expect("infallible");
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("body");
    assert!(
        !status.is_server_error(),
        "{status}: {}",
        String::from_utf8_lossy(&bytes)
    );
    if bytes.is_empty() {
        return Value::Null;
    }
    let answer: Value = serde_json::from_slice(&bytes).expect("every answer is JSON");
    if status.is_client_error() {
        assert_eq!(answer["status"], status.as_u16(), "{answer}");
        assert!(answer["o:errorCode"].is_string(), "{answer}");
    }
    answer
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let fixture = FIXTURE.lock().expect("fixture");
    let id = &fixture.backend_id;
    let (method, path) = match selector % 12 {
        0 => (Method::POST, "/mobilebackends".to_owned()),
        1 => (Method::PUT, format!("/mobilebackends/{id}")),
        2 => (Method::POST, format!("/mobilebackends/{id}/managementKeys")),
        3 => (Method::POST, "/assets/trashing".to_owned()),
        4 => (Method::POST, "/assets/untrashing".to_owned()),
        5 => (Method::POST, "/assets/trashDependencies".to_owned()),
        6 => (Method::POST, format!("/mobilebackends/{id}/users")),
        7 => (Method::PUT, format!("/mobilebackends/{id}/users/fuzz")),
        8 => (Method::PUT, format!("/mobilebackends/{id}/appconfig")),
        9 => (Method::POST, format!("/mobilebackends/{id}/roles")),
        10 => (
            Method::PUT,
            format!("/mobilebackends/{id}/users/fuzz/roles"),
        ),
        _ => (Method::POST, "/assets/purgeDependencies".to_owned()),
    };
    let path = format!("/mobile/tools/1.0{path}");
    fixture
        .runtime
        .block_on(call(&fixture.router, method, &path, body.to_vec()));
});
