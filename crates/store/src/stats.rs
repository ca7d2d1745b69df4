//! Counts and promise compliance over a period, computed in SQL: counts from `cases`,
//! promises kept and missed in one query over their obligations.

use crate::rows::{add_counts, Val};
use crate::{to_millis, Conn, Result, Store};
use domain::deadline::Promise;
use domain::Timestamp;
use sqlx::Row;

/// How one promise fared for the cases reported in a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PromiseStats {
    /// Kept by its deadline.
    pub kept: i64,
    /// Kept late, or still owed after its deadline.
    pub missed: i64,
}

impl PromiseStats {
    /// Share kept on time among the cases whose promise is decided; `None` when none is.
    pub fn rate(&self) -> Option<f64> {
        let n = self.kept + self.missed;
        (n > 0).then(|| self.kept as f64 / n as f64)
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Summary {
    pub total: i64,
    pub open: i64,
    pub closed: i64,
    pub urgent: i64,
    pub promises: Vec<(Promise, PromiseStats)>,
}

/// A dimension to count cases by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dimension {
    Source,
    Category,
    Grid,
    Status,
    Priority,
    /// Local (UTC+8) calendar day, as `YYYY-MM-DD`.
    Day,
}

/// A duty's count in a period: due, kept by now, kept by its deadline.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DueKept {
    pub due: i64,
    pub kept: i64,
    pub on_time: i64,
}

/// What [`Store::indicator_counts`] reads.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IndicatorCounts {
    /// By promise name.
    pub promises: std::collections::BTreeMap<String, DueKept>,
    /// Cases whose duty due in the period is paused (suspended): left out.
    pub suspended: Vec<i64>,
    /// Cases due to close in the period whose deadline was extended: counted by the new date.
    pub extended: Vec<i64>,
    /// Cases closed in the period, and of them reopened, rated, satisfied.
    pub closed: i64,
    pub reopened: i64,
    pub rated: i64,
    pub satisfied: i64,
}

impl Store {
    /// Cases reported in `[from, to)`, judged as of `now`.
    pub async fn summary(&self, from: Timestamp, to: Timestamp, now: Timestamp) -> Result<Summary> {
        let cols = [
            "COUNT(*) AS total".to_owned(),
            "CAST(COALESCE(SUM(CASE WHEN status IN ('new','accepted','dispatched','on_site','in_progress','suspended') THEN 1 ELSE 0 END), 0) AS BIGINT) AS open".into(),
            "CAST(COALESCE(SUM(CASE WHEN closed_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS BIGINT) AS closed".into(),
            "CAST(COALESCE(SUM(CASE WHEN priority = 'urgent' THEN 1 ELSE 0 END), 0) AS BIGINT) AS urgent".into(),
        ];
        let sql = format!("SELECT {} FROM cases WHERE created_at >= $1 AND created_at < $2", cols.join(", "));
        let r = sqlx::query(&sql).bind(to_millis(from)).bind(to_millis(to)).fetch_one(self.pool()).await?;
        let mut s = Summary {
            total: r.try_get("total")?,
            open: r.try_get("open")?,
            closed: r.try_get("closed")?,
            urgent: r.try_get("urgent")?,
            promises: vec![],
        };
        let kept = self.promises_kept(from, to, now).await?;
        s.promises = Promise::ALL.into_iter().map(|p| (p, kept.get(p.as_str()).copied().unwrap_or_default())).collect();
        Ok(s)
    }

