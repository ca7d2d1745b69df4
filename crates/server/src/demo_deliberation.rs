//! The demo's grid deliberation days and volunteer teams: every community with its fixed
//! day, two years of meetings with attendance and minutes, the topics residents raised and
//! the resolutions that came of them — 59 solved, as the source reports, a few under way
//! and some topics waiting for the next meeting — and volunteer teams in every community
//! (临家阿姨 everywhere, 反诈妈妈团 and patrols in some) with two years of shifts, hours and
//! anti-fraud visits.

use chrono::{Datelike, Duration};
use domain::case::Actor;
use domain::codes::GridCode;
use domain::deliberation::{
    self as d, NewResolution, NewTopic, Resolution, ResolutionAction, Topic, TopicAction, TopicSource,
};
use domain::role::Role;
use domain::Timestamp;
use rand::{Rng, SeedableRng};
use store::deliberation::PastMeeting;
use store::{NewUser, Store};

/// Resolutions solved over the two years (the source: 59 problems solved).
pub const SOLVED: usize = 59;
/// Resolutions under way now (steps done and to do).
const UNDER_WAY: usize = 6;
/// Residents with an account per community (who raise, support and attend).
const RESIDENTS_PER_COMMUNITY: usize = 30;
/// Months of past meetings.
const MONTHS: i64 = 24;

const SURNAMES: [&str; 20] = [
    "陈", "王", "李", "张", "刘", "杨", "黄", "周", "吴", "徐", "孙", "沈", "朱", "胡", "郭", "何", "高", "林", "罗",
    "蒋",
];
const GIVEN: [&str; 24] = [
    "建华", "秀英", "国强", "丽萍", "伟", "芳", "志明", "桂英", "海燕", "玉兰", "建军", "美华", "德明", "凤英", "红梅",
    "永福", "金花", "雪琴", "立新", "春燕", "小平", "爱娟", "明辉", "淑芬",
];

fn name(i: usize) -> String {
    format!("{}{}", SURNAMES[(i * 7 + 3) % SURNAMES.len()], GIVEN[(i * 11 + i / 20) % GIVEN.len()])
}

/// A community of the street: code, name, the first grid, the grid's centre.
#[derive(Debug, Clone)]
pub struct Community {
    pub code: String,
    pub name: String,
    pub grid: GridCode,
    pub centre: (f64, f64),
    pub village: bool,
}

pub fn communities(grids: &[store::Grid]) -> Vec<Community> {
    let mut out: Vec<Community> = vec![];
    for g in grids {
        if out.iter().any(|c| c.code == g.community) {
            continue;
        }
        let name = g.name_zh.split("第").next().unwrap_or(&g.name_zh).to_owned();
        let centre = domain::geo::Polygon::new(g.ring.clone())
            .map(|p| p.centroid())
            .map(|c| (c.lat(), c.lng()))
            .unwrap_or((0.0, 0.0));
        out.push(Community {
            village: !name.ends_with("社区"),
            code: g.community.clone(),
            name,
            grid: g.code.clone(),
            centre,
        });
    }
    out.sort_by(|a, b| a.code.cmp(&b.code));
    out
}

/// A theme residents bring: the topic, the resolution, its steps.
struct Theme {
    topic: &'static str,
    body: &'static str,
    resolution: &'static str,
    steps: &'static [&'static str],
}

