//! Relay plumbing, a leaf every domain uses and that uses no domain: opaque global IDs,
//! cursors, and connections paged by keyset on the primary key (stable under inserts: no
//! gaps, no duplicates). The `Node` interface, which names every domain's types, sits above
//! the domains in [`super::node`].

use async_graphql::{
    Context, ID, SimpleObject,
    connection::{Connection, Edge, EmptyFields},
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use sea_orm::{DatabaseConnection, EntityTrait, Select};

use crate::{
    error::AppError,
    page::{Page, PageRequest, fetch_page},
};

/// Page size when neither `first` nor `last` is given.
pub const DEFAULT_PAGE_SIZE: i32 = 20;
/// Largest `first`/`last` accepted.
pub const MAX_PAGE_SIZE: i32 = 100;
/// Most ids `nodes` accepts at once.
pub const MAX_NODES: usize = 100;

/// The kinds of record a global ID can name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    District,
    School,
    AcademicSession,
    Course,
    Class,
    Enrollment,
    Learner,
    Educator,
    LearnerProfile,
    RedesignPillar,
    RedesignCohort,
    RedesignPlan,
    RedesignGoal,
    RedesignIndicator,
    RedesignMilestone,
    Grant,
    CompetencyFramework,
    Competency,
    Playlist,
    PlaylistItem,
    Result,
    WinBlock,
    WinSession,
    WinAssignment,
}

impl Kind {
    /// Every kind of node, in a fixed order.
    pub const ALL: [Kind; 24] = [
        Kind::District,
        Kind::School,
        Kind::AcademicSession,
        Kind::Course,
        Kind::Class,
        Kind::Enrollment,
        Kind::Learner,
        Kind::Educator,
        Kind::LearnerProfile,
        Kind::RedesignPillar,
        Kind::RedesignCohort,
        Kind::RedesignPlan,
        Kind::RedesignGoal,
        Kind::RedesignIndicator,
        Kind::RedesignMilestone,
        Kind::Grant,
        Kind::CompetencyFramework,
        Kind::Competency,
        Kind::Playlist,
        Kind::PlaylistItem,
        Kind::Result,
        Kind::WinBlock,
        Kind::WinSession,
        Kind::WinAssignment,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Kind::District => "District",
            Kind::School => "School",
            Kind::AcademicSession => "AcademicSession",
            Kind::Course => "Course",
            Kind::Class => "Class",
            Kind::Enrollment => "Enrollment",
            Kind::Learner => "Learner",
            Kind::Educator => "Educator",
            Kind::LearnerProfile => "LearnerProfile",
            Kind::RedesignPillar => "RedesignPillar",
            Kind::RedesignCohort => "RedesignCohort",
            Kind::RedesignPlan => "RedesignPlan",
            Kind::RedesignGoal => "RedesignGoal",
            Kind::RedesignIndicator => "RedesignIndicator",
            Kind::RedesignMilestone => "RedesignMilestone",
            Kind::Grant => "Grant",
            Kind::CompetencyFramework => "CompetencyFramework",
            Kind::Competency => "Competency",
            Kind::Playlist => "Playlist",
            Kind::PlaylistItem => "PlaylistItem",
            Kind::Result => "Result",
            Kind::WinBlock => "WinBlock",
            Kind::WinSession => "WinSession",
            Kind::WinAssignment => "WinAssignment",
        }
    }
}

/// Encodes `Kind:id` as an opaque global ID.
pub fn global_id(kind: Kind, id: i64) -> ID {
    ID(URL_SAFE_NO_PAD.encode(format!("{}:{id}", kind.name())))
}

/// Decodes a global ID; any malformed value is a `BAD_USER_INPUT` error naming `field`.
pub fn decode_id(id: &str, field: &str) -> Result<(Kind, i64), AppError> {
    let invalid = || AppError::validation(field, "not a valid learnergraph ID");
    let text = URL_SAFE_NO_PAD.decode(id).ok().and_then(|b| String::from_utf8(b).ok()).ok_or_else(invalid)?;
    let (name, raw) = text.split_once(':').ok_or_else(invalid)?;
    let kind = Kind::ALL.into_iter().find(|k| k.name() == name).ok_or_else(invalid)?;
    let id = raw.parse::<i64>().ok().filter(|n| *n > 0).ok_or_else(invalid)?;
    Ok((kind, id))
}

/// Decodes a global ID that must name a record of `kind`.
pub fn decode_kind(id: &str, kind: Kind, field: &str) -> Result<i64, AppError> {
    match decode_id(id, field)? {
        (k, n) if k == kind => Ok(n),
        _ => Err(AppError::validation(field, format!("expected the ID of a {}", kind.name()))),
    }
}

