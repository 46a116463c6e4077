//! Secrets and tenants: no credential ever reaches the server log, and one backend's credentials open
//! nothing of another backend on any surface.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{App, Device, TestServer, fresh_data_dir, random_token};

/// Every credential of one backend, as its operator, apps and users hold them.
struct Tenant {
    app: App,
    body: Value,
    /// A second management key, issued after creation.
    extra_management_key: String,
    user_password: String,
    session: String,
    login_token: String,
    access_token: String,
    client_token: String,
    reset_token: String,
    realm_password: String,
    /// Written into the tenant's data so that a leak to another tenant shows.
    marker: String,
}

impl Tenant {
    fn text(&self, member: &str) -> String {
        self.body[member].as_str().expect(member).to_owned()
    }

    fn id(&self) -> &str {
        &self.app.backend.id
    }

    /// Every secret this tenant holds, with a name for failure messages.
    fn secrets(&self) -> Vec<(&'static str, String)> {
        vec![
            ("management key", self.app.backend.key.clone()),
            ("second management key", self.extra_management_key.clone()),
            ("Monaca app API key", self.app.api_key.clone()),
            ("Monaca user password", self.user_password.clone()),
            ("Monaca session id", self.session.clone()),
            ("Monaca login token", self.login_token.clone()),
            ("password reset token", self.reset_token.clone()),
            ("OAuth client secret", self.text("clientSecret")),
            ("anonymous key", self.text("anonymousKey")),
            ("user access token", self.access_token.clone()),
            ("client access token", self.client_token.clone()),
            ("realm user password", self.realm_password.clone()),
        ]
    }
}

fn basic(user: &str, password: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{user}:{password}")))
}

/// Sets up a backend and uses every kind of credential it has once, the way apps do.
async fn tenant(server: &TestServer, name: &str) -> Tenant {
    let marker = format!("marker-{name}-{}", uuid::Uuid::new_v4().simple());
    let user_password = format!("pw-{}", uuid::Uuid::new_v4().simple());
    let realm_password = format!("realm-{}", uuid::Uuid::new_v4().simple());
    let body = server.create_backend(name).await;
    let app = App {
        backend: crate::helpers::Managed {
            id: body["id"].as_str().expect("id").to_owned(),
            key: body["managementKey"]["key"]
                .as_str()
                .expect("key")
                .to_owned(),
        },
        api_key: body["monacaApiKey"].as_str().expect("app key").to_owned(),
    };
    let id = app.backend.id.clone();

    // Operator: a second management key and a realm user.
    let extra: Value = server
        .tools(
            Method::POST,
            &format!("/mobilebackends/{id}/managementKeys"),
        )
        .json(&json!({ "label": "ci" }))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    let extra_management_key = extra["key"].as_str().expect("new key").to_owned();
    let response = server
        .tools(Method::POST, &format!("/mobilebackends/{id}/users"))
        .json(&json!({ "username": "realm-user", "password": realm_password }))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 201);

    // Management API: a collection with a private item that carries the marker.
    server
        .manage_ok(
            &app.backend,
            "Collection.create",
            json!({ "_id": "Notes", "isInsertable": true, "isReadable": true }),
        )
        .await;
    server
        .manage_ok(
            &app.backend,
            "CollectionItem.create",
            json!({ "collectionName": "Notes", "item": { "text": marker } }),
        )
        .await;

    // App API: register, log in (with a wrong password first), auto-login, reset the password.
    let mut device = Device::new(server, &app);
    device
        .ok(
            "User.register",
            json!({ "username": "joe@example.com", "password": "initial-pw", "properties": { "note": marker } }),
        )
        .await;
    device.ok("User.logout", json!({})).await;
    let wrong = device
        .call(
            "User.login",
            json!({ "username": "joe@example.com", "password": "wrong-password" }),
        )
        .await;
    assert!(wrong["error"].is_object(), "{wrong}");
    device
        .ok(
            "User.sendPasswordResetToken",
            json!({ "username": "joe@example.com", "options": {} }),
        )
        .await;
    let outbox = server
        .manage_ok(&app.backend, "Mailer.listOutbox", json!({}))
        .await;
    let reset_token = outbox["items"][0]["body"]
        .as_str()
        .expect("body")
        .split_whitespace()
        .last()
        .expect("token")
        .to_owned();
    device
        .ok(
            "User.resetPasswordAndLogin",
            json!({ "username": "joe@example.com", "newPassword": user_password, "token": reset_token }),
        )
        .await;
    let login = device
        .ok(
            "User.login",
            json!({ "username": "joe@example.com", "password": user_password }),
        )
        .await;
    let login_token = login["loginToken"]
        .as_str()
        .expect("login token")
        .to_owned();
    let mut other_device = Device {
        device_id: device.device_id.clone(),
        ..Device::new(server, &app)
    };
    other_device
        .ok("User.autoLogin", json!({ "loginToken": login_token }))
        .await;
    let session = device.session.clone().expect("session");
    assert!(
        device
            .ok("User.isAuthenticated", json!({}))
            .await
            .as_bool()
            .expect("bool")
    );

    // Oracle: tokens with the client secret, Basic calls with the user's password and the
    // anonymous key, bearer calls.
    let token = |form: Vec<(&'static str, String)>| {
        server
            .anonymous(Method::POST, "/oauth2/v1/token")
            .basic_auth(
                body["clientId"].as_str().expect("client id"),
                body["clientSecret"].as_str(),
            )
            .form(&form)
            .send()
    };
    let granted: Value = token(vec![
        ("grant_type", "password".to_owned()),
        ("username", "joe@example.com".to_owned()),
        ("password", user_password.clone()),
    ])
    .await
    .expect("request")
    .json()
    .await
    .expect("json");
    let access_token = granted["access_token"].as_str().expect("token").to_owned();
    let granted: Value = token(vec![("grant_type", "client_credentials".to_owned())])
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    let client_token = granted["access_token"].as_str().expect("token").to_owned();
    let backend_header = body["basicAuthBackendId"].as_str().expect("basic id");
    for authorization in [
        format!("Bearer {access_token}"),
        basic("joe@example.com", &user_password),
        basic("realm-user", &realm_password),
        format!("Basic {}", body["anonymousKey"].as_str().expect("key")),
    ] {
        let response = server
            .anonymous(Method::GET, "/mobile/platform/appconfig/client")
            .header("Authorization", authorization.as_str())
            .header("Oracle-Mobile-Backend-ID", backend_header)
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 200, "{authorization}");
    }
    let response = server
        .anonymous(Method::GET, "/mobile/platform/users/me")
        .bearer_auth(&access_token)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200);

    Tenant {
        app,
        body,
        extra_management_key,
        user_password,
        session,
        login_token,
        access_token,
        client_token,
        reset_token,
        realm_password,
        marker,
    }
}

