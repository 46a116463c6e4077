use std::sync::Arc;

use berth_core::Timestamp;
use berth_core::store::{AnalyticsEvent, Store};
use serde_json::json;

use crate::sample_backend;

fn event(name: &str, millis: i64) -> AnalyticsEvent {
    AnalyticsEvent {
        name: name.to_owned(),
        event_type: "custom".to_owned(),
        timestamp: Timestamp::from_millis(millis),
        component: None,
        session_id: Some("s1".to_owned()),
        device_id: None,
        user_id: None,
        properties: json!({ "b": "2", "a": "1" })
            .as_object()
            .cloned()
            .unwrap_or_default(),
        received_on: Timestamp::from_millis(millis + 1),
    }
}

pub async fn analytics_events_are_kept_in_order_per_backend(store: Arc<dyn Store>) {
    let mine = sample_backend("Mine", "1.0");
    let theirs = sample_backend("Theirs", "1.0");
    store.insert_backend(&mine).await.expect("insert");
    store.insert_backend(&theirs).await.expect("insert");
    let batch = [event("open", 1000), event("tap", 2000), event("open", 3000)];
    store.insert_events(mine.id, &batch).await.expect("insert");
    store
        .insert_events(theirs.id, &[event("other", 5)])
        .await
        .expect("insert");

    let (all, total) = store.events(mine.id, None, 0, 10).await.expect("events");
    assert_eq!(total, 3);
    assert_eq!(
        all, batch,
        "stored as given, in arrival order, keys in order"
    );
    let (opens, total) = store
        .events(mine.id, Some("open"), 1, 10)
        .await
        .expect("events");
    assert_eq!(total, 2);
    assert_eq!(opens, [batch[2].clone()]);
    let (page, _) = store.events(mine.id, None, 0, 2).await.expect("events");
    assert_eq!(page.len(), 2);
    let (theirs_events, total) = store.events(theirs.id, None, 0, 10).await.expect("events");
    assert_eq!((theirs_events.len(), total), (1, 1));

    store
        .delete_backend(mine.id, mine.revision)
        .await
        .expect("purge");
    let (gone, total) = store.events(mine.id, None, 0, 10).await.expect("events");
    assert!(
        gone.is_empty() && total == 0,
        "purging a backend removes its events"
    );
}
