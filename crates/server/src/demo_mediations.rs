//! The demo's mediations: the port studio since it opened (377 agreements with ¥4,538,700
//! paid on the spot, as the source reports, and a realistic share of failures), two years of
//! mediations elsewhere in the street, the freight-money dispute as a worked example, and a
//! few under way now.

use chrono::Duration;
use domain::case::Actor;
use domain::codes::GridCode;
use domain::mediation::{
    self, Action, Claim, FailReason, Instalment, Kind, Limits, Mediation, NewMediation, Offer, Party, Payment, Source,
};
use domain::Timestamp;

/// Where the source's studio sits.
pub const PORT_STUDIO: &str = "传化公路港调解工作室";
/// Agreements of the port studio since it opened, and what was paid on the spot (fen).
pub const STUDIO_AGREEMENTS: usize = 377;
pub const STUDIO_ON_THE_SPOT_FEN: i64 = 453_870_000;
/// Days the studio has been open (Sept 2023 to the source's report, about eight months).
pub const STUDIO_OPEN_DAYS: i64 = 240;

const SURNAMES: [&str; 10] = ["陈", "王", "李", "张", "刘", "杨", "黄", "周", "吴", "徐"];
const KINDS: [(Kind, &str, &str); 6] = [
    (Kind::Wages, "拖欠工资", "工资"),
    (Kind::Freight, "运费结算纠纷", "运费"),
    (Kind::Neighbours, "邻里漏水纠纷", "维修费"),
    (Kind::Consumer, "消费退款纠纷", "退款"),
    (Kind::Traffic, "交通事故赔偿纠纷", "赔偿款"),
    (Kind::Property, "物业费纠纷", "物业费"),
];

fn person(i: usize, claimant: bool) -> Party {
    Party {
        name: format!("{}{}", SURNAMES[(i * 3 + 1) % SURNAMES.len()], if claimant { "师傅" } else { "女士" }),
        organisation: false,
        claimant,
        representative: None,
        phone: Some(format!("137{:08}", 20_000_000 + (i * 7_919) % 70_000_000)),
        claims: vec![],
    }
}

fn company(i: usize) -> Party {
    let names = ["某物流有限公司", "某运输公司", "某餐饮店", "某建筑劳务公司", "某物业服务公司"];
    Party {
        name: names[i % names.len()].into(),
        organisation: true,
        claimant: false,
        representative: Some("负责人".into()),
        phone: None,
        claims: vec![],
    }
}

/// A deterministic spread of weights for the on-the-spot amounts (2 000 to 40 000 yuan).
fn weight(i: usize) -> i64 {
    2_000 + ((i as i64 * 7_919 + 13) * 104_729 % 38_000)
}

/// The amounts paid on the spot, in fen, summing to `total` exactly.
pub fn spread(n: usize, total: i64) -> Vec<i64> {
    let w: Vec<i64> = (0..n).map(weight).collect();
    let sum: i64 = w.iter().sum();
    let mut out: Vec<i64> = w.iter().map(|x| x * total / sum / 100 * 100).collect();
    let rest = total - out.iter().sum::<i64>();
    if let Some(last) = out.last_mut() {
        *last += rest;
    }
    out
}

/// The day the studio opened: midnight (Beijing time) beginning it.
pub fn opening_day(now: Timestamp) -> Timestamp {
    office_hours(now - Duration::days(STUDIO_OPEN_DAYS), 0) - Duration::hours(9)
}

/// The studio's hours on the day of `t` (Beijing time): 09:00 plus `k` % 7 hours.
fn office_hours(t: Timestamp, k: usize) -> Timestamp {
    let local = (t + Duration::hours(8)).date_naive();
    local.and_hms_opt(9 + (k % 7) as u32, (k * 13 % 60) as u32, 0).expect("valid time").and_utc() - Duration::hours(8)
}

fn step(m: &Mediation, a: Action, by: &Actor, at: Timestamp, limits: &Limits) -> anyhow::Result<Mediation> {
    Ok(mediation::apply(m, &a, by, None, at, limits)?)
}

