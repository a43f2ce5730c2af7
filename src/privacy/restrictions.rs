//! A family's choices about their child's data: the directory-information opt-out and the
//! opt-out of all sharing with vendors. Set by the district's administrators (GraphQL);
//! enforced by the policy (`user_id_visible`) for every vendor's
//! client, whatever the transport; visible to the district's own staff and tools.

use entity::{Role, data_use_restriction, user};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, sea_query::OnConflict,
};

use crate::{
    auth::{Principal, Scope},
    error::{AppError, AppResult},
};

/// The restrictions to set on one student (`None`: leave as it is).
#[derive(Clone, Debug, Default)]
pub struct Change {
    pub directory_opt_out: Option<bool>,
    pub vendor_opt_out: Option<bool>,
    pub note: Option<String>,
}

/// Only the district's administrators (a district-wide principal holding `admin`, a signed-in
/// district administrator, or the CLI) set a family's choices.
pub fn require_setter(p: &Principal) -> AppResult<()> {
    p.require(Scope::Admin)?;
    if !crate::auth::policy::is_district_admin(p) {
        return Err(AppError::Forbidden("a family's data-use choices are set by the district's administrators".into()));
    }
    Ok(())
}

/// Sets a student's restrictions (by sourcedId), recording who set them and when. A student
/// must exist and be a student.
pub async fn set(
    db: &DatabaseConnection,
    by: &Principal,
    learner_sourced_id: &str,
    change: Change,
) -> AppResult<data_use_restriction::Model> {
    require_setter(by)?;
    if let Some(note) = &change.note
        && note.chars().count() > 2000
    {
        return Err(AppError::validation("note", "must be at most 2,000 characters"));
    }
    let learner = user::Entity::find()
        .filter(user::Column::SourcedId.eq(learner_sourced_id))
        .filter(user::Column::Role.eq(Role::Student))
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFoundAt {
            field: "learnerSourcedId".into(),
            message: format!("no student `{learner_sourced_id}`"),
        })?;
    let (_, actor) = by.actor_ref();
    let txn = crate::db::begin_write(db).await?;
    write(&txn, learner.id, change, &actor, "admin").await?;
    txn.commit().await?;
    // A change to the student's record: audited naming them.
    by.reveal([learner.id]);
    of(db, learner.id).await?.ok_or_else(|| AppError::Server(anyhow::anyhow!("a data-use change was not stored")))
}

/// Writes a student's restrictions (an upsert keeping what `change` leaves out).
pub async fn write(db: &impl ConnectionTrait, user_id: i64, change: Change, by: &str, source: &str) -> AppResult<()> {
    // Read and written in the caller's transaction (`set` opens one), so two changes to one
    // student do not overwrite each other's other choice.
    let current = of(db, user_id).await?;
    let row = data_use_restriction::ActiveModel {
        user_id: Set(user_id),
        directory_opt_out: Set(change
            .directory_opt_out
            .unwrap_or_else(|| current.as_ref().is_some_and(|c| c.directory_opt_out))),
        vendor_opt_out: Set(change
            .vendor_opt_out
            .unwrap_or_else(|| current.as_ref().is_some_and(|c| c.vendor_opt_out))),
        note: Set(change
            .note
            .or_else(|| current.as_ref().and_then(|c| c.note.clone()))
            .filter(|n| !n.trim().is_empty())),
        set_by: Set(by.to_owned()),
        set_at: Set(crate::db::now()),
        source: Set(source.to_owned()),
    };
    data_use_restriction::Entity::insert(row)
        .on_conflict(
            OnConflict::column(data_use_restriction::Column::UserId)
                .update_columns([
                    data_use_restriction::Column::DirectoryOptOut,
                    data_use_restriction::Column::VendorOptOut,
                    data_use_restriction::Column::Note,
                    data_use_restriction::Column::SetBy,
                    data_use_restriction::Column::SetAt,
                    data_use_restriction::Column::Source,
                ])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// A student's restrictions, if any were ever set.
pub async fn of(db: &impl ConnectionTrait, user_id: i64) -> AppResult<Option<data_use_restriction::Model>> {
    Ok(data_use_restriction::Entity::find_by_id(user_id).one(db).await?)
}

/// Whether the principal sees a student's restrictions: the district's own staff and tools,
/// the student and their guardians; never a vendor's client.
pub fn may_see(p: &Principal) -> bool {
    !p.sharing.is_vendor() && p.actor != crate::auth::Actor::Anonymous
}
