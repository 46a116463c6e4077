//! The operator token: generated on first start (file mode 0600, hash stored), set by
//! BERTH_ADMIN_TOKEN, rotated by the CLI.

use std::os::unix::fs::PermissionsExt;

use reqwest::Method;

use crate::helpers::{
    TestServer, assert_problem, berth_command, fresh_data_dir, random_token, read_token_file,
    share_database,
};

async fn tools_status(server: &TestServer, token: &str) -> u16 {
    server
        .anonymous(Method::GET, "/mobile/tools/1.0/mobilebackends")
        .bearer_auth(token)
        .send()
        .await
        .expect("request")
        .status()
        .as_u16()
}

#[tokio::test]
async fn first_start_generates_a_token_file_that_only_the_owner_can_read() {
    let (_guard, data_dir) = fresh_data_dir();
    let mut server = TestServer::start_with(&data_dir, &[]).await;
    let file = data_dir.join("admin-token");
    let mode = std::fs::metadata(&file)
        .expect("token file")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
    let token = read_token_file(&data_dir);
    assert_eq!(token.len(), 64);
    assert!(
        server.log().contains(&file.display().to_string()),
        "the log says where the token is"
    );
    assert!(
        !server.log().contains(&token),
        "the log never shows the token"
    );
    assert_eq!(tools_status(&server, &token).await, 200);
    server.stop();

    // A restart keeps the token; nothing new is generated.
    let mut again = TestServer::start_with(&data_dir, &[]).await;
    assert_eq!(read_token_file(&data_dir), token);
    assert_eq!(tools_status(&again, &token).await, 200);
    again.stop();

    // BERTH_ADMIN_TOKEN replaces it.
    let configured = random_token();
    let mut third = TestServer::start_with(&data_dir, &[("BERTH_ADMIN_TOKEN", &configured)]).await;
    assert_eq!(tools_status(&third, &configured).await, 200);
    let response = third
        .anonymous(Method::GET, "/mobile/tools/1.0/mobilebackends")
        .bearer_auth(&token)
        .send()
        .await
        .expect("request");
    assert_problem(response, 401, "MOBILE-40101").await;
    assert!(
        !third.log().contains(&configured),
        "the log never shows the token"
    );
    assert!(!file.exists(), "the file of the replaced token is removed");
    third.stop();
}

#[tokio::test]
async fn rotating_from_the_cli_replaces_the_token_while_the_server_runs() {
    let server = TestServer::start().await;
    let old = server.token.clone();
    let output = server.cli(&["admin-token", "rotate"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let new = String::from_utf8(output.stdout)
        .expect("utf-8")
        .trim()
        .to_owned();
    assert_eq!(new.len(), 64);
    assert_eq!(read_token_file(&server.data_dir), new);
    assert_eq!(tools_status(&server, &new).await, 200);
    assert_eq!(tools_status(&server, &old).await, 401);
}

#[tokio::test]
async fn a_short_configured_token_is_refused_at_start() {
    let (_guard, data_dir) = fresh_data_dir();
    let output = berth_command(&data_dir)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("BERTH_ADMIN_TOKEN", "short")
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("at least 16 characters"));
}

/// Nodes with folders of their own on one PostgreSQL database, started at once: only one token is
/// stored, only the node that made it writes it to its file, and it works on every node.
#[tokio::test]
async fn nodes_starting_together_on_one_database_keep_one_token() {
    let (_first_guard, first) = fresh_data_dir();
    let folders: Vec<_> = (0..3).map(|_| fresh_data_dir()).collect();
    for (_, folder) in &folders {
        if share_database(folder, &first).is_none() {
            // Only PostgreSQL is shared by several nodes; on SQLite there is nothing to test.
            return;
        }
    }
    let starting: Vec<_> = folders
        .iter()
        .map(|(_, folder)| {
            let folder = folder.clone();
            std::thread::spawn(move || {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime")
                    // An empty BERTH_ADMIN_TOKEN counts as unset, and keeps the helper from reading a
                    // token file that only one node writes.
                    .block_on(TestServer::start_with(
                        &folder,
                        &[("BERTH_ADMIN_TOKEN", "")],
                    ))
            })
        })
        .collect();
    let mut nodes: Vec<TestServer> = starting
        .into_iter()
        .map(|node| node.join().expect("node starts"))
        .collect();
    let writers: Vec<_> = folders
        .iter()
        .filter(|(_, folder)| folder.join("admin-token").exists())
        .map(|(_, folder)| folder.clone())
        .collect();
    assert_eq!(writers.len(), 1, "exactly one node wrote a token file");
    let generated = nodes
        .iter()
        .filter(|node| node.log().contains("admin token generated"))
        .count();
    assert_eq!(generated, 1, "exactly one node generated the token");
    let token = read_token_file(&writers[0]);
    for node in &nodes {
        assert_eq!(tools_status(node, &token).await, 200, "{}", node.base);
    }
    for node in &mut nodes {
        node.stop();
    }
}
