//! The public promise as deadlines: accepted in 1 minute, dispatched and the party contacted
//! in 3, on site in 10, first feedback in 1 hour, closed in 24 hours — all counted from the
//! moment the case was reported, configurable per priority and category.

use crate::case::Priority;
use crate::codes::CategoryCode;
use crate::Timestamp;
use chrono::{Datelike, Duration, FixedOffset, NaiveDate, NaiveTime, TimeZone, Weekday};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The five promises, in the order a case meets them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Promise {
    Accept,
    Dispatch,
    OnSite,
    FirstFeedback,
    Close,
}

impl Promise {
    pub const ALL: [Promise; 5] =
        [Promise::Accept, Promise::Dispatch, Promise::OnSite, Promise::FirstFeedback, Promise::Close];
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }
    /// The promise as the street publishes it.
    pub fn zh(&self) -> &'static str {
        match self {
            Promise::Accept => "1分钟受理",
            Promise::Dispatch => "3分钟派单联系",
            Promise::OnSite => "10分钟到场",
            Promise::FirstFeedback => "1小时反馈",
            Promise::Close => "24小时办结",
        }
    }
    pub fn as_str(&self) -> &'static str {
        match self {
            Promise::Accept => "accept",
            Promise::Dispatch => "dispatch",
            Promise::OnSite => "on_site",
            Promise::FirstFeedback => "first_feedback",
            Promise::Close => "close",
        }
    }
}

/// How long each promise may take, counted from the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeadlineChain {
    pub accept: Duration,
    pub dispatch: Duration,
    pub on_site: Duration,
    pub first_feedback: Duration,
    pub close: Duration,
}

impl Default for DeadlineChain {
    /// The street's published promise.
    fn default() -> Self {
        Self {
            accept: Duration::minutes(1),
            dispatch: Duration::minutes(3),
            on_site: Duration::minutes(10),
            first_feedback: Duration::hours(1),
            close: Duration::hours(24),
        }
    }
}

impl DeadlineChain {
    pub fn get(&self, p: Promise) -> Duration {
        match p {
            Promise::Accept => self.accept,
            Promise::Dispatch => self.dispatch,
            Promise::OnSite => self.on_site,
            Promise::FirstFeedback => self.first_feedback,
            Promise::Close => self.close,
        }
    }
    fn set(&mut self, p: Promise, d: Duration) {
        match p {
            Promise::Accept => self.accept = d,
            Promise::Dispatch => self.dispatch = d,
            Promise::OnSite => self.on_site = d,
            Promise::FirstFeedback => self.first_feedback = d,
            Promise::Close => self.close = d,
        }
    }
    /// Applies the given overrides on top of this chain.
    pub fn overridden(mut self, o: &ChainOverride) -> Self {
        for (p, d) in &o.0 {
            self.set(*p, *d);
        }
        self
    }
    /// Every step positive and none earlier than the one before it.
    pub fn validate(&self) -> Result<(), DeadlineError> {
        let mut prev = Duration::zero();
        for p in Promise::ALL {
            let d = self.get(p);
            if d <= Duration::zero() {
                return Err(DeadlineError(format!("{} must be positive", p.as_str())));
            }
            if d < prev {
                return Err(DeadlineError(format!(
                    "{} ({}) comes before the promise preceding it",
                    p.as_str(),
                    format_duration(d)
                )));
            }
            prev = d;
        }
        Ok(())
    }
}

/// Some of the five durations, as a config section gives them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChainOverride(pub BTreeMap<Promise, Duration>);

/// The absolute deadlines of one case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deadlines {
    pub accept: Timestamp,
    pub dispatch: Timestamp,
    pub on_site: Timestamp,
    pub first_feedback: Timestamp,
    pub close: Timestamp,
}

