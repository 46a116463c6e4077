//! Use cases. Every API surface and the CLI call these, so a rule holds the same everywhere.

mod admin;
mod backends;
mod collections;
mod keys;
mod users;

use std::sync::Arc;

pub use admin::AdminTokenSource;
pub use backends::CreatedBackend;
pub use collections::{CollectionConfig, ItemOwner, MAX_INDEXED_PROPERTIES};
pub use keys::CreatedManagementKey;
pub use users::{CredentialRules, UserChanges};

use crate::store::Store;

/// The application: a store plus the rules around it. Cheap to clone.
#[derive(Clone)]
pub struct Berth {
    store: Arc<dyn Store>,
}

impl Berth {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store }
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }
}
