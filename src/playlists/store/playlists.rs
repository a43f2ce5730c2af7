//! Playlists themselves: creating (a learner's or a template), renaming, deleting.

use super::*;

/// A playlist as a caller describes it.
#[derive(Clone, Debug)]
pub struct PlaylistInput {
    /// A learner's playlist; `None` makes a template.
    pub learner: Option<String>,
    pub school: Option<String>,
    pub class: Option<String>,
    pub term: Option<String>,
    pub subject: String,
    pub title: String,
    pub items: Vec<ItemInput>,
}

/// The school a new playlist belongs to: the class's, the named school, or the learner's
/// only school within the caller's orgs.
async fn resolve_org(
    db: &impl ConnectionTrait,
    p: &Principal,
    learner: Option<&user::Model>,
    school: Option<&str>,
    class: Option<&class::Model>,
) -> AppResult<i64> {
    if let Some(c) = class {
        return Ok(c.org_id);
    }
    if let Some(s) = school {
        let org = roster::orgs(p, OrgType::School, None, Sync::default())
            .filter(entity::org::Column::SourcedId.eq(lookup_key(s).unwrap_or_default()))
            .filter(owned_by_granted_org(p, (entity::org::Entity, entity::org::Column::Id)))
            .one(db)
            .await?
            .ok_or_else(|| AppError::not_found_at("input.schoolSourcedId", format!("no school `{s}` in your orgs")))?;
        return Ok(org.id);
    }
    let Some(learner) = learner else {
        return Err(AppError::validation("input.schoolSourcedId", "a template needs its school (or class)"));
    };
    let schools: Vec<i64> = entity::user_org::Entity::find()
        .filter(entity::user_org::Column::UserId.eq(learner.id))
        .filter(owned_by_granted_org(p, (entity::user_org::Entity, entity::user_org::Column::OrgId)))
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.org_id)
        .collect();
    match schools.as_slice() {
        [one] => Ok(*one),
        [] => Err(AppError::NotFound("learner")),
        _ => Err(AppError::validation("input.schoolSourcedId", "the learner is at several schools: name one")),
    }
}

async fn visible_student(db: &impl ConnectionTrait, p: &Principal, key: Key<'_>) -> AppResult<user::Model> {
    roster::find_user(db, p, key)
        .await?
        .filter(|u| u.role == Role::Student && u.status == entity::Status::Active)
        .ok_or(AppError::NotFound("learner"))
}

/// Creates a playlist (a learner's, or a template) with its items; its learner is revealed.
#[tracing::instrument(skip_all, fields(items = input.items.len()))]
pub async fn create(
    db: &impl TransactionTrait,
    bus: &Bus,
    p: &Principal,
    input: PlaylistInput,
) -> AppResult<playlist::Model> {
    policy::require_editor(p)?;
    check_len("input.title", &input.title, 300)?;
    check_len("input.subject", &input.subject, 100)?;
    let txn = crate::db::begin_write(db).await?;
    let items = check_items(&txn, p, "input.items", input.items).await?;
    let learner = match &input.learner {
        Some(s) => Some(visible_student(&txn, p, Key::Sourced(lookup_key(s).unwrap_or_default())).await?),
        None => None,
    };
    let class = match &input.class {
        Some(s) => Some(
            roster::find_class(&txn, p, Key::Sourced(lookup_key(s).unwrap_or_default()))
                .await?
                .filter(|c| c.status == entity::Status::Active)
                .ok_or_else(|| {
                    AppError::not_found_at("input.classSourcedId", format!("no class `{s}` in your orgs"))
                })?,
        ),
        None => None,
    };
    let term = match &input.term {
        Some(s) => Some(
            roster::find_session(&txn, p, Key::Sourced(lookup_key(s).unwrap_or_default()))
                .await?
                .ok_or_else(|| AppError::not_found_at("input.termSourcedId", format!("no term `{s}`")))?
                .id,
        ),
        None => class.as_ref().map(|c| c.term_id),
    };
    let org_id = resolve_org(&txn, p, learner.as_ref(), input.school.as_deref(), class.as_ref()).await?;
    let now = crate::db::now();
    let id = playlist::Entity::insert(playlist::ActiveModel {
        org_id: Set(org_id),
        learner_id: Set(learner.as_ref().map(|l| l.id)),
        class_id: Set(class.as_ref().map(|c| c.id)),
        term_id: Set(term),
        template_id: Set(None),
        is_template: Set(learner.is_none()),
        title: Set(input.title.trim().to_owned()),
        subject: Set(input.subject.trim().to_owned()),
        created_by: Set(creator(p)),
        status: Set(Status::Active),
        created_at: Set(now),
        date_last_modified: Set(now),
        ..Default::default()
    })
    .exec(&txn)
    .await?
    .last_insert_id;
    let item_ids = insert_items(&txn, id, 0, &items, None).await?;
    let model = playlist::Entity::find_by_id(id).one(&txn).await?.ok_or(AppError::NotFound("playlist"))?;
    let mut effects = Effects::default();
    effects.changes.push(playlist_change(&model, false));
    effects.changes.extend(item_ids.iter().map(|i| item_change(&model, *i, false)));
    let staged = effects.finish(&txn, bus).await?;
    txn.commit().await?;
    staged.sent();
    p.reveal(model.learner_id);
    Ok(model)
}