#[tokio::test]
async fn no_secret_reaches_the_log_even_at_trace_level() {
    let (_dir, data_dir) = fresh_data_dir();
    let admin_token = random_token();
    let mut server = TestServer::start_with(
        &data_dir,
        &[
            ("BERTH_ADMIN_TOKEN", admin_token.as_str()),
            ("RUST_LOG", "trace"),
        ],
    )
    .await;
    let tenant = tenant(&server, "Logged").await;
    // Refused credentials are not logged either.
    let wrong_key = format!("wrong-key-{}", uuid::Uuid::new_v4().simple());
    let (_, refused) = server
        .manage_raw(
            tenant.id(),
            Some(&wrong_key),
            json!({ "jsonrpc": "2.0", "id": 1, "method": "Collection.list" }).to_string(),
        )
        .await;
    assert_eq!(refused["error"]["code"], 4);
    let wrong_token = format!("wrong-token-{}", uuid::Uuid::new_v4().simple());
    let response = server
        .anonymous(Method::GET, "/mobile/tools/1.0/mobilebackends")
        .bearer_auth(&wrong_token)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 401);
    server.stop();

    let log = server.log();
    assert!(
        log.contains("listening on") && log.contains("/oauth2/v1/token"),
        "the log holds the session: {log}"
    );
    let mut secrets = tenant.secrets();
    secrets.push(("admin token", admin_token.clone()));
    secrets.push(("refused management key", wrong_key));
    secrets.push(("refused admin token", wrong_token));
    secrets.push((
        "Basic user credentials",
        STANDARD.encode(format!("joe@example.com:{}", tenant.user_password)),
    ));
    for (name, secret) in secrets {
        assert!(secret.len() >= 8, "{name} is a real secret");
        assert!(
            !log.contains(&secret),
            "the {name} appears in the server log"
        );
    }
}

