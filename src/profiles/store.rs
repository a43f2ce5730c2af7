//! Profile data access: creation, versioned updates with their revisions, and history. Writes
//! take the caller's connection or transaction and open a savepoint inside a transaction, so
//! several compose.

use crate::validate::Text;
use entity::Role;
use std::collections::HashSet;

use chrono::{NaiveDate, Utc};
use entity::{learner_profile, profile_revision, user};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Select, TransactionSession,
    TransactionTrait,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::{
    auth::{Principal, Scope},
    error::{AppError, AppResult, OnConstraint},
    roster::{
        loaders::Loaders,
        store::{self as roster, Key, loader_error},
    },
};

/// Fields holding sensitive data: readable only with `profiles.sensitive.read`.
pub const SENSITIVE_FIELDS: [&str; 2] = ["accommodations", "supportNotes"];

const MAX_ITEMS: usize = 50;
const MAX_ITEM_CHARS: usize = 500;
const MAX_NOTES_CHARS: usize = 10_000;

/// A goal as stored in the profile's `goals` JSON.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Goal {
    pub id: String,
    pub description: String,
    pub target_date: Option<NaiveDate>,
    /// `NOT_STARTED`, `IN_PROGRESS`, `ACHIEVED` or `SET_ASIDE`.
    pub status: String,
}

/// A goal as a caller sends it: `id` keeps an existing goal's identity.
#[derive(Clone, Debug)]
pub struct GoalIn {
    pub id: Option<String>,
    pub description: String,
    pub target_date: Option<NaiveDate>,
    pub status: String,
}

/// The editable content of a profile. `None` leaves a part unchanged on update.
#[derive(Clone, Debug, Default)]
pub struct ProfileChanges {
    pub strengths: Option<Vec<String>>,
    pub interests: Option<Vec<String>>,
    pub goals: Option<Vec<GoalIn>>,
    pub modalities: Option<Vec<String>>,
    /// `Some(None)` clears the pace.
    pub pace: Option<Option<String>>,
    pub accommodations: Option<Vec<String>>,
    /// `Some(None)` clears the notes.
    pub support_notes: Option<Option<String>>,
}

impl ProfileChanges {
    fn touches_sensitive(&self) -> bool {
        self.accommodations.is_some() || self.support_notes.is_some()
    }
}

fn check_list(field: &str, items: &[String]) -> AppResult<Vec<String>> {
    Ok(Text::list(field, items, MAX_ITEMS, MAX_ITEM_CHARS)?.into_iter().map(Text::into_string).collect())
}

fn check_goals(goals: &[GoalIn], existing: &[Goal]) -> AppResult<Vec<Goal>> {
    if goals.len() > MAX_ITEMS {
        return Err(AppError::validation("input.goals", format!("at most {MAX_ITEMS} goals")));
    }
    let mut seen = HashSet::new();
    goals
        .iter()
        .enumerate()
        .map(|(i, g)| {
            let description = Text::parse(&format!("input.goals.{i}.description"), &g.description, 1000)?;
            let id = match &g.id {
                Some(id) if existing.iter().any(|e| &e.id == id) => id.clone(),
                Some(_) => {
                    return Err(AppError::not_found_at(format!("input.goals.{i}.id"), "no such goal in this profile"));
                }
                None => uuid::Uuid::new_v4().to_string(),
            };
            if !seen.insert(id.clone()) {
                return Err(AppError::validation(format!("input.goals.{i}.id"), "goal listed twice"));
            }
            Ok(Goal {
                id,
                description: description.into_string(),
                target_date: g.target_date,
                status: g.status.clone(),
            })
        })
        .collect()
}

fn check_notes(notes: &Option<String>) -> AppResult<Option<String>> {
    Ok(Text::optional("input.supportNotes", notes.as_deref(), MAX_NOTES_CHARS)?.map(Text::into_string))
}

/// The student a profile belongs to, if the principal may see them.
async fn visible_learner(db: &impl ConnectionTrait, p: &Principal, user_id: i64) -> AppResult<user::Model> {
    roster::find_user(db, p, Key::Id(user_id))
        .await?
        .filter(|u| u.role == Role::Student)
        .ok_or(AppError::NotFound("learner"))
}

/// A profile whose learner the principal may see; its learner is revealed.
#[tracing::instrument(skip_all, fields(profile = profile_id))]
pub async fn find(
    db: &impl ConnectionTrait,
    p: &Principal,
    profile_id: i64,
) -> AppResult<Option<learner_profile::Model>> {
    let found = find_visible(db, p, profile_id).await?;
    p.reveal(found.iter().map(|m| m.user_id));
    Ok(found)
}

