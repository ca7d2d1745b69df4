//! The mediation studio over HTTP: disputes from a case, a walk-in or a referral; parties
//! (a group of claimants pasted as a list); sessions; the agreement and its confirmations;
//! money paid on the spot and in instalments; follow-ups; judicial confirmation; the
//! printable agreement; statistics.
//!
//! Who may do what: mediators, leaders and administrators see and work every mediation; a
//! dispatcher turns a dispute case into one and sees that it exists; others are refused.
//! Parties' phone numbers are masked in lists and shown in full only to mediators.

use crate::auth::Session;
use crate::error::{ApiError, ApiJson, ApiQuery, ApiResult};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use domain::codes::{GridCode, PhoneNumber};
use domain::mediation::{
    self, Action, Claim, FailReason, Instalment, Kind, Mediation, NewMediation, Offer, Party, Payment, Source, Status,
};
use domain::obligation::State as DutyState;
use domain::role::Role;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

const LIST_MAX: i64 = 200;

fn studio(role: Role) -> bool {
    matches!(role, Role::Mediator | Role::Leader | Role::Admin)
}

fn parse_id(s: &str) -> ApiResult<i64> {
    s.parse::<i64>().ok().filter(|i| *i > 0).ok_or_else(|| ApiError::not_found("mediation"))
}

fn rule(e: app::mediations::Error) -> ApiError {
    match e {
        app::mediations::Error::Store(e) => e.into(),
        app::mediations::Error::Rule(mediation::MediationError::InvalidStep { action, status }) => ApiError::new(
            StatusCode::CONFLICT,
            "invalid_transition",
            format!("cannot {action} a mediation that is {status}"),
        ),
        app::mediations::Error::Rule(e) => ApiError::invalid(e.to_string()),
    }
}

fn yuan(fen: i64) -> f64 {
    fen as f64 / 100.0
}

fn fen(yuan: f64, field: &str) -> ApiResult<i64> {
    if !yuan.is_finite() || !(0.0..=1e8).contains(&yuan) {
        return Err(ApiError::invalid(format!("{field} must be ¥0 to ¥100,000,000")));
    }
    Ok((yuan * 100.0).round() as i64)
}

fn ts(t: domain::Timestamp) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[derive(Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClaimIn {
    pub item: String,
    /// Yuan.
    pub amount: f64,
}

#[derive(Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartyIn {
    pub name: String,
    #[serde(default)]
    pub organisation: bool,
    #[serde(default)]
    pub claimant: bool,
    #[serde(default)]
    pub representative: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub claims: Vec<ClaimIn>,
}

/// A group of claimants pasted or uploaded as CSV: `name,amount[,phone]` per line.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClaimantsIn {
    pub text: String,
    /// What each claims (e.g. 运费).
    pub item: String,
}

fn parties(list: Vec<PartyIn>, csv: Option<ClaimantsIn>) -> ApiResult<Vec<Party>> {
    let mut out = vec![];
    for p in list {
        let phone = match p.phone.as_deref().map(str::trim).filter(|x| !x.is_empty()) {
            Some(x) => Some(PhoneNumber::parse(x).map_err(|e| ApiError::invalid(e.0))?.as_str().to_owned()),
            None => None,
        };
        let mut claims = vec![];
        for c in p.claims {
            claims.push(Claim { item: c.item, amount_fen: fen(c.amount, "a claim")? });
        }
        out.push(Party {
            name: p.name,
            organisation: p.organisation,
            claimant: p.claimant,
            representative: p.representative,
            phone,
            claims,
        });
    }
    if let Some(c) = csv {
        let mut list = mediation::claimants_from_csv(&c.text, &c.item).map_err(|e| ApiError::invalid(e.to_string()))?;
        for p in &mut list {
            if let Some(ph) = &p.phone {
                p.phone = Some(PhoneNumber::parse(ph).map_err(|e| ApiError::invalid(e.0))?.as_str().to_owned());
            }
        }
        out.extend(list);
    }
    Ok(out)
}

