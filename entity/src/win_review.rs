use sea_orm::entity::prelude::*;

/// A teacher's decision on a student's WIN choices.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "win_reviews")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub block_id: i64,
    pub learner_id: i64,
    pub decision: WinDecision,
    pub session_id: i64,
    pub note: Option<String>,
    pub decided_by: String,
    pub decided_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

crate::stored_enum! {
    /// A teacher's decision on a student's choices.
    pub enum WinDecision in "win_reviews"."decision" {
        /// The session (one the student chose) counts as their first choice.
        Approved = "approved",
        /// The teacher points the student to another session instead: it becomes their first
        /// choice.
        Redirected = "redirected",
        /// The student must attend the session: placement honours it before any preference.
        Required = "required",
    }
}

#[cfg(test)]
mod tests {
    use super::WinDecision;

    #[test]
    fn an_unknown_decision_is_an_error_not_required() {
        assert_eq!("redirected".parse::<WinDecision>(), Ok(WinDecision::Redirected));
        let err = "maybe".parse::<WinDecision>().unwrap_err();
        assert_eq!(err.to_string(), r#"win_reviews.decision holds an unknown value "maybe""#);
    }
}
