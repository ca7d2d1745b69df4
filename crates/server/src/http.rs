//! The HTTP server loop: HTTP/1.1 with a cap on concurrent connections and timeouts for a
//! request's head, its body and a kept-alive connection waiting for its next request, so
//! idle or half-sent connections cannot pile up. Each request carries the peer's address
//! ([`ClientAddr`]) for the per-address limits.

use axum::extract::ConnectInfo;
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tower::ServiceExt;

/// Connections served at once: thousands of phones and screens fit; a flood of idle
/// sockets waits in the kernel's backlog instead of holding memory here.
pub const CONNECTIONS_MAX: usize = 2048;
/// A request's head must arrive within this, and so must the next request on a kept-alive
/// connection: a slow phone needs well under a second; 10 s is generous.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// A request's body must arrive within this: an 8 MiB photo over a slow 1 Mbit/s uplink
/// takes about 70 s.
pub const BODY_READ_TIMEOUT: Duration = Duration::from_secs(120);
/// After shutdown is asked, requests under way get this long to finish (live streams end
/// with the node's workers).
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// The server's limits; [`HttpLimits::default`] takes the named constants above.
#[derive(Debug, Clone, Copy)]
pub struct HttpLimits {
    pub connections_max: usize,
    pub header_read_timeout: Duration,
    pub body_read_timeout: Duration,
}

impl Default for HttpLimits {
    fn default() -> Self {
        Self {
            connections_max: CONNECTIONS_MAX,
            header_read_timeout: HEADER_READ_TIMEOUT,
            body_read_timeout: BODY_READ_TIMEOUT,
        }
    }
}

/// Serves `app` on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: HttpLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let app = app.layer(tower_http::timeout::RequestBodyTimeoutLayer::new(limits.body_read_timeout));
    let permits = Arc::new(tokio::sync::Semaphore::new(limits.connections_max));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(limits.header_read_timeout).keep_alive(true);
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            p = permits.clone().acquire_owned() => p.expect("the semaphore is never closed"),
            _ = &mut shutdown => break,
        };
        let (tcp, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    // Out of file descriptors and the like: wait a moment rather than spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        // Small JSON answers go out at once instead of waiting for the peer's ACK (Nagle).
        let _ = tcp.set_nodelay(true);
        let svc = app.clone().map_request(move |mut req: axum::extract::Request<hyper::body::Incoming>| {
            req.extensions_mut().insert(ConnectInfo(peer));
            req
        });
        let conn = graceful.watch(http.serve_connection(TokioIo::new(tcp), TowerToHyperService::new(svc)));
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, %peer, "connection ended with an error");
            }
            drop(permit);
        });
    }
    drop(listener);
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown()).await.is_err() {
        tracing::info!("requests still under way after the grace period were cut");
    }
}

/// The peer's address, when the server loop recorded it (tests that call the router
/// directly have none).
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub Option<IpAddr>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip())))
    }
}

impl ClientAddr {
    /// A key for per-address limits.
    pub fn key(&self) -> String {
        self.0.map_or_else(|| "addr:unknown".to_owned(), |a| format!("addr:{a}"))
    }
}
