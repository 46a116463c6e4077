//! Mail over SMTP: a local server that speaks SMTP receives what the app API sends, and a refused
//! delivery is reported to the app and kept in the outbox — never dropped silently.

use std::sync::{Arc, Mutex};

use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

use crate::helpers::{Device, TestServer, assert_rpc_error, fresh_data_dir, random_token};

/// A minimal SMTP server: accepts every mail and keeps the DATA of each.
async fn smtp_server() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address").to_string();
    let received = Arc::new(Mutex::new(Vec::new()));
    let sink = received.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let sink = sink.clone();
            tokio::spawn(async move {
                let (read, mut write) = stream.into_split();
                let mut lines = BufReader::new(read).lines();
                let _ = write.write_all(b"220 test ESMTP\r\n").await;
                let mut data: Option<String> = None;
                while let Ok(Some(line)) = lines.next_line().await {
                    if let Some(body) = data.as_mut() {
                        if line == "." {
                            sink.lock().expect("lock").push(std::mem::take(body));
                            data = None;
                            let _ = write.write_all(b"250 queued\r\n").await;
                        } else {
                            body.push_str(&line);
                            body.push('\n');
                        }
                        continue;
                    }
                    let verb = line
                        .split_whitespace()
                        .next()
                        .unwrap_or("")
                        .to_ascii_uppercase();
                    let reply: &[u8] = match verb.as_str() {
                        "EHLO" | "HELO" => b"250 test\r\n",
                        "DATA" => {
                            data = Some(String::new());
                            b"354 go ahead\r\n"
                        }
                        "QUIT" => {
                            let _ = write.write_all(b"221 bye\r\n").await;
                            break;
                        }
                        _ => b"250 ok\r\n",
                    };
                    let _ = write.write_all(reply).await;
                }
            });
        }
    });
    (address, received)
}

#[tokio::test]
async fn mail_is_delivered_over_smtp_and_recorded() {
    let (address, received) = smtp_server().await;
    let (_guard, data_dir) = fresh_data_dir();
    let token = random_token();
    let smtp = format!("smtp://{address}");
    let server = TestServer::start_with(
        &data_dir,
        &[
            ("BERTH_ADMIN_TOKEN", &token),
            ("BERTH_SMTP_URL", &smtp),
            ("BERTH_MAIL_FROM", "Shop <shop@example.com>"),
        ],
    )
    .await;
    let app = server.app("Mailing").await;
    let mut device = Device::new(&server, &app);
    device
        .ok(
            "User.register",
            json!({ "username": "reader@example.com", "password": "password1" }),
        )
        .await;
    device.ok("User.logout", json!({})).await;
    device
        .ok(
            "User.sendPasswordResetToken",
            json!({ "username": "reader@example.com", "options": {} }),
        )
        .await;

    let mails = received.lock().expect("lock").clone();
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert!(mails[0].contains("To: reader@example.com"), "{}", mails[0]);
    assert!(
        mails[0].contains("From: Shop <shop@example.com>"),
        "{}",
        mails[0]
    );
    let outbox = server
        .manage_ok(&app.backend, "Mailer.listOutbox", json!({}))
        .await;
    assert_eq!(outbox["items"][0]["status"], "sent");
    // The mail carries the token; the outbox copy of a sent mail does not (docs/security.md).
    let kept = outbox["items"][0]["body"]
        .as_str()
        .expect("body")
        .to_owned();
    assert!(kept.contains("[token sent, not kept]"), "{kept}");
    assert!(
        !mails[0].contains("[token sent, not kept]"),
        "the mail carries the token itself: {}",
        mails[0]
    );
}

#[tokio::test]
async fn a_refused_delivery_is_reported_and_kept() {
    // A port that was free a moment ago: nothing listens there.
    let closed = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind")
        .local_addr()
        .expect("address")
        .to_string();
    let (_guard, data_dir) = fresh_data_dir();
    let token = random_token();
    let smtp = format!("smtp://{closed}");
    let server = TestServer::start_with(
        &data_dir,
        &[("BERTH_ADMIN_TOKEN", &token), ("BERTH_SMTP_URL", &smtp)],
    )
    .await;
    let app = server.app("Unreachable").await;
    server
        .manage_ok(
            &app.backend,
            "Mailer.setTemplate",
            json!({ "name": "hello", "subject": "Hi", "body": "Hello" }),
        )
        .await;
    let mut device = Device::new(&server, &app);
    let user = device
        .ok(
            "User.register",
            json!({ "username": "x@example.com", "password": "password1" }),
        )
        .await;
    let oid = user["user"]["_id"].as_str().expect("oid").to_owned();
    let response = device
        .call(
            "Mailer.sendMail",
            json!({ "userOid": oid, "templateName": "hello" }),
        )
        .await;
    assert_rpc_error(&response, -32603, Some("reason"));
    let outbox = server
        .manage_ok(&app.backend, "Mailer.listOutbox", json!({}))
        .await;
    assert_eq!(outbox["items"][0]["status"], "failed");
    assert!(outbox["items"][0]["error"].is_string());
}