const THEMES: &[Theme] = &[
    Theme {
        topic: "原职工活动中心闲置多年，建议改造为邻里空间",
        body: "老人下棋、孩子写作业都没有地方，原职工活动中心一直锁着。",
        resolution: "原职工活动中心改造为邻里空间",
        steps: &["腾退清理场地", "维修屋顶和电路", "添置桌椅、图书和空调"],
    },
    Theme {
        topic: "电动车飞线充电隐患大，建议建充电棚",
        body: "楼道里拉线充电，晚上很危险。",
        resolution: "新建非机动车集中充电棚",
        steps: &["选址并征求居民意见", "建设充电棚", "安装智能充电桩并投用"],
    },
    Theme {
        topic: "村口道路坑洼，雨天积水",
        body: "下雨天积水到小腿，老人孩子出行不便。",
        resolution: "村口道路修补和排水改造",
        steps: &["测量并制定方案", "路面修补", "疏通排水沟"],
    },
    Theme {
        topic: "老旧小区加装电梯",
        body: "五六楼住的多是老人，上下楼困难。",
        resolution: "推动3幢加装电梯",
        steps: &["征求全体住户意见", "设计和审批", "施工安装"],
    },
    Theme {
        topic: "菜场周边占道经营，早高峰堵车",
        body: "早上六点到八点摊位摆到马路上。",
        resolution: "菜场周边设置临时疏导摊位",
        steps: &["划定临时摊位", "综管队员早高峰值守"],
    },
    Theme {
        topic: "垃圾分类投放点异味大",
        body: "夏天投放点臭味明显，蚊蝇多。",
        resolution: "垃圾投放点升级改造",
        steps: &["安装除臭喷淋", "增加清运频次", "设置洗手池"],
    },
    Theme {
        topic: "小区路灯不亮，晚上出行不安全",
        body: "东边几盏路灯坏了半个多月。",
        resolution: "更换和新增路灯",
        steps: &["排查损坏路灯", "更换灯具", "新增4盏太阳能路灯"],
    },
    Theme {
        topic: "停车位不足，车辆乱停堵消防通道",
        body: "晚上车辆停满消防通道。",
        resolution: "挖潜增设停车位并划线",
        steps: &["梳理闲置空地", "施划停车位", "消防通道张贴禁停标识"],
    },
    Theme {
        topic: "河道有漂浮垃圾",
        body: "村东河道漂着塑料袋和泡沫。",
        resolution: "河道保洁常态化",
        steps: &["组织一次集中清理", "落实保洁员每日巡河"],
    },
    Theme {
        topic: "外来务工人员子女放学后无人看护",
        body: "双职工家庭孩子放学后没人管。",
        resolution: "开设“四点半课堂”",
        steps: &["落实场地和志愿者", "开班并公布课表"],
    },
    Theme {
        topic: "老人吃饭难，希望办老年食堂",
        body: "独居老人做饭不方便。",
        resolution: "开设老年助餐点",
        steps: &["选定助餐点", "签约配餐企业", "开餐并登记老人"],
    },
    Theme {
        topic: "公园健身器材损坏",
        body: "单杠松动，扭腰器坏了。",
        resolution: "维修更换健身器材",
        steps: &["排查损坏器材", "维修更换"],
    },
    Theme {
        topic: "出租房消防隐患多",
        body: "群租房里电线乱拉，没有灭火器。",
        resolution: "出租房消防安全整治",
        steps: &["逐户排查", "配发灭火器和烟感", "复查整改"],
    },
    Theme {
        topic: "物流车辆夜间鸣笛噪音扰民",
        body: "半夜货车进出鸣笛，影响休息。",
        resolution: "物流园区夜间禁鸣和绕行",
        steps: &["与物流企业约谈", "设置禁鸣标识", "派出所夜间巡查"],
    },
    Theme {
        topic: "公交站台没有遮雨棚",
        body: "下雨天等车只能淋雨。",
        resolution: "公交站台加装雨棚和座椅",
        steps: &["向交通部门申请", "施工安装"],
    },
    Theme {
        topic: "小区围墙破损，外人随意进出",
        body: "西侧围墙倒了一段。",
        resolution: "修复围墙并加装门禁",
        steps: &["修复围墙", "加装人脸识别门禁"],
    },
    Theme {
        topic: "村里缺少文化活动场所",
        body: "晚上想跳广场舞没有场地。",
        resolution: "建设村文化广场",
        steps: &["平整场地", "铺设地面和安装灯光", "配置音响"],
    },
    Theme {
        topic: "楼道堆放杂物",
        body: "楼道里堆满纸箱和旧家具。",
        resolution: "楼道杂物集中清理",
        steps: &["张贴清理通知", "组织志愿者集中清理"],
    },
];

/// Topics the meetings answered without a resolution (explained, or referred elsewhere).
const ANSWERED: &[(&str, &str)] = &[
    ("希望增开到市区的公交线路", "已向区交通部门反映，纳入明年线网优化调研，社区持续跟进。"),
    ("宅基地审批进度咨询", "由村两委现场解答政策，个案转街道农业农村办办理。"),
    ("医保缴费怎么办理", "现场讲解线上缴费流程，网格员可上门协助老人办理。"),
    ("小区物业费上涨是否合理", "物业公司现场公示收支明细，业委会将组织听证。"),
    ("垃圾分类积分兑换规则", "现场说明积分规则，兑换点每周六开放。"),
    ("广场舞音量扰民", "与舞蹈队约定晚上8点半前结束、音量调低，网格员跟踪一个月。"),
    ("流浪犬伤人隐患", "联系街道执法中队和动物收容机构处置，提醒居民文明养犬。"),
    ("独居老人安全", "临家阿姨服务队结对走访，每周上门一次，安装紧急呼叫器。"),
    ("租户垃圾乱扔", "房东会议通报，出租房纳入“以房管人”责任书。"),
    ("雨天小区门口积水", "已报城管部门疏通雨水井，纳入汛期巡查点位。"),
    ("电信诈骗防范", "反诈妈妈团下月入户宣传，派出所民警到会讲解常见骗局。"),
    ("小区绿化带被占种菜", "劝导居民恢复绿化，物业公司补种。"),
    ("农贸市场停车难", "市场管理方错时开放后场停车区。"),
];

