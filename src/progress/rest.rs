//! The OneRoster 1.2 Gradebook service (REST binding, reads) under
//! `/ims/oneroster/gradebook/v1p2`: categories, line items, results and score scales, each as a
//! collection and by sourcedId, and the class-scoped collections. Line items follow their
//! class's visibility (the roster store's visible classes), results their learner's (the
//! results store's, which notes them on the audit trail); categories and score scales hold no
//! student data and are read with the gradebook scope alone. The transport machinery (paging,
//! filters, errors, the audit event) is [`crate::rest`]'s, as for the Rostering service.

use std::collections::HashMap;

use entity::{Status, class, gradebook_category, line_item, line_item_objective, result, score_scale};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, QueryTrait, Select, sea_query::Expr,
};
use serde_json::{Value, json};

use super::rest_writes as writes;
use crate::{
    auth::{Principal, Scope},
    error::AppResult,
    page::{PageRequest, fetch_page},
    rest::{
        self, ListParams, Reply, StatusInfo, col, field,
        openapi::{Prop, STATUS, Schema},
        put, reference, time,
    },
    roster::{
        oneroster::records,
        store::{self as roster, Key, Sync},
    },
    state::AppState,
};

/// Where the service is mounted.
pub const BASE: &str = "/ims/oneroster/gradebook/v1p2";

/// The scopes that grant the gradebook's reads.
const READ_SCOPES: &[&str] = &[Scope::OneRosterGradebookRead.as_str()];
/// The scope of its PUTs.
const WRITE_SCOPES: &[&str] = &[Scope::OneRosterGradebookCreatePut.as_str()];
/// The scope of its DELETEs.
const DELETE_SCOPES: &[&str] = &[Scope::OneRosterGradebookDelete.as_str()];

const ALL: Sync = Sync { updated_since: None, include_deleted: true };

rest::service! {
    "Gradebook", BASE;
    "/categories" => get_all_categories, "getAllCategories", many CATEGORY, READ_SCOPES;
    "/categories/{id}" => get_category, "getCategory", one CATEGORY, READ_SCOPES;
    "/lineItems" => get_all_line_items, "getAllLineItems", many LINE_ITEM, READ_SCOPES;
    "/lineItems/{id}" => get_line_item, "getLineItem", one LINE_ITEM, READ_SCOPES;
    "/results" => get_all_results, "getAllResults", many RESULT, READ_SCOPES;
    "/results/{id}" => get_result, "getResult", one RESULT, READ_SCOPES;
    "/scoreScales" => get_all_score_scales, "getAllScoreScales", many SCORE_SCALE, READ_SCOPES;
    "/scoreScales/{id}" => get_score_scale, "getScoreScale", one SCORE_SCALE, READ_SCOPES;
    "/classes/{id}/categories" => get_categories_for_class, "getCategoriesForClass", many CATEGORY, READ_SCOPES;
    "/classes/{id}/lineItems" => get_line_items_for_class, "getLineItemsForClass", many LINE_ITEM, READ_SCOPES;
    "/classes/{id}/results" => get_results_for_class, "getResultsForClass", many RESULT, READ_SCOPES;
    "/classes/{id}/lineItems/{item}/results" => get_results_for_line_item_for_class, "getResultsForLineItemForClass", many RESULT, READ_SCOPES;
    "/classes/{id}/students/{student}/results" => get_results_for_student_for_class, "getResultsForStudentForClass", many RESULT, READ_SCOPES;
    "/classes/{id}/scoreScales" => get_score_scales_for_class, "getScoreScalesForClass", many SCORE_SCALE, READ_SCOPES;
    put "/categories/{id}" => put_category, "putCategory", one CATEGORY, WRITE_SCOPES;
    delete "/categories/{id}" => delete_category, "deleteCategory", one CATEGORY, DELETE_SCOPES;
    put "/lineItems/{id}" => put_line_item, "putLineItem", one LINE_ITEM, WRITE_SCOPES;
    delete "/lineItems/{id}" => delete_line_item, "deleteLineItem", one LINE_ITEM, DELETE_SCOPES;
    put "/results/{id}" => put_result, "putResult", one RESULT, WRITE_SCOPES;
    delete "/results/{id}" => delete_result, "deleteResult", one RESULT, DELETE_SCOPES;
    put "/scoreScales/{id}" => put_score_scale, "putScoreScale", one SCORE_SCALE, WRITE_SCOPES;
    delete "/scoreScales/{id}" => delete_score_scale, "deleteScoreScale", one SCORE_SCALE, DELETE_SCOPES;
}

