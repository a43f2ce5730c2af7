use sea_orm::entity::prelude::*;

/// A user's demographics (OneRoster `demographics`), keyed by the user: imported only when
/// the district asks for them and read only with the `roster.demographics.read` scope.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "demographics")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: i64,
    pub status: crate::Status,
    pub date_last_modified: ChronoDateTimeUtc,
    /// The source's `dateLastModified` of the version last written by an import or
    /// `upsertRoster` (`None`: none given): a write older than it is stale.
    pub source_modified: Option<ChronoDateTimeUtc>,
    pub birth_date: Option<ChronoDate>,
    pub sex: Option<String>,
    pub american_indian_or_alaska_native: Option<bool>,
    pub asian: Option<bool>,
    pub black_or_african_american: Option<bool>,
    pub native_hawaiian_or_other_pacific_islander: Option<bool>,
    pub white: Option<bool>,
    pub demographic_race_two_or_more_races: Option<bool>,
    pub hispanic_or_latino_ethnicity: Option<bool>,
    pub country_of_birth_code: Option<String>,
    pub state_of_birth_abbreviation: Option<String>,
    pub city_of_birth: Option<String>,
    pub public_school_residence_status: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
