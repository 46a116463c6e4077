//! The operator ("admin") token that guards the tools API. Only its digest is stored.

use crate::error::Result;
use crate::secret::{generate_token, hash_secret, secret_matches_hash};

use super::Berth;

const ADMIN_TOKEN_SETTING: &str = "admin_token_sha256";

/// Where the token in force came from, for the start-up log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminTokenSource {
    /// Made now, on first start; the caller must hand it to the operator (it is not kept).
    Generated(String),
    /// Given by the operator (e.g. `BERTH_ADMIN_TOKEN`) and now the one in force.
    Configured,
    /// A token set earlier is still in force.
    Existing,
}

impl Berth {
    /// Makes sure an admin token is in force: the configured one if given, the stored one if any,
    /// otherwise a newly generated one.
    pub async fn ensure_admin_token(&self, configured: Option<&str>) -> Result<AdminTokenSource> {
        if let Some(token) = configured {
            self.set_admin_token(token).await?;
            return Ok(AdminTokenSource::Configured);
        }
        if self.store.setting(ADMIN_TOKEN_SETTING).await?.is_some() {
            return Ok(AdminTokenSource::Existing);
        }
        // Nodes starting together on an empty database may all get here; only one token is stored,
        // and only the node that stored it reports it as generated (and writes it to its file).
        let token = generate_token();
        if self
            .store
            .put_setting_if_absent(ADMIN_TOKEN_SETTING, &hash_secret(&token))
            .await?
        {
            Ok(AdminTokenSource::Generated(token))
        } else {
            Ok(AdminTokenSource::Existing)
        }
    }

    pub async fn set_admin_token(&self, token: &str) -> Result<()> {
        if token.trim().len() < 16 {
            return Err(crate::Error::invalid(
                "BERTH_ADMIN_TOKEN",
                "The admin token must be at least 16 characters long.",
            ));
        }
        self.store
            .put_setting(ADMIN_TOKEN_SETTING, &hash_secret(token))
            .await?;
        Ok(())
    }

    /// Replaces the admin token with a new random one and returns it; the old one stops working.
    pub async fn rotate_admin_token(&self) -> Result<String> {
        let token = generate_token();
        self.store
            .put_setting(ADMIN_TOKEN_SETTING, &hash_secret(&token))
            .await?;
        Ok(token)
    }

    pub async fn admin_token_is_valid(&self, presented: &str) -> Result<bool> {
        Ok(match self.store.setting(ADMIN_TOKEN_SETTING).await? {
            Some(stored) => secret_matches_hash(presented, &stored),
            None => false,
        })
    }
}
