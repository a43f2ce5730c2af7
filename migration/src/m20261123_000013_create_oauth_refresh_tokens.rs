use crate::common::fk;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Refresh tokens (SHA-256 hashes only). Each use rotates the token within its `family_id`;
/// presenting a used one again revokes the whole family (reuse detection).
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("oauth_refresh_tokens")
                    .col(big_pk_auto("id"))
                    .col(string_len("token_hash", 64))
                    .col(string_len("family_id", 64))
                    .col(string_len("client_id", 64))
                    .col(big_integer("user_id"))
                    .col(text("scope"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("expires_at"))
                    .col(timestamp_with_time_zone_null("used_at"))
                    .col(timestamp_with_time_zone_null("revoked_at"))
                    .index(Index::create().name("uq_oauth_refresh_tokens_hash").col("token_hash").unique())
                    .foreign_key(&mut fk(
                        "fk_oauth_refresh_tokens_user",
                        "oauth_refresh_tokens",
                        "user_id",
                        "users",
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_oauth_refresh_tokens_family")
                    .table("oauth_refresh_tokens")
                    .col("family_id")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("oauth_refresh_tokens").to_owned()).await
    }
}
