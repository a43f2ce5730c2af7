//! Redesign data access: pillars, cohorts, plans and their stages, strategic plan content,
//! grants and disbursements. Reads are limited to the principal's orgs; content writes to
//! plans of schools the principal is granted; stages, money, pillars and cohorts to the
//! district.

use entity::{OrgType, Role};
use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use entity::{
    STATUS_ACTIVE, org, redesign_cohort, redesign_disbursement, redesign_goal, redesign_goal_pillar,
    redesign_indicator, redesign_measurement, redesign_milestone, redesign_pillar, redesign_plan,
    redesign_stage_change,
};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait, Select,
    sea_query::{Expr, ExprTrait, Query, SelectStatement},
};

use super::{money::Money, stages::RedesignStage};
use crate::{
    auth::{
        Actor, Principal, Scope,
        policy::{owned_by_granted_org, owned_by_visible_org, require_district},
    },
    error::{AppError, AppResult, OnConstraint},
    roster::store::{check_len, lookup_key, resolve_district},
};

/// The five pillars a district starts with (the migration gives existing districts the same).
pub const DEFAULT_PILLARS: [(&str, &str); 5] = [
    ("Learner profiles", "Every student has an up-to-date record of strengths, needs, interests and goals."),
    ("Personal learning paths", "Each student follows a path of their own, chosen with their teachers."),
    ("Competency-based progression", "Students advance when they show mastery, not when the calendar says so."),
    ("Flexible learning environments", "Time, space and staffing bend to what students need."),
    ("Student agency", "Students own their learning: they set goals, choose and reflect."),
];
/// A school's funding ceiling over the life of its plan unless the district sets another:
/// $175,000.
pub const DEFAULT_CEILING: Money = Money(17_500_000);
/// Shortest and longest funding span, in fiscal years.
pub const MIN_SPAN_YEARS: i32 = 3;
pub const MAX_SPAN_YEARS: i32 = 5;
/// Grant kinds as stored.
pub const GRANT_PLANNING: &str = "planning";
pub const GRANT_IMPLEMENTATION: &str = "implementation";

const MAX_TITLE: usize = 300;
const MAX_NAME: usize = 200;
const MAX_TEXT: usize = 20_000;

// ---------------------------------------------------------------------------------------------
// Rules: who may do what.

/// Reading anything of the redesign needs `redesign.read`.
fn require_read(p: &Principal) -> AppResult<()> {
    p.require(Scope::RedesignRead)
}

/// Moving a plan back needs a signed-in district administrator (or the service itself).
fn require_district_admin_person(p: &Principal) -> AppResult<()> {
    match &p.actor {
        Actor::User { role: Role::Administrator, .. } => Ok(()),
        Actor::System => Ok(()),
        _ => Err(AppError::Forbidden("only a signed-in district administrator may move a plan back".into())),
    }
}

/// Ids of the plans the principal may read: plans of schools in its granted orgs.
pub fn visible_plan_ids(p: &Principal) -> SelectStatement {
    Query::select()
        .column(redesign_plan::Column::Id)
        .from(redesign_plan::Entity)
        .cond_where(owned_by_granted_org(p, (redesign_plan::Entity, redesign_plan::Column::SchoolOrgId)))
        .to_owned()
}

/// Goals of visible plans that are not declined: what the dashboard looks at.
fn live_goal_ids(p: &Principal) -> SelectStatement {
    Query::select()
        .column(redesign_goal::Column::Id)
        .from(redesign_goal::Entity)
        .and_where(Expr::col(redesign_goal::Column::PlanId).in_subquery(
            visible_plan_ids(p).and_where(redesign_plan::Column::Stage.ne(RedesignStage::Declined.as_str())).to_owned(),
        ))
        .to_owned()
}

fn visible_goal_ids(p: &Principal) -> SelectStatement {
    Query::select()
        .column(redesign_goal::Column::Id)
        .from(redesign_goal::Entity)
        .and_where(Expr::col(redesign_goal::Column::PlanId).in_subquery(visible_plan_ids(p)))
        .to_owned()
}

// ---------------------------------------------------------------------------------------------
// Validation helpers.

/// A required text, trimmed, checked as the roster checks its texts.
fn text(field: &str, value: &str, max: usize) -> AppResult<String> {
    let v = value.trim();
    check_len(field, v, max)?;
    Ok(v.to_owned())
}

/// An optional text: blank clears it.
fn opt_text(field: &str, value: Option<&str>, max: usize) -> AppResult<Option<String>> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => text(field, v, max).map(Some),
    }
}

const MAX_POSITION: i32 = 1000;

fn check_position(pos: i32) -> AppResult<i32> {
    if (1..=MAX_POSITION).contains(&pos) {
        Ok(pos)
    } else {
        Err(AppError::validation("input.position", format!("must be between 1 and {MAX_POSITION}")))
    }
}

/// Dates the redesign accepts: 1900 to 2200, so that SQLite's text order and PostgreSQL's
/// date order agree (and no caller plans for the year 10000).
pub fn check_date(field: &str, d: NaiveDate) -> AppResult<NaiveDate> {
    use chrono::Datelike;
    if (1900..=2200).contains(&d.year()) {
        Ok(d)
    } else {
        Err(AppError::validation(field, "must be a date between 1900 and 2200"))
    }
}

fn finite(field: &str, v: f64) -> AppResult<f64> {
    if v.is_finite() { Ok(v) } else { Err(AppError::validation(field, "must be a finite number")) }
}

fn actor(p: &Principal) -> (String, String) {
    let (kind, id) = p.actor_ref();
    (kind.to_owned(), id)
}

// ---------------------------------------------------------------------------------------------
// Districts, pillars and cohorts.

/// Gives a new district the default pillars (idempotent).
pub async fn create_default_pillars(db: &impl ConnectionTrait, district_id: i64) -> AppResult<()> {
    let existing = redesign_pillar::Entity::find()
        .filter(redesign_pillar::Column::DistrictOrgId.eq(district_id))
        .count(db)
        .await?;
    if existing > 0 {
        return Ok(());
    }
    let now = crate::db::now();
    let rows = (1..).zip(DEFAULT_PILLARS).map(|(position, (name, description))| redesign_pillar::ActiveModel {
        district_org_id: Set(district_id),
        position: Set(position),
        name: Set(name.to_owned()),
        description: Set(description.to_owned()),
        archived: Set(false),
        created_at: Set(now),
        date_last_modified: Set(now),
        ..Default::default()
    });
    redesign_pillar::Entity::insert_many(rows).exec(db).await?;
    Ok(())
}

pub fn pillars(p: &Principal, include_archived: bool) -> AppResult<Select<redesign_pillar::Entity>> {
    require_read(p)?;
    let mut q = redesign_pillar::Entity::find()
        .filter(owned_by_visible_org(p, (redesign_pillar::Entity, redesign_pillar::Column::DistrictOrgId)));
    if !include_archived {
        q = q.filter(redesign_pillar::Column::Archived.eq(false));
    }
    Ok(q.order_by_asc(redesign_pillar::Column::DistrictOrgId)
        .order_by_asc(redesign_pillar::Column::Position)
        .order_by_asc(redesign_pillar::Column::Id))
}

pub async fn find_pillar(
    db: &impl ConnectionTrait,
    p: &Principal,
    id: i64,
) -> AppResult<Option<redesign_pillar::Model>> {
    Ok(pillars(p, true)?.filter(redesign_pillar::Column::Id.eq(id)).one(db).await?)
}

pub struct PillarFields {
    pub name: Option<String>,
    pub description: Option<String>,
    pub position: Option<i32>,
    pub archived: Option<bool>,
}

