//! GraphQL types, queries and mutations of the roster. Every entry point needs `roster.read`
//! (writes `roster.write`); lists go through the principal-filtering store.

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject, Union, dataloader::Loader};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{OrgType, Role};
use entity::{STATUS_ACTIVE, academic_session, class, course, enrollment, org, user};
use sea_orm::Select;

use super::store::{self, Deletable, Key, Sync};
use crate::{
    audit,
    auth::Scope,
    error::{AppError, AppResult},
    graphql::{
        context::{db, gql, loaders, needs, principal, require},
        relay::{Conn, Kind, PageArgs, decode_id, decode_kind, global_id, paginate},
        user_errors::{UserError, into_user_errors},
    },
    profiles::graphql::LearnerProfile,
};

/// Whether a record is live or was deleted at the source (kept so that sync sees deletions).
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum RecordStatus {
    Active,
    ToBeDeleted,
}

pub(crate) fn status(s: &str) -> RecordStatus {
    if s == STATUS_ACTIVE { RecordStatus::Active } else { RecordStatus::ToBeDeleted }
}

fn list(csv: &Option<String>) -> Vec<String> {
    csv.as_deref().map(|s| s.split(',').map(str::to_owned).collect()).unwrap_or_default()
}

/// Filters every roster list accepts.
#[derive(InputObject, Default, Clone)]
pub struct SyncFilter {
    /// Only records modified at or after this time, deletions included: what a syncing tool
    /// asks for with the time of its last sync.
    pub updated_since: Option<DateTime<Utc>>,
    /// Also list records whose status is `TO_BE_DELETED` (implied by `updatedSince`).
    #[graphql(default)]
    pub include_deleted: bool,
}

impl From<Option<SyncFilter>> for Sync {
    fn from(f: Option<SyncFilter>) -> Self {
        let f = f.unwrap_or_default();
        Sync { updated_since: f.updated_since, include_deleted: f.include_deleted }
    }
}

/// Filters for learner lists.
#[derive(InputObject, Default, Clone)]
pub struct LearnerFilter {
    pub updated_since: Option<DateTime<Utc>>,
    #[graphql(default)]
    pub include_deleted: bool,
    /// Only learners of this school.
    pub school_id: Option<ID>,
    /// Only learners enrolled in this class.
    pub class_id: Option<ID>,
    /// Only learners in this grade (a grade code such as `06`).
    pub grade: Option<String>,
}

/// Filters for class lists.
#[derive(InputObject, Default, Clone)]
pub struct ClassFilter {
    pub updated_since: Option<DateTime<Utc>>,
    #[graphql(default)]
    pub include_deleted: bool,
    pub school_id: Option<ID>,
    pub course_id: Option<ID>,
    pub term_id: Option<ID>,
}

/// Filters for enrollment lists.
#[derive(InputObject, Default, Clone)]
pub struct EnrollmentFilter {
    pub updated_since: Option<DateTime<Utc>>,
    #[graphql(default)]
    pub include_deleted: bool,
    pub class_id: Option<ID>,
    /// A `Learner` or `Educator` ID.
    pub user_id: Option<ID>,
}

fn sync(updated_since: Option<DateTime<Utc>>, include_deleted: bool) -> Sync {
    Sync { updated_since, include_deleted }
}

fn opt_id(id: &Option<ID>, kind: Kind, field: &str) -> AppResult<Option<i64>> {
    id.as_deref().map(|id| decode_kind(id, kind, field)).transpose()
}

fn user_ref(id: &Option<ID>, field: &str) -> AppResult<Option<i64>> {
    match id.as_deref().map(|id| decode_id(id, field)).transpose()? {
        None => Ok(None),
        Some((Kind::Learner | Kind::Educator, n)) => Ok(Some(n)),
        Some(_) => Err(AppError::validation(field, "expected the ID of a Learner or Educator")),
    }
}

/// A page of learners, noted in the audit trail. The children the document asks for
/// (profiles, schools, playlists and their items, mastery) are loaded for the whole page with one query each and fed to the
/// request's loader cache, so what a page costs depends neither on its size nor on DataLoader
/// batch timing.
async fn learner_page(
    ctx: &Context<'_>,
    q: Select<user::Entity>,
    args: PageArgs,
) -> async_graphql::Result<Conn<Learner>> {
    let conn = gql(paginate(ctx, db(ctx)?, q, user::Column::Id, args, |m| m.id, Learner).await)?;
    let ids: Vec<i64> = conn.edges.iter().map(|e| e.node.0.id).collect();
    audit::note(ctx, ids.iter().copied());
    let node = ctx.look_ahead().field("edges").field("node");
    let loaders = loaders(ctx)?;
    if !ids.is_empty() && node.field("profile").exists() && principal(ctx)?.has(Scope::ProfilesRead) {
        let found = loaders.profiles.loader().load(&ids).await?;
        loaders.profiles.feed_many(found).await;
    }
    if !ids.is_empty() && node.field("schools").exists() {
        let mut found = loaders.user_orgs.loader().load(&ids).await?;
        // Users without orgs are cached too, as having none.
        let all: Vec<_> = ids.iter().map(|id| (*id, found.remove(id).unwrap_or_default())).collect();
        loaders.user_orgs.feed_many(all).await;
    }
    crate::playlists::graphql::prime_for_learners(ctx, &node, &ids).await?;
    crate::progress::graphql::prime_for_learners(ctx, &node, &ids).await?;
    Ok(conn)
}

