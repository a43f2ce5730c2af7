//! The changes feed's storage. A writing transaction calls [`record`] as its last statement:
//! it advances the one-row `sync_clock` and holds that row's lock until commit, so sequence
//! numbers follow commit order. A reader that read the clock at `H` can therefore page up to
//! `H` knowing nothing below it is still to commit: no record is skipped, however writes
//! interleave with its paging.

use chrono::{DateTime, Utc};
use entity::sync_change;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    Statement,
};

use crate::{
    auth::{OrgAccess, People, Principal, Scope, policy::user_id_visible},
    error::{AppError, AppResult},
};

/// The kinds of record the feed carries, each readable with one scope.
#[derive(async_graphql::Enum, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ChangeEntity {
    Learner,
    Educator,
    Class,
    Enrollment,
    LearnerProfile,
    Playlist,
    PlaylistItem,
    Result,
}

impl ChangeEntity {
    pub const ALL: [ChangeEntity; 8] = [
        ChangeEntity::Learner,
        ChangeEntity::Educator,
        ChangeEntity::Class,
        ChangeEntity::Enrollment,
        ChangeEntity::LearnerProfile,
        ChangeEntity::Playlist,
        ChangeEntity::PlaylistItem,
        ChangeEntity::Result,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ChangeEntity::Learner => "learner",
            ChangeEntity::Educator => "educator",
            ChangeEntity::Class => "class",
            ChangeEntity::Enrollment => "enrollment",
            ChangeEntity::LearnerProfile => "learner_profile",
            ChangeEntity::Playlist => "playlist",
            ChangeEntity::PlaylistItem => "playlist_item",
            ChangeEntity::Result => "result",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.as_str() == s)
    }

    /// The student data type (of a data-sharing agreement) records of this kind are.
    pub fn kind(self) -> Option<crate::auth::policy::sharing::Kind> {
        use crate::auth::policy::sharing::Kind;
        match self {
            ChangeEntity::Learner | ChangeEntity::Enrollment => Some(Kind::Learner),
            ChangeEntity::Educator | ChangeEntity::Class => None,
            ChangeEntity::LearnerProfile => Some(Kind::LearnerProfile),
            ChangeEntity::Playlist => Some(Kind::Playlist),
            ChangeEntity::PlaylistItem => Some(Kind::PlaylistItem),
            ChangeEntity::Result => Some(Kind::Result),
        }
    }

    /// The scope that reads records of this kind.
    pub fn scope(self) -> Scope {
        match self {
            ChangeEntity::Learner | ChangeEntity::Educator | ChangeEntity::Class | ChangeEntity::Enrollment => {
                Scope::RosterRead
            }
            ChangeEntity::LearnerProfile => Scope::ProfilesRead,
            ChangeEntity::Playlist | ChangeEntity::PlaylistItem => Scope::PlaylistsRead,
            ChangeEntity::Result => Scope::ProgressRead,
        }
    }
}

/// A record changed by a transaction: which one, the org that owns it and the person it is
/// about (either may be absent), and whether it was deleted.
#[derive(Clone, Copy, Debug)]
pub struct Change {
    pub entity: ChangeEntity,
    pub id: i64,
    pub org_id: Option<i64>,
    pub person_id: Option<i64>,
    pub deleted: bool,
}

impl Change {
    /// A change to a person (learner or educator), seen by whoever may see them.
    pub fn person(entity: ChangeEntity, id: i64, deleted: bool) -> Change {
        Change { entity, id, org_id: None, person_id: Some(id), deleted }
    }
}

