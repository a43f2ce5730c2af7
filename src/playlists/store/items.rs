//! Items of a playlist: checking what a caller describes, inserting, editing, removing and
//! reordering them.

use super::*;

/// An item as a caller describes it.
#[derive(Clone, Debug)]
pub struct ItemInput {
    pub title: String,
    pub description: Option<String>,
    pub resource_url: Option<String>,
    pub tool: Option<String>,
    pub estimated_minutes: Option<i32>,
    pub evidence: Evidence,
    pub target_date: Option<NaiveDate>,
    /// CASE identifiers of the competencies the item builds.
    pub competencies: Vec<String>,
}

pub(super) struct CheckedItem {
    pub(super) input: ItemInput,
    pub(super) competency_ids: Vec<i64>,
}

pub(super) async fn check_items(
    db: &impl ConnectionTrait,
    p: &Principal,
    field: &str,
    items: Vec<ItemInput>,
) -> AppResult<Vec<CheckedItem>> {
    if items.len() > MAX_ITEMS {
        return Err(AppError::validation(field, format!("at most {MAX_ITEMS} items")));
    }
    let wanted: BTreeSet<&str> = items.iter().flat_map(|i| i.competencies.iter().map(String::as_str)).collect();
    let wanted: Vec<&str> = wanted.into_iter().filter_map(lookup_key).collect();
    let known = crate::competencies::store::by_source_ids(db, p, &wanted).await?;
    let mut out = Vec::with_capacity(items.len());
    for (i, mut item) in items.into_iter().enumerate() {
        let f = |name: &str| format!("{field}.{i}.{name}");
        check_len(&f("title"), &item.title, 300)?;
        item.title = item.title.trim().to_owned();
        item.description = item.description.filter(|d| !d.trim().is_empty());
        if let Some(d) = &item.description {
            check_len(&f("description"), d, 10_000)?;
        }
        if let Some(u) = &item.resource_url {
            let ok = url::Url::parse(u).is_ok_and(|u| matches!(u.scheme(), "http" | "https")) && u.len() <= 2000;
            if !ok {
                return Err(AppError::validation(
                    f("resourceUrl"),
                    "must be an http(s) URL of at most 2000 characters",
                ));
            }
        }
        if let Some(t) = &item.tool {
            check_len(&f("tool"), t, 200)?;
        }
        if let Some(m) = item.estimated_minutes
            && !(1..=10_000).contains(&m)
        {
            return Err(AppError::validation(f("estimatedMinutes"), "must be between 1 and 10000"));
        }
        if let Some(d) = item.target_date {
            crate::validate::Date::parse(&f("targetDate"), d)?;
        }
        if item.competencies.len() > MAX_COMPETENCIES_PER_ITEM {
            return Err(AppError::validation(f("competencyIds"), format!("at most {MAX_COMPETENCIES_PER_ITEM}")));
        }
        let mut ids = Vec::new();
        for c in &item.competencies {
            let comp = known
                .get(c.as_str())
                .ok_or_else(|| AppError::not_found_at(f("competencyIds"), format!("no competency `{c}`")))?;
            if !ids.contains(&comp.id) {
                ids.push(comp.id);
            }
        }
        out.push(CheckedItem { input: item, competency_ids: ids });
    }
    Ok(out)
}

/// Inserts items at positions after `start`, with their competencies.
pub(super) async fn insert_items(
    txn: &impl ConnectionTrait,
    playlist_id: i64,
    start: i32,
    items: &[CheckedItem],
    template_items: Option<&[i64]>,
) -> AppResult<Vec<i64>> {
    let now = crate::db::now();
    let mut ids = Vec::with_capacity(items.len());
    for (n, item) in (1..).zip(items) {
        let i = &item.input;
        let id = playlist_item::Entity::insert(playlist_item::ActiveModel {
            playlist_id: Set(playlist_id),
            template_item_id: Set(template_items.and_then(|t| t.get(usize::try_from(n - 1).unwrap_or(0)).copied())),
            position: Set(start + n),
            title: Set(i.title.clone()),
            description: Set(i.description.clone()),
            resource_url: Set(i.resource_url.clone()),
            tool: Set(i.tool.clone()),
            estimated_minutes: Set(i.estimated_minutes),
            evidence: Set(i.evidence),
            target_date: Set(i.target_date),
            state: Set(ItemState::NotStarted),
            status: Set(Status::Active),
            created_at: Set(now),
            date_last_modified: Set(now),
            ..Default::default()
        })
        .exec(txn)
        .await?
        .last_insert_id;
        ids.push(id);
    }
    let links: Vec<_> = ids
        .iter()
        .zip(items)
        .flat_map(|(id, item)| {
            item.competency_ids
                .iter()
                .map(|c| playlist_item_competency::ActiveModel { item_id: Set(*id), competency_id: Set(*c) })
        })
        .collect();
    for chunk in links.chunks(5000) {
        playlist_item_competency::Entity::insert_many(chunk.to_vec()).exec(txn).await?;
    }
    Ok(ids)
}

