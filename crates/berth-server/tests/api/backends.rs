//! POST/GET/PUT /mobilebackends and the list, as Oracle's tools API answers them.

use base64::Engine as _;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestServer, assert_problem, etag};

#[tokio::test]
async fn create_answers_201_with_etag_location_and_the_full_body() {
    let server = TestServer::start().await;
    let response = server
        .tools(Method::POST, "/mobilebackends")
        .json(&json!({
            "name": "FixItFast", "version": "1.0", "desc": "Tech app", "title": "Fix It Fast",
            "oauth": true, "basic": true,
            "roleAccess": { "enabled": true, "roles": ["Technician"] },
            "links": [], "etag": "ignored", "unknownMember": 1
        }))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 201);
    assert_eq!(etag(&response), "\"1\"");
    let location = response.headers()["location"]
        .to_str()
        .expect("ascii")
        .to_owned();
    let body: Value = response.json().await.expect("json");
    let id = body["id"].as_str().expect("id");
    assert_eq!(
        location,
        server.url(&format!("/mobile/tools/1.0/mobilebackends/{id}"))
    );

    assert_eq!(body["name"], "FixItFast");
    assert_eq!(body["version"], "1.0");
    assert_eq!(body["desc"], "Tech app");
    assert_eq!(body["title"], "Fix It Fast");
    assert_eq!(body["etag"], "1");
    assert_eq!(body["inTrash"], false);
    assert_eq!(body["published"], false);
    assert_eq!(body["inactive"], false);
    assert_eq!(body["oauth"], true);
    assert_eq!(body["basicAuth"], true);
    assert_eq!(
        body["roleAccess"],
        json!({ "enabled": true, "roles": ["Technician"] })
    );
    assert_eq!(body["createdBy"], "admin");
    assert!(
        body["createdOn"]
            .as_str()
            .expect("createdOn")
            .ends_with('Z')
    );
    let rels: Vec<&str> = body["links"]
        .as_array()
        .expect("links")
        .iter()
        .filter_map(|l| l["rel"].as_str())
        .collect();
    for rel in [
        "canonical",
        "self",
        "trashing",
        "untrashing",
        "purging",
        "oauthKeys",
        "managementKeys",
    ] {
        assert!(rels.contains(&rel), "link {rel} missing from {rels:?}");
    }

    for secret in [
        "clientId",
        "clientSecret",
        "basicAuthBackendId",
        "anonymousKey",
        "monacaApiKey",
    ] {
        assert!(
            body[secret].as_str().is_some_and(|s| s.len() >= 32),
            "{secret}: {}",
            body[secret]
        );
    }
    let anonymous = base64::engine::general_purpose::STANDARD
        .decode(body["anonymousKey"].as_str().expect("key"))
        .expect("base64");
    let anonymous = String::from_utf8(anonymous).expect("utf-8");
    assert!(
        anonymous.starts_with("FIXITFAST_MobileAnonymous_APPID:"),
        "{anonymous}"
    );
    assert_eq!(body["managementKey"]["backendId"], id);
    assert!(
        body["managementKey"]["key"]
            .as_str()
            .is_some_and(|k| k.len() == 64)
    );
    assert_eq!(body["monacaEndpoint"], format!("/json-rpc/{id}"));

    // Reading it back shows the same backend, without the secrets that are shown only once.
    let read = server
        .tools(Method::GET, &format!("/mobilebackends/{id}"))
        .send()
        .await
        .expect("request");
    assert_eq!(read.status(), 200);
    assert_eq!(etag(&read), "\"1\"");
    let read: Value = read.json().await.expect("json");
    assert_eq!(read["clientSecret"], body["clientSecret"]);
    assert_eq!(read["anonymousKey"], body["anonymousKey"]);
    assert!(read.get("monacaApiKey").is_none());
    assert!(read.get("managementKey").is_none());
}

#[tokio::test]
async fn create_defaults_the_version_and_accepts_the_longest_names() {
    let server = TestServer::start().await;
    let body = server.create_backend("Minimal").await;
    assert_eq!(body["version"], "1.0");
    assert_eq!(body["desc"], Value::Null);

    let longest = json!({
        "name": format!("a{}", "b".repeat(99)),
        "version": format!("1{}", ".".repeat(99)),
        "desc": "d".repeat(100),
        "title": "t".repeat(255),
    });
    let response = server
        .tools(Method::POST, "/mobilebackends")
        .json(&longest)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 201);
}

