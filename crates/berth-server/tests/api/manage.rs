//! The Monaca Backend Management API (`/manage/json-rpc/{backendId}`) over HTTP.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Managed, TestServer, assert_rpc_error, stored_text};

#[tokio::test]
async fn keys_are_checked_before_anything_happens() {
    let server = TestServer::start().await;
    let mine = server.managed_backend("Mine").await;
    let theirs = server.managed_backend("Theirs").await;
    let create = json!({ "jsonrpc": "2.0", "id": "7", "method": "Collection.create", "params": { "_id": "Stolen" } }).to_string();

    let attempts = [
        (mine.id.clone(), None),
        (mine.id.clone(), Some("0".repeat(64))),
        (mine.id.clone(), Some(theirs.key.clone())),
        ("not-a-backend".to_owned(), Some(mine.key.clone())),
        (uuid::Uuid::now_v7().to_string(), Some(mine.key.clone())),
    ];
    for (backend_id, key) in attempts {
        let (status, response) = server
            .manage_raw(&backend_id, key.as_deref(), create.clone())
            .await;
        assert_eq!(status, 200);
        assert_rpc_error(&response, 4, None);
        assert_eq!(response["id"], "7", "the id is echoed");
    }
    let listed = server.manage_ok(&mine, "Collection.list", json!({})).await;
    assert_eq!(
        listed["items"],
        json!([]),
        "no refused call created anything"
    );
    let listed = server
        .manage_ok(&theirs, "Collection.list", json!({}))
        .await;
    assert_eq!(listed["items"], json!([]));

    // A key bound to another address range is refused from here.
    let key: Value = server
        .tools(
            Method::POST,
            &format!("/mobilebackends/{}/managementKeys", mine.id),
        )
        .json(&json!({ "allowedIpRange": "203.0.113.0/24" }))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    let fenced = Managed {
        id: mine.id.clone(),
        key: key["key"].as_str().expect("key").to_owned(),
    };
    let response = server.manage(&fenced, "Collection.list", json!({})).await;
    assert_rpc_error(&response, 4, Some("reason"));
    let local: Value = server
        .tools(
            Method::POST,
            &format!("/mobilebackends/{}/managementKeys", mine.id),
        )
        .json(&json!({ "allowedIpRange": "127.0.0.0/8" }))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    let local = Managed {
        id: mine.id.clone(),
        key: local["key"].as_str().expect("key").to_owned(),
    };
    server.manage_ok(&local, "Collection.list", json!({})).await;

    // Revoked keys, trashed and inactive backends stop working.
    let revoke = server
        .tools(
            Method::DELETE,
            &format!(
                "/mobilebackends/{}/managementKeys/{}",
                mine.id,
                local_key_id(&server, &mine, &local).await
            ),
        )
        .send()
        .await
        .expect("request");
    assert_eq!(revoke.status(), 204);
    assert_rpc_error(
        &server.manage(&local, "Collection.list", json!({})).await,
        4,
        None,
    );
    let deactivate = server
        .tools(Method::PUT, &format!("/mobilebackends/{}", theirs.id))
        .json(&json!({ "name": "Theirs", "inactive": true }))
        .send()
        .await
        .expect("request");
    assert_eq!(deactivate.status(), 204);
    assert_rpc_error(
        &server.manage(&theirs, "Collection.list", json!({})).await,
        4,
        None,
    );
    let trash = server
        .tools(Method::POST, "/assets/trashing")
        .header("if-match", "*")
        .json(&json!({ "ids": [mine.id] }))
        .send()
        .await
        .expect("request");
    assert_eq!(trash.status(), 200);
    assert_rpc_error(
        &server.manage(&mine, "Collection.list", json!({})).await,
        4,
        None,
    );
}

