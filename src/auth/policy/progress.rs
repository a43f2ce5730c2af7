//! The progress rules of the policy: who posts results (staff and tools, never a learner for
//! themself), who overrides them (a signed-in teacher or administrator, or the district's own
//! tools), and who deletes them (their poster, or whoever may override).

use entity::Role;

use crate::{
    auth::{Actor, Principal, Scope},
    error::{AppError, AppResult},
};

/// Results are posted by tools and staff: a learner does not post their own.
pub fn require_poster(p: &Principal) -> AppResult<()> {
    p.require(Scope::ProgressWrite)?;
    if p.people.is_family() {
        return Err(AppError::Forbidden("learners do not post their own results".into()));
    }
    Ok(())
}

/// Overriding is a judgement for a signed-in teacher or administrator, or the district's own
/// tools (clients holding `admin`, such as its gradebook) recording one; not for vendor tools.
pub fn require_overrider(p: &Principal) -> AppResult<()> {
    p.require(Scope::ProgressWrite)?;
    match &p.actor {
        Actor::User { role: Role::Teacher | Role::Administrator, .. } => Ok(()),
        Actor::System => Ok(()),
        Actor::Client { .. } if p.has(Scope::Admin) => Ok(()),
        _ => Err(AppError::Forbidden("only a signed-in teacher or administrator may override a result".into())),
    }
}

/// A result is deleted by its poster (`own`: the result was posted under the caller's
/// namespace), or by whoever may override results.
pub fn may_delete_result(p: &Principal, own: bool) -> AppResult<()> {
    p.require(Scope::ProgressWrite)?;
    if own {
        return Ok(());
    }
    require_overrider(p).map_err(|_| AppError::Forbidden("only the result's poster or a teacher may delete it".into()))
}