#[tokio::test]
async fn create_refuses_invalid_input_with_400() {
    let server = TestServer::start().await;
    let cases = [
        (json!({}), "/name"),
        (json!({ "name": null }), "/name"),
        (json!({ "name": "" }), "/name"),
        (json!({ "name": "9lives" }), "/name"),
        (json!({ "name": "has-dash" }), "/name"),
        (json!({ "name": "has space" }), "/name"),
        (json!({ "name": "a".repeat(101) }), "/name"),
        (json!({ "name": "Ok", "version": ".1" }), "/version"),
        (json!({ "name": "Ok", "version": "1 0" }), "/version"),
        (json!({ "name": "Ok", "version": "" }), "/version"),
        (
            json!({ "name": "Ok", "version": "1".repeat(101) }),
            "/version",
        ),
        (json!({ "name": "Ok", "desc": "d".repeat(101) }), "/desc"),
        (json!({ "name": "Ok", "title": "t".repeat(256) }), "/title"),
        (
            json!({ "name": "Ok", "roleAccess": { "enabled": true, "roles": [""] } }),
            "/roleAccess/roles",
        ),
    ];
    for (body, _pointer) in &cases {
        let response = server
            .tools(Method::POST, "/mobilebackends")
            .json(body)
            .send()
            .await
            .expect("request");
        let problem = assert_problem(response, 400, "MOBILE-40002").await;
        assert!(
            problem.get("o:errorDetails").is_none(),
            "one problem, no details: {problem}"
        );
    }

    let several = json!({ "name": "9", "version": "-", "desc": "d".repeat(101) });
    let response = server
        .tools(Method::POST, "/mobilebackends")
        .json(&several)
        .send()
        .await
        .expect("request");
    let problem = assert_problem(response, 400, "MOBILE-40002").await;
    let pointers: Vec<&str> = problem["o:errorDetails"]
        .as_array()
        .expect("o:errorDetails")
        .iter()
        .filter_map(|d| d["o:errorPath"].as_str())
        .collect();
    assert_eq!(pointers, ["/name", "/version", "/desc"]);

    for raw in [
        "{not json",
        "",
        "[]",
        "{\"name\": 5}",
        "{\"name\":\"Ok\",\"oauth\":\"yes\"}",
    ] {
        let response = server
            .tools(Method::POST, "/mobilebackends")
            .header("content-type", "application/json")
            .body(raw)
            .send()
            .await
            .expect("request");
        assert_problem(response, 400, "MOBILE-40001").await;
    }

    let response = server
        .tools(Method::POST, "/mobilebackends")
        .header("content-type", "text/plain")
        .body("{\"name\":\"Ok\"}")
        .send()
        .await
        .expect("request");
    assert_problem(response, 415, "MOBILE-41501").await;

    // An oversized body is refused from its Content-Length, before it is read. (Raw TCP: an HTTP
    // client that is still sending when the answer arrives reports a broken connection instead.)
    let answer = raw_exchange(
        &server,
        &format!(
            "POST /mobile/tools/1.0/mobilebackends HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            server.token,
            2 * 1024 * 1024
        ),
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(
        answer.contains("\"o:errorCode\":\"MOBILE-41301\""),
        "{answer}"
    );

    let list: Value = server
        .tools(Method::GET, "/mobilebackends")
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert_eq!(list["count"], 0, "nothing was stored by refused requests");
}

#[tokio::test]
async fn create_conflicts_on_an_existing_name_and_version() {
    let server = TestServer::start().await;
    server.create_backend("Shop").await;
    for clash in [
        json!({ "name": "Shop" }),
        json!({ "name": "SHOP", "version": "1.0" }),
    ] {
        let response = server
            .tools(Method::POST, "/mobilebackends")
            .json(&clash)
            .send()
            .await
            .expect("request");
        assert_problem(response, 409, "MOBILE-40901").await;
    }
    let other_version = server
        .tools(Method::POST, "/mobilebackends")
        .json(&json!({ "name": "Shop", "version": "2.0" }))
        .send()
        .await
        .expect("request");
    assert_eq!(other_version.status(), 201);
}

#[tokio::test]
async fn get_answers_404_for_unknown_and_malformed_ids() {
    let server = TestServer::start().await;
    for id in [uuid::Uuid::now_v7().to_string(), "not-a-uuid".to_owned()] {
        let response = server
            .tools(Method::GET, &format!("/mobilebackends/{id}"))
            .send()
            .await
            .expect("request");
        assert_problem(response, 404, "MOBILE-40401").await;
    }
}

#[tokio::test]
async fn put_follows_the_etag_rules() {
    let server = TestServer::start().await;
    let created = server
        .tools(Method::POST, "/mobilebackends")
        .json(&json!({ "name": "Orders", "desc": "first", "title": "T", "basic": true }))
        .send()
        .await
        .expect("request")
        .json::<Value>()
        .await
        .expect("json");
    let path = format!("/mobilebackends/{}", created["id"].as_str().expect("id"));
    let put = |if_match: Option<&'static str>, body: Value| {
        let mut request = server.tools(Method::PUT, &path).json(&body);
        if let Some(tag) = if_match {
            request = request.header("if-match", tag);
        }
        request.send()
    };

    let response = put(Some("\"1\""), json!({ "name": "Orders", "desc": "second" }))
        .await
        .expect("request");
    assert_eq!(response.status(), 204);
    assert_eq!(etag(&response), "\"2\"");
    assert!(response.bytes().await.expect("body").is_empty());

    let stale = put(
        Some("\"1\""),
        json!({ "name": "Orders", "desc": "lost update" }),
    )
    .await
    .expect("request");
    let problem = assert_problem(stale, 412, "MOBILE-41201").await;
    assert!(
        problem["detail"]
            .as_str()
            .expect("detail")
            .contains("\"2\"")
    );

    let several = put(
        Some("\"7\", \"2\""),
        json!({ "name": "Orders", "basic": false }),
    )
    .await
    .expect("request");
    assert_eq!(etag(&several), "\"3\"");
    let forced = put(Some("*"), json!({ "name": "Orders", "title": null }))
        .await
        .expect("request");
    assert_eq!(etag(&forced), "\"4\"");
    let unconditional = put(
        None,
        json!({ "name": "Renamed", "version": "2.0", "inactive": true }),
    )
    .await
    .expect("request");
    assert_eq!(etag(&unconditional), "\"5\"");
    let weak = put(Some("W/\"5\""), json!({ "name": "Renamed" }))
        .await
        .expect("request");
    assert_problem(weak, 412, "MOBILE-41201").await;
    let malformed = put(Some("\"5"), json!({ "name": "Renamed" }))
        .await
        .expect("request");
    assert_problem(malformed, 400, "MOBILE-40004").await;

    let read = server
        .tools(Method::GET, &path)
        .send()
        .await
        .expect("request");
    assert_eq!(etag(&read), "\"5\"");
    let read: Value = read.json().await.expect("json");
    assert_eq!(read["name"], "Renamed");
    assert_eq!(read["version"], "2.0");
    assert_eq!(read["desc"], "second", "absent members keep their value");
    assert_eq!(read["title"], Value::Null, "null clears");
    assert_eq!(read["basicAuth"], false);
    assert_eq!(read["inactive"], true);
    assert_eq!(read["etag"], "5");
    assert_eq!(
        read["clientSecret"], created["clientSecret"],
        "updates leave credentials alone"
    );
    assert!(read["modifiedOn"].as_str() >= created["modifiedOn"].as_str());
}

