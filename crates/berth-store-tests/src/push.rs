use std::sync::Arc;

use berth_core::StoreError;
use berth_core::Timestamp;
use berth_core::push::{
    ClaimedDelivery, DeliveryResult, NewNotification, NotificationMessage, NotificationQuery,
    NotificationState, NotificationTarget, PushPlatform, PushProvider, PushRegistration,
    SettledDelivery, StoredPushConfig,
};
use berth_core::store::Store;
use serde_json::json;
use uuid::Uuid;

use crate::{sample_backend, sample_user};

async fn backend(store: &Arc<dyn Store>, name: &str) -> Uuid {
    let backend = sample_backend(name, "1.0");
    store
        .insert_backend(&backend)
        .await
        .expect("insert backend");
    backend.id
}

fn registration(backend_id: Uuid, provider: PushProvider, token: &str) -> PushRegistration {
    let now = Timestamp::now();
    PushRegistration {
        backend_id,
        id: Uuid::new_v4(),
        provider,
        platform: match provider {
            PushProvider::Apns => PushPlatform::Ios,
            PushProvider::Fcm => PushPlatform::Android,
        },
        token: token.to_owned(),
        device_id: None,
        user_id: None,
        build_type: None,
        gateway: None,
        app_id: None,
        app_version: None,
        invalid: false,
        created_at: now,
        updated_at: now,
    }
}

fn notification(backend_id: Uuid, target: NotificationTarget) -> NewNotification {
    NewNotification {
        backend_id,
        target,
        platform: None,
        provider: None,
        build_type: None,
        message: NotificationMessage {
            body: Some("hello".into()),
            ..Default::default()
        },
        request: json!({"message": "hello"}),
        tag: Some("Tag".into()),
        send_on: None,
        created_at: Timestamp::now(),
    }
}

fn settle(delivery: &ClaimedDelivery, result: DeliveryResult) -> SettledDelivery {
    SettledDelivery {
        delivery: delivery.clone(),
        result,
    }
}

fn later(millis: i64) -> Timestamp {
    Timestamp::from_millis(Timestamp::now().as_millis() + millis)
}

pub async fn push_configs_are_per_backend_with_unique_project_ids(store: Arc<dyn Store>) {
    let mine = backend(&store, "PushMine").await;
    let theirs = backend(&store, "PushTheirs").await;
    let config = StoredPushConfig {
        backend_id: mine,
        push_project_id: "project-1".into(),
        sealed_credentials: vec![1, 2, 3],
        updated_at: Timestamp::from_millis(5),
    };
    store.put_push_config(&config).await.expect("put");
    assert_eq!(
        store.push_config(mine).await.expect("read"),
        Some(config.clone())
    );
    assert_eq!(
        store
            .push_config_by_project("project-1")
            .await
            .expect("read"),
        Some(config.clone())
    );
    assert_eq!(store.push_config(theirs).await.expect("read"), None);
    let clash = StoredPushConfig {
        backend_id: theirs,
        ..config.clone()
    };
    assert!(matches!(
        store.put_push_config(&clash).await,
        Err(StoreError::AlreadyExists(_))
    ));
    let replaced = StoredPushConfig {
        push_project_id: "project-2".into(),
        sealed_credentials: vec![9],
        ..config
    };
    store.put_push_config(&replaced).await.expect("replace");
    assert_eq!(
        store
            .push_config_by_project("project-1")
            .await
            .expect("read"),
        None
    );
    assert_eq!(store.push_config(mine).await.expect("read"), Some(replaced));
    // Deleting a backend takes its push data with it.
    store
        .register_push_token(&registration(theirs, PushProvider::Apns, "gone"), false)
        .await
        .expect("register");
    let sent = store
        .insert_notification(&notification(theirs, NotificationTarget::All))
        .await
        .expect("insert");
    store
        .expand_due_notification(Timestamp::from_millis(Timestamp::now().as_millis() + 1), 10)
        .await
        .expect("expand");
    let revision = store
        .backend(theirs)
        .await
        .expect("read")
        .expect("found")
        .revision;
    store
        .delete_backend(theirs, revision)
        .await
        .expect("delete");
    assert_eq!(
        store.notification(theirs, sent.id).await.expect("read"),
        None
    );
    assert_eq!(
        store
            .push_registration(theirs, PushProvider::Apns, "gone")
            .await
            .expect("read"),
        None
    );
    let missing = StoredPushConfig {
        backend_id: Uuid::new_v4(),
        push_project_id: "project-3".into(),
        sealed_credentials: vec![],
        updated_at: Timestamp::now(),
    };
    assert!(matches!(
        store.put_push_config(&missing).await,
        Err(StoreError::NotFound)
    ));
}

