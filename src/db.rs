//! Connecting to the database (SQLite by default, PostgreSQL in production) and applying
//! migrations.

use std::{sync::Arc, time::Duration};

use anyhow::Context;
use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbErr, SqliteTransactionMode, TransactionOptions,
    TransactionTrait,
};

use crate::{config::Config, metrics::Metrics};

/// Opens a pool, with every statement counted in `metrics`.
pub async fn connect(config: &Config, metrics: Option<Arc<Metrics>>) -> anyhow::Result<DatabaseConnection> {
    let url = config.database_url.expose();
    if !(url.starts_with("sqlite:") || url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        anyhow::bail!("DATABASE_URL must start with sqlite: or postgres://");
    }
    let mut opts = ConnectOptions::new(url.to_owned());
    opts.max_connections(config.db_max_connections)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(5))
        // A request that can't get a connection soon is answered 503 rather than queued
        // behind a slow database (see `error::is_unavailable`).
        .acquire_timeout(config.db_acquire_timeout)
        // PostgreSQL aborts any statement running longer: no request holds a connection
        // for ever. (SQLite ignores it.)
        .statement_timeout(config.statement_timeout)
        .sqlx_logging(false)
        // sqlx-sqlite hands rows from its worker thread through a bounded channel: at the
        // default 50 a large read (an import loading the district) wakes one thread or the
        // other for nearly every row.
        .map_sqlx_sqlite_opts(|o| o.row_buffer_size(4096));
    let mut db = Database::connect(opts).await.context("cannot connect to the database named by DATABASE_URL")?;
    if url.starts_with("sqlite:") {
        // WAL (persistent, database-wide) lets readers proceed during a write. sqlx already
        // turns foreign keys on and sets a busy timeout on every connection it opens.
        db.execute_unprepared("PRAGMA journal_mode = WAL").await.context("cannot configure SQLite")?;
    }
    BACKENDS.fetch_or(
        if db.get_database_backend() == sea_orm::DatabaseBackend::Postgres { POSTGRES } else { SQLITE },
        std::sync::atomic::Ordering::Relaxed,
    );
    if let Some(metrics) = metrics {
        db.set_metric_callback(move |info| {
            metrics.db_statements.inc();
            tracing::trace!(target: "learnergraph::sql", elapsed = ?info.elapsed, failed = info.failed, sql = %info.statement.sql);
        });
    }
    Ok(db)
}

/// Applies every pending migration.
pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    Migrator::up(db, None).await.context("applying migrations failed")
}

/// The current time at microsecond precision: what both SQLite (as text) and PostgreSQL
/// (`timestamptz`) store, so a timestamp read back compares equal to the one written and
/// `updatedSince` behaves the same on both.
pub fn now() -> chrono::DateTime<chrono::Utc> {
    use chrono::{SubsecRound, Utc};
    Utc::now().trunc_subsecs(6)
}

/// Begins a transaction that will write. On SQLite it takes the write lock at BEGIN
/// (`BEGIN IMMEDIATE`): a deferred transaction that reads and then writes fails at once with
/// "database is locked" when another writer got there first, instead of waiting its turn.
/// PostgreSQL ignores the option. Given a transaction, it opens a savepoint inside it.
pub async fn begin_write<C: TransactionTrait>(db: &C) -> Result<C::Transaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}