pub(super) static CATEGORY: Schema = Schema {
    name: "Category",
    one: "category",
    many: "categories",
    props: &[
        ("sourcedId", Prop::Str),
        ("status", STATUS),
        ("dateLastModified", Prop::DateTime),
        ("title", Prop::Str),
        ("weight", Prop::Number),
    ],
    required: &["sourcedId", "status", "dateLastModified", "title"],
    fields: &[
        field!("sourcedId", Text, col!(gradebook_category, SourcedId)),
        field!("status", Enum, col!(gradebook_category, Status)),
        field!("dateLastModified", DateTime, col!(gradebook_category, DateLastModified)),
        field!("title", Text, col!(gradebook_category, Title)),
    ],
    scope: Scope::ProgressRead,
    students: false,
};

pub(super) static LINE_ITEM: Schema = Schema {
    name: "LineItem",
    one: "lineItem",
    many: "lineItems",
    props: &[
        ("sourcedId", Prop::Str),
        ("status", STATUS),
        ("dateLastModified", Prop::DateTime),
        ("title", Prop::Str),
        ("description", Prop::Str),
        ("assignDate", Prop::DateTime),
        ("dueDate", Prop::DateTime),
        ("class", Prop::Ref),
        ("school", Prop::Ref),
        ("category", Prop::Ref),
        ("gradingPeriod", Prop::Ref),
        ("resultValueMin", Prop::Number),
        ("resultValueMax", Prop::Number),
        ("learningObjectiveSet", Prop::Objectives),
    ],
    required: &["sourcedId", "status", "dateLastModified", "title", "assignDate", "dueDate", "class", "category"],
    fields: &[
        field!("sourcedId", Text, col!(line_item, SourcedId)),
        field!("status", Enum, col!(line_item, Status)),
        field!("dateLastModified", DateTime, col!(line_item, DateLastModified)),
        field!("title", Text, col!(line_item, Title)),
        field!("description", Text, col!(line_item, Description)),
        field!("assignDate", DateTime, col!(line_item, AssignDate)),
        field!("dueDate", DateTime, col!(line_item, DueDate)),
        field!("class.sourcedId", Text, |_| {
            Expr::cust("(SELECT r.sourced_id FROM classes r WHERE r.id = line_items.class_id)")
        }),
        field!("category.sourcedId", Text, |_| {
            Expr::cust("(SELECT r.sourced_id FROM gradebook_categories r WHERE r.id = line_items.category_id)")
        }),
    ],
    scope: Scope::ProgressRead,
    students: false,
};

