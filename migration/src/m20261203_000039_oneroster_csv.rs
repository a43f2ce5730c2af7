use crate::common::fk;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// What a OneRoster 1.2 CSV set carries that the roster tables did not hold, so that a
/// district's SIS export can be imported and exported again unchanged: every name field and
/// identifier of a user, guardians and other agents, the exact OneRoster role of each
/// membership with its dates, a class's several terms, grades, subject codes and periods, a
/// course's school year; and the record of each import.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column per statement.
        for name in [
            "middle_name",
            "preferred_middle_name",
            "preferred_family_name",
            "user_ids",
            "sms",
            "phone",
            "master_identifier",
            "pronouns",
        ] {
            manager.alter_table(Table::alter().table("users").add_column(text_null(name)).to_owned()).await?;
        }
        manager
            .alter_table(Table::alter().table("users").add_column(big_integer_null("primary_org_id")).to_owned())
            .await?;
        for name in ["sourced_id", "oneroster_role"] {
            manager.alter_table(Table::alter().table("user_orgs").add_column(text_null(name)).to_owned()).await?;
        }
        for name in ["begin_date", "end_date"] {
            manager.alter_table(Table::alter().table("user_orgs").add_column(date_null(name)).to_owned()).await?;
        }
        for name in ["grades", "subject_codes", "periods"] {
            manager.alter_table(Table::alter().table("classes").add_column(text_null(name)).to_owned()).await?;
        }
        manager
            .alter_table(Table::alter().table("courses").add_column(big_integer_null("school_year_id")).to_owned())
            .await?;
        manager.alter_table(Table::alter().table("courses").add_column(text_null("subject_codes")).to_owned()).await?;
        // SIS values are longer than the first schema allowed (several subjects, ext: types);
        // SQLite does not enforce lengths, PostgreSQL widens them in place.
        if manager.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
            for (table, column) in [
                ("users", "given_name"),
                ("users", "family_name"),
                ("users", "preferred_name"),
                ("users", "grades"),
                ("courses", "subject"),
                ("courses", "grades"),
                ("courses", "course_code"),
                ("classes", "subject"),
                ("classes", "location"),
                ("classes", "class_code"),
                ("classes", "class_type"),
                ("academic_sessions", "session_type"),
            ] {
                manager
                    .get_connection()
                    .execute_unprepared(&format!("ALTER TABLE {table} ALTER COLUMN {column} TYPE TEXT"))
                    .await?;
            }
        }
        manager
            .create_table(
                Table::create()
                    .table("user_agents")
                    .col(big_integer("user_id"))
                    .col(big_integer("agent_id"))
                    .col(integer("position").default(0))
                    .primary_key(Index::create().name("pk_user_agents").col("user_id").col("agent_id"))
                    .foreign_key(&mut fk(
                        "fk_user_agents_user",
                        "user_agents",
                        "user_id",
                        "users",
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_user_agents_agent",
                        "user_agents",
                        "agent_id",
                        "users",
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(Index::create().name("ix_user_agents_agent").table("user_agents").col("agent_id").to_owned())
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("class_terms")
                    .col(big_integer("class_id"))
                    .col(big_integer("term_id"))
                    .col(integer("position").default(0))
                    .primary_key(Index::create().name("pk_class_terms").col("class_id").col("term_id"))
                    .foreign_key(&mut fk(
                        "fk_class_terms_class",
                        "class_terms",
                        "class_id",
                        "classes",
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_class_terms_term",
                        "class_terms",
                        "term_id",
                        "academic_sessions",
                        ForeignKeyAction::Restrict,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(Index::create().name("ix_class_terms_term").table("class_terms").col("term_id").to_owned())
            .await?;
        // Every class so far had one term.
        manager
            .get_connection()
            .execute_unprepared(
                "INSERT INTO class_terms (class_id, term_id, position) SELECT id, term_id, 0 FROM classes",
            )
            .await?;
        // Demographics (OneRoster demographics.csv): imported only when asked for, read only
        // with their own scope. One row per user; the sourcedId is the user's.
        manager
            .create_table(
                Table::create()
                    .table("demographics")
                    .col(big_integer("user_id").primary_key())
                    .col(string_len("status", 16).default("active"))
                    .col(timestamp_with_time_zone("date_last_modified"))
                    .col(date_null("birth_date"))
                    .col(text_null("sex"))
                    .col(boolean_null("american_indian_or_alaska_native"))
                    .col(boolean_null("asian"))
                    .col(boolean_null("black_or_african_american"))
                    .col(boolean_null("native_hawaiian_or_other_pacific_islander"))
                    .col(boolean_null("white"))
                    .col(boolean_null("demographic_race_two_or_more_races"))
                    .col(boolean_null("hispanic_or_latino_ethnicity"))
                    .col(text_null("country_of_birth_code"))
                    .col(text_null("state_of_birth_abbreviation"))
                    .col(text_null("city_of_birth"))
                    .col(text_null("public_school_residence_status"))
                    .foreign_key(&mut fk(
                        "fk_demographics_user",
                        "demographics",
                        "user_id",
                        "users",
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("roster_imports")
                    .col(big_pk_auto("id"))
                    .col(timestamp_with_time_zone("started_at"))
                    .col(timestamp_with_time_zone_null("finished_at"))
                    .col(string_len("ran_by", 255))
                    .col(text("source"))
                    .col(string_len("version", 16))
                    .col(string_len("outcome", 32))
                    .col(boolean("dry_run"))
                    .col(boolean("skip_invalid"))
                    .col(text("manifest"))
                    .col(text("counts"))
                    .col(text("problems"))
                    .col(big_integer("problem_count").default(0))
                    .col(big_integer("warning_count").default(0))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create().name("ix_roster_imports_started").table("roster_imports").col("started_at").to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in ["roster_imports", "demographics", "class_terms", "user_agents"] {
            manager.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        for c in ["school_year_id", "subject_codes"] {
            manager.alter_table(Table::alter().table("courses").drop_column(c).to_owned()).await?;
        }
        for c in ["grades", "subject_codes", "periods"] {
            manager.alter_table(Table::alter().table("classes").drop_column(c).to_owned()).await?;
        }
        for c in ["sourced_id", "oneroster_role", "begin_date", "end_date"] {
            manager.alter_table(Table::alter().table("user_orgs").drop_column(c).to_owned()).await?;
        }
        for c in [
            "middle_name",
            "preferred_middle_name",
            "preferred_family_name",
            "user_ids",
            "sms",
            "phone",
            "master_identifier",
            "pronouns",
            "primary_org_id",
        ] {
            manager.alter_table(Table::alter().table("users").drop_column(c).to_owned()).await?;
        }
        Ok(())
    }
}
