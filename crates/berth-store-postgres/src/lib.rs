//! Berth's store on PostgreSQL, for installations where several `berth` nodes share one database.
//!
//! One connection pool serves every query. The schema is brought up to date at connect time by sqlx's
//! migrator, which holds a PostgreSQL advisory lock while it works, so nodes that start together
//! apply each migration once. Every table that holds a backend's data leads its key with the backend
//! id (see docs/scaling.md).

mod analytics;
mod appauth;
mod backends;
mod collections;
mod error;
pub mod json;
mod keys;
pub mod monaql;
mod nul;
mod oracle_storage;
mod paging;
mod push;
mod redact;
mod roles;
mod settings;
pub mod test_support;
mod transfer;
mod users;

pub use transfer::PgTransferTarget;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use berth_core::store::{CountCache, Store, StoreResult};
use sqlx::Connection;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};

pub use error::OpenError;
pub use redact::redact;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Connections each node keeps open at most.
pub const MAX_CONNECTIONS: u32 = 16;

/// How long connecting at start-up may take before it counts as unreachable.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a query waits for a free connection before it fails as `Unavailable`.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Clone)]
pub struct PgStore {
    description: String,
    pool: PgPool,
    item_totals: Arc<CountCache>,
}

impl PgStore {
    /// Connects to the database at `url` (`postgres://user:password@host:port/database?…`) and brings
    /// its schema up to date. Fails fast, with a message that never holds the password, when the URL
    /// is malformed or the server cannot be reached.
    pub async fn connect(url: &str) -> Result<Self, OpenError> {
        let options = PgConnectOptions::from_str(url).map_err(|error| OpenError::InvalidUrl {
            url: redact(url),
            reason: redact::scrub(&error.to_string(), url),
        })?;
        Self::connect_with(options)
            .await
            .map_err(|error| error.scrubbed(url))
    }

    /// Like [`PgStore::connect`], from options built in code.
    pub async fn connect_with(options: PgConnectOptions) -> Result<Self, OpenError> {
        let description = describe(&options);
        let connect_failed = |reason: String| OpenError::Connect {
            target: description.clone(),
            reason,
        };
        // One plain connection first: its error tells why the server cannot be reached (a pool would
        // retry a refused connection until its timeout and then report only the timeout).
        let connection =
            match tokio::time::timeout(CONNECT_TIMEOUT, PgConnection::connect_with(&options)).await
            {
                Ok(Ok(connection)) => connection,
                Ok(Err(error)) => return Err(connect_failed(error.to_string())),
                Err(_) => {
                    return Err(connect_failed(format!(
                        "no answer within {} s",
                        CONNECT_TIMEOUT.as_secs()
                    )));
                }
            };
        let _ = connection.close().await;
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_lazy_with(options);
        // Through the pool (not the connection above) so that this future is `Send`; the connection
        // it takes stays in the pool for the first queries.
        MIGRATOR
            .run(&pool)
            .await
            .map_err(|error| OpenError::Migration {
                target: description.clone(),
                reason: error.to_string(),
            })?;
        Ok(Self {
            description,
            pool,
            item_totals: Arc::default(),
        })
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// "PostgreSQL database NAME on HOST:PORT as USER", built from the parsed options, which hold the
/// password separately: nothing here can reveal it.
fn describe(options: &PgConnectOptions) -> String {
    let database = options
        .get_database()
        .unwrap_or_else(|| options.get_username());
    let place = match options.get_socket() {
        Some(socket) => format!("socket {}", socket.display()),
        None => format!("{}:{}", options.get_host(), options.get_port()),
    };
    format!(
        "PostgreSQL database {database} on {place} as {}",
        options.get_username()
    )
}

#[async_trait]
impl Store for PgStore {
    fn describe(&self) -> String {
        self.description.clone()
    }

    fn is_shared(&self) -> bool {
        true
    }

    async fn health(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(error::store_error)?;
        Ok(())
    }
}
