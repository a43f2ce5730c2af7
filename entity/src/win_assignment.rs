use sea_orm::entity::prelude::*;

/// Where a student is placed for a WIN block, and how it went.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "win_assignments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub block_id: i64,
    pub learner_id: i64,
    pub session_id: i64,
    pub source: PlacementSource,
    pub choice_rank: Option<i32>,
    pub explanation: String,
    pub attendance: Option<Attendance>,
    pub outcome_note: Option<String>,
    pub attendance_by: Option<String>,
    pub attendance_at: Option<ChronoDateTimeUtc>,
    /// The student's choices or their teacher's decision changed after this placement.
    pub outdated: bool,
    /// Placed before choices closed: students could still change their choices.
    pub provisional: bool,
    /// How many sessions the student had ranked when placed.
    pub choices_made: i32,
    pub created_at: ChronoDateTimeUtc,
    pub date_last_modified: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

crate::stored_enum! {
    /// How a student came to be in a session.
    pub enum PlacementSource in "win_assignments"."source" {
        /// A teacher required it.
        Required = "required",
        /// The placement run chose it.
        Placed = "placed",
        /// A teacher moved the student afterwards.
        Adjusted = "adjusted",
        /// The placement run followed a teacher's redirection.
        Redirected = "redirected",
    }
}

crate::stored_enum! {
    /// Whether a placed student came.
    pub enum Attendance in "win_assignments"."attendance" {
        Present = "present",
        Absent = "absent",
        Late = "late",
    }
}