/// One concluded mediation: sessions, then an agreement (paid on the spot and, for some, in
/// an instalment paid on its day) confirmed and followed up, or a failure.
fn concluded(
    i: usize,
    at: Timestamp,
    place: &str,
    grid: &GridCode,
    on_the_spot: Option<i64>,
    mediator: &Actor,
    limits: &Limits,
    now: Timestamp,
) -> anyhow::Result<Mediation> {
    let (kind, what, item) = KINDS[i % KINDS.len()];
    let later = match on_the_spot {
        Some(spot) if i % 3 == 0 => spot / 2 / 100 * 100,
        _ => 0,
    };
    let claimant = person(i, true);
    let other = if matches!(kind, Kind::Wages | Kind::Freight | Kind::Consumer | Kind::Property) {
        company(i)
    } else {
        person(i + 1, false)
    };
    let new = NewMediation {
        source: [Source::Case, Source::WalkIn, Source::Police, Source::Court, Source::PetitionOffice][i % 5],
        kind,
        summary: format!("{}与{}{}", claimant.name, other.name, what),
        grid: grid.clone(),
        place: Some(place.into()),
        case_id: None,
        parties: vec![
            Party {
                claims: vec![Claim {
                    item: item.into(),
                    amount_fen: (on_the_spot.unwrap_or(1_000_000) + later) * 5 / 4,
                }],
                ..claimant
            },
            other,
        ],
        mediators: vec![mediator.user_id],
    };
    let mut m = mediation::register(0, new, mediator.clone(), at, limits)?;
    let sessions = 1 + i % 3;
    for s in 0..sessions {
        m = step(
            &m,
            Action::Session {
                attended: vec![0, 1],
                record: format!("第{}次调解，双方陈述事实并协商", s + 1),
                offers: vec![Offer {
                    party: 1,
                    amount_fen: on_the_spot.unwrap_or(500_000) * (3 + s as i64) / 5,
                    note: "对方提出方案".into(),
                }],
            },
            mediator,
            at + Duration::hours(2 + 24 * s as i64),
            limits,
        )?;
    }
    let end = at + Duration::hours(4 + 24 * (sessions as i64 - 1));
    let Some(spot) = on_the_spot else {
        let reason =
            [FailReason::NoAgreement, FailReason::Withdrawn, FailReason::Referred, FailReason::Unreachable][i % 4];
        return step(&m, Action::Fail { reason, note: "经多次调解未能达成一致".into() }, mediator, end, limits);
    };
    let instalments = if later > 0 {
        vec![Instalment { due_at: end + Duration::days(30), amount_fen: later, paid_at: None }]
    } else {
        vec![]
    };
    m = step(
        &m,
        Action::Agree {
            facts: format!("{}，双方就{}数额存在争议", what, item),
            responsibility: "被申请人承担支付责任".into(),
            terms: if later > 0 {
                "当场支付部分款项，余款三十日内付清".into()
            } else {
                "当场一次性支付".into()
            },
            payments: vec![Payment {
                payer: 1,
                payee: 0,
                item: item.into(),
                amount_fen: spot + later,
                on_the_spot_fen: spot,
                instalments,
            }],
            oral: false,
        },
        mediator,
        end,
        limits,
    )?;
    for p in 0..2 {
        m = step(&m, Action::Confirm { party: p, how: "paper".into(), proof: None }, mediator, end, limits)?;
    }
    m = step(&m, Action::MediatorConfirm, mediator, end, limits)?;
    let visit = end + Duration::days(6);
    if visit <= now {
        m = step(
            &m,
            Action::RecordFollowUp { follow_up: 0, note: "协议已履行，双方无异议".into() },
            mediator,
            visit,
            limits,
        )?;
    }
    let paid = end + Duration::days(28);
    if later > 0 && paid <= now {
        m = step(&m, Action::Pay { payment: 0, instalment: 0 }, mediator, paid, limits)?;
    }
    Ok(m)
}