/// A dispute coming to the studio (not from a case: see `POST /mediations/from-case/{id}`).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MediationIn {
    /// `walk_in`, `court`, `police`, `petition_office`.
    pub source: String,
    /// `wages`, `freight`, `neighbours`, `consumer`, `family`, `traffic`, `property`, `other`.
    pub kind: String,
    pub summary: String,
    pub grid: String,
    #[serde(default)]
    pub place: Option<String>,
    #[serde(default)]
    pub parties: Vec<PartyIn>,
    #[serde(default)]
    pub claimants: Option<ClaimantsIn>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MoneyOut {
    /// Yuan.
    pub claimed: f64,
    pub agreed: f64,
    pub on_the_spot: f64,
    pub paid_later: f64,
    pub outstanding: f64,
    pub overdue: f64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DutyOut {
    pub name: String,
    pub name_zh: String,
    pub due_at: String,
    pub kept_at: Option<String>,
    pub state: String,
    pub level: u8,
    pub overdue: bool,
}

/// A mediation as the studio sees it. Parties, sessions and the agreement are the stored
/// document's own shape (amounts in fen there); `money` sums them up in yuan.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MediationOut {
    pub id: i64,
    pub version: u32,
    pub status: String,
    pub source: String,
    pub kind: String,
    pub summary: String,
    pub grid: String,
    pub grid_name: Option<String>,
    pub place: Option<String>,
    pub case_id: Option<i64>,
    pub registered_at: String,
    pub conclude_due: String,
    #[schema(value_type = Object)]
    pub parties: serde_json::Value,
    #[schema(value_type = Object)]
    pub sessions: serde_json::Value,
    #[schema(value_type = Object)]
    pub agreement: serde_json::Value,
    pub failure: Option<[String; 2]>,
    pub extension_days: Option<u32>,
    #[schema(value_type = Object)]
    pub follow_ups: serde_json::Value,
    #[schema(value_type = Object)]
    pub judicial: serde_json::Value,
    /// The last moment to apply for judicial confirmation, once the agreement is in effect.
    pub judicial_until: Option<String>,
    pub money: MoneyOut,
    pub duties: Vec<DutyOut>,
    pub next_due_at: Option<String>,
    #[schema(value_type = Object)]
    pub steps: serde_json::Value,
}

fn out(s: &AppState, session: &Session, m: &Mediation) -> MediationOut {
    let now = s.clock.now();
    let mut m = m.clone();
    if session.role() != Role::Mediator {
        for p in &mut m.parties {
            p.phone = p.phone.as_deref().and_then(|x| PhoneNumber::parse(x).ok()).map(|x| x.masked());
        }
    }
    let x = mediation::money(&m, now);
    let duties = app::mediations::obligations(&s.app, &m);
    MediationOut {
        id: m.id,
        version: m.version,
        status: m.status.as_str().into(),
        source: m.source.as_str().into(),
        kind: m.kind.as_str().into(),
        summary: m.summary.clone(),
        grid: m.grid.as_str().into(),
        grid_name: s.grids.get(&m.grid).map(|g| g.name_zh.clone()),
        place: m.place.clone(),
        case_id: m.case_id,
        registered_at: ts(m.registered_at),
        conclude_due: ts(m.conclude_due),
        parties: serde_json::to_value(&m.parties).unwrap_or_default(),
        sessions: serde_json::to_value(&m.sessions).unwrap_or_default(),
        agreement: serde_json::to_value(&m.agreement).unwrap_or_default(),
        failure: m.failure.as_ref().map(|(r, n)| [r.as_str().into(), n.clone()]),
        extension_days: m.extension.as_ref().map(|e| e.0),
        follow_ups: serde_json::to_value(&m.follow_ups).unwrap_or_default(),
        judicial: serde_json::to_value(&m.judicial).unwrap_or_default(),
        judicial_until: m.agreement.as_ref().and_then(|a| a.effective_at).map(|t| ts(mediation::judicial_until(t))),
        money: MoneyOut {
            claimed: yuan(x.claimed),
            agreed: yuan(x.agreed),
            on_the_spot: yuan(x.on_the_spot),
            paid_later: yuan(x.paid_later),
            outstanding: yuan(x.outstanding),
            overdue: yuan(x.overdue),
        },
        next_due_at: duties.iter().filter(|d| d.state == DutyState::Open).map(|d| d.due_at).min().map(ts),
        duties: duties
            .iter()
            .map(|d| DutyOut {
                name: d.name.clone(),
                name_zh: mediation::duty_zh(&d.name),
                due_at: ts(d.due_at),
                kept_at: d.kept_at.map(ts),
                state: d.state.as_str().into(),
                level: d.level,
                overdue: d.missed(now),
            })
            .collect(),
        steps: serde_json::to_value(&m.events).unwrap_or_default(),
    }
}

