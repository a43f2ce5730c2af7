use crate::common::fk;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// A year's cohort of schools entering redesign: a target size and an application window.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let t = Table::create()
            .table("redesign_cohorts")
            .col(big_pk_auto("id"))
            .col(big_integer("district_org_id"))
            .col(integer("year"))
            .col(string_len("name", 200))
            .col(integer("target_size"))
            .col(date("application_opens_on"))
            .col(date("application_closes_on"))
            .col(timestamp_with_time_zone("created_at"))
            .col(timestamp_with_time_zone("date_last_modified"))
            .index(Index::create().name("uq_redesign_cohorts_year").col("district_org_id").col("year").unique())
            .foreign_key(&mut fk(
                "fk_redesign_cohorts_district",
                "redesign_cohorts",
                "district_org_id",
                "orgs",
                ForeignKeyAction::Cascade,
            ))
            .to_owned();
        manager.create_table(t).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("redesign_cohorts").to_owned()).await
    }
}