impl Deadlines {
    pub fn get(&self, p: Promise) -> Timestamp {
        match p {
            Promise::Accept => self.accept,
            Promise::Dispatch => self.dispatch,
            Promise::OnSite => self.on_site,
            Promise::FirstFeedback => self.first_feedback,
            Promise::Close => self.close,
        }
    }
    pub fn get_mut(&mut self, p: Promise) -> &mut Timestamp {
        match p {
            Promise::Accept => &mut self.accept,
            Promise::Dispatch => &mut self.dispatch,
            Promise::OnSite => &mut self.on_site,
            Promise::FirstFeedback => &mut self.first_feedback,
            Promise::Close => &mut self.close,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DeadlineError(pub String);

/// Working hours in local time (the street keeps Beijing time, UTC+8, no daylight saving).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkingCalendar {
    pub utc_offset_seconds: i32,
    /// Working periods of a working day, sorted and not overlapping.
    pub periods: Vec<(NaiveTime, NaiveTime)>,
    pub weekdays: BTreeSet<u32>,
    /// Public holidays that fall on weekdays.
    pub holidays: BTreeSet<NaiveDate>,
    /// Weekend days that are worked (调休).
    pub extra_workdays: BTreeSet<NaiveDate>,
}

/// Mainland China's 2026 holidays and worked weekend days, the default holiday table
/// (`[calendar] holidays_file` replaces it).
pub const CN_HOLIDAYS_2026: &str = include_str!("../calendars/cn-2026.txt");

impl Default for WorkingCalendar {
    /// Government office hours: 8:30–12:00 and 13:30–17:30, Monday to Friday, with mainland
    /// China's 2026 holidays and worked weekend days.
    fn default() -> Self {
        let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).expect("valid time");
        let table = HolidayTable::parse(CN_HOLIDAYS_2026).expect("the shipped holiday table is valid");
        Self {
            utc_offset_seconds: 8 * 3600,
            periods: vec![(t(8, 30), t(12, 0)), (t(13, 30), t(17, 30))],
            weekdays: [Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri]
                .iter()
                .map(|d| d.num_days_from_monday())
                .collect(),
            holidays: table.off,
            extra_workdays: table.work,
        }
    }
}

/// A holiday table as configured: days off and worked weekend days (调休).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HolidayTable {
    pub off: BTreeSet<NaiveDate>,
    pub work: BTreeSet<NaiveDate>,
}

impl HolidayTable {
    /// Reads `YYYY-MM-DD off|work` lines; `#` starts a comment. A date listed twice, or both
    /// off and worked, is an error naming the line.
    pub fn parse(text: &str) -> Result<Self, DeadlineError> {
        let mut t = Self::default();
        for (i, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or_default().trim();
            if line.is_empty() {
                continue;
            }
            let at = |m: String| DeadlineError(format!("holiday table line {}: {m}", i + 1));
            let mut parts = line.split_whitespace();
            let (Some(date), Some(kind), None) = (parts.next(), parts.next(), parts.next()) else {
                return Err(at(format!("expected \"YYYY-MM-DD off\" or \"YYYY-MM-DD work\", got {line:?}")));
            };
            let date =
                NaiveDate::parse_from_str(date, "%Y-%m-%d").map_err(|_| at(format!("{date:?} is not a date")))?;
            let fresh = match kind {
                "off" => t.off.insert(date) && !t.work.contains(&date),
                "work" => t.work.insert(date) && !t.off.contains(&date),
                other => return Err(at(format!("{other:?} is neither off nor work"))),
            };
            if !fresh {
                return Err(at(format!("{date} is listed twice")));
            }
        }
        Ok(t)
    }
}

/// How long an obligation has: a span of time, calendar days, or working days. Days count
/// as the law counts them (民法典 art. 201–203): the day it starts is not counted, the span
/// ends at midnight at the end of its last day, and calendar days whose last day is a rest
/// day run to the end of the next working day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Span {
    Time(Duration),
    CalendarDays(u32),
    WorkingDays(u32),
}

/// Reads `15wd` (working days), `60d` (calendar days) or a duration (`10m`, `1h`, `1h30m`).
pub fn parse_span(s: &str) -> Result<Span, DeadlineError> {
    let s = s.trim();
    let days = |n: &str| {
        n.parse::<u32>()
            .ok()
            .filter(|n| *n > 0 && *n <= 3650)
            .ok_or_else(|| DeadlineError(format!("{s:?}: days must be 1 to 3650")))
    };
    if let Some(n) = s.strip_suffix("wd") {
        Ok(Span::WorkingDays(days(n)?))
    } else if let Some(n) = s.strip_suffix('d') {
        Ok(Span::CalendarDays(days(n)?))
    } else {
        parse_duration(s).map(Span::Time)
    }
}

/// Days searched for working time before giving up; guards against a calendar with no
/// working periods at all (validated at load, but the loop must end regardless).
const CALENDAR_SEARCH_DAYS_MAX: i64 = 3660;

impl WorkingCalendar {
    /// Replaces the holidays and worked weekend days.
    pub fn with_holidays(mut self, table: HolidayTable) -> Self {
        self.holidays = table.off;
        self.extra_workdays = table.work;
        self
    }

