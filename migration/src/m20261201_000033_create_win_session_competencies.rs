use crate::common::fk;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The focus competencies of a session: placement favours students with the largest gaps in them.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let t = Table::create()
            .table("win_session_competencies")
            .col(big_integer("session_id"))
            .col(big_integer("competency_id"))
            .primary_key(Index::create().col("session_id").col("competency_id"))
            .foreign_key(&mut fk(
                "fk_win_session_competencies_session",
                "win_session_competencies",
                "session_id",
                "win_sessions",
                ForeignKeyAction::Cascade,
            ))
            .foreign_key(&mut fk(
                "fk_win_session_competencies_competency",
                "win_session_competencies",
                "competency_id",
                "competencies",
                ForeignKeyAction::Restrict,
            ))
            .to_owned();
        manager.create_table(t).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("win_session_competencies").to_owned()).await
    }
}
