//! The OneRoster 1.2 Gradebook service's writes: PUT creates or replaces a category, line item,
//! result or score scale by its sourcedId, DELETE marks one `tobedeleted`. A write is a one-row
//! delta handed to the import engine, the pipeline every gradebook record goes through (results
//! through the results pipeline `postResults` uses: idempotent by sourcedId, a version older
//! than the stored one ignored, a teacher's override kept, mastery recomputed, the changes feed
//! and live subscriptions told), so a REST write is checked exactly as a SIS's delta file is.
//! Who may write is the policy's ([`gradebook_writer`]); which classes, students and records
//! they may write for are the same visibility rules the reads apply.

use chrono::{DateTime, Utc};
use entity::{Status, gradebook_category, line_item, line_item_objective, result, score_scale};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use serde_json::{Map, Value};

use super::rest::{
    CATEGORY, LINE_ITEM, RESULT, SCORE_SCALE, categories_json, key, line_items, line_items_json, results_json,
    score_scales, score_scales_json,
};
use crate::{
    auth::{Principal, Scope, policy::progress::gradebook_writer},
    error::AppError,
    rest::{Reply, StatusInfo, openapi::Schema},
    roster::{
        oneroster::{
            Options, RowWrite,
            problems::{Code, Problems},
            records::{GRADEBOOK_POSTER, Kind},
            set::MemoryFile,
        },
        store::{self as roster, Key},
    },
    state::AppState,
};

/// The record a PUT sends, under the binding's key (`{"lineItem": {...}}`).
struct Body<'a> {
    m: &'a Map<String, Value>,
}

fn invalid(description: impl Into<String>) -> StatusInfo {
    StatusInfo::invalid_data(description)
}

/// A sourcedId a write names (in its path or its body): the engine reads every value trimmed,
/// so one with spaces around it would be checked as one record and written as another.
fn sourced<'a>(at: &str, id: &'a str) -> Result<&'a str, StatusInfo> {
    if id.is_empty() || id.trim() != id || id.contains('\0') {
        return Err(invalid(format!("{at} `{id}`: a sourcedId is not empty and has no spaces around it")));
    }
    Ok(id)
}

/// The path's sourcedId, for a write.
fn write_key(id: &str) -> Result<&str, StatusInfo> {
    sourced("sourcedId", key(id)?)
}

impl<'a> Body<'a> {
    /// The body's record, checked against the path: its sourcedId (when it names one) must be
    /// the path's, and its status `active` (DELETE deletes).
    fn of(sent: &'a Value, schema: &Schema, id: &str) -> Result<Self, StatusInfo> {
        let m = sent
            .get(schema.one)
            .and_then(Value::as_object)
            .ok_or_else(|| invalid(format!("the body must be {{\"{}\": {{...}}}}", schema.one)))?;
        match m.get("sourcedId") {
            None | Some(Value::Null) => {}
            Some(Value::String(s)) if s == id => {}
            Some(other) => return Err(invalid(format!("sourcedId {other} differs from the path's `{id}`"))),
        }
        match m.get("status").and_then(Value::as_str) {
            None | Some("active") => {}
            Some(other) => {
                return Err(invalid(format!("status `{other}`: a PUT writes an active record; DELETE deletes one")));
            }
        }
        Ok(Body { m })
    }

    /// A string property (absent or null: none).
    fn text(&self, name: &str) -> Result<Option<String>, StatusInfo> {
        match self.m.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.contains('\0') => Err(invalid(format!("{name} holds a NUL character"))),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(invalid(format!("{name} must be a string, not {other}"))),
        }
    }

    /// A reference's sourcedId: `{"sourcedId": "..."}` (its href and type are not read).
    fn reference(&self, name: &str) -> Result<Option<String>, StatusInfo> {
        match self.m.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Object(r)) => match r.get("sourcedId") {
                Some(Value::String(s)) => Ok(Some(sourced(name, s)?.to_owned())),
                _ => Err(invalid(format!("{name} must be a reference {{\"sourcedId\": \"...\"}}"))),
            },
            Some(other) => Err(invalid(format!("{name} must be a reference {{\"sourcedId\": \"...\"}}, not {other}"))),
        }
    }

    /// A number, as the CSV binding writes it (a string holding one is read by the engine's
    /// own check).
    fn number(&self, name: &str) -> Result<Option<String>, StatusInfo> {
        match self.m.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(invalid(format!("{name} must be a number, not {other}"))),
        }
    }

    /// A TrueFalse: the binding's `"true"` / `"false"` (a JSON boolean is read as one).
    fn flag(&self, name: &str) -> Result<Option<String>, StatusInfo> {
        match self.m.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(b.to_string())),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(invalid(format!("{name} must be \"true\" or \"false\", not {other}"))),
        }
    }

    /// When the sender last changed the record (a version older than the stored one is
    /// ignored); now when the body does not say.
    fn modified(&self) -> Result<Option<DateTime<Utc>>, StatusInfo> {
        let Some(t) = self.text("dateLastModified")? else { return Ok(None) };
        let at = DateTime::parse_from_rfc3339(&t)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| invalid(format!("dateLastModified `{t}` is not an ISO 8601 date and time")))?;
        // A version dated ahead would make every later one look stale.
        if at > crate::db::now() + chrono::TimeDelta::days(1) {
            return Err(invalid(format!("dateLastModified `{t}` is in the future")));
        }
        Ok(Some(at))
    }
}