pub async fn create_pillar(
    db: &DatabaseConnection,
    p: &Principal,
    district: Option<&str>,
    f: PillarFields,
) -> AppResult<redesign_pillar::Model> {
    let name = text("input.name", f.name.as_deref().unwrap_or_default(), MAX_NAME)?;
    let description = opt_text("input.description", f.description.as_deref(), MAX_TEXT)?.unwrap_or_default();
    let txn = crate::db::begin_write(db).await?;
    let district_id = resolve_district(&txn, p, district).await?;
    require_district(p, Scope::RedesignWrite, district_id)?;
    let last: Option<i32> = redesign_pillar::Entity::find()
        .select_only()
        .column_as(redesign_pillar::Column::Position.max(), "m")
        .filter(redesign_pillar::Column::DistrictOrgId.eq(district_id))
        .into_tuple()
        .one(&txn)
        .await?
        .flatten();
    let now = crate::db::now();
    let id = redesign_pillar::Entity::insert(redesign_pillar::ActiveModel {
        district_org_id: Set(district_id),
        position: Set(match f.position {
            Some(pos) => check_position(pos)?,
            None => Ord::min(last.unwrap_or(0).saturating_add(1), MAX_POSITION),
        }),
        name: Set(name),
        description: Set(description),
        archived: Set(false),
        created_at: Set(now),
        date_last_modified: Set(now),
        ..Default::default()
    })
    .exec(&txn)
    .await
    .on_unique("uq_redesign_pillars_name", || {
        AppError::Conflict("the district already has a pillar of that name".into())
    })?
    .last_insert_id;
    let m = redesign_pillar::Entity::find_by_id(id).one(&txn).await?.ok_or(AppError::NotFound("pillar"))?;
    txn.commit().await?;
    Ok(m)
}

pub async fn update_pillar(
    db: &DatabaseConnection,
    p: &Principal,
    id: i64,
    f: PillarFields,
) -> AppResult<redesign_pillar::Model> {
    let txn = crate::db::begin_write(db).await?;
    let current = find_pillar(&txn, p, id).await?.ok_or(AppError::NotFound("pillar"))?;
    require_district(p, Scope::RedesignWrite, current.district_org_id)?;
    let mut next = redesign_pillar::ActiveModel { id: Set(id), ..Default::default() };
    if let Some(name) = &f.name {
        next.name = Set(text("input.name", name, MAX_NAME)?);
    }
    if let Some(d) = &f.description {
        next.description = Set(opt_text("input.description", Some(d), MAX_TEXT)?.unwrap_or_default());
    }
    if let Some(pos) = f.position {
        next.position = Set(check_position(pos)?);
    }
    if let Some(a) = f.archived {
        next.archived = Set(a);
    }
    next.date_last_modified = Set(crate::db::now());
    redesign_pillar::Entity::update(next).exec(&txn).await.on_unique("uq_redesign_pillars_name", || {
        AppError::Conflict("the district already has a pillar of that name".into())
    })?;
    let m = redesign_pillar::Entity::find_by_id(id).one(&txn).await?.ok_or(AppError::NotFound("pillar"))?;
    txn.commit().await?;
    Ok(m)
}

pub fn cohorts(p: &Principal) -> AppResult<Select<redesign_cohort::Entity>> {
    require_read(p)?;
    Ok(redesign_cohort::Entity::find()
        .filter(owned_by_visible_org(p, (redesign_cohort::Entity, redesign_cohort::Column::DistrictOrgId)))
        .order_by_asc(redesign_cohort::Column::Year))
}

pub async fn find_cohort(
    db: &impl ConnectionTrait,
    p: &Principal,
    id: i64,
) -> AppResult<Option<redesign_cohort::Model>> {
    Ok(cohorts(p)?.filter(redesign_cohort::Column::Id.eq(id)).one(db).await?)
}

pub struct CohortFields {
    pub year: Option<i32>,
    pub name: Option<String>,
    pub target_size: Option<i32>,
    pub application_opens_on: Option<NaiveDate>,
    pub application_closes_on: Option<NaiveDate>,
}

fn check_cohort(year: i32, target: i32, opens: NaiveDate, closes: NaiveDate) -> AppResult<()> {
    check_date("input.applicationOpensOn", opens)?;
    check_date("input.applicationClosesOn", closes)?;
    if !(2000..=2100).contains(&year) {
        return Err(AppError::validation("input.year", "must be a year between 2000 and 2100"));
    }
    if !(1..=500).contains(&target) {
        return Err(AppError::validation("input.targetSize", "must be between 1 and 500 schools"));
    }
    if closes < opens {
        return Err(AppError::validation("input.applicationClosesOn", "must not be before applicationOpensOn"));
    }
    Ok(())
}

pub async fn create_cohort(
    db: &DatabaseConnection,
    p: &Principal,
    district: Option<&str>,
    f: CohortFields,
) -> AppResult<redesign_cohort::Model> {
    let (Some(year), Some(target), Some(opens), Some(closes)) =
        (f.year, f.target_size, f.application_opens_on, f.application_closes_on)
    else {
        return Err(AppError::validation("input", "year, targetSize and the application window are required"));
    };
    check_cohort(year, target, opens, closes)?;
    let name = match f.name {
        Some(n) => text("input.name", &n, MAX_NAME)?,
        None => format!("Cohort {year}"),
    };
    let txn = crate::db::begin_write(db).await?;
    let district_id = resolve_district(&txn, p, district).await?;
    require_district(p, Scope::RedesignWrite, district_id)?;
    let now = crate::db::now();
    let id = redesign_cohort::Entity::insert(redesign_cohort::ActiveModel {
        district_org_id: Set(district_id),
        year: Set(year),
        name: Set(name),
        target_size: Set(target),
        application_opens_on: Set(opens),
        application_closes_on: Set(closes),
        created_at: Set(now),
        date_last_modified: Set(now),
        ..Default::default()
    })
    .exec(&txn)
    .await
    .on_unique("uq_redesign_cohorts_year", || AppError::Conflict(format!("the district already has a {year} cohort")))?
    .last_insert_id;
    let m = redesign_cohort::Entity::find_by_id(id).one(&txn).await?.ok_or(AppError::NotFound("cohort"))?;
    txn.commit().await?;
    Ok(m)
}

pub async fn update_cohort(
    db: &DatabaseConnection,
    p: &Principal,
    id: i64,
    f: CohortFields,
) -> AppResult<redesign_cohort::Model> {
    let txn = crate::db::begin_write(db).await?;
    let current = find_cohort(&txn, p, id).await?.ok_or(AppError::NotFound("cohort"))?;
    require_district(p, Scope::RedesignWrite, current.district_org_id)?;
    if f.year.is_some_and(|y| y != current.year) {
        return Err(AppError::validation("input.year", "a cohort's year can't change; create another cohort"));
    }
    let target = f.target_size.unwrap_or(current.target_size);
    let opens = f.application_opens_on.unwrap_or(current.application_opens_on);
    let closes = f.application_closes_on.unwrap_or(current.application_closes_on);
    check_cohort(current.year, target, opens, closes)?;
    let mut next = redesign_cohort::ActiveModel {
        id: Set(id),
        target_size: Set(target),
        application_opens_on: Set(opens),
        application_closes_on: Set(closes),
        date_last_modified: Set(crate::db::now()),
        ..Default::default()
    };
    if let Some(n) = &f.name {
        next.name = Set(text("input.name", n, MAX_NAME)?);
    }
    redesign_cohort::Entity::update(next).exec(&txn).await?;
    let m = redesign_cohort::Entity::find_by_id(id).one(&txn).await?.ok_or(AppError::NotFound("cohort"))?;
    txn.commit().await?;
    Ok(m)
}

// ---------------------------------------------------------------------------------------------
// Plans and stages.

