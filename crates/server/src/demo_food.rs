//! The demo's food businesses: a few hundred across the grids (many at the logistics port),
//! two years of inspections at the intervals their risk grades set, hazards rectified with
//! photos before and after, and some under rectification now.

use chrono::Duration;
use domain::case::Actor;
use domain::food::{self, Business, ItemResult, Kind, NewBusiness, Risk, Rules};
use domain::geo::{LatLng, Polygon};
use domain::Timestamp;

const NAMES: [&str; 20] = [
    "港湾小吃",
    "物流园快餐",
    "兴围面馆",
    "临江大排档",
    "好客来饭店",
    "司机之家餐厅",
    "老杭帮菜馆",
    "农家土菜馆",
    "川味小厨",
    "东北饺子馆",
    "阿婆馄饨",
    "沙县小吃",
    "兰州拉面",
    "黄焖鸡米饭",
    "烧烤夜宵",
    "早餐铺",
    "奶茶店",
    "便利超市",
    "水果店",
    "卤味店",
];

/// A tiny real PNG used as the demo's evidence photo (a grey square).
fn evidence_png() -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    image::RgbImage::from_pixel(4, 4, image::Rgb([150, 150, 150]))
        .write_to(&mut out, image::ImageFormat::Png)
        .expect("encode");
    out.into_inner()
}

/// Deterministic "randomness" for the demo: a hash of the numbers.
fn h(a: usize, b: usize) -> usize {
    (a.wrapping_mul(2_654_435_761) ^ b.wrapping_mul(40_503)).wrapping_add(a * 7 + b * 13) % 1000
}

pub struct Built {
    pub businesses: Vec<Business>,
    /// (business index, hazard index, before/after) needing a photo.
    pub photos: Vec<(usize, usize, bool)>,
}

/// The businesses and their histories; evidence photos are named by `photos` and filled in
/// once stored ([`attach`]).
pub fn build(
    grids: &[store::Grid],
    grid_workers: &[(i64, Option<String>, String)],
    inspector: &Actor,
    rules: &Rules,
    now: Timestamp,
) -> anyhow::Result<Built> {
    let port: Vec<&store::Grid> = grids.iter().filter(|g| g.station == "S1").collect();
    let checklist = food::restaurant_checklist();
    let general: Vec<&str> = checklist.iter().filter(|i| !i.key).map(|i| i.code.as_str()).collect();
    let key: Vec<&str> = checklist.iter().filter(|i| i.key).map(|i| i.code.as_str()).collect();
    let start = now - Duration::days(730);
    let mut out = vec![];
    let mut photos = vec![];
    for i in 0..300 {
        let g = if i % 5 < 2 && !port.is_empty() { port[i % port.len()] } else { &grids[(i * 7) % grids.len()] };
        let centre = Polygon::new(g.ring.clone()).map(|p| p.centroid()).unwrap_or(LatLng::new(30.27, 120.57)?);
        let location = LatLng::new(
            centre.lat() + (h(i, 1) as f64 - 500.0) * 0.000004,
            centre.lng() + (h(i, 2) as f64 - 500.0) * 0.000004,
        )?;
        let kind = match i % NAMES.len() {
            15 | 16 => Kind::Stall,
            17..=19 => Kind::Shop,
            1 => Kind::CentralKitchen,
            5 => Kind::Canteen,
            _ => Kind::Restaurant,
        };
        let risk = match h(i, 3) {
            0..=199 => Risk::A,
            200..=599 => Risk::B,
            600..=899 => Risk::C,
            _ => Risk::D,
        };
        let supervisor = grid_workers
            .iter()
            .find(|w| w.1.as_deref() == Some(g.code.as_str()))
            .or(grid_workers.first())
            .map(|w| w.0)
            .unwrap_or(inspector.user_id);
        let registered = start + Duration::hours((h(i, 4) % 240) as i64);
        let mut b = food::register(
            0,
            NewBusiness {
                name: format!("{}（{}）", NAMES[i % NAMES.len()], g.name_zh),
                licence_no: format!("JY233011400{:05}", 10_000 + i),
                licence_valid_until: None,
                licensed_on: (registered - Duration::days(90 + (h(i, 5) as i64) * 2)).date_naive(),
                kind,
                address: format!("{}{}号", g.name_zh, 1 + i % 60),
                grid: g.code.clone(),
                location: Some(location),
                person_in_charge: format!("{}老板", ["陈", "王", "李", "张", "刘", "杨", "黄", "周"][i % 8]),
                phone: Some(format!("1395710{:04}", i)),
                scale: format!("{}座", 10 + h(i, 6) % 120),
                risk,
                supervisor,
            },
            inspector.clone(),
            registered,
            rules,
        )?;
        // Inspections at the grade's interval (a little early, as inspectors work), until now.
        let mut k = 0;
        loop {
            let at =
                b.next_due - Duration::days((h(i, 10 + k) % 20) as i64) + Duration::hours((h(i, 30 + k) % 6) as i64);
            if at > now - Duration::days(2) || k > 12 {
                break;
            }
            let roll = h(i, 50 + k);
            let failed: Vec<&str> = if roll < 700 {
                vec![]
            } else if roll < 930 {
                (0..1 + roll % 4).map(|x| general[(i + x * 5 + k) % general.len()]).collect()
            } else {
                vec![key[(i + k) % key.len()]]
            };
            let results: Vec<ItemResult> = checklist
                .iter()
                .map(|it| ItemResult {
                    code: it.code.clone(),
                    pass: !failed.contains(&it.code.as_str()),
                    note: None,
                    photos: vec![],
                })
                .collect();
            b = food::inspect(&b, &checklist, results, false, None, inspector, at.max(b.updated_at), rules)?;
            // Rectified in 3 to 12 days with photos, except the most recent ones: under way.
            let first = b.hazards.len() - failed.len();
            for hz in first..b.hazards.len() {
                photos.push((out.len(), hz, true));
                let fixed = b.hazards[hz].found_at + Duration::days(3 + (h(i, hz) % 10) as i64);
                if fixed < now - Duration::days(1) {
                    photos.push((out.len(), hz, false));
                    b.hazards[hz].evidence_before = vec![-1];
                    b.hazards[hz].status = food::HazardStatus::Rectified;
                    b.hazards[hz].evidence_after = vec![-1];
                    b.hazards[hz].rectified_at = Some(fixed);
                } else {
                    b.hazards[hz].evidence_before = vec![-1];
                }
            }
            // Rectified and re-inspected: the next routine inspection is one interval on.
            if b.hazards.iter().all(|x| x.status == food::HazardStatus::Rectified) {
                b.next_due = b.updated_at + rules.interval(b.risk);
            }
            k += 1;
        }
        out.push(b);
    }
    Ok(Built { businesses: out, photos })
}

