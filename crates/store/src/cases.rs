//! Cases as rows: `cases` holds the current state (with a column per milestone), `case_events`
//! the history, `assignments` who was sent, and `obligations` (see [`crate::obligations`])
//! the five promises' deadlines and each responder's time to answer.

use crate::obligations::{obligation_rows, OBLIGATION_COLUMNS};
use crate::rows::{insert_rows, Val};
use crate::{from_millis, opt_from_millis, to_millis, Conn, Result, Store, StoreError};
use domain::case::{
    ActionKind, Actor, Assignment, AssignmentStatus, Case, CaseEvent, CaseId, Milestones, Priority, Satisfaction,
    Source, Status,
};
use domain::codes::{CategoryCode, GridCode};
use domain::deadline::{Deadlines, Promise};
use domain::geo::LatLng;
use domain::obligation::MatterKind;
use domain::role::Role;
use domain::Timestamp;
use sqlx::any::AnyRow;
use sqlx::Row;
use std::collections::HashMap;

/// Most cases one list request returns; a screen pages through more with the cursor.
pub const CASE_PAGE_MAX: i64 = 200;

const CASE_COLUMNS: &str = "id, version, category, priority, source, grid, lat, lng, description, address, \
    reporter_id, reported_by, status, suspended_from, suspended_at, created_at, updated_at, accepted_at, \
    dispatched_at, contacted_at, on_site_at, first_feedback_at, closed_at, satisfaction, reopened_count";

/// Which cases a list shows. Empty fields do not filter.
#[derive(Debug, Clone, Default)]
pub struct CaseFilter {
    pub status: Option<Vec<Status>>,
    pub grids: Option<Vec<GridCode>>,
    pub category: Option<CategoryCode>,
    /// Any of these categories (with `category`, both must hold).
    pub categories: Option<Vec<CategoryCode>>,
    pub source: Option<Source>,
    pub priority: Option<Priority>,
    pub since: Option<Timestamp>,
    pub until: Option<Timestamp>,
    /// Cases this user reported or follows.
    pub reported_by: Option<i64>,
    /// Only cases with a current assignment of this responder.
    pub responder: Option<i64>,
    /// Cases with ids below this (the cursor of the previous page).
    pub before_id: Option<CaseId>,
    pub limit: i64,
}

#[derive(Debug, Clone)]
pub struct CasePage {
    pub cases: Vec<Case>,
    /// Present when more cases match: pass it as `before_id` for the next page.
    pub next_before_id: Option<CaseId>,
}

fn corrupt(what: &str, v: &str) -> StoreError {
    StoreError::Corrupt(format!("unknown {what} {v:?}"))
}

fn parse_list(s: &str) -> Result<Vec<i64>> {
    if s.is_empty() {
        return Ok(vec![]);
    }
    s.split(',').map(|x| x.parse().map_err(|_| corrupt("responder list", s))).collect()
}

fn join_ids(ids: &[i64]) -> String {
    ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
}

fn case_from_row(r: &AnyRow) -> Result<Case> {
    let s = |c: &str| -> Result<String> { Ok(r.try_get::<String, _>(c)?) };
    let status = s("status")?;
    let priority = s("priority")?;
    let source = s("source")?;
    let suspended_from: Option<String> = r.try_get("suspended_from")?;
    let satisfaction: Option<String> = r.try_get("satisfaction")?;
    let t = |c: &str| -> Result<Timestamp> { from_millis(r.try_get(c)?) };
    let ot = |c: &str| -> Result<Option<Timestamp>> { opt_from_millis(r.try_get(c)?) };
    Ok(Case {
        id: r.try_get("id")?,
        version: r.try_get::<i64, _>("version")? as u32,
        category: CategoryCode::parse(&s("category")?).map_err(|e| StoreError::Corrupt(e.0))?,
        priority: Priority::parse(&priority).ok_or_else(|| corrupt("priority", &priority))?,
        source: Source::parse(&source).ok_or_else(|| corrupt("source", &source))?,
        grid: GridCode::parse(&s("grid")?).map_err(|e| StoreError::Corrupt(e.0))?,
        location: LatLng::new(r.try_get("lat")?, r.try_get("lng")?).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        description: s("description")?,
        address: r.try_get("address")?,
        reporter_id: r.try_get("reporter_id")?,
        reported_by: r.try_get("reported_by")?,
        status: Status::parse(&status).ok_or_else(|| corrupt("status", &status))?,
        suspended_from: suspended_from.map(|v| Status::parse(&v).ok_or_else(|| corrupt("status", &v))).transpose()?,
        suspended_at: ot("suspended_at")?,
        created_at: t("created_at")?,
        updated_at: t("updated_at")?,
        // Filled from the case's obligations by `attach_children`.
        deadlines: Deadlines {
            accept: t("created_at")?,
            dispatch: t("created_at")?,
            on_site: t("created_at")?,
            first_feedback: t("created_at")?,
            close: t("created_at")?,
        },
        milestones: Milestones {
            accepted_at: ot("accepted_at")?,
            dispatched_at: ot("dispatched_at")?,
            contacted_at: ot("contacted_at")?,
            on_site_at: ot("on_site_at")?,
            first_feedback_at: ot("first_feedback_at")?,
            closed_at: ot("closed_at")?,
        },
        satisfaction: satisfaction
            .map(|v| Satisfaction::parse(&v).ok_or_else(|| corrupt("satisfaction", &v)))
            .transpose()?,
        reopened_count: r.try_get::<i64, _>("reopened_count")? as u32,
        assignments: vec![],
        events: vec![],
    })
}