/// How a foreign credential is presented to the victim backend, and what must come back.
#[derive(Debug, Clone, Copy)]
enum Presentation {
    ManagementKeyHeader,
    AppApiKey,
    AppSession,
    AppLoginToken,
    AppPassword,
    OracleBearer,
    OracleBasicKey,
    OracleBasicUser,
    OracleClientSecret,
    OraclePasswordGrant,
    ToolsBearer,
}

const PRESENTATIONS: [Presentation; 11] = [
    Presentation::ManagementKeyHeader,
    Presentation::AppApiKey,
    Presentation::AppSession,
    Presentation::AppLoginToken,
    Presentation::AppPassword,
    Presentation::OracleBearer,
    Presentation::OracleBasicKey,
    Presentation::OracleBasicUser,
    Presentation::OracleClientSecret,
    Presentation::OraclePasswordGrant,
    Presentation::ToolsBearer,
];

/// Presents `secret` (belonging to another backend) to `victim` in one way; asserts the refusal and
/// returns the answer's text so the caller can check that nothing of the victim leaked.
async fn present(
    server: &TestServer,
    victim: &Tenant,
    presentation: Presentation,
    secret: &str,
) -> String {
    let rpc = |method: &str, params: Value| {
        json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params }).to_string()
    };
    let device = uuid::Uuid::new_v4().to_string();
    let app_params = |extra: Value| {
        let mut params = json!({ "__api_key": victim.app.api_key, "__device": device });
        for (name, value) in extra.as_object().cloned().unwrap_or_default() {
            params[name] = value;
        }
        params
    };
    let header = victim.text("basicAuthBackendId");
    match presentation {
        Presentation::ManagementKeyHeader => {
            let (_, body) = server
                .manage_raw(
                    victim.id(),
                    Some(secret),
                    rpc("CollectionItem.list", json!({ "collectionName": "Notes" })),
                )
                .await;
            assert_eq!(body["error"]["code"], 4, "{body}");
            body.to_string()
        }
        Presentation::AppApiKey => {
            let body = rpc(
                "Collection.find",
                json!({ "collectionName": "Notes", "__api_key": secret, "__device": device }),
            );
            let (_, _, body) = server.app_raw(victim.id(), body).await;
            assert_eq!(body["error"]["code"], 4, "{body}");
            body.to_string()
        }
        Presentation::AppSession => {
            let body = rpc(
                "User.getProperties",
                app_params(json!({ "__session": secret, "names": ["note"] })),
            );
            let (_, _, body) = server.app_raw(victim.id(), body).await;
            assert!(
                [10, 11].contains(&body["error"]["code"].as_i64().unwrap_or(0)),
                "{body}"
            );
            body.to_string()
        }
        Presentation::AppLoginToken => {
            let body = rpc(
                "User.autoLogin",
                app_params(json!({ "loginToken": secret })),
            );
            let (_, session, body) = server.app_raw(victim.id(), body).await;
            assert!(body["error"].is_object(), "{body}");
            assert!(session.is_none());
            body.to_string()
        }
        Presentation::AppPassword => {
            let body = rpc(
                "User.login",
                app_params(json!({ "username": "joe@example.com", "password": secret })),
            );
            let (_, session, body) = server.app_raw(victim.id(), body).await;
            assert!(body["error"].is_object(), "{body}");
            assert!(session.is_none());
            body.to_string()
        }
        Presentation::OracleBearer
        | Presentation::OracleBasicKey
        | Presentation::OracleBasicUser => {
            let authorization = match presentation {
                Presentation::OracleBearer => format!("Bearer {secret}"),
                Presentation::OracleBasicKey => format!("Basic {secret}"),
                _ => basic("joe@example.com", secret),
            };
            // Every platform endpoint: reading the profile, the app policies, posting analytics.
            let mut answers = String::new();
            for (method, path) in [
                (Method::GET, "/mobile/platform/users/me"),
                (Method::GET, "/mobile/platform/appconfig/client"),
                (Method::POST, "/mobile/platform/analytics/events"),
            ] {
                let response = server
                    .anonymous(method, path)
                    .header("Authorization", authorization.as_str())
                    .header("Oracle-Mobile-Backend-ID", &header)
                    .json(&json!([{ "name": "probe" }]))
                    .send()
                    .await
                    .expect("request");
                // 429 once the victim's failed-login limit for the user is reached: refused all
                // the same.
                assert!(
                    [401, 429].contains(&response.status().as_u16()),
                    "{path}: {}",
                    response.status()
                );
                answers.push_str(&response.text().await.expect("body"));
            }
            answers
        }
        Presentation::OracleClientSecret | Presentation::OraclePasswordGrant => {
            let (client_secret, form) = match presentation {
                Presentation::OracleClientSecret => (
                    secret.to_owned(),
                    vec![("grant_type", "client_credentials".to_owned())],
                ),
                _ => (
                    victim.text("clientSecret"),
                    vec![
                        ("grant_type", "password".to_owned()),
                        ("username", "joe@example.com".to_owned()),
                        ("password", secret.to_owned()),
                    ],
                ),
            };
            let response = server
                .anonymous(Method::POST, "/oauth2/v1/token")
                .basic_auth(victim.text("clientId"), Some(client_secret))
                .form(&form)
                .send()
                .await
                .expect("request");
            assert!(
                [400, 401, 429].contains(&response.status().as_u16()),
                "{}",
                response.status()
            );
            let body: Value = response.json().await.expect("json");
            assert!(body.get("access_token").is_none(), "{body}");
            body.to_string()
        }
        Presentation::ToolsBearer => {
            let response = server
                .anonymous(
                    Method::GET,
                    &format!("/mobile/tools/1.0/mobilebackends/{}", victim.id()),
                )
                .bearer_auth(secret)
                .send()
                .await
                .expect("request");
            assert_eq!(response.status(), 401);
            response.text().await.expect("body")
        }
    }
}

