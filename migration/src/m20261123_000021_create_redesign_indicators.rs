use crate::common::fk;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Measurable indicators of a goal (baseline and target, each with its date) and their
/// measurements over time, one per indicator and date.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let indicators = Table::create()
            .table("redesign_indicators")
            .col(big_pk_auto("id"))
            .col(big_integer("goal_id"))
            .col(string_len("name", 300))
            .col(string_len_null("unit", 50))
            .col(double("baseline"))
            .col(date("baseline_on"))
            .col(double("target"))
            .col(date("target_on"))
            .col(timestamp_with_time_zone("created_at"))
            .foreign_key(&mut fk(
                "fk_redesign_indicators_goal",
                "redesign_indicators",
                "goal_id",
                "redesign_goals",
                ForeignKeyAction::Cascade,
            ))
            .to_owned();
        manager.create_table(indicators).await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_redesign_indicators_goal")
                    .table("redesign_indicators")
                    .col("goal_id")
                    .to_owned(),
            )
            .await?;
        let measurements = Table::create()
            .table("redesign_measurements")
            .col(big_pk_auto("id"))
            .col(big_integer("indicator_id"))
            .col(date("measured_on"))
            .col(double("value"))
            .col(text_null("note"))
            .col(string_len("actor_kind", 16))
            .col(string_len("actor_id", 255))
            .col(timestamp_with_time_zone("recorded_at"))
            .index(Index::create().name("uq_redesign_measurements_day").col("indicator_id").col("measured_on").unique())
            .foreign_key(&mut fk(
                "fk_redesign_measurements_indicator",
                "redesign_measurements",
                "indicator_id",
                "redesign_indicators",
                ForeignKeyAction::Cascade,
            ))
            .to_owned();
        manager.create_table(measurements).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("redesign_measurements").to_owned()).await?;
        manager.drop_table(Table::drop().table("redesign_indicators").to_owned()).await
    }
}