/// Appends items to a playlist.
#[tracing::instrument(skip_all, fields(playlist = id, items = items.len()))]
pub async fn add_items(
    db: &impl TransactionTrait,
    bus: &Bus,
    p: &Principal,
    id: i64,
    items: Vec<ItemInput>,
) -> AppResult<Vec<playlist_item::Model>> {
    if items.is_empty() {
        return Err(AppError::validation("input.items", "give at least one item"));
    }
    let txn = crate::db::begin_write(db).await?;
    let checked = check_items(&txn, p, "input.items", items).await?;
    let pl = editable(&txn, p, id).await?;
    let current = active_items(&txn, id).await?;
    if current.len() + checked.len() > MAX_ITEMS {
        return Err(AppError::validation("input.items", format!("a playlist holds at most {MAX_ITEMS} items")));
    }
    let start = current.iter().map(|i| i.position).max().unwrap_or(0);
    let ids = insert_items(&txn, id, start, &checked, None).await?;
    touch(&txn, id).await?;
    let rows = playlist_item::Entity::find()
        .filter(playlist_item::Column::Id.is_in(ids.iter().copied()))
        .order_by_asc(playlist_item::Column::Position)
        .all(&txn)
        .await?;
    let mut effects = Effects::default();
    effects.changes.push(playlist_change(&pl, false));
    effects.changes.extend(ids.iter().map(|i| item_change(&pl, *i, false)));
    let staged = effects.finish(&txn, bus).await?;
    txn.commit().await?;
    staged.sent();
    p.reveal(pl.learner_id);
    Ok(rows)
}

/// Changes to an item; `None` leaves a field as it is, `Some(None)` clears an optional one.
#[derive(Clone, Debug, Default)]
pub struct ItemChanges {
    pub title: Option<String>,
    pub description: Option<Option<String>>,
    pub resource_url: Option<Option<String>>,
    pub tool: Option<Option<String>>,
    pub estimated_minutes: Option<Option<i32>>,
    pub evidence: Option<Evidence>,
    pub target_date: Option<Option<NaiveDate>>,
    pub competencies: Option<Vec<String>>,
}

/// Edits an item (its content and competencies; its state moves through `set_item_state`).
#[tracing::instrument(skip_all, fields(item = item_id))]
pub async fn update_item(
    db: &impl TransactionTrait,
    bus: &Bus,
    p: &Principal,
    item_id: i64,
    c: ItemChanges,
) -> AppResult<playlist_item::Model> {
    policy::require_editor(p)?;
    let txn = crate::db::begin_write(db).await?;
    let item =
        find_item(&txn, p, item_id).await?.filter(|i| i.status == Status::Active).ok_or(AppError::NotFound("item"))?;
    let pl = editable(&txn, p, item.playlist_id).await?;
    let links = crate::progress::mastery::item_links(&txn, &BTreeSet::from([item.id])).await?;
    let merged = ItemInput {
        title: c.title.unwrap_or(item.title.clone()),
        description: c.description.unwrap_or(item.description.clone()),
        resource_url: c.resource_url.unwrap_or(item.resource_url.clone()),
        tool: c.tool.unwrap_or(item.tool.clone()),
        estimated_minutes: c.estimated_minutes.unwrap_or(item.estimated_minutes),
        evidence: c.evidence.unwrap_or(item.evidence),
        target_date: c.target_date.unwrap_or(item.target_date),
        competencies: vec![],
    };
    let new_competencies = c.competencies.clone();
    let mut checked = check_items(
        &txn,
        p,
        "input",
        vec![ItemInput { competencies: new_competencies.clone().unwrap_or_default(), ..merged }],
    )
    .await
    .map_err(|e| e.refield(|field| field.replace("input.0.", "input.")))?;
    let Some(checked) = checked.pop() else { return Err(AppError::NotFound("item")) };
    let i = &checked.input;
    playlist_item::Entity::update(playlist_item::ActiveModel {
        id: Set(item.id),
        title: Set(i.title.clone()),
        description: Set(i.description.clone()),
        resource_url: Set(i.resource_url.clone()),
        tool: Set(i.tool.clone()),
        estimated_minutes: Set(i.estimated_minutes),
        evidence: Set(i.evidence),
        target_date: Set(i.target_date),
        date_last_modified: Set(crate::db::now()),
        ..Default::default()
    })
    .exec(&txn)
    .await?;
    let mut effects = Effects::default();
    if new_competencies.is_some() {
        let before: BTreeSet<i64> = links.get(&item.id).cloned().unwrap_or_default().into_iter().collect();
        let after: BTreeSet<i64> = checked.competency_ids.iter().copied().collect();
        if before != after {
            playlist_item_competency::Entity::delete_many()
                .filter(playlist_item_competency::Column::ItemId.eq(item.id))
                .exec(&txn)
                .await?;
            let rows: Vec<_> = after
                .iter()
                .map(|c| playlist_item_competency::ActiveModel { item_id: Set(item.id), competency_id: Set(*c) })
                .collect();
            if !rows.is_empty() {
                playlist_item_competency::Entity::insert_many(rows).exec(&txn).await?;
            }
            // Results posted against the item count toward its competencies: recompute both sets.
            if let Some(learner) = pl.learner_id {
                let pairs = before.union(&after).map(|c| (learner, *c)).collect();
                effects.extend(crate::progress::mastery::recompute(&txn, pairs).await?);
            }
        }
    }
    let model = playlist_item::Entity::find_by_id(item.id).one(&txn).await?.ok_or(AppError::NotFound("item"))?;
    effects.changes.push(item_change(&pl, item.id, false));
    let staged = effects.finish(&txn, bus).await?;
    txn.commit().await?;
    staged.sent();
    Ok(model)
}

