//! Per-backend counts for the operator's overview (the console). Read-only, built from the list use
//! cases' totals, so both stores count the same way and no new storage is needed.

use uuid::Uuid;

use crate::error::Result;
use crate::monaql::Criteria;
use crate::page::PageRequest;
use crate::store::{ItemQuery, UserQuery};

use crate::service::Berth;

/// How much a backend holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BackendCounts {
    pub users: u64,
    pub collections: u64,
    /// Items over every collection.
    pub items: u64,
    /// Mails in the outbox, sent or not.
    pub mails: u64,
    pub analytics_events: u64,
}

/// Only the total is wanted: one row is the least a page may ask for.
const COUNT_ONLY: PageRequest = PageRequest {
    limit: 1,
    offset: 0,
    with_total: true,
};

impl Berth {
    /// Fails with `NotFound` when the backend does not exist.
    pub async fn backend_counts(&self, backend_id: Uuid) -> Result<BackendCounts> {
        self.backend(backend_id).await?;
        let users = self
            .store
            .list_users(
                backend_id,
                &UserQuery {
                    criteria: Criteria::match_all(),
                    name_filter: None,
                    sort: Vec::new(),
                    page: COUNT_ONLY,
                },
            )
            .await?
            .total
            .unwrap_or(0);
        let collections = self.store.collections(backend_id).await?;
        let mut items = 0;
        for collection in &collections {
            let query = ItemQuery {
                criteria: Criteria::match_all(),
                sort: Vec::new(),
                page: COUNT_ONLY,
                access: None,
            };
            items += self
                .list_items(collection, &query)
                .await?
                .total
                .unwrap_or(0);
        }
        let mails = self
            .store
            .mails(backend_id, &COUNT_ONLY)
            .await?
            .total
            .unwrap_or(0);
        let (_, analytics_events) = self.store.events(backend_id, None, 0, 1).await?;
        Ok(BackendCounts {
            users,
            collections: collections.len() as u64,
            items,
            mails,
            analytics_events,
        })
    }
}
