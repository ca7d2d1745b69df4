//! Smart food safety (智慧食安): food businesses with a risk grade that sets how often they
//! are inspected, inspections item by item against a checklist, the result and the
//! quantified-grading face (量化分级) the rules give, hazards tracked to rectification with
//! evidence, and the random draw (双随机) reproducible from its seed.
//!
//! A business is a matter that always owes its next inspection; each hazard found is owed
//! by its deadline (the supervisor, a grid worker, sees to it) with a re-inspection then.

use crate::case::{Actor, UserId};
use crate::codes::GridCode;
use crate::geo::LatLng;
use crate::obligation::{Counting, Obligation, Owner, State as DutyState, Terms};
use crate::role::Role;
use crate::Timestamp;
use serde::{Deserialize, Serialize};

pub type BusinessId = i64;

/// More general items failed than this makes an inspection 不符合.
pub const GENERAL_FAILURES_MAX: usize = 8;
/// Months after licensing without a grade.
pub const UNGRADED_MONTHS: i64 = 3;
/// Longest text field, in characters.
pub const TEXT_CHARS_MAX: usize = 2000;

names! {
    Kind { Restaurant => "restaurant", Canteen => "canteen", Shop => "shop", Stall => "stall",
           CentralKitchen => "central_kitchen", Other => "other" }
}

names! {
    /// The risk grade: A the lowest risk, D the highest.
    Risk { A => "A", B => "B", C => "C", D => "D" }
}

names! {
    /// An inspection's result.
    Outcome { Compliant => "compliant", BasicallyCompliant => "basically_compliant", NonCompliant => "non_compliant" }
}

names! {
    /// The quantified-grading face shown at the door (量化分级: 良好 / 一般 / 较差).
    Face { Good => "good", Fair => "fair", Poor => "poor" }
}

impl Outcome {
    pub fn face(&self) -> Face {
        match self {
            Outcome::Compliant => Face::Good,
            Outcome::BasicallyCompliant => Face::Fair,
            Outcome::NonCompliant => Face::Poor,
        }
    }
}

/// How often each risk grade is inspected, and the time to rectify.
#[derive(Debug, Clone, PartialEq)]
pub struct Rules {
    /// Days between inspections for A, B, C, D (1, 2, 3, 4 a year by default).
    pub interval_days: [i64; 4],
    /// Days to rectify a general item.
    pub rectify_days: i64,
    /// Days to rectify a key item.
    pub rectify_key_days: i64,
}

impl Default for Rules {
    fn default() -> Self {
        Self { interval_days: [365, 182, 121, 91], rectify_days: 15, rectify_key_days: 7 }
    }
}

impl Rules {
    pub fn interval(&self, r: Risk) -> chrono::Duration {
        chrono::Duration::days(self.interval_days[r as usize])
    }
}

/// One item of a checklist.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    pub code: String,
    pub text: String,
    /// 重点项: failing it makes the inspection 不符合.
    pub key: bool,
    /// The rule it rests on.
    pub law: String,
}

