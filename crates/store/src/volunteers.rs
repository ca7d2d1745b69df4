//! Volunteer teams, their members, shifts (activities of kind `shift`), check-in and
//! check-out at the place, hours (from check-in/out, or added by a team leader — recorded as
//! such, capped at the shift's length), and anti-fraud home visits. Every change is audited.

use crate::audit::AuditEntry;
use crate::community::Activity;
use crate::{from_millis, to_millis, Result, Store, StoreError};
use domain::Timestamp;
use sqlx::any::AnyRow;
use sqlx::Row;

/// A volunteer team.
#[derive(Debug, Clone, PartialEq)]
pub struct Team {
    pub id: i64,
    pub community: String,
    pub kind: String,
    pub name: String,
    pub leader_user: Option<i64>,
    pub members: i64,
}

/// A member of a team with the minutes they served.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    pub user_id: i64,
    pub display_name: String,
    pub skills: String,
    pub minutes: i64,
}

/// One line of a service record.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceLine {
    pub activity_id: i64,
    pub title: String,
    pub starts_at: Timestamp,
    pub minutes: i64,
    /// `checkin` (from check-in and check-out) or `leader` (added by the team leader).
    pub source: String,
    pub reason: Option<String>,
}

/// One person's place at a shift, for the leader's roster.
#[derive(Debug, Clone, PartialEq)]
pub struct RosterLine {
    pub user_id: i64,
    pub name: String,
    pub status: String,
    pub checked_in_at: Option<Timestamp>,
    pub checked_out_at: Option<Timestamp>,
    pub minutes: Option<i64>,
    pub added_minutes: i64,
}

const ROSTER_SELECT: &str = "SELECT s.user_id, u.display_name, s.status, s.checked_in_at, s.checked_out_at, s.minutes, \
    CAST(COALESCE((SELECT SUM(c.minutes) FROM service_credits c WHERE c.activity_id = s.activity_id AND c.user_id = s.user_id), 0) AS BIGINT) AS added \
    FROM signups s JOIN users u ON u.id = s.user_id";

fn roster_line(r: &AnyRow) -> Result<RosterLine> {
    Ok(RosterLine {
        user_id: r.try_get("user_id")?,
        name: r.try_get("display_name")?,
        status: r.try_get("status")?,
        checked_in_at: crate::opt_from_millis(r.try_get("checked_in_at")?)?,
        checked_out_at: crate::opt_from_millis(r.try_get("checked_out_at")?)?,
        minutes: r.try_get("minutes")?,
        added_minutes: r.try_get("added")?,
    })
}

/// A volunteer's anti-fraud home visits.
#[derive(Debug, Clone, PartialEq)]
pub struct Visit {
    pub id: i64,
    pub user_id: i64,
    pub team_id: Option<i64>,
    pub community: String,
    pub visited_at: Timestamp,
    pub households: i64,
    pub leaflets: i64,
    pub note: String,
}

/// What a check-in at the place gives.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ShiftCheckIn {
    /// Checked in now (holding a place, or taking a free one at the door).
    Done,
    /// Checked in before: nothing changes.
    Already,
    /// No place held, and every place is taken.
    Full,
}

const TEAM_SELECT: &str = "SELECT t.id, t.community, t.kind, t.name, t.leader_user, \
    CAST((SELECT COUNT(*) FROM volunteer_members m WHERE m.team_id = t.id) AS BIGINT) AS members FROM volunteer_teams t";

fn team(r: &AnyRow) -> Result<Team> {
    Ok(Team {
        id: r.try_get("id")?,
        community: r.try_get("community")?,
        kind: r.try_get("kind")?,
        name: r.try_get("name")?,
        leader_user: r.try_get("leader_user")?,
        members: r.try_get("members")?,
    })
}

fn audit(
    actor: &str,
    action: &str,
    entity: &str,
    id: impl ToString,
    detail: serde_json::Value,
    at: Timestamp,
) -> AuditEntry {
    AuditEntry {
        at,
        actor: actor.into(),
        action: action.into(),
        entity: entity.into(),
        entity_id: id.to_string(),
        detail: detail.to_string(),
    }
}

