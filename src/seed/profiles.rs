//! Learner profiles of a generated district: strengths, interests, a goal, modalities and a
//! pace for every student (accommodations and notes for some), each with the revision that
//! created it, as `createLearnerProfile` records it.

use std::collections::HashMap;

use chrono::{TimeZone, Utc};
use entity::{learner_profile, profile_revision};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use serde_json::json;

use super::{CHUNK, insert_all, synthetic::SUBJECTS};

const STRENGTHS: [&str; 8] = [
    "persistent problem solver",
    "strong reader",
    "explains ideas clearly",
    "creative writer",
    "careful with details",
    "helps classmates",
    "asks good questions",
    "quick with mental math",
];
const INTERESTS: [&str; 8] =
    ["robotics", "soccer", "drawing", "music", "animals", "space", "cooking", "video game design"];
const MODALITIES: [&str; 6] = ["VISUAL", "AUDITORY", "READING_WRITING", "HANDS_ON", "COLLABORATIVE", "INDEPENDENT"];
const PACES: [&str; 3] = ["ACCELERATED", "STEADY", "NEEDS_MORE_TIME"];

/// Writes a profile (version 1) and its first revision for each of `students` (sourcedIds,
/// with `user_ids` mapping them to ids); answers how many profiles it wrote.
pub(super) async fn insert(
    txn: &impl ConnectionTrait,
    rng: &mut fastrand::Rng,
    students: &[String],
    user_ids: &HashMap<String, i64>,
) -> anyhow::Result<usize> {
    let created = Utc.with_ymd_and_hms(2026, 9, 1, 15, 0, 0).single().unwrap_or_else(crate::db::now);
    let pick = |rng: &mut fastrand::Rng, from: &[&str], k: usize| -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        while out.len() < k {
            let v = from[rng.usize(..from.len())].to_owned();
            if !out.contains(&v) {
                out.push(v);
            }
        }
        out
    };
    let mut profiles = Vec::with_capacity(students.len());
    let mut contents = HashMap::with_capacity(students.len());
    for (i, sid) in students.iter().enumerate() {
        let strengths = pick(rng, &STRENGTHS, 2);
        let interests = pick(rng, &INTERESTS, 2);
        let modalities = pick(rng, &MODALITIES, 2);
        let pace = PACES[rng.usize(..PACES.len())];
        let goals = json!([{
            "id": format!("{sid}-goal-1"),
            "description": format!("Show mastery of the next {} unit", SUBJECTS[i % 4].1),
            "targetDate": "2026-12-18",
            "status": "IN_PROGRESS"
        }]);
        let accommodations: Vec<&str> =
            if i % 9 == 0 { vec!["extended time on assessments", "preferential seating"] } else { vec![] };
        let notes = (i % 9 == 0).then(|| "Check in at the start of each work block.".to_owned());
        // The first revision records everything the profile was created with, as
        // `createLearnerProfile` does.
        let mut changes = vec![
            json!({"field": "strengths", "before": [], "after": strengths}),
            json!({"field": "interests", "before": [], "after": interests}),
            json!({"field": "goals", "before": [], "after": goals}),
            json!({"field": "modalities", "before": [], "after": modalities}),
            json!({"field": "pace", "before": null, "after": pace}),
        ];
        if !accommodations.is_empty() {
            changes.push(json!({"field": "accommodations", "before": [], "after": accommodations}));
        }
        if let Some(n) = &notes {
            changes.push(json!({"field": "supportNotes", "before": null, "after": n}));
        }
        contents.insert(sid.clone(), serde_json::Value::Array(changes));
        profiles.push(learner_profile::ActiveModel {
            user_id: Set(user_ids[sid]),
            version: Set(1),
            strengths: Set(json!(strengths)),
            interests: Set(json!(interests)),
            goals: Set(goals),
            modalities: Set(json!(modalities)),
            pace: Set(Some(pace.to_owned())),
            accommodations: Set(json!(accommodations)),
            support_notes: Set(notes),
            created_at: Set(created),
            date_last_modified: Set(created),
            ..Default::default()
        });
    }
    let profile_count = profiles.len();
    insert_all(txn, profiles, vec![learner_profile::Column::UserId]).await?;
    let student_ids: Vec<i64> = students.iter().map(|s| user_ids[s]).collect();
    let mut profile_of = HashMap::new();
    for chunk in student_ids.chunks(CHUNK) {
        let rows: Vec<(i64, i64)> = learner_profile::Entity::find()
            .select_only()
            .column(learner_profile::Column::UserId)
            .column(learner_profile::Column::Id)
            .filter(learner_profile::Column::UserId.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(txn)
            .await?;
        profile_of.extend(rows);
    }
    let revisions = students
        .iter()
        .map(|sid| profile_revision::ActiveModel {
            profile_id: Set(profile_of[&user_ids[sid]]),
            version: Set(1),
            actor_kind: Set(entity::ActorKind::System),
            actor_id: Set("learnergraph-seed".into()),
            actor_name: Set(None),
            changes: Set(contents.remove(sid).unwrap_or_default()),
            changed_at: Set(created),
            ..Default::default()
        })
        .collect();
    insert_all(txn, revisions, vec![profile_revision::Column::ProfileId, profile_revision::Column::Version]).await?;
    Ok(profile_count)
}
