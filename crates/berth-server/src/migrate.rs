//! `berth migrate --from ./berth-data --to postgres://…`: an embedded installation moves to PostgreSQL.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use berth_core::StoreError;
use berth_core::store::transfer::{TransferError, TransferProgress, copy_store};
use berth_store_postgres::PgStore;
use berth_store_sqlite::{DATABASE_FILE, SqliteStore};

use crate::cli::MigrateArgs;
use crate::config::redact;

#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error(
        "{0} holds no Berth database ({DATABASE_FILE}); --from names the data folder of the installation to copy"
    )]
    NoSource(PathBuf),
    #[error("--to must be a postgres:// URL, not {0:?}")]
    NotPostgres(String),
    #[error(transparent)]
    Sqlite(#[from] berth_store_sqlite::OpenError),
    #[error(transparent)]
    Postgres(#[from] berth_store_postgres::OpenError),
    #[error("cannot start the copy: {0}")]
    Start(#[source] StoreError),
    #[error("nothing was copied: {0}")]
    Transfer(#[from] TransferError),
}

/// How often a large table reports how far it got.
const PROGRESS_EVERY: Duration = Duration::from_secs(2);

pub async fn run(args: &MigrateArgs) -> Result<(), MigrateError> {
    if !args.from.join(DATABASE_FILE).is_file() {
        return Err(MigrateError::NoSource(args.from.clone()));
    }
    let url = args.to.trim();
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        return Err(MigrateError::NotPostgres(redact(url)));
    }
    let started = Instant::now();
    let source_store = SqliteStore::open(&args.from).await?;
    eprintln!("source: {}", source_store.path().display());
    let target_store = PgStore::connect(url).await?;
    eprintln!("target: {} (schema up to date)", redact(url));
    let mut source = source_store
        .transfer_source()
        .await
        .map_err(MigrateError::Start)?;
    let target = target_store
        .transfer_target()
        .await
        .map_err(MigrateError::Start)?;
    let mut last_report = Instant::now();
    let mut report_progress = |progress: TransferProgress| match progress {
        TransferProgress::TableStarted { table, rows } => {
            eprintln!("copying {table}: {rows} rows");
            last_report = Instant::now();
        }
        TransferProgress::Rows {
            table,
            copied,
            rows,
        } => {
            if last_report.elapsed() >= PROGRESS_EVERY && copied < rows {
                let percent = copied * 100 / rows.max(1);
                eprintln!("  {table}: {copied}/{rows} ({percent}%)");
                last_report = Instant::now();
            }
        }
        TransferProgress::TableVerified { table, rows } => {
            eprintln!("  {table}: {rows} rows copied, count verified");
        }
    };
    let copied = copy_store(&mut source, Box::new(target), &mut report_progress).await;
    // The snapshot holds a pooled connection that closing the pool would wait for.
    drop(source);
    source_store.close().await;
    target_store.close().await;
    let report = copied?;
    let rows: u64 = report.iter().map(|(_, rows)| rows).sum();
    eprintln!(
        "done in {:.1} s: {} tables, {rows} rows, every count equal in source and target; committed.",
        started.elapsed().as_secs_f64(),
        report.len()
    );
    eprintln!(
        "start Berth on it with: berth serve --database-url '{}' (the admin token of {} still works)",
        redact(url),
        args.from.display()
    );
    Ok(())
}
