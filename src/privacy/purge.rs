//! Deletion on request: every trace of a student removed from every table, in one
//! transaction. What stays:
//!
//! - tombstones in the changes feed, one per record the feed could have carried (the student,
//!   their enrollments, profile, playlists, items and results), naming only the record's kind
//!   and old id, so vendors delete their copies;
//! - the audit events, pseudonymised: the student's sourcedId replaced by a pseudonym
//!   (`purged-...`) wherever an event names it (as actor, or in a OneRoster path), and the
//!   event's link to the student replaced by a link to the pseudonym;
//! - the purge record: who purged the pseudonym, when, why, and how many records went.

use std::collections::{BTreeMap, HashMap};

use entity::{
    ActorKind, Role, audit_event, audit_event_learner, audit_event_pseudonym, data_use_restriction, demographic,
    enrollment, learner_profile, learner_purge, mastery, oauth_code, oauth_refresh_token, playlist, playlist_item,
    playlist_item_competency, playlist_item_transition, profile_revision, result, roster_import, sync_change, user,
    user_agent, user_org, win_assignment, win_choice, win_review, win_session_invite,
};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect,
    sea_query::{Expr, ExprTrait, Func},
};
use serde::Serialize;

use crate::{
    auth::Principal,
    db::begin_write,
    error::{AppError, AppResult},
    sync::{Change, ChangeEntity},
};

/// What a purge did.
#[derive(Clone, Debug, Serialize)]
pub struct Purged {
    /// Stands for the student in the audit trail from now on.
    pub pseudonym: String,
    pub purged_at: chrono::DateTime<chrono::Utc>,
    /// Records removed, by table.
    pub removed: BTreeMap<String, u64>,
    /// Tombstones left in the changes feed.
    pub tombstones: usize,
    /// Audit events pseudonymised.
    pub audit_events: u64,
}