/// Everything: the studio since it opened, two years elsewhere, the freight-money example,
/// and a few under way.
pub fn all(grids: &[store::Grid], mediator: &Actor, limits: &Limits, now: Timestamp) -> anyhow::Result<Vec<Mediation>> {
    let port: Vec<&store::Grid> = grids.iter().filter(|g| g.station == "S1").collect();
    let port = if port.is_empty() { grids.iter().collect() } else { port };
    let mut out = vec![];
    // The studio: agreements spread evenly from its opening to a fortnight ago, with about
    // one failure for every seven agreements.
    let opened = opening_day(now);
    let span = (STUDIO_OPEN_DAYS - 14) * 24 * 60;
    // The freight-money example is one of the studio's agreements; the others share the rest.
    let example = freight_example(&port[0].code, mediator, limits, now)?;
    let others = STUDIO_AGREEMENTS - 1;
    let amounts = spread(others, STUDIO_ON_THE_SPOT_FEN - mediation::money(&example, now).on_the_spot);
    let total = others + others / 7;
    let mut agreed = 0;
    for k in 0..total {
        let at = office_hours(opened + Duration::minutes(span * k as i64 / total as i64), k);
        let grid = &port[k % port.len()].code;
        let amount = (k % 8 != 7 && agreed < others).then(|| {
            agreed += 1;
            amounts[agreed - 1]
        });
        out.push(concluded(k, at, PORT_STUDIO, grid, amount, mediator, limits, now)?);
    }
    // Two years of mediations at the communities' own mediation rooms.
    for k in 0..240 {
        let at = office_hours(now - Duration::days(730) + Duration::hours(73 * k as i64), k);
        let g = &grids[(k * 11) % grids.len()];
        let amount = (k % 5 != 4).then(|| 150_000 + (k as i64 * 37_337) % 1_500_000);
        out.push(concluded(
            k + 1000,
            at,
            &format!("{}人民调解室", g.community),
            &g.code,
            amount,
            mediator,
            limits,
            now,
        )?);
    }
    out.push(example);
    // Under way now.
    for (k, (kind, summary, days)) in [
        (Kind::Wages, "物流园区十余名装卸工讨要两个月工资", 1),
        (Kind::Neighbours, "楼上漏水引发邻里争执", 3),
        (Kind::Consumer, "顾客与餐馆因收费发生纠纷", 12),
    ]
    .into_iter()
    .enumerate()
    {
        let at = now - Duration::days(days) - Duration::hours(3);
        let mut m = mediation::register(
            0,
            NewMediation {
                source: [Source::Case, Source::WalkIn, Source::Police][k],
                kind,
                summary: summary.into(),
                grid: port[(k + 2) % port.len()].code.clone(),
                place: Some(PORT_STUDIO.into()),
                case_id: None,
                parties: vec![person(500 + k, true), if k == 1 { person(600, false) } else { company(k) }],
                mediators: vec![mediator.user_id],
            },
            mediator.clone(),
            at,
            limits,
        )?;
        if days > 2 {
            m = step(
                &m,
                Action::Session {
                    attended: vec![0, 1],
                    record: "双方到场陈述，约定下次调解时间".into(),
                    offers: vec![],
                },
                mediator,
                at + Duration::hours(5),
                limits,
            )?;
        }
        if days < 10 {
            // The latest session: this morning once the studio has opened, else yesterday afternoon.
            let local = now + Duration::hours(8);
            let held = if chrono::Timelike::hour(&local) >= 11 {
                office_hours(now, 0) + Duration::minutes(30)
            } else {
                office_hours(now - Duration::days(1), 6)
            };
            m = step(
                &m,
                Action::Session {
                    attended: vec![0, 1],
                    record: "双方就金额初步协商，约定三日内再议".into(),
                    offers: vec![Offer {
                        party: 1,
                        amount_fen: 1_200_000 + k as i64 * 300_000,
                        note: "对方提出方案".into(),
                    }],
                },
                mediator,
                held.max(m.updated_at) + Duration::minutes(k as i64 * 50),
                limits,
            )?;
        }
        out.push(m);
    }
    Ok(out)
}

