//! The app-facing Monaca API (`/json-rpc/{backendId}`), driven the way the monaca.cloud SDK drives it.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{App, Device, TestServer, assert_rpc_error};

async fn setup(server: &TestServer, name: &str) -> App {
    let app = server.app(name).await;
    server
        .manage_ok(
            &app.backend,
            "Collection.create",
            json!({ "_id": "Memo", "isInsertable": true }),
        )
        .await;
    app
}

#[tokio::test]
async fn a_scripted_app_session() {
    let server = TestServer::start().await;
    let app = setup(&server, "Memos").await;
    let mut alice = Device::new(&server, &app);
    let mut bob = Device::new(&server, &app);

    let registered = alice
        .ok("User.register", json!({ "username": "alice@example.com", "password": "wonderland", "properties": { "nick": "Al" } }))
        .await;
    assert_eq!(registered["user"]["_username"], "alice@example.com");
    assert_eq!(registered["user"]["nick"], "Al");
    let alice_oid = registered["user"]["_id"].as_str().expect("oid").to_owned();
    let first_session = alice.session.clone().expect("a session after registering");
    assert!(
        first_session.chars().all(|c| c.is_ascii_alphanumeric()),
        "the SDK reads sessions with [a-zA-Z0-9]+"
    );
    assert!(registered["loginToken"].is_string());

    bob.ok(
        "User.register",
        json!({ "username": "bob", "password": "builder1" }),
    )
    .await;
    let bob_oid = bob
        .ok(
            "User.login",
            json!({ "username": "bob", "password": "builder1" }),
        )
        .await["user"]["_id"]
        .as_str()
        .expect("oid")
        .to_owned();

    // Alice logs in again: a new session replaces the old one.
    let login = alice
        .ok(
            "User.login",
            json!({ "username": "alice@example.com", "password": "wonderland" }),
        )
        .await;
    assert_eq!(login["user"]["_id"], alice_oid.as_str());
    assert_ne!(
        alice.session.as_deref(),
        Some(first_session.as_str()),
        "login rotates the session"
    );

    let inserted = alice
        .ok("Collection.insert", json!({ "collectionName": "Memo", "item": { "title": "secret plan", "stars": 5 }, "permission": {} }))
        .await;
    let item = &inserted["item"];
    let item_id = item["_id"].as_str().expect("_id").to_owned();
    assert_eq!(item["_ownerUserOid"], alice_oid.as_str());
    assert_eq!(item["title"], "secret plan");
    alice
        .ok("Collection.insert", json!({ "collectionName": "Memo", "item": { "title": "shopping", "stars": 2 }, "permission": { "public": "r" } }))
        .await;

    let mine = alice
        .ok("Collection.find", json!({ "collectionName": "Memo", "criteria": "(stars > ?) && (_ownerUserOid == ?)", "bindParams": [1, alice_oid], "orderBy": "stars DESC", "options": { "limit": 5, "propertyNames": ["title"] } }))
        .await;
    assert_eq!(mine["totalItems"], 2);
    assert_eq!(mine["items"][0]["title"], "secret plan");
    assert!(
        mine["items"][0].get("stars").is_none(),
        "propertyNames limits the data"
    );

    let seen_by_bob = bob
        .ok(
            "Collection.find",
            json!({ "collectionName": "Memo", "criteria": "", "bindParams": [] }),
        )
        .await;
    let titles: Vec<&str> = seen_by_bob["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["title"].as_str())
        .collect();
    assert_eq!(titles, ["shopping"], "Bob sees only what is public");

    // Alice lets Bob read and write the plan; Bob now sees and edits it.
    let changed = alice
        .ok("Collection.updatePermission", json!({ "collectionName": "Memo", "criteria": "_id == ?", "bindParams": [item_id], "permission": { (bob_oid.clone()): "rw" }, "options": { "forceOverwrite": false } }))
        .await;
    assert_eq!(changed, json!({ "numUpdates": 1 }));
    let seen_by_bob = bob.ok("Collection.find", json!({ "collectionName": "Memo", "criteria": "title == ?", "bindParams": ["secret plan"] })).await;
    assert_eq!(seen_by_bob["totalItems"], 1);
    assert_eq!(
        bob.ok("Collection.update", json!({ "collectionName": "Memo", "itemOid": item_id, "data": { "title": "shared plan", "stars": 5 } })).await,
        "OK"
    );
    let permission = bob
        .ok(
            "Collection.getPermission",
            json!({ "collectionName": "Memo", "itemOid": item_id }),
        )
        .await;
    assert_eq!(permission["permission"][bob_oid.as_str()], "rw");

    // Logging out ends the session: login-only calls now answer 11.
    assert_eq!(alice.ok("User.logout", json!({})).await, "OK");
    let after = alice.call("User.getProperties", json!({})).await;
    assert_rpc_error(&after, 11, None);
    let anonymous = alice
        .ok(
            "Collection.find",
            json!({ "collectionName": "Memo", "criteria": "" }),
        )
        .await;
    assert_eq!(
        anonymous["totalItems"], 1,
        "logged out, the device sees public items only"
    );
}

#[tokio::test]
async fn transport_keys_and_sessions_are_checked() {
    let server = TestServer::start().await;
    let app = setup(&server, "Guarded").await;
    let other = setup(&server, "Other").await;
    let raw = |backend: &str, body: Value| {
        let backend = backend.to_owned();
        let server = &server;
        async move { server.app_raw(&backend, body.to_string()).await }
    };
    let call = |key: &str, device: Option<&str>, session: Option<&str>| {
        let mut params = json!({ "__api_key": key, "collectionName": "Memo", "criteria": "" });
        if let Some(device) = device {
            params["__device"] = json!(device);
        }
        if let Some(session) = session {
            params["__session"] = json!(session);
        }
        json!({ "jsonrpc": "2.0", "id": "1", "method": "Collection.find", "params": params })
    };

    let (status, _, ok) = raw(&app.backend.id, call(&app.api_key, Some("dev"), None)).await;
    assert_eq!(status, 200);
    assert_eq!(ok["result"]["totalItems"], 0);

    for (backend, body) in [
        (app.backend.id.clone(), call("wrong", Some("dev"), None)),
        (
            app.backend.id.clone(),
            call(&other.api_key, Some("dev"), None),
        ),
        (
            other.backend.id.clone(),
            call(&app.api_key, Some("dev"), None),
        ),
        ("nope".to_owned(), call(&app.api_key, Some("dev"), None)),
        (
            app.backend.id.clone(),
            call(&app.backend.key, Some("dev"), None),
        ),
    ] {
        let (status, _, response) = raw(&backend, body).await;
        assert_eq!(status, 200);
        assert_rpc_error(&response, 4, None);
    }
    let (_, _, no_device) = raw(&app.backend.id, call(&app.api_key, None, None)).await;
    assert_rpc_error(&no_device, 12, None);
    let (_, _, bad_session) = raw(
        &app.backend.id,
        call(&app.api_key, Some("dev"), Some("not-alnum!")),
    )
    .await;
    assert_rpc_error(&bad_session, 10, None);
    let (_, _, stale_session) = raw(
        &app.backend.id,
        call(&app.api_key, Some("dev"), Some("abc123")),
    )
    .await;
    assert!(
        stale_session.get("result").is_some(),
        "an unknown session is simply not logged in"
    );

    let (status, _, invalid) = server
        .app_raw(
            &app.backend.id,
            r#"{"jsonrpc":"2.0","id":"1","method":7}"#.to_owned(),
        )
        .await;
    assert_eq!(status, 200);
    assert_rpc_error(&invalid, -32600, None);
    let (status, _, parse) = server.app_raw(&app.backend.id, "{oops".to_owned()).await;
    assert_eq!(status, 200, "even parse errors are HTTP 200");
    assert_rpc_error(&parse, -32700, None);
    let mut device = Device::new(&server, &app);
    assert_rpc_error(&device.call("User.fly", json!({})).await, -32601, None);
    assert_rpc_error(
        &device
            .call("Collection.find", json!({ "collectionName": "Nope" }))
            .await,
        -32602,
        Some("collectionName"),
    );
    assert_rpc_error(
        &device
            .call(
                "Collection.find",
                json!({ "collectionName": "Memo", "criteria": "a ==" }),
            )
            .await,
        -32602,
        Some("criteria"),
    );
    assert_rpc_error(
        &device
            .call(
                "Collection.find",
                json!({ "collectionName": "Memo", "orderBy": "a SIDEWAYS" }),
            )
            .await,
        -32602,
        Some("orderBy"),
    );
    for method in [
        "User.logout",
        "User.getProperties",
        "User.saveProperties",
        "User.updatePassword",
        "User.unregister",
        "Mailer.sendMail",
    ] {
        assert_rpc_error(&device.call(method, json!({})).await, 11, None);
    }

    // A session of another backend means nothing here.
    let mut elsewhere = Device::new(&server, &other);
    elsewhere
        .ok(
            "User.register",
            json!({ "username": "eve", "password": "password1" }),
        )
        .await;
    let foreign = elsewhere.session.clone().expect("session");
    let (_, _, response) = raw(&app.backend.id, {
        let mut body = call(&app.api_key, Some(&elsewhere.device_id), Some(&foreign));
        body["method"] = json!("User.getProperties");
        body
    })
    .await;
    assert_rpc_error(&response, 11, None);
}

#[tokio::test]
async fn cors_preflight_and_exposed_session_header() {
    let server = TestServer::start().await;
    let app = setup(&server, "Cors").await;
    let preflight = server
        .anonymous(Method::OPTIONS, &format!("/json-rpc/{}", app.backend.id))
        .header("origin", "http://localhost:8100")
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "content-type,x-requested-with",
        )
        .send()
        .await
        .expect("request");
    assert!(preflight.status().is_success());
    assert_eq!(
        preflight.headers()["access-control-allow-origin"],
        "http://localhost:8100"
    );
    let allowed = preflight.headers()["access-control-allow-headers"]
        .to_str()
        .expect("ascii")
        .to_ascii_lowercase();
    assert!(
        allowed.contains("content-type") && allowed.contains("x-requested-with"),
        "{allowed}"
    );

    let response = server
        .anonymous(Method::POST, &format!("/json-rpc/{}", app.backend.id))
        .header("origin", "null")
        .body(json!({ "jsonrpc": "2.0", "id": "1", "method": "User.register", "params": { "username": "cors", "password": "password1", "__api_key": app.api_key, "__device": "d" } }).to_string())
        .send()
        .await
        .expect("request");
    assert_eq!(response.headers()["access-control-allow-origin"], "null");
    let exposed = response.headers()["access-control-expose-headers"]
        .to_str()
        .expect("ascii")
        .to_ascii_lowercase();
    assert!(exposed.contains("x-set-monaca-cloud-session"), "{exposed}");
    assert!(
        response
            .headers()
            .contains_key("x-set-monaca-cloud-session")
    );
}

