use async_trait::async_trait;
use berth_core::backend::{
    Backend, BackendCredentials, BackendQuery, BackendSortKey, FlagFilter, RoleAccess,
};
use berth_core::page::{Page, SortDirection};
use berth_core::store::{BackendRepo, StoreResult};
use berth_core::{StoreError, Timestamp};
use sqlx::Connection as _;
use sqlx::{QueryBuilder, Sqlite};
use uuid::Uuid;

use crate::SqliteStore;
use crate::collections::drop_items_table;
use crate::error::{corrupt, store_error};
use crate::paging::escape_like;

#[derive(sqlx::FromRow)]
struct BackendRow {
    id: String,
    name: String,
    version: String,
    description: Option<String>,
    title: Option<String>,
    action_comment: Option<String>,
    oauth_enabled: bool,
    basic_auth_enabled: bool,
    inactive: bool,
    role_access_enabled: bool,
    role_access_roles: String,
    analytics_app_guid: Option<String>,
    published: bool,
    in_trash: bool,
    revision: i64,
    created_on: i64,
    created_by: String,
    modified_on: i64,
    modified_by: String,
    deleted_on: Option<i64>,
    deleted_by: Option<String>,
    client_id: String,
    client_secret: String,
    basic_auth_backend_id: String,
    anonymous_key: String,
    app_api_key_hash: String,
}

const BACKEND_COLUMNS: &str = "id, name, version, description, title, action_comment, oauth_enabled,
    basic_auth_enabled, inactive, role_access_enabled, role_access_roles, analytics_app_guid, published,
    in_trash, revision, created_on, created_by, modified_on, modified_by, deleted_on, deleted_by,
    client_id, client_secret, basic_auth_backend_id, anonymous_key, app_api_key_hash";

impl BackendRow {
    fn into_backend(self) -> StoreResult<Backend> {
        let roles: Vec<String> = serde_json::from_str(&self.role_access_roles)
            .map_err(|_| corrupt("role list", &self.role_access_roles))?;
        Ok(Backend {
            id: Uuid::parse_str(&self.id).map_err(|_| corrupt("backend id", &self.id))?,
            name: self.name,
            version: self.version,
            description: self.description,
            title: self.title,
            action_comment: self.action_comment,
            oauth_enabled: self.oauth_enabled,
            basic_auth_enabled: self.basic_auth_enabled,
            inactive: self.inactive,
            role_access: RoleAccess {
                enabled: self.role_access_enabled,
                roles,
            },
            analytics_app_guid: self.analytics_app_guid,
            published: self.published,
            in_trash: self.in_trash,
            revision: self.revision,
            created_on: Timestamp::from_millis(self.created_on),
            created_by: self.created_by,
            modified_on: Timestamp::from_millis(self.modified_on),
            modified_by: self.modified_by,
            deleted_on: self.deleted_on.map(Timestamp::from_millis),
            deleted_by: self.deleted_by,
            credentials: BackendCredentials {
                client_id: self.client_id,
                client_secret: self.client_secret,
                basic_auth_backend_id: Uuid::parse_str(&self.basic_auth_backend_id)
                    .map_err(|_| corrupt("basic auth backend id", &self.basic_auth_backend_id))?,
                anonymous_key: self.anonymous_key,
                app_api_key_hash: self.app_api_key_hash,
            },
        })
    }
}

fn roles_json(backend: &Backend) -> String {
    serde_json::Value::from(backend.role_access.roles.clone()).to_string()
}

#[async_trait]
impl BackendRepo for SqliteStore {
    async fn insert_backend(&self, b: &Backend) -> StoreResult<()> {
        let sql = format!(
            "INSERT INTO backends ({BACKEND_COLUMNS}) VALUES
             ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20,
              $21, $22, $23, $24, $25, $26)"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(b.id.to_string())
            .bind(&b.name)
            .bind(&b.version)
            .bind(&b.description)
            .bind(&b.title)
            .bind(&b.action_comment)
            .bind(b.oauth_enabled)
            .bind(b.basic_auth_enabled)
            .bind(b.inactive)
            .bind(b.role_access.enabled)
            .bind(roles_json(b))
            .bind(&b.analytics_app_guid)
            .bind(b.published)
            .bind(b.in_trash)
            .bind(b.revision)
            .bind(b.created_on.as_millis())
            .bind(&b.created_by)
            .bind(b.modified_on.as_millis())
            .bind(&b.modified_by)
            .bind(b.deleted_on.map(Timestamp::as_millis))
            .bind(&b.deleted_by)
            .bind(&b.credentials.client_id)
            .bind(&b.credentials.client_secret)
            .bind(b.credentials.basic_auth_backend_id.to_string())
            .bind(&b.credentials.anonymous_key)
            .bind(&b.credentials.app_api_key_hash)
            .execute(&mut *self.writer.connection().await?)
            .await
            .map_err(store_error)?;
        Ok(())
    }

