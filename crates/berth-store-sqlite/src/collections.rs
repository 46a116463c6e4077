//! Collections and their items. Each collection's items live in their own table, `items_<id>`, named
//! from the collection's internal UUID (never from user input), so a collection can be indexed and
//! dropped on its own.

use async_trait::async_trait;
use berth_core::appdata::{Access, Collection, Item, Permission};
use berth_core::monaql::SystemProperty;
use berth_core::page::Page;
use berth_core::store::{CollectionRepo, CountCache, ItemQuery, ItemRepo, Right, StoreResult};
use berth_core::{StoreError, Timestamp};
use futures_util::future::BoxFuture;
use serde_json::{Map, Value};
use sqlx::Connection as _;
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};
use uuid::Uuid;

use crate::SqliteStore;
use crate::error::{corrupt, store_error};
use crate::group_commit::{ItemWrite, WriteJob};
use crate::monaql::{ColumnMap, ColumnType, push_criteria};
use crate::paging::{push_order_and_page, split_page};
use crate::users::parse_object;

/// How MonaQL over items reaches the columns.
pub(crate) const ITEM_COLUMNS: ColumnMap = ColumnMap {
    data_column: "data",
    system: |property| match property {
        SystemProperty::Id => Some(("id", ColumnType::Text)),
        SystemProperty::OwnerUserOid => Some(("owner_user_oid", ColumnType::Text)),
        SystemProperty::OwnerDeviceOid => Some(("owner_device_oid", ColumnType::Text)),
        SystemProperty::CreatedAt => Some(("created_at", ColumnType::Integer)),
        SystemProperty::UpdatedAt => Some(("updated_at", ColumnType::Integer)),
        SystemProperty::Username => None,
    },
};

pub(crate) fn items_table(collection_id: Uuid) -> String {
    format!("\"items_{}\"", collection_id.simple())
}

/// Index names carry the property in hex: SQLite identifiers ignore case, property names do not.
fn property_index(collection_id: Uuid, property: &str) -> String {
    format!(
        "\"items_{}_p_{}\"",
        collection_id.simple(),
        hex_of(property)
    )
}

fn hex_of(text: &str) -> String {
    text.bytes().map(|b| format!("{b:02x}")).collect()
}

/// The JSON path of an indexed property, written into DDL: only `[A-Za-z0-9_.]` may pass.
fn json_path(property: &str) -> StoreResult<String> {
    let valid = !property.is_empty()
        && property.split('.').all(|segment| {
            !segment.is_empty()
                && segment
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_')
        });
    if !valid {
        return Err(StoreError::Internal(
            format!("refusing to index the property {property:?}").into(),
        ));
    }
    Ok(format!("'$.{property}'"))
}

#[derive(sqlx::FromRow)]
struct CollectionRow {
    backend_id: String,
    id: String,
    name: String,
    is_insertable: bool,
    default_public_permission: String,
    indexed_properties: String,
    item_count: i64,
    created_at: i64,
    updated_at: i64,
}

const COLLECTION_SELECT: &str =
    "SELECT backend_id, id, name, is_insertable, default_public_permission,
    indexed_properties, item_count, created_at, updated_at FROM collections";

impl CollectionRow {
    fn into_collection(self) -> StoreResult<Collection> {
        Ok(Collection {
            backend_id: Uuid::parse_str(&self.backend_id)
                .map_err(|_| corrupt("backend id", &self.backend_id))?,
            id: Uuid::parse_str(&self.id).map_err(|_| corrupt("collection id", &self.id))?,
            default_public_permission: Access::parse(&self.default_public_permission)
                .ok_or_else(|| corrupt("permission", &self.default_public_permission))?,
            indexed_properties: serde_json::from_str(&self.indexed_properties)
                .map_err(|_| corrupt("property list", &self.indexed_properties))?,
            name: self.name,
            is_insertable: self.is_insertable,
            item_count: u64::try_from(self.item_count).unwrap_or(0),
            created_at: Timestamp::from_millis(self.created_at),
            updated_at: Timestamp::from_millis(self.updated_at),
        })
    }
}