    /// When a span that starts at `start` runs out.
    pub fn due(&self, start: Timestamp, span: Span) -> Timestamp {
        let tz = FixedOffset::east_opt(self.utc_offset_seconds).expect("offset in range");
        let first = start.with_timezone(&tz).date_naive();
        let next = |d: NaiveDate| d.succ_opt().expect("date in range");
        let last = match span {
            Span::Time(d) => return start + d,
            Span::CalendarDays(n) => {
                let mut d = first + chrono::Days::new(n as u64);
                for _ in 0..CALENDAR_SEARCH_DAYS_MAX {
                    if self.is_workday(d) {
                        break;
                    }
                    d = next(d);
                }
                d
            }
            Span::WorkingDays(n) => {
                let (mut d, mut counted) = (first, 0);
                for _ in 0..CALENDAR_SEARCH_DAYS_MAX {
                    if counted == n {
                        break;
                    }
                    d = next(d);
                    if self.is_workday(d) {
                        counted += 1;
                    }
                }
                d
            }
        };
        // Midnight at the end of the last day, local time.
        tz.from_local_datetime(&next(last).and_time(NaiveTime::MIN))
            .single()
            .expect("fixed offset")
            .with_timezone(&chrono::Utc)
    }

    /// Whether `d` is worked: a weekday that is not a holiday, or a worked weekend day.
    pub fn is_workday(&self, d: NaiveDate) -> bool {
        if self.extra_workdays.contains(&d) {
            return true;
        }
        self.weekdays.contains(&d.weekday().num_days_from_monday()) && !self.holidays.contains(&d)
    }

    pub fn validate(&self) -> Result<(), DeadlineError> {
        if self.periods.is_empty() || self.weekdays.is_empty() {
            return Err(DeadlineError("a working calendar needs working periods and days".into()));
        }
        let mut prev = NaiveTime::MIN;
        for (i, (a, b)) in self.periods.iter().enumerate() {
            if a >= b || (i > 0 && *a < prev) {
                return Err(DeadlineError("working periods must be sorted and not overlap".into()));
            }
            prev = *b;
        }
        Ok(())
    }

    /// The instant when `work` of working time has passed after `start`.
    pub fn add(&self, start: Timestamp, work: Duration) -> Timestamp {
        let tz = FixedOffset::east_opt(self.utc_offset_seconds).expect("offset in range");
        let local = start.with_timezone(&tz);
        let mut day = local.date_naive();
        let mut remaining = work;
        for _ in 0..CALENDAR_SEARCH_DAYS_MAX {
            if self.is_workday(day) {
                for (a, b) in &self.periods {
                    let pa = tz.from_local_datetime(&day.and_time(*a)).single().expect("fixed offset");
                    let pb = tz.from_local_datetime(&day.and_time(*b)).single().expect("fixed offset");
                    let from = if local > pa { local } else { pa };
                    if from >= pb {
                        continue;
                    }
                    let available = pb - from;
                    if remaining <= available {
                        return (from + remaining).with_timezone(&chrono::Utc);
                    }
                    remaining -= available;
                }
            }
            day = day.succ_opt().expect("date in range");
        }
        // Unreachable for a validated calendar; fall back to wall-clock time.
        start + work
    }
}

/// Where the chain of a case comes from: the default, then the priority's overrides, then the
/// category's overrides.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DeadlinePolicy {
    pub default: DeadlineChain,
    pub by_priority: BTreeMap<Priority, ChainOverride>,
    pub by_category: BTreeMap<CategoryCode, ChainOverride>,
    /// Categories whose non-urgent cases count feedback and close in working hours.
    pub working_hours_categories: BTreeSet<CategoryCode>,
    pub calendar: WorkingCalendar,
}

impl DeadlinePolicy {
    pub fn chain(&self, category: &CategoryCode, priority: Priority) -> DeadlineChain {
        let mut chain = self.default;
        if let Some(o) = self.by_priority.get(&priority) {
            chain = chain.overridden(o);
        }
        if let Some(o) = self.by_category.get(category) {
            chain = chain.overridden(o);
        }
        chain
    }

