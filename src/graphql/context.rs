//! Context helpers every resolver uses to reach the principal, the database and the loaders,
//! the scope guard fields declare, and the `viewer` field.

use async_graphql::{Context, Guard, Object, SimpleObject};
use sea_orm::DatabaseConnection;

use crate::{
    auth::{Actor, OrgAccess, Principal, Scope},
    error::AppError,
    roster::loaders::Loaders,
};

/// The principal of this request. Absent only in a schema executed without the HTTP layer,
/// which then sees nothing.
pub fn principal<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a Principal> {
    ctx.data::<Principal>()
}

pub fn db<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a DatabaseConnection> {
    ctx.data::<DatabaseConnection>()
}

pub fn loaders<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a Loaders> {
    ctx.data::<Loaders>()
}

/// `#[graphql(guard = "needs(Scope::X)")]`: the field resolves only for principals holding X.
pub struct ScopeGuard(Scope);

pub fn needs(scope: Scope) -> ScopeGuard {
    ScopeGuard(scope)
}

impl Guard for ScopeGuard {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        principal(ctx)?.require(self.0).map_err(Into::into)
    }
}

/// Fails with the caller-facing error when the principal lacks `scope`.
pub fn require<'a>(ctx: &Context<'a>, scope: Scope) -> async_graphql::Result<&'a Principal> {
    let p = principal(ctx)?;
    p.require(scope).map_err(async_graphql::Error::from)?;
    Ok(p)
}

/// Converts any store error into a GraphQL error with its code.
pub fn gql<T>(r: Result<T, AppError>) -> async_graphql::Result<T> {
    r.map_err(Into::into)
}

/// Who is calling, as the server sees it.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Viewer {
    /// The scopes the caller's access token grants.
    scopes: Vec<String>,
    /// `anonymous`, `client` (a tool acting for itself) or `user` (a signed-in person).
    kind: String,
    /// For a signed-in person: their sourcedId.
    user_sourced_id: Option<String>,
    /// For a signed-in person: `student`, `teacher` or `administrator`.
    role: Option<String>,
    /// The OAuth client the token was issued to.
    client_id: Option<String>,
    /// Whether the caller's access covers a whole district: a district administrator, or a
    /// tool granted the district (or every org). Otherwise it is limited to some schools.
    district_wide: bool,
    #[graphql(skip)]
    user_id: Option<i64>,
}

#[async_graphql::ComplexObject]
impl Viewer {
    /// The data-sharing agreement the caller is served under: which student data elements it
    /// may see, for which purpose and until when. Null for the district's own clients and
    /// people, and for a vendor's client bound to no agreement (which sees no student data).
    async fn data_agreement(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<crate::privacy::graphql::DataAgreement>> {
        crate::privacy::graphql::own_agreement(ctx).await
    }
    /// Whether the caller is a vendor's client, seeing only what a data-sharing agreement
    /// covers (`dataAgreement`), rather than the district's own.
    async fn vendor(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        Ok(principal(ctx)?.sharing.is_vendor())
    }
    /// A signed-in student's own Learner record. Needs `roster.read`.
    #[graphql(guard = "needs(Scope::RosterRead)")]
    async fn learner(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<crate::roster::graphql::Learner>> {
        let Some(id) = self.user_id.filter(|_| self.role.as_deref() == Some("student")) else { return Ok(None) };
        let me = loaders(ctx)?.users.load_one(id).await?;
        principal(ctx)?.reveal(me.iter().map(|u| u.id));
        Ok(me.map(crate::roster::graphql::Learner))
    }
    /// A signed-in teacher's or administrator's own Educator record. Needs `roster.read`.
    #[graphql(guard = "needs(Scope::RosterRead)")]
    async fn educator(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<crate::roster::graphql::Educator>> {
        let Some(id) = self.user_id.filter(|_| self.role.as_deref().is_some_and(|r| r != "student")) else {
            return Ok(None);
        };
        Ok(loaders(ctx)?.users.load_one(id).await?.map(crate::roster::graphql::Educator))
    }
    /// For a signed-in student: the WIN blocks of their schools whose choices are open, by
    /// date (at most 50). Empty for anyone else. Needs `win.read`.
    #[graphql(guard = "needs(Scope::WinRead)")]
    async fn win_blocks(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<crate::win::graphql::WinBlock>> {
        let rows = gql(crate::win::store::blocks::open_for_student(db(ctx)?, principal(ctx)?).await)?;
        Ok(rows.into_iter().map(crate::win::graphql::WinBlock).collect())
    }
}

#[derive(Default)]
pub struct ViewerQuery;

#[Object]
impl ViewerQuery {
    /// The caller: which scopes it holds and which orgs it is limited to. Needs no scope.
    async fn viewer(&self, ctx: &Context<'_>) -> async_graphql::Result<Viewer> {
        let p = principal(ctx)?;
        let (kind, client_id) = match &p.actor {
            Actor::Anonymous => ("anonymous", None),
            Actor::Client { client_id } => ("client", Some(client_id.clone())),
            Actor::User { client_id, .. } => ("user", Some(client_id.clone())),
            Actor::System => ("system", None),
        };
        let (user_sourced_id, role, user_id) = match &p.actor {
            Actor::User { sourced_id, role, user_id, .. } => {
                (Some(sourced_id.clone()), Some(role.to_string()), Some(*user_id))
            }
            _ => (None, None, None),
        };
        let district_wide = match &p.orgs {
            OrgAccess::All => true,
            OrgAccess::Only { orgs, .. } => gql(crate::roster::store::any_district(db(ctx)?, orgs).await)?,
        };
        Ok(Viewer {
            user_sourced_id,
            role,
            scopes: p.scopes.iter().map(|s| s.as_str().to_owned()).collect(),
            kind: kind.to_owned(),
            client_id,
            district_wide,
            user_id,
        })
    }
}

/// `#[graphql(guard = "needs_any(&[Scope::X, Scope::Y])")]`: any one of the scopes will do
/// (for reference data several kinds of tool read, such as competencies).
pub struct AnyScopeGuard(&'static [Scope]);

pub fn needs_any(scopes: &'static [Scope]) -> AnyScopeGuard {
    AnyScopeGuard(scopes)
}

impl Guard for AnyScopeGuard {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        let p = principal(ctx)?;
        if self.0.iter().any(|s| p.has(*s)) {
            return Ok(());
        }
        let first = self.0.first().copied().unwrap_or(Scope::Admin);
        p.require(first).map_err(Into::into)
    }
}
