//! Monaca Backend Management API keys: several per backend, each optionally bound to an address range.

use ipnet::IpNet;
use uuid::Uuid;

use crate::backend::{Backend, ManagementKey};
use crate::error::{Error, Result, StoreError};
use crate::ids::new_row_id;
use crate::secret::{display_prefix, generate_token, hash_secret};
use crate::timestamp::Timestamp;
use crate::validation::Problems;

use super::Berth;
use super::backends::{backend_not_found, refuse_if_trashed};

pub const KEY_LABEL_MAX: usize = 100;

/// A new management key with its secret, which is shown only now.
#[derive(Debug, Clone)]
pub struct CreatedManagementKey {
    pub key: ManagementKey,
    pub secret: String,
}

impl Berth {
    pub async fn create_management_key(
        &self,
        actor: &str,
        backend_id: Uuid,
        label: Option<String>,
        allowed_ip_range: Option<String>,
    ) -> Result<CreatedManagementKey> {
        let mut problems = Problems::new();
        if let Some(label) = &label {
            problems.check_length("label", label, KEY_LABEL_MAX);
        }
        let allowed_ip_range = match allowed_ip_range.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(range) => match range.parse::<IpNet>() {
                Ok(net) => Some(net.trunc().to_string()),
                Err(_) => {
                    problems.add(
                        "allowedIpRange",
                        format!("\"{range}\" is not an address range in CIDR form, such as 203.0.113.0/24."),
                    );
                    None
                }
            },
        };
        problems.into_result()?;

        let backend = self.backend(backend_id).await?;
        refuse_if_trashed(&backend)?;
        let secret = generate_token();
        let key = ManagementKey {
            id: new_row_id(),
            backend_id,
            label,
            key_hash: hash_secret(&secret),
            prefix: display_prefix(&secret),
            allowed_ip_range,
            created_on: Timestamp::now(),
            created_by: actor.to_owned(),
        };
        self.store
            .insert_management_key(&key)
            .await
            .map_err(|e| match e {
                // The backend was purged between the read and the insert.
                StoreError::NotFound => backend_not_found(backend_id),
                other => other.into(),
            })?;
        Ok(CreatedManagementKey { key, secret })
    }

    pub async fn management_keys(&self, backend_id: Uuid) -> Result<Vec<ManagementKey>> {
        self.backend(backend_id).await?;
        Ok(self.store.management_keys(backend_id).await?)
    }

    /// The backend a presented management key opens, if the key is valid for it: it must exist,
    /// belong to `backend_id`, and that backend must be neither trashed nor inactive.
    pub async fn backend_for_management_key(
        &self,
        backend_id: Uuid,
        presented: &str,
    ) -> Result<Option<(Backend, ManagementKey)>> {
        let open = |backend: Backend, key| {
            (!backend.in_trash && !backend.inactive).then_some((backend, key))
        };
        let cache_key = (backend_id, hash_secret(presented));
        if let (Some(key), Some(backend)) = (
            self.cache.management_keys.get(&cache_key),
            self.cache.backends.get(&backend_id),
        ) {
            return Ok(open(backend, key));
        }
        let start = self.cache.read_start();
        let Some(key) = self
            .store
            .management_key_by_hash(backend_id, &cache_key.1)
            .await?
        else {
            return Ok(None);
        };
        let Some(backend) = self.store.backend(backend_id).await? else {
            return Ok(None);
        };
        if self.cache.is_current(start) {
            self.cache.backends.put(backend_id, backend.clone());
            self.cache.management_keys.put(cache_key, key.clone());
        }
        Ok(open(backend, key))
    }

    pub async fn revoke_management_key(&self, backend_id: Uuid, key_id: Uuid) -> Result<()> {
        self.backend(backend_id).await?;
        let deleted = self.store.delete_management_key(backend_id, key_id).await;
        self.cache.forget_backend(backend_id);
        match deleted {
            Ok(()) => Ok(()),
            Err(StoreError::NotFound) => Err(Error::not_found(
                "keyId",
                format!("The backend {backend_id} has no management key with id {key_id}."),
            )),
            Err(other) => Err(other.into()),
        }
    }
}
