use async_trait::async_trait;
use berth_core::backend::{
    Backend, BackendCredentials, BackendQuery, BackendSortKey, FlagFilter, RoleAccess,
};
use berth_core::page::{Page, SortDirection};
use berth_core::store::{BackendRepo, StoreResult};
use berth_core::{StoreError, Timestamp};
use sqlx::types::Json;
use sqlx::{Postgres, QueryBuilder};
use uuid::Uuid;

use crate::PgStore;
use crate::collections::drop_items_table;
use crate::error::store_error;
use crate::nul::has_nul;
use crate::paging::escape_like;

#[derive(sqlx::FromRow)]
struct BackendRow {
    id: Uuid,
    name: String,
    version: String,
    description: Option<String>,
    title: Option<String>,
    action_comment: Option<String>,
    oauth_enabled: bool,
    basic_auth_enabled: bool,
    inactive: bool,
    role_access_enabled: bool,
    role_access_roles: Json<Vec<String>>,
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
    basic_auth_backend_id: Uuid,
    anonymous_key: String,
    app_api_key_hash: String,
}

const BACKEND_COLUMNS: &str = "id, name, version, description, title, action_comment, oauth_enabled,
    basic_auth_enabled, inactive, role_access_enabled, role_access_roles, analytics_app_guid, published,
    in_trash, revision, created_on, created_by, modified_on, modified_by, deleted_on, deleted_by,
    client_id, client_secret, basic_auth_backend_id, anonymous_key, app_api_key_hash";

impl BackendRow {
    fn into_backend(self) -> Backend {
        Backend {
            id: self.id,
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
                roles: self.role_access_roles.0,
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
                basic_auth_backend_id: self.basic_auth_backend_id,
                anonymous_key: self.anonymous_key,
                app_api_key_hash: self.app_api_key_hash,
            },
        }
    }
}

#[async_trait]
impl BackendRepo for PgStore {
    async fn insert_backend(&self, b: &Backend) -> StoreResult<()> {
        let sql = format!(
            "INSERT INTO backends ({BACKEND_COLUMNS}) VALUES
             ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20,
              $21, $22, $23, $24, $25, $26)"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(b.id)
            .bind(&b.name)
            .bind(&b.version)
            .bind(&b.description)
            .bind(&b.title)
            .bind(&b.action_comment)
            .bind(b.oauth_enabled)
            .bind(b.basic_auth_enabled)
            .bind(b.inactive)
            .bind(b.role_access.enabled)
            .bind(Json(&b.role_access.roles))
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
            .bind(b.credentials.basic_auth_backend_id)
            .bind(&b.credentials.anonymous_key)
            .bind(&b.credentials.app_api_key_hash)
            .execute(&self.pool)
            .await
            .map_err(store_error)?;
        Ok(())
    }