impl Store {
    pub async fn create_team(
        &self,
        community: &str,
        kind: &str,
        name: &str,
        leader_user: Option<i64>,
        actor: &str,
        at: Timestamp,
    ) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO volunteer_teams (community, kind, name, leader_user, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(community)
        .bind(kind)
        .bind(name)
        .bind(leader_user)
        .bind(to_millis(at))
        .fetch_one(&mut *tx)
        .await?;
        let detail = serde_json::json!({ "community": community, "kind": kind, "name": name, "leader": leader_user });
        self.audit_in(&mut tx, audit(actor, "team.create", "team", id, detail, at)).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Adds a member (or updates their skills). Audited.
    pub async fn add_member(&self, team: i64, user: i64, skills: &str, actor: &str, at: Timestamp) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM volunteer_members WHERE team_id = $1 AND user_id = $2")
            .bind(team)
            .bind(user)
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO volunteer_members (team_id, user_id, skills, joined_at) VALUES ($1, $2, $3, $4)")
            .bind(team)
            .bind(user)
            .bind(skills)
            .bind(to_millis(at))
            .execute(&mut *tx)
            .await?;
        let detail = serde_json::json!({ "user": user, "skills": skills });
        self.audit_in(&mut tx, audit(actor, "team.member", "team", team, detail, at)).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn team(&self, id: i64) -> Result<Team> {
        let r = sqlx::query(&format!("{TEAM_SELECT} WHERE t.id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)?;
        team(&r)
    }

    /// Teams of a community (or all), by community then name.
    pub async fn teams(&self, community: Option<&str>) -> Result<Vec<Team>> {
        let rows =
            sqlx::query(&format!("{TEAM_SELECT} WHERE ($1 = '' OR t.community = $1) ORDER BY t.community, t.id"))
                .bind(community.unwrap_or(""))
                .fetch_all(self.pool())
                .await?;
        rows.iter().map(team).collect()
    }

    /// The teams a person belongs to or leads.
    pub async fn teams_of(&self, user: i64) -> Result<Vec<Team>> {
        let rows = sqlx::query(&format!(
            "{TEAM_SELECT} WHERE t.leader_user = $1 OR EXISTS \
             (SELECT 1 FROM volunteer_members m WHERE m.team_id = t.id AND m.user_id = $1) ORDER BY t.id"
        ))
        .bind(user)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(team).collect()
    }

    /// A team's members with the minutes each served (check-ins and leader additions).
    pub async fn members(&self, team: i64) -> Result<Vec<Member>> {
        let rows = sqlx::query(
            "SELECT m.user_id, u.display_name, m.skills, \
             CAST(COALESCE((SELECT SUM(s.minutes) FROM signups s WHERE s.user_id = m.user_id AND s.minutes IS NOT NULL), 0) \
               + COALESCE((SELECT SUM(c.minutes) FROM service_credits c WHERE c.user_id = m.user_id), 0) AS BIGINT) AS minutes \
             FROM volunteer_members m JOIN users u ON u.id = m.user_id WHERE m.team_id = $1 ORDER BY m.joined_at, m.user_id",
        )
        .bind(team)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Member {
                    user_id: r.try_get("user_id")?,
                    display_name: r.try_get("display_name")?,
                    skills: r.try_get("skills")?,
                    minutes: r.try_get("minutes")?,
                })
            })
            .collect()
    }

    /// Shifts of some teams starting in `[from, to)`, in time order.
    pub async fn shifts(&self, teams: &[i64], from: Timestamp, to: Timestamp, limit: i64) -> Result<Vec<Activity>> {
        if teams.is_empty() {
            return Ok(vec![]);
        }
        let ids: Vec<String> = teams.iter().map(|t| t.to_string()).collect();
        let rows = sqlx::query(&format!(
            "{} WHERE a.kind = 'shift' AND a.team_id IN ({}) AND a.starts_at >= $1 AND a.starts_at < $2 \
             ORDER BY a.starts_at, a.id LIMIT $3",
            crate::community::ACTIVITY_SELECT,
            ids.join(", ")
        ))
        .bind(to_millis(from))
        .bind(to_millis(to))
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(crate::community::activity).collect()
    }

