//! Oracle Mobile Hub authentication: the OAuth token endpoint, Bearer and Basic calls, and the
//! signed-in user's profile under `/mobile/platform/users`.

use base64::Engine as _;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Managed, TestServer, assert_problem};

struct OracleBackend {
    body: Value,
    managed: Managed,
}

impl OracleBackend {
    fn text(&self, member: &str) -> String {
        self.body[member].as_str().expect("member").to_owned()
    }
}

async fn backend_with_user(server: &TestServer, name: &str) -> OracleBackend {
    let body = server.create_backend(name).await;
    let managed = Managed {
        id: body["id"].as_str().expect("id").to_owned(),
        key: body["managementKey"]["key"]
            .as_str()
            .expect("key")
            .to_owned(),
    };
    server
        .manage_ok(&managed, "User.create", json!({ "username": "joe", "password": "password1", "properties": { "firstName": "Joe", "lastName": "Doe", "email": "joe@example.com", "team": "blue" } }))
        .await;
    OracleBackend { body, managed }
}

async fn token(
    server: &TestServer,
    backend: &OracleBackend,
    form: &[(&str, &str)],
) -> reqwest::Response {
    server
        .anonymous(Method::POST, "/oauth2/v1/token")
        .basic_auth(backend.text("clientId"), Some(backend.text("clientSecret")))
        .form(form)
        .send()
        .await
        .expect("request")
}

async fn bearer(server: &TestServer, backend: &OracleBackend, form: &[(&str, &str)]) -> String {
    let response = token(server, backend, form).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    body["access_token"].as_str().expect("token").to_owned()
}

fn basic(username: &str, password: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"))
    )
}

#[tokio::test]
async fn tokens_are_issued_for_clients_and_users() {
    let server = TestServer::start().await;
    let backend = backend_with_user(&server, "Field").await;
    let scope = format!("{}urn:opc:resource:consumer::all", server.base);
    let user_token = bearer(
        &server,
        &backend,
        &[
            ("grant_type", "password"),
            ("username", "joe"),
            ("password", "password1"),
            ("scope", &scope),
        ],
    )
    .await;

    let me = server
        .anonymous(Method::GET, "/mobile/platform/users/me")
        .bearer_auth(&user_token)
        .send()
        .await
        .expect("request");
    assert_eq!(me.status(), 200);
    let me: Value = me.json().await.expect("json");
    assert_eq!(me["username"], "joe");
    assert_eq!(me["firstName"], "Joe");
    assert_eq!(me["email"], "joe@example.com");
    assert_eq!(me["team"], "blue");
    assert!(me["id"].as_str().is_some_and(|id| id.starts_with('u')));
    assert_eq!(me["links"][0]["href"], "/mobile/platform/users/joe");
    let tilde: Value = server
        .anonymous(
            Method::GET,
            "/mobile/platform/users/~?fields=firstName,lastName",
        )
        .bearer_auth(&user_token)
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert_eq!(tilde["firstName"], "Joe");
    assert!(tilde.get("email").is_none(), "fields limits the answer");

    // Client credentials: an anonymous token, which no user endpoint accepts.
    let anonymous = bearer(&server, &backend, &[("grant_type", "client_credentials")]).await;
    let response = server
        .anonymous(Method::GET, "/mobile/platform/users/me")
        .bearer_auth(&anonymous)
        .send()
        .await
        .expect("request");
    assert_problem(response, 401, "MOBILE-40101").await;

    // Client id and secret as form fields work too.
    let response = server
        .anonymous(Method::POST, "/oauth2/v1/token")
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", &backend.text("clientId")),
            ("client_secret", &backend.text("clientSecret")),
        ])
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn the_token_endpoint_refuses_in_oauth_terms() {
    let server = TestServer::start().await;
    let backend = backend_with_user(&server, "Refusals").await;
    let cases: Vec<(reqwest::RequestBuilder, u16, &str)> = vec![
        (
            server
                .anonymous(Method::POST, "/oauth2/v1/token")
                .form(&[("grant_type", "client_credentials")]),
            401,
            "invalid_client",
        ),
        (
            server
                .anonymous(Method::POST, "/oauth2/v1/token")
                .basic_auth(backend.text("clientId"), Some("wrong"))
                .form(&[("grant_type", "client_credentials")]),
            401,
            "invalid_client",
        ),
        (
            server
                .anonymous(Method::POST, "/oauth2/v1/token")
                .basic_auth(backend.text("clientId"), Some(backend.text("clientSecret")))
                .form(&[
                    ("grant_type", "password"),
                    ("username", "joe"),
                    ("password", "nope"),
                ]),
            400,
            "invalid_grant",
        ),
        (
            server
                .anonymous(Method::POST, "/oauth2/v1/token")
                .basic_auth(backend.text("clientId"), Some(backend.text("clientSecret")))
                .form(&[("grant_type", "password"), ("username", "joe")]),
            400,
            "invalid_request",
        ),
        (
            server
                .anonymous(Method::POST, "/oauth2/v1/token")
                .basic_auth(backend.text("clientId"), Some(backend.text("clientSecret")))
                .form(&[("grant_type", "authorization_code")]),
            400,
            "unsupported_grant_type",
        ),
        (
            server
                .anonymous(Method::POST, "/oauth2/v1/token")
                .basic_auth(backend.text("clientId"), Some(backend.text("clientSecret")))
                .form(&[("scope", "x")]),
            400,
            "invalid_request",
        ),
    ];
    for (request, status, error) in cases {
        let response = request.send().await.expect("request");
        assert_eq!(response.status().as_u16(), status, "{error}");
        let body: Value = response.json().await.expect("json");
        assert_eq!(body["error"], error);
        assert!(body["error_description"].is_string());
    }

    // OAuth switched off for the backend.
    let path = format!("/mobilebackends/{}", backend.managed.id);
    let off = server
        .tools(Method::PUT, &path)
        .json(&json!({ "name": "Refusals", "oauth": false }))
        .send()
        .await
        .expect("request");
    assert_eq!(off.status(), 204);
    let response = token(&server, &backend, &[("grant_type", "client_credentials")]).await;
    assert_eq!(response.status(), 400);
    assert_eq!(
        response.json::<Value>().await.expect("json")["error"],
        "unauthorized_client"
    );
}

