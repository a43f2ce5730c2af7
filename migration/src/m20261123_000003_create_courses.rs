use crate::common::{dlm_index, fk, roster_table};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut t = roster_table("courses", "uq_courses_sourced_id");
        t.col(big_integer("org_id"))
            .col(string_len("title", 255))
            .col(string_len_null("course_code", 64))
            .col(string_len_null("subject", 128))
            .col(string_len_null("grades", 128))
            .foreign_key(&mut fk("fk_courses_org", "courses", "org_id", "orgs", ForeignKeyAction::Restrict));
        manager.create_table(t).await?;
        manager.create_index(dlm_index("courses", "ix_courses_dlm")).await?;
        manager.create_index(Index::create().name("ix_courses_org").table("courses").col("org_id").to_owned()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("courses").to_owned()).await
    }
}
