//! GraphQL types, queries and mutations of competency frameworks. Reading needs
//! `progress.read` or `playlists.read`; importing and configuring mastery needs
//! `progress.write` and authority over the district.

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use entity::{competency, competency_framework};

use super::{
    case,
    store::{self, Calculation as StoredCalculation, Scale},
};
use crate::{
    auth::Scope,
    graphql::{
        context::{db, needs_any, principal, require},
        relay::{Conn, Kind, PageArgs, decode_kind, global_id, list_complexity, paginate},
        user_errors::{UserError, into_user_errors},
    },
    roster::graphql::RecordStatus,
};

use super::store::READ;

fn pl<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a super::loaders::CompetencyLoaders> {
    ctx.data::<super::loaders::CompetencyLoaders>()
}

/// A level of a framework's mastery scale.
#[derive(SimpleObject, InputObject, Clone, Debug)]
#[graphql(input_name = "MasteryLevelInput")]
pub struct MasteryLevel {
    /// The level's name, e.g. `PROFICIENT`.
    pub name: String,
    /// Reached at this normalised value (0 to 1) and above.
    pub threshold: f64,
}

/// How a learner's results on a competency roll up into their mastery of it.
#[derive(async_graphql::Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Calculation {
    /// The latest result (by when it happened).
    MostRecent,
    /// The best result.
    Highest,
    /// The mean of all results.
    Average,
    /// Results in time order, each new one weighted by `parameter` (0 to 1) against the
    /// running value: recent work counts most, older work still counts.
    DecayingAverage,
    /// Mastered once `parameter` results are at or above the mastered level; the value is
    /// the `parameter`-th best result (none until there are that many results).
    NTimesAtMastery,
}

crate::graphql::both_ways!(
    Calculation,
    StoredCalculation,
    [MostRecent, Highest, Average, DecayingAverage, NTimesAtMastery]
);

/// How a framework turns results into mastery.
#[derive(SimpleObject)]
pub struct MasteryCalculation {
    pub calculation: Calculation,
    /// The decay weight (`DECAYING_AVERAGE`) or n (`N_TIMES_AT_MASTERY`); 0 otherwise.
    pub parameter: f64,
    /// The scale, from lowest to highest.
    pub levels: Vec<MasteryLevel>,
    /// The level at and above which a competency counts as mastered.
    pub mastered_level: String,
}

/// A competency framework (a CASE CFDocument) of the district.
pub struct CompetencyFramework(pub competency_framework::Model);

#[Object]
impl CompetencyFramework {
    pub async fn id(&self) -> ID {
        global_id(Kind::CompetencyFramework, self.0.id)
    }
    /// The CASE CFDocument identifier.
    async fn sourced_id(&self) -> &str {
        &self.0.source_id
    }
    async fn uri(&self) -> Option<&str> {
        self.0.uri.as_deref()
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn subject(&self) -> Option<&str> {
        self.0.subject.as_deref()
    }
    /// The grades its competencies cover, e.g. `06-08`.
    async fn grade_band(&self) -> Option<&str> {
        self.0.grade_band.as_deref()
    }
    async fn publisher(&self) -> Option<&str> {
        self.0.publisher.as_deref()
    }
    async fn version(&self) -> Option<&str> {
        self.0.version.as_deref()
    }
    async fn date_last_modified(&self) -> DateTime<Utc> {
        self.0.date_last_modified
    }
    /// How results roll up into mastery in this framework.
    async fn mastery_calculation(&self) -> MasteryCalculation {
        let s = Scale::of(&self.0);
        MasteryCalculation {
            calculation: s.calculation.into(),
            parameter: s.parameter,
            levels: s.levels.into_iter().map(|l| MasteryLevel { name: l.name, threshold: l.threshold }).collect(),
            mastered_level: s.mastered_level,
        }
    }
    /// The framework's competencies; `parentId` lists one node's children, `topLevel` the
    /// framework's top-level competencies.
    #[graphql(complexity = "list_complexity(first, last, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn competencies(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        parent_id: Option<ID>,
        #[graphql(default)] top_level: bool,
        #[graphql(default)] include_retired: bool,
    ) -> async_graphql::Result<Conn<Competency>> {
        let level = match parent_id {
            Some(parent) => store::Depth::ChildrenOf(decode_kind(&parent, Kind::Competency, "parentId")?),
            None if top_level => store::Depth::Top,
            None => store::Depth::Any,
        };
        let q = store::of_framework(principal(ctx)?, self.0.id, level, include_retired);
        let args = PageArgs::new(first, after, last, before);
        Ok(paginate(ctx, db(ctx)?, q, competency::Column::Id, args, |m| m.id, Competency).await?)
    }
}

/// A competency (skill) of a framework: a CASE CFItem.
pub struct Competency(pub competency::Model);

