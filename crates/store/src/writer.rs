//! Group commit: one task per node writes queued case changes in batches.
//!
//! Every request waits on its own reply channel; the task takes the first queued job, adds
//! whatever else is already waiting (up to [`BATCH_JOBS_MAX`]), writes them in one
//! transaction, commits once, and only then answers. If the transaction fails, its jobs are
//! written again one by one, so one bad job fails alone. Under load a batch fills
//! while the previous commit is being flushed, so durable commits cost well under one fsync
//! per case; with no load a job is written alone at once, with no added wait.

use crate::audit::{AuditEntry, AuditKey, Chain};
use crate::cases::{case_columns, case_row, event_row, next_id, update_case_row, write_children, EVENT_COLUMNS};
use crate::obligations::{obligation_rows, OBLIGATION_COLUMNS};
use crate::rows::{insert_new_rows, insert_rows, Val};
use crate::{to_millis, Backend, Conn, Result, StoreError};
use domain::case::{self, Actor, Case, NewCase};
use domain::deadline::Deadlines;
use domain::obligation::{MatterKind, Obligation, Terms};
use domain::Timestamp;
use sqlx::{AnyPool, Row};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot, Mutex};

/// Jobs waiting for the writer; beyond this a request waits to queue (back-pressure) rather
/// than the node holding unbounded memory.
const WRITE_QUEUE_MAX: usize = 8192;
/// Jobs per transaction: large enough to amortise one fsync over a burst, small enough that
/// a batch's transaction stays short for the readers and other nodes.
const BATCH_JOBS_MAX: usize = 512;

/// A reporter's personal data, stored apart from the case.
#[derive(Debug, Clone, PartialEq)]
pub struct ReporterInput {
    pub name: Option<String>,
    pub phone: Option<String>,
}

/// Everything needed to create and record a case.
#[derive(Debug, Clone)]
pub struct CreateCase {
    pub new: NewCase,
    pub reporter: Option<ReporterInput>,
    pub deadlines: Deadlines,
    pub actor: Actor,
    pub at: Timestamp,
    /// What goes with the write: the next alert instant and notifications.
    pub extras: Extras,
    /// The client's key for this report (scoped by the caller, e.g. `api:USER:KEY`): a
    /// second creation with a key used in the last 24 hours fails with a conflict, and
    /// [`crate::Store::case_for_key`] finds the first.
    pub idempotency_key: Option<String>,
}

/// What a case write carries besides the case: the terms its obligations are stated in
/// (`domain::case::obligations` turns the case into its rows, with their alert instants for
/// the deadline runner's index) and the notifications it causes, which are written to the
/// outbox in the same transaction.
#[derive(Debug, Clone, Default)]
pub struct Extras {
    pub terms: Terms,
    pub outbox: Vec<OutboxMessage>,
}

/// A notification to send. Its `dedupe_key` is made unique per case by the writer, so the
/// same event never notifies the same person twice.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxMessage {
    pub dedupe_key: String,
    /// `sms`, `wechat` or `web` (in-app).
    pub channel: String,
    pub recipient_user: Option<i64>,
    pub recipient_phone: Option<String>,
    pub subject: String,
    pub body: String,
}

enum Job {
    Create(Box<CreateCase>, oneshot::Sender<Result<Case>>),
    Save {
        after: Box<Case>,
        expected_version: u32,
        assignments_stored: usize,
        extras: Extras,
        reply: oneshot::Sender<Result<()>>,
    },
    Shutdown,
}

#[derive(Clone)]
pub(crate) struct Handle {
    tx: mpsc::Sender<Job>,
    task: Arc<Mutex<Option<tokio::task::JoinHandle<()>>>>,
    /// Why the last batch could not commit, until one commits again.
    failure: Failure,
}

type Failure = Arc<std::sync::Mutex<Option<String>>>;

pub(crate) fn spawn(pool: AnyPool, backend: Backend, key: AuditKey) -> Handle {
    let (tx, rx) = mpsc::channel(WRITE_QUEUE_MAX);
    let failure = Failure::default();
    let task = tokio::spawn(run(pool, backend, key, rx, failure.clone()));
    Handle { tx, task: Arc::new(Mutex::new(Some(task))), failure }
}

impl Handle {
    /// Why the writer's last batch failed to commit, if it did.
    pub(crate) fn failure(&self) -> Option<String> {
        self.failure.lock().expect("writer failure lock").clone()
    }