/// Removes an item (a tombstone stays for sync).
#[tracing::instrument(skip_all, fields(item = item_id))]
pub async fn remove_item(db: &impl TransactionTrait, bus: &Bus, p: &Principal, item_id: i64) -> AppResult<()> {
    policy::require_editor(p)?;
    let txn = crate::db::begin_write(db).await?;
    let item =
        find_item(&txn, p, item_id).await?.filter(|i| i.status == Status::Active).ok_or(AppError::NotFound("item"))?;
    let pl = editable(&txn, p, item.playlist_id).await?;
    playlist_item::Entity::update_many()
        .col_expr(playlist_item::Column::Status, Expr::value(Status::ToBeDeleted))
        .col_expr(playlist_item::Column::DateLastModified, Expr::value(crate::db::now()))
        .filter(playlist_item::Column::Id.eq(item.id))
        .exec(&txn)
        .await?;
    touch(&txn, pl.id).await?;
    let changes = vec![playlist_change(&pl, false), item_change(&pl, item.id, true)];
    let staged = Effects { changes, events: vec![] }.finish(&txn, bus).await?;
    txn.commit().await?;
    staged.sent();
    Ok(())
}

/// Puts a playlist's items in the given order; the list must name every item exactly once.
#[tracing::instrument(skip_all, fields(playlist = id))]
pub async fn reorder(
    db: &impl TransactionTrait,
    bus: &Bus,
    p: &Principal,
    id: i64,
    order: Vec<i64>,
) -> AppResult<Vec<playlist_item::Model>> {
    let txn = crate::db::begin_write(db).await?;
    let pl = editable(&txn, p, id).await?;
    let current = active_items(&txn, id).await?;
    let have: BTreeSet<i64> = current.iter().map(|i| i.id).collect();
    let given: BTreeSet<i64> = order.iter().copied().collect();
    if given.len() != order.len() || have != given {
        return Err(AppError::validation("input.itemIds", "list every item of the playlist exactly once"));
    }
    let now = crate::db::now();
    let mut effects = Effects::default();
    for (pos, item_id) in (1..).zip(&order) {
        let old = current.iter().find(|i| i.id == *item_id).map(|i| i.position);
        if old == Some(pos) {
            continue;
        }
        playlist_item::Entity::update_many()
            .col_expr(playlist_item::Column::Position, Expr::value(pos))
            .col_expr(playlist_item::Column::DateLastModified, Expr::value(now))
            .filter(playlist_item::Column::Id.eq(*item_id))
            .exec(&txn)
            .await?;
        effects.changes.push(item_change(&pl, *item_id, false));
    }
    touch(&txn, id).await?;
    effects.changes.push(playlist_change(&pl, false));
    let rows = active_items(&txn, id).await?;
    let staged = effects.finish(&txn, bus).await?;
    txn.commit().await?;
    staged.sent();
    p.reveal(pl.learner_id);
    Ok(rows)
}
