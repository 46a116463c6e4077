//! Monaca push: `Push.setConfig/getConfig`, device registration at `/v1/push/register`, `Push.send`
//! and `Push.status`, delivered through local APNs and FCM servers.

use berth_push::testing::ScriptedServer;
use serde_json::{Value, json};

use crate::helpers::{Device, assert_rpc_error};
use crate::push_support::{PushRig, apns_token};

#[tokio::test]
async fn sends_reach_ios_and_android_devices_with_monaca_payloads() {
    let rig = PushRig::start().await;
    let app = rig.server.app("PushDelivery").await;
    let backend = &app.backend;
    let project = rig.configure(backend).await;

    // The settings never show a private key.
    let config = rig
        .server
        .manage_ok(backend, "Push.getConfig", json!({}))
        .await;
    assert_eq!(config["config"]["pushProjectId"], project.as_str());
    assert_eq!(config["config"]["apns"]["teamId"], "TEAM000001");
    assert_eq!(config["config"]["fcm"]["configured"], true);
    assert!(!config.to_string().contains("PRIVATE KEY"), "{config}");

    let ios_token = apns_token(1);
    rig.register_ios(&project, "ios-device-1", &ios_token).await;
    rig.register_android(&project, "android-device-1", "fcm-token-1")
        .await;

    let status = rig
        .send_and_wait(
            backend,
            json!({
                "pushProjectId": project, "platform": "ios", "target": "app",
                "message": "Hello iOS", "badge": 3, "extra_json": {"page": "news", "id": 7},
            }),
        )
        .await;
    assert_eq!(status["numTarget"], 1, "{status}");
    assert_eq!(status["numPushed"], 1, "{status}");
    assert_eq!(status["numFailed"], 0, "{status}");
    assert!(
        status["createdAt"].is_i64() && status["pushFinishedAt"].is_i64(),
        "{status}"
    );
    let deliveries = rig.apns.deliveries();
    assert_eq!(deliveries.len(), 1);
    assert_eq!(deliveries[0].token, ios_token);
    assert_eq!(deliveries[0].payload["aps"]["alert"], "Hello iOS");
    assert_eq!(deliveries[0].payload["aps"]["badge"], 3);
    assert_eq!(deliveries[0].payload["j"], json!({"page": "news", "id": 7}));
    assert!(deliveries[0].headers.contains_key("apns-id"));
    assert!(deliveries[0].headers.contains_key("apns-collapse-id"));

    // Android: the 2018 parameter name `json` works too; the runtime reads FCM data.
    let status = rig
        .send_and_wait(
            backend,
            json!({
                "pushProjectId": project, "platform": "android", "title": "Title",
                "message": "Hello Android", "json": {"k": "v"},
            }),
        )
        .await;
    assert_eq!(
        (status["numTarget"].as_u64(), status["numPushed"].as_u64()),
        (Some(1), Some(1))
    );
    let deliveries = rig.fcm.deliveries();
    assert_eq!(deliveries.len(), 1);
    assert_eq!(deliveries[0].token, "fcm-token-1");
    let data = &deliveries[0].payload["data"];
    assert_eq!(data["message"], "Hello Android");
    assert_eq!(data["title"], "Title");
    assert_eq!(data["push_project_id"], project.as_str());
    let extra: Value =
        serde_json::from_str(data["extra_json"].as_str().expect("string")).expect("json");
    assert_eq!(extra, json!({"k": "v"}));
    assert_eq!(
        rig.apns.deliveries().len(),
        1,
        "the iOS device got nothing more"
    );

    // Unregistering: by token, or every token of a device id; then nobody is left.
    let unregistered = rig
        .unregister(
            &project,
            &[
                ("platform", "ios"),
                ("deviceId", "ios-device-1"),
                ("deviceToken", &ios_token),
            ],
        )
        .await;
    assert_eq!(unregistered, (200, json!({"status": "ok"})));
    let unregistered = rig
        .unregister(
            &project,
            &[("platform", "android"), ("deviceId", "android-device-1")],
        )
        .await;
    assert_eq!(unregistered, (200, json!({"status": "ok"})));
    assert_eq!(
        rig.unregister(&project, &[("platform", "android")]).await.0,
        400
    );
    for platform in ["ios", "android"] {
        let status = rig
            .send_and_wait(
                backend,
                json!({"pushProjectId": project, "platform": platform, "message": "gone"}),
            )
            .await;
        assert_eq!(status["numTarget"], 0, "{status}");
    }
}

