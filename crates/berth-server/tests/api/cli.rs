//! The `berth` command line, on the same data as a running server.

use reqwest::Method;
use serde_json::Value;

use crate::helpers::{TestServer, fresh_data_dir, run_cli};

fn json_of(output: &std::process::Output) -> Value {
    assert!(
        output.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(&output.stdout)))
}

#[tokio::test]
async fn cli_and_server_share_the_data_while_the_server_runs() {
    let server = TestServer::start().await;
    let created =
        json_of(&server.cli(&["backend", "create", "--name", "FromCli", "--version", "2.1"]));
    assert_eq!(created["name"], "FromCli");
    assert_eq!(created["version"], "2.1");
    assert_eq!(created["createdBy"], "cli");
    for key in [
        "clientId",
        "clientSecret",
        "basicAuthBackendId",
        "anonymousKey",
        "monacaApiKey",
    ] {
        assert!(created[key].is_string(), "{key} missing");
    }
    assert!(created["managementKey"]["key"].is_string());
    let id = created["id"].as_str().expect("id");

    let over_http = server
        .tools(Method::GET, &format!("/mobilebackends/{id}"))
        .send()
        .await
        .expect("request");
    assert_eq!(
        over_http.status(),
        200,
        "the server sees what the CLI created"
    );
    server.create_backend("FromHttp").await;

    let listed = json_of(&server.cli(&["backend", "list"]));
    let names: Vec<&str> = listed
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|b| b["name"].as_str())
        .collect();
    assert_eq!(names, ["FromCli", "FromHttp"]);

    let key = json_of(&server.cli(&["key", "create", "--backend", id, "--label", "ops"]));
    assert_eq!(key["backendId"], id);
    assert_eq!(key["label"], "ops");
    assert_eq!(key["key"].as_str().map(str::len), Some(64));

    let keys = json_of(&server.cli(&["key", "list", "--backend", id]));
    assert_eq!(keys.as_array().map(Vec::len), Some(2));
    let revoked = server.cli(&[
        "key",
        "revoke",
        "--backend",
        id,
        "--key",
        key["id"].as_str().expect("id"),
    ]);
    assert!(revoked.status.success());
    let over_http: Value = server
        .tools(Method::GET, &format!("/mobilebackends/{id}/managementKeys"))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert_eq!(over_http["count"], 1);
}

#[test]
fn cli_errors_are_clear_and_exit_non_zero() {
    let (_guard, data_dir) = fresh_data_dir();
    let bad_name = run_cli(&data_dir, &["backend", "create", "--name", "no spaces"]);
    assert_eq!(bad_name.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad_name.stderr).contains("does not match"));

    let created = json_of(&run_cli(
        &data_dir,
        &["backend", "create", "--name", "Twice"],
    ));
    let twice = run_cli(&data_dir, &["backend", "create", "--name", "Twice"]);
    assert_eq!(twice.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&twice.stderr).contains("already exists"));

    let ghost = run_cli(
        &data_dir,
        &[
            "key",
            "create",
            "--backend",
            &uuid::Uuid::now_v7().to_string(),
        ],
    );
    assert_eq!(ghost.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&ghost.stderr).contains("No mobile backend"));

    let bad_range = run_cli(
        &data_dir,
        &[
            "key",
            "create",
            "--backend",
            created["id"].as_str().expect("id"),
            "--allowed-ip-range",
            "nowhere",
        ],
    );
    assert_eq!(bad_range.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad_range.stderr).contains("CIDR"));
}

/// Runs `serve` and a CLI command with `url` as the database; both must fail with exit code 2, a
/// `berth: …` line that contains `expected`, and never the password.
fn assert_database_refused(url: &str, expected: &str, password: &str) {
    let (_guard, data_dir) = fresh_data_dir();
    for args in [
        &["serve", "--listen", "127.0.0.1:0"][..],
        &["backend", "list"][..],
    ] {
        let started = std::time::Instant::now();
        let output = std::process::Command::new(crate::helpers::BERTH)
            .arg("--data-dir")
            .arg(&data_dir)
            .args(["--database-url", url])
            .args(args)
            .env_remove("BERTH_DATABASE_URL")
            .env_remove("BERTH_ADMIN_TOKEN")
            .output()
            .expect("run");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        let line = stderr
            .lines()
            .find(|l| l.starts_with("berth: "))
            .unwrap_or_else(|| panic!("no `berth: …` line in {stderr}"));
        assert!(line.contains(expected), "{args:?}: {line}");
        assert!(
            !stderr.contains(password),
            "the password is echoed: {stderr}"
        );
        assert!(
            started.elapsed() < std::time::Duration::from_secs(15),
            "failing took {:?}",
            started.elapsed()
        );
    }
}

#[test]
fn an_unreachable_postgres_server_is_reported_without_the_password() {
    // Port 1 on the loopback address: nothing listens there, so the connection is refused at once.
    assert_database_refused(
        "postgres://berth:hunter2secret@127.0.0.1:1/berth",
        "cannot connect to PostgreSQL database berth on 127.0.0.1:1 as berth",
        "hunter2secret",
    );
}

#[test]
fn a_malformed_database_url_is_reported_without_the_password() {
    assert_database_refused(
        "postgres://berth:hunter2secret@127.0.0.1:notaport/berth",
        "postgres://berth:***@127.0.0.1:notaport/berth is not valid",
        "hunter2secret",
    );
    assert_database_refused(
        "postgres://berth:hunter2secret@127.0.0.1/berth?sslmode=sometimes",
        "is not valid",
        "hunter2secret",
    );
}

#[test]
fn a_database_url_of_another_kind_is_refused_without_the_password() {
    assert_database_refused(
        "mysql://berth:hunter2secret@127.0.0.1/berth",
        "scheme",
        "hunter2secret",
    );
}
