//! Hostile input over HTTP: oversized bodies, deep JSON, heavy MonaQL, huge pages, header floods,
//! slow clients. Every refusal comes in the format of the API that was called, and nothing refused is
//! stored.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{
    App, Device, TestServer, assert_problem, assert_rpc_error, fresh_data_dir, random_token,
};

/// `depth` nested arrays around a number.
fn nested(depth: usize) -> String {
    format!("{}1{}", "[".repeat(depth), "]".repeat(depth))
}

/// A JSON-RPC call of the app API with the reserved params of a fresh device.
fn app_call(app: &App, method: &str, params: Value) -> Value {
    let mut params = params.as_object().cloned().unwrap_or_default();
    params.insert("__api_key".into(), Value::from(app.api_key.clone()));
    params.insert(
        "__device".into(),
        Value::from(uuid::Uuid::new_v4().to_string()),
    );
    json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params })
}

/// Basic credentials and backend header of the backend's anonymous key, for platform calls.
fn anonymous_platform(server: &TestServer, backend: &Value, path: &str) -> reqwest::RequestBuilder {
    server
        .anonymous(Method::POST, path)
        .header(
            "Authorization",
            format!("Basic {}", backend["anonymousKey"].as_str().expect("key")),
        )
        .header(
            "Oracle-Mobile-Backend-ID",
            backend["basicAuthBackendId"].as_str().expect("id"),
        )
}

async fn collection_count(server: &TestServer, app: &App, name: &str) -> Value {
    let result = server
        .manage_ok(
            &app.backend,
            "CollectionItem.list",
            json!({ "collectionName": name }),
        )
        .await;
    result["totalItems"].clone()
}

#[tokio::test]
async fn oversized_bodies_are_refused_in_each_format_and_nothing_is_stored() {
    let server = TestServer::start().await;
    let app = server.app("Big").await;
    let backend = server
        .tools(Method::GET, &format!("/mobilebackends/{}", app.backend.id))
        .send()
        .await
        .expect("request")
        .json::<Value>()
        .await
        .expect("json");
    server
        .manage_ok(
            &app.backend,
            "Collection.create",
            json!({ "_id": "Notes", "isInsertable": true }),
        )
        .await;
    let filler = "x".repeat(5 * 1024 * 1024);

    // The tools API: 413 in the Oracle format, whether the length is declared or not. (Raw requests:
    // the server answers before reading everything, which HTTP clients take for a broken pipe.)
    let bearer = format!("Bearer {}", server.token);
    let huge_backend = json!({ "name": "Huge", "desc": filler }).to_string();
    let (status, body) = post_raw(
        &server,
        "/mobile/tools/1.0/mobilebackends",
        &[("Authorization", bearer.as_str())],
        &huge_backend,
    )
    .await;
    assert_eq!(
        (status, &body["o:errorCode"]),
        (413, &json!("MOBILE-41301")),
        "{body}"
    );
    let chunked = format!(
        "POST /mobile/tools/1.0/mobilebackends HTTP/1.1\r\nHost: x\r\nAuthorization: {bearer}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n{huge_backend}\r\n0\r\n\r\n",
        huge_backend.len(),
    );
    let answer = exchange(&server, &chunked).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(
        answer.contains("\"o:errorCode\":\"MOBILE-41301\""),
        "{answer}"
    );
    let listed: Value = server
        .tools(Method::GET, "/mobilebackends?q=Huge&totalResults=true")
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert_eq!(listed["totalResults"], 0, "{listed}");

    // The platform APIs: the Oracle format too.
    let (status, body) = post_raw(
        &server,
        "/mobile/platform/analytics/events",
        &[
            (
                "Authorization",
                &format!("Basic {}", backend["anonymousKey"].as_str().expect("key")),
            ),
            (
                "Oracle-Mobile-Backend-ID",
                backend["basicAuthBackendId"].as_str().expect("id"),
            ),
        ],
        &json!([{ "name": "big", "properties": { "x": filler } }]).to_string(),
    )
    .await;
    assert_eq!(
        (status, &body["o:errorCode"]),
        (413, &json!("MOBILE-41301")),
        "{body}"
    );

    // The token endpoint answers in RFC 6749's format.
    let (status, body) = post_raw(
        &server,
        "/oauth2/v1/token",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        &format!("grant_type=client_credentials&x={filler}"),
    )
    .await;
    assert_eq!(
        (status, &body["error"]),
        (413, &json!("invalid_request")),
        "{body}"
    );

    // Both JSON-RPC APIs: an Invalid Request error object, HTTP 200 as they answer everything.
    let call = json!({ "jsonrpc": "2.0", "id": 1, "method": "CollectionItem.create",
                       "params": { "collectionName": "Notes", "item": { "text": filler } } });
    let (status, body) = post_raw(
        &server,
        &format!("/manage/json-rpc/{}", app.backend.id),
        &[(
            "X-Monaca-Backend-Management-API-Key",
            app.backend.key.as_str(),
        )],
        &call.to_string(),
    )
    .await;
    assert_eq!(status, 200);
    assert_rpc_error(&body, -32600, Some("request"));
    let call = app_call(
        &app,
        "Collection.insert",
        json!({ "collectionName": "Notes", "item": { "text": filler } }),
    );
    let (status, body) = post_raw(
        &server,
        &format!("/json-rpc/{}", app.backend.id),
        &[],
        &call.to_string(),
    )
    .await;
    assert_eq!(status, 200);
    assert_rpc_error(&body, -32600, Some("request"));
    assert_eq!(collection_count(&server, &app, "Notes").await, 0);
}

