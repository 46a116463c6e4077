use async_trait::async_trait;
use berth_core::store::{SettingRepo, StoreResult};

use crate::SqliteStore;
use crate::error::store_error;

#[async_trait]
impl SettingRepo for SqliteStore {
    async fn setting(&self, name: &str) -> StoreResult<Option<String>> {
        sqlx::query_scalar("SELECT value FROM settings WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.reader)
            .await
            .map_err(store_error)
    }

    async fn put_setting(&self, name: &str, value: &str) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO settings (name, value) VALUES ($1, $2)
             ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        )
        .bind(name)
        .bind(value)
        .execute(&mut *self.writer.connection().await?)
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn put_setting_if_absent(&self, name: &str, value: &str) -> StoreResult<bool> {
        let result = sqlx::query(
            "INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(value)
        .execute(&mut *self.writer.connection().await?)
        .await
        .map_err(store_error)?;
        Ok(result.rows_affected() == 1)
    }
}
