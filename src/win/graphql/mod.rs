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

/// A WIN row's learner as a roster record (profile, mastery, playlists, history): only when
/// the roster shows them to the caller; a student seen only through WIN (placed in or choosing
/// a teacher's session from another class) is named by [`student`] instead.
async fn learner(ctx: &Context<'_>, id: i64) -> async_graphql::Result<Option<Learner>> {
    let p = crate::graphql::context::principal(ctx)?;
    let taught = &wl(ctx)?.taught;
    let sees = crate::auth::policy::win::roster_sees(p, id, |t, l| async move {
        taught.load_one((t, l)).await.map(|v| v.unwrap_or(false)).map_err(store::loader_error)
    })
    .await?;
    if !sees {
        return Ok(None);
    }
    Ok(loaders(ctx)?.users.load_one(id).await?.map(Learner))
}

/// A WIN row's student, by name: whoever sees the row sees who it is about.
async fn student(ctx: &Context<'_>, id: i64) -> async_graphql::Result<Option<WinStudent>> {
    Ok(loaders(ctx)?.users.load_one(id).await?.map(WinStudent))
}

/// A student as WIN shows them: who they are, without their roster record. A teacher sees this
/// for every student placed in or choosing her sessions; `learner` (their whole record) only
/// for students the roster shows her.
pub struct WinStudent(pub entity::user::Model);

#[async_graphql::Object]
impl WinStudent {
    async fn sourced_id(&self) -> &str {
        &self.0.sourced_id
    }
    async fn given_name(&self) -> &str {
        &self.0.given_name
    }
    async fn family_name(&self) -> &str {
        &self.0.family_name
    }
    async fn preferred_name(&self) -> Option<&str> {
        self.0.preferred_name.as_deref()
    }
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
