//! A petition's commitment (or a deliberation resolution's step) carried out as an ordinary case: the case goes through intake
//! like any other (and auto-dispatch where its category has it), and the commitment is linked
//! to it so that closing the case keeps it (`workflow::commit`). Sits above `intake` so that
//! imports run one way: `commitments` → `intake` → `dispatching` → `workflow` → `petitions`.

use crate::petitions::{act, local_date, Error};
use crate::App;
use domain::case::Actor;
use domain::petition::{Action, Petition, PetitionError, PetitionId};

/// Carries out a commitment as an ordinary case of `category` at the petition's place (sent
/// to the category's forces like any case), linked both ways: the case names the petition,
/// and the commitment is kept when the case closes.
pub async fn spawn_case(
    app: &App,
    id: PetitionId,
    commitment: usize,
    category: &domain::codes::CategoryCode,
    actor: &Actor,
) -> Result<(Petition, domain::case::Case), Error> {
    let p = app.store.petition(id).await?;
    let k = p.commitments.get(commitment).ok_or_else(|| PetitionError::Invalid("no such commitment".into()))?;
    if k.kept_at.is_some() || k.case_id.is_some() {
        return Err(PetitionError::InvalidStep { action: "spawn_case", status: p.status.as_str() }.into());
    }
    let cat =
        app.categories.get(category).ok_or_else(|| PetitionError::Invalid(format!("unknown category {category}")))?;
    let location = match p.location {
        Some(l) => l,
        None => {
            let grid = app
                .grids
                .get(&p.grid)
                .ok_or_else(|| PetitionError::Invalid("the petition's grid is unknown".into()))?;
            domain::geo::Polygon::new(grid.ring.clone())
                .map(|poly| poly.centroid())
                .ok_or_else(|| PetitionError::Invalid("the petition's grid has no area".into()))?
        }
    };
    let now = app.clock.now();
    let case = crate::intake::report(
        app,
        store::writer::CreateCase {
            new: domain::case::NewCase {
                category: category.clone(),
                priority: cat.default_priority,
                source: domain::case::Source::Petition,
                location,
                grid: p.grid.clone(),
                description: format!("{}（信访 #{} 承诺事项，到期 {}）", k.what, p.id, local_date(k.due_at)),
                address: p.address.clone(),
                reporter_id: None,
                reported_by: None,
            },
            reporter: None,
            deadlines: app.policy.deadlines(category, cat.default_priority, now),
            actor: actor.clone(),
            at: now,
            extras: Default::default(),
            idempotency_key: Some(format!("petition:{}:commitment:{commitment}", p.id)),
        },
    )
    .await?;
    let linked = act(app, id, &Action::LinkCase { commitment, case_id: case.id }, actor, None).await?;
    Ok((linked, case))
}

/// Carries out a step of a deliberation resolution as an ordinary case of `category` in the
/// resolution's grid (at the grid's centre unless a place is given), linked so that closing
/// the case completes the step.
pub async fn spawn_step_case(
    app: &App,
    id: domain::deliberation::ResolutionId,
    step: usize,
    category: &domain::codes::CategoryCode,
    location: Option<domain::geo::LatLng>,
    actor: &Actor,
) -> Result<(domain::deliberation::Resolution, domain::case::Case), crate::deliberation::Error> {
    use domain::deliberation::{DeliberationError, ResolutionAction};
    let r = app.store.resolution(id).await?;
    let s = r.steps.get(step).ok_or_else(|| DeliberationError::Invalid(format!("no step {}", step + 1)))?;
    if s.case_id.is_some() || s.done_at.is_some() || r.status != domain::deliberation::ResolutionStatus::Open {
        return Err(DeliberationError::Invalid(format!("step {} already has its case or is complete", step + 1)).into());
    }
    let cat = app
        .categories
        .get(category)
        .ok_or_else(|| DeliberationError::Invalid(format!("unknown category {category}")))?;
    let location = match location {
        Some(l) => l,
        None => {
            let grid = app
                .grids
                .get(&r.grid)
                .ok_or_else(|| DeliberationError::Invalid("the resolution's grid is unknown".into()))?;
            domain::geo::Polygon::new(grid.ring.clone())
                .map(|poly| poly.centroid())
                .ok_or_else(|| DeliberationError::Invalid("the resolution's grid has no area".into()))?
        }
    };
    let now = app.clock.now();
    let case = crate::intake::report(
        app,
        store::writer::CreateCase {
            new: domain::case::NewCase {
                category: category.clone(),
                priority: cat.default_priority,
                source: domain::case::Source::GridPatrol,
                location,
                grid: r.grid.clone(),
                description: format!(
                    "{}（网格议事决议 #{} 第{}项工作，到期 {}）",
                    s.title,
                    r.id,
                    step + 1,
                    local_date(s.due_at)
                ),
                address: None,
                reporter_id: None,
                reported_by: None,
            },
            reporter: None,
            deadlines: app.policy.deadlines(category, cat.default_priority, now),
            actor: actor.clone(),
            at: now,
            extras: Default::default(),
            idempotency_key: Some(format!("resolution:{}:step:{step}", r.id)),
        },
    )
    .await?;
    let linked =
        crate::deliberation::act_resolution(app, id, &ResolutionAction::LinkCase { step, case_id: case.id }, actor)
            .await?;
    Ok((linked, case))
}
