//! The WIN rules of the policy: students choose their sessions, staff and tools run WIN;
//! decisions over a whole school (placement runs, recurring blocks) are for its administrators
//! and tools; and which learners of a block a caller may see.

use entity::{Status, enrollment, win_session};
use sea_orm::{
    ColumnTrait, Condition,
    sea_query::{Alias, Expr, ExprTrait, Query, SelectStatement},
};

use crate::{
    auth::{Actor, People, Principal, Scope},
    error::{AppError, AppResult},
    roster::store::Role,
};

/// Whether the principal reads WIN at all (a node lookup without `win.read` finds nothing).
pub fn may_read(p: &Principal) -> bool {
    p.has(Scope::WinRead)
}

/// Staff and tools run WIN (sessions, review, adjustments, attendance); a signed-in student
/// only chooses.
pub fn require_staff(p: &Principal) -> AppResult<()> {
    p.require(Scope::WinWrite)?;
    if p.people.is_family() {
        return Err(AppError::Forbidden("students choose their sessions; their teachers run WIN".into()));
    }
    Ok(())
}

/// Decisions over a whole school (placement runs, recurring blocks) are for its administrators
/// and tools, not one teacher, whose authority ends at their own students.
pub fn require_school_wide(p: &Principal) -> AppResult<()> {
    require_staff(p)?;
    if matches!(p.people, People::Taught(_)) {
        return Err(AppError::Forbidden("a school administrator or a tool runs this for the whole school".into()));
    }
    Ok(())
}

/// Choices are made by the student themself, or by a tool relaying them; signed-in staff
/// review choices instead of making them.
pub fn require_chooser(p: &Principal) -> AppResult<()> {
    p.require(Scope::WinWrite)?;
    if matches!(p.actor, Actor::User { .. }) && !matches!(p.people, People::Only(_)) {
        return Err(AppError::Forbidden("students make their own choices; review them with reviewWinChoice".into()));
    }
    Ok(())
}

/// A signed-in student chooses only for themself: anyone else is, to them, not found.
pub fn may_choose_for(p: &Principal, learner: i64) -> AppResult<()> {
    match p.people {
        People::Only(me) if me != learner => Err(AppError::NotFound("learner")),
        _ => Ok(()),
    }
}

/// A teacher offers sessions of their own; administrators and tools name any teacher.
pub fn may_offer_as(p: &Principal, teacher: Option<i64>) -> AppResult<()> {
    match (p.people, teacher) {
        (People::Taught(me), Some(t)) if t != me => {
            Err(AppError::Forbidden("a teacher offers sessions of their own".into()))
        }
        _ => Ok(()),
    }
}

/// A teacher names only themself as a session's teacher (by sourcedId).
pub fn may_name_teacher(p: &Principal, teacher_sid: &str) -> AppResult<()> {
    match (&p.people, &p.actor) {
        (People::Taught(_), Actor::User { sourced_id, .. }) if sourced_id != teacher_sid => {
            Err(AppError::Forbidden("a teacher offers sessions of their own".into()))
        }
        _ => Ok(()),
    }
}

/// A teacher changes or withdraws the sessions they teach; administrators and tools any.
pub fn may_change_session(p: &Principal, teacher: Option<i64>) -> AppResult<()> {
    match p.people {
        People::Taught(me) if teacher != Some(me) => {
            Err(AppError::Forbidden("a teacher changes only the sessions they teach".into()))
        }
        _ => Ok(()),
    }
}

/// A teacher records attendance for, and moves, the students placed in her sessions and her
/// own students; a student of another class who only chose her session is another teacher's
/// to run. Each item: whether the placement is hers by one of those. Others (administrators,
/// tools) are not limited here.
pub fn may_run_placements(mine: impl IntoIterator<Item = bool>) -> AppResult<()> {
    if mine.into_iter().all(|m| m) {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "a teacher records attendance for and moves the students placed in her sessions and her own students"
                .into(),
        ))
    }
}

/// A school's WIN summary is for its staff and tools, with `win.read`.
pub fn require_summary_reader(p: &Principal) -> AppResult<()> {
    p.require(Scope::WinRead)?;
    if p.people.is_family() {
        return Err(AppError::Forbidden("the school's WIN summary is for its staff".into()));
    }
    Ok(())
}

