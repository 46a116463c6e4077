//! Crash safety: writers keep the server busy, the process is killed with SIGKILL at a random moment,
//! and after each restart every write that was answered must be there, whole, with the stored
//! counters agreeing with the rows. Twenty kills per run, on whichever store the tests use.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{Managed, TestServer, fresh_data_dir, random_token};

const KILLS: usize = 20;
const WRITERS: usize = 4;
/// Each round kills once the writers have had this many writes answered (a random number below
/// it, at least one), and then a random pause below `MAX_PAUSE_MS`: at a random moment, whatever the
/// machine's load, and never before the round wrote anything.
const MAX_ACKS_BEFORE_KILL: u64 = 12;
const MAX_PAUSE_MS: u64 = 60;
/// A round that gets no write through in this time fails (the server is stuck).
const ROUND_LIMIT: Duration = Duration::from_secs(30);

/// Writes the server answered as done.
#[derive(Default, Clone)]
struct Acknowledged {
    /// Item id and the content the answer confirmed.
    items: Vec<(String, Value)>,
    usernames: Vec<String>,
    /// Per writer: its counter item and the last counter value answered as stored.
    counters: Vec<Option<(String, u64)>>,
}

/// A content check: an item whose `check` does not match its payload was torn.
fn check_of(payload: &str) -> String {
    format!(
        "{}:{}",
        payload.len(),
        payload.chars().rev().collect::<String>()
    )
}

fn random_below(bound: u64) -> u64 {
    (uuid::Uuid::new_v4().as_u128() % u128::from(bound)) as u64
}

/// One Management API call that may fail (the server may be gone): `Some(result)` only when the
/// server answered the call as done.
async fn call(
    client: &reqwest::Client,
    base: &str,
    backend: &Managed,
    method: &str,
    params: Value,
) -> Option<Value> {
    let body = json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params });
    let response = client
        .post(format!("{base}/manage/json-rpc/{}", backend.id))
        .header("X-Monaca-Backend-Management-API-Key", &backend.key)
        .json(&body)
        .send()
        .await
        .ok()?;
    if response.status() != 200 {
        return None;
    }
    let body: Value = response.json().await.ok()?;
    body.get("result").cloned()
}

/// Writes until `stop`: items, users, and updates of the writer's own counter item.
async fn writer(
    base: String,
    backend: Arc<Managed>,
    index: usize,
    round: usize,
    stop: Arc<AtomicBool>,
    acknowledged: Arc<Mutex<Acknowledged>>,
    round_acks: Arc<AtomicU64>,
) {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client");
    let mut sequence = 0u64;
    while !stop.load(Ordering::Relaxed) {
        sequence += 1;
        let payload = format!("w{index}-r{round}-s{sequence}-{}", "p".repeat(200));
        let item = json!({ "payload": payload, "check": check_of(&payload) });
        let Some(created) = call(
            &client,
            &base,
            &backend,
            "CollectionItem.create",
            json!({ "collectionName": "Log", "item": item }),
        )
        .await
        else {
            break;
        };
        let id = created["item"]["_id"].as_str().expect("id").to_owned();
        acknowledged.lock().expect("lock").items.push((id, item));
        round_acks.fetch_add(1, Ordering::Relaxed);

        if sequence.is_multiple_of(4) {
            let username = format!("u{index}-r{round}-s{sequence}");
            if call(
                &client,
                &base,
                &backend,
                "User.create",
                json!({ "username": username, "password": "password1" }),
            )
            .await
            .is_none()
            {
                break;
            }
            acknowledged.lock().expect("lock").usernames.push(username);
        }

        let counter = acknowledged.lock().expect("lock").counters[index].clone();
        if let Some((id, value)) = counter {
            let next = value + 1;
            if call(
                &client,
                &base,
                &backend,
                "CollectionItem.update",
                json!({ "collectionName": "Counters", "_id": id, "item": { "value": next } }),
            )
            .await
            .is_none()
            {
                break;
            }
            acknowledged.lock().expect("lock").counters[index] = Some((id, next));
        }
    }
}

