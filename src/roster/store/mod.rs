//! Roster data access. Every function takes the principal and filters by its orgs; lookups of
//! records outside them answer "not found", never "forbidden", so ids can't be probed.
//! Every function that hands back students reveals them on the principal's audit trail.

mod write;
pub mod zone;

pub(crate) use write::check_len;
pub use write::{Deletable, LearnerFields, mark_deleted, upsert_learner};
pub use zone::{Tz, set_time_zone, today_in, zone_of, zone_with};

use chrono::{DateTime, Utc};
use entity::{Status, academic_session, class, course, demographic, enrollment, learner_profile, org, user, user_org};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, JoinType, QueryFilter, QuerySelect, Select, sea_query::Query,
};

use super::loaders::Loaders;
use crate::{
    auth::{
        OrgAccess, Principal,
        policy::{
            self, in_own_classes, orgs_visible, owned_by_granted_org, owned_by_visible_org, user_id_visible,
            users_visible,
        },
    },
    error::{AppError, AppResult},
    page::{Page, PageRequest, fetch_page},
};

pub use entity::{OrgType, Role};

/// What every roster list accepts to sync: records changed since a time, deletions included.
#[derive(Clone, Copy, Debug, Default)]
pub struct Sync {
    pub updated_since: Option<DateTime<Utc>>,
    pub include_deleted: bool,
}

impl Sync {
    /// `updatedSince` returns deletions too (a syncing tool must see them); otherwise only
    /// active records unless `includeDeleted`.
    fn condition(self, status: impl ColumnTrait, dlm: impl ColumnTrait) -> Condition {
        let mut c = Condition::all();
        if let Some(since) = self.updated_since {
            c = c.add(dlm.gte(since));
        } else if !self.include_deleted {
            c = c.add(status.eq(Status::Active));
        }
        c
    }
}

/// Whether any of these orgs is a district.
pub async fn any_district(db: &impl ConnectionTrait, ids: &[i64]) -> AppResult<bool> {
    use sea_orm::PaginatorTrait;
    Ok(org::Entity::find()
        .filter(org::Column::Id.is_in(ids.iter().copied()))
        .filter(org::Column::OrgType.eq(OrgType::District))
        .count(db)
        .await?
        > 0)
}

pub fn orgs(p: &Principal, org_type: OrgType, parent: Option<i64>, sync: Sync) -> Select<org::Entity> {
    let mut q = org::Entity::find()
        .filter(orgs_visible(p))
        .filter(org::Column::OrgType.eq(org_type))
        .filter(sync.condition(org::Column::Status, org::Column::DateLastModified));
    if let Some(parent) = parent {
        q = q.filter(org::Column::ParentId.eq(parent));
    }
    q
}

/// Users of `role` (student, or staff when `role` is None), optionally only those at a school
/// or in a class.
pub fn users(
    p: &Principal,
    roles: &[Role],
    school: Option<i64>,
    class: Option<i64>,
    grade: Option<&str>,
    sync: Sync,
) -> Select<user::Entity> {
    let mut q = user::Entity::find()
        .filter(users_visible(p))
        .filter(user::Column::Role.is_in(roles.iter().copied()))
        .filter(sync.condition(user::Column::Status, user::Column::DateLastModified));
    if let Some(school) = school {
        q = q.filter(crate::db::in_list_of(
            (user::Entity, user::Column::Id),
            Query::select()
                .column(user_org::Column::UserId)
                .from(user_org::Entity)
                .and_where(user_org::Column::OrgId.eq(school))
                .to_owned(),
        ));
    }
    if let Some(class) = class {
        q = q.filter(crate::db::in_list_of(
            (user::Entity, user::Column::Id),
            Query::select()
                .column(enrollment::Column::UserId)
                .from(enrollment::Entity)
                .and_where(enrollment::Column::ClassId.eq(class))
                .and_where(enrollment::Column::Status.eq(Status::Active))
                .to_owned(),
        ));
    }
    if let Some(grade) = grade {
        // `grades` is a comma-separated list; match a whole code.
        q = q.filter(
            Condition::any()
                .add(user::Column::Grades.eq(grade))
                .add(user::Column::Grades.like(format!("{grade},%")))
                .add(user::Column::Grades.like(format!("%,{grade}")))
                .add(user::Column::Grades.like(format!("%,{grade},%"))),
        );
    }
    q
}