    async fn backend(&self, id: Uuid) -> StoreResult<Option<Backend>> {
        let sql = format!("SELECT {BACKEND_COLUMNS} FROM backends WHERE id = $1");
        sqlx::query_as::<_, BackendRow>(sqlx::AssertSqlSafe(sql))
            .bind(id.to_string())
            .fetch_optional(&self.reader)
            .await
            .map_err(store_error)?
            .map(BackendRow::into_backend)
            .transpose()
    }

    async fn backend_by_client_id(&self, client_id: &str) -> StoreResult<Option<Backend>> {
        let sql = format!("SELECT {BACKEND_COLUMNS} FROM backends WHERE client_id = $1");
        sqlx::query_as::<_, BackendRow>(sqlx::AssertSqlSafe(sql))
            .bind(client_id)
            .fetch_optional(&self.reader)
            .await
            .map_err(store_error)?
            .map(BackendRow::into_backend)
            .transpose()
    }

    async fn backend_by_basic_auth_id(
        &self,
        basic_auth_backend_id: Uuid,
    ) -> StoreResult<Option<Backend>> {
        let sql =
            format!("SELECT {BACKEND_COLUMNS} FROM backends WHERE basic_auth_backend_id = $1");
        sqlx::query_as::<_, BackendRow>(sqlx::AssertSqlSafe(sql))
            .bind(basic_auth_backend_id.to_string())
            .fetch_optional(&self.reader)
            .await
            .map_err(store_error)?
            .map(BackendRow::into_backend)
            .transpose()
    }