/// The binding's property a CSV column stands for, to name it in a refusal.
fn property(column: &str) -> &str {
    match column {
        "classSourcedId" => "class",
        "categorySourcedId" => "category",
        "academicSessionSourcedId" => "gradingPeriod",
        "schoolSourcedId" => "school",
        "lineItemSourcedId" => "lineItem",
        "studentSourcedId" => "student",
        "courseSourcedId" => "course",
        "orgSourcedId" => "org",
        "learningObjectiveId" | "source" => "learningObjectiveSet",
        other => other,
    }
}

/// Writes `files` (the first holds the record the path names, its only row) through the import engine, for
/// a writer limited to `scope`, and answers what became of that record.
async fn apply(
    s: &AppState,
    p: &Principal,
    scope: Option<Vec<i64>>,
    files: &[&MemoryFile],
) -> Result<RowWrite, StatusInfo> {
    let main = files.first().map(|f| f.kind).ok_or_else(|| AppError::Server(anyhow::anyhow!("nothing to write")))?;
    let set = MemoryFile::set(files.iter().copied()).map_err(AppError::Server)?;
    // Results are always ordered by their senders' dates; a write reads only what it names.
    let opts = Options { per_row: true, targeted: true, scope, bus: Some(s.bus.clone()), ..Default::default() };
    let report = crate::roster::oneroster::import::apply(&s.db, &set, 0, opts, Problems::default())
        .await
        .map_err(AppError::Server)?;
    // The students it changed are named on the writer's access audit.
    p.reveal(report.learners.iter().copied());
    if let Some(problem) = report.problems.first() {
        let at = property(&problem.column);
        let message = if problem.value.is_empty() {
            format!("{at}: {}", problem.message)
        } else {
            format!("{at}: {} ({})", problem.message, problem.value)
        };
        return Err(match problem.code {
            Code::Conflict => StatusInfo::new(axum::http::StatusCode::CONFLICT, "invaliddata", message),
            Code::Invalid | Code::NotFound => invalid(message),
        });
    }
    report
        .rows
        .iter()
        .find(|r| r.kind == main)
        .map(|r| r.outcome)
        .ok_or_else(|| AppError::Server(anyhow::anyhow!("the write answered nothing for its record")).into())
}

/// A PUT's answer: the record as stored.
fn written(schema: &Schema, outcome: RowWrite, items: Vec<Value>) -> Result<Reply, StatusInfo> {
    let item =
        items.into_iter().next().ok_or_else(|| AppError::Server(anyhow::anyhow!("{} not stored", schema.one)))?;
    Ok(Reply::Written { key: schema.one, item, created: outcome == RowWrite::Created })
}

fn db_error(e: sea_orm::DbErr) -> StatusInfo {
    AppError::from(e).into()
}

/// 409 for a sourcedId whose record the writer may not change.
fn taken(what: &str, id: &str) -> StatusInfo {
    StatusInfo::new(
        axum::http::StatusCode::CONFLICT,
        "invaliddata",
        format!("the {what} `{id}` is another's: you may not change it"),
    )
}

/// A class the writer may see, by the sourcedId a body names.
async fn visible_class(s: &AppState, p: &Principal, id: &str, at: &str) -> Result<i64, StatusInfo> {
    Ok(roster::find_class(&s.db, p, Key::Sourced(id))
        .await?
        .ok_or_else(|| invalid(format!("{at}: no class `{id}` that you may write for")))?
        .id)
}

// ---------------------------------------------------------------------------------------------
// Categories.