fn event_from_row(r: &AnyRow) -> Result<CaseEvent> {
    let role: String = r.try_get("actor_role")?;
    let action: String = r.try_get("action")?;
    let from: Option<String> = r.try_get("from_status")?;
    let to: String = r.try_get("to_status")?;
    Ok(CaseEvent {
        seq: r.try_get::<i64, _>("seq")? as u32,
        at: from_millis(r.try_get("at")?)?,
        actor: Actor {
            user_id: r.try_get("actor_id")?,
            username: r.try_get("actor_name")?,
            role: Role::parse(&role).ok_or_else(|| corrupt("role", &role))?,
        },
        action: ActionKind::parse(&action).ok_or_else(|| corrupt("action", &action))?,
        from: from.map(|v| Status::parse(&v).ok_or_else(|| corrupt("status", &v))).transpose()?,
        to: Status::parse(&to).ok_or_else(|| corrupt("status", &to))?,
        note: r.try_get("note")?,
        responders: parse_list(&r.try_get::<String, _>("responders")?)?,
        promise: r
            .try_get::<Option<String>, _>("promise")?
            .map(|p| Promise::parse(&p).ok_or_else(|| corrupt("promise", &p)))
            .transpose()?,
        due_at: opt_from_millis(r.try_get("due_at")?)?,
        level: r.try_get::<Option<i64>, _>("level")?.map(|l| l.clamp(0, u8::MAX as i64) as u8),
    })
}

fn assignment_status(s: AssignmentStatus) -> &'static str {
    match s {
        AssignmentStatus::Active => "active",
        AssignmentStatus::Arrived => "arrived",
        AssignmentStatus::Completed => "completed",
        AssignmentStatus::Withdrawn => "withdrawn",
        AssignmentStatus::Declined => "declined",
    }
}

fn assignment_from_row(r: &AnyRow) -> Result<Assignment> {
    let status: String = r.try_get("status")?;
    Ok(Assignment {
        responder_id: r.try_get("responder_id")?,
        status: match status.as_str() {
            "active" => AssignmentStatus::Active,
            "arrived" => AssignmentStatus::Arrived,
            "completed" => AssignmentStatus::Completed,
            "withdrawn" => AssignmentStatus::Withdrawn,
            "declined" => AssignmentStatus::Declined,
            _ => return Err(corrupt("assignment status", &status)),
        },
        assigned_at: from_millis(r.try_get("assigned_at")?)?,
        arrived_at: opt_from_millis(r.try_get("arrived_at")?)?,
        ended_at: opt_from_millis(r.try_get("ended_at")?)?,
        answer_by: opt_from_millis(r.try_get("answer_by")?)?,
        answered_at: opt_from_millis(r.try_get("answered_at")?)?,
    })
}

