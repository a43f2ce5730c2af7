use crate::common::{dlm_index, fk, roster_table};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut t = roster_table("classes", "uq_classes_sourced_id");
        t.col(big_integer("org_id"))
            .col(big_integer("course_id"))
            .col(big_integer("term_id"))
            .col(string_len("title", 255))
            .col(string_len_null("class_code", 64))
            .col(string_len("class_type", 16))
            .col(string_len_null("subject", 128))
            .col(string_len_null("location", 128))
            .foreign_key(&mut fk("fk_classes_org", "classes", "org_id", "orgs", ForeignKeyAction::Restrict))
            .foreign_key(&mut fk("fk_classes_course", "classes", "course_id", "courses", ForeignKeyAction::Restrict))
            .foreign_key(&mut fk(
                "fk_classes_term",
                "classes",
                "term_id",
                "academic_sessions",
                ForeignKeyAction::Restrict,
            ));
        manager.create_table(t).await?;
        manager.create_index(dlm_index("classes", "ix_classes_dlm")).await?;
        manager.create_index(Index::create().name("ix_classes_org").table("classes").col("org_id").to_owned()).await?;
        manager
            .create_index(Index::create().name("ix_classes_course").table("classes").col("course_id").to_owned())
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("classes").to_owned()).await
    }
}
