//! The district and its schools.

use async_graphql::{Context, ID, Object, Union};
use chrono::{DateTime, Utc};
use entity::{OrgType, Role, academic_session, class, course, org, user};

use super::{AcademicSession, Class, Course, Educator, Learner, RecordStatus, SyncFilter, people::learner_page};
use crate::{
    graphql::{
        context::{db, gql, loaders, principal},
        relay::{Conn, Kind, PageArgs, global_id, paginate},
    },
    roster::store,
};

pub(super) async fn load_org(ctx: &Context<'_>, id: i64) -> async_graphql::Result<Option<org::Model>> {
    loaders(ctx)?.orgs.load_one(id).await
}

/// The zone the org with this id lives by (its own, else its district's, else UTC), through
/// the request's org loader: a page of records costs one batch per level.
pub async fn org_zone(ctx: &Context<'_>, id: i64) -> async_graphql::Result<store::Tz> {
    let Some(o) = load_org(ctx, id).await? else { return Ok(store::zone::FALLBACK_ZONE) };
    store::zone_with(&o, |id| load_org(ctx, id)).await
}

/// The school district: the top org.
pub struct District(pub org::Model);

#[Object]
impl District {
    pub async fn id(&self) -> ID {
        global_id(Kind::District, self.0.id)
    }
    /// The identifier the district and its vendors exchange.
    async fn sourced_id(&self) -> &str {
        &self.0.sourced_id
    }
    async fn status(&self) -> RecordStatus {
        self.0.status.into()
    }
    async fn date_last_modified(&self) -> DateTime<Utc> {
        self.0.date_last_modified
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// A human identifier such as a state district code.
    async fn identifier(&self) -> Option<&str> {
        self.0.identifier.as_deref()
    }
    /// The IANA time zone the district lives by (`America/Chicago`); "UTC" until one is set.
    /// Its schools use it unless they set their own.
    async fn time_zone(&self) -> &'static str {
        store::zone::zone_from(&self.0, None).name()
    }
    /// The district's schools the caller may see.
    #[graphql(complexity = "crate::graphql::relay::list_complexity(first, last, child_complexity)")]
    async fn schools(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<SyncFilter>,
    ) -> async_graphql::Result<Conn<School>> {
        let p = principal(ctx)?;
        let q = store::orgs(p, OrgType::School, Some(self.0.id), filter.into());
        gql(paginate(ctx, db(ctx)?, q, org::Column::Id, PageArgs::new(first, after, last, before), |m| m.id, School)
            .await)
    }
}

/// A school (OneRoster org of type school).
pub struct School(pub org::Model);

#[Object]
impl School {
    pub async fn id(&self) -> ID {
        global_id(Kind::School, self.0.id)
    }
    async fn sourced_id(&self) -> &str {
        &self.0.sourced_id
    }
    async fn status(&self) -> RecordStatus {
        self.0.status.into()
    }
    async fn date_last_modified(&self) -> DateTime<Utc> {
        self.0.date_last_modified
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// A human identifier such as a state school number.
    async fn identifier(&self) -> Option<&str> {
        self.0.identifier.as_deref()
    }
    /// The IANA time zone the school lives by: its own, else its district's, else "UTC". The
    /// school's dates (whether an item is overdue, a WIN block's day) are reckoned in it.
    async fn time_zone(&self, ctx: &Context<'_>) -> async_graphql::Result<&'static str> {
        Ok(store::zone_with(&self.0, |id| load_org(ctx, id)).await?.name())
    }
    /// The district the school belongs to.
    async fn district(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<District>> {
        let Some(parent) = self.0.parent_id else {
            return Ok(None);
        };
        Ok(load_org(ctx, parent).await?.map(District))
    }
    /// Students of the school.
    #[graphql(complexity = "crate::graphql::relay::list_complexity(first, last, child_complexity)")]
    async fn learners(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<SyncFilter>,
    ) -> async_graphql::Result<Conn<Learner>> {
        let q = store::users(principal(ctx)?, &[Role::Student], Some(self.0.id), None, None, filter.into());
        learner_page(ctx, q, PageArgs::new(first, after, last, before)).await
    }
    /// Teachers and administrators of the school.
    #[graphql(complexity = "crate::graphql::relay::list_complexity(first, last, child_complexity)")]
    async fn educators(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<SyncFilter>,
    ) -> async_graphql::Result<Conn<Educator>> {
        let q = store::users(
            principal(ctx)?,
            &[Role::Teacher, Role::Administrator],
            Some(self.0.id),
            None,
            None,
            filter.into(),
        );
        gql(paginate(ctx, db(ctx)?, q, user::Column::Id, PageArgs::new(first, after, last, before), |m| m.id, Educator)
            .await)
    }
    /// Classes (sections) taught at the school.
    #[graphql(complexity = "crate::graphql::relay::list_complexity(first, last, child_complexity)")]
    async fn classes(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<SyncFilter>,
    ) -> async_graphql::Result<Conn<Class>> {
        let q = store::classes(principal(ctx)?, Some(self.0.id), None, None, filter.into());
        gql(paginate(ctx, db(ctx)?, q, class::Column::Id, PageArgs::new(first, after, last, before), |m| m.id, Class)
            .await)
    }
    /// Courses the school offers.
    #[graphql(complexity = "crate::graphql::relay::list_complexity(first, last, child_complexity)")]
    async fn courses(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<SyncFilter>,
    ) -> async_graphql::Result<Conn<Course>> {
        let q = store::courses(principal(ctx)?, Some(self.0.id), filter.into());
        gql(paginate(ctx, db(ctx)?, q, course::Column::Id, PageArgs::new(first, after, last, before), |m| m.id, Course)
            .await)
    }
    /// School years and terms that apply to the school: its own and its district's.
    #[graphql(complexity = "crate::graphql::relay::list_complexity(first, last, child_complexity)")]
    async fn academic_sessions(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<SyncFilter>,
    ) -> async_graphql::Result<Conn<AcademicSession>> {
        let orgs = std::iter::once(self.0.id).chain(self.0.parent_id).collect();
        let q = store::academic_sessions(principal(ctx)?, Some(orgs), filter.into());
        gql(paginate(
            ctx,
            db(ctx)?,
            q,
            academic_session::Column::Id,
            PageArgs::new(first, after, last, before),
            |m| m.id,
            AcademicSession,
        )
        .await)
    }
}

/// Either kind of org, where a record may belong to the district or to a school.
#[derive(Union)]
pub enum Org {
    District(District),
    School(School),
}

pub(super) fn org_of(m: org::Model) -> Org {
    if m.org_type == OrgType::District { Org::District(District(m)) } else { Org::School(School(m)) }
}
