use crate::common::{dlm_index, fk, roster_table};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut t = roster_table("academic_sessions", "uq_academic_sessions_sourced_id");
        t.col(big_integer("org_id"))
            .col(string_len("title", 255))
            .col(string_len("session_type", 32))
            .col(date("start_date"))
            .col(date("end_date"))
            .col(integer("school_year"))
            .col(big_integer_null("parent_id"))
            .foreign_key(&mut fk(
                "fk_academic_sessions_org",
                "academic_sessions",
                "org_id",
                "orgs",
                ForeignKeyAction::Restrict,
            ))
            .foreign_key(&mut fk(
                "fk_academic_sessions_parent",
                "academic_sessions",
                "parent_id",
                "academic_sessions",
                ForeignKeyAction::Restrict,
            ));
        manager.create_table(t).await?;
        manager.create_index(dlm_index("academic_sessions", "ix_academic_sessions_dlm")).await?;
        manager
            .create_index(
                Index::create().name("ix_academic_sessions_org").table("academic_sessions").col("org_id").to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("academic_sessions").to_owned()).await
    }
}
