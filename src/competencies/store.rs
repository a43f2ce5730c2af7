//! Frameworks and competencies: visibility (a district's frameworks are visible to whoever
//! may see the district, school-limited tools included), CASE import, and each framework's
//! mastery configuration.

use std::collections::HashMap;

pub use entity::Calculation;
use entity::{Status, competency, competency_framework};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Select, TransactionSession,
    TransactionTrait,
};
use serde::{Deserialize, Serialize};

use super::case::Package;
use crate::{
    auth::{
        Principal, Scope,
        policy::{orgs_visible, require_district},
    },
    error::{AppError, AppResult},
    roster::store::resolve_district,
};

/// A level of a framework's mastery scale: reached at `threshold` (0 to 1) and above.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Level {
    pub name: String,
    pub threshold: f64,
}

/// The scale a district starts with.
pub fn default_levels() -> Vec<Level> {
    [("BEGINNING", 0.0), ("DEVELOPING", 0.5), ("PROFICIENT", 0.75), ("ADVANCED", 0.9)]
        .into_iter()
        .map(|(name, threshold)| Level { name: name.to_owned(), threshold })
        .collect()
}

pub const DEFAULT_MASTERED_LEVEL: &str = "PROFICIENT";
pub const DEFAULT_DECAY_WEIGHT: f64 = 0.65;

/// A framework's mastery configuration, decoded.
#[derive(Clone, Debug, PartialEq)]
pub struct Scale {
    pub calculation: Calculation,
    pub parameter: f64,
    /// Ascending by threshold.
    pub levels: Vec<Level>,
    pub mastered_level: String,
}

impl Scale {
    pub fn of(f: &competency_framework::Model) -> Scale {
        let mut levels: Vec<Level> = serde_json::from_value(f.levels.clone()).unwrap_or_else(|_| default_levels());
        levels.sort_by(|a, b| a.threshold.total_cmp(&b.threshold));
        Scale {
            calculation: f.calculation,
            parameter: f.calculation_param,
            levels,
            mastered_level: f.mastered_level.clone(),
        }
    }

    /// The threshold at which a competency counts as mastered.
    pub fn mastered_threshold(&self) -> f64 {
        self.levels.iter().find(|l| l.name == self.mastered_level).map_or(1.0, |l| l.threshold)
    }

    /// The highest level `value` reaches.
    pub fn level_of(&self, value: f64) -> Option<&Level> {
        self.levels.iter().rev().find(|l| value >= l.threshold)
    }

    pub fn level(&self, name: &str) -> Option<&Level> {
        self.levels.iter().find(|l| l.name == name)
    }
}

/// Frameworks of the districts the principal may see.
pub fn frameworks(p: &Principal) -> Select<competency_framework::Entity> {
    competency_framework::Entity::find().filter(
        competency_framework::Column::DistrictId.in_subquery(
            sea_orm::sea_query::Query::select()
                .column(entity::org::Column::Id)
                .from(entity::org::Entity)
                .cond_where(orgs_visible(p))
                .to_owned(),
        ),
    )
}

/// A framework or a competency found by id.
pub enum Found {
    Framework(competency_framework::Model),
    Competency(competency::Model),
}

/// The framework (or, with `competency`, the competency, retired or not) with this id, if the
/// principal holds a scope that reads competencies and may see its district.
#[tracing::instrument(skip_all, fields(id, competency))]
pub async fn find_node(
    db: &impl ConnectionTrait,
    p: &Principal,
    competency: bool,
    id: i64,
) -> AppResult<Option<Found>> {
    if !READ.iter().any(|s| p.has(*s)) {
        return Ok(None);
    }
    Ok(if competency {
        competencies(p, true).filter(competency::Column::Id.eq(id)).one(db).await?.map(Found::Competency)
    } else {
        frameworks(p).filter(competency_framework::Column::Id.eq(id)).one(db).await?.map(Found::Framework)
    })
}

/// The scopes that read competencies: tools of either kind use them.
pub const READ: &[Scope] = &[Scope::ProgressRead, Scope::PlaylistsRead];