/// Appends `changes` to the feed. Call it last in the transaction, right before commit: from
/// here until the commit the clock row stays locked and other writers wait their turn.
#[tracing::instrument(skip_all, fields(changes = changes.len()))]
pub async fn record(txn: &impl ConnectionTrait, changes: &[Change]) -> AppResult<()> {
    if changes.is_empty() {
        return Ok(());
    }
    let n = i64::try_from(changes.len()).unwrap_or(i64::MAX);
    let backend = txn.get_database_backend();
    let sql = match backend {
        sea_orm::DatabaseBackend::Postgres => "UPDATE sync_clock SET seq = seq + $1 WHERE id = 1 RETURNING seq",
        _ => "UPDATE sync_clock SET seq = seq + ? WHERE id = 1 RETURNING seq",
    };
    let row = txn
        .query_one_raw(Statement::from_sql_and_values(backend, sql, [n.into()]))
        .await?
        .ok_or_else(|| AppError::Server(anyhow::anyhow!("sync_clock has no row")))?;
    let last: i64 = row.try_get_by_index(0)?;
    let now = crate::db::now();
    let first = last - n + 1;
    // SQLite binds at most 32766 values per statement: 7 per row. Each statement's rows are
    // built as it is sent (an import records hundreds of thousands of changes).
    const CHUNK: usize = 2000;
    // On PostgreSQL in one statement, each column an array, up to a chunk's worth.
    let postgres = backend == sea_orm::DatabaseBackend::Postgres;
    let size = if postgres { 50_000 } else { CHUNK };
    for (k, chunk) in changes.chunks(size).enumerate() {
        let rows = chunk.iter().enumerate().map(|(i, c)| sync_change::ActiveModel {
            seq: sea_orm::Set(first + i64::try_from(k * size + i).unwrap_or(0)),
            entity: sea_orm::Set(c.entity.as_str().to_owned()),
            entity_id: sea_orm::Set(c.id),
            org_id: sea_orm::Set(c.org_id),
            learner_id: sea_orm::Set(c.person_id),
            deleted: sea_orm::Set(c.deleted),
            changed_at: sea_orm::Set(now),
        });
        let rows: Vec<sync_change::ActiveModel> = rows.collect();
        match crate::db::unnest_insert(backend, &rows, "") {
            Some(statement) => {
                txn.execute_raw(statement).await?;
            }
            None => {
                for rows in rows.chunks(CHUNK) {
                    sync_change::Entity::insert_many(rows.to_vec()).exec_without_returning(txn).await?;
                }
            }
        }
    }
    Ok(())
}

/// The clock: the last sequence number handed out, and the last one pruned.
#[tracing::instrument(skip_all)]
pub async fn clock(db: &impl ConnectionTrait) -> AppResult<(i64, i64)> {
    let backend = db.get_database_backend();
    let row = db
        .query_one_raw(Statement::from_string(backend, "SELECT seq, pruned_through FROM sync_clock WHERE id = 1"))
        .await?
        .ok_or_else(|| AppError::Server(anyhow::anyhow!("sync_clock has no row")))?;
    Ok((row.try_get_by_index(0)?, row.try_get_by_index(1)?))
}

/// One page of the feed as the caller may see it.
pub struct Page {
    pub changes: Vec<sync_change::Model>,
    /// Where the next page starts: past every change scanned, visible to the caller or not.
    pub cursor: i64,
    pub has_more: bool,
}

