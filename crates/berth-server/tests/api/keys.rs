//! A backend's credentials: regeneration, management keys, isolation between backends, and storage
//! of secrets as digests only.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestServer, assert_problem, etag, stored_text};

#[tokio::test]
async fn oauth_and_anonymous_keys_can_be_read_and_regenerated() {
    let server = TestServer::start().await;
    let backend = server.create_backend("Keys").await;
    let other = server.create_backend("Bystander").await;
    let path = format!("/mobilebackends/{}", backend["id"].as_str().expect("id"));

    let oauth = server
        .tools(Method::GET, &format!("{path}/oauthKeys"))
        .send()
        .await
        .expect("request");
    assert_eq!(oauth.status(), 200);
    let oauth: Value = oauth.json().await.expect("json");
    assert_eq!(oauth["clientId"], backend["clientId"]);
    assert_eq!(oauth["clientSecret"], backend["clientSecret"]);

    let stale = server
        .tools(Method::POST, &format!("{path}/oauthKeys"))
        .header("if-match", "\"9\"")
        .send()
        .await
        .expect("request");
    assert_problem(stale, 412, "MOBILE-41201").await;
    let renewed = server
        .tools(Method::POST, &format!("{path}/oauthKeys"))
        .send()
        .await
        .expect("request");
    assert_eq!(renewed.status(), 200);
    assert_eq!(etag(&renewed), "\"2\"");
    let renewed: Value = renewed.json().await.expect("json");
    assert_eq!(
        renewed["clientId"], backend["clientId"],
        "the client id stays"
    );
    assert_ne!(renewed["clientSecret"], backend["clientSecret"]);

    let basic: Value = server
        .tools(Method::GET, &format!("{path}/basicAuthenticationKeys"))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert_eq!(basic["anonymousKey"], backend["anonymousKey"]);
    assert_eq!(basic["basicAuthBackendId"], backend["basicAuthBackendId"]);
    let renewed = server
        .tools(Method::POST, &format!("{path}/basicAuthenticationKeys"))
        .header("if-match", "\"2\"")
        .send()
        .await
        .expect("request");
    assert_eq!(etag(&renewed), "\"3\"");
    let renewed: Value = renewed.json().await.expect("json");
    assert_ne!(renewed["anonymousKey"], backend["anonymousKey"]);

    let monaca = server
        .tools(Method::POST, &format!("{path}/monacaApiKey"))
        .send()
        .await
        .expect("request");
    assert_eq!(monaca.status(), 200);
    assert_eq!(etag(&monaca), "\"4\"");
    let monaca: Value = monaca.json().await.expect("json");
    assert_eq!(monaca["backendId"], backend["id"]);
    let new_key = monaca["monacaApiKey"].as_str().expect("key");
    assert_eq!(new_key.len(), 64);
    assert_ne!(monaca["monacaApiKey"], backend["monacaApiKey"]);

    let read: Value = server
        .tools(Method::GET, &path)
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert_eq!(read["clientSecret"], renewed_secret(&server, &path).await);
    assert!(
        read.get("monacaApiKey").is_none(),
        "the app key is shown only when issued"
    );

    let bystander: Value = server
        .tools(
            Method::GET,
            &format!("/mobilebackends/{}", other["id"].as_str().expect("id")),
        )
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert_eq!(bystander["etag"], "1");
    assert_eq!(bystander["clientSecret"], other["clientSecret"]);
    assert_eq!(bystander["anonymousKey"], other["anonymousKey"]);

    let missing = server
        .tools(
            Method::POST,
            &format!("/mobilebackends/{}/oauthKeys", uuid::Uuid::now_v7()),
        )
        .send()
        .await
        .expect("request");
    assert_problem(missing, 404, "MOBILE-40401").await;
}

async fn renewed_secret(server: &TestServer, path: &str) -> Value {
    let oauth: Value = server
        .tools(Method::GET, &format!("{path}/oauthKeys"))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    oauth["clientSecret"].clone()
}

