//! The roster's query root.

use async_graphql::{Context, Object};
use entity::{OrgType, Role, academic_session, class, course, org, user};

use super::{
    AcademicSession, Class, ClassFilter, Course, District, Educator, Enrollment, EnrollmentFilter, Learner,
    LearnerFilter, School, SyncFilter, enrollments::enrollment_page, opt_id, people::learner_page, sync, user_ref,
};
use crate::{
    auth::{Scope, policy},
    graphql::{
        context::{db, gql, loaders, needs, principal},
        relay::{Conn, Kind, PageArgs, paginate},
    },
    roster::store::{self, Key},
};

#[derive(Default)]
pub struct RosterQuery;

#[Object]
impl RosterQuery {
    /// Districts the caller may see (normally the one district that runs this service).
    #[graphql(
        guard = "needs(Scope::RosterRead)",
        complexity = "crate::graphql::relay::list_complexity(first, last, child_complexity)"
    )]
    async fn districts(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<SyncFilter>,
    ) -> async_graphql::Result<Conn<District>> {
        let q = store::orgs(principal(ctx)?, OrgType::District, None, filter.into());
        gql(paginate(ctx, db(ctx)?, q, org::Column::Id, PageArgs::new(first, after, last, before), |m| m.id, District)
            .await)
    }

    /// Schools the caller may see.
    #[graphql(
        guard = "needs(Scope::RosterRead)",
        complexity = "crate::graphql::relay::list_complexity(first, last, child_complexity)"
    )]
    async fn schools(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<SyncFilter>,
    ) -> async_graphql::Result<Conn<School>> {
        let q = store::orgs(principal(ctx)?, OrgType::School, None, filter.into());
        gql(paginate(ctx, db(ctx)?, q, org::Column::Id, PageArgs::new(first, after, last, before), |m| m.id, School)
            .await)
    }

    /// Students the caller may see, oldest record first.
    #[graphql(
        guard = "needs(Scope::RosterRead)",
        complexity = "crate::graphql::relay::list_complexity(first, last, child_complexity)"
    )]
    async fn learners(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<LearnerFilter>,
    ) -> async_graphql::Result<Conn<Learner>> {
        let f = filter.unwrap_or_default();
        let school = opt_id(&f.school_id, Kind::School, "filter.schoolId")?;
        let class = opt_id(&f.class_id, Kind::Class, "filter.classId")?;
        // Filtering by a field the caller's agreement withholds would reveal it.
        if f.grade.is_some() && !principal(ctx)?.sharing.shares_learner_field("grades") {
            return Err(crate::error::AppError::NotShared(
                "`grades` is not covered by the client's data-sharing agreement: it cannot filter by it".into(),
            )
            .into());
        }
        let q = store::users(
            principal(ctx)?,
            &[Role::Student],
            school,
            class,
            f.grade.as_deref(),
            sync(f.updated_since, f.include_deleted),
        );
        learner_page(ctx, q, PageArgs::new(first, after, last, before)).await
    }

    /// Teachers and administrators the caller may see.
    #[graphql(
        guard = "needs(Scope::RosterRead)",
        complexity = "crate::graphql::relay::list_complexity(first, last, child_complexity)"
    )]
    async fn educators(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<SyncFilter>,
    ) -> async_graphql::Result<Conn<Educator>> {
        let q = store::users(principal(ctx)?, &[Role::Teacher, Role::Administrator], None, None, None, filter.into());
        gql(paginate(ctx, db(ctx)?, q, user::Column::Id, PageArgs::new(first, after, last, before), |m| m.id, Educator)
            .await)
    }

    /// Classes the caller may see.
    #[graphql(
        guard = "needs(Scope::RosterRead)",
        complexity = "crate::graphql::relay::list_complexity(first, last, child_complexity)"
    )]
    async fn classes(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<ClassFilter>,
    ) -> async_graphql::Result<Conn<Class>> {
        let f = filter.unwrap_or_default();
        let school = opt_id(&f.school_id, Kind::School, "filter.schoolId")?;
        let course = opt_id(&f.course_id, Kind::Course, "filter.courseId")?;
        let term = opt_id(&f.term_id, Kind::AcademicSession, "filter.termId")?;
        let q = store::classes(principal(ctx)?, school, course, term, sync(f.updated_since, f.include_deleted));
        gql(paginate(ctx, db(ctx)?, q, class::Column::Id, PageArgs::new(first, after, last, before), |m| m.id, Class)
            .await)
    }

    /// Courses the caller may see.
    #[graphql(
        guard = "needs(Scope::RosterRead)",
        complexity = "crate::graphql::relay::list_complexity(first, last, child_complexity)"
    )]
    async fn courses(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<SyncFilter>,
    ) -> async_graphql::Result<Conn<Course>> {
        let q = store::courses(principal(ctx)?, None, filter.into());
        gql(paginate(ctx, db(ctx)?, q, course::Column::Id, PageArgs::new(first, after, last, before), |m| m.id, Course)
            .await)
    }

    /// School years, terms and grading periods the caller may see.
    #[graphql(
        guard = "needs(Scope::RosterRead)",
        complexity = "crate::graphql::relay::list_complexity(first, last, child_complexity)"
    )]
    async fn academic_sessions(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<SyncFilter>,
    ) -> async_graphql::Result<Conn<AcademicSession>> {
        let q = store::academic_sessions(principal(ctx)?, None, filter.into());
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

    /// Enrollments the caller may see: the feed a tool syncs class membership from.
    #[graphql(
        guard = "needs(Scope::RosterRead)",
        complexity = "crate::graphql::relay::list_complexity(first, last, child_complexity)"
    )]
    async fn enrollments(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<EnrollmentFilter>,
    ) -> async_graphql::Result<Conn<Enrollment>> {
        let f = filter.unwrap_or_default();
        let class = opt_id(&f.class_id, Kind::Class, "filter.classId")?;
        let user = user_ref(&f.user_id, "filter.userId")?;
        let q = store::enrollments(principal(ctx)?, class, user, sync(f.updated_since, f.include_deleted));
        enrollment_page(ctx, q, PageArgs::new(first, after, last, before)).await
    }

    /// A school by its sourcedId.
    #[graphql(guard = "needs(Scope::RosterRead)")]
    async fn school(&self, ctx: &Context<'_>, sourced_id: String) -> async_graphql::Result<Option<School>> {
        let org = store::find_org_of_type(db(ctx)?, principal(ctx)?, OrgType::School, Key::Sourced(&sourced_id));
        Ok(gql(org.await)?.map(School))
    }

    /// A district by its sourcedId.
    #[graphql(guard = "needs(Scope::RosterRead)")]
    async fn district(&self, ctx: &Context<'_>, sourced_id: String) -> async_graphql::Result<Option<District>> {
        let org = store::find_org_of_type(db(ctx)?, principal(ctx)?, OrgType::District, Key::Sourced(&sourced_id));
        Ok(gql(org.await)?.map(District))
    }

    /// A student by sourcedId.
    #[graphql(guard = "needs(Scope::RosterRead)")]
    async fn learner(&self, ctx: &Context<'_>, sourced_id: String) -> async_graphql::Result<Option<Learner>> {
        let (db, p, key) = (db(ctx)?, principal(ctx)?, Key::Sourced(&sourced_id));
        if !(ctx.look_ahead().field("profile").exists() && policy::roster::may_read_profiles(p)) {
            return Ok(gql(store::find_learner(db, p, key).await)?.map(Learner));
        }
        // The profile the document asks for comes in the learner's statement, and is fed to the
        // loader its field reads (a learner without one as having none).
        let found = gql(store::find_learner_with_profile(db, p, key).await)?;
        let Some((learner, profile)) = found else { return Ok(None) };
        loaders(ctx)?.profiles.feed_one(learner.id, profile.into_iter().collect()).await;
        Ok(Some(Learner(learner)))
    }

    /// A teacher or administrator by sourcedId.
    #[graphql(guard = "needs(Scope::RosterRead)")]
    async fn educator(&self, ctx: &Context<'_>, sourced_id: String) -> async_graphql::Result<Option<Educator>> {
        Ok(gql(store::find_educator(db(ctx)?, principal(ctx)?, Key::Sourced(&sourced_id)).await)?.map(Educator))
    }

    /// A class by sourcedId.
    #[graphql(guard = "needs(Scope::RosterRead)")]
    async fn class(&self, ctx: &Context<'_>, sourced_id: String) -> async_graphql::Result<Option<Class>> {
        Ok(gql(store::find_class(db(ctx)?, principal(ctx)?, Key::Sourced(&sourced_id)).await)?.map(Class))
    }

    /// A course by sourcedId.
    #[graphql(guard = "needs(Scope::RosterRead)")]
    async fn course(&self, ctx: &Context<'_>, sourced_id: String) -> async_graphql::Result<Option<Course>> {
        Ok(gql(store::find_course(db(ctx)?, principal(ctx)?, Key::Sourced(&sourced_id)).await)?.map(Course))
    }

    /// An academic session by sourcedId.
    #[graphql(guard = "needs(Scope::RosterRead)")]
    async fn academic_session(
        &self,
        ctx: &Context<'_>,
        sourced_id: String,
    ) -> async_graphql::Result<Option<AcademicSession>> {
        Ok(gql(store::find_session(db(ctx)?, principal(ctx)?, Key::Sourced(&sourced_id)).await)?.map(AcademicSession))
    }

    /// An enrollment by sourcedId.
    #[graphql(guard = "needs(Scope::RosterRead)")]
    async fn enrollment(&self, ctx: &Context<'_>, sourced_id: String) -> async_graphql::Result<Option<Enrollment>> {
        Ok(gql(store::find_enrollment(db(ctx)?, principal(ctx)?, Key::Sourced(&sourced_id)).await)?.map(Enrollment))
    }
}