/// Which learners of a block the caller may see (the block itself being visible): everyone
/// for administrators and tools of the school, themself for a student; for a teacher, the
/// students of their active classes and, in each block, every student placed in or choosing
/// one of the sessions they teach in that block (a WIN session gathers students from other
/// classes, and its teacher reviews them and takes their attendance). Hashable, so a
/// request's loaders can batch by it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LearnerView {
    All,
    Only(i64),
    TaughtBy(i64),
    /// A guardian: their children.
    ChildrenOf(i64),
    /// A vendor's tool: every learner but those whose family opted out of sharing with vendors
    /// (and, unless its agreement is a school official's, of directory information). A person
    /// signed in through a vendor's front end keeps the view of their relationships.
    Vendor {
        directory_hidden: bool,
    },
}

/// Whether a learner seen in a block is also one the roster shows the caller (their whole
/// record: profile, mastery, playlists, history), rather than only through WIN (a student of
/// another class placed in or choosing the teacher's session, of whom she sees the name and
/// what WIN shows). `taught` answers whether the teacher teaches the learner.
pub async fn roster_sees<F, Fut>(p: &Principal, learner: i64, taught: F) -> AppResult<bool>
where
    F: FnOnce(i64, i64) -> Fut,
    Fut: std::future::Future<Output = AppResult<bool>>,
{
    match learner_view(p) {
        LearnerView::All => Ok(true),
        LearnerView::Only(me) => Ok(me == learner),
        LearnerView::TaughtBy(t) => taught(t, learner).await,
        // The view's condition already keeps a guardian's rows to their children, and a
        // vendor's to students whose family did not opt out: the roster shows them those too.
        LearnerView::ChildrenOf(_) | LearnerView::Vendor { .. } => Ok(true),
    }
}

/// The principal's [`LearnerView`].
pub fn learner_view(p: &Principal) -> LearnerView {
    match p.people {
        // A vendor's tool sees every student of the block but those whose family opted out.
        People::All if p.sharing.is_vendor() => LearnerView::Vendor { directory_hidden: p.sharing.hides_opted_out() },
        People::All => LearnerView::All,
        People::Only(me) => LearnerView::Only(me),
        People::Taught(t) => LearnerView::TaughtBy(t),
        People::Family(g) => LearnerView::ChildrenOf(g),
    }
}

impl LearnerView {
    /// The SQL condition limiting rows to the learners this view sees in the row's block:
    /// `learner` and `block` are the row's learner id and block id (columns, or values for a
    /// single check).
    pub fn condition(self, learner: impl Into<Expr>, block: impl Into<Expr>) -> Condition {
        let learner: Expr = learner.into();
        match self {
            LearnerView::All => Condition::all(),
            LearnerView::Only(me) => Condition::all().add(learner.eq(me)),
            LearnerView::ChildrenOf(g) => Condition::all().add(learner.in_subquery(super::children_of(g))),
            LearnerView::Vendor { directory_hidden } => {
                Condition::all().add(learner.not_in_subquery(super::opted_out(directory_hidden)))
            }
            LearnerView::TaughtBy(t) => {
                let pair = Expr::tuple([learner.clone(), block.into()]);
                Condition::any()
                    .add(learner.in_subquery(students_taught_by(t)))
                    .add(pair.clone().in_subquery(in_sessions_of::<entity::win_assignment::Entity>(t)))
                    .add(pair.in_subquery(in_sessions_of::<entity::win_choice::Entity>(t)))
            }
        }
    }
}

/// `(learner_id, block_id)` of the placements or choices (`E`) in sessions `teacher` teaches.
fn in_sessions_of<E: sea_orm::EntityTrait + Default>(teacher: i64) -> SelectStatement {
    let session = Alias::new("session_id");
    Query::select()
        .column(Alias::new("learner_id"))
        .column(Alias::new("block_id"))
        .from(E::default())
        .and_where(
            Expr::col(session).in_subquery(
                Query::select()
                    .column(win_session::Column::Id)
                    .from(win_session::Entity)
                    .and_where(win_session::Column::TeacherId.eq(teacher))
                    .to_owned(),
            ),
        )
        .to_owned()
}

