//! Data survives a restart, also after the process is killed outright.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestServer, etag};

#[tokio::test]
async fn a_restart_keeps_backends_keys_and_etags() {
    let mut server = TestServer::start().await;
    let dir = server.take_dir();
    let token = server.token.clone();
    let backend = server.create_backend("Durable").await;
    let id = backend["id"].as_str().expect("id").to_owned();
    let path = format!("/mobilebackends/{id}");
    let updated = server
        .tools(Method::PUT, &path)
        .json(&json!({ "name": "Durable", "desc": "after update" }))
        .send()
        .await
        .expect("request");
    assert_eq!(updated.status(), 204);
    let key: Value = server
        .tools(Method::POST, &format!("{path}/managementKeys"))
        .json(&json!({ "label": "kept" }))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");

    // Killed, not stopped: every answered write must already be on disk.
    server.kill();
    let data_dir = server.data_dir.clone();
    let restarted =
        TestServer::start_with(&data_dir, &[("BERTH_ADMIN_TOKEN", token.as_str())]).await;
    let read = restarted
        .tools(Method::GET, &path)
        .send()
        .await
        .expect("request");
    assert_eq!(read.status(), 200);
    assert_eq!(etag(&read), "\"2\"");
    let read: Value = read.json().await.expect("json");
    assert_eq!(read["desc"], "after update");
    assert_eq!(read["clientSecret"], backend["clientSecret"]);
    let keys: Value = restarted
        .tools(Method::GET, &format!("{path}/managementKeys"))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    let ids: Vec<&str> = keys["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|k| k["id"].as_str())
        .collect();
    assert!(ids.contains(&key["id"].as_str().expect("id")));
    drop(dir);
}
