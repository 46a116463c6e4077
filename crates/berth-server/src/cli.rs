//! The `berth` command line. Commands other than `serve` work directly on the data (the server may be
//! running or not), through the same use cases as the HTTP APIs.

use std::path::PathBuf;

use berth_core::Berth;
use berth_core::backend::{BackendDraft, BackendQuery, FlagFilter};
use clap::{Parser, Subcommand};
use serde::Serialize;
use uuid::Uuid;

use crate::config::{StorageArgs, StorageError};
use crate::http::tools::representation::{BackendBody, BackendSummaryBody, ManagementKeyBody};
use crate::startup::{ADMIN_TOKEN_FILE, ServeArgs, ServeError, write_secret_file};

/// Recorded as `createdBy` / `modifiedBy` for changes made from the command line.
const CLI_ACTOR: &str = "cli";

#[derive(Debug, Parser)]
#[command(
    name = "berth",
    version,
    about = "Self-hosted mobile backend (Monaca Backend and Oracle Mobile Hub APIs)"
)]
pub struct Cli {
    #[command(flatten)]
    pub storage: StorageArgs,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server.
    Serve(Box<ServeArgs>),
    /// Mobile backends (tenants).
    #[command(subcommand)]
    Backend(BackendCommand),
    /// Monaca Backend Management API keys.
    #[command(subcommand)]
    Key(KeyCommand),
    /// The operator token that guards the tools API.
    #[command(subcommand, name = "admin-token")]
    AdminToken(AdminTokenCommand),
    /// Copy an embedded installation (its data folder) into an empty PostgreSQL database, with
    /// progress and a row count per table checked on both sides; nothing is committed on a mismatch.
    Migrate(MigrateArgs),
}

#[derive(Debug, clap::Args)]
pub struct MigrateArgs {
    /// The data folder of the installation to copy (the one `serve --data-dir` used).
    #[arg(long)]
    pub from: PathBuf,
    /// The PostgreSQL database to fill: postgres://USER:PASSWORD@HOST:PORT/DATABASE.
    #[arg(long)]
    pub to: String,
}

#[derive(Debug, Subcommand)]
pub enum BackendCommand {
    /// Create a backend and print it as JSON, with its keys (shown only now).
    Create {
        #[arg(long)]
        name: String,
        #[arg(long)]
        version: Option<String>,
        #[arg(long)]
        desc: Option<String>,
    },
    /// Print the backends as a JSON array.
    List {
        /// Include backends in the trash.
        #[arg(long)]
        all: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Create a management key and print it as JSON (the key is shown only now).
    Create {
        #[arg(long)]
        backend: Uuid,
        #[arg(long)]
        label: Option<String>,
        /// CIDR range the key may be used from; any address when absent.
        #[arg(long)]
        allowed_ip_range: Option<String>,
    },
    /// Print a backend's management keys (without the keys themselves).
    List {
        #[arg(long)]
        backend: Uuid,
    },
    /// Revoke a management key.
    Revoke {
        #[arg(long)]
        backend: Uuid,
        #[arg(long)]
        key: Uuid,
    },
}

#[derive(Debug, Subcommand)]
pub enum AdminTokenCommand {
    /// Issue a new admin token, write it to <data-dir>/admin-token and print it; the old one stops working.
    Rotate,
}

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Serve(#[from] ServeError),
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("{0}")]
    Domain(#[from] berth_core::Error),
    #[error(transparent)]
    Migrate(#[from] crate::migrate::MigrateError),
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

pub async fn run(cli: Cli) -> Result<(), CliError> {
    if let Command::Serve(args) = &cli.command {
        return Ok(crate::startup::serve(args, &cli.storage).await?);
    }
    if let Command::Migrate(args) = &cli.command {
        return Ok(crate::migrate::run(args).await?);
    }
    let berth = Berth::new(cli.storage.open().await?);
    match cli.command {
        Command::Serve(_) | Command::Migrate(_) => unreachable!("handled above"),
        Command::Backend(BackendCommand::Create {
            name,
            version,
            desc,
        }) => {
            let draft = BackendDraft {
                name,
                version,
                description: desc,
                ..Default::default()
            };
            let created = berth.create_backend(CLI_ACTOR, draft).await?;
            print_json(&BackendBody::created(&created));
        }
        Command::Backend(BackendCommand::List { all }) => {
            let mut query = BackendQuery {
                trash: if all {
                    FlagFilter::Either
                } else {
                    FlagFilter::Without
                },
                ..Default::default()
            };
            let mut backends = Vec::new();
            loop {
                let page = berth.list_backends(&query).await?;
                backends.extend(page.items.iter().map(BackendSummaryBody::new));
                if !page.has_more {
                    break;
                }
                query.page.offset += u64::from(query.page.limit);
            }
            print_json(&backends);
        }
        Command::Key(KeyCommand::Create {
            backend,
            label,
            allowed_ip_range,
        }) => {
            let created = berth
                .create_management_key(CLI_ACTOR, backend, label, allowed_ip_range)
                .await?;
            print_json(&ManagementKeyBody::created(&created));
        }
        Command::Key(KeyCommand::List { backend }) => {
            let keys = berth.management_keys(backend).await?;
            print_json(&keys.iter().map(ManagementKeyBody::new).collect::<Vec<_>>());
        }
        Command::Key(KeyCommand::Revoke { backend, key }) => {
            berth.revoke_management_key(backend, key).await?;
            eprintln!("revoked management key {key} of backend {backend}");
        }
        Command::AdminToken(AdminTokenCommand::Rotate) => {
            let token = berth.rotate_admin_token().await?;
            let path = cli.storage.data_dir().join(ADMIN_TOKEN_FILE);
            write_secret_file(&path, &token).map_err(|source| CliError::Write {
                path: path.clone(),
                source,
            })?;
            eprintln!(
                "new admin token written to {}; the old one no longer works",
                path.display()
            );
            println!("{token}");
        }
    }
    Ok(())
}

fn print_json(value: &impl Serialize) {
    match serde_json::to_string_pretty(value) {
        Ok(text) => println!("{text}"),
        Err(error) => eprintln!("cannot print the result as JSON: {error}"),
    }
}
