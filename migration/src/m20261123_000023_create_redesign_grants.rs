use crate::common::fk;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Money committed to a plan (a planning grant, implementation funds by fiscal year) and its
/// disbursements, all in integer cents. Rows are never deleted: money has an audit trail.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let grants = Table::create()
            .table("redesign_grants")
            .col(big_pk_auto("id"))
            .col(big_integer("plan_id"))
            .col(string_len("kind", 16))
            .col(integer("fiscal_year"))
            .col(big_integer("amount_cents"))
            .col(date("awarded_on"))
            .col(string_len("actor_kind", 16))
            .col(string_len("actor_id", 255))
            .col(timestamp_with_time_zone("created_at"))
            .foreign_key(&mut fk(
                "fk_redesign_grants_plan",
                "redesign_grants",
                "plan_id",
                "redesign_plans",
                ForeignKeyAction::Restrict,
            ))
            .to_owned();
        manager.create_table(grants).await?;
        manager
            .create_index(
                Index::create().name("ix_redesign_grants_plan").table("redesign_grants").col("plan_id").to_owned(),
            )
            .await?;
        let disbursements = Table::create()
            .table("redesign_disbursements")
            .col(big_pk_auto("id"))
            .col(big_integer("grant_id"))
            .col(big_integer("plan_id"))
            .col(integer("fiscal_year"))
            .col(big_integer("amount_cents"))
            .col(date("disbursed_on"))
            .col(text_null("note"))
            .col(string_len("actor_kind", 16))
            .col(string_len("actor_id", 255))
            .col(timestamp_with_time_zone("created_at"))
            .foreign_key(&mut fk(
                "fk_redesign_disbursements_grant",
                "redesign_disbursements",
                "grant_id",
                "redesign_grants",
                ForeignKeyAction::Restrict,
            ))
            .foreign_key(&mut fk(
                "fk_redesign_disbursements_plan",
                "redesign_disbursements",
                "plan_id",
                "redesign_plans",
                ForeignKeyAction::Restrict,
            ))
            .to_owned();
        manager.create_table(disbursements).await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_redesign_disbursements_plan")
                    .table("redesign_disbursements")
                    .col("plan_id")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("redesign_disbursements").to_owned()).await?;
        manager.drop_table(Table::drop().table("redesign_grants").to_owned()).await
    }
}
