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
/// two id lists unnested side by side (two parameters, one plan), on SQLite a list of row
/// values. `a` and `b` are column names of the query's only table.
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
    } else if pairs.is_empty() {
        Expr::cust("1 = 0")
    } else {
        Expr::tuple([Expr::col(Alias::new(a)), Expr::col(Alias::new(b))]).in_tuples(pairs)
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
