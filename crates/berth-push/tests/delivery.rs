//! PushClient against the local provider servers of `berth_push::testing`.

use std::time::Duration;

use berth_push::testing::{
    ApnsTestServer, FcmTestServer, ScriptedServer, WebPushTestServer, apns_credentials, endpoints,
    fcm_credentials, vapid_credentials,
};
use berth_push::{
    DeliveryOutcome, ProviderCredentials, PushClient, PushMessage, PushTarget, validate,
};
use serde_json::{Value, json};

const DEVICE: &str = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90";

fn message() -> PushMessage {
    let mut data = serde_json::Map::new();
    data.insert("orderId".into(), json!(42));
    data.insert("kind".into(), json!("shipped"));
    PushMessage {
        title: Some("Order".into()),
        body: Some("Your order has shipped".into()),
        badge: Some(3),
        sound: Some("default".into()),
        data,
        high_priority: true,
        ..Default::default()
    }
}

fn apns_target(token: &str) -> PushTarget {
    PushTarget::Apns {
        device_token: token.into(),
    }
}

fn fcm_target(token: &str) -> PushTarget {
    PushTarget::Fcm {
        registration_token: token.into(),
    }
}

fn assert_retry_after(outcome: DeliveryOutcome, expected: Option<Duration>) {
    match outcome {
        DeliveryOutcome::Retry { after, .. } => assert_eq!(after, expected),
        other => panic!("expected Retry, got {other:?}"),
    }
}

#[tokio::test]
async fn apns_delivers_over_http2_with_the_payload_and_headers() {
    let server = ApnsTestServer::start().await;
    let client = PushClient::new(endpoints(Some(&server), None)).expect("push client");
    let credentials = ProviderCredentials::Apns(apns_credentials(&server));
    let delivery_id = uuid::Uuid::new_v4();
    let message = PushMessage {
        delivery_id: Some(delivery_id),
        collapse_id: Some("order-42".into()),
        ..message()
    };

    let outcome = client
        .send(&credentials, &apns_target(DEVICE), &message)
        .await;

    assert_eq!(
        outcome,
        DeliveryOutcome::Delivered {
            provider_id: Some(delivery_id.hyphenated().to_string())
        }
    );
    let deliveries = server.deliveries();
    assert_eq!(deliveries.len(), 1);
    let delivery = &deliveries[0];
    assert_eq!(delivery.token, DEVICE);
    assert_eq!(
        delivery.payload,
        json!({"orderId": 42, "kind": "shipped",
               "aps": {"alert": {"title": "Order", "body": "Your order has shipped"}, "badge": 3, "sound": "default"}})
    );
    assert_eq!(delivery.headers["apns-topic"], "com.example.berth");
    assert_eq!(delivery.headers["apns-push-type"], "alert");
    assert_eq!(delivery.headers["apns-priority"], "10");
    assert_eq!(delivery.headers["apns-collapse-id"], "order-42");
}

#[tokio::test]
async fn apns_override_payload_wins_and_silent_pushes_are_background() {
    let server = ApnsTestServer::start().await;
    let client = PushClient::new(endpoints(Some(&server), None)).expect("push client");
    let credentials = ProviderCredentials::Apns(apns_credentials(&server));
    let custom = json!({"aps": {"content-available": 1}, "sync": true});
    let message = PushMessage {
        apns_payload_override: Some(custom.clone()),
        high_priority: true,
        ..message()
    };

    let outcome = client
        .send(&credentials, &apns_target(DEVICE), &message)
        .await;

    assert!(
        matches!(outcome, DeliveryOutcome::Delivered { .. }),
        "{outcome:?}"
    );
    let delivery = &server.deliveries()[0];
    assert_eq!(delivery.payload, custom);
    assert_eq!(delivery.headers["apns-push-type"], "background");
    assert_eq!(delivery.headers["apns-priority"], "5");
}

