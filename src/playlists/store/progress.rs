//! A class's progress on its playlists.

use super::*;

/// One learner's progress on a class's playlists.
pub struct LearnerProgress {
    pub learner: user::Model,
    pub total: usize,
    pub done: usize,
    pub overdue: Vec<playlist_item::Model>,
}

/// For each active learner of a class the principal may see: items mastered out of all
/// items of their playlists for the class, and the items past their target date not yet
/// mastered. Three statements whatever the class size. The class's learners are revealed.
#[tracing::instrument(skip_all, fields(class = class_id))]
pub async fn class_progress(
    db: &impl ConnectionTrait,
    p: &Principal,
    class_id: i64,
    today: NaiveDate,
) -> AppResult<Vec<LearnerProgress>> {
    // A class the caller may not see is not found, rather than an empty class.
    roster::find_class(db, p, Key::Id(class_id)).await?.ok_or(AppError::NotFound("class"))?;
    let students: Vec<user::Model> = roster::users(p, &[Role::Student], None, Some(class_id), None, Sync::default())
        .order_by_asc(user::Column::FamilyName)
        .order_by_asc(user::Column::GivenName)
        .order_by_asc(user::Column::Id)
        .all(db)
        .await?;
    let ids: Vec<i64> = students.iter().map(|s| s.id).collect();
    let lists: HashMap<i64, i64> = playlists(p, &PlaylistFilter { class: Some(class_id), ..Default::default() })
        .filter(playlist::Column::LearnerId.is_in(ids.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|pl| pl.learner_id.map(|l| (pl.id, l)))
        .collect();
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
    p.reveal(students.iter().map(|s| s.id));
    Ok(students
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
        .collect())
}