/// What one tenant can see of its own data, to compare before and after.
async fn snapshot(server: &TestServer, tenant: &Tenant) -> Value {
    let items = server
        .manage_ok(
            &tenant.app.backend,
            "CollectionItem.list",
            json!({ "collectionName": "Notes" }),
        )
        .await;
    let users = server
        .manage_ok(&tenant.app.backend, "User.list", json!({}))
        .await;
    let backend: Value = server
        .tools(Method::GET, &format!("/mobilebackends/{}", tenant.id()))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    let events: Value = server
        .tools(
            Method::GET,
            &format!("/mobilebackends/{}/analytics/events", tenant.id()),
        )
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert!(
        events["items"].is_array() && items["items"].is_array() && users["items"].is_array(),
        "{events} {items} {users}"
    );
    json!({ "items": items["items"], "users": users["items"], "backend": backend,
            "events": events["items"] })
}

#[tokio::test]
async fn no_credential_of_one_backend_opens_another_on_any_surface() {
    let server = TestServer::start().await;
    let attacker = tenant(&server, "Attacker").await;
    let victim = tenant(&server, "Victim").await;
    let before = snapshot(&server, &victim).await;

    let mut tried = 0;
    for (name, secret) in attacker.secrets() {
        for presentation in PRESENTATIONS {
            let answer = present(&server, &victim, presentation, &secret).await;
            assert!(
                !answer.contains(&victim.marker),
                "the attacker's {name} as {presentation:?} read the victim's data: {answer}"
            );
            tried += 1;
        }
    }
    assert_eq!(tried, 12 * PRESENTATIONS.len());

    // The attacker's own endpoints do not reach the victim's records either, even by exact id.
    let victim_item = before["items"][0]["_id"].as_str().expect("item id");
    let victim_user = before["users"][0]["_id"].as_str().expect("user id");
    let response = server
        .manage(
            &attacker.app.backend,
            "CollectionItem.get",
            json!({ "collectionName": "Notes", "_id": victim_item }),
        )
        .await;
    assert!(response["error"].is_object(), "{response}");
    let response = server
        .manage(
            &attacker.app.backend,
            "CollectionItem.delete",
            json!({ "collectionName": "Notes", "_id": victim_item }),
        )
        .await;
    assert!(response["error"].is_object(), "{response}");
    let response = server
        .manage(
            &attacker.app.backend,
            "User.get",
            json!({ "_id": victim_user }),
        )
        .await;
    assert!(response["error"].is_object(), "{response}");
    let response = server
        .anonymous(Method::GET, "/mobile/platform/users/me")
        .bearer_auth(&attacker.access_token)
        .header(
            "Oracle-Mobile-Backend-ID",
            victim.text("basicAuthBackendId"),
        )
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 401);

    // Nothing of the victim changed, and the attacker still sees only its own data.
    assert_eq!(snapshot(&server, &victim).await, before);
    let own = snapshot(&server, &attacker).await;
    assert!(!own.to_string().contains(&victim.marker));
}