#[tokio::test]
async fn sends_target_devices_users_and_user_queries() {
    let rig = PushRig::start().await;
    let app = rig.server.app("PushTargets").await;
    let backend = &app.backend;
    let project = rig.configure(backend).await;

    // Two app installs log in as two users; a third device has no user.
    let mut alice = Device::new(&rig.server, &app);
    alice
        .ok(
            "User.register",
            json!({"username": "alice", "password": "secret1", "properties": {"team": "red"}}),
        )
        .await;
    let alice_id = alice
        .ok(
            "User.login",
            json!({"username": "alice", "password": "secret1"}),
        )
        .await["user"]["_id"]
        .as_str()
        .expect("alice id")
        .to_owned();
    let mut bob = Device::new(&rig.server, &app);
    bob.ok(
        "User.register",
        json!({"username": "bob", "password": "secret1", "properties": {"team": "blue"}}),
    )
    .await;
    bob.ok(
        "User.login",
        json!({"username": "bob", "password": "secret1"}),
    )
    .await;
    rig.register_ios(&project, &alice.device_id, &apns_token(10))
        .await;
    rig.register_ios(&project, &bob.device_id, &apns_token(11))
        .await;
    rig.register_ios(&project, "anonymous-device", &apns_token(12))
        .await;

    let tokens_after = |before: usize| {
        let mut tokens: Vec<String> = rig.apns.deliveries()[before..]
            .iter()
            .map(|d| d.token.clone())
            .collect();
        tokens.sort();
        tokens
    };

    let status = rig
        .send_and_wait(backend, json!({"pushProjectId": project, "platform": "ios", "message": "by id", "userOidList": [alice_id]}))
        .await;
    assert_eq!(status["numTarget"], 1, "{status}");
    assert_eq!(tokens_after(0), vec![apns_token(10)]);

    let status = rig
        .send_and_wait(
            backend,
            json!({"pushProjectId": project, "platform": "ios", "message": "by query",
                   "userQuery": "team == ?", "userQueryBindParams": ["blue"]}),
        )
        .await;
    assert_eq!(status["numTarget"], 1, "{status}");
    assert_eq!(tokens_after(1), vec![apns_token(11)]);

    let status = rig
        .send_and_wait(
            backend,
            json!({"pushProjectId": project, "platform": "ios", "message": "by device",
                   "deviceIdList": ["anonymous-device", "unknown-device"]}),
        )
        .await;
    assert_eq!(status["numTarget"], 1, "{status}");
    assert_eq!(tokens_after(2), vec![apns_token(12)]);

    let status = rig
        .send_and_wait(
            backend,
            json!({"pushProjectId": project, "platform": "ios", "message": "all"}),
        )
        .await;
    assert_eq!(status["numTarget"], 3, "{status}");
    assert_eq!(
        tokens_after(3),
        vec![apns_token(10), apns_token(11), apns_token(12)]
    );

    // Android devices are another platform: nobody there.
    let status = rig
        .send_and_wait(
            backend,
            json!({"pushProjectId": project, "platform": "android", "message": "none"}),
        )
        .await;
    assert_eq!(
        (status["numTarget"].as_u64(), status["numPushed"].as_u64()),
        (Some(0), Some(0))
    );

    // `buildType` picks the devices of that build (debug builds use the APNs sandbox).
    let debug_token = apns_token(13);
    let (code, _) = rig
        .register(
            &project,
            &[
                ("platform", "ios"),
                ("deviceId", "debug-device"),
                ("deviceToken", &debug_token),
                ("buildType", "debug"),
            ],
        )
        .await;
    assert_eq!(code, 200);
    let before = rig.apns.deliveries().len();
    let status = rig
        .send_and_wait(backend, json!({"pushProjectId": project, "platform": "ios", "buildType": "debug", "message": "dev"}))
        .await;
    assert_eq!(status["numTarget"], 1, "{status}");
    assert_eq!(tokens_after(before), vec![debug_token]);
    let status = rig
        .send_and_wait(backend, json!({"pushProjectId": project, "platform": "ios", "buildType": "release", "message": "prod"}))
        .await;
    assert_eq!(status["numTarget"], 3, "{status}");
    let response = rig
        .server
        .manage(
            backend,
            "Push.send",
            json!({"pushProjectId": project, "platform": "ios", "buildType": "beta"}),
        )
        .await;
    assert_rpc_error(&response, -32602, Some("buildType"));
}

