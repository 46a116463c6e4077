//! The admin console is served from the binary itself: no sign-in needed for the static pages,
//! everything they load comes from this server, and the data calls still need the admin token.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestServer, assert_problem, assert_rpc_error};

/// Every file the console's pages load.
const CONSOLE_FILES: [&str; 11] = [
    "app.js",
    "api.js",
    "dom.js",
    "pages/backends.js",
    "pages/backend.js",
    "pages/collections.js",
    "pages/users.js",
    "pages/activity.js",
    "pages/push.js",
    "style.css",
    "favicon.svg",
];

#[tokio::test]
async fn console_pages_are_served_from_the_binary_with_only_local_assets() {
    let server = TestServer::start().await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");

    let redirect = client
        .get(server.url("/console"))
        .send()
        .await
        .expect("request");
    assert_eq!(redirect.status(), 308);
    assert_eq!(redirect.headers()["location"], "/console/");

    for (path, content_type, marker) in [
        (
            "/console/",
            "text/html; charset=utf-8",
            "<title>Berth console</title>",
        ),
        (
            "/console/app.js",
            "text/javascript; charset=utf-8",
            "BACKEND_PAGES",
        ),
        (
            "/console/style.css",
            "text/css; charset=utf-8",
            "font-family",
        ),
    ] {
        let response = client.get(server.url(path)).send().await.expect("request");
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(response.headers()["content-type"], content_type, "{path}");
        assert!(
            response.headers()["content-security-policy"]
                .to_str()
                .expect("ascii header")
                .contains("default-src 'self'"),
            "{path}"
        );
        let body = response.text().await.expect("body");
        assert!(body.contains(marker), "{path}");
        assert_loads_nothing_from_elsewhere(path, &body);
    }
    for file in CONSOLE_FILES {
        let path = format!("/console/{file}");
        let response = client.get(server.url(&path)).send().await.expect("request");
        assert_eq!(response.status(), 200, "{path}");
        assert!(
            response.headers().contains_key("content-security-policy"),
            "{path}"
        );
        assert_loads_nothing_from_elsewhere(&path, &response.text().await.expect("body"));
    }

    let missing = client
        .get(server.url("/console/nope.js"))
        .send()
        .await
        .expect("request");
    assert_eq!(missing.status(), 404);

    // The pages are public; the data they show is not.
    let anonymous = server
        .anonymous(Method::GET, "/mobile/tools/1.0/mobilebackends")
        .send()
        .await
        .expect("request");
    assert_eq!(anonymous.status(), 401);
}

/// The only absolute URL a console file may hold is the SVG namespace, which names and loads nothing.
fn assert_loads_nothing_from_elsewhere(path: &str, body: &str) {
    let rest = body.replace("http://www.w3.org/2000/svg", "");
    assert!(
        !rest.contains("http://") && !rest.contains("https://") && !rest.contains("//cdn"),
        "{path} loads nothing from elsewhere"
    );
}

/// One Management API call with `Authorization: Bearer <token>` instead of a management key.
async fn manage_as_admin(
    server: &TestServer,
    backend_id: &str,
    token: &str,
    method: &str,
    params: Value,
) -> Value {
    let response = server
        .anonymous(Method::POST, &format!("/manage/json-rpc/{backend_id}"))
        .bearer_auth(token)
        .json(&json!({ "jsonrpc": "2.0", "id": 7, "method": method, "params": params }))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200);
    response.json().await.expect("JSON-RPC body")
}

#[tokio::test]
async fn the_admin_token_opens_the_management_api_of_the_backend_it_names() {
    let server = TestServer::start().await;
    let token = server.token.clone();
    let mine = server.managed_backend("Mine").await;
    let theirs = server.managed_backend("Theirs").await;

    let created = manage_as_admin(
        &server,
        &mine.id,
        &token,
        "Collection.create",
        json!({ "_id": "Notes" }),
    )
    .await;
    assert_eq!(created["result"], "OK", "{created}");
    assert_eq!(created["id"], 7);
    let listed = manage_as_admin(&server, &mine.id, &token, "Collection.list", json!({})).await;
    assert_eq!(listed["result"]["items"][0]["_id"], "Notes", "{listed}");
    // The same token on another backend sees that backend's data only.
    let other = manage_as_admin(&server, &theirs.id, &token, "Collection.list", json!({})).await;
    assert_eq!(other["result"]["items"], json!([]), "{other}");

    // A wrong token, a backend that does not exist, or no credentials at all: "API key is invalid."
    let wrong = manage_as_admin(
        &server,
        &mine.id,
        "not-the-admin-token-at-all",
        "Collection.list",
        json!({}),
    )
    .await;
    assert_rpc_error(&wrong, 4, None);
    let unknown = manage_as_admin(
        &server,
        &uuid::Uuid::new_v4().to_string(),
        &token,
        "Collection.list",
        json!({}),
    )
    .await;
    assert_rpc_error(&unknown, 4, None);
    let not_an_id = manage_as_admin(&server, "nope", &token, "Collection.list", json!({})).await;
    assert_rpc_error(&not_an_id, 4, None);
    let (_, anonymous) = server
        .manage_raw(
            &mine.id,
            None,
            json!({ "jsonrpc": "2.0", "id": 1, "method": "Collection.list" }).to_string(),
        )
        .await;
    assert_rpc_error(&anonymous, 4, None);

    // A management key, when sent, decides alone: a wrong one is not rescued by the admin token.
    let response = server
        .anonymous(Method::POST, &format!("/manage/json-rpc/{}", mine.id))
        .bearer_auth(&token)
        .header("X-Monaca-Backend-Management-API-Key", &theirs.key)
        .json(&json!({ "jsonrpc": "2.0", "id": 1, "method": "Collection.list" }))
        .send()
        .await
        .expect("request");
    assert_rpc_error(&response.json().await.expect("body"), 4, None);

    // The operator still manages an inactive backend, but not one in the trash.
    let deactivate = server
        .tools(Method::PUT, &format!("/mobilebackends/{}", theirs.id))
        .json(&json!({ "name": "Theirs", "inactive": true }))
        .send()
        .await
        .expect("request");
    assert!(deactivate.status().is_success());
    let inactive = manage_as_admin(&server, &theirs.id, &token, "Collection.list", json!({})).await;
    assert!(inactive.get("result").is_some(), "{inactive}");
    let trash = server
        .tools(Method::POST, "/assets/trashing")
        .header("if-match", "*")
        .json(&json!({ "ids": [mine.id] }))
        .send()
        .await
        .expect("request");
    assert_eq!(trash.status(), 200);
    let trashed = manage_as_admin(&server, &mine.id, &token, "Collection.list", json!({})).await;
    assert_rpc_error(&trashed, 4, None);
}