pub fn classes(
    p: &Principal,
    school: Option<i64>,
    course: Option<i64>,
    term: Option<i64>,
    sync: Sync,
) -> Select<class::Entity> {
    let mut q = class::Entity::find()
        .filter(owned_by_granted_org(p, (class::Entity, class::Column::OrgId)))
        .filter(in_own_classes(p, (class::Entity, class::Column::Id)))
        .filter(sync.condition(class::Column::Status, class::Column::DateLastModified));
    if let Some(school) = school {
        q = q.filter(class::Column::OrgId.eq(school));
    }
    if let Some(course) = course {
        q = q.filter(class::Column::CourseId.eq(course));
    }
    if let Some(term) = term {
        q = q.filter(class::Column::TermId.eq(term));
    }
    q
}

pub fn courses(p: &Principal, org: Option<i64>, sync: Sync) -> Select<course::Entity> {
    let mut q = course::Entity::find()
        .filter(owned_by_visible_org(p, (course::Entity, course::Column::OrgId)))
        .filter(sync.condition(course::Column::Status, course::Column::DateLastModified));
    if let Some(org) = org {
        q = q.filter(course::Column::OrgId.eq(org));
    }
    q
}

pub fn academic_sessions(p: &Principal, orgs: Option<Vec<i64>>, sync: Sync) -> Select<academic_session::Entity> {
    let mut q = academic_session::Entity::find()
        .filter(owned_by_visible_org(p, (academic_session::Entity, academic_session::Column::OrgId)))
        .filter(sync.condition(academic_session::Column::Status, academic_session::Column::DateLastModified));
    if let Some(orgs) = orgs {
        q = q.filter(academic_session::Column::OrgId.is_in(orgs));
    }
    q
}

/// Enrollments in visible classes of visible users.
pub fn enrollments(p: &Principal, class: Option<i64>, user: Option<i64>, sync: Sync) -> Select<enrollment::Entity> {
    let mut q = enrollment::Entity::find()
        .filter(user_id_visible(p, (enrollment::Entity, enrollment::Column::UserId)))
        .filter(in_own_classes(p, (enrollment::Entity, enrollment::Column::ClassId)))
        .filter(sync.condition(enrollment::Column::Status, enrollment::Column::DateLastModified));
    if let OrgAccess::Only { orgs, .. } = &p.orgs {
        q = q.filter(
            enrollment::Column::ClassId.in_subquery(
                Query::select()
                    .column(class::Column::Id)
                    .from(class::Entity)
                    .and_where(class::Column::OrgId.is_in(orgs.iter().copied()))
                    .to_owned(),
            ),
        );
    }
    if let Some(class) = class {
        q = q.filter(enrollment::Column::ClassId.eq(class));
    }
    if let Some(user) = user {
        q = q.filter(enrollment::Column::UserId.eq(user));
    }
    q
}

/// Demographics of the students the principal may read; the caller needs
/// `roster.demographics.read` (checked by [`demographic_page`]).
pub fn demographics(p: &Principal, sync: Sync) -> Select<demographic::Entity> {
    demographic::Entity::find()
        .filter(user_id_visible(p, (demographic::Entity, demographic::Column::UserId)))
        .filter(
            demographic::Column::UserId.in_subquery(
                Query::select()
                    .column(user::Column::Id)
                    .from(user::Entity)
                    .and_where(user::Column::Role.eq(Role::Student))
                    .to_owned(),
            ),
        )
        .filter(sync.condition(demographic::Column::Status, demographic::Column::DateLastModified))
}

/// A page of the demographics a query from [`demographics`] finds, their students revealed.
/// Demographics are behind their own scope, never part of a default read.
#[tracing::instrument(skip_all)]
pub async fn demographic_page(
    db: &impl ConnectionTrait,
    p: &Principal,
    q: Select<demographic::Entity>,
    req: PageRequest,
    count: bool,
) -> AppResult<Page<demographic::Model>> {
    p.require(crate::auth::Scope::DemographicsRead)?;
    let page = fetch_page(db, q, demographic::Column::UserId, req, count).await?;
    p.reveal(page.rows.iter().map(|d| d.user_id));
    Ok(page)
}

/// The sourcedIds of rows of a roster table (`orgs`, `users`, ...) by id, for references from
/// records the caller already sees: one statement for a page's worth.
#[tracing::instrument(skip_all, fields(table))]
pub async fn sourced_ids(
    db: &impl ConnectionTrait,
    table: &'static str,
    ids: impl IntoIterator<Item = i64>,
) -> AppResult<std::collections::HashMap<i64, String>> {
    use sea_orm::sea_query::{Alias, Expr, ExprTrait};
    let ids: std::collections::BTreeSet<i64> = ids.into_iter().collect();
    if ids.is_empty() {
        return Ok(Default::default());
    }
    let q = Query::select()
        .column(Alias::new("id"))
        .column(Alias::new("sourced_id"))
        .from(Alias::new(table))
        .and_where(Expr::col(Alias::new("id")).is_in(ids))
        .to_owned();
    let rows = db.query_all(&q).await?;
    let mut out = std::collections::HashMap::with_capacity(rows.len());
    for row in rows {
        out.insert(row.try_get::<i64>("", "id")?, row.try_get::<String>("", "sourced_id")?);
    }
    Ok(out)
}