    async fn backend(&self, id: Uuid) -> StoreResult<Option<Backend>> {
        let sql = format!("SELECT {BACKEND_COLUMNS} FROM backends WHERE id = $1");
        Ok(sqlx::query_as::<_, BackendRow>(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(store_error)?
            .map(BackendRow::into_backend))
    }

    async fn backend_by_client_id(&self, client_id: &str) -> StoreResult<Option<Backend>> {
        if has_nul(client_id) {
            return Ok(None);
        }
        let sql = format!("SELECT {BACKEND_COLUMNS} FROM backends WHERE client_id = $1");
        Ok(sqlx::query_as::<_, BackendRow>(sqlx::AssertSqlSafe(sql))
            .bind(client_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(store_error)?
            .map(BackendRow::into_backend))
    }

    async fn backend_by_basic_auth_id(
        &self,
        basic_auth_backend_id: Uuid,
    ) -> StoreResult<Option<Backend>> {
        let sql =
            format!("SELECT {BACKEND_COLUMNS} FROM backends WHERE basic_auth_backend_id = $1");
        Ok(sqlx::query_as::<_, BackendRow>(sqlx::AssertSqlSafe(sql))
            .bind(basic_auth_backend_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(store_error)?
            .map(BackendRow::into_backend))
    }

    async fn list_backends(&self, query: &BackendQuery) -> StoreResult<Page<Backend>> {
        let mut select =
            QueryBuilder::<Postgres>::new(format!("SELECT {BACKEND_COLUMNS} FROM backends"));
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
        select.push("id ASC LIMIT ");
        select.push_bind(i64::from(query.page.limit) + 1);
        select.push(" OFFSET ");
        select.push_bind(i64::try_from(query.page.offset).unwrap_or(i64::MAX));
        let mut rows = select
            .build_query_as::<BackendRow>()
            .fetch_all(&self.pool)
            .await
            .map_err(store_error)?;
        let has_more = rows.len() > query.page.limit as usize;
        rows.truncate(query.page.limit as usize);

        let total = if query.page.with_total {
            let mut count = QueryBuilder::<Postgres>::new("SELECT COUNT(*) FROM backends");
            push_filters(&mut count, query);
            let total: i64 = count
                .build_query_scalar()
                .fetch_one(&self.pool)
                .await
                .map_err(store_error)?;
            Some(total as u64)
        } else {
            None
        };
        Ok(Page {
            items: rows.into_iter().map(BackendRow::into_backend).collect(),
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
        .bind(Json(&b.role_access.roles))
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
        .bind(b.credentials.basic_auth_backend_id)
        .bind(&b.credentials.anonymous_key)
        .bind(&b.credentials.app_api_key_hash)
        .bind(b.id)
        .bind(expected_revision)
        .execute(&self.pool)
        .await
        .map_err(store_error)?;
        if result.rows_affected() == 1 {
            return Ok(());
        }
        Err(self.missing_or_changed(b.id).await)
    }

    async fn delete_backend(&self, id: Uuid, expected_revision: i64) -> StoreResult<()> {
        let mut tx = self.pool.begin().await.map_err(store_error)?;
        // Lock the row at the expected revision first: a collection being created meanwhile either
        // commits before (its table is found below) or fails its foreign key check after.
        let current: Option<Uuid> = sqlx::query_scalar(
            "SELECT id FROM backends WHERE id = $1 AND revision = $2 FOR UPDATE",
        )
        .bind(id)
        .bind(expected_revision)
        .fetch_optional(&mut *tx)
        .await
        .map_err(store_error)?;
        if current.is_none() {
            tx.rollback().await.map_err(store_error)?;
            return Err(self.missing_or_changed(id).await);
        }
        // Locking the collection rows before dropping their tables keeps the order every item write
        // takes (collection row, then table): a write in flight finishes first, a later one finds its
        // collection gone, and neither can deadlock with this.
        let collection_ids: Vec<Uuid> =
            sqlx::query_scalar("SELECT id FROM collections WHERE backend_id = $1 FOR UPDATE")
                .bind(id)
                .fetch_all(&mut *tx)
                .await
                .map_err(store_error)?;
        for collection_id in collection_ids {
            drop_items_table(&mut tx, collection_id).await?;
        }
        // Every other row of the backend goes with it through ON DELETE CASCADE.
        sqlx::query("DELETE FROM backends WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(store_error)?;
        tx.commit().await.map_err(store_error)?;
        Ok(())
    }
}

impl PgStore {
    /// Why a conditional write touched no row. (Should the row vanish between the write and this
    /// look, `NotFound` is the true answer anyway.)
    async fn missing_or_changed(&self, id: Uuid) -> StoreError {
        let exists =
            sqlx::query_scalar::<_, bool>("SELECT EXISTS (SELECT 1 FROM backends WHERE id = $1)")
                .bind(id)
                .fetch_one(&self.pool)
                .await;
        match exists {
            Ok(false) => StoreError::NotFound,
            Ok(true) => StoreError::VersionConflict,
            Err(error) => store_error(error),
        }
    }
}

fn push_filters(builder: &mut QueryBuilder<Postgres>, query: &BackendQuery) {
    builder.push(" WHERE TRUE");
    if !query.ids.is_empty() {
        builder.push(" AND id = ANY(");
        builder.push_bind(query.ids.clone());
        builder.push(")");
    }
    if !query.exclude.is_empty() {
        builder.push(" AND NOT (id = ANY(");
        builder.push_bind(query.exclude.clone());
        builder.push("))");
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

fn push_flag(builder: &mut QueryBuilder<Postgres>, column: &'static str, filter: FlagFilter) {
    match filter {
        FlagFilter::Either => {}
        FlagFilter::Only => {
            builder.push(format!(" AND {column}"));
        }
        FlagFilter::Without => {
            builder.push(format!(" AND NOT {column}"));
        }
    }
}
