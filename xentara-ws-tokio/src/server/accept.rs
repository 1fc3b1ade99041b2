//! The accept loop: one task per connection, counted against the connection limit,
//! until the shutdown; then the wait for the connections, up to the deadline.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::{Instant, timeout, timeout_at};
use tokio_rustls::TlsAcceptor;

use super::connection::{self, Context, End};
use super::{ChangeFeed, Peer, Service, Shared, ShutdownReport, upgrade};

/// The accept loop: one task per connection, until the shutdown; then waits for them.
pub(super) async fn accept<F, A>(
    listener: TcpListener,
    shared: Arc<Shared<F>>,
    feed: ChangeFeed,
    stop: Arc<watch::Sender<bool>>,
    mut deadline: watch::Receiver<Option<Instant>>,
) -> ShutdownReport
where
    F: Fn(&Peer) -> Option<A> + Send + Sync + 'static,
    A: Service,
{
    let mut tasks = JoinSet::new();
    let mut stopping = stop.subscribe();
    loop {
        tokio::select! {
            biased;
            // Reaped as they end, so that the set does not grow with every connection.
            Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
            _ = stopping.changed() => break,
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(accepted) => accepted,
                    // Out of file descriptors, say: the connection waits in the backlog.
                    Err(e) => {
                        tracing::warn!("accept: {e}");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let live = Live::count(&shared.live);
                let full = live.0 > shared.limits.max_connections;
                // A connection refused (HTTP 503) holds no place while it is answered.
                let live = (!full).then_some(live);
                let cx = Context {
                    limits: shared.limits,
                    config: shared.config,
                    epoch: shared.epoch,
                    changes: feed.subscribe(),
                    shutdown: stop.subscribe(),
                };
                let shared = shared.clone();
                tasks.spawn(async move {
                    // Counted until the task ends, even by a panic of the application.
                    let _live = live;
                    match secure(stream, peer, &shared, full, cx).await {
                        Ok(end) => tracing::debug!("{peer}: {end:?}"),
                        Err(e) => tracing::debug!("{peer}: {e}"),
                    }
                });
            }
        }
    }
    drop(listener);
    // The connections open now (refused ones are not counted), whether or not their
    // tasks have been reaped.
    let open = shared.live.load(Ordering::Relaxed);
    let deadline = deadline
        .wait_for(Option::is_some)
        .await
        .ok()
        .and_then(|d| *d)
        .unwrap_or_else(Instant::now);
    while let Ok(Some(_)) = timeout_at(deadline, tasks.join_next()).await {}
    let aborted = shared.live.load(Ordering::Relaxed);
    let report = ShutdownReport {
        closed: open.saturating_sub(aborted),
        aborted,
    };
    tasks.shutdown().await;
    report
}

/// One connection counted in the server's live count, until dropped.
struct Live(usize, Arc<AtomicUsize>);

impl Live {
    /// Counts one more; `.0` is the count with it.
    fn count(live: &Arc<AtomicUsize>) -> Live {
        Live(live.fetch_add(1, Ordering::Relaxed) + 1, live.clone())
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        self.1.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Serves one TCP connection: the TLS handshake first when configured, then the upgrade
/// and the session.
async fn secure<F, A>(
    stream: TcpStream,
    peer: SocketAddr,
    shared: &Shared<F>,
    full: bool,
    cx: Context,
) -> Result<End, String>
where
    F: Fn(&Peer) -> Option<A> + Send + Sync + 'static,
    A: Service,
{
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    let Some(tls) = &shared.tls else {
        let (ws, app, answers) = upgrade::accept(stream, peer, shared, full).await?;
        return Ok(connection::serve(ws, app, answers, cx).await);
    };
    // Boxed: the TLS handshake and stream are large, and every task would carry their
    // size, a plain connection's too.
    Box::pin(secure_tls(tls, stream, peer, shared, full, cx)).await
}

/// [`secure`] over TLS: the TLS handshake, then the upgrade and the session.
async fn secure_tls<F, A>(
    tls: &TlsAcceptor,
    stream: TcpStream,
    peer: SocketAddr,
    shared: &Shared<F>,
    full: bool,
    cx: Context,
) -> Result<End, String>
where
    F: Fn(&Peer) -> Option<A> + Send + Sync + 'static,
    A: Service,
{
    let stream = timeout(shared.limits.handshake, tls.accept(stream))
        .await
        .map_err(|_| "TLS handshake timed out".to_owned())?
        .map_err(|e| format!("TLS: {e}"))?;
    let (ws, app, answers) = upgrade::accept(stream, peer, shared, full).await?;
    Ok(connection::serve(ws, app, answers, cx).await)
}
