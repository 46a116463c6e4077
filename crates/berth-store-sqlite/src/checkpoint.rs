//! WAL checkpoints beside the writer, not inside its commits.
//!
//! By default the connection whose commit pushes the WAL past 1,000 pages copies the WAL back into
//! the database file and fsyncs it, inside that commit: every writer queued behind it waits (tens of
//! milliseconds, the p99 of a write-heavy load). The writer connection has automatic checkpoints off;
//! this task runs PASSIVE checkpoints on a connection of its own, which never block writers or
//! readers. Durability is unchanged: a commit is durable once in the WAL (docs/compat.md).

use std::time::Duration;

use sqlx::SqlitePool;

/// How often the WAL is copied back; at thousands of commits per second the WAL stays in the tens
/// of megabytes at most.
const INTERVAL: Duration = Duration::from_millis(200);

pub(crate) async fn run(connection: SqlitePool) {
    let mut ticks = tokio::time::interval(INTERVAL);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    while !connection.is_closed() {
        ticks.tick().await;
        if connection.is_closed() {
            break;
        }
        let checkpoint = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .execute(&connection)
            .await;
        match checkpoint {
            Err(error) if !connection.is_closed() => {
                tracing::warn!(%error, "WAL checkpoint failed; retrying");
            }
            _ => {}
        }
    }
}
