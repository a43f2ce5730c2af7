use crate::common::fk;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// A user's membership of an org (OneRoster `user.roles[]`): a student at a school, a teacher at
/// two schools, an administrator of the district.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let t = Table::create()
            .table("user_orgs")
            .col(big_integer("user_id"))
            .col(big_integer("org_id"))
            .col(string_len("role", 16))
            .col(boolean("is_primary").default(false))
            .primary_key(Index::create().name("pk_user_orgs").col("user_id").col("org_id"))
            .foreign_key(&mut fk("fk_user_orgs_user", "user_orgs", "user_id", "users", ForeignKeyAction::Cascade))
            .foreign_key(&mut fk("fk_user_orgs_org", "user_orgs", "org_id", "orgs", ForeignKeyAction::Restrict))
            .to_owned();
        manager.create_table(t).await?;
        manager
            .create_index(
                Index::create().name("ix_user_orgs_org").table("user_orgs").col("org_id").col("user_id").to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("user_orgs").to_owned()).await
    }
}