/// `(a, b) IN` the given pairs of ids, as one condition whatever their number: on PostgreSQL
/// two id lists unnested side by side (two parameters, one plan), on SQLite one JSON array
/// read by `json_each` (one parameter). `a` and `b` are column names of the query's only table.
pub fn pairs_in(
    backend: sea_orm::DatabaseBackend,
    (a, b): (&'static str, &'static str),
    pairs: impl IntoIterator<Item = (i64, i64)>,
) -> sea_orm::sea_query::Expr {
    use sea_orm::sea_query::{Alias, Expr, ExprTrait};
    let pairs: Vec<(i64, i64)> = pairs.into_iter().collect();
    if backend == sea_orm::DatabaseBackend::Postgres {
        let (left, right) = id_lists(pairs);
        Expr::cust_with_values(
            format!(
                "({a}, {b}) IN (SELECT * FROM unnest(string_to_array($1, ',')::bigint[], \
                 string_to_array($2, ',')::bigint[]))"
            ),
            [left, right],
        )
    } else {
        // One JSON parameter, not two a pair: a district-wide recompute passes tens of
        // thousands of pairs, over SQLite's 32,766 parameters.
        let json = serde_json::to_string(&pairs).unwrap_or_else(|_| "[]".to_owned());
        Expr::tuple([Expr::col(Alias::new(a)), Expr::col(Alias::new(b))]).in_subquery(
            sea_orm::sea_query::Query::select()
                .expr(Expr::cust("value ->> 0"))
                .expr(Expr::cust("value ->> 1"))
                .from_function(sea_orm::sea_query::Func::cust("json_each").arg(json), Alias::new("pairs"))
                .to_owned(),
        )
    }
}

/// Pairs of ids as two comma-separated lists, for `unnest(string_to_array(..))` on PostgreSQL.
pub fn id_lists(pairs: impl IntoIterator<Item = (i64, i64)>) -> (String, String) {
    use std::fmt::Write;
    let (mut left, mut right) = (String::new(), String::new());
    for (a, b) in pairs {
        let sep = if left.is_empty() { "" } else { "," };
        let _ = write!(left, "{sep}{a}");
        let _ = write!(right, "{sep}{b}");
    }
    (left, right)
}

/// A multi-row INSERT of `rows` into `E`'s table as PostgreSQL runs it cheapest: one array
/// parameter per column, `INSERT INTO t (a, b) SELECT * FROM unnest($1::bigint[], $2::text[])
/// <tail>`, however many rows. A VALUES list of 1,000 results binds 21,000 parameters, which
/// cost PostgreSQL more to bind (12 ms) than to insert the rows. `tail` follows the SELECT
/// (`ON CONFLICT ...`, `RETURNING ...`). The rows must all set the same columns; `None` when
/// they do not, when a value has no array form here, or when `backend` is not PostgreSQL (the
/// caller then inserts as usual).
///
/// Each array travels as its text form (`{1,NULL,"a \"b\""}`): sea-query's arrays cannot hold
/// NULL elements, and sqlx is reached here only through SeaORM.
pub fn unnest_insert<A>(backend: sea_orm::DatabaseBackend, rows: &[A], tail: &str) -> Option<sea_orm::Statement>
where
    A: sea_orm::ActiveModelTrait,
{
    use sea_orm::{EntityName, IdenStatic, Iterable, Value};
    if backend != sea_orm::DatabaseBackend::Postgres {
        return None;
    }
    let first = rows.first()?;
    let set = |row: &A| {
        <<A::Entity as sea_orm::EntityTrait>::Column as Iterable>::iter()
            .filter(|c| row.get(*c).is_set())
            .collect::<Vec<_>>()
    };
    let columns = set(first);
    if rows.iter().any(|row| set(row).len() != columns.len()) {
        return None;
    }
    let mut arrays: Vec<(String, &'static str)> = Vec::with_capacity(columns.len());
    for c in &columns {
        let mut text = String::with_capacity(rows.len() * 8 + 2);
        text.push('{');
        let mut kind = None;
        for (i, row) in rows.iter().enumerate() {
            let v = row.get(*c);
            if !v.is_set() {
                return None;
            }
            let v = v.into_value()?;
            if i > 0 {
                text.push(',');
            }
            let k = array_element(&v, &mut text)?;
            if kind.is_some_and(|seen| seen != k) {
                return None;
            }
            kind = Some(k);
        }
        text.push('}');
        arrays.push((text, kind?));
    }
    let names: Vec<String> = columns.iter().map(|c| format!("\"{}\"", c.as_str())).collect();
    let casts: Vec<String> = arrays.iter().enumerate().map(|(i, (_, t))| format!("${}::{t}[]", i + 1)).collect();
    let sql = format!(
        "INSERT INTO \"{}\" ({}) SELECT * FROM unnest({}) {tail}",
        A::Entity::default().table_name(),
        names.join(", "),
        casts.join(", ")
    );
    let values: Vec<Value> = arrays.into_iter().map(|(text, _)| Value::from(text)).collect();
    Some(sea_orm::Statement::from_sql_and_values(sea_orm::DatabaseBackend::Postgres, sql, values))
}

/// Appends `v` to a PostgreSQL array literal (`NULL` for a null); returns its element type,
/// or `None` for a type this does not write.
fn array_element(v: &sea_orm::Value, out: &mut String) -> Option<&'static str> {
    use std::fmt::Write;

    use sea_orm::Value as V;
    let (kind, written) = match v {
        V::Bool(b) => ("boolean", b.map(|b| out.push(if b { 't' } else { 'f' }))),
        V::SmallInt(n) => (
            "smallint",
            n.map(|n| {
                let _ = write!(out, "{n}");
            }),
        ),
        V::Int(n) => (
            "integer",
            n.map(|n| {
                let _ = write!(out, "{n}");
            }),
        ),
        V::BigInt(n) => (
            "bigint",
            n.map(|n| {
                let _ = write!(out, "{n}");
            }),
        ),
        V::Double(f) => match f {
            Some(f) if !f.is_finite() => return None,
            f => (
                "double precision",
                f.map(|f| {
                    let _ = write!(out, "{f}");
                }),
            ),
        },
        V::String(s) => (
            "text",
            s.as_ref().map(|s| {
                out.push('"');
                for ch in s.chars() {
                    if ch == '"' || ch == '\\' {
                        out.push('\\');
                    }
                    out.push(ch);
                }
                out.push('"');
            }),
        ),
        // PostgreSQL reads years 1 to 9999 in this form (earlier ones are written `... BC`):
        // others travel as bound parameters.
        V::ChronoDateTimeUtc(Some(t)) if !(1..=9999).contains(&chrono::Datelike::year(t)) => return None,
        V::ChronoDate(Some(d)) if !(1..=9999).contains(&chrono::Datelike::year(d)) => return None,
        V::ChronoDateTimeUtc(t) => (
            "timestamptz",
            t.map(|t| {
                let _ = write!(out, "\"{}\"", t.format("%Y-%m-%d %H:%M:%S%.6f+00"));
            }),
        ),
        V::ChronoDate(d) => (
            "date",
            d.map(|d| {
                let _ = write!(out, "{}", d.format("%Y-%m-%d"));
            }),
        ),
        _ => return None,
    };
    if written.is_none() {
        out.push_str("NULL");
    }
    Some(kind)
}

