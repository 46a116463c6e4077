use std::sync::Arc;

use berth_core::Timestamp;
use berth_core::appauth::{
    AppSettings, Device, MailStatus, MailTemplate, OutgoingMail, Session, TokenKind, UserToken,
};
use berth_core::appdata::{Access, Permission};
use berth_core::monaql::Criteria;
use berth_core::page::PageRequest;
use berth_core::store::{ItemQuery, Principal, Right, Store};
use serde_json::json;
use uuid::Uuid;

use crate::{sample_backend, sample_collection, sample_item};

async fn backend_id(store: &Arc<dyn Store>, name: &str) -> Uuid {
    let backend = sample_backend(name, "1.0");
    store
        .insert_backend(&backend)
        .await
        .expect("insert backend");
    backend.id
}

fn at(offset_millis: i64) -> Timestamp {
    Timestamp::from_millis(Timestamp::now().as_millis() + offset_millis)
}

pub async fn app_settings_are_kept_per_backend(store: Arc<dyn Store>) {
    let mine = backend_id(&store, "Mine").await;
    let theirs = backend_id(&store, "Theirs").await;
    assert_eq!(store.app_settings(mine).await.expect("read"), None);
    let settings = AppSettings {
        min_password_length: 12,
        permission_denied_code: -14,
        ..AppSettings::default()
    };
    store
        .put_app_settings(mine, &settings)
        .await
        .expect("write");
    assert_eq!(
        store.app_settings(mine).await.expect("read"),
        Some(settings.clone())
    );
    assert_eq!(store.app_settings(theirs).await.expect("read"), None);
    let changed = AppSettings {
        registration_open: false,
        ..settings
    };
    store
        .put_app_settings(mine, &changed)
        .await
        .expect("overwrite");
    assert_eq!(store.app_settings(mine).await.expect("read"), Some(changed));
}

pub async fn sessions_expire_and_end(store: Arc<dyn Store>) {
    let backend = backend_id(&store, "Sessions").await;
    let other = backend_id(&store, "OtherSessions").await;
    let session = Session {
        backend_id: backend,
        id_hash: "h1".to_owned(),
        user_id: "u1".to_owned(),
        device_id: "d1".to_owned(),
        created_at: Timestamp::now(),
        expires_at: at(60_000),
    };
    store.insert_session(&session).await.expect("insert");
    assert_eq!(
        store
            .session(backend, "h1", Timestamp::now())
            .await
            .expect("read"),
        Some(session.clone())
    );
    assert_eq!(
        store
            .session(other, "h1", Timestamp::now())
            .await
            .expect("read"),
        None,
        "per backend"
    );
    assert_eq!(
        store
            .session(backend, "h1", at(120_000))
            .await
            .expect("read"),
        None,
        "expired"
    );
    store
        .extend_session(backend, "h1", at(600_000))
        .await
        .expect("extend");
    assert!(
        store
            .session(backend, "h1", at(120_000))
            .await
            .expect("read")
            .is_some()
    );
    store.delete_session(backend, "h1").await.expect("delete");
    assert_eq!(
        store
            .session(backend, "h1", Timestamp::now())
            .await
            .expect("read"),
        None
    );

    for hash in ["a", "b"] {
        store
            .insert_session(&Session {
                id_hash: hash.to_owned(),
                ..session.clone()
            })
            .await
            .expect("insert");
    }
    store
        .insert_token(&token(backend, TokenKind::Login, "t", "u1", "d1", 60_000))
        .await
        .expect("token");
    store
        .delete_user_sessions(backend, "u1")
        .await
        .expect("end all");
    assert_eq!(
        store
            .session(backend, "a", Timestamp::now())
            .await
            .expect("read"),
        None
    );
    assert_eq!(
        store
            .session(backend, "b", Timestamp::now())
            .await
            .expect("read"),
        None
    );
    assert_eq!(
        store
            .take_token(backend, TokenKind::Login, "t", Timestamp::now())
            .await
            .expect("take"),
        None
    );
}

fn token(
    backend_id: Uuid,
    kind: TokenKind,
    hash: &str,
    user: &str,
    device: &str,
    ttl: i64,
) -> UserToken {
    UserToken {
        backend_id,
        kind,
        token_hash: hash.to_owned(),
        user_id: user.to_owned(),
        device_id: device.to_owned(),
        created_at: Timestamp::now(),
        expires_at: at(ttl),
    }
}

