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
        assert_problem(
            server
                .anonymous(Method::GET, &format!("{path}?limit={limit}"))
                .bearer_auth(&server.token)
                .send()
                .await
                .expect("request"),
            400,
            "MOBILE-40002",
        )
        .await;
    }
    assert_problem(
        server
            .anonymous(Method::GET, &path)
            .send()
            .await
            .expect("request"),
        401,
        "MOBILE-40101",
    )
    .await;
    assert_problem(
        server
            .anonymous(
                Method::GET,
                &format!(
                    "/console/api/backends/{}/notifications",
                    uuid::Uuid::new_v4()
                ),
            )
            .bearer_auth(&server.token)
            .send()
            .await
            .expect("request"),
        404,
        "MOBILE-40401",
    )
    .await;
}
