use sea_orm::entity::prelude::*;

/// A data-sharing agreement between the district and a vendor: the purpose, the schools, the
/// term, who signed it, and the student data elements it covers (types and fields, in the
/// form `Learner { sourcedId givenName } Mastery`). Clients bound to it see only that.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "data_agreements")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The public identifier (`dsa_...`).
    pub agreement_id: String,
    pub vendor: String,
    pub purpose: String,
    /// JSON list of school (org) sourcedIds; null means every school of the district.
    pub schools: Option<Json>,
    pub starts_on: ChronoDate,
    /// The last day the agreement holds.
    pub ends_on: ChronoDate,
    pub signed_by: String,
    pub signed_on: ChronoDate,
    /// The data elements covered, normalised.
    pub elements: String,
    /// Signed under FERPA's school-official exception: the vendor acts for the district, so
    /// students who opted out of directory information are not hidden from it.
    pub school_official: bool,
    pub created_at: ChronoDateTimeUtc,
    /// Who recorded it (a user sourcedId, a client id, or `system` for the CLI).
    pub created_by: String,
    pub revoked_at: Option<ChronoDateTimeUtc>,
    pub revoked_by: Option<String>,
    pub revoked_reason: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
