use crate::common::fk;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Milestones of a goal: an owner, a due date and, once done, the completion date.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let t = Table::create()
            .table("redesign_milestones")
            .col(big_pk_auto("id"))
            .col(big_integer("goal_id"))
            .col(string_len("title", 300))
            .col(string_len_null("owner", 200))
            .col(date("due_on"))
            .col(date_null("completed_on"))
            .col(timestamp_with_time_zone("created_at"))
            .col(timestamp_with_time_zone("date_last_modified"))
            .foreign_key(&mut fk(
                "fk_redesign_milestones_goal",
                "redesign_milestones",
                "goal_id",
                "redesign_goals",
                ForeignKeyAction::Cascade,
            ))
            .to_owned();
        manager.create_table(t).await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_redesign_milestones_due")
                    .table("redesign_milestones")
                    .col("due_on")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("redesign_milestones").to_owned()).await
    }
}