/// Competencies of visible frameworks (retired ones only with `include_retired`).
pub fn competencies(p: &Principal, include_retired: bool) -> Select<competency::Entity> {
    let mut q = competency::Entity::find().filter(
        competency::Column::FrameworkId.in_subquery(
            sea_orm::sea_query::Query::select()
                .column(competency_framework::Column::Id)
                .from(competency_framework::Entity)
                .cond_where(
                    sea_orm::Condition::all().add(
                        competency_framework::Column::DistrictId.in_subquery(
                            sea_orm::sea_query::Query::select()
                                .column(entity::org::Column::Id)
                                .from(entity::org::Entity)
                                .cond_where(orgs_visible(p))
                                .to_owned(),
                        ),
                    ),
                )
                .to_owned(),
        ),
    );
    if !include_retired {
        q = q.filter(competency::Column::Status.eq(Status::Active));
    }
    q
}

/// Which competencies of a framework to list.
#[derive(Clone, Copy, Debug)]
pub enum Depth {
    Any,
    /// Those without a parent.
    Top,
    /// The children of one competency.
    ChildrenOf(i64),
}

/// A visible framework's competencies, at a level of its hierarchy.
pub fn of_framework(p: &Principal, framework: i64, depth: Depth, include_retired: bool) -> Select<competency::Entity> {
    let q = competencies(p, include_retired).filter(competency::Column::FrameworkId.eq(framework));
    match depth {
        Depth::Any => q,
        Depth::Top => q.filter(competency::Column::ParentId.is_null()),
        Depth::ChildrenOf(parent) => q.filter(competency::Column::ParentId.eq(parent)),
    }
}

/// Looks up visible active competencies by their CASE identifier; a retired competency or an
/// unknown identifier is absent from the answer.
#[tracing::instrument(skip_all, fields(ids = ids.len()))]
pub async fn by_source_ids(
    db: &impl ConnectionTrait,
    p: &Principal,
    ids: &[&str],
) -> AppResult<HashMap<String, competency::Model>> {
    let mut out = HashMap::new();
    for chunk in ids.chunks(500) {
        let rows = competencies(p, false)
            .filter(competency::Column::SourceId.is_in(chunk.iter().copied()))
            .order_by_asc(competency::Column::Id)
            .all(db)
            .await?;
        for r in rows {
            out.entry(r.source_id.clone()).or_insert(r);
        }
    }
    Ok(out)
}

/// What an import did.
#[derive(Clone, Debug, Default)]
pub struct ImportSummary {
    pub framework: Option<competency_framework::Model>,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub retired: usize,
}

