use sea_orm::entity::prelude::*;

/// A family's choices about a student's data, set by the district's administrators.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "data_use_restrictions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: i64,
    /// Opted out of directory information: hidden from vendors' clients unless their agreement
    /// is a school-official one.
    pub directory_opt_out: bool,
    /// Opted out of all sharing with vendors: hidden from every vendor's client.
    pub vendor_opt_out: bool,
    pub note: Option<String>,
    /// Who set it: a user sourcedId, a client id, or `learnergraph` (the service itself).
    pub set_by: String,
    pub set_at: ChronoDateTimeUtc,
    /// Where it came from: `admin` (the only source today).
    pub source: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
