use crate::common::fk;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Competencies (CASE CFItems) of a framework, with their parent in the hierarchy.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let t = Table::create()
            .table("competencies")
            .col(big_pk_auto("id"))
            .col(big_integer("framework_id"))
            .col(string_len("source_id", 255))
            .col(string_len_null("code", 100))
            .col(text("statement"))
            .col(string_len_null("item_type", 100))
            .col(big_integer_null("parent_id"))
            .col(integer("position").default(0))
            .col(string_len("status", 16).default("active"))
            .col(timestamp_with_time_zone("date_last_modified"))
            .foreign_key(&mut fk(
                "fk_competencies_framework",
                "competencies",
                "framework_id",
                "competency_frameworks",
                ForeignKeyAction::Cascade,
            ))
            .foreign_key(&mut fk(
                "fk_competencies_parent",
                "competencies",
                "parent_id",
                "competencies",
                ForeignKeyAction::SetNull,
            ))
            .index(Index::create().name("uq_competencies_source").col("framework_id").col("source_id").unique())
            .to_owned();
        manager.create_table(t).await?;
        manager
            .create_index(
                Index::create().name("ix_competencies_source_id").table("competencies").col("source_id").to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("competencies").to_owned()).await
    }
}
