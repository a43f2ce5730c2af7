use crate::common::{dlm_index, fk, roster_table};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut t = roster_table("orgs", "uq_orgs_sourced_id");
        t.col(string_len("org_type", 16))
            .col(string_len("name", 255))
            .col(string_len_null("identifier", 255))
            .col(big_integer_null("parent_id"))
            .foreign_key(&mut fk("fk_orgs_parent", "orgs", "parent_id", "orgs", ForeignKeyAction::Restrict));
        manager.create_table(t).await?;
        manager.create_index(dlm_index("orgs", "ix_orgs_dlm")).await?;
        manager.create_index(Index::create().name("ix_orgs_parent").table("orgs").col("parent_id").to_owned()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("orgs").to_owned()).await
    }
}
