use crate::common::fk;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// A student's ranked choices for a block (rank 1 first): one row per rank, one per session.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let t = Table::create()
            .table("win_choices")
            .col(big_pk_auto("id"))
            .col(big_integer("block_id"))
            .col(big_integer("learner_id"))
            .col(big_integer("session_id"))
            .col(integer("rank"))
            .col(string_len("chosen_by", 300))
            .col(timestamp_with_time_zone("chosen_at"))
            .foreign_key(&mut fk(
                "fk_win_choices_block",
                "win_choices",
                "block_id",
                "win_blocks",
                ForeignKeyAction::Cascade,
            ))
            .foreign_key(&mut fk(
                "fk_win_choices_learner",
                "win_choices",
                "learner_id",
                "users",
                ForeignKeyAction::Cascade,
            ))
            .foreign_key(&mut fk(
                "fk_win_choices_session",
                "win_choices",
                "session_id",
                "win_sessions",
                ForeignKeyAction::Cascade,
            ))
            .index(Index::create().name("uq_win_choices_rank").col("block_id").col("learner_id").col("rank").unique())
            .index(
                Index::create()
                    .name("uq_win_choices_session")
                    .col("block_id")
                    .col("learner_id")
                    .col("session_id")
                    .unique(),
            )
            .to_owned();
        manager.create_table(t).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("win_choices").to_owned()).await
    }
}
