//! The mediation studio (调解工作室): disputes with any number of parties and claims,
//! sessions over days with offers, an agreement with the items of 人民调解法 Art. 29
//! confirmed by every party, money paid on the spot and in instalments, follow-ups and the
//! 30-day window to apply for judicial confirmation (司法确认).
//!
//! ```text
//! registered ─session→ in_session ─agree→ agreed ─(all paid)→ performed
//!      │                   │                 └─ (a payment missed: escalated, still agreed)
//!      └──────── fail ─────┴→ failed (withdrawn, no agreement, unreachable, referred)
//! ```
//!
//! Duties as obligations ([`obligations`]): concluding within the time limit (30 days by
//! default, extended only with the parties' consent); each instalment of the agreement, owed
//! by its payer and watched by the mediator; follow-up visits; closing once everything is
//! performed. Money is kept in fen (integers).

use crate::case::{Actor, UserId};
use crate::codes::GridCode;
use crate::deadline::{Span, WorkingCalendar};
use crate::obligation::{Counting, Obligation, Owner, State as DutyState, Terms};
use crate::role::Role;
use crate::Timestamp;
use serde::{Deserialize, Serialize};

pub type MediationId = i64;

/// Most parties one dispute holds (a group of claimants is entered as a list).
pub const PARTIES_MAX: usize = 500;
/// Longest text (summary, record, terms), in characters.
pub const TEXT_CHARS_MAX: usize = 8000;
/// Largest amount of one claim or payment: ¥100 million, in fen.
pub const AMOUNT_FEN_MAX: i64 = 10_000_000_000;
/// Most instalments one payment is split into.
pub const INSTALMENTS_MAX: usize = 24;
/// Days after the agreement takes effect to apply jointly for judicial confirmation.
pub const JUDICIAL_WINDOW_DAYS: u32 = 30;

names! {
    /// Where the dispute came from.
    Source { Case => "case", WalkIn => "walk_in", Court => "court", Police => "police", PetitionOffice => "petition_office" }
}

names! {
    /// The kind of dispute.
    Kind { Wages => "wages", Freight => "freight", Neighbours => "neighbours", Consumer => "consumer",
           Family => "family", Traffic => "traffic", Property => "property", Other => "other" }
}

names! {
    Status { Registered => "registered", InSession => "in_session", Agreed => "agreed",
             Performed => "performed", Failed => "failed" }
}

names! {
    /// Why a mediation failed.
    FailReason { Withdrawn => "withdrawn", NoAgreement => "no_agreement", Unreachable => "unreachable",
                 Referred => "referred" }
}

impl Status {
    pub fn is_open(&self) -> bool {
        matches!(self, Status::Registered | Status::InSession | Status::Agreed)
    }
}

/// The configurable time limits.
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    /// To conclude (agree or fail) from registration.
    pub conclude: Span,
    /// A follow-up visit after the agreement.
    pub follow_up_after: Span,
    pub calendar: WorkingCalendar,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            conclude: Span::CalendarDays(30),
            follow_up_after: Span::CalendarDays(7),
            calendar: WorkingCalendar::default(),
        }
    }
}

/// One claim of a party: what and how much (fen).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claim {
    pub item: String,
    pub amount_fen: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Party {
    pub name: String,
    /// A person, or an organisation (a company).
    pub organisation: bool,
    /// Claims money or performance (申请人) rather than answers the claim (被申请人).
    pub claimant: bool,
    pub representative: Option<String>,
    pub phone: Option<String>,
    pub claims: Vec<Claim>,
}

/// An offer or counter-offer made in a session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Offer {
    pub party: usize,
    pub amount_fen: i64,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub at: Timestamp,
    /// Parties present (indexes).
    pub attended: Vec<usize>,
    pub mediators: Vec<UserId>,
    /// The record (笔录): what was said and offered.
    pub record: String,
    pub offers: Vec<Offer>,
}

/// One payment of the agreement: by `payer` to `payee`, part on the spot, the rest in
/// instalments.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Payment {
    pub payer: usize,
    pub payee: usize,
    pub item: String,
    pub amount_fen: i64,
    pub on_the_spot_fen: i64,
    pub instalments: Vec<Instalment>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Instalment {
    pub due_at: Timestamp,
    pub amount_fen: i64,
    pub paid_at: Option<Timestamp>,
}

/// A party's confirmation of the agreement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Confirmation {
    pub party: usize,
    pub at: Timestamp,
    /// `signature` (drawn on the tablet; `proof` names the stored drawing), `sms_code` (the
    /// code texted to the party's phone, typed back) or `paper` (signed on the printed copy,
    /// recorded by the mediator).
    pub how: String,
    #[serde(default)]
    pub proof: Option<String>,
}

/// A confirmation code texted to a party: its hash and until when it is good.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CodeSent {
    pub party: usize,
    pub hash: String,
    pub expires_at: Timestamp,
}