/// The source's example: about twenty delivery workers claim freight money from a transport
/// company; four parties mediate over four days; more than ¥700,000 is settled — agreed
/// sixteen days ago, most paid on the spot, the rest due in a fortnight, the judicial window
/// running.
fn freight_example(grid: &GridCode, mediator: &Actor, limits: &Limits, now: Timestamp) -> anyhow::Result<Mediation> {
    let t0 = now - Duration::days(19) - Duration::hours(5);
    let mut parties: Vec<Party> = (0..20)
        .map(|i| Party {
            name: format!("送货工人{}{}", SURNAMES[i % SURNAMES.len()], ["某", "师傅"][i % 2]),
            organisation: false,
            claimant: true,
            representative: None,
            phone: Some(format!("1365710{:04}", 2000 + i)),
            claims: vec![Claim { item: "运费及劳务费".into(), amount_fen: 3_800_000 + i as i64 * 10_000 }],
        })
        .collect();
    parties.push(Party {
        name: "某运输公司".into(),
        organisation: true,
        claimant: false,
        representative: Some("总经理 钱某".into()),
        phone: None,
        claims: vec![],
    });
    parties.push(Party {
        name: "某货主企业".into(),
        organisation: true,
        claimant: false,
        representative: Some("财务 孙某".into()),
        phone: None,
        claims: vec![],
    });
    parties.push(Party {
        name: "传化公路港运营方".into(),
        organisation: true,
        claimant: false,
        representative: Some("园区管理处".into()),
        phone: None,
        claims: vec![],
    });
    let company = 20;
    let mut m = mediation::register(
        0,
        NewMediation {
            source: Source::Case,
            kind: Kind::Freight,
            summary: "近20名送货工人向某运输公司催讨运费及劳务费，货主企业、园区运营方共同参与调解".into(),
            grid: grid.clone(),
            place: Some(PORT_STUDIO.into()),
            case_id: None,
            parties,
            mediators: vec![mediator.user_id],
        },
        mediator.clone(),
        t0,
        limits,
    )?;
    for (d, offer) in [(0, 450_000), (1, 560_000), (2, 650_000), (3, 720_000)] {
        m = step(
            &m,
            Action::Session {
                attended: vec![0, 1, 2, 20, 21, 22],
                record: format!("第{}天：四方到场，运输公司出价{}元，工人代表要求{}元", d + 1, offer, 780_000),
                offers: vec![
                    Offer { party: company, amount_fen: offer * 100, note: "运输公司方案".into() },
                    Offer { party: 0, amount_fen: 78_000_000, note: "工人代表要求".into() },
                ],
            },
            mediator,
            t0 + Duration::days(d) + Duration::hours(1),
            limits,
        )?;
    }
    let agreed_at = t0 + Duration::days(3) + Duration::hours(4);
    let payments: Vec<Payment> = (0..20)
        .map(|i| Payment {
            payer: company,
            payee: i,
            item: "运费及劳务费".into(),
            amount_fen: 3_600_000 + i as i64 * 2_000,
            on_the_spot_fen: 2_500_000,
            instalments: vec![Instalment {
                due_at: agreed_at + Duration::days(30),
                amount_fen: 1_100_000 + i as i64 * 2_000,
                paid_at: None,
            }],
        })
        .collect();
    m = step(
        &m,
        Action::Agree {
            facts: "运输公司拖欠二十名送货工人运费及劳务费，货主企业尚欠运输公司运费".into(),
            responsibility: "运输公司承担支付责任；货主企业将应付运费直接支付给工人抵扣；园区运营方监督履行".into(),
            terms: "当场支付50万元，余款22万余元于三十日内付清；各方不再就此事项另行主张".into(),
            payments,
            oral: false,
        },
        mediator,
        agreed_at,
        limits,
    )?;
    for p in 0..23 {
        m = step(&m, Action::Confirm { party: p, how: "paper".into(), proof: None }, mediator, agreed_at, limits)?;
    }
    m = step(&m, Action::MediatorConfirm, mediator, agreed_at, limits)?;
    step(
        &m,
        Action::RecordFollowUp { follow_up: 0, note: "首笔款项已全部到账，工人情绪稳定".into() },
        mediator,
        agreed_at + Duration::days(6),
        limits,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_studio_figures_are_the_sources() {
        let amounts = spread(STUDIO_AGREEMENTS, STUDIO_ON_THE_SPOT_FEN);
        assert_eq!(amounts.iter().sum::<i64>(), STUDIO_ON_THE_SPOT_FEN);
        assert!(amounts.iter().all(|a| *a > 0));
        let sc =
            scenario::load(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/linjiang")).unwrap();
        let now =
            chrono::DateTime::parse_from_rfc3339("2026-11-27T12:00:00+08:00").unwrap().with_timezone(&chrono::Utc);
        let mediator = Actor { user_id: 9, username: "mediator".into(), role: domain::role::Role::Mediator };
        let limits = Limits { calendar: sc.policy.calendar.clone(), ..Default::default() };
        let all = all(&sc.grids, &mediator, &limits, now).unwrap();
        let studio: Vec<&Mediation> = all
            .iter()
            .filter(|m| m.place.as_deref() == Some(PORT_STUDIO) && m.registered_at >= opening_day(now))
            .collect();
        let agreed: Vec<&&Mediation> = studio.iter().filter(|m| m.agreement.is_some()).collect();
        assert_eq!(agreed.len(), STUDIO_AGREEMENTS);
        let spot: i64 = agreed.iter().map(|m| mediation::money(m, now).on_the_spot).sum();
        assert_eq!(spot, STUDIO_ON_THE_SPOT_FEN, "¥4,538,700");
        let failed = studio.iter().filter(|m| m.failure.is_some()).count();
        assert!((40..70).contains(&failed), "{failed} failures");
        let freight = all.iter().find(|m| m.parties.len() == 23).unwrap();
        assert!(mediation::money(freight, now).agreed > 70_000_000, "more than ¥700,000");
        assert_eq!(freight.sessions.len(), 4);
        for m in &all {
            let obs = mediation::obligations(m, &domain::obligation::Terms::default(), &limits);
            assert!(domain::obligation::owes_something(m.status.is_open(), &obs));
        }
    }
}
