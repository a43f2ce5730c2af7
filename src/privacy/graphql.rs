//! GraphQL for data-sharing agreements: district administrators (and district-wide tools
//! holding `admin`) record, list and revoke them; a caller sees the agreement it is served
//! under as `viewer { dataAgreement }`.

use async_graphql::{Context, Enum, InputObject, Object, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};

use super::agreements::{self, Agreement, NewAgreement};
use crate::{
    admin::graphql::district_admin,
    graphql::{
        context::{db, principal},
        user_errors::{UserError, into_user_errors},
    },
};

/// Where an agreement stands today (UTC).
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum DataAgreementStatus {
    /// In its term and not revoked: its clients see what it covers.
    Active,
    /// Its term has not started: its clients get no tokens yet.
    Pending,
    /// Its term has ended: its clients get no tokens.
    Expired,
    /// Revoked: its clients get no tokens.
    Revoked,
}

/// A data-sharing agreement between the district and a vendor: the student data elements the
/// vendor's clients may see, for which purpose, in which schools, for which term.
#[derive(SimpleObject)]
pub struct DataAgreement {
    pub agreement_id: String,
    pub vendor: String,
    pub purpose: String,
    /// School sourcedIds it covers; empty: every school of the district.
    pub schools: Vec<String>,
    pub starts_on: NaiveDate,
    /// The last day it holds (UTC).
    pub ends_on: NaiveDate,
    pub signed_by: String,
    pub signed_on: NaiveDate,
    /// The student data elements covered, as `Learner { sourcedId givenName } Mastery`: each
    /// type, and for `Learner` and `LearnerProfile` the fields (a type named without fields is
    /// shared whole). Fields outside answer null with `NOT_SHARED`; types outside are invisible.
    pub elements: String,
    /// Signed under FERPA's school-official exception: students who opted out of directory
    /// information stay visible to its clients.
    pub school_official: bool,
    pub status: DataAgreementStatus,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    pub revoked_at: Option<DateTime<Utc>>,
    pub revoked_by: Option<String>,
    pub revoked_reason: Option<String>,
    /// Client ids bound to it.
    pub clients: Vec<String>,
}

impl From<Agreement> for DataAgreement {
    fn from(a: Agreement) -> Self {
        DataAgreement {
            status: match a.status {
                "active" => DataAgreementStatus::Active,
                "pending" => DataAgreementStatus::Pending,
                "expired" => DataAgreementStatus::Expired,
                _ => DataAgreementStatus::Revoked,
            },
            agreement_id: a.agreement_id,
            vendor: a.vendor,
            purpose: a.purpose,
            schools: a.schools,
            starts_on: a.starts_on,
            ends_on: a.ends_on,
            signed_by: a.signed_by,
            signed_on: a.signed_on,
            elements: a.elements,
            school_official: a.school_official,
            created_at: a.created_at,
            created_by: a.created_by,
            revoked_at: a.revoked_at,
            revoked_by: a.revoked_by,
            revoked_reason: a.revoked_reason,
            clients: a.clients,
        }
    }
}

#[derive(InputObject)]
pub struct CreateDataAgreementInput {
    pub vendor: String,
    pub purpose: String,
    /// School sourcedIds; empty for every school of the district.
    #[graphql(default)]
    pub schools: Vec<String>,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub signed_by: String,
    pub signed_on: NaiveDate,
    /// `Learner { sourcedId givenName familyName grades } Mastery`.
    pub elements: String,
    #[graphql(default)]
    pub school_official: bool,
}

#[derive(SimpleObject)]
pub struct DataAgreementPayload {
    pub agreement: Option<DataAgreement>,
    pub user_errors: Vec<UserError>,
}

#[derive(Default)]
pub struct PrivacyQuery;

