//! App policies: set through the tools API, read by apps at `/mobile/platform/appconfig/client`,
//! anonymously too; bad policies are refused whole; one backend never sees another's.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestServer, assert_problem};

fn config_path(backend: &Value) -> String {
    format!(
        "/mobilebackends/{}/appconfig",
        backend["id"].as_str().expect("id")
    )
}

/// `GET /mobile/platform/appconfig/client` with the backend's anonymous key.
async fn client_config(server: &TestServer, backend: &Value) -> reqwest::Response {
    server
        .anonymous(Method::GET, "/mobile/platform/appconfig/client")
        .header(
            "Authorization",
            format!("Basic {}", backend["anonymousKey"].as_str().expect("key")),
        )
        .header(
            "Oracle-Mobile-Backend-ID",
            backend["basicAuthBackendId"].as_str().expect("id"),
        )
        .send()
        .await
        .expect("request")
}

#[tokio::test]
async fn policies_are_set_by_the_operator_and_read_by_apps() {
    let server = TestServer::start().await;
    let backend = server.create_backend("policies").await;
    let other = server.create_backend("other").await;

    let empty: Value = client_config(&server, &backend)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(empty, json!({}), "no policies yet is an empty object");

    let policies = json!({ "welcomeMsg": "Hello", "reqTimeout": 100000, "darkMode": true });
    let stored = server
        .tools(Method::PUT, &config_path(&backend))
        .json(&policies)
        .send()
        .await
        .expect("request");
    assert_eq!(stored.status(), 200);
    assert_eq!(stored.json::<Value>().await.expect("json"), policies);

    let read = client_config(&server, &backend).await;
    assert_eq!(read.status(), 200);
    assert_eq!(read.json::<Value>().await.expect("json"), policies);
    let operator: Value = server
        .tools(Method::GET, &config_path(&backend))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert_eq!(operator, policies);

    // The other backend has its own (empty) policies.
    let theirs: Value = client_config(&server, &other)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(theirs, json!({}));

    // Bad policies are refused whole: what was stored stays.
    for bad in [
        json!({ "nested": { "a": 1 } }),
        json!({ "list": [1], "fine": "x" }),
        json!({ "": "empty name" }),
        json!({ "big": "x".repeat(70 * 1024) }),
    ] {
        let answer = server
            .tools(Method::PUT, &config_path(&backend))
            .json(&bad)
            .send()
            .await
            .expect("request");
        assert_problem(answer, 400, "MOBILE-40002").await;
    }
    let not_object = server
        .tools(Method::PUT, &config_path(&backend))
        .json(&json!(["a"]))
        .send()
        .await
        .expect("request");
    assert_eq!(not_object.status(), 400);
    let read: Value = client_config(&server, &backend)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(read, policies);
}

#[tokio::test]
async fn policies_need_credentials_and_an_existing_backend() {
    let server = TestServer::start().await;
    let backend = server.create_backend("guarded").await;

    let no_credentials = server
        .anonymous(Method::GET, "/mobile/platform/appconfig/client")
        .send()
        .await
        .expect("request");
    assert_problem(no_credentials, 401, "MOBILE-40101").await;

    let no_token = server
        .anonymous(
            Method::GET,
            &format!("/mobile/tools/1.0{}", config_path(&backend)),
        )
        .send()
        .await
        .expect("request");
    assert_problem(no_token, 401, "MOBILE-40101").await;

    let unknown = server
        .tools(
            Method::PUT,
            "/mobilebackends/00000000-0000-0000-0000-000000000000/appconfig",
        )
        .json(&json!({ "a": "b" }))
        .send()
        .await
        .expect("request");
    assert_problem(unknown, 404, "MOBILE-40401").await;
}
