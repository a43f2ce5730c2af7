use crate::common::fk;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// A school's redesign plan: its stage, application, mission and vision, presentation, and
/// the funding terms the district set (ceiling in integer cents, first fiscal year, span).
/// `funds_version` is bumped by every money write so that concurrent writes to one plan's
/// money serialize on its row (PostgreSQL row lock; SQLite's single writer).
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let t = Table::create()
            .table("redesign_plans")
            .col(big_pk_auto("id"))
            .col(big_integer("school_org_id"))
            .col(big_integer("district_org_id"))
            .col(big_integer("cohort_id"))
            .col(string_len("stage", 32))
            .col(text("application"))
            .col(text_null("mission"))
            .col(text_null("vision"))
            .col(timestamp_with_time_zone_null("presentation_at"))
            .col(text_null("presentation_outcome"))
            .col(text_null("decline_reasons"))
            .col(big_integer("funding_ceiling_cents"))
            .col(integer("first_fiscal_year"))
            .col(integer("span_years"))
            .col(integer("funds_version").default(0))
            .col(timestamp_with_time_zone("stage_changed_at"))
            .col(timestamp_with_time_zone("created_at"))
            .col(timestamp_with_time_zone("date_last_modified"))
            .index(
                Index::create().name("uq_redesign_plans_school_cohort").col("school_org_id").col("cohort_id").unique(),
            )
            .foreign_key(&mut fk(
                "fk_redesign_plans_school",
                "redesign_plans",
                "school_org_id",
                "orgs",
                ForeignKeyAction::Cascade,
            ))
            .foreign_key(&mut fk(
                "fk_redesign_plans_district",
                "redesign_plans",
                "district_org_id",
                "orgs",
                ForeignKeyAction::Cascade,
            ))
            .foreign_key(&mut fk(
                "fk_redesign_plans_cohort",
                "redesign_plans",
                "cohort_id",
                "redesign_cohorts",
                ForeignKeyAction::Restrict,
            ))
            .to_owned();
        manager.create_table(t).await?;
        // A school has at most one plan that is not declined; both databases accept a partial
        // unique index in this form.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX uq_redesign_plans_open_school ON redesign_plans (school_org_id) WHERE stage <> 'declined'",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("redesign_plans").to_owned()).await
    }
}