pub async fn tokens_work_once_and_expire(store: Arc<dyn Store>) {
    let backend = backend_id(&store, "Tokens").await;
    let login = token(backend, TokenKind::Login, "l1", "u1", "d1", 60_000);
    store.insert_token(&login).await.expect("insert");
    assert_eq!(
        store
            .take_token(backend, TokenKind::PasswordReset, "l1", Timestamp::now())
            .await
            .expect("take"),
        None,
        "kinds do not mix"
    );
    assert_eq!(
        store
            .take_token(backend, TokenKind::Login, "l1", Timestamp::now())
            .await
            .expect("take"),
        Some(login)
    );
    assert_eq!(
        store
            .take_token(backend, TokenKind::Login, "l1", Timestamp::now())
            .await
            .expect("take"),
        None,
        "single use"
    );

    store
        .insert_token(&token(backend, TokenKind::Login, "old", "u1", "d1", -1))
        .await
        .expect("insert");
    assert_eq!(
        store
            .take_token(backend, TokenKind::Login, "old", Timestamp::now())
            .await
            .expect("take"),
        None,
        "expired"
    );

    for (hash, device) in [("x", "d1"), ("y", "d2")] {
        store
            .insert_token(&token(
                backend,
                TokenKind::Login,
                hash,
                "u1",
                device,
                60_000,
            ))
            .await
            .expect("insert");
    }
    store
        .delete_tokens(backend, TokenKind::Login, "u1", Some("d1"))
        .await
        .expect("delete");
    assert_eq!(
        store
            .take_token(backend, TokenKind::Login, "x", Timestamp::now())
            .await
            .expect("take"),
        None
    );
    assert!(
        store
            .take_token(backend, TokenKind::Login, "y", Timestamp::now())
            .await
            .expect("take")
            .is_some()
    );
}

pub async fn login_failures_are_counted_in_a_window(store: Arc<dyn Store>) {
    let backend = backend_id(&store, "Failures").await;
    let since = at(-60_000);
    assert_eq!(
        store
            .record_login_failure(backend, "user:joe", Timestamp::now(), since)
            .await
            .expect("record"),
        1
    );
    assert_eq!(
        store
            .record_login_failure(backend, "user:joe", Timestamp::now(), since)
            .await
            .expect("record"),
        2
    );
    assert_eq!(
        store
            .record_login_failure(backend, "ip:1.2.3.4", Timestamp::now(), since)
            .await
            .expect("record"),
        1
    );
    assert_eq!(
        store
            .login_failures(backend, "user:joe", since)
            .await
            .expect("count"),
        2
    );
    assert_eq!(
        store
            .login_failures(backend, "user:joe", at(1_000))
            .await
            .expect("count"),
        0,
        "outside the window"
    );
    store
        .clear_login_failures(backend, "user:joe")
        .await
        .expect("clear");
    assert_eq!(
        store
            .login_failures(backend, "user:joe", since)
            .await
            .expect("count"),
        0
    );
    assert_eq!(
        store
            .login_failures(backend, "ip:1.2.3.4", since)
            .await
            .expect("count"),
        1
    );
}

pub async fn devices_are_upserted(store: Arc<dyn Store>) {
    let backend = backend_id(&store, "Devices").await;
    assert_eq!(store.device(backend, "d1").await.expect("read"), None);
    let mut device = Device {
        backend_id: backend,
        id: "d1".to_owned(),
        properties: serde_json::Map::new(),
        last_user_id: None,
        created_at: Timestamp::now(),
        updated_at: Timestamp::now(),
    };
    store.put_device(&device).await.expect("insert");
    device.properties.insert("color".to_owned(), json!("red"));
    device.last_user_id = Some("u1".to_owned());
    device.updated_at = at(5);
    store.put_device(&device).await.expect("update");
    assert_eq!(
        store.device(backend, "d1").await.expect("read"),
        Some(device)
    );
}

