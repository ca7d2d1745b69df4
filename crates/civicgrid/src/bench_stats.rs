//! `civicgrid bench stats`: the statistics leaders read, over a city-sized history.
//!
//! A synthetic city of `--streets` streets (190 by default, Hangzhou's count) shares
//! `--cases` cases (5 million) over two years: the scenario's own two-year history (its
//! days, hours, categories, channels and year-on-year trends) dealt out to the streets, each
//! street's grids numbered as its own. The cases go in through the store's import, each with
//! its obligations, as the demo's history does. Then the queries behind the pages are timed
//! as the server runs them: the month's summary (counts and the five promises), the big
//! screen's year-on-year panel (this year so far against the same stretch last year), and
//! breakdowns of a month by grid and by category.

use std::time::Instant;

pub struct Plan {
    pub cases: usize,
    pub streets: usize,
    /// Runs of each query; the first is cold.
    pub runs: usize,
    /// Keep the database afterwards (its URL is printed), to time again without loading.
    pub keep: bool,
    /// Time the queries on a database kept by an earlier run instead of loading one.
    pub reuse: Option<String>,
}

/// Cases are imported this many at a time (one transaction and one audit record each).
const IMPORT_SLICE: usize = 50_000;

/// The history (sorted by report time) dealt out to `streets` streets: case `i` of `n` is the
/// scenario's case `i × len / n` moved to street `i % streets` (the street digits of its grid
/// code replaced). Cases come in report order, as a live system stores them, and every street
/// gets a spread of the whole history.
pub fn city_case(history: &[domain::case::Case], streets: usize, n: usize, i: usize) -> domain::case::Case {
    let street = i % streets;
    let k = (i as u128 * history.len() as u128 / n.max(1) as u128) as usize;
    let mut c = history[k].clone();
    let code = c.grid.as_str();
    let moved = format!("{}{:03}{}", &code[..6], street, &code[9..]);
    c.grid = domain::codes::GridCode::parse(&moved).expect("15 digits stay 15 digits");
    c
}

fn timed<T>(label: &str, runs: &mut Vec<(String, Vec<f64>)>, ms: f64, v: T) -> T {
    match runs.iter_mut().find(|(l, _)| l == label) {
        Some((_, v)) => v.push(ms),
        None => runs.push((label.to_owned(), vec![ms])),
    }
    v
}