    /// A probe write committed: the writer can write again.
    pub(crate) fn recovered(&self) {
        *self.failure.lock().expect("writer failure lock") = None;
    }

    pub(crate) async fn close(&self) {
        let _ = self.tx.send(Job::Shutdown).await;
        if let Some(t) = self.task.lock().await.take() {
            let _ = t.await;
        }
    }
}

async fn run(pool: AnyPool, backend: Backend, key: AuditKey, mut rx: mpsc::Receiver<Job>, failure: Failure) {
    let mut batch = Vec::with_capacity(BATCH_JOBS_MAX);
    let mut stopping = false;
    while !stopping {
        let Some(first) = rx.recv().await else { break };
        batch.push(first);
        while batch.len() < BATCH_JOBS_MAX {
            match rx.try_recv() {
                Ok(j) => batch.push(j),
                Err(_) => break,
            }
        }
        if let Some(i) = batch.iter().position(|j| matches!(j, Job::Shutdown)) {
            batch.truncate(i);
            stopping = true;
        }
        if !batch.is_empty() {
            write_batch(&pool, backend, &key, &mut batch, &failure).await;
        }
    }
}

enum Outcome {
    Created(Case),
    Saved,
}

async fn write_batch(pool: &AnyPool, backend: Backend, key: &AuditKey, batch: &mut Vec<Job>, failure: &Failure) {
    let outcomes = match write_jobs(pool, backend, key, batch).await {
        Ok(outcomes) => outcomes,
        Err(e) if batch.len() > 1 => {
            // One job's database error must not fail the others: write each alone.
            tracing::warn!(error = %e, jobs = batch.len(), "write batch failed; retrying its jobs one by one");
            let mut outcomes = Vec::with_capacity(batch.len());
            for job in batch.iter() {
                outcomes.push(match write_jobs(pool, backend, key, std::slice::from_ref(job)).await {
                    Ok(mut one) => one.pop().expect("one outcome per job"),
                    Err(e) => Err(e),
                });
            }
            outcomes
        }
        Err(e) => vec![Err(e)],
    };
    // A database error (not a refused job) means the writer could not commit.
    let database_error = outcomes.iter().find_map(|o| match o {
        Err(StoreError::Database(e)) => Some(e.to_string()),
        _ => None,
    });
    if database_error.is_some() || outcomes.iter().any(|o| o.is_ok()) {
        *failure.lock().expect("writer failure lock") = database_error;
    }
    for (job, outcome) in batch.drain(..).zip(outcomes) {
        match (job, outcome) {
            (Job::Create(_, reply), Ok(Outcome::Created(c))) => drop(reply.send(Ok(c))),
            (Job::Create(_, reply), Err(e)) => drop(reply.send(Err(e))),
            (Job::Save { reply, .. }, Ok(Outcome::Saved)) => drop(reply.send(Ok(()))),
            (Job::Save { reply, .. }, Err(e)) => drop(reply.send(Err(e))),
            _ => tracing::error!("writer outcome does not match its job"),
        }
    }
}

/// Writes the jobs in one transaction: all creations with a few multi-row statements, then
/// the updates one by one. An update refused for a reason found before it wrote anything (a
/// stale version) fails alone; a database error fails the whole transaction, and nothing of
/// it is committed.
async fn write_jobs(pool: &AnyPool, backend: Backend, key: &AuditKey, batch: &[Job]) -> Result<Vec<Result<Outcome>>> {
    let mut tx = crate::begin_write(pool, backend).await?;
    // The chain's lock comes first: it also makes the id counters safe across nodes.
    let (mut chain, next_case, next_reporter) = lock_and_count(&mut tx, backend, key).await?;
    let creates: Vec<&CreateCase> =
        batch.iter().filter_map(|j| if let Job::Create(c, _) = j { Some(&**c) } else { None }).collect();
    let mut created = write_creates(&mut tx, &mut chain, &creates, next_case, next_reporter).await?.into_iter();
    let mut outcomes = Vec::with_capacity(batch.len());
    for job in batch {
        match job {
            Job::Create(..) => outcomes.push(Ok(Outcome::Created(created.next().expect("one case per creation")))),
            Job::Save { .. } => match write_save(&mut tx, &mut chain, job).await {
                Ok(o) => outcomes.push(Ok(o)),
                Err(e @ StoreError::Conflict(_)) => outcomes.push(Err(e)),
                Err(e) => return Err(e),
            },
            Job::Shutdown => unreachable!("shutdown is removed from the batch"),
        }
    }
    chain.store(&mut tx).await?;
    tx.commit().await?;
    Ok(outcomes)
}