#[tokio::test]
async fn retries_temporary_failures_and_stops_sending_to_dead_tokens() {
    let rig = PushRig::start().await;
    let app = rig.server.app("PushRetries").await;
    let backend = &app.backend;
    let project = rig.configure(backend).await;
    rig.register_ios(&project, "device-a", &apns_token(20))
        .await;
    rig.register_android(&project, "device-b", "fcm-token-b")
        .await;

    // Two 500s then success: delivered once, after three requests.
    rig.apns.fail_next(2, 500, None);
    let status = rig
        .send_and_wait(
            backend,
            json!({"pushProjectId": project, "platform": "ios", "message": "retry"}),
        )
        .await;
    assert_eq!(
        (status["numPushed"].as_u64(), status["numFailed"].as_u64()),
        (Some(1), Some(0)),
        "{status}"
    );
    assert_eq!(rig.apns.requests(), 3);
    assert_eq!(rig.apns.deliveries().len(), 1);

    // 429 with Retry-After is honoured, then delivered.
    rig.fcm.fail_next(1, 429, Some("1"));
    let status = rig
        .send_and_wait(
            backend,
            json!({"pushProjectId": project, "platform": "android", "message": "later"}),
        )
        .await;
    assert_eq!(status["numPushed"], 1, "{status}");
    assert_eq!(rig.fcm.deliveries().len(), 1);

    // A permanent refusal (400) is not retried, and the token stays valid.
    let requests = rig.fcm.requests();
    rig.fcm.fail_next(1, 400, None);
    let status = rig
        .send_and_wait(
            backend,
            json!({"pushProjectId": project, "platform": "android", "message": "refused"}),
        )
        .await;
    assert_eq!(
        (status["numPushed"].as_u64(), status["numFailed"].as_u64()),
        (Some(0), Some(1)),
        "{status}"
    );
    assert_eq!(
        rig.fcm.requests(),
        requests + 1,
        "no retry for a permanent error"
    );
    let status = rig
        .send_and_wait(
            backend,
            json!({"pushProjectId": project, "platform": "android", "message": "again"}),
        )
        .await;
    assert_eq!(status["numPushed"], 1, "{status}");

    // A dead token fails without retry and is left out of later sends.
    rig.apns.mark_dead(&apns_token(20));
    let requests = rig.apns.requests();
    let status = rig
        .send_and_wait(
            backend,
            json!({"pushProjectId": project, "platform": "ios", "message": "dead"}),
        )
        .await;
    assert_eq!(
        (status["numTarget"].as_u64(), status["numFailed"].as_u64()),
        (Some(1), Some(1)),
        "{status}"
    );
    assert_eq!(
        rig.apns.requests(),
        requests + 1,
        "no retry for a dead token"
    );
    let status = rig
        .send_and_wait(
            backend,
            json!({"pushProjectId": project, "platform": "ios", "message": "skip"}),
        )
        .await;
    assert_eq!(status["numTarget"], 0, "{status}");

    // Registering the token again brings it back.
    rig.register_ios(&project, "device-a", &apns_token(20))
        .await;
    let status = rig
        .send_and_wait(
            backend,
            json!({"pushProjectId": project, "platform": "ios", "message": "back"}),
        )
        .await;
    assert_eq!(status["numTarget"], 1, "{status}");
}

