//! Assigning a template to a class: each learner gets a copy of their own.

use super::*;

/// What assigning a template to a class did.
pub struct Assignment {
    pub created: Vec<playlist::Model>,
    pub already_assigned: usize,
}

/// Gives every active learner of a class who does not have one yet their own copy of a
/// template. Running it again (or concurrently) creates no second copy.
#[tracing::instrument(skip_all, fields(template = template_id))]
pub async fn assign_template(
    db: &impl TransactionTrait,
    bus: &Bus,
    p: &Principal,
    template_id: i64,
    class_key: &str,
) -> AppResult<Assignment> {
    let txn = crate::db::begin_write(db).await?;
    let template = editable(&txn, p, template_id).await?;
    if !template.is_template {
        return Err(AppError::validation("input.templateId", "not a template playlist"));
    }
    let class = roster::find_class(&txn, p, Key::Sourced(lookup_key(class_key).unwrap_or_default()))
        .await?
        .filter(|c| c.status == entity::Status::Active)
        .ok_or_else(|| {
            AppError::not_found_at("input.classSourcedId", format!("no class `{class_key}` in your orgs"))
        })?;
    if class.org_id != template.org_id {
        return Err(AppError::validation("input.classSourcedId", "the class is at another school than the template"));
    }
    let students: Vec<user::Model> = roster::users(p, &[Role::Student], None, Some(class.id), None, Sync::default())
        .filter(
            user::Column::Id.in_subquery(
                Query::select()
                    .column(enrollment::Column::UserId)
                    .from(enrollment::Entity)
                    .and_where(enrollment::Column::ClassId.eq(class.id))
                    .and_where(enrollment::Column::Role.eq(Role::Student))
                    .and_where(enrollment::Column::Status.eq(entity::Status::Active))
                    .to_owned(),
            ),
        )
        .order_by_asc(user::Column::Id)
        .all(&txn)
        .await?;
    let have: BTreeSet<i64> = playlist::Entity::find()
        .filter(playlist::Column::TemplateId.eq(template.id))
        .all(&txn)
        .await?
        .into_iter()
        .filter_map(|p| p.learner_id)
        .collect();
    let t_items = active_items(&txn, template.id).await?;
    let t_ids: Vec<i64> = t_items.iter().map(|i| i.id).collect();
    let t_links = crate::progress::mastery::item_links(&txn, &t_ids.iter().copied().collect()).await?;
    let copies: Vec<CheckedItem> = t_items
        .iter()
        .map(|i| CheckedItem {
            input: ItemInput {
                title: i.title.clone(),
                description: i.description.clone(),
                resource_url: i.resource_url.clone(),
                tool: i.tool.clone(),
                estimated_minutes: i.estimated_minutes,
                evidence: i.evidence,
                target_date: i.target_date,
                competencies: vec![],
            },
            competency_ids: t_links.get(&i.id).cloned().unwrap_or_default(),
        })
        .collect();
    let now = crate::db::now();
    let mut created = Vec::new();
    let mut effects = Effects::default();
    let mut already = 0;
    for s in &students {
        if have.contains(&s.id) {
            already += 1;
            continue;
        }
        let id = playlist::Entity::insert(playlist::ActiveModel {
            org_id: Set(template.org_id),
            learner_id: Set(Some(s.id)),
            class_id: Set(Some(class.id)),
            term_id: Set(template.term_id.or(Some(class.term_id))),
            template_id: Set(Some(template.id)),
            is_template: Set(false),
            title: Set(template.title.clone()),
            subject: Set(template.subject.clone()),
            created_by: Set(creator(p)),
            status: Set(Status::Active),
            created_at: Set(now),
            date_last_modified: Set(now),
            ..Default::default()
        })
        .exec(&txn)
        .await
        .on_unique("uq_playlists_template_learner", || {
            AppError::Conflict("this template was assigned meanwhile: retry".into())
        })?
        .last_insert_id;
        let item_ids = insert_items(&txn, id, 0, &copies, Some(&t_ids)).await?;
        let model = playlist::Entity::find_by_id(id).one(&txn).await?.ok_or(AppError::NotFound("playlist"))?;
        effects.changes.push(playlist_change(&model, false));
        effects.changes.extend(item_ids.iter().map(|i| item_change(&model, *i, false)));
        created.push(model);
    }
    let staged = effects.finish(&txn, bus).await?;
    txn.commit().await?;
    staged.sent();
    p.reveal(created.iter().filter_map(|pl| pl.learner_id));
    Ok(Assignment { created, already_assigned: already })
}
