//! The HTTP server of `meridian serve`: hyper's HTTP/1 connections with limits, so that slow
//! or idle clients cannot hold the server.
//!
//! - headers must arrive within `header_timeout` of the connection opening or of the previous
//!   answer (hyper's header-read timeout: a client sending a byte at a time, or nothing, is
//!   disconnected);
//! - a request's body must arrive, and its answer be ready, within `request_timeout` (tower-http's
//!   timeout: a client sending its body a byte at a time gets 408);
//! - a connection on which no byte moves either way for `idle_timeout` is closed (a client
//!   that stops reading an answer);
//! - at most `max_connections` at once: beyond them the server stops accepting, and further
//!   clients wait in the kernel's listen queue instead of taking file descriptors.

use anyhow::{Context, Result};
use clap::Args;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// Connection limits (also as environment variables).
#[derive(Args, Clone, Debug)]
pub struct Limits {
    /// Seconds a client has to send a request's headers, from connecting or from the previous
    /// answer on the connection.
    #[arg(long, env = "MERIDIAN_HEADER_TIMEOUT", default_value = "10", value_parser = seconds)]
    pub header_timeout: Duration,
    /// Seconds within which a request's body must arrive and its answer be ready (else 408).
    #[arg(long, env = "MERIDIAN_REQUEST_TIMEOUT", default_value = "30", value_parser = seconds)]
    pub request_timeout: Duration,
    /// Seconds after which a connection on which nothing is sent or received is closed.
    #[arg(long, env = "MERIDIAN_IDLE_TIMEOUT", default_value = "60", value_parser = seconds)]
    pub idle_timeout: Duration,
    /// Most connections served at once; more wait to be accepted. Keep it below the
    /// process's open-file limit (`ulimit -n`) less what the database needs.
    #[arg(long, env = "MERIDIAN_MAX_CONNECTIONS", default_value = "512")]
    pub max_connections: u32,
}

fn seconds(text: &str) -> Result<Duration, String> {
    text.trim()
        .parse::<f64>()
        .ok()
        .and_then(|s| Duration::try_from_secs_f64(s).ok())
        .filter(|d| !d.is_zero())
        .ok_or_else(|| format!("expected a positive number of seconds, got {text:?}"))
}

/// Serves `router` on `listener` until `shutdown` completes, then lets the requests in flight
/// finish.
pub async fn serve(
    listener: TcpListener,
    router: axum::Router,
    limits: &Limits,
    shutdown: impl Future<Output = ()>,
) -> Result<()> {
    let service = tower::ServiceBuilder::new()
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            limits.request_timeout,
        ))
        .service(router);
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1) as usize));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = permits.clone().acquire_owned() => permit.context("connection limit")?,
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors, or a connection reset before it was accepted:
                    // wait a moment rather than spin.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let mut stream = tokio_io_timeout::TimeoutStream::new(stream);
        stream.set_read_timeout(Some(limits.idle_timeout));
        stream.set_write_timeout(Some(limits.idle_timeout));
        let io = TokioIo::new(Box::pin(stream));
        // Handlers that count per client (web forms' rate limit) read the peer address.
        let with_peer = tower::Layer::layer(
            &axum::Extension(axum::extract::ConnectInfo(peer)),
            service.clone(),
        );
        let conn = http.serve_connection(io, TowerToHyperService::new(with_peer));
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, %peer, "connection closed");
            }
            drop(permit);
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}
