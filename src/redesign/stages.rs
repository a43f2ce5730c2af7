//! The stages a redesign plan moves through and which moves are allowed: one step forward at a
//! time; backward only by a district administrator with a reason. The stage itself is the
//! stored enum [`Stage`] (entity `redesign_plan`); the rules about it live here.

pub use entity::redesign_plan::Stage;

/// Position on the way through; a declined plan sits where acceptance would have.
fn rank(s: Stage) -> u8 {
    match s {
        Stage::Applied => 0,
        Stage::PresentationScheduled => 1,
        Stage::Presented => 2,
        Stage::Accepted | Stage::Declined => 3,
        Stage::Planning => 4,
        Stage::Implementing => 5,
        Stage::Sustaining => 6,
    }
}

/// The stages one step ahead of `s`.
pub fn next(s: Stage) -> &'static [Stage] {
    match s {
        Stage::Applied => &[Stage::PresentationScheduled],
        Stage::PresentationScheduled => &[Stage::Presented],
        Stage::Presented => &[Stage::Accepted, Stage::Declined],
        Stage::Accepted => &[Stage::Planning],
        Stage::Planning => &[Stage::Implementing],
        Stage::Implementing => &[Stage::Sustaining],
        Stage::Declined | Stage::Sustaining => &[],
    }
}

/// Whether a plan at `s` was taken into redesign (and may receive money).
pub fn funded(s: Stage) -> bool {
    matches!(s, Stage::Accepted | Stage::Planning | Stage::Implementing | Stage::Sustaining)
}

/// The stages that may receive money.
pub fn funded_stages() -> Vec<Stage> {
    Stage::ALL.iter().copied().filter(|s| funded(*s)).collect()
}

/// What kind of move `from -> to` is.
#[derive(Debug, PartialEq, Eq)]
pub enum Move {
    Forward,
    Backward,
    /// Skips a stage, stays put, or crosses from declined to accepted or back.
    Invalid,
}

pub fn classify(from: Stage, to: Stage) -> Move {
    if next(from).contains(&to) {
        Move::Forward
    } else if to != Stage::Declined && rank(to) < rank(from) {
        Move::Backward
    } else {
        Move::Invalid
    }
}

#[cfg(test)]
mod tests {
    use super::{Move, Stage as S, classify, funded_stages};

    #[test]
    fn moves_one_step_forward_and_only_back_otherwise() {
        assert_eq!(classify(S::Applied, S::PresentationScheduled), Move::Forward);
        assert_eq!(classify(S::Presented, S::Declined), Move::Forward);
        assert_eq!(classify(S::Applied, S::Presented), Move::Invalid);
        assert_eq!(classify(S::Applied, S::Applied), Move::Invalid);
        assert_eq!(classify(S::Declined, S::Accepted), Move::Invalid);
        assert_eq!(classify(S::Accepted, S::Declined), Move::Invalid);
        assert_eq!(classify(S::Declined, S::Presented), Move::Backward);
        assert_eq!(classify(S::Implementing, S::Planning), Move::Backward);
        assert_eq!(classify(S::Sustaining, S::Applied), Move::Backward);
    }

    #[test]
    fn money_goes_to_accepted_plans_and_beyond() {
        assert_eq!(funded_stages(), vec![S::Accepted, S::Planning, S::Implementing, S::Sustaining]);
    }

    #[test]
    fn an_unknown_stored_stage_is_an_error_naming_the_column() {
        let err = "approved".parse::<S>().unwrap_err();
        assert_eq!(err.to_string(), r#"redesign_plans.stage holds an unknown value "approved""#);
    }
}
