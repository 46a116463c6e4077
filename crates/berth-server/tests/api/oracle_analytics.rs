//! Analytics events: apps post batches (202), every event or none is stored, the operator reads them
//! per backend through the tools API.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestServer, assert_problem};

async fn post_events(
    server: &TestServer,
    backend: &Value,
    body: &Value,
    device: Option<&str>,
) -> reqwest::Response {
    let mut request = server
        .anonymous(Method::POST, "/mobile/platform/analytics/events")
        .header(
            "Authorization",
            format!("Basic {}", backend["anonymousKey"].as_str().expect("key")),
        )
        .header(
            "Oracle-Mobile-Backend-ID",
            backend["basicAuthBackendId"].as_str().expect("id"),
        )
        .json(body);
    if let Some(device) = device {
        request = request.header("Oracle-Mobile-Device-ID", device);
    }
    request.send().await.expect("request")
}

async fn stored(server: &TestServer, backend: &Value, query: &str) -> Value {
    let path = format!(
        "/mobilebackends/{}/analytics/events{query}",
        backend["id"].as_str().expect("id")
    );
    let response = server
        .tools(Method::GET, &path)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200);
    response.json().await.expect("json")
}

#[tokio::test]
async fn events_are_accepted_stored_and_listed_per_backend() {
    let server = TestServer::start().await;
    let backend = server.create_backend("metrics").await;
    let other = server.create_backend("other").await;

    let batch = json!([
        {"name":"context","type":"system","timestamp":"2019-01-01T10:00:00.000Z","properties":{"osName":"iOS","timezone":-18000}},
        {"name":"sessionStart","type":"system","timestamp":"2019-01-01T10:00:00.100Z","sessionID":"a1b2"},
        {"name":"WorkOrderAccepted","timestamp":"2019-01-01T10:00:05.000Z","sessionID":"a1b2","properties":{"orderId":"42"}},
        {"name":"sessionEnd","type":"system","timestamp":"2019-01-01T10:05:00.000Z","sessionID":"a1b2"}
    ]);
    let accepted = post_events(&server, &backend, &batch, Some("device-7")).await;
    assert_eq!(accepted.status(), 202);
    assert_eq!(
        accepted.json::<Value>().await.expect("json"),
        json!({ "message": "4 events accepted for processing." })
    );

    let all = stored(&server, &backend, "").await;
    assert_eq!(all["totalResults"], 4, "{all}");
    assert_eq!(all["items"][2]["name"], "WorkOrderAccepted");
    assert_eq!(all["items"][2]["type"], "custom");
    assert_eq!(all["items"][2]["sessionID"], "a1b2");
    assert_eq!(all["items"][2]["deviceID"], "device-7");
    assert_eq!(all["items"][2]["properties"]["orderId"], "42");
    assert_eq!(all["items"][0]["timestamp"], "2019-01-01T10:00:00.000Z");
    let named = stored(&server, &backend, "?name=sessionEnd").await;
    assert_eq!(named["count"], 1, "{named}");
    let paged = stored(&server, &backend, "?limit=3&offset=2").await;
    assert_eq!(paged["count"], 2, "{paged}");
    assert_eq!(paged["hasMore"], false);
    let first_page = stored(&server, &backend, "?limit=1").await;
    assert_eq!(first_page["hasMore"], true);

    // The other backend has none.
    let theirs = stored(&server, &other, "").await;
    assert_eq!(theirs["totalResults"], 0);
}

#[tokio::test]
async fn one_bad_event_refuses_the_whole_batch() {
    let server = TestServer::start().await;
    let backend = server.create_backend("strict").await;
    let good = json!({"name":"ok","timestamp":"2019-01-01T10:00:00.000Z"});
    for bad in [
        json!({"timestamp":"2019-01-01T10:00:00.000Z"}),
        json!({"name":"x","timestamp":"yesterday"}),
        json!({"name":"x"}),
        json!({"name":"x","timestamp":"2019-01-01T10:00:00.000Z","type":"other"}),
        json!({"name":"x","timestamp":"2019-01-01T10:00:00.000Z","properties":{"n":1}}),
        json!({"name":"x".repeat(101),"timestamp":"2019-01-01T10:00:00.000Z"}),
        json!("not an object"),
    ] {
        let answer = post_events(&server, &backend, &json!([good.clone(), bad]), None).await;
        assert_problem(answer, 400, "MOBILE-40002").await;
    }
    let not_array = post_events(&server, &backend, &good, None).await;
    assert_problem(not_array, 400, "MOBILE-40002").await;
    let stored = stored(&server, &backend, "").await;
    assert_eq!(
        stored["totalResults"], 0,
        "nothing of a refused batch is kept"
    );

    let no_credentials = server
        .anonymous(Method::POST, "/mobile/platform/analytics/events")
        .json(&json!([good]))
        .send()
        .await
        .expect("request");
    assert_problem(no_credentials, 401, "MOBILE-40101").await;
    let bad_limit = server
        .tools(
            Method::GET,
            &format!(
                "/mobilebackends/{}/analytics/events?limit=x",
                backend["id"].as_str().expect("id")
            ),
        )
        .send()
        .await
        .expect("request");
    assert_problem(bad_limit, 400, "MOBILE-40002").await;
}
