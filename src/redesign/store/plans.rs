//! Plans and their stages: a school applies to a cohort, the district moves the plan through
//! its stages (every move recorded), and the school edits its application, mission and vision.

use chrono::{DateTime, NaiveDate, Utc};
use entity::{Status, org, redesign_cohort, redesign_plan, redesign_stage_change};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Select, TransactionSession, TransactionTrait,
    sea_query::{Expr, Query},
};

use super::{MAX_TEXT, actor, begin};
use crate::validate::Text;
use crate::{
    auth::{Principal, policy::redesign as policy},
    error::{AppError, AppResult, OnConstraint},
    redesign::{
        money::Money,
        stages::{self, Move, Stage},
    },
    roster::store::{OrgType, lookup_key},
};

/// A school's funding ceiling over the life of its plan unless the district sets another:
/// $175,000.
pub const DEFAULT_CEILING: Money = Money(17_500_000);
/// Shortest and longest funding span, in fiscal years.
pub const MIN_SPAN_YEARS: i32 = 3;
pub const MAX_SPAN_YEARS: i32 = 5;

/// Which plans a list asks for.
#[derive(Default)]
pub struct PlanFilter {
    pub cohort_year: Option<i32>,
    pub stage: Option<Stage>,
    pub school: Option<i64>,
}

/// The plans the principal may see that match `f`, as a query (for paging and aggregates).
pub fn plans(p: &Principal, f: &PlanFilter) -> AppResult<Select<redesign_plan::Entity>> {
    policy::require_read(p)?;
    let mut q = redesign_plan::Entity::find().filter(policy::plans_visible(p));
    if let Some(year) = f.cohort_year {
        q = q.filter(
            redesign_plan::Column::CohortId.in_subquery(
                Query::select()
                    .column(redesign_cohort::Column::Id)
                    .from(redesign_cohort::Entity)
                    .and_where(redesign_cohort::Column::Year.eq(year))
                    .to_owned(),
            ),
        );
    }
    if let Some(stage) = f.stage {
        q = q.filter(redesign_plan::Column::Stage.eq(stage));
    }
    if let Some(school) = f.school {
        q = q.filter(redesign_plan::Column::SchoolOrgId.eq(school));
    }
    Ok(q)
}

/// The plans a list asks for, by school sourcedId: the query a page of plans is cut from. An
/// unknown or hidden school matches no plan.
#[tracing::instrument(skip_all, fields(cohort_year, school = school_sourced_id))]
pub async fn plan_list(
    db: &impl ConnectionTrait,
    p: &Principal,
    cohort_year: Option<i32>,
    stage: Option<Stage>,
    school_sourced_id: Option<&str>,
) -> AppResult<Select<redesign_plan::Entity>> {
    let mut filter = PlanFilter { cohort_year, stage, school: None };
    if let Some(sid) = school_sourced_id {
        filter.school = Some(school_id(db, p, sid).await?.unwrap_or(0));
    }
    plans(p, &filter)
}

#[tracing::instrument(skip_all, fields(id))]
pub async fn find_plan(db: &impl ConnectionTrait, p: &Principal, id: i64) -> AppResult<Option<redesign_plan::Model>> {
    Ok(plans(p, &PlanFilter::default())?.filter(redesign_plan::Column::Id.eq(id)).one(db).await?)
}

/// An active school by sourcedId, whoever asks: callers apply the policy to what it finds.
async fn find_school(db: &impl ConnectionTrait, sourced_id: &str) -> AppResult<Option<org::Model>> {
    let Some(sourced_id) = lookup_key(sourced_id) else { return Ok(None) };
    Ok(org::Entity::find()
        .filter(org::Column::SourcedId.eq(sourced_id))
        .filter(org::Column::OrgType.eq(OrgType::School))
        .filter(org::Column::Status.eq(Status::Active))
        .one(db)
        .await?)
}

/// The id of a school whose plans the principal may see.
#[tracing::instrument(skip_all, fields(school = sourced_id))]
pub async fn school_id(db: &impl ConnectionTrait, p: &Principal, sourced_id: &str) -> AppResult<Option<i64>> {
    policy::require_read(p)?;
    Ok(find_school(db, sourced_id).await?.map(|s| s.id).filter(|id| policy::may_see_plan(p, *id)))
}

/// The current plan of a school: the one not declined, else the latest.
#[tracing::instrument(skip_all, fields(school = school_sourced_id))]
pub async fn plan_of_school(
    db: &impl ConnectionTrait,
    p: &Principal,
    school_sourced_id: &str,
) -> AppResult<Option<redesign_plan::Model>> {
    policy::require_read(p)?;
    let Some(school) = school_id(db, p, school_sourced_id).await? else { return Ok(None) };
    let all = plans(p, &PlanFilter { school: Some(school), ..Default::default() })?
        .order_by_desc(redesign_plan::Column::Id)
        .all(db)
        .await?;
    let open = all.iter().position(|pl| pl.stage != Stage::Declined).unwrap_or(0);
    Ok(all.into_iter().nth(open))
}