pub async fn push_registrations_move_and_are_removed(store: Arc<dyn Store>) {
    let mine = backend(&store, "RegMine").await;
    let theirs = backend(&store, "RegTheirs").await;
    let mut first = registration(mine, PushProvider::Apns, "token-1");
    first.device_id = Some("device-1".into());
    let stored = store
        .register_push_token(&first, true)
        .await
        .expect("register");
    assert_eq!(stored.id, first.id);
    assert_eq!(stored.device_id.as_deref(), Some("device-1"));

    // The same token again (another user, no device): same registration, moved, valid.
    let mut again = registration(mine, PushProvider::Apns, "token-1");
    again.user_id = Some("user-2".into());
    again.updated_at = later(10);
    let moved = store
        .register_push_token(&again, false)
        .await
        .expect("register");
    assert_eq!((moved.id, moved.created_at), (first.id, first.created_at));
    assert_eq!(
        (moved.device_id, moved.user_id.as_deref()),
        (None, Some("user-2"))
    );

    // A device's new token replaces its old one at the same provider only.
    let mut old = registration(mine, PushProvider::Apns, "token-old");
    old.device_id = Some("device-9".into());
    store
        .register_push_token(&old, true)
        .await
        .expect("register");
    let mut fcm = registration(mine, PushProvider::Fcm, "token-fcm");
    fcm.device_id = Some("device-9".into());
    store
        .register_push_token(&fcm, true)
        .await
        .expect("register");
    let mut new = registration(mine, PushProvider::Apns, "token-new");
    new.device_id = Some("device-9".into());
    store
        .register_push_token(&new, true)
        .await
        .expect("register");
    assert_eq!(
        store
            .push_registration(mine, PushProvider::Apns, "token-old")
            .await
            .expect("read"),
        None
    );
    assert!(
        store
            .push_registration(mine, PushProvider::Fcm, "token-fcm")
            .await
            .expect("read")
            .is_some()
    );

    assert_eq!(
        store
            .deregister_push_device(theirs, "device-9")
            .await
            .expect("remove"),
        0
    );
    assert_eq!(
        store
            .deregister_push_device(mine, "device-9")
            .await
            .expect("remove"),
        2
    );
    assert_eq!(
        store
            .push_registration(mine, PushProvider::Fcm, "token-fcm")
            .await
            .expect("read"),
        None
    );

    // Another backend's same token is its own registration.
    store
        .register_push_token(&registration(theirs, PushProvider::Apns, "token-1"), false)
        .await
        .expect("register");
    assert!(
        store
            .deregister_push_token(mine, PushProvider::Apns, "token-1")
            .await
            .expect("remove")
    );
    assert!(
        !store
            .deregister_push_token(mine, PushProvider::Apns, "token-1")
            .await
            .expect("remove")
    );
    assert!(
        store
            .push_registration(theirs, PushProvider::Apns, "token-1")
            .await
            .expect("read")
            .is_some()
    );
    assert!(matches!(
        store
            .register_push_token(
                &registration(Uuid::new_v4(), PushProvider::Apns, "x"),
                false
            )
            .await,
        Err(StoreError::NotFound)
    ));
}