/// A page of enrollments; those of students are noted in the audit trail.
async fn enrollment_page(
    ctx: &Context<'_>,
    q: Select<enrollment::Entity>,
    args: PageArgs,
) -> async_graphql::Result<Conn<Enrollment>> {
    let conn = gql(paginate(ctx, db(ctx)?, q, enrollment::Column::Id, args, |m| m.id, Enrollment).await)?;
    audit::note(ctx, conn.edges.iter().filter(|e| e.node.0.role == Role::Student).map(|e| e.node.0.user_id));
    Ok(conn)
}

async fn load_org(ctx: &Context<'_>, id: i64) -> async_graphql::Result<Option<org::Model>> {
    loaders(ctx)?.orgs.load_one(id).await
}

// ---------------------------------------------------------------------------------------------
// Orgs

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
        status(&self.0.status)
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
        status(&self.0.status)
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

fn org_of(m: org::Model) -> Org {
    if m.org_type == OrgType::District { Org::District(District(m)) } else { Org::School(School(m)) }
}

// ---------------------------------------------------------------------------------------------
// Academic sessions, courses, classes

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
        status(&self.0.status)
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
        status(&self.0.status)
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
        status(&self.0.status)
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

// ---------------------------------------------------------------------------------------------
// Users and enrollments

/// Role of a user in a class.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum EnrollmentRole {
    Student,
    Teacher,
    Administrator,
}

/// Role of a staff member.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum EducatorRole {
    Teacher,
    Administrator,
}

/// A user in a class with a role.
pub struct Enrollment(pub enrollment::Model);

/// The user of an enrollment.
#[derive(Union)]
pub enum RosterUser {
    Learner(Learner),
    Educator(Educator),
}

