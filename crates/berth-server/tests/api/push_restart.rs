//! A large send survives a clean stop and a crash in the middle: every device gets the notification,
//! and only deliveries in flight at the crash are sent again, with the same `apns-id` and collapse id.

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
