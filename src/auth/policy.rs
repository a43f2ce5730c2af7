//! The tenant rules in one place: turning a verified token into a [`Principal`], and the SQL
//! conditions that limit every store query to what that principal may see. Deny is the
//! default: a principal limited to no org sees nothing.

use std::collections::{BTreeSet, HashMap};

use entity::{org, user, user_org};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect,
    sea_query::{Expr, ExprTrait, IntoColumnRef, Query},
};

use super::{Actor, OrgAccess, Principal, principal::parse_scopes, tokens::AccessClaims};
use crate::error::AppResult;

/// The principal a verified token stands for. Org sourcedIds in the token are resolved to the
/// orgs, every org below them, and (as names only) the orgs above them.
pub async fn principal_from_claims(
    db: &impl ConnectionTrait,
    claims: &AccessClaims,
) -> AppResult<Principal> {
    // Unknown scopes in a token we signed can only come from an older version: drop them.
    let scopes = claims
        .scope
        .split_whitespace()
        .filter_map(|s| parse_scopes(s).ok())
        .flatten()
        .collect();
    let orgs = match &claims.orgs {
        None => OrgAccess::All,
        Some(sourced_ids) => resolve_orgs(db, sourced_ids).await?,
    };
    Ok(Principal {
        actor: Actor::Client {
            client_id: claims.client_id.clone(),
        },
        scopes,
        orgs,
    })
}

async fn resolve_orgs(db: &impl ConnectionTrait, sourced_ids: &[String]) -> AppResult<OrgAccess> {
    // A district has tens of orgs: one small read beats a recursive query per request.
    let all: Vec<(i64, Option<i64>, String)> = org::Entity::find()
        .select_only()
        .columns([
            org::Column::Id,
            org::Column::ParentId,
            org::Column::SourcedId,
        ])
        .into_tuple()
        .all(db)
        .await?;
    let parent: HashMap<i64, Option<i64>> = all.iter().map(|(id, p, _)| (*id, *p)).collect();
    let mut granted: BTreeSet<i64> = all
        .iter()
        .filter(|(_, _, s)| sourced_ids.contains(s))
        .map(|(id, _, _)| *id)
        .collect();
    // Everything below a granted org is granted (a district grant covers its schools).
    loop {
        let below: Vec<i64> = all
            .iter()
            .filter(|(id, p, _)| !granted.contains(id) && p.is_some_and(|p| granted.contains(&p)))
            .map(|(id, _, _)| *id)
            .collect();
        if below.is_empty() {
            break;
        }
        granted.extend(below);
    }
    let mut ancestors = BTreeSet::new();
    for id in &granted {
        let mut cur = parent.get(id).copied().flatten();
        while let Some(p) = cur {
            if granted.contains(&p) || !ancestors.insert(p) {
                break;
            }
            cur = parent.get(&p).copied().flatten();
        }
    }
    Ok(OrgAccess::Only {
        orgs: granted.into_iter().collect(),
        ancestors: ancestors.into_iter().collect(),
    })
}

/// Orgs the principal may read: its own and their ancestors.
pub fn orgs_visible(p: &Principal) -> Condition {
    match &p.orgs {
        OrgAccess::All => Condition::all(),
        OrgAccess::Only { orgs, ancestors } => {
            Condition::all().add(org::Column::Id.is_in(orgs.iter().chain(ancestors).copied()))
        }
    }
}

/// Records owned by a school (classes, enrollments through their class): only granted orgs.
pub fn owned_by_granted_org(p: &Principal, col: impl IntoColumnRef) -> Condition {
    match &p.orgs {
        OrgAccess::All => Condition::all(),
        OrgAccess::Only { orgs, .. } => {
            Condition::all().add(Expr::col(col).is_in(orgs.iter().copied()))
        }
    }
}

/// Records a school shares with the district above it (courses, academic sessions): granted
/// orgs and their ancestors.
pub fn owned_by_visible_org(p: &Principal, col: impl IntoColumnRef) -> Condition {
    match &p.orgs {
        OrgAccess::All => Condition::all(),
        OrgAccess::Only { orgs, ancestors } => {
            Condition::all().add(Expr::col(col).is_in(orgs.iter().chain(ancestors).copied()))
        }
    }
}

/// Users (students and staff) the principal may read: members of a granted org.
pub fn users_visible(p: &Principal) -> Condition {
    user_id_visible(p, (user::Entity, user::Column::Id))
}

/// The same rule applied to any column holding a user id.
pub fn user_id_visible(p: &Principal, col: impl IntoColumnRef) -> Condition {
    match &p.orgs {
        OrgAccess::All => Condition::all(),
        OrgAccess::Only { orgs, .. } => Condition::all().add(
            Expr::col(col).in_subquery(
                Query::select()
                    .column(user_org::Column::UserId)
                    .from(user_org::Entity)
                    .and_where(user_org::Column::OrgId.is_in(orgs.iter().copied()))
                    .to_owned(),
            ),
        ),
    }
}

/// Apply a visibility condition to a query (a thin helper so call sites read as policy).
pub fn scoped<Q: QueryFilter>(query: Q, condition: Condition) -> Q {
    query.filter(condition)
}