/// The row of a case in [`CASE_COLUMNS`] order.
pub(crate) fn case_row(c: &Case) -> Vec<Val> {
    let m = &c.milestones;
    let t = |x: Option<Timestamp>| Val::Int(x.map(to_millis));
    vec![
        c.id.into(),
        (c.version as i64).into(),
        c.category.as_str().into(),
        c.priority.as_str().into(),
        c.source.as_str().into(),
        c.grid.as_str().into(),
        c.location.lat().into(),
        c.location.lng().into(),
        c.description.as_str().into(),
        c.address.clone().into(),
        c.reporter_id.into(),
        c.reported_by.into(),
        c.status.as_str().into(),
        c.suspended_from.map(|s| s.as_str()).into(),
        t(c.suspended_at),
        to_millis(c.created_at).into(),
        to_millis(c.updated_at).into(),
        t(m.accepted_at),
        t(m.dispatched_at),
        t(m.contacted_at),
        t(m.on_site_at),
        t(m.first_feedback_at),
        t(m.closed_at),
        c.satisfaction.map(|s| s.as_str()).into(),
        (c.reopened_count as i64).into(),
    ]
}

pub(crate) const EVENT_COLUMNS: [&str; 14] = [
    "promise",
    "due_at",
    "level",
    "case_id",
    "seq",
    "at",
    "actor_id",
    "actor_name",
    "actor_role",
    "action",
    "from_status",
    "to_status",
    "note",
    "responders",
];

/// The row of an event in [`EVENT_COLUMNS`] order.
pub(crate) fn event_row(case_id: CaseId, e: &CaseEvent) -> Vec<Val> {
    vec![
        e.promise.map(|p| p.as_str()).into(),
        Val::Int(e.due_at.map(to_millis)),
        Val::Int(e.level.map(i64::from)),
        case_id.into(),
        (e.seq as i64).into(),
        to_millis(e.at).into(),
        e.actor.user_id.into(),
        e.actor.username.as_str().into(),
        e.actor.role.as_str().into(),
        e.action.as_str().into(),
        e.from.map(|s| s.as_str()).into(),
        e.to.as_str().into(),
        e.note.clone().into(),
        join_ids(&e.responders).into(),
    ]
}

/// The columns of `cases`, in [`case_row`] order.
pub(crate) fn case_columns() -> Vec<&'static str> {
    CASE_COLUMNS.split(',').map(str::trim).collect()
}

/// The next free id of a table whose ids the writer assigns. Call only while holding the
/// audit chain's lock, which every writer of these tables takes first.
pub(crate) async fn next_id(conn: &mut Conn, table: &str) -> Result<i64> {
    let max: i64 = sqlx::query_scalar(&format!("SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) FROM {table}"))
        .fetch_one(&mut *conn)
        .await?;
    Ok(max + 1)
}

/// Writes the new state of a stored case if it still has `expected_version`.
pub(crate) async fn update_case_row(conn: &mut Conn, c: &Case, expected_version: u32) -> Result<()> {
    let done = sqlx::query(
        "UPDATE cases SET version = $1, priority = $2, status = $3, suspended_from = $4, suspended_at = $5, \
         updated_at = $6, accepted_at = $7, dispatched_at = $8, contacted_at = $9, on_site_at = $10, \
         first_feedback_at = $11, closed_at = $12, satisfaction = $13, reopened_count = $14 \
         WHERE id = $15 AND version = $16",
    )
    .bind(c.version as i64)
    .bind(c.priority.as_str())
    .bind(c.status.as_str())
    .bind(c.suspended_from.map(|s| s.as_str()))
    .bind(c.suspended_at.map(to_millis))
    .bind(to_millis(c.updated_at))
    .bind(c.milestones.accepted_at.map(to_millis))
    .bind(c.milestones.dispatched_at.map(to_millis))
    .bind(c.milestones.contacted_at.map(to_millis))
    .bind(c.milestones.on_site_at.map(to_millis))
    .bind(c.milestones.first_feedback_at.map(to_millis))
    .bind(c.milestones.closed_at.map(to_millis))
    .bind(c.satisfaction.map(|s| s.as_str()))
    .bind(c.reopened_count as i64)
    .bind(c.id)
    .bind(expected_version as i64)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() != 1 {
        return Err(StoreError::Conflict(format!("case {} was changed by someone else; reload it", c.id)));
    }
    Ok(())
}

