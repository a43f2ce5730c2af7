use crate::common::fk;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The authorization-code flow's state, kept in the database so that any replica can serve any
/// step: pending sign-ins (`oauth_authorization_requests`) and issued codes (`oauth_codes`,
/// stored as SHA-256 hashes, single use).
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("oauth_authorization_requests")
                    .col(string_len("id", 64).primary_key())
                    .col(string_len("client_id", 64))
                    .col(text("redirect_uri"))
                    .col(text("scope"))
                    .col(text_null("state"))
                    .col(string_len("code_challenge", 128))
                    .col(text_null("upstream_verifier"))
                    .col(timestamp_with_time_zone("expires_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("oauth_codes")
                    .col(string_len("code_hash", 64).primary_key())
                    .col(string_len("client_id", 64))
                    .col(big_integer("user_id"))
                    .col(text("redirect_uri"))
                    .col(text("scope"))
                    .col(string_len("code_challenge", 128))
                    .col(string_len_null("family_id", 64))
                    .col(timestamp_with_time_zone("expires_at"))
                    .col(timestamp_with_time_zone_null("used_at"))
                    .foreign_key(&mut fk(
                        "fk_oauth_codes_user",
                        "oauth_codes",
                        "user_id",
                        "users",
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("oauth_codes").to_owned()).await?;
        manager.drop_table(Table::drop().table("oauth_authorization_requests").to_owned()).await
    }
}
