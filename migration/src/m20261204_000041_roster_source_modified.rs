use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The tables a OneRoster import or `upsertRoster` writes.
const TABLES: [&str; 7] = ["orgs", "academic_sessions", "courses", "classes", "users", "enrollments", "demographics"];

/// The source's own `dateLastModified` of the version of a roster record that was last
/// written (as `results.source_modified` is a result's): a write older than it is stale.
/// `date_last_modified` stays learnergraph's own time of writing, which orders the changes feed.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in TABLES {
            manager
                .alter_table(
                    Table::alter().table(t).add_column(timestamp_with_time_zone_null("source_modified")).to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in TABLES {
            manager.alter_table(Table::alter().table(t).drop_column("source_modified").to_owned()).await?;
        }
        Ok(())
    }
}
