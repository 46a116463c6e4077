//! The receiving side of `berth migrate`: rows written in one transaction, each value cast to the
//! type of its column as the catalog gives it, so tables added by later migrations need no code here.

use std::collections::HashMap;

use async_trait::async_trait;
use berth_core::StoreError;
use berth_core::store::StoreResult;
use berth_core::store::transfer::{Cell, RowBatch, TransferTarget};
use sqlx::{Postgres, QueryBuilder, Transaction};
use uuid::Uuid;

use crate::PgStore;
use crate::collections::{COLLECTION_SELECT, CollectionRow, create_items_table};
use crate::error::store_error;

/// Node-local settings (the admin token hash) that the source's settings replace.
const REPLACED_TABLE: &str = "settings";
const MIGRATIONS_TABLE: &str = "_sqlx_migrations";

struct Column {
    name: String,
    /// The catalog's type name (`uuid`, `int8`, `jsonb`…), used as the cast of each value.
    udt_name: String,
    generated: bool,
    identity: bool,
}

pub struct PgTransferTarget {
    tx: Transaction<'static, Postgres>,
    columns: HashMap<String, Vec<Column>>,
}

impl PgStore {
    /// Opens the transaction `berth migrate` fills; nothing is visible until it commits.
    pub async fn transfer_target(&self) -> StoreResult<PgTransferTarget> {
        let tx = self.pool.begin().await.map_err(store_error)?;
        Ok(PgTransferTarget {
            tx,
            columns: HashMap::new(),
        })
    }
}

/// A driver error with its own message: during a copy the detail (which column, which value) is the
/// point, not the domain outcome `store_error` would make of it.
fn raw(error: sqlx::Error) -> StoreError {
    StoreError::Internal(Box::new(error))
}

fn quoted(identifier: &str) -> String {
    format!("\"{}\"", identifier.replace('"', "\"\""))
}

impl PgTransferTarget {
    async fn load_columns(&mut self, table: &str) -> StoreResult<Vec<Column>> {
        let rows: Vec<(String, String, String, String)> = sqlx::query_as(
            "SELECT column_name::text, udt_name::text, is_generated::text, is_identity::text
             FROM information_schema.columns
             WHERE table_schema = current_schema() AND table_name = $1
             ORDER BY ordinal_position",
        )
        .bind(table)
        .fetch_all(&mut *self.tx)
        .await
        .map_err(raw)?;
        Ok(rows
            .into_iter()
            .map(|(name, udt_name, generated, identity)| Column {
                name,
                udt_name,
                generated: generated == "ALWAYS",
                identity: identity == "YES",
            })
            .collect())
    }

    /// A collection's item table is made from its row in `collections`, copied before it.
    async fn create_collection_table(&mut self, table: &str) -> StoreResult<()> {
        let Some(id) = table
            .strip_prefix("items_")
            .and_then(|hex| Uuid::try_parse(hex).ok())
        else {
            return Err(StoreError::NotFound);
        };
        let row: Option<CollectionRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{COLLECTION_SELECT} WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&mut *self.tx)
        .await
        .map_err(raw)?;
        let Some(row) = row else {
            return Err(StoreError::Internal(
                format!("{table} belongs to no collection in the source").into(),
            ));
        };
        create_items_table(&mut self.tx, &row.into_collection()?).await
    }

    fn columns_of(&self, table: &str) -> StoreResult<&[Column]> {
        self.columns
            .get(table)
            .map(Vec::as_slice)
            .ok_or(StoreError::NotFound)
    }
}

/// The text PostgreSQL casts to the column's type: booleans arrive as SQLite's 0 and 1, binary as hex.
fn cell_text(cell: &Cell, column: &Column) -> StoreResult<Option<String>> {
    Ok(match cell {
        Cell::Null => None,
        Cell::Integer(value) if column.udt_name == "bool" => Some((*value != 0).to_string()),
        Cell::Integer(value) => Some(value.to_string()),
        Cell::Real(value) => Some(format!("{value:?}")),
        Cell::Text(text) if column.udt_name == "bytea" => Some(hex_bytea(text.as_bytes())),
        Cell::Text(text) => Some(text.clone()),
        Cell::Blob(bytes) if column.udt_name == "bytea" => Some(hex_bytea(bytes)),
        Cell::Blob(bytes) => Some(String::from_utf8(bytes.clone()).map_err(|_| {
            StoreError::Internal(
                format!("column {} holds binary data but is not bytea", column.name).into(),
            )
        })?),
    })
}