/// Which plans a list asks for.
#[derive(Default)]
pub struct PlanFilter {
    pub cohort_year: Option<i32>,
    pub stage: Option<RedesignStage>,
    pub school: Option<i64>,
}

pub fn plans(p: &Principal, f: &PlanFilter) -> AppResult<Select<redesign_plan::Entity>> {
    require_read(p)?;
    let mut q = redesign_plan::Entity::find()
        .filter(owned_by_granted_org(p, (redesign_plan::Entity, redesign_plan::Column::SchoolOrgId)));
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
        q = q.filter(redesign_plan::Column::Stage.eq(stage.as_str()));
    }
    if let Some(school) = f.school {
        q = q.filter(redesign_plan::Column::SchoolOrgId.eq(school));
    }
    Ok(q)
}

pub async fn find_plan(db: &impl ConnectionTrait, p: &Principal, id: i64) -> AppResult<Option<redesign_plan::Model>> {
    Ok(plans(p, &PlanFilter::default())?.filter(redesign_plan::Column::Id.eq(id)).one(db).await?)
}

/// A school by sourcedId if the principal's granted orgs include it.
async fn granted_school(db: &impl ConnectionTrait, p: &Principal, sourced_id: &str) -> AppResult<org::Model> {
    let sourced_id = lookup_key(sourced_id).ok_or(AppError::NotFound("school"))?;
    org::Entity::find()
        .filter(org::Column::SourcedId.eq(sourced_id))
        .filter(org::Column::OrgType.eq(OrgType::School))
        .filter(org::Column::Status.eq(STATUS_ACTIVE))
        .filter(owned_by_granted_org(p, (org::Entity, org::Column::Id)))
        .one(db)
        .await?
        .ok_or(AppError::NotFound("school"))
}

