//! Item state transitions: who may move an item where, recorded with who did it.

use super::*;

/// Moves an item to another state, recording who did it. Learners move their own items
/// forward (start, submit); staff and tools decide mastery and revision. Asking for the state
/// the item is already in changes nothing (a retried request succeeds).
#[tracing::instrument(skip_all, fields(item = item_id, to = %to))]
pub async fn set_item_state(
    db: &impl TransactionTrait,
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
        find_item(&txn, p, item_id).await?.filter(|i| i.status == Status::Active).ok_or(AppError::NotFound("item"))?;
    let pl = find_playlist(&txn, p, item.playlist_id)
        .await?
        .filter(|pl| pl.status == Status::Active && !pl.is_template)
        .ok_or(AppError::NotFound("item"))?;
    let from = item.state;
    if from == to {
        txn.commit().await?;
        return Ok(item);
    }
    if !next_states(from).contains(&to) {
        return Err(AppError::validation(
            "input.state",
            format!(
                "an item that is {from} can move to {}",
                next_states(from).iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" or ")
            ),
        ));
    }
    policy::may_move_item(p, from, to)?;
    let now = crate::db::now();
    let moved = playlist_item::Entity::update_many()
        .col_expr(playlist_item::Column::State, Expr::value(to))
        .col_expr(playlist_item::Column::DateLastModified, Expr::value(now))
        .filter(playlist_item::Column::Id.eq(item.id))
        .filter(playlist_item::Column::State.eq(from))
        .exec(&txn)
        .await?;
    if moved.rows_affected == 0 {
        return Err(AppError::Conflict("the item changed state meanwhile: reload it and retry".into()));
    }
    let (kind, actor) = p.actor_ref();
    playlist_item_transition::Entity::insert(playlist_item_transition::ActiveModel {
        item_id: Set(item.id),
        from_state: Set(Some(from)),
        to_state: Set(to),
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

/// Whether a learner has mastered every competency an item builds, from their calculated
/// masteries (`value` by competency) and each competency's mastered threshold (its framework's
/// scale). `None` when the item builds no competency. A competency without a mastery yet, or
/// whose mastery has no value yet, is not mastered.
///
/// This is evidence, not workflow: an item's state is what the teacher or learner marked and
/// is never rewritten from it, nor it from the state (see [`mastery_disagrees`]).
pub fn competencies_mastered(
    competencies: &[i64],
    value_of: impl Fn(i64) -> Option<f64>,
    threshold_of: impl Fn(i64) -> f64,
) -> Option<bool> {
    if competencies.is_empty() {
        return None;
    }
    Some(competencies.iter().all(|c| value_of(*c).is_some_and(|v| v >= threshold_of(*c))))
}

/// An item marked `MASTERED` whose competencies are not all mastered yet: the two are shown
/// side by side for a teacher to look at, not reconciled.
pub fn mastery_disagrees(state: ItemState, competencies_mastered: Option<bool>) -> bool {
    state == ItemState::Mastered && competencies_mastered == Some(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_item_is_mastered_in_evidence_when_every_competency_reaches_its_threshold() {
        let values = |c: i64| match c {
            1 => Some(0.9),
            2 => Some(0.5),
            3 => None,
            _ => None,
        };
        let threshold = |_| 0.75;
        assert_eq!(competencies_mastered(&[], values, threshold), None);
        assert_eq!(competencies_mastered(&[1], values, threshold), Some(true));
        assert_eq!(competencies_mastered(&[1, 2], values, threshold), Some(false));
        assert_eq!(competencies_mastered(&[1, 3], values, threshold), Some(false));
        assert_eq!(competencies_mastered(&[4], values, threshold), Some(false));
        assert_eq!(competencies_mastered(&[2], values, |_| 0.5), Some(true));
    }

    #[test]
    fn only_a_mastered_item_short_of_evidence_disagrees() {
        assert!(mastery_disagrees(ItemState::Mastered, Some(false)));
        assert!(!mastery_disagrees(ItemState::Mastered, Some(true)));
        assert!(!mastery_disagrees(ItemState::Mastered, None));
        assert!(!mastery_disagrees(ItemState::Submitted, Some(false)));
        assert!(!mastery_disagrees(ItemState::InProgress, Some(true)));
    }
}