#[tokio::test]
async fn deeply_nested_json_is_refused_and_moderate_nesting_is_kept_intact() {
    let server = TestServer::start().await;
    let app = server.app("Deep").await;
    server
        .manage_ok(
            &app.backend,
            "Collection.create",
            json!({ "_id": "Trees", "isInsertable": true }),
        )
        .await;
    let too_deep = nested(1000);

    let response = server
        .tools(Method::POST, "/mobilebackends")
        .header("content-type", "application/json")
        .body(format!("{{\"name\":\"Deep\",\"desc\":{too_deep}}}"))
        .send()
        .await
        .expect("request");
    assert_problem(response, 400, "MOBILE-40001").await;
    let response = server
        .tools(Method::POST, "/mobilebackends")
        .header("content-type", "application/json")
        .body(too_deep.clone())
        .send()
        .await
        .expect("request");
    assert_problem(response, 400, "MOBILE-40001").await;

    let backend: Value = server
        .tools(Method::GET, &format!("/mobilebackends/{}", app.backend.id))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    let response = anonymous_platform(&server, &backend, "/mobile/platform/analytics/events")
        .header("content-type", "application/json")
        .body(format!(
            "[{{\"name\":\"deep\",\"properties\":{{\"x\":{too_deep}}}}}]"
        ))
        .send()
        .await
        .expect("request");
    assert_problem(response, 400, "MOBILE-40001").await;

    let call = format!(
        "{{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"CollectionItem.create\",\"params\":{{\"collectionName\":\"Trees\",\"item\":{{\"t\":{too_deep}}}}}}}"
    );
    let (status, body) = server
        .manage_raw(&app.backend.id, Some(&app.backend.key), call)
        .await;
    assert_eq!(status, 200);
    assert_rpc_error(&body, -32700, None);
    let (status, _, body) = server.app_raw(&app.backend.id, too_deep.clone()).await;
    assert_eq!(status, 200);
    assert_rpc_error(&body, -32700, None);
    assert_eq!(collection_count(&server, &app, "Trees").await, 0);

    // Nesting the parser accepts is stored and read back exactly, on either store.
    let deep_item: Value = serde_json::from_str(&nested(100)).expect("json");
    let created = server
        .manage_ok(
            &app.backend,
            "CollectionItem.create",
            json!({ "collectionName": "Trees", "item": { "t": deep_item } }),
        )
        .await;
    let id = created["item"]["_id"].as_str().expect("id");
    let read = server
        .manage_ok(
            &app.backend,
            "CollectionItem.get",
            json!({ "collectionName": "Trees", "_id": id }),
        )
        .await;
    assert_eq!(read["item"]["t"], deep_item);
}

#[tokio::test]
async fn heavy_monaql_is_refused_with_a_clear_error() {
    let server = TestServer::start().await;
    let app = server.app("Queries").await;
    server
        .manage_ok(
            &app.backend,
            "Collection.create",
            json!({ "_id": "Scores", "isInsertable": true }),
        )
        .await;
    let long = format!("name == \"{}\"", "a".repeat(20_000));
    let deep = format!("{}score > 1{}", "(".repeat(40), ")".repeat(40));
    let wide = vec!["score == 1"; 300].join(" || ");
    for criteria in [long, deep, wide] {
        let response = server
            .manage(
                &app.backend,
                "CollectionItem.list",
                json!({ "collectionName": "Scores", "criteria": criteria }),
            )
            .await;
        assert_rpc_error(&response, -32602, Some("criteria"));
        let response = server
            .manage(&app.backend, "User.list", json!({ "userQuery": criteria }))
            .await;
        assert_rpc_error(&response, -32602, None);
        let mut device = Device::new(&server, &app);
        let response = device
            .call(
                "Collection.find",
                json!({ "collectionName": "Scores", "criteria": criteria }),
            )
            .await;
        assert!(response["error"]["code"].is_i64(), "{response}");
        assert_eq!(response["error"]["code"], -32602, "{response}");
    }
}