#[tokio::test]
async fn users_register_validate_and_manage_their_account() {
    let server = TestServer::start().await;
    let app = setup(&server, "Accounts").await;
    let mut device = Device::new(&server, &app);

    assert_eq!(
        device
            .ok(
                "User.validate",
                json!({ "username": "carol", "properties": { "age": 3 } })
            )
            .await,
        "OK"
    );
    device
        .ok(
            "User.register",
            json!({ "username": "carol", "password": "password1" }),
        )
        .await;
    assert_rpc_error(
        &device
            .call("User.validate", json!({ "username": "carol" }))
            .await,
        -32602,
        Some("username"),
    );
    assert_rpc_error(
        &device
            .call("User.validate", json!({ "username": "has space" }))
            .await,
        -32602,
        Some("username"),
    );
    assert_rpc_error(
        &device
            .call(
                "User.register",
                json!({ "username": "carol", "password": "password1" }),
            )
            .await,
        -32602,
        Some("username"),
    );
    assert_rpc_error(
        &device
            .call(
                "User.register",
                json!({ "username": "dave", "password": "short" }),
            )
            .await,
        -32602,
        Some("password"),
    );
    assert_rpc_error(
        &device
            .call(
                "User.register",
                json!({ "username": "dave", "password": "password1", "properties": { "_x": 1 } }),
            )
            .await,
        -32602,
        Some("properties"),
    );

    device
        .ok(
            "User.login",
            json!({ "username": "carol", "password": "password1" }),
        )
        .await;
    assert_eq!(
        device
            .ok(
                "User.saveProperties",
                json!({ "properties": { "age": 30, "city": "Oslo" } })
            )
            .await,
        "OK"
    );
    assert_eq!(
        device
            .ok("User.getProperties", json!({ "names": ["age"] }))
            .await,
        json!({ "properties": { "age": 30 } })
    );
    assert_eq!(
        device.ok("User.getProperties", json!({})).await,
        json!({ "properties": { "age": 30, "city": "Oslo" } })
    );
    assert_rpc_error(
        &device
            .call(
                "User.saveProperties",
                json!({ "properties": { "bad key": 1 } }),
            )
            .await,
        -32602,
        Some("properties"),
    );
    assert_eq!(device.ok("User.isAuthenticated", json!({})).await, true);

    assert_rpc_error(
        &device
            .call(
                "User.updatePassword",
                json!({ "oldPassword": "wrong-one", "newPassword": "password2" }),
            )
            .await,
        -32602,
        Some("oldPassword"),
    );
    assert_eq!(
        device
            .ok(
                "User.updatePassword",
                json!({ "oldPassword": "password1", "newPassword": "password2" })
            )
            .await,
        "OK"
    );
    let mut other = Device::new(&server, &app);
    assert_rpc_error(
        &other
            .call(
                "User.login",
                json!({ "username": "carol", "password": "password1" }),
            )
            .await,
        -32602,
        Some("password"),
    );
    other
        .ok(
            "User.login",
            json!({ "username": "carol", "password": "password2" }),
        )
        .await;

    assert_rpc_error(
        &device
            .call("User.unregister", json!({ "password": "password1" }))
            .await,
        -32602,
        Some("password"),
    );
    assert_eq!(
        device
            .ok("User.unregister", json!({ "password": "password2" }))
            .await,
        "OK"
    );
    assert_rpc_error(&other.call("User.getProperties", json!({})).await, 11, None);
    assert_rpc_error(
        &other
            .call(
                "User.login",
                json!({ "username": "carol", "password": "password2" }),
            )
            .await,
        -32602,
        Some("password"),
    );

    // The management side sees the same users and settings.
    server
        .manage_ok(
            &app.backend,
            "Backend.setSettings",
            json!({ "settings": { "registrationOpen": false, "minPasswordLength": 10 } }),
        )
        .await;
    let settings = server
        .manage_ok(&app.backend, "Backend.getSettings", json!({}))
        .await;
    assert_eq!(settings["settings"]["registrationOpen"], false);
    assert_eq!(settings["settings"]["minPasswordLength"], 10);
    assert_rpc_error(
        &device
            .call(
                "User.register",
                json!({ "username": "late", "password": "password123" }),
            )
            .await,
        13,
        None,
    );
    let bad = server
        .manage(
            &app.backend,
            "Backend.setSettings",
            json!({ "settings": { "minPasswordLength": 0 } }),
        )
        .await;
    assert_rpc_error(&bad, -32602, Some("minPasswordLength"));
    let unknown = server
        .manage(
            &app.backend,
            "Backend.setSettings",
            json!({ "settings": { "noSuchSetting": 1 } }),
        )
        .await;
    assert_rpc_error(&unknown, -32602, Some("settings"));
}

