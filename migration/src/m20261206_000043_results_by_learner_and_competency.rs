use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The mastery roll-up reads a learner's results on one competency (the pairs a write
/// touched), and the results naming no competency (evidence through an item or a line item).
/// With only `learner_id` indexed, every pair read each of its learner's results, a cost that
/// grew with the learner's history. `(learner_id, competency_id)` serves both reads, and every
/// lookup by learner alone, so it replaces `ix_results_learner`. The results naming no
/// competency get a partial index of their own: a batch touching a third of a district's
/// learners otherwise read every result PostgreSQL held to find them (a sequential scan, whose
/// cost grew with the table, chosen over a thousand probes of the composite index).
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("ix_results_learner_competency")
                    .table("results")
                    .col("learner_id")
                    .col("competency_id")
                    .to_owned(),
            )
            .await?;
        manager.drop_index(Index::drop().name("ix_results_learner").table("results").to_owned()).await?;
        // Partial indexes are written the same on both backends; sea-query builds none.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE INDEX ix_results_learner_without_competency ON results (learner_id) WHERE competency_id IS NULL",
            )
            .await
            .map(|_| ())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.get_connection().execute_unprepared("DROP INDEX ix_results_learner_without_competency").await?;
        manager
            .create_index(Index::create().name("ix_results_learner").table("results").col("learner_id").to_owned())
            .await?;
        manager.drop_index(Index::drop().name("ix_results_learner_competency").table("results").to_owned()).await
    }
}
