//! Realm users through the tools API: create, list, read, change, delete; errors in the Oracle
//! format; the user signs in with the OAuth password grant; one backend never sees another's users.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestServer, assert_problem};

fn users_path(backend: &Value) -> String {
    format!(
        "/mobilebackends/{}/users",
        backend["id"].as_str().expect("id")
    )
}

async fn send(
    server: &TestServer,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let request = server.tools(method, path);
    let request = match body {
        Some(body) => request.json(&body),
        None => request,
    };
    request.send().await.expect("request")
}

#[tokio::test]
async fn realm_user_lifecycle_and_sign_in() {
    let server = TestServer::start().await;
    let backend = server.create_backend("realm").await;
    let users = users_path(&backend);

    let created = send(
        &server,
        Method::POST,
        &users,
        Some(json!({ "username": "ann", "password": "secret-1", "firstName": "Ann", "email": "ann@example.com", "team": "red" })),
    )
    .await;
    assert_eq!(created.status().as_u16(), 201);
    let location = created.headers()["location"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(location.ends_with(&format!("{users}/ann")), "{location}");
    let created: Value = created.json().await.expect("json");
    assert_eq!(created["username"], "ann");
    assert_eq!(created["firstName"], "Ann");
    assert_eq!(created["team"], "red");
    assert!(created.get("password").is_none(), "{created}");

    // The same user signs in through the Oracle OAuth password grant.
    let token = server
        .anonymous(Method::POST, "/oauth2/v1/token")
        .basic_auth(
            backend["clientId"].as_str().expect("clientId"),
            backend["clientSecret"].as_str(),
        )
        .form(&[
            ("grant_type", "password"),
            ("username", "ann"),
            ("password", "secret-1"),
        ])
        .send()
        .await
        .expect("request");
    assert_eq!(token.status().as_u16(), 200);

    let bob = send(
        &server,
        Method::POST,
        &users,
        Some(json!({ "username": "bob", "password": "password-1" })),
    )
    .await;
    assert_eq!(bob.status().as_u16(), 201);
    let listed: Value = send(
        &server,
        Method::GET,
        &format!("{users}?q=AN&totalResults=true"),
        None,
    )
    .await
    .json()
    .await
    .expect("json");
    assert_eq!(listed["count"], 1, "{listed}");
    assert_eq!(listed["totalResults"], 1, "{listed}");
    assert_eq!(listed["items"][0]["username"], "ann");
    let paged: Value = send(&server, Method::GET, &format!("{users}?limit=1"), None)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(paged["items"][0]["username"], "ann");
    assert_eq!(paged["hasMore"], true, "{paged}");

    let patched: Value = send(
        &server,
        Method::PATCH,
        &format!("{users}/ann"),
        Some(json!({ "lastName": "Lee", "password": "secret-2" })),
    )
    .await
    .json()
    .await
    .expect("json");
    assert_eq!(patched["lastName"], "Lee");
    assert_eq!(patched["team"], "red");
    let fetched: Value = send(&server, Method::GET, &format!("{users}/ann"), None)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(fetched["lastName"], "Lee");

    let deleted = send(&server, Method::DELETE, &format!("{users}/ann"), None).await;
    assert_eq!(deleted.status().as_u16(), 204);
    let gone = send(&server, Method::GET, &format!("{users}/ann"), None).await;
    assert_problem(gone, 404, "MOBILE-40401").await;
}

#[tokio::test]
async fn realm_user_errors_and_isolation() {
    let server = TestServer::start().await;
    let first = server.create_backend("one").await;
    let second = server.create_backend("two").await;
    let users = users_path(&first);
    let other = users_path(&second);

    let unauthenticated = server
        .anonymous(Method::GET, &format!("/mobile/tools/1.0{users}"))
        .send()
        .await
        .expect("request");
    assert_problem(unauthenticated, 401, "MOBILE-40101").await;

    let missing_password = send(
        &server,
        Method::POST,
        &users,
        Some(json!({ "username": "x" })),
    )
    .await;
    assert_problem(missing_password, 400, "MOBILE-40002").await;
    let bad_profile = send(
        &server,
        Method::POST,
        &users,
        Some(json!({ "username": "x", "password": "password-1", "email": 7 })),
    )
    .await;
    assert_problem(bad_profile, 400, "MOBILE-40002").await;
    let malformed = server
        .tools(Method::POST, &users)
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .expect("request");
    assert_problem(malformed, 400, "MOBILE-40001").await;
    let bad_limit = send(&server, Method::GET, &format!("{users}?limit=-1"), None).await;
    assert_problem(bad_limit, 400, "MOBILE-40003").await;
    let no_backend = send(
        &server,
        Method::GET,
        "/mobilebackends/00000000-0000-0000-0000-000000000000/users",
        None,
    )
    .await;
    assert_problem(no_backend, 404, "MOBILE-40401").await;

    let body = json!({ "username": "ann", "password": "password-1" });
    assert_eq!(
        send(&server, Method::POST, &users, Some(body.clone()))
            .await
            .status()
            .as_u16(),
        201
    );
    let taken = send(&server, Method::POST, &users, Some(body.clone())).await;
    assert_problem(taken, 409, "MOBILE-40901").await;

    // The other backend neither sees nor changes the first backend's user, and may use its name.
    let listed: Value = send(&server, Method::GET, &other, None)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(listed["count"], 0, "{listed}");
    for method in [Method::GET, Method::PATCH, Method::DELETE] {
        let body = (method == Method::PATCH).then(|| json!({ "team": "x" }));
        let answer = send(&server, method, &format!("{other}/ann"), body).await;
        assert_problem(answer, 404, "MOBILE-40401").await;
    }
    assert_eq!(
        send(&server, Method::POST, &other, Some(body))
            .await
            .status()
            .as_u16(),
        201
    );
    let first_ann: Value = send(&server, Method::GET, &format!("{users}/ann"), None)
        .await
        .json()
        .await
        .expect("json");
    assert!(first_ann.get("team").is_none(), "{first_ann}");
}
