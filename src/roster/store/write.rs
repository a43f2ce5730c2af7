//! Roster writes: learners upserted from a student information system, and records marked
//! deleted. Each runs in one transaction (a savepoint inside the caller's, so several compose)
//! and records its changes for the sync feed.

use entity::{Status, class, enrollment, org, user, user_org};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, EntityTrait, QueryFilter, QuerySelect, TransactionSession, TransactionTrait,
    sea_query::{Expr, Query},
};

use super::{Key, OrgType, Role, Sync, find_class, find_enrollment, find_user, orgs};
use crate::{
    auth::{OrgAccess, Principal, policy::owned_by_granted_org},
    error::{AppError, AppResult, OnConstraint},
    sync::{Change, ChangeEntity},
};

const SOURCED_ID_TAKEN: &str = "this sourcedId is already in use and cannot be assigned to this learner";

/// Fields of a learner as a rostering system sends them.
#[derive(Clone, Debug)]
pub struct LearnerFields {
    pub sourced_id: String,
    pub given_name: String,
    pub family_name: String,
    pub preferred_name: Option<String>,
    pub username: Option<String>,
    pub email: Option<String>,
    pub identifier: Option<String>,
    pub grades: Vec<String>,
    /// The learner's schools by sourcedId; memberships at schools outside the caller's orgs
    /// are left as they are.
    pub schools: Vec<String>,
}

pub(crate) use crate::validate::check_text as check_len;

/// Creates or updates a learner by sourcedId, with their school memberships, in one
/// transaction. Returns the stored learner, revealed to the caller.
#[tracing::instrument(skip_all, fields(sourced_id = %input.sourced_id))]
pub async fn upsert_learner(db: &impl TransactionTrait, p: &Principal, input: LearnerFields) -> AppResult<user::Model> {
    let stored = upsert(db, p, input).await?;
    p.reveal([stored.id]);
    Ok(stored)
}

async fn upsert(db: &impl TransactionTrait, p: &Principal, input: LearnerFields) -> AppResult<user::Model> {
    check_len("input.sourcedId", &input.sourced_id, 255)?;
    check_len("input.givenName", &input.given_name, 128)?;
    check_len("input.familyName", &input.family_name, 128)?;
    for (field, value, max) in [
        ("input.preferredName", &input.preferred_name, 128),
        ("input.username", &input.username, 255),
        ("input.identifier", &input.identifier, 255),
    ] {
        if let Some(v) = value {
            check_len(field, v, max)?;
        }
    }
    if input.grades.join(",").len() > 64 {
        return Err(AppError::validation("input.grades", "too many grades"));
    }
    if let Some(email) = &input.email
        && (!email.contains('@') || email.len() > 255)
    {
        return Err(AppError::validation("input.email", "must be an email address"));
    }
    if let Some(bad) = input.grades.iter().find(|g| g.is_empty() || g.len() > 8 || g.contains(',')) {
        return Err(AppError::validation("input.grades", format!("`{bad}` is not a grade code")));
    }
    if input.schools.is_empty() {
        return Err(AppError::validation("input.schoolSourcedIds", "name at least one school"));
    }
    let txn = crate::db::begin_write(db).await?;
    let mut school_ids = Vec::new();
    for s in &input.schools {
        let school = orgs(p, OrgType::School, None, Sync::default())
            .filter(org::Column::SourcedId.eq(s.as_str()))
            .filter(owned_by_granted_org(p, (org::Entity, org::Column::Id)))
            .one(&txn)
            .await?
            .ok_or_else(|| AppError::not_found_at("input.schoolSourcedIds", format!("no school `{s}` in your orgs")))?;
        school_ids.push(school.id);
    }
    let now = crate::db::now();
    let existing = user::Entity::find().filter(user::Column::SourcedId.eq(input.sourced_id.as_str())).one(&txn).await?;
    let grades = (!input.grades.is_empty()).then(|| input.grades.join(","));
    let user_id = match existing {
        Some(u) => {
            // One answer for "someone else's" and "not a student", so other orgs' records
            // can't be probed through it.
            let visible = find_user(&txn, p, Key::Id(u.id)).await?.is_some();
            if u.role != Role::Student || !visible {
                return Err(AppError::Conflict(SOURCED_ID_TAKEN.into()));
            }
            user::Entity::update(user::ActiveModel {
                id: Set(u.id),
                status: Set(Status::Active),
                date_last_modified: Set(now),
                given_name: Set(input.given_name.trim().to_owned()),
                family_name: Set(input.family_name.trim().to_owned()),
                preferred_name: Set(input.preferred_name.clone()),
                username: Set(input.username.clone()),
                email: Set(input.email.clone()),
                identifier: Set(input.identifier.clone()),
                grades: Set(grades),
                ..Default::default()
            })
            .exec(&txn)
            .await?;
            u.id
        }
        None => {
            user::Entity::insert(user::ActiveModel {
                sourced_id: Set(input.sourced_id.clone()),
                status: Set(Status::Active),
                date_last_modified: Set(now),
                role: Set(Role::Student),
                given_name: Set(input.given_name.trim().to_owned()),
                family_name: Set(input.family_name.trim().to_owned()),
                preferred_name: Set(input.preferred_name.clone()),
                username: Set(input.username.clone()),
                email: Set(input.email.clone()),
                identifier: Set(input.identifier.clone()),
                grades: Set(grades),
                enabled_user: Set(true),
                ..Default::default()
            })
            .exec(&txn)
            .await
            .on_unique("uq_users_sourced_id", || {
                AppError::Conflict("a concurrent request created this learner; retry".into())
            })?
            .last_insert_id
        }
    };
    // Memberships within the caller's orgs become exactly `school_ids`.
    let mut remove = user_org::Entity::delete_many()
        .filter(user_org::Column::UserId.eq(user_id))
        .filter(user_org::Column::OrgId.is_not_in(school_ids.iter().copied()));
    if let OrgAccess::Only { orgs, .. } = &p.orgs {
        remove = remove.filter(user_org::Column::OrgId.is_in(orgs.iter().copied()));
    }
    remove.exec(&txn).await?;
    user_org::Entity::insert_many(school_ids.iter().enumerate().map(|(i, org_id)| user_org::ActiveModel {
        user_id: Set(user_id),
        org_id: Set(*org_id),
        role: Set(Role::Student),
        is_primary: Set(i == 0),
        ..Default::default()
    }))
    .on_conflict_do_nothing_on([user_org::Column::UserId, user_org::Column::OrgId])
    .exec_without_returning(&txn)
    .await?;
    let stored = user::Entity::find_by_id(user_id).one(&txn).await?.ok_or(AppError::NotFound("learner"))?;
    crate::sync::record(&txn, &[Change::person(ChangeEntity::Learner, user_id, false)]).await?;
    txn.commit().await?;
    Ok(stored)
}

