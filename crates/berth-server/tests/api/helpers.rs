//! Starts the real `berth` binary on a free port with its own data folder, and talks HTTP to it.
//!
//! When `BERTH_TEST_DATABASE_URL` names a PostgreSQL server (as `./scripts/test` does in its
//! PostgreSQL phase), every data folder gets its own fresh database there, created on first use and
//! passed to the binary with `--database-url`; the same folder always means the same database, so
//! restarts and CLI runs see the server's data. Otherwise the binary uses SQLite in the data folder.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

use berth_store_postgres::test_support::{create_test_database, test_server_url};

use reqwest::{Method, RequestBuilder, Response};
use serde_json::Value;

pub const BERTH: &str = env!("CARGO_BIN_EXE_berth");
pub const TOOLS: &str = "/mobile/tools/1.0";

pub struct TestServer {
    child: Option<Child>,
    pub base: String,
    pub data_dir: PathBuf,
    /// The PostgreSQL database of this server, when the tests run on PostgreSQL.
    pub database_url: Option<String>,
    pub token: String,
    pub log: Arc<Mutex<String>>,
    client: reqwest::Client,
    _dir: Option<tempfile::TempDir>,
}

/// A fresh data folder that is removed when the returned guard drops.
pub fn fresh_data_dir() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("data");
    (dir, path)
}

pub fn random_token() -> String {
    format!("test-admin-token-{}", uuid::Uuid::new_v4().simple())
}

impl TestServer {
    /// A server on a fresh data folder with a known admin token.
    pub async fn start() -> Self {
        let (dir, data_dir) = fresh_data_dir();
        let token = random_token();
        let mut server =
            Self::start_with(&data_dir, &[("BERTH_ADMIN_TOKEN", token.as_str())]).await;
        server._dir = Some(dir);
        server
    }

    /// A server on `data_dir` with extra environment; `token` is read from the environment given, or
    /// else from the token file.
    pub async fn start_with(data_dir: &Path, env: &[(&str, &str)]) -> Self {
        let database_url = database_url_for(data_dir);
        Self::start_command(berth_command(data_dir), data_dir, database_url, env).await
    }

    /// A server on the embedded database of `data_dir` even when the tests run on PostgreSQL.
    pub async fn start_on_sqlite(data_dir: &Path, env: &[(&str, &str)]) -> Self {
        Self::start_command(sqlite_command(data_dir), data_dir, None, env).await
    }

    async fn start_command(
        mut command: Command,
        data_dir: &Path,
        database_url: Option<String>,
        env: &[(&str, &str)],
    ) -> Self {
        command
            .args(["serve", "--listen", "127.0.0.1:0"])
            .env("RUST_LOG", "info,berth_server=debug")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command.spawn().expect("start berth");
        let stderr = child.stderr.take().expect("stderr");
        let log = Arc::new(Mutex::new(String::new()));
        let (address_tx, address_rx) = std::sync::mpsc::channel();
        let sink = log.clone();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stderr);
            let mut line = String::new();
            while reader.read_line(&mut line).unwrap_or(0) > 0 {
                if let Some(rest) = line.split("listening on http://").nth(1) {
                    let address = rest.split_whitespace().next().unwrap_or("").to_owned();
                    let _ = address_tx.send(address);
                }
                sink.lock().expect("log").push_str(&line);
                line.clear();
            }
        });
        let address = match address_rx.recv_timeout(Duration::from_secs(30)) {
            Ok(address) => address,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "berth did not start; its log:\n{}",
                    log.lock().expect("log")
                );
            }
        };
        let token = env
            .iter()
            .find(|(name, _)| *name == "BERTH_ADMIN_TOKEN")
            .map(|(_, value)| (*value).to_owned())
            .unwrap_or_else(|| read_token_file(data_dir));
        Self {
            child: Some(child),
            base: format!("http://{address}"),
            data_dir: data_dir.to_owned(),
            database_url,
            token,
            log,
            client: reqwest::Client::new(),
            _dir: None,
        }
    }

    /// Stops with SIGTERM and waits for a clean exit.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(child.id().to_string())
                .status();
            let deadline = Instant::now() + Duration::from_secs(20);
            loop {
                if let Ok(Some(status)) = child.try_wait() {
                    assert!(status.success(), "berth exited with {status}");
                    return;
                }
                if Instant::now() > deadline {
                    let _ = child.kill();
                    panic!(
                        "berth did not stop within 20 s of SIGTERM; its log:\n{}",
                        self.log()
                    );
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }

    /// Kills the process outright, as a crash would.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Removes `dir` when this server is dropped (a server started with `start_with`).
    pub fn adopt_dir(&mut self, dir: tempfile::TempDir) {
        self._dir = Some(dir);
    }

    /// Keeps the data folder when the server is dropped (for restarts in another `TestServer`).
    pub fn take_dir(&mut self) -> Option<tempfile::TempDir> {
        self._dir.take()
    }

    pub fn log(&self) -> String {
        self.log.lock().expect("log").clone()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A request with no credentials.
    pub fn anonymous(&self, method: Method, path: &str) -> RequestBuilder {
        self.client.request(method, self.url(path))
    }

    /// A tools API request with the admin token.
    pub fn tools(&self, method: Method, path: &str) -> RequestBuilder {
        self.anonymous(method, &format!("{TOOLS}{path}"))
            .bearer_auth(&self.token)
    }

    /// Creates a backend and returns the creation answer's body.
    pub async fn create_backend(&self, name: &str) -> Value {
        let response = self
            .tools(Method::POST, "/mobilebackends")
            .json(&serde_json::json!({ "name": name }))
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 201, "creating {name}");
        response.json().await.expect("json")
    }

    /// Runs a CLI command on this server's data folder.
    pub fn cli(&self, args: &[&str]) -> Output {
        run_cli(&self.data_dir, args)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.kill();
    }
}