#[tokio::test]
async fn basic_authentication_needs_the_backend_header() {
    let server = TestServer::start().await;
    let backend = backend_with_user(&server, "Basic").await;
    let login = |authorization: String, header: Option<String>| {
        let mut request = server
            .anonymous(Method::GET, "/mobile/platform/users/login")
            .header("authorization", authorization);
        if let Some(header) = header {
            request = request.header("Oracle-Mobile-Backend-ID", header);
        }
        request.send()
    };
    let ok = login(
        basic("joe", "password1"),
        Some(backend.text("basicAuthBackendId")),
    )
    .await
    .expect("request");
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.json::<Value>().await.expect("json")["username"], "joe");
    let by_backend_id = login(basic("joe", "password1"), Some(backend.managed.id.clone()))
        .await
        .expect("request");
    assert_eq!(by_backend_id.status(), 200, "the backend id works as well");

    for (authorization, header) in [
        (basic("joe", "password1"), None),
        (
            basic("joe", "wrong"),
            Some(backend.text("basicAuthBackendId")),
        ),
        (
            basic("joe", "password1"),
            Some(uuid::Uuid::new_v4().to_string()),
        ),
        (
            "Basic not-base64!".to_owned(),
            Some(backend.text("basicAuthBackendId")),
        ),
        (
            format!("Basic {}", backend.text("anonymousKey")),
            Some(backend.text("basicAuthBackendId")),
        ),
        (
            "Digest abc".to_owned(),
            Some(backend.text("basicAuthBackendId")),
        ),
    ] {
        let response = login(authorization, header).await.expect("request");
        assert_problem(response, 401, "MOBILE-40101").await;
    }
    let missing = server
        .anonymous(Method::GET, "/mobile/platform/users/me")
        .send()
        .await
        .expect("request");
    assert_problem(missing, 401, "MOBILE-40101").await;
}