    /// Checks every chain the policy can produce.
    pub fn validate(&self) -> Result<(), DeadlineError> {
        self.default.validate()?;
        for p in Priority::ALL {
            for c in self.by_category.keys() {
                self.chain(c, p)
                    .validate()
                    .map_err(|e| DeadlineError(format!("category {c}, priority {}: {e}", p.as_str())))?;
            }
            let any = CategoryCode::parse("SJ0000").expect("valid code");
            self.chain(&any, p).validate().map_err(|e| DeadlineError(format!("priority {}: {e}", p.as_str())))?;
        }
        if !self.working_hours_categories.is_empty() {
            self.calendar.validate()?;
        }
        Ok(())
    }

    /// Whether a case's first feedback and closing count in office hours.
    pub fn counts_working_hours(&self, category: &CategoryCode, priority: Priority) -> bool {
        priority != Priority::Urgent && self.working_hours_categories.contains(category)
    }

    /// The deadlines of a case reported at `reported_at`. Never earlier than `reported_at`.
    pub fn deadlines(&self, category: &CategoryCode, priority: Priority, reported_at: Timestamp) -> Deadlines {
        let chain = self.chain(category, priority);
        let working = self.counts_working_hours(category, priority);
        let at = |p: Promise| {
            let d = chain.get(p);
            if working && matches!(p, Promise::FirstFeedback | Promise::Close) {
                self.calendar.add(reported_at, d)
            } else {
                reported_at + d
            }
        };
        Deadlines {
            accept: at(Promise::Accept),
            dispatch: at(Promise::Dispatch),
            on_site: at(Promise::OnSite),
            first_feedback: at(Promise::FirstFeedback),
            close: at(Promise::Close),
        }
    }
}

/// Parses durations written like `"90s"`, `"3m"`, `"1h"`, `"24h"`, `"1h30m"`, `"2d"`.
pub fn parse_duration(s: &str) -> Result<Duration, DeadlineError> {
    let err = || DeadlineError(format!("not a duration like \"90s\", \"3m\", \"1h\": {s:?}"));
    let s = s.trim();
    if s.is_empty() {
        return Err(err());
    }
    let mut total: i64 = 0;
    let mut number = String::new();
    for c in s.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let n: i64 = number.parse().map_err(|_| err())?;
        number.clear();
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            _ => return Err(err()),
        };
        total = n.checked_mul(unit).and_then(|v| total.checked_add(v)).ok_or_else(err)?;
    }
    if !number.is_empty() {
        return Err(err());
    }
    // A year is far beyond any promise; larger values are typos.
    if total > 366 * 86_400 {
        return Err(DeadlineError(format!("duration {s:?} is longer than a year")));
    }
    Ok(Duration::seconds(total))
}

/// Reads overrides written as `close=72h;first_feedback=24h` (empty for none).
pub fn parse_overrides(s: &str) -> Result<ChainOverride, DeadlineError> {
    let mut o = ChainOverride::default();
    for part in s.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let (k, v) =
            part.split_once('=').ok_or_else(|| DeadlineError(format!("expected promise=duration, got {part:?}")))?;
        let p = Promise::parse(k.trim()).ok_or_else(|| {
            DeadlineError(format!("unknown promise {k:?} (accept, dispatch, on_site, first_feedback, close)"))
        })?;
        o.0.insert(p, parse_duration(v)?);
    }
    Ok(o)
}

/// Writes overrides the way [`parse_overrides`] reads them.
pub fn format_overrides(o: &ChainOverride) -> String {
    o.0.iter().map(|(p, d)| format!("{}={}", p.as_str(), format_duration(*d))).collect::<Vec<_>>().join(";")
}

