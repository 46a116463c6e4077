//! Oracle storage: collections in the tools API (assets, permissions, association with backends) and
//! the platform storage API (`/mobile/platform/storage/collections`) with roles, conditions and caps.

use std::time::Duration;

use base64::Engine as _;
use reqwest::{Method, RequestBuilder, Response};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::{TestServer, assert_problem, etag, fresh_data_dir, random_token};

const STORAGE: &str = "/mobile/platform/storage/collections";
const PASSWORD: &str = "password-1";

struct OracleBackend {
    id: String,
    anonymous_key: String,
    client_id: String,
    client_secret: String,
}

async fn oracle_backend(server: &TestServer, name: &str) -> OracleBackend {
    let body = server.create_backend(name).await;
    let text = |member: &str| body[member].as_str().expect("member").to_owned();
    OracleBackend {
        id: text("id"),
        anonymous_key: text("anonymousKey"),
        client_id: text("clientId"),
        client_secret: text("clientSecret"),
    }
}

/// Creates a realm user and returns its id.
async fn user(server: &TestServer, backend: &OracleBackend, username: &str) -> String {
    let response = server
        .tools(
            Method::POST,
            &format!("/mobilebackends/{}/users", backend.id),
        )
        .json(&json!({ "username": username, "password": PASSWORD }))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 201, "creating user {username}");
    let body: Value = response.json().await.expect("json");
    body["id"].as_str().expect("id").to_owned()
}

async fn grant(server: &TestServer, backend: &OracleBackend, username: &str, roles: &[&str]) {
    for role in roles {
        // Creating a role twice answers 409; either way it exists afterwards.
        server
            .tools(
                Method::POST,
                &format!("/mobilebackends/{}/roles", backend.id),
            )
            .json(&json!({ "name": role }))
            .send()
            .await
            .expect("request");
    }
    let response = server
        .tools(
            Method::PUT,
            &format!("/mobilebackends/{}/users/{username}/roles", backend.id),
        )
        .json(&json!(roles))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200);
}

async fn create_collection(server: &TestServer, body: Value) -> Response {
    server
        .tools(Method::POST, "/collections")
        .json(&body)
        .send()
        .await
        .expect("request")
}

/// Creates a collection with these permissions and returns its id.
async fn collection(server: &TestServer, name: &str, isolated: bool, permissions: Value) -> String {
    let response =
        create_collection(server, json!({ "name": name, "userIsolated": isolated })).await;
    assert_eq!(response.status(), 201);
    let id = response.json::<Value>().await.expect("json")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let response = server
        .tools(Method::PUT, &format!("/collections/{id}/permissions"))
        .json(&permissions)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200);
    id
}

async fn link(
    server: &TestServer,
    backend: &OracleBackend,
    collection_id: &str,
    body: Option<Value>,
) -> Response {
    let request = server.tools(
        Method::PUT,
        &format!("/mobilebackends/{}/collections/{collection_id}", backend.id),
    );
    let request = match body {
        Some(body) => request.json(&body),
        None => request,
    };
    request.send().await.expect("request")
}

enum Caller<'a> {
    User(&'a str),
    Anonymous,
    Bearer(&'a str),
}

fn platform(
    server: &TestServer,
    backend: &OracleBackend,
    caller: &Caller,
    method: Method,
    path: &str,
) -> RequestBuilder {
    let request = server
        .anonymous(method, &format!("{STORAGE}{path}"))
        .header("Oracle-Mobile-Backend-ID", &backend.id);
    match caller {
        Caller::User(username) => {
            let credentials =
                base64::engine::general_purpose::STANDARD.encode(format!("{username}:{PASSWORD}"));
            request.header("Authorization", format!("Basic {credentials}"))
        }
        Caller::Anonymous => {
            request.header("Authorization", format!("Basic {}", backend.anonymous_key))
        }
        Caller::Bearer(token) => request.bearer_auth(token),
    }
}

async fn bearer(server: &TestServer, backend: &OracleBackend, form: &[(&str, &str)]) -> String {
    let response = server
        .anonymous(Method::POST, "/oauth2/v1/token")
        .basic_auth(&backend.client_id, Some(&backend.client_secret))
        .form(form)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("json");
    body["access_token"].as_str().expect("token").to_owned()
}

async fn send(request: RequestBuilder) -> Response {
    request.send().await.expect("request")
}

async fn json_of(response: Response, status: u16) -> Value {
    let actual = response.status().as_u16();
    let text = response.text().await.expect("body");
    assert_eq!(actual, status, "body: {text}");
    serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"))
}

fn header<'a>(response: &'a Response, name: &str) -> &'a str {
    response
        .headers()
        .get(name)
        .unwrap_or_else(|| panic!("no {name} header"))
        .to_str()
        .expect("ascii")
}

