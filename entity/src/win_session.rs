use sea_orm::entity::prelude::*;

/// A session offered in a WIN block.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "win_sessions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub block_id: i64,
    pub teacher_id: Option<i64>,
    pub title: String,
    pub subject: String,
    pub mode: WinMode,
    pub room: Option<String>,
    pub capacity: i32,
    pub invite_only: bool,
    pub created_at: ChronoDateTimeUtc,
    pub date_last_modified: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

crate::stored_enum! {
    /// How a session is run.
    pub enum WinMode in "win_sessions"."mode" {
        /// One teacher, one student (capacity 1).
        OneOnOne = "one_on_one",
        SmallGroup = "small_group",
        /// Independent work on a computer.
        Independent = "independent",
    }
}
