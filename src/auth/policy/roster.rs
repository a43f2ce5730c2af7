//! The roster rules of the policy that are decided in memory, on records already loaded: which
//! of a user's schools a caller may see, whether a page's profiles are the caller's to read, and
//! who may set an org's time zone.
//! The SQL twins (which users, classes and enrollments a caller sees) are in the parent module.

use entity::{OrgType, Role, org};

use crate::{
    auth::{Actor, Principal, Scope},
    error::{AppError, AppResult},
};

/// Whether an org a user belongs to is shown as one of their schools: a school the caller may
/// see. A learner shared by two schools shows a caller limited to one only that one.
pub fn may_see_school(p: &Principal, o: &org::Model) -> bool {
    o.org_type == OrgType::School && p.may_see_org(o.id)
}

/// Whether the caller reads learner profiles (`profiles.read`), so that a page of learners may
/// load their profiles up front.
pub fn may_read_profiles(p: &Principal) -> bool {
    p.has(Scope::ProfilesRead)
}

/// Who may set an org's time zone (`setOrgTimeZone`), on an org the caller can see: `roster.write`
/// and the org among the caller's granted orgs (not merely an ancestor of them), as a signed-in
/// administrator or a tool. A district administrator sets the district's and every school's; a
/// school administrator, or a tool granted a school, only that school's. Teachers and students
/// never, whatever their token holds.
pub fn may_set_time_zone(p: &Principal, o: &org::Model) -> AppResult<()> {
    p.require(Scope::RosterWrite)?;
    let role_ok = match &p.actor {
        Actor::User { role, .. } => *role == Role::Administrator,
        Actor::Client { .. } | Actor::System => true,
        Actor::Anonymous => false,
    };
    if role_ok && p.owns_org(o.id) {
        return Ok(());
    }
    let what = if o.org_type == OrgType::District { "the district's" } else { "this school's" };
    Err(AppError::Forbidden(format!(
        "only the district's administrators and tools, or the school's own administrators, may set {what} time zone"
    )))
}