/// Registers a dispute from a walk-in or a referral.
#[utoipa::path(post, path = "/api/v1/mediations", request_body = MediationIn, responses((status = 201, body = MediationOut)), security(("bearer" = [])))]
pub async fn create(
    State(s): State<Arc<AppState>>,
    session: Session,
    ApiJson(b): ApiJson<MediationIn>,
) -> ApiResult<(StatusCode, Json<MediationOut>)> {
    if !studio(session.role()) {
        return Err(ApiError::forbidden("the mediation studio registers disputes"));
    }
    let source = Source::parse(&b.source).filter(|s| *s != Source::Case).ok_or_else(|| {
        ApiError::invalid(
            "source must be walk_in, court, police or petition_office (a case uses /mediations/from-case)",
        )
    })?;
    let kind = Kind::parse(&b.kind).ok_or_else(|| ApiError::invalid("unknown kind of dispute"))?;
    let grid = GridCode::parse(&b.grid).map_err(|e| ApiError::invalid(e.0))?;
    if !s.grids.contains_key(&grid) {
        return Err(ApiError::invalid(format!("unknown grid {grid}")));
    }
    let new = NewMediation {
        source,
        kind,
        summary: b.summary,
        grid,
        place: b.place,
        case_id: None,
        parties: parties(b.parties, b.claimants)?,
        mediators: (session.role() == Role::Mediator).then_some(session.user.id).into_iter().collect(),
    };
    let m = app::mediations::register(&s.app, new, &session.actor()).await.map_err(rule)?;
    Ok((StatusCode::CREATED, Json(out(&s, &session, &m))))
}

