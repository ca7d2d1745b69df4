//! The demo's petitions: two years of history (the history's petition-channel reports, each a
//! demand petition worked to its close, so demand petitions fall 37.5 % Jan–Apr year on
//! year as the source reports), the source's culvert letter in progress now, and a few
//! petitions at each step of the statutory clock.

use chrono::Duration;
use domain::case::{Actor, Case, Satisfaction, Source};
use domain::petition::{self, Action, Channel, Class, Limits, NewPetition, Petition, Petitioner};
use domain::role::Role;
use domain::Timestamp;
use store::Store;

const SURNAMES: [&str; 12] = ["陈", "王", "李", "张", "刘", "杨", "黄", "周", "吴", "徐", "孙", "沈"];
const TITLES: [&str; 4] = ["先生", "女士", "阿姨", "师傅"];

fn petitioner(i: usize) -> Petitioner {
    Petitioner {
        name: format!("{}{}", SURNAMES[(i * 7 + i / 5) % SURNAMES.len()], TITLES[(i / 3) % TITLES.len()]),
        phone: Some(format!("139{:08}", 57_100_000 + (i * 7_919) % 9_000_000)),
        address: None,
        representative: false,
    }
}

/// The accounts the demo's petitions name.
pub struct People {
    pub officer: Actor,
    pub leader: Actor,
    /// Owner of commitments (the grid worker who sees the works done).
    pub grid_worker: i64,
}

/// The terms the server states petition duties in (its ladder: the petition office, then
/// the street's leaders).
pub fn terms() -> domain::obligation::Terms {
    domain::obligation::Terms { ladder: vec![Role::PetitionOfficer, Role::Leader], ..Default::default() }
}

fn step(p: &Petition, a: Action, by: &Actor, at: Timestamp, limits: &Limits) -> anyhow::Result<Petition> {
    Ok(petition::apply(p, &a, by, None, at, limits)?)
}

/// Topic words by the history case's category: a petition's subject.
fn topic(c: &Case) -> &'static str {
    match &c.category.as_str()[..4] {
        "SJ10" => "wages",
        "SJ01" | "BJ01" => "environment",
        "SJ05" => "traffic",
        "SJ06" => "food",
        _ => "livelihood",
    }
}

/// What the petitioner wrote: the report's words without the history's place and hour, or
/// one of the street's common petition matters.
fn matter(c: &Case, i: usize) -> String {
    const COMMON: [&str; 8] = [
        "反映小区周边道路破损，雨天积水严重",
        "反映企业拖欠工资，多次讨要未果",
        "反映邻居违章搭建，影响采光通风",
        "反映征地补偿款迟迟未到位",
        "反映菜场周边占道经营，出行不便",
        "反映农田灌溉渠道堵塞",
        "反映楼道照明损坏长期无人修理",
        "反映物流车辆夜间进出噪声扰民",
    ];
    let words = c.description.split('（').next().unwrap_or_default().trim();
    if words.is_empty() || words.contains("信访") {
        COMMON[i % COMMON.len()].into()
    } else {
        format!("反映{words}问题，要求尽快处理")
    }
}

/// Historical demand petitions, one per petition-channel report of the history, each
/// registered, assigned, accepted, replied, followed up and closed within the limits.
pub fn history(history: &[Case], people: &People, limits: &Limits, now: Timestamp) -> anyhow::Result<Vec<Petition>> {
    let mut out = vec![];
    for (i, c) in history.iter().filter(|c| c.source == Source::Petition).enumerate() {
        let t0 = c.created_at;
        let new = NewPetition {
            channel: [Channel::Letter, Channel::Visit, Channel::Phone, Channel::Online][i % 4],
            class: Class::Demand,
            topic: topic(c).into(),
            matter: matter(c, i),
            demand: "请求尽快解决".into(),
            grid: c.grid.clone(),
            location: Some(c.location),
            address: c.address.clone(),
            petitioners: vec![petitioner(i)],
            reported_by: None,
            from_case: None,
            repeat_of: vec![],
            after_re_review: false,
        };
        let mut p = petition::register(0, new, people.officer.clone(), t0, limits)?;
        // Assigned the next day, accepted the day after, replied within one to three weeks,
        // visited on the follow-up's day, rated, and closed the day after the visit.
        let reply_day = 5 + (i % 15) as i64;
        let plan: [(i64, Action); 3] = [
            (1, Action::Assign { body: "临江街道综合信息指挥室".into(), officer: people.officer.user_id }),
            (2, Action::Accept),
            (reply_day, Action::Reply { text: "经调查核实，已督促责任单位整改到位。".into() }),
        ];
        for (days, a) in plan {
            let at = t0 + Duration::days(days);
            if at > now {
                break;
            }
            p = step(&p, a, &people.officer, at, limits)?;
        }
        if let Some(visit) = p.follow_ups.first().map(|f| f.due_at - Duration::hours(20)).filter(|t| *t <= now) {
            p = step(
                &p,
                Action::RecordFollowUp { follow_up: 0, how: "phone".into(), said: "问题已解决".into() },
                &people.officer,
                visit,
                limits,
            )?;
            let rating = [Satisfaction::Satisfied, Satisfaction::Satisfied, Satisfaction::BasicallySatisfied][i % 3];
            p = step(&p, Action::Rate { satisfaction: rating, reason: None }, &people.officer, visit, limits)?;
            if visit + Duration::days(1) <= now {
                p = step(&p, Action::Close, &people.officer, visit + Duration::days(1), limits)?;
            }
        }
        out.push(p);
    }
    Ok(out)
}