/// Picks one visible record: by primary key or by sourcedId.
#[derive(Clone, Copy, Debug)]
pub enum Key<'a> {
    Id(i64),
    Sourced(&'a str),
}

macro_rules! find_one {
    ($fn:ident, $m:ident, $select:expr) => {
        #[tracing::instrument(skip_all, fields(key = ?key))]
        pub async fn $fn(db: &impl ConnectionTrait, p: &Principal, key: Key<'_>) -> AppResult<Option<$m::Model>> {
            // Bound first: `#[instrument]` re-parses the body, which would split the closure.
            let select = $select;
            let q: Select<$m::Entity> = select(p);
            let q = match key {
                Key::Id(id) => q.filter($m::Column::Id.eq(id)),
                Key::Sourced(s) => q.filter($m::Column::SourcedId.eq(s)),
            };
            Ok(q.one(db).await?)
        }
    };
}

const ANY: Sync = Sync { updated_since: None, include_deleted: true };
find_one!(find_org, org, |p| org::Entity::find().filter(orgs_visible(p)));
find_one!(find_user, user, |p| users(p, &[Role::Student, Role::Teacher, Role::Administrator], None, None, None, ANY));
find_one!(find_class, class, |p| classes(p, None, None, None, ANY));
find_one!(find_course, course, |p| courses(p, None, ANY));
find_one!(find_session, academic_session, |p| academic_sessions(p, None, ANY));

/// An enrollment the caller may see, by id or sourcedId; a student's is noted on the caller's
/// audit trail.
#[tracing::instrument(skip_all, fields(key = ?key))]
pub async fn find_enrollment(
    db: &impl ConnectionTrait,
    p: &Principal,
    key: Key<'_>,
) -> AppResult<Option<enrollment::Model>> {
    let q = enrollments(p, None, None, ANY);
    let q = match key {
        Key::Id(id) => q.filter(enrollment::Column::Id.eq(id)),
        Key::Sourced(s) => q.filter(enrollment::Column::SourcedId.eq(s)),
    };
    let found = q.one(db).await?;
    reveal_enrollments(p, found.iter());
    Ok(found)
}

/// A school or district the caller may see, by id or sourcedId; `None` if the org is of the
/// other type.
#[tracing::instrument(skip_all, fields(key = ?key, org_type = ?org_type))]
pub async fn find_org_of_type(
    db: &impl ConnectionTrait,
    p: &Principal,
    org_type: OrgType,
    key: Key<'_>,
) -> AppResult<Option<org::Model>> {
    Ok(find_org(db, p, key).await?.filter(|o| o.org_type == org_type))
}

/// A student the caller may see, by id or sourcedId, revealed on the caller's audit trail;
/// `None` for a staff member.
#[tracing::instrument(skip_all, fields(key = ?key))]
pub async fn find_learner(db: &impl ConnectionTrait, p: &Principal, key: Key<'_>) -> AppResult<Option<user::Model>> {
    let learner = find_user(db, p, key).await?.filter(|u| u.role == Role::Student);
    reveal_learners(p, learner.iter());
    Ok(learner)
}

/// [`find_learner`] with the learner's profile (if they have one) in the same statement: what
/// a tool asking for one learner and their profile costs is one round trip. The caller decides
/// whether it may read profiles.
#[tracing::instrument(skip_all, fields(key = ?key))]
pub async fn find_learner_with_profile(
    db: &impl ConnectionTrait,
    p: &Principal,
    key: Key<'_>,
) -> AppResult<Option<(user::Model, Option<learner_profile::Model>)>> {
    let q = users(p, &[Role::Student], None, None, None, ANY);
    let q = match key {
        Key::Id(id) => q.filter(user::Column::Id.eq(id)),
        Key::Sourced(s) => q.filter(user::Column::SourcedId.eq(s)),
    };
    let profile = user::Entity::belongs_to(learner_profile::Entity)
        .from(user::Column::Id)
        .to(learner_profile::Column::UserId)
        .into();
    let found = q.join(JoinType::LeftJoin, profile).select_also(learner_profile::Entity).one(db).await?;
    reveal_learners(p, found.iter().map(|(u, _)| u));
    Ok(found)
}