/// The agreement (调解协议), with the items of 人民调解法 Art. 29.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Agreement {
    pub at: Timestamp,
    /// The basic facts of the dispute.
    pub facts: String,
    /// Each side's responsibility.
    pub responsibility: String,
    /// What was agreed, and how and by when it is performed.
    pub terms: String,
    pub payments: Vec<Payment>,
    /// Agreed orally (recorded as such, no signatures).
    pub oral: bool,
    pub confirmations: Vec<Confirmation>,
    pub mediator_confirmed_at: Option<Timestamp>,
    /// When every party and the mediator confirmed: the agreement takes effect.
    pub effective_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FollowUp {
    pub due_at: Timestamp,
    pub done_at: Option<Timestamp>,
    pub by: Option<String>,
    pub note: Option<String>,
}

/// The court's judicial confirmation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Judicial {
    pub applied_at: Timestamp,
    pub court: String,
    /// The decision: confirmed or not, and when.
    pub decided: Option<(bool, Timestamp)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub seq: u32,
    pub at: Timestamp,
    pub actor: Actor,
    pub action: String,
    pub to: Status,
    pub note: Option<String>,
    pub duty: Option<String>,
    pub due_at: Option<Timestamp>,
    pub level: Option<u8>,
}

/// What is entered when a dispute comes to the studio.
#[derive(Debug, Clone, PartialEq)]
pub struct NewMediation {
    pub source: Source,
    pub kind: Kind,
    pub summary: String,
    pub grid: GridCode,
    pub place: Option<String>,
    pub case_id: Option<i64>,
    pub parties: Vec<Party>,
    pub mediators: Vec<UserId>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mediation {
    pub id: MediationId,
    pub version: u32,
    pub source: Source,
    pub kind: Kind,
    pub summary: String,
    pub grid: GridCode,
    pub place: Option<String>,
    /// The case it came from (the case names it too).
    pub case_id: Option<i64>,
    pub parties: Vec<Party>,
    pub mediators: Vec<UserId>,
    pub status: Status,
    pub registered_at: Timestamp,
    pub conclude_due: Timestamp,
    /// Days added with the parties' consent, and how they consented.
    pub extension: Option<(u32, String)>,
    pub sessions: Vec<Session>,
    pub agreement: Option<Agreement>,
    pub failure: Option<(FailReason, String)>,
    pub concluded_at: Option<Timestamp>,
    pub follow_ups: Vec<FollowUp>,
    pub judicial: Option<Judicial>,
    pub performed_at: Option<Timestamp>,
    /// Confirmation codes texted to parties (hashes only).
    #[serde(default)]
    pub codes: Vec<CodeSent>,
    pub updated_at: Timestamp,
    pub events: Vec<Event>,
}

/// A requested step.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    AddParties {
        parties: Vec<Party>,
    },
    Session {
        attended: Vec<usize>,
        record: String,
        offers: Vec<Offer>,
    },
    Extend {
        days: u32,
        consent: String,
    },
    Agree {
        facts: String,
        responsibility: String,
        terms: String,
        payments: Vec<Payment>,
        oral: bool,
    },
    /// A code texted to a party (the caller makes it and sends it; the hash is kept).
    SendCode {
        party: usize,
        hash: String,
        expires_at: Timestamp,
    },
    /// `how` is `signature` (proof: the stored drawing's id), `sms_code` (proof: the hash of
    /// the code the party typed) or `paper`.
    Confirm {
        party: usize,
        how: String,
        proof: Option<String>,
    },
    MediatorConfirm,
    Pay {
        payment: usize,
        instalment: usize,
    },
    Fail {
        reason: FailReason,
        note: String,
    },
    RecordFollowUp {
        follow_up: usize,
        note: String,
    },
    ApplyJudicial {
        court: String,
    },
    JudicialDecision {
        confirmed: bool,
    },
}

