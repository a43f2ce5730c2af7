use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Time zones for districts and schools (IANA names; a school without one uses its
/// district's), and what WIN needs to say when a placement no longer stands: a block whose
/// choices or decisions changed after its placement run is outdated until placement runs
/// again; a placement made before choices closed is provisional; and how many sessions the
/// student had ranked when placed (the choice shares count only students who chose).
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column per statement.
        manager
            .alter_table(Table::alter().table("orgs").add_column(string_len_null("time_zone", 64)).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter().table("win_blocks").add_column(boolean("placement_outdated").default(false)).to_owned(),
            )
            .await?;
        for name in ["outdated", "provisional"] {
            manager
                .alter_table(
                    Table::alter().table("win_assignments").add_column(boolean(name).default(false)).to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter().table("win_assignments").add_column(integer("choices_made").default(0)).to_owned(),
            )
            .await?;
        // Placements made before: how many sessions each student has ranked (the nearest to
        // what they had ranked when placed).
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE win_assignments SET choices_made = (SELECT COUNT(*) FROM win_choices c \
                 WHERE c.block_id = win_assignments.block_id AND c.learner_id = win_assignments.learner_id)",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for c in ["outdated", "provisional", "choices_made"] {
            manager.alter_table(Table::alter().table("win_assignments").drop_column(c).to_owned()).await?;
        }
        manager.alter_table(Table::alter().table("win_blocks").drop_column("placement_outdated").to_owned()).await?;
        manager.alter_table(Table::alter().table("orgs").drop_column("time_zone").to_owned()).await
    }
}