/// Locks the audit chain and reads the next free case and reporter ids. Every round trip
/// to the database counts here, since the writer is the one queue all cases pass.
async fn lock_and_count(conn: &mut Conn, backend: Backend, key: &AuditKey) -> Result<(Chain, i64, i64)> {
    match backend {
        // One query: BEGIN IMMEDIATE already holds the database's write lock.
        Backend::Sqlite => {
            let r = sqlx::query(
                "SELECT seq, hash, keyed_from, (SELECT COALESCE(MAX(id), 0) FROM cases) AS max_case, \
                 (SELECT COALESCE(MAX(id), 0) FROM reporters) AS max_reporter FROM audit_head WHERE id = 1",
            )
            .fetch_one(&mut *conn)
            .await?;
            let chain = Chain::at(r.try_get("seq")?, r.try_get("hash")?, r.try_get("keyed_from")?, key.clone());
            Ok((chain, r.try_get::<i64, _>("max_case")? + 1, r.try_get::<i64, _>("max_reporter")? + 1))
        }
        // Separate statements after the lock: under READ COMMITTED each sees what other nodes
        // committed before they released the lock.
        Backend::Postgres => {
            let chain = Chain::lock(conn, backend, key).await?;
            Ok((chain, next_id(conn, "cases").await?, next_id(conn, "reporters").await?))
        }
    }
}

async fn write_creates(
    conn: &mut Conn,
    chain: &mut Chain,
    creates: &[&CreateCase],
    mut next_case: i64,
    mut next_reporter: i64,
) -> Result<Vec<Case>> {
    if creates.is_empty() {
        return Ok(vec![]);
    }
    let (mut reporters, mut rows, mut events, mut audit, mut cases) = (vec![], vec![], vec![], vec![], vec![]);
    let (mut outbox, mut changes, mut obligations) = (vec![], vec![], vec![]);
    for c in creates {
        let mut new = c.new.clone();
        if let Some(r) = &c.reporter {
            reporters.push(vec![
                Val::from(next_reporter),
                r.name.clone().into(),
                r.phone.clone().into(),
                to_millis(c.at).into(),
            ]);
            new.reporter_id = Some(next_reporter);
            next_reporter += 1;
        }
        // The id is the case's own before the domain makes it; its obligations follow.
        let case = case::create(next_case, new, c.deadlines, c.actor.clone(), c.at);
        next_case += 1;
        let duties = case::obligations(&case, &c.extras.terms);
        rows.push(case_row(&case));
        obligations.extend(obligation_rows(MatterKind::Case, case.id, &duties));
        outbox.extend(outbox_rows(&case, &c.extras.outbox, c.at));
        changes.push(change_row(&case, &duties));
        events.extend(case.events.iter().map(|e| event_row(case.id, e)));
        audit.push(AuditEntry {
            at: c.at,
            actor: actor_label(&c.actor),
            action: "case.create".into(),
            entity: "case".into(),
            entity_id: case.id.to_string(),
            detail: serde_json::json!({
                "category": case.category.as_str(),
                "grid": case.grid.as_str(),
                "priority": case.priority.as_str(),
                "source": case.source.as_str(),
                "reporter": case.reporter_id,
                "state": crate::cases::state_digest(&case),
            })
            .to_string(),
        });
        cases.push(case);
    }
    insert_rows(conn, "reporters", &["id", "name", "phone", "created_at"], &reporters).await?;
    insert_rows(conn, "cases", &case_columns(), &rows).await?;
    crate::stats::count_created(conn, cases.iter()).await?;
    insert_rows(conn, "obligations", &OBLIGATION_COLUMNS, &obligations).await?;
    // A key older than its window makes way; a live one refuses the second case (and a
    // batch holding both is written again job by job, so only the second fails).
    let keyed: Vec<(&str, i64, Timestamp)> = creates
        .iter()
        .zip(&cases)
        .filter_map(|(c, case)| c.idempotency_key.as_deref().map(|k| (k, case.id, c.at)))
        .collect();
    for (key, _, at) in &keyed {
        sqlx::query("DELETE FROM idempotency_keys WHERE key = $1 AND created_at < $2")
            .bind(*key)
            .bind(to_millis(*at - crate::IDEMPOTENCY_WINDOW))
            .execute(&mut *conn)
            .await?;
    }
    let key_rows: Vec<Vec<Val>> =
        keyed.iter().map(|(k, id, at)| vec![Val::from(*k), (*id).into(), to_millis(*at).into()]).collect();
    insert_rows(conn, "idempotency_keys", &["key", "case_id", "created_at"], &key_rows).await.map_err(|e| match e {
        StoreError::Database(e) => crate::unique_to_conflict(e, "a case with this idempotency key"),
        e => e,
    })?;
    insert_rows(conn, "case_events", &EVENT_COLUMNS, &events).await?;
    chain.append_all(conn, &audit).await?;
    insert_new_rows(conn, "outbox", &OUTBOX_COLUMNS, &outbox, "dedupe_key").await?;
    insert_rows(conn, "change_log", &CHANGE_COLUMNS, &changes).await?;
    Ok(cases)
}