#[tokio::test]
async fn put_refuses_bad_input_unknown_backends_and_name_clashes() {
    let server = TestServer::start().await;
    server.create_backend("Taken").await;
    let other = server.create_backend("Other").await;
    let path = format!("/mobilebackends/{}", other["id"].as_str().expect("id"));

    let clash = server
        .tools(Method::PUT, &path)
        .json(&json!({ "name": "taken" }))
        .send()
        .await
        .expect("request");
    assert_problem(clash, 409, "MOBILE-40901").await;
    let no_name = server
        .tools(Method::PUT, &path)
        .json(&json!({ "desc": "x" }))
        .send()
        .await
        .expect("request");
    assert_problem(no_name, 400, "MOBILE-40002").await;
    let empty = server
        .tools(Method::PUT, &path)
        .header("content-type", "application/json")
        .send()
        .await
        .expect("request");
    assert_problem(empty, 400, "MOBILE-40001").await;
    let missing = server
        .tools(
            Method::PUT,
            &format!("/mobilebackends/{}", uuid::Uuid::now_v7()),
        )
        .json(&json!({ "name": "Ghost" }))
        .send()
        .await
        .expect("request");
    assert_problem(missing, 404, "MOBILE-40401").await;

    let read = server
        .tools(Method::GET, &path)
        .send()
        .await
        .expect("request");
    assert_eq!(etag(&read), "\"1\"", "refused updates change nothing");
}

async fn list(server: &TestServer, query: &str) -> Value {
    let response = server
        .tools(Method::GET, &format!("/mobilebackends?{query}"))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200, "{query}");
    response.json().await.expect("json")
}

fn names(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|b| {
            format!(
                "{}:{}",
                b["name"].as_str().unwrap_or(""),
                b["version"].as_str().unwrap_or("")
            )
        })
        .collect()
}