async fn local_key_id(server: &TestServer, backend: &Managed, key: &Managed) -> String {
    let keys: Value = server
        .tools(
            Method::GET,
            &format!("/mobilebackends/{}/managementKeys", backend.id),
        )
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    keys["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|k| k["prefix"].as_str() == Some(&key.key[..8]))
        .and_then(|k| k["id"].as_str())
        .expect("the key is listed")
        .to_owned()
}

#[tokio::test]
async fn the_envelope_follows_json_rpc_2() {
    let server = TestServer::start().await;
    let backend = server.managed_backend("Envelope").await;
    let call = |body: &str| server.manage_raw(&backend.id, Some(&backend.key), body.to_owned());

    let (status, parse) = call("{\"jsonrpc\": \"2.0\",").await;
    assert_eq!(status, 200);
    assert_rpc_error(&parse, -32700, None);
    assert_eq!(parse["id"], Value::Null);
    for bad in [
        r#"{"id":1,"method":"Collection.list"}"#,
        r#"{"jsonrpc":"1.0","id":1,"method":"Collection.list"}"#,
        r#"{"jsonrpc":"2.0","id":1,"method":5}"#,
        r#"{"jsonrpc":"2.0","id":[1],"method":"Collection.list"}"#,
        r#"[]"#,
        r#"42"#,
    ] {
        let (status, response) = call(bad).await;
        assert_eq!(status, 200, "{bad}");
        assert_rpc_error(&response, -32600, None);
    }
    let (_, unknown) =
        call(r#"{"jsonrpc":"2.0","id":"1","method":"Collection.explode","params":{}}"#).await;
    assert_rpc_error(&unknown, -32601, None);
    assert_eq!(unknown["error"]["message"], "Method not found");
    assert_eq!(unknown["id"], "1");
    let (_, positional) =
        call(r#"{"jsonrpc":"2.0","id":2,"method":"Collection.list","params":[]}"#).await;
    assert_rpc_error(&positional, -32602, Some("params"));
    assert_eq!(positional["error"]["message"], "Invalid params");

    let (_, ok) = call(r#"{"jsonrpc":"2.0","id":3,"method":"Collection.list"}"#).await;
    assert_eq!(
        ok,
        json!({ "jsonrpc": "2.0", "id": 3, "result": { "items": [] } })
    );

    let batch = r#"[
        {"jsonrpc":"2.0","id":"a","method":"Collection.create","params":{"_id":"Notes"}},
        {"jsonrpc":"2.0","method":"Collection.create","params":{"_id":"Quiet"}},
        {"jsonrpc":"2.0","id":"b","method":"Nope"},
        {"jsonrpc":"2.0","id":"c","method":"Collection.list"}
    ]"#;
    let (status, answers) = call(batch).await;
    assert_eq!(status, 200);
    let answers = answers
        .as_array()
        .expect("a batch is answered with an array");
    assert_eq!(answers.len(), 3, "the notification is not answered");
    assert_eq!(
        answers[0],
        json!({ "jsonrpc": "2.0", "id": "a", "result": "OK" })
    );
    assert_eq!(answers[1]["error"]["code"], -32601);
    let names: Vec<&str> = answers[2]["result"]["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|c| c["_id"].as_str())
        .collect();
    assert_eq!(names, ["Notes", "Quiet"], "the notification ran, in order");

    let (status, body) =
        call(r#"{"jsonrpc":"2.0","method":"Collection.drop","params":{"_id":"Quiet"}}"#).await;
    assert_eq!(
        (status, body),
        (204, Value::Null),
        "only notifications: nothing to answer"
    );
}

#[tokio::test]
async fn users_are_managed() {
    let server = TestServer::start().await;
    let backend = server.managed_backend("People").await;

    let created = server
        .manage_ok(&backend, "User.create", json!({ "username": "joe@example.com", "password": "s3cret1", "properties": { "age": 21, "city": "Kyoto" } }))
        .await;
    let user = &created["user"];
    let id = user["_id"].as_str().expect("_id").to_owned();
    assert!(id.starts_with('u'));
    assert_eq!(user["_username"], "joe@example.com");
    assert_eq!(user["age"], 21);
    assert!(
        user["_createdAt"].as_i64().expect("ms") > 1_600_000_000_000,
        "timestamps are epoch milliseconds"
    );
    assert_eq!(user["_createdAt"], user["_updatedAt"]);
    assert!(user.get("password").is_none() && user.get("_password").is_none());

    let got = server
        .manage_ok(&backend, "User.get", json!({ "_id": id }))
        .await;
    assert_eq!(&got["user"], user);

    for (params, member) in [
        (
            json!({ "username": "joe@example.com", "password": "other1" }),
            "username",
        ),
        (
            json!({ "username": "has space", "password": "secret" }),
            "username",
        ),
        (
            json!({ "username": "u".repeat(256), "password": "secret" }),
            "username",
        ),
        (json!({ "username": "", "password": "secret" }), "username"),
        (json!({ "password": "secret" }), "username"),
        (
            json!({ "username": "ann", "password": "p".repeat(81) }),
            "password",
        ),
        (
            json!({ "username": "ann", "password": "has space" }),
            "password",
        ),
        (json!({ "username": "ann" }), "password"),
        (
            json!({ "username": "ann", "password": "secret", "properties": { "bad_key": 1 } }),
            "properties",
        ),
        (
            json!({ "username": "ann", "password": "secret", "properties": { "blob": "b".repeat(600 * 1024) } }),
            "properties",
        ),
        (
            json!({ "username": "ann", "password": "secret", "properties": [1] }),
            "properties",
        ),
        (json!({ "username": 5, "password": "secret" }), "username"),
    ] {
        let response = server.manage(&backend, "User.create", params.clone()).await;
        assert_rpc_error(&response, -32602, Some(member));
    }

    let updated = server
        .manage_ok(&backend, "User.update", json!({ "_id": id, "user": { "_id": "ignored", "age": 22, "country": "JP", "_username": "joe2" } }))
        .await;
    assert_eq!(updated, "OK");
    let got = server
        .manage_ok(&backend, "User.get", json!({ "_id": id }))
        .await;
    assert_eq!(got["user"]["age"], 22);
    assert_eq!(
        got["user"]["city"], "Kyoto",
        "properties are merged, not replaced"
    );
    assert_eq!(got["user"]["country"], "JP");
    assert_eq!(got["user"]["_username"], "joe2");
    assert_eq!(got["user"]["_id"], id.as_str());

    for name in ["zoe", "adam", "mia"] {
        server
            .manage_ok(&backend, "User.create", json!({ "username": name, "password": "pw1234", "properties": { "age": name.len() } }))
            .await;
    }
    let page = server
        .manage_ok(&backend, "User.list", json!({ "page": 1, "itemsInPage": 2, "sortProperty": "_username", "sortOrder": "asc", "propertyNames": ["age"] }))
        .await;
    assert_eq!(page["totalItems"], 4);
    let names: Vec<&str> = page["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|u| u["_username"].as_str())
        .collect();
    assert_eq!(names, ["adam", "joe2"]);
    assert!(
        page["items"][1].get("city").is_none(),
        "propertyNames limits the properties"
    );
    assert_eq!(page["items"][1]["age"], 22);
    let second = server
        .manage_ok(&backend, "User.list", json!({ "page": 2, "itemsInPage": 2, "sortProperty": "_username", "propertyNames": "age,city" }))
        .await;
    let names: Vec<&str> = second["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|u| u["_username"].as_str())
        .collect();
    assert_eq!(names, ["mia", "zoe"]);
    let filtered = server
        .manage_ok(&backend, "User.list", json!({ "nameFilter": "JOE" }))
        .await;
    assert_eq!(filtered["totalItems"], 1);
    let by_id = server
        // The tail of the id: its head is the creation time, which users made together share.
        .manage_ok(
            &backend,
            "User.list",
            json!({ "nameFilter": &id[id.len() - 10..] }),
        )
        .await;
    assert_eq!(by_id["totalItems"], 1, "nameFilter also matches the id");

    for (params, member) in [
        (json!({ "page": 0 }), "page"),
        (json!({ "itemsInPage": 10001 }), "itemsInPage"),
        (json!({ "itemsInPage": 0 }), "itemsInPage"),
        (json!({ "sortOrder": "up" }), "sortOrder"),
        (json!({ "sortProperty": "_secret" }), "sortProperty"),
    ] {
        assert_rpc_error(
            &server.manage(&backend, "User.list", params).await,
            -32602,
            Some(member),
        );
    }
    let max = server
        .manage_ok(&backend, "User.list", json!({ "itemsInPage": 10000 }))
        .await;
    assert_eq!(max["items"].as_array().map(Vec::len), Some(4));

    let names = server
        .manage_ok(&backend, "User.getPropertyNames", json!({}))
        .await;
    assert_eq!(names, json!({ "names": ["age", "city", "country"] }));

    let missing = server
        .manage(&backend, "User.get", json!({ "_id": "u-nobody" }))
        .await;
    assert_rpc_error(&missing, -32602, Some("_id"));
    assert_eq!(missing["error"]["data"]["_id"], "User not found.");
    let partial = server
        .manage(
            &backend,
            "User.delete",
            json!({ "idList": [id, "u-nobody"] }),
        )
        .await;
    assert_rpc_error(&partial, -32602, Some("idList"));
    assert_eq!(
        server.manage_ok(&backend, "User.list", json!({})).await["totalItems"],
        4,
        "nothing was deleted"
    );
    assert_eq!(
        server
            .manage_ok(&backend, "User.delete", json!({ "_idList": [id] }))
            .await,
        "OK"
    );
    assert_eq!(
        server.manage_ok(&backend, "User.list", json!({})).await["totalItems"],
        3
    );
}

#[tokio::test]
async fn collections_are_managed() {
    let server = TestServer::start().await;
    let backend = server.managed_backend("Shelves").await;
    let other = server.managed_backend("OtherShelves").await;

    assert_eq!(
        server
            .manage_ok(
                &backend,
                "Collection.create",
                json!({ "_id": "GameScore", "isInsertable": true, "defaultPublicPermission": "r" })
            )
            .await,
        "OK"
    );
    server
        .manage_ok(&backend, "Collection.create", json!({ "_id": "Archive" }))
        .await;
    let listed = server
        .manage_ok(&backend, "Collection.list", json!({}))
        .await;
    assert_eq!(
        listed["items"],
        json!([
            { "_id": "Archive", "isInsertable": false, "defaultPublicPermission": "", "indexedProperties": [] },
            { "_id": "GameScore", "isInsertable": true, "defaultPublicPermission": "r", "indexedProperties": [] },
        ])
    );
    assert_eq!(
        server.manage_ok(&other, "Collection.list", json!({})).await["items"],
        json!([]),
        "collections are per backend"
    );

    for (params, member) in [
        (json!({ "_id": "GameScore" }), "_id"),
        (json!({ "_id": "9lives" }), "_id"),
        (json!({ "_id": "has space" }), "_id"),
        (json!({}), "_id"),
        (
            json!({ "_id": "Ok", "defaultPublicPermission": "x" }),
            "defaultPublicPermission",
        ),
        (
            json!({ "_id": "Ok", "isInsertable": "yes" }),
            "isInsertable",
        ),
        (
            json!({ "_id": "Ok", "indexedProperties": ["_id"] }),
            "indexedProperties",
        ),
    ] {
        assert_rpc_error(
            &server.manage(&backend, "Collection.create", params).await,
            -32602,
            Some(member),
        );
    }

    server
        .manage_ok(&backend, "Collection.setConfig", json!({ "_id": "GameScore", "isInsertable": false, "indexedProperties": ["score", "playerName"] }))
        .await;
    let config = server
        .manage_ok(
            &backend,
            "Collection.getConfig",
            json!({ "_id": "GameScore" }),
        )
        .await;
    assert_eq!(
        config,
        json!({ "config": { "_id": "GameScore", "isInsertable": false, "defaultPublicPermission": "r", "indexedProperties": ["score", "playerName"] } })
    );
    let missing = server
        .manage(&backend, "Collection.getConfig", json!({ "_id": "Nope" }))
        .await;
    assert_rpc_error(&missing, -32602, Some("_id"));
    assert_eq!(missing["error"]["data"]["_id"], "Collection not found.");

    for item in [
        json!({ "score": 1, "playerName": "a" }),
        json!({ "level": 3 }),
    ] {
        server
            .manage_ok(
                &backend,
                "CollectionItem.create",
                json!({ "collectionName": "GameScore", "item": item }),
            )
            .await;
    }
    let names = server
        .manage_ok(
            &backend,
            "Collection.getPropertyNames",
            json!({ "_id": "GameScore" }),
        )
        .await;
    assert_eq!(names, json!({ "names": ["level", "playerName", "score"] }));

    assert_eq!(
        server
            .manage_ok(&backend, "Collection.drop", json!({ "_id": "GameScore" }))
            .await,
        "OK"
    );
    assert_rpc_error(
        &server
            .manage(&backend, "Collection.drop", json!({ "_id": "GameScore" }))
            .await,
        -32602,
        Some("_id"),
    );
    server
        .manage_ok(&backend, "Collection.create", json!({ "_id": "GameScore" }))
        .await;
    let empty = server
        .manage_ok(
            &backend,
            "CollectionItem.list",
            json!({ "collectionName": "GameScore" }),
        )
        .await;
    assert_eq!(
        empty,
        json!({ "items": [], "totalItems": 0 }),
        "a dropped collection's items are gone"
    );
}

async fn seed_game_scores(server: &TestServer, backend: &Managed) -> Vec<String> {
    server
        .manage_ok(
            backend,
            "Collection.create",
            json!({ "_id": "GameScore", "isInsertable": true }),
        )
        .await;
    let mut ids = Vec::new();
    for (player, score, cheat) in [
        ("Sean Plott", 1337, false),
        ("Ann", 42, true),
        ("Bo", 9000, false),
        ("Cy", 7, false),
    ] {
        let created = server
            .manage_ok(backend, "CollectionItem.create", json!({ "collectionName": "GameScore", "item": { "playerName": player, "score": score, "cheatMode": cheat } }))
            .await;
        ids.push(created["item"]["_id"].as_str().expect("_id").to_owned());
    }
    ids
}

#[tokio::test]
async fn the_seed_example_answers_in_the_documented_shape() {
    let server = TestServer::start().await;
    let backend = server.managed_backend("Seed").await;
    seed_game_scores(&server, &backend).await;
    let (status, response) = server
        .manage_raw(
            &backend.id,
            Some(&backend.key),
            r#"{"jsonrpc":"2.0","id":1,"method":"CollectionItem.list","params":{"collectionName":"GameScore","page":1,"itemsInPage":10,"sortProperty":"score","sortOrder":"desc"}}"#.to_owned(),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(response["jsonrpc"], "2.0");
    assert_eq!(response["id"], 1);
    let result = response["result"].as_object().expect("result object");
    assert_eq!(result.keys().collect::<Vec<_>>(), ["items", "totalItems"]);
    assert_eq!(result["totalItems"], 4);
    let items = result["items"].as_array().expect("items");
    let scores: Vec<i64> = items.iter().filter_map(|i| i["score"].as_i64()).collect();
    assert_eq!(scores, [9000, 1337, 42, 7]);
    for item in items {
        for member in [
            "_id",
            "_createdAt",
            "_updatedAt",
            "playerName",
            "score",
            "cheatMode",
        ] {
            assert!(item.get(member).is_some(), "{member} missing in {item}");
        }
        assert!(
            item.get("_ownerUserOid").is_none(),
            "management items have no owner"
        );
    }
}

#[tokio::test]
async fn items_are_managed() {
    let server = TestServer::start().await;
    let backend = server.managed_backend("Things").await;
    let ids = seed_game_scores(&server, &backend).await;
    let first = &ids[0];
    let get = |id: &str| {
        server.manage_ok(
            &backend,
            "CollectionItem.get",
            json!({ "collectionName": "GameScore", "_id": id }),
        )
    };

    let item = get(first).await["item"].clone();
    assert_eq!(item["_id"], first.as_str());
    assert_eq!(item["playerName"], "Sean Plott");
    assert_eq!(item["_permission"], json!({}));

    let updated = server
        .manage_ok(&backend, "CollectionItem.update", json!({ "collectionName": "GameScore", "_id": first, "item": { "_id": "other", "_permission": { "public": "rw" }, "score": 1338 } }))
        .await;
    assert_eq!(updated, "OK");
    let item = get(first).await["item"].clone();
    assert_eq!(item["score"], 1338);
    assert_eq!(item["playerName"], "Sean Plott", "update merges");
    assert_eq!(
        item["_permission"],
        json!({}),
        "_permission is ignored on update"
    );
    assert!(item["_updatedAt"].as_i64() >= item["_createdAt"].as_i64());

    let permission = json!({ "public": "r", "u-friend": "rw", "u-foe": "" });
    assert_eq!(
        server
            .manage_ok(
                &backend,
                "CollectionItem.setPermission",
                json!({ "collectionName": "GameScore", "_id": first, "permission": permission })
            )
            .await,
        "OK"
    );
    let got = server
        .manage_ok(
            &backend,
            "CollectionItem.getPermission",
            json!({ "collectionName": "GameScore", "_id": first }),
        )
        .await;
    assert_eq!(got, json!({ "permission": permission }));
    for bad in [
        json!({ "public": "x" }),
        json!("rw"),
        json!({ "public": 1 }),
    ] {
        let response = server
            .manage(
                &backend,
                "CollectionItem.setPermission",
                json!({ "collectionName": "GameScore", "_id": first, "permission": bad }),
            )
            .await;
        assert_rpc_error(&response, -32602, Some("permission"));
    }

    let with_permission = server
        .manage_ok(&backend, "CollectionItem.create", json!({ "collectionName": "GameScore", "item": { "score": 1, "_permission": { "public": "rw" } } }))
        .await;
    assert_eq!(
        with_permission["item"]["_permission"],
        json!({ "public": "rw" })
    );

    for (method, params, member) in [
        (
            "CollectionItem.create",
            json!({ "collectionName": "Nope", "item": {} }),
            "collectionName",
        ),
        (
            "CollectionItem.create",
            json!({ "item": {} }),
            "collectionName",
        ),
        (
            "CollectionItem.create",
            json!({ "collectionName": "GameScore" }),
            "item",
        ),
        (
            "CollectionItem.create",
            json!({ "collectionName": "GameScore", "item": { "bad-key": 1 } }),
            "item",
        ),
        (
            "CollectionItem.create",
            json!({ "collectionName": "GameScore", "item": { "blob": "x".repeat(512 * 1024) } }),
            "item",
        ),
        (
            "CollectionItem.get",
            json!({ "collectionName": "GameScore", "_id": "missing" }),
            "_id",
        ),
        (
            "CollectionItem.update",
            json!({ "collectionName": "GameScore", "_id": "missing", "item": {} }),
            "_id",
        ),
        (
            "CollectionItem.getPermission",
            json!({ "collectionName": "GameScore", "_id": "missing" }),
            "_id",
        ),
        (
            "CollectionItem.list",
            json!({ "collectionName": "GameScore", "itemsInPage": 10001 }),
            "itemsInPage",
        ),
        (
            "CollectionItem.list",
            json!({ "collectionName": "GameScore", "page": 0 }),
            "page",
        ),
        (
            "CollectionItem.list",
            json!({ "collectionName": "GameScore", "sortOrder": "sideways" }),
            "sortOrder",
        ),
        (
            "CollectionItem.delete",
            json!({ "collectionName": "GameScore", "idList": [first, "missing"] }),
            "idList",
        ),
        (
            "CollectionItem.delete",
            json!({ "collectionName": "GameScore", "idList": [] }),
            "idList",
        ),
    ] {
        let response = server.manage(&backend, method, params.clone()).await;
        assert_rpc_error(&response, -32602, Some(member));
    }
    let not_found = server
        .manage(
            &backend,
            "CollectionItem.list",
            json!({ "collectionName": "Nope" }),
        )
        .await;
    assert_eq!(
        not_found["error"]["data"],
        json!({ "collectionName": "Collection not found." })
    );

    let page = server
        .manage_ok(&backend, "CollectionItem.list", json!({ "collectionName": "GameScore", "page": 2, "itemsInPage": 2, "sortProperty": "_createdAt", "propertyNames": ["playerName"] }))
        .await;
    assert_eq!(page["totalItems"], 5);
    assert_eq!(page["items"].as_array().map(Vec::len), Some(2));
    assert!(
        page["items"][0].get("score").is_none(),
        "propertyNames limits the data"
    );
    assert!(page["items"][0]["playerName"].is_string());
    let uncounted = server
        .manage_ok(
            &backend,
            "CollectionItem.list",
            json!({ "collectionName": "GameScore", "withTotal": false }),
        )
        .await;
    assert!(uncounted.get("totalItems").is_none());

    assert_eq!(
        server
            .manage_ok(
                &backend,
                "CollectionItem.delete",
                json!({ "collectionName": "GameScore", "idList": [first, ids[1]] })
            )
            .await,
        "OK"
    );
    let after = server
        .manage_ok(
            &backend,
            "CollectionItem.list",
            json!({ "collectionName": "GameScore" }),
        )
        .await;
    assert_eq!(after["totalItems"], 3);
    assert_rpc_error(
        &server
            .manage(
                &backend,
                "CollectionItem.get",
                json!({ "collectionName": "GameScore", "_id": first }),
            )
            .await,
        -32602,
        Some("_id"),
    );
}

#[tokio::test]
async fn another_backends_key_never_reaches_this_backends_data() {
    let server = TestServer::start().await;
    let mine = server.managed_backend("Mine").await;
    let theirs = server.managed_backend("Theirs").await;
    let ids = seed_game_scores(&server, &mine).await;
    server
        .manage_ok(&theirs, "Collection.create", json!({ "_id": "GameScore" }))
        .await;

    // Their key on their endpoint sees only their (empty) collection of the same name.
    let theirs_list = server
        .manage_ok(
            &theirs,
            "CollectionItem.list",
            json!({ "collectionName": "GameScore" }),
        )
        .await;
    assert_eq!(theirs_list["totalItems"], 0);
    let peek = server
        .manage(
            &theirs,
            "CollectionItem.get",
            json!({ "collectionName": "GameScore", "_id": ids[0] }),
        )
        .await;
    assert_rpc_error(&peek, -32602, Some("_id"));
    let wipe = server
        .manage(
            &theirs,
            "CollectionItem.delete",
            json!({ "collectionName": "GameScore", "idList": [ids[0]] }),
        )
        .await;
    assert_rpc_error(&wipe, -32602, Some("idList"));

    // Their key on my endpoint is refused outright.
    let crossed = Managed {
        id: mine.id.clone(),
        key: theirs.key.clone(),
    };
    assert_rpc_error(
        &server
            .manage(&crossed, "Collection.drop", json!({ "_id": "GameScore" }))
            .await,
        4,
        None,
    );
    let mine_list = server
        .manage_ok(
            &mine,
            "CollectionItem.list",
            json!({ "collectionName": "GameScore" }),
        )
        .await;
    assert_eq!(mine_list["totalItems"], 4);
}

#[tokio::test]
async fn passwords_are_stored_as_argon2_hashes() {
    let mut server = TestServer::start().await;
    let backend = server.managed_backend("Hashes").await;
    server
        .manage_ok(
            &backend,
            "User.create",
            json!({ "username": "hash", "password": "plain-text-password-1" }),
        )
        .await;
    server.stop();
    let stored = stored_text(&server).await;
    assert!(!stored.contains("plain-text-password-1"));
    assert!(stored.contains("$argon2id$"));
}

#[tokio::test]
async fn criteria_filter_items_and_users_in_the_database() {
    let server = TestServer::start().await;
    let backend = server.managed_backend("Queries").await;
    seed_game_scores(&server, &backend).await;
    server
        .manage_ok(
            &backend,
            "Collection.setConfig",
            json!({ "_id": "GameScore", "indexedProperties": ["score"] }),
        )
        .await;

    let list = |criteria: &str, binds: Value| {
        server.manage(
            &backend,
            "CollectionItem.list",
            json!({ "collectionName": "GameScore", "criteria": criteria, "bindParams": binds, "sortProperty": "score", "sortOrder": "desc" }),
        )
    };
    let players = |response: &Value| -> Vec<String> {
        response["result"]["items"]
            .as_array()
            .unwrap_or_else(|| panic!("no items in {response}"))
            .iter()
            .filter_map(|i| i["playerName"].as_str().map(str::to_owned))
            .collect()
    };

    let high = list("score > ? && cheatMode == false", json!([1000])).await;
    assert_eq!(players(&high), ["Bo", "Sean Plott"]);
    assert_eq!(
        high["result"]["totalItems"], 2,
        "totalItems counts the matches"
    );
    let named = list("playerName IN ?", json!([["Ann", "Cy"]])).await;
    assert_eq!(players(&named), ["Ann", "Cy"]);
    let negated = list("!(score < 100 || playerName == \"Bo\")", json!([])).await;
    assert_eq!(players(&negated), ["Sean Plott"]);
    let missing = list("level == null", json!([])).await;
    assert_eq!(
        players(&missing).len(),
        4,
        "null matches a missing property"
    );

    let syntax = list("score >", json!([])).await;
    assert_rpc_error(&syntax, -32602, Some("criteria"));
    assert!(
        syntax["error"]["data"]["criteria"]
            .as_str()
            .expect("message")
            .contains("position"),
        "{syntax}"
    );
    let single_quotes = list("playerName == 'Bo'", json!([])).await;
    assert_rpc_error(&single_quotes, -32602, Some("criteria"));
    let binds = list("score > ?", json!([])).await;
    assert_rpc_error(&binds, -32602, Some("bindParams"));
    let extra = list("score > ?", json!([1, 2])).await;
    assert_rpc_error(&extra, -32602, Some("bindParams"));

    for (name, age) in [("old", 70), ("young", 12), ("mid", 40)] {
        server
            .manage_ok(
                &backend,
                "User.create",
                json!({ "username": name, "password": "pw1234", "properties": { "age": age } }),
            )
            .await;
    }
    let adults = server
        .manage_ok(&backend, "User.list", json!({ "userQuery": "age >= ? && _username != ?", "userQueryBindParams": [18, "mid"] }))
        .await;
    let names: Vec<&str> = adults["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|u| u["_username"].as_str())
        .collect();
    assert_eq!(names, ["old"]);
    assert_eq!(adults["totalItems"], 1);
    let bad = server
        .manage(
            &backend,
            "User.list",
            json!({ "userQuery": "_ownerUserOid == \"x\"" }),
        )
        .await;
    assert_rpc_error(&bad, -32602, Some("userQuery"));
    let bad_binds = server
        .manage(
            &backend,
            "User.list",
            json!({ "userQuery": "age > ?", "userQueryBindParams": [{ "a": 1 }] }),
        )
        .await;
    assert_rpc_error(&bad_binds, -32602, Some("userQueryBindParams"));
}