/// Opens the SQLite database the killed server left behind and runs SQLite's own integrity check.
async fn sqlite_integrity(server: &TestServer) {
    if server.database_url.is_some() {
        return;
    }
    use sqlx::Connection as _;
    let path = server.data_dir.join("berth.db");
    let url = format!("sqlite://{}", path.display());
    let mut connection = sqlx::SqliteConnection::connect(&url)
        .await
        .expect("open the database file");
    let result: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&mut connection)
        .await
        .expect("integrity check");
    assert_eq!(result, "ok", "SQLite integrity check after a kill");
    connection.close().await.expect("close");
}

/// Asserts that every acknowledged write is stored and everything stored is whole.
async fn verify(server: &TestServer, backend: &Managed, acknowledged: &Acknowledged, round: usize) {
    let list = server
        .manage_ok(
            backend,
            "CollectionItem.list",
            json!({ "collectionName": "Log", "itemsInPage": 10000 }),
        )
        .await;
    let items = list["items"].as_array().expect("items");
    assert_eq!(
        list["totalItems"].as_u64(),
        Some(items.len() as u64),
        "round {round}: the stored item count agrees with the rows"
    );
    let stored: std::collections::HashMap<&str, &Value> = items
        .iter()
        .map(|item| (item["_id"].as_str().expect("id"), item))
        .collect();
    for item in items {
        let payload = item["payload"].as_str().expect("payload");
        assert_eq!(
            item["check"].as_str(),
            Some(check_of(payload).as_str()),
            "round {round}: a torn item {item}"
        );
    }
    for (id, content) in &acknowledged.items {
        let item = stored
            .get(id.as_str())
            .unwrap_or_else(|| panic!("round {round}: acknowledged item {id} is gone"));
        assert_eq!(item["payload"], content["payload"], "round {round}");
    }

    let users = server
        .manage_ok(backend, "User.list", json!({ "itemsInPage": 10000 }))
        .await;
    let usernames: std::collections::HashSet<&str> = users["items"]
        .as_array()
        .expect("users")
        .iter()
        .filter_map(|user| user["_username"].as_str())
        .collect();
    assert_eq!(
        users["totalItems"].as_u64(),
        Some(usernames.len() as u64),
        "round {round}"
    );
    for username in &acknowledged.usernames {
        assert!(
            usernames.contains(username.as_str()),
            "round {round}: acknowledged user {username} is gone"
        );
    }

    for (id, value) in acknowledged.counters.iter().flatten() {
        let item = server
            .manage_ok(
                backend,
                "CollectionItem.get",
                json!({ "collectionName": "Counters", "_id": id }),
            )
            .await;
        let stored = item["item"]["value"].as_u64().expect("value");
        // The next update may have landed without its answer reaching the writer.
        assert!(
            stored == *value || stored == value + 1,
            "round {round}: counter {id} holds {stored}, acknowledged {value}"
        );
    }
}

