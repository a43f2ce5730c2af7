use crate::common::fk;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The outcomes a district's redesign serves (five by default, editable). Existing districts
/// get the five defaults here; districts created later get them from whatever creates them.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let t = Table::create()
            .table("redesign_pillars")
            .col(big_pk_auto("id"))
            .col(big_integer("district_org_id"))
            .col(integer("position"))
            .col(string_len("name", 200))
            .col(text("description"))
            .col(boolean("archived").default(false))
            .col(timestamp_with_time_zone("created_at"))
            .col(timestamp_with_time_zone("date_last_modified"))
            .index(Index::create().name("uq_redesign_pillars_name").col("district_org_id").col("name").unique())
            .foreign_key(&mut fk(
                "fk_redesign_pillars_district",
                "redesign_pillars",
                "district_org_id",
                "orgs",
                ForeignKeyAction::Cascade,
            ))
            .to_owned();
        manager.create_table(t).await?;
        // The same five defaults `redesign::store::DEFAULT_PILLARS` names, for districts that
        // exist already.
        let defaults = [
            ("Learner profiles", "Every student has an up-to-date record of strengths, needs, interests and goals."),
            ("Personal learning paths", "Each student follows a path of their own, chosen with their teachers."),
            ("Competency-based progression", "Students advance when they show mastery, not when the calendar says so."),
            ("Flexible learning environments", "Time, space and staffing bend to what students need."),
            ("Student agency", "Students own their learning: they set goals, choose and reflect."),
        ];
        for (position, (name, description)) in (1..).zip(defaults.iter()) {
            manager
                .get_connection()
                .execute_unprepared(&format!(
                    "INSERT INTO redesign_pillars (district_org_id, position, name, description, archived, created_at, date_last_modified) \
                     SELECT id, {position}, '{name}', '{description}', false, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP FROM orgs WHERE org_type = 'district'"
                ))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("redesign_pillars").to_owned()).await
    }
}
