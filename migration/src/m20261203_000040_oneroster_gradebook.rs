use crate::common::{dlm_index, fk, roster_table};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The OneRoster gradebook a SIS exports beside its roster: categories, score scales, line
/// items (a class's assignments) with the learning objectives they assess, and results. A
/// result is stored in `results`, the table `postResults` writes, with the OneRoster fields
/// that have no counterpart there.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                roster_table("gradebook_categories", "uq_gradebook_categories_sourced_id")
                    .col(text("title"))
                    .col(double_null("weight"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                roster_table("score_scales", "uq_score_scales_sourced_id")
                    .col(text("title"))
                    .col(text("scale_type"))
                    .col(big_integer_null("org_id"))
                    .col(big_integer_null("course_id"))
                    .col(big_integer_null("class_id"))
                    .col(text_null("scale_values"))
                    .foreign_key(&mut fk(
                        "fk_score_scales_org",
                        "score_scales",
                        "org_id",
                        "orgs",
                        ForeignKeyAction::Restrict,
                    ))
                    .foreign_key(&mut fk(
                        "fk_score_scales_course",
                        "score_scales",
                        "course_id",
                        "courses",
                        ForeignKeyAction::Restrict,
                    ))
                    .foreign_key(&mut fk(
                        "fk_score_scales_class",
                        "score_scales",
                        "class_id",
                        "classes",
                        ForeignKeyAction::Restrict,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                roster_table("line_items", "uq_line_items_sourced_id")
                    .col(text("title"))
                    .col(text_null("description"))
                    .col(timestamp_with_time_zone("assign_date"))
                    .col(timestamp_with_time_zone("due_date"))
                    .col(big_integer("class_id"))
                    .col(big_integer_null("school_id"))
                    .col(big_integer_null("category_id"))
                    .col(big_integer_null("academic_session_id"))
                    .col(double_null("result_value_min"))
                    .col(double_null("result_value_max"))
                    .foreign_key(&mut fk(
                        "fk_line_items_class",
                        "line_items",
                        "class_id",
                        "classes",
                        ForeignKeyAction::Restrict,
                    ))
                    .foreign_key(&mut fk(
                        "fk_line_items_school",
                        "line_items",
                        "school_id",
                        "orgs",
                        ForeignKeyAction::Restrict,
                    ))
                    .foreign_key(&mut fk(
                        "fk_line_items_category",
                        "line_items",
                        "category_id",
                        "gradebook_categories",
                        ForeignKeyAction::Restrict,
                    ))
                    .foreign_key(&mut fk(
                        "fk_line_items_session",
                        "line_items",
                        "academic_session_id",
                        "academic_sessions",
                        ForeignKeyAction::Restrict,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(Index::create().name("ix_line_items_class").table("line_items").col("class_id").to_owned())
            .await?;
        manager.create_index(dlm_index("line_items", "ix_line_items_dlm")).await?;
        // lineItemLearningObjectiveIds.csv: what a line item assesses, matched to the district's
        // competencies by their CASE identifier whenever mastery is computed (so a framework
        // imported after the gradebook still takes its evidence).
        manager
            .create_table(
                roster_table("line_item_objectives", "uq_line_item_objectives_sourced_id")
                    .col(big_integer("line_item_id"))
                    .col(text("source"))
                    .col(string_len("objective_id", 255))
                    .foreign_key(&mut fk(
                        "fk_line_item_objectives_item",
                        "line_item_objectives",
                        "line_item_id",
                        "line_items",
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_line_item_objectives_item")
                    .table("line_item_objectives")
                    .col("line_item_id")
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_line_item_objectives_objective")
                    .table("line_item_objectives")
                    .col("objective_id")
                    .to_owned(),
            )
            .await?;
        // SQLite alters one column per statement.
        manager
            .alter_table(Table::alter().table("results").add_column(big_integer_null("line_item_id")).to_owned())
            .await?;
        manager
            .alter_table(Table::alter().table("results").add_column(big_integer_null("class_id")).to_owned())
            .await?;
        for name in ["score_status", "text_score"] {
            manager.alter_table(Table::alter().table("results").add_column(text_null(name)).to_owned()).await?;
        }
        manager.alter_table(Table::alter().table("results").add_column(date_null("score_date")).to_owned()).await?;
        // The SIS's dateLastModified of the version stored: an older row is stale.
        manager
            .alter_table(
                Table::alter().table("results").add_column(timestamp_with_time_zone_null("source_modified")).to_owned(),
            )
            .await?;
        for name in ["in_progress", "incomplete", "late", "missing"] {
            manager.alter_table(Table::alter().table("results").add_column(boolean_null(name)).to_owned()).await?;
        }
        manager
            .create_index(Index::create().name("ix_results_line_item").table("results").col("line_item_id").to_owned())
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name("ix_results_line_item").table("results").to_owned()).await?;
        for c in [
            "line_item_id",
            "class_id",
            "score_status",
            "text_score",
            "score_date",
            "source_modified",
            "in_progress",
            "incomplete",
            "late",
            "missing",
        ] {
            manager.alter_table(Table::alter().table("results").drop_column(c).to_owned()).await?;
        }
        for t in ["line_item_objectives", "line_items", "score_scales", "gradebook_categories"] {
            manager.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