pub async fn push_outbox_expands_in_batches_and_settles_leased_deliveries(store: Arc<dyn Store>) {
    let mine = backend(&store, "OutboxMine").await;
    let theirs = backend(&store, "OutboxTheirs").await;
    for n in 0..3 {
        store
            .register_push_token(
                &registration(mine, PushProvider::Apns, &format!("ios-{n}")),
                false,
            )
            .await
            .expect("register");
    }
    store
        .register_push_token(&registration(mine, PushProvider::Fcm, "android-0"), false)
        .await
        .expect("register");
    store
        .register_push_token(
            &registration(theirs, PushProvider::Apns, "their-ios"),
            false,
        )
        .await
        .expect("register");

    let mut spec = notification(mine, NotificationTarget::All);
    spec.platform = Some(PushPlatform::Ios);
    let created = store.insert_notification(&spec).await.expect("insert");
    assert_eq!(created.state, NotificationState::Queued);
    let start = Timestamp::now().as_millis();
    let at = |millis: i64| Timestamp::from_millis(start + millis);
    let now = at(1);
    assert_eq!(
        store.expand_due_notification(now, 2).await.expect("expand"),
        Some((mine, created.id, 2))
    );
    assert_eq!(
        store.expand_due_notification(now, 2).await.expect("expand"),
        Some((mine, created.id, 1))
    );
    assert_eq!(
        store.expand_due_notification(now, 2).await.expect("expand"),
        None
    );
    let expanded = store
        .notification(mine, created.id)
        .await
        .expect("read")
        .expect("found");
    assert_eq!(
        (expanded.state, expanded.total, expanded.expanded),
        (NotificationState::Sending, 3, true)
    );
    assert!(
        store
            .notification(theirs, created.id)
            .await
            .expect("read")
            .is_none()
    );

    let lease = at(60_000);
    let claimed = store
        .claim_deliveries("node-a", now, lease, 10)
        .await
        .expect("claim");
    let mut tokens: Vec<_> = claimed.iter().map(|d| d.token.clone()).collect();
    tokens.sort();
    assert_eq!(tokens, ["ios-0", "ios-1", "ios-2"]);
    assert!(
        claimed
            .iter()
            .all(|d| d.attempts == 1 && d.backend_id == mine)
    );
    assert!(
        store
            .claim_deliveries("node-b", now, lease, 10)
            .await
            .expect("claim")
            .is_empty()
    );

    let recorded = store
        .settle_deliveries(
            "node-a",
            &[
                settle(&claimed[0], DeliveryResult::Sent),
                settle(
                    &claimed[1],
                    DeliveryResult::Retry {
                        at: now,
                        reason: "503".into(),
                    },
                ),
                settle(
                    &claimed[2],
                    DeliveryResult::TokenInvalid {
                        reason: "410".into(),
                    },
                ),
            ],
            now,
        )
        .await
        .expect("settle");
    assert_eq!(recorded, 3);
    let progress = store
        .notification(mine, created.id)
        .await
        .expect("read")
        .expect("found");
    assert_eq!(
        (
            progress.sent,
            progress.failed,
            progress.invalid,
            progress.queued()
        ),
        (1, 0, 1, 1)
    );
    assert_eq!(progress.state, NotificationState::Sending);
    assert_eq!(progress.error.as_deref(), Some("410"));
    let dead = store
        .push_registration(mine, PushProvider::Apns, &claimed[2].token)
        .await
        .expect("read")
        .expect("found");
    assert!(dead.invalid);

    // The retry comes back to whoever claims next; a stale owner's result is ignored.
    let retried = store
        .claim_deliveries("node-b", at(2), lease, 10)
        .await
        .expect("claim");
    assert_eq!(retried.len(), 1);
    assert_eq!(
        (retried[0].token.as_str(), retried[0].attempts),
        (claimed[1].token.as_str(), 2)
    );
    assert_eq!(
        retried[0].delivery_id(),
        claimed[1].delivery_id(),
        "stable delivery id"
    );
    assert_eq!(
        store
            .settle_deliveries("node-a", &[settle(&retried[0], DeliveryResult::Sent)], now)
            .await
            .expect("settle"),
        0
    );
    store
        .settle_deliveries("node-b", &[settle(&retried[0], DeliveryResult::Sent)], now)
        .await
        .expect("settle");
    let done = store
        .notification(mine, created.id)
        .await
        .expect("read")
        .expect("found");
    assert_eq!(
        (done.state, done.sent, done.invalid),
        (NotificationState::Warning, 2, 1)
    );
    assert!(done.finished_at.is_some());

    // The dead token is left out of the next send.
    let next = store.insert_notification(&spec).await.expect("insert");
    assert_eq!(
        store
            .expand_due_notification(at(3), 10)
            .await
            .expect("expand"),
        Some((mine, next.id, 2))
    );

    // A send not started yet is expanded before the rest of one already under way.
    let big = store.insert_notification(&spec).await.expect("insert");
    assert_eq!(
        store
            .expand_due_notification(at(4), 1)
            .await
            .expect("expand"),
        Some((mine, big.id, 1))
    );
    let small = store.insert_notification(&spec).await.expect("insert");
    assert_eq!(
        store
            .expand_due_notification(at(5), 1)
            .await
            .expect("expand"),
        Some((mine, small.id, 1))
    );
}

