//! WAL checkpoints beside the writer, not inside its commits.
//!
//! By default the connection whose commit pushes the WAL past 1,000 pages copies the WAL back into
//! the database file and fsyncs it, inside that commit: every writer queued behind it waits (tens of
//! milliseconds, the p99 of a write-heavy load). The writing connections have automatic checkpoints
//! off (`writer::WRITER_PRAGMAS`); this task runs PASSIVE checkpoints on a connection of its own,
//! which never block writers or readers. Durability is unchanged: a commit is durable once in the WAL (docs/compat.md).
//!
//! A checkpoint beside a busy writer never catches up with it, and SQLite starts the WAL over only
//! when a write begins with every frame copied back: under a steady stream of writes the WAL would
//! grow without end (gigabytes in a minute of inserts). So when the WAL passes [`CATCH_UP_FRAMES`],
//! the next checkpoint runs on the pool's writer connection in its turn, between two commits: it
//! copies the few frames the background checkpoints left, and the next write starts the WAL over.

use std::time::Duration;

use sqlx::{Row, SqlitePool};

use crate::writer::Writer;

/// How often the WAL is copied back.
const INTERVAL: Duration = Duration::from_millis(200);

/// WAL length (4 KiB pages) past which the writer catches up itself: 16 MiB.
const CATCH_UP_FRAMES: i64 = 4096;

/// Largest WAL file kept on disk once it starts over (`journal_size_limit`, bytes): a burst that
/// grew it does not leave it that large.
pub(crate) const WAL_SIZE_LIMIT: &str = "67108864";

pub(crate) async fn run(connection: SqlitePool, writer: Writer) {
    let mut ticks = tokio::time::interval(INTERVAL);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    while !connection.is_closed() {
        ticks.tick().await;
        if connection.is_closed() {
            break;
        }
        let wal_frames = match checkpoint(&connection).await {
            Ok(frames) => frames,
            Err(error) => {
                if !connection.is_closed() {
                    tracing::warn!(%error, "WAL checkpoint failed; retrying");
                }
                continue;
            }
        };
        if wal_frames >= CATCH_UP_FRAMES && !writer.is_closed() {
            // Waits its turn, like any write.
            let caught_up = async {
                let mut connection = writer.connection().await?;
                checkpoint(&mut *connection)
                    .await
                    .map_err(crate::error::store_error)
            }
            .await;
            if let Err(error) = caught_up
                && !writer.is_closed()
            {
                tracing::warn!(%error, wal_frames, "WAL catch-up checkpoint failed; retrying");
            }
        }
    }
}

/// A PASSIVE checkpoint (it waits for no one); answers the WAL's length in frames.
async fn checkpoint<'c>(
    connection: impl sqlx::Executor<'c, Database = sqlx::Sqlite>,
) -> Result<i64, sqlx::Error> {
    let outcome = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
        .fetch_one(connection)
        .await?;
    // Columns: busy, frames in the WAL, frames copied back (-1 and -1 when not in WAL mode).
    outcome.try_get(1)
}
