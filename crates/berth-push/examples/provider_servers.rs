//! Starts the local APNs and FCM test servers for `bench/push_fanout.py` and serves until killed.
//!
//!     cargo run --release -p berth-push --example provider_servers --features testing -- CA_FILE
//!
//! Writes the APNs server's CA certificate (PEM) to CA_FILE, then prints one JSON line on stdout:
//! the endpoint URLs for `BERTH_APNS_URL`, `BERTH_FCM_URL`, `BERTH_FCM_TOKEN_URL`, the CA file for
//! `BERTH_PUSH_CA_FILE`, and `pushConfig`, credentials the servers accept in the shape of the
//! Management API's `Push.setConfig` params. The servers keep every delivery in memory: a bench
//! tool, not a provider.

use std::io::Write;
use std::process::ExitCode;

use berth_push::testing::{ApnsTestServer, FcmTestServer, apns_credentials, fcm_credentials};
use serde_json::json;

#[tokio::main]
async fn main() -> ExitCode {
    let Some(ca_file) = std::env::args_os().nth(1) else {
        eprintln!("usage: provider_servers CA_FILE");
        return ExitCode::FAILURE;
    };
    let apns = ApnsTestServer::start().await;
    let fcm = FcmTestServer::start().await;
    if let Err(error) = std::fs::write(&ca_file, apns.ca_pem()) {
        eprintln!("cannot write {}: {error}", ca_file.to_string_lossy());
        return ExitCode::FAILURE;
    }
    let apns_key = apns_credentials(&apns);
    let fcm_account = fcm_credentials(&fcm);
    let ready = json!({
        "apnsUrl": apns.url().as_str(),
        "fcmUrl": fcm.url().as_str(),
        "fcmTokenUrl": fcm.token_uri().as_str(),
        "caFile": ca_file.to_string_lossy(),
        "pushConfig": {
            "apns": {
                "keyId": apns_key.key_id,
                "teamId": apns_key.team_id,
                "signingKey": apns_key.signing_key_pem,
                "topic": apns_key.topic,
                "environment": "production",
            },
            "fcm": { "serviceAccount": fcm_account.service_account_json },
        },
    });
    let mut stdout = std::io::stdout().lock();
    if writeln!(stdout, "{ready}")
        .and_then(|()| stdout.flush())
        .is_err()
    {
        return ExitCode::FAILURE;
    }
    drop(stdout);
    // The servers run on this runtime's tasks; the bench stops this process with SIGTERM.
    std::future::pending::<()>().await;
    ExitCode::SUCCESS
}