pub async fn put_category(s: &AppState, p: &Principal, id: &str, sent: &Value) -> Result<Reply, StatusInfo> {
    let id = write_key(id)?;
    let scope = gradebook_writer(p, Scope::GradebookWrite, true)?;
    let b = Body::of(sent, &CATEGORY, id)?;
    let mut f = MemoryFile::new(Kind::Categories);
    f.push(
        b.modified()?,
        vec![
            ("sourcedId", id.to_owned()),
            ("title", b.text("title")?.unwrap_or_default()),
            ("weight", b.number("weight")?.unwrap_or_default()),
        ],
    );
    let outcome = apply(s, p, scope, &[&f]).await?;
    let found = gradebook_category::Entity::find()
        .filter(gradebook_category::Column::SourcedId.eq(id))
        .all(&s.db)
        .await
        .map_err(db_error)?;
    written(&CATEGORY, outcome, categories_json(found))
}

pub async fn delete_category(s: &AppState, p: &Principal, id: &str) -> Result<Reply, StatusInfo> {
    let id = write_key(id)?;
    let scope = gradebook_writer(p, Scope::GradebookDelete, true)?;
    let live = gradebook_category::Entity::find()
        .filter(gradebook_category::Column::SourcedId.eq(id))
        .filter(gradebook_category::Column::Status.eq(Status::Active))
        .one(&s.db)
        .await
        .map_err(db_error)?;
    if live.is_none() {
        return Err(StatusInfo::unknown("category", id));
    }
    delete(s, p, scope, Kind::Categories, id).await
}

/// Marks a record the caller may change `tobedeleted`, through the engine (which ends what
/// hangs on it: a line item's results, their learners' mastery recomputed).
async fn delete(
    s: &AppState,
    p: &Principal,
    scope: Option<Vec<i64>>,
    kind: Kind,
    id: &str,
) -> Result<Reply, StatusInfo> {
    let mut f = MemoryFile::new(kind);
    f.delete(id, None);
    apply(s, p, scope, &[&f]).await?;
    Ok(Reply::Deleted)
}

// ---------------------------------------------------------------------------------------------
// Line items.

/// A stored line item and whether the caller may change it (its class is one they see).
async fn stored_line_item(
    s: &AppState,
    p: &Principal,
    id: &str,
) -> Result<Option<(line_item::Model, bool)>, StatusInfo> {
    let Some(found) =
        line_item::Entity::find().filter(line_item::Column::SourcedId.eq(id)).one(&s.db).await.map_err(db_error)?
    else {
        return Ok(None);
    };
    let mine = line_items(p).filter(line_item::Column::Id.eq(found.id)).one(&s.db).await.map_err(db_error)?.is_some();
    Ok(Some((found, mine)))
}

pub async fn put_line_item(s: &AppState, p: &Principal, id: &str, sent: &Value) -> Result<Reply, StatusInfo> {
    let id = write_key(id)?;
    let scope = gradebook_writer(p, Scope::GradebookWrite, false)?;
    let b = Body::of(sent, &LINE_ITEM, id)?;
    let class = b.reference("class")?.ok_or_else(|| invalid("class: required"))?;
    visible_class(s, p, &class, "class").await?;
    let stored = stored_line_item(s, p, id).await?;
    if stored.as_ref().is_some_and(|(_, mine)| !mine) {
        return Err(taken("line item", id));
    }
    let modified = b.modified()?;
    let session = match b.reference("gradingPeriod")? {
        Some(s) => Some(s),
        None => b.reference("academicSession")?,
    };
    let mut f = MemoryFile::new(Kind::LineItems);
    f.push(
        modified,
        vec![
            ("sourcedId", id.to_owned()),
            ("title", b.text("title")?.unwrap_or_default()),
            ("description", b.text("description")?.unwrap_or_default()),
            ("assignDate", b.text("assignDate")?.unwrap_or_default()),
            ("dueDate", b.text("dueDate")?.unwrap_or_default()),
            ("classSourcedId", class),
            ("categorySourcedId", b.reference("category")?.unwrap_or_default()),
            ("academicSessionSourcedId", session.unwrap_or_default()),
            ("resultValueMin", b.number("resultValueMin")?.unwrap_or_default()),
            ("resultValueMax", b.number("resultValueMax")?.unwrap_or_default()),
            ("schoolSourcedId", b.reference("school")?.unwrap_or_default()),
        ],
    );
    // The competencies it assesses: its learning objectives become exactly those sent (left
    // out, they stay as they are).
    let mut objectives = MemoryFile::new(Kind::LineItemObjectives);
    if let Some(sets) = b.m.get("learningObjectiveSet").filter(|v| !v.is_null()) {
        let wanted = objective_pairs(sets)?;
        let old: Vec<(String, String, String)> = match &stored {
            Some((l, _)) => line_item_objective::Entity::find()
                .select_only()
                .columns([
                    line_item_objective::Column::SourcedId,
                    line_item_objective::Column::Source,
                    line_item_objective::Column::ObjectiveId,
                ])
                .filter(line_item_objective::Column::LineItemId.eq(l.id))
                .filter(line_item_objective::Column::Status.eq(Status::Active))
                .into_tuple()
                .all(&s.db)
                .await
                .map_err(db_error)?,
            None => vec![],
        };
        for (source, objective) in &wanted {
            let sid = old
                .iter()
                .find(|(_, s, o)| s == source && o == objective)
                .map_or_else(|| objective_id(id, source, objective), |(sid, _, _)| sid.clone());
            objectives.push(
                modified,
                vec![
                    ("sourcedId", sid),
                    ("lineItemSourcedId", id.to_owned()),
                    ("source", source.clone()),
                    ("learningObjectiveId", objective.clone()),
                ],
            );
        }
        for (sid, source, objective) in &old {
            if !wanted.iter().any(|(s, o)| s == source && o == objective) {
                objectives.delete(sid, None);
            }
        }
    }
    let outcome = apply(s, p, scope, &[&f, &objectives]).await?;
    let found =
        line_item::Entity::find().filter(line_item::Column::SourcedId.eq(id)).all(&s.db).await.map_err(db_error)?;
    written(&LINE_ITEM, outcome, line_items_json(&s.db, found).await?)
}

