use crate::common::{dlm_index, fk, roster_table};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut t = roster_table("enrollments", "uq_enrollments_sourced_id");
        t.col(big_integer("class_id"))
            .col(big_integer("user_id"))
            .col(string_len("role", 16))
            .col(boolean("is_primary").default(false))
            .col(date_null("begin_date"))
            .col(date_null("end_date"))
            .foreign_key(&mut fk(
                "fk_enrollments_class",
                "enrollments",
                "class_id",
                "classes",
                ForeignKeyAction::Restrict,
            ))
            .foreign_key(&mut fk("fk_enrollments_user", "enrollments", "user_id", "users", ForeignKeyAction::Restrict));
        manager.create_table(t).await?;
        manager.create_index(dlm_index("enrollments", "ix_enrollments_dlm")).await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_enrollments_class_role")
                    .table("enrollments")
                    .col("class_id")
                    .col("role")
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(Index::create().name("ix_enrollments_user").table("enrollments").col("user_id").to_owned())
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("enrollments").to_owned()).await
    }
}
