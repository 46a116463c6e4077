//! Group commit for item writes.
//!
//! SQLite has one writer at a time, so a transaction per request makes every create wait for the
//! whole BEGIN … COMMIT of the one before it, and every statement is a round trip to the
//! connection's worker thread. Here concurrent item writes queue up and the item writer, on a thread
//! of its own, runs everything queued in one transaction, and answers each caller only after the
//! COMMIT: an answered write is in the WAL exactly as before, so the durability class is unchanged
//! (see docs/compat.md, "Durability"). A write that arrives alone is committed alone, without
//! waiting for company.
//!
//! New items of one collection go in together: one count update and one `INSERT … SELECT` over a
//! JSON array of rows, however many there are. Other writes run one by one, each in its own savepoint,
//! so a failing write rolls back alone; so do new items when their shared insert fails, to find out
//! which of them failed.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use berth_core::StoreError;
use berth_core::store::StoreResult;
use futures_util::future::BoxFuture;
use serde_json::Value;
use sqlx::{Connection as _, SqliteConnection};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use crate::error::store_error;
use crate::writer::Writer;

/// One write: statements run on the pool's writer connection inside the group's transaction.
pub(crate) type WriteJob =
    Box<dyn for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, StoreResult<()>> + Send>;

/// Bounds how long the first caller of a group waits for the others' statements.
const MAX_GROUP: usize = 128;

/// A queued write.
pub(crate) enum ItemWrite {
    /// A new item of a collection, as the JSON array `[id, owner user, owner device, created at,
    /// updated at, permission text, data text]` that [`insert_items`] reads.
    Insert {
        backend_id: Uuid,
        collection_id: Uuid,
        row: Value,
    },
    /// Any other write to items of the collection with this id.
    Job(Uuid, WriteJob),
}

struct Queued {
    write: ItemWrite,
    answer: oneshot::Sender<StoreResult<()>>,
}

#[derive(Clone)]
pub(crate) struct GroupCommitter {
    queue: mpsc::UnboundedSender<Queued>,
}

impl GroupCommitter {
    /// Starts the writer on a thread of its own, where it drives SQLite directly for the common
    /// group and never holds up a tokio worker while it does; it ends when the last
    /// `GroupCommitter` clone is dropped.
    pub(crate) fn start(writer: Writer, versions: Arc<ItemVersions>) -> std::io::Result<Self> {
        let (queue, receiver) = mpsc::unbounded_channel();
        // Its own runtime, as the other writes of a group still go through sqlx.
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        std::thread::Builder::new()
            .name("berth-item-writer".into())
            .spawn(move || runtime.block_on(run(writer, versions, receiver)))?;
        Ok(Self { queue })
    }

    /// Runs `write` in the next group and returns once that group is committed (or it failed).
    pub(crate) async fn write(&self, write: ItemWrite) -> StoreResult<()> {
        let (answer, answered) = oneshot::channel();
        self.queue
            .send(Queued { write, answer })
            .map_err(|_| stopped())?;
        answered.await.map_err(|_| stopped())?
    }
}

/// The group's failure, once per job (store errors are not `Clone`: their sources are boxed).
fn copy_of(failure: &StoreError) -> StoreError {
    match failure {
        StoreError::NotFound => StoreError::NotFound,
        StoreError::AlreadyExists(rule) => StoreError::AlreadyExists(rule),
        StoreError::VersionConflict => StoreError::VersionConflict,
        StoreError::Unavailable(source) => StoreError::Unavailable(source.to_string().into()),
        StoreError::Internal(source) => StoreError::Internal(source.to_string().into()),
    }
}

fn stopped() -> StoreError {
    StoreError::Unavailable("the SQLite writer has stopped".into())
}

