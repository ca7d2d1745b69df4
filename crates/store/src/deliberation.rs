//! Deliberation days as rows: topics and resolutions are matters (one JSON document each,
//! history included, its duties in `obligations`, one audit record per step, all in one
//! transaction refusing a stale version); each community's fixed day; meetings, each with an
//! activity for registration and QR check-in.

use crate::audit::{AuditEntry, Chain};
use crate::rows::{insert_rows, Val};
use crate::writer::OutboxMessage;
use crate::{from_millis, to_millis, Result, Store, StoreError};
use domain::case::Actor;
use domain::deliberation::{
    Day, Event, NewResolution, NewTopic, Resolution, ResolutionId, Topic, TopicId, TopicStatus,
};
use domain::obligation::{MatterKind, Obligation};
use domain::Timestamp;
use sqlx::Row;

/// Most topics or resolutions one list returns.
pub const DELIBERATION_PAGE_MAX: i64 = 500;

const TOPIC_COLUMNS: [&str; 13] = [
    "id",
    "version",
    "status",
    "community",
    "grid",
    "source",
    "raised_by",
    "case_id",
    "petition_id",
    "meeting_id",
    "raised_at",
    "updated_at",
    "body",
];

fn topic_row(t: &Topic) -> Vec<Val> {
    vec![
        t.id.into(),
        (t.version as i64).into(),
        t.status.as_str().into(),
        t.community.clone().into(),
        t.grid.as_str().into(),
        t.source.as_str().into(),
        t.raised_by.into(),
        t.case_id.into(),
        t.petition_id.into(),
        t.meeting_id.into(),
        to_millis(t.raised_at).into(),
        to_millis(t.updated_at).into(),
        serde_json::to_string(t).expect("a topic serialises").into(),
    ]
}

const RESOLUTION_COLUMNS: [&str; 14] = [
    "id",
    "version",
    "status",
    "phase",
    "community",
    "grid",
    "topic_id",
    "parent_id",
    "owner",
    "due_at",
    "created_at",
    "solved_at",
    "updated_at",
    "body",
];

fn resolution_row(r: &Resolution) -> Vec<Val> {
    vec![
        r.id.into(),
        (r.version as i64).into(),
        r.status.as_str().into(),
        domain::deliberation::phase(r).into(),
        r.community.clone().into(),
        r.grid.as_str().into(),
        r.topic_id.into(),
        r.parent_id.into(),
        r.owner.into(),
        to_millis(r.due_at).into(),
        to_millis(r.created_at).into(),
        Val::Int(r.solved_at.map(to_millis)),
        to_millis(r.updated_at).into(),
        serde_json::to_string(r).expect("a resolution serialises").into(),
    ]
}

fn doc<T: serde::de::DeserializeOwned>(r: &sqlx::any::AnyRow, what: &str) -> Result<T> {
    let body: String = r.try_get("body")?;
    serde_json::from_str(&body).map_err(|e| StoreError::Corrupt(format!("{what} document: {e}")))
}

fn entry(kind: &str, id: i64, version: u32, e: &Event) -> AuditEntry {
    AuditEntry {
        at: e.at,
        actor: format!("{}:{}", e.actor.user_id, e.actor.username),
        action: format!("{kind}.{}", e.action),
        entity: kind.into(),
        entity_id: id.to_string(),
        detail: serde_json::json!({ "status": e.to, "duty": e.duty, "level": e.level, "version": version }).to_string(),
    }
}

/// A meeting of a deliberation day.
#[derive(Debug, Clone, PartialEq)]
pub struct Meeting {
    pub id: i64,
    pub community: String,
    /// The activity residents register for and check in at.
    pub activity_id: i64,
    pub starts_at: Timestamp,
    pub place: String,
    /// `none`, `draft` or `final`.
    pub minutes_status: String,
    pub minutes: String,
    /// Organisations present (residents' committee, property company, police station …).
    pub organisations: Vec<String>,
    pub updated_at: Timestamp,
    /// People checked in at the door (counted from check-ins, never typed).
    pub attended: i64,
    pub registered: i64,
}