/// A teacher or administrator the caller may see, by id or sourcedId; `None` for a student.
#[tracing::instrument(skip_all, fields(key = ?key))]
pub async fn find_educator(db: &impl ConnectionTrait, p: &Principal, key: Key<'_>) -> AppResult<Option<user::Model>> {
    Ok(find_user(db, p, key).await?.filter(|u| u.role != Role::Student))
}

/// Reveals the students among users a page of [`users`] handed back (a page is cut by the
/// transport's pagination, so the page's caller passes the rows it returns).
fn reveal_learners<'a>(p: &Principal, rows: impl IntoIterator<Item = &'a user::Model>) {
    p.reveal(rows.into_iter().filter(|u| u.role == Role::Student).map(|u| u.id));
}

/// A page of the users a query from [`users`] (or another visible-users query) finds, the
/// students among them revealed to the caller.
#[tracing::instrument(skip_all)]
pub async fn user_page(
    db: &impl ConnectionTrait,
    p: &Principal,
    q: Select<user::Entity>,
    req: PageRequest,
    count: bool,
) -> AppResult<Page<user::Model>> {
    let page = fetch_page(db, q, user::Column::Id, req, count).await?;
    reveal_learners(p, &page.rows);
    Ok(page)
}

/// A page of the enrollments a query from [`enrollments`] finds, their students revealed.
#[tracing::instrument(skip_all)]
pub async fn enrollment_page(
    db: &impl ConnectionTrait,
    p: &Principal,
    q: Select<enrollment::Entity>,
    req: PageRequest,
    count: bool,
) -> AppResult<Page<enrollment::Model>> {
    let page = fetch_page(db, q, enrollment::Column::Id, req, count).await?;
    reveal_enrollments(p, &page.rows);
    Ok(page)
}

/// Reveals the students whose enrollments a page of [`enrollments`] handed back; teachers'
/// enrollments name no learner.
fn reveal_enrollments<'a>(p: &Principal, rows: impl IntoIterator<Item = &'a enrollment::Model>) {
    p.reveal(rows.into_iter().filter(|e| e.role == Role::Student).map(|e| e.user_id));
}

/// The user of an enrollment the caller already sees; a student is revealed.
#[tracing::instrument(skip_all, fields(user = user_id))]
pub async fn enrollment_user(loaders: &Loaders, p: &Principal, user_id: i64) -> AppResult<Option<user::Model>> {
    let user = loaders.users.load_one(user_id).await.map_err(loader_error)?;
    reveal_learners(p, user.iter());
    Ok(user)
}

/// The schools a user belongs to that the caller may see: a learner shared by two schools
/// shows a caller limited to one only that one.
#[tracing::instrument(skip_all, fields(user = user_id))]
pub async fn schools_of(loaders: &Loaders, p: &Principal, user_id: i64) -> AppResult<Vec<org::Model>> {
    let orgs = loaders.user_orgs.load_one(user_id).await.map_err(loader_error)?.unwrap_or_default();
    Ok(orgs.into_iter().filter(|o| policy::roster::may_see_school(p, o)).collect())
}

/// A loader's error (a database error it already mapped) as a server error.
pub(crate) fn loader_error(e: async_graphql::Error) -> AppError {
    AppError::Server(anyhow::anyhow!(e.message))
}

/// A sourcedId to look up: one PostgreSQL can compare (no NUL); anything else matches nothing.
pub(crate) fn lookup_key(s: &str) -> Option<&str> {
    (!s.contains('\0') && s.len() <= 255).then_some(s)
}

/// The district a district-level record belongs to: the named one if visible, else the only
/// district the principal can see.
#[tracing::instrument(skip_all)]
pub async fn resolve_district(db: &impl ConnectionTrait, p: &Principal, sourced_id: Option<&str>) -> AppResult<i64> {
    let mut q = org::Entity::find()
        .filter(org::Column::OrgType.eq(OrgType::District))
        .filter(org::Column::Status.eq(Status::Active))
        .filter(crate::auth::policy::orgs_visible(p));
    if let Some(sid) = sourced_id {
        let sid = lookup_key(sid).ok_or(AppError::NotFound("district"))?;
        q = q.filter(org::Column::SourcedId.eq(sid));
    }
    let found = q.limit(2).all(db).await?;
    match found.as_slice() {
        [one] => Ok(one.id),
        [] => Err(AppError::NotFound("district")),
        _ => Err(AppError::validation("input.districtSourcedId", "name the district: there is more than one")),
    }
}