#[Object]
impl PrivacyQuery {
    /// Every data-sharing agreement, newest first. Needs `admin`, district-wide.
    async fn data_agreements(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<DataAgreement>> {
        district_admin(ctx)?;
        Ok(agreements::list(db(ctx)?).await?.into_iter().map(DataAgreement::from).collect())
    }
}

#[derive(Default)]
pub struct PrivacyMutation;

#[Object]
impl PrivacyMutation {
    /// Records a data-sharing agreement; bind clients to it with `createOAuthClient` or
    /// `setOAuthClientAgreement`. Audited. Needs `admin`, district-wide.
    async fn create_data_agreement(
        &self,
        ctx: &Context<'_>,
        input: CreateDataAgreementInput,
    ) -> async_graphql::Result<DataAgreementPayload> {
        let p = district_admin(ctx)?;
        let new = NewAgreement {
            vendor: input.vendor,
            purpose: input.purpose,
            schools: input.schools,
            starts_on: input.starts_on,
            ends_on: input.ends_on,
            signed_by: input.signed_by,
            signed_on: input.signed_on,
            elements: input.elements,
            school_official: input.school_official,
        };
        Ok(match into_user_errors(agreements::create(db(ctx)?, p, new).await)? {
            Ok(a) => DataAgreementPayload { agreement: Some(a.into()), user_errors: vec![] },
            Err(user_errors) => DataAgreementPayload { agreement: None, user_errors },
        })
    }