    async fn list_backends(&self, query: &BackendQuery) -> StoreResult<Page<Backend>> {
        let mut select =
            QueryBuilder::<Sqlite>::new(format!("SELECT {BACKEND_COLUMNS} FROM backends"));
        push_filters(&mut select, query);
        select.push(" ORDER BY ");
        for (key, direction) in &query.order_by {
            select.push(match key {
                BackendSortKey::Name => "lower(name)",
                BackendSortKey::Version => "version",
                BackendSortKey::CreatedOn => "created_on",
                BackendSortKey::ModifiedOn => "modified_on",
            });
            select.push(match direction {
                SortDirection::Ascending => " ASC, ",
                SortDirection::Descending => " DESC, ",
            });
        }
        // One row beyond the page tells whether there is a next page without counting.
        select.push("id ASC");
        crate::paging::push_page(&mut select, query.page.limit, query.page.offset);
        let mut rows = select
            .build_query_as::<BackendRow>()
            .fetch_all(&self.reader)
            .await
            .map_err(store_error)?;
        let has_more = rows.len() > query.page.limit as usize;
        rows.truncate(query.page.limit as usize);

        let total = if query.page.with_total {
            let mut count = QueryBuilder::<Sqlite>::new("SELECT COUNT(*) FROM backends");
            push_filters(&mut count, query);
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
                .map(BackendRow::into_backend)
                .collect::<StoreResult<_>>()?,
            has_more,
            total,
        })
    }

    async fn replace_backend(&self, b: &Backend, expected_revision: i64) -> StoreResult<()> {
        let result = sqlx::query(
            "UPDATE backends SET name = $1, version = $2, description = $3, title = $4,
               action_comment = $5, oauth_enabled = $6, basic_auth_enabled = $7, inactive = $8,
               role_access_enabled = $9, role_access_roles = $10, analytics_app_guid = $11,
               published = $12, in_trash = $13, revision = $14, modified_on = $15, modified_by = $16,
               deleted_on = $17, deleted_by = $18, client_id = $19, client_secret = $20,
               basic_auth_backend_id = $21, anonymous_key = $22, app_api_key_hash = $23
             WHERE id = $24 AND revision = $25",
        )
        .bind(&b.name)
        .bind(&b.version)
        .bind(&b.description)
        .bind(&b.title)
        .bind(&b.action_comment)
        .bind(b.oauth_enabled)
        .bind(b.basic_auth_enabled)
        .bind(b.inactive)
        .bind(b.role_access.enabled)
        .bind(roles_json(b))
        .bind(&b.analytics_app_guid)
        .bind(b.published)
        .bind(b.in_trash)
        .bind(b.revision)
        .bind(b.modified_on.as_millis())
        .bind(&b.modified_by)
        .bind(b.deleted_on.map(Timestamp::as_millis))
        .bind(&b.deleted_by)
        .bind(&b.credentials.client_id)
        .bind(&b.credentials.client_secret)
        .bind(b.credentials.basic_auth_backend_id.to_string())
        .bind(&b.credentials.anonymous_key)
        .bind(&b.credentials.app_api_key_hash)
        .bind(b.id.to_string())
        .bind(expected_revision)
        .execute(&mut *self.writer.connection().await?)
        .await
        .map_err(store_error)?;
        if result.rows_affected() == 1 {
            return Ok(());
        }
        Err(self.missing_or_changed(b.id).await)
    }

    async fn delete_backend(&self, id: Uuid, expected_revision: i64) -> StoreResult<()> {
        let mut writer = self.writer.connection().await?;
        let mut tx = writer
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(store_error)?;
        // Confirm the revision first (a no-op write, so the lock is ours), then drop the item tables
        // of the backend's collections; its rows go with it through ON DELETE CASCADE.
        let current =
            sqlx::query("UPDATE backends SET revision = revision WHERE id = $1 AND revision = $2")
                .bind(id.to_string())
                .bind(expected_revision)
                .execute(&mut *tx)
                .await
                .map_err(store_error)?;
        if current.rows_affected() == 0 {
            tx.rollback().await.map_err(store_error)?;
            return Err(self.missing_or_changed(id).await);
        }
        let collection_ids: Vec<String> =
            sqlx::query_scalar("SELECT id FROM collections WHERE backend_id = $1")
                .bind(id.to_string())
                .fetch_all(&mut *tx)
                .await
                .map_err(store_error)?;
        for collection_id in collection_ids {
            let collection_id = Uuid::parse_str(&collection_id)
                .map_err(|_| corrupt("collection id", &collection_id))?;
            drop_items_table(&mut tx, collection_id).await?;
        }
        sqlx::query("DELETE FROM backends WHERE id = $1")
            .bind(id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(store_error)?;
        tx.commit().await.map_err(store_error)?;
        Ok(())
    }
}

impl SqliteStore {
    /// Why a conditional write touched no row.
    async fn missing_or_changed(&self, id: Uuid) -> StoreError {
        let exists = sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM backends WHERE id = $1")
            .bind(id.to_string())
            .fetch_one(&self.reader)
            .await;
        match exists {
            Ok(0) => StoreError::NotFound,
            Ok(_) => StoreError::VersionConflict,
            Err(error) => store_error(error),
        }
    }
}

fn push_filters(builder: &mut QueryBuilder<Sqlite>, query: &BackendQuery) {
    builder.push(" WHERE 1 = 1");
    if !query.ids.is_empty() {
        builder.push(" AND id IN (");
        let mut list = builder.separated(", ");
        for id in &query.ids {
            list.push_bind(id.to_string());
        }
        builder.push(")");
    }
    if !query.exclude.is_empty() {
        builder.push(" AND id NOT IN (");
        let mut list = builder.separated(", ");
        for id in &query.exclude {
            list.push_bind(id.to_string());
        }
        builder.push(")");
    }
    push_flag(builder, "in_trash", query.trash);
    push_flag(builder, "published", query.published);
    push_flag(builder, "inactive", query.inactive);
    if let Some(since) = query.changed_since {
        builder.push(" AND coalesce(deleted_on, modified_on) >= ");
        builder.push_bind(since.as_millis());
    }
    if let Some(fragment) = &query.name_contains {
        builder.push(" AND lower(name) LIKE ");
        builder.push_bind(format!("%{}%", escape_like(&fragment.to_lowercase())));
        builder.push(" ESCAPE '\\'");
    }
}

fn push_flag(builder: &mut QueryBuilder<Sqlite>, column: &'static str, filter: FlagFilter) {
    match filter {
        FlagFilter::Either => {}
        FlagFilter::Only => {
            builder.push(format!(" AND {column} = 1"));
        }
        FlagFilter::Without => {
            builder.push(format!(" AND {column} = 0"));
        }
    }
}