#[tokio::test]
async fn page_sizes_are_capped() {
    let server = TestServer::start().await;
    let app = server.app("Pages").await;
    let listed: Value = server
        .tools(Method::GET, "/mobilebackends?limit=100000")
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert_eq!(listed["limit"], 1000, "{listed}");
    let response = server
        .tools(Method::GET, "/mobilebackends?limit=-1")
        .send()
        .await
        .expect("request");
    assert_problem(response, 400, "MOBILE-40003").await;
    server
        .manage_ok(
            &app.backend,
            "Collection.create",
            json!({ "_id": "Scores", "isInsertable": true }),
        )
        .await;
    let response = server
        .manage(
            &app.backend,
            "CollectionItem.list",
            json!({ "collectionName": "Scores", "itemsInPage": 1_000_000 }),
        )
        .await;
    assert_rpc_error(&response, -32602, Some("itemsInPage"));
    let response = server
        .manage(
            &app.backend,
            "User.list",
            json!({ "itemsInPage": 1_000_000 }),
        )
        .await;
    assert_rpc_error(&response, -32602, Some("itemsInPage"));
}

#[tokio::test]
async fn header_floods_and_long_targets_are_refused_in_each_format() {
    let server = TestServer::start().await;
    let app = server.app("Headers").await;
    let many_headers = |mut request: reqwest::RequestBuilder| {
        for index in 0..150 {
            request = request.header(format!("x-filler-{index}"), "1");
        }
        request
    };
    let big_header = "y".repeat(40 * 1024);

    let response = many_headers(server.tools(Method::GET, "/mobilebackends"))
        .send()
        .await
        .expect("request");
    assert_oracle_refusal(response, 431, "MOBILE-43101").await;
    let response = server
        .tools(Method::GET, "/mobilebackends")
        .header("x-filler", big_header.as_str())
        .send()
        .await
        .expect("request");
    assert_oracle_refusal(response, 431, "MOBILE-43101").await;
    let response = server
        .tools(
            Method::GET,
            &format!("/mobilebackends?q={}", "z".repeat(10_000)),
        )
        .send()
        .await
        .expect("request");
    assert_problem(response, 414, "MOBILE-41401").await;

    let call = json!({ "jsonrpc": "2.0", "id": 1, "method": "Collection.list" }).to_string();
    for request in [
        many_headers(server.anonymous(
            Method::POST,
            &format!("/manage/json-rpc/{}", app.backend.id),
        )),
        server
            .anonymous(
                Method::POST,
                &format!("/manage/json-rpc/{}", app.backend.id),
            )
            .header("x-filler", big_header.as_str()),
        many_headers(server.anonymous(Method::POST, &format!("/json-rpc/{}", app.backend.id)))
            .header("Origin", "https://app.example.com"),
    ] {
        let response = request
            .header("X-Monaca-Backend-Management-API-Key", &app.backend.key)
            .body(call.clone())
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 200);
        let app_api = response.url().path().starts_with("/json-rpc/");
        // A page of the app can read why its call was refused.
        assert_eq!(
            response
                .headers()
                .get("access-control-allow-origin")
                .is_some(),
            app_api
        );
        let body: Value = response.json().await.expect("json");
        assert_rpc_error(&body, -32600, Some("request"));
    }
}

/// An Oracle problem body whose `type` is not an RFC 2616 section (431 is from RFC 6585).
async fn assert_oracle_refusal(response: reqwest::Response, status: u16, code: &str) {
    assert_eq!(response.status(), status);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["status"], status, "{body}");
    assert_eq!(body["o:errorCode"], code, "{body}");
    assert!(
        body["detail"].as_str().is_some_and(|d| !d.is_empty()),
        "{body}"
    );
    assert!(
        body["o:ecid"].as_str().is_some_and(|e| !e.is_empty()),
        "{body}"
    );
}

/// A server with short request deadlines, for the slow-client tests. The request deadline leaves
/// room for the ordinary calls that set a test up on a loaded machine.
async fn impatient_server() -> (tempfile::TempDir, TestServer) {
    let (dir, data_dir) = fresh_data_dir();
    let token = random_token();
    let server = TestServer::start_with(
        &data_dir,
        &[
            ("BERTH_ADMIN_TOKEN", token.as_str()),
            ("BERTH_REQUEST_TIMEOUT", "3"),
            ("BERTH_HEADER_READ_TIMEOUT", "1"),
        ],
    )
    .await;
    (dir, server)
}

