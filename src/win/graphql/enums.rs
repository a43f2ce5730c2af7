//! WIN's GraphQL enums and their conversions to and from the stored values (the entity's
//! enums, which know nothing of GraphQL).

use entity::{
    win_assignment::{Attendance as StoredAttendance, PlacementSource as StoredSource},
    win_review::WinDecision as StoredDecision,
    win_session::WinMode as StoredMode,
};

use crate::graphql::both_ways;

/// How a session is run.
#[derive(async_graphql::Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum WinMode {
    /// One teacher, one student (capacity 1).
    OneOnOne,
    SmallGroup,
    /// Independent work on a computer.
    Independent,
}

both_ways!(WinMode, StoredMode, [OneOnOne, SmallGroup, Independent]);

/// A teacher's decision on a student's choices.
#[derive(async_graphql::Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum WinDecision {
    /// The session (one the student chose) counts as their first choice.
    Approved,
    /// The teacher points the student to another session instead (with a note): it becomes
    /// their first choice.
    Redirected,
    /// The student must attend the session: placement honours it before any preference.
    Required,
}

both_ways!(WinDecision, StoredDecision, [Approved, Redirected, Required]);

/// How a student came to be in a session.
#[derive(async_graphql::Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlacementSource {
    /// A teacher required it.
    Required,
    /// The placement run chose it.
    Placed,
    /// A teacher moved the student afterwards.
    Adjusted,
    /// The placement run followed a teacher's redirection.
    Redirected,
}

both_ways!(PlacementSource, StoredSource, [Required, Placed, Adjusted, Redirected]);

#[derive(async_graphql::Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Attendance {
    Present,
    Absent,
    Late,
}

both_ways!(Attendance, StoredAttendance, [Present, Absent, Late]);

/// Whether a block's placement stands.
#[derive(async_graphql::Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlacementStatus {
    /// Placement has not run.
    NotRun,
    /// Placement ran while choices were still open: students may still change them, and it
    /// will be run again.
    Provisional,
    /// Placement ran after choices closed and nothing changed since.
    Final,
    /// Choices, teachers' decisions or sessions changed after placement ran: it no longer
    /// stands until placement runs again.
    Outdated,
}
