use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Access tokens revoked before they expire (RFC 7009), by `jti`; a row may go once the token
/// it names has expired. `family_id` also revokes the access tokens of a refresh family.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("oauth_revocations")
                    .col(string_len("key", 80).primary_key())
                    .col(timestamp_with_time_zone("expires_at"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("oauth_revocations").to_owned()).await
    }
}