/// Sends `bytes` over a connection of its own and then nothing more; returns everything the server
/// sends until its answer is complete or it closes the connection (bounded, so that a server that
/// never answers fails the test). The server may answer and close before reading everything.
async fn exchange(server: &TestServer, bytes: &str) -> String {
    let address = server.base.trim_start_matches("http://");
    let stream = TcpStream::connect(address).await.expect("connect");
    let (mut reader, mut writer) = stream.into_split();
    let bytes = bytes.as_bytes().to_vec();
    let _writer = tokio::spawn(async move {
        let _ = writer.write_all(&bytes).await;
        // Keep the connection open (a stalled client), until the test ends.
        tokio::time::sleep(Duration::from_secs(120)).await;
        drop(writer);
    });
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(60), async {
        let mut buffer = [0u8; 4096];
        loop {
            match reader.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    answer.extend_from_slice(&buffer[..n]);
                    if answer.windows(4).any(|w| w == b"\r\n\r\n") && complete(&answer) {
                        break;
                    }
                }
            }
        }
    })
    .await;
    assert!(read.is_ok(), "the server neither answered nor closed");
    String::from_utf8_lossy(&answer).into_owned()
}

/// POSTs `body` with a declared length over a raw connection; returns the status and the JSON body.
async fn post_raw(
    server: &TestServer,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, Value) {
    let mut request = format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    let answer = exchange(server, &request).await;
    let status = answer
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status in {answer:?}"));
    let body = answer.split_once("\r\n\r\n").map_or("", |(_, body)| body);
    let body = serde_json::from_str(body).unwrap_or_else(|_| panic!("not JSON: {answer}"));
    (status, body)
}

/// Whether a buffered HTTP/1.1 answer holds its whole body (by Content-Length).
fn complete(answer: &[u8]) -> bool {
    let text = String::from_utf8_lossy(answer);
    let Some((head, body)) = text.split_once("\r\n\r\n") else {
        return false;
    };
    let length = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    body.len() >= length
}

#[tokio::test]
async fn slow_bodies_time_out_with_an_answer_in_each_format() {
    let (_dir, server) = impatient_server().await;
    let app = server.app("Slow").await;

    let answer = exchange(
        &server,
        &format!(
            "POST /mobile/tools/1.0/mobilebackends HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"name\":",
            server.token
        ),
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(
        answer.contains("\"o:errorCode\":\"MOBILE-40801\""),
        "{answer}"
    );

    let answer = exchange(
        &server,
        &format!(
            "POST /manage/json-rpc/{} HTTP/1.1\r\nHost: x\r\nX-Monaca-Backend-Management-API-Key: {}\r\nContent-Length: 100\r\n\r\n{{\"jsonrpc\":",
            app.backend.id, app.backend.key
        ),
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let body: Value = serde_json::from_str(answer.split_once("\r\n\r\n").expect("body").1)
        .expect("JSON-RPC body");
    assert_rpc_error(&body, -32603, None);
    assert!(body["error"]["data"]["reason"].is_string(), "{body}");

    // The server is still fine.
    let health = server
        .anonymous(Method::GET, "/health")
        .send()
        .await
        .expect("request");
    assert_eq!(health.status(), 200);
}

#[tokio::test]
async fn slow_request_heads_are_cut_off() {
    let (_dir, server) = impatient_server().await;
    // The head never ends: the connection is closed without an answer (there is no request yet).
    let answer = exchange(&server, "GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: 1\r\n").await;
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
        "{answer}"
    );
    let health = server
        .anonymous(Method::GET, "/health")
        .send()
        .await
        .expect("request");
    assert_eq!(health.status(), 200);
}

#[tokio::test]
async fn silent_connections_are_closed() {
    let (_dir, server) = impatient_server().await;
    // Connected, and never a byte: the connection is closed, not held open for ever.
    let answer = exchange(&server, "").await;
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
        "{answer}"
    );
    // Half an HTTP/2 preface, then silence: closed too.
    let answer = exchange(&server, "PRI * HTTP/2.0\r\n").await;
    assert!(answer.is_empty(), "{answer}");
    // And after one answered request, an idle keep-alive connection is closed.
    let address = server.base.trim_start_matches("http://");
    let mut stream = TcpStream::connect(address).await.expect("connect");
    stream
        .write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .expect("write");
    let mut answer = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(60), async {
        let mut buffer = [0u8; 1024];
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&buffer[..n]),
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "the idle connection stayed open");
    assert!(answer.starts_with(b"HTTP/1.1 200"), "{answer:?}");
}

