//! App users of a backend: unique usernames per backend (case-sensitive), properties as `jsonb`.

use async_trait::async_trait;
use berth_core::appdata::User;
use berth_core::monaql::SystemProperty;
use berth_core::page::Page;
use berth_core::store::{StoreResult, UserQuery, UserRepo};
use berth_core::{StoreError, Timestamp};
use serde_json::{Map, Value};
use sqlx::types::Json;
use sqlx::{Postgres, QueryBuilder};
use uuid::Uuid;

use crate::PgStore;
use crate::error::store_error;
use crate::json::document_text;
use crate::monaql::{ColumnMap, ColumnType, push_criteria};
use crate::nul::{check, has_nul};
use crate::paging::{escape_like, push_order_and_page, split_page};

/// How MonaQL over users reaches the columns.
pub(crate) const USER_COLUMNS: ColumnMap = ColumnMap {
    data_column: "properties",
    system: |property| match property {
        SystemProperty::Id => Some(("id", ColumnType::Text)),
        SystemProperty::Username => Some(("username", ColumnType::Text)),
        SystemProperty::CreatedAt => Some(("created_at", ColumnType::Integer)),
        SystemProperty::UpdatedAt => Some(("updated_at", ColumnType::Integer)),
        SystemProperty::OwnerUserOid | SystemProperty::OwnerDeviceOid => None,
    },
};

#[derive(sqlx::FromRow)]
struct UserRow {
    backend_id: Uuid,
    id: String,
    username: String,
    password_hash: String,
    properties: Json<Map<String, Value>>,
    created_at: i64,
    updated_at: i64,
}

const USER_SELECT: &str =
    "SELECT backend_id, id, username, password_hash, properties, created_at, updated_at FROM users";

impl UserRow {
    fn into_user(self) -> User {
        User {
            backend_id: self.backend_id,
            id: self.id,
            username: self.username,
            password_hash: self.password_hash,
            properties: self.properties.0,
            created_at: Timestamp::from_millis(self.created_at),
            updated_at: Timestamp::from_millis(self.updated_at),
        }
    }
}

#[async_trait]
impl UserRepo for PgStore {
    async fn insert_user(&self, user: &User) -> StoreResult<()> {
        check(&user.id, "a user id")?;
        check(&user.username, "a username")?;
        sqlx::query(
            "INSERT INTO users (backend_id, id, username, password_hash, properties, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7)",
        )
        .bind(user.backend_id)
        .bind(&user.id)
        .bind(&user.username)
        .bind(&user.password_hash)
        .bind(document_text(&user.properties, "user properties")?)
        .bind(user.created_at.as_millis())
        .bind(user.updated_at.as_millis())
        .execute(&self.pool)
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn user(&self, backend_id: Uuid, id: &str) -> StoreResult<Option<User>> {
        if has_nul(id) {
            return Ok(None);
        }
        Ok(sqlx::query_as::<_, UserRow>(sqlx::AssertSqlSafe(format!(
            "{USER_SELECT} WHERE backend_id = $1 AND id = $2"
        )))
        .bind(backend_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(store_error)?
        .map(UserRow::into_user))
    }

    async fn user_by_username(
        &self,
        backend_id: Uuid,
        username: &str,
    ) -> StoreResult<Option<User>> {
        if has_nul(username) {
            return Ok(None);
        }
        Ok(sqlx::query_as::<_, UserRow>(sqlx::AssertSqlSafe(format!(
            "{USER_SELECT} WHERE backend_id = $1 AND username = $2"
        )))
        .bind(backend_id)
        .bind(username)
        .fetch_optional(&self.pool)
        .await
        .map_err(store_error)?
        .map(UserRow::into_user))
    }

    async fn update_user(&self, user: &User) -> StoreResult<()> {
        if has_nul(&user.id) {
            return Err(StoreError::NotFound);
        }
        check(&user.username, "a username")?;
        let result = sqlx::query(
            "UPDATE users SET username = $1, password_hash = $2, properties = $3::jsonb, updated_at = $4
             WHERE backend_id = $5 AND id = $6",
        )
        .bind(&user.username)
        .bind(&user.password_hash)
        .bind(document_text(&user.properties, "user properties")?)
        .bind(user.updated_at.as_millis())
        .bind(user.backend_id)
        .bind(&user.id)
        .execute(&self.pool)
        .await
        .map_err(store_error)?;
        if result.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn delete_users(&self, backend_id: Uuid, ids: &[String]) -> StoreResult<()> {
        if ids.iter().any(|id| has_nul(id)) {
            return Err(StoreError::NotFound);
        }
        let mut unique: Vec<String> = ids.to_vec();
        unique.sort();
        unique.dedup();
        let count = unique.len() as u64;
        let mut tx = self.pool.begin().await.map_err(store_error)?;
        let deleted = sqlx::query("DELETE FROM users WHERE backend_id = $1 AND id = ANY($2)")
            .bind(backend_id)
            .bind(unique)
            .execute(&mut *tx)
            .await
            .map_err(store_error)?
            .rows_affected();
        if deleted != count {
            tx.rollback().await.map_err(store_error)?;
            return Err(StoreError::NotFound);
        }
        tx.commit().await.map_err(store_error)?;
        Ok(())
    }

    async fn list_users(&self, backend_id: Uuid, query: &UserQuery) -> StoreResult<Page<User>> {
        let push_filters = |builder: &mut QueryBuilder<Postgres>| {
            builder.push(" WHERE backend_id = ");
            builder.push_bind(backend_id);
            builder.push(" AND ");
            push_criteria(builder, &query.criteria, &USER_COLUMNS);
            match query.name_filter.as_deref() {
                None => {}
                // No username or id holds U+0000.
                Some(filter) if has_nul(filter) => {
                    builder.push(" AND FALSE");
                }
                Some(filter) => {
                    // lower() under the columns' "C" collation folds ASCII only, like SQLite's.
                    let pattern = format!("%{}%", escape_like(&filter.to_lowercase()));
                    builder.push(" AND (lower(username) LIKE ");
                    builder.push_bind(pattern.clone());
                    builder.push(" ESCAPE '\\' OR lower(id) LIKE ");
                    builder.push_bind(pattern);
                    builder.push(" ESCAPE '\\')");
                }
            }
        };
        let mut select = QueryBuilder::<Postgres>::new(USER_SELECT);
        push_filters(&mut select);
        push_order_and_page(&mut select, &query.sort, &USER_COLUMNS, &query.page);
        let rows = select
            .build_query_as::<UserRow>()
            .fetch_all(&self.pool)
            .await
            .map_err(store_error)?;
        let (rows, has_more) = split_page(rows, &query.page);
        let total = if query.page.with_total {
            let mut count = QueryBuilder::<Postgres>::new("SELECT COUNT(*) FROM users");
            push_filters(&mut count);
            let total: i64 = count
                .build_query_scalar()
                .fetch_one(&self.pool)
                .await
                .map_err(store_error)?;
            Some(u64::try_from(total).unwrap_or(0))
        } else {
            None
        };
        Ok(Page {
            items: rows.into_iter().map(UserRow::into_user).collect(),
            has_more,
            total,
        })
    }
}
