//! Synthetic case history, so that statistics have two years to compare.
//!
//! Each stream of `demand.toml` gets exactly `round(rate × days)` cases in each of the two
//! years, so year-on-year changes come out as configured; days, hours (by the hourly
//! profile), grids (by weight), categories and the times of each promise are drawn from a
//! seeded generator, so the same seed and end time give the same history.
//! Only cases finished before `end` are made: a history has no open work.

use crate::{Scenario, StreamCategories};
use chrono::{Duration, TimeZone, Timelike};
use domain::case::{ActionKind, Case, CaseEvent, Milestones, Priority, Satisfaction, Source, Status};
use domain::codes::CategoryCode;
use domain::geo::{LatLng, Polygon};
use domain::Timestamp;
use rand::distributions::{Distribution, WeightedIndex};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const LOCAL_OFFSET_SECONDS: i32 = 8 * 3600;

/// Draws from a table of weights.
struct Table<T> {
    items: Vec<T>,
    index: WeightedIndex<f64>,
}

impl<T: Clone> Table<T> {
    fn new(pairs: Vec<(T, f64)>) -> Self {
        let index = WeightedIndex::new(pairs.iter().map(|p| p.1)).expect("weights are positive somewhere");
        Self { items: pairs.into_iter().map(|p| p.0).collect(), index }
    }
    fn draw(&self, rng: &mut impl Rng) -> T {
        self.items[self.index.sample(rng)].clone()
    }
}

/// Seconds from an exponential distribution with the given mean.
fn exp_secs(rng: &mut impl Rng, mean: f64) -> i64 {
    let u: f64 = rng.gen_range(1e-9..1.0);
    (-u.ln() * mean) as i64
}

/// Makes the history of the `days` days before `end`.
pub fn generate(s: &Scenario, end: Timestamp, days: u32, seed: u64) -> Vec<Case> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let d = &s.demand;
    let hours = Table::new((0..24u32).map(|h| (h, d.hourly_profile[h as usize])).collect());
    // Each grid's weight: its own property times its station's and area's.
    let grids_all: Vec<(usize, f64)> = s.grid_weights.iter().copied().enumerate().collect();
    let grid_table = Table::new(grids_all.clone());
    let dispute_grid_table = Table::new(
        grids_all
            .iter()
            .map(|(i, w)| {
                let g = &s.grids[*i];
                (*i, w * d.weights.get(&format!("dispute_at_{}", g.station)).copied().unwrap_or(1.0))
            })
            .collect(),
    );
    let polygons: Vec<Polygon> = s.grids.iter().map(|g| Polygon::new(g.ring.clone()).expect("validated")).collect();
    let mixed_sources = Table::new(
        d.sources
            .iter()
            .filter(|(k, v)| **v > 0.0 && !matches!(k.as_str(), "police_110" | "petition" | "sensor"))
            .map(|(k, v)| (Source::parse(k).expect("validated"), *v))
            .collect(),
    );
    let weighted = Table::new(
        s.categories.iter().filter(|c| c.weight > 0.0).map(|c| (c.category.code.clone(), c.weight)).collect(),
    );
    let tz = chrono::FixedOffset::east_opt(LOCAL_OFFSET_SECONDS).expect("offset");
    let local_end_day = end.with_timezone(&tz).date_naive();
    let start_day = local_end_day - Duration::days(days as i64);
    let mut out = vec![];
    for (name, stream) in &d.history.streams {
        let _ = name;
        let cats = match &stream.categories {
            StreamCategories::List(l) => {
                let code = |c: &String| {
                    let spec = s.categories.iter().find(|k| k.category.code.as_str() == c);
                    spec.expect("validated").category.code.clone()
                };
                Table::new(l.iter().map(|c| (code(c), 1.0)).collect())
            }
            StreamCategories::Weighted(_) => {
                Table::new(weighted.items.iter().cloned().zip(weighted_weights(s)).collect())
            }
        };
        // Year one is the older year: [start, start + half); year two the most recent.
        let half = days as i64 / 2;
        for (first_day, n_days, rate) in
            [(0, half, stream.previous_per_day), (half, days as i64 - half, stream.current_per_day)]
        {
            let count = (rate * n_days as f64).round() as usize;
            for _ in 0..count {
                let day = start_day + Duration::days(first_day + rng.gen_range(0..n_days.max(1)));
                let hour = hours.draw(&mut rng);
                let secs = rng.gen_range(0..3600);
                let local = day.and_hms_opt(hour, 0, 0).expect("valid hour") + Duration::seconds(secs);
                let created =
                    tz.from_local_datetime(&local).single().expect("fixed offset").with_timezone(&chrono::Utc);
                if created >= end {
                    continue;
                }
                let code = cats.draw(&mut rng);
                let spec = s.category(&code).expect("validated");
                let source = match stream.source.as_str() {
                    "mixed" if code.as_str() == "SJ0401" => Source::Sensor,
                    "mixed" => mixed_sources.draw(&mut rng),
                    src => Source::parse(src).expect("validated"),
                };
                let gi = if spec.tags.iter().any(|t| t == "dispute") {
                    dispute_grid_table.draw(&mut rng)
                } else {
                    grid_table.draw(&mut rng)
                };
                let grid = &s.grids[gi];
                let location = random_point(&polygons[gi], &mut rng);
                if let Some(c) =
                    finished_case(s, &code, spec.default_priority, source, grid, location, created, end, &mut rng)
                {
                    out.push(c);
                }
            }
        }
    }
    out.sort_by_key(|c| c.created_at);
    out
}