async fn run(
    writer: Writer,
    versions: Arc<ItemVersions>,
    mut receiver: mpsc::UnboundedReceiver<Queued>,
) {
    let mut group = Vec::with_capacity(MAX_GROUP);
    while receiver.recv_many(&mut group, MAX_GROUP).await > 0 {
        let (writes, answers): (Vec<_>, Vec<_>) = group
            .drain(..)
            .map(|queued| (queued.write, queued.answer))
            .unzip();
        let results = commit_group(&writer, &versions, writes).await;
        for (answer, result) in answers.into_iter().zip(results) {
            // The caller may have gone away (client disconnected); its write stands regardless.
            let _ = answer.send(result);
        }
    }
}

/// Runs the writes in one transaction and returns each one's result, all after the commit. When the
/// transaction itself fails, every write gets that failure: none is acknowledged unless committed.
async fn commit_group(
    writer: &Writer,
    versions: &ItemVersions,
    writes: Vec<ItemWrite>,
) -> Vec<StoreResult<()>> {
    let count = writes.len();
    if let Some(rows) = rows_of_one_collection(&writes)
        && let Some(outcome) = insert_alone(writer, &rows).await
    {
        if let Some(collection_id) = outcome.touched {
            versions.bump(collection_id);
        }
        return (0..count)
            .map(|_| outcome.result.as_ref().map_err(copy_of).copied())
            .collect();
    }
    let mut results: Vec<Option<StoreResult<()>>> = (0..count).map(|_| None).collect();
    let transaction = async {
        let mut connection = writer.connection().await?;
        let mut tx = connection
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(store_error)?;
        // New items by collection, in arrival order; the other writes as they came.
        let mut inserts: HashMap<(Uuid, Uuid), Vec<(usize, Value)>> = HashMap::new();
        let mut jobs = Vec::new();
        let mut touched = Vec::new();
        for (position, write) in writes.into_iter().enumerate() {
            match write {
                ItemWrite::Insert {
                    backend_id,
                    collection_id,
                    row,
                } => inserts
                    .entry((backend_id, collection_id))
                    .or_default()
                    .push((position, row)),
                ItemWrite::Job(collection_id, job) => {
                    touched.push(collection_id);
                    jobs.push((position, job));
                }
            }
        }
        touched.extend(inserts.keys().map(|(_, collection_id)| *collection_id));
        for ((backend_id, collection_id), rows) in inserts {
            let (positions, rows): (Vec<usize>, Vec<Value>) = rows.into_iter().unzip();
            let outcomes = insert_group(&mut tx, backend_id, collection_id, rows).await?;
            for (position, outcome) in positions.into_iter().zip(outcomes) {
                results[position] = Some(outcome);
            }
        }
        for (position, job) in jobs {
            results[position] = Some(run_in_savepoint(&mut tx, job).await?);
        }
        let committed = tx.commit().await.map_err(store_error);
        // Before anyone is answered: a caller that reads after its write gets a fresh total.
        for collection_id in touched {
            versions.bump(collection_id);
        }
        committed
    }
    .await;
    match transaction {
        Ok(()) => results
            .into_iter()
            .map(|result| {
                result.unwrap_or_else(|| Err(StoreError::Internal("a write was skipped".into())))
            })
            .collect(),
        Err(failure) => (0..count).map(|_| Err(copy_of(&failure))).collect(),
    }
}

/// New items of one collection: all at once, or, when that fails, one by one for each its own result.
/// The outer `Err` fails the whole group.
async fn insert_group(
    connection: &mut SqliteConnection,
    backend_id: Uuid,
    collection_id: Uuid,
    rows: Vec<Value>,
) -> StoreResult<Vec<StoreResult<()>>> {
    let count = rows.len();
    let together = insert_items(connection, backend_id, collection_id, &rows).await?;
    if together.is_ok() || count == 1 {
        return Ok((0..count)
            .map(|_| together.as_ref().map_err(copy_of).copied())
            .collect());
    }
    let mut outcomes = Vec::with_capacity(count);
    for row in rows {
        outcomes.push(insert_items(connection, backend_id, collection_id, &[row]).await?);
    }
    Ok(outcomes)
}

/// New items of one collection, ready for [`insert_and_count`] or [`insert_and_count_in_thread`].
struct NewRows {
    backend_id: Uuid,
    collection_id: Uuid,
    /// The rows as one JSON array.
    json: String,
    count: u64,
}

