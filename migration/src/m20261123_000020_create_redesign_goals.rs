use crate::common::fk;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The goals of a plan's strategic plan, and the pillars each serves.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let goals = Table::create()
            .table("redesign_goals")
            .col(big_pk_auto("id"))
            .col(big_integer("plan_id"))
            .col(string_len("title", 300))
            .col(text_null("description"))
            .col(string_len_null("owner", 200))
            .col(timestamp_with_time_zone("created_at"))
            .col(timestamp_with_time_zone("date_last_modified"))
            .foreign_key(&mut fk(
                "fk_redesign_goals_plan",
                "redesign_goals",
                "plan_id",
                "redesign_plans",
                ForeignKeyAction::Cascade,
            ))
            .to_owned();
        manager.create_table(goals).await?;
        manager
            .create_index(
                Index::create().name("ix_redesign_goals_plan").table("redesign_goals").col("plan_id").to_owned(),
            )
            .await?;
        let links = Table::create()
            .table("redesign_goal_pillars")
            .col(big_integer("goal_id"))
            .col(big_integer("pillar_id"))
            .primary_key(Index::create().col("goal_id").col("pillar_id"))
            .foreign_key(&mut fk(
                "fk_redesign_goal_pillars_goal",
                "redesign_goal_pillars",
                "goal_id",
                "redesign_goals",
                ForeignKeyAction::Cascade,
            ))
            .foreign_key(&mut fk(
                "fk_redesign_goal_pillars_pillar",
                "redesign_goal_pillars",
                "pillar_id",
                "redesign_pillars",
                ForeignKeyAction::Restrict,
            ))
            .to_owned();
        manager.create_table(links).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("redesign_goal_pillars").to_owned()).await?;
        manager.drop_table(Table::drop().table("redesign_goals").to_owned()).await
    }
}
