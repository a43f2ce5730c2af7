//! People: learners (students) and educators (teachers and administrators).

use async_graphql::{Context, Enum, ID, Object, Union, dataloader::Loader};
use chrono::{DateTime, Utc};
use entity::{Role, user};
use sea_orm::Select;

use super::{Enrollment, RecordStatus, School, SyncFilter, enrollments::enrollment_page, list};

/// A student's demographics (OneRoster `demographics`).
pub struct Demographics(entity::demographic::Model);

#[Object]
impl Demographics {
    async fn birth_date(&self) -> Option<chrono::NaiveDate> {
        self.0.birth_date
    }
    /// `female`, `male`, `other` or `unspecified`.
    async fn sex(&self) -> Option<&str> {
        self.0.sex.as_deref()
    }
    async fn american_indian_or_alaska_native(&self) -> Option<bool> {
        self.0.american_indian_or_alaska_native
    }
    async fn asian(&self) -> Option<bool> {
        self.0.asian
    }
    async fn black_or_african_american(&self) -> Option<bool> {
        self.0.black_or_african_american
    }
    async fn native_hawaiian_or_other_pacific_islander(&self) -> Option<bool> {
        self.0.native_hawaiian_or_other_pacific_islander
    }
    async fn white(&self) -> Option<bool> {
        self.0.white
    }
    async fn demographic_race_two_or_more_races(&self) -> Option<bool> {
        self.0.demographic_race_two_or_more_races
    }
    async fn hispanic_or_latino_ethnicity(&self) -> Option<bool> {
        self.0.hispanic_or_latino_ethnicity
    }
    async fn country_of_birth_code(&self) -> Option<&str> {
        self.0.country_of_birth_code.as_deref()
    }
    async fn state_of_birth_abbreviation(&self) -> Option<&str> {
        self.0.state_of_birth_abbreviation.as_deref()
    }
    async fn city_of_birth(&self) -> Option<&str> {
        self.0.city_of_birth.as_deref()
    }
    async fn public_school_residence_status(&self) -> Option<&str> {
        self.0.public_school_residence_status.as_deref()
    }
}
use crate::{
    auth::{Scope, policy},
    graphql::{
        context::{db, gql, loaders, needs, principal},
        relay::{Conn, Kind, PageArgs, connection, global_id, page_request, wants_total},
    },
    profiles::graphql::LearnerProfile,
    roster::store,
};

/// A page of learners, revealed to the caller. The children the document asks for (profiles,
/// schools, playlists and their items, mastery) are loaded for the whole page with one query
/// each and fed to the request's loader cache, so what a page costs depends neither on its size
/// nor on DataLoader batch timing.
pub(super) async fn learner_page(
    ctx: &Context<'_>,
    q: Select<user::Entity>,
    args: PageArgs,
) -> async_graphql::Result<Conn<Learner>> {
    let p = principal(ctx)?;
    let page = gql(store::user_page(db(ctx)?, p, q, gql(page_request(&args))?, wants_total(ctx)).await)?;
    let conn = connection(page, |m| m.id, Learner);
    let ids: Vec<i64> = conn.edges.iter().map(|e| e.node.0.id).collect();
    let node = ctx.look_ahead().field("edges").field("node");
    let loaders = loaders(ctx)?;
    if !ids.is_empty() && node.field("profile").exists() && policy::roster::may_read_profiles(p) {
        // Learners without a profile are cached too, as having none.
        crate::roster::loaders::prime(&loaders.profiles, &ids).await?;
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

/// Role of a staff member.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum EducatorRole {
    Teacher,
    Administrator,
}

/// The user of an enrollment.
#[derive(Union)]
pub enum RosterUser {
    Learner(Learner),
    Educator(Educator),
}
pub(super) fn roster_user(m: user::Model) -> RosterUser {
    if m.role == Role::Student { RosterUser::Learner(Learner(m)) } else { RosterUser::Educator(Educator(m)) }
}

/// The schools a user belongs to that the caller may see.
async fn schools_of(ctx: &Context<'_>, user_id: i64) -> async_graphql::Result<Vec<School>> {
    Ok(gql(store::schools_of(loaders(ctx)?, principal(ctx)?, user_id).await)?.into_iter().map(School).collect())
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
        self.0.status.into()
    }
    async fn date_last_modified(&self) -> DateTime<Utc> {
        self.0.date_last_modified
    }
    /// Null, with the error code `NOT_SHARED`, for a vendor's client whose data-sharing agreement leaves it out.
    async fn given_name(&self) -> Option<&str> {
        Some(&self.0.given_name)
    }
    /// Null, with the error code `NOT_SHARED`, for a vendor's client whose data-sharing agreement leaves it out.
    async fn family_name(&self) -> Option<&str> {
        Some(&self.0.family_name)
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
    async fn middle_name(&self) -> Option<&str> {
        self.0.middle_name.as_deref()
    }
    async fn pronouns(&self) -> Option<&str> {
        self.0.pronouns.as_deref()
    }
    /// The student's demographics, as the SIS sent them (`learnergraph import oneroster
    /// --with-demographics`). Needs `roster.demographics.read`; never part of a default read.
    #[graphql(guard = "needs(Scope::DemographicsRead)")]
    async fn demographics(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Demographics>> {
        let rows = loaders(ctx)?.demographics.load_one(self.0.id).await?.unwrap_or_default();
        Ok(rows.into_iter().find(|d| d.status == entity::Status::Active).map(Demographics))
    }
    /// Grade codes (`06`).
    async fn grades(&self) -> Option<Vec<String>> {
        Some(list(&self.0.grades))
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
        Ok(loaders(ctx)?.profile_of(self.0.id).await?.map(LearnerProfile))
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
    /// The family's choices about this student's data (directory-information and vendor
    /// opt-outs), for the district's own staff and tools, the student and their guardians;
    /// null for a vendor's client.
    async fn data_use(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<crate::privacy::graphql::LearnerDataUse>> {
        crate::privacy::graphql::data_use_of(ctx, self.0.id).await
    }
    /// Who saw or changed this student's records, oldest first: which clients and people,
    /// when, through which operation, under which data-sharing agreement. For the student's
    /// guardians, the student themself, and district-wide administrators (who also have
    /// `auditEvents`). Null for anyone else.
    #[graphql(complexity = "crate::graphql::relay::list_complexity(first, last, child_complexity)")]
    async fn access_history(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Option<crate::graphql::relay::Conn<crate::audit::graphql::AuditEvent>>> {
        let p = crate::graphql::context::principal(ctx)?;
        if !crate::auth::policy::may_read_access_history(p, self.0.id) {
            return Ok(None);
        }
        let filter = crate::audit::store::Filter { learner: Some(self.0.id), ..Default::default() };
        let args = crate::graphql::relay::PageArgs::new(first, after, last, before);
        let mut conn = crate::audit::graphql::page(ctx, filter, args).await?;
        // An event names every student its request touched (a teacher's class list): a family
        // sees only their own child among them.
        if !crate::auth::policy::is_district_admin(p) {
            for edge in &mut conn.edges {
                edge.node.learner_sourced_ids.retain(|s| *s == self.0.sourced_id);
            }
        }
        Ok(Some(conn))
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
        self.0.status.into()
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
