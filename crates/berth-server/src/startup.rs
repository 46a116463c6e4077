//! `berth serve`: open the store, make sure an admin token exists, listen, shut down gracefully.

use std::path::{Path, PathBuf};
use std::time::Duration;

use berth_core::Berth;
use berth_core::service::AdminTokenSource;
use tokio::net::TcpListener;

use crate::config::{DEFAULT_LISTEN, StorageArgs, StorageError};
use crate::connections::{self, ConnectionLimits};
use crate::http::limits::RequestLimits;
use crate::http::{self, AppState};

/// File in the data directory that receives a generated admin token (mode 0600).
pub const ADMIN_TOKEN_FILE: &str = "admin-token";

#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "BERTH_LISTEN", default_value = DEFAULT_LISTEN)]
    pub listen: String,

    /// SMTP server for app mail (smtp://user:password@host:587?tls=required, smtps://…); without
    /// it, mail is held in each backend's outbox.
    #[arg(long, env = "BERTH_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,

    /// Sender address of app mail (needed with --smtp-url).
    #[arg(
        long,
        env = "BERTH_MAIL_FROM",
        default_value = "Berth <no-reply@localhost>"
    )]
    pub mail_from: String,

    /// Seconds a request may take from its head being read to its answer (slow bodies, runaway
    /// work); past it the request is answered with a timeout error in its API's format.
    #[arg(long, env = "BERTH_REQUEST_TIMEOUT", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub request_timeout: u64,

    /// Seconds a client has to send a request's line and headers, and that an idle keep-alive
    /// connection is kept; slower or idle connections are closed. Behind a load balancer that keeps
    /// idle connections longer, raise this above its idle timeout.
    #[arg(long, env = "BERTH_HEADER_READ_TIMEOUT", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=600))]
    pub header_read_timeout: u64,

    /// Largest object apps may store through the Oracle storage API, in bytes (at most 2147483647).
    /// Objects are streamed in and out in 256 KiB pieces, whatever their size.
    #[arg(
        long,
        env = "BERTH_MAX_OBJECT_SIZE",
        default_value_t = berth_core::service::DEFAULT_OBJECT_SIZE_LIMIT,
        value_parser = clap::value_parser!(u64).range(1..=2_147_483_647)
    )]
    pub max_object_size: u64,
    /// Reverse proxies or load balancers (IP addresses or CIDR ranges, comma-separated) whose
    /// X-Forwarded-For header names the client; login limits and key IP ranges then judge that
    /// address. Without it, the connection's address counts and the header is ignored.
    #[arg(
        long,
        env = "BERTH_TRUSTED_PROXIES",
        value_delimiter = ',',
        value_parser = crate::http::forwarded::parse_trusted_proxy
    )]
    pub trusted_proxies: Vec<ipnet::IpNet>,

    #[command(flatten)]
    pub push: crate::push::PushArgs,
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("cannot listen on {address}: {source}")]
    Listen {
        address: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write the admin token to {path}: {source}")]
    TokenFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Domain(#[from] berth_core::Error),
    #[error(transparent)]
    Mail(#[from] crate::mail::MailConfigError),
    #[error(transparent)]
    Push(#[from] crate::push::PushSetupError),
    #[error("the server stopped with an error: {0}")]
    Server(#[source] std::io::Error),
}

pub async fn serve(args: &ServeArgs, storage: &StorageArgs) -> Result<(), ServeError> {
    tracing::info!(database = %storage.target(), "opening storage");
    let store = storage.open().await?;
    tracing::info!(data = %store.describe(), data_dir = %absolute(storage.data_dir()).display(), "storage ready");
    let secret_key = args.push.secret_key(storage.data_dir())?;
    let berth = Berth::new(store)
        .with_secret_key(secret_key)
        .with_object_size_limit(args.max_object_size);
    tracing::info!(
        max_object_size = args.max_object_size,
        "Oracle storage objects may hold up to {} bytes (--max-object-size)",
        args.max_object_size
    );
    let berth = match args.smtp_url.as_deref().filter(|url| !url.is_empty()) {
        Some(url) => {
            let transport = crate::mail::SmtpTransport::new(url, &args.mail_from)?;
            tracing::info!(smtp = %crate::config::redact(url), from = %args.mail_from, "mail: sent over SMTP and kept in each backend's outbox");
            berth.with_mail_transport(std::sync::Arc::new(transport))
        }
        None => {
            tracing::info!(
                "mail: no SMTP server (--smtp-url / BERTH_SMTP_URL); mail is held in each backend's outbox (Mailer.listOutbox)"
            );
            berth
        }
    };

    match berth.sweep_abandoned_uploads().await {
        Ok(0) => {}
        Ok(pieces) => tracing::info!(
            pieces,
            "dropped the stored pieces of object uploads that never completed"
        ),
        Err(error) => tracing::warn!(%error, "could not sweep abandoned object uploads"),
    }

    let configured = std::env::var("BERTH_ADMIN_TOKEN")
        .ok()
        .filter(|t| !t.is_empty());
    let token_path = absolute(&storage.data_dir().join(ADMIN_TOKEN_FILE));
    match berth.ensure_admin_token(configured.as_deref()).await? {
        AdminTokenSource::Generated(token) => {
            write_secret_file(&token_path, &token).map_err(|source| ServeError::TokenFile {
                path: token_path.clone(),
                source,
            })?;
            tracing::info!(
                file = %token_path.display(),
                "admin token generated (only its hash is stored); read it from the file and send it as \
                 Authorization: Bearer <token> to /mobile/tools/1.0"
            );
        }
        AdminTokenSource::Configured => {
            // A token file from an earlier start no longer works; leaving it would mislead.
            if token_path.exists() {
                std::fs::remove_file(&token_path).map_err(|source| ServeError::TokenFile {
                    path: token_path.clone(),
                    source,
                })?;
                tracing::info!(file = %token_path.display(), "removed the token file of the replaced admin token");
            }
            tracing::info!("admin token: the one in BERTH_ADMIN_TOKEN is in force");
        }
        AdminTokenSource::Existing if token_path.exists() => {
            tracing::info!(file = %token_path.display(), "admin token: in force, as written to the file");
        }
        AdminTokenSource::Existing => {
            tracing::info!(
                "admin token: set earlier (only its hash is stored); `berth admin-token rotate` issues a new one"
            );
        }
    }

    let shutdown = shutdown_signal();
    let listener = TcpListener::bind(&args.listen)
        .await
        .map_err(|source| ServeError::Listen {
            address: args.listen.clone(),
            source,
        })?;
    let address = listener.local_addr().map_err(ServeError::Server)?;
    tracing::info!("listening on http://{address} (OpenAPI at http://{address}/openapi.json)");

    let push_client = berth_push::PushClient::new(args.push.endpoints()?)
        .map_err(crate::push::PushSetupError::from)?;
    let (stop_push, push_stopped) = tokio::sync::watch::channel(false);
    let push_worker = tokio::spawn(
        crate::push::PushWorker::new(berth.clone(), push_client, args.push.worker_settings())
            .run(push_stopped),
    );

    if !args.trusted_proxies.is_empty() {
        tracing::info!(
            "X-Forwarded-For names the client when sent by {:?} (--trusted-proxies)",
            args.trusted_proxies
        );
    }
    let app = http::router(AppState {
        berth: berth.clone(),
        trusted_proxies: args.trusted_proxies.clone().into(),
    })
    .layer(axum::Extension(RequestLimits {
        request_timeout: Duration::from_secs(args.request_timeout),
    }));
    let limits = ConnectionLimits {
        header_read_timeout: Duration::from_secs(args.header_read_timeout),
    };
    tracing::info!(
        request_timeout_seconds = args.request_timeout,
        header_read_timeout_seconds = args.header_read_timeout,
        "request limits"
    );
    let served = connections::serve(listener, app, limits, shutdown).await;
    // The worker finishes and records the batch in flight, so no lease outlives a clean stop.
    let _ = stop_push.send(true);
    if tokio::time::timeout(std::time::Duration::from_secs(40), push_worker)
        .await
        .is_err()
    {
        tracing::warn!("push worker did not finish its batch in time; its leases will expire");
    }
    served.map_err(ServeError::Server)?;
    tracing::info!("stopped");
    Ok(())
}

/// Completes on SIGTERM or Ctrl-C. The handlers are installed when this is called, not when the
/// future is first polled: a stop sent right after "listening on" is logged must not kill the
/// process outright.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    let mut signals = {
        use tokio::signal::unix::{SignalKind, signal};
        (
            signal(SignalKind::terminate()).ok(),
            signal(SignalKind::interrupt()).ok(),
        )
    };
    async move {
        #[cfg(unix)]
        {
            let terminate = async {
                match signals.0.as_mut() {
                    Some(signal) => {
                        signal.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            let interrupt = async {
                match signals.1.as_mut() {
                    Some(signal) => {
                        signal.recv().await;
                    }
                    None => {
                        let _ = tokio::signal::ctrl_c().await;
                    }
                }
            };
            tokio::select! {
                () = terminate => {},
                () = interrupt => {},
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
        tracing::info!("shutting down: finishing requests in flight");
    }
}

/// Writes a secret readable by the owner only, creating its folder if needed (with PostgreSQL
/// storage, nothing else creates the data folder).
pub fn write_secret_file(path: &Path, secret: &str) -> std::io::Result<()> {
    use std::io::Write;
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(0o600);
        let mut file = options.open(path)?;
        // An existing file keeps its old mode on open; tighten it explicitly.
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        file.write_all(format!("{secret}\n").as_bytes())?;
        file.sync_all()
    }
    #[cfg(not(unix))]
    {
        let mut file = options.open(path)?;
        file.write_all(format!("{secret}\n").as_bytes())?;
        file.sync_all()
    }
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_owned())
}
