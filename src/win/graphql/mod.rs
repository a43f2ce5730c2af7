//! GraphQL types, queries and mutations of "What I Need" (WIN) sessions. Reading needs
//! `win.read`, changing needs `win.write`; students see and choose for themselves, teachers see
//! their students, school administrators and tools their schools. Resolvers parse arguments,
//! call one function of `win::store` and map its result; the rules live there and in
//! `auth::policy::win`.

mod blocks;
mod choices;
mod enums;
mod mutation;
mod placements;
mod query;

use async_graphql::Context;

pub use self::{
    blocks::{WinBlock, WinSession},
    choices::{MasteryGap, ReviewedChoice, WinChoiceReview, WinPreference, WinReview},
    enums::{Attendance, PlacementSource, PlacementStatus, WinDecision, WinMode},
    mutation::*,
    placements::{AbsentLearner, ChoiceShares, WinAssignment, WinSummary, history_of},
    query::WinQuery,
};
use super::{loaders::WinLoaders, store};
use crate::{
    auth::Principal,
    error::AppResult,
    graphql::{context::loaders, node::Node, relay::Kind},
    roster::graphql::Learner,
};

pub(crate) fn wl<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a WinLoaders> {
    ctx.data::<WinLoaders>()
}

async fn learner(ctx: &Context<'_>, id: i64) -> async_graphql::Result<Option<Learner>> {
    Ok(loaders(ctx)?.users.load_one(id).await?.map(Learner))
}

async fn session(ctx: &Context<'_>, id: i64) -> async_graphql::Result<Option<WinSession>> {
    Ok(wl(ctx)?.session.load_one(id).await?.map(WinSession))
}

fn count(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// The WIN record a global id names, if the caller may see it.
pub async fn resolve_node(
    p: &Principal,
    db: &sea_orm::DatabaseConnection,
    kind: Kind,
    id: i64,
) -> AppResult<Option<Node>> {
    if !crate::auth::policy::win::may_read(p) {
        return Ok(None);
    }
    Ok(match kind {
        Kind::WinBlock => store::find_block(db, p, id).await?.map(|b| Node::WinBlock(WinBlock(b))),
        Kind::WinSession => store::find_session(db, p, id).await?.map(|s| Node::WinSession(WinSession(s))),
        Kind::WinAssignment => store::find_assignment(db, p, id).await?.map(|a| Node::WinAssignment(WinAssignment(a))),
        _ => None,
    })
}