#[tokio::test]
async fn apns_provider_token_is_signed_once_and_reused_even_under_concurrency() {
    let server = ApnsTestServer::start().await;
    let client = PushClient::new(endpoints(Some(&server), None)).expect("push client");
    let credentials = ProviderCredentials::Apns(apns_credentials(&server));
    let message = message();

    let target = apns_target(DEVICE);
    let sends = (0..12).map(|_| client.send(&credentials, &target, &message));
    let outcomes = futures::future::join_all(sends).await;

    assert!(
        outcomes
            .iter()
            .all(|outcome| matches!(outcome, DeliveryOutcome::Delivered { .. })),
        "{outcomes:?}"
    );
    assert_eq!(server.deliveries().len(), 12);
    assert_eq!(server.provider_tokens_seen(), 1);
    // A second key (another team) gets its own token.
    let other = ProviderCredentials::Apns(berth_push::testing::apns_credentials_for_team(
        &server,
        "TEAM000002",
        "com.example.berth",
    ));
    assert!(matches!(
        client.send(&other, &apns_target(DEVICE), &message).await,
        DeliveryOutcome::Delivered { .. }
    ));
    assert_eq!(server.provider_tokens_seen(), 2);
}

#[tokio::test]
async fn apns_provider_token_reported_expired_is_replaced() {
    let server = ApnsTestServer::start().await;
    let client = PushClient::new(endpoints(Some(&server), None)).expect("push client");
    let credentials = ProviderCredentials::Apns(apns_credentials(&server));
    assert!(matches!(
        client
            .send(&credentials, &apns_target(DEVICE), &message())
            .await,
        DeliveryOutcome::Delivered { .. }
    ));

    server.expire_provider_tokens();
    let outcome = client
        .send(&credentials, &apns_target(DEVICE), &message())
        .await;
    assert!(
        matches!(outcome, DeliveryOutcome::Retry { ref reason, .. } if reason.contains("ExpiredProviderToken")),
        "{outcome:?}"
    );
    assert!(matches!(
        client
            .send(&credentials, &apns_target(DEVICE), &message())
            .await,
        DeliveryOutcome::Delivered { .. }
    ));
    assert_eq!(server.provider_tokens_seen(), 2);
    assert_eq!(server.deliveries().len(), 2);
}

#[tokio::test]
async fn apns_refuses_a_key_it_does_not_know_and_a_wrong_topic() {
    let server = ApnsTestServer::start().await;
    let elsewhere = ApnsTestServer::start().await;
    let client = PushClient::new(endpoints(Some(&server), None)).expect("push client");
    // Same team and key id as a trusted key, but different key material: the signature fails.
    let trusted = apns_credentials(&server);
    let mut forged = apns_credentials(&elsewhere);
    forged.key_id = trusted.key_id.clone();

    let outcome = client
        .send(
            &ProviderCredentials::Apns(forged),
            &apns_target(DEVICE),
            &message(),
        )
        .await;
    assert_eq!(
        outcome,
        DeliveryOutcome::Rejected {
            reason: "APNs 403: InvalidProviderToken".into()
        }
    );

    let wrong_topic = berth_push::ApnsCredentials {
        topic: "com.example.other".into(),
        ..trusted
    };
    let outcome = client
        .send(
            &ProviderCredentials::Apns(wrong_topic),
            &apns_target(DEVICE),
            &message(),
        )
        .await;
    assert!(
        matches!(outcome, DeliveryOutcome::TokenInvalid { ref reason } if reason.contains("DeviceTokenNotForTopic"))
    );
    assert!(server.deliveries().is_empty());
}

