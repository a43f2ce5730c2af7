//! The roster's mutation root: learners upserted from a student information system, and
//! records marked deleted.

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};

use super::{Learner, Org, orgs::org_of};
use crate::{
    auth::Scope,
    error::AppError,
    graphql::{
        context::{db, loaders, require},
        relay::{Kind, decode_id},
        user_errors::{UserError, into_user_errors},
    },
    roster::store::{self, Deletable},
};

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

/// A time zone for a district or school.
#[derive(InputObject)]
pub struct SetOrgTimeZoneInput {
    /// The district or school.
    pub org_sourced_id: String,
    /// An IANA zone name (`America/Chicago`); null clears the org's own zone, so that a school
    /// uses its district's again (and a district UTC).
    pub time_zone: Option<String>,
}

#[derive(SimpleObject)]
pub struct OrgTimeZonePayload {
    /// The district or school as now stored; its `timeZone` is the zone it now lives by.
    pub org: Option<Org>,
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
            Ok(u) => UpsertLearnerPayload { learner: Some(Learner(u)), user_errors: vec![] },
            Err(user_errors) => UpsertLearnerPayload { learner: None, user_errors },
        })
    }

    /// Sets or clears the time zone of a district or school. Needs `roster.write`: district
    /// administrators and tools granted the org may; a school administrator only for their own
    /// school; anyone else is refused (`FORBIDDEN`).
    async fn set_org_time_zone(
        &self,
        ctx: &Context<'_>,
        input: SetOrgTimeZoneInput,
    ) -> async_graphql::Result<OrgTimeZonePayload> {
        let p = require(ctx, Scope::RosterWrite)?;
        let r = store::set_time_zone(db(ctx)?, p, &input.org_sourced_id, input.time_zone.as_deref()).await;
        // The payload's school reads its district through the request's loader.
        loaders(ctx)?.orgs.clear();
        Ok(match into_user_errors(r)? {
            Ok(o) => OrgTimeZonePayload { org: Some(org_of(o)), user_errors: vec![] },
            Err(user_errors) => OrgTimeZonePayload { org: None, user_errors },
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
                .await
        }
        .await;
        Ok(match into_user_errors(result)? {
            Ok(()) => DeleteRosterRecordPayload { deleted_id: Some(id), user_errors: vec![] },
            Err(user_errors) => DeleteRosterRecordPayload { deleted_id: None, user_errors },
        })
    }
}