const MEETING_SELECT: &str = "SELECT m.id, m.community, m.activity_id, m.starts_at, m.place, m.minutes_status, \
    m.minutes, m.organisations, m.updated_at, \
    CAST((SELECT COUNT(*) FROM signups s WHERE s.activity_id = m.activity_id AND s.checked_in_at IS NOT NULL) AS BIGINT) AS attended, \
    CAST((SELECT COUNT(*) FROM signups s WHERE s.activity_id = m.activity_id AND s.status = 'signed') AS BIGINT) AS registered \
    FROM meetings m";

fn meeting(r: &sqlx::any::AnyRow) -> Result<Meeting> {
    let orgs: String = r.try_get("organisations")?;
    Ok(Meeting {
        id: r.try_get("id")?,
        community: r.try_get("community")?,
        activity_id: r.try_get("activity_id")?,
        starts_at: from_millis(r.try_get("starts_at")?)?,
        place: r.try_get("place")?,
        minutes_status: r.try_get("minutes_status")?,
        minutes: r.try_get("minutes")?,
        organisations: serde_json::from_str(&orgs).map_err(|e| StoreError::Corrupt(format!("organisations: {e}")))?,
        updated_at: from_millis(r.try_get("updated_at")?)?,
        attended: r.try_get("attended")?,
        registered: r.try_get("registered")?,
    })
}

/// A past meeting to import, with who came.
#[derive(Debug, Clone)]
pub struct PastMeeting {
    pub community: String,
    pub title: String,
    pub starts_at: Timestamp,
    pub place: String,
    pub capacity: i64,
    pub checkin_code: String,
    pub minutes_status: String,
    pub minutes: String,
    pub organisations: Vec<String>,
    /// `(user, signed up at, checked in at)`.
    pub attendees: Vec<(i64, Timestamp, Option<Timestamp>)>,
}

/// Counts for the public board.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BoardCounts {
    pub open: i64,
    pub in_progress: i64,
    pub solved: i64,
}

/// A matter kept as one JSON document with columns beside it (topics and resolutions): how
/// the one writer below creates and saves it.
trait Document: serde::Serialize {
    const KIND: MatterKind;
    const TABLE: &'static str;
    /// The audit log's name of the entity.
    const ENTITY: &'static str;
    const COLUMNS: &'static [&'static str];
    /// The row in `COLUMNS` order (`id` first, `version` second).
    fn row(&self) -> Vec<Val>;
    fn id(&self) -> i64;
    fn version(&self) -> u32;
    fn events(&self) -> &[Event];
}

impl Document for Topic {
    const KIND: MatterKind = MatterKind::Topic;
    const TABLE: &'static str = "topics";
    const ENTITY: &'static str = "topic";
    const COLUMNS: &'static [&'static str] = &TOPIC_COLUMNS;
    fn row(&self) -> Vec<Val> {
        topic_row(self)
    }
    fn id(&self) -> i64 {
        self.id
    }
    fn version(&self) -> u32 {
        self.version
    }
    fn events(&self) -> &[Event] {
        &self.events
    }
}

impl Document for Resolution {
    const KIND: MatterKind = MatterKind::Resolution;
    const TABLE: &'static str = "resolutions";
    const ENTITY: &'static str = "resolution";
    const COLUMNS: &'static [&'static str] = &RESOLUTION_COLUMNS;
    fn row(&self) -> Vec<Val> {
        resolution_row(self)
    }
    fn id(&self) -> i64 {
        self.id
    }
    fn version(&self) -> u32 {
        self.version
    }
    fn events(&self) -> &[Event] {
        &self.events
    }
}

