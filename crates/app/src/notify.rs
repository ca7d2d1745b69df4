//! Sending the notifications of the outbox.
//!
//! Messages are written to the outbox in the same transaction as the change that causes
//! them; this worker leases due messages (so two nodes never send one twice), hands each to
//! the sender of its channel, and marks it sent — or retries with exponential backoff, giving
//! up after [`ATTEMPTS_MAX`]. Real SMS and WeChat gateways plug in behind [`Sender`]; the
//! default [`RecordingSender`] keeps the message in the database (the outbox row itself,
//! marked sent) and logs it, which is also how in-app (`web`) messages are delivered: the
//! recipient reads them from `GET /api/v1/notifications`.

use futures_util::future::BoxFuture;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use store::live::OutboxRow;
use store::Store;

/// Messages leased per round.
const BATCH_MAX: i64 = 100;
/// How long a lease lasts: longer than any send should take.
const LEASE: chrono::Duration = chrono::Duration::seconds(60);
/// Attempts before a message is marked failed.
pub const ATTEMPTS_MAX: i64 = 8;
/// First retry delay; doubled each attempt (5 s, 10 s, 20 s, … about 10 minutes at the 8th).
const RETRY_BASE_SECONDS: i64 = 5;
/// Pause between rounds when nothing is due.
const IDLE_POLL: Duration = Duration::from_millis(500);

/// Sends one message on one channel.
pub trait Sender: Send + Sync {
    fn send<'a>(&'a self, message: &'a OutboxRow) -> BoxFuture<'a, Result<(), String>>;
}

/// Keeps the message in the database and logs it: the development sender, and the delivery
/// of in-app messages.
pub struct RecordingSender;

impl Sender for RecordingSender {
    fn send<'a>(&'a self, m: &'a OutboxRow) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            tracing::info!(channel = %m.channel, user = ?m.recipient_user, subject = %m.subject, "notification");
            Ok(())
        })
    }
}

/// A duty missed and escalated, to tell the holders of its level: the one notice path for
/// every kind of matter (the matter's rules word the subject and body).
#[derive(Debug, Clone)]
pub struct Missed<'a> {
    /// The duty's name within its matter (with `due_at`, what makes a notice unique).
    pub duty: &'a str,
    pub due_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The level reached (1 = the ladder's first role).
    pub level: u8,
    /// The station the matter belongs to: a station-bound role is told only there.
    pub station: Option<&'a str>,
    pub subject: String,
    pub body: String,
}

/// The notices of one escalation: one to each holder of the ladder's role at `level` (the
/// top role for levels beyond the ladder), on the configured channel, each keyed so that it
/// is written once however often it is computed.
pub async fn escalation_notices(
    state: &crate::App,
    ladder: &[domain::role::Role],
    m: &Missed<'_>,
) -> Result<Vec<store::writer::OutboxMessage>, store::StoreError> {
    use domain::role::Role;
    let Some(role) = ladder.get((m.level.max(1) as usize - 1).min(ladder.len().saturating_sub(1))).copied() else {
        return Ok(vec![]);
    };
    let holders = match role {
        Role::StationOfficer => state.store.users_with_role(role, m.station).await?,
        _ => state.store.users_with_role(role, None).await?,
    };
    Ok(holders
        .into_iter()
        .map(|u| store::writer::OutboxMessage {
            dedupe_key: format!("escalate:{}:{}:{}", m.duty, m.due_at.map_or(0, |t| t.timestamp_millis()), u.id),
            channel: state.escalation.channel.clone(),
            recipient_user: Some(u.id),
            recipient_phone: u.phone.clone(),
            subject: m.subject.clone(),
            body: m.body.clone(),
        })
        .collect())
}

/// Senders by channel.
pub type Senders = HashMap<String, Arc<dyn Sender>>;

pub fn default_senders() -> Senders {
    let r: Arc<dyn Sender> = Arc::new(RecordingSender);
    ["sms", "wechat", "web"].into_iter().map(|c| (c.to_owned(), r.clone())).collect()
}

/// When to try again after `attempts` failed attempts; `None` to give up.
pub fn retry_at(now: chrono::DateTime<chrono::Utc>, attempts: i64) -> Option<chrono::DateTime<chrono::Utc>> {
    (attempts < ATTEMPTS_MAX).then(|| now + chrono::Duration::seconds(RETRY_BASE_SECONDS << attempts.clamp(0, 20)))
}

/// Sends what is due until `stop` turns true.
pub async fn run(
    store: Store,
    senders: Senders,
    clock: Arc<dyn crate::clock::Clock>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        if *stop.borrow() {
            break;
        }
        let worked = round(&store, &senders, clock.now()).await.unwrap_or_else(|e| {
            tracing::warn!(error = %e, "outbox round failed; retrying");
            0
        });
        if worked == 0 {
            tokio::select! {
                _ = tokio::time::sleep(IDLE_POLL) => {}
                _ = stop.changed() => {}
            }
        }
    }
}

/// One round as of `now`: lease, send, record. Returns how many messages it handled.
pub async fn round(store: &Store, senders: &Senders, now: chrono::DateTime<chrono::Utc>) -> store::Result<usize> {
    let due = store.claim_outbox(now, now + LEASE, BATCH_MAX).await?;
    for m in &due {
        let result = match senders.get(&m.channel) {
            Some(s) => s.send(m).await,
            None => Err(format!("no sender for channel {}", m.channel)),
        };
        match result {
            Ok(()) => store.outbox_sent(m.id, now).await?,
            Err(e) => {
                let next = retry_at(now, m.attempts + 1);
                if next.is_none() {
                    tracing::error!(id = m.id, error = %e, "notification failed for good");
                }
                store.outbox_failed(m.id, &e, next).await?;
            }
        }
    }
    Ok(due.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_then_gives_up() {
        let now = chrono::Utc::now();
        assert_eq!(retry_at(now, 1), Some(now + chrono::Duration::seconds(10)));
        assert_eq!(retry_at(now, 2), Some(now + chrono::Duration::seconds(20)));
        assert_eq!(retry_at(now, ATTEMPTS_MAX), None);
    }
}
