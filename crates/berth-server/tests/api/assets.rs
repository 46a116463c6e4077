//! Trash, restore and purge through the generic asset endpoints.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestServer, assert_problem, etag};

async fn act(
    server: &TestServer,
    action: &str,
    body: Value,
    if_match: Option<&str>,
) -> reqwest::Response {
    let mut request = server
        .tools(Method::POST, &format!("/assets/{action}"))
        .json(&body);
    if let Some(tag) = if_match {
        request = request.header("if-match", tag);
    }
    request.send().await.expect("request")
}

fn entry(id: &str, etag: Value) -> Value {
    json!({ "actionComment": "cleanup", "dependencies": [ { "asset": { "id": id, "etag": etag }, "dependencies": [], "reverseDependencies": [] } ] })
}

#[tokio::test]
async fn trash_untrash_and_purge_a_backend() {
    let server = TestServer::start().await;
    let backend = server.create_backend("Lifecycle").await;
    let id = backend["id"].as_str().expect("id");
    let path = format!("/mobilebackends/{id}");

    let preview = server
        .tools(Method::POST, "/assets/trashDependencies?format=short")
        .json(&json!({ "ids": [id] }))
        .send()
        .await
        .expect("request");
    assert_eq!(preview.status(), 200);
    let preview: Value = preview.json().await.expect("json");
    assert_eq!(preview[0]["asset"]["id"], id);
    assert_eq!(preview[0]["asset"]["type"], "MobileBackend");
    assert_eq!(preview[0]["dependencies"], json!([]));
    assert_eq!(preview[0]["reverseDependencies"], json!([]));

    // Purging needs the trash first.
    let early = act(&server, "purging", entry(id, json!("1")), None).await;
    assert_problem(early, 409, "MOBILE-40902").await;

    let stale = act(&server, "trashing", entry(id, json!("9")), None).await;
    assert_problem(stale, 412, "MOBILE-41201").await;
    let no_etag = act(&server, "trashing", json!({ "ids": [id] }), None).await;
    assert_problem(no_etag, 400, "MOBILE-40002").await;

    let trashed = act(&server, "trashing", entry(id, json!("1")), None).await;
    assert_eq!(trashed.status(), 200);
    let trashed: Value = trashed.json().await.expect("json");
    assert_eq!(trashed[0]["id"], id);
    assert_eq!(trashed[0]["inTrash"], true);
    assert_eq!(trashed[0]["etag"], "2");
    assert_eq!(trashed[0]["deletedBy"], "admin");
    assert!(trashed[0]["deletedOn"].is_string());
    assert_eq!(trashed[0]["actionComment"], "cleanup");

    let listed: Value = server
        .tools(Method::GET, "/mobilebackends")
        .send()
        .await
        .expect("r")
        .json()
        .await
        .expect("j");
    assert_eq!(listed["count"], 0, "the trash is hidden by default");
    let in_trash: Value = server
        .tools(Method::GET, "/mobilebackends?filterType=TRASH")
        .send()
        .await
        .expect("r")
        .json()
        .await
        .expect("j");
    assert_eq!(in_trash["count"], 1);
    let read = server
        .tools(Method::GET, &path)
        .send()
        .await
        .expect("request");
    assert_eq!(etag(&read), "\"2\"");
    assert_eq!(
        read.json::<Value>().await.expect("json")["trash"]["deletedBy"],
        "admin"
    );

    let edit = server
        .tools(Method::PUT, &path)
        .json(&json!({ "name": "Lifecycle" }))
        .send()
        .await
        .expect("request");
    assert_problem(edit, 409, "MOBILE-40902").await;
    let key = server
        .tools(Method::POST, &format!("{path}/managementKeys"))
        .send()
        .await
        .expect("request");
    assert_problem(key, 409, "MOBILE-40902").await;
    let again = act(&server, "trashing", entry(id, json!(2)), None).await;
    assert_problem(again, 409, "MOBILE-40902").await;
    let clash = server
        .tools(Method::POST, "/mobilebackends")
        .json(&json!({ "name": "Lifecycle" }))
        .send()
        .await
        .expect("request");
    assert_problem(clash, 409, "MOBILE-40901").await;

    let restored = act(&server, "untrashing", entry(id, json!(2)), None).await;
    assert_eq!(restored.status(), 200);
    let restored: Value = restored.json().await.expect("json");
    assert_eq!(restored[0]["inTrash"], false);
    assert_eq!(restored[0]["etag"], "3");
    assert_eq!(restored[0]["deletedOn"], Value::Null);
    let not_trashed = act(&server, "untrashing", entry(id, json!(3)), None).await;
    assert_problem(not_trashed, 409, "MOBILE-40902").await;

    // If-Match: * acts whatever the etags say.
    let forced = act(&server, "trashing", json!({ "ids": [id] }), Some("*")).await;
    assert_eq!(forced.status(), 200);
    let purged = act(&server, "purging", json!({ "ids": [id] }), Some("\"4\"")).await;
    assert_eq!(purged.status(), 200);
    let purged: Value = purged.json().await.expect("json");
    assert_eq!(purged[0]["id"], id);

    let gone = server
        .tools(Method::GET, &path)
        .send()
        .await
        .expect("request");
    assert_problem(gone, 404, "MOBILE-40401").await;
    let keys = server
        .tools(Method::GET, &format!("{path}/managementKeys"))
        .send()
        .await
        .expect("request");
    assert_problem(keys, 404, "MOBILE-40401").await;
    let reuse = server
        .tools(Method::POST, "/mobilebackends")
        .json(&json!({ "name": "Lifecycle" }))
        .send()
        .await
        .expect("request");
    assert_eq!(reuse.status(), 201, "a purged name is free again");
}

