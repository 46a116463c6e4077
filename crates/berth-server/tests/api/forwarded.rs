//! `--trusted-proxies`: behind a load balancer, X-Forwarded-For names the client, but only when the
//! balancer sends it; a client cannot pick its own address.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestServer, fresh_data_dir, random_token};

/// A management key usable only from 203.0.113.0/24; returns backend id and key.
async fn fenced_key(server: &TestServer) -> (String, String) {
    let backend = server.create_backend("Fenced").await;
    let id = backend["id"].as_str().expect("id").to_owned();
    let key: Value = server
        .tools(
            Method::POST,
            &format!("/mobilebackends/{id}/managementKeys"),
        )
        .json(&json!({ "allowedIpRange": "203.0.113.0/24" }))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    (id, key["key"].as_str().expect("key").to_owned())
}

/// Calls `Collection.list` with the key, as forwarded for `forwarded_for`; true when allowed.
async fn allowed(
    server: &TestServer,
    (id, key): &(String, String),
    forwarded_for: &[&str],
) -> bool {
    let mut request = server
        .anonymous(Method::POST, &format!("/manage/json-rpc/{id}"))
        .header("X-Monaca-Backend-Management-API-Key", key)
        .body(
            json!({ "jsonrpc": "2.0", "id": 1, "method": "Collection.list", "params": {} })
                .to_string(),
        );
    for value in forwarded_for {
        request = request.header("X-Forwarded-For", *value);
    }
    let response: Value = request
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    match (response.get("result"), response["error"]["code"].as_i64()) {
        (Some(_), _) => true,
        (None, Some(4)) => false,
        other => panic!("unexpected answer {other:?}: {response}"),
    }
}

#[tokio::test]
async fn forwarded_addresses_count_only_from_trusted_proxies() {
    let untrusting = TestServer::start().await;
    let key = fenced_key(&untrusting).await;
    assert!(!allowed(&untrusting, &key, &[]).await);
    assert!(
        !allowed(&untrusting, &key, &["203.0.113.7"]).await,
        "without --trusted-proxies the header is ignored"
    );

    let (_guard, data_dir) = fresh_data_dir();
    let token = random_token();
    let behind_proxy = TestServer::start_with(
        &data_dir,
        &[
            ("BERTH_ADMIN_TOKEN", &token),
            ("BERTH_TRUSTED_PROXIES", "10.0.0.0/8,127.0.0.1"),
        ],
    )
    .await;
    let key = fenced_key(&behind_proxy).await;
    assert!(
        !allowed(&behind_proxy, &key, &[]).await,
        "the proxy's own address is not in range"
    );
    assert!(allowed(&behind_proxy, &key, &["203.0.113.7"]).await);
    assert!(
        allowed(
            &behind_proxy,
            &key,
            &["198.51.100.1, 203.0.113.7, 10.1.2.3"]
        )
        .await,
        "trusted hops on the right are skipped"
    );
    assert!(
        !allowed(&behind_proxy, &key, &["203.0.113.7, 198.51.100.1"]).await,
        "an address the client wrote on the left is not believed"
    );
    assert!(!allowed(&behind_proxy, &key, &["not-an-address"]).await);
    assert!(
        behind_proxy.log().contains("--trusted-proxies"),
        "the start log says which proxies are trusted"
    );
}