/// The profile of a learner the principal may see, by the learner's sourcedId, through the
/// request's profile loader; its learner is revealed when there is a profile.
#[tracing::instrument(skip_all)]
pub async fn of_learner(
    db: &impl ConnectionTrait,
    loaders: &Loaders,
    p: &Principal,
    learner_sourced_id: &str,
) -> AppResult<Option<learner_profile::Model>> {
    let Some(learner) = roster::find_user(db, p, Key::Sourced(learner_sourced_id)).await? else {
        return Ok(None);
    };
    let profile = loaders.profile_of(learner.id).await.map_err(loader_error)?;
    p.reveal(profile.iter().map(|m| m.user_id));
    Ok(profile)
}

/// A profile whose learner the principal may see, not revealed (a write reveals what it
/// hands back once it succeeds).
async fn find_visible(
    db: &impl ConnectionTrait,
    p: &Principal,
    profile_id: i64,
) -> AppResult<Option<learner_profile::Model>> {
    let Some(profile) = learner_profile::Entity::find_by_id(profile_id).one(db).await? else {
        return Ok(None);
    };
    match visible_learner(db, p, profile.user_id).await {
        Ok(_) => Ok(Some(profile)),
        Err(AppError::NotFound(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

fn require_sensitive(p: &Principal, changes: &ProfileChanges) -> AppResult<()> {
    if changes.touches_sensitive() && !p.has(Scope::ProfilesSensitiveRead) {
        return Err(AppError::Forbidden(
            "changing accommodations or support notes needs the `profiles.sensitive.read` scope as well".into(),
        ));
    }
    Ok(())
}

/// One changed field of a revision.
fn change(field: &str, before: Value, after: Value) -> Option<Value> {
    (before != after).then(|| json!({"field": field, "before": before, "after": after}))
}

/// Creates a learner's profile (version 1, with its first revision); the learner is revealed.
#[tracing::instrument(skip_all, fields(learner = learner_id))]
pub async fn create(
    db: &impl TransactionTrait,
    p: &Principal,
    learner_id: i64,
    c: ProfileChanges,
) -> AppResult<learner_profile::Model> {
    require_sensitive(p, &c)?;
    let strengths = check_list("input.strengths", c.strengths.as_deref().unwrap_or_default())?;
    let interests = check_list("input.interests", c.interests.as_deref().unwrap_or_default())?;
    let accommodations = check_list("input.accommodations", c.accommodations.as_deref().unwrap_or_default())?;
    let goals = check_goals(c.goals.as_deref().unwrap_or_default(), &[])?;
    let modalities = c.modalities.unwrap_or_default();
    let pace = c.pace.flatten();
    let notes = check_notes(&c.support_notes.flatten())?;

    let txn = crate::db::begin_write(db).await?;
    visible_learner(&txn, p, learner_id).await?;
    let now = crate::db::now();
    let model = learner_profile::ActiveModel {
        user_id: Set(learner_id),
        version: Set(1),
        strengths: Set(json!(strengths)),
        interests: Set(json!(interests)),
        goals: Set(json!(goals)),
        modalities: Set(json!(modalities)),
        pace: Set(pace.clone()),
        accommodations: Set(json!(accommodations)),
        support_notes: Set(notes.clone()),
        created_at: Set(now),
        date_last_modified: Set(now),
        ..Default::default()
    };
    let id = learner_profile::Entity::insert(model)
        .exec(&txn)
        .await
        .on_unique("uq_learner_profiles_user", || AppError::Conflict("this learner already has a profile".into()))?
        .last_insert_id;
    let changes: Vec<Value> = [
        change("strengths", json!([]), json!(strengths)),
        change("interests", json!([]), json!(interests)),
        change("goals", json!([]), json!(goals)),
        change("modalities", json!([]), json!(modalities)),
        change("pace", Value::Null, json!(pace)),
        change("accommodations", json!([]), json!(accommodations)),
        change("supportNotes", Value::Null, json!(notes)),
    ]
    .into_iter()
    .flatten()
    .collect();
    record_revision(&txn, p, id, 1, changes, now).await?;
    let stored =
        learner_profile::Entity::find_by_id(id).one(&txn).await?.ok_or(AppError::NotFound("learner profile"))?;
    crate::sync::record(&txn, &[profile_change(&stored)]).await?;
    txn.commit().await?;
    p.reveal([stored.user_id]);
    Ok(stored)
}

/// Applies `c` to the profile if it is still at `expected_version`; records what changed.
/// A stale version changes nothing and answers with the current version. The learner of an
/// updated profile is revealed.
#[tracing::instrument(skip_all, fields(profile = profile_id, expected_version))]
pub async fn update(
    db: &impl TransactionTrait,
    p: &Principal,
    profile_id: i64,
    expected_version: i32,
    c: ProfileChanges,
) -> AppResult<learner_profile::Model> {
    require_sensitive(p, &c)?;
    let txn = crate::db::begin_write(db).await?;
    let current = find_visible(&txn, p, profile_id).await?.ok_or(AppError::NotFound("learner profile"))?;
    if current.version != expected_version {
        return Err(AppError::StaleVersion { expected: expected_version, current: current.version });
    }
    let existing_goals: Vec<Goal> = serde_json::from_value(current.goals.clone()).unwrap_or_default();
    let mut next = learner_profile::ActiveModel { id: Set(current.id), ..Default::default() };
    let mut changes = Vec::new();
    if let Some(v) = &c.strengths {
        let v = json!(check_list("input.strengths", v)?);
        changes.extend(change("strengths", current.strengths.clone(), v.clone()));
        next.strengths = Set(v);
    }
    if let Some(v) = &c.interests {
        let v = json!(check_list("input.interests", v)?);
        changes.extend(change("interests", current.interests.clone(), v.clone()));
        next.interests = Set(v);
    }
    if let Some(v) = &c.goals {
        let v = json!(check_goals(v, &existing_goals)?);
        changes.extend(change("goals", current.goals.clone(), v.clone()));
        next.goals = Set(v);
    }
    if let Some(v) = &c.modalities {
        let v = json!(v);
        changes.extend(change("modalities", current.modalities.clone(), v.clone()));
        next.modalities = Set(v);
    }
    if let Some(v) = &c.pace {
        changes.extend(change("pace", json!(current.pace), json!(v)));
        next.pace = Set(v.clone());
    }
    if let Some(v) = &c.accommodations {
        let v = json!(check_list("input.accommodations", v)?);
        changes.extend(change("accommodations", current.accommodations.clone(), v.clone()));
        next.accommodations = Set(v);
    }
    if let Some(v) = &c.support_notes {
        let v = check_notes(v)?;
        changes.extend(change("supportNotes", json!(current.support_notes), json!(v)));
        next.support_notes = Set(v);
    }
    if changes.is_empty() {
        // Nothing differs: no new version, no revision.
        return Ok(current);
    }
    let now = crate::db::now();
    let version = expected_version + 1;
    next.version = Set(version);
    next.date_last_modified = Set(now);
    // The version predicate makes the check-and-write atomic even against a concurrent writer
    // that read the same version.
    let result = learner_profile::Entity::update_many()
        .set(next)
        .filter(learner_profile::Column::Id.eq(current.id))
        .filter(learner_profile::Column::Version.eq(expected_version))
        .exec(&txn)
        .await?;
    if result.rows_affected == 0 {
        let now_at =
            learner_profile::Entity::find_by_id(current.id).one(&txn).await?.map_or(expected_version, |m| m.version);
        return Err(AppError::StaleVersion { expected: expected_version, current: now_at });
    }
    record_revision(&txn, p, current.id, version, changes, now).await.map_err(|e| match e {
        AppError::Conflict(_) => AppError::StaleVersion { expected: expected_version, current: version },
        other => other,
    })?;
    let stored = learner_profile::Entity::find_by_id(current.id)
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound("learner profile"))?;
    crate::sync::record(&txn, &[profile_change(&stored)]).await?;
    txn.commit().await?;
    p.reveal([stored.user_id]);
    Ok(stored)
}

fn profile_change(m: &learner_profile::Model) -> crate::sync::Change {
    crate::sync::Change {
        entity: crate::sync::ChangeEntity::LearnerProfile,
        id: m.id,
        org_id: None,
        person_id: Some(m.user_id),
        deleted: false,
    }
}

async fn record_revision(
    db: &impl ConnectionTrait,
    p: &Principal,
    profile_id: i64,
    version: i32,
    changes: Vec<Value>,
    at: chrono::DateTime<Utc>,
) -> AppResult<()> {
    let (kind, id) = p.actor_ref();
    profile_revision::Entity::insert(profile_revision::ActiveModel {
        profile_id: Set(profile_id),
        version: Set(version),
        actor_kind: Set(kind),
        actor_id: Set(id),
        actor_name: Set(None),
        changes: Set(Value::Array(changes)),
        changed_at: Set(at),
        ..Default::default()
    })
    .exec(db)
    .await
    .on_unique("uq_profile_revisions_version", || AppError::Conflict("concurrent update".into()))?;
    Ok(())
}

/// A profile's revisions, oldest first.
pub fn revisions(profile_id: i64) -> Select<profile_revision::Entity> {
    profile_revision::Entity::find().filter(profile_revision::Column::ProfileId.eq(profile_id))
}
