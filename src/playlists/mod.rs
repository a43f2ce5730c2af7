//! Playlists: each learner's ordered learning activities per subject and term, with a
//! mastery plan per item and validated item states; template playlists assigned to a class
//! (each learner gets a copy of their own); a class's progress overview.

pub mod graphql;
pub mod loaders;
pub mod store;