pub(crate) const OUTBOX_COLUMNS: [&str; 11] = [
    "created_at",
    "dedupe_key",
    "channel",
    "recipient_user",
    "recipient_phone",
    "subject",
    "body",
    "case_id",
    "status",
    "attempts",
    "next_attempt_at",
];

fn outbox_rows(case: &Case, messages: &[OutboxMessage], at: Timestamp) -> Vec<Vec<Val>> {
    messages
        .iter()
        .map(|m| {
            vec![
                to_millis(at).into(),
                format!("case{}:{}", case.id, m.dedupe_key).into(),
                m.channel.as_str().into(),
                m.recipient_user.into(),
                m.recipient_phone.clone().into(),
                m.subject.as_str().into(),
                m.body.as_str().into(),
                case.id.into(),
                "pending".into(),
                0i64.into(),
                to_millis(at).into(),
            ]
        })
        .collect()
}

/// Outbox rows for the notices of a matter other than a case: `prefix` (`petition12`) makes
/// each dedupe key unique to the matter.
pub(crate) fn matter_outbox_rows(prefix: &str, messages: &[OutboxMessage], at: Timestamp) -> Vec<Vec<Val>> {
    messages
        .iter()
        .map(|m| {
            vec![
                to_millis(at).into(),
                format!("{prefix}:{}", m.dedupe_key).into(),
                m.channel.as_str().into(),
                m.recipient_user.into(),
                m.recipient_phone.clone().into(),
                m.subject.as_str().into(),
                m.body.as_str().into(),
                Val::Int(None),
                "pending".into(),
                0i64.into(),
                to_millis(at).into(),
            ]
        })
        .collect()
}

/// Writes a notice to be sent at `send_at` (a reminder), once by its dedupe key.
pub(crate) async fn write_scheduled_outbox(
    conn: &mut Conn,
    key: &str,
    message: &OutboxMessage,
    send_at: Timestamp,
    at: Timestamp,
) -> Result<()> {
    let mut rows = matter_outbox_rows(key, std::slice::from_ref(message), at);
    rows[0][1] = key.into();
    rows[0][10] = to_millis(send_at.max(at)).into();
    insert_new_rows(conn, "outbox", &OUTBOX_COLUMNS, &rows, "dedupe_key").await
}

/// Writes the notices of a matter other than a case (each once, by its dedupe key).
pub(crate) async fn write_matter_outbox(
    conn: &mut Conn,
    prefix: &str,
    messages: &[OutboxMessage],
    at: Timestamp,
) -> Result<()> {
    insert_new_rows(conn, "outbox", &OUTBOX_COLUMNS, &matter_outbox_rows(prefix, messages, at), "dedupe_key").await
}

pub(crate) const CHANGE_COLUMNS: [&str; 6] = ["at", "kind", "entity_id", "grid", "reported_by", "payload"];

/// A change-log row for a case: enough for a live screen to update its map and lists, and
/// for the stream to filter by area and reporter.
fn change_row(case: &Case, duties: &[Obligation]) -> Vec<Val> {
    let next_alert_at = duties.iter().filter_map(|o| o.next_alert_at).min();
    let payload = serde_json::json!({
        "id": case.id,
        "version": case.version,
        "status": case.status.as_str(),
        "category": case.category.as_str(),
        "priority": case.priority.as_str(),
        "source": case.source.as_str(),
        "grid": case.grid.as_str(),
        "lat": case.location.lat(),
        "lng": case.location.lng(),
        "created_at": to_millis(case.created_at),
        "updated_at": to_millis(case.updated_at),
        "next_alert_at": next_alert_at.map(to_millis),
        "last_action": case.events.last().map(|e| e.action.as_str()),
    });
    vec![
        to_millis(case.updated_at).into(),
        crate::live::ChangeKind::Case.as_str().into(),
        case.id.into(),
        case.grid.as_str().into(),
        case.reported_by.into(),
        payload.to_string().into(),
    ]
}

