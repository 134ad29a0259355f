//! Accepting TCP connections and serving HTTP/1.1 (WebSocket upgrades included) on them.
//!
//! Owns: the accept loop and the limits in front of every request: a deadline for the
//! request headers (which also bounds a WebSocket handshake and an idle keep-alive
//! connection), a cap of open connections per client address, and a total cap that keeps
//! [`FD_RESERVE`] file descriptors free for storage (journal, day files, snapshots, index).
//! Never: looks at a request beyond its headers' arrival, or blocks on anything but
//! `accept`.

use crate::metrics::Metrics;
use axum::Router;
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::collections::HashMap;
use std::future::Future;
use std::net::IpAddr;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;
use tower::ServiceExt;

/// A client must send a complete request head within this long of connecting (or of its
/// previous response): slow-loris and silent connections are closed, not kept.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(5);
/// File descriptors never handed to connections: redb day files, the journals, snapshots
/// and tantivy segments need some even when every connection slot is taken.
pub const FD_RESERVE: u64 = 256;
/// Connections at most, whatever the descriptor limit.
pub const MAX_CONNECTIONS: usize = 65_536;
/// Fewest connections the total cap allows (a tiny descriptor limit still serves).
const MIN_CONNECTIONS: usize = 64;
/// After a failed accept (out of descriptors) wait this long before the next.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// The limits the accept loop enforces.
#[derive(Debug, Clone)]
pub struct ConnectionLimits {
    pub per_address: usize,
    pub total: usize,
    pub header_timeout: Duration,
    /// Addresses exempt from the per-address cap (trusted reverse proxies).
    pub exempt: Vec<crate::auth::IpCidr>,
}

impl ConnectionLimits {
    /// The total cap from the process's descriptor limit, after raising the soft limit to
    /// the hard one (both logged).
    pub fn from_descriptor_limit(per_address: usize, exempt: Vec<crate::auth::IpCidr>) -> ConnectionLimits {
        let fds = raise_descriptor_limit();
        let total = match fds {
            Some(n) => usize::try_from(n.saturating_sub(FD_RESERVE)).unwrap_or(MAX_CONNECTIONS),
            None => MAX_CONNECTIONS,
        }
        .clamp(MIN_CONNECTIONS, MAX_CONNECTIONS);
        tracing::info!(
            descriptors = fds,
            max_connections = total,
            per_address,
            "connection limits ({FD_RESERVE} descriptors kept for storage)"
        );
        ConnectionLimits { per_address: per_address.max(1), total, header_timeout: HEADER_READ_TIMEOUT, exempt }
    }
}