/// Fills in the evidence photos' ids once they are stored (in the order of `photos`).
pub fn attach(built: &mut Built, ids: &[i64]) {
    for ((b, hz, before), id) in built.photos.iter().zip(ids) {
        let h = &mut built.businesses[*b].hazards[*hz];
        let list = if *before { &mut h.evidence_before } else { &mut h.evidence_after };
        if let Some(slot) = list.iter_mut().find(|x| **x == -1) {
            *slot = *id;
        }
    }
}

/// The photos to store: (business id, purpose, type, bytes), business ids counted from `first`.
pub fn photo_rows(built: &Built, first: i64) -> Vec<(i64, String, String, Vec<u8>)> {
    let png = evidence_png();
    built
        .photos
        .iter()
        .map(|(b, hz, before)| {
            (
                first + *b as i64,
                format!("hazard:{hz}:{}", if *before { "before" } else { "after" }),
                "image/png".to_owned(),
                png.clone(),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_register_is_full_and_consistent() {
        let sc =
            scenario::load(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/linjiang")).unwrap();
        let now =
            chrono::DateTime::parse_from_rfc3339("2026-11-27T12:00:00+08:00").unwrap().with_timezone(&chrono::Utc);
        let inspector = Actor { user_id: 4, username: "grid01".into(), role: domain::role::Role::GridWorker };
        let mut built = build(&sc.grids, &[(4, None, "grid01".into())], &inspector, &Rules::default(), now).unwrap();
        let ids: Vec<i64> = (1..=built.photos.len() as i64).collect();
        attach(&mut built, &ids);
        let bs = &built.businesses;
        assert_eq!(bs.len(), 300);
        let port = bs.iter().filter(|b| sc.grids.iter().any(|g| g.code == b.grid && g.station == "S1")).count();
        assert!(port >= 100, "many at the logistics port: {port}");
        let inspections: usize = bs.iter().map(|b| b.inspections.len()).sum();
        assert!(inspections > 600, "two years of inspections: {inspections}");
        let open: usize = bs.iter().flat_map(|b| &b.hazards).filter(|h| h.status == food::HazardStatus::Open).count();
        assert!(open > 0, "some under rectification now");
        assert!(bs
            .iter()
            .flat_map(|b| &b.hazards)
            .all(|h| !h.evidence_before.contains(&-1) && !h.evidence_after.contains(&-1)));
        assert!(bs
            .iter()
            .flat_map(|b| &b.hazards)
            .filter(|h| h.status == food::HazardStatus::Rectified)
            .all(|h| !h.evidence_after.is_empty() && !h.evidence_before.is_empty()));
        let faces: std::collections::BTreeSet<_> = bs.iter().filter_map(|b| food::grade(b, now)).collect();
        assert_eq!(faces.len(), 3, "good, fair and poor all occur");
        for b in bs {
            let obs = food::obligations(b, &domain::obligation::Terms::default());
            assert!(domain::obligation::owes_something(true, &obs));
            assert!(b.next_due > now - Duration::days(30), "{} is not long overdue", b.name);
        }
    }
}