#[Object]
impl Enrollment {
    pub async fn id(&self) -> ID {
        global_id(Kind::Enrollment, self.0.id)
    }
    async fn sourced_id(&self) -> &str {
        &self.0.sourced_id
    }
    async fn status(&self) -> RecordStatus {
        status(&self.0.status)
    }
    async fn date_last_modified(&self) -> DateTime<Utc> {
        self.0.date_last_modified
    }
    async fn role(&self) -> EnrollmentRole {
        match self.0.role {
            Role::Student => EnrollmentRole::Student,
            Role::Teacher => EnrollmentRole::Teacher,
            _ => EnrollmentRole::Administrator,
        }
    }
    /// Whether this is the user's primary enrollment of its kind (the lead teacher).
    async fn primary(&self) -> bool {
        self.0.is_primary
    }
    async fn begin_date(&self) -> Option<NaiveDate> {
        self.0.begin_date
    }
    async fn end_date(&self) -> Option<NaiveDate> {
        self.0.end_date
    }
    async fn class(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Class>> {
        Ok(loaders(ctx)?.classes.load_one(self.0.class_id).await?.map(Class))
    }
    async fn user(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<RosterUser>> {
        let user = loaders(ctx)?.users.load_one(self.0.user_id).await?;
        if let Some(u) = user.as_ref().filter(|u| u.role == Role::Student) {
            audit::note(ctx, [u.id]);
        }
        Ok(user.map(roster_user))
    }
}

fn roster_user(m: user::Model) -> RosterUser {
    if m.role == Role::Student { RosterUser::Learner(Learner(m)) } else { RosterUser::Educator(Educator(m)) }
}

/// The schools a user belongs to that the caller may see: a learner shared by two schools
/// shows a caller limited to one only that one.
async fn schools_of(ctx: &Context<'_>, user_id: i64) -> async_graphql::Result<Vec<School>> {
    let orgs = loaders(ctx)?.user_orgs.load_one(user_id).await?.unwrap_or_default();
    let p = principal(ctx)?;
    Ok(orgs.into_iter().filter(|o| o.org_type == OrgType::School && p.may_see_org(o.id)).map(School).collect())
}

/// A student.
pub struct Learner(pub user::Model);

#[Object]
impl Learner {
    pub async fn id(&self) -> ID {
        global_id(Kind::Learner, self.0.id)
    }
    /// The identifier the district and its vendors exchange.
    async fn sourced_id(&self) -> &str {
        &self.0.sourced_id
    }
    async fn status(&self) -> RecordStatus {
        status(&self.0.status)
    }
    async fn date_last_modified(&self) -> DateTime<Utc> {
        self.0.date_last_modified
    }
    async fn given_name(&self) -> &str {
        &self.0.given_name
    }
    async fn family_name(&self) -> &str {
        &self.0.family_name
    }
    /// The name the student goes by, when it differs from the given name.
    async fn preferred_name(&self) -> Option<&str> {
        self.0.preferred_name.as_deref()
    }
    async fn username(&self) -> Option<&str> {
        self.0.username.as_deref()
    }
    async fn email(&self) -> Option<&str> {
        self.0.email.as_deref()
    }
    /// The district's student number.
    async fn identifier(&self) -> Option<&str> {
        self.0.identifier.as_deref()
    }
    /// Grade codes (`06`).
    async fn grades(&self) -> Vec<String> {
        list(&self.0.grades)
    }
    /// Schools the student belongs to.
    async fn schools(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<School>> {
        schools_of(ctx, self.0.id).await
    }
    /// The student's enrollments in classes.
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
        let q = store::enrollments(principal(ctx)?, None, Some(self.0.id), filter.into());
        enrollment_page(ctx, q, PageArgs::new(first, after, last, before)).await
    }
    /// The learner profile the student and their teachers build together; null until created.
    /// Needs `profiles.read`.
    #[graphql(guard = "needs(Scope::ProfilesRead)")]
    async fn profile(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<LearnerProfile>> {
        Ok(loaders(ctx)?.profiles.load_one(self.0.id).await?.map(LearnerProfile))
    }
    /// The learner's playlists (optionally of one subject). Needs `playlists.read`.
    #[graphql(guard = "needs(Scope::PlaylistsRead)")]
    async fn playlists(
        &self,
        ctx: &Context<'_>,
        subject: Option<String>,
    ) -> async_graphql::Result<Vec<crate::playlists::graphql::Playlist>> {
        crate::playlists::graphql::of_learner(ctx, self.0.id, subject.as_deref()).await
    }
    /// The learner's mastery of each competency they have evidence on, with that evidence.
    /// Needs `progress.read`.
    #[graphql(guard = "needs(Scope::ProgressRead)")]
    async fn mastery(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<crate::progress::graphql::Mastery>> {
        crate::progress::graphql::of_learner(ctx, self.0.id).await
    }
    /// The learner's WIN placements in the caller's schools, newest first, with attendance and
    /// notes. Needs `win.read`.
    #[graphql(guard = "needs(Scope::WinRead)")]
    async fn win_history(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<crate::win::graphql::WinAssignment>> {
        crate::win::graphql::history_of(ctx, self.0.id).await
    }
}

/// A teacher or administrator.
pub struct Educator(pub user::Model);

#[Object]
impl Educator {
    pub async fn id(&self) -> ID {
        global_id(Kind::Educator, self.0.id)
    }
    async fn sourced_id(&self) -> &str {
        &self.0.sourced_id
    }
    async fn status(&self) -> RecordStatus {
        status(&self.0.status)
    }
    async fn date_last_modified(&self) -> DateTime<Utc> {
        self.0.date_last_modified
    }
    async fn role(&self) -> EducatorRole {
        if self.0.role == Role::Administrator { EducatorRole::Administrator } else { EducatorRole::Teacher }
    }
    async fn given_name(&self) -> &str {
        &self.0.given_name
    }
    async fn family_name(&self) -> &str {
        &self.0.family_name
    }
    async fn email(&self) -> Option<&str> {
        self.0.email.as_deref()
    }
    async fn username(&self) -> Option<&str> {
        self.0.username.as_deref()
    }
    async fn identifier(&self) -> Option<&str> {
        self.0.identifier.as_deref()
    }
    /// Schools the educator works at.
    async fn schools(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<School>> {
        schools_of(ctx, self.0.id).await
    }
    /// The educator's class enrollments (the classes they teach).
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
        let q = store::enrollments(principal(ctx)?, None, Some(self.0.id), filter.into());
        enrollment_page(ctx, q, PageArgs::new(first, after, last, before)).await
    }
}

// ---------------------------------------------------------------------------------------------
// Queries

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
        let org = gql(store::find_org(db(ctx)?, principal(ctx)?, Key::Sourced(&sourced_id)).await)?;
        Ok(org.filter(|o| o.org_type == OrgType::School).map(School))
    }

    /// A district by its sourcedId.
    #[graphql(guard = "needs(Scope::RosterRead)")]
    async fn district(&self, ctx: &Context<'_>, sourced_id: String) -> async_graphql::Result<Option<District>> {
        let org = gql(store::find_org(db(ctx)?, principal(ctx)?, Key::Sourced(&sourced_id)).await)?;
        Ok(org.filter(|o| o.org_type == OrgType::District).map(District))
    }

    /// A student by sourcedId.
    #[graphql(guard = "needs(Scope::RosterRead)")]
    async fn learner(&self, ctx: &Context<'_>, sourced_id: String) -> async_graphql::Result<Option<Learner>> {
        let u = gql(store::find_user(db(ctx)?, principal(ctx)?, Key::Sourced(&sourced_id)).await)?;
        let learner = u.filter(|u| u.role == Role::Student);
        audit::note(ctx, learner.iter().map(|u| u.id));
        Ok(learner.map(Learner))
    }

    /// A teacher or administrator by sourcedId.
    #[graphql(guard = "needs(Scope::RosterRead)")]
    async fn educator(&self, ctx: &Context<'_>, sourced_id: String) -> async_graphql::Result<Option<Educator>> {
        let u = gql(store::find_user(db(ctx)?, principal(ctx)?, Key::Sourced(&sourced_id)).await)?;
        Ok(u.filter(|u| u.role != Role::Student).map(Educator))
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

// ---------------------------------------------------------------------------------------------
// Mutations

/// A learner as the district's student information system knows them.
#[derive(InputObject)]
pub struct UpsertLearnerInput {
    /// Identifies the learner: an existing one is updated, otherwise one is created.
    pub sourced_id: String,
    pub given_name: String,
    pub family_name: String,
    pub preferred_name: Option<String>,
    pub username: Option<String>,
    pub email: Option<String>,
    /// The district's student number.
    pub identifier: Option<String>,
    #[graphql(default)]
    pub grades: Vec<String>,
    /// The learner's schools. Memberships at schools outside the caller's orgs are kept.
    pub school_sourced_ids: Vec<String>,
}

#[derive(SimpleObject)]
pub struct UpsertLearnerPayload {
    pub learner: Option<Learner>,
    pub user_errors: Vec<UserError>,
}

#[derive(SimpleObject)]
pub struct DeleteRosterRecordPayload {
    /// The ID of the record now marked `TO_BE_DELETED`.
    pub deleted_id: Option<ID>,
    pub user_errors: Vec<UserError>,
}

#[derive(Default)]
pub struct RosterMutation;

#[Object]
impl RosterMutation {
    /// Creates or updates a learner by sourcedId (rostering from a student information
    /// system). Needs `roster.write`; schools must be in the caller's orgs.
    async fn upsert_learner(
        &self,
        ctx: &Context<'_>,
        input: UpsertLearnerInput,
    ) -> async_graphql::Result<UpsertLearnerPayload> {
        let p = require(ctx, Scope::RosterWrite)?;
        let fields = store::LearnerFields {
            sourced_id: input.sourced_id,
            given_name: input.given_name,
            family_name: input.family_name,
            preferred_name: input.preferred_name,
            username: input.username,
            email: input.email,
            identifier: input.identifier,
            grades: input.grades,
            schools: input.school_sourced_ids,
        };
        Ok(match into_user_errors(store::upsert_learner(db(ctx)?, p, fields).await)? {
            Ok(u) => {
                audit::note(ctx, [u.id]);
                UpsertLearnerPayload { learner: Some(Learner(u)), user_errors: vec![] }
            }
            Err(user_errors) => UpsertLearnerPayload { learner: None, user_errors },
        })
    }

    /// Marks a learner, educator, class or enrollment as deleted (`TO_BE_DELETED`), with the
    /// enrollments that hang off it. The record stays visible to `updatedSince` sync so that
    /// tools learn of the deletion. Needs `roster.write`.
    async fn delete_roster_record(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<DeleteRosterRecordPayload> {
        let p = require(ctx, Scope::RosterWrite)?;
        let result = async {
            let (kind, n) = decode_id(&id, "id")?;
            let what = match kind {
                Kind::Learner => Deletable::User { student: true },
                Kind::Educator => Deletable::User { student: false },
                Kind::Class => Deletable::Class,
                Kind::Enrollment => Deletable::Enrollment,
                _ => {
                    return Err(AppError::validation(
                        "id",
                        "only learners, educators, classes and enrollments can be deleted",
                    ));
                }
            };
            store::mark_deleted(db(ctx).map_err(|e| AppError::Server(anyhow::anyhow!("{}", e.message)))?, p, what, n)
                .await?;
            if let Deletable::User { student: true } = what {
                audit::note(ctx, [n]);
            }
            Ok(())
        }
        .await;
        Ok(match into_user_errors(result)? {
            Ok(()) => DeleteRosterRecordPayload { deleted_id: Some(id), user_errors: vec![] },
            Err(user_errors) => DeleteRosterRecordPayload { deleted_id: None, user_errors },
        })
    }
}