/// Removes the student `sourced_id` from every table. District administrators only (the
/// same rule as their data-use choices); a reason is required.
pub async fn purge_learner(
    db: &DatabaseConnection,
    by: &Principal,
    sourced_id: &str,
    reason: &str,
) -> AppResult<Purged> {
    super::restrictions::require_setter(by)?;
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(AppError::validation("reason", "say why the student's records are deleted"));
    }
    if reason.chars().count() > 2000 {
        return Err(AppError::validation("reason", "must be at most 2,000 characters"));
    }
    let txn = begin_write(db).await?;
    let learner = user::Entity::find()
        .filter(user::Column::SourcedId.eq(sourced_id))
        .filter(user::Column::Role.eq(Role::Student))
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::NotFoundAt {
            field: "learnerSourcedId".into(),
            message: format!("no student `{sourced_id}`"),
        })?;
    let id = learner.id;
    let pseudonym = format!("purged-{}", crate::auth::tokens::random_token(9)?);
    let mut removed = BTreeMap::new();
    let mut count = |table: &str, n: u64| {
        if n > 0 {
            *removed.entry(table.to_owned()).or_insert(0) += n;
        }
    };

    // The records the feed may have carried, for the tombstones, with the org each was filed
    // under (a school's tools see their school's tombstones).
    let mut filed: HashMap<(String, i64), Option<i64>> = HashMap::new();
    let history: Vec<(String, i64, Option<i64>)> = sync_change::Entity::find()
        .select_only()
        .columns([sync_change::Column::Entity, sync_change::Column::EntityId, sync_change::Column::OrgId])
        .filter(
            Condition::any().add(sync_change::Column::LearnerId.eq(id)).add(
                Condition::all()
                    .add(sync_change::Column::Entity.eq(ChangeEntity::Learner.as_str()))
                    .add(sync_change::Column::EntityId.eq(id)),
            ),
        )
        .into_tuple()
        .all(&txn)
        .await?;
    for (entity, entity_id, org) in history {
        let slot = filed.entry((entity, entity_id)).or_insert(None);
        *slot = slot.or(org);
    }
    // The orgs the student belonged to: their tombstones are filed under each, so each school's
    // tools (and the district's) hear of the deletion, and no other school's.
    let orgs: Vec<i64> = user_org::Entity::find()
        .select_only()
        .column(user_org::Column::OrgId)
        .filter(user_org::Column::UserId.eq(id))
        .into_tuple()
        .all(&txn)
        .await?;
    let ids = |rows: Vec<i64>| rows;
    let playlists: Vec<i64> = ids(playlist::Entity::find()
        .select_only()
        .column(playlist::Column::Id)
        .filter(playlist::Column::LearnerId.eq(id))
        .into_tuple()
        .all(&txn)
        .await?);
    let items: Vec<i64> = playlist_item::Entity::find()
        .select_only()
        .column(playlist_item::Column::Id)
        .filter(playlist_item::Column::PlaylistId.is_in(playlists.iter().copied()))
        .into_tuple()
        .all(&txn)
        .await?;
    let results: Vec<i64> = result::Entity::find()
        .select_only()
        .column(result::Column::Id)
        .filter(result::Column::LearnerId.eq(id))
        .into_tuple()
        .all(&txn)
        .await?;
    let enrollments: Vec<i64> = enrollment::Entity::find()
        .select_only()
        .column(enrollment::Column::Id)
        .filter(enrollment::Column::UserId.eq(id))
        .into_tuple()
        .all(&txn)
        .await?;
    let profiles: Vec<i64> = learner_profile::Entity::find()
        .select_only()
        .column(learner_profile::Column::Id)
        .filter(learner_profile::Column::UserId.eq(id))
        .into_tuple()
        .all(&txn)
        .await?;
    let mut tombstone = |entity: ChangeEntity, ids: &[i64]| {
        for i in ids {
            filed.entry((entity.as_str().to_owned(), *i)).or_insert(None);
        }
    };
    tombstone(ChangeEntity::Learner, &[id]);
    tombstone(ChangeEntity::Enrollment, &enrollments);
    tombstone(ChangeEntity::LearnerProfile, &profiles);
    tombstone(ChangeEntity::Playlist, &playlists);
    tombstone(ChangeEntity::PlaylistItem, &items);
    tombstone(ChangeEntity::Result, &results);

    // Learning records, children before parents.
    count(
        "playlist_item_competencies",
        playlist_item_competency::Entity::delete_many()
            .filter(playlist_item_competency::Column::ItemId.is_in(items.iter().copied()))
            .exec(&txn)
            .await?
            .rows_affected,
    );
    count(
        "playlist_item_transitions",
        playlist_item_transition::Entity::delete_many()
            .filter(playlist_item_transition::Column::ItemId.is_in(items.iter().copied()))
            .exec(&txn)
            .await?
            .rows_affected,
    );
    count(
        "results",
        result::Entity::delete_many()
            .filter(
                Condition::any()
                    .add(result::Column::LearnerId.eq(id))
                    .add(result::Column::ItemId.is_in(items.iter().copied())),
            )
            .exec(&txn)
            .await?
            .rows_affected,
    );
    count(
        "masteries",
        mastery::Entity::delete_many().filter(mastery::Column::LearnerId.eq(id)).exec(&txn).await?.rows_affected,
    );
    // Items instantiated from this student's playlist items (none expected) would keep a
    // dangling template link: the link goes first.
    playlist_item::Entity::update_many()
        .col_expr(playlist_item::Column::TemplateItemId, Expr::value(Option::<i64>::None))
        .filter(playlist_item::Column::TemplateItemId.is_in(items.iter().copied()))
        .exec(&txn)
        .await?;
    count(
        "playlist_items",
        playlist_item::Entity::delete_many()
            .filter(playlist_item::Column::PlaylistId.is_in(playlists.iter().copied()))
            .exec(&txn)
            .await?
            .rows_affected,
    );
    count(
        "playlists",
        playlist::Entity::delete_many().filter(playlist::Column::LearnerId.eq(id)).exec(&txn).await?.rows_affected,
    );
    count(
        "win_assignments",
        win_assignment::Entity::delete_many()
            .filter(win_assignment::Column::LearnerId.eq(id))
            .exec(&txn)
            .await?
            .rows_affected,
    );
    count(
        "win_choices",
        win_choice::Entity::delete_many().filter(win_choice::Column::LearnerId.eq(id)).exec(&txn).await?.rows_affected,
    );
    count(
        "win_reviews",
        win_review::Entity::delete_many().filter(win_review::Column::LearnerId.eq(id)).exec(&txn).await?.rows_affected,
    );
    count(
        "win_session_invites",
        win_session_invite::Entity::delete_many()
            .filter(win_session_invite::Column::LearnerId.eq(id))
            .exec(&txn)
            .await?
            .rows_affected,
    );
    count(
        "profile_revisions",
        profile_revision::Entity::delete_many()
            .filter(profile_revision::Column::ProfileId.is_in(profiles.iter().copied()))
            .exec(&txn)
            .await?
            .rows_affected,
    );
    count(
        "learner_profiles",
        learner_profile::Entity::delete_many()
            .filter(learner_profile::Column::UserId.eq(id))
            .exec(&txn)
            .await?
            .rows_affected,
    );
    // The roster's records of them.
    count(
        "demographics",
        demographic::Entity::delete_many().filter(demographic::Column::UserId.eq(id)).exec(&txn).await?.rows_affected,
    );
    count(
        "data_use_restrictions",
        data_use_restriction::Entity::delete_many()
            .filter(data_use_restriction::Column::UserId.eq(id))
            .exec(&txn)
            .await?
            .rows_affected,
    );
    count(
        "user_agents",
        user_agent::Entity::delete_many()
            .filter(Condition::any().add(user_agent::Column::UserId.eq(id)).add(user_agent::Column::AgentId.eq(id)))
            .exec(&txn)
            .await?
            .rows_affected,
    );
    count(
        "enrollments",
        enrollment::Entity::delete_many().filter(enrollment::Column::UserId.eq(id)).exec(&txn).await?.rows_affected,
    );
    count(
        "user_orgs",
        user_org::Entity::delete_many().filter(user_org::Column::UserId.eq(id)).exec(&txn).await?.rows_affected,
    );
    count(
        "oauth_codes",
        oauth_code::Entity::delete_many().filter(oauth_code::Column::UserId.eq(id)).exec(&txn).await?.rows_affected,
    );
    count(
        "oauth_refresh_tokens",
        oauth_refresh_token::Entity::delete_many()
            .filter(oauth_refresh_token::Column::UserId.eq(id))
            .exec(&txn)
            .await?
            .rows_affected,
    );
    // The feed: the student's history goes, tombstones take its place.
    count(
        "sync_changes",
        sync_change::Entity::delete_many()
            .filter(
                Condition::any().add(sync_change::Column::LearnerId.eq(id)).add(
                    Condition::all()
                        .add(sync_change::Column::Entity.eq(ChangeEntity::Learner.as_str()))
                        .add(sync_change::Column::EntityId.eq(id)),
                ),
            )
            .exec(&txn)
            .await?
            .rows_affected,
    );
    // Roster import reports: a problem about the student's row goes (it quotes their values).
    scrub_import_reports(&txn, &learner, &mut count).await?;

    // The audit trail: kept, pseudonymised.
    let linked: Vec<i64> = audit_event_learner::Entity::find()
        .select_only()
        .column(audit_event_learner::Column::EventId)
        .filter(audit_event_learner::Column::UserId.eq(id))
        .into_tuple()
        .all(&txn)
        .await?;
    for chunk in linked.chunks(1000) {
        audit_event_pseudonym::Entity::insert_many(
            chunk
                .iter()
                .map(|e| audit_event_pseudonym::ActiveModel { event_id: Set(*e), pseudonym: Set(pseudonym.clone()) }),
        )
        .exec_without_returning(&txn)
        .await?;
    }
    audit_event_learner::Entity::delete_many().filter(audit_event_learner::Column::UserId.eq(id)).exec(&txn).await?;
    // Events that name them (as the actor, in a OneRoster path, in a request id): found by an
    // exact, case-sensitive substring search on either database, then rewritten where the
    // sourcedId stands whole (`stu-1` is not part of `stu-12`).
    let sid = learner.sourced_id.as_str();
    let position = if txn.get_database_backend() == sea_orm::DatabaseBackend::Postgres { "strpos" } else { "instr" };
    let mentions = [
        audit_event::Column::ActorId,
        audit_event::Column::Fields,
        audit_event::Column::OperationName,
        audit_event::Column::RequestId,
    ]
    .into_iter()
    .fold(Condition::any(), |c, column| c.add(Expr::expr(Func::cust(position).arg(Expr::col(column)).arg(sid)).gt(0)));
    let mut pseudonymised: std::collections::BTreeSet<i64> = linked.iter().copied().collect();
    for e in audit_event::Entity::find().filter(mentions).all(&txn).await? {
        let actor =
            if e.actor_kind == ActorKind::User && e.actor_id == sid { pseudonym.clone() } else { e.actor_id.clone() };
        let fields = replace_whole(&e.fields, sid, &pseudonym);
        let name = e.operation_name.as_deref().map(|n| replace_whole(n, sid, &pseudonym));
        let request = e.request_id.as_deref().map(|r| replace_whole(r, sid, &pseudonym));
        if actor == e.actor_id && fields == e.fields && name == e.operation_name && request == e.request_id {
            continue;
        }
        pseudonymised.insert(e.id);
        let mut am: audit_event::ActiveModel = e.into();
        am.actor_id = Set(actor);
        am.fields = Set(fields);
        am.operation_name = Set(name);
        am.request_id = Set(request);
        am.update(&txn).await?;
    }
    let pseudonymised = pseudonymised.len() as u64;
    count("users", user::Entity::delete_many().filter(user::Column::Id.eq(id)).exec(&txn).await?.rows_affected);

    // The purge record and its own audit event, naming only the pseudonym.
    let (kind, actor) = by.actor_ref();
    let now = crate::db::now();
    learner_purge::ActiveModel {
        pseudonym: Set(pseudonym.clone()),
        purged_at: Set(now),
        actor_kind: Set(kind.to_string()),
        actor_id: Set(actor.clone()),
        client_id: Set(by.client_id().map(str::to_owned)),
        reason: Set(reason.to_owned()),
        removed: Set(serde_json::json!(removed)),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let event = audit_event::ActiveModel {
        occurred_at: Set(now),
        actor_kind: Set(kind),
        actor_id: Set(actor),
        client_id: Set(by.client_id().map(str::to_owned)),
        operation_type: Set("mutation".into()),
        operation_name: Set(Some("purgeLearner".into())),
        fields: Set("purgeLearner".into()),
        request_id: Set(None),
        agreement_id: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit_event_pseudonym::ActiveModel { event_id: Set(event.id), pseudonym: Set(pseudonym.clone()) }
        .insert(&txn)
        .await?;

    let mut changes: Vec<Change> = vec![];
    for ((entity, entity_id), filed_under) in filed {
        let Some(entity) = ChangeEntity::parse(&entity) else { continue };
        let mut under: std::collections::BTreeSet<Option<i64>> = orgs.iter().map(|o| Some(*o)).collect();
        if filed_under.is_some() || under.is_empty() {
            under.insert(filed_under);
        }
        changes.extend(under.into_iter().map(|org_id| Change {
            entity,
            id: entity_id,
            org_id,
            person_id: None,
            deleted: true,
        }));
    }
    changes.sort_by_key(|c| (c.entity.as_str(), c.id, c.org_id));
    crate::sync::record(&txn, &changes).await?;
    txn.commit().await?;
    Ok(Purged { pseudonym, purged_at: now, removed, tombstones: changes.len(), audit_events: pseudonymised })
}

/// `text` with every whole occurrence of `id` (not part of a longer identifier) replaced.
fn replace_whole(text: &str, id: &str, with: &str) -> String {
    let part_of_id = |c: char| c.is_alphanumeric() || matches!(c, '-' | '_' | '.');
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(id) {
        let before = rest[..at].chars().next_back().or_else(|| out.chars().next_back());
        let after = rest[at + id.len()..].chars().next();
        out.push_str(&rest[..at]);
        if before.is_some_and(part_of_id) || after.is_some_and(part_of_id) {
            out.push_str(id);
        } else {
            out.push_str(with);
        }
        rest = &rest[at + id.len()..];
    }
    out.push_str(rest);
    out
}

/// Drops, from every roster import's report, the problems that quote the student (their
/// sourcedId, email or username).
async fn scrub_import_reports(
    txn: &impl ConnectionTrait,
    learner: &user::Model,
    count: &mut impl FnMut(&str, u64),
) -> AppResult<()> {
    let needles: Vec<&str> = [Some(learner.sourced_id.as_str()), learner.email.as_deref(), learner.username.as_deref()]
        .into_iter()
        .flatten()
        .filter(|n| !n.is_empty())
        .collect();
    let mut mentions = Condition::any();
    for n in &needles {
        mentions = mentions.add(roster_import::Column::Problems.contains(*n));
    }
    let reports = roster_import::Entity::find().filter(mentions).all(txn).await?;
    for report in reports {
        let quotes = |v: &serde_json::Value| {
            let text = v.to_string();
            needles.iter().any(|n| text.contains(n))
        };
        // A report that does not parse (it always does) is emptied rather than kept quoting them.
        let mut problems: Vec<serde_json::Value> = serde_json::from_str(&report.problems).unwrap_or_default();
        let before = problems.len();
        problems.retain(|p| !quotes(p));
        let dropped = before - problems.len();
        let mut am: roster_import::ActiveModel = report.into();
        am.problems = Set(serde_json::Value::Array(problems).to_string());
        am.update(txn).await?;
        count("roster_import_problems", dropped as u64);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::replace_whole;

    #[test]
    fn only_whole_identifiers_are_replaced() {
        assert_eq!(replace_whole("/users/stu-1", "stu-1", "P"), "/users/P");
        assert_eq!(replace_whole("/users/stu-12", "stu-1", "P"), "/users/stu-12");
        assert_eq!(replace_whole("/users/astu-1", "stu-1", "P"), "/users/astu-1");
        assert_eq!(replace_whole("/users/stu-1/classes?filter=x", "stu-1", "P"), "/users/P/classes?filter=x");
        assert_eq!(replace_whole("stu-1 stu-1", "stu-1", "P"), "P P");
        assert_eq!(replace_whole("STU-1", "stu-1", "P"), "STU-1");
        assert_eq!(replace_whole("", "stu-1", "P"), "");
    }
}
