//! Money: the district's funding terms for a plan (ceiling and span of fiscal years), grants
//! committing money to it, disbursements paying it out, and the totals. Every write takes the
//! plan's money lock first, so that concurrent writes can't together pass a limit.

use std::collections::BTreeMap;

use chrono::NaiveDate;
pub use entity::redesign_grant::GrantKind;
use entity::{redesign_disbursement, redesign_grant, redesign_plan};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, QueryTrait, TransactionSession,
    TransactionTrait,
    sea_query::{Expr, ExprTrait, Query},
};

use super::{
    MAX_TEXT, actor, begin,
    plans::{MAX_SPAN_YEARS, MIN_SPAN_YEARS, PlanFilter, find_plan, plans, school_id},
};
use crate::validate::{Date, Text};
use crate::{
    auth::{
        Principal,
        policy::redesign::{self as policy, visible_plan_ids},
    },
    error::{AppError, AppResult},
    redesign::{money::Money, stages},
};

/// Takes the plan's money lock: bumping `funds_version` row-locks the plan on PostgreSQL
/// until the transaction ends (SQLite's `BEGIN IMMEDIATE` already serializes writers), so
/// the sums read next can't be changed by a concurrent writer before this one commits.
/// Returns the plan as it is once the lock is held (its terms may have changed meanwhile).
async fn lock_funds(db: &impl ConnectionTrait, plan_id: i64) -> AppResult<redesign_plan::Model> {
    redesign_plan::Entity::update_many()
        .col_expr(redesign_plan::Column::FundsVersion, Expr::col(redesign_plan::Column::FundsVersion).add(1))
        .filter(redesign_plan::Column::Id.eq(plan_id))
        .exec(db)
        .await?;
    redesign_plan::Entity::find_by_id(plan_id).one(db).await?.ok_or(AppError::NotFound("plan"))
}

/// A visible plan whose money the principal may touch, under its money lock.
async fn money_plan(db: &impl ConnectionTrait, p: &Principal, plan_id: i64) -> AppResult<redesign_plan::Model> {
    let plan = find_plan(db, p, plan_id).await?.ok_or(AppError::NotFound("plan"))?;
    policy::require_money(p, plan.district_org_id)?;
    lock_funds(db, plan.id).await
}

/// A plan's money read inside its lock.
struct PlanMoney {
    /// Committed to the school over all its plans.
    committed: i64,
    /// Paid to the school over all its plans.
    disbursed: i64,
    /// Per grant of the school: (amount, disbursed).
    grants: BTreeMap<i64, (i64, i64)>,
    /// The grants of this plan.
    grant_rows: Vec<redesign_grant::Model>,
}

/// The money of every plan the plan's school ever had: the ceiling is the school's, so an
/// earlier plan's grants count against it too. Only the current plan can receive money (one
/// open plan per school, and declined plans are not funded), so its lock covers the sums.
async fn plan_money(db: &impl ConnectionTrait, plan: &redesign_plan::Model) -> AppResult<PlanMoney> {
    let school_plans = Query::select()
        .column(redesign_plan::Column::Id)
        .from(redesign_plan::Entity)
        .and_where(redesign_plan::Column::SchoolOrgId.eq(plan.school_org_id))
        .to_owned();
    let school_grants = redesign_grant::Entity::find()
        .filter(redesign_grant::Column::PlanId.in_subquery(school_plans.clone()))
        .all(db)
        .await?;
    let disb: Vec<(i64, i64)> = redesign_disbursement::Entity::find()
        .select_only()
        .columns([redesign_disbursement::Column::GrantId, redesign_disbursement::Column::AmountCents])
        .filter(redesign_disbursement::Column::PlanId.in_subquery(school_plans))
        .into_tuple()
        .all(db)
        .await?;
    let mut grants: BTreeMap<i64, (i64, i64)> = school_grants.iter().map(|g| (g.id, (g.amount_cents, 0))).collect();
    for (grant, amount) in &disb {
        if let Some(e) = grants.get_mut(grant) {
            e.1 += amount;
        }
    }
    Ok(PlanMoney {
        committed: school_grants.iter().map(|g| g.amount_cents).sum(),
        disbursed: disb.iter().map(|d| d.1).sum(),
        grants,
        grant_rows: school_grants.into_iter().filter(|g| g.plan_id == plan.id).collect(),
    })
}

