//! Use cases. Every API surface and the CLI call these, so a rule holds the same everywhere.

mod admin;
mod analytics;
mod app;
mod appconfig;
mod backends;
mod collections;
mod key_failures;
mod keys;
mod metadata_cache;
mod oracle;
mod push;
mod roles;
mod storage;
mod users;

use std::sync::Arc;

pub use admin::AdminTokenSource;
pub use analytics::EventSource;
pub use app::{LoggedIn, MailTransport, check_device_id, item_grants};
pub use backends::{BackendCounts, CreatedBackend};
pub use collections::{CollectionConfig, ItemOwner, MAX_INDEXED_PROPERTIES};
pub use keys::CreatedManagementKey;
pub use metadata_cache::FRESH_FOR as METADATA_FRESH_FOR;
pub use oracle::{ACCESS_TOKEN_SECONDS, Grant, OAuthError, PlatformCaller, decode_basic};
pub use push::{DeviceRegistration, PushConfigChange, PushConfigView};
pub use roles::ROLE_NAME_MAX;
pub use storage::{
    ANONYMOUS_ACTOR, CollectionChanges, CollectionDraft, DEFAULT_CONTENT_TYPE,
    DEFAULT_OBJECT_SIZE_LIMIT, Evaluation, OBJECT_ID_MAX, ObjectConditions, ObjectListRequest,
    ObjectRead, ObjectSpace, ObjectUpload, ObjectWrite, UserSelector,
};
pub use users::{CredentialRules, UserChanges};

use crate::store::Store;

/// The application: a store plus the rules around it. Cheap to clone.
#[derive(Clone)]
pub struct Berth {
    store: Arc<dyn Store>,
    mail: Option<Arc<dyn MailTransport>>,
    /// Largest Oracle storage object, in bytes.
    object_size_limit: u64,
    secret_key: Option<crate::sealed::SecretKey>,
    cache: Arc<metadata_cache::MetadataCache>,
}

impl Berth {
    pub fn new(store: Arc<dyn Store>) -> Self {
        let cache = metadata_cache::MetadataCache::new(!store.is_shared());
        Self {
            store,
            mail: None,
            object_size_limit: DEFAULT_OBJECT_SIZE_LIMIT,
            secret_key: None,
            cache: Arc::new(cache),
        }
    }

    /// Sends mail through `transport` instead of holding it in the outbox.
    pub fn with_mail_transport(mut self, transport: Arc<dyn MailTransport>) -> Self {
        self.mail = Some(transport);
        self
    }

    /// Sets the largest Oracle storage object, in bytes.
    pub fn with_object_size_limit(mut self, bytes: u64) -> Self {
        self.object_size_limit = bytes;
        self
    }

    pub fn object_size_limit(&self) -> u64 {
        self.object_size_limit
    }

    /// Seals secrets that must be read back (push provider keys) with `key`.
    pub fn with_secret_key(mut self, key: crate::sealed::SecretKey) -> Self {
        self.secret_key = Some(key);
        self
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }
}
