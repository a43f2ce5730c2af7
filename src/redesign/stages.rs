//! The stages a redesign plan moves through and which moves are allowed: one step forward at a
//! time; backward only by a district administrator with a reason.

use async_graphql::Enum;

/// Where a school's redesign plan stands.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum RedesignStage {
    /// The school applied to a cohort.
    Applied,
    /// The oral presentation of its mission and vision has a date.
    PresentationScheduled,
    /// The school presented.
    Presented,
    /// The district accepted the school into redesign.
    Accepted,
    /// The district declined the application, with reasons.
    Declined,
    /// The school writes its strategic plan (planning grant).
    Planning,
    /// The school carries out its plan (implementation funds).
    Implementing,
    /// The redesign is in place and sustained.
    Sustaining,
}

impl RedesignStage {
    pub const ALL: [RedesignStage; 8] = [
        RedesignStage::Applied,
        RedesignStage::PresentationScheduled,
        RedesignStage::Presented,
        RedesignStage::Accepted,
        RedesignStage::Declined,
        RedesignStage::Planning,
        RedesignStage::Implementing,
        RedesignStage::Sustaining,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RedesignStage::Applied => "applied",
            RedesignStage::PresentationScheduled => "presentation_scheduled",
            RedesignStage::Presented => "presented",
            RedesignStage::Accepted => "accepted",
            RedesignStage::Declined => "declined",
            RedesignStage::Planning => "planning",
            RedesignStage::Implementing => "implementing",
            RedesignStage::Sustaining => "sustaining",
        }
    }

    pub fn from_db(s: &str) -> RedesignStage {
        RedesignStage::ALL.into_iter().find(|st| st.as_str() == s).unwrap_or(RedesignStage::Applied)
    }

    /// Position on the way through; a declined plan sits where acceptance would have.
    fn rank(self) -> u8 {
        match self {
            RedesignStage::Applied => 0,
            RedesignStage::PresentationScheduled => 1,
            RedesignStage::Presented => 2,
            RedesignStage::Accepted | RedesignStage::Declined => 3,
            RedesignStage::Planning => 4,
            RedesignStage::Implementing => 5,
            RedesignStage::Sustaining => 6,
        }
    }

    /// The stages one step ahead.
    pub fn next(self) -> &'static [RedesignStage] {
        match self {
            RedesignStage::Applied => &[RedesignStage::PresentationScheduled],
            RedesignStage::PresentationScheduled => &[RedesignStage::Presented],
            RedesignStage::Presented => &[RedesignStage::Accepted, RedesignStage::Declined],
            RedesignStage::Accepted => &[RedesignStage::Planning],
            RedesignStage::Planning => &[RedesignStage::Implementing],
            RedesignStage::Implementing => &[RedesignStage::Sustaining],
            RedesignStage::Declined | RedesignStage::Sustaining => &[],
        }
    }

    /// The stored names of the stages that may receive money.
    pub fn funded_names() -> Vec<&'static str> {
        RedesignStage::ALL.into_iter().filter(|s| s.funded()).map(RedesignStage::as_str).collect()
    }

    /// Whether the school was taken into redesign (and may receive money).
    pub fn funded(self) -> bool {
        matches!(
            self,
            RedesignStage::Accepted | RedesignStage::Planning | RedesignStage::Implementing | RedesignStage::Sustaining
        )
    }
}

/// What kind of move `from -> to` is.
#[derive(Debug, PartialEq, Eq)]
pub enum Move {
    Forward,
    Backward,
    /// Skips a stage, stays put, or crosses from declined to accepted or back.
    Invalid,
}

pub fn classify(from: RedesignStage, to: RedesignStage) -> Move {
    if from.next().contains(&to) {
        Move::Forward
    } else if to != RedesignStage::Declined && to.rank() < from.rank() {
        Move::Backward
    } else {
        Move::Invalid
    }
}

#[cfg(test)]
mod tests {
    use super::{Move, RedesignStage as S, classify};

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
}