#[tokio::test]
async fn apns_classifies_dead_tokens_retries_and_oversized_payloads() {
    let server = ApnsTestServer::start().await;
    let client = PushClient::new(endpoints(Some(&server), None)).expect("push client");
    let credentials = ProviderCredentials::Apns(apns_credentials(&server));

    server.mark_dead(DEVICE);
    let outcome = client
        .send(&credentials, &apns_target(DEVICE), &message())
        .await;
    assert_eq!(
        outcome,
        DeliveryOutcome::TokenInvalid {
            reason: "APNs 410: Unregistered".into()
        }
    );

    let outcome = client
        .send(&credentials, &apns_target("not-hex"), &message())
        .await;
    assert!(
        matches!(outcome, DeliveryOutcome::TokenInvalid { .. }),
        "{outcome:?}"
    );

    let live = "00ff";
    server.fail_next(1, 500, None);
    assert_retry_after(
        client
            .send(&credentials, &apns_target(live), &message())
            .await,
        None,
    );
    server.fail_next(1, 429, Some("7"));
    assert_retry_after(
        client
            .send(&credentials, &apns_target(live), &message())
            .await,
        Some(Duration::from_secs(7)),
    );
    server.fail_next(1, 503, Some("Wed, 21 Oct 2015 07:28:00 GMT"));
    assert_retry_after(
        client
            .send(&credentials, &apns_target(live), &message())
            .await,
        Some(Duration::ZERO),
    );
    assert!(matches!(
        client
            .send(&credentials, &apns_target(live), &message())
            .await,
        DeliveryOutcome::Delivered { .. }
    ));

    let requests_before = server.requests();
    let mut huge = message();
    huge.data.insert("blob".into(), json!("x".repeat(5000)));
    let outcome = client.send(&credentials, &apns_target(live), &huge).await;
    assert!(
        matches!(outcome, DeliveryOutcome::Rejected { ref reason } if reason.contains("PayloadTooLarge"))
    );
    assert_eq!(
        server.requests(),
        requests_before,
        "an oversized payload is never sent"
    );
}