pub(super) static RESULT: Schema = Schema {
    name: "Result",
    one: "result",
    many: "results",
    props: &[
        ("sourcedId", Prop::Str),
        ("status", STATUS),
        ("dateLastModified", Prop::DateTime),
        ("lineItem", Prop::Ref),
        ("student", Prop::Ref),
        ("class", Prop::Ref),
        ("scoreStatus", Prop::Enum(&records::SCORE_STATUSES)),
        ("score", Prop::Number),
        ("textScore", Prop::Str),
        ("scoreDate", Prop::Date),
        ("comment", Prop::Str),
        ("inProgress", Prop::TrueFalse),
        ("incomplete", Prop::TrueFalse),
        ("late", Prop::TrueFalse),
        ("missing", Prop::TrueFalse),
    ],
    required: &["sourcedId", "status", "dateLastModified", "lineItem", "student", "scoreStatus", "scoreDate"],
    fields: &[
        field!("sourcedId", Text, col!(result, SourcedId)),
        field!("status", Enum, col!(result, Status)),
        field!("dateLastModified", DateTime, col!(result, DateLastModified)),
        field!("scoreStatus", Enum, col!(result, ScoreStatus)),
        field!("scoreDate", Date, col!(result, ScoreDate)),
        field!("textScore", Text, col!(result, TextScore)),
        field!("comment", Text, col!(result, Comment)),
        field!("lineItem.sourcedId", Text, |_| {
            Expr::cust("(SELECT r.sourced_id FROM line_items r WHERE r.id = results.line_item_id)")
        }),
        field!("student.sourcedId", Text, |_| {
            Expr::cust("(SELECT r.sourced_id FROM users r WHERE r.id = results.learner_id)")
        }),
        field!("class.sourcedId", Text, |_| {
            Expr::cust(
                "(SELECT r.sourced_id FROM classes r WHERE r.id = COALESCE(results.class_id, \
                 (SELECT l.class_id FROM line_items l WHERE l.id = results.line_item_id)))",
            )
        }),
    ],
    scope: Scope::ProgressRead,
    students: true,
};

pub(super) static SCORE_SCALE: Schema = Schema {
    name: "ScoreScale",
    one: "scoreScale",
    many: "scoreScales",
    props: &[
        ("sourcedId", Prop::Str),
        ("status", STATUS),
        ("dateLastModified", Prop::DateTime),
        ("title", Prop::Str),
        ("type", Prop::Str),
        ("org", Prop::Ref),
        ("course", Prop::Ref),
        ("class", Prop::Ref),
        ("scoreScaleValue", Prop::ScaleValues),
    ],
    required: &["sourcedId", "status", "dateLastModified", "title", "type", "scoreScaleValue"],
    fields: &[
        field!("sourcedId", Text, col!(score_scale, SourcedId)),
        field!("status", Enum, col!(score_scale, Status)),
        field!("dateLastModified", DateTime, col!(score_scale, DateLastModified)),
        field!("title", Text, col!(score_scale, Title)),
        field!("type", Text, col!(score_scale, ScaleType)),
    ],
    scope: Scope::ProgressRead,
    students: false,
};

// ---------------------------------------------------------------------------------------------
// The records, as the binding writes them.

fn to(ids: &HashMap<i64, String>, id: Option<i64>, collection: &str, ty: &str) -> Option<Value> {
    id.and_then(|id| ids.get(&id)).map(|s| reference(BASE, collection, ty, s))
}

/// A reference into the Rostering service (classes, orgs, users, sessions).
fn roster_ref(ids: &HashMap<i64, String>, id: Option<i64>, collection: &str, ty: &str) -> Option<Value> {
    id.and_then(|id| ids.get(&id)).map(|s| reference(crate::roster::rest::BASE, collection, ty, s))
}

pub(super) fn categories_json(rows: Vec<gradebook_category::Model>) -> Vec<Value> {
    rows.into_iter()
        .map(|c| {
            let mut m = rest::record(c.status, &c.sourced_id, c.date_last_modified);
            m.insert("title".into(), c.title.into());
            put(&mut m, "weight", c.weight);
            Value::Object(m)
        })
        .collect()
}

