//! Collections and their items. Each collection's items live in their own table, `items_<id>`, named
//! from the collection's internal UUID (never from user input) and created, indexed and dropped in
//! the same transaction as the collection's row, so a collection can be indexed and dropped on its
//! own. The item count is kept in the collection's row by the transactions that insert and delete
//! items; taking that row's lock first also orders them against a concurrent drop.

use async_trait::async_trait;
use berth_core::appdata::{Access, Collection, Item, Permission};
use berth_core::monaql::{SystemProperty, is_identifier};
use berth_core::page::Page;
use berth_core::store::{CollectionRepo, CountCache, ItemQuery, ItemRepo, Right, StoreResult};
use berth_core::{StoreError, Timestamp};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use sqlx::types::Json;
use sqlx::{PgConnection, Postgres, QueryBuilder};
use uuid::Uuid;

use crate::PgStore;
use crate::error::store_error;
use crate::json::document_text;
use crate::monaql::{ColumnMap, ColumnType, json_value, push_criteria};
use crate::nul::has_nul;
use crate::paging::{push_order_and_page, split_page};

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

fn items_table(collection_id: Uuid) -> String {
    format!("\"items_{}\"", collection_id.simple())
}

/// The index of one data property. PostgreSQL cuts identifiers at 63 bytes, so the property is
/// named by the first 64 bits of its SHA-256 rather than spelled out.
fn property_index(collection_id: Uuid, property: &str) -> String {
    let digest = Sha256::digest(property.as_bytes());
    let short: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("\"items_{}_p_{short}\"", collection_id.simple())
}

/// The `jsonb` expression of an indexed property, written into DDL: only identifier segments pass
/// (the service checks them; this refuses rather than trusts).
fn indexed_expression(property: &str) -> StoreResult<String> {
    let segments: Vec<String> = property.split('.').map(str::to_owned).collect();
    if !segments.iter().all(|s| is_identifier(s)) {
        return Err(StoreError::Internal(
            format!("refusing to index the property {property:?}").into(),
        ));
    }
    Ok(json_value(ITEM_COLUMNS.data_column, &segments))
}

#[derive(sqlx::FromRow)]
pub(crate) struct CollectionRow {
    backend_id: Uuid,
    id: Uuid,
    name: String,
    is_insertable: bool,
    default_public_permission: String,
    indexed_properties: Json<Vec<String>>,
    item_count: i64,
    created_at: i64,
    updated_at: i64,
}

pub(crate) const COLLECTION_SELECT: &str =
    "SELECT backend_id, id, name, is_insertable, default_public_permission,
    indexed_properties, item_count, created_at, updated_at FROM collections";

impl CollectionRow {
    pub(crate) fn into_collection(self) -> StoreResult<Collection> {
        Ok(Collection {
            backend_id: self.backend_id,
            id: self.id,
            default_public_permission: Access::parse(&self.default_public_permission)
                .ok_or_else(|| corrupt("permission", &self.default_public_permission))?,
            indexed_properties: self.indexed_properties.0,
            name: self.name,
            is_insertable: self.is_insertable,
            item_count: u64::try_from(self.item_count).unwrap_or(0),
            created_at: Timestamp::from_millis(self.created_at),
            updated_at: Timestamp::from_millis(self.updated_at),
        })
    }
}

fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Internal(format!("stored {what} is not valid: {value:?}").into())
}

async fn execute_ddl(connection: &mut PgConnection, ddl: String) -> StoreResult<()> {
    sqlx::raw_sql(sqlx::AssertSqlSafe(ddl))
        .execute(connection)
        .await
        .map_err(store_error)?;
    Ok(())
}