#[tokio::test]
async fn failed_logins_from_one_address_are_limited_in_each_apis_format() {
    let server = TestServer::start().await;
    let app = server.app("Guessed").await;
    let body: Value = server
        .tools(Method::GET, &format!("/mobilebackends/{}", app.backend.id))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    server
        .manage_ok(
            &app.backend,
            "Backend.setSettings",
            json!({ "settings": { "maxFailedLoginsPerAddress": 3 } }),
        )
        .await;
    let mut device = Device::new(&server, &app);
    device
        .ok(
            "User.register",
            json!({ "username": "real@example.com", "password": "right-password" }),
        )
        .await;
    device.ok("User.logout", json!({})).await;
    // Three different usernames: the per-user limit is not what stops the fourth attempt.
    for guess in ["a@example.com", "b@example.com", "c@example.com"] {
        let answer = device
            .call(
                "User.login",
                json!({ "username": guess, "password": "guess-guess" }),
            )
            .await;
        assert_eq!(answer["error"]["code"], -32602, "{answer}");
    }

    // The right password, from the same address, on each surface: refused for now.
    let answer = device
        .call(
            "User.login",
            json!({ "username": "real@example.com", "password": "right-password" }),
        )
        .await;
    assert_eq!(answer["error"]["code"], 9999, "{answer}");
    assert!(answer["error"]["data"]["reason"].is_string(), "{answer}");

    let response = server
        .anonymous(Method::GET, "/mobile/platform/users/me")
        .header("Authorization", basic("real@example.com", "right-password"))
        .header(
            "Oracle-Mobile-Backend-ID",
            body["basicAuthBackendId"].as_str().expect("id"),
        )
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 429);
    let problem: Value = response.json().await.expect("json");
    assert_eq!(problem["o:errorCode"], "MOBILE-42901", "{problem}");
    assert_eq!(problem["status"], 429, "{problem}");

    let response = server
        .anonymous(Method::POST, "/oauth2/v1/token")
        .basic_auth(
            body["clientId"].as_str().expect("client id"),
            body["clientSecret"].as_str(),
        )
        .form(&[
            ("grant_type", "password"),
            ("username", "real@example.com"),
            ("password", "right-password"),
        ])
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 429);
    let answer: Value = response.json().await.expect("json");
    assert_eq!(answer["error"], "slow_down", "{answer}");
}

#[tokio::test]
async fn browsers_may_call_a_backend_only_from_the_origins_it_allows() {
    let server = TestServer::start().await;
    let strict = server.app("Strict").await;
    let open = server.app("Open").await;
    let refused = server
        .manage(
            &strict.backend,
            "Backend.setSettings",
            json!({ "settings": { "allowedOrigins": ["https://app.example.com/"] } }),
        )
        .await;
    assert_eq!(refused["error"]["code"], -32602, "{refused}");
    server
        .manage_ok(
            &strict.backend,
            "Backend.setSettings",
            json!({ "settings": { "allowedOrigins": ["https://app.example.com", "null"] } }),
        )
        .await;

    let allowed_origin = |app: &App, origin: &'static str, preflight: bool| {
        let path = format!("/json-rpc/{}", app.backend.id);
        let call = json!({ "jsonrpc": "2.0", "id": 1, "method": "User.isAuthenticated",
                           "params": { "__api_key": app.api_key, "__device": "d1" } });
        let request = if preflight {
            server
                .anonymous(Method::OPTIONS, &path)
                .header("Access-Control-Request-Method", "POST")
                .header("Access-Control-Request-Headers", "content-type")
        } else {
            server.anonymous(Method::POST, &path).body(call.to_string())
        };
        let request = request.header("Origin", origin);
        async move {
            let response = request.send().await.expect("request");
            assert!(response.status().is_success(), "{}", response.status());
            response
                .headers()
                .get("access-control-allow-origin")
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned)
        }
    };
    for preflight in [false, true] {
        assert_eq!(
            allowed_origin(&strict, "https://app.example.com", preflight)
                .await
                .as_deref(),
            Some("https://app.example.com")
        );
        assert_eq!(
            allowed_origin(&strict, "null", preflight).await.as_deref(),
            Some("null")
        );
        assert_eq!(
            allowed_origin(&strict, "https://evil.example", preflight).await,
            None,
            "a page elsewhere may not read the strict backend's answers"
        );
        // Another backend's setting changes nothing here: any origin, as Monaca allowed.
        assert_eq!(
            allowed_origin(&open, "https://evil.example", preflight)
                .await
                .as_deref(),
            Some("https://evil.example")
        );
    }
    let settings = server
        .manage_ok(&strict.backend, "Backend.getSettings", json!({}))
        .await;
    assert_eq!(
        settings["settings"]["allowedOrigins"],
        json!(["https://app.example.com", "null"])
    );
}

