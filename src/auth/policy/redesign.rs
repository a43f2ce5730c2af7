//! The redesign rules of the policy: who may read the redesign, which plans and district
//! records a caller sees, who may apply for a school or edit a school's plan, and which
//! decisions are the district's alone (pillars, cohorts, stages, money, moving a plan back).
//! The redesign service calls these; resolvers never decide.

use entity::{redesign_cohort, redesign_pillar, redesign_plan};
use sea_orm::{
    Condition,
    sea_query::{Query, SelectStatement},
};

use super::{owned_by_granted_org, owned_by_visible_org, require_district};
use crate::{
    auth::{Actor, Principal, Scope},
    error::{AppError, AppResult},
    roster::store::Role,
};

/// Reading anything of the redesign needs `redesign.read`.
pub fn require_read(p: &Principal) -> AppResult<()> {
    p.require(Scope::RedesignRead)
}

/// Every redesign write needs `redesign.write`; the rules below add who over what.
pub fn require_write(p: &Principal) -> AppResult<()> {
    p.require(Scope::RedesignWrite)
}

/// Plans a caller may see: those of schools among its granted orgs (a district grant covers
/// its schools). A school's plan (its money, its decline reasons) is not shown to other schools.
pub fn plans_visible(p: &Principal) -> Condition {
    owned_by_granted_org(p, (redesign_plan::Entity, redesign_plan::Column::SchoolOrgId))
}

/// Ids of the plans the caller may see, for filtering a plan's children.
pub fn visible_plan_ids(p: &Principal) -> SelectStatement {
    Query::select()
        .column(redesign_plan::Column::Id)
        .from(redesign_plan::Entity)
        .cond_where(plans_visible(p))
        .to_owned()
}

/// The in-memory twin of [`plans_visible`]: whether the caller may see a plan of this school.
pub fn may_see_plan(p: &Principal, school_org_id: i64) -> bool {
    p.has(Scope::RedesignRead) && p.owns_org(school_org_id)
}

/// Pillars a caller may see: its district's (schools see the district above them).
pub fn pillars_visible(p: &Principal) -> Condition {
    owned_by_visible_org(p, (redesign_pillar::Entity, redesign_pillar::Column::DistrictOrgId))
}

/// Cohorts a caller may see: its district's.
pub fn cohorts_visible(p: &Principal) -> Condition {
    owned_by_visible_org(p, (redesign_cohort::Entity, redesign_cohort::Column::DistrictOrgId))
}

/// Applying for a school: `redesign.write` and the school among the caller's granted orgs
/// (its administrators, a tool granted the school, or the district). Another school is not
/// found, not forbidden, so its existence doesn't leak.
pub fn require_applicant(p: &Principal, school_org_id: i64) -> AppResult<()> {
    require_write(p)?;
    if p.owns_org(school_org_id) { Ok(()) } else { Err(AppError::NotFound("school")) }
}

/// Editing a school's plan (application, mission, vision, goals, indicators, milestones):
/// `redesign.write` and the plan's school among the caller's granted orgs. Another school's
/// plan is not found.
pub fn require_plan_editor(p: &Principal, school_org_id: i64) -> AppResult<()> {
    require_write(p)?;
    if may_see_plan(p, school_org_id) { Ok(()) } else { Err(AppError::NotFound("plan")) }
}

/// Pillars and cohorts are the district's: `redesign.write` over the whole district.
pub fn require_district_records(p: &Principal, district_id: i64) -> AppResult<()> {
    require_district(p, Scope::RedesignWrite, district_id)
}

/// Moving a plan between stages is the district's decision.
pub fn require_stage_mover(p: &Principal, district_id: i64) -> AppResult<()> {
    require_district(p, Scope::RedesignWrite, district_id)
}

/// Money (funding terms, grants, disbursements) is the district's.
pub fn require_money(p: &Principal, district_id: i64) -> AppResult<()> {
    require_district(p, Scope::RedesignWrite, district_id)
}