impl Action {
    pub fn name(&self) -> &'static str {
        match self {
            Action::AddParties { .. } => "add_parties",
            Action::Session { .. } => "session",
            Action::Extend { .. } => "extend",
            Action::Agree { .. } => "agree",
            Action::SendCode { .. } => "send_code",
            Action::Confirm { .. } => "confirm",
            Action::MediatorConfirm => "mediator_confirm",
            Action::Pay { .. } => "pay",
            Action::Fail { .. } => "fail",
            Action::RecordFollowUp { .. } => "record_follow_up",
            Action::ApplyJudicial { .. } => "apply_judicial",
            Action::JudicialDecision { .. } => "judicial_decision",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MediationError {
    #[error("cannot {action} a mediation that is {status}")]
    InvalidStep { action: &'static str, status: &'static str },
    #[error("{0}")]
    Invalid(String),
    #[error("the step is dated before the mediation's last step")]
    TimeTravel,
}

fn invalid(m: impl Into<String>) -> MediationError {
    MediationError::Invalid(m.into())
}

fn text(field: &str, v: &str, required: bool) -> Result<String, MediationError> {
    let v = v.trim();
    let n = v.chars().count();
    if (required && n == 0) || n > TEXT_CHARS_MAX {
        return Err(invalid(format!("{field} needs {} to {TEXT_CHARS_MAX} characters", usize::from(required))));
    }
    Ok(v.to_owned())
}

fn amount(field: &str, fen: i64, zero_ok: bool) -> Result<i64, MediationError> {
    if fen > AMOUNT_FEN_MAX || fen < 0 || (!zero_ok && fen == 0) {
        return Err(invalid(format!("{field} must be {} to ¥100,000,000", if zero_ok { "0" } else { "more than 0" })));
    }
    Ok(fen)
}

fn check_parties(parties: &[Party]) -> Result<(), MediationError> {
    for p in parties {
        text("a party's name", &p.name, true)?;
        for c in &p.claims {
            text("a claim's item", &c.item, true)?;
            amount("a claim", c.amount_fen, true)?;
        }
    }
    Ok(())
}

/// Registers a dispute. `id` comes from the store.
pub fn register(
    id: MediationId,
    new: NewMediation,
    actor: Actor,
    at: Timestamp,
    limits: &Limits,
) -> Result<Mediation, MediationError> {
    if new.parties.len() > PARTIES_MAX {
        return Err(invalid(format!("a dispute holds at most {PARTIES_MAX} parties")));
    }
    check_parties(&new.parties)?;
    let summary = text("the summary", &new.summary, true)?;
    Ok(Mediation {
        id,
        version: 1,
        source: new.source,
        kind: new.kind,
        summary,
        grid: new.grid,
        place: new.place,
        case_id: new.case_id,
        parties: new.parties,
        mediators: new.mediators,
        status: Status::Registered,
        registered_at: at,
        conclude_due: limits.calendar.due(at, limits.conclude),
        extension: None,
        sessions: vec![],
        agreement: None,
        failure: None,
        concluded_at: None,
        follow_ups: vec![],
        judicial: None,
        performed_at: None,
        codes: vec![],
        updated_at: at,
        events: vec![Event {
            seq: 1,
            at,
            actor,
            action: "register".into(),
            to: Status::Registered,
            note: None,
            duty: None,
            due_at: None,
            level: None,
        }],
    })
}

/// Applies one step. On success one more event and a higher version; on error nothing changed.
pub fn apply(
    m: &Mediation,
    action: &Action,
    actor: &Actor,
    note: Option<&str>,
    at: Timestamp,
    limits: &Limits,
) -> Result<Mediation, MediationError> {
    use Status as S;
    if at < m.updated_at {
        return Err(MediationError::TimeTravel);
    }
    let wrong = || MediationError::InvalidStep { action: action.name(), status: m.status.as_str() };
    let note = note.map(str::trim).filter(|n| !n.is_empty()).map(|n| text("the note", n, true)).transpose()?;
    let mut c = m.clone();
    let party = |i: usize| if i < m.parties.len() { Ok(i) } else { Err(invalid(format!("no party {}", i + 1))) };
    match action {
        Action::AddParties { parties } => {
            if !matches!(c.status, S::Registered | S::InSession) {
                return Err(wrong());
            }
            if c.parties.len() + parties.len() > PARTIES_MAX {
                return Err(invalid(format!("a dispute holds at most {PARTIES_MAX} parties")));
            }
            check_parties(parties)?;
            c.parties.extend(parties.iter().cloned());
        }
        Action::Session { attended, record, offers } => {
            if !matches!(c.status, S::Registered | S::InSession) {
                return Err(wrong());
            }
            for i in attended {
                party(*i)?;
            }
            for o in offers {
                party(o.party)?;
                amount("an offer", o.amount_fen, true)?;
            }
            let mut mediators = c.mediators.clone();
            if actor.role == Role::Mediator && !mediators.contains(&actor.user_id) {
                mediators.push(actor.user_id);
            }
            c.sessions.push(Session {
                at,
                attended: attended.clone(),
                mediators,
                record: text("the record", record, true)?,
                offers: offers.clone(),
            });
            c.status = S::InSession;
        }
        Action::Extend { days, consent } => {
            if !matches!(c.status, S::Registered | S::InSession) || c.extension.is_some() {
                return Err(wrong());
            }
            if *days == 0 || *days > 90 {
                return Err(invalid("an extension is 1 to 90 days, once, with the parties' consent"));
            }
            let consent = text("how the parties consented", consent, true)?;
            c.conclude_due = limits
                .calendar
                .due(c.conclude_due - chrono::Duration::days(1), Span::CalendarDays(*days))
                .max(c.conclude_due);
            c.extension = Some((*days, consent));
        }
        Action::Agree { facts, responsibility, terms, payments, oral } => {
            if !matches!(c.status, S::Registered | S::InSession) {
                return Err(wrong());
            }
            if c.parties.len() < 2 {
                return Err(invalid("an agreement needs at least two parties"));
            }
            for p in payments {
                party(p.payer)?;
                party(p.payee)?;
                amount("a payment", p.amount_fen, false)?;
                amount("the part paid on the spot", p.on_the_spot_fen, true)?;
                text("a payment's item", &p.item, true)?;
                if p.instalments.len() > INSTALMENTS_MAX {
                    return Err(invalid(format!("a payment has at most {INSTALMENTS_MAX} instalments")));
                }
                let later: i64 = p.instalments.iter().map(|i| i.amount_fen).sum();
                if p.on_the_spot_fen + later != p.amount_fen
                    || p.instalments.iter().any(|i| i.amount_fen <= 0 || i.due_at <= at || i.paid_at.is_some())
                {
                    return Err(invalid(format!(
                        "the payment \"{}\": paid on the spot plus the instalments (each later than today) must add up to the amount",
                        p.item
                    )));
                }
            }
            c.agreement = Some(Agreement {
                at,
                facts: text("the facts", facts, true)?,
                responsibility: text("the responsibility", responsibility, !oral)?,
                terms: text("the terms", terms, true)?,
                payments: payments.clone(),
                oral: *oral,
                confirmations: vec![],
                mediator_confirmed_at: None,
                effective_at: None,
            });
            c.concluded_at = Some(at);
            c.follow_ups.push(FollowUp {
                due_at: limits.calendar.due(at, limits.follow_up_after),
                done_at: None,
                by: None,
                note: None,
            });
            c.status = S::Agreed;
        }
        Action::SendCode { party: i, hash, expires_at } => {
            party(*i)?;
            let a = c.agreement.as_ref().ok_or_else(wrong)?;
            if a.oral || a.confirmations.iter().any(|x| x.party == *i) {
                return Err(wrong());
            }
            if c.parties[*i].phone.is_none() {
                return Err(invalid(format!("{} has no phone to text a code to", c.parties[*i].name)));
            }
            c.codes.retain(|x| x.party != *i);
            c.codes.push(CodeSent { party: *i, hash: hash.clone(), expires_at: *expires_at });
        }
        Action::Confirm { party: i, how, proof } => {
            let n = c.parties.len();
            party(*i)?;
            match (how.as_str(), proof) {
                ("sms_code", Some(h)) => {
                    let good = c.codes.iter().any(|x| x.party == *i && &x.hash == h && x.expires_at >= at);
                    if !good {
                        return Err(invalid("the code is wrong or has expired; send a new one"));
                    }
                }
                ("signature", Some(_)) | ("paper", None) => {}
                _ => {
                    return Err(invalid(
                        "a party confirms with a drawn signature, the code texted to them, or on the paper copy",
                    ))
                }
            }
            let a = c.agreement.as_mut().ok_or_else(wrong)?;
            if a.confirmations.iter().any(|x| x.party == *i) || a.oral {
                return Err(wrong());
            }
            a.confirmations.push(Confirmation { party: *i, at, how: how.clone(), proof: proof.clone() });
            c.codes.retain(|x| x.party != *i);
            take_effect(a, n, at);
        }
        Action::MediatorConfirm => {
            let n = c.parties.len();
            let a = c.agreement.as_mut().ok_or_else(wrong)?;
            if a.mediator_confirmed_at.is_some() {
                return Err(wrong());
            }
            a.mediator_confirmed_at = Some(at);
            take_effect(a, n, at);
        }
        Action::Pay { payment, instalment } => {
            if c.status != S::Agreed {
                return Err(wrong());
            }
            let a = c.agreement.as_mut().ok_or_else(wrong)?;
            let i = a
                .payments
                .get_mut(*payment)
                .and_then(|p| p.instalments.get_mut(*instalment))
                .ok_or_else(|| invalid("no such instalment"))?;
            if i.paid_at.is_some() {
                return Err(wrong());
            }
            i.paid_at = Some(at);
        }
        Action::Fail { reason, note: why } => {
            if !matches!(c.status, S::Registered | S::InSession) {
                return Err(wrong());
            }
            c.failure = Some((*reason, text("the reason", why, true)?));
            c.concluded_at = Some(at);
            c.status = S::Failed;
        }
        Action::RecordFollowUp { follow_up, note: said } => {
            let f = c.follow_ups.get_mut(*follow_up).ok_or_else(|| invalid("no such follow-up"))?;
            if f.done_at.is_some() {
                return Err(wrong());
            }
            f.done_at = Some(at);
            f.by = Some(actor.username.clone());
            f.note = Some(text("what was found", said, true)?);
        }
        Action::ApplyJudicial { court } => {
            let effective = c.agreement.as_ref().and_then(|a| a.effective_at).ok_or_else(wrong)?;
            if c.judicial.is_some() {
                return Err(wrong());
            }
            if at > judicial_until(effective) {
                return Err(invalid(format!(
                    "judicial confirmation must be applied for within {JUDICIAL_WINDOW_DAYS} days of the agreement"
                )));
            }
            c.judicial = Some(Judicial { applied_at: at, court: text("the court", court, true)?, decided: None });
        }
        Action::JudicialDecision { confirmed } => {
            let j = c.judicial.as_mut().ok_or_else(wrong)?;
            if j.decided.is_some() {
                return Err(wrong());
            }
            j.decided = Some((*confirmed, at));
        }
    }
    // Everything agreed is paid and every visit made: performed.
    if c.status == S::Agreed
        && c.agreement.as_ref().is_some_and(all_paid)
        && c.follow_ups.iter().all(|f| f.done_at.is_some())
    {
        c.status = S::Performed;
        c.performed_at = Some(at);
    }
    c.events.push(Event {
        seq: c.events.len() as u32 + 1,
        at,
        actor: actor.clone(),
        action: action.name().into(),
        to: c.status,
        note,
        duty: None,
        due_at: None,
        level: None,
    });
    c.version += 1;
    c.updated_at = at;
    Ok(c)
}

fn take_effect(a: &mut Agreement, parties: usize, at: Timestamp) {
    // An oral agreement is recorded by the mediator, who confirms it; a written one needs
    // every party as well.
    let parties_done = a.oral || (0..parties).all(|i| a.confirmations.iter().any(|x| x.party == i));
    if a.effective_at.is_none() && a.mediator_confirmed_at.is_some() && parties_done {
        a.effective_at = Some(at);
    }
}

fn all_paid(a: &Agreement) -> bool {
    a.payments.iter().all(|p| p.instalments.iter().all(|i| i.paid_at.is_some()))
}

/// The last moment to apply jointly for judicial confirmation.
pub fn judicial_until(effective_at: Timestamp) -> Timestamp {
    effective_at + chrono::Duration::days(JUDICIAL_WINDOW_DAYS as i64)
}

/// Money of a mediation, in fen: claimed, agreed, paid on the spot, paid later, overdue at `now`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Money {
    pub claimed: i64,
    pub agreed: i64,
    pub on_the_spot: i64,
    pub paid_later: i64,
    pub outstanding: i64,
    pub overdue: i64,
}

pub fn money(m: &Mediation, now: Timestamp) -> Money {
    let mut x =
        Money { claimed: m.parties.iter().flat_map(|p| &p.claims).map(|c| c.amount_fen).sum(), ..Default::default() };
    if let Some(a) = &m.agreement {
        for p in &a.payments {
            x.agreed += p.amount_fen;
            x.on_the_spot += p.on_the_spot_fen;
            for i in &p.instalments {
                match i.paid_at {
                    Some(_) => x.paid_later += i.amount_fen,
                    None => {
                        x.outstanding += i.amount_fen;
                        if i.due_at < now {
                            x.overdue += i.amount_fen;
                        }
                    }
                }
            }
        }
    }
    x
}

/// The duties a mediation owes, as obligations.
pub fn obligations(m: &Mediation, terms: &Terms, limits: &Limits) -> Vec<Obligation> {
    let open = m.status.is_open();
    let mediator = m.mediators.first().map(|u| Owner::User(*u)).unwrap_or(Owner::Role(Role::Mediator));
    let mut out = vec![];
    let history = alert_history(m);
    let mut duty = |name: String,
                    owner: Owner,
                    counting: Counting,
                    starts_at: Timestamp,
                    due_at: Timestamp,
                    kept_at: Option<Timestamp>| {
        let level = crate::obligation::level_of(&history, &name, due_at);
        out.push(Obligation {
            name,
            owner,
            counting,
            starts_at,
            due_at,
            kept_at,
            state: match (kept_at, open) {
                (Some(_), _) => DutyState::Kept,
                (None, true) => DutyState::Open,
                (None, false) => DutyState::Dropped,
            },
            ladder: terms.ladder.clone(),
            level,
            next_alert_at: None,
        });
    };
    let days = |s: Span| match s {
        Span::Time(_) => Counting::Minutes,
        Span::CalendarDays(_) => Counting::CalendarDays,
        Span::WorkingDays(_) => Counting::WorkingDays,
    };
    duty("conclude".into(), mediator.clone(), days(limits.conclude), m.registered_at, m.conclude_due, m.concluded_at);
    if let Some(a) = &m.agreement {
        for (i, p) in a.payments.iter().enumerate() {
            for (j, k) in p.instalments.iter().enumerate() {
                duty(
                    format!("instalment:{i}:{j}"),
                    mediator.clone(),
                    Counting::CalendarDays,
                    a.at,
                    k.due_at,
                    k.paid_at,
                );
            }
        }
        for (i, f) in m.follow_ups.iter().enumerate() {
            duty(format!("follow_up:{i}"), mediator.clone(), days(limits.follow_up_after), a.at, f.due_at, f.done_at);
        }
        // Seeing the agreement performed: owed while agreed, due with the last instalment.
        if m.status == Status::Agreed {
            let last = a
                .payments
                .iter()
                .flat_map(|p| p.instalments.iter().map(|i| i.due_at))
                .chain(m.follow_ups.iter().map(|f| f.due_at))
                .max();
            duty("perform".into(), mediator.clone(), Counting::CalendarDays, a.at, last.unwrap_or(a.at), None);
        }
    }
    crate::obligation::fill_next_alerts(&mut out, &history, terms.warn_fraction);
    out
}

fn alert_history(m: &Mediation) -> Vec<crate::obligation::AlertRecord<'_>> {
    m.events
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
pub fn record_alerts(
    m: &Mediation,
    now: Timestamp,
    terms: &Terms,
    limits: &Limits,
    actor: &Actor,
) -> Option<Mediation> {
    let due = crate::obligation::due_alerts(&obligations(m, terms, limits), &alert_history(m), now, terms);
    if due.is_empty() {
        return None;
    }
    let mut c = m.clone();
    let at = now.max(c.updated_at);
    for d in due {
        c.events.push(Event {
            seq: c.events.len() as u32 + 1,
            at,
            actor: actor.clone(),
            action: if d.level.is_some() { "escalate" } else { "warn" }.into(),
            to: c.status,
            note: None,
            duty: Some(d.duty),
            due_at: Some(d.due_at),
            level: d.level,
        });
        c.version += 1;
    }
    c.updated_at = at;
    Some(c)
}

/// Duty names in the studio's words.
pub fn duty_zh(name: &str) -> String {
    let parts: Vec<&str> = name.split(':').collect();
    let n = |i: usize| parts.get(i).and_then(|x| x.parse::<usize>().ok()).map(|x| x + 1).unwrap_or(0);
    match parts[0] {
        "conclude" => "调解期限".into(),
        "instalment" => format!("第{}笔款项第{}期", n(1), n(2)),
        "follow_up" => format!("第{}次回访", n(1)),
        "perform" => "协议履行完毕".into(),
        _ => name.into(),
    }
}

/// Parses a group of claimants pasted or read from CSV: one per line, `name,amount in yuan[,phone]`
/// (a header line is skipped; Chinese or ASCII commas). Each becomes a claimant with one claim
/// of `item`.
pub fn claimants_from_csv(text: &str, item: &str) -> Result<Vec<Party>, MediationError> {
    let mut out = vec![];
    for (i, line) in text.lines().enumerate() {
        let line = line.trim().trim_start_matches('\u{feff}');
        if line.is_empty() {
            continue;
        }
        let cols: Vec<&str> = line.split([',', '，', '\t']).map(str::trim).collect();
        let yuan = cols.get(1).copied().unwrap_or_default().replace(['¥', '￥', ' '], "");
        let Ok(amount) = yuan.parse::<f64>() else {
            if i == 0 {
                continue; // a header
            }
            return Err(invalid(format!("line {}: \"{line}\" is not name,amount[,phone]", i + 1)));
        };
        if !(0.0..=(AMOUNT_FEN_MAX as f64 / 100.0)).contains(&amount) || cols[0].is_empty() {
            return Err(invalid(format!("line {}: a name and an amount from ¥0 to ¥100,000,000", i + 1)));
        }
        out.push(Party {
            name: cols[0].to_owned(),
            organisation: false,
            claimant: true,
            representative: None,
            phone: cols.get(2).filter(|p| !p.is_empty()).map(|p| (*p).to_owned()),
            claims: vec![Claim { item: item.to_owned(), amount_fen: (amount * 100.0).round() as i64 }],
        });
    }
    if out.is_empty() {
        return Err(invalid("the list holds no claimant"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone, Utc};
    use proptest::prelude::*;

    fn mediator() -> Actor {
        Actor { user_id: 7, username: "mediator".into(), role: Role::Mediator }
    }

    fn t0() -> Timestamp {
        Utc.with_ymd_and_hms(2024, 3, 4, 1, 0, 0).unwrap()
    }

    fn day(n: i64) -> Timestamp {
        t0() + Duration::days(n)
    }

    fn freight() -> Mediation {
        let workers = claimants_from_csv(
            &(0..20)
                .map(|i| format!("送货工人{i},{},1380000{:04}", 30_000 + i * 1_000, i))
                .collect::<Vec<_>>()
                .join("\n"),
            "运费",
        )
        .unwrap();
        let mut parties = vec![Party {
            name: "某运输公司".into(),
            organisation: true,
            claimant: false,
            representative: Some("经理 钱某".into()),
            phone: None,
            claims: vec![],
        }];
        parties.extend(workers);
        register(
            1,
            NewMediation {
                source: Source::Case,
                kind: Kind::Freight,
                summary: "近20名送货工人向某运输公司催讨运费".into(),
                grid: GridCode::parse("330114004001001").unwrap(),
                place: Some("传化公路港调解工作室".into()),
                case_id: Some(12),
                parties,
                mediators: vec![7],
            },
            mediator(),
            t0(),
            &Limits::default(),
        )
        .unwrap()
    }

    fn agree(m: &Mediation, at: Timestamp) -> Mediation {
        let pay = |payee: usize| Payment {
            payer: 0,
            payee,
            item: "运费".into(),
            amount_fen: 3_600_000,
            on_the_spot_fen: 2_000_000,
            instalments: vec![Instalment { due_at: at + Duration::days(30), amount_fen: 1_600_000, paid_at: None }],
        };
        apply(
            m,
            &Action::Agree {
                facts: "运输公司拖欠运费".into(),
                responsibility: "公司承担支付责任".into(),
                terms: "当场支付部分，余款30日内付清".into(),
                payments: (1..=20).map(pay).collect(),
                oral: false,
            },
            &mediator(),
            None,
            at,
            &Limits::default(),
        )
        .unwrap()
    }

    #[test]
    fn an_oral_agreement_takes_effect_when_the_mediator_records_it() {
        let l = Limits::default();
        let oral = apply(
            &freight(),
            &Action::Agree {
                facts: "邻里漏水".into(),
                responsibility: String::new(),
                terms: "楼上负责维修".into(),
                payments: vec![],
                oral: true,
            },
            &mediator(),
            None,
            day(1),
            &l,
        )
        .unwrap();
        assert!(apply(
            &oral,
            &Action::Confirm { party: 1, how: "paper".into(), proof: None },
            &mediator(),
            None,
            day(1),
            &l
        )
        .is_err());
        let done = apply(&oral, &Action::MediatorConfirm, &mediator(), None, day(1), &l).unwrap();
        assert_eq!(done.agreement.unwrap().effective_at, Some(day(1)));
    }

    #[test]
    fn a_list_of_claimants_reads_from_csv() {
        let ps = claimants_from_csv("姓名,金额,电话\n张三，1234.5，13800138000\n李四,¥800\n", "运费").unwrap();
        assert_eq!(ps.len(), 2);
        assert_eq!(ps[0].claims[0].amount_fen, 123_450);
        assert_eq!(ps[0].phone.as_deref(), Some("13800138000"));
        assert!(claimants_from_csv("张三,abc\n李四,xyz", "运费").is_err());
        assert!(claimants_from_csv("", "运费").is_err());
    }

    #[test]
    fn the_freight_money_is_agreed_confirmed_and_paid() {
        let l = Limits::default();
        let mut m = freight();
        assert_eq!(money(&m, t0()).claimed, (0..20).map(|i| (30_000 + i * 1_000) * 100).sum::<i64>());
        for d in 0..4 {
            m = apply(
                &m,
                &Action::Session {
                    attended: vec![0, 1, 2],
                    record: format!("第{}次调解", d + 1),
                    offers: vec![Offer {
                        party: 0, amount_fen: 50_000_000 + d * 5_000_000, note: "公司报价".into()
                    }],
                },
                &mediator(),
                None,
                day(d),
                &l,
            )
            .unwrap();
        }
        let m = agree(&m, day(3) + Duration::hours(5));
        assert_eq!(m.status, Status::Agreed);
        let x = money(&m, day(4));
        assert_eq!((x.agreed, x.on_the_spot, x.outstanding), (72_000_000, 40_000_000, 32_000_000));
        let mut m = apply(&m, &Action::MediatorConfirm, &mediator(), None, day(4), &l).unwrap();
        for p in 0..21 {
            assert!(m.agreement.as_ref().unwrap().effective_at.is_none());
            m = apply(
                &m,
                &Action::Confirm { party: p, how: "signature".into(), proof: Some(format!("file:{p}")) },
                &mediator(),
                None,
                day(4),
                &l,
            )
            .unwrap();
        }
        assert_eq!(m.agreement.as_ref().unwrap().effective_at, Some(day(4)));
        let owed: Vec<String> = obligations(&m, &Terms::default(), &l)
            .into_iter()
            .filter(|o| o.state == DutyState::Open)
            .map(|o| o.name)
            .collect();
        assert_eq!(owed.len(), 20 + 1 + 1, "{owed:?}");
        assert!(
            apply(&m, &Action::ApplyJudicial { court: "钱塘区人民法院".into() }, &mediator(), None, day(40), &l)
                .is_err(),
            "past the 30 days"
        );
        let m = apply(
            &m,
            &Action::RecordFollowUp { follow_up: 0, note: "已支付首笔".into() },
            &mediator(),
            None,
            day(10),
            &l,
        )
        .unwrap();
        let mut m =
            apply(&m, &Action::ApplyJudicial { court: "钱塘区人民法院".into() }, &mediator(), None, day(20), &l)
                .unwrap();
        for i in 0..20 {
            m = apply(&m, &Action::Pay { payment: i, instalment: 0 }, &mediator(), None, day(30), &l).unwrap();
        }
        assert_eq!(m.status, Status::Performed);
        assert!(obligations(&m, &Terms::default(), &l).iter().all(|o| !o.state.is_owed()));
    }

    #[test]
    fn a_texted_code_confirms_only_its_party_and_only_in_time() {
        let l = Limits::default();
        let m = agree(&freight(), day(2));
        let sent = apply(
            &m,
            &Action::SendCode { party: 1, hash: "abc".into(), expires_at: day(2) + Duration::minutes(10) },
            &mediator(),
            None,
            day(2),
            &l,
        )
        .unwrap();
        assert!(
            apply(
                &sent,
                &Action::SendCode { party: 0, hash: "x".into(), expires_at: day(3) },
                &mediator(),
                None,
                day(2),
                &l
            )
            .is_err(),
            "the company has no phone"
        );
        let try_ = |party, hash: &str, at| {
            apply(
                &sent,
                &Action::Confirm { party, how: "sms_code".into(), proof: Some(hash.into()) },
                &mediator(),
                None,
                at,
                &l,
            )
        };
        assert!(try_(1, "wrong", day(2)).is_err());
        assert!(try_(2, "abc", day(2)).is_err(), "another party's code");
        assert!(try_(1, "abc", day(2) + Duration::minutes(11)).is_err(), "expired");
        let ok = try_(1, "abc", day(2) + Duration::minutes(5)).unwrap();
        assert!(ok.codes.is_empty());
        assert!(
            apply(
                &ok,
                &Action::Confirm { party: 2, how: "signature".into(), proof: None },
                &mediator(),
                None,
                day(2) + Duration::minutes(5),
                &l
            )
            .is_err(),
            "a signature needs its drawing"
        );
    }

    #[test]
    fn a_missed_instalment_escalates_and_failures_need_a_reason() {
        let l = Limits::default();
        let m = agree(&freight(), day(2));
        let sys = Actor { user_id: 0, username: "deadline-runner".into(), role: Role::Admin };
        let late = record_alerts(&m, day(33), &Terms::default(), &l, &sys).unwrap();
        let escalated: Vec<_> =
            late.events.iter().filter(|e| e.action == "escalate").filter_map(|e| e.duty.clone()).collect();
        assert!(escalated.iter().filter(|d| d.starts_with("instalment:")).count() == 20, "{escalated:?}");
        assert!(record_alerts(&late, day(33), &Terms::default(), &l, &sys).is_none());
        assert!(apply(
            &freight(),
            &Action::Fail { reason: FailReason::Withdrawn, note: " ".into() },
            &mediator(),
            None,
            day(1),
            &l
        )
        .is_err());
        let failed = apply(
            &freight(),
            &Action::Fail { reason: FailReason::Referred, note: "转劳动仲裁".into() },
            &mediator(),
            None,
            day(1),
            &l,
        )
        .unwrap();
        assert!(!failed.status.is_open());
        let bad = Payment {
            payer: 0,
            payee: 1,
            item: "运费".into(),
            amount_fen: 100,
            on_the_spot_fen: 50,
            instalments: vec![],
        };
        assert!(
            apply(
                &freight(),
                &Action::Agree {
                    facts: "f".into(),
                    responsibility: "r".into(),
                    terms: "t".into(),
                    payments: vec![bad],
                    oral: false
                },
                &mediator(),
                None,
                day(1),
                &l
            )
            .is_err(),
            "the parts must add up"
        );
    }

    fn any_action() -> impl Strategy<Value = Action> {
        prop_oneof![
            Just(Action::Session { attended: vec![0, 1], record: "记录".into(), offers: vec![] }),
            (1u32..100).prop_map(|days| Action::Extend { days, consent: "双方同意".into() }),
            (1i64..60).prop_map(|d| Action::Agree {
                facts: "f".into(),
                responsibility: "r".into(),
                terms: "t".into(),
                oral: false,
                payments: vec![Payment {
                    payer: 0,
                    payee: 1,
                    item: "款".into(),
                    amount_fen: 1000,
                    on_the_spot_fen: 400,
                    instalments: vec![Instalment { due_at: day(200 + d), amount_fen: 600, paid_at: None }]
                }]
            }),
            (0usize..3).prop_map(|party| Action::Confirm { party, how: "paper".into(), proof: None }),
            (0usize..3).prop_map(|party| Action::SendCode { party, hash: "h".into(), expires_at: day(500) }),
            (0usize..3).prop_map(|party| Action::Confirm { party, how: "sms_code".into(), proof: Some("h".into()) }),
            Just(Action::MediatorConfirm),
            Just(Action::Pay { payment: 0, instalment: 0 }),
            Just(Action::Fail { reason: FailReason::NoAgreement, note: "未达成".into() }),
            Just(Action::RecordFollowUp { follow_up: 0, note: "已回访".into() }),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]
        #[test]
        fn an_open_mediation_always_owes_something(steps in prop::collection::vec((any_action(), 0i64..10), 1..25)) {
            let l = Limits::default();
            let terms = Terms::default();
            let sys = Actor { user_id: 0, username: "deadline-runner".into(), role: Role::Admin };
            let mut m = freight();
            let mut d = 0;
            for (a, dt) in steps {
                d += dt;
                if let Some(x) = record_alerts(&m, day(d), &terms, &l, &sys) {
                    m = x;
                }
                if let Ok(next) = apply(&m, &a, &mediator(), None, day(d), &l) {
                    m = next;
                }
                let obs = obligations(&m, &terms, &l);
                prop_assert!(crate::obligation::owes_something(m.status.is_open(), &obs), "{:?}", m.status);
                prop_assert_eq!(m.events.len() as u32, m.version);
                let x = money(&m, day(d));
                prop_assert_eq!(x.agreed, x.on_the_spot + x.paid_later + x.outstanding);
            }
        }
    }
}