#[tokio::test]
async fn management_keys_are_listed_created_and_revoked() {
    let server = TestServer::start().await;
    let backend = server.create_backend("Managed").await;
    let path = format!(
        "/mobilebackends/{}/managementKeys",
        backend["id"].as_str().expect("id")
    );

    let created = server
        .tools(Method::POST, &path)
        .json(&json!({ "label": "deploy script", "allowedIpRange": "203.0.113.7/24" }))
        .send()
        .await
        .expect("request");
    assert_eq!(created.status(), 201);
    let location = created.headers()["location"]
        .to_str()
        .expect("ascii")
        .to_owned();
    let created: Value = created.json().await.expect("json");
    let key = created["key"].as_str().expect("key shown once");
    assert_eq!(key.len(), 64);
    assert_eq!(created["prefix"], &key[..8]);
    assert_eq!(created["label"], "deploy script");
    assert_eq!(
        created["allowedIpRange"], "203.0.113.0/24",
        "the range is normalised"
    );
    assert!(location.ends_with(&format!("{path}/{}", created["id"].as_str().expect("id"))));

    let bare = server
        .tools(Method::POST, &path)
        .send()
        .await
        .expect("request");
    assert_eq!(bare.status(), 201, "the body is optional");

    let listed = server
        .tools(Method::GET, &path)
        .send()
        .await
        .expect("request");
    assert_eq!(listed.status(), 200);
    let listed: Value = listed.json().await.expect("json");
    assert_eq!(listed["count"], 3, "the initial key and two new ones");
    for item in listed["items"].as_array().expect("items") {
        assert!(
            item.get("key").is_none(),
            "listings never show keys: {item}"
        );
    }
    let one = server
        .tools(
            Method::GET,
            &format!("{path}/{}", created["id"].as_str().expect("id")),
        )
        .send()
        .await
        .expect("request");
    assert_eq!(one.status(), 200);
    assert!(
        one.json::<Value>()
            .await
            .expect("json")
            .get("key")
            .is_none()
    );

    for bad in [
        json!({ "allowedIpRange": "10.0.0.300/8" }),
        json!({ "allowedIpRange": "anywhere" }),
        json!({ "label": "l".repeat(101) }),
    ] {
        let response = server
            .tools(Method::POST, &path)
            .json(&bad)
            .send()
            .await
            .expect("request");
        assert_problem(response, 400, "MOBILE-40002").await;
    }

    let revoke = format!("{path}/{}", created["id"].as_str().expect("id"));
    let response = server
        .tools(Method::DELETE, &revoke)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 204);
    let again = server
        .tools(Method::DELETE, &revoke)
        .send()
        .await
        .expect("request");
    assert_problem(again, 404, "MOBILE-40401").await;
    let gone = server
        .tools(Method::GET, &revoke)
        .send()
        .await
        .expect("request");
    assert_problem(gone, 404, "MOBILE-40401").await;
    let listed: Value = server
        .tools(Method::GET, &path)
        .send()
        .await
        .expect("r")
        .json()
        .await
        .expect("j");
    assert_eq!(listed["count"], 2);
}

#[tokio::test]
async fn one_backend_cannot_see_or_revoke_another_backends_keys() {
    let server = TestServer::start().await;
    let mine = server.create_backend("Mine").await;
    let theirs = server.create_backend("Theirs").await;
    let their_key = theirs["managementKey"]["id"].as_str().expect("key id");
    let mine_path = format!(
        "/mobilebackends/{}/managementKeys",
        mine["id"].as_str().expect("id")
    );

    let listed: Value = server
        .tools(Method::GET, &mine_path)
        .send()
        .await
        .expect("r")
        .json()
        .await
        .expect("j");
    let ids: Vec<&str> = listed["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|k| k["id"].as_str())
        .collect();
    assert_eq!(ids, [mine["managementKey"]["id"].as_str().expect("id")]);

    let peek = server
        .tools(Method::GET, &format!("{mine_path}/{their_key}"))
        .send()
        .await
        .expect("request");
    assert_problem(peek, 404, "MOBILE-40401").await;
    let revoke = server
        .tools(Method::DELETE, &format!("{mine_path}/{their_key}"))
        .send()
        .await
        .expect("request");
    assert_problem(revoke, 404, "MOBILE-40401").await;

    let their_path = format!(
        "/mobilebackends/{}/managementKeys",
        theirs["id"].as_str().expect("id")
    );
    let still: Value = server
        .tools(Method::GET, &their_path)
        .send()
        .await
        .expect("r")
        .json()
        .await
        .expect("j");
    assert_eq!(still["count"], 1, "their key survived");
}

#[tokio::test]
async fn secrets_that_are_only_checked_are_stored_as_digests() {
    let mut server = TestServer::start().await;
    let backend = server.create_backend("Hashed").await;
    let path = format!(
        "/mobilebackends/{}/managementKeys",
        backend["id"].as_str().expect("id")
    );
    let extra: Value = server
        .tools(Method::POST, &path)
        .send()
        .await
        .expect("r")
        .json()
        .await
        .expect("j");
    let secrets = [
        server.token.clone(),
        backend["monacaApiKey"]
            .as_str()
            .expect("app key")
            .to_owned(),
        backend["managementKey"]["key"]
            .as_str()
            .expect("key")
            .to_owned(),
        extra["key"].as_str().expect("key").to_owned(),
    ];
    server.stop();

    let stored = stored_text(&server).await;
    assert!(
        stored.contains(backend["clientId"].as_str().expect("client id")),
        "the check can find stored text"
    );
    for secret in &secrets {
        assert!(
            !stored.contains(secret.as_str()),
            "a secret is stored in clear"
        );
    }
}
