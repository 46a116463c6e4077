//! Shared set-up for the push tests: local APNs and FCM servers speaking the real protocols, and a
//! `berth` pointed at them with a fast worker.

use std::time::{Duration, Instant};

use berth_push::testing::{ApnsTestServer, FcmTestServer, apns_credentials, fcm_credentials};
use serde_json::{Value, json};

use crate::helpers::{Managed, TestServer, fresh_data_dir, random_token};

pub struct PushRig {
    pub apns: ApnsTestServer,
    pub fcm: FcmTestServer,
    pub server: TestServer,
    /// The server's environment, for restarts.
    env: Vec<(String, String)>,
    /// The server keeps its data in SQLite even when the tests run on PostgreSQL.
    embedded: bool,
    /// Holds the CA file the server reads.
    _ca_dir: tempfile::TempDir,
}

impl PushRig {
    pub async fn start() -> Self {
        Self::start_with(&[]).await
    }

    pub async fn start_with(extra_env: &[(&str, &str)]) -> Self {
        Self::start_rig(extra_env, false).await
    }

    /// A rig whose server keeps its data in SQLite even when the tests run on PostgreSQL.
    pub async fn start_embedded() -> Self {
        Self::start_rig(&[], true).await
    }

    async fn start_rig(extra_env: &[(&str, &str)], embedded: bool) -> Self {
        let apns = ApnsTestServer::start().await;
        let fcm = FcmTestServer::start().await;
        let ca_dir = tempfile::tempdir().expect("temp dir");
        let ca_file = ca_dir.path().join("apns-ca.pem");
        std::fs::write(&ca_file, apns.ca_pem()).expect("write CA");
        let (dir, data_dir) = fresh_data_dir();
        let token = random_token();
        let mut env: Vec<(String, String)> = push_env(&apns, &fcm, &ca_file, &token)
            .into_iter()
            .map(|(name, value)| (name.to_owned(), value))
            .collect();
        env.extend(
            extra_env
                .iter()
                .map(|(name, value)| ((*name).to_owned(), (*value).to_owned())),
        );
        let mut server = if embedded {
            let env: Vec<(&str, &str)> =
                env.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
            TestServer::start_on_sqlite(&data_dir, &env).await
        } else {
            start(&data_dir, &env).await
        };
        server.adopt_dir(dir);
        Self {
            apns,
            fcm,
            server,
            env,
            embedded,
            _ca_dir: ca_dir,
        }
    }

    /// Another node on the same PostgreSQL database with the same secret key and providers; `None`
    /// on SQLite (one node's database). The returned guard holds its data folder.
    pub async fn second_node(&self) -> Option<(TestServer, tempfile::TempDir)> {
        let (guard, folder) = fresh_data_dir();
        crate::helpers::share_database(&folder, &self.server.data_dir)?;
        let key = std::fs::read_to_string(self.server.data_dir.join("secret-key"))
            .expect("the first node's secret key")
            .trim()
            .to_owned();
        let mut env = self.env.clone();
        env.push(("BERTH_SECRET_KEY".to_owned(), key));
        Some((start(&folder, &env).await, guard))
    }

    /// A server on `data_dir` (and its database) with this rig's providers, admin token and secret key.
    pub async fn node_on(&self, data_dir: &std::path::Path) -> TestServer {
        let key = std::fs::read_to_string(self.server.data_dir.join("secret-key"))
            .expect("the first node's secret key")
            .trim()
            .to_owned();
        let mut env = self.env.clone();
        env.push(("BERTH_SECRET_KEY".to_owned(), key));
        start(data_dir, &env).await
    }

    /// Stops the server (`crash`: SIGKILL, else SIGTERM) and starts it again on the same data.
    pub async fn restart(&mut self, crash: bool) {
        // Waiting for the exit blocks this thread; the provider servers must keep answering on the
        // runtime's other threads meanwhile (tests calling this use the multi-thread runtime).
        tokio::task::block_in_place(|| {
            if crash {
                self.server.kill();
            } else {
                self.server.stop();
            }
        });
        let dir = self.server.take_dir();
        let data_dir = self.server.data_dir.clone();
        self.server = start_server(&data_dir, &self.env, self.embedded).await;
        if let Some(dir) = dir {
            self.server.adopt_dir(dir);
        }
    }