pub(super) async fn line_items_json(db: &impl ConnectionTrait, rows: Vec<line_item::Model>) -> AppResult<Vec<Value>> {
    let classes = roster::sourced_ids(db, "classes", rows.iter().map(|l| l.class_id)).await?;
    let orgs = roster::sourced_ids(db, "orgs", rows.iter().filter_map(|l| l.school_id)).await?;
    let sessions =
        roster::sourced_ids(db, "academic_sessions", rows.iter().filter_map(|l| l.academic_session_id)).await?;
    let categories = roster::sourced_ids(db, "gradebook_categories", rows.iter().filter_map(|l| l.category_id)).await?;
    let mut objectives: HashMap<i64, Vec<line_item_objective::Model>> = HashMap::new();
    for o in line_item_objective::Entity::find()
        .filter(line_item_objective::Column::LineItemId.is_in(rows.iter().map(|l| l.id)))
        .filter(line_item_objective::Column::Status.eq(Status::Active))
        .all(db)
        .await?
    {
        objectives.entry(o.line_item_id).or_default().push(o);
    }
    Ok(rows
        .into_iter()
        .map(|l| {
            let mut m = rest::record(l.status, &l.sourced_id, l.date_last_modified);
            m.insert("title".into(), l.title.into());
            put(&mut m, "description", l.description);
            m.insert("assignDate".into(), time(l.assign_date).into());
            m.insert("dueDate".into(), time(l.due_date).into());
            put(&mut m, "class", roster_ref(&classes, Some(l.class_id), "classes", "class"));
            put(&mut m, "school", roster_ref(&orgs, l.school_id, "schools", "org"));
            put(&mut m, "category", to(&categories, l.category_id, "categories", "category"));
            put(
                &mut m,
                "gradingPeriod",
                roster_ref(&sessions, l.academic_session_id, "academicSessions", "academicSession"),
            );
            put(&mut m, "resultValueMin", l.result_value_min);
            put(&mut m, "resultValueMax", l.result_value_max);
            // Objectives grouped by their source (`case`, ...), in the order they were sent.
            let mut sets: Vec<(String, Vec<String>)> = Vec::new();
            let mut mine = objectives.remove(&l.id).unwrap_or_default();
            mine.sort_by_key(|o| o.id);
            for o in mine {
                match sets.iter_mut().find(|(s, _)| *s == o.source) {
                    Some((_, ids)) => ids.push(o.objective_id),
                    None => sets.push((o.source, vec![o.objective_id])),
                }
            }
            if !sets.is_empty() {
                let sets: Vec<Value> = sets
                    .into_iter()
                    .map(|(source, ids)| json!({"source": source, "learningObjectiveIds": ids}))
                    .collect();
                m.insert("learningObjectiveSet".into(), sets.into());
            }
            Value::Object(m)
        })
        .collect())
}

pub(super) async fn results_json(db: &impl ConnectionTrait, rows: Vec<result::Model>) -> AppResult<Vec<Value>> {
    // Each result's line item, and its class (a result names its class, or has its line item's).
    let items: HashMap<i64, (String, i64)> = line_item::Entity::find()
        .select_only()
        .columns([line_item::Column::Id, line_item::Column::SourcedId, line_item::Column::ClassId])
        .filter(line_item::Column::Id.is_in(rows.iter().filter_map(|r| r.line_item_id)))
        .into_tuple::<(i64, String, i64)>()
        .all(db)
        .await?
        .into_iter()
        .map(|(id, sid, class)| (id, (sid, class)))
        .collect();
    let class_of = |r: &result::Model| r.class_id.or_else(|| r.line_item_id.and_then(|l| items.get(&l)).map(|i| i.1));
    let learners = roster::sourced_ids(db, "users", rows.iter().map(|r| r.learner_id)).await?;
    let classes = roster::sourced_ids(db, "classes", rows.iter().filter_map(class_of)).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let mut m = rest::record(r.status, &r.sourced_id, r.date_last_modified);
            let item = r.line_item_id.and_then(|l| items.get(&l));
            put(&mut m, "lineItem", item.map(|i| reference(BASE, "lineItems", "lineItem", &i.0)));
            put(&mut m, "student", roster_ref(&learners, Some(r.learner_id), "students", "user"));
            put(&mut m, "class", roster_ref(&classes, class_of(&r), "classes", "class"));
            put(&mut m, "scoreStatus", r.score_status);
            put(&mut m, "score", r.score);
            put(&mut m, "textScore", r.text_score);
            put(&mut m, "scoreDate", r.score_date.map(|d| d.to_string()));
            put(&mut m, "comment", r.comment);
            put(&mut m, "inProgress", r.in_progress.map(rest::true_false));
            put(&mut m, "incomplete", r.incomplete.map(rest::true_false));
            put(&mut m, "late", r.late.map(rest::true_false));
            put(&mut m, "missing", r.missing.map(rest::true_false));
            Value::Object(m)
        })
        .collect())
}

