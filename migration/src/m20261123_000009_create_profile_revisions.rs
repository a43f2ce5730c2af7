use crate::common::fk;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Append-only history of a learner profile: who changed which fields, when, from what to what.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let t = Table::create()
            .table("profile_revisions")
            .col(big_pk_auto("id"))
            .col(big_integer("profile_id"))
            .col(integer("version"))
            .col(string_len("actor_kind", 16))
            .col(string_len("actor_id", 255))
            .col(string_len_null("actor_name", 255))
            .col(json("changes"))
            .col(timestamp_with_time_zone("changed_at"))
            .index(Index::create().name("uq_profile_revisions_version").col("profile_id").col("version").unique())
            .foreign_key(&mut fk(
                "fk_profile_revisions_profile",
                "profile_revisions",
                "profile_id",
                "learner_profiles",
                ForeignKeyAction::Cascade,
            ))
            .to_owned();
        manager.create_table(t).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("profile_revisions").to_owned()).await
    }
}
