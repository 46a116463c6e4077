//! Use cases. Every API surface and the CLI call these, so a rule holds the same everywhere.

mod admin;
mod analytics;
mod app;
mod appconfig;
mod backends;
mod collections;
mod key_failures;
mod keys;
mod oracle;
mod roles;
mod users;

use std::sync::Arc;

pub use admin::AdminTokenSource;
pub use analytics::EventSource;
pub use app::{LoggedIn, MailTransport, check_device_id, item_grants};
pub use backends::CreatedBackend;
pub use collections::{CollectionConfig, ItemOwner, MAX_INDEXED_PROPERTIES};
pub use keys::CreatedManagementKey;
pub use oracle::{ACCESS_TOKEN_SECONDS, Grant, OAuthError, PlatformCaller, decode_basic};
pub use roles::ROLE_NAME_MAX;
pub use users::{CredentialRules, UserChanges};

use crate::store::Store;

/// The application: a store plus the rules around it. Cheap to clone.
#[derive(Clone)]
pub struct Berth {
    store: Arc<dyn Store>,
    mail: Option<Arc<dyn MailTransport>>,
}

impl Berth {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store, mail: None }
    }

    /// Sends mail through `transport` instead of holding it in the outbox.
    pub fn with_mail_transport(mut self, transport: Arc<dyn MailTransport>) -> Self {
        self.mail = Some(transport);
        self
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }
}