fn hex_bytea(bytes: &[u8]) -> String {
    format!("\\x{}", hex::encode(bytes))
}

#[async_trait]
impl TransferTarget for PgTransferTarget {
    async fn occupied_tables(&mut self) -> StoreResult<Vec<(String, u64)>> {
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT table_name::text FROM information_schema.tables
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'
             ORDER BY table_name",
        )
        .fetch_all(&mut *self.tx)
        .await
        .map_err(raw)?;
        let mut occupied = Vec::new();
        for table in tables {
            if table == REPLACED_TABLE || table == MIGRATIONS_TABLE {
                continue;
            }
            let rows: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT count(*) FROM {}",
                quoted(&table)
            )))
            .fetch_one(&mut *self.tx)
            .await
            .map_err(raw)?;
            if rows > 0 {
                occupied.push((table, rows as u64));
            }
        }
        Ok(occupied)
    }

    async fn prepare_table(&mut self, table: &str) -> StoreResult<()> {
        let mut columns = self.load_columns(table).await?;
        if columns.is_empty() {
            self.create_collection_table(table).await?;
            columns = self.load_columns(table).await?;
        }
        if columns.is_empty() {
            return Err(StoreError::NotFound);
        }
        if table == REPLACED_TABLE {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DELETE FROM {}",
                quoted(table)
            )))
            .execute(&mut *self.tx)
            .await
            .map_err(raw)?;
        }
        self.columns.insert(table.to_owned(), columns);
        Ok(())
    }

    async fn write_rows(&mut self, table: &str, batch: &RowBatch) -> StoreResult<()> {
        let known = self.columns_of(table)?;
        // Source columns the target computes itself are left out; unknown ones stop the copy.
        let mut chosen = Vec::new();
        for (position, name) in batch.columns.iter().enumerate() {
            let Some(column) = known.iter().find(|column| &column.name == name) else {
                return Err(StoreError::Internal(
                    format!("the target table {table} has no column {name:?}").into(),
                ));
            };
            if !column.generated {
                chosen.push((position, column));
            }
        }
        let names = chosen
            .iter()
            .map(|(_, column)| quoted(&column.name))
            .collect::<Vec<_>>()
            .join(", ");
        let mut insert = QueryBuilder::<Postgres>::new(format!(
            "INSERT INTO {} ({names}) OVERRIDING SYSTEM VALUE ",
            quoted(table)
        ));
        let mut texts = Vec::with_capacity(batch.rows.len());
        for row in &batch.rows {
            let mut values = Vec::with_capacity(chosen.len());
            for (position, column) in &chosen {
                values.push((
                    cell_text(&row[*position], column)?,
                    quoted(&column.udt_name),
                ));
            }
            texts.push(values);
        }
        insert.push_values(texts, |mut tuple, values| {
            for (text, cast) in values {
                tuple.push_bind(text).push_unseparated(format!("::{cast}"));
            }
        });
        insert.build().execute(&mut *self.tx).await.map_err(raw)?;
        Ok(())
    }

    async fn finish_table(&mut self, table: &str) -> StoreResult<u64> {
        let identities: Vec<String> = self
            .columns_of(table)?
            .iter()
            .filter(|column| column.identity)
            .map(|column| column.name.clone())
            .collect();
        for column in identities {
            // Rows copied with their own numbers; the next generated one must come after them.
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT setval(pg_get_serial_sequence($1, $2), coalesce(max({}), 0) + 1, false) FROM {}",
                quoted(&column),
                quoted(table)
            )))
            .bind(quoted(table))
            .bind(&column)
            .execute(&mut *self.tx)
            .await
            .map_err(raw)?;
        }
        let rows: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT count(*) FROM {}",
            quoted(table)
        )))
        .fetch_one(&mut *self.tx)
        .await
        .map_err(raw)?;
        Ok(rows as u64)
    }

    async fn commit(self: Box<Self>) -> StoreResult<()> {
        self.tx.commit().await.map_err(raw)
    }
}
