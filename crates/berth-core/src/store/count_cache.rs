//! Totals of filtered item lists, remembered per collection version.
//!
//! A list with its total asks the store to count every matching item; with 10,000 matches that count
//! costs more than the page itself, and a million matches would be counted on every request. Each
//! store keeps a version per collection that changes with every item write (insert, update,
//! permission change, delete). A total counted while the collection had version `v` is exact for as
//! long as the version stays `v`, so repeated totals of an unchanged collection are not counted again.
//! PostgreSQL keeps the version in the collection row (`items_version`, bumped in the write's own
//! transaction), so several nodes never serve each other's stale totals; SQLite keeps it in memory,
//! bumped by its one writer task after each commit (an embedded database has one server process).

use std::collections::HashMap;
use std::sync::Mutex;

use super::ItemQuery;
use crate::appdata::Collection;

/// Entries kept before the cache starts over; bounds memory at about `CAPACITY * MAX_KEY_BYTES`.
const CAPACITY: usize = 4096;
/// Longer queries (large MonaQL texts) are counted every time rather than held in memory.
const MAX_KEY_BYTES: usize = 2048;

#[derive(Debug, Default)]
pub struct CountCache {
    totals: Mutex<HashMap<String, (i64, u64)>>,
}

impl CountCache {
    /// The cache key of a filtered total: the collection and the whole filter (criteria with its
    /// bound values, and the caller whose permissions restrict it). Paging and sort do not change
    /// a total, so they are left out. `None` when the query is too large to keep.
    pub fn key(collection: &Collection, query: &ItemQuery) -> Option<String> {
        let key = format!("{} {:?} {:?}", collection.id, query.criteria, query.access);
        (key.len() <= MAX_KEY_BYTES).then_some(key)
    }

    /// The total counted for `key` while the collection was at `version`, if any.
    pub fn get(&self, key: &str, version: i64) -> Option<u64> {
        let totals = self
            .totals
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        totals
            .get(key)
            .filter(|(counted_at, _)| *counted_at == version)
            .map(|(_, total)| *total)
    }

    /// Remembers a total counted at `version`. The caller read `version` before it counted, so the
    /// count saw that version or a newer one: never an older state under a newer version.
    pub fn put(&self, key: String, version: i64, total: u64) {
        let mut totals = self
            .totals
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if totals.len() >= CAPACITY && !totals.contains_key(&key) {
            totals.clear();
        }
        totals.insert(key, (version, total));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monaql::{Scope, parse};
    use crate::page::PageRequest;
    use serde_json::json;
    use uuid::Uuid;

    fn query(criteria: &str, binds: &[serde_json::Value]) -> ItemQuery {
        ItemQuery {
            criteria: parse(criteria, binds, Scope::Item).expect("criteria"),
            sort: vec![],
            page: PageRequest {
                limit: 10,
                offset: 0,
                with_total: true,
            },
            access: None,
        }
    }

    fn collection() -> Collection {
        Collection {
            backend_id: Uuid::now_v7(),
            id: Uuid::now_v7(),
            name: "GameScore".into(),
            is_insertable: true,
            default_public_permission: Default::default(),
            indexed_properties: vec![],
            item_count: 0,
            created_at: crate::Timestamp::from_millis(0),
            updated_at: crate::Timestamp::from_millis(0),
        }
    }

    #[test]
    fn a_total_is_served_only_for_the_version_and_the_bound_values_it_was_counted_with() {
        let cache = CountCache::default();
        let games = collection();
        let above_10 = CountCache::key(&games, &query("score > ?", &[json!(10)])).expect("key");
        let above_20 = CountCache::key(&games, &query("score > ?", &[json!(20)])).expect("key");
        assert_ne!(above_10, above_20);
        cache.put(above_10.clone(), 3, 42);
        assert_eq!(cache.get(&above_10, 3), Some(42));
        assert_eq!(cache.get(&above_10, 4), None, "a write moved the version");
        assert_eq!(cache.get(&above_20, 3), None);
        let other = CountCache::key(&collection(), &query("score > ?", &[json!(10)])).expect("key");
        assert_eq!(cache.get(&other, 3), None, "another collection");
    }

    #[test]
    fn the_cache_stays_bounded() {
        let cache = CountCache::default();
        let games = collection();
        for n in 0..(CAPACITY + 10) {
            let key = CountCache::key(&games, &query("score > ?", &[json!(n)])).expect("key");
            cache.put(key, 1, 1);
        }
        assert!(cache.totals.lock().expect("lock").len() <= CAPACITY);
        let huge = format!("name == \"{}\"", "x".repeat(MAX_KEY_BYTES));
        assert!(CountCache::key(&games, &query(&huge, &[])).is_none());
    }
}