#[tokio::test]
async fn json_rpc_paths_refuse_other_methods_as_json_rpc() {
    let server = TestServer::start().await;
    let app = server.app("Methods").await;
    for path in [
        format!("/json-rpc/{}", app.backend.id),
        format!("/manage/json-rpc/{}", app.backend.id),
    ] {
        for method in [Method::GET, Method::PUT, Method::DELETE] {
            let response = server
                .anonymous(method.clone(), &path)
                .send()
                .await
                .expect("request");
            assert_eq!(response.status(), 405, "{method} {path}");
            assert_eq!(response.headers()["allow"], "POST");
            let body: Value = response.json().await.expect("json");
            assert_rpc_error(&body, -32600, Some("request"));
        }
    }
}

#[tokio::test]
async fn a_silent_connection_does_not_hold_up_a_stop() {
    // The default 30 s head timeout; stop() fails unless the server exits within 20 s of SIGTERM.
    let mut server = TestServer::start().await;
    let address = server.base.trim_start_matches("http://").to_owned();
    let _silent = TcpStream::connect(address).await.expect("connect");
    tokio::time::sleep(Duration::from_millis(100)).await;
    server.stop();
}

#[tokio::test]
async fn object_uploads_may_outlast_the_request_deadline_but_not_stall() {
    let (_dir, server) = impatient_server().await;
    let backend = server.create_backend("Uploads").await;
    let id = backend["id"].as_str().expect("id");
    let tools =
        |method: Method, path: String, body: Value| server.tools(method, &path).json(&body).send();
    let created = tools(
        Method::POST,
        format!("/mobilebackends/{id}/users"),
        json!({ "username": "ann", "password": "password-1" }),
    )
    .await
    .expect("request");
    assert_eq!(created.status(), 201);
    tools(
        Method::POST,
        format!("/mobilebackends/{id}/roles"),
        json!({ "name": "Editor" }),
    )
    .await
    .expect("request");
    tools(
        Method::PUT,
        format!("/mobilebackends/{id}/users/ann/roles"),
        json!(["Editor"]),
    )
    .await
    .expect("request");
    let collection: Value = tools(
        Method::POST,
        "/collections".to_owned(),
        json!({ "name": "Files", "userIsolated": false }),
    )
    .await
    .expect("request")
    .json()
    .await
    .expect("json");
    let collection = collection["id"].as_str().expect("collection id");
    tools(
        Method::PUT,
        format!("/collections/{collection}/permissions"),
        json!({ "READ_WRITE": ["Editor"] }),
    )
    .await
    .expect("request");
    let linked = server
        .tools(
            Method::PUT,
            &format!("/mobilebackends/{id}/collections/{collection}"),
        )
        .send()
        .await
        .expect("request");
    assert!(linked.status().is_success(), "{}", linked.status());

    let credentials =
        base64::Engine::encode(&base64::engine::general_purpose::STANDARD, "ann:password-1");
    let upload = |name: &str| {
        format!(
            "PUT /mobile/platform/storage/collections/Files/objects/{name} HTTP/1.1\r\nHost: x\r\nAuthorization: Basic {credentials}\r\nOracle-Mobile-Backend-ID: {id}\r\nContent-Type: text/plain\r\nContent-Length: 50\r\n\r\n"
        )
    };
    let address = server.base.trim_start_matches("http://").to_owned();

    // 50 bytes over about 5 s, never pausing for long: past the 3 s deadline, and stored.
    let mut stream = TcpStream::connect(&address).await.expect("connect");
    stream
        .write_all(upload("slow").as_bytes())
        .await
        .expect("write");
    for _ in 0..5 {
        tokio::time::sleep(Duration::from_secs(1)).await;
        stream.write_all(&[b's'; 10]).await.expect("write");
    }
    let mut answer = vec![0u8; 4096];
    let read = tokio::time::timeout(Duration::from_secs(60), stream.read(&mut answer))
        .await
        .expect("an answer")
        .expect("read");
    let answer = String::from_utf8_lossy(&answer[..read]).into_owned();
    assert!(
        answer.starts_with("HTTP/1.1 201") || answer.starts_with("HTTP/1.1 200"),
        "{answer}"
    );

    // 10 bytes and then nothing: refused once the body stalls for the deadline.
    let answer = exchange(&server, &format!("{}{}", upload("stalled"), "t".repeat(10))).await;
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains("not received within"), "{answer}");
}