/// Topics declined at screening, with the reason given.
const DECLINED: &[(&str, &str)] = &[
    ("要求拆除邻居违建阳台", "属个案纠纷，已转调解工作室办理，不列入议事。"),
    ("希望村里统一发放过节费", "不属于议事范围，村级财务按规定公开。"),
];

/// Topics raised now, for the coming meetings.
const WAITING: &[(&str, &str)] = &[
    ("小区快递柜太少，包裹堆在门口", "快递柜经常满，包裹放在地上容易丢。"),
    ("儿童游乐设施老化", "滑梯开裂，秋千链条生锈。"),
    ("希望开设反诈骗宣传讲座", "最近老人接到好多诈骗电话。"),
    ("村道两侧树木遮挡视线", "转弯处树枝太密，看不到对面来车。"),
    ("社区卫生服务站周末不开门", "周末看病要跑很远。"),
];

/// The accounts the demo's deliberation and volunteering need, made in two transactions.
pub struct People {
    /// Residents by community (in `communities` order).
    pub residents: Vec<Vec<i64>>,
    /// The staff member who runs each community's day (a grid worker there).
    pub runners: Vec<(i64, String)>,
    /// Volunteers by community.
    pub volunteers: Vec<Vec<(i64, String)>>,
}

pub async fn people(
    store: &Store,
    cs: &[Community],
    demo_resident: i64,
    grid01: (i64, &str),
    volunteer: (i64, &str),
    now: Timestamp,
) -> anyhow::Result<People> {
    let mut new = vec![];
    for (ci, c) in cs.iter().enumerate() {
        for k in 0..RESIDENTS_PER_COMMUNITY {
            let i = ci * RESIDENTS_PER_COMMUNITY + k;
            new.push(NewUser {
                username: format!("demo-r{i:04}"),
                password_hash: "!".into(),
                role: Role::Resident,
                display_name: format!("居民 {}", name(i)),
                grid: None,
                station: None,
                phone: Some(format!("139{:08}", 40_000_000 + i * 37)),
            });
        }
        if ci > 0 {
            new.push(NewUser {
                username: format!("demo-gw{ci:02}"),
                password_hash: "!".into(),
                role: Role::GridWorker,
                display_name: format!("网格长 {}", name(900 + ci)),
                grid: Some(c.grid.as_str().into()),
                station: None,
                phone: None,
            });
        }
        for k in 0..12 {
            let i = ci * 12 + k;
            new.push(NewUser {
                username: format!("demo-v{i:04}"),
                password_hash: "!".into(),
                role: Role::Volunteer,
                display_name: name(2000 + i),
                grid: None,
                station: None,
                phone: Some(format!("135{:08}", 60_000_000 + i * 53)),
            });
        }
    }
    let ids = store.create_users(&new, "demo", now).await?;
    let mut residents = vec![];
    let mut runners = vec![];
    let mut volunteers = vec![];
    let mut it = ids.iter().zip(&new);
    for ci in 0..cs.len() {
        let mut r: Vec<i64> = (0..RESIDENTS_PER_COMMUNITY).map(|_| *it.next().expect("made").0).collect();
        if ci == 0 {
            // The demo's own resident lives in the first community.
            r.insert(0, demo_resident);
            runners.push((grid01.0, grid01.1.to_owned()));
        } else {
            let (id, u) = it.next().expect("made");
            runners.push((*id, u.display_name.clone()));
        }
        residents.push(r);
        let mut v: Vec<(i64, String)> =
            (0..12).map(|_| it.next().map(|(id, u)| (*id, u.display_name.clone())).expect("made")).collect();
        if ci == 0 {
            v.insert(0, (volunteer.0, volunteer.1.to_owned()));
        }
        volunteers.push(v);
    }
    Ok(People { residents, runners, volunteers })
}

/// The instant of a local (Beijing) date at a minute of the day.
fn beijing(date: chrono::NaiveDate, minute: u16) -> Timestamp {
    crate::api::deliberation::beijing(date, minute)
}

fn day_of(ci: usize) -> d::Day {
    d::Day {
        community: String::new(),
        day_of_month: [15, 10, 20, 5, 25, 12][ci % 6],
        minute_of_day: if ci % 3 == 0 { 19 * 60 } else { 14 * 60 + 30 },
        place: String::new(),
        capacity: 40,
    }
}