#[tokio::test]
async fn auto_login_tokens_rotate_and_work_once() {
    let server = TestServer::start().await;
    let app = setup(&server, "Auto").await;
    let mut device = Device::new(&server, &app);
    let token = device
        .ok(
            "User.register",
            json!({ "username": "auto", "password": "password1" }),
        )
        .await["loginToken"]
        .as_str()
        .expect("token")
        .to_owned();
    device.session = None;
    let again = device
        .ok("User.autoLogin", json!({ "loginToken": token }))
        .await;
    assert_eq!(again["user"]["_username"], "auto");
    let next = again["loginToken"]
        .as_str()
        .expect("a fresh token")
        .to_owned();
    assert_ne!(next, token);
    assert!(device.session.is_some());
    assert_rpc_error(
        &device
            .call("User.autoLogin", json!({ "loginToken": token }))
            .await,
        -32602,
        Some("loginToken"),
    );
    assert_rpc_error(
        &device
            .call("User.autoLogin", json!({ "loginToken": "" }))
            .await,
        -32602,
        Some("loginToken"),
    );

    let mut thief = Device::new(&server, &app);
    assert_rpc_error(
        &thief
            .call("User.autoLogin", json!({ "loginToken": next }))
            .await,
        -32602,
        Some("loginToken"),
    );

    device.ok("User.logout", json!({})).await;
    server
        .manage_ok(
            &app.backend,
            "Backend.setSettings",
            json!({ "settings": { "autoLoginEnabled": false } }),
        )
        .await;
    assert_rpc_error(
        &device
            .call("User.autoLogin", json!({ "loginToken": "whatever" }))
            .await,
        13,
        None,
    );
    let login = device
        .ok(
            "User.login",
            json!({ "username": "auto", "password": "password1" }),
        )
        .await;
    assert!(
        login.get("loginToken").is_none(),
        "no tokens while auto-login is off"
    );
}

