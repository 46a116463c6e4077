//! Oracle storage: collections (tools assets), their association with backends, and objects.

use async_trait::async_trait;
use berth_core::backend::{BackendQuery, BackendSortKey, FlagFilter};
use berth_core::page::{Page, SortDirection};
use berth_core::storage::{
    CollectionLink, CollectionPermissions, ObjectKey, ObjectMeta, ObjectQuery, ObjectSortKey,
    StorageCollection,
};
use berth_core::store::{StorageCollectionRepo, StorageObjectRepo, StoreResult};
use berth_core::{StoreError, Timestamp};
use sqlx::Connection as _;
use sqlx::{QueryBuilder, Sqlite};
use uuid::Uuid;

use crate::SqliteStore;
use crate::error::{corrupt, store_error};
use crate::paging::{escape_like, split_page};

#[derive(sqlx::FromRow)]
struct CollectionRow {
    id: String,
    name: String,
    version: String,
    description: Option<String>,
    title: Option<String>,
    action_comment: Option<String>,
    user_isolated: bool,
    sync_control: bool,
    permissions: String,
    published: bool,
    in_trash: bool,
    revision: i64,
    created_on: i64,
    created_by: String,
    modified_on: i64,
    modified_by: String,
    deleted_on: Option<i64>,
    deleted_by: Option<String>,
}

const COLLECTION_COLUMNS: &str = "c.id, c.name, c.version, c.description, c.title, c.action_comment,
    c.user_isolated, c.sync_control, c.permissions, c.published, c.in_trash, c.revision, c.created_on,
    c.created_by, c.modified_on, c.modified_by, c.deleted_on, c.deleted_by";

impl CollectionRow {
    fn into_collection(self) -> StoreResult<StorageCollection> {
        let permissions: CollectionPermissions = serde_json::from_str(&self.permissions)
            .map_err(|_| corrupt("collection permissions", &self.permissions))?;
        Ok(StorageCollection {
            id: Uuid::parse_str(&self.id).map_err(|_| corrupt("collection id", &self.id))?,
            name: self.name,
            version: self.version,
            description: self.description,
            title: self.title,
            action_comment: self.action_comment,
            user_isolated: self.user_isolated,
            sync_control: self.sync_control,
            permissions,
            published: self.published,
            in_trash: self.in_trash,
            revision: self.revision,
            created_on: Timestamp::from_millis(self.created_on),
            created_by: self.created_by,
            modified_on: Timestamp::from_millis(self.modified_on),
            modified_by: self.modified_by,
            deleted_on: self.deleted_on.map(Timestamp::from_millis),
            deleted_by: self.deleted_by,
        })
    }
}

fn permissions_json(collection: &StorageCollection) -> String {
    serde_json::to_string(&collection.permissions).unwrap_or_else(|_| "{}".to_owned())
}

#[derive(sqlx::FromRow)]
struct ObjectRow {
    backend_id: String,
    collection_id: String,
    owner: String,
    id: String,
    name: String,
    content_type: String,
    content_length: i64,
    revision: i64,
    created_on: i64,
    created_by: String,
    modified_on: i64,
    modified_by: String,
    blob_id: String,
}

const OBJECT_COLUMNS: &str = "backend_id, collection_id, owner, id, name, content_type,
    content_length, revision, created_on, created_by, modified_on, modified_by, blob_id";

impl ObjectRow {
    fn into_meta(self) -> StoreResult<ObjectMeta> {
        Ok(ObjectMeta {
            key: ObjectKey {
                backend_id: Uuid::parse_str(&self.backend_id)
                    .map_err(|_| corrupt("backend id", &self.backend_id))?,
                collection_id: Uuid::parse_str(&self.collection_id)
                    .map_err(|_| corrupt("collection id", &self.collection_id))?,
                owner: self.owner,
                id: self.id,
            },
            name: self.name,
            content_type: self.content_type,
            content_length: u64::try_from(self.content_length).unwrap_or(0),
            revision: self.revision,
            created_on: Timestamp::from_millis(self.created_on),
            created_by: self.created_by,
            modified_on: Timestamp::from_millis(self.modified_on),
            modified_by: self.modified_by,
            blob_id: Uuid::parse_str(&self.blob_id)
                .map_err(|_| corrupt("blob id", &self.blob_id))?,
        })
    }
}