pub fn run_cli(data_dir: &Path, args: &[&str]) -> Output {
    berth_command(data_dir)
        .args(args)
        .output()
        .expect("run berth")
}

/// The `berth` binary on `data_dir` and, when the tests run on PostgreSQL, on that folder's database;
/// with none of the caller's BERTH_* settings.
pub fn berth_command(data_dir: &Path) -> Command {
    let mut command = sqlite_command(data_dir);
    if let Some(url) = database_url_for(data_dir) {
        command.arg("--database-url").arg(url);
    }
    command
}

/// The `berth` binary on the embedded database of `data_dir`, with none of the caller's BERTH_* settings.
pub fn sqlite_command(data_dir: &Path) -> Command {
    let mut command = Command::new(BERTH);
    command
        .arg("--data-dir")
        .arg(data_dir)
        .env_remove("BERTH_ADMIN_TOKEN")
        .env_remove("BERTH_DATABASE_URL")
        .env_remove("BERTH_DATA_DIR")
        .env_remove("BERTH_LISTEN");
    command
}

/// Which PostgreSQL database each data folder uses.
static DATABASES: LazyLock<Mutex<HashMap<PathBuf, String>>> = LazyLock::new(Default::default);

/// Makes `data_dir` use the database of `other`, as nodes with folders of their own share one
/// database. `None` (and nothing changes) when the tests run on SQLite.
pub fn share_database(data_dir: &Path, other: &Path) -> Option<String> {
    let url = database_url_for(other)?;
    DATABASES
        .lock()
        .expect("database map")
        .insert(data_dir.to_owned(), url.clone());
    Some(url)
}

/// The PostgreSQL database that belongs to `data_dir`, created on first use; `None` when the tests
/// run on SQLite (`BERTH_TEST_DATABASE_URL` unset).
pub fn database_url_for(data_dir: &Path) -> Option<String> {
    let server = test_server_url()?;
    let mut databases = DATABASES.lock().expect("database map");
    if let Some(url) = databases.get(data_dir) {
        return Some(url.clone());
    }
    // Callers may be inside a runtime (tokio tests) or not (plain tests): create the database on a
    // thread of its own with a runtime of its own.
    let url = std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
            .block_on(create_test_database(&server))
    })
    .join()
    .expect("database creation thread")
    .expect("create a test database on BERTH_TEST_DATABASE_URL");
    databases.insert(data_dir.to_owned(), url.clone());
    Some(url)
}

