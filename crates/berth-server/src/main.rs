use std::process::ExitCode;

use berth_server::cli::{self, Cli};
use clap::Parser;
use tracing_subscriber::EnvFilter;

/// Requests allocate many small, short-lived buffers and JSON maps; mimalloc serves those with less
/// locking and fragmentation than glibc's allocator (measured in docs/performance.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // sqlx (PostgreSQL TLS) and reqwest (push providers) must agree on one rustls crypto provider.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let cli = Cli::parse();
    init_logging();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("berth: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(cli::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("berth: {error}");
            ExitCode::from(2)
        }
    }
}

/// Logs go to stderr (stdout carries command output); `RUST_LOG` filters, `BERTH_LOG_FORMAT=json`
/// switches to JSON lines.
fn init_logging() {
    use std::io::IsTerminal;
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    if std::env::var("BERTH_LOG_FORMAT").is_ok_and(|f| f == "json") {
        builder.json().init();
    } else {
        builder.init();
    }
}