/// What the principal may see of the feed: the kinds its scopes read, records of its orgs,
/// people it may see. A signed-in person sees only changes about people (not a school's
/// classes), and only those related to them.
fn visible(p: &Principal) -> Condition {
    let kinds: Vec<&str> = ChangeEntity::ALL
        .into_iter()
        .filter(|e| p.has(e.scope()) && e.kind().is_none_or(|k| p.sharing.shares(k)))
        .map(ChangeEntity::as_str)
        .collect();
    let mut c = Condition::all().add(sync_change::Column::Entity.is_in(kinds));
    if let OrgAccess::Only { orgs, .. } = &p.orgs {
        c = c.add(
            Condition::any()
                .add(sync_change::Column::OrgId.is_null())
                .add(sync_change::Column::OrgId.is_in(orgs.iter().copied())),
        );
    }
    let people = user_id_visible(p, (sync_change::Entity, sync_change::Column::LearnerId));
    // A tombstone naming a school reaches that school's tools even though the person it is
    // about is no longer theirs to see (the deletion took them out). A person's tombstone for
    // leaving one school is only for that school: district-wide callers see the person as they
    // are (and get a tombstone of their own when the person is deleted altogether).
    let school_tombstone =
        Condition::all().add(sync_change::Column::Deleted.eq(true)).add(sync_change::Column::OrgId.is_not_null());
    // (A purged student's tombstones name no person: they are filed under each school the
    // student belonged to, for that school's tools and the district's.)
    let left_a_school = Condition::all()
        .add(sync_change::Column::Entity.is_in([ChangeEntity::Learner.as_str(), ChangeEntity::Educator.as_str()]))
        .add(sync_change::Column::LearnerId.is_not_null())
        .add(school_tombstone.clone());
    c.add(match (p.people, &p.orgs) {
        (People::All, OrgAccess::All) => Condition::all()
            .add(Condition::any().add(sync_change::Column::LearnerId.is_null()).add(people))
            .add(left_a_school.not()),
        (People::All, OrgAccess::Only { .. }) => {
            Condition::any().add(sync_change::Column::LearnerId.is_null()).add(people).add(school_tombstone)
        }
        _ => Condition::all().add(sync_change::Column::LearnerId.is_not_null()).add(people).add(left_a_school.not()),
    })
}

/// Changes after `after` (a sequence number; `None` = from the beginning of the retained
/// history), up to `limit`. Fails with `CURSOR_EXPIRED` when retention has pruned changes the
/// caller has not seen. The learners the page names are revealed to the caller.
#[tracing::instrument(skip_all, fields(after = ?after, limit))]
pub async fn page(db: &DatabaseConnection, p: &Principal, after: Option<i64>, limit: u64) -> AppResult<Page> {
    let (head, pruned) = clock(db).await?;
    let after = after.unwrap_or(pruned);
    if after < pruned {
        return Err(AppError::CursorExpired(format!(
            "changes up to {pruned} were pruned by retention after this cursor was issued; resync fully \
             (read the lists, starting from `syncCursor` taken before you do)"
        )));
    }
    if after > head {
        return Err(AppError::validation("after", "not a cursor returned by this API"));
    }
    let rows = sync_change::Entity::find()
        .filter(sync_change::Column::Seq.gt(after))
        .filter(sync_change::Column::Seq.lte(head))
        .filter(visible(p))
        .order_by_asc(sync_change::Column::Seq)
        .limit(limit + 1)
        .all(db)
        .await?;
    let has_more = rows.len() as u64 > limit;
    let mut changes = rows;
    changes.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let cursor = if has_more { changes.last().map_or(head, |c| c.seq) } else { head };
    p.reveal(changes.iter().filter_map(|c| c.learner_id));
    Ok(Page { changes, cursor, has_more })
}

/// Deletes changes older than `before`, recording how far the feed was pruned. Returns the
/// number of changes deleted.
#[tracing::instrument(skip_all, fields(before = %before))]
pub async fn prune(db: &DatabaseConnection, before: DateTime<Utc>) -> AppResult<u64> {
    let txn = crate::db::begin_write(db).await?;
    let newest: Option<i64> = sync_change::Entity::find()
        .select_only()
        .column_as(sync_change::Column::Seq.max(), "m")
        .filter(sync_change::Column::ChangedAt.lt(before))
        .into_tuple::<Option<i64>>()
        .one(&txn)
        .await?
        .flatten();
    let Some(newest) = newest else {
        txn.commit().await?;
        return Ok(0);
    };
    let deleted = sync_change::Entity::delete_many().filter(sync_change::Column::Seq.lte(newest)).exec(&txn).await?;
    let backend = txn.get_database_backend();
    let sql = match backend {
        sea_orm::DatabaseBackend::Postgres => {
            "UPDATE sync_clock SET pruned_through = GREATEST(pruned_through, $1) WHERE id = 1"
        }
        _ => "UPDATE sync_clock SET pruned_through = MAX(pruned_through, ?) WHERE id = 1",
    };
    txn.execute_raw(Statement::from_sql_and_values(backend, sql, [newest.into()])).await?;
    txn.commit().await?;
    Ok(deleted.rows_affected)
}
