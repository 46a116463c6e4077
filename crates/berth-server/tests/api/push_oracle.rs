//! Oracle push: device registration at `/mobile/platform/devices/register|deregister` and the
//! notifications API at `/mobile/system/notifications/notifications/`, delivered through local APNs
//! and FCM servers.

use std::time::{Duration, Instant};

use base64::Engine;
use berth_push::testing::ScriptedServer;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Managed, assert_problem};
use crate::push_support::{PushRig, apns_token};

const NOTIFICATIONS: &str = "/mobile/system/notifications/notifications/";

struct OracleBackend {
    body: Value,
    managed: Managed,
}

async fn oracle_backend(rig: &PushRig, name: &str, users: &[&str]) -> OracleBackend {
    let body = rig.server.create_backend(name).await;
    let managed = Managed {
        id: body["id"].as_str().expect("id").to_owned(),
        key: body["managementKey"]["key"]
            .as_str()
            .expect("key")
            .to_owned(),
    };
    rig.configure(&managed).await;
    for user in users {
        let response = rig
            .server
            .tools(
                Method::POST,
                &format!("/mobilebackends/{}/users", managed.id),
            )
            .json(&json!({ "username": user, "password": "password-1" }))
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 201, "creating user {user}");
    }
    OracleBackend { body, managed }
}

impl OracleBackend {
    fn basic(&self, user: Option<&str>) -> String {
        match user {
            Some(user) => format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{user}:password-1"))
            ),
            None => format!("Basic {}", self.body["anonymousKey"].as_str().expect("key")),
        }
    }

    fn header_id(&self) -> &str {
        self.body["basicAuthBackendId"]
            .as_str()
            .expect("basic auth id")
    }
}

async fn device_call(
    rig: &PushRig,
    backend: &OracleBackend,
    action: &str,
    user: Option<&str>,
    body: Value,
) -> reqwest::Response {
    rig.server
        .anonymous(Method::POST, &format!("/mobile/platform/devices/{action}"))
        .header("Authorization", backend.basic(user))
        .header("Oracle-Mobile-Backend-ID", backend.header_id())
        .json(&body)
        .send()
        .await
        .expect("request")
}

fn device(token: &str, provider: &str, platform: &str) -> Value {
    json!({
        "notificationToken": token, "notificationProvider": provider,
        "mobileClient": { "id": "com.example.berth", "version": "1.0", "platform": platform },
    })
}

/// A notifications API request as a team member (admin token + backend header).
fn team(
    rig: &PushRig,
    backend: &OracleBackend,
    method: Method,
    path: &str,
) -> reqwest::RequestBuilder {
    rig.server
        .anonymous(method, path)
        .bearer_auth(&rig.server.token)
        .header("Oracle-Mobile-Backend-ID", &backend.managed.id)
}

async fn notify(rig: &PushRig, backend: &OracleBackend, body: Value) -> Value {
    let response = team(rig, backend, Method::POST, NOTIFICATIONS)
        .json(&body)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 201, "{body}");
    let location = response.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    let created: Value = response.json().await.expect("json");
    assert_eq!(location, format!("{NOTIFICATIONS}{}", created["id"]));
    created
}

