//! The redesign service layer: pillars and cohorts ([`district`]), plans and their stages
//! ([`plans`]), the strategic plan ([`strategy`]), money ([`funding`]) and the dashboard
//! ([`dashboard`]). Transport-free: each function takes the caller's connection (writes take
//! anything that can open a transaction, so a caller may pass its own and compose several
//! writes), the [`Principal`](crate::auth::Principal) and typed input, and asks
//! `auth::policy::redesign` every authorization question.

mod dashboard;
mod district;
mod funding;
mod plans;
mod strategy;

use entity::{redesign_goal, redesign_plan};
use sea_orm::{
    ColumnTrait, DbErr, SqliteTransactionMode, TransactionOptions, TransactionTrait,
    sea_query::{Expr, ExprTrait, Query, SelectStatement},
};

pub use self::{dashboard::*, district::*, funding::*, plans::*, strategy::*};
use super::stages::Stage;
use crate::{
    auth::{Principal, policy::redesign::visible_plan_ids},
    error::{AppError, AppResult},
};

const MAX_TITLE: usize = 300;
const MAX_NAME: usize = 200;
const MAX_TEXT: usize = 20_000;
const MAX_POSITION: i32 = 1000;

/// Opens the write transaction of a service call: `BEGIN IMMEDIATE` on SQLite (writers queue
/// up front instead of failing to upgrade a read lock), or a savepoint inside the caller's
/// transaction when it passed one.
async fn begin<C: TransactionTrait>(db: &C) -> Result<C::Transaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}

/// Goals of visible plans that are not declined: what the dashboard looks at.
fn live_goal_ids(p: &Principal) -> SelectStatement {
    Query::select()
        .column(redesign_goal::Column::Id)
        .from(redesign_goal::Entity)
        .and_where(
            Expr::col(redesign_goal::Column::PlanId).in_subquery(
                visible_plan_ids(p).and_where(redesign_plan::Column::Stage.ne(Stage::Declined)).to_owned(),
            ),
        )
        .to_owned()
}

/// Goals of the plans the principal may see.
fn visible_goal_ids(p: &Principal) -> SelectStatement {
    Query::select()
        .column(redesign_goal::Column::Id)
        .from(redesign_goal::Entity)
        .and_where(Expr::col(redesign_goal::Column::PlanId).in_subquery(visible_plan_ids(p)))
        .to_owned()
}

// ---------------------------------------------------------------------------------------------
// Validation helpers.

fn check_position(pos: i32) -> AppResult<i32> {
    if (1..=MAX_POSITION).contains(&pos) {
        Ok(pos)
    } else {
        Err(AppError::validation("input.position", format!("must be between 1 and {MAX_POSITION}")))
    }
}

fn finite(field: &str, v: f64) -> AppResult<f64> {
    if v.is_finite() { Ok(v) } else { Err(AppError::validation(field, "must be a finite number")) }
}

/// The principal as recorded on a change: (kind, id).
fn actor(p: &Principal) -> (entity::ActorKind, String) {
    p.actor_ref()
}