    /// Checks a volunteer in at a shift (the caller checked the code and the position): a
    /// place held is used; without one, a free place is taken at the door; a full shift
    /// refuses. Audited.
    pub async fn check_in_at_shift(
        &self,
        activity: i64,
        user: i64,
        actor: &str,
        at: Timestamp,
    ) -> Result<ShiftCheckIn> {
        let mut tx = self.begin_write().await?;
        let capacity: i64 =
            sqlx::query_scalar(&format!("SELECT capacity FROM activities WHERE id = $1{}", self.row_lock()))
                .bind(activity)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(StoreError::NotFound)?;
        let held = sqlx::query("SELECT status, checked_in_at FROM signups WHERE activity_id = $1 AND user_id = $2")
            .bind(activity)
            .bind(user)
            .fetch_optional(&mut *tx)
            .await?;
        let (status, checked): (Option<String>, bool) = match &held {
            Some(r) => (Some(r.try_get("status")?), r.try_get::<Option<i64>, _>("checked_in_at")?.is_some()),
            None => (None, false),
        };
        if checked {
            return Ok(ShiftCheckIn::Already);
        }
        if status.as_deref() != Some("signed") {
            let signed: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM signups WHERE activity_id = $1 AND status = 'signed'")
                    .bind(activity)
                    .fetch_one(&mut *tx)
                    .await?;
            if signed >= capacity {
                return Ok(ShiftCheckIn::Full);
            }
            sqlx::query("DELETE FROM signups WHERE activity_id = $1 AND user_id = $2")
                .bind(activity)
                .bind(user)
                .execute(&mut *tx)
                .await?;
            sqlx::query("INSERT INTO signups (activity_id, user_id, status, created_at) VALUES ($1, $2, 'signed', $3)")
                .bind(activity)
                .bind(user)
                .bind(to_millis(at))
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("UPDATE signups SET checked_in_at = $1 WHERE activity_id = $2 AND user_id = $3")
            .bind(to_millis(at))
            .bind(activity)
            .bind(user)
            .execute(&mut *tx)
            .await?;
        let detail = serde_json::json!({ "user": user, "walk_in": status.as_deref() != Some("signed") });
        self.audit_in(&mut tx, audit(actor, "shift.checkin", "activity", activity, detail, at)).await?;
        tx.commit().await?;
        Ok(ShiftCheckIn::Done)
    }

    /// Checks a volunteer out: the minutes served come from check-in and check-out, capped
    /// at the shift's length (`domain::volunteer::served_minutes`). Returns the minutes.
    /// Audited.
    pub async fn check_out_of_shift(&self, activity: i64, user: i64, actor: &str, at: Timestamp) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        let a = sqlx::query("SELECT starts_at, ends_at FROM activities WHERE id = $1")
            .bind(activity)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        let starts_at = from_millis(a.try_get("starts_at")?)?;
        let ends_at = crate::opt_from_millis(a.try_get("ends_at")?)?.unwrap_or(starts_at);
        let r =
            sqlx::query("SELECT checked_in_at, checked_out_at FROM signups WHERE activity_id = $1 AND user_id = $2")
                .bind(activity)
                .bind(user)
                .fetch_optional(&mut *tx)
                .await?;
        let Some(r) = r else {
            return Err(StoreError::Invalid("check in before checking out".into()));
        };
        let Some(checked_in) = crate::opt_from_millis(r.try_get("checked_in_at")?)? else {
            return Err(StoreError::Invalid("check in before checking out".into()));
        };
        if r.try_get::<Option<i64>, _>("checked_out_at")?.is_some() {
            return Err(StoreError::Conflict("already checked out of this shift".into()));
        }
        let minutes = domain::volunteer::served_minutes(checked_in, at, starts_at, ends_at);
        sqlx::query("UPDATE signups SET checked_out_at = $1, minutes = $2 WHERE activity_id = $3 AND user_id = $4")
            .bind(to_millis(at))
            .bind(minutes)
            .bind(activity)
            .bind(user)
            .execute(&mut *tx)
            .await?;
        let detail = serde_json::json!({ "user": user, "minutes": minutes });
        self.audit_in(&mut tx, audit(actor, "shift.checkout", "activity", activity, detail, at)).await?;
        tx.commit().await?;
        Ok(minutes)
    }

