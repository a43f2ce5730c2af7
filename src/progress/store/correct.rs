//! Correcting results after they are posted: a teacher's override, and deletion.

use super::*;

/// A teacher's judgement on a result: a score or a level that replaces the tool's value in
/// mastery (the tool's values stay, and the tool can see the override). `None` clears it.
#[derive(Clone, Debug)]
pub enum Override {
    Score { score: f64, max: f64 },
    Level(String),
}

/// Sets (or, with `None`, clears) a teacher's override of a result; mastery is recomputed.
#[tracing::instrument(skip_all, fields(result = id, clear = value.is_none()))]
pub async fn set_override(
    db: &impl TransactionTrait,
    bus: &Bus,
    p: &Principal,
    id: i64,
    value: Option<Override>,
    note: Option<String>,
) -> AppResult<result::Model> {
    policy::require_overrider(p)?;
    if let Some(n) = &note {
        check_len("input.note", n, 1000)?;
    }
    let txn = crate::db::begin_write(db).await?;
    let r = find(&txn, p, id).await?.filter(|r| r.status == Status::Active).ok_or(AppError::NotFound("result"))?;
    let (v, level) = match &value {
        None => (None, None),
        Some(Override::Score { score, max }) => {
            let (score, max) = (finite("input.score".into(), *score)?, finite("input.scoreMax".into(), *max)?);
            if max <= 0.0 || !(0.0..=max).contains(&score) {
                return Err(AppError::validation("input.score", "must be between 0 and scoreMax (above 0)"));
            }
            (Some(score / max), None)
        }
        Some(Override::Level(name)) => {
            let comp = match r.competency_id {
                Some(c) => Some(c),
                None => pairs_of(&txn, &r).await?.first().map(|p| p.1),
            };
            let comp = comp.ok_or_else(|| AppError::validation("input.masteryLevel", "this result has no scale"))?;
            let c = competency::Entity::find_by_id(comp).one(&txn).await?.ok_or(AppError::NotFound("competency"))?;
            let f = competency_framework::Entity::find_by_id(c.framework_id)
                .one(&txn)
                .await?
                .ok_or(AppError::NotFound("framework"))?;
            let scale = Scale::of(&f);
            let lv = scale
                .level(name)
                .ok_or_else(|| AppError::validation("input.masteryLevel", "not a level of the competency's scale"))?;
            (Some(lv.threshold), Some(lv.name.clone()))
        }
    };
    let now = crate::db::now();
    let (_, who) = p.actor_ref();
    result::Entity::update(result::ActiveModel {
        id: Set(r.id),
        override_value: Set(v),
        override_level: Set(level),
        override_by: Set(v.map(|_| who)),
        override_note: Set(v.and(note.map(|n| n.trim().to_owned()))),
        overridden_at: Set(v.map(|_| now)),
        date_last_modified: Set(now),
        ..Default::default()
    })
    .exec(&txn)
    .await?;
    let effects = changed(&txn, &r, false).await?;
    let updated = result::Entity::find_by_id(r.id).one(&txn).await?.ok_or(AppError::NotFound("result"))?;
    let staged = effects.finish(&txn, bus).await?;
    txn.commit().await?;
    staged.sent();
    Ok(updated)
}

/// Deletes a result: its poster may, and so may a teacher or administrator who sees the
/// learner. Mastery is recomputed without it; a tombstone stays for sync.
#[tracing::instrument(skip_all, fields(result = id))]
pub async fn delete(db: &impl TransactionTrait, bus: &Bus, p: &Principal, id: i64) -> AppResult<()> {
    p.require(crate::auth::Scope::ProgressWrite)?;
    let txn = crate::db::begin_write(db).await?;
    let r = find(&txn, p, id).await?.filter(|r| r.status == Status::Active).ok_or(AppError::NotFound("result"))?;
    policy::may_delete_result(p, r.poster == poster(p))?;
    let now = crate::db::now();
    result::Entity::update_many()
        .col_expr(result::Column::Status, Expr::value(Status::ToBeDeleted))
        .col_expr(result::Column::DateLastModified, Expr::value(now))
        .filter(result::Column::Id.eq(r.id))
        .exec(&txn)
        .await?;
    let effects = changed(&txn, &r, true).await?;
    let staged = effects.finish(&txn, bus).await?;
    txn.commit().await?;
    staged.sent();
    Ok(())
}

/// What correcting a stored result sets off: its masteries recomputed, the change recorded and
/// subscribers told.
async fn changed(txn: &impl ConnectionTrait, r: &result::Model, deleted: bool) -> AppResult<Effects> {
    let mut effects = crate::progress::mastery::recompute(txn, pairs_of(txn, r).await?).await?;
    effects.changes.push(Change {
        entity: ChangeEntity::Result,
        id: r.id,
        org_id: None,
        person_id: Some(r.learner_id),
        deleted,
    });
    effects.events.push(Event { kind: EventKind::Result, id: r.id, learner_id: r.learner_id });
    Ok(effects)
}
