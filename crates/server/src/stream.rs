//! `GET /api/v1/stream`: Server-Sent Events of case and responder changes.
//!
//! Changes are read from the database's change log, which every node writes in commit
//! order, so a screen on one node sees changes made through another. One poller per node
//! ([`run_hub`]) follows the log and broadcasts to the node's open streams; each stream
//! first replays what the client missed (from `Last-Event-ID`), then follows the broadcast,
//! skipping nothing and repeating nothing. Each viewer sees only what their role and area
//! allow.

use crate::auth::Session;
use crate::error::{ApiError, ApiResult};
use crate::AppState;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use domain::role::{Permission, Scope};
use std::collections::HashSet;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use store::live::Audience;
use store::live::Change;
use tokio::sync::broadcast;

/// How often the node looks for new changes: bounds how long a change takes to reach a
/// screen.
const HUB_POLL: Duration = Duration::from_millis(100);
/// Changes read per look.
const HUB_BATCH_MAX: i64 = 1000;
/// Changes a slow stream may lag behind before it is told to reload.
const BROADCAST_CAPACITY: usize = 4096;
/// Changes replayed on reconnection at most; a client further behind is told to reload.
const REPLAY_MAX: i64 = 10_000;
/// How long changes are kept for resuming streams: a screen off for longer reloads.
const CHANGE_RETENTION: chrono::Duration = chrono::Duration::days(7);
/// How often old changes are pruned.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

/// The sequence number of a position ping in the broadcast: it has no place in the change
/// log, is sent without an event id and is not replayed (the newest position is what counts).
const PING: i64 = 0;

/// The node's broadcast of new changes.
pub struct Hub {
    tx: broadcast::Sender<Arc<Change>>,
    /// The newest change broadcast so far.
    last: std::sync::atomic::AtomicI64,
    /// Turns true when the node shuts down: every open stream ends, so browsers holding one
    /// do not hold the shutdown up (they reconnect to another node, or when it is back).
    closing: tokio::sync::watch::Sender<bool>,
}

impl Default for Hub {
    fn default() -> Self {
        Self {
            tx: broadcast::channel(BROADCAST_CAPACITY).0,
            last: std::sync::atomic::AtomicI64::new(-1),
            closing: tokio::sync::watch::channel(false).0,
        }
    }
}

impl Hub {
    /// Ends every open stream (the node is shutting down).
    pub fn close(&self) {
        let _ = self.closing.send(true);
    }
}

/// Follows the change log and broadcasts what is new, until `stop` turns true.
pub async fn run_hub(state: Arc<AppState>, mut stop: tokio::sync::watch::Receiver<bool>) {
    let hub = &state.hub;
    let mut last = loop {
        match state.store.last_change_seq().await {
            Ok(s) => break s,
            Err(e) => {
                tracing::warn!(error = %e, "stream hub cannot read the change log; retrying");
                tokio::time::sleep(HUB_POLL * 10).await;
            }
        }
    };
    hub.last.store(last, std::sync::atomic::Ordering::SeqCst);
    // Positions are followed apart from the change log: they are pings, not changes.
    let mut last_position = state.store.last_position_seq().await.unwrap_or(0);
    let mut pruned_at: Option<std::time::Instant> = None;
    loop {
        if *stop.borrow() {
            break;
        }
        if pruned_at.is_none_or(|t| t.elapsed() >= PRUNE_EVERY) {
            pruned_at = Some(std::time::Instant::now());
            if let Err(e) = state.store.prune_changes(state.clock.now() - CHANGE_RETENTION).await {
                tracing::warn!(error = %e, "cannot prune the change log");
            }
        }
        match state.store.changes_after(last, HUB_BATCH_MAX).await {
            Ok(changes) => {
                for c in changes {
                    last = c.seq;
                    let _ = hub.tx.send(Arc::new(c));
                }
                hub.last.store(last, std::sync::atomic::Ordering::SeqCst);
            }
            Err(e) => tracing::warn!(error = %e, "stream hub cannot read the change log"),
        }
        match state.store.positions_after(last_position, HUB_BATCH_MAX).await {
            Ok(pings) => {
                for (seq, id, lat, lng, at) in pings {
                    last_position = seq;
                    let payload =
                        serde_json::json!({"id": id, "lat": lat, "lng": lng, "position_at": at.timestamp_millis()});
                    let _ = hub.tx.send(Arc::new(Change {
                        seq: PING,
                        at,
                        kind: store::live::ChangeKind::Responder,
                        entity_id: id,
                        grid: None,
                        reported_by: None,
                        payload: payload.to_string(),
                    }));
                }
            }
            Err(e) => tracing::warn!(error = %e, "stream hub cannot read positions"),
        }
        tokio::select! {
            _ = tokio::time::sleep(HUB_POLL) => {}
            _ = stop.changed() => {}
        }
    }
}