#[async_trait]
impl StorageCollectionRepo for SqliteStore {
    async fn insert_storage_collection(&self, c: &StorageCollection) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO oracle_collections (id, name, version, description, title, action_comment,
               user_isolated, sync_control, permissions, published, in_trash, revision, created_on,
               created_by, modified_on, modified_by, deleted_on, deleted_by)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)",
        )
        .bind(c.id.to_string())
        .bind(&c.name)
        .bind(&c.version)
        .bind(&c.description)
        .bind(&c.title)
        .bind(&c.action_comment)
        .bind(c.user_isolated)
        .bind(c.sync_control)
        .bind(permissions_json(c))
        .bind(c.published)
        .bind(c.in_trash)
        .bind(c.revision)
        .bind(c.created_on.as_millis())
        .bind(&c.created_by)
        .bind(c.modified_on.as_millis())
        .bind(&c.modified_by)
        .bind(c.deleted_on.map(Timestamp::as_millis))
        .bind(&c.deleted_by)
        .execute(&mut *self.writer.connection().await?)
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn storage_collection(&self, id: Uuid) -> StoreResult<Option<StorageCollection>> {
        let sql = format!("SELECT {COLLECTION_COLUMNS} FROM oracle_collections c WHERE c.id = $1");
        sqlx::query_as::<_, CollectionRow>(sqlx::AssertSqlSafe(sql))
            .bind(id.to_string())
            .fetch_optional(&self.reader)
            .await
            .map_err(store_error)?
            .map(CollectionRow::into_collection)
            .transpose()
    }

    async fn list_storage_collections(
        &self,
        query: &BackendQuery,
    ) -> StoreResult<Page<StorageCollection>> {
        let mut select = QueryBuilder::<Sqlite>::new(format!(
            "SELECT {COLLECTION_COLUMNS} FROM oracle_collections c"
        ));
        push_collection_filters(&mut select, query);
        select.push(" ORDER BY ");
        for (key, direction) in &query.order_by {
            select.push(match key {
                BackendSortKey::Name => "lower(c.name)",
                BackendSortKey::Version => "c.version",
                BackendSortKey::CreatedOn => "c.created_on",
                BackendSortKey::ModifiedOn => "c.modified_on",
            });
            select.push(direction_sql(*direction));
            select.push(", ");
        }
        select.push("c.id ASC");
        crate::paging::push_page(&mut select, query.page.limit, query.page.offset);
        let rows = select
            .build_query_as::<CollectionRow>()
            .fetch_all(&self.reader)
            .await
            .map_err(store_error)?;
        let (rows, has_more) = split_page(rows, &query.page);
        let total = if query.page.with_total {
            let mut count =
                QueryBuilder::<Sqlite>::new("SELECT COUNT(*) FROM oracle_collections c");
            push_collection_filters(&mut count, query);
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
                .map(CollectionRow::into_collection)
                .collect::<StoreResult<_>>()?,
            has_more,
            total,
        })
    }

    async fn replace_storage_collection(
        &self,
        c: &StorageCollection,
        expected_revision: i64,
    ) -> StoreResult<()> {
        let result = sqlx::query(
            "UPDATE oracle_collections SET name = $1, version = $2, description = $3, title = $4,
               action_comment = $5, user_isolated = $6, sync_control = $7, permissions = $8,
               published = $9, in_trash = $10, revision = $11, modified_on = $12, modified_by = $13,
               deleted_on = $14, deleted_by = $15
             WHERE id = $16 AND revision = $17",
        )
        .bind(&c.name)
        .bind(&c.version)
        .bind(&c.description)
        .bind(&c.title)
        .bind(&c.action_comment)
        .bind(c.user_isolated)
        .bind(c.sync_control)
        .bind(permissions_json(c))
        .bind(c.published)
        .bind(c.in_trash)
        .bind(c.revision)
        .bind(c.modified_on.as_millis())
        .bind(&c.modified_by)
        .bind(c.deleted_on.map(Timestamp::as_millis))
        .bind(&c.deleted_by)
        .bind(c.id.to_string())
        .bind(expected_revision)
        .execute(&mut *self.writer.connection().await?)
        .await
        .map_err(store_error)?;
        if result.rows_affected() == 1 {
            return Ok(());
        }
        Err(self.collection_missing_or_changed(c.id).await)
    }

    async fn delete_storage_collection(&self, id: Uuid, expected_revision: i64) -> StoreResult<()> {
        // Links and objects go with it through ON DELETE CASCADE.
        let result = sqlx::query("DELETE FROM oracle_collections WHERE id = $1 AND revision = $2")
            .bind(id.to_string())
            .bind(expected_revision)
            .execute(&mut *self.writer.connection().await?)
            .await
            .map_err(store_error)?;
        if result.rows_affected() == 1 {
            return Ok(());
        }
        Err(self.collection_missing_or_changed(id).await)
    }

    async fn link_collection(
        &self,
        backend_id: Uuid,
        collection_id: Uuid,
        anonymous_access: bool,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO oracle_collection_links (backend_id, collection_id, anonymous_access)
             VALUES ($1, $2, $3)
             ON CONFLICT (backend_id, collection_id) DO UPDATE SET anonymous_access = excluded.anonymous_access",
        )
        .bind(backend_id.to_string())
        .bind(collection_id.to_string())
        .bind(anonymous_access)
        .execute(&mut *self.writer.connection().await?)
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn unlink_collection(&self, backend_id: Uuid, collection_id: Uuid) -> StoreResult<()> {
        let result = sqlx::query(
            "DELETE FROM oracle_collection_links WHERE backend_id = $1 AND collection_id = $2",
        )
        .bind(backend_id.to_string())
        .bind(collection_id.to_string())
        .execute(&mut *self.writer.connection().await?)
        .await
        .map_err(store_error)?;
        if result.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn linked_collections(&self, backend_id: Uuid) -> StoreResult<Vec<CollectionLink>> {
        #[derive(sqlx::FromRow)]
        struct LinkRow {
            #[sqlx(flatten)]
            collection: CollectionRow,
            anonymous_access: bool,
        }
        let sql = format!(
            "SELECT {COLLECTION_COLUMNS}, l.anonymous_access FROM oracle_collection_links l
             JOIN oracle_collections c ON c.id = l.collection_id
             WHERE l.backend_id = $1 ORDER BY lower(c.name), c.version, c.id"
        );
        sqlx::query_as::<_, LinkRow>(sqlx::AssertSqlSafe(sql))
            .bind(backend_id.to_string())
            .fetch_all(&self.reader)
            .await
            .map_err(store_error)?
            .into_iter()
            .map(|row| {
                Ok(CollectionLink {
                    collection: row.collection.into_collection()?,
                    anonymous_access: row.anonymous_access,
                })
            })
            .collect()
    }

    async fn collection_backends(&self, collection_id: Uuid) -> StoreResult<Vec<Uuid>> {
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT backend_id FROM oracle_collection_links WHERE collection_id = $1 ORDER BY backend_id",
        )
        .bind(collection_id.to_string())
        .fetch_all(&self.reader)
        .await
        .map_err(store_error)?;
        ids.iter()
            .map(|id| Uuid::parse_str(id).map_err(|_| corrupt("backend id", id)))
            .collect()
    }
}

