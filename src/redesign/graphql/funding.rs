//! Money as the schema shows it: totals by fiscal year, a plan's funding terms, grants and
//! their disbursements, the funding query, and the district's money mutations.

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{redesign_disbursement, redesign_grant};

use super::{Payload, decode, payload, plans::RedesignPlan, plans::RedesignPlanPayload, rl, today, writer};
use crate::{
    auth::Scope,
    graphql::{
        context::{db, gql, needs, principal},
        relay::{Kind, global_id},
        user_errors::UserError,
    },
    profiles::graphql::RevisionActor,
    redesign::{money::Money, store},
};

/// A plan's money in one fiscal year.
#[derive(SimpleObject)]
pub struct FiscalYearFunding {
    /// The fiscal year, named by the calendar year it ends in.
    pub fiscal_year: i32,
    /// Grants awarded for this fiscal year.
    pub committed: Money,
    /// Disbursements paid in this fiscal year.
    pub disbursed: Money,
    /// The balance at the end of this fiscal year: committed through it minus paid through it.
    pub remaining: Money,
}

/// Money committed and paid out, overall and by fiscal year.
#[derive(SimpleObject)]
pub struct FundingTotals {
    /// The sum of the funding ceilings of the plans counted that may receive money (accepted
    /// or beyond) or hold some.
    pub ceiling: Money,
    /// Grants awarded.
    pub committed: Money,
    /// Disbursements paid.
    pub disbursed: Money,
    /// Committed but not yet paid out.
    pub remaining: Money,
    /// Ceiling not yet committed.
    pub uncommitted: Money,
    pub by_fiscal_year: Vec<FiscalYearFunding>,
}

impl From<store::Totals> for FundingTotals {
    fn from(t: store::Totals) -> Self {
        FundingTotals {
            ceiling: Money(t.ceiling),
            committed: Money(t.committed),
            disbursed: Money(t.disbursed),
            remaining: Money(t.committed - t.disbursed),
            uncommitted: Money(t.ceiling - t.committed),
            by_fiscal_year: t
                .by_year
                .into_iter()
                .scan((0, 0), |running, (fiscal_year, (c, d))| {
                    running.0 += c;
                    running.1 += d;
                    Some(FiscalYearFunding {
                        fiscal_year,
                        committed: Money(c),
                        disbursed: Money(d),
                        remaining: Money(running.0 - running.1),
                    })
                })
                .collect(),
        }
    }
}

/// The district's funding terms for a plan and where its money stands.
#[derive(SimpleObject)]
pub struct PlanFunding {
    /// The most the school can receive over the life of its plan.
    pub ceiling: Money,
    /// The first fiscal year money may be committed or paid in.
    pub first_fiscal_year: i32,
    /// The last fiscal year of the span.
    pub last_fiscal_year: i32,
    /// Length of the span, 3 to 5 fiscal years.
    pub span_years: i32,
    pub totals: FundingTotals,
}

/// Kinds of money a plan receives.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum GrantKind {
    /// The one grant that funds writing the strategic plan.
    Planning,
    /// Funds for carrying the plan out, awarded per fiscal year.
    Implementation,
}

impl From<store::GrantKind> for GrantKind {
    fn from(k: store::GrantKind) -> Self {
        match k {
            store::GrantKind::Planning => GrantKind::Planning,
            store::GrantKind::Implementation => GrantKind::Implementation,
        }
    }
}

impl From<GrantKind> for store::GrantKind {
    fn from(k: GrantKind) -> Self {
        match k {
            GrantKind::Planning => store::GrantKind::Planning,
            GrantKind::Implementation => store::GrantKind::Implementation,
        }
    }
}

/// Money committed to a school's plan.
pub struct Grant(pub redesign_grant::Model);