fn weighted_weights(s: &Scenario) -> Vec<f64> {
    s.categories.iter().filter(|c| c.weight > 0.0).map(|c| c.weight).collect()
}

fn random_point(p: &Polygon, rng: &mut impl Rng) -> LatLng {
    let ring = p.ring();
    let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for q in ring {
        x0 = x0.min(q[0]);
        y0 = y0.min(q[1]);
        x1 = x1.max(q[0]);
        y1 = y1.max(q[1]);
    }
    loop {
        let pt = LatLng::new(rng.gen_range(y0..y1), rng.gen_range(x0..x1)).expect("inside a valid box");
        if p.contains(&pt) {
            return pt;
        }
    }
}

/// The share of a grid's cases closed after their deadline: 1 % to 4.2 % by grid (fixed by
/// its code), 3 points more in the enclave.
fn late_share(grid: &store::Grid) -> f64 {
    let h = grid.code.as_str().bytes().fold(0u64, |a, b| a.wrapping_mul(31).wrapping_add(u64::from(b))) % 5;
    0.01 + 0.008 * h as f64 + if grid.area == "enclave" { 0.03 } else { 0.0 }
}

#[allow(clippy::too_many_arguments)]
fn finished_case(
    s: &Scenario,
    code: &CategoryCode,
    priority: Priority,
    source: Source,
    grid: &store::Grid,
    location: LatLng,
    created: Timestamp,
    end: Timestamp,
    rng: &mut impl Rng,
) -> Option<Case> {
    let spec = s.category(code).expect("validated");
    let deadlines = s.policy.deadlines(code, priority, created);
    // Response times as a street that mostly keeps its promise: most steps well inside
    // their limits, a few late.
    let accepted = created + Duration::seconds(5 + exp_secs(rng, 14.0));
    let dispatched = accepted + Duration::seconds(20 + exp_secs(rng, 30.0));
    let contacted = dispatched + Duration::seconds(10 + exp_secs(rng, 15.0));
    let travel_mean = if grid.area == "enclave" { 330.0 } else { 140.0 };
    let on_site = dispatched + Duration::seconds(90 + exp_secs(rng, travel_mean));
    let feedback = on_site + Duration::seconds(300 + exp_secs(rng, 900.0));
    let close_period = deadlines.close - created;
    let work = (close_period.num_seconds() as f64 * rng.gen_range(0.05..0.55)) as i64 + exp_secs(rng, 3600.0);
    let mut closed = (feedback + Duration::seconds(work)).max(feedback + Duration::minutes(5));
    // A few cases run past the 24 hours: more in some grids than others, most in the enclave
    // far from the stations, so a ranking has something to say.
    let late = rng.gen::<f64>() < late_share(grid);
    let overrun = Duration::seconds(600 + exp_secs(rng, 6.0 * 3600.0));
    if late {
        closed = closed.max(deadlines.close + overrun);
    }
    // About one case in a hundred is reopened by its reporter and closed again.
    let reopened = u32::from(rng.gen_range(0..1000) < 12);
    if closed >= end {
        return None;
    }
    let satisfaction = match rng.gen_range(0..100) {
        _ if (late || reopened > 0) && rng.gen_range(0..100) < 40 => Satisfaction::Dissatisfied,
        0..=87 => Satisfaction::Satisfied,
        88..=96 => Satisfaction::BasicallySatisfied,
        _ => Satisfaction::Dissatisfied,
    };
    let rated = closed + Duration::hours(rng.gen_range(2..30));
    let status = if rated + Duration::days(3) < end {
        Status::Archived
    } else if rated < end {
        Status::Rated
    } else {
        Status::Closed
    };
    let updated = match status {
        Status::Closed => closed,
        _ => rated.min(end),
    };
    // The case's real steps at their times: who reported, accepted, sent whom, contacted,
    // arrived, fed back, closed (and, for a reworked case, reopened and closed again), rated,
    // archived. The person sent is one of the category's force from the grid's station.
    let force = spec.forces.first();
    let crew: Vec<i64> = s
        .responders
        .iter()
        .filter(|r| {
            Some(&r.force) == force && (r.station == grid.station || r.grid.as_deref() == Some(grid.code.as_str()))
        })
        .map(|r| r.id)
        .collect();
    let sent: Vec<i64> = if crew.is_empty() { vec![] } else { vec![crew[rng.gen_range(0..crew.len())]] };
    let history = domain::case::Actor { user_id: 0, username: "history".into(), role: domain::role::Role::Dispatcher };
    let mut events: Vec<CaseEvent> = vec![];
    let mut step = |at: Timestamp,
                    action: ActionKind,
                    from: Option<Status>,
                    to: Status,
                    note: Option<&str>,
                    responders: &[i64]| {
        events.push(CaseEvent {
            seq: events.len() as u32 + 1,
            at,
            actor: history.clone(),
            action,
            from,
            to,
            note: note.map(str::to_owned),
            responders: responders.to_vec(),
            promise: None,
            due_at: None,
            level: None,
        });
    };
    step(created, ActionKind::Create, None, Status::New, None, &[]);
    step(accepted, ActionKind::Accept, Some(Status::New), Status::Accepted, None, &[]);
    step(dispatched, ActionKind::Dispatch, Some(Status::Accepted), Status::Dispatched, None, &sent);
    step(contacted, ActionKind::ContactParty, Some(Status::Dispatched), Status::Dispatched, Some("已联系当事人"), &[]);
    step(on_site, ActionKind::Arrive, Some(Status::Dispatched), Status::OnSite, None, &sent);
    step(feedback, ActionKind::Feedback, Some(Status::OnSite), Status::InProgress, Some("已到场核实，正在处置"), &[]);
    if reopened > 0 {
        let first = feedback + (closed - feedback) / 3;
        let again = feedback + (closed - feedback) / 2;
        step(first, ActionKind::Close, Some(Status::InProgress), Status::Closed, Some("已处置完毕"), &[]);
        step(again, ActionKind::Reopen, Some(Status::Closed), Status::Accepted, Some("报事人反映问题仍未解决"), &[]);
        step(
            again + Duration::minutes(2),
            ActionKind::Dispatch,
            Some(Status::Accepted),
            Status::Dispatched,
            Some("返工"),
            &sent,
        );
        step(again + Duration::minutes(20), ActionKind::Arrive, Some(Status::Dispatched), Status::OnSite, None, &sent);
        step(closed, ActionKind::Close, Some(Status::OnSite), Status::Closed, Some("返工完成"), &[]);
    } else {
        step(closed, ActionKind::Close, Some(Status::InProgress), Status::Closed, Some("已处置完毕"), &[]);
    }
    if status != Status::Closed {
        step(rated.min(end), ActionKind::Rate, Some(Status::Closed), Status::Rated, None, &[]);
    }
    if status == Status::Archived {
        step(rated + Duration::days(3), ActionKind::Archive, Some(Status::Rated), Status::Archived, None, &[]);
    }
    let hour = created.with_timezone(&chrono::FixedOffset::east_opt(LOCAL_OFFSET_SECONDS).expect("offset")).hour();
    Some(Case {
        id: 0,
        category: code.clone(),
        priority,
        source,
        location,
        grid: grid.code.clone(),
        description: format!("{}（{}，{}时）", spec.name_zh, grid.name_zh, hour),
        address: None,
        reporter_id: None,
        reported_by: None,
        status,
        suspended_from: None,
        suspended_at: None,
        created_at: created,
        updated_at: updated,
        deadlines,
        milestones: Milestones {
            accepted_at: Some(accepted),
            dispatched_at: Some(dispatched),
            contacted_at: Some(contacted),
            on_site_at: Some(on_site),
            first_feedback_at: Some(feedback),
            closed_at: Some(closed),
        },
        satisfaction: (status != Status::Closed).then_some(satisfaction),
        reopened_count: reopened,
        assignments: vec![],
        version: events.len() as u32,
        events,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_is_repeatable_and_has_the_source_trends() {
        let s =
            crate::load(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/linjiang")).unwrap();
        let end = chrono::Utc.with_ymd_and_hms(2026, 11, 27, 4, 0, 0).unwrap();
        let a = generate(&s, end, 730, 7);
        let b = generate(&s, end, 730, 7);
        assert_eq!(a.len(), b.len());
        assert_eq!(a[1000], b[1000]);
        let split = end - Duration::days(365);
        let count = |f: &dyn Fn(&Case) -> bool, recent: bool| {
            a.iter().filter(|c| (c.created_at >= split) == recent && f(c)).count() as f64
        };
        let change = |f: &dyn Fn(&Case) -> bool| count(f, true) / count(f, false) - 1.0;
        let police = change(&|c| c.source == Source::Police110);
        let security = change(&|c| matches!(c.category.as_str(), "SJ1001" | "SJ1006" | "SJ1007"));
        let petitions = change(&|c| c.source == Source::Petition);
        assert!((police + 0.258).abs() < 0.01, "police calls {police}");
        assert!((security + 0.09).abs() < 0.01, "public security {security}");
        assert!((petitions + 0.375).abs() < 0.02, "petitions {petitions}");
        let per_day = count(&|_| true, true) / 365.0;
        assert!((380.0..420.0).contains(&per_day), "{per_day} cases a day");
        let urgent = a.iter().filter(|c| c.priority == Priority::Urgent).count() as f64 / a.len() as f64;
        assert!((0.07..0.13).contains(&urgent), "urgent share {urgent}");
        for c in a.iter().step_by(997) {
            assert!(c.milestones.closed_at.unwrap() < end);
            assert!(c.deadlines.accept >= c.created_at);
        }
    }
}
