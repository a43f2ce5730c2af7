//! SeaORM entities for learnergraph: one module per table, nothing else. These are storage
//! shapes, not the API: GraphQL types live in the service's domain modules.

pub mod academic_session;
pub mod audit_event;
pub mod audit_event_learner;
pub mod audit_event_pseudonym;
pub mod class;
pub mod class_term;
pub mod competency;
pub mod competency_framework;
pub mod course;
pub mod data_agreement;
pub mod data_use_restriction;
pub mod demographic;
pub mod enrollment;
pub mod gradebook_category;
pub mod learner_profile;
pub mod learner_purge;
pub mod line_item;
pub mod line_item_objective;
pub mod mastery;
pub mod oauth_authorization_request;
pub mod oauth_client;
pub mod oauth_code;
pub mod oauth_refresh_token;
pub mod oauth_revocation;
pub mod org;
pub mod playlist;
pub mod playlist_item;
pub mod playlist_item_competency;
pub mod playlist_item_transition;
pub mod profile_revision;
pub mod redesign_cohort;
pub mod redesign_disbursement;
pub mod redesign_goal;
pub mod redesign_goal_pillar;
pub mod redesign_grant;
pub mod redesign_indicator;
pub mod redesign_measurement;
pub mod redesign_milestone;
pub mod redesign_pillar;
pub mod redesign_plan;
pub mod redesign_stage_change;
pub mod result;
pub mod roster_import;
pub mod score_scale;
pub mod stored;
pub mod sync_change;
pub mod user;
pub mod user_agent;
pub mod user_org;
pub mod win_assignment;
pub mod win_block;
pub mod win_choice;
pub mod win_review;
pub mod win_session;
pub mod win_session_competency;
pub mod win_session_invite;

stored_enum! {
    /// A record's OneRoster `status`: live, or deleted and kept as a tombstone so that syncing
    /// tools see the deletion.
    pub enum Status in "status (orgs, users, enrollments, classes, courses, academic_sessions, playlists, playlist_items, results, competencies)" => {
        Active = "active",
        ToBeDeleted = "tobedeleted",
    }
}

stored_enum! {
    /// Who made a change or a request (`actor_kind` of revisions, transitions, audit events):
    /// with `actor_id`, the user's sourcedId, the client's id, or `learnergraph` for the system.
    pub enum ActorKind in "actor_kind (audit_events, profile_revisions, playlist_item_transitions, redesign_*)" => {
        Anonymous = "anonymous",
        Client = "client",
        User = "user",
        System = "system",
    }
}

stored_enum! {
    /// A person's role (OneRoster `role`): on the user, on each org membership and on each
    /// enrollment.
    pub enum Role in "users.role, user_orgs.role, enrollments.role" => {
        Student = "student",
        Teacher = "teacher",
        Administrator = "administrator",
        /// A student's guardian, parent or relative (OneRoster `guardian`, `parent`,
        /// `relative`): rostered as an agent; cannot sign in yet.
        Guardian = "guardian",
    }
}

stored_enum! {
    /// What kind of org a row of `orgs` is (OneRoster `orgType`).
    pub enum OrgType in "orgs"."org_type" {
        Department = "department",
        School = "school",
        District = "district",
        Local = "local",
        State = "state",
        National = "national",
    }
}

stored_enum! {
    /// Where a playlist item stands (its `state`, and both ends of each recorded transition).
    pub enum ItemState in "playlist_items.state, playlist_item_transitions.from_state, playlist_item_transitions.to_state" => {
        NotStarted = "NOT_STARTED",
        InProgress = "IN_PROGRESS",
        Submitted = "SUBMITTED",
        Mastered = "MASTERED",
        NeedsRevision = "NEEDS_REVISION",
    }
}

stored_enum! {
    /// How a learner shows mastery: an item's planned evidence, and the evidence type of a result.
    pub enum Evidence in "playlist_items.evidence, results.evidence" => {
        Test = "TEST",
        PerformanceTask = "PERFORMANCE_TASK",
        Project = "PROJECT",
        Presentation = "PRESENTATION",
        Other = "OTHER",
    }
}

stored_enum! {
    /// How a framework rolls a learner's results on a competency up into their mastery of it.
    pub enum Calculation in "competency_frameworks"."calculation" {
        MostRecent = "MOST_RECENT",
        Highest = "HIGHEST",
        Average = "AVERAGE",
        DecayingAverage = "DECAYING_AVERAGE",
        NTimesAtMastery = "N_TIMES_AT_MASTERY",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn learning_enums_name_their_columns_when_a_stored_value_is_unknown() {
        // Once silently NOT_STARTED, OTHER and DECAYING_AVERAGE; now errors.
        let state = "DONE".parse::<ItemState>().unwrap_err().to_string();
        assert!(state.starts_with("playlist_items.state, playlist_item_transitions.from_state"), "{state}");
        assert!(state.ends_with(r#"holds an unknown value "DONE""#), "{state}");
        let evidence = "ESSAY".parse::<Evidence>().unwrap_err().to_string();
        assert_eq!(evidence, r#"playlist_items.evidence, results.evidence holds an unknown value "ESSAY""#);
        let calc = "MEDIAN".parse::<Calculation>().unwrap_err().to_string();
        assert_eq!(calc, r#"competency_frameworks.calculation holds an unknown value "MEDIAN""#);
        assert_eq!("NEEDS_REVISION".parse::<ItemState>(), Ok(ItemState::NeedsRevision));
        assert_eq!("PERFORMANCE_TASK".parse::<Evidence>(), Ok(Evidence::PerformanceTask));
        assert_eq!("N_TIMES_AT_MASTERY".parse::<Calculation>(), Ok(Calculation::NTimesAtMastery));
    }
}
