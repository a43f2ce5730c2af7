//! Item state transitions: who may move an item where, recorded with who did it.

use super::*;

/// Moves an item to another state, recording who did it. Learners move their own items
/// forward (start, submit); staff and tools decide mastery and revision. Asking for the state
/// the item is already in changes nothing (a retried request succeeds).
pub async fn set_item_state(
    db: &DatabaseConnection,
    bus: &Bus,
    p: &Principal,
    item_id: i64,
    to: ItemState,
    note: Option<String>,
) -> AppResult<playlist_item::Model> {
    p.require(Scope::PlaylistsWrite)?;
    if let Some(n) = &note {
        check_len("input.note", n, 1000)?;
    }
    let txn = crate::db::begin_write(db).await?;
    let item =
        find_item(&txn, p, item_id).await?.filter(|i| i.status == STATUS_ACTIVE).ok_or(AppError::NotFound("item"))?;
    let pl = find_playlist(&txn, p, item.playlist_id)
        .await?
        .filter(|pl| pl.status == STATUS_ACTIVE && !pl.is_template)
        .ok_or(AppError::NotFound("item"))?;
    let from = ItemState::parse(&item.state);
    if from == to {
        txn.commit().await?;
        return Ok(item);
    }
    if !from.next().contains(&to) {
        return Err(AppError::validation(
            "input.state",
            format!(
                "an item that is {} can move to {}",
                from.as_str(),
                from.next().iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" or ")
            ),
        ));
    }
    if matches!(p.people, People::Only(_)) && !from.learner_may(to) {
        return Err(AppError::Forbidden("a learner may start and submit work; their teacher decides mastery".into()));
    }
    let now = crate::db::now();
    let moved = playlist_item::Entity::update_many()
        .col_expr(playlist_item::Column::State, Expr::value(to.as_str()))
        .col_expr(playlist_item::Column::DateLastModified, Expr::value(now))
        .filter(playlist_item::Column::Id.eq(item.id))
        .filter(playlist_item::Column::State.eq(from.as_str()))
        .exec(&txn)
        .await?;
    if moved.rows_affected == 0 {
        return Err(AppError::Conflict("the item changed state meanwhile: reload it and retry".into()));
    }
    let (kind, actor) = p.actor_ref();
    playlist_item_transition::Entity::insert(playlist_item_transition::ActiveModel {
        item_id: Set(item.id),
        from_state: Set(Some(from.as_str().to_owned())),
        to_state: Set(to.as_str().to_owned()),
        actor_kind: Set(kind),
        actor_id: Set(actor),
        note: Set(note.map(|n| n.trim().to_owned())),
        changed_at: Set(now),
        ..Default::default()
    })
    .exec(&txn)
    .await?;
    let model = playlist_item::Entity::find_by_id(item.id).one(&txn).await?.ok_or(AppError::NotFound("item"))?;
    let learner = pl.learner_id.unwrap_or_default();
    let effects = Effects {
        changes: vec![item_change(&pl, item.id, false)],
        events: vec![Event { kind: EventKind::ItemState, id: item.id, learner_id: learner }],
    };
    let staged = effects.finish(&txn, bus).await?;
    txn.commit().await?;
    staged.sent();
    Ok(model)
}
