//! Paging, free of any transport: a service pages a query it built (visibility already in its
//! `WHERE`) and gets rows back, whichever API asked. GraphQL's Relay connections ask by
//! keyset (`first`/`after`, `last`/`before`: stable under inserts, see
//! [`crate::graphql::relay::paginate`]); OneRoster's REST binding asks by `limit`/`offset`.
//! Both order by the primary key, so a record's place never depends on the transport.

use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    QueryTrait, Select, sea_query::Expr,
};

use crate::error::AppResult;

/// Which rows of a query a caller asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PageRequest {
    /// `size` rows after `after` (forward) or before `before` (backward), by primary key.
    Keyset { forward: bool, size: u64, after: Option<i64>, before: Option<i64> },
    /// `limit` rows from the `offset`-th, by primary key.
    Offset { limit: u64, offset: u64 },
}

/// Rows of one page, in primary-key order, and where the page lies.
#[derive(Clone, Debug, PartialEq)]
pub struct Page<M> {
    pub rows: Vec<M>,
    pub has_previous: bool,
    pub has_next: bool,
    /// How many rows the whole query holds, when the caller asked for it (it costs a COUNT).
    pub total: Option<u64>,
}

impl<M> Page<M> {
    /// The same page with each row mapped.
    pub fn map<T>(self, f: impl FnMut(M) -> T) -> Page<T> {
        Page {
            rows: self.rows.into_iter().map(f).collect(),
            has_previous: self.has_previous,
            has_next: self.has_next,
            total: self.total,
        }
    }
}

/// Pages `select` by its primary key `id_col`; counts the whole query first when `count`.
pub async fn fetch_page<E>(
    db: &impl ConnectionTrait,
    select: Select<E>,
    id_col: E::Column,
    req: PageRequest,
    count: bool,
) -> AppResult<Page<E::Model>>
where
    E: EntityTrait,
    E::Model: Sync,
{
    if count && let PageRequest::Keyset { forward, size, after: None, before: None } = req {
        return first_page_counted(db, select, id_col, forward, size).await;
    }
    let total = if count { Some(select.clone().count(db).await?) } else { None };
    match req {
        PageRequest::Keyset { forward, size, after, before } => {
            let mut q = select;
            if let Some(a) = after {
                q = q.filter(id_col.gt(a));
            }
            if let Some(b) = before {
                q = q.filter(id_col.lt(b));
            }
            q = if forward { q.order_by_asc(id_col) } else { q.order_by_desc(id_col) };
            let mut rows = q.limit(size.saturating_add(1)).all(db).await?;
            let more = rows.len() as u64 > size;
            rows.truncate(usize::try_from(size).unwrap_or(usize::MAX));
            if !forward {
                rows.reverse();
            }
            let (has_previous, has_next) = if forward { (after.is_some(), more) } else { (more, before.is_some()) };
            Ok(Page { rows, has_previous, has_next, total })
        }
        PageRequest::Offset { limit, offset } => {
            let mut rows = select.order_by_asc(id_col).offset(offset).limit(limit.saturating_add(1)).all(db).await?;
            let has_next = rows.len() as u64 > limit;
            rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
            Ok(Page { rows, has_previous: offset > 0, has_next, total })
        }
    }
}

/// A first page and the count of the whole query in one statement: the count as a window
/// over the query's rows (`COUNT(*) OVER ()`, computed before the `LIMIT`), so a connection's
/// first page with `totalCount` costs one round trip, not two. (Not for later pages: their
/// cursor condition would narrow the count. The queries paged here have no `DISTINCT` or
/// `GROUP BY`, so the window counts exactly the rows a separate `COUNT` would.)
async fn first_page_counted<E>(
    db: &impl ConnectionTrait,
    select: Select<E>,
    id_col: E::Column,
    forward: bool,
    size: u64,
) -> AppResult<Page<E::Model>>
where
    E: EntityTrait,
    E::Model: Sync,
{
    const TOTAL: &str = "page_total_count";
    let q = if forward { select.order_by_asc(id_col) } else { select.order_by_desc(id_col) };
    let q = q.expr_as(Expr::cust("COUNT(*) OVER ()"), TOTAL).limit(size.saturating_add(1));
    let found = db.query_all_raw(q.build(db.get_database_backend())).await?;
    // No row: the query holds none.
    let total = match found.first() {
        Some(row) => u64::try_from(row.try_get::<i64>("", TOTAL)?).unwrap_or(0),
        None => 0,
    };
    let mut rows = found.iter().map(|row| E::Model::from_query_result(row, "")).collect::<Result<Vec<_>, _>>()?;
    let more = rows.len() as u64 > size;
    rows.truncate(usize::try_from(size).unwrap_or(usize::MAX));
    if !forward {
        rows.reverse();
    }
    let (has_previous, has_next) = if forward { (false, more) } else { (more, false) };
    Ok(Page { rows, has_previous, has_next, total: Some(total) })
}