/// A dispute case becomes a mediation with one step (the dispatcher or a mediator takes it).
#[utoipa::path(post, path = "/api/v1/mediations/from-case/{case_id}", responses((status = 201, body = MediationOut)), security(("bearer" = [])))]
pub async fn from_case(
    State(s): State<Arc<AppState>>,
    session: Session,
    Path(case_id): Path<String>,
) -> ApiResult<(StatusCode, Json<MediationOut>)> {
    if !(studio(session.role()) || session.role() == Role::Dispatcher) {
        return Err(ApiError::forbidden("dispatchers and mediators send a dispute to mediation"));
    }
    let case_id: i64 = case_id.parse().map_err(|_| ApiError::not_found("case"))?;
    let case = s.store.get_case(case_id).await?;
    if !app::access::covers(&s.app, &session.user, &case) {
        return Err(ApiError::not_found("case"));
    }
    let m = app::mediations::from_case(&s.app, case_id, &session.actor()).await.map_err(rule)?;
    Ok((StatusCode::CREATED, Json(out(&s, &session, &m))))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Comma-separated statuses; `open` for every open one.
    pub status: Option<String>,
    pub before_id: Option<i64>,
    pub limit: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/mediations", params(ListQuery), responses((status = 200, body = [MediationOut])), security(("bearer" = [])))]
pub async fn list(
    State(s): State<Arc<AppState>>,
    session: Session,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<Vec<MediationOut>>> {
    if !studio(session.role()) {
        return Err(ApiError::forbidden("the mediation studio's list"));
    }
    let status = match q.status.as_deref() {
        None | Some("") => None,
        Some("open") => Some(Status::ALL.iter().copied().filter(Status::is_open).collect()),
        Some(list) => Some(
            list.split(',')
                .map(|x| Status::parse(x.trim()).ok_or_else(|| ApiError::invalid(format!("unknown status {x:?}"))))
                .collect::<ApiResult<Vec<_>>>()?,
        ),
    };
    let filter = store::mediations::MediationFilter {
        status,
        before_id: q.before_id,
        limit: q.limit.unwrap_or(LIST_MAX).clamp(1, LIST_MAX),
    };
    Ok(Json(s.store.mediations(&filter).await?.iter().map(|m| out(&s, &session, m)).collect()))
}

async fn load(s: &AppState, session: &Session, id: &str) -> ApiResult<Mediation> {
    let m = s.store.mediation(parse_id(id)?).await?;
    if !studio(session.role()) {
        return Err(ApiError::not_found("mediation"));
    }
    Ok(m)
}

#[utoipa::path(get, path = "/api/v1/mediations/{id}", responses((status = 200, body = MediationOut)), security(("bearer" = [])))]
pub async fn get(
    State(s): State<Arc<AppState>>,
    session: Session,
    Path(id): Path<String>,
) -> ApiResult<Json<MediationOut>> {
    let m = load(&s, &session, &id).await?;
    Ok(Json(out(&s, &session, &m)))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OfferIn {
    pub party: usize,
    pub amount: f64,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InstalmentIn {
    /// A date (end of that day, Beijing time) or an RFC 3339 instant.
    pub due: String,
    pub amount: f64,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentIn {
    pub payer: usize,
    pub payee: usize,
    pub item: String,
    pub amount: f64,
    #[serde(default)]
    pub on_the_spot: f64,
    #[serde(default)]
    pub instalments: Vec<InstalmentIn>,
}

/// One step. `action` names it; the other fields are what it needs.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionIn {
    /// `add_parties`, `session`, `extend`, `agree`, `send_code` (text a party a confirmation
    /// code), `confirm` (`how`: `sms_code` with `code`, or `paper`), `mediator_confirm`, `pay`,
    /// `fail`, `record_follow_up`, `apply_judicial`, `judicial_decision`.
    pub action: String,
    pub version: Option<u32>,
    #[serde(default)]
    pub parties: Vec<PartyIn>,
    pub claimants: Option<ClaimantsIn>,
    #[serde(default)]
    pub attended: Vec<usize>,
    pub record: Option<String>,
    #[serde(default)]
    pub offers: Vec<OfferIn>,
    pub days: Option<u32>,
    pub consent: Option<String>,
    pub facts: Option<String>,
    pub responsibility: Option<String>,
    pub terms: Option<String>,
    #[serde(default)]
    pub payments: Vec<PaymentIn>,
    #[serde(default)]
    pub oral: bool,
    pub party: Option<usize>,
    pub how: Option<String>,
    pub payment: Option<usize>,
    pub instalment: Option<usize>,
    pub reason: Option<String>,
    pub follow_up: Option<usize>,
    pub court: Option<String>,
    pub confirmed: Option<bool>,
    /// For `confirm` by `sms_code`: the code the party received.
    pub code: Option<String>,
    pub note: Option<String>,
}

fn need<T>(v: Option<T>, field: &str) -> ApiResult<T> {
    v.ok_or_else(|| ApiError::invalid(format!("this step needs {field}")))
}

fn due(v: &str) -> ApiResult<domain::Timestamp> {
    chrono::DateTime::parse_from_rfc3339(v)
        .map(|t| t.with_timezone(&chrono::Utc))
        .or_else(|_| {
            chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d").map(|d| {
                (d.succ_opt().unwrap_or(d).and_hms_opt(0, 0, 0).expect("midnight") - chrono::Duration::hours(8))
                    .and_utc()
            })
        })
        .map_err(|_| ApiError::invalid("a due date is a date (2024-04-30) or an RFC 3339 instant"))
}

fn parse_action(id: i64, b: ActionIn) -> ApiResult<Action> {
    Ok(match b.action.as_str() {
        "add_parties" => Action::AddParties { parties: parties(b.parties, b.claimants)? },
        "session" => Action::Session {
            attended: b.attended,
            record: need(b.record, "record")?,
            offers: b
                .offers
                .into_iter()
                .map(|o| Ok(Offer { party: o.party, amount_fen: fen(o.amount, "an offer")?, note: o.note }))
                .collect::<ApiResult<_>>()?,
        },
        "extend" => Action::Extend { days: need(b.days, "days")?, consent: need(b.consent, "consent")? },
        "agree" => Action::Agree {
            facts: need(b.facts, "facts")?,
            responsibility: b.responsibility.unwrap_or_default(),
            terms: need(b.terms, "terms")?,
            oral: b.oral,
            payments: b
                .payments
                .into_iter()
                .map(|p| {
                    Ok(Payment {
                        payer: p.payer,
                        payee: p.payee,
                        item: p.item,
                        amount_fen: fen(p.amount, "a payment")?,
                        on_the_spot_fen: fen(p.on_the_spot, "the part paid on the spot")?,
                        instalments: p
                            .instalments
                            .iter()
                            .map(|i| {
                                Ok(Instalment {
                                    due_at: due(&i.due)?,
                                    amount_fen: fen(i.amount, "an instalment")?,
                                    paid_at: None,
                                })
                            })
                            .collect::<ApiResult<_>>()?,
                    })
                })
                .collect::<ApiResult<_>>()?,
        },
        "confirm" => {
            let party = need(b.party, "party")?;
            let how = need(b.how, "how")?;
            match how.as_str() {
                // The code the party received, typed back; compared as a hash.
                "sms_code" => Action::Confirm {
                    party,
                    how,
                    proof: Some(app::mediations::code_hash(id, party, &need(b.code, "code")?)),
                },
                "paper" => Action::Confirm { party, how, proof: None },
                _ => {
                    return Err(ApiError::invalid(
                        "confirm with how = sms_code (and the code) or paper; a drawn signature goes to /signature",
                    ))
                }
            }
        }
        "mediator_confirm" => Action::MediatorConfirm,
        "pay" => Action::Pay { payment: need(b.payment, "payment")?, instalment: need(b.instalment, "instalment")? },
        "fail" => Action::Fail {
            reason: FailReason::parse(&need(b.reason, "reason")?)
                .ok_or_else(|| ApiError::invalid("reason must be withdrawn, no_agreement, unreachable or referred"))?,
            note: need(b.note, "note")?,
        },
        "record_follow_up" => {
            Action::RecordFollowUp { follow_up: need(b.follow_up, "follow_up")?, note: need(b.note, "note")? }
        }
        "apply_judicial" => Action::ApplyJudicial { court: need(b.court, "court")? },
        "judicial_decision" => Action::JudicialDecision { confirmed: need(b.confirmed, "confirmed")? },
        other => return Err(ApiError::invalid(format!("unknown step {other:?}"))),
    })
}

#[utoipa::path(post, path = "/api/v1/mediations/{id}/actions", request_body = ActionIn,
    responses((status = 200, body = MediationOut), (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn act(
    State(s): State<Arc<AppState>>,
    session: Session,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ActionIn>,
) -> ApiResult<Json<MediationOut>> {
    let m = load(&s, &session, &id).await?;
    if !matches!(session.role(), Role::Mediator | Role::Admin) {
        return Err(ApiError::forbidden("mediators work the mediation"));
    }
    if b.version.is_some_and(|v| v != m.version) {
        return Err(ApiError::new(StatusCode::CONFLICT, "conflict", "the mediation changed meanwhile; reload it"));
    }
    if b.action == "send_code" {
        let after =
            app::mediations::send_code(&s.app, m.id, need(b.party, "party")?, &session.actor()).await.map_err(rule)?;
        return Ok(Json(out(&s, &session, &after)));
    }
    // Notes are free text beside a step; for `fail` the note is the reason's words.
    let note = if b.action == "fail" { None } else { b.note.clone() };
    let action = parse_action(m.id, b)?;
    let after = app::mediations::act(&s.app, m.id, &action, &session.actor(), note.as_deref()).await.map_err(rule)?;
    Ok(Json(out(&s, &session, &after)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PrintQuery {
    /// `zh` (default) or `en`.
    pub lang: Option<String>,
}

pub(crate) fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The agreement (人民调解协议书) as a printable page: one copy per party, in the layout of the
/// standard form — parties, the facts, each side's responsibility, the terms with the
/// payments and when each is performed, the signatures (or the record of an oral agreement).
#[utoipa::path(get, path = "/api/v1/mediations/{id}/agreement", params(PrintQuery), responses((status = 200, content_type = "text/html")), security(("bearer" = [])))]
pub async fn agreement(
    State(s): State<Arc<AppState>>,
    session: Session,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<PrintQuery>,
) -> ApiResult<axum::response::Html<String>> {
    let m = load(&s, &session, &id).await?;
    let a = m
        .agreement
        .as_ref()
        .ok_or_else(|| ApiError::new(StatusCode::CONFLICT, "invalid_transition", "no agreement yet"))?;
    let en = q.lang.as_deref() == Some("en");
    let l = |zh: &'static str, e: &'static str| if en { e } else { zh };
    let date = |t: domain::Timestamp| {
        let d = t.with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8")).date_naive();
        if en {
            d.format("%Y-%m-%d").to_string()
        } else {
            d.format("%Y年%m月%d日").to_string()
        }
    };
    let party_row = |i: usize, p: &Party| {
        format!(
            "<tr><td>{}</td><td>{}{}</td><td>{}</td><td>{}</td></tr>",
            if p.claimant { l("申请人", "Claimant") } else { l("被申请人", "Respondent") },
            esc(&p.name),
            p.representative
                .as_deref()
                .map(|r| format!("（{}：{}）", l("代表", "represented by"), esc(r)))
                .unwrap_or_default(),
            if p.organisation { l("单位", "Organisation") } else { l("个人", "Person") },
            i + 1
        )
    };
    let parties: String = m.parties.iter().enumerate().map(|(i, p)| party_row(i, p)).collect();
    let pays: String = a
        .payments
        .iter()
        .map(|p| {
            let later: Vec<String> = p
                .instalments
                .iter()
                .map(|i| format!("{} ¥{:.2}", date(i.due_at - chrono::Duration::seconds(1)), yuan(i.amount_fen)))
                .collect();
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>¥{:.2}</td><td>¥{:.2}</td><td>{}</td></tr>",
                esc(&m.parties[p.payer].name),
                esc(&m.parties[p.payee].name),
                esc(&p.item),
                yuan(p.amount_fen),
                yuan(p.on_the_spot_fen),
                if later.is_empty() { "—".into() } else { later.join("；") }
            )
        })
        .collect();
    let signed = |i: usize| a.confirmations.iter().find(|c| c.party == i);
    let copy = |n: usize| {
        let signatures: String = m
            .parties
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let how = signed(i).map(|c| {
                    format!(
                        "{} {}",
                        if c.how == "signature" {
                            l("已签名", "signed")
                        } else {
                            l("短信确认", "confirmed by text code")
                        },
                        date(c.at)
                    )
                });
                format!(
                    "<div class=\"sig\">{}：{}　{}</div>",
                    esc(&p.name),
                    how.unwrap_or_else(|| "＿＿＿＿＿＿".into()),
                    ""
                )
            })
            .collect();
        format!(
            "<section class=\"copy\"><h1>{}</h1><p class=\"no\">{}〔{}〕{}号 · {} {}/{}</p>\
             <table class=\"p\"><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>{parties}</table>\
             <h2>{}</h2><p>{}</p><h2>{}</h2><p>{}</p><h2>{}</h2><p>{}</p>\
             <table class=\"p\"><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>{pays}</table>\
             <p>{}</p>{}<p>{}</p>{signatures}<p class=\"sig\">{}：{}　{}</p></section>",
            l("人民调解协议书", "People's Mediation Agreement"),
            l("临调", "LJ-M"),
            a.at.with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8")).format("%Y"),
            m.id,
            l("第", "copy"),
            n + 1,
            m.parties.len() + 1,
            l("当事人", "Party"),
            l("姓名（名称）", "Name"),
            l("类别", "Kind"),
            l("序号", "No."),
            l("纠纷主要事实、争议事项", "Facts of the dispute"),
            esc(&a.facts),
            l("各方当事人的责任", "Each side's responsibility"),
            esc(&a.responsibility),
            l("达成协议的内容、履行方式和期限", "What was agreed, how and by when it is performed"),
            esc(&a.terms),
            l("付款方", "Payer"),
            l("收款方", "Payee"),
            l("事项", "Item"),
            l("金额", "Amount"),
            l("当场支付", "Paid on the spot"),
            l("分期支付（期限 金额）", "Instalments (due, amount)"),
            l(
                "本协议经双方当事人签名（或短信确认）、人民调解员签名并加盖调解委员会印章后生效。当事人可自协议生效之日起三十日内共同向人民法院申请司法确认。",
                "This agreement takes effect when every party has signed (or confirmed by text code) and the mediator has signed. The parties may jointly apply to the people's court for judicial confirmation within 30 days of it taking effect."
            ),
            if a.oral { format!("<p><strong>{}</strong></p>", l("本协议为口头协议，由调解员记录。", "An oral agreement, recorded by the mediator.")) } else { String::new() },
            l("当事人签名：", "Signatures of the parties:"),
            l("人民调解员", "Mediator"),
            a.mediator_confirmed_at.map(|t| format!("{} {}", l("已签名", "signed"), date(t))).unwrap_or_else(|| "＿＿＿＿＿＿".into()),
            format!("{}（{}）", l("临江街道人民调解委员会", "Linjiang Street People's Mediation Committee"), l("印", "seal")),
        )
    };
    let copies: String = (0..=m.parties.len()).map(copy).collect();
    Ok(axum::response::Html(format!(
        "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\"><title>{}</title><style>\
         body{{font:15px/1.7 'Noto Serif CJK SC','Noto Sans CJK SC',serif;margin:0;color:#000}}\
         .copy{{width:180mm;margin:10mm auto;page-break-after:always}} h1{{text-align:center;font-size:24px;letter-spacing:4px}}\
         h2{{font-size:16px;margin:12px 0 4px}} .no{{text-align:right}} table.p{{width:100%;border-collapse:collapse;margin:6px 0}}\
         table.p td,table.p th{{border:1px solid #000;padding:3px 6px;font-size:13px}} .sig{{margin:8px 0}}\
         @media print{{.copy{{margin:0 auto}}}}</style></head><body>{copies}</body></html>",
        if en { "en" } else { "zh-CN" },
        l("人民调解协议书", "Mediation agreement"),
    )))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SignatureQuery {
    /// The party signing (index, from 0).
    pub party: usize,
}

/// A party signs the agreement on the tablet: the drawing (PNG) is kept and confirms it.
#[utoipa::path(post, path = "/api/v1/mediations/{id}/signature", params(SignatureQuery), request_body(content = Vec<u8>, content_type = "image/png"),
    responses((status = 200, body = MediationOut)), security(("bearer" = [])))]
pub async fn signature(
    State(s): State<Arc<AppState>>,
    session: Session,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<SignatureQuery>,
    body: axum::body::Bytes,
) -> ApiResult<Json<MediationOut>> {
    let m = load(&s, &session, &id).await?;
    if !matches!(session.role(), Role::Mediator | Role::Admin) {
        return Err(ApiError::forbidden("mediators work the mediation"));
    }
    if q.party >= m.parties.len() {
        return Err(ApiError::invalid(format!("no party {}", q.party + 1)));
    }
    let (kind, clean) = crate::images::clean_upload(body).await?;
    let fid = s
        .store
        .add_matter_file(
            domain::obligation::MatterKind::Mediation,
            m.id,
            &format!("signature:{}", q.party),
            kind,
            &clean,
            session.user.id,
            &session.label(),
            s.clock.now(),
        )
        .await?;
    let action = Action::Confirm { party: q.party, how: "signature".into(), proof: Some(format!("file:{fid}")) };
    let after = app::mediations::act(&s.app, m.id, &action, &session.actor(), None).await.map_err(rule)?;
    Ok(Json(out(&s, &session, &after)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct FileQuery {
    /// `session:N` (a session's photo or paper) or `other`.
    pub purpose: String,
}

/// Adds a photo or scanned paper to a mediation (a session's record, evidence).
#[utoipa::path(post, path = "/api/v1/mediations/{id}/files", params(FileQuery), request_body(content = Vec<u8>, content_type = "image/jpeg"),
    responses((status = 201, body = crate::api::petitions::FileOut)), security(("bearer" = [])))]
pub async fn upload(
    State(s): State<Arc<AppState>>,
    session: Session,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<FileQuery>,
    body: axum::body::Bytes,
) -> ApiResult<(StatusCode, Json<crate::api::petitions::FileOut>)> {
    use domain::obligation::MatterKind;
    let m = load(&s, &session, &id).await?;
    if !matches!(session.role(), Role::Mediator | Role::Admin) {
        return Err(ApiError::forbidden("mediators work the mediation"));
    }
    let ok = q.purpose == "other"
        || q.purpose
            .strip_prefix("session:")
            .and_then(|n| n.parse::<usize>().ok())
            .is_some_and(|n| n < m.sessions.len());
    if !ok {
        return Err(ApiError::invalid("purpose must be session:N of a recorded session, or other"));
    }
    const FILES_MAX: usize = 100;
    if s.store.matter_files(MatterKind::Mediation, m.id).await?.len() >= FILES_MAX {
        return Err(ApiError::invalid(format!("a mediation holds at most {FILES_MAX} files")));
    }
    let (kind, clean) = crate::images::clean_upload(body).await?;
    let fid = s
        .store
        .add_matter_file(
            MatterKind::Mediation,
            m.id,
            &q.purpose,
            kind,
            &clean,
            session.user.id,
            &session.label(),
            s.clock.now(),
        )
        .await?;
    let f = s
        .store
        .matter_files(MatterKind::Mediation, m.id)
        .await?
        .into_iter()
        .find(|f| f.id == fid)
        .ok_or_else(|| ApiError::not_found("file"))?;
    Ok((StatusCode::CREATED, Json(crate::api::petitions::file_out("mediations", &f))))
}

/// The files of a mediation (session photos, signatures).
#[utoipa::path(get, path = "/api/v1/mediations/{id}/files", responses((status = 200, body = [crate::api::petitions::FileOut])), security(("bearer" = [])))]
pub async fn files(
    State(s): State<Arc<AppState>>,
    session: Session,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<crate::api::petitions::FileOut>>> {
    let m = load(&s, &session, &id).await?;
    let list = s.store.matter_files(domain::obligation::MatterKind::Mediation, m.id).await?;
    Ok(Json(list.iter().map(|f| crate::api::petitions::file_out("mediations", f)).collect()))
}

/// One file's bytes; each look audited.
#[utoipa::path(get, path = "/api/v1/mediations/{id}/files/{file}", responses((status = 200, content_type = "image/png")), security(("bearer" = [])))]
pub async fn file(
    State(s): State<Arc<AppState>>,
    session: Session,
    Path((id, file)): Path<(String, String)>,
) -> ApiResult<axum::response::Response> {
    let m = load(&s, &session, &id).await?;
    crate::api::petitions::send_file(&s, &session, domain::obligation::MatterKind::Mediation, m.id, &file).await
}

/// The joint application for judicial confirmation (司法确认申请书), pre-filled from the
/// agreement, for the parties to sign and take to the court within 30 days.
#[utoipa::path(get, path = "/api/v1/mediations/{id}/judicial-application", params(PrintQuery), responses((status = 200, content_type = "text/html")), security(("bearer" = [])))]
pub async fn judicial_application(
    State(s): State<Arc<AppState>>,
    session: Session,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<PrintQuery>,
) -> ApiResult<axum::response::Html<String>> {
    let m = load(&s, &session, &id).await?;
    let a = m
        .agreement
        .as_ref()
        .ok_or_else(|| ApiError::new(StatusCode::CONFLICT, "invalid_transition", "no agreement yet"))?;
    let effective = a.effective_at.ok_or_else(|| {
        ApiError::new(StatusCode::CONFLICT, "invalid_transition", "the agreement is not in effect yet")
    })?;
    let en = q.lang.as_deref() == Some("en");
    let l = |zh: &'static str, e: &'static str| if en { e } else { zh };
    let date = |t: domain::Timestamp| {
        let d = t.with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8")).date_naive();
        if en {
            d.format("%Y-%m-%d").to_string()
        } else {
            d.format("%Y年%m月%d日").to_string()
        }
    };
    let court = m.judicial.as_ref().map(|j| j.court.clone()).unwrap_or_else(|| "杭州市钱塘区人民法院".into());
    let rows: String = m
        .parties
        .iter()
        .map(|p| {
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"sign\"></td></tr>",
                if p.claimant {
                    l("申请人", "Applicant")
                } else {
                    l("申请人（被申请方）", "Applicant (respondent)")
                },
                esc(&p.name),
                esc(p.representative.as_deref().unwrap_or("")),
                esc(p.phone.as_deref().unwrap_or("")),
            )
        })
        .collect();
    Ok(axum::response::Html(format!(
        "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\"><title>{}</title><style>\
         body{{font:15px/1.8 'Noto Serif CJK SC','Noto Sans CJK SC',serif;margin:0}} main{{width:180mm;margin:12mm auto}}\
         h1{{text-align:center;letter-spacing:4px}} table{{width:100%;border-collapse:collapse}} td,th{{border:1px solid #000;padding:4px 6px;font-size:13px}}\
         td.sign{{width:30mm}}</style></head><body><main><h1>{}</h1><p>{}：{}</p>\
         <table><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>{rows}</table>\
         <h2>{}</h2><p>{}</p><h2>{}</h2><p>{}</p><p>{}</p><p style=\"text-align:right\">{}　{}</p></main></body></html>",
        if en { "en" } else { "zh-CN" },
        l("司法确认申请书", "Application for judicial confirmation"),
        l("司法确认申请书", "Application for judicial confirmation"),
        l("致", "To"),
        esc(&court),
        l("当事人", "Party"),
        l("姓名（名称）", "Name"),
        l("代表人", "Representative"),
        l("联系电话", "Phone"),
        l("签名", "Signature"),
        l("请求事项", "Request"),
        format_args!(
            "{}{}{}",
            l("请求确认申请人于", "To confirm the mediation agreement the applicants reached on "),
            date(effective),
            l("经临江街道人民调解委员会主持调解达成的调解协议有效。", " under the Linjiang Street People's Mediation Committee as valid.")
        ),
        l("事实与理由", "Facts and reasons"),
        format_args!("{} {}", esc(&a.facts), esc(&a.terms)),
        l(
            "申请人出于解决纠纷的目的自愿达成协议，没有恶意串通、规避法律的行为；如因虚假陈述造成损失，愿承担相应责任。申请人在本协议生效之日起三十日内共同提出申请。",
            "The applicants reached the agreement of their own will to settle the dispute, without collusion or evasion of the law, and answer for any loss a false statement causes. They apply jointly within 30 days of the agreement taking effect."
        ),
        l("申请日期：", "Date:"),
        date(mediation::judicial_until(effective).min(s.clock.now())),
    )))
}