pub async fn run(backend: &str, postgres: &str, plan: &Plan, scenario: &std::path::Path) -> anyhow::Result<i32> {
    let url = match (backend, &plan.reuse) {
        (_, Some(url)) => url.clone(),
        ("postgres", None) => {
            std::env::set_var("CIVICGRID_TEST_PG", postgres);
            store::testing::fresh_postgres_url().await
        }
        ("sqlite", None) => store::testing::fresh_sqlite_url(),
        (other, None) => anyhow::bail!("unknown backend {other:?}"),
    };
    let sc = scenario::load(scenario)?;
    let now = chrono::Utc::now();
    let history = scenario::history::generate(&sc, now, 730, sc.demand.history.seed);
    anyhow::ensure!(!history.is_empty(), "the scenario made no history");
    let store = store::Store::open(&url).await?;
    let terms = domain::obligation::Terms::default();
    let started = Instant::now();
    let mut made = 0;
    if plan.reuse.is_none() {
        store.load_reference(&sc.reference_data(), "bench", now).await?;
    } else {
        made = plan.cases;
    }
    while made < plan.cases {
        let n = IMPORT_SLICE.min(plan.cases - made);
        let slice: Vec<domain::case::Case> =
            (made..made + n).map(|i| city_case(&history, plan.streets, plan.cases, i)).collect();
        store.import_cases_with(&slice, |c| domain::case::obligations(c, &terms), "bench", now).await?;
        made += n;
        if made % 500_000 == 0 || made == plan.cases {
            eprintln!("loaded {made} cases in {:.0} s", started.elapsed().as_secs_f64());
        }
    }
    let loaded = started.elapsed().as_secs_f64();
    store.analyze().await?;

    let beijing = chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8");
    let local = |d: chrono::NaiveDate| {
        chrono::TimeZone::from_local_datetime(&beijing, &d.and_hms_opt(0, 0, 0).expect("midnight"))
            .single()
            .expect("fixed offset")
            .with_timezone(&chrono::Utc)
    };
    let today = now.with_timezone(&beijing).date_naive();
    let this_month = chrono::Datelike::with_day(&today, 1).expect("day 1");
    let last_month = this_month.checked_sub_months(chrono::Months::new(1)).expect("a month earlier");
    let (m_from, m_to) = (local(last_month), local(this_month));
    let jan1 = local(chrono::NaiveDate::from_ymd_opt(chrono::Datelike::year(&today), 1, 1).expect("1 January"));
    let year_ago =
        |t: chrono::DateTime<chrono::Utc>| t.checked_sub_months(chrono::Months::new(12)).expect("a year earlier");
    let mut runs: Vec<(String, Vec<f64>)> = vec![];
    let mut answers = vec![];
    for _ in 0..plan.runs {
        let t = Instant::now();
        let s = store.summary(m_from, m_to, now).await?;
        answers.push(timed("summary of last month", &mut runs, t.elapsed().as_secs_f64() * 1e3, s.total));
        // The year-on-year panel: this year so far and the same stretch a year earlier, by
        // channel (police calls) and by category (public security), as `/stats/summary` reads.
        let t = Instant::now();
        let mut n = 0;
        for (f, to) in [(jan1, now), (year_ago(jan1), year_ago(now))] {
            n += store.counts_by(store::stats::Dimension::Source, f, to).await?.len();
            n += store.counts_by(store::stats::Dimension::Category, f, to).await?.len();
        }
        timed("year-on-year panel (this year so far)", &mut runs, t.elapsed().as_secs_f64() * 1e3, n);
        let t = Instant::now();
        let g = store.breakdown(store::stats::By::Grid, m_from, m_to, now).await?;
        timed("breakdown of last month by grid", &mut runs, t.elapsed().as_secs_f64() * 1e3, g.len());
        let t = Instant::now();
        let g = store.breakdown(store::stats::By::Category, m_from, m_to, now).await?;
        timed("breakdown of last month by category", &mut runs, t.elapsed().as_secs_f64() * 1e3, g.len());
    }
    println!(
        "backend: {backend}; {} cases over {} streets ({} grids), loaded in {loaded:.0} s ({:.0} cases/s)",
        plan.cases,
        plan.streets,
        plan.streets * sc.grids.len(),
        plan.cases as f64 / loaded
    );
    println!("last month holds {} cases", answers.first().copied().unwrap_or(0));
    println!("| query | first run ms | later runs ms (median) |");
    println!("|---|---:|---:|");
    for (label, ms) in &runs {
        let mut later = ms[1.min(ms.len() - 1)..].to_vec();
        later.sort_by(|a, b| a.total_cmp(b));
        println!("| {label} | {:.0} | {:.0} |", ms[0], later[later.len() / 2]);
    }
    store.close().await;
    if plan.keep || plan.reuse.is_some() {
        println!("kept: {url}");
    } else {
        store::testing::discard(&url).await;
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_city_deals_every_street_its_share_with_its_own_grid_codes() {
        let sc = scenario::load(std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../scenarios/linjiang")))
            .unwrap();
        let now = chrono::Utc::now();
        let history = scenario::history::generate(&sc, now, 30, 7);
        let (streets, n) = (190, 190 * 20);
        let mut per_street = vec![0; streets];
        let mut last = None;
        for i in 0..n {
            let c = city_case(&history, streets, n, i);
            assert!(last.is_none_or(|t| t <= c.created_at), "in report order");
            last = Some(c.created_at);
            let street: usize = c.grid.as_str()[6..9].parse().unwrap();
            assert_eq!(street, i % streets);
            assert_eq!(&c.grid.as_str()[..6], "330114");
            per_street[street] += 1;
        }
        assert!(per_street.iter().all(|&k| k == 20), "each street gets the same count");
        // Street 4 is Linjiang's own number: its cases keep the codes the scenario gave them.
        let c = city_case(&history, streets, n, 4);
        assert!(sc.grids.iter().any(|g| g.code == c.grid));
    }
}
