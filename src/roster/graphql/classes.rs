//! Academic sessions, courses and classes.

use async_graphql::{Context, Enum, ID, Object};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{Role, academic_session, class, course, user};

use super::{
    Educator, Enrollment, Learner, RecordStatus, School, SyncFilter,
    enrollments::enrollment_page,
    list,
    orgs::{Org, load_org, org_of},
    people::learner_page,
};
use crate::{
    graphql::{
        context::{db, gql, loaders, principal},
        relay::{Conn, Kind, PageArgs, global_id, paginate},
    },
    roster::store,
};

/// Kind of academic session.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum SessionType {
    SchoolYear,
    Semester,
    Term,
    GradingPeriod,
}

/// A school year, semester, term or grading period.
pub struct AcademicSession(pub academic_session::Model);

#[Object]
impl AcademicSession {
    pub async fn id(&self) -> ID {
        global_id(Kind::AcademicSession, self.0.id)
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
    async fn title(&self) -> &str {
        &self.0.title
    }
    #[graphql(name = "type")]
    async fn session_type(&self) -> SessionType {
        match self.0.session_type.as_str() {
            "schoolYear" => SessionType::SchoolYear,
            "semester" => SessionType::Semester,
            "gradingPeriod" => SessionType::GradingPeriod,
            _ => SessionType::Term,
        }
    }
    async fn start_date(&self) -> NaiveDate {
        self.0.start_date
    }
    async fn end_date(&self) -> NaiveDate {
        self.0.end_date
    }
    /// The school year the session belongs to, as the calendar year it ends in (2026 for 2025–26).
    async fn school_year(&self) -> i32 {
        self.0.school_year
    }
    /// The enclosing session (the school year of a term).
    async fn parent(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<AcademicSession>> {
        let Some(parent) = self.0.parent_id else {
            return Ok(None);
        };
        Ok(loaders(ctx)?.sessions.load_one(parent).await?.map(AcademicSession))
    }
}

/// A course, such as "Grade 6 Mathematics".
pub struct Course(pub course::Model);

#[Object]
impl Course {
    pub async fn id(&self) -> ID {
        global_id(Kind::Course, self.0.id)
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
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn course_code(&self) -> Option<&str> {
        self.0.course_code.as_deref()
    }
    async fn subject(&self) -> Option<&str> {
        self.0.subject.as_deref()
    }
    /// Grade codes the course is for.
    async fn grades(&self) -> Vec<String> {
        list(&self.0.grades)
    }
    /// The org that offers the course.
    async fn org(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Org>> {
        Ok(load_org(ctx, self.0.org_id).await?.map(org_of))
    }
}

/// Kind of class.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum ClassType {
    Scheduled,
    Homeroom,
}

/// A class (section): a course taught in a term at a school.
pub struct Class(pub class::Model);

#[Object]
impl Class {
    pub async fn id(&self) -> ID {
        global_id(Kind::Class, self.0.id)
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
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn class_code(&self) -> Option<&str> {
        self.0.class_code.as_deref()
    }
    async fn class_type(&self) -> ClassType {
        if self.0.class_type == "homeroom" { ClassType::Homeroom } else { ClassType::Scheduled }
    }
    async fn subject(&self) -> Option<&str> {
        self.0.subject.as_deref()
    }
    async fn location(&self) -> Option<&str> {
        self.0.location.as_deref()
    }
    async fn school(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<School>> {
        Ok(load_org(ctx, self.0.org_id).await?.map(School))
    }
    async fn course(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Course>> {
        Ok(loaders(ctx)?.courses.load_one(self.0.course_id).await?.map(Course))
    }
    /// The term the class runs in.
    async fn term(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<AcademicSession>> {
        Ok(loaders(ctx)?.sessions.load_one(self.0.term_id).await?.map(AcademicSession))
    }
    /// Students enrolled in the class.
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
        let q = store::users(principal(ctx)?, &[Role::Student], None, Some(self.0.id), None, filter.into());
        learner_page(ctx, q, PageArgs::new(first, after, last, before)).await
    }
    /// Teachers of the class.
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
            None,
            Some(self.0.id),
            None,
            filter.into(),
        );
        gql(paginate(ctx, db(ctx)?, q, user::Column::Id, PageArgs::new(first, after, last, before), |m| m.id, Educator)
            .await)
    }
    /// Enrollments in the class, for syncing membership changes.
    #[graphql(complexity = "crate::graphql::relay::list_complexity(first, last, child_complexity)")]
    async fn enrollments(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<SyncFilter>,
    ) -> async_graphql::Result<Conn<Enrollment>> {
        let q = store::enrollments(principal(ctx)?, Some(self.0.id), None, filter.into());
        enrollment_page(ctx, q, PageArgs::new(first, after, last, before)).await
    }
}
