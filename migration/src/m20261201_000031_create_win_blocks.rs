use crate::common::fk;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// A school's WIN block on one date: students choose sessions until `choices_close_at`, up
/// to `max_choices` ranked; `placed_at` is when placement last ran. One block per school and date.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let t = Table::create()
            .table("win_blocks")
            .col(big_pk_auto("id"))
            .col(big_integer("org_id"))
            .col(date("block_date"))
            .col(timestamp_with_time_zone("choices_close_at"))
            .col(integer("max_choices"))
            .col(timestamp_with_time_zone_null("placed_at"))
            .col(timestamp_with_time_zone("created_at"))
            .col(timestamp_with_time_zone("date_last_modified"))
            .foreign_key(&mut fk("fk_win_blocks_org", "win_blocks", "org_id", "orgs", ForeignKeyAction::Restrict))
            .index(Index::create().name("uq_win_blocks_school_date").col("org_id").col("block_date").unique())
            .to_owned();
        manager.create_table(t).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("win_blocks").to_owned()).await
    }
}