/// Students actively enrolled in the classes a teacher actively teaches.
pub(crate) fn students_taught_by(teacher: i64) -> SelectStatement {
    let taught = Query::select()
        .column(enrollment::Column::ClassId)
        .from(enrollment::Entity)
        .and_where(enrollment::Column::UserId.eq(teacher))
        .and_where(enrollment::Column::Role.eq(Role::Teacher))
        .and_where(enrollment::Column::Status.eq(Status::Active))
        .to_owned();
    Query::select()
        .column(enrollment::Column::UserId)
        .from(enrollment::Entity)
        .and_where(enrollment::Column::ClassId.in_subquery(taught))
        .and_where(enrollment::Column::Role.eq(Role::Student))
        .and_where(enrollment::Column::Status.eq(Status::Active))
        .to_owned()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::{auth::OrgAccess, roster::store::Role};

    const SCHOOL: i64 = 10;
    const OTHER_SCHOOL: i64 = 11;
    const DISTRICT: i64 = 1;
    const ME: i64 = 100;
    const OTHER_STUDENT: i64 = 101;
    const TEACHER: i64 = 200;

    fn user(id: i64, role: Role, people: People, org: i64, scopes: &[Scope]) -> Principal {
        Principal {
            actor: Actor::User { client_id: "front".into(), user_id: id, sourced_id: format!("u-{id}"), role },
            scopes: scopes.iter().copied().collect(),
            orgs: OrgAccess::Only { orgs: vec![org], ancestors: vec![DISTRICT] },
            people,
            trail: Default::default(),
            sharing: Default::default(),
        }
    }

    fn tool(scopes: &[Scope]) -> Principal {
        Principal {
            actor: Actor::Client { client_id: "tool".into() },
            scopes: scopes.iter().copied().collect::<BTreeSet<_>>(),
            orgs: OrgAccess::Only { orgs: vec![SCHOOL], ancestors: vec![DISTRICT] },
            people: People::All,
            trail: Default::default(),
            sharing: Default::default(),
        }
    }

    const RW: &[Scope] = &[Scope::WinRead, Scope::WinWrite];

    /// Every kind of caller the matrix asks about.
    fn callers() -> Vec<(&'static str, Principal)> {
        vec![
            ("student", user(ME, Role::Student, People::Only(ME), SCHOOL, RW)),
            ("other student", user(OTHER_STUDENT, Role::Student, People::Only(OTHER_STUDENT), SCHOOL, RW)),
            ("teacher", user(TEACHER, Role::Teacher, People::Taught(TEACHER), SCHOOL, RW)),
            ("other teacher", user(TEACHER + 1, Role::Teacher, People::Taught(TEACHER + 1), SCHOOL, RW)),
            ("school admin", user(300, Role::Administrator, People::All, SCHOOL, RW)),
            ("other-school admin", user(301, Role::Administrator, People::All, OTHER_SCHOOL, RW)),
            ("district admin", user(302, Role::Administrator, People::All, DISTRICT, RW)),
            ("tool with scopes", tool(RW)),
            ("tool without scopes", tool(&[])),
            ("anonymous", Principal::anonymous()),
        ]
    }

    /// Checks a rule against the expected outcome for each caller (`true`: allowed).
    fn check(rule: &str, f: impl Fn(&Principal) -> AppResult<()>, expected: &[(&str, bool)]) {
        let callers = callers();
        assert_eq!(callers.len(), expected.len(), "{rule}: one expectation per caller");
        for ((name, p), (want_name, allowed)) in callers.iter().zip(expected) {
            assert_eq!(name, want_name, "{rule}: callers in order");
            assert_eq!(f(p).is_ok(), *allowed, "{rule} for {name}");
        }
    }

    #[test]
    fn staff_run_win_students_do_not() {
        check(
            "require_staff",
            require_staff,
            &[
                ("student", false),
                ("other student", false),
                ("teacher", true),
                ("other teacher", true),
                ("school admin", true),
                ("other-school admin", true),
                ("district admin", true),
                ("tool with scopes", true),
                ("tool without scopes", false),
                ("anonymous", false),
            ],
        );
        assert!(matches!(require_staff(&Principal::anonymous()), Err(AppError::Unauthenticated)));
    }

    #[test]
    fn school_wide_decisions_are_for_administrators_and_tools() {
        check(
            "require_school_wide",
            require_school_wide,
            &[
                ("student", false),
                ("other student", false),
                ("teacher", false),
                ("other teacher", false),
                ("school admin", true),
                ("other-school admin", true),
                ("district admin", true),
                ("tool with scopes", true),
                ("tool without scopes", false),
                ("anonymous", false),
            ],
        );
    }

    #[test]
    fn students_choose_and_tools_relay_choices() {
        check(
            "require_chooser",
            require_chooser,
            &[
                ("student", true),
                ("other student", true),
                ("teacher", false),
                ("other teacher", false),
                ("school admin", false),
                ("other-school admin", false),
                ("district admin", false),
                ("tool with scopes", true),
                ("tool without scopes", false),
                ("anonymous", false),
            ],
        );
    }

    #[test]
    fn a_student_chooses_only_for_themself() {
        check(
            "may_choose_for",
            |p| may_choose_for(p, ME),
            &[
                ("student", true),
                ("other student", false),
                ("teacher", true),
                ("other teacher", true),
                ("school admin", true),
                ("other-school admin", true),
                ("district admin", true),
                ("tool with scopes", true),
                ("tool without scopes", true),
                // The anonymous principal sees only person 0; scopes refuse it earlier.
                ("anonymous", false),
            ],
        );
        let other = user(OTHER_STUDENT, Role::Student, People::Only(OTHER_STUDENT), SCHOOL, RW);
        assert!(matches!(may_choose_for(&other, ME), Err(AppError::NotFound("learner"))));
    }

    #[test]
    fn a_teacher_offers_only_their_own_sessions() {
        check(
            "may_offer_as",
            |p| may_offer_as(p, Some(TEACHER)),
            &[
                ("student", true),
                ("other student", true),
                ("teacher", true),
                ("other teacher", false),
                ("school admin", true),
                ("other-school admin", true),
                ("district admin", true),
                ("tool with scopes", true),
                ("tool without scopes", true),
                ("anonymous", true),
            ],
        );
        for (name, p) in callers() {
            assert!(may_offer_as(&p, None).is_ok(), "a session without a teacher, for {name}");
        }
    }

    #[test]
    fn a_teacher_names_and_changes_only_their_own_sessions() {
        check(
            "may_name_teacher(u-200)",
            |p| may_name_teacher(p, "u-200"),
            &[
                ("student", true),
                ("other student", true),
                ("teacher", true),
                ("other teacher", false),
                ("school admin", true),
                ("other-school admin", true),
                ("district admin", true),
                ("tool with scopes", true),
                ("tool without scopes", true),
                ("anonymous", true),
            ],
        );
        for (teacher, other_allowed) in [(Some(TEACHER), false), (None, false)] {
            check(
                "may_change_session",
                |p| may_change_session(p, teacher),
                &[
                    ("student", true),
                    ("other student", true),
                    ("teacher", teacher == Some(TEACHER)),
                    ("other teacher", other_allowed),
                    ("school admin", true),
                    ("other-school admin", true),
                    ("district admin", true),
                    ("tool with scopes", true),
                    ("tool without scopes", true),
                    ("anonymous", true),
                ],
            );
        }
    }

    #[test]
    fn a_teacher_runs_only_placements_that_are_hers() {
        assert!(may_run_placements([]).is_ok(), "nothing asked, nothing refused");
        assert!(may_run_placements([true, true]).is_ok());
        for mixed in [[true, false], [false, true], [false, false]] {
            assert!(matches!(may_run_placements(mixed), Err(AppError::Forbidden(_))), "{mixed:?}");
        }
    }

    #[test]
    fn the_summary_is_for_staff_and_tools() {
        check(
            "require_summary_reader",
            require_summary_reader,
            &[
                ("student", false),
                ("other student", false),
                ("teacher", true),
                ("other teacher", true),
                ("school admin", true),
                ("other-school admin", true),
                ("district admin", true),
                ("tool with scopes", true),
                ("tool without scopes", false),
                ("anonymous", false),
            ],
        );
    }

    #[test]
    fn reading_win_needs_its_scope() {
        check(
            "may_read",
            |p| if may_read(p) { Ok(()) } else { Err(AppError::Unauthenticated) },
            &[
                ("student", true),
                ("other student", true),
                ("teacher", true),
                ("other teacher", true),
                ("school admin", true),
                ("other-school admin", true),
                ("district admin", true),
                ("tool with scopes", true),
                ("tool without scopes", false),
                ("anonymous", false),
            ],
        );
    }

    #[test]
    fn learners_seen_follow_the_relationship() {
        let want = [
            ("student", LearnerView::Only(ME)),
            ("other student", LearnerView::Only(OTHER_STUDENT)),
            ("teacher", LearnerView::TaughtBy(TEACHER)),
            ("other teacher", LearnerView::TaughtBy(TEACHER + 1)),
            ("school admin", LearnerView::All),
            ("other-school admin", LearnerView::All),
            ("district admin", LearnerView::All),
            ("tool with scopes", LearnerView::All),
            ("tool without scopes", LearnerView::All),
            ("anonymous", LearnerView::Only(0)),
        ];
        for ((name, p), (want_name, view)) in callers().iter().zip(want) {
            assert_eq!(*name, want_name);
            assert_eq!(learner_view(p), view, "{name}");
        }
        // Under a vendor's agreement: a tool loses the opted-out students; a person signed in
        // through the vendor's front end keeps exactly their relationships.
        let vendor = |p: &Principal, school_official: bool| Principal {
            sharing: crate::auth::policy::sharing::Sharing::Agreement(std::sync::Arc::new(
                crate::auth::policy::sharing::Terms {
                    agreement_id: Some("dsa_x".into()),
                    school_official,
                    elements: crate::auth::policy::sharing::Elements::parse("Learner WinPreference").unwrap(),
                    withheld: Default::default(),
                    ends_on: None,
                },
            )),
            ..p.clone()
        };
        for (name, p) in callers() {
            let got = learner_view(&vendor(&p, false));
            match learner_view(&p) {
                LearnerView::All => assert_eq!(got, LearnerView::Vendor { directory_hidden: true }, "{name}"),
                person => assert_eq!(got, person, "{name}"),
            }
            if learner_view(&p) == LearnerView::All {
                assert_eq!(learner_view(&vendor(&p, true)), LearnerView::Vendor { directory_hidden: false }, "{name}");
            }
        }
    }

    #[test]
    fn learner_conditions_render_the_relationship_in_sql() {
        use sea_orm::{DbBackend, EntityTrait, QueryFilter, QueryTrait};
        let sql = |v: LearnerView| {
            entity::win_choice::Entity::find()
                .filter(v.condition(
                    Expr::col((entity::win_choice::Entity, entity::win_choice::Column::LearnerId)),
                    Expr::col((entity::win_choice::Entity, entity::win_choice::Column::BlockId)),
                ))
                .build(DbBackend::Sqlite)
                .to_string()
        };
        let all = sql(LearnerView::All);
        assert!(!all.contains(r#""learner_id" ="#) && !all.contains("enrollments"), "{all}");
        assert!(sql(LearnerView::Only(ME)).contains(r#""win_choices"."learner_id" = 100"#));
        let taught = sql(LearnerView::TaughtBy(TEACHER));
        assert!(taught.contains(r#""learner_id" IN (SELECT "user_id" FROM "enrollments""#), "{taught}");
        assert!(taught.contains("'teacher'") && taught.contains("'student'") && taught.contains("= 200"), "{taught}");
        // ... or placed in or choosing the teacher's sessions of the row's own block.
        for table in ["win_assignments", "win_choices"] {
            let wanted = format!(
                r#"("win_choices"."learner_id", "win_choices"."block_id") IN (SELECT "learner_id", "block_id" FROM "{table}" WHERE "session_id" IN (SELECT "id" FROM "win_sessions" WHERE "win_sessions"."teacher_id" = 200))"#
            );
            assert!(taught.contains(&wanted), "{taught}");
        }
    }
}
