//! Writing and reading audit events.

use chrono::{DateTime, Utc};
use entity::{audit_event, audit_event_learner, user};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Select, Statement, sea_query::Query,
};

use super::Event;
use crate::db::begin_write;

/// Writes a batch of events and the students they touched in one transaction, in a fixed
/// number of statements whatever the batch's size on PostgreSQL: the events' ids reserved from
/// their sequence in one statement, the events in one multi-row `INSERT`, their students in
/// one more. SQLite, in process, has no round trips to save: its events are inserted one by
/// one, each returning its id, their students 1,000 a statement.
pub async fn write(db: &DatabaseConnection, events: &[Event]) -> Result<(), DbErr> {
    if events.is_empty() {
        return Ok(());
    }
    let txn = begin_write(db).await?;
    let model = |e: &Event| audit_event::ActiveModel {
        occurred_at: Set(e.occurred_at),
        actor_kind: Set(e.actor_kind),
        actor_id: Set(e.actor_id.clone()),
        client_id: Set(e.client_id.clone()),
        operation_type: Set(e.operation_type.clone()),
        operation_name: Set(e.operation_name.clone()),
        fields: Set(e.fields.clone()),
        request_id: Set(e.request_id.clone()),
        agreement_id: Set(e.agreement.clone()),
        ..Default::default()
    };
    let ids: Vec<i64> = if txn.get_database_backend() == DatabaseBackend::Postgres {
        let reserved = txn
            .query_all_raw(Statement::from_sql_and_values(
                DatabaseBackend::Postgres,
                "SELECT nextval(pg_get_serial_sequence('audit_events', 'id')) AS id FROM generate_series(1, $1)",
                [(events.len() as i64).into()],
            ))
            .await?;
        let ids = reserved.iter().map(|r| r.try_get::<i64>("", "id")).collect::<Result<Vec<_>, _>>()?;
        // 9 values a row: a batch of 500 is far under PostgreSQL's 65,535 parameters.
        for chunk in events.iter().zip(&ids).collect::<Vec<_>>().chunks(EVENTS_PER_INSERT) {
            let rows = chunk.iter().map(|(e, id)| audit_event::ActiveModel { id: Set(**id), ..model(e) });
            audit_event::Entity::insert_many(rows).exec_without_returning(&txn).await?;
        }
        ids
    } else {
        let mut ids = Vec::with_capacity(events.len());
        for e in events {
            ids.push(audit_event::Entity::insert(model(e)).exec(&txn).await?.last_insert_id);
        }
        ids
    };
    let links = events.iter().zip(&ids).flat_map(|(e, id)| e.learners.iter().map(move |u| (*id, *u)));
    if txn.get_database_backend() == DatabaseBackend::Postgres {
        // Every (event, student) of the batch in one statement, however many: two id lists
        // unnested side by side.
        let (events, users) = crate::db::id_lists(links);
        if !events.is_empty() {
            txn.execute_raw(Statement::from_sql_and_values(
                DatabaseBackend::Postgres,
                "INSERT INTO audit_event_learners (event_id, user_id) \
                 SELECT * FROM unnest(string_to_array($1, ',')::bigint[], string_to_array($2, ',')::bigint[])",
                [events.into(), users.into()],
            ))
            .await?;
        }
    } else {
        let links: Vec<_> =
            links.map(|(e, u)| audit_event_learner::ActiveModel { event_id: Set(e), user_id: Set(u) }).collect();
        for chunk in links.chunks(1000) {
            audit_event_learner::Entity::insert_many(chunk.to_vec()).exec_without_returning(&txn).await?;
        }
    }
    txn.commit().await
}

/// Events in one `INSERT` at most.
const EVENTS_PER_INSERT: usize = 1000;

/// Which events to list.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// Only events that touched this student (user id).
    pub learner: Option<i64>,
    pub client_id: Option<String>,
    pub agreement_id: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

