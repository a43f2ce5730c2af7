use crate::common::{dlm_index, fk};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Items of a playlist in order, each with its mastery plan and state; the competencies each
/// item builds; and every state transition with who made it.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let items = Table::create()
            .table("playlist_items")
            .col(big_pk_auto("id"))
            .col(big_integer("playlist_id"))
            .col(big_integer_null("template_item_id"))
            .col(integer("position"))
            .col(string_len("title", 300))
            .col(text_null("description"))
            .col(string_len_null("resource_url", 2000))
            .col(string_len_null("tool", 200))
            .col(integer_null("estimated_minutes"))
            .col(string_len("evidence", 32))
            .col(date_null("target_date"))
            .col(string_len("state", 32).default("NOT_STARTED"))
            .col(string_len("status", 16).default("active"))
            .col(timestamp_with_time_zone("created_at"))
            .col(timestamp_with_time_zone("date_last_modified"))
            .foreign_key(&mut fk(
                "fk_playlist_items_playlist",
                "playlist_items",
                "playlist_id",
                "playlists",
                ForeignKeyAction::Cascade,
            ))
            .to_owned();
        manager.create_table(items).await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_playlist_items_playlist")
                    .table("playlist_items")
                    .col("playlist_id")
                    .to_owned(),
            )
            .await?;
        manager.create_index(dlm_index("playlist_items", "ix_playlist_items_dlm")).await?;
        let links = Table::create()
            .table("playlist_item_competencies")
            .col(big_integer("item_id"))
            .col(big_integer("competency_id"))
            .primary_key(Index::create().col("item_id").col("competency_id"))
            .foreign_key(&mut fk(
                "fk_item_competencies_item",
                "playlist_item_competencies",
                "item_id",
                "playlist_items",
                ForeignKeyAction::Cascade,
            ))
            .foreign_key(&mut fk(
                "fk_item_competencies_competency",
                "playlist_item_competencies",
                "competency_id",
                "competencies",
                ForeignKeyAction::Restrict,
            ))
            .to_owned();
        manager.create_table(links).await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_item_competencies_competency")
                    .table("playlist_item_competencies")
                    .col("competency_id")
                    .to_owned(),
            )
            .await?;
        let changes = Table::create()
            .table("playlist_item_transitions")
            .col(big_pk_auto("id"))
            .col(big_integer("item_id"))
            .col(string_len_null("from_state", 32))
            .col(string_len("to_state", 32))
            .col(string_len("actor_kind", 16))
            .col(string_len("actor_id", 255))
            .col(string_len_null("note", 1000))
            .col(timestamp_with_time_zone("changed_at"))
            .foreign_key(&mut fk(
                "fk_item_transitions_item",
                "playlist_item_transitions",
                "item_id",
                "playlist_items",
                ForeignKeyAction::Cascade,
            ))
            .to_owned();
        manager.create_table(changes).await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_item_transitions_item")
                    .table("playlist_item_transitions")
                    .col("item_id")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("playlist_item_transitions").to_owned()).await?;
        manager.drop_table(Table::drop().table("playlist_item_competencies").to_owned()).await?;
        manager.drop_table(Table::drop().table("playlist_items").to_owned()).await
    }
}