#[tokio::test]
async fn a_batch_with_one_bad_asset_changes_nothing() {
    let server = TestServer::start().await;
    let first = server.create_backend("First").await;
    let second = server.create_backend("Second").await;
    let body = json!({ "dependencies": [
        { "asset": { "id": first["id"], "etag": "1" } },
        { "asset": { "id": second["id"], "etag": "5" } },
    ] });
    let response = act(&server, "trashing", body, None).await;
    assert_problem(response, 412, "MOBILE-41201").await;
    let unknown = json!({ "dependencies": [
        { "asset": { "id": first["id"], "etag": "1" } },
        { "asset": { "id": uuid::Uuid::now_v7(), "etag": "1" } },
    ] });
    let response = act(&server, "trashing", unknown, None).await;
    assert_problem(response, 404, "MOBILE-40401").await;

    let listed: Value = server
        .tools(Method::GET, "/mobilebackends")
        .send()
        .await
        .expect("r")
        .json()
        .await
        .expect("j");
    assert_eq!(listed["count"], 2, "neither backend was trashed");

    let both = json!({ "dependencies": [
        { "asset": { "id": first["id"], "etag": "1" } },
        { "asset": { "id": second["id"], "etag": 1 } },
    ] });
    let response = act(&server, "trashing", both, None).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response
            .json::<Value>()
            .await
            .expect("json")
            .as_array()
            .map(Vec::len),
        Some(2)
    );
}

#[tokio::test]
async fn asset_requests_are_validated() {
    let server = TestServer::start().await;
    let empty = act(&server, "trashing", json!({}), Some("*")).await;
    assert_problem(empty, 400, "MOBILE-40002").await;
    let malformed = act(
        &server,
        "trashing",
        json!({ "dependencies": [ { "asset": {} } ] }),
        Some("*"),
    )
    .await;
    assert_problem(malformed, 400, "MOBILE-40001").await;
    let bad_id = act(&server, "purging", json!({ "ids": ["nope"] }), Some("*")).await;
    assert_problem(bad_id, 404, "MOBILE-40401").await;
    let bad_format = server
        .tools(Method::POST, "/assets/purgeDependencies?format=everything")
        .json(&json!({ "ids": [uuid::Uuid::now_v7()] }))
        .send()
        .await
        .expect("request");
    assert_problem(bad_format, 400, "MOBILE-40003").await;
    let unknown = server
        .tools(Method::POST, "/assets/untrashDependencies")
        .json(&json!({ "ids": [uuid::Uuid::now_v7()] }))
        .send()
        .await
        .expect("request");
    assert_problem(unknown, 404, "MOBILE-40401").await;
}