#[tokio::test]
async fn collections_are_tools_assets_with_permissions() {
    let server = TestServer::start().await;

    let created = create_collection(
        &server,
        json!({ "name": "Pictures", "desc": "App images", "userIsolated": false }),
    )
    .await;
    assert_eq!(created.status(), 201);
    assert_eq!(etag(&created), "\"1\"");
    let location = header(&created, "location").to_owned();
    let body: Value = created.json().await.expect("json");
    let id = body["id"].as_str().expect("id").to_owned();
    assert!(location.ends_with(&format!("/mobile/tools/1.0/collections/{id}")));
    assert_eq!(body["name"], "Pictures");
    assert_eq!(body["version"], "1.0");
    assert_eq!(body["desc"], "App images");
    assert_eq!(body["userIsolated"], false);
    assert_eq!(body["etag"], "1");
    assert_eq!(
        body["permissions"],
        json!({ "READ": [], "READ_WRITE": [], "READ_ALL": [], "READ_WRITE_ALL": [] })
    );

    // Name and version are unique ignoring case; names follow the asset pattern.
    assert_problem(
        create_collection(&server, json!({ "name": "PICTURES" })).await,
        409,
        "MOBILE-40901",
    )
    .await;
    assert_problem(
        create_collection(&server, json!({ "name": "2pics" })).await,
        400,
        "MOBILE-40002",
    )
    .await;
    assert_problem(
        create_collection(&server, json!({ "name": "Notes", "userIsolated": "yes" })).await,
        400,
        "MOBILE-40001",
    )
    .await;
    let notes = create_collection(&server, json!({ "name": "Notes", "userIsolated": true })).await;
    assert_eq!(notes.status(), 201);

    let read = send(server.tools(Method::GET, &format!("/collections/{id}"))).await;
    assert_eq!(etag(&read), "\"1\"");
    let listed = json_of(
        send(server.tools(Method::GET, "/collections?q=PIC&totalResults=true")).await,
        200,
    )
    .await;
    assert_eq!(listed["totalResults"], 1);
    assert_eq!(listed["items"][0]["id"], id.as_str());
    let none = json_of(
        send(server.tools(Method::GET, "/collections?filterType=MAX_ONLY")).await,
        200,
    )
    .await;
    assert_eq!(none["count"], 0);
    assert_problem(
        send(server.tools(Method::GET, "/collections?filterType=ACTIVE")).await,
        400,
        "MOBILE-40003",
    )
    .await;

    // Updates are conditional on the ETag.
    let stale = server
        .tools(Method::PUT, &format!("/collections/{id}"))
        .header("If-Match", "\"7\"")
        .json(&json!({ "name": "Pictures", "desc": "Photos" }));
    assert_problem(send(stale).await, 412, "MOBILE-41201").await;
    let updated = send(
        server
            .tools(Method::PUT, &format!("/collections/{id}"))
            .header("If-Match", "\"1\"")
            .json(&json!({ "name": "Pictures", "desc": "Photos" })),
    )
    .await;
    assert_eq!(updated.status(), 204);
    assert_eq!(etag(&updated), "\"2\"");

    // Permissions: role names per permission, checked, all or nothing.
    let permissions = json!({ "READ": ["Viewer"], "READ_WRITE": ["Editor"], "READ_ALL": [], "READ_WRITE_ALL": ["Admin"] });
    let set = send(
        server
            .tools(Method::PUT, &format!("/collections/{id}/permissions"))
            .header("If-Match", "\"2\"")
            .json(&permissions),
    )
    .await;
    assert_eq!(etag(&set), "\"3\"");
    assert_eq!(json_of(set, 200).await, permissions);
    assert_problem(
        send(
            server
                .tools(Method::PUT, &format!("/collections/{id}/permissions"))
                .json(&json!({ "READ": [" padded"] })),
        )
        .await,
        400,
        "MOBILE-40002",
    )
    .await;
    assert_problem(
        send(
            server
                .tools(Method::PUT, &format!("/collections/{id}/permissions"))
                .json(&json!({ "WRITE": ["Editor"] })),
        )
        .await,
        400,
        "MOBILE-40001",
    )
    .await;
    let read = json_of(
        send(server.tools(Method::GET, &format!("/collections/{id}/permissions"))).await,
        200,
    )
    .await;
    assert_eq!(read, permissions);

    // Trash, restore, purge through the generic asset endpoints.
    let purge_first = send(
        server
            .tools(Method::POST, "/assets/purging")
            .header("If-Match", "*")
            .json(&json!({ "ids": [id] })),
    )
    .await;
    assert_problem(purge_first, 409, "MOBILE-40902").await;
    let trashed = json_of(
        send(
            server
                .tools(Method::POST, "/assets/trashing")
                .header("If-Match", "*")
                .json(&json!({ "ids": [id] })),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(trashed[0]["type"], "Collection");
    assert_eq!(trashed[0]["inTrash"], true);
    let listed = json_of(send(server.tools(Method::GET, "/collections")).await, 200).await;
    assert_eq!(listed["count"], 1, "the trash is hidden: {listed}");
    assert_problem(
        send(
            server
                .tools(Method::PUT, &format!("/collections/{id}"))
                .json(&json!({ "name": "Pictures" })),
        )
        .await,
        409,
        "MOBILE-40902",
    )
    .await;
    let purged = send(
        server
            .tools(Method::POST, "/assets/purging")
            .header("If-Match", "*")
            .json(&json!({ "ids": [id] })),
    )
    .await;
    assert_eq!(purged.status(), 200);
    assert_problem(
        send(server.tools(Method::GET, &format!("/collections/{id}"))).await,
        404,
        "MOBILE-40401",
    )
    .await;
    assert_problem(
        send(server.anonymous(Method::GET, "/mobile/tools/1.0/collections")).await,
        401,
        "MOBILE-40101",
    )
    .await;
}

#[tokio::test]
async fn storage_endpoints_are_in_the_openapi_document() {
    let server = TestServer::start().await;
    let document = json_of(
        send(server.anonymous(Method::GET, "/openapi.json")).await,
        200,
    )
    .await;
    let paths = document["paths"].as_object().expect("paths");
    for path in [
        "/mobile/tools/1.0/collections",
        "/mobile/tools/1.0/collections/{id}/permissions",
        "/mobile/tools/1.0/mobilebackends/{id}/collections/{colId}",
        "/mobile/platform/storage/collections",
        "/mobile/platform/storage/collections/{collection}/objects",
        "/mobile/platform/storage/collections/{collection}/objects/{object}",
    ] {
        assert!(
            paths.contains_key(path),
            "{path} missing from the OpenAPI document"
        );
    }
    assert!(document["components"]["schemas"]["ObjectMetadata"].is_object());
}

#[tokio::test]
async fn collections_are_associated_with_backends() {
    let server = TestServer::start().await;
    let backend = oracle_backend(&server, "Shop").await;
    let other = oracle_backend(&server, "Other").await;
    user(&server, &backend, "ann").await;
    let pictures = collection(&server, "Pictures", false, json!({})).await;
    let pictures_2 = {
        let response =
            create_collection(&server, json!({ "name": "Pictures", "version": "2.0" })).await;
        json_of(response, 201).await["id"]
            .as_str()
            .expect("id")
            .to_owned()
    };
    let notes = collection(&server, "Notes", true, json!({})).await;

    // Not associated: apps of the backend cannot see it.
    let caller = Caller::User("ann");
    assert_problem(
        send(platform(
            &server,
            &backend,
            &caller,
            Method::GET,
            "/Pictures",
        ))
        .await,
        404,
        "MOBILE-40401",
    )
    .await;

    assert_eq!(link(&server, &backend, &pictures, None).await.status(), 204);
    assert_eq!(
        link(
            &server,
            &backend,
            &notes,
            Some(json!({ "anonymousAccess": false }))
        )
        .await
        .status(),
        204
    );
    // Apps address collections by name: one of each name per backend.
    assert_problem(
        link(&server, &backend, &pictures_2, None).await,
        409,
        "MOBILE-40901",
    )
    .await;
    assert_eq!(link(&server, &other, &pictures_2, None).await.status(), 204);
    // Only shared collections can be open to anonymous callers.
    assert_problem(
        link(
            &server,
            &backend,
            &notes,
            Some(json!({ "anonymousAccess": true })),
        )
        .await,
        400,
        "MOBILE-40002",
    )
    .await;
    assert_problem(
        link(
            &server,
            &backend,
            "00000000-0000-0000-0000-000000000000",
            None,
        )
        .await,
        404,
        "MOBILE-40401",
    )
    .await;
    assert_eq!(
        link(
            &server,
            &backend,
            &pictures,
            Some(json!({ "anonymousAccess": true }))
        )
        .await
        .status(),
        204
    );

    // The backend links to its collections, as Oracle's `collections` rel does.
    let backend_body = json_of(
        send(server.tools(Method::GET, &format!("/mobilebackends/{}", backend.id))).await,
        200,
    )
    .await;
    let collections_href = backend_body["links"]
        .as_array()
        .expect("links")
        .iter()
        .find(|l| l["rel"] == "collections")
        .expect("collections link")["href"]
        .as_str()
        .expect("href")
        .to_owned();
    let listed = json_of(
        send(
            server
                .anonymous(Method::GET, &collections_href)
                .bearer_auth(&server.token),
        )
        .await,
        200,
    )
    .await;
    let summary: Vec<(Value, Value, Value)> = listed["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|c| {
            (
                c["name"].clone(),
                c["version"].clone(),
                c["anonymousAccess"].clone(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (json!("Notes"), json!("1.0"), json!(false)),
            (json!("Pictures"), json!("1.0"), json!(true))
        ]
    );

    // The platform lists and describes what is associated.
    let platform_list = json_of(
        send(platform(
            &server,
            &backend,
            &caller,
            Method::GET,
            "?totalResults=true",
        ))
        .await,
        200,
    )
    .await;
    assert_eq!(platform_list["totalResults"], 2);
    assert_eq!(platform_list["hasMore"], false);
    assert_eq!(platform_list["items"][1]["id"], "Pictures");
    assert_eq!(platform_list["items"][1]["userIsolated"], false);
    assert_eq!(platform_list["items"][1]["contentLength"], 0);
    assert_eq!(platform_list["items"][0]["userIsolated"], true);
    let described = send(platform(
        &server,
        &backend,
        &Caller::Anonymous,
        Method::GET,
        "/Pictures",
    ))
    .await;
    let tag = etag(&described);
    let described = json_of(described, 200).await;
    assert_eq!(described["eTag"], tag);
    assert_eq!(
        described["links"][0]["href"],
        "/mobile/platform/storage/collections/Pictures"
    );
    let cached = send(
        platform(&server, &backend, &caller, Method::GET, "/Pictures")
            .header("If-None-Match", &tag),
    )
    .await;
    assert_eq!(cached.status(), 304);
    let head = send(platform(
        &server,
        &backend,
        &caller,
        Method::HEAD,
        "/Pictures",
    ))
    .await;
    assert_eq!(head.status(), 200);
    assert_eq!(etag(&head), tag);

    // Dissociating hides it again; a second time is 404.
    let unlink = |id: &str| {
        server.tools(
            Method::DELETE,
            &format!("/mobilebackends/{}/collections/{id}", backend.id),
        )
    };
    assert_eq!(send(unlink(&pictures)).await.status(), 204);
    assert_problem(send(unlink(&pictures)).await, 404, "MOBILE-40401").await;
    assert_problem(
        send(platform(
            &server,
            &backend,
            &caller,
            Method::GET,
            "/Pictures",
        ))
        .await,
        404,
        "MOBILE-40401",
    )
    .await;
    // A trashed collection is hidden from apps too.
    send(
        server
            .tools(Method::POST, "/assets/trashing")
            .header("If-Match", "*")
            .json(&json!({ "ids": [notes] })),
    )
    .await;
    let platform_list = json_of(
        send(platform(&server, &backend, &caller, Method::GET, "")).await,
        200,
    )
    .await;
    assert_eq!(platform_list["count"], 0, "{platform_list}");
}

#[tokio::test]
async fn objects_round_trip_with_metadata_and_conditions() {
    let server = TestServer::start().await;
    let backend = oracle_backend(&server, "Shop").await;
    user(&server, &backend, "ann").await;
    grant(&server, &backend, "ann", &["Editor"]).await;
    let id = collection(&server, "Notes", false, json!({ "READ_WRITE": ["Editor"] })).await;
    assert_eq!(link(&server, &backend, &id, None).await.status(), 204);
    let ann = Caller::User("ann");
    let call = |method: Method, path: &str| platform(&server, &backend, &ann, method, path);

    // POST: a new id, 201, Location, metadata.
    let posted = send(
        call(Method::POST, "/Notes/objects")
            .header("Content-Type", "application/json")
            .header("Oracle-Mobile-Name", "my%20note.json")
            .body(r#"{"text":"hello"}"#),
    )
    .await;
    assert_eq!(posted.status(), 201);
    assert_eq!(etag(&posted), "\"1\"");
    let location = header(&posted, "location").to_owned();
    let meta = json_of(posted, 201).await;
    let object_id = meta["id"].as_str().expect("id").to_owned();
    assert!(
        location.ends_with(&format!("/Notes/objects/{object_id}")),
        "{location}"
    );
    assert_eq!(meta["name"], "my note.json");
    assert_eq!(meta["contentLength"], 16);
    assert_eq!(meta["contentType"], "application/json");
    assert_eq!(meta["eTag"], "\"1\"");
    assert_eq!(meta["createdBy"], "ann");
    assert_eq!(meta["modifiedBy"], "ann");
    assert!(meta.get("user").is_none(), "shared objects have no user");
    assert_eq!(
        meta["links"][1]["href"],
        format!("/mobile/platform/storage/collections/Notes/objects/{object_id}")
    );

    // GET answers the bytes with the metadata headers; HEAD only the headers.
    let read = send(call(Method::GET, &format!("/Notes/objects/{object_id}"))).await;
    assert_eq!(read.status(), 200);
    assert_eq!(header(&read, "content-type"), "application/json");
    assert_eq!(header(&read, "oracle-mobile-name"), "my%20note.json");
    assert_eq!(header(&read, "oracle-mobile-created-by"), "ann");
    assert_eq!(header(&read, "oracle-mobile-modified-by"), "ann");
    assert_eq!(
        header(&read, "oracle-mobile-created-on"),
        meta["createdOn"].as_str().expect("createdOn")
    );
    assert!(!header(&read, "oracle-mobile-modified-on").is_empty());
    assert!(!header(&read, "last-modified").is_empty());
    assert_eq!(read.text().await.expect("body"), r#"{"text":"hello"}"#);
    let head = send(call(Method::HEAD, &format!("/Notes/objects/{object_id}"))).await;
    assert_eq!(head.status(), 200);
    assert_eq!(header(&head, "content-length"), "16");
    assert_eq!(etag(&head), "\"1\"");

    // PUT under an own id: binary bytes, 201 then 200 with the next ETag.
    let bytes: Vec<u8> = (0..=255u8).collect();
    let put = |body: Vec<u8>| {
        call(Method::PUT, "/Notes/objects/logo.png")
            .header("Content-Type", "image/png")
            .body(body)
    };
    let created = send(put(bytes.clone())).await;
    assert_eq!(created.status(), 201);
    let created = json_of(created, 201).await;
    assert_eq!(created["name"], "logo.png", "the name defaults to the id");
    let replaced = send(put(bytes.iter().rev().copied().collect())).await;
    assert_eq!(replaced.status(), 200);
    assert_eq!(etag(&replaced), "\"2\"");
    let read = send(call(Method::GET, "/Notes/objects/logo.png")).await;
    assert_eq!(header(&read, "content-type"), "image/png");
    let body = read.bytes().await.expect("bytes");
    assert_eq!(body.len(), 256);
    assert_eq!(body[0], 255);

    // One byte range gives 206; what cannot be served as asked gives the whole object.
    let ranged = |range: &str| {
        call(Method::GET, "/Notes/objects/logo.png").header("Range", range.to_owned())
    };
    for (range, content_range, first, len) in [
        ("bytes=0-9", "bytes 0-9/256", 255u8, 10usize),
        ("bytes=250-", "bytes 250-255/256", 5, 6),
        ("bytes=-4", "bytes 252-255/256", 3, 4),
        ("bytes=254-999", "bytes 254-255/256", 1, 2),
    ] {
        let partial = send(ranged(range)).await;
        assert_eq!(partial.status(), 206, "{range}");
        assert_eq!(header(&partial, "content-range"), content_range);
        let part = partial.bytes().await.expect("bytes");
        assert_eq!((part[0], part.len()), (first, len), "{range}");
    }
    for ignored in ["bytes=300-400", "bytes=0-1,5-6", "items=0-1"] {
        let whole = send(ranged(ignored)).await;
        assert_eq!(whole.status(), 200, "{ignored}");
        assert_eq!(whole.bytes().await.expect("bytes").len(), 256);
    }
    let stale = send(ranged("bytes=0-1").header("If-Range", "\"1\"")).await;
    assert_eq!(stale.status(), 200);
    let current = send(ranged("bytes=0-1").header("If-Range", "\"2\"")).await;
    assert_eq!(current.status(), 206);

    // Large objects are stored and served in 256 KiB pieces; ranges may cross pieces.
    let large: Vec<u8> = (0..600 * 1024u32).map(|i| (i % 251) as u8).collect();
    let stored = send(call(Method::PUT, "/Notes/objects/large").body(large.clone())).await;
    assert_eq!(json_of(stored, 201).await["contentLength"], 600 * 1024);
    let read = send(call(Method::GET, "/Notes/objects/large")).await;
    assert_eq!(header(&read, "content-length"), (600 * 1024).to_string());
    assert!(
        read.bytes().await.expect("bytes") == large,
        "the bytes round-trip"
    );
    let crossing =
        send(call(Method::GET, "/Notes/objects/large").header("Range", "bytes=262140-524300"))
            .await;
    assert_eq!(crossing.status(), 206);
    assert!(crossing.bytes().await.expect("bytes") == large[262_140..=524_300]);
    let smaller = send(call(Method::PUT, "/Notes/objects/large").body(vec![9u8; 10])).await;
    assert_eq!(smaller.status(), 200);
    let read = send(call(Method::GET, "/Notes/objects/large")).await;
    assert_eq!(read.bytes().await.expect("bytes").as_ref(), [9u8; 10]);
    // A refused write stores nothing: the object keeps its bytes.
    assert_problem(
        send(
            call(Method::PUT, "/Notes/objects/large")
                .header("If-Match", "\"1\"")
                .body(large.clone()),
        )
        .await,
        412,
        "MOBILE-41201",
    )
    .await;
    let read = send(call(Method::GET, "/Notes/objects/large")).await;
    assert_eq!(read.bytes().await.expect("bytes").as_ref(), [9u8; 10]);
    assert_eq!(
        send(call(Method::DELETE, "/Notes/objects/large"))
            .await
            .status(),
        204
    );

    // Conditions: If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since.
    assert_problem(
        send(put(vec![1]).header("If-Match", "\"1\"")).await,
        412,
        "MOBILE-41201",
    )
    .await;
    assert_problem(
        send(put(vec![1]).header("If-None-Match", "*")).await,
        412,
        "MOBILE-41201",
    )
    .await;
    assert_problem(
        send(put(vec![1]).header("If-Unmodified-Since", "Sat, 01 Jan 2000 00:00:00 GMT")).await,
        412,
        "MOBILE-41201",
    )
    .await;
    assert_problem(
        send(put(vec![1]).header("If-Match", "nonsense")).await,
        400,
        "MOBILE-40004",
    )
    .await;
    let fresh = send(
        call(Method::PUT, "/Notes/objects/new")
            .header("If-None-Match", "*")
            .body("x"),
    )
    .await;
    assert_eq!(fresh.status(), 201);
    let not_modified =
        send(call(Method::GET, "/Notes/objects/logo.png").header("If-None-Match", "\"2\"")).await;
    assert_eq!(not_modified.status(), 304);
    assert_eq!(etag(&not_modified), "\"2\"");
    let not_modified = send(
        call(Method::GET, "/Notes/objects/logo.png")
            .header("If-Modified-Since", "Fri, 01 Jan 2100 00:00:00 GMT"),
    )
    .await;
    assert_eq!(not_modified.status(), 304);
    let modified = send(
        call(Method::GET, "/Notes/objects/logo.png")
            .header("If-Modified-Since", "Sat, 01 Jan 2000 00:00:00 GMT"),
    )
    .await;
    assert_eq!(modified.status(), 200);
    let matched = send(put(vec![7, 7]).header("If-Match", "\"2\"")).await;
    assert_eq!(matched.status(), 200);
    assert_eq!(etag(&matched), "\"3\"");

    // The collection's size counts every object of the backend.
    let described = json_of(send(call(Method::GET, "/Notes")).await, 200).await;
    assert_eq!(described["contentLength"], 16 + 2 + 1);

    // DELETE: conditional, then gone.
    assert_problem(
        send(call(Method::DELETE, "/Notes/objects/logo.png").header("If-Match", "\"1\"")).await,
        412,
        "MOBILE-41201",
    )
    .await;
    let deleted =
        send(call(Method::DELETE, "/Notes/objects/logo.png").header("If-Match", "*")).await;
    assert_eq!(deleted.status(), 204);
    for method in [Method::GET, Method::DELETE] {
        assert_problem(
            send(call(method, "/Notes/objects/logo.png")).await,
            404,
            "MOBILE-40401",
        )
        .await;
    }
    assert_problem(
        send(call(Method::GET, "/Nothing/objects/x")).await,
        404,
        "MOBILE-40401",
    )
    .await;
    // Ids are path segments: no slashes (even encoded), no control characters.
    assert_problem(
        send(call(Method::PUT, "/Notes/objects/a%2Fb").body("x")).await,
        400,
        "MOBILE-40002",
    )
    .await;
    // Without credentials, or with a wrong password: 401.
    assert_problem(
        send(server.anonymous(Method::GET, &format!("{STORAGE}/Notes/objects"))).await,
        401,
        "MOBILE-40101",
    )
    .await;
}

/// Sends raw HTTP/1.1 and returns the status code, for requests reqwest will not make.
async fn raw_status(server: &TestServer, request: String, body: &[u8]) -> u16 {
    let address = server.base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address)
        .await
        .expect("connect");
    stream.write_all(request.as_bytes()).await.expect("write");
    // The server may answer (and close) before reading everything.
    let _ = stream.write_all(body).await;
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer)).await;
    let text = String::from_utf8_lossy(&answer);
    text.split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {text:?}"))
}

#[tokio::test]
async fn object_bodies_need_a_length_and_are_capped() {
    let (dir, data_dir) = fresh_data_dir();
    let token = random_token();
    let mut server = TestServer::start_with(
        &data_dir,
        &[
            ("BERTH_ADMIN_TOKEN", token.as_str()),
            ("BERTH_MAX_OBJECT_SIZE", "1000"),
        ],
    )
    .await;
    let backend = oracle_backend(&server, "Shop").await;
    user(&server, &backend, "ann").await;
    grant(&server, &backend, "ann", &["Editor"]).await;
    let id = collection(&server, "Files", false, json!({ "READ_WRITE": ["Editor"] })).await;
    link(&server, &backend, &id, None).await;
    let ann = Caller::User("ann");
    let put = |body: Vec<u8>| {
        platform(&server, &backend, &ann, Method::PUT, "/Files/objects/blob").body(body)
    };
    assert_eq!(send(put(vec![b'a'; 1000])).await.status(), 201);
    assert_problem(send(put(vec![b'b'; 1001])).await, 413, "MOBILE-41301").await;

    let credentials = base64::engine::general_purpose::STANDARD.encode(format!("ann:{PASSWORD}"));
    let head = |extra: &str| {
        format!(
            "PUT {STORAGE}/Files/objects/blob HTTP/1.1\r\nHost: x\r\nAuthorization: Basic {credentials}\r\nOracle-Mobile-Backend-ID: {}\r\nConnection: close\r\n{extra}\r\n",
            backend.id
        )
    };
    // Neither Content-Length nor Transfer-Encoding: 411.
    assert_eq!(raw_status(&server, head(""), b"").await, 411);
    // A chunked body is cut off once it passes the cap.
    let chunk = format!("{:x}\r\n{}\r\n", 600, "c".repeat(600));
    let chunked = format!("{chunk}{chunk}0\r\n\r\n");
    assert_eq!(
        raw_status(
            &server,
            head("Transfer-Encoding: chunked\r\n"),
            chunked.as_bytes()
        )
        .await,
        413
    );
    // A chunked body within the cap is stored.
    let small = format!("{chunk}0\r\n\r\n");
    assert_eq!(
        raw_status(
            &server,
            head("Transfer-Encoding: chunked\r\n"),
            small.as_bytes()
        )
        .await,
        200
    );
    let read = send(platform(
        &server,
        &backend,
        &ann,
        Method::GET,
        "/Files/objects/blob",
    ))
    .await;
    assert_eq!(
        read.bytes().await.expect("bytes"),
        "c".repeat(600).as_bytes()
    );
    server.stop();
    drop(dir);
}

#[tokio::test]
async fn permissions_follow_roles_and_user_isolation() {
    let server = TestServer::start().await;
    let backend = oracle_backend(&server, "Field").await;
    let ann = user(&server, &backend, "ann").await;
    let bob = user(&server, &backend, "bob").await;
    user(&server, &backend, "carl").await;
    user(&server, &backend, "dora").await;
    user(&server, &backend, "eve").await;
    grant(&server, &backend, "ann", &["Writer"]).await;
    grant(&server, &backend, "bob", &["Reader"]).await;
    grant(&server, &backend, "carl", &["Auditor"]).await;
    grant(&server, &backend, "dora", &["Admin"]).await;
    let permissions = json!({ "READ": ["Reader"], "READ_WRITE": ["Writer"], "READ_ALL": ["Auditor"], "READ_WRITE_ALL": ["Admin"] });
    let diaries = collection(&server, "Diaries", true, permissions.clone()).await;
    let news = collection(&server, "News", false, permissions).await;
    link(&server, &backend, &diaries, None).await;
    link(
        &server,
        &backend,
        &news,
        Some(json!({ "anonymousAccess": true })),
    )
    .await;
    let call = |who: &'static str, method: Method, path: &str| {
        let caller = if who == "anonymous" {
            Caller::Anonymous
        } else {
            Caller::User(who)
        };
        platform(&server, &backend, &caller, method, path)
    };

    // Isolated: each user writes in their own space.
    let written = json_of(
        send(call("ann", Method::PUT, "/Diaries/objects/day1").body("ann's day")).await,
        201,
    )
    .await;
    assert_eq!(written["user"], ann.as_str());
    assert_eq!(
        written["links"][0]["href"],
        format!("/mobile/platform/storage/collections/Diaries/objects/day1?user={ann}")
    );
    assert_problem(
        send(call("bob", Method::PUT, "/Diaries/objects/day1").body("x")).await,
        403,
        "MOBILE-40301",
    )
    .await;
    // bob may read, but only his own (empty) space.
    let own = json_of(
        send(call("bob", Method::GET, "/Diaries/objects")).await,
        200,
    )
    .await;
    assert_eq!(own["count"], 0);
    assert_problem(
        send(call("bob", Method::GET, "/Diaries/objects/day1")).await,
        404,
        "MOBILE-40401",
    )
    .await;
    assert_problem(
        send(call(
            "bob",
            Method::GET,
            &format!("/Diaries/objects/day1?user={ann}"),
        ))
        .await,
        403,
        "MOBILE-40301",
    )
    .await;
    assert_problem(
        send(call("bob", Method::GET, "/Diaries/objects?user=*")).await,
        403,
        "MOBILE-40301",
    )
    .await;
    assert_problem(
        send(call("eve", Method::GET, "/Diaries/objects")).await,
        403,
        "MOBILE-40301",
    )
    .await;
    assert_problem(
        send(call("anonymous", Method::GET, "/Diaries/objects")).await,
        401,
        "MOBILE-40101",
    )
    .await;

    // READ_ALL reads anyone's space, writes nobody else's.
    let read = send(call(
        "carl",
        Method::GET,
        &format!("/Diaries/objects/day1?user={ann}"),
    ))
    .await;
    assert_eq!(read.text().await.expect("body"), "ann's day");
    assert_problem(
        send(
            call(
                "carl",
                Method::PUT,
                &format!("/Diaries/objects/day2?user={ann}"),
            )
            .body("x"),
        )
        .await,
        403,
        "MOBILE-40301",
    )
    .await;
    // READ_WRITE_ALL writes into another user's space; the object is the user's.
    let placed = json_of(
        send(
            call(
                "dora",
                Method::PUT,
                &format!("/Diaries/objects/day2?user={ann}"),
            )
            .body("from dora"),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(placed["user"], ann.as_str());
    assert_eq!(placed["createdBy"], "dora");
    assert_problem(
        send(call("dora", Method::PUT, "/Diaries/objects/x?user=unknown-user").body("x")).await,
        404,
        "MOBILE-40401",
    )
    .await;
    assert_problem(
        send(call("dora", Method::PUT, "/Diaries/objects/x?user=*").body("x")).await,
        403,
        "MOBILE-40301",
    )
    .await;
    send(call("dora", Method::PUT, "/Diaries/objects/mine").body("dora's")).await;
    let everyone = json_of(
        send(call(
            "carl",
            Method::GET,
            "/Diaries/objects?user=*&orderBy=id",
        ))
        .await,
        200,
    )
    .await;
    let seen: Vec<(Value, Value)> = everyone["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|o| (o["id"].clone(), o["user"].clone()))
        .collect();
    assert_eq!(seen.len(), 3);
    assert!(seen.contains(&(json!("day2"), json!(ann))));
    let anns = json_of(
        send(call("ann", Method::GET, "/Diaries/objects?orderBy=id")).await,
        200,
    )
    .await;
    assert_eq!(anns["count"], 2);
    assert_eq!(anns["items"][1]["createdBy"], "dora");
    let bobs_view = json_of(
        send(call(
            "carl",
            Method::GET,
            &format!("/Diaries/objects?user={bob}"),
        ))
        .await,
        200,
    )
    .await;
    assert_eq!(bobs_view["count"], 0);

    // Shared: READ reads, READ_WRITE writes; the anonymous key may use it (anonymousAccess).
    assert_eq!(
        send(call("ann", Method::PUT, "/News/objects/today").body("news"))
            .await
            .status(),
        201
    );
    let read = send(call("bob", Method::GET, "/News/objects/today")).await;
    assert_eq!(read.text().await.expect("body"), "news");
    assert_problem(
        send(call("bob", Method::DELETE, "/News/objects/today")).await,
        403,
        "MOBILE-40301",
    )
    .await;
    let read = send(call("anonymous", Method::GET, "/News/objects/today")).await;
    assert_eq!(read.status(), 200);
    let posted = json_of(
        send(call("anonymous", Method::POST, "/News/objects").body("tip")).await,
        201,
    )
    .await;
    assert_eq!(posted["createdBy"], "anonymous");
    // A client-credentials token is anonymous too; a password token is the user.
    let anonymous_token = bearer(&server, &backend, &[("grant_type", "client_credentials")]).await;
    let read = send(platform(
        &server,
        &backend,
        &Caller::Bearer(&anonymous_token),
        Method::GET,
        "/News/objects/today",
    ))
    .await;
    assert_eq!(read.status(), 200);
    let bob_token = bearer(
        &server,
        &backend,
        &[
            ("grant_type", "password"),
            ("username", "bob"),
            ("password", PASSWORD),
        ],
    )
    .await;
    assert_problem(
        send(
            platform(
                &server,
                &backend,
                &Caller::Bearer(&bob_token),
                Method::PUT,
                "/News/objects/x",
            )
            .body("x"),
        )
        .await,
        403,
        "MOBILE-40301",
    )
    .await;
    // Closing anonymous access closes it at once.
    link(
        &server,
        &backend,
        &news,
        Some(json!({ "anonymousAccess": false })),
    )
    .await;
    assert_problem(
        send(call("anonymous", Method::GET, "/News/objects/today")).await,
        401,
        "MOBILE-40101",
    )
    .await;
}

#[tokio::test]
async fn object_lists_page_search_order_and_select_fields() {
    let server = TestServer::start().await;
    let backend = oracle_backend(&server, "Shop").await;
    user(&server, &backend, "ann").await;
    grant(&server, &backend, "ann", &["Editor"]).await;
    let id = collection(&server, "Docs", false, json!({ "READ_WRITE": ["Editor"] })).await;
    link(&server, &backend, &id, None).await;
    let ann = Caller::User("ann");
    let call = |method: Method, path: &str| platform(&server, &backend, &ann, method, path);
    for (object, name) in [
        ("a", "Zebra"),
        ("b", "apple"),
        ("c", "Mango"),
        ("d", "kiwi"),
        ("e", "50%_off"),
    ] {
        let response = send(
            call(Method::PUT, &format!("/Docs/objects/{object}"))
                .header("Oracle-Mobile-Name", name)
                .body(object.repeat(3)),
        )
        .await;
        assert_eq!(response.status(), 201);
    }
    let list = |query: &str| {
        let request = call(Method::GET, &format!("/Docs/objects{query}"));
        async move { json_of(send(request).await, 200).await }
    };
    let ids = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|o| o["id"].as_str().expect("id").to_owned())
            .collect()
    };

    let first = list("?limit=2&orderBy=id:asc&totalResults=true").await;
    assert_eq!(ids(&first), ["a", "b"]);
    assert_eq!(first["hasMore"], true);
    assert_eq!(first["limit"], 2);
    assert_eq!(first["offset"], 0);
    assert_eq!(first["count"], 2);
    assert_eq!(first["totalResults"], 5);
    let next = first["links"]
        .as_array()
        .expect("links")
        .iter()
        .find(|l| l["rel"] == "next")
        .expect("next link")["href"]
        .as_str()
        .expect("href")
        .to_owned();
    assert!(next.contains("offset=2"), "{next}");
    let last = list("?limit=2&offset=4&orderBy=id").await;
    assert_eq!(ids(&last), ["e"]);
    assert_eq!(last["hasMore"], false);
    assert!(last.get("totalResults").is_none());
    assert_eq!(
        list("?limit=500").await["limit"],
        100,
        "limit is capped at 100"
    );
    assert_eq!(
        ids(&list("?orderBy=name:desc").await),
        ["d", "b", "a", "c", "e"],
        "names sort by their bytes"
    );
    assert_eq!(
        ids(&list("?q=ANG&orderBy=id").await),
        ["c"],
        "q matches names case-insensitively"
    );
    assert_eq!(
        ids(&list("?q=%25_&orderBy=id").await),
        ["e"],
        "wildcards are literal"
    );
    assert_eq!(
        ids(&list("?q=ann&orderBy=id").await).len(),
        5,
        "q matches createdBy"
    );
    let selected = list("?fields=id,contentLength&orderBy=id&limit=1").await;
    assert_eq!(
        selected["items"][0],
        json!({ "id": "a", "contentLength": 3 })
    );
    for bad in [
        "?limit=-1",
        "?offset=x",
        "?orderBy=size",
        "?orderBy=id:up",
        "?fields=secret",
        "?totalResults=maybe",
    ] {
        assert_problem(
            send(call(Method::GET, &format!("/Docs/objects{bad}"))).await,
            400,
            "MOBILE-40003",
        )
        .await;
    }
}

#[tokio::test]
async fn backends_never_see_each_others_objects() {
    let server = TestServer::start().await;
    let mine = oracle_backend(&server, "Mine").await;
    let theirs = oracle_backend(&server, "Theirs").await;
    for backend in [&mine, &theirs] {
        user(&server, backend, "ann").await;
        grant(&server, backend, "ann", &["Editor"]).await;
    }
    let shared = collection(
        &server,
        "Shared",
        false,
        json!({ "READ_WRITE": ["Editor"] }),
    )
    .await;
    let only_mine = collection(
        &server,
        "Private",
        false,
        json!({ "READ_WRITE": ["Editor"] }),
    )
    .await;
    link(
        &server,
        &mine,
        &shared,
        Some(json!({ "anonymousAccess": true })),
    )
    .await;
    link(&server, &theirs, &shared, None).await;
    link(&server, &mine, &only_mine, None).await;
    let ann = Caller::User("ann");

    let put =
        send(platform(&server, &mine, &ann, Method::PUT, "/Shared/objects/secret").body("mine"))
            .await;
    assert_eq!(put.status(), 201);
    // The same collection in another backend is another space.
    assert_problem(
        send(platform(
            &server,
            &theirs,
            &ann,
            Method::GET,
            "/Shared/objects/secret",
        ))
        .await,
        404,
        "MOBILE-40401",
    )
    .await;
    let listed = json_of(
        send(platform(
            &server,
            &theirs,
            &ann,
            Method::GET,
            "/Shared/objects",
        ))
        .await,
        200,
    )
    .await;
    assert_eq!(listed["count"], 0);
    let described = json_of(
        send(platform(&server, &theirs, &ann, Method::GET, "/Shared")).await,
        200,
    )
    .await;
    assert_eq!(described["contentLength"], 0);
    // Anonymous access was opened for one backend only.
    assert_problem(
        send(platform(
            &server,
            &theirs,
            &Caller::Anonymous,
            Method::GET,
            "/Shared/objects",
        ))
        .await,
        401,
        "MOBILE-40101",
    )
    .await;
    // A collection associated with one backend does not exist for the other.
    assert_problem(
        send(platform(&server, &theirs, &ann, Method::PUT, "/Private/objects/x").body("x")).await,
        404,
        "MOBILE-40401",
    )
    .await;
    // Writing the same id in the other backend leaves mine untouched.
    send(
        platform(
            &server,
            &theirs,
            &ann,
            Method::PUT,
            "/Shared/objects/secret",
        )
        .body("theirs"),
    )
    .await;
    let read = send(platform(
        &server,
        &mine,
        &ann,
        Method::GET,
        "/Shared/objects/secret",
    ))
    .await;
    assert_eq!(read.text().await.expect("body"), "mine");
    // A token of one backend does not open the other, whatever the backend header says.
    let token = bearer(
        &server,
        &mine,
        &[
            ("grant_type", "password"),
            ("username", "ann"),
            ("password", PASSWORD),
        ],
    )
    .await;
    assert_problem(
        send(platform(
            &server,
            &theirs,
            &Caller::Bearer(&token),
            Method::GET,
            "/Shared/objects/secret",
        ))
        .await,
        401,
        "MOBILE-40101",
    )
    .await;
    // Purging a backend removes its objects and associations, not the other's.
    send(
        server
            .tools(Method::POST, "/assets/trashing")
            .header("If-Match", "*")
            .json(&json!({ "ids": [mine.id] })),
    )
    .await;
    send(
        server
            .tools(Method::POST, "/assets/purging")
            .header("If-Match", "*")
            .json(&json!({ "ids": [mine.id] })),
    )
    .await;
    let read = send(platform(
        &server,
        &theirs,
        &ann,
        Method::GET,
        "/Shared/objects/secret",
    ))
    .await;
    assert_eq!(read.text().await.expect("body"), "theirs");
}
