//! Database migrations for learnergraph: one change per file, every one with a `down()`.
//! Applied migrations are history: never edit one, add a new one.

pub use sea_orm_migration::prelude::*;

mod common;
mod m20261123_000001_create_orgs;
mod m20261123_000002_create_academic_sessions;
mod m20261123_000003_create_courses;
mod m20261123_000004_create_classes;
mod m20261123_000005_create_users;
mod m20261123_000006_create_user_orgs;
mod m20261123_000007_create_enrollments;
mod m20261123_000008_create_learner_profiles;
mod m20261123_000009_create_profile_revisions;
mod m20261123_000010_create_oauth_clients;
mod m20261123_000011_alter_oauth_clients_add_redirect_uris;
mod m20261123_000012_create_oauth_grants;
mod m20261123_000013_create_oauth_refresh_tokens;
mod m20261123_000014_create_oauth_revocations;
mod m20261123_000015_create_audit_events;
mod m20261123_000016_create_redesign_pillars;
mod m20261123_000017_create_redesign_cohorts;
mod m20261123_000018_create_redesign_plans;
mod m20261123_000019_create_redesign_stage_changes;
mod m20261123_000020_create_redesign_goals;
mod m20261123_000021_create_redesign_indicators;
mod m20261123_000022_create_redesign_milestones;
mod m20261123_000023_create_redesign_grants;
mod m20261123_000024_create_competency_frameworks;
mod m20261123_000025_create_competencies;
mod m20261123_000026_create_playlists;
mod m20261123_000027_create_playlist_items;
mod m20261123_000028_create_results;
mod m20261123_000029_create_masteries;
mod m20261123_000030_create_sync_changes;
mod m20261201_000031_create_win_blocks;
mod m20261201_000032_create_win_sessions;
mod m20261201_000033_create_win_session_competencies;
mod m20261201_000034_create_win_session_invites;
mod m20261201_000035_create_win_choices;
mod m20261201_000036_create_win_reviews;
mod m20261201_000037_create_win_assignments;
mod m20261203_000038_alter_orgs_and_win_for_corrections;
mod m20261203_000039_oneroster_csv;
mod m20261203_000040_oneroster_gradebook;
mod m20261204_000041_roster_source_modified;
mod m20261206_000042_audit_links_without_event_fk;
mod m20261206_000043_results_by_learner_and_competency;
mod m20261206_000044_data_agreements;

/// The ordered list of every migration; `learnergraph serve` and `learnergraph migrate` apply the pending ones.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_create_orgs::Migration),
            Box::new(m20261123_000002_create_academic_sessions::Migration),
            Box::new(m20261123_000003_create_courses::Migration),
            Box::new(m20261123_000004_create_classes::Migration),
            Box::new(m20261123_000005_create_users::Migration),
            Box::new(m20261123_000006_create_user_orgs::Migration),
            Box::new(m20261123_000007_create_enrollments::Migration),
            Box::new(m20261123_000008_create_learner_profiles::Migration),
            Box::new(m20261123_000009_create_profile_revisions::Migration),
            Box::new(m20261123_000010_create_oauth_clients::Migration),
            Box::new(m20261123_000011_alter_oauth_clients_add_redirect_uris::Migration),
            Box::new(m20261123_000012_create_oauth_grants::Migration),
            Box::new(m20261123_000013_create_oauth_refresh_tokens::Migration),
            Box::new(m20261123_000014_create_oauth_revocations::Migration),
            Box::new(m20261123_000015_create_audit_events::Migration),
            Box::new(m20261123_000016_create_redesign_pillars::Migration),
            Box::new(m20261123_000017_create_redesign_cohorts::Migration),
            Box::new(m20261123_000018_create_redesign_plans::Migration),
            Box::new(m20261123_000019_create_redesign_stage_changes::Migration),
            Box::new(m20261123_000020_create_redesign_goals::Migration),
            Box::new(m20261123_000021_create_redesign_indicators::Migration),
            Box::new(m20261123_000022_create_redesign_milestones::Migration),
            Box::new(m20261123_000023_create_redesign_grants::Migration),
            Box::new(m20261123_000024_create_competency_frameworks::Migration),
            Box::new(m20261123_000025_create_competencies::Migration),
            Box::new(m20261123_000026_create_playlists::Migration),
            Box::new(m20261123_000027_create_playlist_items::Migration),
            Box::new(m20261123_000028_create_results::Migration),
            Box::new(m20261123_000029_create_masteries::Migration),
            Box::new(m20261123_000030_create_sync_changes::Migration),
            Box::new(m20261201_000031_create_win_blocks::Migration),
            Box::new(m20261201_000032_create_win_sessions::Migration),
            Box::new(m20261201_000033_create_win_session_competencies::Migration),
            Box::new(m20261201_000034_create_win_session_invites::Migration),
            Box::new(m20261201_000035_create_win_choices::Migration),
            Box::new(m20261201_000036_create_win_reviews::Migration),
            Box::new(m20261201_000037_create_win_assignments::Migration),
            Box::new(m20261203_000038_alter_orgs_and_win_for_corrections::Migration),
            Box::new(m20261203_000039_oneroster_csv::Migration),
            Box::new(m20261203_000040_oneroster_gradebook::Migration),
            Box::new(m20261204_000041_roster_source_modified::Migration),
            Box::new(m20261206_000042_audit_links_without_event_fk::Migration),
            Box::new(m20261206_000043_results_by_learner_and_competency::Migration),
            Box::new(m20261206_000044_data_agreements::Migration),
        ]
    }
}
