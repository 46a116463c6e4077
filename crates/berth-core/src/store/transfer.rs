//! Copying a whole installation from one store to another (`berth migrate`), table by table.
//!
//! The copy works on rows, not on domain objects, so a table a later migration adds is copied
//! without new code here, and a table the target lacks stops the copy instead of being skipped.
//! Rows travel in batches: a million items never sit in memory at once.

use async_trait::async_trait;

use super::StoreResult;

/// One stored value, in the vocabulary every SQL store can read and write.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Null,
    Integer(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

/// Rows of one table; every row has one cell per column, in `columns` order.
#[derive(Debug, Clone, Default)]
pub struct RowBatch {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

/// Where a table's reading stands: the rows after this position come next.
pub type Cursor = i64;

/// A consistent view of a whole store to copy from.
#[async_trait]
pub trait TransferSource: Send {
    /// Every table with data, parents before the tables whose foreign keys point at them.
    async fn tables(&mut self) -> StoreResult<Vec<String>>;

    async fn count_rows(&mut self, table: &str) -> StoreResult<u64>;

    /// Up to `limit` rows after `after` (from the start when `None`), and the position of the last
    /// one (`None` when the table is exhausted).
    async fn read_rows(
        &mut self,
        table: &str,
        after: Option<Cursor>,
        limit: usize,
    ) -> StoreResult<(RowBatch, Option<Cursor>)>;
}

/// A store being filled in one transaction: nothing is visible until [`TransferTarget::commit`].
#[async_trait]
pub trait TransferTarget: Send {
    /// Tables of the target that already hold rows the copy would collide with, with their counts.
    async fn occupied_tables(&mut self) -> StoreResult<Vec<(String, u64)>>;

    /// Makes `table` ready to receive rows (creating per-collection tables from the rows copied
    /// before). `NotFound` when the target has no such table: its schema does not cover the source.
    async fn prepare_table(&mut self, table: &str) -> StoreResult<()>;

    async fn write_rows(&mut self, table: &str, batch: &RowBatch) -> StoreResult<()>;

    /// Called once a table's rows are all written (sequences catch up); answers the row count.
    async fn finish_table(&mut self, table: &str) -> StoreResult<u64>;

    async fn commit(self: Box<Self>) -> StoreResult<()>;
}

/// What the copy reports while it works.
#[derive(Debug, Clone, PartialEq)]
pub enum TransferProgress {
    TableStarted {
        table: String,
        rows: u64,
    },
    Rows {
        table: String,
        copied: u64,
        rows: u64,
    },
    TableVerified {
        table: String,
        rows: u64,
    },
}

/// The count that did not match, or the table that could not be copied.
#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    #[error(
        "the target is not empty ({0}); migrate into a fresh database or drop its tables first"
    )]
    TargetNotEmpty(String),
    #[error("the target has no table {0:?}: its schema does not cover this source")]
    MissingTable(String),
    #[error("table {table}: {source_rows} rows in the source but {target_rows} in the target")]
    CountMismatch {
        table: String,
        source_rows: u64,
        target_rows: u64,
    },
    #[error("table {table}: {source}")]
    Store {
        table: String,
        #[source]
        source: crate::error::StoreError,
    },
}

/// A summary line per table: name and rows copied (source and target counts agreed).
pub type TransferReport = Vec<(String, u64)>;

const BATCH_ROWS: usize = 500;

/// Copies every table of `source` into `target`, checks each count, and commits only when all agree.
pub async fn copy_store(
    source: &mut dyn TransferSource,
    mut target: Box<dyn TransferTarget>,
    progress: &mut (dyn FnMut(TransferProgress) + Send),
) -> Result<TransferReport, TransferError> {
    let whole = |source| TransferError::Store {
        table: "(all)".to_owned(),
        source,
    };
    let occupied = target.occupied_tables().await.map_err(whole)?;
    if !occupied.is_empty() {
        let list = occupied
            .iter()
            .map(|(table, rows)| format!("{table}: {rows} rows"))
            .collect::<Vec<_>>()
            .join(", ");
        return Err(TransferError::TargetNotEmpty(list));
    }
    let mut report = TransferReport::new();
    for table in source.tables().await.map_err(whole)? {
        let at = |source| TransferError::Store {
            table: table.clone(),
            source,
        };
        let rows = source.count_rows(&table).await.map_err(at)?;
        match target.prepare_table(&table).await {
            Err(crate::error::StoreError::NotFound) => {
                return Err(TransferError::MissingTable(table));
            }
            other => other.map_err(at)?,
        }
        progress(TransferProgress::TableStarted {
            table: table.clone(),
            rows,
        });
        let mut copied = 0;
        let mut after = None;
        loop {
            let (batch, last) = source
                .read_rows(&table, after, BATCH_ROWS)
                .await
                .map_err(at)?;
            if !batch.rows.is_empty() {
                target.write_rows(&table, &batch).await.map_err(at)?;
                copied += batch.rows.len() as u64;
                progress(TransferProgress::Rows {
                    table: table.clone(),
                    copied,
                    rows,
                });
            }
            match last {
                Some(position) if batch.rows.len() == BATCH_ROWS => after = Some(position),
                _ => break,
            }
        }
        let target_rows = target.finish_table(&table).await.map_err(at)?;
        if target_rows != rows || copied != rows {
            return Err(TransferError::CountMismatch {
                table,
                source_rows: rows,
                target_rows,
            });
        }
        progress(TransferProgress::TableVerified {
            table: table.clone(),
            rows,
        });
        report.push((table, rows));
    }
    target.commit().await.map_err(whole)?;
    Ok(report)
}
