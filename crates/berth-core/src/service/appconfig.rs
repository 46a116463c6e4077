//! App policies of a mobile backend (Oracle `GET /mobile/platform/appconfig/client`): a flat object
//! of policy names and values that the operator sets and apps read, anonymously too.

use serde_json::{Map, Value};
use uuid::Uuid;

use crate::error::{Error, Result, StoreError};
use crate::validation::Problems;

use super::Berth;
use super::backends::refuse_if_trashed;

/// Largest stored policy object, as JSON text; apps fetch it at every start.
pub const APP_CONFIG_MAX_BYTES: usize = 64 * 1024;
pub const POLICY_NAME_MAX: usize = 100;

/// The setting that holds a backend's policies; the backend id keeps tenants apart.
fn setting_name(backend_id: Uuid) -> String {
    format!("appconfig/{backend_id}")
}

impl Berth {
    /// The backend's policies; none set is an empty object.
    pub async fn app_config(&self, backend_id: Uuid) -> Result<Map<String, Value>> {
        self.backend(backend_id).await?;
        let Some(text) = self.store.setting(&setting_name(backend_id)).await? else {
            return Ok(Map::new());
        };
        serde_json::from_str(&text)
            .map_err(|error| Error::Store(StoreError::Internal(Box::new(error))))
    }

    /// Replaces the backend's policies. Values are strings, numbers or booleans, as Oracle's policy
    /// editor allowed; names are 1 to 100 characters.
    pub async fn set_app_config(
        &self,
        backend_id: Uuid,
        policies: Map<String, Value>,
    ) -> Result<Map<String, Value>> {
        let mut problems = Problems::new();
        for (name, value) in &policies {
            if name.trim().is_empty() {
                problems.add("/", "A policy name must not be empty.");
            }
            problems.check_length(&format!("/{name}"), name, POLICY_NAME_MAX);
            if !(value.is_string() || value.is_number() || value.is_boolean()) {
                problems.add(
                    &format!("/{name}"),
                    format!("The policy \"{name}\" must be a string, a number or a boolean."),
                );
            }
        }
        let text = Value::Object(policies.clone()).to_string();
        if text.len() > APP_CONFIG_MAX_BYTES {
            problems.add(
                "/",
                format!(
                    "The policies take {} bytes; at most {APP_CONFIG_MAX_BYTES} are allowed.",
                    text.len()
                ),
            );
        }
        problems.into_result()?;
        refuse_if_trashed(&self.backend(backend_id).await?)?;
        self.store
            .put_setting(&setting_name(backend_id), &text)
            .await?;
        Ok(policies)
    }
}