#[tokio::test]
async fn list_pages_filters_orders_and_links() {
    let server = TestServer::start().await;
    for (name, version) in [
        ("Delta", "1.0"),
        ("alpha", "1.0"),
        ("Charlie", "1.0"),
        ("Bravo", "1.0"),
        ("Alpha", "2.0"),
    ] {
        let response = server
            .tools(Method::POST, "/mobilebackends")
            .json(&json!({ "name": name, "version": version }))
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 201);
    }

    let first = list(&server, "limit=2&totalResults=true").await;
    assert_eq!(names(&first), ["alpha:1.0", "Alpha:2.0"]);
    assert_eq!(first["hasMore"], true);
    assert_eq!(first["limit"], 2);
    assert_eq!(first["offset"], 0);
    assert_eq!(first["count"], 2);
    assert_eq!(first["totalResults"], 5);
    assert!(
        first["items"][0].get("clientSecret").is_none(),
        "lists carry no secrets"
    );
    let next = first["links"]
        .as_array()
        .expect("links")
        .iter()
        .find(|l| l["rel"] == "next")
        .and_then(|l| l["href"].as_str())
        .expect("next link")
        .to_owned();
    assert_eq!(
        next,
        "/mobile/tools/1.0/mobilebackends?totalResults=true&limit=2&offset=2"
    );

    let last = list(&server, "limit=2&offset=4").await;
    assert_eq!(names(&last), ["Delta:1.0"]);
    assert_eq!(last["hasMore"], false);
    assert!(last.get("totalResults").is_none());
    let rels: Vec<&str> = last["links"]
        .as_array()
        .expect("links")
        .iter()
        .filter_map(|l| l["rel"].as_str())
        .collect();
    assert!(
        rels.contains(&"prev") && !rels.contains(&"next"),
        "{rels:?}"
    );

    let by_name_desc = list(&server, "orderBy=name:desc,version:desc").await;
    assert_eq!(
        names(&by_name_desc),
        [
            "Delta:1.0",
            "Charlie:1.0",
            "Bravo:1.0",
            "Alpha:2.0",
            "alpha:1.0"
        ]
    );
    let newest_first = list(&server, "orderBy=createdOn:desc&limit=1").await;
    assert_eq!(names(&newest_first), ["Alpha:2.0"]);
    let search = list(&server, "q=LPH").await;
    assert_eq!(names(&search), ["alpha:1.0", "Alpha:2.0"]);

    let alpha_id = first["items"][0]["id"].as_str().expect("id").to_owned();
    let bravo_id = by_name_desc["items"][2]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let chosen = list(&server, &format!("id={alpha_id}&id={bravo_id}")).await;
    assert_eq!(names(&chosen), ["alpha:1.0", "Bravo:1.0"]);
    let excluded = list(&server, &format!("exclude={alpha_id}&exclude={bravo_id}")).await;
    assert_eq!(names(&excluded), ["Alpha:2.0", "Charlie:1.0", "Delta:1.0"]);

    let recent = list(&server, "fromTime=-1h").await;
    assert_eq!(recent["count"], 5);
    let future = list(&server, &format!("fromTime={}", 4_102_444_800_000_i64)).await;
    assert_eq!(future["count"], 0);
    let iso = list(&server, "fromTime=2000-01-01T00:00:00Z").await;
    assert_eq!(iso["count"], 5);

    let inactive_path = format!("/mobilebackends/{bravo_id}");
    let response = server
        .tools(Method::PUT, &inactive_path)
        .json(&json!({ "name": "Bravo", "inactive": true }))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 204);
    assert_eq!(
        names(&list(&server, "filterType=INACTIVE").await),
        ["Bravo:1.0"]
    );
    assert_eq!(list(&server, "filterType=ACTIVE").await["count"], 4);
    assert_eq!(list(&server, "filterType=NOT_PUBLISHED").await["count"], 5);
    assert_eq!(list(&server, "filterType=PUBLISHED").await["count"], 0);

    let huge = list(&server, "limit=999999").await;
    assert_eq!(huge["limit"], 1000, "a page larger than served is lowered");

    for bad in [
        "limit=-1",
        "limit=ten",
        "offset=-5",
        "filterType=GONE",
        "orderBy=size",
        "orderBy=name:sideways",
        "id=42",
        "fromTime=someday",
        "totalResults=maybe",
    ] {
        let response = server
            .tools(Method::GET, &format!("/mobilebackends?{bad}"))
            .send()
            .await
            .expect("request");
        assert_problem(response, 400, "MOBILE-40003").await;
    }
}

async fn raw_exchange(server: &TestServer, request: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let address = server.base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address)
        .await
        .expect("connect");
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        stream.read_to_end(&mut answer),
    )
    .await;
    String::from_utf8_lossy(&answer).into_owned()
}
