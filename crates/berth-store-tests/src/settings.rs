use std::sync::Arc;

use berth_core::store::Store;

pub async fn settings_are_upserted(store: Arc<dyn Store>) {
    assert_eq!(store.setting("admin").await.expect("read"), None);
    store.put_setting("admin", "one").await.expect("write");
    store.put_setting("admin", "two").await.expect("overwrite");
    assert_eq!(
        store.setting("admin").await.expect("read").as_deref(),
        Some("two")
    );
}

pub async fn settings_are_stored_once_when_absent(store: Arc<dyn Store>) {
    assert!(
        store
            .put_setting_if_absent("token", "first")
            .await
            .expect("write")
    );
    assert!(
        !store
            .put_setting_if_absent("token", "second")
            .await
            .expect("write")
    );
    assert_eq!(
        store.setting("token").await.expect("read").as_deref(),
        Some("first")
    );

    // Nodes racing on an empty database: exactly one value is stored, the one whose write said so.
    let racers: Vec<_> = (0..8)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                let value = format!("node-{i}");
                let stored = store
                    .put_setting_if_absent("race", &value)
                    .await
                    .expect("write");
                (value, stored)
            })
        })
        .collect();
    let mut winners = Vec::new();
    for racer in racers {
        let (value, stored) = racer.await.expect("join");
        if stored {
            winners.push(value);
        }
    }
    assert_eq!(winners.len(), 1, "{winners:?}");
    assert_eq!(store.setting("race").await.expect("read"), winners.pop());
}