/// Imports a CASE package into a district: the framework is matched by its CFDocument
/// identifier and each competency by its CFItem identifier, so a re-import updates in place.
/// Competencies missing from the new package are retired (kept, since results refer to them).
#[tracing::instrument(skip_all, fields(items = package.items.len()))]
pub async fn import(
    db: &impl TransactionTrait,
    p: &Principal,
    district: Option<&str>,
    package: Package,
) -> AppResult<ImportSummary> {
    let txn = crate::db::begin_write(db).await?;
    let district_id = resolve_district(&txn, p, district).await?;
    require_district(p, Scope::ProgressWrite, district_id)?;
    let now = crate::db::now();
    let f = &package.framework;
    let existing = competency_framework::Entity::find()
        .filter(competency_framework::Column::DistrictId.eq(district_id))
        .filter(competency_framework::Column::SourceId.eq(f.identifier.as_str()))
        .one(&txn)
        .await?;
    let framework_id = match existing {
        Some(e) => {
            competency_framework::Entity::update(competency_framework::ActiveModel {
                id: Set(e.id),
                uri: Set(f.uri.clone()),
                title: Set(f.title.clone()),
                subject: Set(f.subject.clone()),
                grade_band: Set(f.grade_band.clone()),
                publisher: Set(f.publisher.clone()),
                version: Set(f.version.clone()),
                date_last_modified: Set(now),
                ..Default::default()
            })
            .exec(&txn)
            .await?;
            e.id
        }
        None => {
            competency_framework::Entity::insert(competency_framework::ActiveModel {
                district_id: Set(district_id),
                source_id: Set(f.identifier.clone()),
                uri: Set(f.uri.clone()),
                title: Set(f.title.clone()),
                subject: Set(f.subject.clone()),
                grade_band: Set(f.grade_band.clone()),
                publisher: Set(f.publisher.clone()),
                version: Set(f.version.clone()),
                calculation: Set(Calculation::DecayingAverage),
                calculation_param: Set(DEFAULT_DECAY_WEIGHT),
                levels: Set(serde_json::json!(default_levels())),
                mastered_level: Set(DEFAULT_MASTERED_LEVEL.to_owned()),
                created_at: Set(now),
                date_last_modified: Set(now),
                ..Default::default()
            })
            .exec(&txn)
            .await?
            .last_insert_id
        }
    };
    let mut summary = ImportSummary::default();
    let current: HashMap<String, competency::Model> = competency::Entity::find()
        .filter(competency::Column::FrameworkId.eq(framework_id))
        .all(&txn)
        .await?
        .into_iter()
        .map(|c| (c.source_id.clone(), c))
        .collect();
    // New competencies first (parents resolve below, once every row has its id).
    let fresh: Vec<competency::ActiveModel> = package
        .items
        .iter()
        .filter(|i| !current.contains_key(&i.identifier))
        .map(|i| competency::ActiveModel {
            framework_id: Set(framework_id),
            source_id: Set(i.identifier.clone()),
            code: Set(i.code.clone()),
            statement: Set(i.statement.clone()),
            item_type: Set(i.item_type.clone()),
            parent_id: Set(None),
            position: Set(i.position),
            status: Set(Status::Active),
            date_last_modified: Set(now),
            ..Default::default()
        })
        .collect();
    summary.created = fresh.len();
    for chunk in fresh.chunks(1000) {
        competency::Entity::insert_many(chunk.to_vec()).exec(&txn).await?;
    }
    let ids: HashMap<String, i64> = competency::Entity::find()
        .filter(competency::Column::FrameworkId.eq(framework_id))
        .all(&txn)
        .await?
        .into_iter()
        .map(|c| (c.source_id, c.id))
        .collect();
    for item in &package.items {
        let parent_id = item.parent.as_ref().and_then(|p| ids.get(p).copied());
        let Some(&id) = ids.get(&item.identifier) else { continue };
        let same = current.get(&item.identifier).is_some_and(|c| {
            c.code == item.code
                && c.statement == item.statement
                && c.item_type == item.item_type
                && c.parent_id == parent_id
                && c.position == item.position
                && c.status == Status::Active
        });
        if same {
            summary.unchanged += 1;
            continue;
        }
        if current.contains_key(&item.identifier) {
            summary.updated += 1;
        } else if parent_id.is_none() {
            continue; // Just inserted, already complete.
        }
        competency::Entity::update(competency::ActiveModel {
            id: Set(id),
            code: Set(item.code.clone()),
            statement: Set(item.statement.clone()),
            item_type: Set(item.item_type.clone()),
            parent_id: Set(parent_id),
            position: Set(item.position),
            status: Set(Status::Active),
            date_last_modified: Set(now),
            ..Default::default()
        })
        .exec(&txn)
        .await?;
    }
    let kept: std::collections::HashSet<&str> = package.items.iter().map(|i| i.identifier.as_str()).collect();
    let retire: Vec<i64> = current
        .values()
        .filter(|c| c.status == Status::Active && !kept.contains(c.source_id.as_str()))
        .map(|c| c.id)
        .collect();
    summary.retired = retire.len();
    if !retire.is_empty() {
        competency::Entity::update_many()
            .col_expr(competency::Column::Status, sea_orm::sea_query::Expr::value(Status::ToBeDeleted))
            .col_expr(competency::Column::DateLastModified, sea_orm::sea_query::Expr::value(now))
            .filter(competency::Column::Id.is_in(retire))
            .exec(&txn)
            .await?;
    }
    summary.framework = competency_framework::Entity::find_by_id(framework_id).one(&txn).await?;
    txn.commit().await?;
    Ok(summary)
}