/// The source's culvert letter, shifted so that today falls between the April visit and
/// the wells' completion, and petitions at each step of the clock.
pub async fn live(
    store: &Store,
    people: &People,
    limits: &Limits,
    grids: &[store::Grid],
    now: Timestamp,
) -> anyhow::Result<usize> {
    let o = &people.officer;
    let grid = |i: usize| grids[(i * 5) % grids.len()].code.clone();
    let mut done: Vec<Petition> = vec![];
    // The culvert: registered 100 days ago (the "Jan 8" of the source).
    let t0 = now - Duration::days(100);
    let mut p = petition::register(
        0,
        NewPetition {
            channel: Channel::Letter,
            class: Class::Demand,
            topic: "drainage".into(),
            matter: "村口涵洞被堵，雨天排水不畅，积水漫进农户家中（手写来信，扫描件存档）".into(),
            demand: "疏通涵洞，根治积水".into(),
            grid: grid(0),
            location: None,
            address: Some("临江街道新围村村口涵洞".into()),
            petitioners: vec![Petitioner { representative: false, ..petitioner(3) }],
            reported_by: None,
            from_case: None,
            repeat_of: vec![],
            after_re_review: false,
        },
        o.clone(),
        t0,
        limits,
    )?;
    let d = |n: i64| t0 + Duration::days(n);
    p = step(&p, Action::Assign { body: "临江街道城建办".into(), officer: o.user_id }, o, d(1), limits)?;
    p = step(&p, Action::Accept, o, d(2), limits)?;
    p = step(
        &p,
        Action::Reply {
            text: "1月12日首次实地勘察：涵洞内一处管道破损堵塞，责成施工方1月16日前修复。".into()
        },
        o,
        d(4),
        limits,
    )?;
    p = step(
        &p,
        Action::Commit { what: "施工方修复破损管道".into(), due_at: d(8), owner: people.grid_worker },
        o,
        d(4),
        limits,
    )?;
    p = step(&p, Action::KeepCommitment { commitment: 0 }, o, d(8), limits)?;
    p = step(
        &p,
        Action::Commit {
            what: "新建两处沉淀井（现场复核商定）".into(),
            due_at: now + Duration::days(88),
            owner: people.grid_worker,
        },
        o,
        d(9),
        limits,
    )?;
    p = step(
        &p,
        Action::RecordFollowUp { follow_up: 0, how: "phone".into(), said: "管道修好后积水减少".into() },
        o,
        d(10),
        limits,
    )?;
    p = step(
        &p,
        Action::RecordFollowUp {
            follow_up: 1, how: "visit".into(), said: "现场已无积水，盼沉淀井早日建成".into()
        },
        o,
        d(14),
        limits,
    )?;
    p = step(&p, Action::ScheduleFollowUp { due_at: d(101) }, o, d(90), limits)?;
    p = step(
        &p,
        Action::RecordFollowUp { follow_up: 3, how: "visit".into(), said: "沉淀井已开挖，村民满意".into() },
        o,
        d(100) - Duration::hours(3),
        limits,
    )?;
    done.push(p);

    // One at each step.
    let plans: [(&str, &str, Class, i64, usize); 7] = [
        ("wages", "物流园区二十余名送货工人反映运输公司拖欠运费", Class::Demand, 0, 0),
        ("noise", "夜间货车进出园区噪声扰民", Class::Complaint, 3, 1),
        ("traffic", "建议在学校门口增设减速带和护学岗", Class::Suggestion, 9, 2),
        ("housing", "老旧小区楼道扶手松动，多次反映未修", Class::Demand, 52, 3),
        ("land", "对征地补偿标准有异议", Class::Demand, 70, 4),
        ("livelihood", "反映菜市场摊位费上涨", Class::Complaint, 20, 5),
        ("environment", "河道漂浮垃圾清理不及时", Class::Demand, 45, 6),
    ];
    for (i, (topic, matter, class, days_ago, stage)) in plans.into_iter().enumerate() {
        let t = now - Duration::days(days_ago) - Duration::hours(2);
        let mut p = petition::register(
            0,
            NewPetition {
                channel: [Channel::Visit, Channel::Phone, Channel::Online, Channel::Letter][i % 4],
                class,
                topic: topic.into(),
                matter: matter.into(),
                demand: String::new(),
                grid: grid(i + 1),
                location: None,
                address: None,
                petitioners: if i == 0 {
                    (0..20).map(|k| Petitioner { representative: k < 3, ..petitioner(40 + k) }).collect()
                } else {
                    vec![petitioner(20 + i)]
                },
                reported_by: None,
                from_case: None,
                repeat_of: vec![],
                after_re_review: false,
            },
            o.clone(),
            t,
            limits,
        )?;
        let at = |n: i64| (t + Duration::days(n)).min(now);
        if stage >= 1 {
            p = step(
                &p,
                Action::Assign { body: "临江街道综合信息指挥室".into(), officer: o.user_id },
                o,
                at(1),
                limits,
            )?;
        }
        match stage {
            2 => p = step(&p, Action::Accept, o, at(2), limits)?,
            3 => {
                p = step(&p, Action::Accept, o, at(2), limits)?;
                // The reply is due in a few days: amber on the clock.
            }
            4 => {
                p = step(&p, Action::Accept, o, at(2), limits)?;
                p = step(
                    &p,
                    Action::Extend {
                        days: 30,
                        reason: "需委托第三方评估补偿标准".into(),
                        approved_by: people.leader.user_id,
                    },
                    o,
                    at(55),
                    limits,
                )?;
                p = step(&p, Action::TakeOwnership, &people.leader, at(56), limits)?;
            }
            5 => {
                p = step(
                    &p,
                    Action::Refuse {
                        reason: "摊位费属市场经营自主定价，不属信访受理范围".into(),
                        route: "向区市场监管局价格举报或提起民事诉讼".into(),
                    },
                    o,
                    at(3),
                    limits,
                )?;
            }
            6 => {
                p = step(&p, Action::Accept, o, at(2), limits)?;
                p = step(&p, Action::Reply { text: "已安排保洁公司每日巡河打捞".into() }, o, at(10), limits)?;
                p = step(
                    &p,
                    Action::RecordFollowUp {
                        follow_up: 0,
                        how: "visit".into(),
                        said: "打捞次数不够，仍有漂浮物".into(),
                    },
                    o,
                    at(16),
                    limits,
                )?;
                p = step(
                    &p,
                    Action::Rate {
                        satisfaction: Satisfaction::Dissatisfied,
                        reason: Some("雨后仍有大量漂浮垃圾".into()),
                    },
                    o,
                    at(16),
                    limits,
                )?;
                p = step(
                    &p,
                    Action::RecordFollowUp {
                        follow_up: 1, how: "phone".into(), said: "要求增加打捞频次".into()
                    },
                    o,
                    at(20),
                    limits,
                )?;
                p = step(&p, Action::RequestReview, o, at(30), limits)?;
            }
            _ => {}
        }
        done.push(p);
    }
    store.import_petitions(&done, |p| petition::obligations(p, &terms(), limits), "demo", now).await?;
    Ok(done.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn demand_petitions_fall_as_the_source_reports() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/linjiang");
        let sc = scenario::load(&dir).unwrap();
        let now = chrono::Utc.with_ymd_and_hms(2026, 11, 27, 4, 0, 0).unwrap();
        let cases = scenario::history::generate(&sc, now, 730, sc.demand.history.seed);
        let people = People {
            officer: Actor { user_id: 5, username: "petition".into(), role: Role::PetitionOfficer },
            leader: Actor { user_id: 3, username: "leader".into(), role: Role::Leader },
            grid_worker: 4,
        };
        let limits = Limits { calendar: sc.policy.calendar.clone(), ..Default::default() };
        let past = history(&cases, &people, &limits, now).unwrap();
        let local = |y, m| chrono::FixedOffset::east_opt(8 * 3600).unwrap().with_ymd_and_hms(y, m, 1, 0, 0, 0).unwrap();
        let count = |y| {
            past.iter()
                .filter(|p| p.class == Class::Demand && p.registered_at >= local(y, 1) && p.registered_at < local(y, 5))
                .count() as f64
        };
        let (this, last) = (count(2026), count(2025));
        let change = this / last - 1.0;
        assert!(last >= 40.0, "too few to judge: {last}");
        assert!((change + 0.375).abs() < 0.05, "Jan–Apr demand petitions {this} against {last}: {change:+.3}");
        // Every historical petition is consistent: closed ones owe nothing, open ones something.
        for p in &past {
            let obs = petition::obligations(p, &terms(), &limits);
            assert!(
                domain::obligation::owes_something(p.status.is_open(), &obs),
                "petition registered {}",
                p.registered_at
            );
        }
        assert!(past.iter().filter(|p| p.status == petition::Status::Closed).count() * 10 > past.len() * 9);
    }
}