/// Where a roster writer (`upsertRoster`) may write: `None` for the whole district, else the
/// orgs it was granted (with the schools below them). Records of district-wide types (orgs,
/// academic sessions) need the whole district. Signed-in people write only as administrators.
pub fn roster_write_scope(p: &Principal, district_records: bool) -> AppResult<Option<Vec<i64>>> {
    p.require(Scope::RosterWrite)?;
    let role_ok = match &p.actor {
        Actor::User { role, .. } => *role == Role::Administrator,
        Actor::Client { .. } | Actor::System => true,
        Actor::Anonymous => false,
    };
    if !role_ok {
        return Err(AppError::Forbidden("only administrators and tools write the roster".into()));
    }
    match &p.orgs {
        crate::auth::OrgAccess::All => Ok(None),
        // Granted a root org (a signed-in district administrator): the whole district.
        crate::auth::OrgAccess::Only { ancestors, .. } if ancestors.is_empty() && district_records => Ok(None),
        crate::auth::OrgAccess::Only { .. } if district_records => Err(AppError::Forbidden(
            "orgs and academic sessions are the district's: writing them needs district-wide access".into(),
        )),
        crate::auth::OrgAccess::Only { orgs, .. } => Ok(Some(orgs.clone())),
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;
    use crate::{
        auth::{Actor, OrgAccess, People},
        roster::store::Role,
    };

    const DISTRICT: i64 = 1;
    const SCHOOL: i64 = 10;
    const OTHER_SCHOOL: i64 = 11;
    const ME: i64 = 100;
    const TEACHER: i64 = 200;

    fn user(id: i64, role: Role, people: People, orgs: &[i64], scopes: &[Scope]) -> Principal {
        Principal {
            actor: Actor::User { client_id: "front".into(), user_id: id, sourced_id: format!("u-{id}"), role },
            scopes: scopes.iter().copied().collect(),
            orgs: OrgAccess::Only {
                orgs: orgs.to_vec(),
                ancestors: if orgs.contains(&DISTRICT) { vec![] } else { vec![DISTRICT] },
            },
            people,
            trail: Default::default(),
            sharing: Default::default(),
        }
    }

    fn tool(scopes: &[Scope], orgs: OrgAccess) -> Principal {
        Principal {
            actor: Actor::Client { client_id: "tool".into() },
            scopes: scopes.iter().copied().collect(),
            orgs,
            people: People::All,
            trail: Default::default(),
            sharing: Default::default(),
        }
    }

    fn school_tool(scopes: &[Scope]) -> Principal {
        tool(scopes, OrgAccess::Only { orgs: vec![SCHOOL], ancestors: vec![DISTRICT] })
    }

    const READ: &[Scope] = &[Scope::RosterRead, Scope::ProfilesRead];
    const WHOLE_DISTRICT: &[i64] = &[DISTRICT, SCHOOL, OTHER_SCHOOL];

    /// Every kind of caller the matrix asks about.
    fn callers() -> Vec<(&'static str, Principal)> {
        vec![
            ("student", user(ME, Role::Student, People::Only(ME), &[SCHOOL], READ)),
            ("other student", user(ME + 1, Role::Student, People::Only(ME + 1), &[OTHER_SCHOOL], READ)),
            ("teacher", user(TEACHER, Role::Teacher, People::Taught(TEACHER), &[SCHOOL], READ)),
            ("other teacher", user(TEACHER + 1, Role::Teacher, People::Taught(TEACHER + 1), &[OTHER_SCHOOL], READ)),
            ("school admin", user(300, Role::Administrator, People::All, &[SCHOOL], READ)),
            ("other-school admin", user(301, Role::Administrator, People::All, &[OTHER_SCHOOL], READ)),
            ("district admin", user(302, Role::Administrator, People::All, WHOLE_DISTRICT, READ)),
            ("tool with scopes", school_tool(READ)),
            ("tool without scopes", school_tool(&[Scope::RosterRead])),
            ("district-wide tool", tool(READ, OrgAccess::All)),
            ("anonymous", Principal::anonymous()),
        ]
    }

    /// Checks a rule against the expected outcome for each caller.
    fn check(rule: &str, f: impl Fn(&Principal) -> bool, expected: &[(&str, bool)]) {
        let callers = callers();
        assert_eq!(callers.len(), expected.len(), "{rule}: one expectation per caller");
        for ((name, p), (want_name, allowed)) in callers.iter().zip(expected) {
            assert_eq!(name, want_name, "{rule}: callers in order");
            assert_eq!(f(p), *allowed, "{rule} for {name}");
        }
    }

    fn org(id: i64, org_type: OrgType) -> org::Model {
        org::Model {
            id,
            sourced_id: format!("org-{id}"),
            status: entity::Status::Active,
            date_last_modified: Utc::now(),
            source_modified: None,
            name: format!("org {id}"),
            org_type,
            identifier: None,
            parent_id: (org_type == OrgType::School).then_some(DISTRICT),
            time_zone: None,
        }
    }

    #[test]
    fn a_users_school_shows_to_callers_of_that_school() {
        let school = org(SCHOOL, OrgType::School);
        check(
            "may_see_school(SCHOOL)",
            |p| may_see_school(p, &school),
            &[
                ("student", true),
                ("other student", false),
                ("teacher", true),
                ("other teacher", false),
                ("school admin", true),
                ("other-school admin", false),
                ("district admin", true),
                ("tool with scopes", true),
                ("tool without scopes", true),
                ("district-wide tool", true),
                ("anonymous", false),
            ],
        );
    }

    #[test]
    fn a_district_is_never_listed_among_schools() {
        let district = org(DISTRICT, OrgType::District);
        check(
            "may_see_school(DISTRICT)",
            |p| may_see_school(p, &district),
            &[
                ("student", false),
                ("other student", false),
                ("teacher", false),
                ("other teacher", false),
                ("school admin", false),
                ("other-school admin", false),
                ("district admin", false),
                ("tool with scopes", false),
                ("tool without scopes", false),
                ("district-wide tool", false),
                ("anonymous", false),
            ],
        );
    }

    /// The caller with `roster.write` added to its grant (except the tool without scopes and
    /// the anonymous caller), so that the role rule is what decides.
    fn with_roster_write(p: &Principal) -> Principal {
        let mut p = p.clone();
        if p.has(Scope::ProfilesRead) {
            p.scopes.insert(Scope::RosterWrite);
        }
        p
    }

    #[test]
    fn a_schools_zone_is_set_by_its_administrators_the_districts_and_tools_with_roster_write() {
        let school = org(SCHOOL, OrgType::School);
        check(
            "may_set_time_zone(SCHOOL)",
            |p| may_set_time_zone(&with_roster_write(p), &school).is_ok(),
            &[
                ("student", false),
                ("other student", false),
                ("teacher", false),
                ("other teacher", false),
                ("school admin", true),
                ("other-school admin", false),
                ("district admin", true),
                ("tool with scopes", true),
                ("tool without scopes", false),
                ("district-wide tool", true),
                ("anonymous", false),
            ],
        );
    }

    #[test]
    fn the_districts_zone_is_the_districts_to_set() {
        let district = org(DISTRICT, OrgType::District);
        check(
            "may_set_time_zone(DISTRICT)",
            |p| may_set_time_zone(&with_roster_write(p), &district).is_ok(),
            &[
                ("student", false),
                ("other student", false),
                ("teacher", false),
                ("other teacher", false),
                ("school admin", false),
                ("other-school admin", false),
                ("district admin", true),
                ("tool with scopes", false),
                ("tool without scopes", false),
                ("district-wide tool", true),
                ("anonymous", false),
            ],
        );
    }

    #[test]
    fn setting_a_zone_without_roster_write_is_refused_whoever_asks() {
        let school = org(SCHOOL, OrgType::School);
        check(
            "may_set_time_zone without roster.write",
            |p| may_set_time_zone(p, &school).is_ok(),
            &[
                ("student", false),
                ("other student", false),
                ("teacher", false),
                ("other teacher", false),
                ("school admin", false),
                ("other-school admin", false),
                ("district admin", false),
                ("tool with scopes", false),
                ("tool without scopes", false),
                ("district-wide tool", false),
                ("anonymous", false),
            ],
        );
    }

    #[test]
    fn profiles_are_primed_only_for_profile_readers() {
        check(
            "may_read_profiles",
            may_read_profiles,
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
                ("district-wide tool", true),
                ("anonymous", false),
            ],
        );
    }
}