/// The id of a school in the principal's granted orgs.
pub async fn school_id(db: &impl ConnectionTrait, p: &Principal, sourced_id: &str) -> AppResult<Option<i64>> {
    match granted_school(db, p, sourced_id).await {
        Ok(s) => Ok(Some(s.id)),
        Err(AppError::NotFound(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The current plan of a school: the one not declined, else the latest.
pub async fn plan_of_school(
    db: &impl ConnectionTrait,
    p: &Principal,
    school_sourced_id: &str,
) -> AppResult<Option<redesign_plan::Model>> {
    require_read(p)?;
    let Some(school) = school_id(db, p, school_sourced_id).await? else { return Ok(None) };
    let all = plans(p, &PlanFilter { school: Some(school), ..Default::default() })?
        .order_by_desc(redesign_plan::Column::Id)
        .all(db)
        .await?;
    let open = all.iter().position(|pl| pl.stage != RedesignStage::Declined.as_str()).unwrap_or(0);
    Ok(all.into_iter().nth(open))
}

/// A school applies to the cohort of `cohort_year` while its application window is open.
/// Needs `redesign.write` over the school (its administrators, or the district).
pub async fn apply(
    db: &DatabaseConnection,
    p: &Principal,
    school_sourced_id: &str,
    cohort_year: i32,
    application: &str,
    today: NaiveDate,
) -> AppResult<redesign_plan::Model> {
    p.require(Scope::RedesignWrite)?;
    let application = text("input.application", application, MAX_TEXT)?;
    let txn = crate::db::begin_write(db).await?;
    let school = granted_school(&txn, p, school_sourced_id).await?;
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
    let id = redesign_plan::Entity::insert(redesign_plan::ActiveModel {
        school_org_id: Set(school.id),
        district_org_id: Set(district_id),
        cohort_id: Set(cohort.id),
        stage: Set(RedesignStage::Applied.as_str().to_owned()),
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
    })
    .exec(&txn)
    .await
    .on_unique("uq_redesign_plans", || {
        AppError::Conflict(
            "this school already applied to this cohort, or has another plan that is not declined".into(),
        )
    })?
    .last_insert_id;
    record_stage(&txn, p, id, None, RedesignStage::Applied, None, false, now).await?;
    let m = redesign_plan::Entity::find_by_id(id).one(&txn).await?.ok_or(AppError::NotFound("plan"))?;
    txn.commit().await?;
    Ok(m)
}

#[allow(clippy::too_many_arguments)]
async fn record_stage(
    db: &impl ConnectionTrait,
    p: &Principal,
    plan_id: i64,
    from: Option<RedesignStage>,
    to: RedesignStage,
    note: Option<String>,
    backward: bool,
    at: DateTime<Utc>,
) -> AppResult<()> {
    let (kind, id) = actor(p);
    redesign_stage_change::Entity::insert(redesign_stage_change::ActiveModel {
        plan_id: Set(plan_id),
        from_stage: Set(from.map(|s| s.as_str().to_owned())),
        to_stage: Set(to.as_str().to_owned()),
        note: Set(note),
        backward: Set(backward),
        actor_kind: Set(kind),
        actor_id: Set(id),
        changed_at: Set(at),
        ..Default::default()
    })
    .exec(db)
    .await?;
    Ok(())
}

/// A requested stage move and what it carries.
pub struct StageMove {
    pub to: RedesignStage,
    pub note: Option<String>,
    pub presentation_at: Option<DateTime<Utc>>,
    pub presentation_outcome: Option<String>,
    pub decline_reasons: Option<String>,
}

/// Moves a plan one stage forward, or back (district administrators, with a reason).
pub async fn move_plan(
    db: &DatabaseConnection,
    p: &Principal,
    plan_id: i64,
    m: StageMove,
) -> AppResult<redesign_plan::Model> {
    let note = opt_text("input.note", m.note.as_deref(), MAX_TEXT)?;
    let txn = crate::db::begin_write(db).await?;
    let plan = find_plan(&txn, p, plan_id).await?.ok_or(AppError::NotFound("plan"))?;
    require_district(p, Scope::RedesignWrite, plan.district_org_id)?;
    let from = RedesignStage::from_db(&plan.stage);
    let mut next = redesign_plan::ActiveModel { id: Set(plan.id), ..Default::default() };
    let backward = match super::stages::classify(from, m.to) {
        super::stages::Move::Invalid => {
            let allowed: Vec<&str> = from.next().iter().map(|s| s.as_str()).collect();
            return Err(AppError::validation(
                "input.to",
                if allowed.is_empty() {
                    format!("a plan at `{}` can only be moved back", from.as_str())
                } else {
                    format!("a plan at `{}` can move forward only to {}", from.as_str(), allowed.join(" or "))
                },
            ));
        }
        super::stages::Move::Backward => {
            require_district_admin_person(p)?;
            if note.is_none() {
                return Err(AppError::validation("input.note", "moving a plan back needs a reason"));
            }
            true
        }
        super::stages::Move::Forward => false,
    };
    match m.to {
        RedesignStage::PresentationScheduled if !backward => {
            let at = m.presentation_at.ok_or_else(|| {
                AppError::validation("input.presentationAt", "scheduling the presentation needs its date and time")
            })?;
            next.presentation_at = Set(Some(at));
        }
        RedesignStage::Presented if !backward => {
            let outcome = opt_text("input.presentationOutcome", m.presentation_outcome.as_deref(), MAX_TEXT)?
                .ok_or_else(|| AppError::validation("input.presentationOutcome", "record how the presentation went"))?;
            next.presentation_outcome = Set(Some(outcome));
        }
        RedesignStage::Declined => {
            let reasons = opt_text("input.declineReasons", m.decline_reasons.as_deref(), MAX_TEXT)?
                .ok_or_else(|| AppError::validation("input.declineReasons", "declining needs the reasons"))?;
            next.decline_reasons = Set(Some(reasons));
        }
        _ => {}
    }
    if from == RedesignStage::Declined {
        next.decline_reasons = Set(None);
    }
    let now = crate::db::now();
    next.stage = Set(m.to.as_str().to_owned());
    next.stage_changed_at = Set(now);
    next.date_last_modified = Set(now);
    // The stage predicate makes a concurrent second move of the same plan fail cleanly.
    let done = redesign_plan::Entity::update_many()
        .set(next)
        .filter(redesign_plan::Column::Id.eq(plan.id))
        .filter(redesign_plan::Column::Stage.eq(plan.stage.as_str()))
        .exec(&txn)
        .await
        .on_unique("uq_redesign_plans_open_school", || {
            AppError::Conflict("the school has another plan that is not declined".into())
        })?;
    if done.rows_affected == 0 {
        return Err(AppError::Conflict("the plan's stage changed meanwhile; reload it".into()));
    }
    record_stage(&txn, p, plan.id, Some(from), m.to, note, backward, now).await?;
    let out = redesign_plan::Entity::find_by_id(plan.id).one(&txn).await?.ok_or(AppError::NotFound("plan"))?;
    txn.commit().await?;
    Ok(out)
}

/// A plan the principal may edit the content of: `redesign.write` and the plan's school among
/// its granted orgs. A declined plan is history and stays as it was.
async fn editable_plan(db: &impl ConnectionTrait, p: &Principal, plan_id: i64) -> AppResult<redesign_plan::Model> {
    p.require(Scope::RedesignWrite)?;
    let plan = find_plan(db, p, plan_id).await?.ok_or(AppError::NotFound("plan"))?;
    // Lock the plan's row first (PostgreSQL; SQLite's writer is already alone), so that edits
    // of one plan, and a decline, happen one after another; then read it as it now is.
    touch_plan(db, plan.id).await?;
    let plan = redesign_plan::Entity::find_by_id(plan.id).one(db).await?.ok_or(AppError::NotFound("plan"))?;
    if plan.stage == RedesignStage::Declined.as_str() {
        return Err(AppError::Conflict("a declined plan can't be edited".into()));
    }
    Ok(plan)
}

pub struct PlanContent {
    pub application: Option<String>,
    pub mission: Option<String>,
    pub vision: Option<String>,
}

pub async fn update_content(
    db: &DatabaseConnection,
    p: &Principal,
    plan_id: i64,
    c: PlanContent,
) -> AppResult<redesign_plan::Model> {
    let txn = crate::db::begin_write(db).await?;
    let plan = editable_plan(&txn, p, plan_id).await?;
    let mut next = redesign_plan::ActiveModel { id: Set(plan.id), ..Default::default() };
    if let Some(a) = &c.application {
        next.application = Set(text("input.application", a, MAX_TEXT)?);
    }
    if let Some(m) = &c.mission {
        next.mission = Set(opt_text("input.mission", Some(m), MAX_TEXT)?);
    }
    if let Some(v) = &c.vision {
        next.vision = Set(opt_text("input.vision", Some(v), MAX_TEXT)?);
    }
    next.date_last_modified = Set(crate::db::now());
    redesign_plan::Entity::update(next).exec(&txn).await?;
    let out = redesign_plan::Entity::find_by_id(plan.id).one(&txn).await?.ok_or(AppError::NotFound("plan"))?;
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

// ---------------------------------------------------------------------------------------------
// Strategic plan: goals, indicators, measurements, milestones.

pub struct GoalFields {
    pub title: Option<String>,
    pub description: Option<String>,
    pub owner: Option<String>,
    pub pillar_ids: Option<Vec<i64>>,
}

async fn set_goal_pillars(
    db: &impl ConnectionTrait,
    plan: &redesign_plan::Model,
    goal_id: i64,
    pillar_ids: &[i64],
) -> AppResult<()> {
    if pillar_ids.is_empty() {
        return Err(AppError::validation("input.pillarIds", "a goal serves at least one pillar"));
    }
    let mut ids = pillar_ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    let found = redesign_pillar::Entity::find()
        .filter(redesign_pillar::Column::Id.is_in(ids.clone()))
        .filter(redesign_pillar::Column::DistrictOrgId.eq(plan.district_org_id))
        .filter(redesign_pillar::Column::Archived.eq(false))
        .count(db)
        .await?;
    if usize::try_from(found).unwrap_or(0) != ids.len() {
        return Err(AppError::validation(
            "input.pillarIds",
            "every pillar must be a current pillar of the plan's district",
        ));
    }
    redesign_goal_pillar::Entity::delete_many()
        .filter(redesign_goal_pillar::Column::GoalId.eq(goal_id))
        .exec(db)
        .await?;
    redesign_goal_pillar::Entity::insert_many(
        ids.into_iter()
            .map(|pillar| redesign_goal_pillar::ActiveModel { goal_id: Set(goal_id), pillar_id: Set(pillar) }),
    )
    .exec(db)
    .await?;
    Ok(())
}

pub async fn create_goal(
    db: &DatabaseConnection,
    p: &Principal,
    plan_id: i64,
    f: GoalFields,
) -> AppResult<redesign_goal::Model> {
    let title = text("input.title", f.title.as_deref().unwrap_or_default(), MAX_TITLE)?;
    let description = opt_text("input.description", f.description.as_deref(), MAX_TEXT)?;
    let owner = opt_text("input.owner", f.owner.as_deref(), MAX_NAME)?;
    let txn = crate::db::begin_write(db).await?;
    let plan = editable_plan(&txn, p, plan_id).await?;
    let now = crate::db::now();
    let id = redesign_goal::Entity::insert(redesign_goal::ActiveModel {
        plan_id: Set(plan.id),
        title: Set(title),
        description: Set(description),
        owner: Set(owner),
        created_at: Set(now),
        date_last_modified: Set(now),
        ..Default::default()
    })
    .exec(&txn)
    .await?
    .last_insert_id;
    set_goal_pillars(&txn, &plan, id, f.pillar_ids.as_deref().unwrap_or_default()).await?;
    let m = redesign_goal::Entity::find_by_id(id).one(&txn).await?.ok_or(AppError::NotFound("goal"))?;
    txn.commit().await?;
    Ok(m)
}

pub async fn find_goal(db: &impl ConnectionTrait, p: &Principal, id: i64) -> AppResult<Option<redesign_goal::Model>> {
    require_read(p)?;
    Ok(redesign_goal::Entity::find()
        .filter(redesign_goal::Column::Id.eq(id))
        .filter(redesign_goal::Column::PlanId.in_subquery(visible_plan_ids(p)))
        .one(db)
        .await?)
}

/// A goal whose plan the principal may edit.
async fn editable_goal(
    db: &impl ConnectionTrait,
    p: &Principal,
    goal_id: i64,
) -> AppResult<(redesign_plan::Model, redesign_goal::Model)> {
    p.require(Scope::RedesignWrite)?;
    let goal = find_goal(db, p, goal_id).await?.ok_or(AppError::NotFound("goal"))?;
    let plan = editable_plan(db, p, goal.plan_id).await?;
    // A concurrent delete may have won the plan's lock first.
    let goal = redesign_goal::Entity::find_by_id(goal.id).one(db).await?.ok_or(AppError::NotFound("goal"))?;
    Ok((plan, goal))
}

pub async fn update_goal(
    db: &DatabaseConnection,
    p: &Principal,
    goal_id: i64,
    f: GoalFields,
) -> AppResult<redesign_goal::Model> {
    let txn = crate::db::begin_write(db).await?;
    let (plan, goal) = editable_goal(&txn, p, goal_id).await?;
    let mut next = redesign_goal::ActiveModel { id: Set(goal.id), ..Default::default() };
    if let Some(t) = &f.title {
        next.title = Set(text("input.title", t, MAX_TITLE)?);
    }
    if let Some(d) = &f.description {
        next.description = Set(opt_text("input.description", Some(d), MAX_TEXT)?);
    }
    if let Some(o) = &f.owner {
        next.owner = Set(opt_text("input.owner", Some(o), MAX_NAME)?);
    }
    next.date_last_modified = Set(crate::db::now());
    redesign_goal::Entity::update(next).exec(&txn).await?;
    if let Some(ids) = &f.pillar_ids {
        set_goal_pillars(&txn, &plan, goal.id, ids).await?;
    }
    let m = redesign_goal::Entity::find_by_id(goal.id).one(&txn).await?.ok_or(AppError::NotFound("goal"))?;
    txn.commit().await?;
    Ok(m)
}

/// Deletes a goal with its indicators, measurements and milestones.
pub async fn delete_goal(db: &DatabaseConnection, p: &Principal, goal_id: i64) -> AppResult<()> {
    let txn = crate::db::begin_write(db).await?;
    let (_, goal) = editable_goal(&txn, p, goal_id).await?;
    redesign_goal::Entity::delete_by_id(goal.id).exec(&txn).await?;
    txn.commit().await?;
    Ok(())
}

pub struct IndicatorFields {
    pub name: String,
    pub unit: Option<String>,
    pub baseline: f64,
    pub baseline_on: NaiveDate,
    pub target: f64,
    pub target_on: NaiveDate,
}

pub async fn add_indicator(
    db: &DatabaseConnection,
    p: &Principal,
    goal_id: i64,
    f: IndicatorFields,
) -> AppResult<redesign_indicator::Model> {
    let name = text("input.name", &f.name, MAX_TITLE)?;
    let unit = opt_text("input.unit", f.unit.as_deref(), 50)?;
    let baseline = finite("input.baseline", f.baseline)?;
    let target = finite("input.target", f.target)?;
    check_date("input.baselineOn", f.baseline_on)?;
    check_date("input.targetOn", f.target_on)?;
    if f.target_on <= f.baseline_on {
        return Err(AppError::validation("input.targetOn", "must be after baselineOn"));
    }
    let txn = crate::db::begin_write(db).await?;
    let (_, goal) = editable_goal(&txn, p, goal_id).await?;
    let id = redesign_indicator::Entity::insert(redesign_indicator::ActiveModel {
        goal_id: Set(goal.id),
        name: Set(name),
        unit: Set(unit),
        baseline: Set(baseline),
        baseline_on: Set(f.baseline_on),
        target: Set(target),
        target_on: Set(f.target_on),
        created_at: Set(crate::db::now()),
        ..Default::default()
    })
    .exec(&txn)
    .await?
    .last_insert_id;
    let m = redesign_indicator::Entity::find_by_id(id).one(&txn).await?.ok_or(AppError::NotFound("indicator"))?;
    txn.commit().await?;
    Ok(m)
}

pub async fn find_indicator(
    db: &impl ConnectionTrait,
    p: &Principal,
    id: i64,
) -> AppResult<Option<redesign_indicator::Model>> {
    require_read(p)?;
    Ok(redesign_indicator::Entity::find()
        .filter(redesign_indicator::Column::Id.eq(id))
        .filter(redesign_indicator::Column::GoalId.in_subquery(visible_goal_ids(p)))
        .one(db)
        .await?)
}

/// Records the indicator's value on a date; a second value for the same date replaces the first.
pub async fn record_measurement(
    db: &DatabaseConnection,
    p: &Principal,
    indicator_id: i64,
    measured_on: NaiveDate,
    value: f64,
    note: Option<String>,
) -> AppResult<redesign_indicator::Model> {
    let value = finite("input.value", value)?;
    check_date("input.measuredOn", measured_on)?;
    let note = opt_text("input.note", note.as_deref(), MAX_TEXT)?;
    let txn = crate::db::begin_write(db).await?;
    let indicator = find_indicator(&txn, p, indicator_id).await?.ok_or(AppError::NotFound("indicator"))?;
    editable_goal(&txn, p, indicator.goal_id).await?;
    if measured_on < indicator.baseline_on {
        return Err(AppError::validation("input.measuredOn", "must not be before the indicator's baselineOn"));
    }
    let (kind, actor_id) = actor(p);
    let existing = redesign_measurement::Entity::find()
        .filter(redesign_measurement::Column::IndicatorId.eq(indicator.id))
        .filter(redesign_measurement::Column::MeasuredOn.eq(measured_on))
        .one(&txn)
        .await?;
    let row = redesign_measurement::ActiveModel {
        indicator_id: Set(indicator.id),
        measured_on: Set(measured_on),
        value: Set(value),
        note: Set(note),
        actor_kind: Set(kind),
        actor_id: Set(actor_id),
        recorded_at: Set(crate::db::now()),
        ..Default::default()
    };
    match existing {
        Some(e) => {
            redesign_measurement::Entity::update(redesign_measurement::ActiveModel { id: Set(e.id), ..row })
                .exec(&txn)
                .await?;
        }
        None => {
            redesign_measurement::Entity::insert(row).exec(&txn).await?;
        }
    }
    txn.commit().await?;
    Ok(indicator)
}

pub struct MilestoneFields {
    pub title: Option<String>,
    pub owner: Option<String>,
    pub due_on: Option<NaiveDate>,
    /// `Some(None)` reopens a completed milestone.
    pub completed_on: Option<Option<NaiveDate>>,
}

pub async fn add_milestone(
    db: &DatabaseConnection,
    p: &Principal,
    goal_id: i64,
    f: MilestoneFields,
) -> AppResult<redesign_milestone::Model> {
    let title = text("input.title", f.title.as_deref().unwrap_or_default(), MAX_TITLE)?;
    let owner = opt_text("input.owner", f.owner.as_deref(), MAX_NAME)?;
    let due_on = f.due_on.ok_or_else(|| AppError::validation("input.dueOn", "a milestone needs a due date"))?;
    check_date("input.dueOn", due_on)?;
    if let Some(Some(done)) = f.completed_on {
        check_date("input.completedOn", done)?;
    }
    let txn = crate::db::begin_write(db).await?;
    let (_, goal) = editable_goal(&txn, p, goal_id).await?;
    let now = crate::db::now();
    let id = redesign_milestone::Entity::insert(redesign_milestone::ActiveModel {
        goal_id: Set(goal.id),
        title: Set(title),
        owner: Set(owner),
        due_on: Set(due_on),
        completed_on: Set(f.completed_on.flatten()),
        created_at: Set(now),
        date_last_modified: Set(now),
        ..Default::default()
    })
    .exec(&txn)
    .await?
    .last_insert_id;
    let m = redesign_milestone::Entity::find_by_id(id).one(&txn).await?.ok_or(AppError::NotFound("milestone"))?;
    txn.commit().await?;
    Ok(m)
}

pub async fn find_milestone(
    db: &impl ConnectionTrait,
    p: &Principal,
    id: i64,
) -> AppResult<Option<redesign_milestone::Model>> {
    require_read(p)?;
    Ok(redesign_milestone::Entity::find()
        .filter(redesign_milestone::Column::Id.eq(id))
        .filter(redesign_milestone::Column::GoalId.in_subquery(visible_goal_ids(p)))
        .one(db)
        .await?)
}

pub async fn update_milestone(
    db: &DatabaseConnection,
    p: &Principal,
    id: i64,
    f: MilestoneFields,
) -> AppResult<redesign_milestone::Model> {
    let txn = crate::db::begin_write(db).await?;
    let current = find_milestone(&txn, p, id).await?.ok_or(AppError::NotFound("milestone"))?;
    editable_goal(&txn, p, current.goal_id).await?;
    let mut next = redesign_milestone::ActiveModel { id: Set(current.id), ..Default::default() };
    if let Some(t) = &f.title {
        next.title = Set(text("input.title", t, MAX_TITLE)?);
    }
    if let Some(o) = &f.owner {
        next.owner = Set(opt_text("input.owner", Some(o), MAX_NAME)?);
    }
    if let Some(d) = f.due_on {
        next.due_on = Set(check_date("input.dueOn", d)?);
    }
    if let Some(c) = f.completed_on {
        next.completed_on = Set(c.map(|d| check_date("input.completedOn", d)).transpose()?);
    }
    next.date_last_modified = Set(crate::db::now());
    redesign_milestone::Entity::update(next).exec(&txn).await?;
    let m =
        redesign_milestone::Entity::find_by_id(current.id).one(&txn).await?.ok_or(AppError::NotFound("milestone"))?;
    txn.commit().await?;
    Ok(m)
}

// ---------------------------------------------------------------------------------------------
// Money.

/// Takes the plan's money lock: bumping `funds_version` row-locks the plan on PostgreSQL
/// until the transaction ends (SQLite's `BEGIN IMMEDIATE` already serializes writers), so
/// the sums read next can't be changed by a concurrent writer before this one commits.
/// Returns the plan as it is once the lock is held (its terms may have changed meanwhile).
async fn lock_funds(db: &impl ConnectionTrait, plan_id: i64) -> AppResult<redesign_plan::Model> {
    redesign_plan::Entity::update_many()
        .col_expr(redesign_plan::Column::FundsVersion, Expr::col(redesign_plan::Column::FundsVersion).add(1))
        .filter(redesign_plan::Column::Id.eq(plan_id))
        .exec(db)
        .await?;
    redesign_plan::Entity::find_by_id(plan_id).one(db).await?.ok_or(AppError::NotFound("plan"))
}

/// A plan's money read inside its lock.
struct PlanMoney {
    /// Committed to the school over all its plans.
    committed: i64,
    /// Paid to the school over all its plans.
    disbursed: i64,
    /// Per grant of the school: (amount, disbursed).
    grants: BTreeMap<i64, (i64, i64)>,
    /// The grants of this plan.
    grant_rows: Vec<entity::redesign_grant::Model>,
}

/// The money of every plan the plan's school ever had: the ceiling is the school's, so an
/// earlier plan's grants count against it too. Only the current plan can receive money (one
/// open plan per school, and declined plans are not funded), so its lock covers the sums.
async fn plan_money(db: &impl ConnectionTrait, plan: &redesign_plan::Model) -> AppResult<PlanMoney> {
    let school_plans = Query::select()
        .column(redesign_plan::Column::Id)
        .from(redesign_plan::Entity)
        .and_where(redesign_plan::Column::SchoolOrgId.eq(plan.school_org_id))
        .to_owned();
    let school_grants = entity::redesign_grant::Entity::find()
        .filter(entity::redesign_grant::Column::PlanId.in_subquery(school_plans.clone()))
        .all(db)
        .await?;
    let disb: Vec<(i64, i64)> = redesign_disbursement::Entity::find()
        .select_only()
        .columns([redesign_disbursement::Column::GrantId, redesign_disbursement::Column::AmountCents])
        .filter(redesign_disbursement::Column::PlanId.in_subquery(school_plans))
        .into_tuple()
        .all(db)
        .await?;
    let mut grants: BTreeMap<i64, (i64, i64)> = school_grants.iter().map(|g| (g.id, (g.amount_cents, 0))).collect();
    for (grant, amount) in &disb {
        if let Some(e) = grants.get_mut(grant) {
            e.1 += amount;
        }
    }
    Ok(PlanMoney {
        committed: school_grants.iter().map(|g| g.amount_cents).sum(),
        disbursed: disb.iter().map(|d| d.1).sum(),
        grants,
        grant_rows: school_grants.into_iter().filter(|g| g.plan_id == plan.id).collect(),
    })
}

fn check_fiscal_year(plan: &redesign_plan::Model, fy: i32, field: &str) -> AppResult<()> {
    let last = plan.first_fiscal_year + plan.span_years - 1;
    if fy < plan.first_fiscal_year || fy > last {
        return Err(AppError::validation(
            field,
            format!("fiscal year {fy} is outside the plan's funding span, FY{}–FY{last}", plan.first_fiscal_year),
        ));
    }
    Ok(())
}

/// The district's terms for a plan's money; `None` keeps a term.
pub struct FundingTerms {
    pub ceiling: Option<Money>,
    pub first_fiscal_year: Option<i32>,
    pub span_years: Option<i32>,
}

pub async fn set_funding(
    db: &DatabaseConnection,
    p: &Principal,
    plan_id: i64,
    t: FundingTerms,
) -> AppResult<redesign_plan::Model> {
    let txn = crate::db::begin_write(db).await?;
    let plan = find_plan(&txn, p, plan_id).await?.ok_or(AppError::NotFound("plan"))?;
    require_district(p, Scope::RedesignWrite, plan.district_org_id)?;
    let plan = lock_funds(&txn, plan.id).await?;
    let money = plan_money(&txn, &plan).await?;
    let ceiling = t.ceiling.map_or(plan.funding_ceiling_cents, |m| m.0);
    let first = t.first_fiscal_year.unwrap_or(plan.first_fiscal_year);
    let span = t.span_years.unwrap_or(plan.span_years);
    if !(MIN_SPAN_YEARS..=MAX_SPAN_YEARS).contains(&span) {
        return Err(AppError::validation(
            "input.spanYears",
            format!("must be {MIN_SPAN_YEARS} to {MAX_SPAN_YEARS} fiscal years"),
        ));
    }
    if !(2000..=2100).contains(&first) {
        return Err(AppError::validation("input.firstFiscalYear", "must be a year between 2000 and 2100"));
    }
    if ceiling < money.committed {
        return Err(AppError::validation(
            "input.ceiling",
            format!("{} is already committed to this school; the ceiling can't be lower", Money(money.committed)),
        ));
    }
    let probe = redesign_plan::Model { first_fiscal_year: first, span_years: span, ..plan.clone() };
    for g in &money.grant_rows {
        check_fiscal_year(&probe, g.fiscal_year, "input.spanYears")?;
    }
    let disbursed_years: Vec<i32> = redesign_disbursement::Entity::find()
        .select_only()
        .column(redesign_disbursement::Column::FiscalYear)
        .filter(redesign_disbursement::Column::PlanId.eq(plan.id))
        .into_tuple()
        .all(&txn)
        .await?;
    for fy in disbursed_years {
        check_fiscal_year(&probe, fy, "input.spanYears")?;
    }
    redesign_plan::Entity::update(redesign_plan::ActiveModel {
        id: Set(plan.id),
        funding_ceiling_cents: Set(ceiling),
        first_fiscal_year: Set(first),
        span_years: Set(span),
        date_last_modified: Set(crate::db::now()),
        ..Default::default()
    })
    .exec(&txn)
    .await?;
    let out = redesign_plan::Entity::find_by_id(plan.id).one(&txn).await?.ok_or(AppError::NotFound("plan"))?;
    txn.commit().await?;
    Ok(out)
}

pub struct GrantFields {
    pub kind: &'static str,
    pub fiscal_year: i32,
    pub amount: Money,
    pub awarded_on: NaiveDate,
}

/// Commits money to a plan: its one planning grant, or implementation funds for a fiscal year.
/// Refused when the plan isn't accepted, the year is outside the span, or the plan's total
/// commitments would pass its ceiling.
pub async fn award_grant(
    db: &DatabaseConnection,
    p: &Principal,
    plan_id: i64,
    f: GrantFields,
) -> AppResult<entity::redesign_grant::Model> {
    if f.amount.0 <= 0 {
        return Err(AppError::validation("input.amount", "must be more than zero"));
    }
    check_date("input.awardedOn", f.awarded_on)?;
    let txn = crate::db::begin_write(db).await?;
    let plan = find_plan(&txn, p, plan_id).await?.ok_or(AppError::NotFound("plan"))?;
    require_district(p, Scope::RedesignWrite, plan.district_org_id)?;
    let plan = lock_funds(&txn, plan.id).await?;
    if !RedesignStage::from_db(&plan.stage).funded() {
        return Err(AppError::Conflict(format!("a plan at `{}` can't receive money: accept it first", plan.stage)));
    }
    check_fiscal_year(&plan, f.fiscal_year, "input.fiscalYear")?;
    let money = plan_money(&txn, &plan).await?;
    if f.kind == GRANT_PLANNING && money.grant_rows.iter().any(|g| g.kind == GRANT_PLANNING) {
        return Err(AppError::Conflict("this plan already has its planning grant".into()));
    }
    let after = money.committed + f.amount.0;
    if after > plan.funding_ceiling_cents {
        return Err(AppError::validation(
            "input.amount",
            format!(
                "would commit {} to this school in all, over its ceiling of {} ({} left to commit)",
                Money(after),
                Money(plan.funding_ceiling_cents),
                Money(plan.funding_ceiling_cents - money.committed)
            ),
        ));
    }
    let (kind, actor_id) = actor(p);
    let id = entity::redesign_grant::Entity::insert(entity::redesign_grant::ActiveModel {
        plan_id: Set(plan.id),
        kind: Set(f.kind.to_owned()),
        fiscal_year: Set(f.fiscal_year),
        amount_cents: Set(f.amount.0),
        awarded_on: Set(f.awarded_on),
        actor_kind: Set(kind),
        actor_id: Set(actor_id),
        created_at: Set(crate::db::now()),
        ..Default::default()
    })
    .exec(&txn)
    .await?
    .last_insert_id;
    let g = entity::redesign_grant::Entity::find_by_id(id).one(&txn).await?.ok_or(AppError::NotFound("grant"))?;
    txn.commit().await?;
    Ok(g)
}

pub async fn find_grant(
    db: &impl ConnectionTrait,
    p: &Principal,
    id: i64,
) -> AppResult<Option<entity::redesign_grant::Model>> {
    require_read(p)?;
    Ok(entity::redesign_grant::Entity::find()
        .filter(entity::redesign_grant::Column::Id.eq(id))
        .filter(entity::redesign_grant::Column::PlanId.in_subquery(visible_plan_ids(p)))
        .one(db)
        .await?)
}

pub struct DisbursementFields {
    pub fiscal_year: i32,
    pub amount: Money,
    pub disbursed_on: NaiveDate,
    pub note: Option<String>,
}

/// Pays money out of a grant. Refused, with nothing written, when it would pay more than the
/// grant or the school's ceiling, or fall outside the plan's span (or before the grant's year).
pub async fn disburse(
    db: &DatabaseConnection,
    p: &Principal,
    grant_id: i64,
    f: DisbursementFields,
) -> AppResult<redesign_disbursement::Model> {
    if f.amount.0 <= 0 {
        return Err(AppError::validation("input.amount", "must be more than zero"));
    }
    let note = opt_text("input.note", f.note.as_deref(), MAX_TEXT)?;
    check_date("input.disbursedOn", f.disbursed_on)?;
    let txn = crate::db::begin_write(db).await?;
    let grant = find_grant(&txn, p, grant_id).await?.ok_or(AppError::NotFound("grant"))?;
    let plan = find_plan(&txn, p, grant.plan_id).await?.ok_or(AppError::NotFound("plan"))?;
    require_district(p, Scope::RedesignWrite, plan.district_org_id)?;
    let plan = lock_funds(&txn, plan.id).await?;
    if !RedesignStage::from_db(&plan.stage).funded() {
        return Err(AppError::Conflict(format!("a plan at `{}` can't be paid: it is not accepted", plan.stage)));
    }
    check_fiscal_year(&plan, f.fiscal_year, "input.fiscalYear")?;
    if f.fiscal_year < grant.fiscal_year {
        return Err(AppError::validation(
            "input.fiscalYear",
            format!("this grant is for FY{}; it can't be paid out earlier", grant.fiscal_year),
        ));
    }
    let money = plan_money(&txn, &plan).await?;
    if money.disbursed + f.amount.0 > plan.funding_ceiling_cents {
        return Err(AppError::validation(
            "input.amount",
            format!(
                "would pay {} to this school in all, over its ceiling of {}",
                Money(money.disbursed + f.amount.0),
                Money(plan.funding_ceiling_cents)
            ),
        ));
    }
    let (amount, paid) = money.grants.get(&grant.id).copied().unwrap_or((grant.amount_cents, 0));
    if paid + f.amount.0 > amount {
        return Err(AppError::validation(
            "input.amount",
            format!("only {} of this grant is left to pay out", Money(amount - paid)),
        ));
    }
    let (kind, actor_id) = actor(p);
    let id = redesign_disbursement::Entity::insert(redesign_disbursement::ActiveModel {
        grant_id: Set(grant.id),
        plan_id: Set(plan.id),
        fiscal_year: Set(f.fiscal_year),
        amount_cents: Set(f.amount.0),
        disbursed_on: Set(f.disbursed_on),
        note: Set(note),
        actor_kind: Set(kind),
        actor_id: Set(actor_id),
        created_at: Set(crate::db::now()),
        ..Default::default()
    })
    .exec(&txn)
    .await?
    .last_insert_id;
    let d = redesign_disbursement::Entity::find_by_id(id).one(&txn).await?.ok_or(AppError::NotFound("disbursement"))?;
    txn.commit().await?;
    Ok(d)
}

/// Money committed and paid out, overall and by fiscal year.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    pub ceiling: i64,
    pub committed: i64,
    pub disbursed: i64,
    /// fiscal year -> (committed that year, paid out that year)
    pub by_year: BTreeMap<i32, (i64, i64)>,
}

impl Totals {
    pub fn add_grant(&mut self, fy: i32, cents: i64) {
        self.committed += cents;
        self.by_year.entry(fy).or_default().0 += cents;
    }
    pub fn add_disbursement(&mut self, fy: i32, cents: i64) {
        self.disbursed += cents;
        self.by_year.entry(fy).or_default().1 += cents;
    }
}

/// Totals over the plans the principal may see, optionally of one cohort or one school: three
/// aggregate statements, however many plans. The ceiling counts only plans that may receive
/// money (accepted or beyond) or hold some.
pub async fn totals(
    db: &impl ConnectionTrait,
    p: &Principal,
    cohort_year: Option<i32>,
    school_sourced_id: Option<&str>,
) -> AppResult<Totals> {
    require_read(p)?;
    let mut filter = PlanFilter { cohort_year, ..Default::default() };
    if let Some(sid) = school_sourced_id {
        match granted_school(db, p, sid).await {
            Ok(s) => filter.school = Some(s.id),
            Err(AppError::NotFound(_)) => return Ok(Totals::default()),
            Err(e) => return Err(e),
        }
    }
    let ids = plans(p, &filter)?.select_only().column(redesign_plan::Column::Id).into_query();
    let sum = |col: &str| Expr::cust(format!("CAST(COALESCE(SUM({col}), 0) AS BIGINT)"));
    // Only plans that may receive money, or did, have a ceiling to count.
    let funded = RedesignStage::funded_names();
    let with_grants =
        Query::select().column(entity::redesign_grant::Column::PlanId).from(entity::redesign_grant::Entity).to_owned();
    let ceiling: Option<i64> = plans(p, &filter)?
        .filter(
            sea_orm::Condition::any()
                .add(redesign_plan::Column::Stage.is_in(funded))
                .add(redesign_plan::Column::Id.in_subquery(with_grants)),
        )
        .select_only()
        .column_as(sum("funding_ceiling_cents"), "s")
        .into_tuple()
        .one(db)
        .await?;
    let committed: Vec<(i32, i64)> = entity::redesign_grant::Entity::find()
        .select_only()
        .column(entity::redesign_grant::Column::FiscalYear)
        .column_as(sum("amount_cents"), "s")
        .filter(entity::redesign_grant::Column::PlanId.in_subquery(ids.clone()))
        .group_by(entity::redesign_grant::Column::FiscalYear)
        .into_tuple()
        .all(db)
        .await?;
    let paid: Vec<(i32, i64)> = redesign_disbursement::Entity::find()
        .select_only()
        .column(redesign_disbursement::Column::FiscalYear)
        .column_as(sum("amount_cents"), "s")
        .filter(redesign_disbursement::Column::PlanId.in_subquery(ids))
        .group_by(redesign_disbursement::Column::FiscalYear)
        .into_tuple()
        .all(db)
        .await?;
    let mut t = Totals { ceiling: ceiling.unwrap_or(0), ..Default::default() };
    for (fy, c) in committed {
        t.add_grant(fy, c);
    }
    for (fy, c) in paid {
        t.add_disbursement(fy, c);
    }
    Ok(t)
}

// ---------------------------------------------------------------------------------------------
// Dashboard.

/// (cohort year, stage, schools) for the plans the principal may see.
pub async fn stage_counts(db: &impl ConnectionTrait, p: &Principal) -> AppResult<Vec<(i32, String, i64)>> {
    require_read(p)?;
    let rows: Vec<(i64, String, i64)> = plans(p, &PlanFilter::default())?
        .select_only()
        .column(redesign_plan::Column::CohortId)
        .column(redesign_plan::Column::Stage)
        .column_as(Expr::cust("CAST(COUNT(*) AS BIGINT)"), "n")
        .group_by(redesign_plan::Column::CohortId)
        .group_by(redesign_plan::Column::Stage)
        .into_tuple()
        .all(db)
        .await?;
    let years: BTreeMap<i64, i32> = redesign_cohort::Entity::find()
        .select_only()
        .columns([redesign_cohort::Column::Id, redesign_cohort::Column::Year])
        .filter(redesign_cohort::Column::Id.is_in(rows.iter().map(|r| r.0)))
        .into_tuple::<(i64, i32)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let mut out: Vec<(i32, String, i64)> =
        rows.into_iter().filter_map(|(c, stage, n)| years.get(&c).map(|y| (*y, stage, n))).collect();
    out.sort_by(|a, b| {
        (a.0, RedesignStage::from_db(&a.1) as u8, &a.1).cmp(&(b.0, RedesignStage::from_db(&b.1) as u8, &b.1))
    });
    Ok(out)
}

/// Milestones past due and not completed as of `as_of`, oldest first.
pub fn overdue_milestones(p: &Principal, as_of: NaiveDate) -> AppResult<Select<redesign_milestone::Entity>> {
    require_read(p)?;
    Ok(redesign_milestone::Entity::find()
        .filter(redesign_milestone::Column::CompletedOn.is_null())
        .filter(redesign_milestone::Column::DueOn.lt(as_of))
        .filter(redesign_milestone::Column::GoalId.in_subquery(live_goal_ids(p)))
        .order_by_asc(redesign_milestone::Column::DueOn)
        .order_by_asc(redesign_milestone::Column::Id))
}

/// Where an indicator stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, async_graphql::Enum)]
pub enum IndicatorStatus {
    /// No measurement yet, and the target date has not passed.
    NotMeasured,
    /// The latest measurement is at least where a straight line from baseline to target says
    /// it should be on its date.
    OnTrack,
    /// Behind that line, or the target date passed without reaching the target.
    OffTrack,
    /// The latest measurement reached the target.
    Met,
}

/// The status of an indicator as of a date, from its measurements (any order).
pub fn indicator_status(
    i: &redesign_indicator::Model,
    measurements: &[redesign_measurement::Model],
    as_of: NaiveDate,
) -> IndicatorStatus {
    // Higher is better when the target is above the baseline (or equal), lower otherwise.
    let dir = if i.target < i.baseline { -1.0 } else { 1.0 };
    let latest = measurements.iter().filter(|m| m.measured_on <= as_of).max_by_key(|m| m.measured_on);
    let Some(latest) = latest else {
        return if as_of > i.target_on { IndicatorStatus::OffTrack } else { IndicatorStatus::NotMeasured };
    };
    if dir * (latest.value - i.target) >= 0.0 {
        return IndicatorStatus::Met;
    }
    if as_of > i.target_on {
        return IndicatorStatus::OffTrack;
    }
    let span = Ord::max((i.target_on - i.baseline_on).num_days(), 1) as f64;
    let elapsed = ((latest.measured_on - i.baseline_on).num_days() as f64 / span).clamp(0.0, 1.0);
    let expected = i.baseline + (i.target - i.baseline) * elapsed;
    if dir * (latest.value - expected) >= -1e-9 { IndicatorStatus::OnTrack } else { IndicatorStatus::OffTrack }
}

/// Indicators of visible plans that are off track as of `as_of`, with the measurements that
/// say so: two statements.
pub async fn off_track_indicators(
    db: &impl ConnectionTrait,
    p: &Principal,
    as_of: NaiveDate,
) -> AppResult<Vec<redesign_indicator::Model>> {
    require_read(p)?;
    let indicators = redesign_indicator::Entity::find()
        .filter(redesign_indicator::Column::GoalId.in_subquery(live_goal_ids(p)))
        .order_by_asc(redesign_indicator::Column::Id)
        .all(db)
        .await?;
    let measurements = redesign_measurement::Entity::find()
        .filter(
            redesign_measurement::Column::IndicatorId.in_subquery(
                Query::select()
                    .column(redesign_indicator::Column::Id)
                    .from(redesign_indicator::Entity)
                    .and_where(Expr::col(redesign_indicator::Column::GoalId).in_subquery(live_goal_ids(p)))
                    .to_owned(),
            ),
        )
        .all(db)
        .await?;
    let mut by: BTreeMap<i64, Vec<redesign_measurement::Model>> = BTreeMap::new();
    for m in measurements {
        by.entry(m.indicator_id).or_default().push(m);
    }
    Ok(indicators
        .into_iter()
        .filter(|i| indicator_status(i, by.get(&i.id).map_or(&[], Vec::as_slice), as_of) == IndicatorStatus::OffTrack)
        .collect())
}

/// (schools whose transition started: accepted or beyond; active schools) among the schools the
/// principal may see.
pub async fn transition(db: &impl ConnectionTrait, p: &Principal) -> AppResult<(i64, i64)> {
    require_read(p)?;
    let funded = RedesignStage::funded_names();
    let started = plans(p, &PlanFilter::default())?
        .filter(redesign_plan::Column::Stage.is_in(funded))
        .select_only()
        .column(redesign_plan::Column::SchoolOrgId)
        .distinct()
        .count(db)
        .await?;
    let schools = org::Entity::find()
        .filter(org::Column::OrgType.eq(OrgType::School))
        .filter(org::Column::Status.eq(STATUS_ACTIVE))
        .filter(owned_by_granted_org(p, (org::Entity, org::Column::Id)))
        .count(db)
        .await?;
    Ok((i64::try_from(started).unwrap_or(i64::MAX), i64::try_from(schools).unwrap_or(i64::MAX)))
}
