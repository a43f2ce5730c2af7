//! GraphQL types, queries and mutations of results and mastery. Reading needs
//! `progress.read`; posting needs `progress.write`; overriding needs a signed-in teacher.

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use entity::{competency, mastery, result};

use super::{
    loaders::ProgressLoaders,
    store::{self, Override, PostOutcome as StoredOutcome, ResultInput},
};
use crate::{
    auth::{Scope, policy::playlists::shows_playlist_of},
    competencies::graphql::Competency,
    error::AppError,
    graphql::{
        both_ways,
        context::{db, loaders, needs, principal, require},
        relay::{Conn, Kind, PageArgs, connection, decode_kind, global_id, list_complexity, page_request, wants_total},
        user_errors::{UserError, UserErrorCode, into_user_errors},
    },
    playlists::graphql::{MasteryEvidence, PlaylistItem, pl},
    profiles::graphql::RevisionActor,
    roster::{
        graphql::{Learner, RecordStatus},
        loaders::prime,
        store::Sync,
    },
    sync::Bus,
};

/// What a post did with one result.
#[derive(async_graphql::Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum PostOutcome {
    /// A new result was stored.
    Created,
    /// The stored result was replaced by this one, which happened later.
    Updated,
    /// The same result was already stored: nothing changed (a retry).
    Unchanged,
    /// A result with this sourcedId that happened at the same time or later is stored: this
    /// one was ignored.
    IgnoredStale,
}

both_ways!(PostOutcome, StoredOutcome, [Created, Updated, Unchanged, IgnoredStale]);

pub(crate) fn prl<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a ProgressLoaders> {
    ctx.data::<ProgressLoaders>()
}

/// The competencies a result counts toward (see [`crate::progress::mastery`]): the one it
/// names, else every one its item builds, through the request's batched loaders.
async fn counted_toward(ctx: &Context<'_>, r: &result::Model) -> async_graphql::Result<Vec<Competency>> {
    if let Some(id) = r.competency_id {
        return Ok(prl(ctx)?.competencies.load_one(id).await?.map(Competency).into_iter().collect());
    }
    if let Some(item) = r.item_id {
        return Ok(pl(ctx)?
            .competencies
            .load_one(item)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(Competency)
            .collect());
    }
    // A gradebook result counts toward what its line item assesses once fully graded.
    match r.line_item_id {
        Some(line) if super::mastery::is_graded(r) => {
            Ok(prl(ctx)?.by_line_item.load_one(line).await?.unwrap_or_default().into_iter().map(Competency).collect())
        }
        _ => Ok(vec![]),
    }
}

/// A OneRoster gradebook line item: an assignment of a class, its results graded on its range,
/// evidence for the competencies its learning objectives name.
pub struct LineItem(pub entity::line_item::Model);