/// The default table for restaurants (餐饮服务食品安全监督检查要点), shipped.
pub fn restaurant_checklist() -> Vec<Item> {
    let items: [(&str, &str, bool, &str); 24] = [
        ("1.1", "食品经营许可证合法有效，经营场所、主体业态与许可一致", true, "食品安全法 第35条"),
        ("1.2", "许可证在醒目位置公示", false, "食品经营许可管理办法 第26条"),
        ("2.1", "从业人员持有有效健康证明", true, "食品安全法 第45条"),
        ("2.2", "从业人员穿戴清洁工作衣帽", false, "餐饮服务食品安全操作规范 3.4"),
        ("2.3", "建立并执行从业人员晨检制度", false, "餐饮服务食品安全操作规范 3.3"),
        ("3.1", "食品原料查验索证索票，进货查验记录完整", true, "食品安全法 第55条"),
        ("3.2", "未采购、使用超过保质期或腐败变质的原料", true, "食品安全法 第34条"),
        ("3.3", "原料分类分架、离地离墙存放", false, "餐饮服务食品安全操作规范 5.2"),
        ("4.1", "生熟食品及其工具容器分开存放使用", true, "食品安全法 第33条"),
        ("4.2", "冷藏、冷冻设施温度符合要求", false, "餐饮服务食品安全操作规范 5.3"),
        ("4.3", "加工制作过程烧熟煮透", false, "餐饮服务食品安全操作规范 6.3"),
        ("4.4", "食品添加剂专人专柜管理、使用记录完整", true, "食品安全法 第40条"),
        ("5.1", "餐用具清洗消毒设施正常使用", false, "食品安全法 第33条"),
        ("5.2", "消毒后餐用具在保洁设施内存放", false, "餐饮服务食品安全操作规范 8.3"),
        ("6.1", "后厨地面、墙面清洁无积水油污", false, "餐饮服务食品安全操作规范 4.2"),
        ("6.2", "防蝇、防鼠、防虫设施完好", false, "餐饮服务食品安全操作规范 4.5"),
        ("6.3", "垃圾桶加盖，废弃物及时清运", false, "餐饮服务食品安全操作规范 9.1"),
        ("6.4", "餐厨废弃物交由有资质单位处置并记录", false, "餐饮服务食品安全操作规范 9.2"),
        ("7.1", "燃气报警器安装并正常工作", true, "城镇燃气管理条例 第17条"),
        ("7.2", "油烟净化设施定期清洗", false, "大气污染防治法 第81条"),
        ("8.1", "集体用餐配送按规定留样", false, "餐饮服务食品安全操作规范 10.2"),
        ("8.2", "明厨亮灶设施正常运行", false, "餐饮服务食品安全操作规范 4.6"),
        ("9.1", "食品安全管理员在岗并培训考核合格", false, "食品安全法 第44条"),
        ("9.2", "建立食品安全自查制度并记录", false, "食品安全法 第47条"),
    ];
    items.iter().map(|(c, t, k, l)| Item { code: (*c).into(), text: (*t).into(), key: *k, law: (*l).into() }).collect()
}

/// Inspection tables by kind of business; a kind without its own uses the restaurant table.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Checklists {
    pub by_kind: std::collections::BTreeMap<Kind, Vec<Item>>,
}

impl Checklists {
    pub fn for_kind(&self, kind: Kind) -> Vec<Item> {
        self.by_kind.get(&kind).cloned().unwrap_or_else(restaurant_checklist)
    }
}

/// Reads a checklist: one item per line, `code,text,key,law` (`key` is 是/否, yes/no,
/// true/false); a header line and `#` comments are skipped. A mistake names its line.
pub fn parse_checklist(text: &str) -> Result<Vec<Item>, FoodError> {
    let mut out: Vec<Item> = vec![];
    for (i, line) in text.lines().enumerate() {
        let line = line.trim().trim_start_matches('\u{feff}');
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let c: Vec<&str> = line.splitn(4, ',').map(str::trim).collect();
        let key = match c.get(2).copied() {
            Some("是" | "yes" | "true" | "1") => true,
            Some("否" | "no" | "false" | "0") => false,
            _ if i == 0 => continue,
            _ => return Err(invalid(format!("line {}: code,text,key (是/否),law expected", i + 1))),
        };
        if c.len() < 4 || c[0].is_empty() || c[1].is_empty() {
            return Err(invalid(format!("line {}: code,text,key (是/否),law expected", i + 1)));
        }
        if out.iter().any(|x| x.code == c[0]) {
            return Err(invalid(format!("line {}: item {} appears twice", i + 1, c[0])));
        }
        out.push(Item { code: c[0].into(), text: c[1].into(), key, law: c[3].into() });
    }
    if out.is_empty() {
        return Err(invalid("a checklist needs at least one item"));
    }
    Ok(out)
}

/// An item's result in an inspection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemResult {
    pub code: String,
    pub pass: bool,
    #[serde(default)]
    pub note: Option<String>,
    /// Files (photos) taken for this item.
    #[serde(default)]
    pub photos: Vec<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Inspection {
    pub at: Timestamp,
    pub by: UserId,
    pub by_name: String,
    /// The business's own check (自查): recorded, never graded.
    pub self_check: bool,
    /// Drawn at random (双随机), with the draw's id.
    pub draw: Option<i64>,
    pub results: Vec<ItemResult>,
    pub outcome: Outcome,
    pub face: Face,
    /// Where there is risk: stop operating until rectified.
    pub stop_operating: bool,
}

names! {
    HazardStatus { Open => "open", Rectified => "rectified" }
}