/// The backends this process has connected to ([`connect`]): [`POSTGRES`], [`SQLITE`] or both.
/// It only picks between query shapes that mean the same on both (see [`in_list_of`]): the
/// PostgreSQL-only shape only while every connection is to PostgreSQL.
static BACKENDS: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(0);
const POSTGRES: u8 = 1;
const SQLITE: u8 = 2;

/// `column IN (subquery)` for a subquery listing a few ids out of a large table (a school's
/// members, a class's students). On PostgreSQL as `column = ANY(ARRAY(subquery))`: the ids
/// are gathered first and looked up by index in order, whatever their place in the table.
/// As a semi-join PostgreSQL merge-joined them against the table's primary key from its
/// lowest id, so the district's last school cost 5 times its first at 50,000 students.
/// SQLite looks up an `IN` subquery's ids by rowid already.
pub fn in_list_of(
    column: impl sea_orm::sea_query::IntoColumnRef,
    subquery: sea_orm::sea_query::SelectStatement,
) -> sea_orm::sea_query::Expr {
    use sea_orm::sea_query::{Expr, ExprTrait, SubQueryStatement};
    if BACKENDS.load(std::sync::atomic::Ordering::Relaxed) == POSTGRES {
        Expr::cust_with_exprs(
            "$1 = ANY(ARRAY $2)",
            [Expr::col(column), Expr::SubQuery(None, Box::new(SubQueryStatement::SelectStatement(subquery)))],
        )
    } else {
        Expr::col(column).in_subquery(subquery)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use entity::sync_change;
    use sea_orm::{ActiveValue::Set, Value};

    use super::*;

    const PG: sea_orm::DatabaseBackend = sea_orm::DatabaseBackend::Postgres;

    fn change(entity: &str, org: Option<i64>, at: chrono::DateTime<chrono::Utc>) -> sync_change::ActiveModel {
        sync_change::ActiveModel {
            seq: Set(7),
            entity: Set(entity.to_owned()),
            entity_id: Set(42),
            org_id: Set(org),
            learner_id: Set(None),
            deleted: Set(true),
            changed_at: Set(at),
        }
    }

    #[test]
    fn unnest_insert_writes_each_column_as_one_array_literal() {
        let at = chrono::Utc.with_ymd_and_hms(2026, 3, 2, 10, 0, 0).unwrap() + chrono::Duration::microseconds(123_456);
        let rows = [change("a \"b\" \\ {c}, NULL", Some(3), at), change("", None, at)];
        let statement = unnest_insert(PG, &rows, "ON CONFLICT DO NOTHING").expect("an unnest insert");
        assert_eq!(
            statement.sql,
            "INSERT INTO \"sync_changes\" (\"seq\", \"entity\", \"entity_id\", \"org_id\", \"learner_id\", \"deleted\", \
             \"changed_at\") SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[], \
             $6::boolean[], $7::timestamptz[]) ON CONFLICT DO NOTHING"
        );
        let values: Vec<Value> = statement.values.expect("values").0;
        let text = |v: &Value| match v {
            Value::String(Some(s)) => s.clone(),
            other => panic!("{other:?}"),
        };
        let texts: Vec<String> = values.iter().map(text).collect();
        assert_eq!(
            texts,
            [
                "{7,7}",
                r#"{"a \"b\" \\ {c}, NULL",""}"#,
                "{42,42}",
                "{3,NULL}",
                "{NULL,NULL}",
                "{t,t}",
                r#"{"2026-03-02 10:00:00.123456+00","2026-03-02 10:00:00.123456+00"}"#,
            ]
        );
    }

    #[test]
    fn unnest_insert_declines_what_it_cannot_write_as_arrays() {
        let at = chrono::Utc.with_ymd_and_hms(2026, 3, 2, 10, 0, 0).unwrap();
        assert!(unnest_insert::<sync_change::ActiveModel>(PG, &[], "").is_none(), "no rows");
        let ancient = chrono::Utc.with_ymd_and_hms(0, 1, 1, 0, 0, 0).unwrap();
        assert!(unnest_insert(PG, &[change("a", None, ancient)], "").is_none(), "a year PostgreSQL reads as BC");
        let mut fewer = change("b", None, at);
        fewer.learner_id = sea_orm::ActiveValue::NotSet;
        assert!(unnest_insert(PG, &[change("a", None, at), fewer.clone()], "").is_none(), "rows setting other columns");
        assert!(unnest_insert(PG, &[fewer, change("a", None, at)], "").is_none(), "rows setting other columns");
        let sqlite = sea_orm::DatabaseBackend::Sqlite;
        assert!(unnest_insert(sqlite, &[change("a", None, at)], "").is_none(), "SQLite has no arrays");
    }

    #[test]
    fn pairs_take_a_fixed_number_of_parameters_whatever_their_number() {
        use sea_orm::{EntityTrait, QueryFilter, QueryTrait};
        let pairs: Vec<(i64, i64)> = (0..50_000).map(|i| (i, i % 9)).collect();
        for backend in [sea_orm::DatabaseBackend::Sqlite, sea_orm::DatabaseBackend::Postgres] {
            let q = entity::mastery::Entity::find()
                .filter(pairs_in(backend, ("learner_id", "competency_id"), pairs.iter().copied()))
                .build(backend);
            assert_eq!(
                q.values.map(|v| v.0.len()),
                Some(if backend == sea_orm::DatabaseBackend::Postgres { 2 } else { 1 })
            );
        }
        let (left, right) = id_lists([(1, 2), (30, 40)]);
        assert_eq!((left.as_str(), right.as_str()), ("1,30", "2,40"));
    }
}
