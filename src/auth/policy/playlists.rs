//! The playlist rules of the policy: which playlists a caller sees (of its granted orgs, a
//! learner's only when the learner is visible, templates only for staff and tools), who edits
//! playlists (staff and tools), and which state moves a learner makes on their own items.

use entity::{ItemState, playlist};
use sea_orm::{ColumnTrait, Condition};

use super::{owned_by_granted_org, user_id_visible};
use crate::{
    auth::{People, Principal, Scope},
    error::{AppError, AppResult},
};

/// The SQL condition limiting `playlists` to those the principal may read: of its granted
/// orgs; a learner's only if the learner is visible to it; templates only for staff and tools.
pub fn visible(p: &Principal) -> Condition {
    let templates = match p.people {
        // Never true: learners see no templates.
        People::Only(_) | People::Family(_) => Condition::all().add(playlist::Column::Id.is_null()),
        _ => Condition::all().add(playlist::Column::LearnerId.is_null()),
    };
    Condition::all().add(owned_by_granted_org(p, (playlist::Entity, playlist::Column::OrgId))).add(
        Condition::any().add(templates).add(
            Condition::all()
                .add(playlist::Column::LearnerId.is_not_null())
                .add(user_id_visible(p, (playlist::Entity, playlist::Column::LearnerId))),
        ),
    )
}

/// Whether a playlist read by its learner (not through [`visible`]) is shown to the caller: a
/// learner shared by two schools has playlists at both, and a caller sees its own schools'.
pub fn shows_playlist_of(p: &Principal, org_id: i64) -> bool {
    p.has(Scope::PlaylistsRead) && p.owns_org(org_id)
}

/// Editing playlists is for staff and tools: a learner holds `playlists.write` only to move
/// their own items forward.
pub fn require_editor(p: &Principal) -> AppResult<()> {
    p.require(Scope::PlaylistsWrite)?;
    if p.people.is_family() {
        return Err(AppError::Forbidden("learners progress their items; their teachers edit playlists".into()));
    }
    Ok(())
}

/// Moves a learner may make on their own items: starting and submitting work, never undoing
/// mastery. Staff and tools make any move the item's states allow.
pub fn may_move_item(p: &Principal, from: ItemState, to: ItemState) -> AppResult<()> {
    p.require(Scope::PlaylistsWrite)?;
    let learner_may = matches!(to, ItemState::InProgress | ItemState::Submitted) && from != ItemState::Mastered;
    if p.people.is_family() && !learner_may {
        return Err(AppError::Forbidden("a learner may start and submit work; their teacher decides mastery".into()));
    }
    Ok(())
}

#[cfg(test)]
pub(super) mod tests {
    use std::collections::BTreeSet;

    use entity::Role;

    use super::*;
    use crate::auth::{Actor, OrgAccess};

    pub const SCHOOL: i64 = 10;
    pub const OTHER_SCHOOL: i64 = 11;
    pub const DISTRICT: i64 = 1;
    pub const ME: i64 = 100;
    pub const TEACHER: i64 = 200;

    pub fn user(id: i64, role: Role, people: People, org: i64, scopes: &[Scope]) -> Principal {
        Principal {
            actor: Actor::User { client_id: "front".into(), user_id: id, sourced_id: format!("u-{id}"), role },
            scopes: scopes.iter().copied().collect(),
            orgs: OrgAccess::Only { orgs: vec![org], ancestors: vec![DISTRICT] },
            people,
            trail: Default::default(),
            sharing: Default::default(),
        }
    }

    pub fn tool(scopes: &[Scope]) -> Principal {
        Principal {
            actor: Actor::Client { client_id: "tool".into() },
            scopes: scopes.iter().copied().collect::<BTreeSet<_>>(),
            orgs: OrgAccess::Only { orgs: vec![SCHOOL], ancestors: vec![DISTRICT] },
            people: People::All,
            trail: Default::default(),
            sharing: Default::default(),
        }
    }

    /// Every kind of caller the matrices ask about, each holding `scopes` (the roles' caps
    /// aside: the policy, not the token, is under test).
    pub fn callers(scopes: &[Scope]) -> Vec<(&'static str, Principal)> {
        vec![
            ("student", user(ME, Role::Student, People::Only(ME), SCHOOL, scopes)),
            ("teacher", user(TEACHER, Role::Teacher, People::Taught(TEACHER), SCHOOL, scopes)),
            ("school admin", user(300, Role::Administrator, People::All, SCHOOL, scopes)),
            ("other-school admin", user(301, Role::Administrator, People::All, OTHER_SCHOOL, scopes)),
            ("tool with scopes", tool(scopes)),
            ("tool without scopes", tool(&[])),
            ("anonymous", Principal::anonymous()),
        ]
    }