/// A new learning objective's sourcedId: its line item's, and a digest of what it names (no two
/// line items' objectives can share one, whatever their text).
fn objective_id(line: &str, source: &str, objective: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest([line, source, objective].join("\u{1f}").as_bytes());
    let hex: String = digest.iter().take(12).map(|b| format!("{b:02x}")).collect();
    format!("lio-{hex}")
}

/// `learningObjectiveSet`: `[{"source": "case", "learningObjectiveIds": ["..."]}]`, as
/// (source, identifier) pairs.
fn objective_pairs(sets: &Value) -> Result<Vec<(String, String)>, StatusInfo> {
    let bad = || invalid("learningObjectiveSet must be [{\"source\": \"...\", \"learningObjectiveIds\": [\"...\"]}]");
    let mut out: Vec<(String, String)> = Vec::new();
    for set in sets.as_array().ok_or_else(bad)? {
        let source = set.get("source").and_then(Value::as_str).ok_or_else(bad)?;
        for id in set.get("learningObjectiveIds").and_then(Value::as_array).ok_or_else(bad)? {
            let pair = (source.to_owned(), id.as_str().ok_or_else(bad)?.to_owned());
            if !out.contains(&pair) {
                out.push(pair);
            }
        }
    }
    Ok(out)
}

pub async fn delete_line_item(s: &AppState, p: &Principal, id: &str) -> Result<Reply, StatusInfo> {
    let id = write_key(id)?;
    let scope = gradebook_writer(p, Scope::GradebookDelete, false)?;
    match stored_line_item(s, p, id).await? {
        Some((l, true)) if l.status == Status::Active => delete(s, p, scope, Kind::LineItems, id).await,
        _ => Err(StatusInfo::unknown("lineItem", id)),
    }
}

// ---------------------------------------------------------------------------------------------
// Results.

/// A stored gradebook result and whether the caller may change it (its learner is one they
/// see, on a line item of a class they see).
async fn stored_result(s: &AppState, p: &Principal, id: &str) -> Result<Option<(result::Model, bool)>, StatusInfo> {
    let Some(found) = result::Entity::find()
        .filter(result::Column::Poster.eq(GRADEBOOK_POSTER))
        .filter(result::Column::SourcedId.eq(id))
        .one(&s.db)
        .await
        .map_err(db_error)?
    else {
        return Ok(None);
    };
    let learner = roster::find_learner(&s.db, p, Key::Id(found.learner_id)).await?.is_some();
    let line = match found.line_item_id {
        Some(l) => line_items(p).filter(line_item::Column::Id.eq(l)).one(&s.db).await.map_err(db_error)?.is_some(),
        None => false,
    };
    Ok(Some((found, learner && line)))
}