impl SqliteStore {
    async fn collection_missing_or_changed(&self, id: Uuid) -> StoreError {
        let exists =
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM oracle_collections WHERE id = $1")
                .bind(id.to_string())
                .fetch_one(&self.reader)
                .await;
        match exists {
            Ok(0) => StoreError::NotFound,
            Ok(_) => StoreError::VersionConflict,
            Err(error) => store_error(error),
        }
    }

    async fn object_missing_or_changed(&self, key: &ObjectKey) -> StoreError {
        let exists = sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM oracle_objects
             WHERE backend_id = $1 AND collection_id = $2 AND owner = $3 AND id = $4",
        )
        .bind(key.backend_id.to_string())
        .bind(key.collection_id.to_string())
        .bind(&key.owner)
        .bind(&key.id)
        .fetch_one(&self.reader)
        .await;
        match exists {
            Ok(0) => StoreError::NotFound,
            Ok(_) => StoreError::VersionConflict,
            Err(error) => store_error(error),
        }
    }
}

fn direction_sql(direction: SortDirection) -> &'static str {
    match direction {
        SortDirection::Ascending => " ASC",
        SortDirection::Descending => " DESC",
    }
}

fn push_collection_filters(builder: &mut QueryBuilder<Sqlite>, query: &BackendQuery) {
    builder.push(" WHERE 1 = 1");
    if !query.ids.is_empty() {
        builder.push(" AND c.id IN (");
        let mut list = builder.separated(", ");
        for id in &query.ids {
            list.push_bind(id.to_string());
        }
        builder.push(")");
    }
    if !query.exclude.is_empty() {
        builder.push(" AND c.id NOT IN (");
        let mut list = builder.separated(", ");
        for id in &query.exclude {
            list.push_bind(id.to_string());
        }
        builder.push(")");
    }
    for (column, filter) in [
        ("c.in_trash", query.trash),
        ("c.published", query.published),
    ] {
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
    if let Some(since) = query.changed_since {
        builder.push(" AND coalesce(c.deleted_on, c.modified_on) >= ");
        builder.push_bind(since.as_millis());
    }
    if let Some(fragment) = &query.name_contains {
        builder.push(" AND lower(c.name) LIKE ");
        builder.push_bind(format!("%{}%", escape_like(&fragment.to_lowercase())));
        builder.push(" ESCAPE '\\'");
    }
}

fn push_object_filters(builder: &mut QueryBuilder<Sqlite>, query: &ObjectQuery) {
    builder.push(" WHERE backend_id = ");
    builder.push_bind(query.backend_id.to_string());
    builder.push(" AND collection_id = ");
    builder.push_bind(query.collection_id.to_string());
    if let Some(owner) = &query.owner {
        builder.push(" AND owner = ");
        builder.push_bind(owner.clone());
    }
    if let Some(text) = &query.text {
        let pattern = format!("%{}%", escape_like(&text.to_lowercase()));
        builder.push(" AND (");
        for (index, column) in ["id", "name", "created_by", "modified_by"]
            .into_iter()
            .enumerate()
        {
            if index > 0 {
                builder.push(" OR ");
            }
            builder.push(format!("lower({column}) LIKE "));
            builder.push_bind(pattern.clone());
            builder.push(" ESCAPE '\\'");
        }
        builder.push(")");
    }
}

fn object_sort_column(key: ObjectSortKey) -> &'static str {
    match key {
        ObjectSortKey::Id => "id",
        ObjectSortKey::Name => "name",
        ObjectSortKey::ContentType => "content_type",
        ObjectSortKey::ContentLength => "content_length",
        ObjectSortKey::CreatedBy => "created_by",
        ObjectSortKey::CreatedOn => "created_on",
        ObjectSortKey::ModifiedBy => "modified_by",
        ObjectSortKey::ModifiedOn => "modified_on",
    }
}