/// `scoreScaleValue` as the CSV binding stores it (`A:90-100,B:80-89`): left and right values.
fn scale_values(v: Option<&str>) -> Value {
    Value::Array(
        v.unwrap_or("")
            .split(',')
            .filter(|s| !s.trim().is_empty())
            .map(|pair| match pair.split_once(':') {
                Some((lhs, rhs)) => json!({"itemValueLHS": lhs.trim(), "itemValueRHS": rhs.trim()}),
                None => json!({"itemValueLHS": pair.trim(), "itemValueRHS": pair.trim()}),
            })
            .collect(),
    )
}

pub(super) async fn score_scales_json(
    db: &impl ConnectionTrait,
    rows: Vec<score_scale::Model>,
) -> AppResult<Vec<Value>> {
    let orgs = roster::sourced_ids(db, "orgs", rows.iter().filter_map(|s| s.org_id)).await?;
    let courses = roster::sourced_ids(db, "courses", rows.iter().filter_map(|s| s.course_id)).await?;
    let classes = roster::sourced_ids(db, "classes", rows.iter().filter_map(|s| s.class_id)).await?;
    Ok(rows
        .into_iter()
        .map(|s| {
            let mut m = rest::record(s.status, &s.sourced_id, s.date_last_modified);
            m.insert("title".into(), s.title.into());
            m.insert("type".into(), s.scale_type.into());
            put(&mut m, "org", roster_ref(&orgs, s.org_id, "orgs", "org"));
            put(&mut m, "course", roster_ref(&courses, s.course_id, "courses", "course"));
            put(&mut m, "class", roster_ref(&classes, s.class_id, "classes", "class"));
            m.insert("scoreScaleValue".into(), scale_values(s.scale_values.as_deref()));
            Value::Object(m)
        })
        .collect())
}

// ---------------------------------------------------------------------------------------------
// Reading.

pub(super) fn key(sourced_id: &str) -> Result<&str, StatusInfo> {
    roster::lookup_key(sourced_id).ok_or_else(|| StatusInfo::unknown("record", sourced_id))
}

/// Classes the caller may see: the roster store's rule.
fn visible_classes(p: &Principal) -> sea_orm::sea_query::SelectStatement {
    roster::classes(p, None, None, None, ALL).select_only().column(class::Column::Id).into_query()
}

pub(super) fn line_items(p: &Principal) -> Select<line_item::Entity> {
    line_item::Entity::find().filter(line_item::Column::ClassId.in_subquery(visible_classes(p)))
}

/// A class the caller may see, by sourcedId.
async fn class(s: &AppState, p: &Principal, id: &str) -> Result<class::Model, StatusInfo> {
    p.require(Scope::ProgressRead)?;
    roster::find_class(&s.db, p, Key::Sourced(key(id)?)).await?.ok_or_else(|| StatusInfo::unknown("class", id))
}

async fn category_list(
    s: &AppState,
    p: &Principal,
    params: ListParams,
    q: Select<gradebook_category::Entity>,
) -> Result<Reply, StatusInfo> {
    rest::collection(
        s,
        p,
        params,
        &CATEGORY,
        q,
        async |q, id, req| fetch_page(&s.db, q, id, req, true).await,
        async |rows| Ok(categories_json(rows)),
    )
    .await
}

async fn line_item_list(
    s: &AppState,
    p: &Principal,
    params: ListParams,
    q: Select<line_item::Entity>,
) -> Result<Reply, StatusInfo> {
    rest::collection(
        s,
        p,
        params,
        &LINE_ITEM,
        q,
        async |q, id, req| fetch_page(&s.db, q, id, req, true).await,
        async |rows| line_items_json(&s.db, rows).await,
    )
    .await
}

