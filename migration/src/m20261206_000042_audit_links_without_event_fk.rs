use sea_orm_migration::{prelude::*, sea_orm::DatabaseBackend};

use crate::common::fk;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The audit's students are written only by the audit writer, in the same transaction as their
/// event, so the foreign key from `audit_event_learners` to `audit_events` proves nothing the
/// writer does not; and on PostgreSQL it cost a check per student row whose plan each
/// connection keeps from its first use. A writer connection that first checked against a
/// nearly empty `audit_events` kept a sequential scan: once the table had grown to 25,000
/// events in the load benchmark, one batch's students took longer than the 15 s statement
/// timeout, and every write waiting for its audit event with it. SQLite checks a foreign key by
/// rowid whatever the table's size, and a dropped constraint there means rebuilding the table:
/// it keeps it. (Deleting events, as a retention purge will, then deletes their students
/// explicitly on PostgreSQL.)
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(());
        }
        manager
            .alter_table(
                Table::alter()
                    .table("audit_event_learners")
                    .drop_foreign_key("fk_audit_event_learners_event")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(());
        }
        manager
            .create_foreign_key(fk(
                "fk_audit_event_learners_event",
                "audit_event_learners",
                "event_id",
                "audit_events",
                ForeignKeyAction::Cascade,
            ))
            .await
    }
}