pub async fn put_result(s: &AppState, p: &Principal, id: &str, sent: &Value) -> Result<Reply, StatusInfo> {
    let id = write_key(id)?;
    let scope = gradebook_writer(p, Scope::GradebookWrite, false)?;
    let b = Body::of(sent, &RESULT, id)?;
    let line = b.reference("lineItem")?.ok_or_else(|| invalid("lineItem: required"))?;
    let student = b.reference("student")?.ok_or_else(|| invalid("student: required"))?;
    // The learner and the line item must be the writer's to grade: the reads' rules.
    if roster::find_learner(&s.db, p, Key::Sourced(&student)).await?.is_none() {
        return Err(invalid(format!("student: no student `{student}` that you may write results for")));
    }
    let visible_line =
        line_items(p).filter(line_item::Column::SourcedId.eq(line.as_str())).one(&s.db).await.map_err(db_error)?;
    let Some(visible_line) = visible_line else {
        return Err(invalid(format!("lineItem: no line item `{line}` that you may write results for")));
    };
    // A result is its line item's class's.
    let class = b.reference("class")?;
    if let Some(c) = &class
        && visible_class(s, p, c, "class").await? != visible_line.class_id
    {
        return Err(invalid(format!("class: `{c}` is not the class of line item `{line}`")));
    }
    if stored_result(s, p, id).await?.is_some_and(|(_, mine)| !mine) {
        return Err(taken("result", id));
    }
    // 1.2 writes scoreDate as a date; a date and time is read as its day.
    let score_date = b.text("scoreDate")?.map(|d| match DateTime::parse_from_rfc3339(&d) {
        Ok(t) => t.date_naive().to_string(),
        Err(_) => d,
    });
    let mut f = MemoryFile::new(Kind::Results);
    f.push(
        b.modified()?,
        vec![
            ("sourcedId", id.to_owned()),
            ("lineItemSourcedId", line),
            ("studentSourcedId", student),
            ("scoreStatus", b.text("scoreStatus")?.unwrap_or_default()),
            ("score", b.number("score")?.unwrap_or_default()),
            ("scoreDate", score_date.unwrap_or_default()),
            ("comment", b.text("comment")?.unwrap_or_default()),
            ("textScore", b.text("textScore")?.unwrap_or_default()),
            ("classSourcedId", class.unwrap_or_default()),
            ("inProgress", b.flag("inProgress")?.unwrap_or_default()),
            ("incomplete", b.flag("incomplete")?.unwrap_or_default()),
            ("late", b.flag("late")?.unwrap_or_default()),
            ("missing", b.flag("missing")?.unwrap_or_default()),
        ],
    );
    let outcome = apply(s, p, scope, &[&f]).await?;
    let found = result::Entity::find()
        .filter(result::Column::Poster.eq(GRADEBOOK_POSTER))
        .filter(result::Column::SourcedId.eq(id))
        .all(&s.db)
        .await
        .map_err(db_error)?;
    written(&RESULT, outcome, results_json(&s.db, found).await?)
}

pub async fn delete_result(s: &AppState, p: &Principal, id: &str) -> Result<Reply, StatusInfo> {
    let id = write_key(id)?;
    let scope = gradebook_writer(p, Scope::GradebookDelete, false)?;
    match stored_result(s, p, id).await? {
        Some((r, true)) if r.status == Status::Active => delete(s, p, scope, Kind::Results, id).await,
        _ => Err(StatusInfo::unknown("result", id)),
    }
}

// ---------------------------------------------------------------------------------------------
// Score scales.

pub async fn put_score_scale(s: &AppState, p: &Principal, id: &str, sent: &Value) -> Result<Reply, StatusInfo> {
    let id = write_key(id)?;
    let b = Body::of(sent, &SCORE_SCALE, id)?;
    let class = b.reference("class")?;
    // A scale of no class is the district's.
    let scope = gradebook_writer(p, Scope::GradebookWrite, class.is_none())?;
    if let Some(c) = &class {
        visible_class(s, p, c, "class").await?;
    }
    let stored =
        score_scale::Entity::find().filter(score_scale::Column::SourcedId.eq(id)).one(&s.db).await.map_err(db_error)?;
    if let Some(old) = stored {
        let mine = score_scales(p).filter(score_scale::Column::Id.eq(old.id)).one(&s.db).await.map_err(db_error)?;
        if mine.is_none() || (old.class_id.is_none() && scope.is_some()) {
            return Err(taken("score scale", id));
        }
    }
    let values = scale_values(b.m.get("scoreScaleValue"))?;
    let mut f = MemoryFile::new(Kind::ScoreScales);
    f.push(
        b.modified()?,
        vec![
            ("sourcedId", id.to_owned()),
            ("title", b.text("title")?.unwrap_or_default()),
            ("type", b.text("type")?.unwrap_or_default()),
            ("orgSourcedId", b.reference("org")?.unwrap_or_default()),
            ("courseSourcedId", b.reference("course")?.unwrap_or_default()),
            ("classSourcedId", class.unwrap_or_default()),
            ("scoreScaleValue", values),
        ],
    );
    let outcome = apply(s, p, scope, &[&f]).await?;
    let found =
        score_scale::Entity::find().filter(score_scale::Column::SourcedId.eq(id)).all(&s.db).await.map_err(db_error)?;
    written(&SCORE_SCALE, outcome, score_scales_json(&s.db, found).await?)
}