fn actor(id: i64, username: &str, role: Role) -> Actor {
    Actor { user_id: id, username: username.into(), role }
}

/// What `deliberation` builds before it is stored.
pub struct Built {
    pub days: Vec<d::Day>,
    pub meetings: Vec<PastMeeting>,
    /// Topics and resolutions refer to meetings by their index in `meetings`.
    pub topics: Vec<(Topic, Option<usize>)>,
    pub resolutions: Vec<Resolution>,
}

/// Builds two years of deliberation for the street (pure: no IO; the meeting ids are set
/// once the meetings are stored).
pub fn build(cs: &[Community], p: &People, now: Timestamp) -> anyhow::Result<Built> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(20_240_515);
    let today = (now + Duration::hours(8)).date_naive();
    let mut days = vec![];
    let mut meetings: Vec<PastMeeting> = vec![];
    // (community index, meeting index) of every past meeting, oldest first, and the next two.
    let mut past: Vec<(usize, usize)> = vec![];
    let mut next: Vec<Vec<usize>> = vec![vec![]; cs.len()];
    for (ci, c) in cs.iter().enumerate() {
        let mut day = day_of(ci);
        day.community = c.code.clone();
        day.place = if c.village { format!("{}村民议事室", c.name) } else { format!("{}居民议事厅", c.name) };
        let from = chrono::NaiveDate::from_ymd_opt(today.year() - 2, today.month(), 1).expect("a month's first day");
        for date in d::meeting_dates(&day, from, (MONTHS + 3) as u32) {
            let starts_at = beijing(date, day.minute_of_day);
            if starts_at > now + Duration::days(62) {
                break;
            }
            let held = starts_at + Duration::hours(2) < now;
            let residents = &p.residents[ci];
            let n = if held { rng.gen_range(12..=residents.len().min(28)) } else { rng.gen_range(3..10) };
            let attendees = residents
                .iter()
                .take(n)
                .map(|u| {
                    let signed = starts_at - Duration::days(rng.gen_range(1..10));
                    let came = held && rng.gen_bool(0.9);
                    (*u, signed, came.then(|| starts_at - Duration::minutes(rng.gen_range(0..20))))
                })
                .collect();
            meetings.push(PastMeeting {
                community: c.code.clone(),
                title: format!("{}“临距离”网格议事日", c.name),
                starts_at,
                place: day.place.clone(),
                capacity: day.capacity,
                checkin_code: format!("demo-{}-{}", c.code, date),
                minutes_status: if held { "final" } else { "none" }.into(),
                minutes: String::new(),
                organisations: if held {
                    let mut o = vec![
                        if c.village { "村两委" } else { "社区居委会" }.to_owned(),
                        "网格员".into(),
                        "联勤警务站".into(),
                    ];
                    if !c.village {
                        o.push("物业公司".into());
                    }
                    o
                } else {
                    vec![]
                },
                attendees,
            });
            let mi = meetings.len() - 1;
            if held {
                past.push((ci, mi));
            } else {
                next[ci].push(mi);
            }
        }
        days.push(day);
    }
    past.sort_by_key(|(_, mi)| meetings[*mi].starts_at);

    let mut topics: Vec<(Topic, Option<usize>)> = vec![];
    let mut resolutions: Vec<Resolution> = vec![];
    // Which past meetings discuss what: resolutions solved (older), under way (the last four
    // months), answered, declined at screening.
    let recent = now - Duration::days(120);
    let older: Vec<(usize, usize)> =
        past.iter().copied().filter(|(_, mi)| meetings[*mi].starts_at < recent - Duration::days(30)).collect();
    let newer: Vec<(usize, usize)> = past.iter().copied().filter(|(_, mi)| meetings[*mi].starts_at >= recent).collect();
    let pick = |list: &[(usize, usize)], k: usize, n: usize| list[(k * list.len()) / n.max(1)];
    let mut plan: Vec<(usize, usize, &str)> = vec![];
    for k in 0..SOLVED {
        let (ci, mi) = pick(&older, k, SOLVED);
        plan.push((ci, mi, "solved"));
    }
    for k in 0..UNDER_WAY {
        let (ci, mi) = pick(&newer, k, UNDER_WAY);
        plan.push((ci, mi, "under_way"));
    }
    for k in 0..ANSWERED.len() * 3 {
        let (ci, mi) = pick(&past, k * 7 + 3, ANSWERED.len() * 21 + 5);
        plan.push((ci, mi, "answered"));
    }
    for (k, _) in DECLINED.iter().enumerate() {
        let (ci, mi) = pick(&past, k * 11 + 5, DECLINED.len() * 13);
        plan.push((ci, mi, "declined"));
    }
    // Most meetings hear a topic or two besides: explained on the spot, no resolution needed.
    let planned: std::collections::HashSet<usize> = plan.iter().map(|(_, mi, _)| *mi).collect();
    for &(ci, mi) in &past {
        if !planned.contains(&mi) && rng.gen_bool(0.7) {
            plan.push((ci, mi, "answered"));
        }
    }
    plan.sort_by_key(|(_, mi, _)| meetings[*mi].starts_at);
    let mut minutes: Vec<Vec<String>> = vec![vec![]; meetings.len()];
    for (k, (ci, mi, kind)) in plan.into_iter().enumerate() {
        let c = &cs[ci];
        let at = meetings[mi].starts_at;
        let residents = &p.residents[ci];
        let raiser = residents[(k * 5 + 1) % residents.len()];
        let (runner, runner_name) = p.runners[ci].clone();
        let staff = actor(runner, "grid-worker", Role::GridWorker);
        let raised_at = at - Duration::days(rng.gen_range(12..25));
        let (title, body) = match kind {
            "answered" => (ANSWERED[k % ANSWERED.len()].0.to_owned(), String::new()),
            "declined" => (DECLINED[k % DECLINED.len()].0.to_owned(), String::new()),
            _ => {
                let th = &THEMES[k % THEMES.len()];
                (th.topic.to_owned(), th.body.to_owned())
            }
        };
        let tid = topics.len() as i64 + 1;
        let new = NewTopic {
            community: c.code.clone(),
            grid: c.grid.clone(),
            title,
            body,
            source: if k % 4 == 3 { TopicSource::GridWorker } else { TopicSource::App },
            case_id: None,
            petition_id: None,
            raised_by_name: "居民".into(),
        };
        let by = if k % 4 == 3 { staff.clone() } else { actor(raiser, "resident", Role::Resident) };
        let mut t = d::raise(
            tid,
            NewTopic { raised_by_name: if k % 4 == 3 { runner_name.clone() } else { "居民".into() }, ..new },
            &by,
            raised_at,
        )?;
        for s in 0..rng.gen_range(2..9) {
            let u = residents[(k * 3 + s * 7 + 2) % residents.len()];
            t = d::apply_topic(
                &t,
                &TopicAction::Support { user: u },
                &actor(u, "resident", Role::Resident),
                raised_at + Duration::hours(s as i64 + 1),
            )?;
        }
        let screened = raised_at + Duration::days(rng.gen_range(1..5));
        if kind == "declined" {
            let reason = DECLINED[k % DECLINED.len()].1.to_owned();
            t = d::apply_topic(&t, &TopicAction::Decline { reason }, &staff, screened)?;
            topics.push((t, None));
            continue;
        }
        t = d::apply_topic(&t, &TopicAction::Accept, &staff, screened)?;
        t = d::apply_topic(
            &t,
            &TopicAction::Schedule { meeting_id: 0, meeting_at: at },
            &staff,
            screened + Duration::hours(2),
        )?;
        let discussed = at + Duration::minutes(rng.gen_range(40..110));
        let (outcome, resolution) = match kind {
            "answered" => (ANSWERED[k % ANSWERED.len()].1.to_owned(), None),
            _ => {
                let th = &THEMES[k % THEMES.len()];
                let rid = resolutions.len() as i64 + 1;
                let due = discussed + Duration::days(rng.gen_range(45..120));
                let mut r = d::resolve(
                    rid,
                    NewResolution {
                        community: c.code.clone(),
                        grid: c.grid.clone(),
                        topic_id: Some(tid),
                        parent_id: None,
                        title: format!("{}{}", c.name, th.resolution),
                        owner: runner,
                        owner_name: runner_name.clone(),
                        due_at: due,
                    },
                    &staff,
                    discussed,
                )?;
                let span = (due - discussed).num_days();
                for (si, step) in th.steps.iter().enumerate() {
                    let step_due = discussed + Duration::days(span * (si as i64 + 1) / th.steps.len() as i64);
                    r = d::apply_resolution(
                        &r,
                        &ResolutionAction::AddStep {
                            title: (*step).into(),
                            owner: runner,
                            owner_name: runner_name.clone(),
                            due_at: step_due,
                        },
                        &staff,
                        discussed + Duration::minutes(si as i64 + 1),
                    )?;
                }
                let mut clock = discussed + Duration::days(2);
                let finished = kind == "solved";
                for si in 0..th.steps.len() {
                    let due = r.steps[si].due_at;
                    // Solved ones: most steps on time, a few days late now and then.
                    let done = due - Duration::days(rng.gen_range(-4..10));
                    let done = done.max(clock + Duration::hours(1));
                    if !finished && (done > now - Duration::days(3) || si + 1 == th.steps.len()) {
                        if done < now && si > 0 {
                            let pct = [30u8, 50, 70][k % 3];
                            r = d::apply_resolution(
                                &r,
                                &ResolutionAction::Progress { step: si, progress: pct },
                                &staff,
                                now - Duration::days(2),
                            )?;
                        }
                        break;
                    }
                    r = d::apply_resolution(
                        &r,
                        &ResolutionAction::Progress { step: si, progress: 50 },
                        &staff,
                        clock.max(done - Duration::days(5)),
                    )?;
                    r = d::apply_resolution(&r, &ResolutionAction::Progress { step: si, progress: 100 }, &staff, done)?;
                    clock = done;
                }
                if finished {
                    r = d::apply_resolution(
                        &r,
                        &ResolutionAction::Solve { open_children: 0 },
                        &staff,
                        clock + Duration::days(1),
                    )?;
                }
                let outcome = format!(
                    "经议事同意：{}，由{}牵头，{}前完成。",
                    th.resolution,
                    runner_name,
                    store::local_time_text(due)[..10].to_owned()
                );
                resolutions.push(r);
                (outcome, Some(rid))
            }
        };
        t = d::apply_topic(
            &t,
            &TopicAction::Discuss { outcome: outcome.clone(), resolution_id: resolution },
            &staff,
            discussed,
        )?;
        minutes[mi].push(format!("议题：{}。结论：{}", t.title, outcome));
        topics.push((t, Some(mi)));
    }
    // Every held meeting has minutes; those with no topic of ours heard reports and views.
    for (mi, m) in meetings.iter_mut().enumerate() {
        if m.minutes_status != "final" {
            continue;
        }
        let present = m.attendees.iter().filter(|a| a.2.is_some()).count();
        let mut text = format!("出席居民{}人，列席：{}。\n", present, m.organisations.join("、"));
        if minutes[mi].is_empty() {
            text.push_str("通报上月决议办理进展；征集居民意见，无新议题形成决议。");
        } else {
            text.push_str(&minutes[mi].join("\n"));
        }
        m.minutes = text;
    }
    // Topics waiting now: raised, accepted, or on the next meeting's agenda; the demo's own
    // resident raised one and supports another.
    for (k, (title, body)) in WAITING.iter().enumerate() {
        let ci = [0, 0, 3, 7, 12][k];
        let c = &cs[ci];
        let residents = &p.residents[ci];
        let raiser = if k == 0 { residents[0] } else { residents[(k * 9 + 4) % residents.len()] };
        let (runner, _) = p.runners[ci].clone();
        let staff = actor(runner, "grid-worker", Role::GridWorker);
        let raised_at = now - Duration::days([9, 4, 6, 2, 1][k]);
        let tid = topics.len() as i64 + 1;
        let mut t = d::raise(
            tid,
            NewTopic {
                community: c.code.clone(),
                grid: c.grid.clone(),
                title: (*title).into(),
                body: (*body).into(),
                source: TopicSource::App,
                case_id: None,
                petition_id: None,
                raised_by_name: "居民".into(),
            },
            &actor(raiser, "resident", Role::Resident),
            raised_at,
        )?;
        for s in 0..(6 - k) {
            let u = residents[(s * 5 + 2 + k) % residents.len()];
            if k == 1 && s == 0 {
                t = d::apply_topic(
                    &t,
                    &TopicAction::Support { user: residents[0] },
                    &actor(residents[0], "resident", Role::Resident),
                    raised_at + Duration::hours(1),
                )?;
            }
            t = d::apply_topic(
                &t,
                &TopicAction::Support { user: u },
                &actor(u, "resident", Role::Resident),
                raised_at + Duration::hours(s as i64 + 2),
            )?;
        }
        let mut meeting = None;
        if k < 3 {
            t = d::apply_topic(&t, &TopicAction::Accept, &staff, raised_at + Duration::days(1))?;
            if let Some(&mi) = next[ci].first().filter(|_| k != 2) {
                t = d::apply_topic(
                    &t,
                    &TopicAction::Schedule { meeting_id: 0, meeting_at: meetings[mi].starts_at },
                    &staff,
                    raised_at + Duration::days(1) + Duration::hours(1),
                )?;
                meeting = Some(mi);
            }
        }
        topics.push((t, meeting));
    }
    Ok(Built { days, meetings, topics, resolutions })
}

