use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The changes feed. `sync_clock` is one row whose counter a writing transaction advances as
/// its last statement, holding the row lock until it commits: sequence numbers are therefore
/// handed out in commit order, and a reader that has seen `seq` has seen everything before it.
/// `sync_changes` keeps one row per changed record (tombstones included) until retention
/// prunes it; `pruned_through` tells a caller whose cursor is older to resync fully.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let clock = Table::create()
            .table("sync_clock")
            .col(integer("id").primary_key())
            .col(big_integer("seq"))
            .col(big_integer("pruned_through"))
            .to_owned();
        manager.create_table(clock).await?;
        manager
            .exec_stmt(
                Query::insert()
                    .into_table("sync_clock")
                    .columns(["id", "seq", "pruned_through"])
                    .values_panic([1.into(), 0i64.into(), 0i64.into()])
                    .to_owned(),
            )
            .await?;
        let changes = Table::create()
            .table("sync_changes")
            .col(big_integer("seq").primary_key())
            .col(string_len("entity", 32))
            .col(big_integer("entity_id"))
            .col(big_integer_null("org_id"))
            .col(big_integer_null("learner_id"))
            .col(boolean("deleted"))
            .col(timestamp_with_time_zone("changed_at"))
            .to_owned();
        manager.create_table(changes).await?;
        manager
            .create_index(
                Index::create().name("ix_sync_changes_changed_at").table("sync_changes").col("changed_at").to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("sync_changes").to_owned()).await?;
        manager.drop_table(Table::drop().table("sync_clock").to_owned()).await
    }
}
