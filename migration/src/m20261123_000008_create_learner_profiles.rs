use crate::common::fk;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// One profile per student. List-valued parts are JSON documents: the profile is edited as a
/// whole by a teacher and a student together, versioned as a whole (`version`) for optimistic
/// concurrency, and its history lives in `profile_revisions`. The sensitive parts
/// (`accommodations`, `support_notes`) are separate columns so they can be guarded separately.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let t = Table::create()
            .table("learner_profiles")
            .col(big_pk_auto("id"))
            .col(big_integer("user_id"))
            .col(integer("version"))
            .col(json("strengths"))
            .col(json("interests"))
            .col(json("goals"))
            .col(json("modalities"))
            .col(string_len_null("pace", 32))
            .col(json("accommodations"))
            .col(text_null("support_notes"))
            .col(timestamp_with_time_zone("created_at"))
            .col(timestamp_with_time_zone("date_last_modified"))
            .index(Index::create().name("uq_learner_profiles_user").col("user_id").unique())
            .foreign_key(&mut fk(
                "fk_learner_profiles_user",
                "learner_profiles",
                "user_id",
                "users",
                ForeignKeyAction::Cascade,
            ))
            .to_owned();
        manager.create_table(t).await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_learner_profiles_dlm")
                    .table("learner_profiles")
                    .col("date_last_modified")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("learner_profiles").to_owned()).await
    }
}
