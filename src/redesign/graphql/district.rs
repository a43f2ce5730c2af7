//! The district's pillars and cohorts: their types, the two lists, and the district's
//! mutations on them.

use async_graphql::{Context, ID, InputObject, Object};
use chrono::NaiveDate;
use entity::{redesign_cohort, redesign_pillar};

use super::{Payload, decode, payload, today, writer};
use crate::{
    auth::Scope,
    graphql::{
        context::{db, gql, needs, principal},
        relay::{Kind, global_id},
    },
    redesign::store,
};

/// An outcome the district's redesign serves.
pub struct RedesignPillar(pub redesign_pillar::Model);

#[Object]
impl RedesignPillar {
    pub async fn id(&self) -> ID {
        global_id(Kind::RedesignPillar, self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn description(&self) -> &str {
        &self.0.description
    }
    /// Display order within the district.
    async fn position(&self) -> i32 {
        self.0.position
    }
    /// An archived pillar stays on the goals that serve it but can't be chosen for new ones.
    async fn archived(&self) -> bool {
        self.0.archived
    }
}

/// A year's cohort of schools entering redesign.
pub struct RedesignCohort(pub redesign_cohort::Model);

#[Object]
impl RedesignCohort {
    pub async fn id(&self) -> ID {
        global_id(Kind::RedesignCohort, self.0.id)
    }
    /// The year the cohort enters redesign; plans' funding starts in this fiscal year by default.
    async fn year(&self) -> i32 {
        self.0.year
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// How many schools the district aims to take in this cohort.
    async fn target_size(&self) -> i32 {
        self.0.target_size
    }
    /// First day applications are accepted.
    async fn application_opens_on(&self) -> NaiveDate {
        self.0.application_opens_on
    }
    /// Last day applications are accepted.
    async fn application_closes_on(&self) -> NaiveDate {
        self.0.application_closes_on
    }
    /// Whether applications are accepted today (UTC).
    async fn application_open(&self) -> bool {
        let t = today();
        t >= self.0.application_opens_on && t <= self.0.application_closes_on
    }
}

#[derive(Default)]
pub struct DistrictQuery;

#[Object]
impl DistrictQuery {
    /// The district's pillars, in order.
    #[graphql(guard = "needs(Scope::RedesignRead)")]
    async fn redesign_pillars(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = false)] include_archived: bool,
    ) -> async_graphql::Result<Vec<RedesignPillar>> {
        let rows = gql(store::pillars(db(ctx)?, principal(ctx)?, include_archived).await)?;
        Ok(rows.into_iter().map(RedesignPillar).collect())
    }

    /// The district's cohorts, oldest first.
    #[graphql(guard = "needs(Scope::RedesignRead)")]
    async fn redesign_cohorts(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<RedesignCohort>> {
        let rows = gql(store::cohorts(db(ctx)?, principal(ctx)?).await)?;
        Ok(rows.into_iter().map(RedesignCohort).collect())
    }
}

payload!(RedesignPillarPayload, pillar, RedesignPillar, redesign_pillar::Model);
payload!(RedesignCohortPayload, cohort, RedesignCohort, redesign_cohort::Model);

#[derive(InputObject)]
pub struct CreateRedesignPillarInput {
    /// Needed only when the caller sees more than one district.
    pub district_sourced_id: Option<String>,
    pub name: String,
    pub description: Option<String>,
    /// Display order; after the last pillar when omitted.
    pub position: Option<i32>,
}

#[derive(InputObject)]
pub struct UpdateRedesignPillarInput {
    pub pillar_id: ID,
    pub name: Option<String>,
    pub description: Option<String>,
    pub position: Option<i32>,
    pub archived: Option<bool>,
}

#[derive(InputObject)]
pub struct CreateRedesignCohortInput {
    pub district_sourced_id: Option<String>,
    pub year: i32,
    /// `Cohort <year>` when omitted.
    pub name: Option<String>,
    pub target_size: i32,
    pub application_opens_on: NaiveDate,
    pub application_closes_on: NaiveDate,
}

#[derive(InputObject)]
pub struct UpdateRedesignCohortInput {
    pub cohort_id: ID,
    pub name: Option<String>,
    pub target_size: Option<i32>,
    pub application_opens_on: Option<NaiveDate>,
    pub application_closes_on: Option<NaiveDate>,
}

#[derive(Default)]
pub struct DistrictMutation;

#[Object]
impl DistrictMutation {
    /// Adds a pillar to the district. Needs `redesign.write` and the district.
    async fn create_redesign_pillar(
        &self,
        ctx: &Context<'_>,
        input: CreateRedesignPillarInput,
    ) -> async_graphql::Result<RedesignPillarPayload> {
        let (p, db) = writer(ctx)?;
        let f = store::PillarFields {
            name: Some(input.name),
            description: input.description,
            position: input.position,
            archived: None,
        };
        RedesignPillarPayload::from_result(store::create_pillar(db, p, input.district_sourced_id.as_deref(), f).await)
    }

    /// Renames, reorders, describes or archives a pillar. Needs `redesign.write` and the district.
    async fn update_redesign_pillar(
        &self,
        ctx: &Context<'_>,
        input: UpdateRedesignPillarInput,
    ) -> async_graphql::Result<RedesignPillarPayload> {
        let (p, db) = writer(ctx)?;
        let r = async {
            let id = decode(&input.pillar_id, Kind::RedesignPillar, "input.pillarId")?;
            let f = store::PillarFields {
                name: input.name,
                description: input.description,
                position: input.position,
                archived: input.archived,
            };
            store::update_pillar(db, p, id, f).await
        };
        RedesignPillarPayload::from_result(r.await)
    }

    /// Opens a cohort year. Needs `redesign.write` and the district.
    async fn create_redesign_cohort(
        &self,
        ctx: &Context<'_>,
        input: CreateRedesignCohortInput,
    ) -> async_graphql::Result<RedesignCohortPayload> {
        let (p, db) = writer(ctx)?;
        let f = store::CohortFields {
            year: Some(input.year),
            name: input.name,
            target_size: Some(input.target_size),
            application_opens_on: Some(input.application_opens_on),
            application_closes_on: Some(input.application_closes_on),
        };
        RedesignCohortPayload::from_result(store::create_cohort(db, p, input.district_sourced_id.as_deref(), f).await)
    }

    /// Changes a cohort's name, target size or application window. Needs `redesign.write` and
    /// the district.
    async fn update_redesign_cohort(
        &self,
        ctx: &Context<'_>,
        input: UpdateRedesignCohortInput,
    ) -> async_graphql::Result<RedesignCohortPayload> {
        let (p, db) = writer(ctx)?;
        let r = async {
            let id = decode(&input.cohort_id, Kind::RedesignCohort, "input.cohortId")?;
            let f = store::CohortFields {
                year: None,
                name: input.name,
                target_size: input.target_size,
                application_opens_on: input.application_opens_on,
                application_closes_on: input.application_closes_on,
            };
            store::update_cohort(db, p, id, f).await
        };
        RedesignCohortPayload::from_result(r.await)
    }
}
