use async_trait::async_trait;
use berth_core::appdata::User;
use berth_core::monaql::SystemProperty;
use berth_core::page::Page;
use berth_core::store::{StoreResult, UserQuery, UserRepo};
use berth_core::{StoreError, Timestamp};
use serde_json::{Map, Value};
use sqlx::Connection as _;
use sqlx::{QueryBuilder, Sqlite};
use uuid::Uuid;

use crate::SqliteStore;
use crate::error::{corrupt, store_error};
use crate::monaql::{ColumnMap, ColumnType, push_criteria};
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
    backend_id: String,
    id: String,
    username: String,
    password_hash: String,
    properties: String,
    created_at: i64,
    updated_at: i64,
}

const USER_SELECT: &str =
    "SELECT backend_id, id, username, password_hash, properties, created_at, updated_at FROM users";

impl UserRow {
    fn into_user(self) -> StoreResult<User> {
        Ok(User {
            backend_id: Uuid::parse_str(&self.backend_id)
                .map_err(|_| corrupt("backend id", &self.backend_id))?,
            properties: parse_object(&self.properties)?,
            id: self.id,
            username: self.username,
            password_hash: self.password_hash,
            created_at: Timestamp::from_millis(self.created_at),
            updated_at: Timestamp::from_millis(self.updated_at),
        })
    }
}

pub(crate) fn parse_object(text: &str) -> StoreResult<Map<String, Value>> {
    match serde_json::from_str(text) {
        Ok(Value::Object(object)) => Ok(object),
        _ => Err(corrupt("JSON object", text)),
    }
}

#[async_trait]
impl UserRepo for SqliteStore {
    async fn insert_user(&self, user: &User) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO users (backend_id, id, username, password_hash, properties, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(user.backend_id.to_string())
        .bind(&user.id)
        .bind(&user.username)
        .bind(&user.password_hash)
        .bind(Value::Object(user.properties.clone()).to_string())
        .bind(user.created_at.as_millis())
        .bind(user.updated_at.as_millis())
        .execute(&mut *self.writer.connection().await?)
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn user(&self, backend_id: Uuid, id: &str) -> StoreResult<Option<User>> {
        sqlx::query_as::<_, UserRow>(sqlx::AssertSqlSafe(format!(
            "{USER_SELECT} WHERE backend_id = $1 AND id = $2"
        )))
        .bind(backend_id.to_string())
        .bind(id)
        .fetch_optional(&self.reader)
        .await
        .map_err(store_error)?
        .map(UserRow::into_user)
        .transpose()
    }

    async fn user_by_username(
        &self,
        backend_id: Uuid,
        username: &str,
    ) -> StoreResult<Option<User>> {
        sqlx::query_as::<_, UserRow>(sqlx::AssertSqlSafe(format!(
            "{USER_SELECT} WHERE backend_id = $1 AND username = $2"
        )))
        .bind(backend_id.to_string())
        .bind(username)
        .fetch_optional(&self.reader)
        .await
        .map_err(store_error)?
        .map(UserRow::into_user)
        .transpose()
    }

    async fn update_user(&self, user: &User) -> StoreResult<()> {
        let result = sqlx::query(
            "UPDATE users SET username = $1, password_hash = $2, properties = $3, updated_at = $4
             WHERE backend_id = $5 AND id = $6",
        )
        .bind(&user.username)
        .bind(&user.password_hash)
        .bind(Value::Object(user.properties.clone()).to_string())
        .bind(user.updated_at.as_millis())
        .bind(user.backend_id.to_string())
        .bind(&user.id)
        .execute(&mut *self.writer.connection().await?)
        .await
        .map_err(store_error)?;
        if result.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn delete_users(&self, backend_id: Uuid, ids: &[String]) -> StoreResult<()> {
        let mut unique: Vec<&String> = ids.iter().collect();
        unique.sort();
        unique.dedup();
        let mut writer = self.writer.connection().await?;
        let mut tx = writer
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(store_error)?;
        let mut delete = QueryBuilder::<Sqlite>::new("DELETE FROM users WHERE backend_id = ");
        delete.push_bind(backend_id.to_string());
        delete.push(" AND id IN (");
        let mut list = delete.separated(", ");
        for id in &unique {
            list.push_bind((*id).clone());
        }
        delete.push(")");
        let deleted = delete
            .build()
            .execute(&mut *tx)
            .await
            .map_err(store_error)?
            .rows_affected();
        if deleted != unique.len() as u64 {
            tx.rollback().await.map_err(store_error)?;
            return Err(StoreError::NotFound);
        }
        tx.commit().await.map_err(store_error)?;
        Ok(())
    }

    async fn list_users(&self, backend_id: Uuid, query: &UserQuery) -> StoreResult<Page<User>> {
        let push_filters = |builder: &mut QueryBuilder<Sqlite>| {
            builder.push(" WHERE backend_id = ");
            builder.push_bind(backend_id.to_string());
            builder.push(" AND ");
            push_criteria(builder, &query.criteria, &USER_COLUMNS);
            if let Some(filter) = &query.name_filter {
                let pattern = format!("%{}%", escape_like(&filter.to_lowercase()));
                builder.push(" AND (lower(username) LIKE ");
                builder.push_bind(pattern.clone());
                builder.push(" ESCAPE '\\' OR lower(id) LIKE ");
                builder.push_bind(pattern);
                builder.push(" ESCAPE '\\')");
            }
        };
        let mut select = QueryBuilder::<Sqlite>::new(USER_SELECT);
        push_filters(&mut select);
        push_order_and_page(&mut select, &query.sort, &USER_COLUMNS, &query.page);
        let rows = select
            .build_query_as::<UserRow>()
            .fetch_all(&self.reader)
            .await
            .map_err(store_error)?;
        let (rows, has_more) = split_page(rows, &query.page);
        let total = if query.page.with_total {
            let mut count = QueryBuilder::<Sqlite>::new("SELECT COUNT(*) FROM users");
            push_filters(&mut count);
            let total: i64 = count
                .build_query_scalar()
                .fetch_one(&self.reader)
                .await
                .map_err(store_error)?;
            Some(total as u64)
        } else {
            None
        };
        Ok(Page {
            items: rows
                .into_iter()
                .map(UserRow::into_user)
                .collect::<StoreResult<_>>()?,
            has_more,
            total,
        })
    }
}