/// The complexity of a connection field: its page size (as `paginate` will clamp it) times the
/// complexity of one item, saturating so that huge `first` values can't overflow the check.
pub fn list_complexity(first: Option<i32>, last: Option<i32>, child_complexity: usize) -> usize {
    let size = usize::try_from(first.or(last).unwrap_or(DEFAULT_PAGE_SIZE).clamp(0, MAX_PAGE_SIZE)).unwrap_or(0);
    size.saturating_mul(child_complexity).saturating_add(1)
}

/// Fields every connection carries besides edges and pageInfo.
#[derive(SimpleObject)]
pub struct ConnectionFields {
    /// Number of records matching the filter across all pages (counted only when asked for).
    pub total_count: i64,
}

pub type Conn<T> = Connection<String, T, ConnectionFields, EmptyFields>;

/// `first`/`after`/`last`/`before` as given.
#[derive(Clone, Debug, Default)]
pub struct PageArgs {
    pub first: Option<i32>,
    pub after: Option<String>,
    pub last: Option<i32>,
    pub before: Option<String>,
}

impl PageArgs {
    pub fn new(first: Option<i32>, after: Option<String>, last: Option<i32>, before: Option<String>) -> Self {
        PageArgs { first, after, last, before }
    }
}

/// The opaque cursor of the record with primary key `id`.
pub fn encode_cursor(id: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("c:{id}"))
}

/// Decodes a cursor; any malformed value is a `BAD_USER_INPUT` error naming `field`.
pub fn decode_cursor(cursor: &str, field: &str) -> Result<i64, AppError> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.strip_prefix("c:").and_then(|n| n.parse().ok()))
        .ok_or_else(|| AppError::validation(field, "not a cursor returned by this API"))
}

/// The rows `first`/`after`/`last`/`before` ask for, checked: one of `first` and `last`,
/// within [`MAX_PAGE_SIZE`], cursors this API returned.
pub fn page_request(args: &PageArgs) -> Result<PageRequest, AppError> {
    let (forward, size) = match (args.first, args.last) {
        (Some(_), Some(_)) => {
            return Err(AppError::validation("first", "give `first` or `last`, not both"));
        }
        (Some(n), None) => (true, n),
        (None, Some(n)) => (false, n),
        (None, None) => (true, DEFAULT_PAGE_SIZE),
    };
    if !(0..=MAX_PAGE_SIZE).contains(&size) {
        let field = if forward { "first" } else { "last" };
        return Err(AppError::validation(field, format!("must be between 0 and {MAX_PAGE_SIZE}")));
    }
    let after = args.after.as_deref().map(|c| decode_cursor(c, "after")).transpose()?;
    let before = args.before.as_deref().map(|c| decode_cursor(c, "before")).transpose()?;
    Ok(PageRequest::Keyset { forward, size: u64::try_from(size).unwrap_or(0), after, before })
}

/// Whether the document selects `totalCount` (which costs a COUNT query).
pub fn wants_total(ctx: &Context<'_>) -> bool {
    ctx.look_ahead().field("totalCount").exists()
}

/// A service's page as a Relay connection of GraphQL values.
pub fn connection<M, T: async_graphql::OutputType>(page: Page<M>, id_of: fn(&M) -> i64, map: fn(M) -> T) -> Conn<T> {
    let total_count = page.total.map_or(0, |t| i64::try_from(t).unwrap_or(i64::MAX));
    let mut conn =
        Connection::with_additional_fields(page.has_previous, page.has_next, ConnectionFields { total_count });
    conn.edges.extend(page.rows.into_iter().map(|m| Edge::new(encode_cursor(id_of(&m)), map(m))));
    conn
}

/// Pages `select` (see [`crate::page::fetch_page`]) and maps each row to its GraphQL type,
/// for records that name no learner; a service that pages learner-bearing records reveals
/// them and hands its [`Page`] to [`connection`].
pub async fn paginate<E, T>(
    ctx: &Context<'_>,
    db: &DatabaseConnection,
    select: Select<E>,
    id_col: E::Column,
    args: PageArgs,
    id_of: fn(&E::Model) -> i64,
    map: fn(E::Model) -> T,
) -> Result<Conn<T>, AppError>
where
    E: EntityTrait,
    E::Model: Sync,
    T: async_graphql::OutputType,
{
    let page = fetch_page(db, select, id_col, page_request(&args)?, wants_total(ctx)).await?;
    Ok(connection(page, id_of, map))
}