    /// Gives a backend APNs and FCM settings the local servers accept; returns its push project id.
    pub async fn configure(&self, backend: &Managed) -> String {
        let apns = apns_credentials(&self.apns);
        let fcm = fcm_credentials(&self.fcm);
        let result = self
            .server
            .manage_ok(
                backend,
                "Push.setConfig",
                json!({
                    "apns": {
                        "keyId": apns.key_id,
                        "teamId": apns.team_id,
                        "signingKey": apns.signing_key_pem,
                        "topic": apns.topic,
                        "environment": "production",
                    },
                    "fcm": { "serviceAccount": fcm.service_account_json },
                }),
            )
            .await;
        result["config"]["pushProjectId"]
            .as_str()
            .expect("push project id")
            .to_owned()
    }

    /// Registers a device as the Monaca native runtime does; returns the HTTP status and body.
    pub async fn register(&self, project: &str, fields: &[(&str, &str)]) -> (u16, Value) {
        self.post_form("register", project, fields).await
    }

    pub async fn unregister(&self, project: &str, fields: &[(&str, &str)]) -> (u16, Value) {
        self.post_form("unregister", project, fields).await
    }

    async fn post_form(
        &self,
        action: &str,
        project: &str,
        fields: &[(&str, &str)],
    ) -> (u16, Value) {
        let body: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        let response = self
            .server
            .anonymous(
                reqwest::Method::POST,
                &format!("/v1/push/{action}/{}", urlencode(project)),
            )
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .expect("request");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub async fn register_ios(&self, project: &str, device_id: &str, token: &str) {
        let (status, body) = self
            .register(
                project,
                &[
                    ("platform", "ios"),
                    ("deviceId", device_id),
                    ("deviceToken", token),
                    ("buildType", "release"),
                    ("version", "1.0"),
                ],
            )
            .await;
        assert_eq!((status, body["status"].as_str()), (200, Some("ok")));
    }

    pub async fn register_android(&self, project: &str, device_id: &str, token: &str) {
        let (status, body) = self
            .register(
                project,
                &[
                    ("platform", "android"),
                    ("deviceId", device_id),
                    ("registrationId", token),
                    ("buildType", "release"),
                ],
            )
            .await;
        assert_eq!((status, body["status"].as_str()), (200, Some("ok")));
    }

    /// Sends with `Push.send` and waits until `Push.status` says `finish`; returns the status.
    pub async fn send_and_wait(&self, backend: &Managed, params: Value) -> Value {
        let result = self
            .server
            .manage_ok(backend, "Push.send", params.clone())
            .await;
        let queue_id = result["queueIdList"][0]
            .as_str()
            .expect("queue id")
            .to_owned();
        self.wait_finished(backend, &params["pushProjectId"], &queue_id)
            .await
    }

    pub async fn wait_finished(&self, backend: &Managed, project: &Value, queue_id: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let status = self
                .server
                .manage_ok(
                    backend,
                    "Push.status",
                    json!({ "pushProjectId": project, "queueId": queue_id }),
                )
                .await;
            if status["status"] == "finish" {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "notification {queue_id} did not finish: {status}\n{}",
                self.server.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

async fn start(data_dir: &std::path::Path, env: &[(String, String)]) -> TestServer {
    start_server(data_dir, env, false).await
}

/// A server on `data_dir`; `embedded` keeps it on SQLite even when the tests run on PostgreSQL.
async fn start_server(
    data_dir: &std::path::Path,
    env: &[(String, String)],
    embedded: bool,
) -> TestServer {
    let env: Vec<(&str, &str)> = env.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    if embedded {
        TestServer::start_on_sqlite(data_dir, &env).await
    } else {
        TestServer::start_with(data_dir, &env).await
    }
}

fn push_env(
    apns: &ApnsTestServer,
    fcm: &FcmTestServer,
    ca_file: &std::path::Path,
    token: &str,
) -> Vec<(&'static str, String)> {
    vec![
        ("BERTH_ADMIN_TOKEN", token.to_owned()),
        ("BERTH_APNS_URL", apns.url().to_string()),
        ("BERTH_FCM_URL", fcm.url().to_string()),
        ("BERTH_FCM_TOKEN_URL", fcm.token_uri().to_string()),
        ("BERTH_PUSH_CA_FILE", ca_file.display().to_string()),
        ("BERTH_PUSH_POLL_MS", "50".to_owned()),
        ("BERTH_PUSH_RETRY_BASE_MS", "50".to_owned()),
    ]
}

pub fn urlencode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// A 64-hex-digit APNs device token, different for each `n`.
pub fn apns_token(n: u64) -> String {
    format!("{n:064x}")
}