/// Serves `router` on `listener` until `shutdown` resolves, then lets open connections
/// finish (in-flight requests complete; WebSockets are closed by their owners).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    metrics: Arc<impl AsRef<Metrics> + Send + Sync + 'static>,
    shutdown: impl Future<Output = ()>,
) {
    let open = Arc::new(OpenConnections::default());
    let (close_tx, close_rx) = tokio::sync::watch::channel(false);
    let mut shutdown = std::pin::pin!(shutdown);
    let mut last_error_log: Option<std::time::Instant> = None;
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = &mut shutdown => break,
        };
        let (stream, peer) = match accepted {
            Ok(a) => a,
            Err(e) => {
                (*metrics).as_ref().guard.accept_errors.fetch_add(1, Ordering::Relaxed);
                if last_error_log.is_none_or(|t| t.elapsed() > Duration::from_secs(10)) {
                    tracing::error!(error = %e, "accept failed; retrying shortly");
                    last_error_log = Some(std::time::Instant::now());
                }
                tokio::time::sleep(ACCEPT_BACKOFF).await;
                continue;
            }
        };
        let exempt = limits.exempt.iter().any(|c| c.contains(peer.ip().to_canonical()));
        let slot = match open.admit(peer.ip(), &limits, exempt) {
            Ok(slot) => slot,
            Err(refusal) => {
                let m = (*metrics).as_ref();
                match refusal {
                    Refusal::Total => m.guard.connections_refused_total.fetch_add(1, Ordering::Relaxed),
                    Refusal::PerAddress => m.guard.connections_refused_per_address.fetch_add(1, Ordering::Relaxed),
                };
                drop(stream);
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let service = router.clone().map_request(move |req: hyper::Request<hyper::body::Incoming>| {
            let mut req = req.map(axum::body::Body::new);
            req.extensions_mut().insert(ConnectInfo(peer));
            req
        });
        let hyper_service = TowerToHyperService::new(service);
        let mut close_rx = close_rx.clone();
        let metrics = metrics.clone();
        let header_timeout = limits.header_timeout;
        tokio::spawn(async move {
            let _slot = slot;
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder.timer(TokioTimer::new()).header_read_timeout(header_timeout);
            let conn = builder.serve_connection(TokioIo::new(stream), hyper_service).with_upgrades();
            let mut conn = std::pin::pin!(conn);
            let result = tokio::select! {
                r = conn.as_mut() => r,
                _ = async { let _ = close_rx.wait_for(|v| *v).await; } => {
                    conn.as_mut().graceful_shutdown();
                    conn.as_mut().await
                }
            };
            if let Err(e) = result
                && e.is_timeout()
            {
                (*metrics).as_ref().guard.connections_header_timeout.fetch_add(1, Ordering::Relaxed);
            }
        });
    }
    let _ = close_tx.send(true);
    // Connections end once their current request is answered; wait for them briefly.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while open.total() > 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

enum Refusal {
    Total,
    PerAddress,
}

/// Open connections, in total and per address key.
#[derive(Default)]
struct OpenConnections {
    inner: Mutex<Counts>,
}

#[derive(Default)]
struct Counts {
    total: usize,
    by_addr: HashMap<IpAddr, usize>,
}

/// One admitted connection; released on drop.
struct ConnectionSlot {
    open: Arc<OpenConnections>,
    key: IpAddr,
}

impl OpenConnections {
    fn admit(self: &Arc<Self>, ip: IpAddr, limits: &ConnectionLimits, exempt: bool) -> Result<ConnectionSlot, Refusal> {
        let key = addr_key(ip);
        let mut c = self.lock();
        if c.total >= limits.total {
            return Err(Refusal::Total);
        }
        let n = c.by_addr.get(&key).copied().unwrap_or(0);
        if !exempt && n >= limits.per_address {
            return Err(Refusal::PerAddress);
        }
        c.total += 1;
        c.by_addr.insert(key, n + 1);
        Ok(ConnectionSlot { open: self.clone(), key })
    }

    fn total(&self) -> usize {
        self.lock().total
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Counts> {
        // Two counters updated together; a poisoned lock still holds consistent numbers.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        let mut c = self.open.lock();
        c.total = c.total.saturating_sub(1);
        if let Some(n) = c.by_addr.get_mut(&self.key) {
            *n -= 1;
            if *n == 0 {
                c.by_addr.remove(&self.key);
            }
        }
    }
}

/// IPv4 as is; IPv6 per /64 (one subscriber's block), like the login limiter.
fn addr_key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => IpAddr::V6((u128::from(v6) & (u128::MAX << 64)).into()),
        v4 => v4,
    }
}

/// Raises the soft descriptor limit to the hard one; returns the resulting soft limit.
fn raise_descriptor_limit() -> Option<u64> {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let mut lim = getrlimit(Resource::Nofile);
    if let (Some(cur), Some(max)) = (lim.current, lim.maximum)
        && cur < max
    {
        lim.current = Some(max);
        if setrlimit(Resource::Nofile, lim).is_err() {
            lim.current = Some(cur);
        }
    }
    lim.current
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(per_address: usize, total: usize) -> ConnectionLimits {
        ConnectionLimits { per_address, total, header_timeout: HEADER_READ_TIMEOUT, exempt: Vec::new() }
    }

    #[test]
    fn per_address_and_total_caps_hold_and_release_on_drop() {
        let open = Arc::new(OpenConnections::default());
        let l = limits(2, 3);
        let a: IpAddr = "198.51.100.1".parse().unwrap();
        let b: IpAddr = "198.51.100.2".parse().unwrap();
        let s1 = open.admit(a, &l, false).ok().unwrap();
        let _s2 = open.admit(a, &l, false).ok().unwrap();
        assert!(matches!(open.admit(a, &l, false), Err(Refusal::PerAddress)));
        let exempt = open.admit(a, &l, true);
        assert!(exempt.is_ok(), "exempt addresses skip the per-address cap");
        assert!(matches!(open.admit(b, &l, false), Err(Refusal::Total)));
        drop(s1);
        assert!(open.admit(b, &l, false).is_ok());
    }

    #[test]
    fn ipv6_neighbours_share_a_cap() {
        let open = Arc::new(OpenConnections::default());
        let l = limits(1, 10);
        let _s = open.admit("2001:db8::1".parse().unwrap(), &l, false).ok().unwrap();
        assert!(open.admit("2001:db8::2".parse().unwrap(), &l, false).is_err());
        assert!(open.admit("2001:db8:1::2".parse().unwrap(), &l, false).is_ok());
    }
}