/// Formats a duration the way [`parse_duration`] reads it.
pub fn format_duration(d: Duration) -> String {
    let mut s = d.num_seconds();
    let mut out = String::new();
    for (unit, name) in [(86_400, 'd'), (3600, 'h'), (60, 'm'), (1, 's')] {
        if s >= unit {
            out.push_str(&format!("{}{name}", s / unit));
            s %= unit;
        }
    }
    if out.is_empty() {
        out.push_str("0s");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn ts(s: &str) -> Timestamp {
        chrono::DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90s").unwrap(), Duration::seconds(90));
        assert_eq!(parse_duration("3m").unwrap(), Duration::minutes(3));
        assert_eq!(parse_duration("1h30m").unwrap(), Duration::minutes(90));
        assert_eq!(parse_duration("2d").unwrap(), Duration::hours(48));
        for bad in ["", "3", "m", "3x", "1h3", "-3m", "400d", "99999999999999999999s"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
        assert_eq!(format_duration(Duration::minutes(90)), "1h30m");
        let o = parse_overrides("close=72h; first_feedback=1d").unwrap();
        assert_eq!(o.0[&Promise::Close], Duration::hours(72));
        assert_eq!(parse_overrides(&format_overrides(&o)).unwrap(), o);
        assert!(parse_overrides("closing=1h").is_err());
        assert!(parse_overrides("close").is_err());
    }

    #[test]
    fn default_chain_is_the_public_promise() {
        let p = DeadlinePolicy::default();
        let code = CategoryCode::parse("SJ1002").unwrap();
        let t = ts("2026-11-27T10:00:00+08:00");
        let d = p.deadlines(&code, Priority::Normal, t);
        assert_eq!(d.accept, t + Duration::minutes(1));
        assert_eq!(d.dispatch, t + Duration::minutes(3));
        assert_eq!(d.on_site, t + Duration::minutes(10));
        assert_eq!(d.first_feedback, t + Duration::hours(1));
        assert_eq!(d.close, t + Duration::hours(24));
    }

    #[test]
    fn overrides_by_priority_then_category() {
        let mut p = DeadlinePolicy::default();
        let code = CategoryCode::parse("BJ0103").unwrap();
        p.by_priority.insert(Priority::Low, ChainOverride([(Promise::Close, Duration::hours(48))].into()));
        p.by_category.insert(code.clone(), ChainOverride([(Promise::Close, Duration::hours(72))].into()));
        assert_eq!(p.chain(&code, Priority::Low).close, Duration::hours(72));
        let other = CategoryCode::parse("SJ0101").unwrap();
        assert_eq!(p.chain(&other, Priority::Low).close, Duration::hours(48));
        assert_eq!(p.chain(&other, Priority::Normal).close, Duration::hours(24));
        assert!(p.validate().is_ok());
        p.by_category.insert(other, ChainOverride([(Promise::Close, Duration::seconds(30))].into()));
        assert!(p.validate().is_err());
    }

    #[test]
    fn working_hours() {
        let cal = WorkingCalendar::default();
        // Friday 17:00 local + 1 h of work = Monday 09:00 local.
        let fri = ts("2026-11-27T17:00:00+08:00");
        assert_eq!(cal.add(fri, Duration::hours(1)), ts("2026-11-30T09:00:00+08:00"));
        // Over lunch: 11:30 + 1 h = 14:00.
        let wed = ts("2026-11-25T11:30:00+08:00");
        assert_eq!(cal.add(wed, Duration::hours(1)), ts("2026-11-25T14:00:00+08:00"));
        // Before opening: 07:00 + 30 m = 09:00.
        let early = ts("2026-11-25T07:00:00+08:00");
        assert_eq!(cal.add(early, Duration::minutes(30)), ts("2026-11-25T09:00:00+08:00"));
        // A holiday is skipped.
        let mut cal2 = cal.clone();
        cal2.holidays.insert(NaiveDate::from_ymd_opt(2026, 11, 30).unwrap());
        assert_eq!(cal2.add(fri, Duration::hours(1)), ts("2026-12-01T09:00:00+08:00"));
    }

    #[test]
    fn working_hours_only_for_non_urgent_listed_categories() {
        let mut p = DeadlinePolicy::default();
        let code = CategoryCode::parse("BJ0201").unwrap();
        p.working_hours_categories.insert(code.clone());
        let fri = ts("2026-11-27T17:00:00+08:00");
        let d = p.deadlines(&code, Priority::Normal, fri);
        assert_eq!(d.first_feedback, ts("2026-11-30T09:00:00+08:00"));
        assert_eq!(d.accept, fri + Duration::minutes(1));
        let u = p.deadlines(&code, Priority::Urgent, fri);
        assert_eq!(u.first_feedback, fri + Duration::hours(1));
    }

    /// Local (Beijing) midnight at the end of a date.
    fn end_of(date: &str) -> Timestamp {
        let d = NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap().succ_opt().unwrap();
        ts(&format!("{d}T00:00:00+08:00"))
    }

    #[test]
    fn working_days_across_the_spring_festival() {
        let cal = WorkingCalendar::default();
        let fri = ts("2026-02-13T10:00:00+08:00");
        // Saturday 14 Feb is worked; 15–23 Feb are off; Saturday 28 Feb is worked.
        assert_eq!(cal.due(fri, Span::WorkingDays(1)), end_of("2026-02-14"));
        assert_eq!(cal.due(fri, Span::WorkingDays(2)), end_of("2026-02-24"));
        assert_eq!(cal.due(fri, Span::WorkingDays(6)), end_of("2026-02-28"));
        // Counted by hand: 14, 24, 25, 26, 27, 28 Feb, 2, 3, 4, 5, 6, 9, 10, 11, 12 Mar.
        assert_eq!(cal.due(fri, Span::WorkingDays(15)), end_of("2026-03-12"));
        // Fifteen calendar days from 13 Feb end on 28 Feb, a worked Saturday.
        assert_eq!(cal.due(fri, Span::CalendarDays(15)), end_of("2026-02-28"));
        // Five from 10 Feb would end on 15 Feb, a holiday: they run to the next working day.
        assert_eq!(cal.due(ts("2026-02-10T09:00:00+08:00"), Span::CalendarDays(5)), end_of("2026-02-24"));
    }

    #[test]
    fn working_days_across_national_day() {
        let cal = WorkingCalendar::default();
        // Sunday 20 Sep is worked; 1–7 Oct are off; Saturday 10 Oct is worked.
        assert_eq!(cal.due(ts("2026-09-18T16:00:00+08:00"), Span::WorkingDays(1)), end_of("2026-09-20"));
        let wed = ts("2026-09-30T23:30:00+08:00");
        assert_eq!(cal.due(wed, Span::WorkingDays(1)), end_of("2026-10-08"));
        assert_eq!(cal.due(wed, Span::WorkingDays(3)), end_of("2026-10-10"));
        assert_eq!(cal.due(wed, Span::WorkingDays(4)), end_of("2026-10-12"));
        // Three calendar days from 28 Sep end on 1 Oct, a holiday: on to 8 Oct.
        assert_eq!(cal.due(ts("2026-09-28T08:00:00+08:00"), Span::CalendarDays(3)), end_of("2026-10-08"));
        // Minutes are minutes, holiday or not.
        assert_eq!(cal.due(wed, Span::Time(Duration::minutes(10))), wed + Duration::minutes(10));
        // An instant late in the UTC day is still counted from its Beijing date.
        assert_eq!(cal.due(ts("2026-10-09T17:00:00Z"), Span::WorkingDays(1)), end_of("2026-10-12"));
    }

    #[test]
    fn holiday_tables_and_spans_are_read_strictly() {
        let t = HolidayTable::parse(CN_HOLIDAYS_2026).unwrap();
        assert_eq!((t.off.len(), t.work.len()), (33, 6));
        for bad in ["2026-02-30 off", "2026-01-01", "2026-01-01 holiday", "2026-01-01 off\n2026-01-01 work", "x off y"]
        {
            assert!(HolidayTable::parse(bad).is_err(), "{bad:?}");
        }
        let custom = HolidayTable::parse("# a test\n2026-12-31 off # new year's eve\n").unwrap();
        let cal = WorkingCalendar::default().with_holidays(custom);
        assert_eq!(cal.due(ts("2026-12-30T10:00:00+08:00"), Span::WorkingDays(1)), end_of("2027-01-01"));
        assert_eq!(parse_span("15wd").unwrap(), Span::WorkingDays(15));
        assert_eq!(parse_span("60d").unwrap(), Span::CalendarDays(60));
        assert_eq!(parse_span("10m").unwrap(), Span::Time(Duration::minutes(10)));
        for bad in ["0d", "wd", "-3d", "4000wd", "soon"] {
            assert!(parse_span(bad).is_err(), "{bad:?}");
        }
    }

    proptest::proptest! {
        /// Working-day spans end at a working day's midnight, after exactly n working days.
        #[test]
        fn working_day_spans_count_exactly(start_min in 0i64..(366 * 24 * 60), n in 1u32..40) {
            let cal = WorkingCalendar::default();
            let start = ts("2026-01-01T00:00:00+08:00") + Duration::minutes(start_min);
            let due = cal.due(start, Span::WorkingDays(n));
            let tz = FixedOffset::east_opt(8 * 3600).unwrap();
            let last = (due.with_timezone(&tz) - Duration::days(1)).date_naive();
            proptest::prop_assert!(cal.is_workday(last));
            proptest::prop_assert_eq!(due.with_timezone(&tz).time(), NaiveTime::MIN);
            let mut d = start.with_timezone(&tz).date_naive();
            let mut counted = 0;
            while d < last {
                d = d.succ_opt().unwrap();
                counted += cal.is_workday(d) as u32;
            }
            proptest::prop_assert_eq!(counted, n);
            proptest::prop_assert!(cal.due(start, Span::WorkingDays(n + 1)) > due);
        }
    }
}