pub async fn mail_templates_and_outbox(store: Arc<dyn Store>) {
    let backend = backend_id(&store, "Mail").await;
    let template = MailTemplate {
        name: "welcome".to_owned(),
        subject: "Hi".to_owned(),
        body: "Hello %NAME%".to_owned(),
    };
    store
        .put_mail_template(backend, &template)
        .await
        .expect("put");
    let changed = MailTemplate {
        subject: "Hello".to_owned(),
        ..template.clone()
    };
    store
        .put_mail_template(backend, &changed)
        .await
        .expect("replace");
    assert_eq!(
        store.mail_template(backend, "welcome").await.expect("read"),
        Some(changed.clone())
    );
    assert_eq!(
        store.mail_templates(backend).await.expect("list"),
        [changed]
    );
    store
        .delete_mail_template(backend, "welcome")
        .await
        .expect("delete");
    assert!(matches!(
        store.delete_mail_template(backend, "welcome").await,
        Err(berth_core::StoreError::NotFound)
    ));

    for (n, status) in [
        (1, MailStatus::Held),
        (2, MailStatus::Sent),
        (3, MailStatus::Failed),
    ] {
        let mail = OutgoingMail {
            backend_id: backend,
            id: Uuid::now_v7(),
            to: format!("user{n}@example.com"),
            subject: "s".to_owned(),
            body: "b".to_owned(),
            template: "t".to_owned(),
            status,
            error: (status == MailStatus::Failed).then(|| "refused".to_owned()),
            created_at: Timestamp::from_millis(1_000 + n),
        };
        store.insert_mail(&mail).await.expect("insert");
    }
    let page = store
        .mails(
            backend,
            &PageRequest {
                limit: 2,
                offset: 0,
                with_total: true,
            },
        )
        .await
        .expect("list");
    let to: Vec<&str> = page.items.iter().map(|m| m.to.as_str()).collect();
    assert_eq!(
        to,
        ["user3@example.com", "user2@example.com"],
        "newest first"
    );
    assert!(page.has_more);
    assert_eq!(page.total, Some(3));
    assert_eq!(page.items[0].error.as_deref(), Some("refused"));
}

pub async fn app_callers_see_only_items_they_may(store: Arc<dyn Store>) {
    let backend = backend_id(&store, "Access").await;
    let collection = sample_collection(backend, "Memo", &[]);
    store.create_collection(&collection).await.expect("create");
    let grant = |entries: &[(&str, &str)]| -> Permission {
        entries
            .iter()
            .map(|(who, access)| ((*who).to_owned(), Access::parse(access).expect("access")))
            .collect()
    };
    let mut items = Vec::new();
    for (name, owner_user, owner_device, permission) in [
        (
            "public-read",
            Some("u-owner"),
            None,
            grant(&[("public", "r")]),
        ),
        ("private", Some("u-owner"), None, grant(&[])),
        (
            "friend-rw",
            Some("u-owner"),
            None,
            grant(&[("u-friend", "rw")]),
        ),
        (
            "friend-none",
            Some("u-owner"),
            None,
            grant(&[("public", "r"), ("u-friend", "")]),
        ),
        (
            "public-write",
            Some("u-owner"),
            None,
            grant(&[("public", "w")]),
        ),
        ("anonymous-device", None, Some("d-phone"), grant(&[])),
    ] {
        let mut item = sample_item(json!({ "name": name }));
        item.owner_user_oid = owner_user.map(str::to_owned);
        item.owner_device_oid = owner_device.map(str::to_owned);
        item.permission = permission;
        store.insert_item(&collection, &item).await.expect("insert");
        items.push(item);
    }
    let visible = |user: Option<&str>, device: &str, right: Right| {
        let store = store.clone();
        let collection = collection.clone();
        let principal = Principal {
            user_oid: user.map(str::to_owned),
            device_id: device.to_owned(),
        };
        async move {
            let query = ItemQuery {
                criteria: Criteria::match_all(),
                sort: vec![],
                page: PageRequest {
                    limit: 100,
                    offset: 0,
                    with_total: true,
                },
                access: Some((principal, right)),
            };
            let page = store.list_items(&collection, &query).await.expect("list");
            assert_eq!(
                page.total,
                Some(page.items.len() as u64),
                "the count agrees with the filter"
            );
            page.items
                .iter()
                .map(|i| i.data["name"].as_str().unwrap_or("").to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        visible(Some("u-owner"), "d-other", Right::Read).await,
        [
            "public-read",
            "private",
            "friend-rw",
            "friend-none",
            "public-write"
        ],
        "the owner reads its items whatever they say"
    );
    assert_eq!(
        visible(Some("u-friend"), "d-x", Right::Read).await,
        ["public-read", "friend-rw", "friend-none"]
    );
    assert_eq!(
        visible(None, "d-x", Right::Read).await,
        ["public-read", "friend-none"]
    );
    assert_eq!(
        visible(None, "d-phone", Right::Read).await,
        ["public-read", "friend-none", "anonymous-device"]
    );
    assert_eq!(
        visible(Some("u-friend"), "d-x", Right::Write).await,
        ["friend-rw", "public-write"]
    );
    assert_eq!(
        visible(Some("u-stranger"), "d-phone", Right::Write).await,
        ["public-write"],
        "a logged-in user does not own the device's items"
    );
}