    /// How each promise fared for the cases reported in `[from, to)`, as of `now`: kept by
    /// its due time, or missed (kept late, or still owed with its clock running after it).
    /// One query over the obligations, by duty name.
    pub async fn promises_kept(
        &self,
        from: Timestamp,
        to: Timestamp,
        now: Timestamp,
    ) -> Result<std::collections::HashMap<String, PromiseStats>> {
        // A case's five promises start when it is reported, so "the cases reported in the
        // period" are the promises started in it: one range of `obligations_started`.
        let rows = sqlx::query(
            "SELECT o.name AS name, \
             CAST(COALESCE(SUM(CASE WHEN o.kept_at IS NOT NULL AND o.kept_at <= o.due_at THEN 1 ELSE 0 END), 0) AS BIGINT) AS kept, \
             CAST(COALESCE(SUM(CASE WHEN o.kept_at > o.due_at OR (o.kept_at IS NULL AND o.state = 'open' AND o.due_at < $3) \
                  THEN 1 ELSE 0 END), 0) AS BIGINT) AS missed \
             FROM obligations o WHERE o.matter_kind = 'case' \
             AND o.name IN ('accept', 'dispatch', 'on_site', 'first_feedback', 'close') \
             AND o.starts_at >= $1 AND o.starts_at < $2 GROUP BY o.name",
        )
        .bind(to_millis(from))
        .bind(to_millis(to))
        .bind(to_millis(now))
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("name")?, PromiseStats { kept: r.try_get("kept")?, missed: r.try_get("missed")? })))
            .collect()
    }

    /// The counts behind the standard indicators for `[from, to)`, as of `now`:
    /// - per promise (accept, dispatch, on_site, first_feedback, close): the cases whose duty fell
    ///   due in the period (应), kept by now, and kept by the deadline; a duty paused by a
    ///   suspension is left out and its case named;
    /// - for the cases closed in the period: how many were reopened, rated, and rated satisfied
    ///   or basically satisfied;
    /// - the cases whose deadlines were extended, among those due in the period (counted by the
    ///   extended deadline, and named).
    pub async fn indicator_counts(&self, from: Timestamp, to: Timestamp, now: Timestamp) -> Result<IndicatorCounts> {
        let (f, t) = (to_millis(from), to_millis(to));
        let rows = sqlx::query(
            "SELECT o.name AS name, CAST(COUNT(*) AS BIGINT) AS due,              CAST(COALESCE(SUM(CASE WHEN o.kept_at IS NOT NULL AND o.kept_at <= $3 THEN 1 ELSE 0 END), 0) AS BIGINT) AS kept,              CAST(COALESCE(SUM(CASE WHEN o.kept_at IS NOT NULL AND o.kept_at <= o.due_at THEN 1 ELSE 0 END), 0) AS BIGINT) AS on_time              FROM obligations o WHERE o.matter_kind = 'case' AND o.due_at >= $1 AND o.due_at < $2              AND o.state IN ('open', 'kept') AND o.name IN ('accept', 'dispatch', 'on_site', 'first_feedback', 'close')              GROUP BY o.name",
        )
        .bind(f)
        .bind(t)
        .bind(to_millis(now))
        .fetch_all(self.pool())
        .await?;
        let mut out = IndicatorCounts::default();
        for r in &rows {
            out.promises.insert(
                r.try_get("name")?,
                DueKept { due: r.try_get("due")?, kept: r.try_get("kept")?, on_time: r.try_get("on_time")? },
            );
        }
        out.suspended = sqlx::query_scalar(
            "SELECT DISTINCT o.matter_id FROM obligations o WHERE o.matter_kind = 'case' AND o.state = 'paused'              AND o.due_at >= $1 AND o.due_at < $2 ORDER BY o.matter_id",
        )
        .bind(f)
        .bind(t)
        .fetch_all(self.pool())
        .await?;
        out.extended = sqlx::query_scalar(
            "SELECT DISTINCT o.matter_id FROM obligations o JOIN case_events e ON e.case_id = o.matter_id AND e.action = 'extend'              WHERE o.matter_kind = 'case' AND o.name = 'close' AND o.due_at >= $1 AND o.due_at < $2 ORDER BY o.matter_id",
        )
        .bind(f)
        .bind(t)
        .fetch_all(self.pool())
        .await?;
        let r = sqlx::query(
            "SELECT CAST(COUNT(*) AS BIGINT) AS closed,              CAST(COALESCE(SUM(CASE WHEN reopened_count > 0 THEN 1 ELSE 0 END), 0) AS BIGINT) AS reopened,              CAST(COALESCE(SUM(CASE WHEN satisfaction IS NOT NULL THEN 1 ELSE 0 END), 0) AS BIGINT) AS rated,              CAST(COALESCE(SUM(CASE WHEN satisfaction IN ('satisfied', 'basically_satisfied') THEN 1 ELSE 0 END), 0) AS BIGINT) AS satisfied              FROM cases WHERE closed_at >= $1 AND closed_at < $2",
        )
        .bind(f)
        .bind(t)
        .fetch_one(self.pool())
        .await?;
        out.closed = r.try_get("closed")?;
        out.reopened = r.try_get("reopened")?;
        out.rated = r.try_get("rated")?;
        out.satisfied = r.try_get("satisfied")?;
        Ok(out)
    }

    /// How each kind of petition duty fared for the petitions registered in `[from, to)`, as
    /// of `now` (numbered duties such as `follow_up:2` count under `follow_up`).
    pub async fn petition_duties_kept(
        &self,
        from: Timestamp,
        to: Timestamp,
        now: Timestamp,
    ) -> Result<std::collections::BTreeMap<String, PromiseStats>> {
        let rows = sqlx::query(
            "SELECT o.name AS name, o.due_at AS due_at, o.kept_at AS kept_at, o.state AS state \
             FROM petitions p JOIN obligations o ON o.matter_kind = 'petition' AND o.matter_id = p.id \
             WHERE p.registered_at >= $1 AND p.registered_at < $2",
        )
        .bind(to_millis(from))
        .bind(to_millis(to))
        .fetch_all(self.pool())
        .await?;
        let now = to_millis(now);
        let mut out: std::collections::BTreeMap<String, PromiseStats> = Default::default();
        for r in &rows {
            let name: String = r.try_get("name")?;
            let base = name.split(':').next().unwrap_or_default().to_owned();
            let (due, kept): (i64, Option<i64>) = (r.try_get("due_at")?, r.try_get("kept_at")?);
            let state: String = r.try_get("state")?;
            let e = out.entry(base).or_default();
            match kept {
                Some(k) if k <= due => e.kept += 1,
                Some(_) => e.missed += 1,
                None if state == "open" && due < now => e.missed += 1,
                None => {}
            }
        }
        Ok(out)
    }

    /// Case counts in `[from, to)` by one dimension, largest first (days in order). Counts by
    /// source, category, priority and day read whole local days from `case_daily` and only
    /// the partial days at either end from the cases.
    pub async fn counts_by(&self, dim: Dimension, from: Timestamp, to: Timestamp) -> Result<Vec<(String, i64)>> {
        let (f, t) = (to_millis(from), to_millis(to));
        let rolled = matches!(dim, Dimension::Source | Dimension::Category | Dimension::Priority | Dimension::Day);
        // Whole days [a, b): a is the first midnight at or after `from`, b the last at or before `to`.
        let a = local_day(f + 86_400_000 - 1);
        let b = local_day(t);
        let mut counts: std::collections::HashMap<String, i64> = Default::default();
        if rolled && a < b {
            let midnight = |d: i64| d * 86_400_000 - 28_800_000;
            for (lo, hi) in [(f, midnight(a)), (midnight(b), t)] {
                if lo < hi {
                    for (k, n) in self.counts_raw(dim, lo, hi).await? {
                        *counts.entry(k).or_default() += n;
                    }
                }
            }
            let key = match dim {
                Dimension::Day => "day",
                Dimension::Category => "category",
                Dimension::Priority => "priority",
                _ => "source",
            };
            let rows = sqlx::query(&format!(
                "SELECT {key} AS k, CAST(SUM(n) AS BIGINT) AS n FROM case_daily WHERE day >= $1 AND day < $2 GROUP BY {key}"
            ))
            .bind(a)
            .bind(b)
            .fetch_all(self.pool())
            .await?;
            for r in &rows {
                let k = if dim == Dimension::Day { day_text(r.try_get("k")?) } else { r.try_get("k")? };
                *counts.entry(k).or_default() += r.try_get::<i64, _>("n")?;
            }
        } else {
            counts = self.counts_raw(dim, f, t).await?.into_iter().collect();
        }
        let mut out: Vec<(String, i64)> = counts.into_iter().collect();
        if dim == Dimension::Day {
            out.sort();
        } else {
            out.sort_by(|x, y| y.1.cmp(&x.1).then_with(|| x.0.cmp(&y.0)));
        }
        Ok(out)
    }

    /// Counts over the cases themselves, for `[f, t)` in milliseconds.
    async fn counts_raw(&self, dim: Dimension, f: i64, t: i64) -> Result<Vec<(String, i64)>> {
        let key = match dim {
            Dimension::Source => "source".to_owned(),
            Dimension::Category => "category".into(),
            Dimension::Grid => "grid".into(),
            Dimension::Status => "status".into(),
            Dimension::Priority => "priority".into(),
            // Whole days since the epoch in local time; turned into a date below.
            Dimension::Day => "CAST((created_at + 28800000) / 86400000 AS BIGINT)".into(),
        };
        let sql = format!(
            "SELECT {key} AS k, COUNT(*) AS n FROM cases WHERE created_at >= $1 AND created_at < $2 GROUP BY {key}"
        );
        let rows = sqlx::query(&sql).bind(f).bind(t).fetch_all(self.pool()).await?;
        rows.iter()
            .map(|r| {
                let k = if dim == Dimension::Day { day_text(r.try_get("k")?) } else { r.try_get("k")? };
                Ok((k, r.try_get("n")?))
            })
            .collect()
    }

    /// Cases in `[from, to)` whose category code starts with `prefix` (for example `SJ10`).
    pub async fn count_category_prefix(&self, prefix: &str, from: Timestamp, to: Timestamp) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM cases WHERE created_at >= $1 AND created_at < $2 AND category LIKE $3",
        )
        .bind(to_millis(from))
        .bind(to_millis(to))
        .bind(format!("{prefix}%"))
        .fetch_one(self.pool())
        .await?)
    }
}

