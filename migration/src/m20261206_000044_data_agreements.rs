use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Data-sharing agreements: what a vendor's clients may see of the district's students (which
/// types and fields, which schools, for which purpose and term). A client is either the
/// district's own (`internal`, a school official needing no agreement) or bound to one; a
/// vendor client bound to none sees no student data. Clients registered before agreements
/// existed were trusted with everything their scopes allowed: they are marked internal, so an
/// upgrade cuts off no integration, and `client list` shows them for the privacy officer to bind.
/// Audit events name the agreement a request was served under.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("data_agreements")
                    .col(pk_auto("id").big_integer())
                    .col(string_len("agreement_id", 64))
                    .col(string_len("vendor", 255))
                    .col(text("purpose"))
                    .col(json_null("schools"))
                    .col(date("starts_on"))
                    .col(date("ends_on"))
                    .col(string_len("signed_by", 255))
                    .col(date("signed_on"))
                    .col(text("elements"))
                    .col(boolean("school_official").default(false))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(string_len("created_by", 255))
                    .col(timestamp_with_time_zone_null("revoked_at"))
                    .col(string_len_null("revoked_by", 255))
                    .col(text_null("revoked_reason"))
                    .index(Index::create().name("uq_data_agreements_agreement_id").col("agreement_id").unique())
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter().table("oauth_clients").add_column(boolean("internal").default(false)).to_owned(),
            )
            .await?;
        manager
            .alter_table(Table::alter().table("oauth_clients").add_column(big_integer_null("agreement_id")).to_owned())
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_oauth_clients_agreement")
                    .table("oauth_clients")
                    .col("agreement_id")
                    .to_owned(),
            )
            .await?;
        manager.exec_stmt(Query::update().table("oauth_clients").value("internal", true).to_owned()).await?;
        manager
            .alter_table(
                Table::alter().table("audit_events").add_column(string_len_null("agreement_id", 64)).to_owned(),
            )
            .await?;
        // A family's choices about their child's data: a directory-information opt-out (hidden
        // from vendors' clients, except under a school-official agreement) and an opt-out of
        // all sharing with vendors. One row a student, only once something is restricted.
        manager
            .create_table(
                Table::create()
                    .table("data_use_restrictions")
                    .col(big_integer("user_id").primary_key())
                    .col(boolean("directory_opt_out").default(false))
                    .col(boolean("vendor_opt_out").default(false))
                    .col(text_null("note"))
                    .col(string_len("set_by", 255))
                    .col(timestamp_with_time_zone("set_at"))
                    .col(string_len("source", 16))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_data_use_restrictions_user")
                            .from("data_use_restrictions", "user_id")
                            .to("users", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // Deletion on request: who purged whom (by pseudonym), when and why; and the audit
        // events that touched a purged student, linked to the pseudonym instead of the student.
        manager
            .create_table(
                Table::create()
                    .table("learner_purges")
                    .col(pk_auto("id").big_integer())
                    .col(string_len("pseudonym", 64))
                    .col(timestamp_with_time_zone("purged_at"))
                    .col(string_len("actor_kind", 16))
                    .col(string_len("actor_id", 255))
                    .col(string_len_null("client_id", 64))
                    .col(text("reason"))
                    .col(json("removed"))
                    .index(Index::create().name("uq_learner_purges_pseudonym").col("pseudonym").unique())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("audit_event_pseudonyms")
                    .col(big_integer("event_id"))
                    .col(string_len("pseudonym", 64))
                    .primary_key(Index::create().col("event_id").col("pseudonym"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create().name("ix_audit_events_agreement").table("audit_events").col("agreement_id").to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("audit_event_pseudonyms").to_owned()).await?;
        manager.drop_table(Table::drop().table("learner_purges").to_owned()).await?;
        manager.drop_table(Table::drop().table("data_use_restrictions").to_owned()).await?;
        manager.drop_index(Index::drop().name("ix_audit_events_agreement").table("audit_events").to_owned()).await?;
        manager.alter_table(Table::alter().table("audit_events").drop_column("agreement_id").to_owned()).await?;
        manager.drop_index(Index::drop().name("ix_oauth_clients_agreement").table("oauth_clients").to_owned()).await?;
        manager.alter_table(Table::alter().table("oauth_clients").drop_column("agreement_id").to_owned()).await?;
        manager.alter_table(Table::alter().table("oauth_clients").drop_column("internal").to_owned()).await?;
        manager.drop_table(Table::drop().table("data_agreements").to_owned()).await
    }
}
