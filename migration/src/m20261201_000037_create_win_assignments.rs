use crate::common::fk;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Where each student of a block is placed, how (required, placed by the run, adjusted by a
/// teacher), the rank of the choice it met and why; afterwards their attendance and a note.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let t = Table::create()
            .table("win_assignments")
            .col(big_pk_auto("id"))
            .col(big_integer("block_id"))
            .col(big_integer("learner_id"))
            .col(big_integer("session_id"))
            .col(string_len("source", 16))
            .col(integer_null("choice_rank"))
            .col(string_len("explanation", 500))
            .col(string_len_null("attendance", 16))
            .col(string_len_null("outcome_note", 1000))
            .col(string_len_null("attendance_by", 300))
            .col(timestamp_with_time_zone_null("attendance_at"))
            .col(timestamp_with_time_zone("created_at"))
            .col(timestamp_with_time_zone("date_last_modified"))
            .foreign_key(&mut fk(
                "fk_win_assignments_block",
                "win_assignments",
                "block_id",
                "win_blocks",
                ForeignKeyAction::Cascade,
            ))
            .foreign_key(&mut fk(
                "fk_win_assignments_learner",
                "win_assignments",
                "learner_id",
                "users",
                ForeignKeyAction::Cascade,
            ))
            .foreign_key(&mut fk(
                "fk_win_assignments_session",
                "win_assignments",
                "session_id",
                "win_sessions",
                ForeignKeyAction::Cascade,
            ))
            .index(Index::create().name("uq_win_assignments_learner").col("block_id").col("learner_id").unique())
            .to_owned();
        manager.create_table(t).await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_win_assignments_session")
                    .table("win_assignments")
                    .col("session_id")
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_win_assignments_learner")
                    .table("win_assignments")
                    .col("learner_id")
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("win_assignments").to_owned()).await
    }
}