/// Stores the deliberation days, meetings, topics and resolutions.
pub async fn load_deliberation(
    store: &Store,
    cs: &[Community],
    p: &People,
    terms: &domain::obligation::Terms,
    created_by: i64,
    now: Timestamp,
) -> anyhow::Result<usize> {
    let mut b = build(cs, p, now)?;
    for day in &b.days {
        store.set_deliberation_day(day, "demo", now).await?;
    }
    let ids = store.import_meetings(&b.meetings, created_by, "demo", now).await?;
    for (t, mi) in &mut b.topics {
        if let Some(mi) = mi {
            t.meeting_id = Some(ids[*mi]);
            for e in &mut t.events {
                if e.action == "schedule" {
                    e.note = None;
                }
            }
        }
    }
    let topics: Vec<Topic> = b.topics.into_iter().map(|(t, _)| t).collect();
    store
        .import_deliberation(
            &topics,
            &b.resolutions,
            |t| d::topic_obligations(t, terms),
            |r| d::resolution_obligations(r, terms),
            "demo",
            now,
        )
        .await?;
    Ok(b.resolutions.iter().filter(|r| r.status == d::ResolutionStatus::Solved).count())
}

/// Team kinds by community: 临家阿姨 everywhere; 反诈妈妈团 in every other community; patrols
/// in the villages along the main road.
fn teams_of(ci: usize, c: &Community) -> Vec<(&'static str, String)> {
    let mut out = vec![("aunties", format!("{}临家阿姨服务队", c.name))];
    if ci % 2 == 0 {
        out.push(("anti_fraud", format!("{}反诈妈妈团", c.name)));
    }
    if c.village && ci % 3 == 1 {
        out.push(("patrol", format!("{}平安巡防队", c.name)));
    }
    out
}

