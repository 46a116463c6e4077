//! Two Berth nodes on one PostgreSQL database, as behind a load balancer that spreads one app's
//! requests over both: nothing a client holds (sessions, login tokens, OAuth tokens, keys) and no
//! limit (failed logins) may depend on which node answers.
//!
//! PostgreSQL only: SQLite keeps its data in one node's folder, so on SQLite these tests say that
//! they were skipped and pass.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{
    App, Device, Managed, TestServer, assert_problem, assert_rpc_error, fresh_data_dir,
    share_database,
};

/// Node A and node B on one database with the same admin token; `None` on SQLite.
async fn two_nodes() -> Option<(TestServer, TestServer, tempfile::TempDir)> {
    let a = TestServer::start().await;
    let (guard, b_folder) = fresh_data_dir();
    if share_database(&b_folder, &a.data_dir).is_none() {
        eprintln!(
            "SKIPPED: two-node tests need PostgreSQL (set BERTH_TEST_DATABASE_URL); SQLite is one node's"
        );
        return None;
    }
    let b = TestServer::start_with(&b_folder, &[("BERTH_ADMIN_TOKEN", a.token.as_str())]).await;
    Some((a, b, guard))
}

/// `device` sending its next calls to `node`, as a load balancer may.
fn via<'a>(device: &mut Device<'a>, node: &'a TestServer) {
    device.server = node;
}

#[tokio::test]
async fn app_sessions_tokens_and_login_limits_are_shared_by_the_nodes() {
    let Some((a, b, _guard)) = two_nodes().await else {
        return;
    };
    let app: App = a.app("Spread").await;
    a.manage_ok(
        &app.backend,
        "Collection.create",
        json!({ "_id": "Memo", "isInsertable": true }),
    )
    .await;
    a.manage_ok(
        &app.backend,
        "Backend.setSettings",
        json!({ "settings": { "maxFailedLoginsPerUser": 4 } }),
    )
    .await;

    // Registered on A (which hands out the session and a login token), then carried on B.
    let mut alice = Device::new(&a, &app);
    let registered = alice
        .ok(
            "User.register",
            json!({ "username": "alice", "password": "wonderland", "properties": { "city": "Oslo" } }),
        )
        .await;
    let login_token = registered["loginToken"]
        .as_str()
        .expect("login token")
        .to_owned();
    via(&mut alice, &b);
    let properties = alice.ok("User.getProperties", json!({})).await;
    assert_eq!(
        properties,
        json!({ "properties": { "city": "Oslo" } }),
        "A's session works on B"
    );
    let inserted = alice
        .ok(
            "Collection.insert",
            json!({ "collectionName": "Memo", "item": { "title": "written on B" }, "permission": {} }),
        )
        .await;
    let item_id = inserted["item"]["_id"]
        .as_str()
        .expect("item id")
        .to_owned();
    via(&mut alice, &a);
    let found = alice
        .ok(
            "Collection.find",
            json!({ "collectionName": "Memo", "criteria": "_id == ?", "bindParams": [item_id] }),
        )
        .await;
    assert_eq!(found["totalItems"], 1, "B's write is read on A");
    assert_eq!(found["items"][0]["title"], "written on B");

    // The login token A issued works once, on B; its replacement from B works on A.
    via(&mut alice, &b);
    alice.session = None;
    let again = alice
        .ok("User.autoLogin", json!({ "loginToken": login_token }))
        .await;
    let next = again["loginToken"].as_str().expect("rotated").to_owned();
    via(&mut alice, &a);
    assert_rpc_error(
        &alice
            .call("User.autoLogin", json!({ "loginToken": login_token }))
            .await,
        -32602,
        Some("loginToken"),
    );
    alice
        .ok("User.autoLogin", json!({ "loginToken": next }))
        .await;

    // Logged out on A: the session is gone on B too.
    via(&mut alice, &a);
    assert_eq!(alice.ok("User.logout", json!({})).await, "OK");
    via(&mut alice, &b);
    assert_rpc_error(&alice.call("User.getProperties", json!({})).await, 11, None);

    // Failed logins alternate between the nodes and add up: four are allowed in all, not per node.
    let mut attacker = Device::new(&a, &app);
    for attempt in 0..4 {
        via(&mut attacker, if attempt % 2 == 0 { &a } else { &b });
        assert_rpc_error(
            &attacker
                .call(
                    "User.login",
                    json!({ "username": "alice", "password": "guess123" }),
                )
                .await,
            -32602,
            Some("password"),
        );
    }
    for node in [&a, &b] {
        via(&mut attacker, node);
        assert_rpc_error(
            &attacker
                .call(
                    "User.login",
                    json!({ "username": "alice", "password": "wonderland" }),
                )
                .await,
            9999,
            Some("reason"),
        );
    }
}

#[tokio::test]
async fn keys_and_oauth_tokens_from_one_node_work_on_the_other() {
    let Some((a, b, _guard)) = two_nodes().await else {
        return;
    };

    // A backend and an extra management key made on A serve the Management API on B.
    let body = a.create_backend("OracleSpread").await;
    let id = body["id"].as_str().expect("id").to_owned();
    let keys = format!("/mobilebackends/{id}/managementKeys");
    let created: Value = a
        .tools(Method::POST, &keys)
        .json(&json!({ "label": "made on A" }))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    let extra = Managed {
        id: id.clone(),
        key: created["key"].as_str().expect("key").to_owned(),
    };
    b.manage_ok(
        &extra,
        "User.create",
        json!({ "username": "joe", "password": "password1" }),
    )
    .await;
    let read = b
        .tools(Method::GET, &format!("/mobilebackends/{id}"))
        .send()
        .await
        .expect("request");
    assert_eq!(read.status(), 200, "the admin token works on B");

    // An OAuth token issued by A is accepted by B: both sign with the one stored key.
    let issued = a
        .anonymous(Method::POST, "/oauth2/v1/token")
        .basic_auth(
            body["clientId"].as_str().expect("client id"),
            body["clientSecret"].as_str(),
        )
        .form(&[
            ("grant_type", "password"),
            ("username", "joe"),
            ("password", "password1"),
        ])
        .send()
        .await
        .expect("request");
    assert_eq!(issued.status(), 200);
    let issued: Value = issued.json().await.expect("json");
    let bearer = issued["access_token"].as_str().expect("token").to_owned();
    let me = |node: &TestServer| {
        node.anonymous(Method::GET, "/mobile/platform/users/me")
            .bearer_auth(&bearer)
            .send()
    };
    let on_b = me(&b).await.expect("request");
    assert_eq!(on_b.status(), 200, "A's token works on B");
    let on_b: Value = on_b.json().await.expect("json");
    assert_eq!(on_b["username"], "joe");

    // Revoked on B (the key revoked, the client secret changed): refused on A at once.
    let revoked = b
        .tools(
            Method::DELETE,
            &format!("{keys}/{}", created["id"].as_str().expect("key id")),
        )
        .send()
        .await
        .expect("request");
    assert_eq!(revoked.status(), 204);
    let call = json!({ "jsonrpc": "2.0", "id": 1, "method": "Collection.list", "params": {} });
    let (status, refused) = a
        .manage_raw(&extra.id, Some(&extra.key), call.to_string())
        .await;
    assert_eq!(status, 200, "{refused}");
    assert_rpc_error(&refused, 4, None);
    let secret_changed = b
        .tools(Method::POST, &format!("/mobilebackends/{id}/oauthKeys"))
        .send()
        .await
        .expect("request");
    assert_eq!(secret_changed.status(), 200);
    assert_problem(me(&a).await.expect("request"), 401, "MOBILE-40101").await;
}
