//! The one integration-test binary: every test starts the real app on a random port against a
//! fresh database (SQLite, or PostgreSQL when TEST_DATABASE_URL is set) and talks HTTP to it.

// A failed expectation in a test should panic with its message: that is the test failing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

mod audit;
mod audit_coverage;
mod auth;
mod authz_matrix;
mod cli;
mod graphql_http;
mod hardening;
mod hostile_input;
mod instructions;
mod migrations;
mod oauth_flows;
mod oneroster;
mod oneroster_rest;
mod operations;
mod playlists;
mod privacy;
mod profiles;
mod progress;
mod purge;
mod ratelimit;
mod redesign;
mod roster;
mod roster_writes;
mod sync;
mod web;
mod win;
mod win_week;
