use async_trait::async_trait;
use berth_core::StoreError;
use berth_core::Timestamp;
use berth_core::store::{RoleRepo, StoreResult};
use sqlx::Connection as _;
use uuid::Uuid;

use crate::SqliteStore;
use crate::error::store_error;

#[async_trait]
impl RoleRepo for SqliteStore {
    async fn insert_role(
        &self,
        backend_id: Uuid,
        name: &str,
        created_on: Timestamp,
    ) -> StoreResult<()> {
        sqlx::query("INSERT INTO roles (backend_id, name, created_on) VALUES ($1, $2, $3)")
            .bind(backend_id.to_string())
            .bind(name)
            .bind(created_on.as_millis())
            .execute(&mut *self.writer.connection().await?)
            .await
            .map_err(store_error)?;
        Ok(())
    }

    async fn roles(&self, backend_id: Uuid) -> StoreResult<Vec<String>> {
        sqlx::query_scalar("SELECT name FROM roles WHERE backend_id = $1 ORDER BY name")
            .bind(backend_id.to_string())
            .fetch_all(&self.reader)
            .await
            .map_err(store_error)
    }

    async fn delete_role(&self, backend_id: Uuid, name: &str) -> StoreResult<()> {
        let result = sqlx::query("DELETE FROM roles WHERE backend_id = $1 AND name = $2")
            .bind(backend_id.to_string())
            .bind(name)
            .execute(&mut *self.writer.connection().await?)
            .await
            .map_err(store_error)?;
        if result.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn user_roles(&self, backend_id: Uuid, user_id: &str) -> StoreResult<Vec<String>> {
        sqlx::query_scalar(
            "SELECT role FROM user_roles WHERE backend_id = $1 AND user_id = $2 ORDER BY role",
        )
        .bind(backend_id.to_string())
        .bind(user_id)
        .fetch_all(&self.reader)
        .await
        .map_err(store_error)
    }

    async fn set_user_roles(
        &self,
        backend_id: Uuid,
        user_id: &str,
        roles: &[String],
    ) -> StoreResult<()> {
        let mut writer = self.writer.connection().await?;
        let mut tx = writer
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(store_error)?;
        let user_exists: Option<i64> =
            sqlx::query_scalar("SELECT 1 FROM users WHERE backend_id = $1 AND id = $2")
                .bind(backend_id.to_string())
                .bind(user_id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(store_error)?;
        if user_exists.is_none() {
            return Err(StoreError::NotFound);
        }
        sqlx::query("DELETE FROM user_roles WHERE backend_id = $1 AND user_id = $2")
            .bind(backend_id.to_string())
            .bind(user_id)
            .execute(&mut *tx)
            .await
            .map_err(store_error)?;
        for role in roles {
            // A role that does not exist breaks the foreign key: NotFound, and the rollback on drop
            // keeps the old memberships.
            sqlx::query(
                "INSERT INTO user_roles (backend_id, user_id, role) VALUES ($1, $2, $3)
                 ON CONFLICT DO NOTHING",
            )
            .bind(backend_id.to_string())
            .bind(user_id)
            .bind(role)
            .execute(&mut *tx)
            .await
            .map_err(store_error)?;
        }
        tx.commit().await.map_err(store_error)?;
        Ok(())
    }
}
