use crate::common::fk;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Append-only history of a plan's stages: from, to, who, when, and the note or reason.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let t = Table::create()
            .table("redesign_stage_changes")
            .col(big_pk_auto("id"))
            .col(big_integer("plan_id"))
            .col(string_len_null("from_stage", 32))
            .col(string_len("to_stage", 32))
            .col(text_null("note"))
            .col(boolean("backward").default(false))
            .col(string_len("actor_kind", 16))
            .col(string_len("actor_id", 255))
            .col(timestamp_with_time_zone("changed_at"))
            .foreign_key(&mut fk(
                "fk_redesign_stage_changes_plan",
                "redesign_stage_changes",
                "plan_id",
                "redesign_plans",
                ForeignKeyAction::Cascade,
            ))
            .to_owned();
        manager.create_table(t).await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_redesign_stage_changes_plan")
                    .table("redesign_stage_changes")
                    .col("plan_id")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("redesign_stage_changes").to_owned()).await
    }
}