#[tokio::test]
async fn failed_logins_are_limited() {
    let server = TestServer::start().await;
    let app = setup(&server, "Limits").await;
    server
        .manage_ok(
            &app.backend,
            "Backend.setSettings",
            json!({ "settings": { "maxFailedLoginsPerUser": 3 } }),
        )
        .await;
    let mut device = Device::new(&server, &app);
    device
        .ok(
            "User.register",
            json!({ "username": "target", "password": "password1" }),
        )
        .await;
    for _ in 0..3 {
        assert_rpc_error(
            &device
                .call(
                    "User.login",
                    json!({ "username": "target", "password": "guess123" }),
                )
                .await,
            -32602,
            Some("password"),
        );
    }
    let limited = device
        .call(
            "User.login",
            json!({ "username": "target", "password": "password1" }),
        )
        .await;
    assert_rpc_error(&limited, 9999, Some("reason"));
    let other = device
        .call(
            "User.login",
            json!({ "username": "nobody", "password": "password1" }),
        )
        .await;
    assert_rpc_error(&other, -32602, Some("password"));
}

async fn reset_token_from_outbox(server: &TestServer, app: &App) -> (Value, String) {
    let outbox = server
        .manage_ok(&app.backend, "Mailer.listOutbox", json!({}))
        .await;
    let mail = outbox["items"][0].clone();
    let body = mail["body"].as_str().expect("body").to_owned();
    let token = body
        .split_whitespace()
        .last()
        .expect("token")
        .trim_end_matches('.')
        .to_owned();
    (mail, token)
}