impl Grant {
    async fn paid(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<redesign_disbursement::Model>> {
        let rows = rl(ctx)?.disbursements.load_one(self.0.plan_id).await?.unwrap_or_default();
        Ok(rows.into_iter().filter(|d| d.grant_id == self.0.id).collect())
    }
}

#[Object]
impl Grant {
    pub async fn id(&self) -> ID {
        global_id(Kind::Grant, self.0.id)
    }
    async fn kind(&self) -> GrantKind {
        self.0.kind.into()
    }
    /// The fiscal year the money is committed for.
    async fn fiscal_year(&self) -> i32 {
        self.0.fiscal_year
    }
    async fn amount(&self) -> Money {
        Money(self.0.amount_cents)
    }
    async fn disbursed(&self, ctx: &Context<'_>) -> async_graphql::Result<Money> {
        Ok(Money(self.paid(ctx).await?.iter().map(|d| d.amount_cents).sum()))
    }
    /// Not yet paid out.
    async fn remaining(&self, ctx: &Context<'_>) -> async_graphql::Result<Money> {
        let paid: i64 = self.paid(ctx).await?.iter().map(|d| d.amount_cents).sum();
        Ok(Money(self.0.amount_cents - paid))
    }
    async fn awarded_on(&self) -> NaiveDate {
        self.0.awarded_on
    }
    async fn awarded_by(&self) -> RevisionActor {
        RevisionActor::new(self.0.actor_kind, &self.0.actor_id)
    }
    /// Payments out of this grant, in the order recorded.
    async fn disbursements(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<GrantDisbursement>> {
        Ok(self.paid(ctx).await?.into_iter().map(GrantDisbursement).collect())
    }
    async fn plan(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<RedesignPlan>> {
        // This record was reached through a plan the caller may see: its plan is that one.
        Ok(rl(ctx)?.plans.load_one(self.0.plan_id).await?.map(RedesignPlan))
    }
}

/// A payment out of a grant.
pub struct GrantDisbursement(pub redesign_disbursement::Model);

#[Object]
impl GrantDisbursement {
    async fn fiscal_year(&self) -> i32 {
        self.0.fiscal_year
    }
    async fn amount(&self) -> Money {
        Money(self.0.amount_cents)
    }
    async fn disbursed_on(&self) -> NaiveDate {
        self.0.disbursed_on
    }
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }
    async fn recorded_by(&self) -> RevisionActor {
        RevisionActor::new(self.0.actor_kind, &self.0.actor_id)
    }
    async fn recorded_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

#[derive(Default)]
pub struct FundingQuery;

#[Object]
impl FundingQuery {
    /// Money committed, paid out and remaining, by fiscal year: of one school, of one cohort, or
    /// of every plan the caller may see (district-wide for the district).
    #[graphql(guard = "needs(Scope::RedesignRead)")]
    async fn redesign_funding(
        &self,
        ctx: &Context<'_>,
        cohort_year: Option<i32>,
        school_sourced_id: Option<String>,
    ) -> async_graphql::Result<FundingTotals> {
        let t = store::totals(db(ctx)?, principal(ctx)?, cohort_year, school_sourced_id.as_deref()).await;
        Ok(gql(t)?.into())
    }
}

payload!(GrantPayload, grant, Grant, redesign_grant::Model);

#[derive(SimpleObject)]
pub struct GrantDisbursementPayload {
    pub disbursement: Option<GrantDisbursement>,
    /// The grant paid from, with its new totals.
    pub grant: Option<Grant>,
    pub user_errors: Vec<UserError>,
}

impl Payload for GrantDisbursementPayload {
    type Value = (redesign_disbursement::Model, redesign_grant::Model);
    fn ok((d, g): Self::Value) -> Self {
        GrantDisbursementPayload {
            disbursement: Some(GrantDisbursement(d)),
            grant: Some(Grant(g)),
            user_errors: vec![],
        }
    }
    fn failed(user_errors: Vec<UserError>) -> Self {
        GrantDisbursementPayload { disbursement: None, grant: None, user_errors }
    }
}

#[derive(InputObject)]
pub struct SetRedesignFundingInput {
    pub plan_id: ID,
    /// The most the school may receive over the life of its plan ($175,000 by default).
    pub ceiling: Option<Money>,
    pub first_fiscal_year: Option<i32>,
    /// 3 to 5 fiscal years.
    pub span_years: Option<i32>,
}

#[derive(InputObject)]
pub struct AwardRedesignGrantInput {
    pub plan_id: ID,
    pub kind: GrantKind,
    pub fiscal_year: i32,
    pub amount: Money,
    /// Today (UTC) when omitted.
    pub awarded_on: Option<NaiveDate>,
}

#[derive(InputObject)]
pub struct RecordGrantDisbursementInput {
    pub grant_id: ID,
    pub fiscal_year: i32,
    pub amount: Money,
    pub disbursed_on: NaiveDate,
    pub note: Option<String>,
}

#[derive(Default)]
pub struct FundingMutation;

#[Object]
impl FundingMutation {
    /// Sets a school's funding ceiling and span. Needs `redesign.write` and the district.
    async fn set_redesign_funding(
        &self,
        ctx: &Context<'_>,
        input: SetRedesignFundingInput,
    ) -> async_graphql::Result<RedesignPlanPayload> {
        let (p, db) = writer(ctx)?;
        let r = async {
            let id = decode(&input.plan_id, Kind::RedesignPlan, "input.planId")?;
            let t = store::FundingTerms {
                ceiling: input.ceiling,
                first_fiscal_year: input.first_fiscal_year,
                span_years: input.span_years,
            };
            store::set_funding(db, p, id, t).await
        };
        RedesignPlanPayload::from_result(r.await)
    }

    /// Commits money to an accepted plan: its planning grant or implementation funds for a
    /// fiscal year, within its ceiling and span. Needs `redesign.write` and the district.
    async fn award_redesign_grant(
        &self,
        ctx: &Context<'_>,
        input: AwardRedesignGrantInput,
    ) -> async_graphql::Result<GrantPayload> {
        let (p, db) = writer(ctx)?;
        let r = async {
            let id = decode(&input.plan_id, Kind::RedesignPlan, "input.planId")?;
            let f = store::GrantFields {
                kind: input.kind.into(),
                fiscal_year: input.fiscal_year,
                amount: input.amount,
                awarded_on: input.awarded_on.unwrap_or_else(today),
            };
            store::award_grant(db, p, id, f).await
        };
        GrantPayload::from_result(r.await)
    }

    /// Pays money out of a grant. Refused with nothing written when it would pass the grant's
    /// amount or the school's ceiling, or fall outside the plan's span. Needs `redesign.write`
    /// and the district.
    async fn record_grant_disbursement(
        &self,
        ctx: &Context<'_>,
        input: RecordGrantDisbursementInput,
    ) -> async_graphql::Result<GrantDisbursementPayload> {
        let (p, db) = writer(ctx)?;
        let r = async {
            let id = decode(&input.grant_id, Kind::Grant, "input.grantId")?;
            let f = store::DisbursementFields {
                fiscal_year: input.fiscal_year,
                amount: input.amount,
                disbursed_on: input.disbursed_on,
                note: input.note,
            };
            store::disburse(db, p, id, f).await
        };
        GrantDisbursementPayload::from_result(r.await)
    }
}