fn actor_label(a: &Actor) -> String {
    format!("{}:{}", a.user_id, a.username)
}

async fn write_save(conn: &mut Conn, chain: &mut Chain, job: &Job) -> Result<Outcome> {
    match job {
        Job::Save { after, expected_version, assignments_stored, extras, .. } => {
            // Checked first, so that a refused update writes nothing: someone newly sent must not
            // be on another case. The audit chain's lock, held here by every writer, makes the
            // check race-free across nodes; the unique index behind it is the backstop.
            let newly_sent: Vec<i64> = after.assignments[*assignments_stored..]
                .iter()
                .filter(|a| a.is_current())
                .map(|a| a.responder_id)
                .collect();
            if !newly_sent.is_empty() {
                let ids = newly_sent.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
                // The ids are integers from the domain, so inlining them is safe.
                let busy: Vec<i64> = sqlx::query_scalar(&format!(
                    "SELECT responder_id FROM assignments WHERE responder_id IN ({ids}) AND status IN ('active', 'arrived') AND case_id <> $1"
                ))
                .bind(after.id)
                .fetch_all(&mut *conn)
                .await?;
                if let Some(r) = busy.first() {
                    return Err(StoreError::Conflict(format!("responder {r} is already assigned to another case")));
                }
            }
            update_case_row(conn, after, *expected_version).await?;
            let duties = case::obligations(after, &extras.terms);
            crate::obligations::replace(conn, MatterKind::Case, after.id, &duties).await?;
            let at = after.updated_at;
            insert_new_rows(conn, "outbox", &OUTBOX_COLUMNS, &outbox_rows(after, &extras.outbox, at), "dedupe_key")
                .await?;
            insert_rows(conn, "change_log", &CHANGE_COLUMNS, &[change_row(after, &duties)]).await?;
            write_children(conn, after, *expected_version as usize, *assignments_stored).await?;
            let last = after.events.len() - 1;
            for (i, e) in after.events.iter().enumerate().skip(*expected_version as usize) {
                chain
                    .append(
                        conn,
                        &AuditEntry {
                            at: e.at,
                            actor: actor_label(&e.actor),
                            action: format!("case.{}", e.action.as_str()),
                            entity: "case".into(),
                            entity_id: after.id.to_string(),
                            detail: serde_json::json!({
                                "from": e.from.map(|s| s.as_str()),
                                "to": e.to.as_str(),
                                "responders": e.responders,
                                "note": e.note,
                                "version": after.version,
                                // The state after the write, on its last record.
                                "state": (i == last).then(|| crate::cases::state_digest(after)),
                            })
                            .to_string(),
                        },
                    )
                    .await?;
            }
            Ok(Outcome::Saved)
        }
        _ => unreachable!("only updates are written one by one"),
    }
}

impl crate::Store {
    /// Creates a case; returns only after the case, its first event and its audit record are
    /// durably committed.
    pub async fn create_case(&self, c: CreateCase) -> Result<Case> {
        let (reply, rx) = oneshot::channel();
        self.writer.tx.send(Job::Create(Box::new(c), reply)).await.map_err(|_| StoreError::Closed)?;
        rx.await.map_err(|_| StoreError::Closed)?
    }

    /// Stores `after`, the result of applying actions to `before`. Fails with a conflict if
    /// the stored case is no longer `before` (someone else changed it first).
    pub async fn save_case(&self, before: &Case, after: Case, extras: Extras) -> Result<()> {
        if after.id != before.id || after.version <= before.version || after.events.len() != after.version as usize {
            return Err(StoreError::Invalid("the new case state does not follow the old one".into()));
        }
        let (reply, rx) = oneshot::channel();
        let job = Job::Save {
            after: Box::new(after),
            expected_version: before.version,
            assignments_stored: before.assignments.len(),
            extras,
            reply,
        };
        self.writer.tx.send(job).await.map_err(|_| StoreError::Closed)?;
        rx.await.map_err(|_| StoreError::Closed)?
    }
}