    /// Minutes a team leader adds for a volunteer at a shift (one who could not check in),
    /// recorded as the leader's, never more than the shift's length leaves. Audited.
    #[allow(clippy::too_many_arguments)]
    pub async fn add_service_minutes(
        &self,
        activity: i64,
        user: i64,
        minutes: i64,
        reason: &str,
        added_by: i64,
        actor: &str,
        at: Timestamp,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let a = sqlx::query(&format!("SELECT starts_at, ends_at FROM activities WHERE id = $1{}", self.row_lock()))
            .bind(activity)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        let starts_at = from_millis(a.try_get("starts_at")?)?;
        let ends_at = crate::opt_from_millis(a.try_get("ends_at")?)?.unwrap_or(starts_at);
        let recorded: i64 = sqlx::query_scalar(
            "SELECT CAST(COALESCE((SELECT minutes FROM signups WHERE activity_id = $1 AND user_id = $2), 0) \
             + COALESCE((SELECT SUM(minutes) FROM service_credits WHERE activity_id = $1 AND user_id = $2), 0) AS BIGINT)",
        )
        .bind(activity)
        .bind(user)
        .fetch_one(&mut *tx)
        .await?;
        let room = domain::volunteer::addable_minutes(recorded, starts_at, ends_at);
        if minutes <= 0 || minutes > room {
            return Err(StoreError::Invalid(format!(
                "{minutes} minutes cannot be added: the shift leaves {room} minutes after the {recorded} recorded"
            )));
        }
        sqlx::query(
            "INSERT INTO service_credits (activity_id, user_id, minutes, reason, added_by, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(activity)
        .bind(user)
        .bind(minutes)
        .bind(reason)
        .bind(added_by)
        .bind(to_millis(at))
        .execute(&mut *tx)
        .await?;
        let detail = serde_json::json!({ "user": user, "minutes": minutes, "reason": reason });
        self.audit_in(&mut tx, audit(actor, "shift.add_minutes", "activity", activity, detail, at)).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A volunteer's service record, newest first: shifts checked out of, and minutes added
    /// by a leader.
    pub async fn service_record(&self, user: i64) -> Result<Vec<ServiceLine>> {
        let rows = sqlx::query(
            "SELECT a.id, a.title, a.starts_at, s.minutes, 'checkin' AS source, CAST(NULL AS TEXT) AS reason \
             FROM signups s JOIN activities a ON a.id = s.activity_id WHERE s.user_id = $1 AND s.minutes IS NOT NULL \
             UNION ALL \
             SELECT a.id, a.title, a.starts_at, c.minutes, 'leader' AS source, c.reason \
             FROM service_credits c JOIN activities a ON a.id = c.activity_id WHERE c.user_id = $1 \
             ORDER BY 3 DESC, 1 DESC",
        )
        .bind(user)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ServiceLine {
                    activity_id: r.try_get("id")?,
                    title: r.try_get("title")?,
                    starts_at: from_millis(r.try_get("starts_at")?)?,
                    minutes: r.try_get("minutes")?,
                    source: r.try_get("source")?,
                    reason: r.try_get("reason")?,
                })
            })
            .collect()
    }

    /// Who holds or waits for a place at a shift (signed first, then by sign-up time).
    pub async fn roster(&self, activity: i64) -> Result<Vec<RosterLine>> {
        let rows = sqlx::query(&format!(
            "{ROSTER_SELECT} WHERE s.activity_id = $1 ORDER BY s.status = 'signed' DESC, s.created_at, s.user_id"
        ))
        .bind(activity)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(roster_line).collect()
    }

    pub async fn roster_line(&self, activity: i64, user: i64) -> Result<Option<RosterLine>> {
        let r = sqlx::query(&format!("{ROSTER_SELECT} WHERE s.activity_id = $1 AND s.user_id = $2"))
            .bind(activity)
            .bind(user)
            .fetch_optional(self.pool())
            .await?;
        r.as_ref().map(roster_line).transpose()
    }

    /// Cases a person reported (a volunteer's reports are credited to them).
    pub async fn cases_reported_by(&self, user: i64) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM cases WHERE reported_by = $1")
            .bind(user)
            .fetch_one(self.pool())
            .await?)
    }

    /// Volunteer accounts that are not disabled.
    pub async fn volunteer_count(&self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE role = 'volunteer' AND disabled = 0")
            .fetch_one(self.pool())
            .await?)
    }

    /// Minutes served, shifts held and households visited in `[from, to)`.
    pub async fn volunteering_between(&self, from: Timestamp, to: Timestamp) -> Result<(i64, i64, i64)> {
        let r = sqlx::query(
            "SELECT CAST(COALESCE((SELECT SUM(s.minutes) FROM signups s JOIN activities a ON a.id = s.activity_id \
               WHERE a.kind = 'shift' AND a.starts_at >= $1 AND a.starts_at < $2), 0) \
             + COALESCE((SELECT SUM(c.minutes) FROM service_credits c JOIN activities a ON a.id = c.activity_id \
               WHERE a.starts_at >= $1 AND a.starts_at < $2), 0) AS BIGINT) AS m, \
             CAST((SELECT COUNT(*) FROM activities a WHERE a.kind = 'shift' AND a.starts_at >= $1 AND a.starts_at < $2) AS BIGINT) AS n, \
             CAST(COALESCE((SELECT SUM(households) FROM volunteer_visits WHERE visited_at >= $1 AND visited_at < $2), 0) AS BIGINT) AS h",
        )
        .bind(to_millis(from))
        .bind(to_millis(to))
        .fetch_one(self.pool())
        .await?;
        Ok((r.try_get("m")?, r.try_get("n")?, r.try_get("h")?))
    }

    /// Records an anti-fraud home visit. Audited.
    pub async fn add_visit(&self, v: &Visit, actor: &str, at: Timestamp) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO volunteer_visits (user_id, team_id, community, visited_at, households, leaflets, note, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(v.user_id)
        .bind(v.team_id)
        .bind(&v.community)
        .bind(to_millis(v.visited_at))
        .bind(v.households)
        .bind(v.leaflets)
        .bind(&v.note)
        .bind(to_millis(at))
        .fetch_one(&mut *tx)
        .await?;
        let detail = serde_json::json!({ "user": v.user_id, "households": v.households, "leaflets": v.leaflets });
        self.audit_in(&mut tx, audit(actor, "visit.add", "visit", id, detail, at)).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Visits of a person, or of a team's members (newest first).
    pub async fn visits(&self, user: Option<i64>, team: Option<i64>, limit: i64) -> Result<Vec<Visit>> {
        let rows = sqlx::query(
            "SELECT id, user_id, team_id, community, visited_at, households, leaflets, note FROM volunteer_visits \
             WHERE ($1 = 0 OR user_id = $1) AND ($2 = 0 OR team_id = $2) ORDER BY visited_at DESC, id DESC LIMIT $3",
        )
        .bind(user.unwrap_or(0))
        .bind(team.unwrap_or(0))
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Visit {
                    id: r.try_get("id")?,
                    user_id: r.try_get("user_id")?,
                    team_id: r.try_get("team_id")?,
                    community: r.try_get("community")?,
                    visited_at: from_millis(r.try_get("visited_at")?)?,
                    households: r.try_get("households")?,
                    leaflets: r.try_get("leaflets")?,
                    note: r.try_get("note")?,
                })
            })
            .collect()
    }

    /// Households visited and leaflets handed out, in total, by a person or team (or all).
    pub async fn visit_totals(&self, user: Option<i64>, team: Option<i64>) -> Result<(i64, i64, i64)> {
        let r = sqlx::query(
            "SELECT CAST(COUNT(*) AS BIGINT) AS n, CAST(COALESCE(SUM(households), 0) AS BIGINT) AS h, \
             CAST(COALESCE(SUM(leaflets), 0) AS BIGINT) AS l FROM volunteer_visits \
             WHERE ($1 = 0 OR user_id = $1) AND ($2 = 0 OR team_id = $2)",
        )
        .bind(user.unwrap_or(0))
        .bind(team.unwrap_or(0))
        .fetch_one(self.pool())
        .await?;
        Ok((r.try_get("n")?, r.try_get("h")?, r.try_get("l")?))
    }

    /// Imports teams with their members (`(user, skills, joined at)`) in one transaction;
    /// returns the teams' ids in order. One audit record covers them.
    #[allow(clippy::type_complexity)]
    pub async fn import_teams(
        &self,
        teams: &[(String, String, String, Option<i64>, Vec<(i64, String, Timestamp)>)],
        actor: &str,
        at: Timestamp,
    ) -> Result<Vec<i64>> {
        let mut tx = self.begin_write().await?;
        let mut ids = vec![];
        let mut rows = vec![];
        for (community, kind, name, leader, members) in teams {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO volunteer_teams (community, kind, name, leader_user, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(community)
            .bind(kind)
            .bind(name)
            .bind(*leader)
            .bind(to_millis(at))
            .fetch_one(&mut *tx)
            .await?;
            for (user, skills, joined) in members {
                rows.push(vec![id.into(), (*user).into(), skills.clone().into(), to_millis(*joined).into()]);
            }
            ids.push(id);
        }
        crate::rows::insert_rows(&mut tx, "volunteer_members", &["team_id", "user_id", "skills", "joined_at"], &rows)
            .await?;
        let detail = serde_json::json!({ "teams": teams.len(), "members": rows.len() });
        self.audit_in(&mut tx, audit(actor, "team.import", "team", "history", detail, at)).await?;
        tx.commit().await?;
        Ok(ids)
    }

    /// Imports historical teams, members, shifts with attendance, and visits (the demo's two
    /// years, and the coming weeks' sign-ups) in one transaction; one audit record covers it.
    /// `shifts` carry their places as `(user, Some((checked in, checked out, minutes)))`, or
    /// `(user, None)` for a place not yet served.
    #[allow(clippy::type_complexity)]
    pub async fn import_volunteering(
        &self,
        shifts: &[(Activity, Vec<(i64, Option<(Timestamp, Timestamp, i64)>)>)],
        visits: &[Visit],
        created_by: i64,
        actor: &str,
        at: Timestamp,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let mut signups = vec![];
        for (a, attended) in shifts {
            let id = self.insert_activity(&mut tx, a, created_by, at).await?;
            for (user, served) in attended {
                signups.push(vec![
                    id.into(),
                    (*user).into(),
                    "signed".into(),
                    to_millis(a.starts_at - chrono::Duration::days(3)).into(),
                    crate::rows::Val::Int(served.map(|s| to_millis(s.0))),
                    crate::rows::Val::Int(served.map(|s| to_millis(s.1))),
                    crate::rows::Val::Int(served.map(|s| s.2)),
                ]);
            }
        }
        crate::rows::insert_rows(
            &mut tx,
            "signups",
            &["activity_id", "user_id", "status", "created_at", "checked_in_at", "checked_out_at", "minutes"],
            &signups,
        )
        .await?;
        let visit_rows: Vec<Vec<crate::rows::Val>> = visits
            .iter()
            .map(|v| {
                vec![
                    v.user_id.into(),
                    v.team_id.into(),
                    v.community.clone().into(),
                    to_millis(v.visited_at).into(),
                    v.households.into(),
                    v.leaflets.into(),
                    v.note.clone().into(),
                    to_millis(v.visited_at).into(),
                ]
            })
            .collect();
        crate::rows::insert_rows(
            &mut tx,
            "volunteer_visits",
            &["user_id", "team_id", "community", "visited_at", "households", "leaflets", "note", "created_at"],
            &visit_rows,
        )
        .await?;
        let detail = serde_json::json!({ "shifts": shifts.len(), "attendance": signups.len(), "visits": visits.len() });
        self.audit_in(&mut tx, audit(actor, "volunteering.import", "volunteering", "history", detail, at)).await?;
        tx.commit().await?;
        Ok(())
    }
}