/// Which kind of record `mark_deleted` deletes.
#[derive(Clone, Copy, Debug)]
pub enum Deletable {
    /// A learner (`true`) or an educator (`false`).
    User {
        student: bool,
    },
    Class,
    Enrollment,
}

/// Marks a record `tobedeleted` (and the enrollments that hang off a user or class), bumping
/// `dateLastModified` so that `updatedSince` sync delivers the deletion. A caller limited to
/// some orgs deletes only what lies within them: a user who also belongs to other orgs loses
/// their memberships and enrollments in the caller's orgs and stays active elsewhere. A
/// deleted learner (or one already deleted) is revealed to the caller.
#[tracing::instrument(skip_all, fields(kind = ?kind, id))]
pub async fn mark_deleted(db: &impl TransactionTrait, p: &Principal, kind: Deletable, id: i64) -> AppResult<()> {
    mark(db, p, kind, id).await?;
    if let Deletable::User { student: true } = kind {
        p.reveal([id]);
    }
    Ok(())
}

async fn mark(db: &impl TransactionTrait, p: &Principal, kind: Deletable, id: i64) -> AppResult<()> {
    let txn = crate::db::begin_write(db).await?;
    let now = crate::db::now();
    let found = match kind {
        Deletable::User { student } => {
            find_user(&txn, p, Key::Id(id)).await?.filter(|u| (u.role == Role::Student) == student).map(|r| r.status)
        }
        Deletable::Class => find_class(&txn, p, Key::Id(id)).await?.map(|r| r.status),
        Deletable::Enrollment => find_enrollment(&txn, p, Key::Id(id)).await?.map(|r| r.status),
    };
    match found {
        None => return Err(AppError::NotFound("record")),
        Some(Status::ToBeDeleted) => return Ok(()),
        Some(Status::Active) => {}
    }
    let mut enrollments = enrollment::Entity::update_many()
        .col_expr(enrollment::Column::Status, Expr::value(Status::ToBeDeleted))
        .col_expr(enrollment::Column::DateLastModified, Expr::value(now))
        .filter(enrollment::Column::Status.eq(Status::Active))
        .filter(match kind {
            Deletable::User { .. } => enrollment::Column::UserId.eq(id),
            Deletable::Class => enrollment::Column::ClassId.eq(id),
            Deletable::Enrollment => enrollment::Column::Id.eq(id),
        });
    let mut delete_user = true;
    // The schools a caller limited to some orgs takes a person out of: each gets a tombstone
    // of its own, since the person is no longer theirs to see afterwards.
    let mut left: Vec<i64> = Vec::new();
    if let (Deletable::User { .. }, OrgAccess::Only { orgs, .. }) = (kind, &p.orgs) {
        left = user_org::Entity::find()
            .select_only()
            .column(user_org::Column::OrgId)
            .filter(user_org::Column::UserId.eq(id))
            .filter(user_org::Column::OrgId.is_in(orgs.iter().copied()))
            .into_tuple()
            .all(&txn)
            .await?;
        enrollments = enrollments.filter(
            enrollment::Column::ClassId.in_subquery(
                Query::select()
                    .column(class::Column::Id)
                    .from(class::Entity)
                    .and_where(class::Column::OrgId.is_in(orgs.iter().copied()))
                    .to_owned(),
            ),
        );
        user_org::Entity::delete_many()
            .filter(user_org::Column::UserId.eq(id))
            .filter(user_org::Column::OrgId.is_in(orgs.iter().copied()))
            .exec(&txn)
            .await?;
        let elsewhere = user_org::Entity::find().filter(user_org::Column::UserId.eq(id)).one(&txn).await?;
        delete_user = elsewhere.is_none();
    }
    enrollments.exec(&txn).await?;
    // The enrollments this call ended carry its timestamp: they go to the changes feed.
    let ended: Vec<(i64, i64, i64)> = enrollment::Entity::find()
        .select_only()
        .columns([enrollment::Column::Id, enrollment::Column::UserId, enrollment::Column::ClassId])
        .filter(enrollment::Column::Status.eq(Status::ToBeDeleted))
        .filter(enrollment::Column::DateLastModified.eq(now))
        .filter(match kind {
            Deletable::User { .. } => enrollment::Column::UserId.eq(id),
            Deletable::Class => enrollment::Column::ClassId.eq(id),
            Deletable::Enrollment => enrollment::Column::Id.eq(id),
        })
        .into_tuple()
        .all(&txn)
        .await?;
    // An enrollment's tombstone names its class's school, so that school's tools still see it
    // once the person is gone from their view.
    let class_orgs: std::collections::HashMap<i64, i64> = if ended.is_empty() {
        std::collections::HashMap::new()
    } else {
        class::Entity::find()
            .select_only()
            .columns([class::Column::Id, class::Column::OrgId])
            .filter(class::Column::Id.is_in(ended.iter().map(|e| e.2)))
            .into_tuple::<(i64, i64)>()
            .all(&txn)
            .await?
            .into_iter()
            .collect()
    };
    let mut changes: Vec<Change> = ended
        .into_iter()
        .map(|(e, u, c)| Change {
            entity: ChangeEntity::Enrollment,
            id: e,
            org_id: class_orgs.get(&c).copied(),
            person_id: Some(u),
            deleted: true,
        })
        .collect();
    if let Deletable::User { student } = kind {
        let entity = if student { ChangeEntity::Learner } else { ChangeEntity::Educator };
        changes.extend(left.iter().map(|org| Change {
            entity,
            id,
            org_id: Some(*org),
            person_id: Some(id),
            deleted: true,
        }));
    }
    match kind {
        Deletable::User { student } if delete_user => {
            let entity = if student { ChangeEntity::Learner } else { ChangeEntity::Educator };
            changes.push(Change::person(entity, id, true));
        }
        Deletable::Class => {
            let org = class::Entity::find_by_id(id).one(&txn).await?.map(|c| c.org_id);
            changes.push(Change { entity: ChangeEntity::Class, id, org_id: org, person_id: None, deleted: true });
        }
        _ => {}
    }
    match kind {
        Deletable::User { .. } if delete_user => {
            user::Entity::update_many()
                .col_expr(user::Column::Status, Expr::value(Status::ToBeDeleted))
                .col_expr(user::Column::DateLastModified, Expr::value(now))
                .filter(user::Column::Id.eq(id))
                .exec(&txn)
                .await?;
        }
        Deletable::Class => {
            class::Entity::update_many()
                .col_expr(class::Column::Status, Expr::value(Status::ToBeDeleted))
                .col_expr(class::Column::DateLastModified, Expr::value(now))
                .filter(class::Column::Id.eq(id))
                .exec(&txn)
                .await?;
        }
        _ => {}
    }
    crate::sync::record(&txn, &changes).await?;
    txn.commit().await?;
    Ok(())
}