/// Who writes the OneRoster gradebook (`scope`: `gradebook.write` to put, `gradebook.delete` to
/// delete): staff and tools, never a learner. Answers the orgs the writer is limited to (`None`:
/// the whole district); within them a signed-in teacher writes only for the classes and
/// students they may see, as every write checks. Categories and score scales that name no
/// class are the district's (`district_record`): writing them needs district-wide access.
pub fn gradebook_writer(p: &Principal, scope: Scope, district_record: bool) -> AppResult<Option<Vec<i64>>> {
    p.require(scope)?;
    let staff_or_tool = match &p.actor {
        Actor::User { role, .. } => matches!(role, Role::Teacher | Role::Administrator),
        Actor::Client { .. } | Actor::System => true,
        Actor::Anonymous => false,
    };
    if !staff_or_tool {
        return Err(AppError::Forbidden("only staff and tools write the gradebook".into()));
    }
    // The district's records are for its administrators and tools, not a teacher's to change.
    if district_record && matches!(p.actor, Actor::User { role: Role::Teacher, .. }) {
        return Err(AppError::Forbidden(
            "categories and score scales of no class are the district's: its administrators and tools write them"
                .into(),
        ));
    }
    match &p.orgs {
        crate::auth::OrgAccess::All => Ok(None),
        // Granted no org at all (every membership ended): nothing to write in.
        crate::auth::OrgAccess::Only { orgs, .. } if orgs.is_empty() => {
            Err(AppError::Forbidden("you belong to no org to write the gradebook in".into()))
        }
        crate::auth::OrgAccess::Only { ancestors, .. } if ancestors.is_empty() && district_record => Ok(None),
        crate::auth::OrgAccess::Only { .. } if district_record => Err(AppError::Forbidden(
            "categories and score scales of no class are the district's: writing them needs district-wide access"
                .into(),
        )),
        crate::auth::OrgAccess::Only { orgs, .. } => Ok(Some(orgs.clone())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::policy::playlists::tests::{caller, check, tool};

    const W: &[Scope] = &[Scope::ProgressRead, Scope::ProgressWrite];

    #[test]
    fn staff_and_tools_post_results_learners_do_not() {
        check(
            "require_poster",
            W,
            |p| require_poster(p).is_ok(),
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
    }

    #[test]
    fn teachers_administrators_and_district_tools_override() {
        check(
            "require_overrider",
            W,
            |p| require_overrider(p).is_ok(),
            &[
                ("student", false),
                ("teacher", true),
                ("school admin", true),
                ("other-school admin", true),
                ("tool with scopes", false),
                ("tool without scopes", false),
                ("anonymous", false),
            ],
        );
        let district_tool = tool(&[Scope::ProgressWrite, Scope::Admin]);
        assert!(require_overrider(&district_tool).is_ok());
        assert!(require_overrider(&Principal::system()).is_ok());
    }

    #[test]
    fn the_poster_or_an_overrider_deletes_a_result() {
        for (own, tool_may) in [(true, true), (false, false)] {
            check(
                &format!("may_delete_result own={own}"),
                W,
                |p| may_delete_result(p, own).is_ok(),
                &[
                    ("student", own),
                    ("teacher", true),
                    ("school admin", true),
                    ("other-school admin", true),
                    ("tool with scopes", tool_may),
                    ("tool without scopes", false),
                    ("anonymous", false),
                ],
            );
        }
    }

    #[test]
    fn staff_and_tools_write_the_gradebook_within_their_orgs() {
        use crate::auth::OrgAccess;
        for scope in [Scope::GradebookWrite, Scope::GradebookDelete] {
            check(
                &format!("gradebook_writer {scope}"),
                &[scope],
                |p| gradebook_writer(p, scope, false).is_ok(),
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
        }
        // The one scope does not grant the other.
        assert!(gradebook_writer(&tool(&[Scope::GradebookWrite]), Scope::GradebookDelete, false).is_err());
        // A school's tool writes within its school, and not the district's records.
        let school_tool = tool(&[Scope::GradebookWrite]);
        let OrgAccess::Only { orgs, .. } = &school_tool.orgs else { unreachable!() };
        assert_eq!(gradebook_writer(&school_tool, Scope::GradebookWrite, false).ok(), Some(Some(orgs.clone())));
        assert!(matches!(gradebook_writer(&school_tool, Scope::GradebookWrite, true), Err(AppError::Forbidden(_))));
        // A district administrator (granted the root org) writes the district's records.
        let mut district_admin = caller("school admin", &[Scope::GradebookWrite]);
        district_admin.orgs = OrgAccess::Only { orgs: vec![1, 10], ancestors: vec![] };
        assert_eq!(gradebook_writer(&district_admin, Scope::GradebookWrite, true).ok(), Some(None));
        let mut district_tool = tool(&[Scope::GradebookWrite]);
        district_tool.orgs = OrgAccess::All;
        assert_eq!(gradebook_writer(&district_tool, Scope::GradebookWrite, true).ok(), Some(None));
        // A teacher writes no district record, and a caller granted no org writes nothing.
        let mut district_teacher = caller("teacher", &[Scope::GradebookWrite]);
        district_teacher.orgs = OrgAccess::Only { orgs: vec![1], ancestors: vec![] };
        assert!(gradebook_writer(&district_teacher, Scope::GradebookWrite, false).is_ok());
        assert!(matches!(
            gradebook_writer(&district_teacher, Scope::GradebookWrite, true),
            Err(AppError::Forbidden(_))
        ));
        let mut nowhere = tool(&[Scope::GradebookWrite]);
        nowhere.orgs = OrgAccess::Only { orgs: vec![], ancestors: vec![] };
        assert!(matches!(gradebook_writer(&nowhere, Scope::GradebookWrite, true), Err(AppError::Forbidden(_))));
        assert!(matches!(gradebook_writer(&nowhere, Scope::GradebookWrite, false), Err(AppError::Forbidden(_))));
        // `progress.write` alone writes no gradebook record.
        assert!(gradebook_writer(&tool(&[Scope::ProgressWrite]), Scope::GradebookWrite, false).is_err());
    }
}