/// The index serves sorts on the property (the id, the ORDER BY tie-breaker, comes second) and
/// filters on it; carrying the property's JSON type makes it covering for MonaQL's type guards, so
/// counting matches never reads the rows (measured: 100,000 matches counted in ~30 ms, not ~400 ms).
async fn create_property_index(
    connection: &mut SqliteConnection,
    collection_id: Uuid,
    property: &str,
) -> StoreResult<()> {
    let sql = format!(
        "CREATE INDEX IF NOT EXISTS {index} ON {table} (json_extract(data, {path}), id, json_type(data, {path}))",
        index = property_index(collection_id, property),
        table = items_table(collection_id),
        path = json_path(property)?
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .execute(connection)
        .await
        .map_err(store_error)?;
    Ok(())
}

#[async_trait]
impl CollectionRepo for SqliteStore {
    async fn create_collection(&self, c: &Collection) -> StoreResult<()> {
        let mut writer = self.writer.connection().await?;
        let mut tx = writer
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(store_error)?;
        sqlx::query(
            "INSERT INTO collections (backend_id, name, id, is_insertable, default_public_permission,
               indexed_properties, item_count, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $8)",
        )
        .bind(c.backend_id.to_string())
        .bind(&c.name)
        .bind(c.id.to_string())
        .bind(c.is_insertable)
        .bind(c.default_public_permission.as_str())
        .bind(Value::from(c.indexed_properties.clone()).to_string())
        .bind(c.created_at.as_millis())
        .bind(c.updated_at.as_millis())
        .execute(&mut *tx)
        .await
        .map_err(store_error)?;
        let table = items_table(c.id);
        let hex = c.id.simple();
        for ddl in [
            format!(
                "CREATE TABLE {table} (
                   id TEXT PRIMARY KEY,
                   backend_id TEXT NOT NULL,
                   owner_user_oid TEXT,
                   owner_device_oid TEXT,
                   created_at INTEGER NOT NULL,
                   updated_at INTEGER NOT NULL,
                   permission TEXT NOT NULL,
                   data TEXT NOT NULL
                 ) STRICT"
            ),
            // Each index ends in the id, the tie-breaker of every ORDER BY (see paging.rs).
            format!("CREATE INDEX \"items_{hex}_created\" ON {table} (created_at, id)"),
            format!("CREATE INDEX \"items_{hex}_updated\" ON {table} (updated_at, id)"),
            owner_index_ddl(hex, "user"),
            owner_index_ddl(hex, "device"),
        ] {
            sqlx::query(sqlx::AssertSqlSafe(ddl))
                .execute(&mut *tx)
                .await
                .map_err(store_error)?;
        }
        for property in &c.indexed_properties {
            create_property_index(&mut tx, c.id, property).await?;
        }
        tx.commit().await.map_err(store_error)?;
        Ok(())
    }

    async fn collection(&self, backend_id: Uuid, name: &str) -> StoreResult<Option<Collection>> {
        sqlx::query_as::<_, CollectionRow>(sqlx::AssertSqlSafe(format!(
            "{COLLECTION_SELECT} WHERE backend_id = $1 AND name = $2"
        )))
        .bind(backend_id.to_string())
        .bind(name)
        .fetch_optional(&self.reader)
        .await
        .map_err(store_error)?
        .map(CollectionRow::into_collection)
        .transpose()
    }

    async fn collections(&self, backend_id: Uuid) -> StoreResult<Vec<Collection>> {
        sqlx::query_as::<_, CollectionRow>(sqlx::AssertSqlSafe(format!(
            "{COLLECTION_SELECT} WHERE backend_id = $1 ORDER BY name"
        )))
        .bind(backend_id.to_string())
        .fetch_all(&self.reader)
        .await
        .map_err(store_error)?
        .into_iter()
        .map(CollectionRow::into_collection)
        .collect()
    }

    async fn update_collection(&self, c: &Collection) -> StoreResult<()> {
        // BEGIN IMMEDIATE holds the write lock, so reading the old index list first is safe.
        let mut writer = self.writer.connection().await?;
        let mut tx = writer
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(store_error)?;
        let previous: Option<String> = sqlx::query_scalar(
            "SELECT indexed_properties FROM collections WHERE backend_id = $1 AND id = $2",
        )
        .bind(c.backend_id.to_string())
        .bind(c.id.to_string())
        .fetch_optional(&mut *tx)
        .await
        .map_err(store_error)?;
        sqlx::query(
            "UPDATE collections SET is_insertable = $1, default_public_permission = $2,
               indexed_properties = $3, updated_at = $4
             WHERE backend_id = $5 AND id = $6",
        )
        .bind(c.is_insertable)
        .bind(c.default_public_permission.as_str())
        .bind(Value::from(c.indexed_properties.clone()).to_string())
        .bind(c.updated_at.as_millis())
        .bind(c.backend_id.to_string())
        .bind(c.id.to_string())
        .execute(&mut *tx)
        .await
        .map_err(store_error)?;
        let Some(previous) = previous else {
            return Err(StoreError::NotFound);
        };
        let previous: Vec<String> =
            serde_json::from_str(&previous).map_err(|_| corrupt("property list", &previous))?;
        for gone in previous
            .iter()
            .filter(|p| !c.indexed_properties.contains(p))
        {
            let sql = format!("DROP INDEX IF EXISTS {}", property_index(c.id, gone));
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(&mut *tx)
                .await
                .map_err(store_error)?;
        }
        for property in &c.indexed_properties {
            create_property_index(&mut tx, c.id, property).await?;
        }
        tx.commit().await.map_err(store_error)?;
        Ok(())
    }

    async fn drop_collection(&self, backend_id: Uuid, name: &str) -> StoreResult<()> {
        let mut writer = self.writer.connection().await?;
        let mut tx = writer
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(store_error)?;
        let id: Option<String> = sqlx::query_scalar(
            "DELETE FROM collections WHERE backend_id = $1 AND name = $2 RETURNING id",
        )
        .bind(backend_id.to_string())
        .bind(name)
        .fetch_optional(&mut *tx)
        .await
        .map_err(store_error)?;
        let Some(id) = id else {
            return Err(StoreError::NotFound);
        };
        let id = Uuid::parse_str(&id).map_err(|_| corrupt("collection id", &id))?;
        drop_items_table(&mut tx, id).await?;
        tx.commit().await.map_err(store_error)?;
        Ok(())
    }
}