/// Moving a plan back needs a signed-in district administrator (or the service itself): a
/// person answers for undoing a decision, never a tool. Checked on top of
/// [`require_stage_mover`], which keeps it to the district.
pub fn require_district_admin_person(p: &Principal) -> AppResult<()> {
    match &p.actor {
        Actor::User { role: Role::Administrator, .. } => Ok(()),
        Actor::System => Ok(()),
        _ => Err(AppError::Forbidden("only a signed-in district administrator may move a plan back".into())),
    }
}

/// The whole rule for moving a plan back: the district, and a person who administers it.
pub fn require_move_back(p: &Principal, district_id: i64) -> AppResult<()> {
    require_stage_mover(p, district_id)?;
    require_district_admin_person(p)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::{
        auth::{OrgAccess, People, policy::role_scopes},
        roster::store::Role,
    };

    const DISTRICT: i64 = 1;
    const SCHOOL: i64 = 10;
    const OTHER_SCHOOL: i64 = 11;

    fn person(role: Role, id: i64, orgs: Vec<i64>, people: People, district_admin: bool) -> Principal {
        let ancestors = if orgs.contains(&DISTRICT) { vec![] } else { vec![DISTRICT] };
        Principal {
            actor: Actor::User { client_id: "front-end".into(), user_id: id, sourced_id: format!("u-{id}"), role },
            scopes: role_scopes(role, district_admin),
            orgs: OrgAccess::Only { orgs, ancestors },
            people,
            trail: Default::default(),
            sharing: Default::default(),
        }
    }

    fn tool(scopes: &[Scope], orgs: OrgAccess) -> Principal {
        Principal {
            actor: Actor::Client { client_id: "tool".into() },
            scopes: scopes.iter().copied().collect::<BTreeSet<_>>(),
            orgs,
            people: People::All,
            trail: Default::default(),
            sharing: Default::default(),
        }
    }

    /// The principal kinds of the matrix, by name.
    fn principals() -> Vec<(&'static str, Principal)> {
        let rw = [Scope::RedesignRead, Scope::RedesignWrite];
        let school_only = || OrgAccess::Only { orgs: vec![SCHOOL], ancestors: vec![DISTRICT] };
        vec![
            ("student", person(Role::Student, 1, vec![SCHOOL], People::Only(1), false)),
            ("other student", person(Role::Student, 2, vec![OTHER_SCHOOL], People::Only(2), false)),
            ("teacher", person(Role::Teacher, 3, vec![SCHOOL], People::Taught(3), false)),
            ("other teacher", person(Role::Teacher, 4, vec![OTHER_SCHOOL], People::Taught(4), false)),
            ("school admin", person(Role::Administrator, 5, vec![SCHOOL], People::All, false)),
            ("other school admin", person(Role::Administrator, 6, vec![OTHER_SCHOOL], People::All, false)),
            ("district admin", person(Role::Administrator, 7, vec![DISTRICT, SCHOOL, OTHER_SCHOOL], People::All, true)),
            ("district tool", tool(&rw, OrgAccess::All)),
            ("district tool, read only", tool(&[Scope::RedesignRead], OrgAccess::All)),
            ("district tool, no scope", tool(&[Scope::RosterRead], OrgAccess::All)),
            ("school tool", tool(&rw, school_only())),
            ("system", Principal::system()),
            ("anonymous", Principal::anonymous()),
        ]
    }

    /// Runs `rule` for every principal and compares with the expected verdicts, by name.
    fn check(rule: &str, expected: &[(&str, bool)], f: impl Fn(&Principal) -> bool) {
        let all = principals();
        assert_eq!(expected.len(), all.len(), "{rule}: one verdict per principal");
        for ((name, p), (want_name, want)) in all.iter().zip(expected) {
            assert_eq!(name, want_name, "{rule}: the table follows principals()");
            assert_eq!(f(p), *want, "{rule}: {name}");
        }
    }

    #[test]
    fn who_reads_the_redesign() {
        check(
            "read",
            &[
                ("student", false),
                ("other student", false),
                ("teacher", true),
                ("other teacher", true),
                ("school admin", true),
                ("other school admin", true),
                ("district admin", true),
                ("district tool", true),
                ("district tool, read only", true),
                ("district tool, no scope", false),
                ("school tool", true),
                ("system", true),
                ("anonymous", false),
            ],
            |p| require_read(p).is_ok(),
        );
    }

    #[test]
    fn who_sees_the_schools_plan() {
        check(
            "see plan of the school",
            &[
                ("student", false),
                ("other student", false),
                ("teacher", true),
                ("other teacher", false),
                ("school admin", true),
                ("other school admin", false),
                ("district admin", true),
                ("district tool", true),
                ("district tool, read only", true),
                ("district tool, no scope", false),
                ("school tool", true),
                ("system", true),
                ("anonymous", false),
            ],
            |p| may_see_plan(p, SCHOOL),
        );
    }

    #[test]
    fn who_applies_for_the_school_and_edits_its_plan() {
        let table = [
            ("student", false),
            ("other student", false),
            ("teacher", false),
            ("other teacher", false),
            ("school admin", true),
            ("other school admin", false),
            ("district admin", true),
            ("district tool", true),
            ("district tool, read only", false),
            ("district tool, no scope", false),
            ("school tool", true),
            ("system", true),
            ("anonymous", false),
        ];
        check("apply", &table, |p| require_applicant(p, SCHOOL).is_ok());
        check("edit plan", &table, |p| require_plan_editor(p, SCHOOL).is_ok());
    }

    #[test]
    fn another_schools_plan_is_not_found_for_a_writer_of_this_school() {
        let admin = &principals()[4].1;
        assert!(matches!(require_plan_editor(admin, OTHER_SCHOOL), Err(AppError::NotFound("plan"))));
        assert!(matches!(require_applicant(admin, OTHER_SCHOOL), Err(AppError::NotFound("school"))));
        let teacher = &principals()[2].1;
        assert!(matches!(require_plan_editor(teacher, SCHOOL), Err(AppError::Forbidden(_))));
        assert!(matches!(require_plan_editor(&Principal::anonymous(), SCHOOL), Err(AppError::Unauthenticated)));
    }

    #[test]
    fn stages_money_pillars_and_cohorts_are_the_districts() {
        let table = [
            ("student", false),
            ("other student", false),
            ("teacher", false),
            ("other teacher", false),
            ("school admin", false),
            ("other school admin", false),
            ("district admin", true),
            ("district tool", true),
            ("district tool, read only", false),
            ("district tool, no scope", false),
            ("school tool", false),
            ("system", true),
            ("anonymous", false),
        ];
        check("move stage", &table, |p| require_stage_mover(p, DISTRICT).is_ok());
        check("money", &table, |p| require_money(p, DISTRICT).is_ok());
        check("pillars and cohorts", &table, |p| require_district_records(p, DISTRICT).is_ok());
    }

    #[test]
    fn only_a_district_administrator_in_person_moves_a_plan_back() {
        check(
            "move back",
            &[
                ("student", false),
                ("other student", false),
                ("teacher", false),
                ("other teacher", false),
                ("school admin", false),
                ("other school admin", false),
                ("district admin", true),
                ("district tool", false),
                ("district tool, read only", false),
                ("district tool, no scope", false),
                ("school tool", false),
                ("system", true),
                ("anonymous", false),
            ],
            |p| require_move_back(p, DISTRICT).is_ok(),
        );
        // The person rule alone lets any administrator through: the district rule is what
        // keeps a school's administrator out.
        assert!(require_district_admin_person(&principals()[4].1).is_ok());
        assert!(require_district_admin_person(&principals()[7].1).is_err());
    }

    #[test]
    fn a_district_grant_is_needed_for_another_district() {
        let admin = &principals()[6].1;
        assert!(require_stage_mover(admin, 2).is_err());
        assert!(require_money(admin, 2).is_err());
        assert!(require_stage_mover(&principals()[7].1, 2).is_ok(), "a district-wide tool sees every district");
    }
}
