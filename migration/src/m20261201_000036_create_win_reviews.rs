use crate::common::fk;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// A teacher's standing decision on a student's choices for a block: approved (the session
/// counts as their first choice), redirected to another session (with a note), or required to
/// attend a session (placement must honour it). One per student and block.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let t = Table::create()
            .table("win_reviews")
            .col(big_pk_auto("id"))
            .col(big_integer("block_id"))
            .col(big_integer("learner_id"))
            .col(string_len("decision", 16))
            .col(big_integer("session_id"))
            .col(string_len_null("note", 1000))
            .col(string_len("decided_by", 300))
            .col(timestamp_with_time_zone("decided_at"))
            .foreign_key(&mut fk(
                "fk_win_reviews_block",
                "win_reviews",
                "block_id",
                "win_blocks",
                ForeignKeyAction::Cascade,
            ))
            .foreign_key(&mut fk(
                "fk_win_reviews_learner",
                "win_reviews",
                "learner_id",
                "users",
                ForeignKeyAction::Cascade,
            ))
            .foreign_key(&mut fk(
                "fk_win_reviews_session",
                "win_reviews",
                "session_id",
                "win_sessions",
                ForeignKeyAction::Cascade,
            ))
            .index(Index::create().name("uq_win_reviews_learner").col("block_id").col("learner_id").unique())
            .to_owned();
        manager.create_table(t).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("win_reviews").to_owned()).await
    }
}