/// A school applies to the cohort of `cohort_year` while its application window is open.
/// Needs `redesign.write` over the school (its administrators, or the district).
#[tracing::instrument(skip_all, fields(school = school_sourced_id, cohort_year))]
pub async fn apply(
    db: &impl TransactionTrait,
    p: &Principal,
    school_sourced_id: &str,
    cohort_year: i32,
    application: &str,
    today: NaiveDate,
) -> AppResult<redesign_plan::Model> {
    policy::require_write(p)?;
    let application = Text::parse("input.application", application, MAX_TEXT)?.into_string();
    let txn = begin(db).await?;
    let school = find_school(&txn, school_sourced_id).await?.ok_or(AppError::NotFound("school"))?;
    policy::require_applicant(p, school.id)?;
    let district_id = school.parent_id.ok_or(AppError::NotFound("district"))?;
    let cohort = redesign_cohort::Entity::find()
        .filter(redesign_cohort::Column::DistrictOrgId.eq(district_id))
        .filter(redesign_cohort::Column::Year.eq(cohort_year))
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound("cohort"))?;
    if today < cohort.application_opens_on || today > cohort.application_closes_on {
        return Err(AppError::validation(
            "input.cohortYear",
            format!(
                "applications to the {} cohort are accepted from {} to {}",
                cohort.year, cohort.application_opens_on, cohort.application_closes_on
            ),
        ));
    }
    let now = crate::db::now();
    let plan = redesign_plan::ActiveModel {
        school_org_id: Set(school.id),
        district_org_id: Set(district_id),
        cohort_id: Set(cohort.id),
        stage: Set(Stage::Applied),
        application: Set(application),
        mission: Set(None),
        vision: Set(None),
        presentation_at: Set(None),
        presentation_outcome: Set(None),
        decline_reasons: Set(None),
        funding_ceiling_cents: Set(DEFAULT_CEILING.0),
        first_fiscal_year: Set(cohort.year),
        span_years: Set(MAX_SPAN_YEARS),
        funds_version: Set(0),
        stage_changed_at: Set(now),
        created_at: Set(now),
        date_last_modified: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .on_unique("uq_redesign_plans", || {
        AppError::Conflict(
            "this school already applied to this cohort, or has another plan that is not declined".into(),
        )
    })?;
    let change = StageChange { from: None, to: Stage::Applied, note: None, backward: false, at: now };
    record_stage(&txn, p, plan.id, change).await?;
    txn.commit().await?;
    Ok(plan)
}

/// One move as recorded in a plan's history.
struct StageChange {
    from: Option<Stage>,
    to: Stage,
    note: Option<String>,
    backward: bool,
    at: DateTime<Utc>,
}

async fn record_stage(db: &impl ConnectionTrait, p: &Principal, plan_id: i64, c: StageChange) -> AppResult<()> {
    let (kind, id) = actor(p);
    redesign_stage_change::Entity::insert(redesign_stage_change::ActiveModel {
        plan_id: Set(plan_id),
        from_stage: Set(c.from),
        to_stage: Set(c.to),
        note: Set(c.note),
        backward: Set(c.backward),
        actor_kind: Set(kind),
        actor_id: Set(id),
        changed_at: Set(c.at),
        ..Default::default()
    })
    .exec(db)
    .await?;
    Ok(())
}

/// A requested stage move and what it carries.
pub struct StageMove {
    pub to: Stage,
    pub note: Option<String>,
    pub presentation_at: Option<DateTime<Utc>>,
    pub presentation_outcome: Option<String>,
    pub decline_reasons: Option<String>,
}