    /// Revokes an agreement at once, with a reason: its clients get no more tokens and the
    /// tokens they hold stop working on every replica. Audited. Needs `admin`, district-wide.
    async fn revoke_data_agreement(
        &self,
        ctx: &Context<'_>,
        agreement_id: String,
        reason: String,
    ) -> async_graphql::Result<DataAgreementPayload> {
        let p = district_admin(ctx)?;
        let db = db(ctx)?;
        Ok(match into_user_errors(agreements::revoke(db, p, &agreement_id, &reason).await)? {
            Ok(clients) => {
                let bus = ctx.data::<crate::sync::Bus>()?;
                for c in &clients {
                    bus.revoked(db, c).await;
                }
                DataAgreementPayload {
                    agreement: agreements::find(db, &agreement_id).await?.map(Into::into),
                    user_errors: vec![],
                }
            }
            Err(user_errors) => DataAgreementPayload { agreement: None, user_errors },
        })
    }
}

/// The agreement the caller is served under (`viewer { dataAgreement }`): null for the
/// district's own clients and people, and for a vendor's client bound to none.
pub async fn own_agreement(ctx: &Context<'_>) -> async_graphql::Result<Option<DataAgreement>> {
    let Some(id) = principal(ctx)?.sharing.agreement_id() else { return Ok(None) };
    Ok(agreements::find(db(ctx)?, id).await?.map(Into::into))
}

/// A family's choices about a student's data, as the district's staff see them.
#[derive(SimpleObject)]
pub struct LearnerDataUse {
    /// Opted out of directory information: hidden from vendors' clients, except those under a
    /// school-official agreement.
    pub directory_opt_out: bool,
    /// Opted out of all sharing with vendors: hidden from every vendor's client.
    pub vendor_opt_out: bool,
    pub note: Option<String>,
    /// Who set it last (null when nothing was ever set).
    pub set_by: Option<String>,
    pub set_at: Option<DateTime<Utc>>,
    /// `admin`: set by the district's administrators.
    pub source: Option<String>,
}

impl LearnerDataUse {
    pub fn of(m: Option<entity::data_use_restriction::Model>) -> Self {
        match m {
            None => LearnerDataUse {
                directory_opt_out: false,
                vendor_opt_out: false,
                note: None,
                set_by: None,
                set_at: None,
                source: None,
            },
            Some(m) => LearnerDataUse {
                directory_opt_out: m.directory_opt_out,
                vendor_opt_out: m.vendor_opt_out,
                note: m.note,
                set_by: Some(m.set_by),
                set_at: Some(m.set_at),
                source: Some(m.source),
            },
        }
    }
}

/// `Learner.dataUse`: null for a vendor's client.
pub async fn data_use_of(ctx: &Context<'_>, learner: i64) -> async_graphql::Result<Option<LearnerDataUse>> {
    if !super::restrictions::may_see(principal(ctx)?) {
        return Ok(None);
    }
    let row = crate::graphql::context::loaders(ctx)?.data_use.load_one(learner).await?;
    Ok(Some(LearnerDataUse::of(row)))
}

#[derive(InputObject)]
pub struct SetLearnerDataUseInput {
    pub learner_sourced_id: String,
    /// Left out: unchanged.
    pub directory_opt_out: Option<bool>,
    /// Left out: unchanged.
    pub vendor_opt_out: Option<bool>,
    /// Why, or the family's words (left out: unchanged; empty: cleared).
    pub note: Option<String>,
}

#[derive(SimpleObject)]
pub struct LearnerDataUsePayload {
    pub data_use: Option<LearnerDataUse>,
    pub user_errors: Vec<UserError>,
}

#[derive(Default)]
pub struct DataUseMutation;

#[Object]
impl DataUseMutation {
    /// Records a family's choices about their child's data: the directory-information opt-out
    /// and the opt-out of all sharing with vendors. They apply at once to every vendor's
    /// client, whichever API it calls. Needs `admin`, district-wide (the district's
    /// administrators).
    async fn set_learner_data_use(
        &self,
        ctx: &Context<'_>,
        input: SetLearnerDataUseInput,
    ) -> async_graphql::Result<LearnerDataUsePayload> {
        let p = principal(ctx)?;
        super::restrictions::require_setter(p)?;
        let change = super::restrictions::Change {
            directory_opt_out: input.directory_opt_out,
            vendor_opt_out: input.vendor_opt_out,
            note: input.note,
        };
        Ok(match into_user_errors(super::restrictions::set(db(ctx)?, p, &input.learner_sourced_id, change).await)? {
            Ok(m) => LearnerDataUsePayload { data_use: Some(LearnerDataUse::of(Some(m))), user_errors: vec![] },
            Err(user_errors) => LearnerDataUsePayload { data_use: None, user_errors },
        })
    }
}

/// Records of one table a purge removed.
#[derive(SimpleObject)]
pub struct PurgedRecords {
    pub table: String,
    pub count: i64,
}

#[derive(SimpleObject)]
pub struct PurgeLearnerPayload {
    /// Stands for the student in the audit trail from now on.
    pub pseudonym: Option<String>,
    pub purged_at: Option<DateTime<Utc>>,
    pub removed: Vec<PurgedRecords>,
    /// Tombstones left in the changes feed for vendors to delete their copies.
    pub tombstones: i32,
    pub user_errors: Vec<UserError>,
}

#[derive(Default)]
pub struct PurgeMutation;

#[Object]
impl PurgeMutation {
    /// Deletes a student on request: every record of them, in every table (roster, profile and
    /// its revisions, playlists, items, results and overrides, mastery, WIN choices,
    /// placements and reviews, sign-in grants, feed history). Leaves tombstones in the changes
    /// feed, and keeps the audit trail with the student replaced by a pseudonym; the purge
    /// itself is recorded (who, when, why) and audited. Cannot be undone. Needs `admin`,
    /// district-wide.
    async fn purge_learner(
        &self,
        ctx: &Context<'_>,
        learner_sourced_id: String,
        reason: String,
    ) -> async_graphql::Result<PurgeLearnerPayload> {
        let p = principal(ctx)?;
        super::restrictions::require_setter(p)?;
        // Events this replica has queued about the student are written first, so the purge
        // pseudonymises them too.
        ctx.data::<crate::audit::AuditLog>()?.flush().await;
        Ok(match into_user_errors(super::purge::purge_learner(db(ctx)?, p, &learner_sourced_id, &reason).await)? {
            Ok(done) => PurgeLearnerPayload {
                pseudonym: Some(done.pseudonym),
                purged_at: Some(done.purged_at),
                removed: done
                    .removed
                    .into_iter()
                    .map(|(table, count)| PurgedRecords { table, count: i64::try_from(count).unwrap_or(i64::MAX) })
                    .collect(),
                tombstones: i32::try_from(done.tombstones).unwrap_or(i32::MAX),
                user_errors: vec![],
            },
            Err(user_errors) => {
                PurgeLearnerPayload { pseudonym: None, purged_at: None, removed: vec![], tombstones: 0, user_errors }
            }
        })
    }
}
