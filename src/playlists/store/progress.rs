//! A class's progress on its playlists.

use super::*;

/// One learner's progress on a class's playlists.
pub struct LearnerProgress {
    pub learner: user::Model,
    pub total: usize,
    pub done: usize,
    pub overdue: Vec<playlist_item::Model>,
}

/// Where a learner stands in a class's progress list: by family name, given name, then id, so
/// that the order is total and a position stays valid when names tie or learners come and go.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct LearnerKey {
    pub family: String,
    pub given: String,
    pub id: i64,
}

impl LearnerKey {
    pub fn of(u: &user::Model) -> Self {
        LearnerKey { family: u.family_name.clone(), given: u.given_name.clone(), id: u.id }
    }
}

/// Which learners of a class's progress list to return.
#[derive(Clone, Debug, Default)]
pub struct ProgressFilter {
    /// Only learners with at least one overdue item.
    pub overdue_only: bool,
    /// Only the learner with this sourcedId.
    pub learner: Option<String>,
}

/// A page of a class's progress list: `size` learners after `after` (forward) or before
/// `before` (backward), in [`LearnerKey`] order.
#[derive(Clone, Debug, Default)]
pub struct ProgressPage {
    pub forward: bool,
    pub size: usize,
    pub after: Option<LearnerKey>,
    pub before: Option<LearnerKey>,
}

/// For each active learner of a class the principal may see (matching `filter`, one page of
/// them): items mastered out of all items of their playlists for the class, and the items past
/// their target date not yet mastered as of `as_of`, by default today in the class's school's
/// time zone. The same few statements whatever the class or page size; the whole class is read
/// and paged in memory (`total` is always counted). Only the learners of the page are revealed.
#[tracing::instrument(skip_all, fields(class = class_id))]
pub async fn class_progress(
    db: &impl ConnectionTrait,
    p: &Principal,
    class_id: i64,
    as_of: Option<NaiveDate>,
    filter: &ProgressFilter,
    page: &ProgressPage,
) -> AppResult<Page<LearnerProgress>> {
    // A class the caller may not see is not found, rather than an empty class.
    let class = roster::find_class(db, p, Key::Id(class_id)).await?.ok_or(AppError::NotFound("class"))?;
    let today = match as_of {
        Some(d) => d,
        None => roster::today_in(roster::zone_of(db, class.org_id).await?),
    };
    let mut students = roster::users(p, &[Role::Student], None, Some(class_id), None, Sync::default());
    if let Some(s) = &filter.learner {
        students = students.filter(user::Column::SourcedId.eq(s.as_str()));
    }
    let mut students: Vec<user::Model> = students.all(db).await?;
    // Ordered here, not by the database's collation, so cursors compare the way rows sort.
    students.sort_by_key(LearnerKey::of);
    let ids: Vec<i64> = students.iter().map(|s| s.id).collect();
    let lists: HashMap<i64, i64> = if ids.is_empty() {
        HashMap::new()
    } else {
        playlists(p, &PlaylistFilter { class: Some(class_id), ..Default::default() })
            .filter(playlist::Column::LearnerId.is_in(ids.iter().copied()))
            .all(db)
            .await?
            .into_iter()
            .filter_map(|pl| pl.learner_id.map(|l| (pl.id, l)))
            .collect()
    };
    let mut items: HashMap<i64, Vec<playlist_item::Model>> = HashMap::new();
    if !lists.is_empty() {
        for i in playlist_item::Entity::find()
            .filter(playlist_item::Column::PlaylistId.is_in(lists.keys().copied()))
            .filter(playlist_item::Column::Status.eq(Status::Active))
            .order_by_asc(playlist_item::Column::PlaylistId)
            .order_by_asc(playlist_item::Column::Position)
            .all(db)
            .await?
        {
            if let Some(l) = lists.get(&i.playlist_id) {
                items.entry(*l).or_default().push(i);
            }
        }
    }
    let rows: Vec<LearnerProgress> = students
        .into_iter()
        .map(|s| {
            let mine = items.remove(&s.id).unwrap_or_default();
            let done = mine.iter().filter(|i| i.state == ItemState::Mastered).count();
            let total = mine.len();
            let overdue = mine
                .into_iter()
                .filter(|i| i.state != ItemState::Mastered && i.target_date.is_some_and(|d| d < today))
                .collect();
            LearnerProgress { learner: s, total, done, overdue }
        })
        .filter(|r| !filter.overdue_only || !r.overdue.is_empty())
        .collect();
    let page = slice(rows, page, |r| LearnerKey::of(&r.learner));
    p.reveal(page.rows.iter().map(|r| r.learner.id));
    Ok(page)
}

/// One page of `rows` (already in key order), as keyset paging on the database would give it.
fn slice<T>(rows: Vec<T>, req: &ProgressPage, key: impl Fn(&T) -> LearnerKey) -> Page<T> {
    let total = Some(rows.len() as u64);
    let mut window: Vec<T> = rows
        .into_iter()
        .filter(|r| {
            let k = key(r);
            req.after.as_ref().is_none_or(|a| &k > a) && req.before.as_ref().is_none_or(|b| &k < b)
        })
        .collect();
    let more = window.len() > req.size;
    if req.forward {
        window.truncate(req.size);
        Page { rows: window, has_previous: req.after.is_some(), has_next: more, total }
    } else {
        let rows = window.split_off(window.len().saturating_sub(req.size));
        Page { rows, has_previous: more, has_next: req.before.is_some(), total }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(family: &str, given: &str, id: i64) -> LearnerKey {
        LearnerKey { family: family.into(), given: given.into(), id }
    }

    fn ids(p: Page<LearnerKey>) -> (Vec<i64>, bool, bool, Option<u64>) {
        (p.rows.iter().map(|k| k.id).collect(), p.has_previous, p.has_next, p.total)
    }

    #[test]
    fn pages_follow_names_then_ids_and_cursors_survive_ties() {
        // Two learners share a whole name: the id decides.
        let mut rows =
            vec![key("Diaz", "Ana", 7), key("Abbott", "Zoe", 9), key("Diaz", "Ana", 3), key("Cole", "Ben", 1)];
        rows.sort();
        let all = |req: ProgressPage| ids(slice(rows.clone(), &req, Clone::clone));
        let fwd = |size, after| ProgressPage { forward: true, size, after, before: None };
        assert_eq!(all(fwd(2, None)), (vec![9, 1], false, true, Some(4)));
        assert_eq!(all(fwd(2, Some(key("Cole", "Ben", 1)))), (vec![3, 7], true, false, Some(4)));
        assert_eq!(all(fwd(1, Some(key("Diaz", "Ana", 3)))), (vec![7], true, false, Some(4)));
        // A cursor whose learner has gone still places the next page.
        assert_eq!(all(fwd(5, Some(key("Baker", "Al", 4)))), (vec![1, 3, 7], true, false, Some(4)));
        let back = ProgressPage { forward: false, size: 2, after: None, before: Some(key("Diaz", "Ana", 7)) };
        assert_eq!(all(back), (vec![1, 3], true, true, Some(4)));
        let last = ProgressPage { forward: false, size: 3, after: None, before: None };
        assert_eq!(all(last), (vec![1, 3, 7], true, false, Some(4)));
        assert_eq!(all(fwd(0, None)), (vec![], false, true, Some(4)));
    }
}