/// Everything the server stored, as text, to search for values that must (not) be there: the
/// rows of every table of its PostgreSQL database, or the bytes of its SQLite files.
pub async fn stored_text(server: &TestServer) -> String {
    match &server.database_url {
        Some(url) => {
            use sqlx::Connection as _;
            let mut connection = sqlx::PgConnection::connect(url)
                .await
                .expect("connect to the test database");
            let tables: Vec<String> = sqlx::query_scalar(
                "SELECT quote_ident(table_name) FROM information_schema.tables
                 WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
            )
            .fetch_all(&mut connection)
            .await
            .expect("list tables");
            assert!(
                tables.iter().any(|t| t == "backends"),
                "the tables were found: {tables:?}"
            );
            let mut text = String::new();
            for table in tables {
                // Table names come from the catalogue, quoted by quote_ident.
                let sql = format!("SELECT t::text FROM {table} AS t");
                let rows: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                    .fetch_all(&mut connection)
                    .await
                    .expect("dump a table");
                for row in rows {
                    text.push_str(&row);
                    text.push('\n');
                }
            }
            text
        }
        None => {
            let mut stored = Vec::new();
            for entry in std::fs::read_dir(&server.data_dir).expect("data dir") {
                let path = entry.expect("entry").path();
                if path
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("berth.db"))
                {
                    stored.extend(std::fs::read(&path).expect("read"));
                }
            }
            assert!(stored.len() > 4096, "the database was read");
            String::from_utf8_lossy(&stored).into_owned()
        }
    }
}

pub fn read_token_file(data_dir: &Path) -> String {
    std::fs::read_to_string(data_dir.join("admin-token"))
        .expect("admin-token file")
        .trim()
        .to_owned()
}

/// Asserts an Oracle error answer: status, every required member, and the error code; returns the body.
pub async fn assert_problem(response: Response, status: u16, error_code: &str) -> Value {
    let actual = response.status().as_u16();
    let path = response.url().path().to_owned();
    let ecid_header = response
        .headers()
        .get("x-oracle-dms-ecid")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let text = response.text().await.expect("body");
    assert_eq!(actual, status, "status of {path}; body: {text}");
    let body: Value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"));
    for member in [
        "type",
        "title",
        "status",
        "detail",
        "o:ecid",
        "o:errorCode",
        "o:errorPath",
    ] {
        assert!(body.get(member).is_some(), "{member} missing in {body}");
    }
    assert_eq!(body["status"], status);
    assert_eq!(body["o:errorCode"], error_code, "{body}");
    assert_eq!(body["o:errorPath"], path.as_str());
    assert!(
        body["type"]
            .as_str()
            .unwrap_or("")
            .starts_with("http://www.w3.org/Protocols/rfc2616/rfc2616-sec10.html#sec")
    );
    assert!(!body["detail"].as_str().unwrap_or("").is_empty());
    assert_eq!(
        ecid_header.as_deref(),
        body["o:ecid"].as_str(),
        "the ecid header matches the body"
    );
    body
}

pub fn etag(response: &Response) -> String {
    response
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .expect("ETag header")
        .to_owned()
}

/// A backend with its management key, for Management API tests.
pub struct Managed {
    pub id: String,
    pub key: String,
}

impl TestServer {
    pub async fn managed_backend(&self, name: &str) -> Managed {
        let body = self.create_backend(name).await;
        Managed {
            id: body["id"].as_str().expect("id").to_owned(),
            key: body["managementKey"]["key"]
                .as_str()
                .expect("key")
                .to_owned(),
        }
    }