impl NewRows {
    fn of(
        backend_id: Uuid,
        collection_id: Uuid,
        rows: &[impl serde::Serialize],
    ) -> StoreResult<Self> {
        Ok(Self {
            backend_id,
            collection_id,
            json: serde_json::to_string(rows)
                .map_err(|error| StoreError::Internal(error.into()))?,
            count: u64::try_from(rows.len()).unwrap_or(u64::MAX),
        })
    }
}

/// What a group of new items of one collection came to when written by [`insert_alone`].
struct AloneOutcome {
    /// The collection whose items changed, if any did.
    touched: Option<Uuid>,
    result: StoreResult<()>,
}

/// The common group, nothing but new items of one collection, written by the item writer's own
/// connection, on this thread: no query crosses to another thread and back. BEGIN, the insert, the
/// count and COMMIT: the count's `RETURNING` says whether the collection was there (and so every
/// row went in: a taken id fails the insert). `None` when that failed and was rolled back, or the
/// connection is out of service: the general path then finds out which write failed.
async fn insert_alone(writer: &Writer, rows: &NewRows) -> Option<AloneOutcome> {
    let mut turn = writer.in_thread().await.ok()?;
    let connection = turn.as_mut()?;
    match insert_and_count_in_thread(connection, rows) {
        Ok(true) => Some(AloneOutcome {
            touched: Some(rows.collection_id),
            result: Ok(()),
        }),
        Ok(false) => Some(AloneOutcome {
            touched: None,
            result: Err(StoreError::NotFound),
        }),
        Err(error) => {
            // The transaction was rolled back when it was dropped, unless ROLLBACK failed too:
            // then its state is unknown, and the general path takes over every group from here.
            if !connection.is_autocommit() {
                tracing::error!(%error, "the item writer's own connection is out of service");
                turn.take();
            }
            None
        }
    }
}

/// `Ok(false)`: the collection is gone, nothing changed.
fn insert_and_count_in_thread(
    connection: &mut rusqlite::Connection,
    rows: &NewRows,
) -> rusqlite::Result<bool> {
    let transaction =
        connection.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let backend_id = rows.backend_id.to_string();
    let collection_id = rows.collection_id.to_string();
    transaction
        .prepare_cached(&insert_sql(rows.collection_id))?
        .execute(rusqlite::named_params! {
            "$1": backend_id,
            "$2": rows.json,
            "$4": collection_id,
        })?;
    let counted = transaction
        .prepare_cached(&format!("{COUNT_SQL} RETURNING 1"))?
        .exists(rusqlite::named_params! {
            "$1": backend_id,
            "$3": i64::try_from(rows.count).unwrap_or(i64::MAX),
            "$4": collection_id,
        })?;
    transaction.commit()?;
    Ok(counted)
}

/// The group's rows as one JSON array, when it holds nothing but new items of one collection.
fn rows_of_one_collection(writes: &[ItemWrite]) -> Option<NewRows> {
    let mut rows = Vec::with_capacity(writes.len());
    let mut target = None;
    for write in writes {
        let ItemWrite::Insert {
            backend_id,
            collection_id,
            row,
        } = write
        else {
            return None;
        };
        if target.get_or_insert((*backend_id, *collection_id)) != &(*backend_id, *collection_id) {
            return None;
        }
        rows.push(row);
    }
    let (backend_id, collection_id) = target?;
    NewRows::of(backend_id, collection_id, &rows).ok()
}

/// Inserts the rows given as a JSON array (`$2`) into the collection (`$4`) of the backend (`$1`),
/// guarded by the collection row: when the collection is gone, nothing goes in.
fn insert_sql(collection_id: Uuid) -> String {
    format!(
        "INSERT INTO {} (id, backend_id, owner_user_oid, owner_device_oid, created_at, updated_at, permission, data)
         SELECT value ->> 0, $1, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, value ->> 6
         FROM json_each($2)
         WHERE EXISTS (SELECT 1 FROM collections WHERE backend_id = $1 AND id = $4)",
        crate::collections::items_table(collection_id)
    )
}