/// Appends events after `events_stored` and writes assignments from `assignments_stored` on,
/// updating the ones before it that may have changed status.
pub(crate) async fn write_children(
    conn: &mut Conn,
    c: &Case,
    events_stored: usize,
    assignments_stored: usize,
) -> Result<()> {
    let events: Vec<Vec<Val>> = c.events[events_stored..].iter().map(|e| event_row(c.id, e)).collect();
    insert_rows(conn, "case_events", &EVENT_COLUMNS, &events).await?;
    for (i, a) in c.assignments.iter().enumerate() {
        if i < assignments_stored {
            sqlx::query(
                "UPDATE assignments SET status = $1, arrived_at = $2, ended_at = $3, answer_by = $4, answered_at = $5 \
                 WHERE case_id = $6 AND idx = $7",
            )
            .bind(assignment_status(a.status))
            .bind(a.arrived_at.map(to_millis))
            .bind(a.ended_at.map(to_millis))
            .bind(a.answer_by.map(to_millis))
            .bind(a.answered_at.map(to_millis))
            .bind(c.id)
            .bind(i as i64)
            .execute(&mut *conn)
            .await?;
        } else {
            sqlx::query(
                "INSERT INTO assignments (case_id, idx, responder_id, status, assigned_at, arrived_at, ended_at, answer_by, answered_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(c.id)
            .bind(i as i64)
            .bind(a.responder_id)
            .bind(assignment_status(a.status))
            .bind(to_millis(a.assigned_at))
            .bind(a.arrived_at.map(to_millis))
            .bind(a.ended_at.map(to_millis))
            .bind(a.answer_by.map(to_millis))
            .bind(a.answered_at.map(to_millis))
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(())
}

/// Loads the events, assignments and deadlines of the given cases in three queries.
async fn attach_children(pool: &sqlx::AnyPool, cases: &mut [Case]) -> Result<()> {
    if cases.is_empty() {
        return Ok(());
    }
    let id_list: Vec<CaseId> = cases.iter().map(|c| c.id).collect();
    let ids = join_ids(&id_list);
    // The ids are integers we formatted ourselves, so inlining them is safe.
    let events = sqlx::query(&format!("SELECT * FROM case_events WHERE case_id IN ({ids}) ORDER BY case_id, seq"))
        .fetch_all(pool)
        .await?;
    let assignments = sqlx::query(&format!("SELECT * FROM assignments WHERE case_id IN ({ids}) ORDER BY case_id, idx"))
        .fetch_all(pool)
        .await?;
    let index: HashMap<CaseId, usize> = cases.iter().enumerate().map(|(i, c)| (c.id, i)).collect();
    for r in &events {
        let id: i64 = r.try_get("case_id")?;
        cases[index[&id]].events.push(event_from_row(r)?);
    }
    for r in &assignments {
        let id: i64 = r.try_get("case_id")?;
        cases[index[&id]].assignments.push(assignment_from_row(r)?);
    }
    let mut promised = vec![0u8; cases.len()];
    for (id, o) in crate::obligations::of_matters(pool, MatterKind::Case, &id_list).await? {
        if let Some(p) = Promise::parse(&o.name) {
            let i = index[&id];
            *cases[i].deadlines.get_mut(p) = o.due_at;
            promised[i] += 1;
        }
    }
    if let Some(i) = promised.iter().position(|n| *n as usize != Promise::ALL.len()) {
        return Err(StoreError::Corrupt(format!("case {} lacks some of its five promises", cases[i].id)));
    }
    Ok(())
}

impl Store {
    /// Responders holding a current assignment (sent or on site) on any case.
    pub async fn busy_responders(&self) -> Result<std::collections::HashSet<i64>> {
        let ids: Vec<i64> =
            sqlx::query_scalar("SELECT responder_id FROM assignments WHERE status IN ('active', 'arrived')")
                .fetch_all(self.pool())
                .await?;
        Ok(ids.into_iter().collect())
    }

    pub async fn get_case(&self, id: CaseId) -> Result<Case> {
        let row = sqlx::query(&format!("SELECT {CASE_COLUMNS} FROM cases WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)?;
        let mut cases = vec![case_from_row(&row)?];
        attach_children(self.pool(), &mut cases).await?;
        Ok(cases.pop().expect("one case"))
    }

    /// Cases newest first, with a cursor for the next page.
    pub async fn list_cases(&self, f: &CaseFilter) -> Result<CasePage> {
        let mut sql = format!("SELECT {CASE_COLUMNS} FROM cases WHERE 1 = 1");
        let mut texts: Vec<String> = vec![];
        let mut ints: Vec<i64> = vec![];
        // Binds are numbered in the order pushed: texts first, then ints.
        let mut text_clauses = vec![];
        let mut int_clauses = vec![];
        if let Some(st) = &f.status {
            let marks: Vec<String> = st
                .iter()
                .map(|s| {
                    texts.push(s.as_str().to_owned());
                    format!("${}", texts.len())
                })
                .collect();
            text_clauses
                .push(format!("status IN ({})", if marks.is_empty() { "NULL".into() } else { marks.join(", ") }));
        }
        if let Some(gs) = &f.grids {
            let marks: Vec<String> = gs
                .iter()
                .map(|g| {
                    texts.push(g.as_str().to_owned());
                    format!("${}", texts.len())
                })
                .collect();
            text_clauses.push(format!("grid IN ({})", if marks.is_empty() { "NULL".into() } else { marks.join(", ") }));
        }
        if let Some(cs) = &f.categories {
            let marks: Vec<String> = cs
                .iter()
                .map(|c| {
                    texts.push(c.as_str().to_owned());
                    format!("${}", texts.len())
                })
                .collect();
            text_clauses
                .push(format!("category IN ({})", if marks.is_empty() { "NULL".into() } else { marks.join(", ") }));
        }
        for (col, v) in [
            ("category", f.category.as_ref().map(|c| c.as_str().to_owned())),
            ("source", f.source.map(|s| s.as_str().to_owned())),
            ("priority", f.priority.map(|p| p.as_str().to_owned())),
        ] {
            if let Some(v) = v {
                texts.push(v);
                text_clauses.push(format!("{col} = ${}", texts.len()));
            }
        }
        let base = texts.len();
        for (clause, v) in [
            ("created_at >= ", f.since.map(to_millis)),
            ("created_at < ", f.until.map(to_millis)),
            ("id < ", f.before_id),
        ] {
            if let Some(v) = v {
                ints.push(v);
                int_clauses.push(format!("{clause}${}", base + ints.len()));
            }
        }
        if let Some(u) = f.reported_by {
            // A resident's own reports and the ones they follow.
            ints.push(u);
            let n = base + ints.len();
            int_clauses
                .push(format!("(reported_by = ${n} OR id IN (SELECT case_id FROM followers WHERE user_id = ${n}))"));
        }
        if let Some(r) = f.responder {
            ints.push(r);
            int_clauses.push(format!(
                "id IN (SELECT case_id FROM assignments WHERE responder_id = ${} AND status IN ('active', 'arrived'))",
                base + ints.len()
            ));
        }
        for c in text_clauses.iter().chain(&int_clauses) {
            sql.push_str(" AND ");
            sql.push_str(c);
        }
        let limit = f.limit.clamp(1, CASE_PAGE_MAX);
        sql.push_str(&format!(" ORDER BY id DESC LIMIT {}", limit + 1));
        let mut q = sqlx::query(&sql);
        for t in &texts {
            q = q.bind(t);
        }
        for i in &ints {
            q = q.bind(*i);
        }
        let rows = q.fetch_all(self.pool()).await?;
        let mut cases = rows.iter().take(limit as usize).map(case_from_row).collect::<Result<Vec<_>>>()?;
        let next_before_id = (rows.len() as i64 > limit).then(|| cases.last().map(|c| c.id)).flatten();
        attach_children(self.pool(), &mut cases).await?;
        Ok(CasePage { cases, next_before_id })
    }

    /// Open cases with at least one promise still owed, oldest deadline first (for screens
    /// and the deadline runner).
    pub async fn open_cases(&self, limit: i64) -> Result<Vec<Case>> {
        self.open_cases_where("", limit).await
    }

    /// Open cases none of whose obligations has an alert ahead (imported, written before
    /// the index existed, or with every alert fired): the server restates them at start.
    pub async fn open_cases_unindexed(&self, limit: i64) -> Result<Vec<Case>> {
        self.open_cases_where(
            " AND NOT EXISTS (SELECT 1 FROM obligations o WHERE o.matter_kind = 'case' AND o.matter_id = cases.id \
             AND o.next_alert_at IS NOT NULL)",
            limit,
        )
        .await
    }

    async fn open_cases_where(&self, extra: &str, limit: i64) -> Result<Vec<Case>> {
        let rows = sqlx::query(&format!(
            "SELECT {CASE_COLUMNS} FROM cases WHERE status IN ('new', 'accepted', 'dispatched', 'on_site', \
             'in_progress', 'suspended'){extra} ORDER BY created_at LIMIT $1"
        ))
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        let mut cases = rows.iter().map(case_from_row).collect::<Result<Vec<_>>>()?;
        attach_children(self.pool(), &mut cases).await?;
        Ok(cases)
    }
}

impl Store {
    /// The case a creation with this idempotency key made at or after `since`.
    pub async fn case_for_key(&self, key: &str, since: Timestamp) -> Result<Option<Case>> {
        let id: Option<i64> =
            sqlx::query_scalar("SELECT case_id FROM idempotency_keys WHERE key = $1 AND created_at >= $2")
                .bind(key)
                .bind(to_millis(since))
                .fetch_optional(self.pool())
                .await?;
        match id {
            Some(id) => Ok(Some(self.get_case(id).await?)),
            None => Ok(None),
        }
    }

    /// Imports historical cases (the demo's two years of history), each with its
    /// obligations as the default terms state them. Ids continue after the highest case.
    /// One audit record covers the import.
    pub async fn import_cases(&self, cases: &[Case], actor: &str, at: Timestamp) -> Result<()> {
        let terms = domain::obligation::Terms::default();
        self.import_cases_with(cases, |c| domain::case::obligations(c, &terms), actor, at).await
    }

    /// As [`Store::import_cases`], with each case's obligations as `obligations` states them.
    pub async fn import_cases_with(
        &self,
        cases: &[Case],
        obligations: impl Fn(&Case) -> Vec<domain::obligation::Obligation>,
        actor: &str,
        at: Timestamp,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let mut chain = crate::audit::Chain::lock(&mut tx, self.backend(), &self.audit_key).await?;
        let first_id = next_id(&mut tx, "cases").await?;
        let columns = case_columns();
        let mut states = Vec::with_capacity(cases.len());
        // In slices, so two years of history never sit in memory twice over as rows.
        const SLICE_CASES: usize = 20_000;
        for (k, slice) in cases.chunks(SLICE_CASES).enumerate() {
            crate::stats::count_created(&mut tx, slice.iter()).await?;
            let mut rows = Vec::with_capacity(slice.len());
            let mut events = Vec::with_capacity(slice.len());
            let mut duties = Vec::with_capacity(slice.len() * Promise::ALL.len());
            for (j, c) in slice.iter().enumerate() {
                let mut c = c.clone();
                c.id = first_id + (k * SLICE_CASES + j) as i64;
                states.push(state_digest(&c));
                rows.push(case_row(&c));
                for e in &c.events {
                    events.push(event_row(c.id, e));
                }
                duties.extend(obligation_rows(MatterKind::Case, c.id, &obligations(&c)));
            }
            insert_rows(&mut tx, "cases", &columns, &rows).await?;
            insert_rows(&mut tx, "case_events", &EVENT_COLUMNS, &events).await?;
            insert_rows(&mut tx, "obligations", &OBLIGATION_COLUMNS, &duties).await?;
        }
        chain
            .append(
                &mut tx,
                &crate::AuditEntry {
                    at,
                    actor: actor.into(),
                    action: "case.import".into(),
                    entity: "case".into(),
                    entity_id: format!("{first_id}-{}", first_id + cases.len() as i64 - 1),
                    detail: serde_json::json!({ "cases": cases.len(), "states": states }).to_string(),
                },
            )
            .await?;
        chain.store(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// A digest of a case's whole state (its row, events and assignments) as the store keeps
/// it: written into the audit record of every change, so `audit verify` can tell a case
/// edited in the database from one changed through the platform. Instants count to the
/// millisecond, as stored.
pub(crate) fn state_digest(case: &Case) -> String {
    fn to_millis_text(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::String(s) => {
                if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
                    *s = t.timestamp_millis().to_string();
                }
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(to_millis_text),
            serde_json::Value::Object(o) => o.values_mut().for_each(to_millis_text),
            _ => {}
        }
    }
    let mut v = serde_json::to_value(case).expect("a case serialises");
    to_millis_text(&mut v);
    use sha2::Digest;
    hex::encode(&sha2::Sha256::digest(v.to_string().as_bytes())[..16])
}