    /// The caller of [`callers`] named `name`, holding `scopes`.
    pub fn caller(name: &str, scopes: &[Scope]) -> Principal {
        callers(scopes).into_iter().find(|(n, _)| *n == name).map_or_else(Principal::anonymous, |(_, p)| p)
    }

    /// Checks a rule against the expected outcome for each caller (`true`: allowed).
    pub fn check(rule: &str, scopes: &[Scope], f: impl Fn(&Principal) -> bool, expected: &[(&str, bool)]) {
        let callers = callers(scopes);
        assert_eq!(callers.len(), expected.len(), "{rule}: one expectation per caller");
        for ((name, p), (want_name, allowed)) in callers.iter().zip(expected) {
            assert_eq!(name, want_name, "{rule}: callers in order");
            assert_eq!(f(p), *allowed, "{rule} for {name}");
        }
    }

    const RW: &[Scope] = &[Scope::PlaylistsRead, Scope::PlaylistsWrite];

    #[test]
    fn staff_and_tools_edit_playlists_learners_do_not() {
        check(
            "require_editor",
            RW,
            |p| require_editor(p).is_ok(),
            &[
                ("student", false),
                ("teacher", true),
                ("school admin", true),
                ("other-school admin", true),
                ("tool with scopes", true),
                ("tool without scopes", false),
                ("anonymous", false),
            ],
        );
        assert!(matches!(require_editor(&Principal::anonymous()), Err(AppError::Unauthenticated)));
    }

    #[test]
    fn learners_start_and_submit_staff_decide_mastery() {
        use ItemState::*;
        // (from, to, a learner may, staff and tools may)
        let moves = [
            (NotStarted, InProgress, true, true),
            (NotStarted, Submitted, true, true),
            (NotStarted, Mastered, false, true),
            (InProgress, Submitted, true, true),
            (InProgress, Mastered, false, true),
            (Submitted, Mastered, false, true),
            (Submitted, NeedsRevision, false, true),
            (NeedsRevision, InProgress, true, true),
            (NeedsRevision, Submitted, true, true),
            (Mastered, NeedsRevision, false, true),
            (Mastered, InProgress, false, true),
            (Mastered, Submitted, false, true),
        ];
        for (from, to, learner, staff) in moves {
            check(
                &format!("may_move_item {from} -> {to}"),
                RW,
                |p| may_move_item(p, from, to).is_ok(),
                &[
                    ("student", learner),
                    ("teacher", staff),
                    ("school admin", staff),
                    ("other-school admin", staff),
                    ("tool with scopes", staff),
                    ("tool without scopes", false),
                    ("anonymous", false),
                ],
            );
        }
    }

    #[test]
    fn a_learners_playlists_show_only_at_the_callers_schools() {
        check(
            "shows_playlist_of (own school)",
            RW,
            |p| shows_playlist_of(p, SCHOOL),
            &[
                ("student", true),
                ("teacher", true),
                ("school admin", true),
                ("other-school admin", false),
                ("tool with scopes", true),
                ("tool without scopes", false),
                ("anonymous", false),
            ],
        );
        check(
            "shows_playlist_of (other school)",
            RW,
            |p| shows_playlist_of(p, OTHER_SCHOOL),
            &[
                ("student", false),
                ("teacher", false),
                ("school admin", false),
                ("other-school admin", true),
                ("tool with scopes", false),
                ("tool without scopes", false),
                ("anonymous", false),
            ],
        );
    }

    #[test]
    fn templates_are_hidden_from_learners_and_learners_playlists_follow_the_relationship() {
        use sea_orm::{DbBackend, EntityTrait, QueryFilter, QueryTrait};
        let sql = |p: &Principal| playlist::Entity::find().filter(visible(p)).build(DbBackend::Sqlite).to_string();
        let callers = callers(RW);
        let student = sql(&callers[0].1);
        assert!(student.contains(r#""playlists"."id" IS NULL"#), "{student}");
        assert!(student.contains(r#""playlists"."learner_id" = 100"#) || student.contains("= 100"), "{student}");
        let teacher = sql(&callers[1].1);
        assert!(teacher.contains(r#""playlists"."learner_id" IS NULL"#), "{teacher}");
        assert!(teacher.contains("enrollments"), "{teacher}");
        let admin = sql(&callers[2].1);
        assert!(admin.contains(r#""playlists"."org_id" IN"#), "{admin}");
    }
}
