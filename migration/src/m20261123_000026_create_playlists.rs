use crate::common::{dlm_index, fk};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Playlists: a learner's own (per subject and term), or a template of a school (optionally
/// for a class) that is copied to each learner it is assigned to. A learner holds at most one
/// copy of a template, which keeps assignment idempotent.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let t = Table::create()
            .table("playlists")
            .col(big_pk_auto("id"))
            .col(big_integer("org_id"))
            .col(big_integer_null("learner_id"))
            .col(big_integer_null("class_id"))
            .col(big_integer_null("term_id"))
            .col(big_integer_null("template_id"))
            .col(boolean("is_template").default(false))
            .col(string_len("title", 300))
            .col(string_len("subject", 100))
            .col(string_len("created_by", 300))
            .col(string_len("status", 16).default("active"))
            .col(timestamp_with_time_zone("created_at"))
            .col(timestamp_with_time_zone("date_last_modified"))
            .foreign_key(&mut fk("fk_playlists_org", "playlists", "org_id", "orgs", ForeignKeyAction::Restrict))
            .foreign_key(&mut fk(
                "fk_playlists_learner",
                "playlists",
                "learner_id",
                "users",
                ForeignKeyAction::Restrict,
            ))
            .foreign_key(&mut fk("fk_playlists_class", "playlists", "class_id", "classes", ForeignKeyAction::SetNull))
            .foreign_key(&mut fk(
                "fk_playlists_term",
                "playlists",
                "term_id",
                "academic_sessions",
                ForeignKeyAction::SetNull,
            ))
            .foreign_key(&mut fk(
                "fk_playlists_template",
                "playlists",
                "template_id",
                "playlists",
                ForeignKeyAction::SetNull,
            ))
            .index(Index::create().name("uq_playlists_template_learner").col("template_id").col("learner_id").unique())
            .to_owned();
        manager.create_table(t).await?;
        manager
            .create_index(Index::create().name("ix_playlists_learner").table("playlists").col("learner_id").to_owned())
            .await?;
        manager.create_index(dlm_index("playlists", "ix_playlists_dlm")).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("playlists").to_owned()).await
    }
}