/// A failed item to rectify.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hazard {
    pub inspection: usize,
    pub code: String,
    pub text: String,
    pub key: bool,
    pub found_at: Timestamp,
    pub deadline: Timestamp,
    /// The grid worker who sees to it.
    pub supervisor: UserId,
    pub status: HazardStatus,
    pub evidence_before: Vec<i64>,
    pub evidence_after: Vec<i64>,
    pub rectified_at: Option<Timestamp>,
    /// The ordinary case sent to the market regulator for a serious one.
    pub case_id: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub seq: u32,
    pub at: Timestamp,
    pub actor: Actor,
    pub action: String,
    pub note: Option<String>,
    pub duty: Option<String>,
    pub due_at: Option<Timestamp>,
    pub level: Option<u8>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewBusiness {
    pub name: String,
    pub licence_no: String,
    pub licence_valid_until: Option<chrono::NaiveDate>,
    pub licensed_on: chrono::NaiveDate,
    pub kind: Kind,
    pub address: String,
    pub grid: GridCode,
    pub location: Option<LatLng>,
    pub person_in_charge: String,
    pub phone: Option<String>,
    /// Seats or scale in words (e.g. "120座").
    pub scale: String,
    pub risk: Risk,
    /// The grid worker who supervises it.
    pub supervisor: UserId,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Business {
    pub id: BusinessId,
    pub version: u32,
    pub name: String,
    pub licence_no: String,
    pub licence_valid_until: Option<chrono::NaiveDate>,
    pub licensed_on: chrono::NaiveDate,
    pub kind: Kind,
    pub address: String,
    pub grid: GridCode,
    pub location: Option<LatLng>,
    pub person_in_charge: String,
    pub phone: Option<String>,
    pub scale: String,
    pub risk: Risk,
    pub supervisor: UserId,
    pub registered_at: Timestamp,
    /// When the next inspection is due.
    pub next_due: Timestamp,
    pub inspections: Vec<Inspection>,
    pub hazards: Vec<Hazard>,
    pub updated_at: Timestamp,
    pub events: Vec<Event>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FoodError {
    #[error("{0}")]
    Invalid(String),
    #[error("the step is dated before the business's last step")]
    TimeTravel,
}

fn invalid(m: impl Into<String>) -> FoodError {
    FoodError::Invalid(m.into())
}

fn text(field: &str, v: &str, required: bool) -> Result<String, FoodError> {
    let v = v.trim();
    let n = v.chars().count();
    if (required && n == 0) || n > TEXT_CHARS_MAX {
        return Err(invalid(format!("{field} needs {} to {TEXT_CHARS_MAX} characters", usize::from(required))));
    }
    Ok(v.to_owned())
}

fn event(b: &Business, at: Timestamp, actor: &Actor, action: &str, note: Option<String>) -> Event {
    Event {
        seq: b.events.len() as u32 + 1,
        at,
        actor: actor.clone(),
        action: action.into(),
        note,
        duty: None,
        due_at: None,
        level: None,
    }
}

/// Registers a business; its first inspection falls due one interval after registration.
pub fn register(
    id: BusinessId,
    new: NewBusiness,
    actor: Actor,
    at: Timestamp,
    rules: &Rules,
) -> Result<Business, FoodError> {
    let b = Business {
        id,
        version: 1,
        name: text("the name", &new.name, true)?,
        licence_no: text("the licence number", &new.licence_no, true)?,
        licence_valid_until: new.licence_valid_until,
        licensed_on: new.licensed_on,
        kind: new.kind,
        address: text("the address", &new.address, true)?,
        grid: new.grid,
        location: new.location,
        person_in_charge: text("the person in charge", &new.person_in_charge, true)?,
        phone: new.phone,
        scale: text("the scale", &new.scale, false)?,
        risk: new.risk,
        supervisor: new.supervisor,
        registered_at: at,
        next_due: at + rules.interval(new.risk),
        inspections: vec![],
        hazards: vec![],
        updated_at: at,
        events: vec![],
    };
    let mut b = b;
    b.events.push(Event {
        seq: 1,
        at,
        actor,
        action: "register".into(),
        note: None,
        duty: None,
        due_at: None,
        level: None,
    });
    Ok(b)
}

/// The result the rules give: no failure → 符合; only general failures, at most
/// [`GENERAL_FAILURES_MAX`] → 基本符合; more, or any key item → 不符合.
pub fn judge(checklist: &[Item], results: &[ItemResult]) -> Result<Outcome, FoodError> {
    let mut general = 0;
    let mut key = false;
    for r in results.iter().filter(|r| !r.pass) {
        let item = checklist
            .iter()
            .find(|i| i.code == r.code)
            .ok_or_else(|| invalid(format!("no item {} in the checklist", r.code)))?;
        if item.key {
            key = true;
        } else {
            general += 1;
        }
    }
    Ok(if key || general > GENERAL_FAILURES_MAX {
        Outcome::NonCompliant
    } else if general > 0 {
        Outcome::BasicallyCompliant
    } else {
        Outcome::Compliant
    })
}

/// Records an inspection: every item of the checklist answered once; the result and face
/// follow the rules; each failed item becomes a hazard with its deadline (key items sooner);
/// the next inspection falls due one interval on. A self-check is recorded but changes
/// neither the grade nor the schedule, and raises no hazard.
#[allow(clippy::too_many_arguments)]
pub fn inspect(
    b: &Business,
    checklist: &[Item],
    results: Vec<ItemResult>,
    self_check: bool,
    draw: Option<i64>,
    actor: &Actor,
    at: Timestamp,
    rules: &Rules,
) -> Result<Business, FoodError> {
    if at < b.updated_at {
        return Err(FoodError::TimeTravel);
    }
    for item in checklist {
        if results.iter().filter(|r| r.code == item.code).count() != 1 {
            return Err(invalid(format!("item {} must be answered once", item.code)));
        }
    }
    if results.len() != checklist.len() {
        return Err(invalid("an answer names an item not in the checklist"));
    }
    for r in &results {
        if let Some(n) = &r.note {
            text("a note", n, false)?;
        }
    }
    let outcome = judge(checklist, &results)?;
    let mut c = b.clone();
    let n = c.inspections.len();
    let key_failed = results.iter().any(|r| !r.pass && checklist.iter().any(|i| i.code == r.code && i.key));
    if !self_check {
        for r in results.iter().filter(|r| !r.pass) {
            let item = checklist.iter().find(|i| i.code == r.code).expect("judged above");
            let days = if item.key { rules.rectify_key_days } else { rules.rectify_days };
            c.hazards.push(Hazard {
                inspection: n,
                code: item.code.clone(),
                text: item.text.clone(),
                key: item.key,
                found_at: at,
                deadline: at + chrono::Duration::days(days),
                supervisor: c.supervisor,
                status: HazardStatus::Open,
                evidence_before: r.photos.clone(),
                evidence_after: vec![],
                rectified_at: None,
                case_id: None,
            });
        }
        // The next inspection: one interval on, or the re-inspection at the earliest deadline
        // to rectify.
        let reinspect = c.hazards.iter().filter(|h| h.status == HazardStatus::Open).map(|h| h.deadline).min();
        c.next_due = reinspect.map_or(at + rules.interval(c.risk), |d| d.min(at + rules.interval(c.risk)));
    }
    c.inspections.push(Inspection {
        at,
        by: actor.user_id,
        by_name: actor.username.clone(),
        self_check,
        draw,
        results,
        outcome,
        face: outcome.face(),
        stop_operating: !self_check && key_failed,
    });
    let note = format!("{}{}", if self_check { "自查：" } else { "" }, outcome.as_str());
    c.events.push(event(&c, at, actor, "inspect", Some(note)));
    c.version += 1;
    c.updated_at = at;
    Ok(c)
}

/// Closes a hazard: photos from before (taken at the inspection, or added now) and after
/// rectification, confirmed by its supervisor (or a leader). Without both, it stays open.
pub fn rectify(
    b: &Business,
    hazard: usize,
    before: Vec<i64>,
    after: Vec<i64>,
    actor: &Actor,
    at: Timestamp,
) -> Result<Business, FoodError> {
    if at < b.updated_at {
        return Err(FoodError::TimeTravel);
    }
    let h = b.hazards.get(hazard).ok_or_else(|| invalid("no such hazard"))?;
    if h.status != HazardStatus::Open {
        return Err(invalid("the hazard is rectified already"));
    }
    if h.supervisor != actor.user_id && !matches!(actor.role, Role::Admin | Role::Leader) {
        return Err(invalid("only the hazard's supervisor confirms its rectification"));
    }
    if after.is_empty() || (h.evidence_before.is_empty() && before.is_empty()) {
        return Err(invalid("a hazard closes only with photos from before and after rectification"));
    }
    let mut c = b.clone();
    let h = &mut c.hazards[hazard];
    h.evidence_before.extend(before);
    h.evidence_after = after;
    h.status = HazardStatus::Rectified;
    h.rectified_at = Some(at);
    let note = format!("{} {}", h.code, h.text);
    c.events.push(event(&c, at, actor, "rectify", Some(note)));
    c.version += 1;
    c.updated_at = at;
    Ok(c)
}

/// Links a serious hazard to the case sent to the market regulator.
pub fn link_case(
    b: &Business,
    hazard: usize,
    case_id: i64,
    actor: &Actor,
    at: Timestamp,
) -> Result<Business, FoodError> {
    let mut c = b.clone();
    let h = c.hazards.get_mut(hazard).ok_or_else(|| invalid("no such hazard"))?;
    if h.case_id.is_some() {
        return Err(invalid("the hazard has its case already"));
    }
    h.case_id = Some(case_id);
    c.events.push(event(&c, at.max(b.updated_at), actor, "case", Some(format!("案件 {case_id}"))));
    c.version += 1;
    c.updated_at = at.max(b.updated_at);
    Ok(c)
}

/// The year's grade: no grade in the first [`UNGRADED_MONTHS`] after licensing; then the
/// worst face of the official inspections of the last 12 months (a single poor inspection
/// costs the year), none without inspections.
pub fn grade(b: &Business, now: Timestamp) -> Option<Face> {
    let licensed = b.licensed_on.and_hms_opt(0, 0, 0).expect("midnight").and_utc() - chrono::Duration::hours(8);
    if now < licensed + chrono::Duration::days(30 * UNGRADED_MONTHS) {
        return None;
    }
    b.inspections
        .iter()
        .filter(|i| !i.self_check && i.at > now - chrono::Duration::days(365) && i.at <= now)
        .map(|i| i.face)
        .max()
}

/// The business's duties: the next inspection; each open hazard by its deadline, with the
/// re-inspection at that deadline.
pub fn obligations(b: &Business, terms: &Terms) -> Vec<Obligation> {
    let mut out = vec![];
    let last = b.inspections.iter().rev().find(|i| !i.self_check).map_or(b.registered_at, |i| i.at);
    let history = alert_history(b);
    let mut duty = |name: String, owner: Owner, starts_at: Timestamp, due_at: Timestamp, kept_at: Option<Timestamp>| {
        let level = crate::obligation::level_of(&history, &name, due_at);
        out.push(Obligation {
            name,
            owner,
            counting: Counting::CalendarDays,
            starts_at,
            due_at,
            kept_at,
            state: if kept_at.is_some() { DutyState::Kept } else { DutyState::Open },
            ladder: terms.ladder.clone(),
            level,
            next_alert_at: None,
        });
    };
    duty("inspect".into(), Owner::Role(Role::GridWorker), last, b.next_due, None);
    for (i, h) in b.hazards.iter().enumerate() {
        duty(format!("hazard:{i}"), Owner::User(h.supervisor), h.found_at, h.deadline, h.rectified_at);
    }
    crate::obligation::fill_next_alerts(&mut out, &history, terms.warn_fraction);
    out
}

fn alert_history(b: &Business) -> Vec<crate::obligation::AlertRecord<'_>> {
    b.events
        .iter()
        .map(|e| crate::obligation::AlertRecord {
            action: &e.action,
            duty: e.duty.as_deref(),
            due_at: e.due_at,
            level: e.level,
        })
        .collect()
}

/// Records the warnings and escalations due by `now`; `None` when nothing is due.
pub fn record_alerts(b: &Business, now: Timestamp, terms: &Terms, actor: &Actor) -> Option<Business> {
    let due = crate::obligation::due_alerts(&obligations(b, terms), &alert_history(b), now, terms);
    if due.is_empty() {
        return None;
    }
    let mut c = b.clone();
    let at = now.max(c.updated_at);
    for d in due {
        let mut e = event(&c, at, actor, if d.level.is_some() { "escalate" } else { "warn" }, None);
        e.duty = Some(d.duty);
        e.due_at = Some(d.due_at);
        e.level = d.level;
        c.events.push(e);
        c.version += 1;
    }
    c.updated_at = at;
    Some(c)
}

/// The random draw (双随机): `n` businesses from `businesses`, each paired with an inspector
/// from `inspectors`, chosen by a generator seeded with `seed` — the same inputs and seed give
/// the same draw, so anyone can re-run it from the audit log. Inputs are taken in id order.
pub fn draw(businesses: &[BusinessId], inspectors: &[UserId], n: usize, seed: u64) -> Vec<(BusinessId, UserId)> {
    let mut bs: Vec<BusinessId> = businesses.to_vec();
    let mut is: Vec<UserId> = inspectors.to_vec();
    bs.sort_unstable();
    bs.dedup();
    is.sort_unstable();
    is.dedup();
    if is.is_empty() {
        return vec![];
    }
    // splitmix64: small, well known, and the same on every machine.
    let mut state = seed;
    let mut next = move || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    // A partial Fisher–Yates shuffle picks the businesses.
    let n = n.min(bs.len());
    for i in 0..n {
        let j = i + (next() % (bs.len() - i) as u64) as usize;
        bs.swap(i, j);
    }
    bs.into_iter().take(n).map(|b| (b, is[(next() % is.len() as u64) as usize])).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone, Utc};

    fn t0() -> Timestamp {
        Utc.with_ymd_and_hms(2024, 5, 6, 1, 0, 0).unwrap()
    }

    fn inspector() -> Actor {
        Actor { user_id: 4, username: "grid01".into(), role: Role::GridWorker }
    }

    fn shop() -> Business {
        register(
            1,
            NewBusiness {
                name: "港湾小吃".into(),
                licence_no: "JY23301140012345".into(),
                licence_valid_until: None,
                licensed_on: chrono::NaiveDate::from_ymd_opt(2023, 1, 1).unwrap(),
                kind: Kind::Restaurant,
                address: "传化公路港A区12号".into(),
                grid: GridCode::parse("330114004001001").unwrap(),
                location: None,
                person_in_charge: "陈老板".into(),
                phone: Some("13900001111".into()),
                scale: "40座".into(),
                risk: Risk::C,
                supervisor: 4,
            },
            inspector(),
            t0(),
            &Rules::default(),
        )
        .unwrap()
    }

    fn answers(failed: &[&str]) -> Vec<ItemResult> {
        restaurant_checklist()
            .into_iter()
            .map(|i| ItemResult {
                pass: !failed.contains(&i.code.as_str()),
                photos: if failed.contains(&i.code.as_str()) { vec![7] } else { vec![] },
                code: i.code,
                note: None,
            })
            .collect()
    }

    #[test]
    fn a_checklist_reads_from_a_file() {
        let list = parse_checklist("编号,内容,重点项,依据\n# 食品销售\nS1,营业执照和许可证公示,否,食品安全法 第35条\nS2,不销售过期食品,是,食品安全法 第34条\n").unwrap();
        assert_eq!(list.len(), 2);
        assert!(list[1].key && !list[0].key);
        assert_eq!(
            parse_checklist("S1,x,maybe,y\nS2,y,是,z").unwrap().len(),
            1,
            "a first line that is not an item is a header"
        );
        assert!(parse_checklist("S1,x,是,y\nS1,y,否,z").unwrap_err().to_string().contains("twice"));
        assert!(parse_checklist("S1,x,是,y\nS2,y,maybe,z").unwrap_err().to_string().contains("line 2"));
        let mut c = Checklists::default();
        c.by_kind.insert(Kind::Shop, list);
        assert_eq!(c.for_kind(Kind::Shop).len(), 2);
        assert_eq!(c.for_kind(Kind::Stall).len(), restaurant_checklist().len());
    }

    #[test]
    fn the_result_follows_the_rules() {
        let list = restaurant_checklist();
        assert_eq!(judge(&list, &answers(&[])).unwrap(), Outcome::Compliant);
        let eight = ["1.2", "2.2", "2.3", "3.3", "4.2", "4.3", "5.1", "5.2"];
        assert_eq!(judge(&list, &answers(&eight)).unwrap(), Outcome::BasicallyCompliant);
        let nine = ["1.2", "2.2", "2.3", "3.3", "4.2", "4.3", "5.1", "5.2", "6.1"];
        assert_eq!(judge(&list, &answers(&nine)).unwrap(), Outcome::NonCompliant);
        assert_eq!(judge(&list, &answers(&["2.1"])).unwrap(), Outcome::NonCompliant, "one key item");
        assert!(judge(&list, &[ItemResult { code: "99".into(), pass: false, note: None, photos: vec![] }]).is_err());
    }

    #[test]
    fn hazards_have_deadlines_and_close_only_with_evidence() {
        let r = Rules::default();
        let nine = ["1.2", "2.2", "2.3", "3.3", "4.2", "4.3", "5.1", "5.2", "6.1"];
        let b = inspect(
            &shop(),
            &restaurant_checklist(),
            answers(&nine),
            false,
            None,
            &inspector(),
            t0() + Duration::days(1),
            &r,
        )
        .unwrap();
        assert_eq!(b.inspections[0].outcome, Outcome::NonCompliant);
        assert_eq!(b.inspections[0].face, Face::Poor);
        assert_eq!(b.hazards.len(), 9);
        assert_eq!(b.hazards[0].deadline, t0() + Duration::days(16));
        assert_eq!(b.next_due, b.hazards[0].deadline, "the re-inspection is due with the deadline");
        assert!(rectify(&b, 0, vec![], vec![], &inspector(), t0() + Duration::days(5)).is_err(), "no after photo");
        let other = Actor { user_id: 99, ..inspector() };
        assert!(rectify(&b, 0, vec![], vec![8], &other, t0() + Duration::days(5)).is_err(), "not the supervisor");
        let fixed = rectify(&b, 0, vec![], vec![8], &inspector(), t0() + Duration::days(5)).unwrap();
        let obs = obligations(&fixed, &Terms::default());
        assert_eq!(obs.iter().filter(|o| o.state == DutyState::Open).count(), 1 + 8);
        // Overdue: escalated once each.
        let sys = Actor { user_id: 0, username: "deadline-runner".into(), role: Role::Admin };
        let late = record_alerts(&fixed, t0() + Duration::days(17), &Terms::default(), &sys).unwrap();
        // Eight hazards and the re-inspection due with them: each escalated once.
        assert_eq!(late.events.iter().filter(|e| e.action == "escalate").count(), 9);
        assert!(record_alerts(&late, t0() + Duration::days(17), &Terms::default(), &sys).is_none());
        assert_eq!(grade(&late, t0() + Duration::days(20)), Some(Face::Poor));
        // A self-check changes neither the grade nor the schedule.
        let own = inspect(
            &late,
            &restaurant_checklist(),
            answers(&[]),
            true,
            None,
            &inspector(),
            t0() + Duration::days(21),
            &r,
        )
        .unwrap();
        assert_eq!((own.next_due, own.hazards.len()), (late.next_due, 9));
    }

    #[test]
    fn no_grade_in_the_first_three_months() {
        let mut b = shop();
        b.licensed_on = chrono::NaiveDate::from_ymd_opt(2024, 4, 1).unwrap();
        let b = inspect(&b, &restaurant_checklist(), answers(&[]), false, None, &inspector(), t0(), &Rules::default())
            .unwrap();
        assert_eq!(grade(&b, t0()), None);
        assert_eq!(grade(&b, t0() + Duration::days(60)), Some(Face::Good));
    }

    /// The draw from seed 42, computed by hand with an independent splitmix64 (first outputs
    /// 0xBDD732262FEB6E95, 0x28EFE333B266F103).
    const KNOWN: [(i64, i64); 3] = [(4, 7), (5, 7), (3, 7)];

    #[test]
    fn the_draw_is_reproducible_from_its_seed() {
        let bs: Vec<i64> = (1..=300).collect();
        let is = [4, 9, 11];
        let a = draw(&bs, &is, 20, 20240506);
        assert_eq!(
            a,
            draw(&bs.iter().rev().copied().collect::<Vec<_>>(), &[11, 9, 4], 20, 20240506),
            "order of input does not matter"
        );
        assert_ne!(a, draw(&bs, &is, 20, 20240507));
        let mut picked: Vec<i64> = a.iter().map(|x| x.0).collect();
        picked.sort_unstable();
        picked.dedup();
        assert_eq!(picked.len(), 20, "no business twice");
        assert!(a.iter().all(|(_, i)| is.contains(i)));
        assert_eq!(draw(&bs, &[], 5, 1), vec![]);
        // Known values: a change to the generator must show here.
        assert_eq!(draw(&[1, 2, 3, 4, 5], &[7, 8], 3, 42), KNOWN.to_vec());
    }
}