#[async_trait]
impl StorageObjectRepo for SqliteStore {
    async fn object_meta(&self, key: &ObjectKey) -> StoreResult<Option<ObjectMeta>> {
        let sql = format!(
            "SELECT {OBJECT_COLUMNS} FROM oracle_objects
             WHERE backend_id = $1 AND collection_id = $2 AND owner = $3 AND id = $4"
        );
        sqlx::query_as::<_, ObjectRow>(sqlx::AssertSqlSafe(sql))
            .bind(key.backend_id.to_string())
            .bind(key.collection_id.to_string())
            .bind(&key.owner)
            .bind(&key.id)
            .fetch_optional(&self.reader)
            .await
            .map_err(store_error)?
            .map(ObjectRow::into_meta)
            .transpose()
    }

    async fn put_object_chunk(
        &self,
        backend_id: Uuid,
        collection_id: Uuid,
        blob_id: Uuid,
        seq: u32,
        data: &[u8],
        created_on: Timestamp,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO oracle_object_chunks (backend_id, collection_id, blob_id, seq, created_on, data)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(backend_id.to_string())
        .bind(collection_id.to_string())
        .bind(blob_id.to_string())
        .bind(i64::from(seq))
        .bind(created_on.as_millis())
        .bind(data)
        .execute(&mut *self.writer.connection().await?)
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn object_chunk(
        &self,
        backend_id: Uuid,
        blob_id: Uuid,
        seq: u32,
    ) -> StoreResult<Option<Vec<u8>>> {
        sqlx::query_scalar(
            "SELECT data FROM oracle_object_chunks WHERE backend_id = $1 AND blob_id = $2 AND seq = $3",
        )
        .bind(backend_id.to_string())
        .bind(blob_id.to_string())
        .bind(i64::from(seq))
        .fetch_optional(&self.reader)
        .await
        .map_err(store_error)
    }

    async fn delete_blob(&self, backend_id: Uuid, blob_id: Uuid) -> StoreResult<()> {
        sqlx::query("DELETE FROM oracle_object_chunks WHERE backend_id = $1 AND blob_id = $2")
            .bind(backend_id.to_string())
            .bind(blob_id.to_string())
            .execute(&mut *self.writer.connection().await?)
            .await
            .map_err(store_error)?;
        Ok(())
    }

    async fn delete_abandoned_chunks(&self, before: Timestamp) -> StoreResult<u64> {
        let result = sqlx::query(
            "DELETE FROM oracle_object_chunks AS c WHERE c.created_on < $1 AND NOT EXISTS
               (SELECT 1 FROM oracle_objects o WHERE o.backend_id = c.backend_id AND o.blob_id = c.blob_id)",
        )
        .bind(before.as_millis())
        .execute(&mut *self.writer.connection().await?)
        .await
        .map_err(store_error)?;
        Ok(result.rows_affected())
    }

    async fn put_object(
        &self,
        meta: &ObjectMeta,
        expected_revision: Option<i64>,
    ) -> StoreResult<()> {
        let key = &meta.key;
        let Some(expected) = expected_revision else {
            sqlx::query(
                "INSERT INTO oracle_objects (backend_id, collection_id, owner, id, name, content_type,
                   content_length, revision, created_on, created_by, modified_on, modified_by, blob_id)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
            )
            .bind(key.backend_id.to_string())
            .bind(key.collection_id.to_string())
            .bind(&key.owner)
            .bind(&key.id)
            .bind(&meta.name)
            .bind(&meta.content_type)
            .bind(i64::try_from(meta.content_length).unwrap_or(i64::MAX))
            .bind(meta.revision)
            .bind(meta.created_on.as_millis())
            .bind(&meta.created_by)
            .bind(meta.modified_on.as_millis())
            .bind(&meta.modified_by)
            .bind(meta.blob_id.to_string())
            .execute(&mut *self.writer.connection().await?)
            .await
            .map_err(store_error)?;
            return Ok(());
        };
        let mut writer = self.writer.connection().await?;
        let mut tx = writer
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(store_error)?;
        let old_blob: Option<String> = sqlx::query_scalar(
            "SELECT blob_id FROM oracle_objects
             WHERE backend_id = $1 AND collection_id = $2 AND owner = $3 AND id = $4 AND revision = $5",
        )
        .bind(key.backend_id.to_string())
        .bind(key.collection_id.to_string())
        .bind(&key.owner)
        .bind(&key.id)
        .bind(expected)
        .fetch_optional(&mut *tx)
        .await
        .map_err(store_error)?;
        let Some(old_blob) = old_blob else {
            // Release the one writer connection before asking why.
            tx.rollback().await.map_err(store_error)?;
            return Err(self.object_missing_or_changed(key).await);
        };
        sqlx::query(
            "UPDATE oracle_objects SET name = $1, content_type = $2, content_length = $3, revision = $4,
               modified_on = $5, modified_by = $6, blob_id = $7
             WHERE backend_id = $8 AND collection_id = $9 AND owner = $10 AND id = $11",
        )
        .bind(&meta.name)
        .bind(&meta.content_type)
        .bind(i64::try_from(meta.content_length).unwrap_or(i64::MAX))
        .bind(meta.revision)
        .bind(meta.modified_on.as_millis())
        .bind(&meta.modified_by)
        .bind(meta.blob_id.to_string())
        .bind(key.backend_id.to_string())
        .bind(key.collection_id.to_string())
        .bind(&key.owner)
        .bind(&key.id)
        .execute(&mut *tx)
        .await
        .map_err(store_error)?;
        sqlx::query("DELETE FROM oracle_object_chunks WHERE backend_id = $1 AND blob_id = $2")
            .bind(key.backend_id.to_string())
            .bind(old_blob)
            .execute(&mut *tx)
            .await
            .map_err(store_error)?;
        tx.commit().await.map_err(store_error)?;
        Ok(())
    }

