//! A large send survives a clean stop and a crash in the middle: every device gets the notification,
//! and only deliveries in flight at the crash are sent again, with the same `apns-id` and collapse id.
//! Two nodes on one PostgreSQL database share the outbox: each device gets a send once.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use berth_push::testing::ScriptedServer;
use serde_json::json;

use crate::push_support::{PushRig, apns_token};

const DEVICES: u64 = 400;
const BATCH: usize = 40;

async fn wait_for_deliveries(rig: &PushRig, at_least: usize) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while rig.apns.deliveries().len() < at_least {
        assert!(
            Instant::now() < deadline,
            "stuck at {} deliveries",
            rig.apns.deliveries().len()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_send_resumes_after_a_stop_and_a_crash_without_losing_devices() {
    let batch = BATCH.to_string();
    let mut rig = PushRig::start_with(&[
        ("BERTH_PUSH_BATCH", batch.as_str()),
        ("BERTH_PUSH_CONCURRENCY", "4"),
        ("BERTH_PUSH_LEASE_SECONDS", "1"),
    ])
    .await;
    let app = rig.server.app("PushRestart").await;
    let project = rig.configure(&app.backend).await;
    for n in 0..DEVICES {
        rig.register_ios(&project, &format!("device-{n}"), &apns_token(1000 + n))
            .await;
    }
    // Slow provider, so the send is still running when the server goes down.
    rig.apns.set_latency(Duration::from_millis(15));
    let queued = rig
        .server
        .manage_ok(
            &app.backend,
            "Push.send",
            json!({"pushProjectId": project, "platform": "ios", "message": "big"}),
        )
        .await;
    let queue_id = queued["queueIdList"][0].as_str().expect("queue").to_owned();

    wait_for_deliveries(&rig, DEVICES as usize / 4).await;
    rig.restart(false).await;
    let after_stop = rig.apns.deliveries().len();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for delivery in rig.apns.deliveries() {
        *seen.entry(delivery.token).or_default() += 1;
    }
    assert!(
        seen.values().all(|count| *count == 1),
        "a clean stop sends nothing twice"
    );

    wait_for_deliveries(&rig, after_stop + DEVICES as usize / 4).await;
    rig.restart(true).await;
    rig.apns.set_latency(Duration::ZERO);

    let status = rig
        .wait_finished(&app.backend, &json!(project), &queue_id)
        .await;
    assert_eq!(status["numTarget"], DEVICES, "{status}");
    assert_eq!(status["numPushed"], DEVICES, "{status}");
    assert_eq!(status["numFailed"], 0, "{status}");

    let mut by_token: HashMap<String, Vec<(String, String)>> = HashMap::new();
    for delivery in rig.apns.deliveries() {
        by_token.entry(delivery.token.clone()).or_default().push((
            delivery.headers.get("apns-id").cloned().unwrap_or_default(),
            delivery
                .headers
                .get("apns-collapse-id")
                .cloned()
                .unwrap_or_default(),
        ));
    }
    assert_eq!(by_token.len(), DEVICES as usize, "every device got it");
    let repeated: Vec<_> = by_token.values().filter(|sent| sent.len() > 1).collect();
    // Only what one node had claimed (at most a batch) when it died is sent again.
    assert!(
        repeated.len() <= BATCH,
        "{} devices got it more than once",
        repeated.len()
    );
    for sent in repeated {
        assert!(
            sent.iter().all(|ids| ids == &sent[0]),
            "a resend keeps its apns-id and collapse id: {sent:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_deliver_each_device_once_and_fire_a_schedule_once() {
    let rig =
        PushRig::start_with(&[("BERTH_PUSH_BATCH", "20"), ("BERTH_PUSH_CONCURRENCY", "4")]).await;
    let Some((other, _guard)) = rig.second_node().await else {
        eprintln!("SKIPPED: two-node push needs PostgreSQL (set BERTH_TEST_DATABASE_URL)");
        return;
    };
    let app = rig.server.app("PushNodes").await;
    let project = rig.configure(&app.backend).await;
    for n in 0..200 {
        rig.register_ios(&project, &format!("device-{n}"), &apns_token(5000 + n))
            .await;
    }
    rig.apns.set_latency(Duration::from_millis(5));
    let now = rig
        .server
        .manage_ok(
            &app.backend,
            "Push.send",
            json!({"pushProjectId": project, "platform": "ios", "message": "now"}),
        )
        .await;
    let status = rig
        .wait_finished(
            &app.backend,
            &json!(project),
            now["queueIdList"][0].as_str().expect("queue"),
        )
        .await;
    assert_eq!(status["numPushed"], 200, "{status}");
    let mut counts: HashMap<String, usize> = HashMap::new();
    for delivery in rig.apns.deliveries() {
        *counts.entry(delivery.token).or_default() += 1;
    }
    assert_eq!(counts.len(), 200);
    assert!(
        counts.values().all(|count| *count == 1),
        "every device exactly once"
    );
    eprintln!(
        "batches delivered by node A: {}, by node B: {}",
        rig.server.log().matches("batch delivered").count(),
        other.log().matches("batch delivered").count()
    );

    // A scheduled notification is expanded by one node only.
    let team = |method| {
        rig.server
            .anonymous(method, "/mobile/system/notifications/notifications/")
            .bearer_auth(&rig.server.token)
            .header("Oracle-Mobile-Backend-ID", &app.backend.id)
    };
    let soon = berth_core::Timestamp::from_millis(berth_core::Timestamp::now().as_millis() + 1000)
        .to_iso();
    let response = team(reqwest::Method::POST)
        .json(&json!({"message": "scheduled", "sendOn": soon}))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 201);
    let created: serde_json::Value = response.json().await.expect("json");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let response = other
            .anonymous(
                reqwest::Method::GET,
                &format!(
                    "/mobile/system/notifications/notifications/{}",
                    created["id"]
                ),
            )
            .bearer_auth(&rig.server.token)
            .header("Oracle-Mobile-Backend-ID", &app.backend.id)
            .send()
            .await
            .expect("request");
        let body: serde_json::Value = response.json().await.expect("json");
        if body["status"] == "Sent" {
            assert_eq!(body["deviceCount"], 200, "{body}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "scheduled notification stuck: {body}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(rig.apns.deliveries().len(), 400, "the schedule fired once");
}

#[tokio::test]
async fn a_provider_silent_for_the_whole_lease_is_retried_then_given_up() {
    let rig = PushRig::start_with(&[
        ("BERTH_PUSH_LEASE_SECONDS", "1"),
        ("BERTH_PUSH_MAX_ATTEMPTS", "2"),
    ])
    .await;
    let app = rig.server.app("PushSilent").await;
    let project = rig.configure(&app.backend).await;
    rig.register_ios(&project, "device-1", &apns_token(9000))
        .await;
    // Every answer comes after the lease would have run out.
    rig.apns.set_latency(Duration::from_millis(1500));
    let status = rig
        .send_and_wait(
            &app.backend,
            json!({"pushProjectId": project, "platform": "ios", "message": "slow"}),
        )
        .await;
    assert_eq!(
        (status["numPushed"].as_u64(), status["numFailed"].as_u64()),
        (Some(0), Some(1)),
        "{status}"
    );
    assert!(rig.server.log().contains("abandoned for a retry"));

    rig.apns.set_latency(Duration::ZERO);
    let status = rig
        .send_and_wait(
            &app.backend,
            json!({"pushProjectId": project, "platform": "ios", "message": "fast"}),
        )
        .await;
    assert_eq!(status["numPushed"], 1, "{status}");
}
