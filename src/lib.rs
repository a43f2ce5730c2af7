//! learnergraph: a GraphQL API that lets the tools around a personalized-learning school
//! district share student learning data safely. See README.md for the tour.
// The merged Mutation (one object per domain) nests deeper than the default when clippy
// lays out its futures.
#![recursion_limit = "256"]

pub mod admin;
pub mod app;
pub mod audit;
pub mod auth;
pub mod cli;
pub mod competencies;
pub mod config;
pub mod db;
pub mod error;
pub mod graphql;
pub mod html;
pub mod loader;
pub mod measure;
pub mod metrics;
pub mod page;
pub mod playlists;
pub mod privacy;
pub mod profiles;
pub mod progress;
pub mod ratelimit;
pub mod redesign;
pub mod rest;
pub mod roster;
pub mod seed;
pub mod state;
pub mod sync;
pub mod telemetry;
pub mod validate;
pub mod win;