pub(crate) async fn drop_items_table(
    connection: &mut SqliteConnection,
    collection_id: Uuid,
) -> StoreResult<()> {
    let sql = format!("DROP TABLE IF EXISTS {}", items_table(collection_id));
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .execute(connection)
        .await
        .map_err(store_error)?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct ItemRow {
    id: String,
    owner_user_oid: Option<String>,
    owner_device_oid: Option<String>,
    created_at: i64,
    updated_at: i64,
    permission: String,
    data: String,
}

const ITEM_FIELDS: &str =
    "id, owner_user_oid, owner_device_oid, created_at, updated_at, permission, data";

impl ItemRow {
    fn into_item(self) -> StoreResult<Item> {
        Ok(Item {
            permission: parse_permission(&self.permission)?,
            data: parse_object(&self.data)?,
            id: self.id,
            owner_user_oid: self.owner_user_oid,
            owner_device_oid: self.owner_device_oid,
            created_at: Timestamp::from_millis(self.created_at),
            updated_at: Timestamp::from_millis(self.updated_at),
        })
    }
}

fn document_text(data: &Map<String, Value>) -> StoreResult<String> {
    serde_json::to_string(data).map_err(|error| StoreError::Internal(error.into()))
}

fn permission_text(permission: &Permission) -> String {
    berth_core::appdata::permission_to_json(permission).to_string()
}

fn parse_permission(text: &str) -> StoreResult<Permission> {
    parse_object(text)?
        .into_iter()
        .map(|(who, access)| {
            access
                .as_str()
                .and_then(Access::parse)
                .map(|access| (who, access))
                .ok_or_else(|| corrupt("permission", text))
        })
        .collect()
}

/// Adds `delta` to the collection's item count; `NotFound` when the collection is gone.
pub(crate) async fn adjust_item_count(
    connection: &mut SqliteConnection,
    backend_id: Uuid,
    collection_id: Uuid,
    delta: i64,
) -> StoreResult<()> {
    let result = sqlx::query(
        "UPDATE collections SET item_count = item_count + $1 WHERE backend_id = $2 AND id = $3",
    )
    .bind(delta)
    .bind(backend_id.to_string())
    .bind(collection_id.to_string())
    .execute(connection)
    .await
    .map_err(store_error)?;
    if result.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Lets the compiler see a closure as a [`WriteJob`] (its future borrows the connection it is given).
fn write_job<F>(job: F) -> WriteJob
where
    F: for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, StoreResult<()>> + Send + 'static,
{
    Box::new(job)
}

#[async_trait]
impl ItemRepo for SqliteStore {
    async fn insert_item(&self, collection: &Collection, item: &Item) -> StoreResult<()> {
        let row = serde_json::json!([
            item.id,
            item.owner_user_oid,
            item.owner_device_oid,
            item.created_at.as_millis(),
            item.updated_at.as_millis(),
            permission_text(&item.permission),
            document_text(&item.data)?,
        ]);
        self.item_writes
            .write(ItemWrite::Insert {
                backend_id: collection.backend_id,
                collection_id: collection.id,
                row,
            })
            .await
    }

    async fn item(&self, collection: &Collection, id: &str) -> StoreResult<Option<Item>> {
        let sql = format!(
            "SELECT {ITEM_FIELDS} FROM {} WHERE id = $1",
            items_table(collection.id)
        );
        let row = sqlx::query_as::<_, ItemRow>(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&self.reader)
            .await;
        match row {
            Ok(row) => row.map(ItemRow::into_item).transpose(),
            // The collection was dropped: the item is gone with it.
            Err(error) => match missing_table_is_not_found(error) {
                StoreError::NotFound => Ok(None),
                other => Err(other),
            },
        }
    }

    async fn update_item(&self, collection: &Collection, item: &Item) -> StoreResult<()> {
        let collection = collection.clone();
        let collection_id = collection.id;
        let sql = format!(
            "UPDATE {} SET data = $1, permission = $2, updated_at = $3 WHERE id = $4",
            items_table(collection.id)
        );
        let data = document_text(&item.data)?;
        let permission = permission_text(&item.permission);
        let updated_at = item.updated_at.as_millis();
        let id = item.id.clone();
        let job = write_job(move |connection| {
            Box::pin(async move {
                let result = sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(data)
                    .bind(permission)
                    .bind(updated_at)
                    .bind(id)
                    .execute(&mut *connection)
                    .await
                    .map_err(missing_table_is_not_found)?;
                if result.rows_affected() == 0 {
                    return Err(StoreError::NotFound);
                }
                Ok(())
            })
        });
        self.item_writes
            .write(ItemWrite::Job(collection_id, job))
            .await
    }

    async fn set_item_permissions(
        &self,
        collection: &Collection,
        updates: &[(String, Permission)],
    ) -> StoreResult<()> {
        let collection = collection.clone();
        let collection_id = collection.id;
        let sql = format!(
            "UPDATE {} SET permission = $1 WHERE id = $2",
            items_table(collection.id)
        );
        let updates: Vec<(String, String)> = updates
            .iter()
            .map(|(id, permission)| (id.clone(), permission_text(permission)))
            .collect();
        let job = write_job(move |connection| {
            Box::pin(async move {
                for (id, permission) in updates {
                    let result = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                        .bind(permission)
                        .bind(id)
                        .execute(&mut *connection)
                        .await
                        .map_err(missing_table_is_not_found)?;
                    if result.rows_affected() == 0 {
                        return Err(StoreError::NotFound);
                    }
                }
                Ok(())
            })
        });
        self.item_writes
            .write(ItemWrite::Job(collection_id, job))
            .await
    }

    async fn delete_items(&self, collection: &Collection, ids: &[String]) -> StoreResult<()> {
        let collection = collection.clone();
        let collection_id = collection.id;
        let mut unique: Vec<String> = ids.to_vec();
        unique.sort();
        unique.dedup();
        let job = write_job(move |connection| {
            Box::pin(async move {
                let count = i64::try_from(unique.len()).unwrap_or(i64::MAX);
                adjust_item_count(connection, collection.backend_id, collection.id, -count).await?;
                let mut delete = QueryBuilder::<Sqlite>::new(format!(
                    "DELETE FROM {} WHERE id IN (",
                    items_table(collection.id)
                ));
                let mut list = delete.separated(", ");
                for id in &unique {
                    list.push_bind(id.clone());
                }
                delete.push(")");
                let deleted = delete
                    .build()
                    .execute(connection)
                    .await
                    .map_err(missing_table_is_not_found)?
                    .rows_affected();
                if deleted != unique.len() as u64 {
                    return Err(StoreError::NotFound);
                }
                Ok(())
            })
        });
        self.item_writes
            .write(ItemWrite::Job(collection_id, job))
            .await
    }

    async fn list_items(
        &self,
        collection: &Collection,
        query: &ItemQuery,
    ) -> StoreResult<Page<Item>> {
        let mut select = select_items("", collection, query);
        let rows = select
            .build_query_as::<ItemRow>()
            .fetch_all(&self.reader)
            .await
            .map_err(missing_table_is_not_found)?;
        let (rows, has_more) = split_page(rows, &query.page);
        let total = if query.page.with_total {
            Some(self.item_total(collection, query).await?)
        } else {
            None
        };
        Ok(Page {
            items: rows
                .into_iter()
                .map(ItemRow::into_item)
                .collect::<StoreResult<_>>()?,
            has_more,
            total,
        })
    }
}

impl SqliteStore {
    /// How many items match the query's filter, remembered until the collection's next item write:
    /// the kept count when everything matches, else a count.
    async fn item_total(&self, collection: &Collection, query: &ItemQuery) -> StoreResult<u64> {
        let version = self.item_versions.current(collection.id);
        let key = CountCache::key(collection, query);
        if let Some(total) = key
            .as_deref()
            .and_then(|key| self.item_totals.get(key, version))
        {
            return Ok(total);
        }
        let total: i64 = if query.criteria.root().is_none() && query.access.is_none() {
            sqlx::query_scalar(
                "SELECT item_count FROM collections WHERE backend_id = $1 AND id = $2",
            )
            .bind(collection.backend_id.to_string())
            .bind(collection.id.to_string())
            .fetch_optional(&self.reader)
            .await
            .map_err(store_error)?
            .ok_or(StoreError::NotFound)?
        } else {
            let mut count = QueryBuilder::<Sqlite>::new(format!(
                "SELECT COUNT(*) FROM {} WHERE ",
                items_table(collection.id)
            ));
            push_item_filter(&mut count, query);
            count
                .build_query_scalar()
                .fetch_one(&self.reader)
                .await
                .map_err(missing_table_is_not_found)?
        };
        let total = u64::try_from(total).unwrap_or(0);
        if let Some(key) = key {
            self.item_totals.put(key, version, total);
        }
        Ok(total)
    }
}

/// The page query of `list_items`; `prefix` lets tests ask for its plan (`EXPLAIN QUERY PLAN `).
fn select_items(prefix: &str, collection: &Collection, query: &ItemQuery) -> QueryBuilder<Sqlite> {
    let table = items_table(collection.id);
    let mut select =
        QueryBuilder::<Sqlite>::new(format!("{prefix}SELECT {ITEM_FIELDS} FROM {table} WHERE "));
    push_item_filter(&mut select, query);
    push_order_and_page(&mut select, &query.sort, &ITEM_COLUMNS, &query.page);
    select
}

/// The criteria and, for an app caller, the permission check: the caller owns the item (as its user,
/// or, without a login, as the device that made it without a login), or `public` or the caller's
/// user oid grants the right.
fn push_item_filter(builder: &mut QueryBuilder<Sqlite>, query: &ItemQuery) {
    push_criteria(builder, &query.criteria, &ITEM_COLUMNS);
    let Some((principal, right)) = &query.access else {
        return;
    };
    let granting = match right {
        Right::Read => "('r', 'rw')",
        Right::Write => "('w', 'rw')",
    };
    builder.push(" AND (COALESCE(json_extract(permission, '$.public') IN ");
    builder.push(granting);
    builder.push(", 0)");
    match &principal.user_oid {
        // Without a login the caller is its device, which owns what it made without a login.
        None => {
            builder.push(" OR (owner_user_oid IS NULL AND owner_device_oid = ");
            builder.push_bind(principal.device_id.clone());
            builder.push(")");
        }
        Some(user) => {
            builder.push(" OR owner_user_oid = ");
            builder.push_bind(user.clone());
            builder.push(" OR COALESCE(json_extract(permission, ");
            // The path is bound, not written: a user oid is data, whatever it contains.
            builder.push_bind(format!("$.\"{}\"", user.replace('"', "")));
            builder.push(") IN ");
            builder.push(granting);
            builder.push(", 0)");
        }
    }
    builder.push(")");
}

/// The index of the items one user (`owner` = "user") or device owns. Partial: most items have no
/// owner of one kind or the other (management API items have neither), and an index entry costs
/// every insert a b-tree write. Lookups by owner (`owner_user_oid = ?`) still use it.
/// `hex` is the collection id as in the items table's name (see [`items_table`]).
fn owner_index_ddl(hex: impl std::fmt::Display, owner: &str) -> String {
    format!(
        "CREATE INDEX \"items_{hex}_owner_{owner}\" ON \"items_{hex}\" (owner_{owner}_oid, id) \
         WHERE owner_{owner}_oid IS NOT NULL"
    )
}

/// Databases made before the owner indexes were partial get them rebuilt, once, at open: each
/// index in its own transaction, with progress in the log (a large collection takes a while).
pub(crate) async fn make_owner_indexes_partial(
    writer: &sqlx::SqlitePool,
) -> Result<(), sqlx::Error> {
    let full: Vec<(String, String)> = sqlx::query_as(
        "SELECT name, tbl_name FROM sqlite_master
         WHERE type = 'index' AND name LIKE 'items\\_%\\_owner\\_%' ESCAPE '\\'
           AND sql NOT LIKE '% WHERE %'
         ORDER BY tbl_name, name",
    )
    .fetch_all(writer)
    .await?;
    let total = full.len();
    if total > 0 {
        tracing::info!(
            indexes = total,
            "making item owner indexes partial (one-time upgrade)"
        );
    }
    for (done, (index, table)) in full.into_iter().enumerate() {
        let (Some(hex), Some(owner)) = (
            table.strip_prefix("items_"),
            index
                .rsplit('_')
                .next()
                .filter(|o| matches!(*o, "user" | "device")),
        ) else {
            continue;
        };
        let mut tx = writer.begin_with("BEGIN IMMEDIATE").await?;
        sqlx::query(sqlx::AssertSqlSafe(format!("DROP INDEX \"{index}\"")))
            .execute(&mut *tx)
            .await?;
        sqlx::query(sqlx::AssertSqlSafe(owner_index_ddl(hex, owner)))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        tracing::info!(
            index,
            progress = format!("{}/{total}", done + 1),
            "owner index rebuilt"
        );
    }
    Ok(())
}

/// A collection dropped while a request was using it shows as a missing table.
pub(crate) fn missing_table_is_not_found(error: sqlx::Error) -> StoreError {
    match &error {
        sqlx::Error::Database(db) if db.message().contains("no such table") => StoreError::NotFound,
        _ => store_error(error),
    }
}

#[cfg(test)]
mod tests {
    use berth_core::Store as _;
    use berth_core::monaql::{Property, Scope, parse};
    use berth_core::page::{PageRequest, SortDirection};
    use berth_core::store::ItemRepo as _;
    use serde_json::json;

    use super::*;

    /// A store in `dir` with one backend and its collection `GameScore`.
    async fn store_with_collection(
        dir: &std::path::Path,
        indexed: &[&str],
    ) -> (SqliteStore, Collection) {
        let store = SqliteStore::open(dir).await.expect("open");
        store.health().await.expect("healthy");
        let collection = berth_store_tests::stored_sample_collection(&store, indexed).await;
        (store, collection)
    }

    /// The plan SQLite chooses for a page of items, as one text.
    async fn plan(
        store: &SqliteStore,
        collection: &Collection,
        criteria: &str,
        sort: &str,
    ) -> String {
        let binds = if criteria.contains('?') {
            vec![json!(100)]
        } else {
            vec![]
        };
        let query = ItemQuery {
            criteria: parse(criteria, &binds, Scope::Item).expect("criteria"),
            sort: vec![(
                Property::Data(vec![sort.to_owned()]),
                SortDirection::Descending,
            )],
            page: PageRequest {
                limit: 10,
                offset: 0,
                with_total: true,
            },
            access: None,
        };
        let mut explain = select_items("EXPLAIN QUERY PLAN ", collection, &query);
        let rows: Vec<(i64, i64, i64, String)> = explain
            .build_query_as()
            .fetch_all(&store.reader)
            .await
            .expect("plan");
        rows.into_iter()
            .map(|(_, _, _, detail)| detail)
            .collect::<Vec<_>>()
            .join("; ")
    }

    #[tokio::test]
    async fn filters_and_sorts_on_indexed_properties_use_the_index() {
        let dir = tempfile::tempdir().expect("dir");
        let (store, collection) = store_with_collection(dir.path(), &["score"]).await;
        let index = format!("items_{}_p_{}", collection.id.simple(), "73636f7265");

        let sorted = plan(&store, &collection, "", "score").await;
        assert!(
            sorted.contains(&index) && !sorted.contains("TEMP B-TREE"),
            "sort by score: {sorted}"
        );
        let filtered = plan(&store, &collection, "score > ?", "score").await;
        assert!(
            filtered.contains(&index) && !filtered.contains("TEMP B-TREE"),
            "filter on score: {filtered}"
        );
        let unindexed = plan(&store, &collection, "", "playerName").await;
        assert!(
            unindexed.contains("TEMP B-TREE"),
            "an unindexed sort sorts: {unindexed}"
        );
    }

    /// The owner index definitions of the collection's items table, by name.
    async fn owner_indexes(store: &SqliteStore, collection: &Collection) -> Vec<(String, String)> {
        sqlx::query_as(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = $1
               AND name LIKE '%owner%' ORDER BY name",
        )
        .bind(format!("items_{}", collection.id.simple()))
        .fetch_all(&store.reader)
        .await
        .expect("indexes")
    }

    #[tokio::test]
    async fn owner_indexes_leave_out_items_without_that_owner_yet_serve_lookups_by_owner() {
        let dir = tempfile::tempdir().expect("dir");
        let (store, collection) = store_with_collection(dir.path(), &[]).await;
        let indexes = owner_indexes(&store, &collection).await;
        assert_eq!(indexes.len(), 2, "{indexes:?}");
        for (name, sql) in &indexes {
            assert!(sql.contains("IS NOT NULL"), "{name} is partial: {sql}");
        }
        for owner in ["user", "device"] {
            let column = format!("owner_{owner}_oid");
            let explain = format!(
                "EXPLAIN QUERY PLAN SELECT id FROM {} WHERE {column} = 'someone'",
                items_table(collection.id)
            );
            let rows: Vec<(i64, i64, i64, String)> = sqlx::query_as(sqlx::AssertSqlSafe(explain))
                .fetch_all(&store.reader)
                .await
                .expect("plan");
            let plan = rows
                .into_iter()
                .map(|row| row.3)
                .collect::<Vec<_>>()
                .join("; ");
            let index = format!("items_{}_owner_{owner}", collection.id.simple());
            assert!(
                plan.starts_with("SEARCH") && plan.contains(&index),
                "{column}: {plan}"
            );
        }
    }

    #[tokio::test]
    async fn opening_a_database_with_full_owner_indexes_makes_them_partial_and_keeps_the_items() {
        let dir = tempfile::tempdir().expect("dir");
        let (store, collection) = store_with_collection(dir.path(), &[]).await;
        let mut item = berth_store_tests::sample_item(json!({"note": "kept"}));
        item.owner_user_oid = Some("user-1".into());
        store.insert_item(&collection, &item).await.expect("item");
        // The indexes as databases made before the upgrade have them.
        let table = items_table(collection.id);
        let hex = collection.id.simple();
        for owner in ["user", "device"] {
            for ddl in [
                format!("DROP INDEX \"items_{hex}_owner_{owner}\""),
                format!(
                    "CREATE INDEX \"items_{hex}_owner_{owner}\" ON {table} (owner_{owner}_oid, id)"
                ),
            ] {
                sqlx::query(sqlx::AssertSqlSafe(ddl))
                    .execute(&mut *store.writer.connection().await.expect("writer"))
                    .await
                    .expect("old index");
            }
        }
        assert!(
            owner_indexes(&store, &collection)
                .await
                .iter()
                .all(|(_, sql)| !sql.contains("WHERE"))
        );
        store.close().await;

        let store = SqliteStore::open(dir.path()).await.expect("reopen");
        let indexes = owner_indexes(&store, &collection).await;
        assert_eq!(indexes.len(), 2, "{indexes:?}");
        assert!(
            indexes.iter().all(|(_, sql)| sql.contains("IS NOT NULL")),
            "{indexes:?}"
        );
        let kept = store
            .item(&collection, &item.id)
            .await
            .expect("read")
            .expect("the item is still there");
        assert_eq!(kept.owner_user_oid.as_deref(), Some("user-1"));
        let check: (String,) = sqlx::query_as("PRAGMA integrity_check")
            .fetch_one(&store.reader)
            .await
            .expect("integrity check");
        assert_eq!(check.0, "ok");
    }
}