/// The table of `c`'s items with its indexes (also used by `berth migrate` for copied collections).
pub(crate) async fn create_items_table(
    connection: &mut PgConnection,
    c: &Collection,
) -> StoreResult<()> {
    let table = items_table(c.id);
    let hex = c.id.simple();
    // The backend id leads the key as in every table (docs/scaling.md); every item query names it.
    // The other indexes end in the id, the tie-breaker of every ORDER BY (see paging.rs). The owner
    // indexes leave out items without that owner (most have none of one kind or the other), which
    // saves inserts a b-tree write each; lookups by owner still use them.
    let ddl = format!(
        "CREATE TABLE {table} (
               backend_id uuid NOT NULL,
               id text COLLATE \"C\" NOT NULL,
               owner_user_oid text COLLATE \"C\",
               owner_device_oid text COLLATE \"C\",
               created_at bigint NOT NULL,
               updated_at bigint NOT NULL,
               permission jsonb NOT NULL,
               data jsonb NOT NULL,
               PRIMARY KEY (backend_id, id)
             );
             CREATE INDEX \"items_{hex}_created\" ON {table} (created_at NULLS FIRST, id);
             CREATE INDEX \"items_{hex}_updated\" ON {table} (updated_at NULLS FIRST, id);
             CREATE INDEX \"items_{hex}_owner_user\" ON {table} (owner_user_oid, id)
               WHERE owner_user_oid IS NOT NULL;
             CREATE INDEX \"items_{hex}_owner_device\" ON {table} (owner_device_oid, id)
               WHERE owner_device_oid IS NOT NULL;"
    );
    execute_ddl(connection, ddl).await?;
    for property in &c.indexed_properties {
        create_property_index(connection, c.id, property).await?;
    }
    Ok(())
}

/// `(property NULLS FIRST, id)`: the order every sort uses (see paging.rs), and for filters.
async fn create_property_index(
    connection: &mut PgConnection,
    collection_id: Uuid,
    property: &str,
) -> StoreResult<()> {
    let ddl = format!(
        "CREATE INDEX IF NOT EXISTS {} ON {} ({} NULLS FIRST, id)",
        property_index(collection_id, property),
        items_table(collection_id),
        indexed_expression(property)?
    );
    execute_ddl(connection, ddl).await
}

#[async_trait]
impl CollectionRepo for PgStore {
    async fn create_collection(&self, c: &Collection) -> StoreResult<()> {
        let mut tx = self.pool.begin().await.map_err(store_error)?;
        sqlx::query(
            "INSERT INTO collections (backend_id, name, id, is_insertable, default_public_permission,
               indexed_properties, item_count, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $8)",
        )
        .bind(c.backend_id)
        .bind(&c.name)
        .bind(c.id)
        .bind(c.is_insertable)
        .bind(c.default_public_permission.as_str())
        .bind(Json(&c.indexed_properties))
        .bind(c.created_at.as_millis())
        .bind(c.updated_at.as_millis())
        .execute(&mut *tx)
        .await
        .map_err(store_error)?;
        create_items_table(&mut tx, c).await?;
        tx.commit().await.map_err(store_error)?;
        Ok(())
    }

    async fn collection(&self, backend_id: Uuid, name: &str) -> StoreResult<Option<Collection>> {
        if has_nul(name) {
            return Ok(None);
        }
        sqlx::query_as::<_, CollectionRow>(sqlx::AssertSqlSafe(format!(
            "{COLLECTION_SELECT} WHERE backend_id = $1 AND name = $2"
        )))
        .bind(backend_id)
        .bind(name)
        .fetch_optional(&self.pool)
        .await
        .map_err(store_error)?
        .map(CollectionRow::into_collection)
        .transpose()
    }

    async fn collections(&self, backend_id: Uuid) -> StoreResult<Vec<Collection>> {
        sqlx::query_as::<_, CollectionRow>(sqlx::AssertSqlSafe(format!(
            "{COLLECTION_SELECT} WHERE backend_id = $1 ORDER BY name"
        )))
        .bind(backend_id)
        .fetch_all(&self.pool)
        .await
        .map_err(store_error)?
        .into_iter()
        .map(CollectionRow::into_collection)
        .collect()
    }

    async fn update_collection(&self, c: &Collection) -> StoreResult<()> {
        let mut tx = self.pool.begin().await.map_err(store_error)?;
        // The row lock orders concurrent reconfigurations, so the old index list read here is the one
        // this transaction replaces.
        let previous: Option<Json<Vec<String>>> = sqlx::query_scalar(
            "SELECT indexed_properties FROM collections WHERE backend_id = $1 AND id = $2 FOR UPDATE",
        )
        .bind(c.backend_id)
        .bind(c.id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(store_error)?;
        let Some(Json(previous)) = previous else {
            return Err(StoreError::NotFound);
        };
        sqlx::query(
            "UPDATE collections SET is_insertable = $1, default_public_permission = $2,
               indexed_properties = $3, updated_at = $4
             WHERE backend_id = $5 AND id = $6",
        )
        .bind(c.is_insertable)
        .bind(c.default_public_permission.as_str())
        .bind(Json(&c.indexed_properties))
        .bind(c.updated_at.as_millis())
        .bind(c.backend_id)
        .bind(c.id)
        .execute(&mut *tx)
        .await
        .map_err(store_error)?;
        for gone in previous
            .iter()
            .filter(|p| !c.indexed_properties.contains(p))
        {
            let ddl = format!("DROP INDEX IF EXISTS {}", property_index(c.id, gone));
            execute_ddl(&mut tx, ddl).await?;
        }
        for property in &c.indexed_properties {
            create_property_index(&mut tx, c.id, property).await?;
        }
        tx.commit().await.map_err(store_error)?;
        Ok(())
    }

    async fn drop_collection(&self, backend_id: Uuid, name: &str) -> StoreResult<()> {
        if has_nul(name) {
            return Err(StoreError::NotFound);
        }
        let mut tx = self.pool.begin().await.map_err(store_error)?;
        let id: Option<Uuid> = sqlx::query_scalar(
            "DELETE FROM collections WHERE backend_id = $1 AND name = $2 RETURNING id",
        )
        .bind(backend_id)
        .bind(name)
        .fetch_optional(&mut *tx)
        .await
        .map_err(store_error)?;
        let Some(id) = id else {
            return Err(StoreError::NotFound);
        };
        drop_items_table(&mut tx, id).await?;
        tx.commit().await.map_err(store_error)?;
        Ok(())
    }
}

