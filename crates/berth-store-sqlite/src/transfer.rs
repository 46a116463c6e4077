//! The sending side of `berth migrate`: every table of the database, read in one read transaction
//! (one consistent snapshot under WAL) in batches by rowid.

use std::collections::{BTreeSet, HashMap};

use async_trait::async_trait;
use berth_core::StoreError;
use berth_core::store::StoreResult;
use berth_core::store::transfer::{Cell, Cursor, RowBatch, TransferSource};
use sqlx::sqlite::SqliteRow;
use sqlx::{Column as _, Row, Sqlite, Transaction, TypeInfo, ValueRef};

use crate::SqliteStore;

/// The column name the rowid is read under, so it cannot clash with a table's own columns.
const ROWID: &str = "__berth_rowid";

pub struct SqliteTransferSource {
    tx: Transaction<'static, Sqlite>,
}

impl SqliteStore {
    /// A snapshot of the whole database for `berth migrate`; writers may go on meanwhile.
    pub async fn transfer_source(&self) -> StoreResult<SqliteTransferSource> {
        let tx = self.reader.begin().await.map_err(raw)?;
        Ok(SqliteTransferSource { tx })
    }
}

fn raw(error: sqlx::Error) -> StoreError {
    StoreError::Internal(Box::new(error))
}

fn quoted(identifier: &str) -> String {
    format!("\"{}\"", identifier.replace('"', "\"\""))
}

fn cell(row: &SqliteRow, index: usize) -> StoreResult<Cell> {
    let value = row.try_get_raw(index).map_err(raw)?;
    if value.is_null() {
        return Ok(Cell::Null);
    }
    let kind = value.type_info().name().to_owned();
    Ok(match kind.as_str() {
        "INTEGER" => Cell::Integer(row.try_get(index).map_err(raw)?),
        "REAL" => Cell::Real(row.try_get(index).map_err(raw)?),
        "BLOB" => Cell::Blob(row.try_get(index).map_err(raw)?),
        _ => Cell::Text(row.try_get(index).map_err(raw)?),
    })
}

#[async_trait]
impl TransferSource for SqliteTransferSource {
    async fn tables(&mut self) -> StoreResult<Vec<String>> {
        let tables: Vec<(String, String)> = sqlx::query_as(
            "SELECT name, coalesce(sql, '') FROM sqlite_master
             WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
               AND name <> '_sqlx_migrations'
             ORDER BY rowid",
        )
        .fetch_all(&mut *self.tx)
        .await
        .map_err(raw)?;
        if let Some((name, _)) = tables
            .iter()
            .find(|(_, sql)| sql.to_uppercase().contains("WITHOUT ROWID"))
        {
            return Err(StoreError::Internal(
                format!("table {name} has no rowid; berth migrate cannot page through it").into(),
            ));
        }
        // Parents first: the foreign keys each table declares, and a collection's item table after
        // the collection rows it is created from.
        let mut parents: HashMap<String, BTreeSet<String>> = HashMap::new();
        for (name, _) in &tables {
            let mut own: BTreeSet<String> =
                sqlx::query_scalar("SELECT DISTINCT \"table\" FROM pragma_foreign_key_list(?)")
                    .bind(name)
                    .fetch_all(&mut *self.tx)
                    .await
                    .map_err(raw)?
                    .into_iter()
                    .filter(|parent: &String| parent != name)
                    .collect();
            if name.starts_with("items_") {
                own.insert("collections".to_owned());
            }
            parents.insert(name.clone(), own);
        }
        let mut ordered: Vec<String> = Vec::with_capacity(tables.len());
        while ordered.len() < tables.len() {
            let ready = tables.iter().map(|(name, _)| name).find(|name| {
                !ordered.contains(name)
                    && parents[*name]
                        .iter()
                        .all(|parent| ordered.contains(parent) || !parents.contains_key(parent))
            });
            match ready {
                Some(name) => ordered.push(name.clone()),
                None => {
                    return Err(StoreError::Internal(
                        "the tables' foreign keys form a cycle".into(),
                    ));
                }
            }
        }
        Ok(ordered)
    }

    async fn count_rows(&mut self, table: &str) -> StoreResult<u64> {
        let rows: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT count(*) FROM {}",
            quoted(table)
        )))
        .fetch_one(&mut *self.tx)
        .await
        .map_err(raw)?;
        Ok(rows as u64)
    }

    async fn read_rows(
        &mut self,
        table: &str,
        after: Option<Cursor>,
        limit: usize,
    ) -> StoreResult<(RowBatch, Option<Cursor>)> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT rowid AS {ROWID}, * FROM {} WHERE rowid > ? ORDER BY rowid LIMIT ?",
            quoted(table)
        )))
        .bind(after.unwrap_or(i64::MIN))
        .bind(limit as i64)
        .fetch_all(&mut *self.tx)
        .await
        .map_err(raw)?;
        let mut batch = RowBatch::default();
        let mut last = None;
        for row in &rows {
            if batch.columns.is_empty() {
                batch.columns = row
                    .columns()
                    .iter()
                    .skip(1)
                    .map(|column| column.name().to_owned())
                    .collect();
            }
            last = Some(row.try_get::<i64, _>(0).map_err(raw)?);
            let cells = (1..row.columns().len())
                .map(|index| cell(row, index))
                .collect::<StoreResult<Vec<_>>>()?;
            batch.rows.push(cells);
        }
        Ok((batch, last))
    }
}