pub async fn push_leases_expire_and_scheduled_notifications_wait(store: Arc<dyn Store>) {
    let mine = backend(&store, "LeaseMine").await;
    let user = sample_user(mine, "ann", json!({"team": "red"}));
    store.insert_user(&user).await.expect("user");
    let mut owned = registration(mine, PushProvider::Fcm, "ann-token");
    owned.user_id = Some(user.id.clone());
    store
        .register_push_token(&owned, false)
        .await
        .expect("register");
    store
        .register_push_token(&registration(mine, PushProvider::Fcm, "other-token"), false)
        .await
        .expect("register");

    // Fixed points in time, so no step depends on how fast the store is.
    let start = Timestamp::now().as_millis();
    let at = |millis: i64| Timestamp::from_millis(start + millis);
    let mut scheduled = notification(
        mine,
        NotificationTarget::UserNames {
            names: vec!["ann".into()],
        },
    );
    scheduled.send_on = Some(at(3_600_000));
    let created = store.insert_notification(&scheduled).await.expect("insert");
    assert_eq!(created.state, NotificationState::Scheduled);
    assert_eq!(
        store
            .expand_due_notification(at(1), 10)
            .await
            .expect("expand"),
        None
    );
    let listed = store
        .list_notifications(
            mine,
            &NotificationQuery {
                states: Some(vec![NotificationState::Scheduled]),
                tag_contains: Some("ta".into()),
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .expect("list");
    assert_eq!((listed.0.len(), listed.1), (1, false));

    // When due, it targets only ann's token.
    assert_eq!(
        store
            .expand_due_notification(at(3_600_001), 10)
            .await
            .expect("expand"),
        Some((mine, created.id, 1))
    );
    let first = store
        .claim_deliveries("node-a", at(3_600_001), at(3_600_002), 10)
        .await
        .expect("claim");
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].token, "ann-token");
    // node-a dies; after its lease, node-b takes the delivery over.
    assert!(
        store
            .claim_deliveries("node-b", at(3_600_001), at(3_700_000), 10)
            .await
            .expect("claim")
            .is_empty()
    );
    let taken = store
        .claim_deliveries("node-b", at(3_600_010), at(3_700_000), 10)
        .await
        .expect("claim");
    assert_eq!(taken.len(), 1);
    assert_eq!(taken[0].attempts, 2);

    // Cancelling works only while scheduled.
    assert!(matches!(
        store
            .cancel_notification(mine, created.id, Timestamp::now())
            .await,
        Err(StoreError::VersionConflict)
    ));
    let mut other = notification(mine, NotificationTarget::All);
    other.send_on = Some(at(3_600_000));
    let other = store.insert_notification(&other).await.expect("insert");
    let cancelled = store
        .cancel_notification(mine, other.id, Timestamp::now())
        .await
        .expect("cancel");
    assert_eq!(cancelled.state, NotificationState::Cancelled);
    assert!(matches!(
        store
            .cancel_notification(mine, other.id, Timestamp::now())
            .await,
        Err(StoreError::VersionConflict)
    ));
    assert!(matches!(
        store
            .cancel_notification(Uuid::new_v4(), other.id, Timestamp::now())
            .await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        store
            .expand_due_notification(at(7_200_000), 10)
            .await
            .expect("expand"),
        None
    );

    // A target that cannot be resolved ends its notification with an error; later ones still run.
    let broken = store
        .insert_notification(&notification(
            mine,
            NotificationTarget::UserQuery {
                query: "team ==".into(),
                binds: vec![],
            },
        ))
        .await
        .expect("insert");
    assert_eq!(
        store
            .expand_due_notification(at(7_200_001), 10)
            .await
            .expect("expand"),
        Some((mine, broken.id, 0))
    );
    let failed = store
        .notification(mine, broken.id)
        .await
        .expect("read")
        .expect("found");
    assert_eq!(failed.state, NotificationState::Error);
    assert!(failed.error.is_some() && failed.finished_at.is_some());
    assert_eq!(
        store
            .expand_due_notification(at(7_200_002), 10)
            .await
            .expect("expand"),
        None
    );
}