#[Object]
impl LineItem {
    async fn sourced_id(&self) -> &str {
        &self.0.sourced_id
    }
    async fn status(&self) -> RecordStatus {
        self.0.status.into()
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    async fn assign_date(&self) -> DateTime<Utc> {
        self.0.assign_date
    }
    async fn due_date(&self) -> DateTime<Utc> {
        self.0.due_date
    }
    /// The lowest and highest scores of its results.
    async fn result_value_min(&self) -> Option<f64> {
        self.0.result_value_min
    }
    async fn result_value_max(&self) -> Option<f64> {
        self.0.result_value_max
    }
    /// Its gradebook category's title (`Homework`, `Quizzes`...).
    async fn category(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<String>> {
        let Some(id) = self.0.category_id else { return Ok(None) };
        Ok(prl(ctx)?.categories.load_one(id).await?.map(|c| c.title))
    }
    async fn class(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<crate::roster::graphql::Class>> {
        Ok(loaders(ctx)?.classes.load_one(self.0.class_id).await?.map(crate::roster::graphql::Class))
    }
    /// The competencies its results are evidence for (its `case` learning objectives).
    async fn competencies(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Competency>> {
        Ok(prl(ctx)?.by_line_item.load_one(self.0.id).await?.unwrap_or_default().into_iter().map(Competency).collect())
    }
}

/// A teacher's override of a result.
#[derive(SimpleObject)]
pub struct ResultOverride {
    /// The value that counts, normalised to 0..1.
    pub value: f64,
    /// The level chosen, when the teacher gave a level.
    pub mastery_level: Option<String>,
    /// The teacher's sourcedId.
    pub by: String,
    pub note: Option<String>,
    pub at: DateTime<Utc>,
}

/// A result: what a learner achieved on an item and/or a competency, posted by a tool or a
/// person.
pub struct ResultNode(pub result::Model);

#[Object(name = "Result")]
impl ResultNode {
    pub async fn id(&self) -> ID {
        global_id(Kind::Result, self.0.id)
    }
    /// The poster's own identifier for the result (unique per poster).
    async fn sourced_id(&self) -> &str {
        &self.0.sourced_id
    }
    async fn learner(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Learner>> {
        Ok(loaders(ctx)?.users.load_one(self.0.learner_id).await?.map(Learner))
    }
    /// The playlist item the result is for; null when it is for a competency alone, or when
    /// the caller lacks `playlists.read` or the item's school.
    async fn item(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<PlaylistItem>> {
        let Some(id) = self.0.item_id else { return Ok(None) };
        let l = pl(ctx)?;
        let Some(item) = l.item.load_one(id).await? else { return Ok(None) };
        // The item's playlist may belong to another school of a shared learner.
        let p = principal(ctx)?;
        let playlist = l.playlists.load_one(item.playlist_id).await?;
        Ok(playlist.filter(|pl| shows_playlist_of(p, pl.org_id)).map(|_| PlaylistItem(item)))
    }
    /// The competency the result is for: the one it names, else its item's when the item builds
    /// exactly one (null when it builds several: see `competencies`).
    async fn competency(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Competency>> {
        let mut all = counted_toward(ctx, &self.0).await?;
        Ok(if all.len() == 1 { all.pop() } else { None })
    }
    /// Every competency the result counts toward: the one it names, else all its item builds
    /// (a result imported from the SIS's gradebook: all its line item assesses, once fully
    /// graded).
    async fn competencies(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Competency>> {
        counted_toward(ctx, &self.0).await
    }
    async fn score(&self) -> Option<f64> {
        self.0.score
    }
    /// A result imported from the SIS's gradebook: OneRoster's `scoreStatus` (`fully graded`,
    /// `partially graded`, `submitted`, `not submitted`, `exempt`). Only a fully graded, scored
    /// result is evidence of mastery. Null for results posted through the API.
    async fn score_status(&self) -> Option<&str> {
        self.0.score_status.as_deref()
    }
    /// A gradebook result's score as text (a letter grade, say).
    async fn text_score(&self) -> Option<&str> {
        self.0.text_score.as_deref()
    }
    /// A gradebook result's line item (the assignment it grades, as the SIS or an LMS wrote it
    /// to the OneRoster gradebook); null for results posted through the API, or when the line
    /// item's class is in a school the caller does not see.
    async fn line_item(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<LineItem>> {
        let Some(id) = self.0.line_item_id else { return Ok(None) };
        let Some(line) = prl(ctx)?.line_items.load_one(id).await? else { return Ok(None) };
        let class = loaders(ctx)?.classes.load_one(line.class_id).await?;
        let p = principal(ctx)?;
        Ok(class.filter(|c| p.owns_org(c.org_id)).map(|_| LineItem(line)))
    }
    async fn score_max(&self) -> Option<f64> {
        self.0.score_max
    }
    /// The level posted, on the competency's scale.
    async fn mastery_level(&self) -> Option<&str> {
        self.0.mastery_level.as_deref()
    }
    /// The posted result normalised to 0..1 (score / scoreMax, or the level's threshold).
    async fn value(&self) -> f64 {
        self.0.value
    }
    /// What counts toward mastery: the override when there is one, else `value`.
    async fn effective_value(&self) -> f64 {
        super::mastery::effective(&self.0)
    }
    async fn evidence_type(&self) -> MasteryEvidence {
        self.0.evidence.into()
    }
    /// When the learner did the work: later results replace earlier ones of the same sourcedId.
    async fn occurred_at(&self) -> DateTime<Utc> {
        self.0.occurred_at
    }
    async fn comment(&self) -> Option<&str> {
        self.0.comment.as_deref()
    }
    /// Who posted it.
    async fn posted_by(&self) -> RevisionActor {
        let (kind, id) = self.0.poster.split_once(':').unwrap_or(("system", "learnergraph"));
        RevisionActor { kind: kind.to_owned(), id: id.to_owned() }
    }
    /// Whether a teacher overrode it.
    async fn overridden(&self) -> bool {
        self.0.override_value.is_some()
    }
    /// The teacher's override, which wins over the posted value.
    #[graphql(name = "override")]
    async fn override_(&self) -> Option<ResultOverride> {
        let value = self.0.override_value?;
        Some(ResultOverride {
            value,
            mastery_level: self.0.override_level.clone(),
            by: self.0.override_by.clone().unwrap_or_default(),
            note: self.0.override_note.clone(),
            at: self.0.overridden_at.unwrap_or(self.0.date_last_modified),
        })
    }
    async fn status(&self) -> RecordStatus {
        self.0.status.into()
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn date_last_modified(&self) -> DateTime<Utc> {
        self.0.date_last_modified
    }
}

/// A learner's mastery of one competency, with the evidence behind it.
pub struct Mastery(pub mastery::Model);

#[Object]
impl Mastery {
    async fn competency(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Competency>> {
        Ok(prl(ctx)?.competencies.load_one(self.0.competency_id).await?.map(Competency))
    }
    /// The calculated value, 0..1; null while there is not enough evidence (`N_TIMES_AT_MASTERY`).
    async fn value(&self) -> Option<f64> {
        self.0.value
    }
    /// The level of the framework's scale the value reaches.
    async fn level(&self) -> Option<&str> {
        self.0.level.as_deref()
    }
    /// At or above the framework's mastered level.
    async fn mastered(&self) -> bool {
        self.0.mastered
    }
    async fn evidence_count(&self) -> i32 {
        self.0.evidence_count
    }
    async fn last_evidence_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_evidence_at
    }
    /// The results it was calculated from, newest first.
    async fn evidence(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ResultNode>> {
        let all = prl(ctx)?.results_by_learner.load_one(self.0.learner_id).await?.unwrap_or_default();
        let items: Vec<i64> = all.iter().filter(|r| r.competency_id.is_none()).filter_map(|r| r.item_id).collect();
        let links = pl(ctx)?.competencies.load_many(items).await?;
        let lines: Vec<i64> = all
            .iter()
            .filter(|r| r.competency_id.is_none() && r.item_id.is_none() && super::mastery::is_graded(r))
            .filter_map(|r| r.line_item_id)
            .collect();
        let line_links = prl(ctx)?.by_line_item.load_many(lines).await?;
        let assesses =
            |cs: Option<&Vec<competency::Model>>| cs.is_some_and(|cs| cs.iter().any(|c| c.id == self.0.competency_id));
        Ok(all
            .into_iter()
            .filter(|r| match (r.competency_id, r.item_id, r.line_item_id) {
                (Some(c), _, _) => c == self.0.competency_id,
                (None, Some(i), _) => assesses(links.get(&i)),
                (None, None, Some(l)) => super::mastery::is_graded(r) && assesses(line_links.get(&l)),
                (None, None, None) => false,
            })
            .map(ResultNode)
            .collect())
    }
}

/// A learner's masteries, for `Learner.mastery`.
/// Primes the request's caches for a page of learners: their masteries and, as the document
/// asks, the masteries' competencies and evidence, one statement each whatever the page's size.
pub async fn prime_for_learners(
    ctx: &Context<'_>,
    node: &async_graphql::Lookahead<'_>,
    learners: &[i64],
) -> async_graphql::Result<()> {
    let m = node.field("mastery");
    if learners.is_empty() || !m.exists() || !principal(ctx)?.has(Scope::ProgressRead) {
        return Ok(());
    }
    let l = prl(ctx)?;
    let found = prime(&l.mastery, learners).await?;
    if m.field("competency").exists() {
        let ids: std::collections::BTreeSet<i64> = found.values().flatten().map(|m| m.competency_id).collect();
        if !ids.is_empty() {
            let ids: Vec<i64> = ids.into_iter().collect();
            let comps = async_graphql::dataloader::Loader::load(l.competencies.loader(), &ids).await?;
            l.competencies.feed_many(comps).await;
        }
    }
    if m.field("evidence").exists() {
        prime(&l.results_by_learner, learners).await?;
    }
    Ok(())
}

pub async fn of_learner(ctx: &Context<'_>, learner_id: i64) -> async_graphql::Result<Vec<Mastery>> {
    Ok(prl(ctx)?.mastery.load_one(learner_id).await?.unwrap_or_default().into_iter().map(Mastery).collect())
}

/// Filters for `results`.
#[derive(InputObject, Default)]
pub struct ResultsFilter {
    pub learner_id: Option<ID>,
    pub item_id: Option<ID>,
    /// Only results changed at or after this time, deletions included (for sync).
    pub updated_since: Option<DateTime<Utc>>,
    #[graphql(default)]
    pub include_deleted: bool,
}

#[derive(Default)]
pub struct ProgressQuery;

#[Object]
impl ProgressQuery {
    /// Results of learners the caller may see. Needs `progress.read`.
    #[graphql(guard = "needs(Scope::ProgressRead)", complexity = "list_complexity(first, last, child_complexity)")]
    async fn results(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<ResultsFilter>,
    ) -> async_graphql::Result<Conn<ResultNode>> {
        let f = filter.unwrap_or_default();
        let rf = store::ResultFilter {
            learner: f.learner_id.map(|l| decode_kind(&l, Kind::Learner, "filter.learnerId")).transpose()?,
            item: f.item_id.map(|i| decode_kind(&i, Kind::PlaylistItem, "filter.itemId")).transpose()?,
            sync: Sync { updated_since: f.updated_since, include_deleted: f.include_deleted },
        };
        let req = page_request(&PageArgs::new(first, after, last, before))?;
        let page = store::result_page(db(ctx)?, principal(ctx)?, rf, req, wants_total(ctx)).await?;
        let conn = connection(page, |m| m.id, ResultNode);
        Ok(conn)
    }
}

/// One result to post.
#[derive(InputObject)]
pub struct PostResultInput {
    /// Your identifier for this result. Posting the same sourcedId again is safe: the same
    /// content is a no-op, different content replaces the stored result only if it happened later.
    pub sourced_id: String,
    pub learner_sourced_id: String,
    /// The playlist item the result is for.
    pub item_id: Option<ID>,
    /// The competency (its CASE identifier) the result is for.
    pub competency_id: Option<String>,
    /// A score, with `scoreMax`...
    pub score: Option<f64>,
    pub score_max: Option<f64>,
    /// ...or a level of the competency's mastery scale.
    pub mastery_level: Option<String>,
    pub evidence_type: MasteryEvidence,
    /// When the learner did the work.
    pub occurred_at: DateTime<Utc>,
    pub comment: Option<String>,
}

#[derive(InputObject)]
pub struct PostResultsInput {
    /// Up to 1,000 results.
    pub results: Vec<PostResultInput>,
}

/// What happened to one posted result.
#[derive(SimpleObject)]
pub struct PostedResult {
    /// The row's index in `input.results`.
    pub index: i32,
    pub outcome: PostOutcome,
    /// The result as stored (for `IGNORED_STALE`, the newer one that was kept).
    pub result: ResultNode,
}

#[derive(SimpleObject)]
pub struct PostResultsPayload {
    /// One entry per accepted row, in input order.
    pub results: Vec<PostedResult>,
    /// Rows refused, each naming its index (`["input", "results", "3", "score"]`); the other
    /// rows were stored.
    pub user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct OverrideResultInput {
    pub result_id: ID,
    pub score: Option<f64>,
    pub score_max: Option<f64>,
    pub mastery_level: Option<String>,
    pub note: Option<String>,
    /// Removes the override instead (the posted value counts again).
    #[graphql(default)]
    pub clear: bool,
}

#[derive(SimpleObject)]
pub struct ResultPayload {
    pub result: Option<ResultNode>,
    pub user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct DeleteResultInput {
    pub result_id: ID,
}

#[derive(SimpleObject)]
pub struct DeleteResultPayload {
    pub deleted_id: Option<ID>,
    pub user_errors: Vec<UserError>,
}

fn row_error(index: usize, e: AppError) -> UserError {
    crate::graphql::user_errors::user_error(e).unwrap_or_else(|other| UserError {
        field: vec!["input".into(), "results".into(), index.to_string()],
        message: other.to_string(),
        code: UserErrorCode::Invalid,
    })
}

#[derive(Default)]
pub struct ProgressMutation;

#[Object]
impl ProgressMutation {
    /// Posts up to 1,000 results. Each row is checked on its own: bad rows come back in
    /// `userErrors` with their index, good rows are stored, each with its outcome. Needs
    /// `progress.write`.
    async fn post_results(
        &self,
        ctx: &Context<'_>,
        input: PostResultsInput,
    ) -> async_graphql::Result<PostResultsPayload> {
        let p = require(ctx, Scope::ProgressWrite)?;
        // Counted as sent, before rows with undecodable IDs are set aside.
        match store::check_post(p, input.results.len()) {
            Ok(()) => {}
            Err(e) if e.is_field_error() => {
                return Ok(PostResultsPayload { results: vec![], user_errors: vec![row_error(0, e)] });
            }
            Err(e) => return Err(e.into()),
        }
        let mut rows = Vec::with_capacity(input.results.len());
        let mut early = Vec::new();
        for (i, r) in input.results.into_iter().enumerate() {
            let item_id = match r
                .item_id
                .as_ref()
                .map(|id| decode_kind(id, Kind::PlaylistItem, &format!("input.results.{i}.itemId")))
            {
                Some(Err(e)) => {
                    early.push((i, e));
                    None
                }
                Some(Ok(id)) => Some(id),
                None => None,
            };
            rows.push((
                i,
                ResultInput {
                    sourced_id: r.sourced_id,
                    learner: r.learner_sourced_id,
                    item_id,
                    competency: r.competency_id,
                    score: r.score,
                    score_max: r.score_max,
                    mastery_level: r.mastery_level,
                    evidence: r.evidence_type.into(),
                    occurred_at: r.occurred_at,
                    comment: r.comment,
                },
            ));
        }
        // Rows whose IDs did not decode are refused here; the rest keep their original index.
        let bad: std::collections::BTreeSet<usize> = early.iter().map(|e| e.0).collect();
        let kept: Vec<(usize, ResultInput)> = rows.into_iter().filter(|(i, _)| !bad.contains(i)).collect();
        let index_of: Vec<usize> = kept.iter().map(|(i, _)| *i).collect();
        let (posted, errors) = if kept.is_empty() {
            (vec![], vec![])
        } else {
            match store::post(db(ctx)?, ctx.data::<Bus>()?, p, kept.into_iter().map(|(_, r)| r).collect()).await {
                Ok(x) => x,
                Err(e) if e.is_field_error() => {
                    return Ok(PostResultsPayload { results: vec![], user_errors: vec![row_error(0, e)] });
                }
                Err(e) => return Err(e.into()),
            }
        };
        let remap = |i: usize| index_of.get(i).copied().unwrap_or(i);
        let fix = |e: AppError, i: usize| {
            e.refield(|field| {
                field.replacen(&format!("input.results.{i}."), &format!("input.results.{}.", remap(i)), 1)
            })
        };
        let mut user_errors: Vec<(usize, UserError)> = early.into_iter().map(|(i, e)| (i, row_error(i, e))).collect();
        user_errors.extend(errors.into_iter().map(|(i, e)| (remap(i), row_error(remap(i), fix(e, i)))));
        user_errors.sort_by_key(|e| e.0);
        Ok(PostResultsPayload {
            results: posted
                .into_iter()
                .map(|p| PostedResult {
                    index: i32::try_from(remap(p.index)).unwrap_or(i32::MAX),
                    outcome: p.outcome.into(),
                    result: ResultNode(p.result),
                })
                .collect(),
            user_errors: user_errors.into_iter().map(|e| e.1).collect(),
        })
    }

    /// A teacher's judgement replacing a result's value in mastery (the posted values stay
    /// visible, and the poster sees the override). Needs `progress.write` and a signed-in
    /// teacher or administrator.
    async fn override_result(
        &self,
        ctx: &Context<'_>,
        input: OverrideResultInput,
    ) -> async_graphql::Result<ResultPayload> {
        let p = require(ctx, Scope::ProgressWrite)?;
        let id = decode_kind(&input.result_id, Kind::Result, "input.resultId")?;
        let value = match (input.clear, input.score, input.score_max, input.mastery_level) {
            (true, None, None, None) => Ok(None),
            (false, Some(score), Some(max), None) => Ok(Some(Override::Score { score, max })),
            (false, None, None, Some(level)) => Ok(Some(Override::Level(level))),
            (true, ..) => Err(AppError::validation("input.clear", "clear the override or give a new one, not both")),
            _ => Err(AppError::validation("input.score", "give a score with scoreMax, or a masteryLevel")),
        };
        let r = match value {
            Ok(v) => {
                let bus = ctx.data::<Bus>()?;
                store::set_override(db(ctx)?, bus, p, id, v, input.note).await
            }
            Err(e) => Err(e),
        };
        prl(ctx)?.mastery.clear();
        Ok(match into_user_errors(r)? {
            Ok(m) => ResultPayload { result: Some(ResultNode(m)), user_errors: vec![] },
            Err(user_errors) => ResultPayload { result: None, user_errors },
        })
    }

    /// Deletes a result (its poster, or a teacher); mastery is recomputed without it. Needs
    /// `progress.write`.
    async fn delete_result(
        &self,
        ctx: &Context<'_>,
        input: DeleteResultInput,
    ) -> async_graphql::Result<DeleteResultPayload> {
        let p = require(ctx, Scope::ProgressWrite)?;
        let id = decode_kind(&input.result_id, Kind::Result, "input.resultId")?;
        Ok(match into_user_errors(store::delete(db(ctx)?, ctx.data::<Bus>()?, p, id).await)? {
            Ok(()) => DeleteResultPayload { deleted_id: Some(input.result_id), user_errors: vec![] },
            Err(user_errors) => DeleteResultPayload { deleted_id: None, user_errors },
        })
    }
}