    async fn delete_object(&self, key: &ObjectKey, expected_revision: i64) -> StoreResult<()> {
        let mut writer = self.writer.connection().await?;
        let mut tx = writer
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(store_error)?;
        let blob: Option<String> = sqlx::query_scalar(
            "DELETE FROM oracle_objects
             WHERE backend_id = $1 AND collection_id = $2 AND owner = $3 AND id = $4 AND revision = $5
             RETURNING blob_id",
        )
        .bind(key.backend_id.to_string())
        .bind(key.collection_id.to_string())
        .bind(&key.owner)
        .bind(&key.id)
        .bind(expected_revision)
        .fetch_optional(&mut *tx)
        .await
        .map_err(store_error)?;
        let Some(blob) = blob else {
            tx.rollback().await.map_err(store_error)?;
            return Err(self.object_missing_or_changed(key).await);
        };
        sqlx::query("DELETE FROM oracle_object_chunks WHERE backend_id = $1 AND blob_id = $2")
            .bind(key.backend_id.to_string())
            .bind(blob)
            .execute(&mut *tx)
            .await
            .map_err(store_error)?;
        tx.commit().await.map_err(store_error)?;
        Ok(())
    }

    async fn list_objects(&self, query: &ObjectQuery) -> StoreResult<Page<ObjectMeta>> {
        let mut select =
            QueryBuilder::<Sqlite>::new(format!("SELECT {OBJECT_COLUMNS} FROM oracle_objects"));
        push_object_filters(&mut select, query);
        select.push(" ORDER BY ");
        for (key, direction) in &query.order_by {
            select.push(object_sort_column(*key));
            select.push(direction_sql(*direction));
            select.push(", ");
        }
        select.push("owner ASC, id ASC");
        crate::paging::push_page(&mut select, query.page.limit, query.page.offset);
        let rows = select
            .build_query_as::<ObjectRow>()
            .fetch_all(&self.reader)
            .await
            .map_err(store_error)?;
        let (rows, has_more) = split_page(rows, &query.page);
        let total = if query.page.with_total {
            let mut count = QueryBuilder::<Sqlite>::new("SELECT COUNT(*) FROM oracle_objects");
            push_object_filters(&mut count, query);
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
                .map(ObjectRow::into_meta)
                .collect::<StoreResult<_>>()?,
            has_more,
            total,
        })
    }

    async fn objects_size(&self, backend_id: Uuid, collection_id: Uuid) -> StoreResult<u64> {
        let total: i64 = sqlx::query_scalar(
            "SELECT coalesce(sum(content_length), 0) FROM oracle_objects
             WHERE backend_id = $1 AND collection_id = $2",
        )
        .bind(backend_id.to_string())
        .bind(collection_id.to_string())
        .fetch_one(&self.reader)
        .await
        .map_err(store_error)?;
        Ok(u64::try_from(total).unwrap_or(0))
    }
}