#[tokio::test]
async fn an_address_that_keeps_presenting_wrong_keys_is_told_to_back_off() {
    let server = TestServer::start().await;
    let app = server.app("Hammered").await;
    let body: Value = server
        .tools(Method::GET, &format!("/mobilebackends/{}", app.backend.id))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    server
        .manage_ok(
            &app.backend,
            "Backend.setSettings",
            json!({ "settings": { "maxFailedLoginsPerAddress": 3 } }),
        )
        .await;
    let call = json!({ "jsonrpc": "2.0", "id": 1, "method": "Collection.list" }).to_string();
    let mut codes = Vec::new();
    for attempt in 0..5 {
        let (_, answer) = server
            .manage_raw(
                &app.backend.id,
                Some(&format!("wrong-{attempt}")),
                call.clone(),
            )
            .await;
        codes.push(answer["error"]["code"].as_i64().expect("code"));
    }
    assert_eq!(codes, [4, 4, 4, 9999, 9999]);
    // The right key still works: keys cannot be guessed, so the limit only sheds the noise.
    server
        .manage_ok(&app.backend, "Collection.list", json!({}))
        .await;

    let mut codes = Vec::new();
    for attempt in 0..5 {
        let body = json!({ "jsonrpc": "2.0", "id": 1, "method": "User.isAuthenticated",
                           "params": { "__api_key": format!("wrong-{attempt}"), "__device": "d" } });
        let (_, _, answer) = server.app_raw(&app.backend.id, body.to_string()).await;
        codes.push(answer["error"]["code"].as_i64().expect("code"));
    }
    // The address has used up its budget on this backend's keys already.
    assert_eq!(codes, [9999; 5]);

    let response = server
        .anonymous(Method::POST, "/oauth2/v1/token")
        .basic_auth(body["clientId"].as_str().expect("client id"), Some("wrong"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 429);
    let answer: Value = response.json().await.expect("json");
    assert_eq!(answer["error"], "slow_down", "{answer}");

    // Another backend is not affected.
    let other = server.app("Calm").await;
    let (_, answer) = server
        .manage_raw(&other.backend.id, Some("wrong"), call)
        .await;
    assert_eq!(answer["error"]["code"], 4);
}

#[tokio::test]
async fn secrets_that_are_only_checked_are_stored_hashed() {
    let server = TestServer::start().await;
    let tenant = tenant(&server, "Stored").await;
    let stored = crate::helpers::stored_text(&server).await;
    // Shown again by the tools API, so kept readable (docs/compat.md): the client secret and the
    // anonymous key. Without an SMTP server the outbox is how a reset mail reaches anyone, so the
    // held mail keeps its token (a sent one does not: mail.rs). Access tokens are signed, not stored.
    // Everything else is only ever checked.
    let readable = [
        "OAuth client secret",
        "anonymous key",
        "password reset token",
    ];
    let mut checked = 0;
    for (name, secret) in tenant.secrets() {
        if readable.contains(&name) {
            assert!(stored.contains(&secret), "the {name} is readable again");
            continue;
        }
        assert!(!stored.contains(&secret), "the {name} is stored in clear");
        checked += 1;
    }
    assert!(
        !stored.contains(&server.token),
        "the admin token is stored in clear"
    );
    assert_eq!(checked, 9);
    // Passwords are argon2 hashes, not fast digests.
    assert!(stored.contains("$argon2id$"), "argon2id password hashes");
}
