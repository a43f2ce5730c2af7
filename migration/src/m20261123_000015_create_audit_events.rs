use crate::common::fk;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The access audit trail: one event per request that read or wrote student records, and the
/// students it touched, so a district can answer "which vendor saw this child's data".
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("audit_events")
                    .col(big_pk_auto("id"))
                    .col(timestamp_with_time_zone("occurred_at"))
                    .col(string_len("actor_kind", 16))
                    .col(string_len("actor_id", 255))
                    .col(string_len_null("client_id", 64))
                    .col(string_len("operation_type", 16))
                    .col(string_len_null("operation_name", 255))
                    .col(text("fields"))
                    .col(string_len_null("request_id", 64))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create().name("ix_audit_events_at").table("audit_events").col("occurred_at").to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("audit_event_learners")
                    .col(big_integer("event_id"))
                    .col(big_integer("user_id"))
                    .primary_key(Index::create().name("pk_audit_event_learners").col("event_id").col("user_id"))
                    .foreign_key(&mut fk(
                        "fk_audit_event_learners_event",
                        "audit_event_learners",
                        "event_id",
                        "audit_events",
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_audit_event_learners_user")
                    .table("audit_event_learners")
                    .col("user_id")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("audit_event_learners").to_owned()).await?;
        manager.drop_table(Table::drop().table("audit_events").to_owned()).await
    }
}
