//! Oracle storage permissions: roles per mobile backend and the roles of its users (tools API).

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Managed, TestServer, assert_problem, etag};

async fn backend_with_user(server: &TestServer, name: &str, username: &str) -> String {
    let body = server.create_backend(name).await;
    let managed = Managed {
        id: body["id"].as_str().expect("id").to_owned(),
        key: body["managementKey"]["key"]
            .as_str()
            .expect("key")
            .to_owned(),
    };
    server
        .manage_ok(
            &managed,
            "User.create",
            json!({ "username": username, "password": "password1" }),
        )
        .await;
    managed.id
}

async fn create_role(server: &TestServer, backend: &str, name: &str) -> reqwest::Response {
    server
        .tools(Method::POST, &format!("/mobilebackends/{backend}/roles"))
        .json(&json!({ "name": name }))
        .send()
        .await
        .expect("request")
}

async fn role_names(server: &TestServer, backend: &str) -> Vec<Value> {
    let response = server
        .tools(Method::GET, &format!("/mobilebackends/{backend}/roles"))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["hasMore"], false);
    assert_eq!(
        body["count"],
        body["items"].as_array().expect("items").len()
    );
    body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| item["name"].clone())
        .collect()
}

async fn put_user_roles(
    server: &TestServer,
    backend: &str,
    username: &str,
    roles: Value,
) -> reqwest::Response {
    server
        .tools(
            Method::PUT,
            &format!("/mobilebackends/{backend}/users/{username}/roles"),
        )
        .json(&roles)
        .send()
        .await
        .expect("request")
}

#[tokio::test]
async fn roles_are_created_listed_granted_and_deleted() {
    let server = TestServer::start().await;
    let backend = backend_with_user(&server, "Field", "joe").await;

    let created = create_role(&server, &backend, "Technician").await;
    assert_eq!(created.status(), 201);
    assert!(
        created.headers()["location"]
            .to_str()
            .expect("location")
            .ends_with(&format!("/mobilebackends/{backend}/roles/Technician"))
    );
    assert_eq!(
        create_role(&server, &backend, "Field Manager")
            .await
            .status(),
        201
    );
    assert_problem(
        create_role(&server, &backend, "Technician").await,
        409,
        "MOBILE-40901",
    )
    .await;
    for bad in ["", " padded", "a/b"] {
        assert_problem(
            create_role(&server, &backend, bad).await,
            400,
            "MOBILE-40002",
        )
        .await;
    }
    assert_eq!(
        role_names(&server, &backend).await,
        [json!("Field Manager"), json!("Technician")]
    );

    let granted = put_user_roles(
        &server,
        &backend,
        "joe",
        json!(["Technician", "Field Manager"]),
    )
    .await;
    assert_eq!(granted.status(), 200);
    assert_eq!(
        granted.json::<Value>().await.expect("json"),
        json!(["Field Manager", "Technician"])
    );
    // An unknown role changes nothing.
    assert_problem(
        put_user_roles(&server, &backend, "joe", json!(["Technician", "Ghost"])).await,
        404,
        "MOBILE-40401",
    )
    .await;
    assert_problem(
        put_user_roles(&server, &backend, "nobody", json!(["Technician"])).await,
        404,
        "MOBILE-40401",
    )
    .await;
    assert_problem(
        put_user_roles(&server, &backend, "joe", json!({ "roles": [] })).await,
        400,
        "MOBILE-40001",
    )
    .await;
    let roles_of_joe = format!("/mobilebackends/{backend}/users/joe/roles");
    let read = server
        .tools(Method::GET, &roles_of_joe)
        .send()
        .await
        .expect("request");
    assert_eq!(read.status(), 200);
    assert_eq!(
        read.json::<Value>().await.expect("json"),
        json!(["Field Manager", "Technician"])
    );

    // Deleting a role takes it from its holders too.
    let deleted = server
        .tools(
            Method::DELETE,
            &format!("/mobilebackends/{backend}/roles/Field%20Manager"),
        )
        .send()
        .await
        .expect("request");
    assert_eq!(deleted.status(), 204);
    assert_problem(
        server
            .tools(
                Method::DELETE,
                &format!("/mobilebackends/{backend}/roles/Field%20Manager"),
            )
            .send()
            .await
            .expect("request"),
        404,
        "MOBILE-40401",
    )
    .await;
    let read = server
        .tools(Method::GET, &roles_of_joe)
        .send()
        .await
        .expect("request");
    assert_eq!(
        read.json::<Value>().await.expect("json"),
        json!(["Technician"])
    );

    let cleared = put_user_roles(&server, &backend, "joe", json!([])).await;
    assert_eq!(cleared.json::<Value>().await.expect("json"), json!([]));

    assert_problem(
        server
            .tools(Method::GET, "/mobilebackends/not-an-id/roles")
            .send()
            .await
            .expect("request"),
        404,
        "MOBILE-40401",
    )
    .await;
    let unauthenticated = server
        .anonymous(
            Method::GET,
            &format!("/mobile/tools/1.0/mobilebackends/{backend}/roles"),
        )
        .send()
        .await
        .expect("request");
    assert_problem(unauthenticated, 401, "MOBILE-40101").await;
}

#[tokio::test]
async fn roles_stay_in_their_backend() {
    let server = TestServer::start().await;
    let mine = backend_with_user(&server, "Mine", "joe").await;
    let theirs = backend_with_user(&server, "Theirs", "ann").await;
    assert_eq!(
        create_role(&server, &mine, "Technician").await.status(),
        201
    );
    assert_eq!(create_role(&server, &theirs, "Auditor").await.status(), 201);

    assert_eq!(role_names(&server, &mine).await, [json!("Technician")]);
    assert_eq!(role_names(&server, &theirs).await, [json!("Auditor")]);
    // Another backend's role, another backend's user: not found from here.
    assert_problem(
        put_user_roles(&server, &mine, "joe", json!(["Auditor"])).await,
        404,
        "MOBILE-40401",
    )
    .await;
    assert_problem(
        put_user_roles(&server, &mine, "ann", json!(["Technician"])).await,
        404,
        "MOBILE-40401",
    )
    .await;
    assert_problem(
        server
            .tools(
                Method::DELETE,
                &format!("/mobilebackends/{mine}/roles/Auditor"),
            )
            .send()
            .await
            .expect("request"),
        404,
        "MOBILE-40401",
    )
    .await;
    assert_eq!(role_names(&server, &theirs).await, [json!("Auditor")]);

    // A trashed backend's roles stay as they are.
    let current = server
        .tools(Method::GET, &format!("/mobilebackends/{theirs}"))
        .send()
        .await
        .expect("request");
    let tag = etag(&current);
    let trashed = server
        .tools(Method::POST, "/assets/trashing")
        .json(&json!({ "dependencies": [ { "asset": { "id": theirs, "etag": tag.trim_matches('"') }, "dependencies": [], "reverseDependencies": [] } ] }))
        .send()
        .await
        .expect("request");
    assert_eq!(
        trashed.status(),
        200,
        "{}",
        trashed.text().await.unwrap_or_default()
    );
    assert_problem(
        create_role(&server, &theirs, "Manager").await,
        409,
        "MOBILE-40902",
    )
    .await;
    assert_problem(
        put_user_roles(&server, &theirs, "ann", json!(["Auditor"])).await,
        409,
        "MOBILE-40902",
    )
    .await;
}
