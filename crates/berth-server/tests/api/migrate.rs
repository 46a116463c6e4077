//! `berth migrate`: an embedded installation with data in every table moves into PostgreSQL, and the
//! apps, keys, sessions and admin token of the old installation go on working on the new one.
//!
//! PostgreSQL only (it is the target); on SQLite the test says it was skipped and passes.

use std::collections::BTreeMap;

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{
    Device, TestServer, database_url_for, fresh_data_dir, random_token, sqlite_command,
};

/// Runs `berth migrate --from <folder> --to <url>`; returns success and what it printed.
fn migrate(from: &std::path::Path, to: &str) -> (bool, String) {
    let output = sqlite_command(from)
        .args([
            "migrate",
            "--from",
            from.to_str().expect("path"),
            "--to",
            to,
        ])
        .output()
        .expect("run berth");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// `copying <table>: <rows> rows` lines of the migrate output.
fn copied_tables(log: &str) -> BTreeMap<String, u64> {
    log.lines()
        .filter_map(|line| line.strip_prefix("copying "))
        .filter_map(|rest| {
            let (table, rows) = rest.split_once(": ")?;
            let rows = rows.strip_suffix(" rows")?.parse().ok()?;
            Some((table.to_owned(), rows))
        })
        .collect()
}

#[tokio::test]
async fn an_embedded_installation_moves_to_postgresql_whole() {
    let (_target_guard, target_dir) = fresh_data_dir();
    let Some(target_url) = database_url_for(&target_dir) else {
        eprintln!("SKIPPED: berth migrate needs PostgreSQL (set BERTH_TEST_DATABASE_URL)");
        return;
    };
    let (_source_guard, source_dir) = fresh_data_dir();
    let token = random_token();
    let mut old = TestServer::start_on_sqlite(&source_dir, &[("BERTH_ADMIN_TOKEN", &token)]).await;

    // Something in every table.
    let shop = old.create_backend("Shop").await;
    let app = old.app("Garden").await;
    let backend = app.backend.id.clone();
    old.manage_ok(
        &app.backend,
        "Collection.create",
        json!({ "_id": "Plant", "isInsertable": true, "indexedProperties": ["height"] }),
    )
    .await;
    old.manage_ok(
        &app.backend,
        "Backend.setSettings",
        json!({ "settings": { "maxFailedLoginsPerUser": 5 } }),
    )
    .await;
    old.manage_ok(
        &app.backend,
        "Mailer.setTemplate",
        json!({ "name": "welcome", "subject": "Hi %NAME%", "body": "Welcome, %NAME%!" }),
    )
    .await;
    let mut fern = Device::new(&old, &app);
    let registered = fern
        .ok(
            "User.register",
            json!({ "username": "fern", "password": "green-thumb", "properties": { "email": "f@example.com" } }),
        )
        .await;
    let login_token = registered["loginToken"].as_str().expect("token").to_owned();
    fern.ok(
        "Device.saveProperties",
        json!({ "properties": { "os": "iOS" } }),
    )
    .await;
    let inserted = fern
        .ok(
            "Collection.insert",
            json!({ "collectionName": "Plant", "item": { "name": "fern", "height": 30 }, "permission": {} }),
        )
        .await;
    let item_id = inserted["item"]["_id"].as_str().expect("id").to_owned();
    let fern_oid = old
        .manage_ok(&app.backend, "User.list", json!({ "nameFilter": "fern" }))
        .await["items"][0]["_id"]
        .as_str()
        .expect("oid")
        .to_owned();
    fern.ok(
        "Mailer.sendMail",
        json!({ "userOid": fern_oid, "templateName": "welcome", "substituteParams": { "NAME": "Fern" }, "options": { "emailPropertyName": "email" } }),
    )
    .await;
    let mut stranger = Device::new(&old, &app);
    let failed = stranger
        .call(
            "User.login",
            json!({ "username": "fern", "password": "wrong" }),
        )
        .await;
    assert!(failed.get("error").is_some(), "{failed}");
    let role = old
        .tools(Method::POST, &format!("/mobilebackends/{backend}/roles"))
        .json(&json!({ "name": "Gardener" }))
        .send()
        .await
        .expect("request");
    assert_eq!(role.status(), 201);
    let granted = old
        .tools(
            Method::PUT,
            &format!("/mobilebackends/{backend}/users/fern/roles"),
        )
        .json(&json!(["Gardener"]))
        .send()
        .await
        .expect("request");
    assert_eq!(granted.status(), 200);
    let config = old
        .tools(Method::PUT, &format!("/mobilebackends/{backend}/appconfig"))
        .json(&json!({ "theme": "green" }))
        .send()
        .await
        .expect("request");
    assert_eq!(config.status(), 200);
    let garden = old
        .tools(Method::GET, &format!("/mobilebackends/{backend}"))
        .send()
        .await
        .expect("request")
        .json::<Value>()
        .await
        .expect("json");
    let events = old
        .anonymous(Method::POST, "/mobile/platform/analytics/events")
        .basic_auth("fern", Some("green-thumb"))
        .header(
            "Oracle-Mobile-Backend-ID",
            garden["basicAuthBackendId"].as_str().expect("basic id"),
        )
        .json(&json!([{ "name": "planted", "timestamp": "2026-01-01T10:00:00.000Z" }]))
        .send()
        .await
        .expect("request");
    assert_eq!(
        events.status(),
        202,
        "{}",
        events.text().await.unwrap_or_default()
    );
    let (fern_device, fern_session) = (fern.device_id.clone(), fern.session.clone());
    old.stop();

    let (migrated, log) = migrate(&source_dir, &target_url);
    assert!(migrated, "migrate failed:\n{log}");
    let tables = copied_tables(&log);
    for expected in [
        "settings",
        "backends",
        "management_keys",
        "users",
        "collections",
        "analytics_events",
        "user_roles",
    ] {
        assert!(
            tables.contains_key(expected),
            "{expected} not copied:\n{log}"
        );
    }
    // A table this test leaves empty is a table whose copy it does not check: fill it above.
    let empty: Vec<_> = tables.iter().filter(|(_, rows)| **rows == 0).collect();
    assert!(
        empty.is_empty(),
        "tables without rows in this test: {empty:?}\n{log}"
    );
    assert_eq!(
        log.matches("count verified").count(),
        tables.len(),
        "every table verified:\n{log}"
    );
    assert!(log.contains("committed"), "{log}");

    // The same apps, keys and admin token on PostgreSQL.
    let new = TestServer::start_with(&target_dir, &[("BERTH_ADMIN_TOKEN", &token)]).await;
    let listed = new
        .tools(
            Method::GET,
            &format!("/mobilebackends/{}", shop["id"].as_str().expect("id")),
        )
        .send()
        .await
        .expect("request");
    assert_eq!(listed.status(), 200);
    let item = new
        .manage_ok(
            &app.backend,
            "CollectionItem.get",
            json!({ "collectionName": "Plant", "_id": item_id }),
        )
        .await;
    assert_eq!(item["item"]["height"], 30, "{item}");
    let found = new
        .manage_ok(
            &app.backend,
            "CollectionItem.list",
            json!({ "collectionName": "Plant", "criteria": "height > 10" }),
        )
        .await;
    assert_eq!(found["totalItems"], 1, "{found}");

    let mut fern_on_new = Device::new(&new, &app);
    fern_on_new.device_id = fern_device.clone();
    fern_on_new.session = fern_session;
    let properties = fern_on_new.ok("User.getProperties", json!({})).await;
    assert_eq!(
        properties["properties"]["email"], "f@example.com",
        "the session moved"
    );
    let mut again = Device::new(&new, &app);
    again
        .ok(
            "User.login",
            json!({ "username": "fern", "password": "green-thumb" }),
        )
        .await;
    let mut auto = Device::new(&new, &app);
    auto.device_id = fern_device;
    let auto_login = auto
        .call("User.autoLogin", json!({ "loginToken": login_token }))
        .await;
    assert!(
        auto_login.get("error").is_none(),
        "the login token moved: {auto_login}"
    );

    // New rows continue after the copied ones.
    let more = new
        .anonymous(Method::POST, "/mobile/platform/analytics/events")
        .basic_auth("fern", Some("green-thumb"))
        .header(
            "Oracle-Mobile-Backend-ID",
            garden["basicAuthBackendId"].as_str().expect("basic id"),
        )
        .json(&json!([{ "name": "watered", "timestamp": "2026-01-02T10:00:00.000Z" }]))
        .send()
        .await
        .expect("request");
    assert_eq!(more.status(), 202);
    let stored = new
        .tools(
            Method::GET,
            &format!("/mobilebackends/{backend}/analytics/events"),
        )
        .send()
        .await
        .expect("request")
        .json::<Value>()
        .await
        .expect("json");
    assert_eq!(stored["totalResults"], 2, "{stored}");
    let config = new
        .anonymous(Method::GET, "/mobile/platform/appconfig/client")
        .basic_auth("fern", Some("green-thumb"))
        .header(
            "Oracle-Mobile-Backend-ID",
            garden["basicAuthBackendId"].as_str().expect("basic id"),
        )
        .send()
        .await
        .expect("request")
        .json::<Value>()
        .await
        .expect("json");
    assert_eq!(config, json!({ "theme": "green" }));

    // A second copy into the filled database is refused and changes nothing.
    let (repeated, log) = migrate(&source_dir, &target_url);
    assert!(!repeated);
    assert!(log.contains("not empty"), "{log}");
    let still = new
        .manage(
            &app.backend,
            "CollectionItem.list",
            json!({ "collectionName": "Plant" }),
        )
        .await;
    assert_eq!(still["result"]["totalItems"], 1, "{still}");
}

#[tokio::test]
async fn migrate_explains_a_wrong_source_or_target() {
    let (_guard, empty_dir) = fresh_data_dir();
    let (migrated, log) = migrate(&empty_dir, "postgres://x@127.0.0.1:1/x");
    assert!(!migrated);
    assert!(log.contains("holds no Berth database"), "{log}");

    let mut server = TestServer::start_on_sqlite(&empty_dir, &[]).await;
    server.stop();
    let (migrated, log) = migrate(&empty_dir, "mysql://root@localhost/db");
    assert!(!migrated);
    assert!(log.contains("must be a postgres:// URL"), "{log}");
}