#[tokio::test]
async fn acknowledged_writes_survive_sigkill() {
    let (_dir, data_dir) = fresh_data_dir();
    let token = random_token();
    let env = [("BERTH_ADMIN_TOKEN", token.as_str())];
    let mut server = TestServer::start_with(&data_dir, &env).await;
    let backend = Arc::new(server.managed_backend("Crashy").await);
    for name in ["Log", "Counters"] {
        server
            .manage_ok(
                &backend,
                "Collection.create",
                json!({ "_id": name, "isInsertable": true }),
            )
            .await;
    }
    let acknowledged = Arc::new(Mutex::new(Acknowledged {
        counters: vec![None; WRITERS],
        ..Acknowledged::default()
    }));
    for index in 0..WRITERS {
        let created = server
            .manage_ok(
                &backend,
                "CollectionItem.create",
                json!({ "collectionName": "Counters", "item": { "value": 0 } }),
            )
            .await;
        let id = created["item"]["_id"].as_str().expect("id").to_owned();
        acknowledged.lock().expect("lock").counters[index] = Some((id, 0));
    }

    for round in 0..KILLS {
        let stop = Arc::new(AtomicBool::new(false));
        let round_acks = Arc::new(AtomicU64::new(0));
        let writers: Vec<_> = (0..WRITERS)
            .map(|index| {
                tokio::spawn(writer(
                    server.base.clone(),
                    backend.clone(),
                    index,
                    round,
                    stop.clone(),
                    acknowledged.clone(),
                    round_acks.clone(),
                ))
            })
            .collect();
        let target = 1 + random_below(MAX_ACKS_BEFORE_KILL);
        let started = std::time::Instant::now();
        while round_acks.load(Ordering::Relaxed) < target {
            assert!(
                started.elapsed() < ROUND_LIMIT,
                "round {round}: no write answered in {ROUND_LIMIT:?}"
            );
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        tokio::time::sleep(Duration::from_millis(random_below(MAX_PAUSE_MS))).await;
        // SIGKILL, while the writers are mid-request.
        server.kill();
        stop.store(true, Ordering::Relaxed);
        for writer in writers {
            writer.await.expect("writer task");
        }
        sqlite_integrity(&server).await;

        server = TestServer::start_with(&data_dir, &env).await;
        let answered = acknowledged.lock().expect("lock").clone();
        verify(&server, &backend, &answered, round).await;
    }
    let answered = acknowledged.lock().expect("lock").items.len();
    eprintln!("{KILLS} kills; {answered} acknowledged item writes all survived");
    assert!(
        answered >= KILLS,
        "the writers got writes through: {answered}"
    );
    server.stop();
}

const PUSH_KILLS: usize = 5;
const PUSH_DEVICES: u64 = 5;

/// Push sends under SIGKILL: every `Push.send` the server answered is still known after a crash and
/// is finished afterwards, reaching every device (the push tests check resends in detail).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_push_sends_survive_sigkill() {
    use crate::push_support::{PushRig, apns_token};

    // A killed node's claimed deliveries wait for their lease to lapse: a short lease keeps it quick.
    let mut rig = PushRig::start_with(&[("BERTH_PUSH_LEASE_SECONDS", "1")]).await;
    let app = rig.server.app("CrashyPush").await;
    let project = rig.configure(&app.backend).await;
    for n in 0..PUSH_DEVICES {
        rig.register_ios(&project, &format!("device-{n}"), &apns_token(5000 + n))
            .await;
    }
    let backend = Arc::new(app.backend);
    let mut acknowledged: Vec<String> = Vec::new();
    for round in 0..PUSH_KILLS {
        let stop = Arc::new(AtomicBool::new(false));
        let queued = Arc::new(Mutex::new(Vec::<String>::new()));
        let sender = {
            let (base, backend, stop, queued, project) = (
                rig.server.base.clone(),
                backend.clone(),
                stop.clone(),
                queued.clone(),
                project.clone(),
            );
            tokio::spawn(async move {
                let client = reqwest::Client::new();
                while !stop.load(Ordering::Relaxed) {
                    let params = json!({ "pushProjectId": project, "platform": "ios",
                                         "message": format!("round {round}") });
                    let Some(result) = call(&client, &base, &backend, "Push.send", params).await
                    else {
                        break;
                    };
                    let id = result["queueIdList"][0].as_str().expect("queue id");
                    queued.lock().expect("lock").push(id.to_owned());
                }
            })
        };
        let target = 1 + random_below(4) as usize;
        let started = std::time::Instant::now();
        while queued.lock().expect("lock").len() < target {
            assert!(
                started.elapsed() < ROUND_LIMIT,
                "round {round}: no send answered"
            );
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        tokio::time::sleep(Duration::from_millis(random_below(MAX_PAUSE_MS))).await;
        rig.restart(true).await;
        stop.store(true, Ordering::Relaxed);
        sender.await.expect("sender task");
        acknowledged.extend(queued.lock().expect("lock").drain(..));
    }
    for queue_id in &acknowledged {
        let status = rig.wait_finished(&backend, &json!(project), queue_id).await;
        assert_eq!(status["numTarget"], PUSH_DEVICES, "{queue_id}: {status}");
        assert_eq!(status["numPushed"], PUSH_DEVICES, "{queue_id}: {status}");
    }
    eprintln!(
        "{PUSH_KILLS} kills; {} acknowledged push sends all finished",
        acknowledged.len()
    );
}