/// Whether the viewer may see a change. `responders` are the ones whose changes the viewer
/// may see (their positions are scoped like cases).
fn visible(state: &AppState, session: &Session, responders: &HashSet<i64>, c: &Change) -> bool {
    match c.kind.audience() {
        Audience::Nobody => false,
        Audience::ResponderScope => session.role().may(Permission::ViewResponders) && responders.contains(&c.entity_id),
        Audience::CaseScope => match session.role().scope() {
            Scope::All => true,
            Scope::Grid => session.user.grid.is_some() && c.grid == session.user.grid,
            Scope::Station => {
                let own = session.user.station.as_ref().and_then(|st| state.station_grids.get(st));
                match (own, &c.grid) {
                    (Some(grids), Some(g)) => grids.iter().any(|x| x.as_str() == g),
                    _ => false,
                }
            }
            Scope::OwnReports => c.reported_by == Some(session.user.id),
        },
    }
}

fn event(c: &Change) -> Event {
    let e = Event::default().event(c.kind.as_str()).data(c.payload.as_str());
    if c.seq == PING {
        e
    } else {
        e.id(c.seq.to_string())
    }
}

/// Live changes, resumable: send `Last-Event-ID` (or `?last_event_id=`) to get what was
/// missed since that event.
#[utoipa::path(get, path = "/api/v1/stream", params(("Last-Event-ID" = Option<i64>, Header, description = "resume after this event")),
    responses((status = 200, description = "text/event-stream of `case` and `responder` events; data is the new state as JSON")),
    security(("bearer" = [])))]
pub async fn stream(
    State(state): State<Arc<AppState>>,
    session: Session,
    headers: HeaderMap,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> ApiResult<Sse<impl futures_util::Stream<Item = Result<Event, Infallible>>>> {
    let from_query = query.as_deref().and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("last_event_id=")));
    let resume = headers.get("last-event-id").and_then(|v| v.to_str().ok()).or(from_query);
    let resume: Option<i64> = match resume {
        Some(v) => Some(
            v.trim().parse().map_err(|_| ApiError::bad_request("Last-Event-ID must be a number this server sent"))?,
        ),
        None => None,
    };
    // Subscribe before reading the log, so nothing falls between replay and broadcast.
    let mut rx = state.hub.tx.subscribe();
    let mut last = match resume {
        Some(id) => id,
        None => state.store.last_change_seq().await?,
    };
    let mut replay: Vec<Arc<Change>> = vec![];
    let mut reset = false;
    if resume.is_some() {
        let first = state.store.first_change_seq().await?;
        if last + 1 < first {
            reset = true;
        } else {
            let changes = state.store.changes_after(last, REPLAY_MAX + 1).await?;
            if changes.len() as i64 > REPLAY_MAX {
                reset = true;
            } else {
                replay = changes.into_iter().map(Arc::new).collect();
            }
        }
    }
    if reset {
        last = state.store.last_change_seq().await?;
        replay.clear();
    }
    let responders: HashSet<i64> = state
        .store
        .responders()
        .await?
        .iter()
        .filter(|r| crate::auth::sees_responder(&state, &session.user, r))
        .map(|r| r.id)
        .collect();
    let (tx, out) = tokio::sync::mpsc::channel::<Event>(256);
    let mut closing = state.hub.closing.subscribe();
    tokio::spawn(async move {
        if reset {
            let e =
                Event::default().id(last.to_string()).event("reset").data("{\"reason\":\"too far behind: reload\"}");
            if tx.send(e).await.is_err() {
                return;
            }
        }
        for c in replay {
            last = c.seq;
            if visible(&state, &session, &responders, &c) && tx.send(event(&c)).await.is_err() {
                return;
            }
        }
        loop {
            let next = tokio::select! {
                r = rx.recv() => r,
                _ = closing.wait_for(|c| *c) => return,
            };
            match next {
                Ok(c) if c.seq == PING => {
                    if visible(&state, &session, &responders, &c) && tx.send(event(&c)).await.is_err() {
                        return;
                    }
                }
                Ok(c) if c.seq <= last => {}
                Ok(c) => {
                    last = c.seq;
                    if visible(&state, &session, &responders, &c) && tx.send(event(&c)).await.is_err() {
                        return;
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    let e = Event::default()
                        .id(last.to_string())
                        .event("reset")
                        .data("{\"reason\":\"fell behind: reload\"}");
                    let _ = tx.send(e).await;
                    return;
                }
                Err(broadcast::error::RecvError::Closed) => return,
            }
        }
    });
    let stream = futures_util::stream::unfold(out, |mut out| async move { out.recv().await.map(|e| (Ok(e), out)) });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}
