use async_trait::async_trait;
use berth_core::StoreError;
use berth_core::Timestamp;
use berth_core::backend::ManagementKey;
use berth_core::store::{ManagementKeyRepo, StoreResult};
use uuid::Uuid;

use crate::SqliteStore;
use crate::error::{corrupt, store_error};

#[derive(sqlx::FromRow)]
struct KeyRow {
    backend_id: String,
    id: String,
    label: Option<String>,
    key_hash: String,
    prefix: String,
    allowed_ip_range: Option<String>,
    created_on: i64,
    created_by: String,
}

impl KeyRow {
    fn into_key(self) -> StoreResult<ManagementKey> {
        Ok(ManagementKey {
            id: Uuid::parse_str(&self.id).map_err(|_| corrupt("key id", &self.id))?,
            backend_id: Uuid::parse_str(&self.backend_id)
                .map_err(|_| corrupt("backend id", &self.backend_id))?,
            label: self.label,
            key_hash: self.key_hash,
            prefix: self.prefix,
            allowed_ip_range: self.allowed_ip_range,
            created_on: Timestamp::from_millis(self.created_on),
            created_by: self.created_by,
        })
    }
}

const KEY_COLUMNS: &str =
    "backend_id, id, label, key_hash, prefix, allowed_ip_range, created_on, created_by";

#[async_trait]
impl ManagementKeyRepo for SqliteStore {
    async fn insert_management_key(&self, key: &ManagementKey) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO management_keys
               (backend_id, id, label, key_hash, prefix, allowed_ip_range, created_on, created_by)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(key.backend_id.to_string())
        .bind(key.id.to_string())
        .bind(&key.label)
        .bind(&key.key_hash)
        .bind(&key.prefix)
        .bind(&key.allowed_ip_range)
        .bind(key.created_on.as_millis())
        .bind(&key.created_by)
        .execute(&mut *self.writer.connection().await?)
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn management_keys(&self, backend_id: Uuid) -> StoreResult<Vec<ManagementKey>> {
        let sql = format!(
            "SELECT {KEY_COLUMNS} FROM management_keys WHERE backend_id = $1 ORDER BY created_on, id"
        );
        sqlx::query_as::<_, KeyRow>(sqlx::AssertSqlSafe(sql))
            .bind(backend_id.to_string())
            .fetch_all(&self.reader)
            .await
            .map_err(store_error)?
            .into_iter()
            .map(KeyRow::into_key)
            .collect()
    }

    async fn delete_management_key(&self, backend_id: Uuid, key_id: Uuid) -> StoreResult<()> {
        let result = sqlx::query("DELETE FROM management_keys WHERE backend_id = $1 AND id = $2")
            .bind(backend_id.to_string())
            .bind(key_id.to_string())
            .execute(&mut *self.writer.connection().await?)
            .await
            .map_err(store_error)?;
        if result.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn management_key_by_hash(
        &self,
        backend_id: Uuid,
        key_hash: &str,
    ) -> StoreResult<Option<ManagementKey>> {
        let sql = format!(
            "SELECT {KEY_COLUMNS} FROM management_keys WHERE backend_id = $1 AND key_hash = $2"
        );
        sqlx::query_as::<_, KeyRow>(sqlx::AssertSqlSafe(sql))
            .bind(backend_id.to_string())
            .bind(key_hash)
            .fetch_optional(&self.reader)
            .await
            .map_err(store_error)?
            .map(KeyRow::into_key)
            .transpose()
    }
}