#[tokio::test]
async fn connection_failures_are_retried() {
    let server = ApnsTestServer::start().await;
    let credentials = ProviderCredentials::Apns(apns_credentials(&server));
    let mut unreachable = endpoints(Some(&server), None);
    unreachable.apns_sandbox = "https://127.0.0.1:1/".parse().expect("URL");
    let client = PushClient::new(unreachable).expect("valid credentials");
    let outcome = client
        .send(&credentials, &apns_target(DEVICE), &message())
        .await;
    assert!(
        matches!(outcome, DeliveryOutcome::Retry { after: None, .. }),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn fcm_delivers_with_a_cached_access_token() {
    let server = FcmTestServer::start().await;
    let client = PushClient::new(endpoints(None, Some(&server))).expect("push client");
    let credentials = ProviderCredentials::Fcm(fcm_credentials(&server));

    for _ in 0..3 {
        let outcome = client
            .send(&credentials, &fcm_target("registration-1"), &message())
            .await;
        let DeliveryOutcome::Delivered {
            provider_id: Some(name),
        } = outcome
        else {
            panic!("{outcome:?}")
        };
        assert!(name.starts_with("projects/berth-test/messages/"), "{name}");
    }
    assert_eq!(server.tokens_issued(), 1);
    let delivery = &server.deliveries()[0];
    assert_eq!(delivery.token, "registration-1");
    assert_eq!(
        delivery.payload["notification"],
        json!({"title": "Order", "body": "Your order has shipped"})
    );
    assert_eq!(
        delivery.payload["data"],
        json!({"orderId": "42", "kind": "shipped"})
    );
    assert_eq!(delivery.payload["android"]["priority"], "HIGH");
}

#[tokio::test]
async fn fcm_access_token_is_fetched_once_by_concurrent_sends() {
    let server = FcmTestServer::start().await;
    let client = PushClient::new(endpoints(None, Some(&server))).expect("push client");
    let credentials = ProviderCredentials::Fcm(fcm_credentials(&server));
    // Slow answers keep the sends overlapping while the first one fetches the token.
    server.set_latency(Duration::from_millis(20));
    let message = message();
    let target = fcm_target("registration-2");

    let outcomes =
        futures::future::join_all((0..8).map(|_| client.send(&credentials, &target, &message)))
            .await;

    assert!(
        outcomes
            .iter()
            .all(|outcome| matches!(outcome, DeliveryOutcome::Delivered { .. })),
        "{outcomes:?}"
    );
    assert_eq!(server.deliveries().len(), 8);
    assert_eq!(server.tokens_issued(), 1);
}

#[tokio::test]
async fn fcm_refreshes_access_tokens_near_expiry_and_after_revocation() {
    let server = FcmTestServer::start().await;
    let client = PushClient::new(endpoints(None, Some(&server))).expect("push client");
    let credentials = ProviderCredentials::Fcm(fcm_credentials(&server));
    // Tokens living 60 s are inside the refresh margin: each send needs a fresh one.
    server.set_token_lifetime_seconds(60);
    for _ in 0..2 {
        assert!(matches!(
            client
                .send(&credentials, &fcm_target("t"), &message())
                .await,
            DeliveryOutcome::Delivered { .. }
        ));
    }
    assert_eq!(server.tokens_issued(), 2);

    server.set_token_lifetime_seconds(3600);
    assert!(matches!(
        client
            .send(&credentials, &fcm_target("t"), &message())
            .await,
        DeliveryOutcome::Delivered { .. }
    ));
    server.revoke_access_tokens();
    let outcome = client
        .send(&credentials, &fcm_target("t"), &message())
        .await;
    assert!(
        matches!(outcome, DeliveryOutcome::Retry { ref reason, .. } if reason.contains("UNAUTHENTICATED")),
        "{outcome:?}"
    );
    assert!(matches!(
        client
            .send(&credentials, &fcm_target("t"), &message())
            .await,
        DeliveryOutcome::Delivered { .. }
    ));
    assert_eq!(server.tokens_issued(), 4);
}

#[tokio::test]
async fn fcm_token_endpoint_refuses_an_assertion_signed_with_another_key() {
    let server = FcmTestServer::start().await;
    let client = PushClient::new(endpoints(None, Some(&server))).expect("push client");
    let mut account: Value =
        serde_json::from_str(&fcm_credentials(&server).service_account_json).expect("JSON");
    account["private_key"] = json!(include_str!("fixtures/unregistered_rsa_key.pem"));
    let credentials = ProviderCredentials::Fcm(berth_push::FcmCredentials {
        service_account_json: account.to_string(),
    });
    validate(&credentials).expect("the key parses; only the server can tell it is not trusted");

    let outcome = client
        .send(&credentials, &fcm_target("t"), &message())
        .await;
    assert!(
        matches!(outcome, DeliveryOutcome::Rejected { ref reason } if reason.contains("invalid_grant")),
        "{outcome:?}"
    );
    assert_eq!(server.tokens_issued(), 0);
    assert!(server.deliveries().is_empty());
}

#[tokio::test]
async fn fcm_classifies_unregistered_tokens_and_quota_errors() {
    let server = FcmTestServer::start().await;
    let client = PushClient::new(endpoints(None, Some(&server))).expect("push client");
    let credentials = ProviderCredentials::Fcm(fcm_credentials(&server));

    server.mark_dead("gone");
    let outcome = client
        .send(&credentials, &fcm_target("gone"), &message())
        .await;
    assert!(
        matches!(outcome, DeliveryOutcome::TokenInvalid { ref reason } if reason.contains("UNREGISTERED")),
        "{outcome:?}"
    );
    let outcome = client
        .send(&credentials, &fcm_target("has space"), &message())
        .await;
    assert!(
        matches!(outcome, DeliveryOutcome::TokenInvalid { .. }),
        "{outcome:?}"
    );

    server.fail_next(1, 429, Some("30"));
    assert_retry_after(
        client
            .send(&credentials, &fcm_target("t"), &message())
            .await,
        Some(Duration::from_secs(30)),
    );
    server.fail_next(1, 500, None);
    assert_retry_after(
        client
            .send(&credentials, &fcm_target("t"), &message())
            .await,
        None,
    );

    let bad_override = PushMessage {
        fcm_message_override: Some(json!({"data": {"n": 1}})),
        ..message()
    };
    let outcome = client
        .send(&credentials, &fcm_target("t"), &bad_override)
        .await;
    assert!(
        matches!(outcome, DeliveryOutcome::Rejected { .. }),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn web_push_payload_round_trips_through_encryption_and_vapid() {
    let server = WebPushTestServer::start().await;
    let client = PushClient::new(endpoints(None, None)).expect("push client");
    let vapid = vapid_credentials();
    let public_key = berth_push::vapid_public_key(&vapid).expect("public key");
    let subscription = server.subscribe_for(&public_key);
    let credentials = ProviderCredentials::WebPush(vapid);
    let message = PushMessage {
        ttl: Some(Duration::from_secs(600)),
        collapse_id: Some("order42".into()),
        ..message()
    };

    let outcome = client
        .send(&credentials, &subscription.target(), &message)
        .await;

    assert!(
        matches!(
            outcome,
            DeliveryOutcome::Delivered {
                provider_id: Some(_)
            }
        ),
        "{outcome:?}"
    );
    let delivery = &server.deliveries()[0];
    assert_eq!(delivery.token, subscription.id);
    assert_eq!(
        delivery.payload,
        json!({"title": "Order", "body": "Your order has shipped", "badge": 3, "sound": "default",
               "data": {"orderId": 42, "kind": "shipped"}})
    );
    assert_eq!(delivery.headers["ttl"], "600");
    assert_eq!(delivery.headers["urgency"], "high");
    assert_eq!(delivery.headers["topic"], "order42");
}

#[tokio::test]
async fn web_push_refuses_other_vapid_keys_and_reports_gone_subscriptions() {
    let server = WebPushTestServer::start().await;
    let client = PushClient::new(endpoints(None, None)).expect("push client");
    let owner = vapid_credentials();
    let subscription =
        server.subscribe_for(&berth_push::vapid_public_key(&owner).expect("public key"));

    let intruder = ProviderCredentials::WebPush(vapid_credentials());
    let outcome = client
        .send(&intruder, &subscription.target(), &message())
        .await;
    assert!(
        matches!(outcome, DeliveryOutcome::Rejected { ref reason } if reason.starts_with("Web Push 403")),
        "{outcome:?}"
    );

    let owner = ProviderCredentials::WebPush(owner);
    server.fail_next(1, 503, Some("2"));
    assert_retry_after(
        client
            .send(&owner, &subscription.target(), &message())
            .await,
        Some(Duration::from_secs(2)),
    );
    server.mark_dead(&subscription.id);
    let outcome = client
        .send(&owner, &subscription.target(), &message())
        .await;
    assert!(
        matches!(outcome, DeliveryOutcome::TokenInvalid { .. }),
        "{outcome:?}"
    );
    assert!(server.deliveries().is_empty());
}

#[tokio::test]
async fn bad_credentials_fail_validation_and_mismatched_targets_are_rejected() {
    let server = ApnsTestServer::start().await;
    let mut apns = apns_credentials(&server);
    validate(&ProviderCredentials::Apns(apns.clone())).expect("valid credentials");
    apns.signing_key_pem = "-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----".into();
    assert!(validate(&ProviderCredentials::Apns(apns)).is_err());
    let fcm = berth_push::FcmCredentials {
        service_account_json: "{\"project_id\": \"x\"}".into(),
    };
    assert!(validate(&ProviderCredentials::Fcm(fcm)).is_err());
    let mut web = vapid_credentials();
    validate(&ProviderCredentials::WebPush(web.clone())).expect("valid credentials");
    web.subject = "push@example.com".into();
    assert!(validate(&ProviderCredentials::WebPush(web.clone())).is_err());
    web.subject = "mailto:push@example.com".into();
    web.vapid_private_key = "c2hvcnQ".into();
    assert!(validate(&ProviderCredentials::WebPush(web.clone())).is_err());

    let client = PushClient::new(endpoints(Some(&server), None)).expect("push client");
    let outcome = client
        .send(
            &ProviderCredentials::WebPush(vapid_credentials()),
            &apns_target(DEVICE),
            &message(),
        )
        .await;
    assert!(matches!(outcome, DeliveryOutcome::Rejected { .. }));
}