fn check_fiscal_year(plan: &redesign_plan::Model, fy: i32, field: &str) -> AppResult<()> {
    let last = plan.first_fiscal_year + plan.span_years - 1;
    if fy < plan.first_fiscal_year || fy > last {
        return Err(AppError::validation(
            field,
            format!("fiscal year {fy} is outside the plan's funding span, FY{}–FY{last}", plan.first_fiscal_year),
        ));
    }
    Ok(())
}

/// The district's terms for a plan's money; `None` keeps a term.
pub struct FundingTerms {
    pub ceiling: Option<Money>,
    pub first_fiscal_year: Option<i32>,
    pub span_years: Option<i32>,
}

#[tracing::instrument(skip_all, fields(plan_id))]
pub async fn set_funding(
    db: &impl TransactionTrait,
    p: &Principal,
    plan_id: i64,
    t: FundingTerms,
) -> AppResult<redesign_plan::Model> {
    let txn = begin(db).await?;
    let plan = money_plan(&txn, p, plan_id).await?;
    let money = plan_money(&txn, &plan).await?;
    let ceiling = t.ceiling.map_or(plan.funding_ceiling_cents, |m| m.0);
    let first = t.first_fiscal_year.unwrap_or(plan.first_fiscal_year);
    let span = t.span_years.unwrap_or(plan.span_years);
    if !(MIN_SPAN_YEARS..=MAX_SPAN_YEARS).contains(&span) {
        return Err(AppError::validation(
            "input.spanYears",
            format!("must be {MIN_SPAN_YEARS} to {MAX_SPAN_YEARS} fiscal years"),
        ));
    }
    if !(2000..=2100).contains(&first) {
        return Err(AppError::validation("input.firstFiscalYear", "must be a year between 2000 and 2100"));
    }
    if ceiling < money.committed {
        return Err(AppError::validation(
            "input.ceiling",
            format!("{} is already committed to this school; the ceiling can't be lower", Money(money.committed)),
        ));
    }
    let probe = redesign_plan::Model { first_fiscal_year: first, span_years: span, ..plan.clone() };
    for g in &money.grant_rows {
        check_fiscal_year(&probe, g.fiscal_year, "input.spanYears")?;
    }
    let disbursed_years: Vec<i32> = redesign_disbursement::Entity::find()
        .select_only()
        .column(redesign_disbursement::Column::FiscalYear)
        .filter(redesign_disbursement::Column::PlanId.eq(plan.id))
        .into_tuple()
        .all(&txn)
        .await?;
    for fy in disbursed_years {
        check_fiscal_year(&probe, fy, "input.spanYears")?;
    }
    let out = redesign_plan::ActiveModel {
        id: Set(plan.id),
        funding_ceiling_cents: Set(ceiling),
        first_fiscal_year: Set(first),
        span_years: Set(span),
        date_last_modified: Set(crate::db::now()),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    txn.commit().await?;
    Ok(out)
}

pub struct GrantFields {
    pub kind: GrantKind,
    pub fiscal_year: i32,
    pub amount: Money,
    pub awarded_on: NaiveDate,
}

/// Commits money to a plan: its one planning grant, or implementation funds for a fiscal year.
/// Refused when the plan isn't accepted, the year is outside the span, or the plan's total
/// commitments would pass its ceiling.
#[tracing::instrument(skip_all, fields(plan_id, kind = %f.kind, fiscal_year = f.fiscal_year))]
pub async fn award_grant(
    db: &impl TransactionTrait,
    p: &Principal,
    plan_id: i64,
    f: GrantFields,
) -> AppResult<redesign_grant::Model> {
    if f.amount.0 <= 0 {
        return Err(AppError::validation("input.amount", "must be more than zero"));
    }
    Date::parse("input.awardedOn", f.awarded_on)?;
    let txn = begin(db).await?;
    let plan = money_plan(&txn, p, plan_id).await?;
    if !stages::funded(plan.stage) {
        return Err(AppError::Conflict(format!("a plan at `{}` can't receive money: accept it first", plan.stage)));
    }
    check_fiscal_year(&plan, f.fiscal_year, "input.fiscalYear")?;
    let money = plan_money(&txn, &plan).await?;
    if f.kind == GrantKind::Planning && money.grant_rows.iter().any(|g| g.kind == GrantKind::Planning) {
        return Err(AppError::Conflict("this plan already has its planning grant".into()));
    }
    let after = money.committed + f.amount.0;
    if after > plan.funding_ceiling_cents {
        return Err(AppError::validation(
            "input.amount",
            format!(
                "would commit {} to this school in all, over its ceiling of {} ({} left to commit)",
                Money(after),
                Money(plan.funding_ceiling_cents),
                Money(plan.funding_ceiling_cents - money.committed)
            ),
        ));
    }
    let (kind, actor_id) = actor(p);
    let g = redesign_grant::ActiveModel {
        plan_id: Set(plan.id),
        kind: Set(f.kind),
        fiscal_year: Set(f.fiscal_year),
        amount_cents: Set(f.amount.0),
        awarded_on: Set(f.awarded_on),
        actor_kind: Set(kind),
        actor_id: Set(actor_id),
        created_at: Set(crate::db::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(g)
}

#[tracing::instrument(skip_all, fields(id))]
pub async fn find_grant(db: &impl ConnectionTrait, p: &Principal, id: i64) -> AppResult<Option<redesign_grant::Model>> {
    policy::require_read(p)?;
    Ok(redesign_grant::Entity::find()
        .filter(redesign_grant::Column::Id.eq(id))
        .filter(redesign_grant::Column::PlanId.in_subquery(visible_plan_ids(p)))
        .one(db)
        .await?)
}

pub struct DisbursementFields {
    pub fiscal_year: i32,
    pub amount: Money,
    pub disbursed_on: NaiveDate,
    pub note: Option<String>,
}

/// Pays money out of a grant. Refused, with nothing written, when it would pay more than the
/// grant or the school's ceiling, or fall outside the plan's span (or before the grant's year).
/// Returns the payment and the grant paid from.
#[tracing::instrument(skip_all, fields(grant_id, fiscal_year = f.fiscal_year))]
pub async fn disburse(
    db: &impl TransactionTrait,
    p: &Principal,
    grant_id: i64,
    f: DisbursementFields,
) -> AppResult<(redesign_disbursement::Model, redesign_grant::Model)> {
    if f.amount.0 <= 0 {
        return Err(AppError::validation("input.amount", "must be more than zero"));
    }
    let note = Text::optional("input.note", f.note.as_deref(), MAX_TEXT)?.map(Text::into_string);
    Date::parse("input.disbursedOn", f.disbursed_on)?;
    let txn = begin(db).await?;
    let grant = find_grant(&txn, p, grant_id).await?.ok_or(AppError::NotFound("grant"))?;
    let plan = money_plan(&txn, p, grant.plan_id).await?;
    if !stages::funded(plan.stage) {
        return Err(AppError::Conflict(format!("a plan at `{}` can't be paid: it is not accepted", plan.stage)));
    }
    check_fiscal_year(&plan, f.fiscal_year, "input.fiscalYear")?;
    if f.fiscal_year < grant.fiscal_year {
        return Err(AppError::validation(
            "input.fiscalYear",
            format!("this grant is for FY{}; it can't be paid out earlier", grant.fiscal_year),
        ));
    }
    let money = plan_money(&txn, &plan).await?;
    if money.disbursed + f.amount.0 > plan.funding_ceiling_cents {
        return Err(AppError::validation(
            "input.amount",
            format!(
                "would pay {} to this school in all, over its ceiling of {}",
                Money(money.disbursed + f.amount.0),
                Money(plan.funding_ceiling_cents)
            ),
        ));
    }
    let (amount, paid) = money.grants.get(&grant.id).copied().unwrap_or((grant.amount_cents, 0));
    if paid + f.amount.0 > amount {
        return Err(AppError::validation(
            "input.amount",
            format!("only {} of this grant is left to pay out", Money(amount - paid)),
        ));
    }
    let (kind, actor_id) = actor(p);
    let d = redesign_disbursement::ActiveModel {
        grant_id: Set(grant.id),
        plan_id: Set(plan.id),
        fiscal_year: Set(f.fiscal_year),
        amount_cents: Set(f.amount.0),
        disbursed_on: Set(f.disbursed_on),
        note: Set(note),
        actor_kind: Set(kind),
        actor_id: Set(actor_id),
        created_at: Set(crate::db::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok((d, grant))
}

/// Money committed and paid out, overall and by fiscal year.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    pub ceiling: i64,
    pub committed: i64,
    pub disbursed: i64,
    /// fiscal year -> (committed that year, paid out that year)
    pub by_year: BTreeMap<i32, (i64, i64)>,
}

impl Totals {
    /// The totals of one plan from its rows (already loaded).
    pub fn of_plan(
        plan: &redesign_plan::Model,
        grants: &[redesign_grant::Model],
        paid: &[redesign_disbursement::Model],
    ) -> Totals {
        let mut t = Totals { ceiling: plan.funding_ceiling_cents, ..Default::default() };
        for g in grants {
            t.add_grant(g.fiscal_year, g.amount_cents);
        }
        for d in paid {
            t.add_disbursement(d.fiscal_year, d.amount_cents);
        }
        t
    }
    pub fn add_grant(&mut self, fy: i32, cents: i64) {
        self.committed += cents;
        self.by_year.entry(fy).or_default().0 += cents;
    }
    pub fn add_disbursement(&mut self, fy: i32, cents: i64) {
        self.disbursed += cents;
        self.by_year.entry(fy).or_default().1 += cents;
    }
}

/// Totals over the plans the principal may see, optionally of one cohort or one school: three
/// aggregate statements, however many plans. The ceiling counts only plans that may receive
/// money (accepted or beyond) or hold some.
#[tracing::instrument(skip_all, fields(cohort_year, school = school_sourced_id))]
pub async fn totals(
    db: &impl ConnectionTrait,
    p: &Principal,
    cohort_year: Option<i32>,
    school_sourced_id: Option<&str>,
) -> AppResult<Totals> {
    policy::require_read(p)?;
    let mut filter = PlanFilter { cohort_year, ..Default::default() };
    if let Some(sid) = school_sourced_id {
        match school_id(db, p, sid).await? {
            Some(s) => filter.school = Some(s),
            None => return Ok(Totals::default()),
        }
    }
    let ids = plans(p, &filter)?.select_only().column(redesign_plan::Column::Id).into_query();
    let sum = |col: &str| Expr::cust(format!("CAST(COALESCE(SUM({col}), 0) AS BIGINT)"));
    // Only plans that may receive money, or did, have a ceiling to count.
    let with_grants = Query::select().column(redesign_grant::Column::PlanId).from(redesign_grant::Entity).to_owned();
    let ceiling: Option<i64> = plans(p, &filter)?
        .filter(
            sea_orm::Condition::any()
                .add(redesign_plan::Column::Stage.is_in(stages::funded_stages()))
                .add(redesign_plan::Column::Id.in_subquery(with_grants)),
        )
        .select_only()
        .column_as(sum("funding_ceiling_cents"), "s")
        .into_tuple()
        .one(db)
        .await?;
    let committed: Vec<(i32, i64)> = redesign_grant::Entity::find()
        .select_only()
        .column(redesign_grant::Column::FiscalYear)
        .column_as(sum("amount_cents"), "s")
        .filter(redesign_grant::Column::PlanId.in_subquery(ids.clone()))
        .group_by(redesign_grant::Column::FiscalYear)
        .into_tuple()
        .all(db)
        .await?;
    let paid: Vec<(i32, i64)> = redesign_disbursement::Entity::find()
        .select_only()
        .column(redesign_disbursement::Column::FiscalYear)
        .column_as(sum("amount_cents"), "s")
        .filter(redesign_disbursement::Column::PlanId.in_subquery(ids))
        .group_by(redesign_disbursement::Column::FiscalYear)
        .into_tuple()
        .all(db)
        .await?;
    let mut t = Totals { ceiling: ceiling.unwrap_or(0), ..Default::default() };
    for (fy, c) in committed {
        t.add_grant(fy, c);
    }
    for (fy, c) in paid {
        t.add_disbursement(fy, c);
    }
    Ok(t)
}
