use sea_orm::entity::prelude::*;

crate::stored_enum! {
    /// Where a school's redesign plan stands. Also the type of a stage change's `from_stage`
    /// and `to_stage` (an unknown value there is reported under this column's name too).
    /// Declared in the order a plan moves through them.
    pub enum Stage in "redesign_plans"."stage" {
        /// The school applied to a cohort.
        Applied = "applied",
        /// The oral presentation of its mission and vision has a date.
        PresentationScheduled = "presentation_scheduled",
        /// The school presented.
        Presented = "presented",
        /// The district accepted the school into redesign.
        Accepted = "accepted",
        /// The district declined the application, with reasons.
        Declined = "declined",
        /// The school writes its strategic plan (planning grant).
        Planning = "planning",
        /// The school carries out its plan (implementation funds).
        Implementing = "implementing",
        /// The redesign is in place and sustained.
        Sustaining = "sustaining",
    }
}

/// A school's redesign plan, its stage and its funding terms (money in integer cents).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "redesign_plans")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub school_org_id: i64,
    pub district_org_id: i64,
    pub cohort_id: i64,
    pub stage: Stage,
    pub application: String,
    pub mission: Option<String>,
    pub vision: Option<String>,
    pub presentation_at: Option<ChronoDateTimeUtc>,
    pub presentation_outcome: Option<String>,
    pub decline_reasons: Option<String>,
    pub funding_ceiling_cents: i64,
    pub first_fiscal_year: i32,
    pub span_years: i32,
    pub funds_version: i32,
    pub stage_changed_at: ChronoDateTimeUtc,
    pub created_at: ChronoDateTimeUtc,
    pub date_last_modified: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
