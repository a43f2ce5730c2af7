use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Third-party tools registered as OAuth 2.0 clients. The secret is stored only as an argon2
/// PHC string; `orgs` is a JSON list of org sourcedIds, or null for district-wide access.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let t = Table::create()
            .table("oauth_clients")
            .col(big_pk_auto("id"))
            .col(string_len("client_id", 64))
            .col(string_len("name", 255))
            .col(string_len("secret_hash", 255))
            .col(text("scopes"))
            .col(json_null("orgs"))
            .col(text("grant_types"))
            .col(boolean("enabled").default(true))
            .col(timestamp_with_time_zone("created_at"))
            .index(Index::create().name("uq_oauth_clients_client_id").col("client_id").unique())
            .to_owned();
        manager.create_table(t).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("oauth_clients").to_owned()).await
    }
}