async fn wait_status(
    rig: &PushRig,
    backend: &OracleBackend,
    id: &Value,
    statuses: &[&str],
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let response = team(rig, backend, Method::GET, &format!("{NOTIFICATIONS}{id}"))
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.expect("json");
        if statuses.iter().any(|s| body["status"] == *s) {
            return body;
        }
        assert!(
            Instant::now() < deadline,
            "notification {id} stuck: {body}\n{}",
            rig.server.log()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn devices_register_move_between_users_and_deregister() {
    let rig = PushRig::start().await;
    let backend = oracle_backend(&rig, "OracleDevices", &["ann", "bob"]).await;
    let token = apns_token(40);

    let response = device_call(
        &rig,
        &backend,
        "register",
        Some("ann"),
        device(&token, "APNS", "IOS"),
    )
    .await;
    assert_eq!(response.status(), 201);
    let registered: Value = response.json().await.expect("json");
    assert_eq!(registered["user"], "ann");
    assert_eq!(registered["notificationToken"], token.as_str());
    assert_eq!(registered["notificationProvider"], "APNS");
    assert_eq!(
        registered["mobileClient"],
        json!({"id": "com.example.berth", "version": "1.0", "platform": "IOS"})
    );
    assert!(
        registered["id"].is_string() && registered["modifiedOn"].is_string(),
        "{registered}"
    );

    // The same token registered by bob moves to bob (same registration, updated).
    let response = device_call(
        &rig,
        &backend,
        "register",
        Some("bob"),
        device(&token, "APNS", "IOS"),
    )
    .await;
    assert_eq!(response.status(), 200);
    let moved: Value = response.json().await.expect("json");
    assert_eq!(
        (moved["user"].as_str(), moved["id"].as_str()),
        (Some("bob"), registered["id"].as_str())
    );

    // Anonymous callers register without a user; GCM is FCM.
    let response = device_call(
        &rig,
        &backend,
        "register",
        None,
        device("fcm-anon", "GCM", "ANDROID"),
    )
    .await;
    assert_eq!(response.status(), 201);
    assert_eq!(
        response.json::<Value>().await.expect("json")["user"],
        Value::Null
    );

    let to_ann = notify(
        &rig,
        &backend,
        json!({"message": "for ann", "users": ["ann"]}),
    )
    .await;
    let done = wait_status(&rig, &backend, &to_ann["id"], &["Sent", "Warning", "Error"]).await;
    assert_eq!(
        (done["status"].as_str(), done["deviceCount"].as_u64()),
        (Some("Sent"), Some(0)),
        "{done}"
    );
    let to_bob = notify(
        &rig,
        &backend,
        json!({"message": "for bob", "users": ["bob"]}),
    )
    .await;
    let done = wait_status(&rig, &backend, &to_bob["id"], &["Sent"]).await;
    assert_eq!(done["deviceCount"], 1, "{done}");
    assert_eq!(rig.apns.deliveries().len(), 1);
    assert_eq!(rig.apns.deliveries()[0].token, token);

    // Bad bodies and callers get Oracle errors.
    let response = device_call(
        &rig,
        &backend,
        "register",
        Some("ann"),
        json!({"notificationProvider": "APNS", "mobileClient": {"id": "a", "platform": "IOS"}}),
    )
    .await;
    assert_problem(response, 400, "MOBILE-40002").await;
    let response = device_call(
        &rig,
        &backend,
        "register",
        Some("ann"),
        device("t", "WNS", "WINDOWS"),
    )
    .await;
    assert_problem(response, 400, "MOBILE-40002").await;
    let response = device_call(
        &rig,
        &backend,
        "register",
        Some("ann"),
        device("bad token", "APNS", "IOS"),
    )
    .await;
    assert_problem(response, 400, "MOBILE-40002").await;
    let mut for_bob = device("t2", "APNS", "IOS");
    for_bob["user"] = json!("bob");
    let response = device_call(&rig, &backend, "register", Some("ann"), for_bob).await;
    assert_problem(response, 403, "MOBILE-40301").await;
    let response = rig
        .server
        .anonymous(Method::POST, "/mobile/platform/devices/register")
        .json(&device("t3", "APNS", "IOS"))
        .send()
        .await
        .expect("request");
    assert_problem(response, 401, "MOBILE-40101").await;

    // Deregistering is idempotent; a deregistered token gets nothing.
    for _ in 0..2 {
        let response = device_call(
            &rig,
            &backend,
            "deregister",
            Some("bob"),
            device(&token, "APNS", "IOS"),
        )
        .await;
        assert_eq!(response.status(), 200);
    }
    let to_all = notify(&rig, &backend, json!({"message": "all"})).await;
    let done = wait_status(&rig, &backend, &to_all["id"], &["Sent"]).await;
    assert_eq!(
        done["deviceCount"], 1,
        "only the FCM device is left: {done}"
    );
    assert_eq!(rig.fcm.deliveries().len(), 1);
    assert_eq!(rig.apns.deliveries().len(), 1);
}

#[tokio::test]
async fn notifications_follow_payload_precedence_and_targets() {
    let rig = PushRig::start().await;
    let backend = oracle_backend(&rig, "OracleNotify", &["ann"]).await;
    let ios = apns_token(50);
    assert_eq!(
        device_call(
            &rig,
            &backend,
            "register",
            Some("ann"),
            device(&ios, "APNS", "IOS")
        )
        .await
        .status(),
        201
    );
    assert_eq!(
        device_call(
            &rig,
            &backend,
            "register",
            None,
            device("fcm-50", "FCM", "ANDROID")
        )
        .await
        .status(),
        201
    );

    // A plain message to every device of the backend.
    let created = notify(
        &rig,
        &backend,
        json!({"message": "Sale starts tomorrow", "tag": "Marketing"}),
    )
    .await;
    assert!(created["id"].is_i64(), "{created}");
    assert_eq!(created["message"], "Sale starts tomorrow");
    assert!(
        created["createdOn"]
            .as_str()
            .expect("createdOn")
            .ends_with('Z')
    );
    let done = wait_status(&rig, &backend, &created["id"], &["Sent"]).await;
    assert_eq!(done["deviceCount"], 2, "{done}");
    assert!(done["processedOn"].is_string(), "{done}");
    assert_eq!(
        rig.apns.deliveries()[0].payload["aps"]["alert"],
        "Sale starts tomorrow"
    );
    assert_eq!(
        rig.fcm.deliveries()[0].payload["data"]["message"],
        "Sale starts tomorrow"
    );

    // The unified payload wins over the message for its provider only.
    let created = notify(
        &rig,
        &backend,
        json!({"message": "plain", "payload": {"services": {"apns": {"aps": {"alert": "rich", "badge": 1}, "page": "p2"}}}}),
    )
    .await;
    wait_status(&rig, &backend, &created["id"], &["Sent"]).await;
    assert_eq!(
        rig.apns.deliveries()[1].payload,
        json!({"aps": {"alert": "rich", "badge": 1}, "page": "p2"})
    );
    assert_eq!(rig.fcm.deliveries()[1].payload["data"]["message"], "plain");

    // A template, to one token, and a platform filter.
    let created = notify(
        &rig,
        &backend,
        json!({"template": {"name": "#default", "parameters": {"title": "T", "body": "B", "custom": {"k": "v"}}},
               "notificationTokens": ["fcm-50"]}),
    )
    .await;
    let done = wait_status(&rig, &backend, &created["id"], &["Sent"]).await;
    assert_eq!(done["deviceCount"], 1);
    let fcm = &rig.fcm.deliveries()[2].payload;
    assert_eq!(
        (
            fcm["notification"]["title"].as_str(),
            fcm["notification"]["body"].as_str()
        ),
        (Some("T"), Some("B")),
        "{fcm}"
    );
    assert_eq!(fcm["data"]["k"], "v");
    let created = notify(
        &rig,
        &backend,
        json!({"message": "ios only", "platform": "IOS"}),
    )
    .await;
    let done = wait_status(&rig, &backend, &created["id"], &["Sent"]).await;
    assert_eq!(done["deviceCount"], 1);
    assert_eq!(rig.apns.deliveries().len(), 3);
    assert_eq!(rig.fcm.deliveries().len(), 3);

    // A dead token makes a notification end in Warning with an error message.
    rig.apns.mark_dead(&ios);
    let created = notify(&rig, &backend, json!({"message": "partly"})).await;
    let done = wait_status(
        &rig,
        &backend,
        &created["id"],
        &["Warning", "Sent", "Error"],
    )
    .await;
    assert_eq!(done["status"], "Warning", "{done}");
    assert!(done["errorMessage"].is_string(), "{done}");
    assert_eq!(
        done["counts"],
        json!({"queued": 0, "sent": 1, "failed": 0, "invalid": 1})
    );

    // Bad requests.
    for body in [
        json!({}),
        json!({"message": "x", "users": ["a"], "notificationTokens": ["b"]}),
        json!({"message": "x", "sendOn": "tomorrow"}),
        json!({"message": "x", "provider": "WNS"}),
        json!({"message": "x", "notificationTokens": ["a", "a"]}),
        json!({"template": {"name": "promo"}}),
    ] {
        let response = team(&rig, &backend, Method::POST, NOTIFICATIONS)
            .json(&body)
            .send()
            .await
            .expect("request");
        assert_problem(response, 400, "MOBILE-40002").await;
    }
    let response = rig
        .server
        .anonymous(Method::POST, NOTIFICATIONS)
        .json(&json!({"message": "x"}))
        .send()
        .await
        .expect("request");
    assert_problem(response, 401, "MOBILE-40101").await;
    let response = team(
        &rig,
        &backend,
        Method::GET,
        &format!("{NOTIFICATIONS}999999"),
    )
    .send()
    .await
    .expect("request");
    assert_problem(response, 404, "MOBILE-40401").await;
}

#[tokio::test]
async fn scheduled_notifications_wait_fire_once_list_and_cancel() {
    let rig = PushRig::start().await;
    let backend = oracle_backend(&rig, "OracleSchedule", &[]).await;
    let other = oracle_backend(&rig, "OracleOther", &[]).await;
    assert_eq!(
        device_call(
            &rig,
            &backend,
            "register",
            None,
            device("fcm-60", "FCM", "ANDROID")
        )
        .await
        .status(),
        201
    );

    // Far in the future (the spec's short form): scheduled, then cancelled.
    let later = notify(
        &rig,
        &backend,
        json!({"message": "later", "sendOn": "2099-05-01T09:00Z", "tag": "Promo"}),
    )
    .await;
    assert_eq!(later["status"], "Scheduled");
    assert_eq!(later["sendOn"], "2099-05-01T09:00:00.000Z");
    let response = team(
        &rig,
        &other,
        Method::DELETE,
        &format!("{NOTIFICATIONS}{}", later["id"]),
    )
    .send()
    .await
    .expect("request");
    assert_problem(response, 404, "MOBILE-40401").await;
    let response = team(
        &rig,
        &backend,
        Method::DELETE,
        &format!("{NOTIFICATIONS}{}", later["id"]),
    )
    .send()
    .await
    .expect("request");
    assert_eq!(response.status(), 204);
    let cancelled = wait_status(&rig, &backend, &later["id"], &["Cancelled"]).await;
    assert!(cancelled.get("deviceCount").is_none(), "{cancelled}");

    // Soon: fires once when due.
    let soon = berth_core::Timestamp::from_millis(berth_core::Timestamp::now().as_millis() + 1500)
        .to_iso();
    let scheduled = notify(
        &rig,
        &backend,
        json!({"message": "soon", "sendOn": soon, "tag": "PromoSoon"}),
    )
    .await;
    assert_eq!(scheduled["status"], "Scheduled");
    let done = wait_status(&rig, &backend, &scheduled["id"], &["Sent"]).await;
    assert_eq!(done["deviceCount"], 1);
    assert_eq!(rig.fcm.deliveries().len(), 1);
    let response = team(
        &rig,
        &backend,
        Method::DELETE,
        &format!("{NOTIFICATIONS}{}", scheduled["id"]),
    )
    .send()
    .await
    .expect("request");
    assert_problem(response, 409, "MOBILE-40902").await;

    let now = notify(&rig, &backend, json!({"message": "now", "tag": "Other"})).await;
    wait_status(&rig, &backend, &now["id"], &["Sent"]).await;

    // Listing: filters, order and paging links that keep the order.
    let list = |query: &str| {
        let request = team(
            &rig,
            &backend,
            Method::GET,
            &format!("{NOTIFICATIONS}{query}"),
        );
        async move {
            let response = request.send().await.expect("request");
            assert_eq!(response.status(), 200);
            response.json::<Value>().await.expect("json")
        }
    };
    let ids = |page: &Value| {
        page["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|i| i["id"].clone())
            .collect::<Vec<_>>()
    };
    let all = list("").await;
    assert_eq!(
        ids(&all),
        vec![
            later["id"].clone(),
            scheduled["id"].clone(),
            now["id"].clone()
        ]
    );
    assert_eq!(
        ids(&list("?q=promo").await),
        vec![later["id"].clone(), scheduled["id"].clone()]
    );
    assert_eq!(ids(&list("?tag=Other").await), vec![now["id"].clone()]);
    assert_eq!(
        ids(&list("?status=Cancelled").await),
        vec![later["id"].clone()]
    );
    assert_eq!(
        ids(&list("?status=Sent&orderBy=id:desc").await),
        vec![now["id"].clone(), scheduled["id"].clone()]
    );
    assert_eq!(
        ids(&list("?sendOnOrAfter=2099-01-01T00:00:00.000Z").await),
        vec![later["id"].clone()]
    );
    // A notification without sendOn sorts first ascending and last descending, on either store.
    assert_eq!(
        ids(&list("?orderBy=sendOn").await),
        vec![
            now["id"].clone(),
            scheduled["id"].clone(),
            later["id"].clone()
        ]
    );
    assert_eq!(
        ids(&list("?orderBy=sendOn:desc").await),
        vec![
            later["id"].clone(),
            scheduled["id"].clone(),
            now["id"].clone()
        ]
    );
    let page = list("?orderBy=id:desc&limit=1").await;
    assert_eq!(
        (page["hasMore"].as_bool(), page["count"].as_u64()),
        (Some(true), Some(1))
    );
    assert_eq!(ids(&page), vec![now["id"].clone()]);
    let next = page["links"]
        .as_array()
        .expect("links")
        .iter()
        .find(|l| l["rel"] == "next")
        .expect("next")["href"]
        .as_str()
        .expect("href")
        .to_owned();
    assert!(
        next.contains("orderBy=id%3Adesc") && next.contains("offset=1"),
        "{next}"
    );
    let response = team(&rig, &backend, Method::GET, &next)
        .send()
        .await
        .expect("request");
    let second: Value = response.json().await.expect("json");
    assert_eq!(ids(&second), vec![scheduled["id"].clone()]);
    let response = team(
        &rig,
        &backend,
        Method::GET,
        &format!("{NOTIFICATIONS}?orderBy=color"),
    )
    .send()
    .await
    .expect("request");
    assert_problem(response, 400, "MOBILE-40003").await;

    // Another backend sees none of it.
    let response = team(&rig, &other, Method::GET, NOTIFICATIONS)
        .send()
        .await
        .expect("request");
    let theirs: Value = response.json().await.expect("json");
    assert_eq!(theirs["items"], json!([]));
    let response = team(
        &rig,
        &other,
        Method::GET,
        &format!("{NOTIFICATIONS}{}", now["id"]),
    )
    .send()
    .await
    .expect("request");
    assert_problem(response, 404, "MOBILE-40401").await;
}

#[tokio::test]
async fn the_operator_sets_push_settings_in_the_tools_api() {
    let rig = PushRig::start().await;
    let backend = rig.server.create_backend("ToolsPush").await;
    let path = format!(
        "/mobilebackends/{}/notifications/profile",
        backend["id"].as_str().expect("id")
    );
    let response = rig
        .server
        .tools(Method::GET, &path)
        .send()
        .await
        .expect("request");
    assert_problem(response, 404, "MOBILE-40401").await;

    let apns = berth_push::testing::apns_credentials(&rig.apns);
    let fcm = berth_push::testing::fcm_credentials(&rig.fcm);
    let service_account: Value = serde_json::from_str(&fcm.service_account_json).expect("json");
    let response = rig
        .server
        .tools(Method::PUT, &path)
        .json(&json!({
            "pushProjectId": "legacy-project-7",
            "apns": {"keyId": apns.key_id, "teamId": apns.team_id, "signingKey": apns.signing_key_pem, "topic": apns.topic},
            "fcm": {"serviceAccount": service_account},
        }))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200);
    let saved: Value = response.json().await.expect("json");
    assert_eq!(
        saved,
        json!({"pushProjectId": "legacy-project-7",
               "apns": {"keyId": apns.key_id, "teamId": apns.team_id, "topic": apns.topic, "environment": "production"},
               "fcm": {"configured": true}})
    );
    let response = rig
        .server
        .tools(Method::GET, &path)
        .send()
        .await
        .expect("request");
    assert_eq!(response.json::<Value>().await.expect("json"), saved);
    assert!(
        !crate::helpers::stored_text(&rig.server)
            .await
            .contains("BEGIN PRIVATE KEY"),
        "keys are stored sealed"
    );

    // An Oracle app of this backend can now be reached.
    let oracle = OracleBackend {
        managed: Managed {
            id: backend["id"].as_str().expect("id").to_owned(),
            key: String::new(),
        },
        body: backend.clone(),
    };
    assert_eq!(
        device_call(
            &rig,
            &oracle,
            "register",
            None,
            device("fcm-70", "FCM", "ANDROID")
        )
        .await
        .status(),
        201
    );
    let created = notify(
        &rig,
        &oracle,
        json!({"message": "configured by the operator"}),
    )
    .await;
    let done = wait_status(&rig, &oracle, &created["id"], &["Sent"]).await;
    assert_eq!(done["deviceCount"], 1);

    let response = rig
        .server
        .tools(Method::PUT, &path)
        .json(&json!({"apns": null}))
        .send()
        .await
        .expect("request");
    let changed: Value = response.json().await.expect("json");
    assert_eq!(
        (
            changed["apns"].clone(),
            changed["fcm"]["configured"].clone()
        ),
        (Value::Null, json!(true))
    );
    let response = rig
        .server
        .tools(Method::PUT, &path)
        .json(&json!({"fcm": {"serviceAccount": "{}"}}))
        .send()
        .await
        .expect("request");
    assert_problem(response, 400, "MOBILE-40002").await;
    let response = rig
        .server
        .tools(
            Method::PUT,
            "/mobilebackends/00000000-0000-0000-0000-000000000000/notifications/profile",
        )
        .json(&json!({}))
        .send()
        .await
        .expect("request");
    assert_problem(response, 404, "MOBILE-40401").await;
    let response = rig
        .server
        .anonymous(Method::GET, &format!("/mobile/tools/1.0{path}"))
        .send()
        .await
        .expect("request");
    assert_problem(response, 401, "MOBILE-40101").await;
}
