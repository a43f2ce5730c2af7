//! GraphQL types, queries and mutations of playlists. Reading needs `playlists.read`; editing
//! needs `playlists.write` (teachers and tools); learners move their own items forward.

use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{playlist, playlist_item, playlist_item_transition};

use super::{
    loaders::PlaylistLoaders,
    store::{self, Evidence, ItemChanges, ItemInput, ItemState, PlaylistChanges, PlaylistFilter, PlaylistInput},
};
use crate::{
    auth::{Scope, policy::playlists as policy},
    competencies::graphql::Competency,
    graphql::{
        both_ways,
        context::{db, gql, loaders, needs, principal, require},
        relay::{
            Conn, Kind, PageArgs, connection, decode_kind, global_id, list_complexity, page_request, paginate,
            wants_total,
        },
        user_errors::{UserError, into_user_errors},
    },
    profiles::graphql::RevisionActor,
    progress::graphql::ResultNode,
    roster::{
        graphql::{AcademicSession, Class, Learner, RecordStatus, School},
        loaders::prime,
        store::Sync,
    },
    sync::Bus,
};

pub(crate) fn pl<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a PlaylistLoaders> {
    ctx.data::<PlaylistLoaders>()
}

mod mutation;
mod query;
mod types;

pub use self::{mutation::*, query::*, types::*};

/// The principal of a playlist write, after dropping what this request's loaders cached (a
/// document may run several writes; each payload shows the data as its write left it).
pub(super) fn writer<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a crate::auth::Principal> {
    let p = require(ctx, Scope::PlaylistsWrite)?;
    let l = pl(ctx)?;
    l.by_learner.clear();
    l.items.clear();
    l.competencies.clear();
    l.playlists.clear();
    l.item.clear();
    l.transitions.clear();
    Ok(p)
}

/// Primes the request's caches for a page of learners: their playlists and, as far as the
/// document asks, the playlists' items and the items' competencies, transitions and results,
/// one statement per level whatever the page's size.
pub async fn prime_for_learners(
    ctx: &Context<'_>,
    node: &async_graphql::Lookahead<'_>,
    learners: &[i64],
) -> async_graphql::Result<()> {
    let playlists = node.field("playlists");
    let p = principal(ctx)?;
    if learners.is_empty() || !playlists.exists() || !p.has(Scope::PlaylistsRead) {
        return Ok(());
    }
    let l = pl(ctx)?;
    let found = prime(&l.by_learner, learners).await?;
    let ids: Vec<i64> = found.values().flatten().map(|p| p.id).collect();
    let items = playlists.field("items");
    if ids.is_empty() || !items.exists() {
        return Ok(());
    }
    let found = prime(&l.items, &ids).await?;
    let ids: Vec<i64> = found.values().flatten().map(|i| i.id).collect();
    if ids.is_empty() {
        return Ok(());
    }
    if items.field("competencies").exists() {
        prime(&l.competencies, &ids).await?;
    }
    if items.field("transitions").exists() {
        prime(&l.transitions, &ids).await?;
    }
    if (items.field("latestResult").exists() || items.field("results").exists()) && p.has(Scope::ProgressRead) {
        prime(&crate::progress::graphql::prl(ctx)?.results_by_item, &ids).await?;
    }
    Ok(())
}

/// A learner's playlists, for `Learner.playlists`.
pub async fn of_learner(
    ctx: &Context<'_>,
    learner_id: i64,
    subject: Option<&str>,
) -> async_graphql::Result<Vec<Playlist>> {
    let rows = pl(ctx)?.by_learner.load_one(learner_id).await?.unwrap_or_default();
    let p = principal(ctx)?;
    Ok(rows
        .into_iter()
        .filter(|pl| policy::shows_playlist_of(p, pl.org_id) && subject.is_none_or(|s| pl.subject == s))
        .map(Playlist)
        .collect())
}
