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
