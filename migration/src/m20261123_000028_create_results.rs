use crate::common::{dlm_index, fk};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Results posted for a learner against a playlist item and/or a competency. `(poster,
/// sourced_id)` is unique: a tool's retried or concurrent posts of the same sourcedId land on
/// one row. `value` is the result normalised to 0..1 (score / maximum, or the level's
/// threshold); an override by a teacher is kept beside the tool's values and wins.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let t = Table::create()
            .table("results")
            .col(big_pk_auto("id"))
            .col(string_len("poster", 300))
            .col(string_len("sourced_id", 255))
            .col(big_integer("learner_id"))
            .col(big_integer_null("item_id"))
            .col(big_integer_null("competency_id"))
            .col(double_null("score"))
            .col(double_null("score_max"))
            .col(string_len_null("mastery_level", 64))
            .col(double("value"))
            .col(string_len("evidence", 32))
            .col(timestamp_with_time_zone("occurred_at"))
            .col(string_len_null("comment", 2000))
            .col(string_len("content_hash", 64))
            .col(double_null("override_value"))
            .col(string_len_null("override_level", 64))
            .col(string_len_null("override_by", 300))
            .col(string_len_null("override_note", 1000))
            .col(timestamp_with_time_zone_null("overridden_at"))
            .col(string_len("status", 16).default("active"))
            .col(timestamp_with_time_zone("created_at"))
            .col(timestamp_with_time_zone("date_last_modified"))
            .foreign_key(&mut fk("fk_results_learner", "results", "learner_id", "users", ForeignKeyAction::Restrict))
            .foreign_key(&mut fk("fk_results_item", "results", "item_id", "playlist_items", ForeignKeyAction::SetNull))
            .foreign_key(&mut fk(
                "fk_results_competency",
                "results",
                "competency_id",
                "competencies",
                ForeignKeyAction::Restrict,
            ))
            .index(Index::create().name("uq_results_poster_sourced_id").col("poster").col("sourced_id").unique())
            .to_owned();
        manager.create_table(t).await?;
        for (name, col) in [("ix_results_learner", "learner_id"), ("ix_results_item", "item_id")] {
            manager.create_index(Index::create().name(name).table("results").col(col).to_owned()).await?;
        }
        manager.create_index(dlm_index("results", "ix_results_dlm")).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("results").to_owned()).await
    }
}