/// What a breakdown groups cases by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum By {
    Grid,
    Community,
    Station,
    Category,
    Source,
    Priority,
    /// The forces sent to a case: a case with two forces counts once for each.
    Force,
    /// The responders sent to a case (key: responder id): once for each.
    Responder,
    /// Local (UTC+8) hour of the report, 0–23.
    Hour,
    /// Local (UTC+8) weekday of the report, 1 (Monday) – 7 (Sunday).
    Weekday,
}

impl By {
    pub const ALL: [By; 10] = [
        By::Grid,
        By::Community,
        By::Station,
        By::Category,
        By::Source,
        By::Priority,
        By::Force,
        By::Responder,
        By::Hour,
        By::Weekday,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            By::Grid => "grid",
            By::Community => "community",
            By::Station => "station",
            By::Category => "category",
            By::Source => "source",
            By::Priority => "priority",
            By::Force => "force",
            By::Responder => "responder",
            By::Hour => "hour",
            By::Weekday => "weekday",
        }
    }

    pub fn parse(s: &str) -> Option<By> {
        By::ALL.into_iter().find(|b| b.as_str() == s)
    }

    /// The key's SQL expression and whether it is a number.
    fn key(self) -> (&'static str, bool) {
        match self {
            By::Grid => ("c.grid", false),
            By::Community => ("g.community", false),
            By::Station => ("g.station", false),
            By::Category => ("c.category", false),
            By::Source => ("c.source", false),
            By::Priority => ("c.priority", false),
            By::Force => ("r.force", false),
            By::Responder => ("r.id", true),
            By::Hour => ("CAST(((c.created_at + 28800000) / 3600000) % 24 AS BIGINT)", true),
            // 1970-01-01 was a Thursday: (days + 3) % 7 is 0 on Mondays.
            By::Weekday => ("CAST(((c.created_at + 28800000) / 86400000 + 3) % 7 + 1 AS BIGINT)", true),
        }
    }

    fn joins(self) -> &'static str {
        match self {
            By::Community | By::Station => " JOIN grids g ON g.code = c.grid",
            By::Force | By::Responder => {
                " JOIN (SELECT DISTINCT case_id, responder_id FROM assignments) a ON a.case_id = c.id \
                 JOIN responders r ON r.id = a.responder_id"
            }
            _ => "",
        }
    }
}

