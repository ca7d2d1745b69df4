//! Community content of the resident app: articles (news and service guides), mutual-help
//! posts with abuse reports that hide a post automatically, and activities with sign-up,
//! waiting list and check-in. Staff actions are recorded in the audit log.

use crate::audit::AuditEntry;
use crate::{from_millis, opt_from_millis, to_millis, Result, Store, StoreError};
use domain::Timestamp;
use sqlx::any::AnyRow;
use sqlx::Row;

#[derive(Debug, Clone, PartialEq)]
pub struct Article {
    pub id: i64,
    /// `news` (大美临江) or `guide` (工具箱).
    pub kind: String,
    pub title: String,
    pub body: String,
    /// For guides: the documents to bring, office hours and the phone number.
    pub documents: String,
    pub office_hours: String,
    pub phone: String,
    pub author: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// A picture from `images`.
    pub image_id: Option<i64>,
    /// Shown to residents (staff can take an article down and put it back).
    pub published: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Post {
    pub id: i64,
    /// `ask` or `offer`.
    pub kind: String,
    pub topic: String,
    pub title: String,
    pub body: String,
    pub author: i64,
    /// `open`, `done`, `hidden` (by reports, awaiting moderation) or `removed`.
    pub status: String,
    pub reports: i64,
    pub created_at: Timestamp,
    /// Where the help is needed or offered, and when (if it is for a time).
    pub place: String,
    pub needed_at: Option<Timestamp>,
    /// Neighbours who answered.
    pub responses: i64,
}

/// A neighbour's answer to a post.
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    pub user_id: i64,
    pub display_name: String,
    pub note: String,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Activity {
    pub id: i64,
    pub title: String,
    pub body: String,
    pub place: String,
    pub starts_at: Timestamp,
    pub capacity: i64,
    pub checkin_code: String,
    pub signed: i64,
    pub waitlisted: i64,
    /// `public` (open to residents), `meeting` (a deliberation day) or `shift` (a volunteer
    /// team's).
    pub kind: String,
    pub community: Option<String>,
    pub team_id: Option<i64>,
    pub ends_at: Option<Timestamp>,
    /// Where check-in is accepted (a shift's place), and how far from it.
    pub place_at: Option<domain::geo::LatLng>,
    pub radius_m: Option<i64>,
}

impl Activity {
    /// A public activity residents sign up for.
    pub fn public(
        title: String,
        body: String,
        place: String,
        starts_at: Timestamp,
        capacity: i64,
        checkin_code: String,
    ) -> Self {
        Activity {
            id: 0,
            title,
            body,
            place,
            starts_at,
            capacity,
            checkin_code,
            signed: 0,
            waitlisted: 0,
            kind: "public".into(),
            community: None,
            team_id: None,
            ends_at: None,
            place_at: None,
            radius_m: None,
        }
    }
}

/// A person's place for an activity.
#[derive(Debug, Clone, PartialEq)]
pub struct Signup {
    /// `signed`, `waitlisted` or `cancelled`.
    pub status: String,
    pub checked_in_at: Option<Timestamp>,
}

fn article(r: &AnyRow) -> Result<Article> {
    Ok(Article {
        id: r.try_get("id")?,
        kind: r.try_get("kind")?,
        title: r.try_get("title")?,
        body: r.try_get("body")?,
        documents: r.try_get("documents")?,
        office_hours: r.try_get("office_hours")?,
        phone: r.try_get("phone")?,
        author: r.try_get("author")?,
        created_at: from_millis(r.try_get("created_at")?)?,
        updated_at: from_millis(r.try_get("updated_at")?)?,
        image_id: r.try_get("image_id")?,
        published: r.try_get::<i64, _>("published")? != 0,
    })
}

fn post(r: &AnyRow) -> Result<Post> {
    Ok(Post {
        id: r.try_get("id")?,
        kind: r.try_get("kind")?,
        topic: r.try_get("topic")?,
        title: r.try_get("title")?,
        body: r.try_get("body")?,
        author: r.try_get("author")?,
        status: r.try_get("status")?,
        reports: r.try_get("reports")?,
        created_at: from_millis(r.try_get("created_at")?)?,
        place: r.try_get("place")?,
        needed_at: opt_from_millis(r.try_get("needed_at")?)?,
        responses: r.try_get("responses")?,
    })
}

const POST_SELECT: &str = "SELECT p.*, CAST((SELECT COUNT(*) FROM post_responses x WHERE x.post_id = p.id) AS BIGINT) AS responses FROM posts p";

pub(crate) const ACTIVITY_SELECT: &str = "SELECT a.id, a.title, a.body, a.place, a.starts_at, a.capacity, a.checkin_code, \
    a.kind, a.community, a.team_id, a.ends_at, a.lat, a.lng, a.radius_m, \
    CAST((SELECT COUNT(*) FROM signups s WHERE s.activity_id = a.id AND s.status = 'signed') AS BIGINT) AS signed, \
    CAST((SELECT COUNT(*) FROM signups s WHERE s.activity_id = a.id AND s.status = 'waitlisted') AS BIGINT) AS waitlisted \
    FROM activities a";

pub(crate) fn activity(r: &AnyRow) -> Result<Activity> {
    Ok(Activity {
        id: r.try_get("id")?,
        title: r.try_get("title")?,
        body: r.try_get("body")?,
        place: r.try_get("place")?,
        starts_at: from_millis(r.try_get("starts_at")?)?,
        capacity: r.try_get("capacity")?,
        checkin_code: r.try_get("checkin_code")?,
        signed: r.try_get("signed")?,
        waitlisted: r.try_get("waitlisted")?,
        kind: r.try_get("kind")?,
        community: r.try_get("community")?,
        team_id: r.try_get("team_id")?,
        ends_at: opt_from_millis(r.try_get("ends_at")?)?,
        place_at: match (r.try_get::<Option<f64>, _>("lat")?, r.try_get::<Option<f64>, _>("lng")?) {
            (Some(lat), Some(lng)) => Some(
                domain::geo::LatLng::new(lat, lng).map_err(|e| StoreError::Corrupt(format!("activity place: {e}")))?,
            ),
            _ => None,
        },
        radius_m: r.try_get("radius_m")?,
    })
}

impl Store {
    /// Publishes an article, or updates it when `id` is given.
    pub async fn save_article(&self, id: Option<i64>, a: &Article, actor: &str, at: Timestamp) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        let id = match id {
            Some(id) => {
                let done = sqlx::query(
                    "UPDATE articles SET title = $1, body = $2, documents = $3, office_hours = $4, phone = $5, updated_at = $6, image_id = $9 \
                     WHERE id = $7 AND kind = $8",
                )
                .bind(&a.title)
                .bind(&a.body)
                .bind(&a.documents)
                .bind(&a.office_hours)
                .bind(&a.phone)
                .bind(to_millis(at))
                .bind(id)
                .bind(&a.kind)
                .bind(a.image_id)
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound);
                }
                id
            }
            None => {
                sqlx::query_scalar(
                    "INSERT INTO articles (kind, title, body, documents, office_hours, phone, author, created_at, updated_at, image_id) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
                )
                .bind(&a.kind)
                .bind(&a.title)
                .bind(&a.body)
                .bind(&a.documents)
                .bind(&a.office_hours)
                .bind(&a.phone)
                .bind(a.author)
                .bind(to_millis(at))
                .bind(to_millis(at))
                .bind(a.image_id)
                .fetch_one(&mut *tx)
                .await?
            }
        };
        let detail = serde_json::json!({"kind": a.kind, "title": a.title}).to_string();
        self.audit_in(
            &mut tx,
            AuditEntry {
                at,
                actor: actor.into(),
                action: "article.save".into(),
                entity: "article".into(),
                entity_id: id.to_string(),
                detail,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Articles of a kind, newest first: the published ones, or all (for staff).
    pub async fn articles(&self, kind: &str, all: bool, limit: i64) -> Result<Vec<Article>> {
        let rows = sqlx::query(
            "SELECT * FROM articles WHERE kind = $1 AND (published = 1 OR $2 = 1) ORDER BY updated_at DESC LIMIT $3",
        )
        .bind(kind)
        .bind(all as i64)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(article).collect()
    }

    pub async fn create_post(
        &self,
        kind: &str,
        topic: &str,
        title: &str,
        body: &str,
        place: &str,
        needed_at: Option<Timestamp>,
        author: i64,
        at: Timestamp,
    ) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO posts (kind, topic, title, body, author, status, reports, created_at, updated_at, place, needed_at) \
             VALUES ($1, $2, $3, $4, $5, 'open', 0, $6, $7, $8, $9) RETURNING id",
        )
        .bind(kind)
        .bind(topic)
        .bind(title)
        .bind(body)
        .bind(author)
        .bind(to_millis(at))
        .bind(to_millis(at))
        .bind(place)
        .bind(needed_at.map(to_millis))
        .fetch_one(self.pool())
        .await?)
    }

    /// A neighbour answers a post (once; answering again replaces the note), and its author is
    /// told in the app in the same transaction. Audited. Returns the number of answers.
    pub async fn respond_to_post(
        &self,
        id: i64,
        user: i64,
        note: &str,
        notice: &crate::writer::OutboxMessage,
        actor: &str,
        at: Timestamp,
    ) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM post_responses WHERE post_id = $1 AND user_id = $2")
            .bind(id)
            .bind(user)
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO post_responses (post_id, user_id, note, created_at) VALUES ($1, $2, $3, $4)")
            .bind(id)
            .bind(user)
            .bind(note)
            .bind(to_millis(at))
            .execute(&mut *tx)
            .await?;
        crate::writer::write_matter_outbox(
            &mut tx,
            &format!("post{id}:user{user}:{}", to_millis(at)),
            std::slice::from_ref(notice),
            at,
        )
        .await?;
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM post_responses WHERE post_id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        let detail = serde_json::json!({ "user": user, "responses": n });
        self.audit_in(&mut tx, community_entry(actor, "post.respond", "post", id, detail, at)).await?;
        tx.commit().await?;
        Ok(n)
    }

    /// The answers to a post, oldest first, with the neighbours' names.
    pub async fn post_responses(&self, id: i64) -> Result<Vec<Response>> {
        let rows = sqlx::query(
            "SELECT x.user_id, u.display_name, x.note, x.created_at FROM post_responses x JOIN users u ON u.id = x.user_id \
             WHERE x.post_id = $1 ORDER BY x.created_at, x.user_id",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Response {
                    user_id: r.try_get("user_id")?,
                    display_name: r.try_get("display_name")?,
                    note: r.try_get("note")?,
                    created_at: from_millis(r.try_get("created_at")?)?,
                })
            })
            .collect()
    }

    /// Takes an article down or puts it back. Audited.
    pub async fn set_article_published(&self, id: i64, published: bool, actor: &str, at: Timestamp) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query("UPDATE articles SET published = $1 WHERE id = $2")
            .bind(published as i64)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        let detail = serde_json::json!({ "published": published });
        self.audit_in(&mut tx, community_entry(actor, "article.publish", "article", id, detail, at)).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn post(&self, id: i64) -> Result<Post> {
        let r = sqlx::query(&format!("{POST_SELECT} WHERE p.id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)?;
        post(&r)
    }

    /// Posts in one of `statuses`, newest first.
    pub async fn posts(&self, statuses: &[&str], limit: i64) -> Result<Vec<Post>> {
        let marks: Vec<String> = (1..=statuses.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "{POST_SELECT} WHERE p.status IN ({}) ORDER BY p.id DESC LIMIT ${}",
            marks.join(", "),
            statuses.len() + 1
        );
        let mut q = sqlx::query(&sql);
        for s in statuses {
            q = q.bind(*s);
        }
        let rows = q.bind(limit).fetch_all(self.pool()).await?;
        rows.iter().map(post).collect()
    }

    /// Posts reported at least once that still await a decision, most reported first.
    pub async fn moderation_queue(&self, limit: i64) -> Result<Vec<Post>> {
        let rows = sqlx::query(&format!(
            "{POST_SELECT} WHERE p.reports > 0 AND p.status IN ('open', 'hidden') ORDER BY p.reports DESC, p.id LIMIT $1"
        ))
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(post).collect()
    }

    pub async fn set_post_status(&self, id: i64, status: &str, actor: &str, at: Timestamp) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query("UPDATE posts SET status = $1, updated_at = $2 WHERE id = $3")
            .bind(status)
            .bind(to_millis(at))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        let detail = serde_json::json!({"status": status}).to_string();
        self.audit_in(
            &mut tx,
            AuditEntry {
                at,
                actor: actor.into(),
                action: "post.status".into(),
                entity: "post".into(),
                entity_id: id.to_string(),
                detail,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records one person's abuse report (once per person); at `hide_at` reports the post is
    /// hidden until staff decide (`domain::community::after_report`). Returns the post's new
    /// status. Each report is audited.
    pub async fn report_post(
        &self,
        id: i64,
        user: i64,
        reason: &str,
        hide_at: i64,
        actor: &str,
        at: Timestamp,
    ) -> Result<String> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(&format!("SELECT status, reports FROM posts WHERE id = $1{}", self.row_lock()))
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        let (status, reports): (String, i64) = (row.try_get("status")?, row.try_get("reports")?);
        let added = sqlx::query("INSERT INTO post_reports (post_id, user_id, reason, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (post_id, user_id) DO NOTHING")
            .bind(id)
            .bind(user)
            .bind(reason)
            .bind(to_millis(at))
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if added == 0 {
            return Ok(status);
        }
        let status = domain::community::after_report(&status, reports + 1, hide_at).to_owned();
        sqlx::query("UPDATE posts SET reports = $1, status = $2 WHERE id = $3")
            .bind(reports + 1)
            .bind(&status)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let detail = serde_json::json!({ "reports": reports + 1, "status": status });
        self.audit_in(&mut tx, community_entry(actor, "post.report", "post", id, detail, at)).await?;
        tx.commit().await?;
        Ok(status)
    }

    pub async fn create_activity(&self, a: &Activity, created_by: i64, actor: &str, at: Timestamp) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        let id = self.insert_activity(&mut tx, a, created_by, at).await?;
        let detail = serde_json::json!({"title": a.title, "capacity": a.capacity, "kind": a.kind, "team": a.team_id});
        self.audit_in(&mut tx, community_entry(actor, "activity.create", "activity", id, detail, at)).await?;
        tx.commit().await?;
        Ok(id)
    }

    pub(crate) async fn insert_activity(
        &self,
        tx: &mut crate::WriteTx,
        a: &Activity,
        created_by: i64,
        at: Timestamp,
    ) -> Result<i64> {
        // Without a place the coordinates are written as NULL literals: a prepared statement
        // that first saw a NULL float takes later floats in the wrong format on PostgreSQL.
        let sql = if a.place_at.is_some() {
            "INSERT INTO activities (title, body, place, starts_at, capacity, checkin_code, created_by, created_at, \
             kind, community, team_id, ends_at, lat, lng, radius_m) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id"
        } else {
            "INSERT INTO activities (title, body, place, starts_at, capacity, checkin_code, created_by, created_at, \
             kind, community, team_id, ends_at, lat, lng, radius_m) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, NULL, NULL, NULL) RETURNING id"
        };
        let q = sqlx::query_scalar(sql)
            .bind(&a.title)
            .bind(&a.body)
            .bind(&a.place)
            .bind(to_millis(a.starts_at))
            .bind(a.capacity)
            .bind(&a.checkin_code)
            .bind(created_by)
            .bind(to_millis(at))
            .bind(&a.kind)
            .bind(&a.community)
            .bind(a.team_id)
            .bind(a.ends_at.map(to_millis));
        let q = match a.place_at {
            Some(p) => q.bind(p.lat()).bind(p.lng()).bind(a.radius_m),
            None => q,
        };
        Ok(q.fetch_one(&mut **tx).await?)
    }

    pub async fn activities(&self, since: Timestamp, limit: i64) -> Result<Vec<Activity>> {
        let rows = sqlx::query(&format!(
            "{ACTIVITY_SELECT} WHERE a.kind = 'public' AND a.starts_at >= $1 ORDER BY a.starts_at LIMIT $2"
        ))
        .bind(to_millis(since))
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(activity).collect()
    }

    pub async fn activity(&self, id: i64) -> Result<Activity> {
        let r = sqlx::query(&format!("{ACTIVITY_SELECT} WHERE a.id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)?;
        activity(&r)
    }

    pub async fn signup_of(&self, activity: i64, user: i64) -> Result<Option<Signup>> {
        let r = sqlx::query("SELECT status, checked_in_at FROM signups WHERE activity_id = $1 AND user_id = $2")
            .bind(activity)
            .bind(user)
            .fetch_optional(self.pool())
            .await?;
        r.map(|r| {
            Ok(Signup { status: r.try_get("status")?, checked_in_at: opt_from_millis(r.try_get("checked_in_at")?)? })
        })
        .transpose()
    }

    /// Signs up: a place if one is free, else the waiting list
    /// (`domain::community::sign_up`). Signing up again changes nothing. Audited.
    pub async fn sign_up(&self, activity: i64, user: i64, actor: &str, at: Timestamp) -> Result<String> {
        let mut tx = self.begin_write().await?;
        // The activity row is the lock that keeps two sign-ups from taking the last place.
        let a = sqlx::query(&format!(
            "SELECT capacity, kind, title, place, starts_at FROM activities WHERE id = $1{}",
            self.row_lock()
        ))
        .bind(activity)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound)?;
        let capacity: i64 = a.try_get("capacity")?;
        let held = self.place_in(&mut tx, activity, user).await?.map(|(p, _)| p);
        let signed: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM signups WHERE activity_id = $1 AND status = 'signed'")
                .bind(activity)
                .fetch_one(&mut *tx)
                .await?;
        let (place, changed) = domain::community::sign_up(held, signed, capacity);
        if changed {
            sqlx::query("DELETE FROM signups WHERE activity_id = $1 AND user_id = $2")
                .bind(activity)
                .bind(user)
                .execute(&mut *tx)
                .await?;
            sqlx::query("INSERT INTO signups (activity_id, user_id, status, created_at) VALUES ($1, $2, $3, $4)")
                .bind(activity)
                .bind(user)
                .bind(place.as_str())
                .bind(to_millis(at))
                .execute(&mut *tx)
                .await?;
            if place == domain::community::Place::Signed {
                remind(&mut tx, &a, activity, user, at).await?;
            }
            let detail = serde_json::json!({ "user": user, "place": place.as_str() });
            self.audit_in(&mut tx, community_entry(actor, "activity.signup", "activity", activity, detail, at)).await?;
        }
        tx.commit().await?;
        Ok(place.as_str().into())
    }

    /// Cancels a place; the first on the waiting list moves up (`domain::community::moves_up`).
    /// Audited.
    pub async fn cancel_signup(&self, activity: i64, user: i64, actor: &str, at: Timestamp) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let a = sqlx::query(&format!(
            "SELECT capacity, kind, title, place, starts_at FROM activities WHERE id = $1{}",
            self.row_lock()
        ))
        .bind(activity)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound)?;
        let Some((was, _)) = self.place_in(&mut tx, activity, user).await? else {
            return Ok(());
        };
        if was == domain::community::Place::Cancelled {
            return Ok(());
        }
        sqlx::query("UPDATE signups SET status = 'cancelled' WHERE activity_id = $1 AND user_id = $2")
            .bind(activity)
            .bind(user)
            .execute(&mut *tx)
            .await?;
        let waiting: Vec<(i64, i64)> =
            sqlx::query("SELECT created_at, user_id FROM signups WHERE activity_id = $1 AND status = 'waitlisted'")
                .bind(activity)
                .fetch_all(&mut *tx)
                .await?
                .iter()
                .map(|r| Ok((r.try_get("created_at")?, r.try_get("user_id")?)))
                .collect::<Result<_>>()?;
        let up = domain::community::moves_up(Some(was), &waiting);
        if let Some(n) = up {
            sqlx::query("UPDATE signups SET status = 'signed' WHERE activity_id = $1 AND user_id = $2")
                .bind(activity)
                .bind(n)
                .execute(&mut *tx)
                .await?;
            remind(&mut tx, &a, activity, n, at).await?;
        }
        sqlx::query("DELETE FROM outbox WHERE dedupe_key = $1 AND status = 'pending'")
            .bind(reminder_key(activity, user))
            .execute(&mut *tx)
            .await?;
        let detail = serde_json::json!({ "user": user, "moved_up": up });
        self.audit_in(&mut tx, community_entry(actor, "activity.cancel", "activity", activity, detail, at)).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Checks a signed-up person in (`domain::community::check_in`); false when they hold no
    /// place. Audited.
    pub async fn check_in(&self, activity: i64, user: i64, actor: &str, at: Timestamp) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let held = self.place_in(&mut tx, activity, user).await?;
        match domain::community::check_in(held.map(|(p, _)| p), held.is_some_and(|(_, checked)| checked)) {
            domain::community::CheckIn::NoPlace => Ok(false),
            domain::community::CheckIn::Already => Ok(true),
            domain::community::CheckIn::Done => {
                sqlx::query("UPDATE signups SET checked_in_at = $1 WHERE activity_id = $2 AND user_id = $3")
                    .bind(to_millis(at))
                    .bind(activity)
                    .bind(user)
                    .execute(&mut *tx)
                    .await?;
                let detail = serde_json::json!({ "user": user });
                self.audit_in(&mut tx, community_entry(actor, "activity.checkin", "activity", activity, detail, at))
                    .await?;
                tx.commit().await?;
                Ok(true)
            }
        }
    }

    /// A person's place at an activity and whether they checked in, read inside a write.
    async fn place_in(
        &self,
        tx: &mut crate::WriteTx,
        activity: i64,
        user: i64,
    ) -> Result<Option<(domain::community::Place, bool)>> {
        let Some(r) = sqlx::query("SELECT status, checked_in_at FROM signups WHERE activity_id = $1 AND user_id = $2")
            .bind(activity)
            .bind(user)
            .fetch_optional(&mut **tx)
            .await?
        else {
            return Ok(None);
        };
        let status: String = r.try_get("status")?;
        let place = domain::community::Place::parse(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("sign-up status {status:?}")))?;
        Ok(Some((place, r.try_get::<Option<i64>, _>("checked_in_at")?.is_some())))
    }
}