impl Store {
    /// Creates a document matter: the store gives it its id, `make` (the domain) makes it;
    /// row, duties and audit record in one transaction.
    async fn create_document<D: Document>(
        &self,
        make: impl FnOnce(i64) -> std::result::Result<D, domain::deliberation::DeliberationError>,
        obligations: impl Fn(&D) -> Vec<Obligation>,
    ) -> Result<D> {
        let mut tx = self.begin_write().await?;
        let mut chain = Chain::lock(&mut tx, self.backend(), &self.audit_key).await?;
        let id = crate::cases::next_id(&mut tx, D::TABLE).await?;
        let d = make(id).map_err(|e| StoreError::Invalid(e.to_string()))?;
        insert_rows(&mut tx, D::TABLE, D::COLUMNS, &[d.row()]).await?;
        crate::obligations::replace(&mut tx, D::KIND, d.id(), &obligations(&d)).await?;
        chain.append(&mut tx, &entry(D::ENTITY, d.id(), d.version(), &d.events()[0])).await?;
        chain.store(&mut tx).await?;
        tx.commit().await?;
        Ok(d)
    }

    /// Writes `after`, computed by the domain from the stored document at `before_version`
    /// (a stale one is refused): its row, `extra` (links written with it), its duties, the
    /// notices its steps cause and one audit record per new step, in one transaction.
    async fn save_document<D: Document>(
        &self,
        before_version: u32,
        after: &D,
        obligations: &[Obligation],
        messages: &[OutboxMessage],
        at: Timestamp,
        extra: &[(&str, &[&str], Vec<Vec<Val>>)],
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let mut chain = Chain::lock(&mut tx, self.backend(), &self.audit_key).await?;
        // Every column but the id, from the same row the insert writes.
        let sets: Vec<String> = D::COLUMNS[1..].iter().enumerate().map(|(i, c)| format!("{c} = ${}", i + 1)).collect();
        let n = D::COLUMNS.len();
        let sql = format!("UPDATE {} SET {} WHERE id = ${} AND version = ${}", D::TABLE, sets.join(", "), n, n + 1);
        let mut q = sqlx::query(&sql);
        for v in after.row().into_iter().skip(1) {
            q = crate::rows::bind(q, v);
        }
        let done = q.bind(after.id()).bind(before_version as i64).execute(&mut *tx).await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::Conflict(format!(
                "{} {} was changed by someone else; reload it",
                D::ENTITY,
                after.id()
            )));
        }
        for (table, columns, rows) in extra {
            crate::rows::insert_new_rows(&mut tx, table, columns, rows, columns[0]).await?;
        }
        crate::obligations::replace(&mut tx, D::KIND, after.id(), obligations).await?;
        crate::writer::write_matter_outbox(&mut tx, &format!("{}{}", D::ENTITY, after.id()), messages, at).await?;
        for e in after.events().iter().skip(before_version as usize) {
            chain.append(&mut tx, &entry(D::ENTITY, after.id(), after.version(), e)).await?;
        }
        chain.store(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Raises a topic: the store gives it its id, the domain makes it.
    pub async fn create_topic(
        &self,
        new: NewTopic,
        actor: &Actor,
        at: Timestamp,
        obligations: impl Fn(&Topic) -> Vec<Obligation>,
    ) -> Result<Topic> {
        self.create_document(|id| domain::deliberation::raise(id, new, actor, at), obligations).await
    }

    /// Writes `after`, computed by the domain from the stored topic at `before_version`.
    pub async fn save_topic(
        &self,
        before_version: u32,
        after: &Topic,
        obligations: &[Obligation],
        messages: &[OutboxMessage],
    ) -> Result<()> {
        self.save_document(before_version, after, obligations, messages, after.updated_at, &[]).await
    }

    pub async fn topic(&self, id: TopicId) -> Result<Topic> {
        let r = sqlx::query("SELECT body FROM topics WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)?;
        doc(&r, "topic")
    }

    /// Topics newest first, of one community (or all) and some statuses (or all).
    pub async fn topics(
        &self,
        community: Option<&str>,
        status: Option<&[TopicStatus]>,
        meeting: Option<i64>,
        limit: i64,
    ) -> Result<Vec<Topic>> {
        let mut sql =
            "SELECT body FROM topics WHERE ($1 = '' OR community = $1) AND ($2 = 0 OR meeting_id = $2)".to_owned();
        if let Some(st) = status {
            // Status names are our own fixed words, so inlining them is safe.
            let list: Vec<String> = st.iter().map(|s| format!("'{}'", s.as_str())).collect();
            sql.push_str(&format!(
                " AND status IN ({})",
                if list.is_empty() { "NULL".into() } else { list.join(", ") }
            ));
        }
        sql.push_str(" ORDER BY id DESC LIMIT $3");
        let rows = sqlx::query(&sql)
            .bind(community.unwrap_or(""))
            .bind(meeting.unwrap_or(0))
            .bind(limit.clamp(1, DELIBERATION_PAGE_MAX))
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(|r| doc(r, "topic")).collect()
    }

    /// Records a resolution: the store gives it its id, the domain makes it.
    pub async fn create_resolution(
        &self,
        new: NewResolution,
        actor: &Actor,
        at: Timestamp,
        obligations: impl Fn(&Resolution) -> Vec<Obligation>,
    ) -> Result<Resolution> {
        self.create_document(|id| domain::deliberation::resolve(id, new, actor, at), obligations).await
    }

    /// Writes `after`, computed by the domain from the stored resolution at `before_version`;
    /// a step newly carried out by a case is linked to it in the same transaction.
    pub async fn save_resolution(
        &self,
        before_version: u32,
        after: &Resolution,
        obligations: &[Obligation],
        messages: &[OutboxMessage],
    ) -> Result<()> {
        let links: Vec<Vec<Val>> = after
            .steps
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.case_id.map(|c| vec![c.into(), after.id.into(), (i as i64).into()]))
            .collect();
        let extra = [("resolution_case_links", &["case_id", "resolution_id", "step"][..], links)];
        self.save_document(before_version, after, obligations, messages, after.updated_at, &extra).await
    }

    pub async fn resolution(&self, id: ResolutionId) -> Result<Resolution> {
        let r = sqlx::query("SELECT body FROM resolutions WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)?;
        doc(&r, "resolution")
    }

    /// Resolutions newest first, of one community (or all) and one board phase (or all).
    pub async fn resolutions(
        &self,
        community: Option<&str>,
        phase: Option<&str>,
        limit: i64,
    ) -> Result<Vec<Resolution>> {
        let rows = sqlx::query(
            "SELECT body FROM resolutions WHERE ($1 = '' OR community = $1) AND ($2 = '' OR phase = $2) \
             ORDER BY id DESC LIMIT $3",
        )
        .bind(community.unwrap_or(""))
        .bind(phase.unwrap_or(""))
        .bind(limit.clamp(1, DELIBERATION_PAGE_MAX))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(|r| doc(r, "resolution")).collect()
    }

    /// The parts (child resolutions) of a resolution.
    pub async fn resolution_parts(&self, parent: ResolutionId) -> Result<Vec<Resolution>> {
        let rows = sqlx::query("SELECT body FROM resolutions WHERE parent_id = $1 ORDER BY id")
            .bind(parent)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(|r| doc(r, "resolution")).collect()
    }

    /// The resolution step a case carries out, if any.
    pub async fn resolution_step_of_case(&self, case_id: i64) -> Result<Option<(ResolutionId, usize)>> {
        let r = sqlx::query("SELECT resolution_id, step FROM resolution_case_links WHERE case_id = $1")
            .bind(case_id)
            .fetch_optional(self.pool())
            .await?;
        r.map(|r| Ok((r.try_get("resolution_id")?, r.try_get::<i64, _>("step")? as usize))).transpose()
    }

    /// Resolutions open, in progress and solved, of one community or the whole street —
    /// top-level resolutions only (a part is counted with its whole).
    pub async fn board_counts(&self, community: Option<&str>) -> Result<BoardCounts> {
        let rows = sqlx::query(
            "SELECT phase, CAST(COUNT(*) AS BIGINT) AS n FROM resolutions \
             WHERE parent_id IS NULL AND ($1 = '' OR community = $1) GROUP BY phase",
        )
        .bind(community.unwrap_or(""))
        .fetch_all(self.pool())
        .await?;
        let mut c = BoardCounts::default();
        for r in rows {
            let n: i64 = r.try_get("n")?;
            match r.try_get::<String, _>("phase")?.as_str() {
                "open" => c.open = n,
                "in_progress" => c.in_progress = n,
                "solved" => c.solved = n,
                _ => {}
            }
        }
        Ok(c)
    }

    /// Sets a community's fixed deliberation day. Audited.
    pub async fn set_deliberation_day(&self, day: &Day, actor: &str, at: Timestamp) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM deliberation_days WHERE community = $1")
            .bind(&day.community)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO deliberation_days (community, day_of_month, minute_of_day, place, capacity) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&day.community)
        .bind(day.day_of_month as i64)
        .bind(day.minute_of_day as i64)
        .bind(&day.place)
        .bind(day.capacity)
        .execute(&mut *tx)
        .await?;
        let detail = serde_json::json!({ "day_of_month": day.day_of_month, "minute_of_day": day.minute_of_day, "place": day.place });
        self.audit_in(
            &mut tx,
            AuditEntry {
                at,
                actor: actor.into(),
                action: "deliberation.day".into(),
                entity: "community".into(),
                entity_id: day.community.clone(),
                detail: detail.to_string(),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn deliberation_days(&self) -> Result<Vec<Day>> {
        let rows = sqlx::query(
            "SELECT community, day_of_month, minute_of_day, place, capacity FROM deliberation_days ORDER BY community",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Day {
                    community: r.try_get("community")?,
                    day_of_month: r.try_get::<i64, _>("day_of_month")? as u8,
                    minute_of_day: r.try_get::<i64, _>("minute_of_day")? as u16,
                    place: r.try_get("place")?,
                    capacity: r.try_get("capacity")?,
                })
            })
            .collect()
    }

    #[allow(clippy::too_many_arguments)]
    /// The fixed days by community code.
    pub async fn days_by_community(&self) -> Result<std::collections::HashMap<String, Day>> {
        Ok(self.deliberation_days().await?.into_iter().map(|d| (d.community.clone(), d)).collect())
    }

    /// Makes the meeting of a community at `starts_at` (with its activity for registration and
    /// check-in) unless it exists; returns its id either way. Audited when made.
    pub async fn ensure_meeting(
        &self,
        community: &str,
        community_name: &str,
        starts_at: Timestamp,
        place: &str,
        capacity: i64,
        checkin_code: &str,
        created_by: i64,
        actor: &str,
        at: Timestamp,
    ) -> Result<(i64, bool)> {
        let mut tx = self.begin_write().await?;
        if let Some(id) =
            sqlx::query_scalar::<_, i64>("SELECT id FROM meetings WHERE community = $1 AND starts_at = $2")
                .bind(community)
                .bind(to_millis(starts_at))
                .fetch_optional(&mut *tx)
                .await?
        {
            return Ok((id, false));
        }
        let activity = crate::community::Activity {
            id: 0,
            title: format!("{community_name}“临距离”网格议事日"),
            body: "居民议事：议题讨论、决议通报、意见征集。".into(),
            place: place.into(),
            starts_at,
            capacity,
            checkin_code: checkin_code.into(),
            signed: 0,
            waitlisted: 0,
            kind: "meeting".into(),
            community: Some(community.into()),
            team_id: None,
            ends_at: Some(starts_at + chrono::Duration::hours(2)),
            place_at: None,
            radius_m: None,
        };
        let activity_id = self.insert_activity(&mut tx, &activity, created_by, at).await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO meetings (community, activity_id, starts_at, place, minutes_status, minutes, organisations, updated_at) \
             VALUES ($1, $2, $3, $4, 'none', '', '[]', $5) RETURNING id",
        )
        .bind(community)
        .bind(activity_id)
        .bind(to_millis(starts_at))
        .bind(place)
        .bind(to_millis(at))
        .fetch_one(&mut *tx)
        .await?;
        let detail =
            serde_json::json!({ "community": community, "activity": activity_id, "starts_at": to_millis(starts_at) });
        self.audit_in(
            &mut tx,
            AuditEntry {
                at,
                actor: actor.into(),
                action: "meeting.create".into(),
                entity: "meeting".into(),
                entity_id: id.to_string(),
                detail: detail.to_string(),
            },
        )
        .await?;
        tx.commit().await?;
        Ok((id, true))
    }

    pub async fn meeting(&self, id: i64) -> Result<Meeting> {
        let r = sqlx::query(&format!("{MEETING_SELECT} WHERE m.id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)?;
        meeting(&r)
    }

    /// Meetings of a community (or all) starting in `[from, to)`, in time order.
    pub async fn meetings(
        &self,
        community: Option<&str>,
        from: Timestamp,
        to: Timestamp,
        limit: i64,
    ) -> Result<Vec<Meeting>> {
        let rows = sqlx::query(&format!(
            "{MEETING_SELECT} WHERE ($1 = '' OR m.community = $1) AND m.starts_at >= $2 AND m.starts_at < $3 \
             ORDER BY m.starts_at, m.id LIMIT $4"
        ))
        .bind(community.unwrap_or(""))
        .bind(to_millis(from))
        .bind(to_millis(to))
        .bind(limit.clamp(1, DELIBERATION_PAGE_MAX))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(meeting).collect()
    }

    /// Records the minutes: a draft may be rewritten; final minutes are not changed again.
    /// Audited.
    pub async fn save_minutes(
        &self,
        id: i64,
        minutes: &str,
        organisations: &[String],
        finalise: bool,
        actor: &str,
        at: Timestamp,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let status: String =
            sqlx::query_scalar(&format!("SELECT minutes_status FROM meetings WHERE id = $1{}", self.row_lock()))
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(StoreError::NotFound)?;
        if status == "final" {
            return Err(StoreError::Conflict(format!("the minutes of meeting {id} are final")));
        }
        let to = if finalise { "final" } else { "draft" };
        sqlx::query(
            "UPDATE meetings SET minutes_status = $1, minutes = $2, organisations = $3, updated_at = $4 WHERE id = $5",
        )
        .bind(to)
        .bind(minutes)
        .bind(serde_json::to_string(organisations).expect("strings serialise"))
        .bind(to_millis(at))
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let detail =
            serde_json::json!({ "status": to, "chars": minutes.chars().count(), "organisations": organisations });
        self.audit_in(
            &mut tx,
            AuditEntry {
                at,
                actor: actor.into(),
                action: "meeting.minutes".into(),
                entity: "meeting".into(),
                entity_id: id.to_string(),
                detail: detail.to_string(),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Imports meetings with their registrations and check-ins (the demo's two years) in one
    /// transaction; returns their ids in order. One audit record covers them.
    pub async fn import_meetings(
        &self,
        list: &[PastMeeting],
        created_by: i64,
        actor: &str,
        at: Timestamp,
    ) -> Result<Vec<i64>> {
        let mut tx = self.begin_write().await?;
        let mut ids = vec![];
        let mut signups = vec![];
        for m in list {
            let a = crate::community::Activity {
                kind: "meeting".into(),
                community: Some(m.community.clone()),
                ends_at: Some(m.starts_at + chrono::Duration::hours(2)),
                ..crate::community::Activity::public(
                    m.title.clone(),
                    "居民议事：议题讨论、决议通报、意见征集。".into(),
                    m.place.clone(),
                    m.starts_at,
                    m.capacity,
                    m.checkin_code.clone(),
                )
            };
            let activity_id = self.insert_activity(&mut tx, &a, created_by, at).await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO meetings (community, activity_id, starts_at, place, minutes_status, minutes, organisations, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            )
            .bind(&m.community)
            .bind(activity_id)
            .bind(to_millis(m.starts_at))
            .bind(&m.place)
            .bind(&m.minutes_status)
            .bind(&m.minutes)
            .bind(serde_json::to_string(&m.organisations).expect("strings serialise"))
            .bind(to_millis(m.starts_at + chrono::Duration::hours(3)))
            .fetch_one(&mut *tx)
            .await?;
            for (user, signed, checked) in &m.attendees {
                signups.push(vec![
                    activity_id.into(),
                    (*user).into(),
                    "signed".into(),
                    to_millis(*signed).into(),
                    Val::Int(checked.map(to_millis)),
                ]);
            }
            ids.push(id);
        }
        insert_rows(&mut tx, "signups", &["activity_id", "user_id", "status", "created_at", "checked_in_at"], &signups)
            .await?;
        let detail = serde_json::json!({ "meetings": list.len(), "attendance": signups.len() });
        self.audit_in(
            &mut tx,
            AuditEntry {
                at,
                actor: actor.into(),
                action: "meeting.import".into(),
                entity: "meeting".into(),
                entity_id: format!("{}-{}", ids.first().unwrap_or(&0), ids.last().unwrap_or(&0)),
                detail: detail.to_string(),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(ids)
    }

    /// Imports historical topics and resolutions with their duties (the demo's two years);
    /// the ids are the ones given. One audit record covers the import.
    pub async fn import_deliberation(
        &self,
        topics: &[Topic],
        resolutions: &[Resolution],
        topic_duties: impl Fn(&Topic) -> Vec<Obligation>,
        resolution_duties: impl Fn(&Resolution) -> Vec<Obligation>,
        actor: &str,
        at: Timestamp,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let mut chain = Chain::lock(&mut tx, self.backend(), &self.audit_key).await?;
        let mut duties = vec![];
        for t in topics {
            duties.extend(crate::obligations::obligation_rows(MatterKind::Topic, t.id, &topic_duties(t)));
        }
        for r in resolutions {
            duties.extend(crate::obligations::obligation_rows(MatterKind::Resolution, r.id, &resolution_duties(r)));
        }
        let links: Vec<Vec<Val>> = resolutions
            .iter()
            .flat_map(|r| {
                r.steps
                    .iter()
                    .enumerate()
                    .filter_map(move |(i, s)| s.case_id.map(|c| vec![c.into(), r.id.into(), (i as i64).into()]))
            })
            .collect();
        insert_rows(&mut tx, "topics", &TOPIC_COLUMNS, &topics.iter().map(topic_row).collect::<Vec<_>>()).await?;
        insert_rows(
            &mut tx,
            "resolutions",
            &RESOLUTION_COLUMNS,
            &resolutions.iter().map(resolution_row).collect::<Vec<_>>(),
        )
        .await?;
        insert_rows(&mut tx, "resolution_case_links", &["case_id", "resolution_id", "step"], &links).await?;
        insert_rows(&mut tx, "obligations", &crate::obligations::OBLIGATION_COLUMNS, &duties).await?;
        chain
            .append(
                &mut tx,
                &AuditEntry {
                    at,
                    actor: actor.into(),
                    action: "deliberation.import".into(),
                    entity: "deliberation".into(),
                    entity_id: format!("{} topics, {} resolutions", topics.len(), resolutions.len()),
                    detail: serde_json::json!({ "topics": topics.len(), "resolutions": resolutions.len() }).to_string(),
                },
            )
            .await?;
        chain.store(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Statuses of a topic that still owe something.
pub const TOPIC_OPEN_SQL: &str = "('raised', 'accepted', 'on_agenda')";
/// Statuses of a resolution that still owe something.
pub const RESOLUTION_OPEN_SQL: &str = "('open')";