/// Which of a slice's cases: all, or those behind one of its figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    All,
    Open,
    Closed,
    Urgent,
    /// Closed by the deadline.
    CloseOnTime,
    /// Closed late, or still open past the deadline.
    CloseMissed,
    OnSiteMissed,
    /// Rated neither satisfied nor basically satisfied.
    Unsatisfied,
    Reopened,
}

impl Measure {
    pub const ALL: [Measure; 9] = [
        Measure::All,
        Measure::Open,
        Measure::Closed,
        Measure::Urgent,
        Measure::CloseOnTime,
        Measure::CloseMissed,
        Measure::OnSiteMissed,
        Measure::Unsatisfied,
        Measure::Reopened,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Measure::All => "all",
            Measure::Open => "open",
            Measure::Closed => "closed",
            Measure::Urgent => "urgent",
            Measure::CloseOnTime => "close_on_time",
            Measure::CloseMissed => "close_missed",
            Measure::OnSiteMissed => "on_site_missed",
            Measure::Unsatisfied => "unsatisfied",
            Measure::Reopened => "reopened",
        }
    }

    pub fn parse(s: &str) -> Option<Measure> {
        Measure::ALL.into_iter().find(|m| m.as_str() == s)
    }

    /// The predicate, with `$3` the time of judgement.
    fn predicate(self) -> &'static str {
        match self {
            Measure::All => "1 = 1",
            Measure::Open => OPEN,
            Measure::Closed => "c.closed_at IS NOT NULL",
            Measure::Urgent => "c.priority = 'urgent'",
            Measure::CloseOnTime => KEPT_CLOSE,
            Measure::CloseMissed => MISSED_CLOSE,
            Measure::OnSiteMissed => MISSED_ON_SITE,
            Measure::Unsatisfied => {
                "c.satisfaction IS NOT NULL AND c.satisfaction NOT IN ('satisfied', 'basically_satisfied')"
            }
            Measure::Reopened => "c.reopened_count > 0",
        }
    }
}

