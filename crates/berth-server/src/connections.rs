//! Accepting connections and speaking HTTP/1.1 and HTTP/2 on them, with the connection-level limits
//! `axum::serve` does not expose: a deadline for the request head (slowloris), and room for more
//! header lines than the API allows so that the API, not hyper, answers such requests in its own
//! format (see `http::limits`).

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tower::ServiceExt;

use crate::http::limits::MAX_HEADER_COUNT;

/// Header lines hyper itself accepts: more than the API allows, so that the API's own check answers.
const PARSER_MAX_HEADERS: usize = MAX_HEADER_COUNT * 2;

/// Connection-level settings.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// A client must send the whole request head (request line and headers) within this time, or the
    /// connection is closed without an answer: there is no request to answer yet. The same holds
    /// for a new connection's first bytes and for an idle keep-alive connection's next request.
    pub header_read_timeout: Duration,
}

/// Serves `app` on `listener` until `shutdown` completes, then finishes the requests in flight.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_headers(PARSER_MAX_HEADERS);
    builder.http2().timer(TokioTimer::new());
    let builder = Arc::new(builder);
    let graceful = GracefulShutdown::new();
    // Tells connections still waiting for their first bytes that the server is stopping: they hold
    // a graceful-shutdown watcher, which would otherwise keep the stop waiting for their timeout.
    let (stopping, stopping_seen) = tokio::sync::watch::channel(());
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors and the like: wait a little rather than spin.
                    tracing::warn!(%error, "could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let service = app
            .clone()
            .map_request(move |request: Request<Incoming>| with_peer(request, peer));
        let builder = builder.clone();
        let watcher = graceful.watcher();
        let mut stopping_seen = stopping_seen.clone();
        tokio::spawn(async move {
            let arrived = tokio::select! {
                arrived = first_bytes_arrive(&stream, limits.header_read_timeout) => arrived,
                _ = stopping_seen.changed() => false,
            };
            if !arrived {
                tracing::debug!(%peer, "closed a connection that sent nothing in time");
                return;
            }
            let connection = builder
                .serve_connection_with_upgrades(
                    TokioIo::new(stream),
                    TowerToHyperService::new(service),
                )
                .into_owned();
            if let Err(error) = watcher.watch(connection).await {
                tracing::debug!(%peer, error = %error, "connection ended with an error");
            }
        });
    }
    drop(listener);
    let _ = stopping.send(());
    graceful.shutdown().await;
    Ok(())
}

/// Waits (at most `limit`) until the client has sent enough to tell HTTP/1 from HTTP/2. hyper's
/// header read timeout starts only once the protocol is known, so without this a client that connects
/// and sends nothing (or half the HTTP/2 preface) would hold the connection for ever.
async fn first_bytes_arrive(stream: &TcpStream, limit: Duration) -> bool {
    const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
    let sniff = async {
        let mut buffer = [0u8; 24];
        loop {
            match stream.peek(&mut buffer).await {
                Ok(0) | Err(_) => return false,
                Ok(read) if read >= PREFACE.len() || buffer[..read] != PREFACE[..read] => {
                    return true;
                }
                // Part of the preface: peeking again would return at once; wait for more.
                Ok(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            }
        }
    };
    tokio::time::timeout(limit, sniff).await.unwrap_or(false)
}

fn with_peer(request: Request<Incoming>, peer: SocketAddr) -> Request<Body> {
    let mut request = request.map(Body::new);
    request.extensions_mut().insert(ConnectInfo(peer));
    request
}
