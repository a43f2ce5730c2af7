//! The district's side of the redesign: its pillars (the outcomes it serves) and its yearly
//! cohorts. Anyone with `redesign.read` in the district sees them; only the district edits.

use chrono::NaiveDate;
use entity::{redesign_cohort, redesign_pillar};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Select, TransactionSession, TransactionTrait,
};

use super::{MAX_NAME, MAX_POSITION, MAX_TEXT, begin, check_position};
use crate::validate::{Date, Text};
use crate::{
    auth::{Principal, policy::redesign as policy},
    error::{AppError, AppResult, OnConstraint},
    roster::store::resolve_district,
};

/// The five pillars a district starts with (the migration gives existing districts the same).
pub const DEFAULT_PILLARS: [(&str, &str); 5] = [
    ("Learner profiles", "Every student has an up-to-date record of strengths, needs, interests and goals."),
    ("Personal learning paths", "Each student follows a path of their own, chosen with their teachers."),
    ("Competency-based progression", "Students advance when they show mastery, not when the calendar says so."),
    ("Flexible learning environments", "Time, space and staffing bend to what students need."),
    ("Student agency", "Students own their learning: they set goals, choose and reflect."),
];

/// Gives a new district the default pillars (idempotent). Runs in the caller's transaction.
#[tracing::instrument(skip_all, fields(district_id))]
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

fn pillars_query(p: &Principal, include_archived: bool) -> AppResult<Select<redesign_pillar::Entity>> {
    policy::require_read(p)?;
    let mut q = redesign_pillar::Entity::find().filter(policy::pillars_visible(p));
    if !include_archived {
        q = q.filter(redesign_pillar::Column::Archived.eq(false));
    }
    Ok(q.order_by_asc(redesign_pillar::Column::DistrictOrgId)
        .order_by_asc(redesign_pillar::Column::Position)
        .order_by_asc(redesign_pillar::Column::Id))
}

/// The pillars the principal may see, by district and position.
#[tracing::instrument(skip_all, fields(include_archived))]
pub async fn pillars(
    db: &impl ConnectionTrait,
    p: &Principal,
    include_archived: bool,
) -> AppResult<Vec<redesign_pillar::Model>> {
    Ok(pillars_query(p, include_archived)?.all(db).await?)
}

#[tracing::instrument(skip_all, fields(id))]
pub async fn find_pillar(
    db: &impl ConnectionTrait,
    p: &Principal,
    id: i64,
) -> AppResult<Option<redesign_pillar::Model>> {
    Ok(pillars_query(p, true)?.filter(redesign_pillar::Column::Id.eq(id)).one(db).await?)
}

pub struct PillarFields {
    pub name: Option<String>,
    pub description: Option<String>,
    pub position: Option<i32>,
    pub archived: Option<bool>,
}

fn duplicate_pillar() -> AppError {
    AppError::Conflict("the district already has a pillar of that name".into())
}

#[tracing::instrument(skip_all, fields(district))]
pub async fn create_pillar(
    db: &impl TransactionTrait,
    p: &Principal,
    district: Option<&str>,
    f: PillarFields,
) -> AppResult<redesign_pillar::Model> {
    let name = Text::parse("input.name", f.name.as_deref().unwrap_or_default(), MAX_NAME)?.into_string();
    let description = Text::optional("input.description", f.description.as_deref(), MAX_TEXT)?
        .map(Text::into_string)
        .unwrap_or_default();
    let txn = begin(db).await?;
    let district_id = resolve_district(&txn, p, district).await?;
    policy::require_district_records(p, district_id)?;
    let last: Option<i32> = redesign_pillar::Entity::find()
        .select_only()
        .column_as(redesign_pillar::Column::Position.max(), "m")
        .filter(redesign_pillar::Column::DistrictOrgId.eq(district_id))
        .into_tuple()
        .one(&txn)
        .await?
        .flatten();
    let now = crate::db::now();
    let m = redesign_pillar::ActiveModel {
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
    }
    .insert(&txn)
    .await
    .on_unique("uq_redesign_pillars_name", duplicate_pillar)?;
    txn.commit().await?;
    Ok(m)
}