pub(crate) async fn drop_items_table(
    connection: &mut PgConnection,
    collection_id: Uuid,
) -> StoreResult<()> {
    execute_ddl(
        connection,
        format!("DROP TABLE IF EXISTS {}", items_table(collection_id)),
    )
    .await
}

#[derive(sqlx::FromRow)]
struct ItemRow {
    id: String,
    owner_user_oid: Option<String>,
    owner_device_oid: Option<String>,
    created_at: i64,
    updated_at: i64,
    permission: Json<Map<String, Value>>,
    data: Json<Map<String, Value>>,
}

const ITEM_FIELDS: &str =
    "id, owner_user_oid, owner_device_oid, created_at, updated_at, permission, data";

impl ItemRow {
    fn into_item(self) -> StoreResult<Item> {
        Ok(Item {
            permission: parse_permission(self.permission.0)?,
            data: self.data.0,
            id: self.id,
            owner_user_oid: self.owner_user_oid,
            owner_device_oid: self.owner_device_oid,
            created_at: Timestamp::from_millis(self.created_at),
            updated_at: Timestamp::from_millis(self.updated_at),
        })
    }
}

fn permission_text(permission: &Permission) -> StoreResult<String> {
    let Value::Object(object) = berth_core::appdata::permission_to_json(permission) else {
        return Err(StoreError::Internal("a permission is an object".into()));
    };
    document_text(&object, "a permission")
}

fn parse_permission(object: Map<String, Value>) -> StoreResult<Permission> {
    object
        .into_iter()
        .map(|(who, access)| {
            access
                .as_str()
                .and_then(Access::parse)
                .map(|access| (who.clone(), access))
                .ok_or_else(|| corrupt("permission", &format!("{who}: {access}")))
        })
        .collect()
}