const OPEN: &str = "c.status IN ('new','accepted','dispatched','on_site','in_progress','suspended')";
const KEPT_CLOSE: &str = "oc.kept_at IS NOT NULL AND oc.kept_at <= oc.due_at";
const MISSED_CLOSE: &str = "(oc.kept_at > oc.due_at OR (oc.kept_at IS NULL AND oc.state = 'open' AND oc.due_at < $3))";
const KEPT_ON_SITE: &str = "os.kept_at IS NOT NULL AND os.kept_at <= os.due_at";
const MISSED_ON_SITE: &str =
    "(os.kept_at > os.due_at OR (os.kept_at IS NULL AND os.state = 'open' AND os.due_at < $3))";

/// One group of a breakdown: cases reported in the period, judged as of a time.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Group {
    pub key: String,
    pub count: i64,
    pub open: i64,
    pub closed: i64,
    pub urgent: i64,
    /// The 24-hour close promise: kept by the deadline, and missed (late, or open past it).
    pub close: (i64, i64),
    /// The 10-minute on-site promise, likewise.
    pub on_site: (i64, i64),
    pub rated: i64,
    pub satisfied: i64,
    pub reopened: i64,
}

impl Store {
    /// Cases reported in `[from, to)`, grouped by `by`, judged as of `now`, in one query; their
    /// close and on-site promises are joined from the range of `obligations_started` that
    /// started in the period (a case's promises start when it is reported).
    pub async fn breakdown(&self, by: By, from: Timestamp, to: Timestamp, now: Timestamp) -> Result<Vec<Group>> {
        let (key, numeric) = by.key();
        let sum = |p: &str| format!("CAST(COALESCE(SUM(CASE WHEN {p} THEN 1 ELSE 0 END), 0) AS BIGINT)");
        let sql = format!(
            "SELECT {key} AS k, CAST(COUNT(*) AS BIGINT) AS n, {open} AS open, {closed} AS closed, {urgent} AS urgent, \
             {ck} AS ck, {cm} AS cm, {sk} AS sk, {sm} AS sm, {rated} AS rated, {sat} AS sat, {re} AS re \
             FROM cases c{joins} \
             LEFT JOIN obligations oc ON oc.matter_kind = 'case' AND oc.name = 'close' AND oc.matter_id = c.id \
                 AND oc.starts_at >= $1 AND oc.starts_at < $2 \
             LEFT JOIN obligations os ON os.matter_kind = 'case' AND os.name = 'on_site' AND os.matter_id = c.id \
                 AND os.starts_at >= $1 AND os.starts_at < $2 \
             WHERE c.created_at >= $1 AND c.created_at < $2 GROUP BY {key}",
            open = sum(OPEN),
            closed = sum("c.closed_at IS NOT NULL"),
            urgent = sum("c.priority = 'urgent'"),
            ck = sum(KEPT_CLOSE),
            cm = sum(MISSED_CLOSE),
            sk = sum(KEPT_ON_SITE),
            sm = sum(MISSED_ON_SITE),
            rated = sum("c.satisfaction IS NOT NULL"),
            sat = sum("c.satisfaction IN ('satisfied', 'basically_satisfied')"),
            re = sum("c.reopened_count > 0"),
            joins = by.joins(),
        );
        let rows = sqlx::query(&sql)
            .bind(to_millis(from))
            .bind(to_millis(to))
            .bind(to_millis(now))
            .fetch_all(self.pool())
            .await?;
        let mut out = rows
            .iter()
            .map(|r| {
                Ok(Group {
                    key: if numeric { r.try_get::<i64, _>("k")?.to_string() } else { r.try_get("k")? },
                    count: r.try_get("n")?,
                    open: r.try_get("open")?,
                    closed: r.try_get("closed")?,
                    urgent: r.try_get("urgent")?,
                    close: (r.try_get("ck")?, r.try_get("cm")?),
                    on_site: (r.try_get("sk")?, r.try_get("sm")?),
                    rated: r.try_get("rated")?,
                    satisfied: r.try_get("sat")?,
                    reopened: r.try_get("re")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        if numeric {
            out.sort_by_key(|g| g.key.parse::<i64>().unwrap_or(i64::MAX));
        } else {
            out.sort_by(|a, b| a.key.cmp(&b.key));
        }
        Ok(out)
    }

    /// The cases behind one figure of a breakdown (the group `key` of `by`, or every group),
    /// newest first, at most `limit`; and how many there are in all. `within`: only cases of
    /// these grids (the caller's scope); grid codes are digits, checked here.
    #[allow(clippy::too_many_arguments)]
    pub async fn breakdown_cases(
        &self,
        by: By,
        key: Option<&str>,
        measure: Measure,
        from: Timestamp,
        to: Timestamp,
        now: Timestamp,
        limit: i64,
        within: Option<&[String]>,
    ) -> Result<(Vec<domain::case::Case>, i64)> {
        let (expr, numeric) = by.key();
        let scope = match within {
            None => String::new(),
            Some(grids) if grids.iter().all(|g| !g.is_empty() && g.bytes().all(|b| b.is_ascii_alphanumeric())) => {
                let list: Vec<String> = grids.iter().map(|g| format!("'{g}'")).collect();
                if list.is_empty() {
                    " AND 1 = 0".into()
                } else {
                    format!(" AND c.grid IN ({})", list.join(", "))
                }
            }
            Some(_) => return Err(crate::StoreError::Invalid("grid codes are letters and digits".into())),
        };
        let tail = format!(
            "FROM cases c{joins} \
             LEFT JOIN obligations oc ON oc.matter_kind = 'case' AND oc.matter_id = c.id AND oc.name = 'close' \
             LEFT JOIN obligations os ON os.matter_kind = 'case' AND os.matter_id = c.id AND os.name = 'on_site' \
             WHERE c.created_at >= $1 AND c.created_at < $2 AND {pred} AND ($4 = 0 OR {expr} = $5){scope}",
            joins = if key.is_some() { by.joins() } else { "" },
            pred = measure.predicate(),
            expr = if key.is_some() { expr } else { "c.id" },
        );
        let count_sql = format!("SELECT CAST(COUNT(DISTINCT c.id) AS BIGINT) AS n {tail}");
        let ids_sql = format!("SELECT DISTINCT c.id AS id {tail} ORDER BY c.id DESC LIMIT {}", limit.clamp(1, 1000));
        let times = [to_millis(from), to_millis(to), to_millis(now)];
        let total: i64 = slice_query(&count_sql, times, key, numeric).fetch_one(self.pool()).await?.try_get("n")?;
        let ids = slice_query(&ids_sql, times, key, numeric).fetch_all(self.pool()).await?;
        let mut cases = Vec::with_capacity(ids.len());
        for r in &ids {
            cases.push(self.get_case(r.try_get("id")?).await?);
        }
        Ok((cases, total))
    }
}

/// A slice's query bound: the period and time of judgement (`$1`–`$3`), whether a key is
/// asked for (`$4`) and the key (`$5`).
fn slice_query<'q>(
    sql: &'q str,
    times: [i64; 3],
    key: Option<&str>,
    numeric: bool,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    let q = sqlx::query(sql).bind(times[0]).bind(times[1]).bind(times[2]).bind(i64::from(key.is_some()));
    match (key, numeric) {
        (Some(k), true) => q.bind(k.parse::<i64>().unwrap_or(i64::MIN)),
        (Some(k), false) => q.bind(k.to_owned()),
        (None, _) => q.bind(0i64),
    }
}

impl Store {
    /// Open cases per grid as of `now`, and of them those with a duty past its deadline.
    pub async fn open_by_grid(&self, now: Timestamp) -> Result<Vec<(String, i64, i64)>> {
        let rows = sqlx::query(&format!(
            "SELECT c.grid AS grid, CAST(COUNT(*) AS BIGINT) AS open, \
             CAST(COALESCE(SUM(CASE WHEN EXISTS (SELECT 1 FROM obligations o WHERE o.matter_kind = 'case' \
                 AND o.matter_id = c.id AND o.state = 'open' AND o.due_at < $1) THEN 1 ELSE 0 END), 0) AS BIGINT) AS overdue \
             FROM cases c WHERE {OPEN} GROUP BY c.grid"
        ))
        .bind(to_millis(now))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(|r| Ok((r.try_get("grid")?, r.try_get("open")?, r.try_get("overdue")?))).collect()
    }
}

/// Local (UTC+8) day number of an instant in milliseconds, as `case_daily` keys it.
fn local_day(millis: i64) -> i64 {
    (millis + 28_800_000).div_euclid(86_400_000)
}

/// Counts new cases into `case_daily`, in the transaction that stores them.
pub(crate) async fn count_created<'a>(
    conn: &mut Conn,
    cases: impl Iterator<Item = &'a domain::case::Case>,
) -> Result<()> {
    let mut keys: std::collections::BTreeMap<(i64, String, String, String), i64> = Default::default();
    for c in cases {
        let key = (
            local_day(to_millis(c.created_at)),
            c.category.as_str().to_owned(),
            c.source.as_str().to_owned(),
            c.priority.as_str().to_owned(),
        );
        *keys.entry(key).or_default() += 1;
    }
    let rows: Vec<Vec<Val>> =
        keys.into_iter().map(|((d, c, s, p), n)| vec![d.into(), c.into(), s.into(), p.into(), n.into()]).collect();
    add_counts(
        conn,
        "case_daily",
        &["day", "category", "source", "priority", "n"],
        &["day", "category", "source", "priority"],
        &rows,
    )
    .await
}

/// Rebuilds `case_daily` from the cases (after a restore).
pub(crate) async fn rebuild_daily(conn: &mut Conn) -> Result<()> {
    sqlx::query("DELETE FROM case_daily").execute(&mut *conn).await?;
    sqlx::query(
        "INSERT INTO case_daily (day, category, source, priority, n) \
         SELECT (created_at + 28800000) / 86400000, category, source, priority, COUNT(*) FROM cases \
         GROUP BY (created_at + 28800000) / 86400000, category, source, priority",
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A local day number as `YYYY-MM-DD`.
fn day_text(days: i64) -> String {
    (chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch") + chrono::Duration::days(days)).to_string()
}

/// What happened to one case, as the simulator fits its demand from: where and when it came,
/// its category, and when someone arrived and when they sent the first feedback.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryCase {
    pub category: String,
    pub grid: String,
    pub created_at: Timestamp,
    pub on_site_at: Option<Timestamp>,
    pub first_feedback_at: Option<Timestamp>,
}

impl Store {
    /// The cases reported in `[from, to)`, oldest first.
    pub async fn case_history(&self, from: Timestamp, to: Timestamp) -> Result<Vec<HistoryCase>> {
        let rows = sqlx::query(
            "SELECT category, grid, created_at, on_site_at, first_feedback_at FROM cases \
             WHERE created_at >= $1 AND created_at < $2 ORDER BY created_at, id",
        )
        .bind(to_millis(from))
        .bind(to_millis(to))
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let at = |k: &str| -> Result<Option<Timestamp>> {
                    r.try_get::<Option<i64>, _>(k)?.map(crate::from_millis).transpose()
                };
                Ok(HistoryCase {
                    category: r.try_get("category")?,
                    grid: r.try_get("grid")?,
                    created_at: crate::from_millis(r.try_get("created_at")?)?,
                    on_site_at: at("on_site_at")?,
                    first_feedback_at: at("first_feedback_at")?,
                })
            })
            .collect()
    }
}
