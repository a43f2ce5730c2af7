use crate::common::fk;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Each learner's mastery of each competency, recomputed from their results whenever one of
/// them changes (so reads never recompute).
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let t = Table::create()
            .table("masteries")
            .col(big_integer("learner_id"))
            .col(big_integer("competency_id"))
            .col(double_null("value"))
            .col(string_len_null("level", 64))
            .col(boolean("mastered"))
            .col(integer("evidence_count"))
            .col(timestamp_with_time_zone_null("last_evidence_at"))
            .col(timestamp_with_time_zone("date_last_modified"))
            .primary_key(Index::create().col("learner_id").col("competency_id"))
            .foreign_key(&mut fk("fk_masteries_learner", "masteries", "learner_id", "users", ForeignKeyAction::Cascade))
            .foreign_key(&mut fk(
                "fk_masteries_competency",
                "masteries",
                "competency_id",
                "competencies",
                ForeignKeyAction::Cascade,
            ))
            .to_owned();
        manager.create_table(t).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("masteries").to_owned()).await
    }
}
