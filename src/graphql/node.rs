//! The Relay `Node` interface and the `node`/`nodes` fields: the one place that names every
//! domain's record types, so it sits above the domains, next to schema assembly. Each kind of
//! global ID is looked up through its domain's service, which applies the policy.

use async_graphql::{Context, ID, Interface, Object};
use entity::{OrgType, Role};

use super::{
    context::{db, principal},
    relay::{Kind, MAX_NODES, decode_id},
};
use crate::{
    auth::{Principal, Scope},
    competencies::graphql::{Competency, CompetencyFramework},
    error::{AppError, AppResult},
    playlists::graphql::{Playlist, PlaylistItem},
    profiles::graphql::LearnerProfile,
    progress::graphql::ResultNode,
    redesign::graphql::{
        Grant, RedesignCohort, RedesignGoal, RedesignIndicator, RedesignMilestone, RedesignPillar, RedesignPlan,
    },
    roster::{
        graphql::{AcademicSession, Class, Course, District, Educator, Enrollment, Learner, School},
        store::Key,
    },
    win::graphql::{WinAssignment, WinBlock, WinSession},
};

/// An object with a global ID.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID", desc = "Opaque global identifier, stable for the life of the record."))]
pub enum Node {
    District(District),
    School(School),
    AcademicSession(AcademicSession),
    Course(Course),
    Class(Class),
    Enrollment(Enrollment),
    Learner(Learner),
    Educator(Educator),
    LearnerProfile(LearnerProfile),
    RedesignPillar(RedesignPillar),
    RedesignCohort(RedesignCohort),
    RedesignPlan(RedesignPlan),
    RedesignGoal(RedesignGoal),
    RedesignIndicator(RedesignIndicator),
    RedesignMilestone(RedesignMilestone),
    Grant(Grant),
    CompetencyFramework(CompetencyFramework),
    Competency(Competency),
    Playlist(Playlist),
    PlaylistItem(PlaylistItem),
    Result(ResultNode),
    WinBlock(WinBlock),
    WinSession(WinSession),
    WinAssignment(WinAssignment),
}

#[derive(Default)]
pub struct RelayQuery;

#[Object]
impl RelayQuery {
    /// Fetches any record by its global ID; null when it does not exist or the caller may not
    /// see it (the two are indistinguishable on purpose).
    async fn node(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Node>> {
        let (kind, n) = decode_id(&id, "id")?;
        Ok(resolve(principal(ctx)?, db(ctx)?, kind, n).await?)
    }

    /// Fetches up to 100 records by global ID, in the order given.
    async fn nodes(&self, ctx: &Context<'_>, ids: Vec<ID>) -> async_graphql::Result<Vec<Option<Node>>> {
        if ids.len() > MAX_NODES {
            return Err(AppError::validation("ids", format!("at most {MAX_NODES} ids at once")).into());
        }
        let decoded = ids.iter().map(|id| decode_id(id, "ids")).collect::<Result<Vec<_>, _>>()?;
        let (p, db) = (principal(ctx)?, db(ctx)?);
        let mut out = Vec::with_capacity(decoded.len());
        for (kind, n) in decoded {
            out.push(resolve(p, db, kind, n).await?);
        }
        Ok(out)
    }
}

/// The record a global ID names, if the principal may see it.
async fn resolve(p: &Principal, db: &sea_orm::DatabaseConnection, kind: Kind, id: i64) -> AppResult<Option<Node>> {
    use crate::{competencies, playlists, profiles, progress, redesign, roster, win};
    let key = Key::Id(id);
    // Each domain answers null, not an error, for a kind its scope doesn't cover, except
    // roster, profiles and redesign, whose scope errors are part of the contract.
    let roster = || p.require(Scope::RosterRead);
    Ok(match kind {
        Kind::District | Kind::School => {
            roster()?;
            roster::store::find_org(db, p, key).await?.and_then(|o| match (kind, o.org_type) {
                (Kind::District, OrgType::District) => Some(Node::District(District(o))),
                (Kind::School, OrgType::School) => Some(Node::School(School(o))),
                _ => None,
            })
        }
        Kind::AcademicSession => {
            roster()?;
            roster::store::find_session(db, p, key).await?.map(|m| Node::AcademicSession(AcademicSession(m)))
        }
        Kind::Course => {
            roster()?;
            roster::store::find_course(db, p, key).await?.map(|m| Node::Course(Course(m)))
        }
        Kind::Class => {
            roster()?;
            roster::store::find_class(db, p, key).await?.map(|m| Node::Class(Class(m)))
        }
        Kind::Enrollment => {
            roster()?;
            roster::store::find_enrollment(db, p, key).await?.map(|m| Node::Enrollment(Enrollment(m)))
        }
        Kind::Learner | Kind::Educator => {
            roster()?;
            roster::store::find_user(db, p, key).await?.and_then(|u| match (kind, u.role == Role::Student) {
                (Kind::Learner, true) => {
                    p.reveal([u.id]);
                    Some(Node::Learner(Learner(u)))
                }
                (Kind::Educator, false) => Some(Node::Educator(Educator(u))),
                _ => None,
            })
        }
        Kind::LearnerProfile => {
            p.require(Scope::ProfilesRead)?;
            // `find` reveals the profile's learner.
            profiles::store::find(db, p, id).await?.map(|m| Node::LearnerProfile(LearnerProfile(m)))
        }
        Kind::CompetencyFramework | Kind::Competency => {
            competencies::store::find_node(db, p, kind == Kind::Competency, id).await?.map(|found| match found {
                competencies::store::Found::Framework(m) => Node::CompetencyFramework(CompetencyFramework(m)),
                competencies::store::Found::Competency(m) => Node::Competency(Competency(m)),
            })
        }
        Kind::Playlist if p.has(Scope::PlaylistsRead) => playlists::store::find_playlist(db, p, id).await?.map(|m| {
            p.reveal(m.learner_id);
            Node::Playlist(Playlist(m))
        }),
        Kind::PlaylistItem if p.has(Scope::PlaylistsRead) => {
            playlists::store::find_item(db, p, id).await?.map(|m| Node::PlaylistItem(PlaylistItem(m)))
        }
        // `find` reveals the result's learner.
        Kind::Result if p.has(Scope::ProgressRead) => {
            progress::store::find(db, p, id).await?.map(|m| Node::Result(ResultNode(m)))
        }
        Kind::Playlist | Kind::PlaylistItem | Kind::Result => None,
        Kind::WinBlock | Kind::WinSession | Kind::WinAssignment => win::graphql::resolve_node(p, db, kind, id).await?,
        Kind::RedesignPillar
        | Kind::RedesignCohort
        | Kind::RedesignPlan
        | Kind::RedesignGoal
        | Kind::RedesignIndicator
        | Kind::RedesignMilestone
        | Kind::Grant => redesign::graphql::resolve_node(p, db, kind, id).await?,
    })
}