async fn counts(server: &TestServer, backend_id: &str) -> Value {
    let response = server
        .anonymous(
            Method::GET,
            &format!("/console/api/backends/{backend_id}/counts"),
        )
        .bearer_auth(&server.token)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200);
    response.json().await.expect("JSON")
}

#[tokio::test]
async fn counts_are_per_backend_and_need_the_admin_token() {
    let server = TestServer::start().await;
    let mine = server.managed_backend("Counted").await;
    let theirs = server.managed_backend("Empty").await;
    server
        .manage_ok(&mine, "Collection.create", json!({ "_id": "Scores" }))
        .await;
    server
        .manage_ok(&mine, "Collection.create", json!({ "_id": "Empty" }))
        .await;
    for score in [1, 2, 3] {
        server
            .manage_ok(
                &mine,
                "CollectionItem.create",
                json!({ "collectionName": "Scores", "item": { "score": score } }),
            )
            .await;
    }
    server
        .manage_ok(
            &mine,
            "User.create",
            json!({ "username": "ann", "password": "secret-1" }),
        )
        .await;

    assert_eq!(
        counts(&server, &mine.id).await,
        json!({ "backendId": mine.id, "users": 1, "collections": 2, "items": 3, "mails": 0, "analyticsEvents": 0 })
    );
    assert_eq!(
        counts(&server, &theirs.id).await,
        json!({ "backendId": theirs.id, "users": 0, "collections": 0, "items": 0, "mails": 0, "analyticsEvents": 0 })
    );

    let path = format!("/console/api/backends/{}/counts", mine.id);
    assert_problem(
        server
            .anonymous(Method::GET, &path)
            .send()
            .await
            .expect("request"),
        401,
        "MOBILE-40101",
    )
    .await;
    let missing = format!("/console/api/backends/{}/counts", uuid::Uuid::new_v4());
    assert_problem(
        server
            .anonymous(Method::GET, &missing)
            .bearer_auth(&server.token)
            .send()
            .await
            .expect("request"),
        404,
        "MOBILE-40401",
    )
    .await;
}

#[tokio::test]
async fn traffic_counts_requests_and_errors_but_not_the_console_itself() {
    let server = TestServer::start().await;
    let traffic = || async {
        let response = server
            .anonymous(Method::GET, "/console/api/traffic")
            .bearer_auth(&server.token)
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.expect("JSON");
        assert_eq!(body["scope"], "node");
        let minutes = body["minutes"].as_array().expect("minutes").clone();
        assert_eq!(minutes.len(), 60);
        let starts: Vec<u64> = minutes
            .iter()
            .map(|m| m["start"].as_u64().expect("start"))
            .collect();
        assert!(starts.windows(2).all(|pair| pair[1] == pair[0] + 60));
        let sum = |member: &str| {
            minutes
                .iter()
                .map(|m| m[member].as_u64().expect("count"))
                .sum::<u64>()
        };
        (sum("requests"), sum("clientErrors"), sum("serverErrors"))
    };

    let before = traffic().await;
    for path in ["/console/", "/console/app.js", "/console/nope.js"] {
        server
            .anonymous(Method::GET, path)
            .send()
            .await
            .expect("request");
    }
    for path in ["/health", "/health", "/no/such/endpoint"] {
        server
            .anonymous(Method::GET, path)
            .send()
            .await
            .expect("request");
    }
    let after = traffic().await;
    assert_eq!(after.0 - before.0, 3, "{before:?} -> {after:?}");
    assert_eq!(after.1 - before.1, 1, "{before:?} -> {after:?}");
    assert_eq!(after.2 - before.2, 0, "{before:?} -> {after:?}");

    assert_problem(
        server
            .anonymous(Method::GET, "/console/api/traffic")
            .send()
            .await
            .expect("request"),
        401,
        "MOBILE-40101",
    )
    .await;
}
