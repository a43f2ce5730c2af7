//! WIN's root queries: a school's blocks and its summary.

use async_graphql::{Context, Object};
use chrono::NaiveDate;

use super::{AbsentLearner, ChoiceShares, WinBlock, WinSummary, count};
use crate::{
    auth::Scope,
    graphql::context::{db, gql, needs, principal},
    win::store,
};

#[derive(Default)]
pub struct WinQuery;

#[Object]
impl WinQuery {
    /// A school's WIN blocks between two dates (inclusive), by date; at most 200. Needs
    /// `win.read`.
    #[graphql(guard = "needs(Scope::WinRead)")]
    async fn win_blocks(
        &self,
        ctx: &Context<'_>,
        school_sourced_id: String,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    ) -> async_graphql::Result<Vec<WinBlock>> {
        let rows = gql(store::list_blocks(db(ctx)?, principal(ctx)?, &school_sourced_id, from, to).await)?;
        Ok(rows.into_iter().map(WinBlock).collect())
    }

    /// A school's WIN between two dates: how placements met students' choices, seats
    /// offered and used, and students repeatedly absent; for a teacher, over the sessions they
    /// teach. Needs `win.read`; for staff and tools.
    #[graphql(guard = "needs(Scope::WinRead)")]
    async fn win_summary(
        &self,
        ctx: &Context<'_>,
        school_sourced_id: String,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    ) -> async_graphql::Result<WinSummary> {
        let s = gql(store::summary(db(ctx)?, principal(ctx)?, &school_sourced_id, from, to).await)?;
        Ok(WinSummary {
            blocks: count(s.blocks),
            placed: count(s.placed),
            choice_shares: ChoiceShares::from(&s.choices),
            seats: i32::try_from(s.seats).unwrap_or(i32::MAX),
            seats_used: count(s.placed),
            repeatedly_absent: s
                .repeatedly_absent
                .into_iter()
                .map(|(l, n)| AbsentLearner { learner_id: l, absences: count(n) })
                .collect(),
        })
    }
}