/// How long before a shift or a deliberation meeting the people signed up are reminded.
pub const REMINDER_HOURS: i64 = 48;

fn reminder_key(activity: i64, user: i64) -> String {
    format!("remind:activity{activity}:user{user}")
}

/// Schedules the reminder of a shift or a meeting for someone who holds a place (sent
/// [`REMINDER_HOURS`] before it starts, or at once when it is sooner); public activities
/// send none.
async fn remind(tx: &mut crate::WriteTx, a: &AnyRow, activity: i64, user: i64, at: Timestamp) -> Result<()> {
    let kind: String = a.try_get("kind")?;
    let starts_at = from_millis(a.try_get("starts_at")?)?;
    if !matches!(kind.as_str(), "shift" | "meeting") || starts_at <= at {
        return Ok(());
    }
    let (title, place): (String, String) = (a.try_get("title")?, a.try_get("place")?);
    let when = crate::local_time_text(starts_at);
    let m = crate::writer::OutboxMessage {
        dedupe_key: String::new(),
        channel: "web".into(),
        recipient_user: Some(user),
        recipient_phone: None,
        subject: format!("活动提醒：{title}"),
        body: format!("您报名的“{title}”将于 {when} 在{place}开始，请准时到场扫码签到。如不能参加，请提前取消报名，以便候补人员递补。"),
    };
    let send_at = starts_at - chrono::Duration::hours(REMINDER_HOURS);
    crate::writer::write_scheduled_outbox(&mut **tx, &reminder_key(activity, user), &m, send_at, at).await
}

/// An audit record of a resident's community step.
fn community_entry(
    actor: &str,
    action: &str,
    entity: &str,
    id: i64,
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
    /// Stores a picture for articles; returns its id.
    pub async fn add_image(&self, content_type: &str, data: &[u8], uploaded_by: i64, at: Timestamp) -> Result<i64> {
        use sha2::Digest;
        Ok(sqlx::query_scalar(
            "INSERT INTO images (content_type, sha256, data, uploaded_by, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(content_type)
        .bind(hex::encode(sha2::Sha256::digest(data)))
        .bind(data.to_vec())
        .bind(uploaded_by)
        .bind(to_millis(at))
        .fetch_one(self.pool())
        .await?)
    }

    pub async fn image(&self, id: i64) -> Result<(String, Vec<u8>)> {
        let r = sqlx::query("SELECT content_type, data FROM images WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok((r.try_get("content_type")?, r.try_get("data")?))
    }

    pub async fn image_exists(&self, id: i64) -> Result<bool> {
        let v: Option<i64> =
            sqlx::query_scalar("SELECT id FROM images WHERE id = $1").bind(id).fetch_optional(self.pool()).await?;
        Ok(v.is_some())
    }
}