#[Object]
impl Competency {
    pub async fn id(&self) -> ID {
        global_id(Kind::Competency, self.0.id)
    }
    /// The CASE CFItem identifier: what tools name when they post results.
    async fn sourced_id(&self) -> &str {
        &self.0.source_id
    }
    /// The human-readable code, e.g. `MATH.6.RP.1`.
    async fn code(&self) -> Option<&str> {
        self.0.code.as_deref()
    }
    async fn statement(&self) -> &str {
        &self.0.statement
    }
    /// The CASE item type (e.g. `Standard`, `Cluster`).
    async fn item_type(&self) -> Option<&str> {
        self.0.item_type.as_deref()
    }
    /// Position among its siblings.
    async fn position(&self) -> i32 {
        self.0.position
    }
    /// `TO_BE_DELETED` once a re-import no longer lists it (results keep referring to it).
    async fn status(&self) -> RecordStatus {
        self.0.status.into()
    }
    async fn date_last_modified(&self) -> DateTime<Utc> {
        self.0.date_last_modified
    }
    /// The competency above this one; null at the top of the framework.
    async fn parent(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Competency>> {
        let Some(id) = self.0.parent_id else { return Ok(None) };
        Ok(pl(ctx)?.competencies.load_one(id).await?.map(Competency))
    }
    async fn framework(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<CompetencyFramework>> {
        Ok(pl(ctx)?.frameworks.load_one(self.0.framework_id).await?.map(CompetencyFramework))
    }
}

#[derive(Default)]
pub struct CompetenciesQuery;

#[Object]
impl CompetenciesQuery {
    /// The district's competency frameworks. Needs `progress.read` or `playlists.read`.
    #[graphql(guard = "needs_any(READ)", complexity = "list_complexity(first, last, child_complexity)")]
    async fn competency_frameworks(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Conn<CompetencyFramework>> {
        let q = store::frameworks(principal(ctx)?);
        let args = PageArgs::new(first, after, last, before);
        Ok(paginate(ctx, db(ctx)?, q, competency_framework::Column::Id, args, |m| m.id, CompetencyFramework).await?)
    }

    /// A competency by its CASE identifier. Needs `progress.read` or `playlists.read`.
    #[graphql(guard = "needs_any(READ)")]
    async fn competency(&self, ctx: &Context<'_>, sourced_id: String) -> async_graphql::Result<Option<Competency>> {
        let key = crate::roster::store::lookup_key(&sourced_id).unwrap_or_default();
        let found = store::by_source_ids(db(ctx)?, principal(ctx)?, &[key]).await?;
        Ok(found.into_values().next().map(Competency))
    }
}

#[derive(InputObject)]
pub struct ImportCaseFrameworkInput {
    /// The CASE 1.0 package as JSON text (CFDocument, CFItems, CFAssociations).
    pub package: String,
    /// The district to import into; may be omitted when the caller sees one district.
    pub district_sourced_id: Option<String>,
}

#[derive(SimpleObject)]
pub struct ImportCaseFrameworkPayload {
    pub framework: Option<CompetencyFramework>,
    /// Competencies new in this import.
    pub created: i32,
    /// Competencies whose code, statement, type or place changed.
    pub updated: i32,
    pub unchanged: i32,
    /// Competencies no longer in the package, now `TO_BE_DELETED`.
    pub retired: i32,
    pub user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct SetMasteryCalculationInput {
    pub framework_id: ID,
    pub calculation: Calculation,
    /// The decay weight (0 < w <= 1, default 0.65) or n (1 to 20, default 3).
    pub parameter: Option<f64>,
    /// A new scale, lowest first; omitted keeps the current one.
    pub levels: Option<Vec<MasteryLevel>>,
    pub mastered_level: Option<String>,
}

#[derive(SimpleObject)]
pub struct SetMasteryCalculationPayload {
    pub framework: Option<CompetencyFramework>,
    pub user_errors: Vec<UserError>,
}

fn count(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

#[derive(Default)]
pub struct CompetenciesMutation;

#[Object]
impl CompetenciesMutation {
    /// Imports a CASE 1.0 package; importing an updated package updates the framework in
    /// place (matched by identifiers), never duplicating it. Needs `progress.write` and
    /// authority over the district.
    async fn import_case_framework(
        &self,
        ctx: &Context<'_>,
        input: ImportCaseFrameworkInput,
    ) -> async_graphql::Result<ImportCaseFrameworkPayload> {
        let p = require(ctx, Scope::ProgressWrite)?;
        let done = match case::parse(&input.package) {
            Ok(pkg) => store::import(db(ctx)?, p, input.district_sourced_id.as_deref(), pkg).await,
            Err(e) => Err(e),
        };
        Ok(match into_user_errors(done)? {
            Ok(s) => ImportCaseFrameworkPayload {
                framework: s.framework.map(CompetencyFramework),
                created: count(s.created),
                updated: count(s.updated),
                unchanged: count(s.unchanged),
                retired: count(s.retired),
                user_errors: vec![],
            },
            Err(user_errors) => ImportCaseFrameworkPayload {
                framework: None,
                created: 0,
                updated: 0,
                unchanged: 0,
                retired: 0,
                user_errors,
            },
        })
    }
}
