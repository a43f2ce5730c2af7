use crate::common::{dlm_index, roster_table};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut t = roster_table("users", "uq_users_sourced_id");
        t.col(string_len("role", 16))
            .col(string_len("given_name", 128))
            .col(string_len("family_name", 128))
            .col(string_len_null("preferred_name", 128))
            .col(string_len_null("username", 255))
            .col(string_len_null("email", 255))
            .col(string_len_null("identifier", 255))
            .col(string_len_null("grades", 64))
            .col(boolean("enabled_user").default(true));
        manager.create_table(t).await?;
        manager.create_index(dlm_index("users", "ix_users_dlm")).await?;
        manager.create_index(Index::create().name("ix_users_role").table("users").col("role").to_owned()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("users").to_owned()).await
    }
}