    /// Posts a raw body to the Management API with `key`; returns status and parsed body (Null if empty).
    pub async fn manage_raw(
        &self,
        backend_id: &str,
        key: Option<&str>,
        body: String,
    ) -> (u16, Value) {
        let mut request = self
            .anonymous(Method::POST, &format!("/manage/json-rpc/{backend_id}"))
            .body(body);
        if let Some(key) = key {
            request = request.header("X-Monaca-Backend-Management-API-Key", key);
        }
        let response = request.send().await.expect("request");
        let status = response.status().as_u16();
        let text = response.text().await.expect("body");
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"))
        };
        (status, body)
    }

    /// Calls one Management API method and returns the whole JSON-RPC response (HTTP 200 asserted).
    pub async fn manage(&self, backend: &Managed, method: &str, params: Value) -> Value {
        let body =
            serde_json::json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params });
        let (status, response) = self
            .manage_raw(&backend.id, Some(&backend.key), body.to_string())
            .await;
        assert_eq!(status, 200, "{method}: {response}");
        response
    }

    /// Calls a method that must succeed and returns its `result`.
    pub async fn manage_ok(&self, backend: &Managed, method: &str, params: Value) -> Value {
        let response = self.manage(backend, method, params).await;
        assert!(
            response.get("error").is_none(),
            "{method} failed: {response}"
        );
        response["result"].clone()
    }
}

/// Asserts a JSON-RPC error: code, and (when given) the member of `data` that names the parameter.
pub fn assert_rpc_error(response: &Value, code: i64, data_member: Option<&str>) {
    assert_eq!(response["jsonrpc"], "2.0", "{response}");
    assert_eq!(response["error"]["code"], code, "{response}");
    assert!(response["error"]["message"].is_string(), "{response}");
    assert!(response.get("result").is_none(), "{response}");
    if let Some(member) = data_member {
        assert!(
            response["error"]["data"][member].is_string(),
            "data.{member} missing in {response}"
        );
    }
}

/// An app of a backend as the Monaca SDK sees it: backend id, app API key and management access.
pub struct App {
    pub backend: Managed,
    pub api_key: String,
}

impl TestServer {
    pub async fn app(&self, name: &str) -> App {
        let body = self.create_backend(name).await;
        App {
            backend: Managed {
                id: body["id"].as_str().expect("id").to_owned(),
                key: body["managementKey"]["key"]
                    .as_str()
                    .expect("key")
                    .to_owned(),
            },
            api_key: body["monacaApiKey"].as_str().expect("app key").to_owned(),
        }
    }

    /// Posts a raw body to the app API as the SDK does (form content type); returns the status, the
    /// session header and the body.
    pub async fn app_raw(&self, backend_id: &str, body: String) -> (u16, Option<String>, Value) {
        let response = self
            .anonymous(Method::POST, &format!("/json-rpc/{backend_id}"))
            .header(
                "content-type",
                "application/x-www-form-urlencoded; charset=UTF-8",
            )
            .body(body)
            .send()
            .await
            .expect("request");
        let status = response.status().as_u16();
        let session = response
            .headers()
            .get("x-set-monaca-cloud-session")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let text = response.text().await.expect("body");
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"))
        };
        (status, session, body)
    }
}

/// One app install: a device id and, once logged in, a session, as the SDK keeps them.
pub struct Device<'a> {
    pub server: &'a TestServer,
    pub app: &'a App,
    pub device_id: String,
    pub session: Option<String>,
}

impl<'a> Device<'a> {
    pub fn new(server: &'a TestServer, app: &'a App) -> Self {
        Self {
            server,
            app,
            device_id: uuid::Uuid::new_v4().to_string(),
            session: None,
        }
    }

    /// Calls a method with the reserved params; stores a session handed back. HTTP 200 asserted.
    pub async fn call(&mut self, method: &str, params: Value) -> Value {
        let mut params = params.as_object().cloned().unwrap_or_default();
        params.insert("__api_key".into(), Value::from(self.app.api_key.clone()));
        params.insert("__device".into(), Value::from(self.device_id.clone()));
        if let Some(session) = &self.session {
            params.insert("__session".into(), Value::from(session.clone()));
        }
        let body =
            serde_json::json!({ "jsonrpc": "2.0", "method": method, "id": "1", "params": params });
        let (status, session, response) = self
            .server
            .app_raw(&self.app.backend.id, body.to_string())
            .await;
        assert_eq!(status, 200, "{method}: {response}");
        assert_eq!(response["id"], "1");
        if let Some(session) = session {
            self.session = Some(session);
        }
        response
    }

    pub async fn ok(&mut self, method: &str, params: Value) -> Value {
        let response = self.call(method, params).await;
        assert!(
            response.get("error").is_none(),
            "{method} failed: {response}"
        );
        response["result"].clone()
    }
}