async fn result_list(
    s: &AppState,
    p: &Principal,
    params: ListParams,
    q: Select<result::Entity>,
) -> Result<Reply, StatusInfo> {
    rest::collection(
        s,
        p,
        params,
        &RESULT,
        q,
        async |q, _id, req| crate::progress::store::gradebook_result_page(&s.db, p, q, req, true).await,
        async |rows| results_json(&s.db, rows).await,
    )
    .await
}

async fn score_scale_list(
    s: &AppState,
    p: &Principal,
    params: ListParams,
    q: Select<score_scale::Entity>,
) -> Result<Reply, StatusInfo> {
    rest::collection(
        s,
        p,
        params,
        &SCORE_SCALE,
        q,
        async |q, id, req| fetch_page(&s.db, q, id, req, true).await,
        async |rows| score_scales_json(&s.db, rows).await,
    )
    .await
}

/// Score scales the caller may see: the district's (no class), and those of classes it sees.
pub(super) fn score_scales(p: &Principal) -> Select<score_scale::Entity> {
    score_scale::Entity::find().filter(
        sea_orm::Condition::any()
            .add(score_scale::Column::ClassId.is_null())
            .add(score_scale::Column::ClassId.in_subquery(visible_classes(p))),
    )
}

/// Results of a class: those naming it, and those on its line items.
fn in_class(class: i64) -> sea_orm::Condition {
    let items = line_item::Entity::find()
        .select_only()
        .column(line_item::Column::Id)
        .filter(line_item::Column::ClassId.eq(class))
        .into_query();
    sea_orm::Condition::any().add(result::Column::ClassId.eq(class)).add(
        sea_orm::Condition::all()
            .add(result::Column::ClassId.is_null())
            .add(result::Column::LineItemId.in_subquery(items)),
    )
}

/// Categories of a class: those its line items are in.
fn categories_of_class(class: i64) -> Select<gradebook_category::Entity> {
    let used = line_item::Entity::find()
        .select_only()
        .column(line_item::Column::CategoryId)
        .filter(line_item::Column::ClassId.eq(class))
        .into_query();
    gradebook_category::Entity::find().filter(gradebook_category::Column::Id.in_subquery(used))
}

rest::op!(get_all_categories, "getAllCategories", |s, p, params| category_list(
    s,
    p,
    params,
    gradebook_category::Entity::find()
));
rest::op!(get_category, "getCategory", |s, p, params, id| async move {
    p.require(Scope::ProgressRead)?;
    let found = gradebook_category::Entity::find()
        .filter(gradebook_category::Column::SourcedId.eq(key(id)?))
        .all(&s.db)
        .await
        .map_err(crate::error::AppError::from)?;
    rest::one(&CATEGORY, &params, id, categories_json(found))
});
rest::op!(get_categories_for_class, "getCategoriesForClass", |s, p, params, id| async move {
    let class = class(s, p, id).await?;
    category_list(s, p, params, categories_of_class(class.id)).await
});

rest::op!(get_all_line_items, "getAllLineItems", |s, p, params| line_item_list(s, p, params, line_items(p)));
rest::op!(get_line_item, "getLineItem", |s, p, params, id| async move {
    p.require(Scope::ProgressRead)?;
    let found = line_items(p)
        .filter(line_item::Column::SourcedId.eq(key(id)?))
        .all(&s.db)
        .await
        .map_err(crate::error::AppError::from)?;
    rest::one(&LINE_ITEM, &params, id, line_items_json(&s.db, found).await?)
});
rest::op!(get_line_items_for_class, "getLineItemsForClass", |s, p, params, id| async move {
    let class = class(s, p, id).await?;
    line_item_list(s, p, params, line_items(p).filter(line_item::Column::ClassId.eq(class.id))).await
});

