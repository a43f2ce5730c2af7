//! Choosing how a framework calculates mastery (`setMasteryCalculation`). The framework is
//! the competencies domain's record, but the change matters for the masteries it recomputes,
//! so the operation lives here: competencies stores the scale, progress recomputes in the
//! same transaction, and competencies never depends on progress.

use async_graphql::{Context, Object};
use entity::competency_framework;
use sea_orm::{TransactionSession, TransactionTrait};

use crate::{
    auth::{Principal, Scope},
    competencies::{
        graphql::{CompetencyFramework, SetMasteryCalculationInput, SetMasteryCalculationPayload},
        store::{Level, ScaleInput, set_scale},
    },
    error::AppResult,
    graphql::{
        context::{db, require},
        relay::{Kind, decode_kind},
        user_errors::into_user_errors,
    },
    sync::Bus,
};

/// Sets a framework's calculation and scale and recomputes every mastery of its
/// competencies, in one transaction; subscribers hear of the changed masteries after commit.
#[tracing::instrument(skip_all, fields(framework_id))]
pub async fn set_calculation(
    db: &impl TransactionTrait,
    bus: &Bus,
    p: &Principal,
    framework_id: i64,
    input: ScaleInput,
) -> AppResult<competency_framework::Model> {
    let txn = crate::db::begin_write(db).await?;
    let updated = set_scale(&txn, p, framework_id, input).await?;
    let effects = super::mastery::recompute_framework(&txn, updated.id).await?;
    let staged = effects.finish(&txn, bus).await?;
    txn.commit().await?;
    staged.sent();
    Ok(updated)
}

/// The `setMasteryCalculation` mutation; merged right after the competencies' own mutations.
#[derive(Default)]
pub struct CalculationMutation;

#[Object]
impl CalculationMutation {
    /// Chooses how a framework calculates mastery, and its scale; every mastery on its
    /// competencies is recomputed at once. Needs `progress.write` and authority over the district.
    async fn set_mastery_calculation(
        &self,
        ctx: &Context<'_>,
        input: SetMasteryCalculationInput,
    ) -> async_graphql::Result<SetMasteryCalculationPayload> {
        let p = require(ctx, Scope::ProgressWrite)?;
        let id = decode_kind(&input.framework_id, Kind::CompetencyFramework, "input.frameworkId")?;
        let scale = ScaleInput {
            calculation: input.calculation.into(),
            parameter: input.parameter,
            levels: input.levels.map(|ls| {
                ls.into_iter().map(|l| Level { name: l.name.trim().to_owned(), threshold: l.threshold }).collect()
            }),
            mastered_level: input.mastered_level,
        };
        let done = set_calculation(db(ctx)?, ctx.data::<Bus>()?, p, id, scale).await;
        Ok(match into_user_errors(done)? {
            Ok(f) => SetMasteryCalculationPayload { framework: Some(CompetencyFramework(f)), user_errors: vec![] },
            Err(user_errors) => SetMasteryCalculationPayload { framework: None, user_errors },
        })
    }
}