/// Pages rows already in memory (a request's batched load), sorted ascending by `key`, which
/// is unique among them: the same answers as [`fetch_page`] would give for the same rows.
pub fn page_of<M>(rows: Vec<M>, key: impl Fn(&M) -> i64, req: PageRequest) -> Page<M> {
    let total = Some(rows.len() as u64);
    match req {
        PageRequest::Keyset { forward, size, after, before } => {
            let size = usize::try_from(size).unwrap_or(usize::MAX);
            let mut rows: Vec<M> = rows
                .into_iter()
                .filter(|m| after.is_none_or(|a| key(m) > a) && before.is_none_or(|b| key(m) < b))
                .collect();
            let more = rows.len() > size;
            if forward {
                rows.truncate(size);
                Page { rows, has_previous: after.is_some(), has_next: more, total }
            } else {
                let skip = rows.len().saturating_sub(size);
                let rows = rows.split_off(skip);
                Page { rows, has_previous: more, has_next: before.is_some(), total }
            }
        }
        PageRequest::Offset { limit, offset } => {
            let (limit, offset) =
                (usize::try_from(limit).unwrap_or(usize::MAX), usize::try_from(offset).unwrap_or(usize::MAX));
            let len = rows.len();
            let rows: Vec<M> = rows.into_iter().skip(offset).take(limit).collect();
            Page { rows, has_previous: offset > 0, has_next: offset.saturating_add(limit) < len, total }
        }
    }
}

#[cfg(test)]
mod tests {
    use entity::org;
    use sea_orm::{ConnectionTrait, Database, DatabaseConnection, EntityTrait};

    use super::*;

    /// Orgs 1..=5, one district and its four schools.
    async fn five_orgs() -> DatabaseConnection {
        let db = Database::connect("sqlite::memory:").await.expect("in-memory SQLite");
        crate::db::migrate(&db).await.expect("migrations");
        let rows: Vec<String> = (1..=5)
            .map(|i| {
                let (kind, parent) = if i == 1 { ("district", "NULL") } else { ("school", "1") };
                format!("({i}, 'o{i}', 'active', '2026-01-01T00:00:00Z', '{kind}', 'O{i}', {parent})")
            })
            .collect();
        db.execute_unprepared(&format!(
            "INSERT INTO orgs (id, sourced_id, status, date_last_modified, org_type, name, parent_id) VALUES {}",
            rows.join(", ")
        ))
        .await
        .expect("fixture");
        db
    }

    async fn ids(db: &DatabaseConnection, req: PageRequest, count: bool) -> (Vec<i64>, bool, bool, Option<u64>) {
        let page = fetch_page(db, org::Entity::find(), org::Column::Id, req, count).await.expect("page");
        let page = page.map(|o| o.id);
        (page.rows, page.has_previous, page.has_next, page.total)
    }

    #[tokio::test]
    async fn keyset_pages_forward_and_backward_by_primary_key() {
        let db = five_orgs().await;
        let fwd = |size, after| PageRequest::Keyset { forward: true, size, after, before: None };
        assert_eq!(ids(&db, fwd(2, None), true).await, (vec![1, 2], false, true, Some(5)));
        assert_eq!(ids(&db, fwd(2, Some(2)), false).await, (vec![3, 4], true, true, None));
        assert_eq!(ids(&db, fwd(2, Some(4)), false).await, (vec![5], true, false, None));
        assert_eq!(ids(&db, fwd(0, None), false).await, (vec![], false, true, None));
        let back = PageRequest::Keyset { forward: false, size: 2, after: None, before: Some(5) };
        assert_eq!(ids(&db, back, false).await, (vec![3, 4], true, true, None));
        let last = PageRequest::Keyset { forward: false, size: 2, after: None, before: None };
        assert_eq!(ids(&db, last, false).await, (vec![4, 5], true, false, None));
    }

    #[tokio::test]
    async fn offset_pages_say_what_lies_either_side() {
        let db = five_orgs().await;
        let at = |limit, offset| PageRequest::Offset { limit, offset };
        assert_eq!(ids(&db, at(2, 0), true).await, (vec![1, 2], false, true, Some(5)));
        assert_eq!(ids(&db, at(2, 2), false).await, (vec![3, 4], true, true, None));
        assert_eq!(ids(&db, at(2, 4), false).await, (vec![5], true, false, None));
        assert_eq!(ids(&db, at(3, 5), true).await, (vec![], true, false, Some(5)));
        assert_eq!(ids(&db, at(5, 0), false).await, (vec![1, 2, 3, 4, 5], false, false, None));
    }

    #[test]
    fn pages_in_memory_like_the_database() {
        let rows = || vec![2_i64, 3, 5, 7, 11];
        let key = |m: &i64| *m;
        let fwd = |size, after| PageRequest::Keyset { forward: true, size, after, before: None };
        let p = page_of(rows(), key, fwd(2, None));
        assert_eq!((p.rows, p.has_previous, p.has_next, p.total), (vec![2, 3], false, true, Some(5)));
        let p = page_of(rows(), key, fwd(2, Some(3)));
        assert_eq!((p.rows, p.has_previous, p.has_next), (vec![5, 7], true, true));
        let p = page_of(rows(), key, fwd(2, Some(7)));
        assert_eq!((p.rows, p.has_previous, p.has_next), (vec![11], true, false));
        let back = PageRequest::Keyset { forward: false, size: 2, after: None, before: Some(11) };
        let p = page_of(rows(), key, back);
        assert_eq!((p.rows, p.has_previous, p.has_next), (vec![5, 7], true, true));
        let back = PageRequest::Keyset { forward: false, size: 3, after: None, before: Some(7) };
        let p = page_of(rows(), key, back);
        assert_eq!((p.rows, p.has_previous, p.has_next), (vec![2, 3, 5], false, true));
        let p = page_of(rows(), key, PageRequest::Offset { limit: 2, offset: 3 });
        assert_eq!((p.rows, p.has_previous, p.has_next), (vec![7, 11], true, false));
        let p = page_of(rows(), key, PageRequest::Offset { limit: 2, offset: 0 });
        assert_eq!((p.rows, p.has_previous, p.has_next), (vec![2, 3], false, true));
        let p = page_of(rows(), key, fwd(0, None));
        assert_eq!((p.rows, p.has_next), (vec![], true));
    }
}
