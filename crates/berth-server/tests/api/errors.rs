//! Authentication of the tools API, unknown paths and methods, health and the OpenAPI document.

use reqwest::Method;
use serde_json::Value;

use crate::helpers::{TOOLS, TestServer, assert_problem};

/// Every tools endpoint, with a method it supports.
fn tools_endpoints(id: &str, key_id: &str) -> Vec<(Method, String)> {
    vec![
        (Method::GET, "/mobilebackends".to_owned()),
        (Method::POST, "/mobilebackends".to_owned()),
        (Method::GET, format!("/mobilebackends/{id}")),
        (Method::PUT, format!("/mobilebackends/{id}")),
        (Method::GET, format!("/mobilebackends/{id}/oauthKeys")),
        (Method::POST, format!("/mobilebackends/{id}/oauthKeys")),
        (
            Method::GET,
            format!("/mobilebackends/{id}/basicAuthenticationKeys"),
        ),
        (
            Method::POST,
            format!("/mobilebackends/{id}/basicAuthenticationKeys"),
        ),
        (Method::POST, format!("/mobilebackends/{id}/monacaApiKey")),
        (Method::GET, format!("/mobilebackends/{id}/managementKeys")),
        (Method::POST, format!("/mobilebackends/{id}/managementKeys")),
        (
            Method::GET,
            format!("/mobilebackends/{id}/managementKeys/{key_id}"),
        ),
        (
            Method::DELETE,
            format!("/mobilebackends/{id}/managementKeys/{key_id}"),
        ),
        (Method::POST, "/assets/trashing".to_owned()),
        (Method::POST, "/assets/untrashing".to_owned()),
        (Method::POST, "/assets/purging".to_owned()),
        (Method::POST, "/assets/trashDependencies".to_owned()),
        (Method::POST, "/assets/untrashDependencies".to_owned()),
        (Method::POST, "/assets/purgeDependencies".to_owned()),
    ]
}

#[tokio::test]
async fn every_tools_endpoint_needs_the_admin_token() {
    let server = TestServer::start().await;
    let backend = server.create_backend("Guarded").await;
    let id = backend["id"].as_str().expect("id");
    let key_id = backend["managementKey"]["id"].as_str().expect("key id");
    let before = backend["clientSecret"].clone();

    for (method, path) in tools_endpoints(id, key_id) {
        let url = format!("{TOOLS}{path}");
        let attempts = [
            server.anonymous(method.clone(), &url),
            server
                .anonymous(method.clone(), &url)
                .bearer_auth("wrong-token-wrong-token"),
            server
                .anonymous(method.clone(), &url)
                .bearer_auth(format!("{}x", server.token)),
            server
                .anonymous(method.clone(), &url)
                .basic_auth("admin", Some(&server.token)),
            // A backend's own secrets are not operator credentials.
            server
                .anonymous(method.clone(), &url)
                .bearer_auth(before.as_str().expect("secret")),
        ];
        for attempt in attempts {
            let response = attempt
                .json(&serde_json::json!({ "name": "X", "ids": [id] }))
                .send()
                .await
                .expect("request");
            assert_eq!(
                response
                    .headers()
                    .get("www-authenticate")
                    .and_then(|v| v.to_str().ok()),
                Some("Bearer realm=\"berth\""),
                "{method} {path}"
            );
            assert_problem(response, 401, "MOBILE-40101").await;
        }
    }

    // Nothing above changed anything.
    let read: Value = server
        .tools(Method::GET, &format!("/mobilebackends/{id}"))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert_eq!(read["etag"], "1");
    assert_eq!(read["clientSecret"], before);
}

#[tokio::test]
async fn unknown_paths_and_methods_answer_in_the_oracle_format() {
    let server = TestServer::start().await;
    let response = server
        .anonymous(Method::GET, "/no/such/thing")
        .send()
        .await
        .expect("request");
    assert_problem(response, 404, "MOBILE-40402").await;
    let response = server
        .tools(Method::GET, "/nosuchresource")
        .send()
        .await
        .expect("request");
    assert_problem(response, 404, "MOBILE-40402").await;
    let response = server
        .tools(Method::DELETE, "/mobilebackends")
        .send()
        .await
        .expect("request");
    assert_problem(response, 405, "MOBILE-40501").await;
    let response = server
        .tools(Method::PATCH, "/assets/trashing")
        .send()
        .await
        .expect("request");
    assert_problem(response, 405, "MOBILE-40501").await;
}

#[tokio::test]
async fn health_and_openapi_are_served() {
    let server = TestServer::start().await;
    let health = server
        .anonymous(Method::GET, "/health")
        .send()
        .await
        .expect("request");
    assert_eq!(health.status(), 200);
    assert_eq!(health.json::<Value>().await.expect("json")["status"], "ok");

    let openapi = server
        .anonymous(Method::GET, "/openapi.json")
        .send()
        .await
        .expect("request");
    assert_eq!(openapi.status(), 200);
    let document: Value = openapi.json().await.expect("json");
    assert!(
        document["openapi"]
            .as_str()
            .expect("version")
            .starts_with("3.")
    );
    let paths = document["paths"].as_object().expect("paths");
    for path in [
        "/mobile/tools/1.0/mobilebackends",
        "/mobile/tools/1.0/mobilebackends/{id}",
        "/mobile/tools/1.0/mobilebackends/{id}/managementKeys",
        "/mobile/tools/1.0/assets/trashing",
        "/health",
    ] {
        assert!(
            paths.contains_key(path),
            "{path} missing from the OpenAPI document"
        );
    }
    assert!(document["components"]["securitySchemes"]["adminToken"].is_object());
}