#[tokio::test]
async fn users_read_and_change_only_their_own_profile() {
    let server = TestServer::start().await;
    let backend = backend_with_user(&server, "Profiles").await;
    server
        .manage_ok(
            &backend.managed,
            "User.create",
            json!({ "username": "ann", "password": "password2" }),
        )
        .await;
    let token = bearer(
        &server,
        &backend,
        &[
            ("grant_type", "password"),
            ("username", "joe"),
            ("password", "password1"),
        ],
    )
    .await;
    let request = |method: Method, path: &str| server.anonymous(method, path).bearer_auth(&token);

    let own = request(Method::GET, "/mobile/platform/users/joe")
        .send()
        .await
        .expect("request");
    assert_eq!(own.status(), 200);
    let other = request(Method::GET, "/mobile/platform/users/ann")
        .send()
        .await
        .expect("request");
    assert_problem(other, 403, "MOBILE-40301").await;

    let patched = request(Method::PATCH, "/mobile/platform/users/joe")
        .json(&json!({ "firstName": "Joseph", "username": "joe", "shoeSize": 44 }))
        .send()
        .await
        .expect("request");
    assert_eq!(patched.status(), 200);
    let patched: Value = patched.json().await.expect("json");
    assert_eq!(patched["firstName"], "Joseph");
    assert_eq!(patched["lastName"], "Doe", "other members stay");
    assert_eq!(patched["shoeSize"], 44);
    let renamed = request(Method::PUT, "/mobile/platform/users/joe")
        .json(&json!({ "username": "joey" }))
        .send()
        .await
        .expect("request");
    assert_problem(renamed, 400, "MOBILE-40002").await;
    let bad = request(Method::PUT, "/mobile/platform/users/joe")
        .json(&json!({ "email": 5 }))
        .send()
        .await
        .expect("request");
    assert_problem(bad, 400, "MOBILE-40002").await;
    let bad_name = request(Method::PATCH, "/mobile/platform/users/joe")
        .json(&json!({ "bad-name": 1 }))
        .send()
        .await
        .expect("request");
    assert_problem(bad_name, 400, "MOBILE-40002").await;

    let seen = server
        .manage_ok(
            &backend.managed,
            "User.list",
            json!({ "nameFilter": "joe" }),
        )
        .await;
    assert_eq!(
        seen["items"][0]["firstName"], "Joseph",
        "the Monaca side sees the same user"
    );
}

#[tokio::test]
async fn tokens_stop_working_when_revoked_tampered_or_used_elsewhere() {
    let server = TestServer::start().await;
    let backend = backend_with_user(&server, "Revocable").await;
    let other = backend_with_user(&server, "Elsewhere").await;
    let token = bearer(
        &server,
        &backend,
        &[
            ("grant_type", "password"),
            ("username", "joe"),
            ("password", "password1"),
        ],
    )
    .await;
    let me = |token: String, header: Option<String>| {
        let mut request = server
            .anonymous(Method::GET, "/mobile/platform/users/me")
            .bearer_auth(token);
        if let Some(header) = header {
            request = request.header("Oracle-Mobile-Backend-ID", header);
        }
        request.send()
    };
    assert_eq!(
        me(token.clone(), Some(backend.text("basicAuthBackendId")))
            .await
            .expect("request")
            .status(),
        200
    );
    let foreign = me(token.clone(), Some(other.text("basicAuthBackendId")))
        .await
        .expect("request");
    assert_problem(foreign, 401, "MOBILE-40101").await;
    let mut tampered = token.clone();
    tampered.replace_range(0..1, if tampered.starts_with('A') { "B" } else { "A" });
    assert_problem(
        me(tampered, None).await.expect("request"),
        401,
        "MOBILE-40101",
    )
    .await;
    assert_problem(
        me("garbage".to_owned(), None).await.expect("request"),
        401,
        "MOBILE-40101",
    )
    .await;

    let regenerated = server
        .tools(
            Method::POST,
            &format!("/mobilebackends/{}/oauthKeys", backend.managed.id),
        )
        .send()
        .await
        .expect("request");
    assert_eq!(regenerated.status(), 200);
    assert_problem(me(token, None).await.expect("request"), 401, "MOBILE-40101").await;
}