#[tracing::instrument(skip_all, fields(id))]
pub async fn update_pillar(
    db: &impl TransactionTrait,
    p: &Principal,
    id: i64,
    f: PillarFields,
) -> AppResult<redesign_pillar::Model> {
    let txn = begin(db).await?;
    let current = find_pillar(&txn, p, id).await?.ok_or(AppError::NotFound("pillar"))?;
    policy::require_district_records(p, current.district_org_id)?;
    let mut next = redesign_pillar::ActiveModel { id: Set(id), ..Default::default() };
    if let Some(name) = &f.name {
        next.name = Set(Text::parse("input.name", name, MAX_NAME)?.into_string());
    }
    if let Some(d) = &f.description {
        next.description =
            Set(Text::optional("input.description", Some(d), MAX_TEXT)?.map(Text::into_string).unwrap_or_default());
    }
    if let Some(pos) = f.position {
        next.position = Set(check_position(pos)?);
    }
    if let Some(a) = f.archived {
        next.archived = Set(a);
    }
    next.date_last_modified = Set(crate::db::now());
    let m = next.update(&txn).await.on_unique("uq_redesign_pillars_name", duplicate_pillar)?;
    txn.commit().await?;
    Ok(m)
}

fn cohorts_query(p: &Principal) -> AppResult<Select<redesign_cohort::Entity>> {
    policy::require_read(p)?;
    Ok(redesign_cohort::Entity::find().filter(policy::cohorts_visible(p)).order_by_asc(redesign_cohort::Column::Year))
}

/// The cohorts the principal may see, oldest first.
#[tracing::instrument(skip_all)]
pub async fn cohorts(db: &impl ConnectionTrait, p: &Principal) -> AppResult<Vec<redesign_cohort::Model>> {
    Ok(cohorts_query(p)?.all(db).await?)
}

#[tracing::instrument(skip_all, fields(id))]
pub async fn find_cohort(
    db: &impl ConnectionTrait,
    p: &Principal,
    id: i64,
) -> AppResult<Option<redesign_cohort::Model>> {
    Ok(cohorts_query(p)?.filter(redesign_cohort::Column::Id.eq(id)).one(db).await?)
}

pub struct CohortFields {
    pub year: Option<i32>,
    pub name: Option<String>,
    pub target_size: Option<i32>,
    pub application_opens_on: Option<NaiveDate>,
    pub application_closes_on: Option<NaiveDate>,
}

fn check_cohort(year: i32, target: i32, opens: NaiveDate, closes: NaiveDate) -> AppResult<()> {
    Date::parse("input.applicationOpensOn", opens)?;
    Date::parse("input.applicationClosesOn", closes)?;
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

#[tracing::instrument(skip_all, fields(district, year = f.year))]
pub async fn create_cohort(
    db: &impl TransactionTrait,
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
        Some(n) => Text::parse("input.name", &n, MAX_NAME)?.into_string(),
        None => format!("Cohort {year}"),
    };
    let txn = begin(db).await?;
    let district_id = resolve_district(&txn, p, district).await?;
    policy::require_district_records(p, district_id)?;
    let now = crate::db::now();
    let m = redesign_cohort::ActiveModel {
        district_org_id: Set(district_id),
        year: Set(year),
        name: Set(name),
        target_size: Set(target),
        application_opens_on: Set(opens),
        application_closes_on: Set(closes),
        created_at: Set(now),
        date_last_modified: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .on_unique("uq_redesign_cohorts_year", || {
        AppError::Conflict(format!("the district already has a {year} cohort"))
    })?;
    txn.commit().await?;
    Ok(m)
}

#[tracing::instrument(skip_all, fields(id))]
pub async fn update_cohort(
    db: &impl TransactionTrait,
    p: &Principal,
    id: i64,
    f: CohortFields,
) -> AppResult<redesign_cohort::Model> {
    let txn = begin(db).await?;
    let current = find_cohort(&txn, p, id).await?.ok_or(AppError::NotFound("cohort"))?;
    policy::require_district_records(p, current.district_org_id)?;
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
        next.name = Set(Text::parse("input.name", n, MAX_NAME)?.into_string());
    }
    let m = next.update(&txn).await?;
    txn.commit().await?;
    Ok(m)
}