/// `scoreScaleValue` (`[{"itemValueLHS": "A", "itemValueRHS": "90-100"}]`) as the CSV binding
/// stores it (`A:90-100`, comma-separated): a value holding a comma, or a left value holding a
/// colon, could not be read back, and is refused.
fn scale_values(v: Option<&Value>) -> Result<String, StatusInfo> {
    let bad = || invalid("scoreScaleValue must be [{\"itemValueLHS\": \"...\", \"itemValueRHS\": \"...\"}]");
    let Some(items) = v.filter(|v| !v.is_null()) else { return Ok(String::new()) };
    let mut out = Vec::new();
    for item in items.as_array().ok_or_else(bad)? {
        let lhs = item.get("itemValueLHS").and_then(Value::as_str).ok_or_else(bad)?;
        let rhs = item.get("itemValueRHS").and_then(Value::as_str).ok_or_else(bad)?;
        if lhs.contains([',', ':']) || rhs.contains(',') || lhs.trim().is_empty() {
            return Err(invalid(format!(
                "scoreScaleValue: `{lhs}` / `{rhs}`: a left value is not empty and holds no comma or colon, a right value no comma"
            )));
        }
        out.push(format!("{lhs}:{rhs}"));
    }
    Ok(out.join(","))
}

pub async fn delete_score_scale(s: &AppState, p: &Principal, id: &str) -> Result<Reply, StatusInfo> {
    let id = write_key(id)?;
    p.require(Scope::GradebookDelete)?;
    let stored = score_scales(p)
        .filter(score_scale::Column::SourcedId.eq(id))
        .filter(score_scale::Column::Status.eq(Status::Active))
        .one(&s.db)
        .await
        .map_err(db_error)?
        .ok_or_else(|| StatusInfo::unknown("scoreScale", id))?;
    let scope = gradebook_writer(p, Scope::GradebookDelete, stored.class_id.is_none())?;
    delete(s, p, scope, Kind::ScoreScales, id).await
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn score_scale_values_are_stored_as_the_csv_binding_writes_them() {
        let v =
            json!([{"itemValueLHS": "A", "itemValueRHS": "90-100"}, {"itemValueLHS": "B", "itemValueRHS": "80-89"}]);
        assert_eq!(scale_values(Some(&v)).ok().as_deref(), Some("A:90-100,B:80-89"));
        assert_eq!(scale_values(None).ok().as_deref(), Some(""));
        for bad in [
            json!([{"itemValueLHS": "A,B", "itemValueRHS": "1"}]),
            json!([{"itemValueLHS": "A:B", "itemValueRHS": "1"}]),
            json!([{"itemValueLHS": "A", "itemValueRHS": "1,2"}]),
            json!([{"itemValueLHS": " ", "itemValueRHS": "1"}]),
            json!([{"itemValueLHS": "A"}]),
            json!({"itemValueLHS": "A", "itemValueRHS": "1"}),
        ] {
            assert!(scale_values(Some(&bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn objectives_are_read_as_source_and_identifier_pairs_once_each() {
        let v = json!([{"source": "case", "learningObjectiveIds": ["a", "b", "a"]}, {"source": "unknown", "learningObjectiveIds": ["x"]}]);
        assert_eq!(
            objective_pairs(&v).ok(),
            Some(vec![("case".into(), "a".into()), ("case".into(), "b".into()), ("unknown".into(), "x".into())])
        );
        assert!(objective_pairs(&json!([{"source": "case"}])).is_err());
        assert!(objective_pairs(&json!([{"source": "case", "learningObjectiveIds": [1]}])).is_err());
        assert!(objective_pairs(&json!("case")).is_err());
    }
}
