//! The console's list of a backend's push notifications, delivered through the local FCM server.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestServer, assert_problem};
use crate::push_support::PushRig;

async fn notifications(server: &TestServer, backend_id: &str, query: &str) -> Value {
    let response = server
        .anonymous(
            Method::GET,
            &format!("/console/api/backends/{backend_id}/notifications{query}"),
        )
        .bearer_auth(&server.token)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200);
    response.json().await.expect("JSON")
}

/// A console request that must be refused with this status and Oracle error code.
async fn assert_refused(server: &TestServer, path: &str, as_admin: bool, status: u16, code: &str) {
    let request = server.anonymous(Method::GET, path);
    let request = if as_admin {
        request.bearer_auth(&server.token)
    } else {
        request
    };
    assert_problem(request.send().await.expect("request"), status, code).await;
}

#[tokio::test]
async fn the_console_lists_a_backends_notifications_newest_first_with_their_counts() {
    let rig = PushRig::start().await;
    let server = &rig.server;
    let mine = server.managed_backend("PushMine").await;
    let theirs = server.managed_backend("PushTheirs").await;
    let project = rig.configure(&mine).await;
    rig.register_android(&project, "android-device-1", "fcm-token-1")
        .await;
    for message in ["First", "Second"] {
        let status = rig
            .send_and_wait(
                &mine,
                json!({ "pushProjectId": project, "platform": "android", "message": message }),
            )
            .await;
        assert_eq!(status["numPushed"], 1, "{status}");
    }

    let listed = notifications(server, &mine.id, "").await;
    let items = listed["items"].as_array().expect("items");
    assert_eq!(items.len(), 2, "{listed}");
    assert_eq!(items[0]["message"], "Second");
    assert_eq!(items[1]["message"], "First");
    for item in items {
        assert_eq!(item["state"], "sent", "{item}");
        assert_eq!(item["platform"], "android", "{item}");
        assert_eq!(
            (
                &item["total"],
                &item["sent"],
                &item["failed"],
                &item["invalid"],
                &item["queued"]
            ),
            (&json!(1), &json!(1), &json!(0), &json!(0), &json!(0)),
            "{item}"
        );
        assert!(item["finishedOn"].is_string(), "{item}");
    }
    let one = notifications(server, &mine.id, "?limit=1").await;
    assert_eq!(one["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(one["items"][0]["message"], "Second");

    // Another backend sees none of them.
    assert_eq!(
        notifications(server, &theirs.id, "").await,
        json!({ "items": [] })
    );

    let path = format!("/console/api/backends/{}/notifications", mine.id);
    for limit in ["0", "101", "ten"] {
        assert_refused(
            server,
            &format!("{path}?limit={limit}"),
            true,
            400,
            "MOBILE-40002",
        )
        .await;
    }
    assert_refused(server, &path, false, 401, "MOBILE-40101").await;
    let unknown = format!(
        "/console/api/backends/{}/notifications",
        uuid::Uuid::new_v4()
    );
    assert_refused(server, &unknown, true, 404, "MOBILE-40401").await;
}

async fn devices(server: &TestServer, backend_id: &str, query: &str) -> Value {
    let response = server
        .anonymous(
            Method::GET,
            &format!("/console/api/backends/{backend_id}/devices{query}"),
        )
        .bearer_auth(&server.token)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200);
    response.json().await.expect("JSON")
}

fn device_ids(listed: &Value) -> Vec<&str> {
    listed["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|device| device["deviceId"].as_str().expect("device id"))
        .collect()
}

#[tokio::test]
async fn the_console_lists_a_backends_devices_latest_first_with_search_and_pages() {
    let rig = PushRig::start().await;
    let server = &rig.server;
    let mine = server.managed_backend("DevicesMine").await;
    let theirs = server.managed_backend("DevicesTheirs").await;
    let project = rig.configure(&mine).await;
    let their_project = rig.configure(&theirs).await;
    rig.register_ios(&project, "phone-1", &"ab".repeat(32))
        .await;
    rig.register_android(&project, "tablet_2", "fcm-token-2")
        .await;
    rig.register_android(&project, "phone-3", "fcm-token-3")
        .await;
    rig.register_android(&their_project, "their-phone", "fcm-token-x")
        .await;

    let all = devices(server, &mine.id, "").await;
    assert_eq!(
        device_ids(&all),
        ["phone-3", "tablet_2", "phone-1"],
        "{all}"
    );
    assert_eq!((&all["total"], &all["hasMore"]), (&json!(3), &json!(false)));
    let ios = &all["items"][2];
    assert_eq!(
        (
            &ios["provider"],
            &ios["platform"],
            &ios["buildType"],
            &ios["invalid"]
        ),
        (
            &json!("apns"),
            &json!("ios"),
            &json!("release"),
            &json!(false)
        ),
        "{ios}"
    );
    assert_eq!(ios["token"], "ab".repeat(32));
    assert!(ios["registeredOn"].is_string(), "{ios}");

    let first_page = devices(server, &mine.id, "?limit=2").await;
    assert_eq!(device_ids(&first_page), ["phone-3", "tablet_2"]);
    assert_eq!(first_page["hasMore"], true);
    let second_page = devices(server, &mine.id, "?limit=2&offset=2").await;
    assert_eq!(device_ids(&second_page), ["phone-1"]);
    assert_eq!(second_page["hasMore"], false);

    assert_eq!(
        device_ids(&devices(server, &mine.id, "?q=PHONE").await),
        ["phone-3", "phone-1"],
        "ignoring case"
    );
    assert_eq!(
        device_ids(&devices(server, &mine.id, "?q=fcm-token-2").await),
        ["tablet_2"],
        "by token"
    );
    // `_` is a LIKE wildcard, matched literally here.
    assert_eq!(
        device_ids(&devices(server, &mine.id, "?q=t_b").await),
        Vec::<&str>::new()
    );
    assert_eq!(
        device_ids(&devices(server, &mine.id, "?q=et_2").await),
        ["tablet_2"]
    );
    assert_eq!(
        device_ids(&devices(server, &mine.id, "?q=their").await),
        Vec::<&str>::new(),
        "another backend's devices never show"
    );
    assert_eq!(
        device_ids(&devices(server, &theirs.id, "").await),
        ["their-phone"]
    );

    let path = format!("/console/api/backends/{}/devices", mine.id);
    for bad in ["limit=0", "limit=101", "offset=-1", "offset=x"] {
        assert_refused(server, &format!("{path}?{bad}"), true, 400, "MOBILE-40002").await;
    }
    assert_refused(server, &path, false, 401, "MOBILE-40101").await;
    let unknown = format!("/console/api/backends/{}/devices", uuid::Uuid::new_v4());
    assert_refused(server, &unknown, true, 404, "MOBILE-40401").await;
}