#[tokio::test]
async fn password_reset_goes_through_the_mail_outbox() {
    let server = TestServer::start().await;
    let app = setup(&server, "Reset").await;
    let mut device = Device::new(&server, &app);
    device
        .ok("User.register", json!({ "username": "forgetful", "password": "password1", "properties": { "email": "f@example.com" } }))
        .await;
    assert_rpc_error(
        &device
            .call(
                "User.sendPasswordResetToken",
                json!({ "username": "forgetful", "options": {} }),
            )
            .await,
        13,
        None,
    );
    device.ok("User.logout", json!({})).await;

    server
        .manage_ok(&app.backend, "Mailer.setTemplate", json!({ "name": "reset", "subject": "Reset", "body": "Hello %NAME%, your token is %PASSWORD_RESET_TOKEN%" }))
        .await;
    assert_eq!(
        device
            .ok("User.sendPasswordResetToken", json!({ "username": "forgetful", "options": { "emailPropertyName": "email", "templateName": "reset" } }))
            .await,
        "OK"
    );
    let (mail, token) = reset_token_from_outbox(&server, &app).await;
    assert_eq!(mail["to"], "f@example.com");
    assert_eq!(
        mail["status"], "held",
        "no mail server configured: held for the operator"
    );
    assert_eq!(token.len(), 10);

    assert_rpc_error(
        &device.call("User.resetPasswordAndLogin", json!({ "username": "forgetful", "newPassword": "password9", "token": "WRONGTOKEN" })).await,
        -32602,
        Some("token"),
    );
    let reset = device
        .ok(
            "User.resetPasswordAndLogin",
            json!({ "username": "forgetful", "newPassword": "password9", "token": token }),
        )
        .await;
    assert_eq!(reset["user"]["_username"], "forgetful");
    assert!(device.session.is_some());
    assert_rpc_error(
        &device
            .call(
                "User.resetPasswordAndLogin",
                json!({ "username": "forgetful", "newPassword": "password8", "token": token }),
            )
            .await,
        -32602,
        Some("token"),
    );
    device.ok("User.logout", json!({})).await;
    device
        .ok(
            "User.login",
            json!({ "username": "forgetful", "password": "password9" }),
        )
        .await;

    // Mailer.sendMail fills a template for a user and records it too.
    server
        .manage_ok(
            &app.backend,
            "Mailer.setTemplate",
            json!({ "name": "welcome", "subject": "Hi %NAME%", "body": "Welcome, %NAME%!" }),
        )
        .await;
    let oid = device.ok("User.getProperties", json!({})).await;
    assert!(oid["properties"].is_object());
    let me = server
        .manage_ok(
            &app.backend,
            "User.list",
            json!({ "nameFilter": "forgetful" }),
        )
        .await["items"][0]["_id"]
        .as_str()
        .expect("oid")
        .to_owned();
    assert_eq!(
        device
            .ok("Mailer.sendMail", json!({ "userOid": me, "templateName": "welcome", "substituteParams": { "NAME": "Fern" }, "options": { "emailPropertyName": "email" } }))
            .await,
        "OK"
    );
    let outbox = server
        .manage_ok(&app.backend, "Mailer.listOutbox", json!({}))
        .await;
    assert_eq!(outbox["totalItems"], 2);
    assert_eq!(outbox["items"][0]["subject"], "Hi Fern");
    assert_eq!(outbox["items"][0]["body"], "Welcome, Fern!");
    assert_rpc_error(
        &device
            .call(
                "Mailer.sendMail",
                json!({ "userOid": me, "templateName": "missing" }),
            )
            .await,
        -32602,
        Some("templateName"),
    );
}

