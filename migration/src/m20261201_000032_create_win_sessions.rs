use crate::common::fk;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// A session a teacher offers in a block: subject, mode (one-on-one, small group, independent
/// computer work), room and capacity; `invite_only` limits it to the students invited.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let t = Table::create()
            .table("win_sessions")
            .col(big_pk_auto("id"))
            .col(big_integer("block_id"))
            .col(big_integer_null("teacher_id"))
            .col(string_len("title", 200))
            .col(string_len("subject", 100))
            .col(string_len("mode", 16))
            .col(string_len_null("room", 100))
            .col(integer("capacity"))
            .col(boolean("invite_only"))
            .col(timestamp_with_time_zone("created_at"))
            .col(timestamp_with_time_zone("date_last_modified"))
            .foreign_key(&mut fk(
                "fk_win_sessions_block",
                "win_sessions",
                "block_id",
                "win_blocks",
                ForeignKeyAction::Cascade,
            ))
            .foreign_key(&mut fk(
                "fk_win_sessions_teacher",
                "win_sessions",
                "teacher_id",
                "users",
                ForeignKeyAction::SetNull,
            ))
            .to_owned();
        manager.create_table(t).await?;
        manager
            .create_index(
                Index::create().name("ix_win_sessions_block").table("win_sessions").col("block_id").to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("win_sessions").to_owned()).await
    }
}