/// A team's weekly shifts: (weekday from Monday, minute of day, hours, title, place).
fn weekly(kind: &str) -> [(u32, u16, i64, &'static str); 2] {
    match kind {
        "anti_fraud" => [(2, 19 * 60, 2, "反诈宣传进小区"), (6, 9 * 60, 2, "反诈入户走访")],
        "patrol" => [(4, 19 * 60 + 30, 2, "平安夜巡"), (5, 14 * 60, 2, "周末治安巡防")],
        _ => [(1, 14 * 60, 3, "临家茶摊·邻里说事"), (5, 9 * 60, 2, "临家阿姨上门探访")],
    }
}

/// Stores the teams, two years of their shifts with attendance (scaled to `history_days`),
/// the coming three weeks' shifts with sign-ups, and anti-fraud visits.
pub async fn load_volunteers(
    store: &Store,
    cs: &[Community],
    p: &People,
    history_days: u32,
    created_by: i64,
    now: Timestamp,
) -> anyhow::Result<usize> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(20_170_601);
    let skills = ["入户走访", "政策宣传", "纠纷劝解", "信息采集", "文艺", "急救", "摄影", "普通话和方言"];
    let mut teams = vec![];
    let mut team_members: Vec<(usize, &'static str, Vec<i64>)> = vec![];
    for (ci, c) in cs.iter().enumerate() {
        let vols = &p.volunteers[ci];
        for (ti, (kind, tname)) in teams_of(ci, c).into_iter().enumerate() {
            // The first team takes most of the community's volunteers; the others share.
            let members: Vec<(i64, String)> = match ti {
                0 => vols.iter().take(9).cloned().collect(),
                1 => vols.iter().skip(5).take(7).cloned().collect(),
                _ => vols.iter().skip(8).cloned().collect(),
            };
            let joined = now - Duration::days(history_days.min(730) as i64 + 30);
            let list: Vec<(i64, String, Timestamp)> = members
                .iter()
                .enumerate()
                .map(|(k, (u, _))| (*u, skills[(k + ti) % skills.len()].to_owned(), joined))
                .collect();
            teams.push((c.code.clone(), kind.to_owned(), tname, Some(members[0].0), list));
            team_members.push((ci, kind, members.iter().map(|m| m.0).collect()));
        }
    }
    let ids = store.import_teams(&teams, "demo", now).await?;
    let today = (now + Duration::hours(8)).date_naive();
    let weeks = (history_days.min(730) / 7) as i64;
    let mut shifts = vec![];
    let mut visits = vec![];
    for (k, (ci, kind, members)) in team_members.iter().enumerate() {
        let c = &cs[*ci];
        let place_at = domain::geo::LatLng::new(c.centre.0, c.centre.1).ok();
        for w in -weeks..3 {
            let monday = today - Duration::days(today.weekday().num_days_from_monday() as i64) + Duration::weeks(w);
            for (wd, minute, hours, title) in weekly(kind) {
                let starts_at = beijing(monday + Duration::days(wd as i64), minute);
                let ends_at = starts_at + Duration::hours(hours);
                if w >= 0 && starts_at < now {
                    continue;
                }
                let slots = members.len().min(6) as i64;
                let a = store::community::Activity {
                    kind: "shift".into(),
                    community: Some(c.code.clone()),
                    team_id: Some(ids[k]),
                    ends_at: Some(ends_at),
                    place_at,
                    radius_m: Some(200),
                    ..store::community::Activity::public(
                        title.into(),
                        "请穿好志愿者马甲，到场后扫码签到，结束时签退。".into(),
                        format!("{}党群服务中心门口", c.name),
                        starts_at,
                        slots,
                        format!("demo-shift-{k}-{w}-{wd}"),
                    )
                };
                let mut places = vec![];
                for (mi, u) in members.iter().enumerate() {
                    if places.len() as i64 >= slots {
                        break;
                    }
                    let leader = mi == 0;
                    if w < 0 {
                        if rng.gen_bool(if leader { 0.92 } else { 0.55 }) {
                            let cin = starts_at - Duration::minutes(rng.gen_range(0..12));
                            let cout = ends_at + Duration::minutes(rng.gen_range(-15..10));
                            places.push((
                                *u,
                                Some((cin, cout, domain::volunteer::served_minutes(cin, cout, starts_at, ends_at))),
                            ));
                        }
                    } else if rng.gen_bool(if w == 0 { 0.7 } else { 0.35 }) || (leader && w < 2) {
                        places.push((*u, None));
                    }
                }
                shifts.push((a, places));
            }
            if *kind == "anti_fraud" && w < 0 {
                for u in members.iter().take(4) {
                    if rng.gen_bool(0.6) {
                        visits.push(store::volunteers::Visit {
                            id: 0,
                            user_id: *u,
                            team_id: Some(ids[k]),
                            community: c.code.clone(),
                            visited_at: beijing(monday + Duration::days(6), 10 * 60),
                            households: rng.gen_range(3..16),
                            leaflets: rng.gen_range(5..40),
                            note: "入户宣传防范电信网络诈骗，提醒下载国家反诈中心APP".into(),
                        });
                    }
                }
            }
        }
    }
    store.import_volunteering(&shifts, &visits, created_by, "demo", now).await?;
    Ok(ids.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup() -> (Vec<Community>, People, Timestamp) {
        let sc =
            scenario::load(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/linjiang")).unwrap();
        let cs = communities(&sc.grids);
        let mut next = 1000;
        let mut id = || {
            next += 1;
            next
        };
        let p = People {
            residents: cs.iter().map(|_| (0..RESIDENTS_PER_COMMUNITY).map(|_| id()).collect()).collect(),
            runners: cs.iter().map(|_| (id(), "网格长".into())).collect(),
            volunteers: cs.iter().map(|_| (0..12).map(|_| (id(), "志愿者".into())).collect()).collect(),
        };
        let now =
            chrono::DateTime::parse_from_rfc3339("2026-05-20T10:00:00+08:00").unwrap().with_timezone(&chrono::Utc);
        (cs, p, now)
    }

    #[test]
    fn two_years_of_deliberation_solve_59_problems_and_leave_some_under_way() {
        let (cs, p, now) = setup();
        assert_eq!(cs.len(), 20);
        let b = build(&cs, &p, now).unwrap();
        let solved = b.resolutions.iter().filter(|r| r.status == d::ResolutionStatus::Solved).count();
        assert_eq!(solved, SOLVED);
        let phases: Vec<&str> = b.resolutions.iter().map(d::phase).filter(|ph| *ph != "solved").collect();
        assert_eq!(phases.len(), UNDER_WAY);
        assert!(phases.contains(&"in_progress"), "{phases:?}");
        // Every community meets monthly; every held meeting has final minutes.
        assert!(b.meetings.len() >= cs.len() * MONTHS as usize);
        assert!(b
            .meetings
            .iter()
            .filter(|m| m.starts_at < now)
            .all(|m| m.minutes_status == "final" && !m.minutes.is_empty()));
        // Every resolution's steps are done before it is solved; nothing is solved in the future.
        for r in &b.resolutions {
            assert!(r.solved_at.is_none_or(|t| t <= now), "{}", r.title);
            assert!(
                r.status != d::ResolutionStatus::Solved || r.steps.iter().all(|s| s.done_at.is_some_and(|t| t <= now))
            );
            assert_eq!(r.version as usize, r.events.len());
        }
        // Some topics wait for the coming meetings, one on the demo resident's own account.
        let waiting = b
            .topics
            .iter()
            .filter(|(t, _)| t.status.as_str() != "discussed" && t.status.as_str() != "declined")
            .count();
        assert_eq!(waiting, WAITING.len());
        assert!(b.topics.iter().any(|(t, _)| t.raised_by == p.residents[0][0] && t.status.as_str() == "on_agenda"));
    }
}