/// Moves a plan one stage forward, or back (district administrators, with a reason).
#[tracing::instrument(skip_all, fields(plan_id, to = %m.to))]
pub async fn move_plan(
    db: &impl TransactionTrait,
    p: &Principal,
    plan_id: i64,
    m: StageMove,
) -> AppResult<redesign_plan::Model> {
    let note = Text::optional("input.note", m.note.as_deref(), MAX_TEXT)?.map(Text::into_string);
    let txn = begin(db).await?;
    let plan = find_plan(&txn, p, plan_id).await?.ok_or(AppError::NotFound("plan"))?;
    policy::require_stage_mover(p, plan.district_org_id)?;
    let from = plan.stage;
    let mut next = redesign_plan::ActiveModel { id: Set(plan.id), ..Default::default() };
    let backward = match stages::classify(from, m.to) {
        Move::Invalid => {
            let allowed: Vec<&str> = stages::next(from).iter().map(|s| s.as_str()).collect();
            return Err(AppError::validation(
                "input.to",
                if allowed.is_empty() {
                    format!("a plan at `{from}` can only be moved back")
                } else {
                    format!("a plan at `{from}` can move forward only to {}", allowed.join(" or "))
                },
            ));
        }
        Move::Backward => {
            policy::require_move_back(p, plan.district_org_id)?;
            if note.is_none() {
                return Err(AppError::validation("input.note", "moving a plan back needs a reason"));
            }
            true
        }
        Move::Forward => false,
    };
    match m.to {
        Stage::PresentationScheduled if !backward => {
            let at = m.presentation_at.ok_or_else(|| {
                AppError::validation("input.presentationAt", "scheduling the presentation needs its date and time")
            })?;
            next.presentation_at = Set(Some(at));
        }
        Stage::Presented if !backward => {
            let outcome = Text::optional("input.presentationOutcome", m.presentation_outcome.as_deref(), MAX_TEXT)?
                .map(Text::into_string)
                .ok_or_else(|| AppError::validation("input.presentationOutcome", "record how the presentation went"))?;
            next.presentation_outcome = Set(Some(outcome));
        }
        Stage::Declined => {
            let reasons = Text::optional("input.declineReasons", m.decline_reasons.as_deref(), MAX_TEXT)?
                .map(Text::into_string)
                .ok_or_else(|| AppError::validation("input.declineReasons", "declining needs the reasons"))?;
            next.decline_reasons = Set(Some(reasons));
        }
        _ => {}
    }
    if from == Stage::Declined {
        next.decline_reasons = Set(None);
    }
    let now = crate::db::now();
    next.stage = Set(m.to);
    next.stage_changed_at = Set(now);
    next.date_last_modified = Set(now);
    // The stage predicate makes a concurrent second move of the same plan fail cleanly.
    let done = redesign_plan::Entity::update_many()
        .set(next)
        .filter(redesign_plan::Column::Id.eq(plan.id))
        .filter(redesign_plan::Column::Stage.eq(from))
        .exec(&txn)
        .await
        .on_unique("uq_redesign_plans_open_school", || {
            AppError::Conflict("the school has another plan that is not declined".into())
        })?;
    if done.rows_affected == 0 {
        return Err(AppError::Conflict("the plan's stage changed meanwhile; reload it".into()));
    }
    record_stage(&txn, p, plan.id, StageChange { from: Some(from), to: m.to, note, backward, at: now }).await?;
    let out = redesign_plan::Entity::find_by_id(plan.id).one(&txn).await?.ok_or(AppError::NotFound("plan"))?;
    txn.commit().await?;
    Ok(out)
}

/// A plan the principal may edit the content of (see `policy::require_plan_editor`), read
/// under its lock. A declined plan is history and stays as it was.
pub(super) async fn editable_plan(
    db: &impl ConnectionTrait,
    p: &Principal,
    plan_id: i64,
) -> AppResult<redesign_plan::Model> {
    policy::require_write(p)?;
    let plan = find_plan(db, p, plan_id).await?.ok_or(AppError::NotFound("plan"))?;
    policy::require_plan_editor(p, plan.school_org_id)?;
    // Lock the plan's row first (PostgreSQL; SQLite's writer is already alone), so that edits
    // of one plan, and a decline, happen one after another; then read it as it now is.
    touch_plan(db, plan.id).await?;
    let plan = redesign_plan::Entity::find_by_id(plan.id).one(db).await?.ok_or(AppError::NotFound("plan"))?;
    if plan.stage == Stage::Declined {
        return Err(AppError::Conflict("a declined plan can't be edited".into()));
    }
    Ok(plan)
}

pub struct PlanContent {
    pub application: Option<String>,
    pub mission: Option<String>,
    pub vision: Option<String>,
}

#[tracing::instrument(skip_all, fields(plan_id))]
pub async fn update_content(
    db: &impl TransactionTrait,
    p: &Principal,
    plan_id: i64,
    c: PlanContent,
) -> AppResult<redesign_plan::Model> {
    let txn = begin(db).await?;
    let plan = editable_plan(&txn, p, plan_id).await?;
    let mut next = redesign_plan::ActiveModel { id: Set(plan.id), ..Default::default() };
    if let Some(a) = &c.application {
        next.application = Set(Text::parse("input.application", a, MAX_TEXT)?.into_string());
    }
    if let Some(m) = &c.mission {
        next.mission = Set(Text::optional("input.mission", Some(m), MAX_TEXT)?.map(Text::into_string));
    }
    if let Some(v) = &c.vision {
        next.vision = Set(Text::optional("input.vision", Some(v), MAX_TEXT)?.map(Text::into_string));
    }
    next.date_last_modified = Set(crate::db::now());
    let out = next.update(&txn).await?;
    txn.commit().await?;
    Ok(out)
}

/// The "touch" that makes a plan's edits serialize (and its `dateLastModified` move): every
/// content edit takes it first, through `editable_plan`.
async fn touch_plan(db: &impl ConnectionTrait, plan_id: i64) -> AppResult<()> {
    redesign_plan::Entity::update_many()
        .col_expr(redesign_plan::Column::DateLastModified, Expr::value(crate::db::now()))
        .filter(redesign_plan::Column::Id.eq(plan_id))
        .exec(db)
        .await?;
    Ok(())
}
