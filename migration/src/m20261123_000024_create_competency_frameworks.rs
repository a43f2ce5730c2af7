use crate::common::fk;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Competency frameworks of a district, identified by their CASE CFDocument identifier so a
/// re-import updates in place. Each framework carries how mastery is calculated from results
/// and the levels of its mastery scale (a JSON list of names and thresholds).
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let t = Table::create()
            .table("competency_frameworks")
            .col(big_pk_auto("id"))
            .col(big_integer("district_id"))
            .col(string_len("source_id", 255))
            .col(string_len_null("uri", 1000))
            .col(string_len("title", 500))
            .col(string_len_null("subject", 200))
            .col(string_len_null("grade_band", 100))
            .col(string_len_null("publisher", 300))
            .col(string_len_null("version", 100))
            .col(string_len("calculation", 32).default("DECAYING_AVERAGE"))
            .col(double("calculation_param").default(0.65))
            .col(json("levels"))
            .col(string_len("mastered_level", 64))
            .col(timestamp_with_time_zone("created_at"))
            .col(timestamp_with_time_zone("date_last_modified"))
            .foreign_key(&mut fk(
                "fk_competency_frameworks_district",
                "competency_frameworks",
                "district_id",
                "orgs",
                ForeignKeyAction::Restrict,
            ))
            .index(Index::create().name("uq_competency_frameworks_source").col("district_id").col("source_id").unique())
            .to_owned();
        manager.create_table(t).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("competency_frameworks").to_owned()).await
    }
}
