//! Failed uses of a backend's keys (management keys, the Monaca app API key, the OAuth client
//! secret), counted per client address in the store like failed logins, so every node sees them.
//!
//! The counter is consulted only after a key was refused: a right key costs no extra query. Once an
//! address is past the backend's `maxFailedLoginsPerAddress` within `loginFailureWindowMinutes`, its
//! wrong keys are answered as rate-limited instead of invalid. Keys are 256-bit random values, so this
//! is not what stops guessing (nothing needs to); it stops a client that hammers a backend with bad
//! keys from costing more than a cheap refusal, and tells it to back off in its API's own terms.

use std::net::IpAddr;

use uuid::Uuid;

use crate::error::{Error, Result};
use crate::timestamp::Timestamp;

use super::Berth;

const MINUTE_MILLIS: i64 = 60_000;

impl Berth {
    /// Records that `address` presented a wrong key to `backend_id` (when that backend exists), and
    /// answers `RateLimited` once the address is past the backend's limit; `Ok(())` means "refuse
    /// as an invalid key".
    pub async fn refuse_key(&self, backend_id: Uuid, address: IpAddr) -> Result<()> {
        if self.store.backend(backend_id).await?.is_none() {
            return Ok(());
        }
        let settings = self.app_settings(backend_id).await?;
        let now = Timestamp::now();
        let since =
            now.minus_millis(i64::from(settings.login_failure_window_minutes) * MINUTE_MILLIS);
        let key = format!("key-address:{}", address.to_canonical());
        let failures = self
            .store
            .record_login_failure(backend_id, &key, now, since)
            .await?;
        if failures > u64::from(settings.max_failed_logins_per_address) {
            return Err(Error::RateLimited(format!(
                "Too many wrong keys from this address; try again in {} minutes.",
                settings.login_failure_window_minutes
            )));
        }
        Ok(())
    }
}