#[tokio::test]
async fn devices_items_and_permissions_without_login() {
    let server = TestServer::start().await;
    let app = setup(&server, "Anon").await;
    server
        .manage_ok(
            &app.backend,
            "Collection.create",
            json!({ "_id": "Locked", "isInsertable": false }),
        )
        .await;
    let mut phone = Device::new(&server, &app);
    let mut tablet = Device::new(&server, &app);

    assert_eq!(
        phone
            .ok(
                "Device.saveProperties",
                json!({ "properties": { "theme": "dark", "volume": 3 } })
            )
            .await,
        "OK"
    );
    assert_eq!(
        phone
            .ok("Device.getProperties", json!({ "names": ["theme"] }))
            .await,
        json!({ "properties": { "theme": "dark" } })
    );
    assert_eq!(
        phone.ok("Device.getProperties", json!({})).await["properties"]["volume"],
        3
    );
    assert_eq!(
        tablet.ok("Device.getProperties", json!({})).await,
        json!({ "properties": {} }),
        "devices are separate"
    );

    let item = phone
        .ok(
            "Collection.insert",
            json!({ "collectionName": "Memo", "item": { "note": "mine" } }),
        )
        .await["item"]
        .clone();
    assert!(item.get("_ownerUserOid").is_none());
    assert_eq!(item["_ownerDeviceOid"], phone.device_id.as_str());
    let id = item["_id"].as_str().expect("id").to_owned();
    let found = phone
        .ok("Collection.find", json!({ "collectionName": "Memo", "criteria": "_ownerDeviceOid == ?", "bindParams": [phone.device_id] }))
        .await;
    assert_eq!(found["totalItems"], 1, "the device owns what it made");
    assert_eq!(
        tablet
            .ok("Collection.find", json!({ "collectionName": "Memo" }))
            .await["totalItems"],
        0
    );

    let denied = tablet
        .call(
            "Collection.update",
            json!({ "collectionName": "Memo", "itemOid": id, "data": { "note": "hacked" } }),
        )
        .await;
    assert_rpc_error(&denied, 14, None);
    assert_rpc_error(
        &tablet
            .call(
                "Collection.delete",
                json!({ "collectionName": "Memo", "itemOid": id }),
            )
            .await,
        14,
        None,
    );
    assert_rpc_error(
        &tablet
            .call(
                "Collection.getPermission",
                json!({ "collectionName": "Memo", "itemOid": id }),
            )
            .await,
        14,
        None,
    );
    let none = tablet
        .ok(
            "Collection.updatePermission",
            json!({ "collectionName": "Memo", "criteria": "", "permission": { "public": "rw" } }),
        )
        .await;
    assert_eq!(
        none,
        json!({ "numUpdates": 0 }),
        "nothing writable, nothing changed"
    );
    assert_rpc_error(
        &tablet
            .call(
                "Collection.insert",
                json!({ "collectionName": "Locked", "item": {} }),
            )
            .await,
        14,
        None,
    );

    server
        .manage_ok(
            &app.backend,
            "Backend.setSettings",
            json!({ "settings": { "permissionDeniedCode": -14 } }),
        )
        .await;
    assert_rpc_error(
        &tablet
            .call(
                "Collection.insert",
                json!({ "collectionName": "Locked", "item": {} }),
            )
            .await,
        -14,
        None,
    );

    phone
        .ok(
            "Collection.update",
            json!({ "collectionName": "Memo", "itemOid": id, "data": { "extra": 1 } }),
        )
        .await;
    phone
        .ok("Collection.updatePermission", json!({ "collectionName": "Memo", "criteria": "_id == ?", "bindParams": [id], "permission": { "public": "r" }, "options": { "forceOverwrite": true } }))
        .await;
    let seen = tablet
        .ok("Collection.find", json!({ "collectionName": "Memo" }))
        .await;
    assert_eq!(seen["items"][0]["note"], "mine");
    assert_eq!(seen["items"][0]["extra"], 1);
    assert_eq!(
        phone
            .ok(
                "Collection.delete",
                json!({ "collectionName": "Memo", "itemOid": id })
            )
            .await,
        "OK"
    );
    assert_eq!(
        tablet
            .ok("Collection.find", json!({ "collectionName": "Memo" }))
            .await["totalItems"],
        0
    );
}
