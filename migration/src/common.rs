//! Column sets shared by the OneRoster-shaped tables, so every roster record carries the same
//! sync metadata: a stable `sourced_id`, a `status` and a `date_last_modified`.

use sea_orm_migration::{prelude::*, schema::*};

/// Adds the surrogate key and the OneRoster sync columns (`sourced_id` unique under `uq_name`).
pub fn roster_table(name: &'static str, uq_name: &str) -> TableCreateStatement {
    let mut t = Table::create();
    t.table(name)
        .col(big_pk_auto("id"))
        .col(string_len("sourced_id", 255))
        .col(string_len("status", 16).default("active"))
        .col(timestamp_with_time_zone("date_last_modified"))
        .index(Index::create().name(uq_name).col("sourced_id").unique());
    t
}

/// Index on `date_last_modified`, which `updatedSince` sync filters on.
pub fn dlm_index(table: &'static str, name: &str) -> IndexCreateStatement {
    Index::create().name(name).table(table).col("date_last_modified").to_owned()
}

/// A named foreign key `from_col -> to_table.id`.
pub fn fk(
    name: &str,
    from_table: &'static str,
    from_col: &'static str,
    to_table: &'static str,
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create().name(name).from(from_table, from_col).to(to_table, "id").on_delete(on_delete).to_owned()
}