pub fn events(f: &Filter) -> Select<audit_event::Entity> {
    let mut q = audit_event::Entity::find();
    if let Some(learner) = f.learner {
        q = q.filter(
            audit_event::Column::Id.in_subquery(
                Query::select()
                    .column(audit_event_learner::Column::EventId)
                    .from(audit_event_learner::Entity)
                    .and_where(audit_event_learner::Column::UserId.eq(learner))
                    .to_owned(),
            ),
        );
    }
    if let Some(c) = &f.client_id {
        q = q.filter(audit_event::Column::ClientId.eq(c.as_str()));
    }
    if let Some(a) = &f.agreement_id {
        q = q.filter(audit_event::Column::AgreementId.eq(a.as_str()));
    }
    if let Some(s) = f.since {
        q = q.filter(audit_event::Column::OccurredAt.gte(s));
    }
    if let Some(u) = f.until {
        q = q.filter(audit_event::Column::OccurredAt.lt(u));
    }
    q
}

/// `(event id, learner user id, learner sourcedId)` for the given events.
pub async fn learners_of(db: &impl ConnectionTrait, events: &[i64]) -> Result<Vec<(i64, i64, String)>, DbErr> {
    audit_event_learner::Entity::find()
        .select_only()
        .column(audit_event_learner::Column::EventId)
        .column(audit_event_learner::Column::UserId)
        .column_as(user::Column::SourcedId, "sourced_id")
        .join(
            sea_orm::JoinType::InnerJoin,
            audit_event_learner::Entity::belongs_to(user::Entity)
                .from(audit_event_learner::Column::UserId)
                .to(user::Column::Id)
                .into(),
        )
        .filter(audit_event_learner::Column::EventId.is_in(events.iter().copied()))
        .order_by_asc(audit_event_learner::Column::EventId)
        .into_tuple()
        .all(db)
        .await
}

/// `(event id, pseudonym)` of the purged students the given events touched.
pub async fn pseudonyms_of(db: &impl ConnectionTrait, events: &[i64]) -> Result<Vec<(i64, String)>, DbErr> {
    entity::audit_event_pseudonym::Entity::find()
        .select_only()
        .column(entity::audit_event_pseudonym::Column::EventId)
        .column(entity::audit_event_pseudonym::Column::Pseudonym)
        .filter(entity::audit_event_pseudonym::Column::EventId.is_in(events.iter().copied()))
        .into_tuple()
        .all(db)
        .await
}

/// Every matching event with its students, oldest first, for the CSV export.
pub async fn export(db: &DatabaseConnection, f: &Filter, out: impl std::io::Write) -> anyhow::Result<usize> {
    let mut csv = csv::Writer::from_writer(out);
    csv.write_record([
        "occurred_at",
        "actor_kind",
        "actor_id",
        "client_id",
        "operation_type",
        "operation_name",
        "fields",
        "request_id",
        "learner_sourced_id",
        "agreement_id",
    ])?;
    let mut rows = 0;
    let mut after = 0i64;
    loop {
        let page = events(f)
            .filter(audit_event::Column::Id.gt(after))
            .order_by_asc(audit_event::Column::Id)
            .limit(1000)
            .all(db)
            .await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        let ids: Vec<i64> = page.iter().map(|e| e.id).collect();
        let learners = learners_of(db, &ids).await?;
        let purged = pseudonyms_of(db, &ids).await?;
        for e in &page {
            let of_event = learners
                .iter()
                .filter(|(id, user, _)| *id == e.id && f.learner.is_none_or(|l| l == *user))
                .map(|(_, _, sid)| sid)
                .chain(purged.iter().filter(|(id, _)| *id == e.id && f.learner.is_none()).map(|(_, p)| p));
            for learner in of_event {
                csv.write_record([
                    e.occurred_at.to_rfc3339().as_str(),
                    e.actor_kind.as_str(),
                    &e.actor_id,
                    e.client_id.as_deref().unwrap_or(""),
                    &e.operation_type,
                    e.operation_name.as_deref().unwrap_or(""),
                    &e.fields,
                    e.request_id.as_deref().unwrap_or(""),
                    learner,
                    e.agreement_id.as_deref().unwrap_or(""),
                ])?;
                rows += 1;
            }
        }
    }
    csv.flush()?;
    Ok(rows)
}
