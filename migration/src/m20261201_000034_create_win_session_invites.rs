use crate::common::fk;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The students invited to a session.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let t = Table::create()
            .table("win_session_invites")
            .col(big_integer("session_id"))
            .col(big_integer("learner_id"))
            .primary_key(Index::create().col("session_id").col("learner_id"))
            .foreign_key(&mut fk(
                "fk_win_session_invites_session",
                "win_session_invites",
                "session_id",
                "win_sessions",
                ForeignKeyAction::Cascade,
            ))
            .foreign_key(&mut fk(
                "fk_win_session_invites_learner",
                "win_session_invites",
                "learner_id",
                "users",
                ForeignKeyAction::Cascade,
            ))
            .to_owned();
        manager.create_table(t).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("win_session_invites").to_owned()).await
    }
}
