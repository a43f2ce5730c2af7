use sea_orm::entity::prelude::*;

crate::stored_enum! {
    /// Kinds of money a plan receives.
    pub enum GrantKind in "redesign_grants"."kind" {
        /// The one grant that funds writing the strategic plan.
        Planning = "planning",
        /// Funds for carrying the plan out, awarded per fiscal year.
        Implementation = "implementation",
    }
}

/// Money committed to a plan: its planning grant or implementation funds for a fiscal year.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "redesign_grants")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub plan_id: i64,
    pub kind: GrantKind,
    pub fiscal_year: i32,
    pub amount_cents: i64,
    pub awarded_on: Date,
    pub actor_kind: crate::ActorKind,
    pub actor_id: String,
    pub created_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
