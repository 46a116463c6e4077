//! What almost every request reads before its real work: the backend, the management key it
//! presented, the collection it names. Reading them from the store costs three queries per request
//! (most of a small request's time), so they are held here for a moment.
//!
//! * Only for a store no other server process changes (SQLite: one process owns the data folder).
//!   On PostgreSQL, where several nodes share the data, nothing is cached: a key revoked on one
//!   node is refused by every node at once.
//! * A change made through this process (any API, the console) forgets the backend's entries at
//!   once, and a read that raced with the change is not stored (the generation check below).
//! * A change made by the `berth` CLI on the same data folder while the server runs is seen after
//!   at most [`FRESH_FOR`].
//! * Only what exists is held: a wrong key or unknown name is read from the store every time, so
//!   nobody can fill this memory by guessing.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use uuid::Uuid;

use crate::appdata::Collection;
use crate::backend::{Backend, ManagementKey};

/// How long an entry is served without asking the store again.
pub const FRESH_FOR: Duration = Duration::from_secs(1);
/// Entries per map before it starts over (tenants × keys or collections in active use).
const CAPACITY: usize = 10_000;

#[derive(Default)]
pub(crate) struct MetadataCache {
    enabled: bool,
    /// Bumped by every change made here; a read that started before a change is not stored.
    generation: AtomicU64,
    pub(crate) backends: FreshMap<Uuid, Backend>,
    /// By backend and key hash.
    pub(crate) management_keys: FreshMap<(Uuid, String), ManagementKey>,
    /// By backend and collection name.
    pub(crate) collections: FreshMap<(Uuid, String), Collection>,
}

/// Where a store read began, for [`MetadataCache`]'s `store_if_current`.
#[derive(Clone, Copy)]
pub(crate) struct ReadStart(u64);

impl MetadataCache {
    pub(crate) fn new(enabled: bool) -> Self {
        Self {
            enabled,
            ..Self::default()
        }
    }

    pub(crate) fn read_start(&self) -> ReadStart {
        ReadStart(self.generation.load(Ordering::Acquire))
    }

    /// Whether what was read since `start` may be kept: caching is on and no change was made here
    /// meanwhile.
    pub(crate) fn is_current(&self, start: ReadStart) -> bool {
        self.enabled && self.generation.load(Ordering::Acquire) == start.0
    }

    /// Forgets everything held about the backend; call after changing it, its keys or collections.
    pub(crate) fn forget_backend(&self, backend_id: Uuid) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.backends.forget(|id| *id == backend_id);
        self.management_keys.forget(|(id, _)| *id == backend_id);
        self.collections.forget(|(id, _)| *id == backend_id);
    }
}

pub(crate) struct FreshMap<K, V> {
    entries: Mutex<HashMap<K, (Instant, V)>>,
}

impl<K, V> Default for FreshMap<K, V> {
    fn default() -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
        }
    }
}

impl<K: Eq + Hash, V: Clone> FreshMap<K, V> {
    pub(crate) fn get(&self, key: &K) -> Option<V> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .get(key)
            .filter(|(read_at, _)| read_at.elapsed() < FRESH_FOR)
            .map(|(_, value)| value.clone())
    }

    pub(crate) fn put(&self, key: K, value: V) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= CAPACITY {
            entries.retain(|_, (read_at, _)| read_at.elapsed() < FRESH_FOR);
            if entries.len() >= CAPACITY {
                entries.clear();
            }
        }
        entries.insert(key, (Instant::now(), value));
    }

    fn forget(&self, matches: impl Fn(&K) -> bool) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.retain(|key, _| !matches(key));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire_and_are_forgotten_per_backend() {
        let map: FreshMap<(Uuid, String), u32> = FreshMap::default();
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        map.put((a, "x".into()), 1);
        map.put((b, "x".into()), 2);
        assert_eq!(map.get(&(a, "x".into())), Some(1));
        map.forget(|(id, _)| *id == a);
        assert_eq!(map.get(&(a, "x".into())), None);
        assert_eq!(map.get(&(b, "x".into())), Some(2));
        {
            let mut entries = map.entries.lock().expect("lock");
            entries.get_mut(&(b, "x".into())).expect("entry").0 = Instant::now() - FRESH_FOR;
        }
        assert_eq!(map.get(&(b, "x".into())), None, "expired");
    }

    #[test]
    fn a_store_shared_with_other_nodes_keeps_nothing() {
        assert!(!MetadataCache::new(false).is_current(MetadataCache::new(false).read_start()));
    }

    #[test]
    fn a_read_that_raced_with_a_change_is_not_current() {
        let cache = MetadataCache::new(true);
        let start = cache.read_start();
        assert!(cache.is_current(start));
        cache.forget_backend(Uuid::now_v7());
        assert!(!cache.is_current(start));
    }
}