/// Records an item write in the collection row: `delta` more items, and a new `items_version` (which
/// invalidates cached totals, see `CountCache`). `NotFound` when the collection is gone. Called first
/// in each write transaction: the collection row's lock then orders the write against a drop.
async fn record_item_write(
    connection: &mut PgConnection,
    collection: &Collection,
    delta: i64,
) -> StoreResult<()> {
    let result = sqlx::query(
        "UPDATE collections SET item_count = item_count + $1, items_version = items_version + 1
         WHERE backend_id = $2 AND id = $3",
    )
    .bind(delta)
    .bind(collection.backend_id)
    .bind(collection.id)
    .execute(connection)
    .await
    .map_err(store_error)?;
    if result.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

#[async_trait]
impl ItemRepo for PgStore {
    async fn insert_item(&self, collection: &Collection, item: &Item) -> StoreResult<()> {
        let data = document_text(&item.data, "item data")?;
        let permission = permission_text(&item.permission)?;
        for text in [
            Some(&item.id),
            item.owner_user_oid.as_ref(),
            item.owner_device_oid.as_ref(),
        ]
        .into_iter()
        .flatten()
        {
            crate::nul::check(text, "an item's id or owner")?;
        }
        let mut tx = self.pool.begin().await.map_err(store_error)?;
        record_item_write(&mut tx, collection, 1).await?;
        let sql = format!(
            "INSERT INTO {} (backend_id, id, owner_user_oid, owner_device_oid, created_at, updated_at,
               permission, data)
             VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb)",
            items_table(collection.id)
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(collection.backend_id)
            .bind(&item.id)
            .bind(&item.owner_user_oid)
            .bind(&item.owner_device_oid)
            .bind(item.created_at.as_millis())
            .bind(item.updated_at.as_millis())
            .bind(permission)
            .bind(data)
            .execute(&mut *tx)
            .await
            .map_err(missing_table_is_not_found)?;
        tx.commit().await.map_err(store_error)?;
        Ok(())
    }

    async fn item(&self, collection: &Collection, id: &str) -> StoreResult<Option<Item>> {
        if has_nul(id) {
            return Ok(None);
        }
        let sql = format!(
            "SELECT {ITEM_FIELDS} FROM {} WHERE backend_id = $1 AND id = $2",
            items_table(collection.id)
        );
        let row = sqlx::query_as::<_, ItemRow>(sqlx::AssertSqlSafe(sql))
            .bind(collection.backend_id)
            .bind(id)
            .fetch_optional(&self.pool)
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
        if has_nul(&item.id) {
            return Err(StoreError::NotFound);
        }
        let sql = format!(
            "UPDATE {} SET data = $1::jsonb, permission = $2::jsonb, updated_at = $3
             WHERE backend_id = $4 AND id = $5",
            items_table(collection.id)
        );
        let data = document_text(&item.data, "item data")?;
        let permission = permission_text(&item.permission)?;
        let mut tx = self.pool.begin().await.map_err(store_error)?;
        record_item_write(&mut tx, collection, 0).await?;
        let result = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(data)
            .bind(permission)
            .bind(item.updated_at.as_millis())
            .bind(collection.backend_id)
            .bind(&item.id)
            .execute(&mut *tx)
            .await
            .map_err(missing_table_is_not_found)?;
        if result.rows_affected() == 0 {
            tx.rollback().await.map_err(store_error)?;
            return Err(StoreError::NotFound);
        }
        tx.commit().await.map_err(store_error)?;
        Ok(())
    }

    async fn set_item_permissions(
        &self,
        collection: &Collection,
        updates: &[(String, Permission)],
    ) -> StoreResult<()> {
        if updates.iter().any(|(id, _)| has_nul(id)) {
            return Err(StoreError::NotFound);
        }
        let sql = format!(
            "UPDATE {} SET permission = $1::jsonb WHERE backend_id = $2 AND id = $3",
            items_table(collection.id)
        );
        let mut tx = self.pool.begin().await.map_err(store_error)?;
        record_item_write(&mut tx, collection, 0).await?;
        for (id, permission) in updates {
            let result = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .bind(permission_text(permission)?)
                .bind(collection.backend_id)
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(missing_table_is_not_found)?;
            if result.rows_affected() == 0 {
                tx.rollback().await.map_err(store_error)?;
                return Err(StoreError::NotFound);
            }
        }
        tx.commit().await.map_err(store_error)?;
        Ok(())
    }

    async fn delete_items(&self, collection: &Collection, ids: &[String]) -> StoreResult<()> {
        if ids.iter().any(|id| has_nul(id)) {
            return Err(StoreError::NotFound);
        }
        let mut unique: Vec<String> = ids.to_vec();
        unique.sort();
        unique.dedup();
        let count = unique.len();
        let mut tx = self.pool.begin().await.map_err(store_error)?;
        record_item_write(
            &mut tx,
            collection,
            -i64::try_from(count).unwrap_or(i64::MAX),
        )
        .await?;
        let sql = format!(
            "DELETE FROM {} WHERE backend_id = $1 AND id = ANY($2)",
            items_table(collection.id)
        );
        let deleted = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(collection.backend_id)
            .bind(unique)
            .execute(&mut *tx)
            .await
            .map_err(missing_table_is_not_found)?
            .rows_affected();
        if deleted != count as u64 {
            tx.rollback().await.map_err(store_error)?;
            return Err(StoreError::NotFound);
        }
        tx.commit().await.map_err(store_error)?;
        Ok(())
    }

    async fn list_items(
        &self,
        collection: &Collection,
        query: &ItemQuery,
    ) -> StoreResult<Page<Item>> {
        let mut select = select_items("", collection, query);
        let rows = select
            .build_query_as::<ItemRow>()
            .fetch_all(&self.pool)
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

impl PgStore {
    /// How many items match the query's filter: the kept count when everything matches, else a
    /// count, remembered until the collection's next item write (on any node: the version is in the
    /// collection row).
    async fn item_total(&self, collection: &Collection, query: &ItemQuery) -> StoreResult<u64> {
        let (item_count, version): (i64, i64) = sqlx::query_as(
            "SELECT item_count, items_version FROM collections WHERE backend_id = $1 AND id = $2",
        )
        .bind(collection.backend_id)
        .bind(collection.id)
        .fetch_optional(&self.pool)
        .await
        .map_err(store_error)?
        .ok_or(StoreError::NotFound)?;
        if query.criteria.root().is_none() && query.access.is_none() {
            return Ok(u64::try_from(item_count).unwrap_or(0));
        }
        let key = CountCache::key(collection, query);
        if let Some(total) = key
            .as_deref()
            .and_then(|key| self.item_totals.get(key, version))
        {
            return Ok(total);
        }
        let mut count = QueryBuilder::<Postgres>::new(format!(
            "SELECT COUNT(*) FROM {} WHERE ",
            items_table(collection.id)
        ));
        push_item_filter(&mut count, collection, query);
        let total: i64 = count
            .build_query_scalar()
            .fetch_one(&self.pool)
            .await
            .map_err(missing_table_is_not_found)?;
        let total = u64::try_from(total).unwrap_or(0);
        if let Some(key) = key {
            self.item_totals.put(key, version, total);
        }
        Ok(total)
    }
}

/// The page query of `list_items`; `prefix` lets tests ask for its plan (`EXPLAIN `).
fn select_items(
    prefix: &str,
    collection: &Collection,
    query: &ItemQuery,
) -> QueryBuilder<Postgres> {
    let mut select = QueryBuilder::<Postgres>::new(format!(
        "{prefix}SELECT {ITEM_FIELDS} FROM {} WHERE ",
        items_table(collection.id)
    ));
    push_item_filter(&mut select, collection, query);
    push_order_and_page(&mut select, &query.sort, &ITEM_COLUMNS, &query.page);
    select
}

/// The backend, the criteria and, for an app caller, the permission check: the caller owns the item
/// (as its user, or, without a login, as the device that made it without a login), or `public` or
/// the caller's user oid grants the right.
fn push_item_filter(
    builder: &mut QueryBuilder<Postgres>,
    collection: &Collection,
    query: &ItemQuery,
) {
    builder.push("backend_id = ");
    builder.push_bind(collection.backend_id);
    builder.push(" AND ");
    push_criteria(builder, &query.criteria, &ITEM_COLUMNS);
    let Some((principal, right)) = &query.access else {
        return;
    };
    let granting = match right {
        Right::Read => "('r', 'rw')",
        Right::Write => "('w', 'rw')",
    };
    builder.push(" AND (COALESCE(permission->>'public' IN ");
    builder.push(granting);
    builder.push(", FALSE)");
    match &principal.user_oid {
        // Without a login the caller is its device, which owns what it made without a login.
        None if has_nul(&principal.device_id) => {}
        None => {
            builder.push(" OR (owner_user_oid IS NULL AND owner_device_oid = ");
            builder.push_bind(principal.device_id.clone());
            builder.push(")");
        }
        Some(user) if has_nul(user) => {}
        Some(user) => {
            builder.push(" OR COALESCE(owner_user_oid = ");
            builder.push_bind(user.clone());
            builder.push(", FALSE) OR COALESCE(permission->>");
            // The key is bound, not written: a user oid is data, whatever it contains.
            builder.push_bind(user.clone());
            builder.push(" IN ");
            builder.push(granting);
            builder.push(", FALSE)");
        }
    }
    builder.push(")");
}

/// A collection dropped while a request was using it shows as a missing table (undefined_table).
fn missing_table_is_not_found(error: sqlx::Error) -> StoreError {
    match &error {
        sqlx::Error::Database(db) if db.code().as_deref() == Some("42P01") => StoreError::NotFound,
        _ => store_error(error),
    }
}

#[cfg(test)]
mod tests {
    use berth_core::monaql::{Property, Scope, parse};
    use berth_core::page::{PageRequest, SortDirection};
    use berth_core::store::{BackendRepo as _, Store};
    use serde_json::json;

    use super::*;
    use crate::test_support::{create_test_database, require_test_server_url};

    #[test]
    fn index_names_fit_postgresql_identifiers() {
        let id = Uuid::now_v7();
        let name = property_index(id, "a_rather_long.property_path.with_levels");
        assert!(name.len() - 2 <= 63, "{name}");
        assert_ne!(name, property_index(id, "a_rather_long.property_path"));
        assert!(indexed_expression("a.b").is_ok());
        assert!(indexed_expression("a') OR 1 --").is_err());
        assert!(indexed_expression("1a").is_err());
    }

    /// A store on a fresh test database with one backend and its collection `GameScore`.
    async fn store_with_collection(indexed: &[&str]) -> (PgStore, Collection) {
        let url = create_test_database(&require_test_server_url())
            .await
            .expect("test database");
        let store = PgStore::connect(&url).await.expect("open");
        store.health().await.expect("healthy");
        let collection = berth_store_tests::stored_sample_collection(&store, indexed).await;
        (store, collection)
    }

    /// The plan PostgreSQL chooses for a page of items, as one text.
    async fn plan(store: &PgStore, collection: &Collection, criteria: &str, sort: &str) -> String {
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
        let mut explain = select_items("EXPLAIN ", collection, &query);
        let rows: Vec<String> = explain
            .build_query_scalar()
            .fetch_all(&store.pool)
            .await
            .expect("plan");
        rows.join("\n")
    }

    #[tokio::test]
    async fn filters_and_sorts_on_indexed_properties_use_the_index() {
        let (store, collection) = store_with_collection(&["score"]).await;
        // Enough rows, and fresh statistics, for the planner to prefer an index where one serves.
        let table = items_table(collection.id);
        let fill = format!(
            "INSERT INTO {table} (backend_id, id, created_at, updated_at, permission, data)
             SELECT $1, lpad(n::text, 8, '0'), n, n, '{{}}',
                    jsonb_build_object('score', n % 1000, 'playerName', 'p' || n)
             FROM generate_series(1, 20000) AS n"
        );
        sqlx::query(sqlx::AssertSqlSafe(fill))
            .bind(collection.backend_id)
            .execute(&store.pool)
            .await
            .expect("fill");
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("ANALYZE {table}")))
            .execute(&store.pool)
            .await
            .expect("analyze");
        let index = format!("items_{}_p_", collection.id.simple());

        let sorted = plan(&store, &collection, "", "score").await;
        assert!(
            sorted.contains(&index) && !sorted.contains("Sort Key"),
            "sort by score: {sorted}"
        );
        let filtered = plan(&store, &collection, "score > ?", "score").await;
        assert!(
            filtered.contains(&index) && !filtered.contains("Sort Key"),
            "filter on score: {filtered}"
        );
        let selective = plan(&store, &collection, "score == 7", "playerName").await;
        assert!(
            selective.contains(&index) && selective.contains("Index Cond"),
            "equality on score: {selective}"
        );
        let unindexed = plan(&store, &collection, "", "playerName").await;
        assert!(
            unindexed.contains("Sort Key") && !unindexed.contains(&index),
            "an unindexed sort sorts: {unindexed}"
        );
        store.close().await;
    }

    /// Databases made before migration 0013 have full owner indexes; the migration makes them
    /// partial, and lookups by owner still use them.
    #[tokio::test]
    async fn the_owner_index_migration_makes_full_owner_indexes_partial() {
        let (store, collection) = store_with_collection(&[]).await;
        let (table, hex) = (items_table(collection.id), collection.id.simple());
        let owner_indexes = || async {
            sqlx::query_as::<_, (String, String)>(
                "SELECT indexname, indexdef FROM pg_indexes
                 WHERE tablename = $1 AND indexname LIKE '%owner%' ORDER BY indexname",
            )
            .bind(format!("items_{hex}"))
            .fetch_all(&store.pool)
            .await
            .expect("indexes")
        };
        assert!(
            owner_indexes()
                .await
                .iter()
                .all(|(_, def)| def.contains("IS NOT NULL"))
        );
        let old = format!(
            "DROP INDEX \"items_{hex}_owner_user\"; DROP INDEX \"items_{hex}_owner_device\";
             CREATE INDEX \"items_{hex}_owner_user\" ON {table} (owner_user_oid NULLS FIRST, id);
             CREATE INDEX \"items_{hex}_owner_device\" ON {table} (owner_device_oid NULLS FIRST, id);"
        );
        sqlx::raw_sql(sqlx::AssertSqlSafe(old))
            .execute(&store.pool)
            .await
            .expect("old indexes");
        assert!(
            owner_indexes()
                .await
                .iter()
                .all(|(_, def)| !def.contains("WHERE"))
        );

        sqlx::raw_sql(include_str!("../migrations/0013_partial_owner_indexes.sql"))
            .execute(&store.pool)
            .await
            .expect("migration");
        let indexes = owner_indexes().await;
        assert_eq!(indexes.len(), 2, "{indexes:?}");
        assert!(
            indexes.iter().all(|(_, def)| def.contains("IS NOT NULL")),
            "{indexes:?}"
        );
        let mut tx = store.pool.begin().await.expect("begin");
        sqlx::raw_sql("SET LOCAL enable_seqscan = off")
            .execute(&mut *tx)
            .await
            .expect("no scans");
        let plan: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "EXPLAIN SELECT id FROM {table} WHERE owner_user_oid = 'someone'"
        )))
        .fetch_all(&mut *tx)
        .await
        .expect("plan");
        let plan = plan.join("\n");
        assert!(plan.contains(&format!("items_{hex}_owner_user")), "{plan}");
        drop(tx);
        store.close().await;
    }

    /// Whether the items table of `collection` exists.
    async fn table_exists(store: &PgStore, collection: &Collection) -> bool {
        sqlx::query_scalar::<_, bool>("SELECT to_regclass($1) IS NOT NULL")
            .bind(format!("items_{}", collection.id.simple()))
            .fetch_one(&store.pool)
            .await
            .expect("catalogue")
    }

    /// Item writes racing with a drop of their collection, and with a purge of their backend, each
    /// either land before it or find the collection gone: no deadlock, no other error, no table left.
    #[tokio::test]
    async fn writes_racing_with_drops_end_cleanly() {
        let url = create_test_database(&require_test_server_url())
            .await
            .expect("test database");
        let store = std::sync::Arc::new(PgStore::connect(&url).await.expect("open"));
        for purge in [false, true] {
            let backend = berth_store_tests::sample_backend(&format!("Race{purge}"), "1");
            store.insert_backend(&backend).await.expect("backend");
            let collection = berth_store_tests::sample_collection(backend.id, "Racing", &["score"]);
            store
                .create_collection(&collection)
                .await
                .expect("collection");
            let writers: Vec<_> = (0..12)
                .map(|i| {
                    let store = store.clone();
                    let collection = collection.clone();
                    tokio::spawn(async move {
                        let item = berth_store_tests::sample_item(json!({ "score": i }));
                        let inserted = store.insert_item(&collection, &item).await;
                        let updated = store.update_item(&collection, &item).await;
                        let deleted = store
                            .delete_items(&collection, std::slice::from_ref(&item.id))
                            .await;
                        [inserted, updated, deleted]
                    })
                })
                .collect();
            tokio::task::yield_now().await;
            if purge {
                store.delete_backend(backend.id, 1).await.expect("purge");
            } else {
                store
                    .drop_collection(backend.id, "Racing")
                    .await
                    .expect("drop");
            }
            for writer in writers {
                for outcome in writer.await.expect("join") {
                    assert!(
                        matches!(outcome, Ok(()) | Err(StoreError::NotFound)),
                        "{outcome:?}"
                    );
                }
            }
            assert!(!table_exists(&store, &collection).await, "purge: {purge}");
        }
        store.close().await;
    }
}