#[tokio::test]
async fn bad_requests_get_monaca_errors_and_backends_stay_apart() {
    let rig = PushRig::start().await;
    let first = rig.server.app("PushFirst").await;
    let second = rig.server.app("PushSecond").await;
    let first_project = rig.configure(&first.backend).await;
    let second_project = rig.configure(&second.backend).await;
    assert_ne!(first_project, second_project);
    rig.register_ios(&first_project, "first-device", &apns_token(30))
        .await;

    let server = &rig.server;
    let backend = &first.backend;
    for (params, member) in [
        (
            json!({"pushProjectId": "nope", "platform": "ios", "message": "x"}),
            "pushProjectId",
        ),
        (
            json!({"pushProjectId": second_project, "platform": "ios", "message": "x"}),
            "pushProjectId",
        ),
        (
            json!({"pushProjectId": first_project, "platform": "windows", "message": "x"}),
            "platform",
        ),
        (
            json!({"pushProjectId": first_project, "platform": "ios", "target": "users"}),
            "target",
        ),
        (
            json!({"pushProjectId": first_project, "platform": "ios", "deviceIdList": ["a"], "userOidList": ["b"]}),
            "deviceIdList",
        ),
        (
            json!({"pushProjectId": first_project, "platform": "ios", "userQuery": "name =="}),
            "userQuery",
        ),
        (
            json!({"pushProjectId": first_project, "platform": "ios", "deviceIdList": []}),
            "deviceIdList",
        ),
        (
            json!({"pushProjectId": first_project, "platform": "ios", "extra_json": 5}),
            "extra_json",
        ),
    ] {
        let response = server.manage(backend, "Push.send", params.clone()).await;
        assert_rpc_error(&response, -32602, Some(member));
    }
    let response = server
        .manage(
            backend,
            "Push.status",
            json!({"pushProjectId": first_project, "queueId": "999999"}),
        )
        .await;
    assert_rpc_error(&response, -32602, Some("queueId"));
    let response = server
        .manage(
            backend,
            "Push.setConfig",
            json!({"apns": {"keyId": "K", "teamId": "T", "signingKey": "not a key", "topic": "x"}}),
        )
        .await;
    assert_rpc_error(&response, -32602, Some("apns"));
    let response = server
        .manage(
            &second.backend,
            "Push.setConfig",
            json!({"pushProjectId": first_project}),
        )
        .await;
    assert_rpc_error(&response, -32602, Some("pushProjectId"));

    // The second backend's sends and status never see the first one's devices or queues.
    let queued = server
        .manage_ok(
            backend,
            "Push.send",
            json!({"pushProjectId": first_project, "platform": "ios", "message": "mine"}),
        )
        .await;
    let queue_id = queued["queueIdList"][0].as_str().expect("queue").to_owned();
    let response = server
        .manage(
            &second.backend,
            "Push.status",
            json!({"pushProjectId": second_project, "queueId": queue_id}),
        )
        .await;
    assert_rpc_error(&response, -32602, Some("queueId"));
    rig.wait_finished(backend, &json!(first_project), &queue_id)
        .await;
    let status = rig
        .send_and_wait(
            &second.backend,
            json!({"pushProjectId": second_project, "platform": "ios", "message": "theirs"}),
        )
        .await;
    assert_eq!(status["numTarget"], 0, "{status}");
    assert_eq!(rig.apns.deliveries().len(), 1);

    // Registration errors: unknown project, missing token, bad platform.
    assert_eq!(
        rig.register(
            "no-such-project",
            &[
                ("platform", "ios"),
                ("deviceId", "d"),
                ("deviceToken", "ab")
            ]
        )
        .await
        .0,
        404
    );
    assert_eq!(
        rig.register(&first_project, &[("platform", "ios"), ("deviceId", "d")])
            .await
            .0,
        400
    );
    assert_eq!(
        rig.register(
            &first_project,
            &[("platform", "tv"), ("deviceId", "d"), ("deviceToken", "ab")]
        )
        .await
        .0,
        400
    );
    assert_eq!(
        rig.register(
            &first_project,
            &[
                ("platform", "ios"),
                ("deviceId", "d"),
                ("deviceToken", "a b")
            ]
        )
        .await
        .0,
        400
    );
}
