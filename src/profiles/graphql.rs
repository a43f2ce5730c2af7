//! GraphQL types and mutations of learner profiles. Reading needs `profiles.read`; the
//! sensitive fields need `profiles.sensitive.read` too; writing needs `profiles.write`.

use async_graphql::{Context, Enum, ID, InputObject, Json, MaybeUndefined, Object, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{learner_profile, profile_revision};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::store::{self, Goal, GoalIn, ProfileChanges, SENSITIVE_FIELDS};
use crate::{
    auth::Scope,
    error::AppResult,
    graphql::{
        context::{db, gql, loaders, needs, principal, require},
        relay::{Conn, Kind, PageArgs, decode_kind, global_id, paginate},
        user_errors::{UserError, into_user_errors},
    },
    roster::graphql::Learner,
};

/// Where a goal stands.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum GoalStatus {
    NotStarted,
    InProgress,
    Achieved,
    SetAside,
}

/// A way the student likes to learn.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LearningModality {
    Visual,
    Auditory,
    ReadingWriting,
    HandsOn,
    Collaborative,
    Independent,
}

/// The pace the student works best at.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LearningPace {
    Accelerated,
    Steady,
    NeedsMoreTime,
}

fn to_name<T: Serialize>(v: T) -> String {
    serde_json::to_value(v).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

fn from_name<T: for<'de> Deserialize<'de>>(s: &str) -> Option<T> {
    serde_json::from_value(Value::String(s.to_owned())).ok()
}

/// A goal the student set with their teacher.
#[derive(SimpleObject)]
pub struct LearnerGoal {
    /// Stable within the profile; send it back on update to keep the goal's identity.
    pub id: ID,
    pub description: String,
    pub target_date: Option<NaiveDate>,
    pub status: GoalStatus,
}

/// How the student prefers to learn.
#[derive(SimpleObject)]
pub struct LearningPreferences {
    pub modalities: Vec<LearningModality>,
    pub pace: Option<LearningPace>,
}

fn strings(v: &Value) -> Vec<String> {
    serde_json::from_value(v.clone()).unwrap_or_default()
}

/// A student's learner profile, built together by the student and their teachers.
pub struct LearnerProfile(pub learner_profile::Model);

#[Object]
impl LearnerProfile {
    pub async fn id(&self) -> ID {
        global_id(Kind::LearnerProfile, self.0.id)
    }
    /// Incremented on every change; send it as `expectedVersion` when updating.
    async fn version(&self) -> i32 {
        self.0.version
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn date_last_modified(&self) -> DateTime<Utc> {
        self.0.date_last_modified
    }
    /// The student this profile belongs to. Needs `roster.read`: a profile reader does not
    /// get the roster through it.
    #[graphql(guard = "needs(Scope::RosterRead)")]
    async fn learner(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Learner>> {
        Ok(loaders(ctx)?.users.load_one(self.0.user_id).await?.map(Learner))
    }
    /// What the student is good at.
    async fn strengths(&self) -> Option<Vec<String>> {
        Some(strings(&self.0.strengths))
    }
    /// What the student cares about.
    async fn interests(&self) -> Option<Vec<String>> {
        Some(strings(&self.0.interests))
    }
    /// Goals with target dates.
    async fn goals(&self) -> Option<Vec<LearnerGoal>> {
        let goals: Vec<Goal> = serde_json::from_value(self.0.goals.clone()).unwrap_or_default();
        let goals = goals
            .into_iter()
            .map(|g| LearnerGoal {
                id: ID(g.id),
                description: g.description,
                target_date: g.target_date,
                status: from_name(&g.status).unwrap_or(GoalStatus::NotStarted),
            })
            .collect();
        Some(goals)
    }
    async fn learning_preferences(&self) -> Option<LearningPreferences> {
        Some(LearningPreferences {
            modalities: strings(&self.0.modalities).iter().filter_map(|m| from_name(m)).collect(),
            pace: self.0.pace.as_deref().and_then(from_name),
        })
    }
    /// Sensitive: accommodations the student receives. Needs `profiles.sensitive.read`.
    #[graphql(guard = "needs(Scope::ProfilesSensitiveRead)")]
    async fn accommodations(&self) -> Option<Vec<String>> {
        Some(strings(&self.0.accommodations))
    }
    /// Sensitive: notes on how to support the student. Needs `profiles.sensitive.read`.
    #[graphql(guard = "needs(Scope::ProfilesSensitiveRead)")]
    async fn support_notes(&self) -> Option<&str> {
        self.0.support_notes.as_deref()
    }
    /// Every change to the profile, oldest first.
    #[graphql(complexity = "crate::graphql::relay::list_complexity(first, last, child_complexity)")]
    async fn revisions(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Option<Conn<ProfileRevision>>> {
        let q = store::revisions(self.0.id);
        let conn = paginate(
            ctx,
            db(ctx)?,
            q,
            profile_revision::Column::Id,
            PageArgs::new(first, after, last, before),
            |m| m.id,
            ProfileRevision,
        );
        gql(conn.await).map(Some)
    }
}

/// Who made a change.
#[derive(SimpleObject)]
pub struct RevisionActor {
    /// `client`, `user` or `system`.
    pub kind: String,
    /// The client id, user sourcedId, or `learnergraph` for the system.
    pub id: String,
}

impl RevisionActor {
    /// The actor as every revision, transition and audit event records it.
    pub fn new(kind: entity::ActorKind, id: &str) -> Self {
        RevisionActor { kind: kind.to_string(), id: id.to_owned() }
    }
}

/// One changed field of a revision.
#[derive(SimpleObject)]
pub struct ProfileChange {
    /// The field, named as in `LearnerProfile` (`strengths`, `goals`, `supportNotes`...).
    pub field: String,
    /// The value before; null when redacted.
    pub before: Option<Json<Value>>,
    /// The value after; null when redacted.
    pub after: Option<Json<Value>>,
    /// True when the values of a sensitive field are withheld from a caller without
    /// `profiles.sensitive.read`.
    pub redacted: bool,
}

/// One change to a profile: the version it produced, who made it, when, and what changed.
pub struct ProfileRevision(pub profile_revision::Model);

#[Object]
impl ProfileRevision {
    /// The profile version this revision produced.
    async fn version(&self) -> i32 {
        self.0.version
    }
    async fn changed_at(&self) -> DateTime<Utc> {
        self.0.changed_at
    }
    async fn actor(&self) -> RevisionActor {
        RevisionActor::new(self.0.actor_kind, &self.0.actor_id)
    }
    async fn changes(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ProfileChange>> {
        let sensitive_ok = principal(ctx)?.has(Scope::ProfilesSensitiveRead);
        let items: Vec<Value> = serde_json::from_value(self.0.changes.clone()).unwrap_or_default();
        Ok(items
            .into_iter()
            .map(|c| {
                let field = c.get("field").and_then(Value::as_str).unwrap_or_default().to_owned();
                let redacted = SENSITIVE_FIELDS.contains(&field.as_str()) && !sensitive_ok;
                let value = |k: &str| (!redacted).then(|| Json(c.get(k).cloned().unwrap_or(Value::Null)));
                ProfileChange { before: value("before"), after: value("after"), field, redacted }
            })
            .collect())
    }
}

#[derive(Default)]
pub struct ProfilesQuery;

#[Object]
impl ProfilesQuery {
    /// A learner's profile by the learner's sourcedId (also reachable as `Learner.profile`).
    #[graphql(guard = "needs(Scope::ProfilesRead)")]
    async fn learner_profile(
        &self,
        ctx: &Context<'_>,
        learner_sourced_id: String,
    ) -> async_graphql::Result<Option<LearnerProfile>> {
        let profile = store::of_learner(db(ctx)?, loaders(ctx)?, principal(ctx)?, &learner_sourced_id);
        Ok(gql(profile.await)?.map(LearnerProfile))
    }
}

/// A goal in a profile update.
#[derive(InputObject)]
pub struct GoalInput {
    /// An existing goal's id to keep its identity; omit for a new goal.
    pub id: Option<ID>,
    pub description: String,
    pub target_date: Option<NaiveDate>,
    #[graphql(default_with = "GoalStatus::NotStarted")]
    pub status: GoalStatus,
}

/// Learning preferences in a profile write.
#[derive(InputObject)]
pub struct LearningPreferencesInput {
    #[graphql(default)]
    pub modalities: Vec<LearningModality>,
    pub pace: Option<LearningPace>,
}

#[derive(InputObject)]
pub struct CreateLearnerProfileInput {
    /// The student (a `Learner` ID).
    pub learner_id: ID,
    #[graphql(default)]
    pub strengths: Vec<String>,
    #[graphql(default)]
    pub interests: Vec<String>,
    #[graphql(default)]
    pub goals: Vec<GoalInput>,
    pub learning_preferences: Option<LearningPreferencesInput>,
    /// Sensitive; writing it needs `profiles.sensitive.read` too.
    pub accommodations: Option<Vec<String>>,
    /// Sensitive; writing it needs `profiles.sensitive.read` too.
    pub support_notes: Option<String>,
}

/// A partial update: omitted fields stay as they are; lists given replace the stored list.
#[derive(InputObject)]
pub struct UpdateLearnerProfileInput {
    pub profile_id: ID,
    /// The `version` the change was based on. If the profile has moved on, nothing changes
    /// and a `STALE_VERSION` user error names the current version.
    pub expected_version: i32,
    pub strengths: Option<Vec<String>>,
    pub interests: Option<Vec<String>>,
    pub goals: Option<Vec<GoalInput>>,
    pub modalities: Option<Vec<LearningModality>>,
    /// Null clears the pace.
    pub pace: MaybeUndefined<LearningPace>,
    /// Sensitive; writing it needs `profiles.sensitive.read` too.
    pub accommodations: Option<Vec<String>>,
    /// Sensitive; null clears it; writing it needs `profiles.sensitive.read` too.
    pub support_notes: MaybeUndefined<String>,
}

#[derive(SimpleObject)]
pub struct LearnerProfilePayload {
    pub profile: Option<LearnerProfile>,
    pub user_errors: Vec<UserError>,
}

fn goals_in(goals: Vec<GoalInput>) -> Vec<GoalIn> {
    goals
        .into_iter()
        .map(|g| GoalIn {
            id: g.id.map(|i| i.0),
            description: g.description,
            target_date: g.target_date,
            status: to_name(g.status),
        })
        .collect()
}

fn maybe<T>(m: MaybeUndefined<T>) -> Option<Option<T>> {
    match m {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(v) => Some(Some(v)),
    }
}

fn payload(r: AppResult<learner_profile::Model>) -> async_graphql::Result<LearnerProfilePayload> {
    Ok(match into_user_errors(r)? {
        Ok(m) => LearnerProfilePayload { profile: Some(LearnerProfile(m)), user_errors: vec![] },
        Err(user_errors) => LearnerProfilePayload { profile: None, user_errors },
    })
}

#[derive(Default)]
pub struct ProfilesMutation;

#[Object]
impl ProfilesMutation {
    /// Creates a learner's profile at version 1. Needs `profiles.write`.
    async fn create_learner_profile(
        &self,
        ctx: &Context<'_>,
        input: CreateLearnerProfileInput,
    ) -> async_graphql::Result<LearnerProfilePayload> {
        let p = require(ctx, Scope::ProfilesWrite)?;
        let learner = match decode_kind(&input.learner_id, Kind::Learner, "input.learnerId") {
            Ok(id) => id,
            Err(e) => return payload(Err(e)),
        };
        let prefs = input.learning_preferences;
        let changes = ProfileChanges {
            strengths: Some(input.strengths),
            interests: Some(input.interests),
            goals: Some(goals_in(input.goals)),
            modalities: prefs.as_ref().map(|p| p.modalities.iter().map(|m| to_name(*m)).collect()),
            pace: prefs.as_ref().map(|p| p.pace.map(to_name)),
            accommodations: input.accommodations,
            support_notes: input.support_notes.map(Some),
        };
        payload(store::create(db(ctx)?, p, learner, changes).await)
    }

    /// Updates a profile if it is still at `expectedVersion`, recording a revision of what
    /// changed. Needs `profiles.write`.
    async fn update_learner_profile(
        &self,
        ctx: &Context<'_>,
        input: UpdateLearnerProfileInput,
    ) -> async_graphql::Result<LearnerProfilePayload> {
        let p = require(ctx, Scope::ProfilesWrite)?;
        let profile = match decode_kind(&input.profile_id, Kind::LearnerProfile, "input.profileId") {
            Ok(id) => id,
            Err(e) => return payload(Err(e)),
        };
        let changes = ProfileChanges {
            strengths: input.strengths,
            interests: input.interests,
            goals: input.goals.map(goals_in),
            modalities: input.modalities.map(|ms| ms.into_iter().map(to_name).collect()),
            pace: maybe(input.pace).map(|p| p.map(to_name)),
            accommodations: input.accommodations,
            support_notes: maybe(input.support_notes),
        };
        payload(store::update(db(ctx)?, p, profile, input.expected_version, changes).await)
    }
}