/// A new mastery configuration for a framework.
#[derive(Clone, Debug)]
pub struct ScaleInput {
    pub calculation: Calculation,
    pub parameter: Option<f64>,
    pub levels: Option<Vec<Level>>,
    pub mastered_level: Option<String>,
}

fn check_scale(current: &Scale, input: ScaleInput) -> AppResult<Scale> {
    let levels = input.levels.unwrap_or_else(|| current.levels.clone());
    if levels.is_empty() || levels.len() > 10 {
        return Err(AppError::validation("input.levels", "give 1 to 10 levels"));
    }
    let mut names = std::collections::HashSet::new();
    for (i, l) in levels.iter().enumerate() {
        crate::roster::store::check_len(&format!("input.levels.{i}.name"), &l.name, 64)?;
        if !names.insert(l.name.as_str()) {
            return Err(AppError::validation(format!("input.levels.{i}.name"), "level names must be unique"));
        }
        if !(0.0..=1.0).contains(&l.threshold) {
            return Err(AppError::validation(format!("input.levels.{i}.threshold"), "must be between 0 and 1"));
        }
    }
    if levels.windows(2).any(|w| w[0].threshold >= w[1].threshold) {
        return Err(AppError::validation("input.levels", "list levels from lowest to highest threshold, each higher"));
    }
    let mastered_level = input.mastered_level.unwrap_or_else(|| current.mastered_level.clone());
    if !levels.iter().any(|l| l.name == mastered_level) {
        return Err(AppError::validation("input.masteredLevel", "must name one of the levels"));
    }
    let parameter = match input.calculation {
        Calculation::DecayingAverage => {
            let w = input.parameter.unwrap_or(DEFAULT_DECAY_WEIGHT);
            if !(w > 0.0 && w <= 1.0) {
                return Err(AppError::validation("input.parameter", "the decay weight must be above 0 and at most 1"));
            }
            w
        }
        Calculation::NTimesAtMastery => {
            let n = input.parameter.unwrap_or(3.0);
            if n.fract() != 0.0 || !(1.0..=20.0).contains(&n) {
                return Err(AppError::validation("input.parameter", "n must be a whole number from 1 to 20"));
            }
            n
        }
        _ => {
            if input.parameter.is_some() {
                return Err(AppError::validation("input.parameter", "this calculation takes no parameter"));
            }
            0.0
        }
    };
    Ok(Scale { calculation: input.calculation, parameter, levels, mastered_level })
}

/// Changes how a framework calculates mastery, in the caller's transaction, and returns the
/// framework as stored. The masteries it changes are recomputed by the caller
/// ([`crate::progress::calculation`]), so this domain doesn't depend on progress.
#[tracing::instrument(skip_all, fields(framework_id))]
pub async fn set_scale(
    txn: &impl ConnectionTrait,
    p: &Principal,
    framework_id: i64,
    input: ScaleInput,
) -> AppResult<competency_framework::Model> {
    let f = frameworks(p).filter(competency_framework::Column::Id.eq(framework_id)).one(txn).await?;
    let f = f.ok_or(AppError::NotFound("framework"))?;
    require_district(p, Scope::ProgressWrite, f.district_id)?;
    let scale = check_scale(&Scale::of(&f), input)?;
    let updated = sea_orm::ActiveModelTrait::update(
        competency_framework::ActiveModel {
            id: Set(f.id),
            calculation: Set(scale.calculation),
            calculation_param: Set(scale.parameter),
            levels: Set(serde_json::json!(scale.levels)),
            mastered_level: Set(scale.mastered_level.clone()),
            date_last_modified: Set(crate::db::now()),
            ..Default::default()
        },
        txn,
    )
    .await?;
    Ok(updated)
}