rest::op!(get_all_results, "getAllResults", |s, p, params| {
    result_list(s, p, params, crate::progress::store::gradebook_results(p))
});
rest::op!(get_result, "getResult", |s, p, params, id| async move {
    let q = crate::progress::store::gradebook_results(p).filter(result::Column::SourcedId.eq(key(id)?));
    let page =
        crate::progress::store::gradebook_result_page(&s.db, p, q, PageRequest::Offset { limit: 1, offset: 0 }, false)
            .await?;
    rest::one(&RESULT, &params, id, results_json(&s.db, page.rows).await?)
});
rest::op!(get_results_for_class, "getResultsForClass", |s, p, params, id| async move {
    let class = class(s, p, id).await?;
    let q = crate::progress::store::gradebook_results(p).filter(in_class(class.id));
    result_list(s, p, params, q).await
});
rest::op!(get_results_for_line_item_for_class, "getResultsForLineItemForClass", |s, p, params, id, item| async move {
    let class = class(s, p, id).await?;
    let found = line_items(p)
        .filter(line_item::Column::ClassId.eq(class.id))
        .filter(line_item::Column::SourcedId.eq(key(item)?))
        .one(&s.db)
        .await
        .map_err(crate::error::AppError::from)?
        .ok_or_else(|| StatusInfo::unknown("lineItem", item))?;
    let q = crate::progress::store::gradebook_results(p).filter(result::Column::LineItemId.eq(found.id));
    result_list(s, p, params, q).await
});
rest::op!(get_results_for_student_for_class, "getResultsForStudentForClass", |s, p, params, id, student| async move {
    let class = class(s, p, id).await?;
    let learner = roster::find_learner(&s.db, p, Key::Sourced(key(student)?))
        .await?
        .ok_or_else(|| StatusInfo::unknown("student", student))?;
    let q = crate::progress::store::gradebook_results(p)
        .filter(in_class(class.id))
        .filter(result::Column::LearnerId.eq(learner.id));
    result_list(s, p, params, q).await
});

rest::op!(get_all_score_scales, "getAllScoreScales", |s, p, params| score_scale_list(s, p, params, score_scales(p)));
rest::op!(get_score_scale, "getScoreScale", |s, p, params, id| async move {
    p.require(Scope::ProgressRead)?;
    let found = score_scales(p)
        .filter(score_scale::Column::SourcedId.eq(key(id)?))
        .all(&s.db)
        .await
        .map_err(crate::error::AppError::from)?;
    rest::one(&SCORE_SCALE, &params, id, score_scales_json(&s.db, found).await?)
});
rest::op!(get_score_scales_for_class, "getScoreScalesForClass", |s, p, params, id| async move {
    let class = class(s, p, id).await?;
    score_scale_list(s, p, params, score_scales(p).filter(score_scale::Column::ClassId.eq(class.id))).await
});

// Writes: the handlers of `rest_writes`.
rest::op!(put_category, "putCategory", put | s, p, id, sent | writes::put_category(s, p, id, &sent));
rest::op!(delete_category, "deleteCategory", delete | s, p, id | writes::delete_category(s, p, id));
rest::op!(put_line_item, "putLineItem", put | s, p, id, sent | writes::put_line_item(s, p, id, &sent));
rest::op!(delete_line_item, "deleteLineItem", delete | s, p, id | writes::delete_line_item(s, p, id));
rest::op!(put_result, "putResult", put | s, p, id, sent | writes::put_result(s, p, id, &sent));
rest::op!(delete_result, "deleteResult", delete | s, p, id | writes::delete_result(s, p, id));
rest::op!(put_score_scale, "putScoreScale", put | s, p, id, sent | writes::put_score_scale(s, p, id, &sent));
rest::op!(delete_score_scale, "deleteScoreScale", delete | s, p, id | writes::delete_score_scale(s, p, id));

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn score_scale_values_read_as_left_and_right() {
        assert_eq!(
            scale_values(Some("A:90-100, B:80-89,Pass")),
            json!([
                {"itemValueLHS": "A", "itemValueRHS": "90-100"},
                {"itemValueLHS": "B", "itemValueRHS": "80-89"},
                {"itemValueLHS": "Pass", "itemValueRHS": "Pass"},
            ])
        );
        assert_eq!(scale_values(None), json!([]));
    }
}