/// Adds the number of new items (`$3`) to the collection's count, with the parameters of
/// [`insert_sql`].
const COUNT_SQL: &str =
    "UPDATE collections SET item_count = item_count + $3 WHERE backend_id = $1 AND id = $4";

/// [`insert_sql`] and [`COUNT_SQL`] in one round trip: they affect one row per item plus the
/// collection row, or nothing at all when the collection is gone. Several statements in one query is
/// behaviour sqlx-sqlite 0.9 has but may drop in a later version; the conformance suite's duplicate
/// item id story fails if it goes.
fn insert_and_count(
    rows: NewRows,
) -> sqlx::query::Query<'static, sqlx::Sqlite, sqlx::sqlite::SqliteArguments> {
    let sql = format!("{}; {COUNT_SQL}", insert_sql(rows.collection_id));
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(rows.backend_id.to_string())
        .bind(rows.json)
        .bind(i64::try_from(rows.count).unwrap_or(i64::MAX))
        .bind(rows.collection_id.to_string())
}

/// Inserts the rows and counts them, inside the group's transaction, in one round trip. The inner
/// `Err` is the items' own failure (the collection is gone, an id is taken), with nothing changed;
/// the outer one fails the whole group, as the transaction's state is then unknown.
async fn insert_items(
    connection: &mut SqliteConnection,
    backend_id: Uuid,
    collection_id: Uuid,
    rows: &[Value],
) -> StoreResult<StoreResult<()>> {
    let rows = NewRows::of(backend_id, collection_id, rows)?;
    let count = rows.count;
    let inserted = insert_and_count(rows).execute(connection).await;
    match inserted {
        Ok(done) if done.rows_affected() == count + 1 => Ok(Ok(())),
        Ok(done) if done.rows_affected() == 0 => Ok(Err(StoreError::NotFound)),
        Ok(done) => Err(StoreError::Internal(
            format!(
                "{} rows changed inserting {count} items",
                done.rows_affected()
            )
            .into(),
        )),
        // The collection was dropped (the INSERT could not even be prepared) or an id is taken (the
        // INSERT was rolled back and the UPDATE never ran): nothing changed.
        Err(error) => match crate::collections::missing_table_is_not_found(error) {
            failure @ (StoreError::NotFound | StoreError::AlreadyExists(_)) => Ok(Err(failure)),
            // Which of the two statements failed is unknown: the whole group fails.
            other => Err(other),
        },
    }
}

/// The job's own result, or `Err` for the group when the savepoint could not be handled.
async fn run_in_savepoint(
    connection: &mut SqliteConnection,
    job: WriteJob,
) -> StoreResult<StoreResult<()>> {
    execute(connection, "SAVEPOINT item_write").await?;
    let result = job(connection).await;
    if result.is_err() {
        execute(connection, "ROLLBACK TO item_write").await?;
    }
    execute(connection, "RELEASE item_write").await?;
    Ok(result)
}

async fn execute(connection: &mut SqliteConnection, sql: &'static str) -> StoreResult<()> {
    sqlx::query(sql)
        .execute(connection)
        .await
        .map_err(store_error)?;
    Ok(())
}

/// A number per collection that changes with every committed item write, for `CountCache`. Kept in
/// this process: every item write of an embedded installation goes through its one item writer.
#[derive(Default)]
pub(crate) struct ItemVersions {
    versions: Mutex<HashMap<Uuid, i64>>,
}

impl ItemVersions {
    pub(crate) fn current(&self, collection_id: Uuid) -> i64 {
        let versions = self.versions.lock().unwrap_or_else(|e| e.into_inner());
        versions.get(&collection_id).copied().unwrap_or(0)
    }

    fn bump(&self, collection_id: Uuid) {
        let mut versions = self.versions.lock().unwrap_or_else(|e| e.into_inner());
        *versions.entry(collection_id).or_insert(0) += 1;
    }
}