/// Changes to a playlist's own fields; `None` leaves a field as it is.
#[derive(Clone, Debug, Default)]
pub struct PlaylistChanges {
    pub title: Option<String>,
    pub subject: Option<String>,
}

/// Renames a playlist or changes its subject.
#[tracing::instrument(skip_all, fields(playlist = id))]
pub async fn update(
    db: &impl TransactionTrait,
    bus: &Bus,
    p: &Principal,
    id: i64,
    c: PlaylistChanges,
) -> AppResult<playlist::Model> {
    if let Some(t) = &c.title {
        check_len("input.title", t, 300)?;
    }
    if let Some(s) = &c.subject {
        check_len("input.subject", s, 100)?;
    }
    let txn = crate::db::begin_write(db).await?;
    let pl = editable(&txn, p, id).await?;
    playlist::Entity::update(playlist::ActiveModel {
        id: Set(pl.id),
        title: Set(c.title.map_or(pl.title.clone(), |t| t.trim().to_owned())),
        subject: Set(c.subject.map_or(pl.subject.clone(), |s| s.trim().to_owned())),
        date_last_modified: Set(crate::db::now()),
        ..Default::default()
    })
    .exec(&txn)
    .await?;
    let model = playlist::Entity::find_by_id(id).one(&txn).await?.ok_or(AppError::NotFound("playlist"))?;
    let staged = Effects { changes: vec![playlist_change(&model, false)], events: vec![] }.finish(&txn, bus).await?;
    txn.commit().await?;
    staged.sent();
    p.reveal(model.learner_id);
    Ok(model)
}

/// Deletes a playlist and its items (kept as tombstones so syncing tools see the deletion).
#[tracing::instrument(skip_all, fields(playlist = id))]
pub async fn delete(db: &impl TransactionTrait, bus: &Bus, p: &Principal, id: i64) -> AppResult<()> {
    let txn = crate::db::begin_write(db).await?;
    let pl = editable(&txn, p, id).await?;
    let now = crate::db::now();
    let item_ids: Vec<i64> = playlist_item::Entity::find()
        .filter(playlist_item::Column::PlaylistId.eq(id))
        .filter(playlist_item::Column::Status.eq(Status::Active))
        .all(&txn)
        .await?
        .into_iter()
        .map(|i| i.id)
        .collect();
    playlist_item::Entity::update_many()
        .col_expr(playlist_item::Column::Status, Expr::value(Status::ToBeDeleted))
        .col_expr(playlist_item::Column::DateLastModified, Expr::value(now))
        .filter(playlist_item::Column::Id.is_in(item_ids.iter().copied()))
        .exec(&txn)
        .await?;
    playlist::Entity::update_many()
        .col_expr(playlist::Column::Status, Expr::value(Status::ToBeDeleted))
        .col_expr(playlist::Column::DateLastModified, Expr::value(now))
        .filter(playlist::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    let mut effects = Effects::default();
    effects.changes.push(playlist_change(&pl, true));
    effects.changes.extend(item_ids.iter().map(|i| item_change(&pl, *i, true)));
    let staged = effects.finish(&txn, bus).await?;
    txn.commit().await?;
    staged.sent();
    p.reveal(pl.learner_id);
    Ok(())
}
