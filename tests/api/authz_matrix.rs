//! Every query and mutation field of the schema against every kind of caller that must be
//! denied: anonymous, missing the field's scope (every one of them, where several will do),
//! limited to another school, and presenting a bad token of each kind. Each rule states the
//! exact answer each denied caller gets, what the full-access control run must reveal, and for
//! a mutation which tables its control run writes; after every denied mutation a fingerprint of
//! the database proves nothing changed. The decisions that belong to the district are also
//! tried by a tool limited to a school and by a school's administrator signed in. The rule table
//! must name every root field: adding a field without an authorization rule fails this test.

use std::collections::{BTreeMap, BTreeSet};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use learnergraph::auth::tokens::{Keys, generate_pem};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};

use crate::support::{AUDIENCE, ISSUER, TestApp, backend_is_postgres, data, spawn_app, spawn_app_with};

pub(crate) const ALL_SCOPES: [&str; 14] = [
    "roster.read",
    "roster.write",
    "profiles.read",
    "profiles.write",
    "profiles.sensitive.read",
    "playlists.read",
    "playlists.write",
    "progress.read",
    "progress.write",
    "win.read",
    "win.write",
    "redesign.read",
    "redesign.write",
    "admin",
];

/// What the front end `dev_sign_in` registers may grant; a person's role caps it further.
const FRONT_END_SCOPES: &str = "roster.read profiles.read redesign.read redesign.write playlists.read playlists.write \
                                progress.read progress.write win.read win.write";

/// The exact answer a denied caller gets.
#[derive(Clone, Copy, Debug)]
enum Denied {
    /// One GraphQL error with this `extensions.code`, and `data` null.
    Error(&'static str),
    /// No error and exactly this `data` (JSON; `"$name"` stands for the fixture variable).
    Data(&'static str),
}

/// A root field, the scopes that open it, a document using it, and what each caller must get.
struct Rule {
    field: &'static str,
    /// Any one of these scopes opens the field; empty when it needs none (it reveals only the
    /// caller, or each record in it needs its own scope).
    scopes: &'static [&'static str],
    doc: &'static str,
    /// The exact answer to a caller holding every scope but limited to a school with no records.
    other_school: Denied,
    /// `(key, value)` pairs the full-access control run's answer must hold somewhere (as the
    /// value, or in the list, under that key); `$name` is the fixture variable.
    reveals: &'static [(&'static str, &'static str)],
    /// For a mutation: tables its control run must change.
    writes: &'static [&'static str],
}

const RULE: Rule = Rule { field: "", scopes: &[], doc: "", other_school: Denied::Data(""), reveals: &[], writes: &[] };

const ROSTER_READ: &[&str] = &["roster.read"];
const ROSTER_WRITE: &[&str] = &["roster.write"];
const PROFILES_READ: &[&str] = &["profiles.read"];
const PROFILES_WRITE: &[&str] = &["profiles.write"];
const ADMIN: &[&str] = &["admin"];
const REDESIGN_READ: &[&str] = &["redesign.read"];
const REDESIGN_WRITE: &[&str] = &["redesign.write"];
const PLAYLISTS_READ: &[&str] = &["playlists.read"];
const PLAYLISTS_WRITE: &[&str] = &["playlists.write"];
const PROGRESS_READ: &[&str] = &["progress.read"];
const PROGRESS_WRITE: &[&str] = &["progress.write"];
const WIN_READ: &[&str] = &["win.read"];
const WIN_WRITE: &[&str] = &["win.write"];
/// Competencies are the district's reference data, read by progress tools and playlist tools.
const COMPETENCIES_READ: &[&str] = &["progress.read", "playlists.read"];

/// The answer of a caller limited to another school to a district decision: district-wide
/// authority is checked before anything is looked up.
const DISTRICT_ONLY: Denied = Denied::Error("FORBIDDEN");
/// The answer to a caller that may not know the record exists, as a top-level error.
const NOT_FOUND: Denied = Denied::Error("NOT_FOUND");

const RULES: &[Rule] = &[
    Rule {
        field: "viewer",
        doc: "{ viewer { kind scopes districtWide } }",
        other_school: Denied::Data(
            r#"{"viewer": {"kind": "client", "districtWide": false, "scopes": ["roster.read", "roster.write", "profiles.read", "profiles.write", "profiles.sensitive.read", "playlists.read", "playlists.write", "progress.read", "progress.write", "win.read", "win.write", "redesign.read", "redesign.write", "admin"]}}"#,
        ),
        reveals: &[("districtWide", "true"), ("kind", "client")],
        ..RULE
    },
    Rule {
        field: "node",
        scopes: ROSTER_READ,
        doc: "query($learner: ID!) { node(id: $learner) { id ... on Learner { sourcedId } } }",
        other_school: Denied::Data(r#"{"node": null}"#),
        reveals: &[("id", "$learner"), ("sourcedId", "$sid")],
        ..RULE
    },
    Rule {
        field: "nodes",
        scopes: ROSTER_READ,
        doc: "query($learner: ID!) { nodes(ids: [$learner]) { id ... on Learner { sourcedId } } }",
        other_school: Denied::Data(r#"{"nodes": [null]}"#),
        reveals: &[("id", "$learner"), ("sourcedId", "$sid")],
        ..RULE
    },
    Rule {
        field: "districts",
        scopes: ROSTER_READ,
        doc: "{ districts { edges { node { sourcedId schools { edges { node { sourcedId } } } } } } }",
        // Its own school's district, naming only its own school.
        other_school: Denied::Data(
            r#"{"districts": {"edges": [{"node": {"sourcedId": "sc-district", "schools": {"edges": [{"node": {"sourcedId": "sc-school-other"}}]}}}]}}"#,
        ),
        reveals: &[("sourcedId", "sc-school-001")],
        ..RULE
    },
    Rule {
        field: "schools",
        scopes: ROSTER_READ,
        doc: "{ schools { edges { node { sourcedId } } } }",
        other_school: Denied::Data(r#"{"schools": {"edges": [{"node": {"sourcedId": "sc-school-other"}}]}}"#),
        reveals: &[("sourcedId", "sc-school-001")],
        ..RULE
    },
    Rule {
        field: "learners",
        scopes: ROSTER_READ,
        doc: "{ learners(first: 100) { edges { node { sourcedId } } } }",
        other_school: Denied::Data(r#"{"learners": {"edges": []}}"#),
        reveals: &[("sourcedId", "$sid")],
        ..RULE
    },
    Rule {
        field: "educators",
        scopes: ROSTER_READ,
        doc: "{ educators(first: 100) { edges { node { sourcedId } } } }",
        other_school: Denied::Data(r#"{"educators": {"edges": []}}"#),
        reveals: &[("sourcedId", "sc-t-001-06-math-0")],
        ..RULE
    },
    Rule {
        field: "classes",
        scopes: ROSTER_READ,
        doc: "{ classes(first: 100) { edges { node { sourcedId } } } }",
        other_school: Denied::Data(r#"{"classes": {"edges": []}}"#),
        reveals: &[("sourcedId", "sc-c-001-06-math-s1")],
        ..RULE
    },
    Rule {
        field: "courses",
        scopes: ROSTER_READ,
        doc: "{ courses(first: 100) { edges { node { sourcedId } } } }",
        other_school: Denied::Data(r#"{"courses": {"edges": []}}"#),
        reveals: &[("sourcedId", "sc-c-001-06-math")],
        ..RULE
    },
    Rule {
        field: "academicSessions",
        scopes: ROSTER_READ,
        doc: "{ academicSessions { edges { node { sourcedId } } } }",
        // The district's sessions: shared with every school of the district.
        other_school: Denied::Data(
            r#"{"academicSessions": {"edges": [{"node": {"sourcedId": "sc-sy-2027"}}, {"node": {"sourcedId": "sc-term-2027-fall"}}, {"node": {"sourcedId": "sc-term-2027-spring"}}]}}"#,
        ),
        reveals: &[("sourcedId", "sc-term-2027-fall")],
        ..RULE
    },
    Rule {
        field: "enrollments",
        scopes: ROSTER_READ,
        doc: "{ enrollments(first: 100) { edges { node { sourcedId } } } }",
        other_school: Denied::Data(r#"{"enrollments": {"edges": []}}"#),
        reveals: &[("sourcedId", "$enr")],
        ..RULE
    },
    Rule {
        field: "school",
        scopes: ROSTER_READ,
        doc: "{ school(sourcedId: \"sc-school-001\") { sourcedId } }",
        other_school: Denied::Data(r#"{"school": null}"#),
        reveals: &[("sourcedId", "sc-school-001")],
        ..RULE
    },
    Rule {
        field: "district",
        scopes: ROSTER_READ,
        doc: "{ district(sourcedId: \"sc-district\") { sourcedId } }",
        // The caller's own school's district.
        other_school: Denied::Data(r#"{"district": {"sourcedId": "sc-district"}}"#),
        reveals: &[("sourcedId", "sc-district")],
        ..RULE
    },
    Rule {
        field: "learner",
        scopes: ROSTER_READ,
        doc: "query($sid: String!) { learner(sourcedId: $sid) { sourcedId } }",
        other_school: Denied::Data(r#"{"learner": null}"#),
        reveals: &[("sourcedId", "$sid")],
        ..RULE
    },
    Rule {
        field: "educator",
        scopes: ROSTER_READ,
        doc: "{ educator(sourcedId: \"sc-t-001-06-math-0\") { sourcedId } }",
        other_school: Denied::Data(r#"{"educator": null}"#),
        reveals: &[("sourcedId", "sc-t-001-06-math-0")],
        ..RULE
    },
    Rule {
        field: "class",
        scopes: ROSTER_READ,
        doc: "{ class(sourcedId: \"sc-c-001-06-math-s1\") { sourcedId } }",
        other_school: Denied::Data(r#"{"class": null}"#),
        reveals: &[("sourcedId", "sc-c-001-06-math-s1")],
        ..RULE
    },
    Rule {
        field: "course",
        scopes: ROSTER_READ,
        doc: "{ course(sourcedId: \"sc-c-001-06-math\") { sourcedId } }",
        other_school: Denied::Data(r#"{"course": null}"#),
        reveals: &[("sourcedId", "sc-c-001-06-math")],
        ..RULE
    },
    Rule {
        field: "academicSession",
        scopes: ROSTER_READ,
        doc: "{ academicSession(sourcedId: \"sc-term-2027-fall\") { sourcedId } }",
        other_school: Denied::Data(r#"{"academicSession": {"sourcedId": "sc-term-2027-fall"}}"#),
        reveals: &[("sourcedId", "sc-term-2027-fall")],
        ..RULE
    },
    Rule {
        field: "enrollment",
        scopes: ROSTER_READ,
        doc: "query($enr: String!) { enrollment(sourcedId: $enr) { sourcedId } }",
        other_school: Denied::Data(r#"{"enrollment": null}"#),
        reveals: &[("sourcedId", "$enr")],
        ..RULE
    },
    Rule {
        field: "learnerProfile",
        scopes: PROFILES_READ,
        doc: "query($sid: String!) { learnerProfile(learnerSourcedId: $sid) { id strengths } }",
        other_school: Denied::Data(r#"{"learnerProfile": null}"#),
        reveals: &[("id", "$profile"), ("strengths", "careful with details")],
        ..RULE
    },
    Rule {
        field: "auditEvents",
        scopes: ADMIN,
        doc: "{ auditEvents { edges { node { learnerSourcedIds } } } }",
        other_school: DISTRICT_ONLY,
        reveals: &[("learnerSourcedIds", "$sid"), ("learnerSourcedIds", "$psid")],
        ..RULE
    },
    Rule {
        field: "rosterImports",
        scopes: ADMIN,
        doc: "{ rosterImports { nodes { ranBy source } } }",
        other_school: DISTRICT_ONLY,
        reveals: &[("ranBy", "cli:matrix"), ("source", "/exports/matrix.zip")],
        ..RULE
    },
    Rule {
        field: "oauthClients",
        scopes: ADMIN,
        doc: "{ oauthClients { clientId enabled } }",
        other_school: DISTRICT_ONLY,
        reveals: &[("clientId", "$client")],
        ..RULE
    },
    Rule {
        field: "upsertLearner",
        scopes: ROSTER_WRITE,
        doc: "mutation($sid: String!) { upsertLearner(input: {sourcedId: $sid, givenName: \"Changed\", familyName: \"Name\", schoolSourcedIds: [\"sc-school-001\"]}) { learner { sourcedId givenName } userErrors { code } } }",
        // The school named is not among the caller's.
        other_school: Denied::Data(r#"{"upsertLearner": {"learner": null, "userErrors": [{"code": "NOT_FOUND"}]}}"#),
        reveals: &[("sourcedId", "$sid"), ("givenName", "Changed")],
        writes: &["users"],
    },
    Rule {
        field: "upsertRoster",
        scopes: ROSTER_WRITE,
        doc: "mutation($sid: String!) { upsertRoster(input: {users: [{sourcedId: $sid, givenName: \"Roster\", familyName: \"Writer\", roles: [{roleType: \"primary\", role: \"student\", orgSourcedId: \"sc-school-001\"}]}]}) { results { sourcedId outcome } userErrors { code } } }",
        // The student is another school's, and so is their role there: both sourcedIds are
        // taken by records the caller may not change.
        other_school: Denied::Data(
            r#"{"upsertRoster": {"results": [], "userErrors": [{"code": "CONFLICT"}, {"code": "CONFLICT"}]}}"#,
        ),
        reveals: &[("sourcedId", "$sid"), ("outcome", "UPDATED")],
        writes: &["users"],
    },
    Rule {
        field: "setOrgTimeZone",
        scopes: ROSTER_WRITE,
        doc: "mutation { setOrgTimeZone(input: {orgSourcedId: \"sc-school-001\", timeZone: \"America/Denver\"}) { org { ... on School { sourcedId timeZone } } userErrors { code } } }",
        // A school the caller can't see is not found.
        other_school: Denied::Data(r#"{"setOrgTimeZone": {"org": null, "userErrors": [{"code": "NOT_FOUND"}]}}"#),
        reveals: &[("sourcedId", "sc-school-001"), ("timeZone", "America/Denver")],
        writes: &["orgs"],
    },
    Rule {
        field: "deleteRosterRecord",
        scopes: ROSTER_WRITE,
        doc: "mutation($victim: ID!) { deleteRosterRecord(id: $victim) { deletedId userErrors { code } } }",
        other_school: Denied::Data(
            r#"{"deleteRosterRecord": {"deletedId": null, "userErrors": [{"code": "NOT_FOUND"}]}}"#,
        ),
        reveals: &[("deletedId", "$victim")],
        writes: &["users"],
    },
    Rule {
        field: "createLearnerProfile",
        scopes: PROFILES_WRITE,
        doc: "mutation($fresh: ID!) { createLearnerProfile(input: {learnerId: $fresh, strengths: [\"x\"]}) { profile { strengths learner { sourcedId } } userErrors { code } } }",
        other_school: Denied::Data(
            r#"{"createLearnerProfile": {"profile": null, "userErrors": [{"code": "NOT_FOUND"}]}}"#,
        ),
        reveals: &[("sourcedId", "$psid"), ("strengths", "x")],
        writes: &["learner_profiles"],
    },
    Rule {
        field: "updateLearnerProfile",
        scopes: PROFILES_WRITE,
        doc: "mutation($profile: ID!) { updateLearnerProfile(input: {profileId: $profile, expectedVersion: 1, strengths: [\"changed\"]}) { profile { id strengths } userErrors { code } } }",
        other_school: Denied::Data(
            r#"{"updateLearnerProfile": {"profile": null, "userErrors": [{"code": "NOT_FOUND"}]}}"#,
        ),
        reveals: &[("id", "$profile"), ("strengths", "changed")],
        writes: &["learner_profiles", "profile_revisions"],
    },
    Rule {
        field: "createOAuthClient",
        scopes: ADMIN,
        doc: "mutation { createOAuthClient(input: {name: \"Matrix client\", scopes: [\"roster.read\"]}) { client { name orgs } userErrors { code } } }",
        other_school: DISTRICT_ONLY,
        reveals: &[("name", "Matrix client")],
        writes: &["oauth_clients"],
    },
    Rule {
        field: "rotateOAuthClientSecret",
        scopes: ADMIN,
        doc: "mutation($client: String!) { rotateOAuthClientSecret(clientId: $client) { client { clientId } userErrors { code } } }",
        other_school: DISTRICT_ONLY,
        reveals: &[("clientId", "$client")],
        writes: &["oauth_clients"],
    },
    Rule {
        field: "setOAuthClientEnabled",
        scopes: ADMIN,
        doc: "mutation($client: String!) { setOAuthClientEnabled(clientId: $client, enabled: false) { client { clientId enabled } userErrors { code } } }",
        other_school: DISTRICT_ONLY,
        reveals: &[("clientId", "$client"), ("enabled", "false")],
        writes: &["oauth_clients"],
    },
    Rule {
        field: "setOAuthClientOrgs",
        scopes: ADMIN,
        doc: "mutation($client: String!) { setOAuthClientOrgs(clientId: $client, orgs: [\"sc-school-001\"]) { client { clientId orgs } userErrors { code } } }",
        other_school: DISTRICT_ONLY,
        reveals: &[("clientId", "$client"), ("orgs", "sc-school-001")],
        writes: &["oauth_clients"],
    },
    Rule {
        field: "dataAgreements",
        scopes: ADMIN,
        doc: "{ dataAgreements { agreementId vendor } }",
        other_school: DISTRICT_ONLY,
        reveals: &[("agreementId", "$agreement")],
        ..RULE
    },
    Rule {
        field: "createDataAgreement",
        scopes: ADMIN,
        doc: "mutation { createDataAgreement(input: {vendor: \"Matrix vendor\", purpose: \"matrix\", startsOn: \"2026-01-01\", endsOn: \"2099-12-31\", signedBy: \"Matrix officer\", signedOn: \"2026-01-01\", elements: \"Learner { givenName }\"}) { agreement { vendor } userErrors { code } } }",
        other_school: DISTRICT_ONLY,
        reveals: &[("vendor", "Matrix vendor")],
        writes: &["data_agreements"],
    },
    Rule {
        field: "setOAuthClientAgreement",
        scopes: ADMIN,
        doc: "mutation($vendor: String!, $agreement: String) { setOAuthClientAgreement(clientId: $vendor, agreementId: $agreement) { client { clientId agreementId } userErrors { code } } }",
        other_school: DISTRICT_ONLY,
        reveals: &[("clientId", "$vendor"), ("agreementId", "$agreement")],
        writes: &["oauth_clients"],
    },
    Rule {
        field: "revokeDataAgreement",
        scopes: ADMIN,
        doc: "mutation($agreement: String!) { revokeDataAgreement(agreementId: $agreement, reason: \"matrix\") { agreement { agreementId status } userErrors { code } } }",
        other_school: DISTRICT_ONLY,
        reveals: &[("agreementId", "$agreement"), ("status", "REVOKED")],
        writes: &["data_agreements"],
    },
    Rule {
        field: "setLearnerDataUse",
        scopes: ADMIN,
        doc: "mutation($sid: String!) { setLearnerDataUse(input: {learnerSourcedId: $sid, directoryOptOut: true}) { dataUse { directoryOptOut } userErrors { code } } }",
        other_school: DISTRICT_ONLY,
        reveals: &[("directoryOptOut", "true")],
        writes: &["data_use_restrictions"],
    },
    Rule {
        field: "purgeLearner",
        scopes: ADMIN,
        doc: "mutation($doomed: String!) { purgeLearner(learnerSourcedId: $doomed, reason: \"matrix\") { tombstones removed { table count } userErrors { code } } }",
        other_school: DISTRICT_ONLY,
        reveals: &[("table", "users")],
        writes: &["users", "learner_purges"],
    },
    Rule {
        field: "redesignPillars",
        scopes: REDESIGN_READ,
        doc: "{ redesignPillars(includeArchived: true) { name position } }",
        // The district's pillars: shared with every school of the district.
        other_school: Denied::Data(
            r#"{"redesignPillars": [{"name": "Learner profiles", "position": 1}, {"name": "Personal learning paths", "position": 2}, {"name": "Competency-based progression", "position": 3}, {"name": "Flexible learning environments", "position": 4}, {"name": "Student agency", "position": 5}]}"#,
        ),
        reveals: &[("name", "Learner profiles")],
        ..RULE
    },
    Rule {
        field: "redesignCohorts",
        scopes: REDESIGN_READ,
        doc: "{ redesignCohorts { id year targetSize } }",
        other_school: Denied::Data(r#"{"redesignCohorts": [{"id": "$cohort", "year": "$year", "targetSize": 6}]}"#),
        reveals: &[("id", "$cohort")],
        ..RULE
    },
    Rule {
        field: "redesignPlans",
        scopes: REDESIGN_READ,
        doc: "{ redesignPlans(first: 10) { edges { node { schoolSourcedId mission goals { title } } } } }",
        other_school: Denied::Data(r#"{"redesignPlans": {"edges": []}}"#),
        reveals: &[("mission", "$mission"), ("title", "One")],
        ..RULE
    },
    Rule {
        field: "redesignPlan",
        scopes: REDESIGN_READ,
        doc: "{ redesignPlan(schoolSourcedId: \"sc-school-001\") { schoolSourcedId mission stage } }",
        other_school: Denied::Data(r#"{"redesignPlan": null}"#),
        reveals: &[("mission", "$mission"), ("stage", "ACCEPTED")],
        ..RULE
    },
    Rule {
        field: "redesignFunding",
        scopes: REDESIGN_READ,
        doc: "{ redesignFunding(schoolSourcedId: \"sc-school-001\") { committed disbursed byFiscalYear { fiscalYear committed } } }",
        // Zero totals, where `redesignPlan` answers null for the same school.
        other_school: Denied::Data(
            r#"{"redesignFunding": {"committed": "0.00", "disbursed": "0.00", "byFiscalYear": []}}"#,
        ),
        reveals: &[("committed", "20000.00"), ("fiscalYear", "$year")],
        ..RULE
    },
    Rule {
        field: "redesignDashboard",
        scopes: REDESIGN_READ,
        doc: "{ redesignDashboard(asOf: \"2100-01-01\") { stageCounts { cohortYear stage schools } overdueMilestones { title goal { plan { schoolSourcedId mission } } } offTrackIndicators { name goal { plan { schoolSourcedId } } } transition { startedSchools schools } } }",
        other_school: Denied::Data(
            r#"{"redesignDashboard": {"stageCounts": [], "overdueMilestones": [], "offTrackIndicators": [], "transition": {"startedSchools": 0, "schools": 1}}}"#,
        ),
        reveals: &[("mission", "$mission"), ("title", "Plan written"), ("name", "Reading"), ("stage", "ACCEPTED")],
        ..RULE
    },
    Rule {
        field: "createRedesignPillar",
        scopes: REDESIGN_WRITE,
        doc: "mutation { createRedesignPillar(input: {name: \"Matrix pillar\"}) { pillar { name } userErrors { code } } }",
        other_school: DISTRICT_ONLY,
        reveals: &[("name", "Matrix pillar")],
        writes: &["redesign_pillars"],
    },
    Rule {
        field: "updateRedesignPillar",
        scopes: REDESIGN_WRITE,
        doc: "mutation($pillar: ID!) { updateRedesignPillar(input: {pillarId: $pillar, description: \"changed\"}) { pillar { id description } userErrors { code } } }",
        other_school: DISTRICT_ONLY,
        reveals: &[("id", "$pillar"), ("description", "changed")],
        writes: &["redesign_pillars"],
    },
    Rule {
        field: "createRedesignCohort",
        scopes: REDESIGN_WRITE,
        doc: "mutation { createRedesignCohort(input: {year: 2099, targetSize: 6, applicationOpensOn: \"2098-09-01\", applicationClosesOn: \"2099-01-31\"}) { cohort { year } userErrors { code } } }",
        other_school: DISTRICT_ONLY,
        // A year no fixture's cohort (the current year's) will ever be.
        reveals: &[("year", "2099")],
        writes: &["redesign_cohorts"],
    },
    Rule {
        field: "updateRedesignCohort",
        scopes: REDESIGN_WRITE,
        doc: "mutation($cohort: ID!) { updateRedesignCohort(input: {cohortId: $cohort, targetSize: 9}) { cohort { id targetSize } userErrors { code } } }",
        other_school: DISTRICT_ONLY,
        reveals: &[("id", "$cohort"), ("targetSize", "9")],
        writes: &["redesign_cohorts"],
    },
    Rule {
        field: "applyForRedesign",
        scopes: REDESIGN_WRITE,
        doc: "mutation($year: Int!) { applyForRedesign(input: {schoolSourcedId: \"sc-school-003\", cohortYear: $year, application: \"We want in.\"}) { plan { schoolSourcedId stage } userErrors { code } } }",
        other_school: Denied::Data(r#"{"applyForRedesign": {"plan": null, "userErrors": [{"code": "NOT_FOUND"}]}}"#),
        reveals: &[("schoolSourcedId", "sc-school-003"), ("stage", "APPLIED")],
        writes: &["redesign_plans"],
    },
    Rule {
        field: "moveRedesignPlan",
        scopes: REDESIGN_WRITE,
        doc: "mutation($plan: ID!) { moveRedesignPlan(input: {planId: $plan, to: PLANNING}) { plan { schoolSourcedId mission stage } userErrors { code } } }",
        // The plan is looked up first: another school's plan is not found (a school-limited
        // caller that sees the plan gets FORBIDDEN; see the district test).
        other_school: Denied::Data(r#"{"moveRedesignPlan": {"plan": null, "userErrors": [{"code": "NOT_FOUND"}]}}"#),
        reveals: &[("mission", "$mission"), ("stage", "PLANNING")],
        writes: &["redesign_plans", "redesign_stage_changes"],
    },
    Rule {
        field: "updateRedesignPlan",
        scopes: REDESIGN_WRITE,
        doc: "mutation($plan: ID!) { updateRedesignPlan(input: {planId: $plan, vision: \"changed\"}) { plan { schoolSourcedId mission vision } userErrors { code } } }",
        other_school: Denied::Data(r#"{"updateRedesignPlan": {"plan": null, "userErrors": [{"code": "NOT_FOUND"}]}}"#),
        reveals: &[("mission", "$mission"), ("vision", "changed")],
        writes: &["redesign_plans"],
    },
    Rule {
        field: "createRedesignGoal",
        scopes: REDESIGN_WRITE,
        doc: "mutation($plan: ID!, $pillar: ID!) { createRedesignGoal(input: {planId: $plan, title: \"More\", pillarIds: [$pillar]}) { goal { title plan { mission } } userErrors { code } } }",
        other_school: Denied::Data(r#"{"createRedesignGoal": {"goal": null, "userErrors": [{"code": "NOT_FOUND"}]}}"#),
        reveals: &[("mission", "$mission"), ("title", "More")],
        writes: &["redesign_goals", "redesign_goal_pillars"],
    },
    Rule {
        field: "updateRedesignGoal",
        scopes: REDESIGN_WRITE,
        doc: "mutation($goal: ID!) { updateRedesignGoal(input: {goalId: $goal, owner: \"Someone\"}) { goal { id owner plan { mission } } userErrors { code } } }",
        other_school: Denied::Data(r#"{"updateRedesignGoal": {"goal": null, "userErrors": [{"code": "NOT_FOUND"}]}}"#),
        reveals: &[("id", "$goal"), ("owner", "Someone")],
        writes: &["redesign_goals"],
    },
    Rule {
        field: "deleteRedesignGoal",
        scopes: REDESIGN_WRITE,
        doc: "mutation($goal2: ID!) { deleteRedesignGoal(goalId: $goal2) { deletedId userErrors { code } } }",
        other_school: Denied::Data(
            r#"{"deleteRedesignGoal": {"deletedId": null, "userErrors": [{"code": "NOT_FOUND"}]}}"#,
        ),
        reveals: &[("deletedId", "$goal2")],
        writes: &["redesign_goals"],
    },
    Rule {
        field: "addRedesignIndicator",
        scopes: REDESIGN_WRITE,
        doc: "mutation($goal: ID!) { addRedesignIndicator(input: {goalId: $goal, name: \"Attendance\", baseline: 90, baselineOn: \"2026-01-01\", target: 95, targetOn: \"2027-01-01\"}) { indicator { name goal { plan { mission } } } userErrors { code } } }",
        other_school: Denied::Data(
            r#"{"addRedesignIndicator": {"indicator": null, "userErrors": [{"code": "NOT_FOUND"}]}}"#,
        ),
        reveals: &[("mission", "$mission"), ("name", "Attendance")],
        writes: &["redesign_indicators"],
    },
    Rule {
        field: "recordIndicatorMeasurement",
        scopes: REDESIGN_WRITE,
        doc: "mutation($indicator: ID!) { recordIndicatorMeasurement(input: {indicatorId: $indicator, measuredOn: \"2026-06-01\", value: 50}) { indicator { id goal { plan { mission } } } userErrors { code } } }",
        other_school: Denied::Data(
            r#"{"recordIndicatorMeasurement": {"indicator": null, "userErrors": [{"code": "NOT_FOUND"}]}}"#,
        ),
        reveals: &[("id", "$indicator"), ("mission", "$mission")],
        writes: &["redesign_measurements"],
    },
    Rule {
        field: "addRedesignMilestone",
        scopes: REDESIGN_WRITE,
        doc: "mutation($goal: ID!) { addRedesignMilestone(input: {goalId: $goal, title: \"Kickoff\", dueOn: \"2026-09-01\"}) { milestone { title goal { plan { mission } } } userErrors { code } } }",
        other_school: Denied::Data(
            r#"{"addRedesignMilestone": {"milestone": null, "userErrors": [{"code": "NOT_FOUND"}]}}"#,
        ),
        reveals: &[("mission", "$mission"), ("title", "Kickoff")],
        writes: &["redesign_milestones"],
    },
    Rule {
        field: "updateRedesignMilestone",
        scopes: REDESIGN_WRITE,
        doc: "mutation($milestone: ID!) { updateRedesignMilestone(input: {milestoneId: $milestone, completedOn: \"2026-08-01\"}) { milestone { id completedOn goal { plan { mission } } } userErrors { code } } }",
        other_school: Denied::Data(
            r#"{"updateRedesignMilestone": {"milestone": null, "userErrors": [{"code": "NOT_FOUND"}]}}"#,
        ),
        reveals: &[("id", "$milestone"), ("completedOn", "2026-08-01")],
        writes: &["redesign_milestones"],
    },
    Rule {
        field: "setRedesignFunding",
        scopes: REDESIGN_WRITE,
        doc: "mutation($plan: ID!) { setRedesignFunding(input: {planId: $plan, spanYears: 4}) { plan { mission funding { spanYears } } userErrors { code } } }",
        other_school: Denied::Data(r#"{"setRedesignFunding": {"plan": null, "userErrors": [{"code": "NOT_FOUND"}]}}"#),
        reveals: &[("mission", "$mission"), ("spanYears", "4")],
        writes: &["redesign_plans"],
    },
    Rule {
        field: "awardRedesignGrant",
        scopes: REDESIGN_WRITE,
        doc: "mutation($plan: ID!, $year: Int!) { awardRedesignGrant(input: {planId: $plan, kind: IMPLEMENTATION, fiscalYear: $year, amount: \"1000.00\"}) { grant { amount plan { mission } } userErrors { code } } }",
        other_school: Denied::Data(r#"{"awardRedesignGrant": {"grant": null, "userErrors": [{"code": "NOT_FOUND"}]}}"#),
        reveals: &[("mission", "$mission"), ("amount", "1000.00")],
        writes: &["redesign_grants"],
    },
    Rule {
        field: "recordGrantDisbursement",
        scopes: REDESIGN_WRITE,
        doc: "mutation($grant: ID!, $year: Int!) { recordGrantDisbursement(input: {grantId: $grant, fiscalYear: $year, amount: \"10.00\", disbursedOn: \"2026-10-01\"}) { grant { disbursed plan { mission } } userErrors { code } } }",
        other_school: Denied::Data(
            r#"{"recordGrantDisbursement": {"grant": null, "userErrors": [{"code": "NOT_FOUND"}]}}"#,
        ),
        reveals: &[("mission", "$mission"), ("disbursed", "10.00")],
        writes: &["redesign_disbursements"],
    },
    Rule {
        field: "competencyFrameworks",
        scopes: COMPETENCIES_READ,
        doc: "{ competencyFrameworks { totalCount edges { node { title competencies(first: 5) { edges { node { code parent { code } } } } } } } }",
        // The district's frameworks: shared with every school of the district.
        other_school: Denied::Data(
            r#"{"competencyFrameworks": {"totalCount": 1, "edges": [{"node": {"title": "Grade 6 Mathematics", "competencies": {"edges": [{"node": {"code": "MATH.6.RP", "parent": null}}, {"node": {"code": "MATH.6.RP.1", "parent": {"code": "MATH.6.RP"}}}, {"node": {"code": "MATH.6.RP.2", "parent": {"code": "MATH.6.RP"}}}]}}}]}}"#,
        ),
        reveals: &[("totalCount", "1"), ("title", "Grade 6 Mathematics"), ("code", "MATH.6.RP.1")],
        ..RULE
    },
    Rule {
        field: "competency",
        scopes: COMPETENCIES_READ,
        doc: "query($comp: String!) { competency(sourcedId: $comp) { code statement } }",
        other_school: Denied::Data(
            r#"{"competency": {"code": "MATH.6.RP.1", "statement": "Understand the concept of a ratio"}}"#,
        ),
        reveals: &[("code", "MATH.6.RP.1"), ("statement", "Understand the concept of a ratio")],
        ..RULE
    },
    Rule {
        field: "playlists",
        scopes: PLAYLISTS_READ,
        doc: "{ playlists(first: 50) { edges { node { title learner { sourcedId } items { title competencies { code } } } } } }",
        other_school: Denied::Data(r#"{"playlists": {"edges": []}}"#),
        reveals: &[("sourcedId", "$psid"), ("title", "Ratios"), ("code", "MATH.6.RP.1")],
        ..RULE
    },
    Rule {
        field: "playlistItems",
        scopes: PLAYLISTS_READ,
        doc: "{ playlistItems(first: 50) { edges { node { title playlist { learner { sourcedId } } } } } }",
        other_school: Denied::Data(r#"{"playlistItems": {"edges": []}}"#),
        reveals: &[("sourcedId", "$psid"), ("title", "One")],
        ..RULE
    },
    Rule {
        field: "classPlaylistProgress",
        scopes: PLAYLISTS_READ,
        doc: "query($class: ID!) { classPlaylistProgress(classId: $class, first: 100) { edges { node { learner { sourcedId } itemsDone itemsTotal } } } }",
        // An error, where `class` answers null for the same class.
        other_school: NOT_FOUND,
        reveals: &[("sourcedId", "$sid")],
        ..RULE
    },
    Rule {
        field: "results",
        scopes: PROGRESS_READ,
        doc: "{ results(first: 50) { edges { node { sourcedId learner { sourcedId } } } } }",
        other_school: Denied::Data(r#"{"results": {"edges": []}}"#),
        reveals: &[("sourcedId", "fixture-1"), ("sourcedId", "$psid")],
        ..RULE
    },
    // The feed's position reveals nothing of any school.
    Rule {
        field: "syncCursor",
        doc: "{ syncCursor }",
        other_school: Denied::Data(r#"{"syncCursor": "$head"}"#),
        reveals: &[("syncCursor", "$head")],
        ..RULE
    },
    // The feed needs no scope itself: each kind of record in it needs the scope that reads it
    // (see `the_changes_feed_shows_each_kind_only_with_its_scope`).
    Rule {
        field: "changes",
        doc: "{ changes(first: 500) { cursor changes { entityType node { ... on Learner { sourcedId } ... on Playlist { learner { sourcedId } } ... on PlaylistItem { playlist { learner { sourcedId } } } ... on Result { learner { sourcedId } } } } } }",
        other_school: Denied::Data(r#"{"changes": {"cursor": "$head", "changes": []}}"#),
        reveals: &[("sourcedId", "$psid"), ("entityType", "RESULT"), ("entityType", "PLAYLIST")],
        ..RULE
    },
    Rule {
        field: "importCaseFramework",
        scopes: PROGRESS_WRITE,
        doc: "mutation($pkg2: String!) { importCaseFramework(input: {package: $pkg2}) { framework { title } created userErrors { code } } }",
        other_school: DISTRICT_ONLY,
        reveals: &[("title", "Matrix framework"), ("created", "1")],
        writes: &["competency_frameworks", "competencies"],
    },
    Rule {
        field: "setMasteryCalculation",
        scopes: PROGRESS_WRITE,
        doc: "mutation($fw: ID!) { setMasteryCalculation(input: {frameworkId: $fw, calculation: HIGHEST}) { framework { title masteryCalculation { calculation } } userErrors { code } } }",
        other_school: DISTRICT_ONLY,
        reveals: &[("title", "Grade 6 Mathematics"), ("calculation", "HIGHEST")],
        writes: &["competency_frameworks"],
    },
    Rule {
        field: "reorderPlaylistItems",
        scopes: PLAYLISTS_WRITE,
        doc: "mutation($pl: ID!, $item: ID!, $item2: ID!, $item3: ID!) { reorderPlaylistItems(input: {playlistId: $pl, itemIds: [$item3, $item2, $item]}) { items { id playlist { learner { sourcedId } } } userErrors { code } } }",
        other_school: Denied::Data(r#"{"reorderPlaylistItems": {"items": [], "userErrors": [{"code": "NOT_FOUND"}]}}"#),
        reveals: &[("sourcedId", "$psid"), ("id", "$item3")],
        writes: &["playlist_items"],
    },
    Rule {
        field: "setPlaylistItemState",
        scopes: PLAYLISTS_WRITE,
        doc: "mutation($item: ID!) { setPlaylistItemState(input: {itemId: $item, state: IN_PROGRESS}) { item { state playlist { learner { sourcedId } } } userErrors { code } } }",
        other_school: Denied::Data(
            r#"{"setPlaylistItemState": {"item": null, "userErrors": [{"code": "NOT_FOUND"}]}}"#,
        ),
        reveals: &[("sourcedId", "$psid"), ("state", "IN_PROGRESS")],
        writes: &["playlist_items", "playlist_item_transitions"],
    },
    Rule {
        field: "removePlaylistItem",
        scopes: PLAYLISTS_WRITE,
        doc: "mutation($item3: ID!) { removePlaylistItem(input: {itemId: $item3}) { deletedId userErrors { code } } }",
        other_school: Denied::Data(
            r#"{"removePlaylistItem": {"deletedId": null, "userErrors": [{"code": "NOT_FOUND"}]}}"#,
        ),
        reveals: &[("deletedId", "$item3")],
        writes: &["playlist_items"],
    },
    Rule {
        field: "addPlaylistItems",
        scopes: PLAYLISTS_WRITE,
        doc: "mutation($pl: ID!) { addPlaylistItems(input: {playlistId: $pl, items: [{title: \"B\", evidence: PROJECT}]}) { items { title playlist { learner { sourcedId } } } userErrors { code } } }",
        other_school: Denied::Data(r#"{"addPlaylistItems": {"items": [], "userErrors": [{"code": "NOT_FOUND"}]}}"#),
        reveals: &[("sourcedId", "$psid"), ("title", "B")],
        writes: &["playlist_items"],
    },
    Rule {
        field: "updatePlaylistItem",
        scopes: PLAYLISTS_WRITE,
        doc: "mutation($item: ID!) { updatePlaylistItem(input: {itemId: $item, title: \"Edited\"}) { item { title playlist { learner { sourcedId } } } userErrors { code } } }",
        other_school: Denied::Data(r#"{"updatePlaylistItem": {"item": null, "userErrors": [{"code": "NOT_FOUND"}]}}"#),
        reveals: &[("sourcedId", "$psid"), ("title", "Edited")],
        writes: &["playlist_items"],
    },
    Rule {
        field: "updatePlaylist",
        scopes: PLAYLISTS_WRITE,
        doc: "mutation($pl: ID!) { updatePlaylist(input: {playlistId: $pl, title: \"Renamed\"}) { playlist { title learner { sourcedId } } userErrors { code } } }",
        other_school: Denied::Data(r#"{"updatePlaylist": {"playlist": null, "userErrors": [{"code": "NOT_FOUND"}]}}"#),
        reveals: &[("sourcedId", "$psid"), ("title", "Renamed")],
        writes: &["playlists"],
    },
    Rule {
        field: "createPlaylist",
        scopes: PLAYLISTS_WRITE,
        doc: "mutation($psid: String!, $comp: String!) { createPlaylist(input: {learnerSourcedId: $psid, subject: \"Math\", title: \"Extra\", items: [{title: \"A\", evidence: TEST, competencyIds: [$comp]}]}) { playlist { title learner { sourcedId } } userErrors { code } } }",
        other_school: Denied::Data(r#"{"createPlaylist": {"playlist": null, "userErrors": [{"code": "NOT_FOUND"}]}}"#),
        reveals: &[("sourcedId", "$psid"), ("title", "Extra")],
        writes: &["playlists", "playlist_items", "playlist_item_competencies"],
    },
    Rule {
        field: "assignPlaylistTemplate",
        scopes: PLAYLISTS_WRITE,
        doc: "mutation($template: ID!) { assignPlaylistTemplate(input: {templateId: $template, classSourcedId: \"sc-c-001-06-math-s1\"}) { playlists { learner { sourcedId } } alreadyAssigned userErrors { code } } }",
        other_school: Denied::Data(
            r#"{"assignPlaylistTemplate": {"playlists": [], "alreadyAssigned": 0, "userErrors": [{"code": "NOT_FOUND"}]}}"#,
        ),
        reveals: &[("sourcedId", "$sid")],
        writes: &["playlists", "playlist_items"],
    },
    Rule {
        field: "postResults",
        scopes: PROGRESS_WRITE,
        doc: "mutation($psid: String!, $comp: String!) { postResults(input: {results: [{sourcedId: \"matrix-1\", learnerSourcedId: $psid, competencyId: $comp, score: 8, scoreMax: 10, evidenceType: TEST, occurredAt: \"2026-01-05T10:00:00Z\"}]}) { results { outcome result { learner { sourcedId } } } userErrors { code } } }",
        // The row names a learner the caller can't see: not found, as if there were none.
        other_school: Denied::Data(r#"{"postResults": {"results": [], "userErrors": [{"code": "NOT_FOUND"}]}}"#),
        reveals: &[("sourcedId", "$psid"), ("outcome", "CREATED")],
        writes: &["results", "masteries"],
    },
    Rule {
        field: "overrideResult",
        scopes: PROGRESS_WRITE,
        doc: "mutation($result: ID!) { overrideResult(input: {resultId: $result, score: 9, scoreMax: 10, note: \"seen in class\"}) { result { overridden learner { sourcedId } } userErrors { code } } }",
        other_school: Denied::Data(r#"{"overrideResult": {"result": null, "userErrors": [{"code": "NOT_FOUND"}]}}"#),
        reveals: &[("sourcedId", "$psid"), ("overridden", "true")],
        writes: &["results"],
    },
    Rule {
        field: "deleteResult",
        scopes: PROGRESS_WRITE,
        doc: "mutation($result: ID!) { deleteResult(input: {resultId: $result}) { deletedId userErrors { code } } }",
        other_school: Denied::Data(r#"{"deleteResult": {"deletedId": null, "userErrors": [{"code": "NOT_FOUND"}]}}"#),
        reveals: &[("deletedId", "$result")],
        writes: &["results"],
    },
    Rule {
        field: "winBlocks",
        scopes: WIN_READ,
        doc: "{ winBlocks(schoolSourcedId: \"sc-school-001\") { school { sourcedId } placements { edges { node { learner { sourcedId } } } } } }",
        // An empty list, where `winSummary` refuses the same school as bad input.
        other_school: Denied::Data(r#"{"winBlocks": []}"#),
        reveals: &[("sourcedId", "sc-school-001"), ("sourcedId", "$psid")],
        ..RULE
    },
    Rule {
        field: "winSummary",
        scopes: WIN_READ,
        doc: "{ winSummary(schoolSourcedId: \"sc-school-001\") { blocks placed } }",
        other_school: Denied::Error("NOT_FOUND"),
        reveals: &[("blocks", "2"), ("placed", "3")],
        ..RULE
    },
    Rule {
        field: "createWinBlock",
        scopes: WIN_WRITE,
        doc: "mutation { createWinBlock(input: {schoolSourcedId: \"sc-school-001\", date: \"2031-01-06\"}) { block { date school { sourcedId } } userErrors { code } } }",
        // The school named is not among the caller's.
        other_school: Denied::Data(r#"{"createWinBlock": {"block": null, "userErrors": [{"code": "NOT_FOUND"}]}}"#),
        reveals: &[("sourcedId", "sc-school-001"), ("date", "2031-01-06")],
        writes: &["win_blocks"],
    },
    Rule {
        field: "repeatWinBlock",
        scopes: WIN_WRITE,
        doc: "mutation($wtemplate: ID!) { repeatWinBlock(input: {templateBlockId: $wtemplate, termSourcedId: \"sc-term-2027-spring\"}) { blocks { school { sourcedId } } userErrors { code } } }",
        other_school: Denied::Data(r#"{"repeatWinBlock": {"blocks": [], "userErrors": [{"code": "NOT_FOUND"}]}}"#),
        reveals: &[("sourcedId", "sc-school-001")],
        writes: &["win_blocks"],
    },
    Rule {
        field: "createWinSession",
        scopes: WIN_WRITE,
        doc: "mutation($wblock: ID!) { createWinSession(input: {blockId: $wblock, title: \"Extra\", subject: \"Math\", mode: SMALL_GROUP, capacity: 4}) { session { title block { id school { sourcedId } } } userErrors { code } } }",
        other_school: Denied::Data(r#"{"createWinSession": {"session": null, "userErrors": [{"code": "NOT_FOUND"}]}}"#),
        reveals: &[("title", "Extra"), ("id", "$wblock")],
        writes: &["win_sessions"],
    },
    Rule {
        field: "submitWinChoices",
        scopes: WIN_WRITE,
        doc: "mutation($wblock: ID!, $psid: String!, $wsession: ID!, $wlab: ID!) { submitWinChoices(input: {blockId: $wblock, learnerSourcedId: $psid, sessionIds: [$wlab, $wsession]}) { preferences { rank session { id } learner { sourcedId } } userErrors { code } } }",
        other_school: Denied::Data(
            r#"{"submitWinChoices": {"preferences": [], "userErrors": [{"code": "NOT_FOUND"}]}}"#,
        ),
        reveals: &[("sourcedId", "$psid"), ("id", "$wlab")],
        writes: &["win_choices"],
    },
    Rule {
        field: "reviewWinChoice",
        scopes: WIN_WRITE,
        doc: "mutation($wblock: ID!, $psid: String!, $wsession: ID!) { reviewWinChoice(input: {blockId: $wblock, learnerSourcedId: $psid, decision: REQUIRED, sessionId: $wsession}) { review { decision learner { sourcedId } } userErrors { code } } }",
        other_school: Denied::Data(r#"{"reviewWinChoice": {"review": null, "userErrors": [{"code": "NOT_FOUND"}]}}"#),
        reveals: &[("sourcedId", "$psid"), ("decision", "REQUIRED")],
        writes: &["win_reviews"],
    },
    Rule {
        field: "runWinPlacement",
        scopes: WIN_WRITE,
        doc: "mutation($wblock: ID!) { runWinPlacement(input: {blockId: $wblock}) { placed block { id school { sourcedId } } userErrors { code } } }",
        other_school: Denied::Data(
            r#"{"runWinPlacement": {"placed": 0, "block": null, "userErrors": [{"code": "NOT_FOUND"}]}}"#,
        ),
        reveals: &[("id", "$wblock")],
        writes: &["win_assignments"],
    },
    Rule {
        field: "adjustWinPlacement",
        scopes: WIN_WRITE,
        doc: "mutation($wblock: ID!, $psid: String!, $wlab: ID!) { adjustWinPlacement(input: {blockId: $wblock, learnerSourcedId: $psid, sessionId: $wlab}) { placement { session { id } learner { sourcedId } } userErrors { code } } }",
        other_school: Denied::Data(
            r#"{"adjustWinPlacement": {"placement": null, "userErrors": [{"code": "NOT_FOUND"}]}}"#,
        ),
        reveals: &[("sourcedId", "$psid"), ("id", "$wlab")],
        writes: &["win_assignments"],
    },
    Rule {
        field: "recordWinAttendance",
        scopes: WIN_WRITE,
        doc: "mutation($wblock: ID!, $psid: String!) { recordWinAttendance(input: {blockId: $wblock, records: [{learnerSourcedId: $psid, attendance: PRESENT}]}) { placements { attendance learner { sourcedId } } userErrors { code } } }",
        other_school: Denied::Data(
            r#"{"recordWinAttendance": {"placements": [], "userErrors": [{"code": "NOT_FOUND"}]}}"#,
        ),
        reveals: &[("sourcedId", "$psid"), ("attendance", "PRESENT")],
        writes: &["win_assignments"],
    },
    Rule {
        field: "updateWinSession",
        scopes: WIN_WRITE,
        doc: "mutation($wlab: ID!) { updateWinSession(input: {sessionId: $wlab, title: \"Math lab\", capacity: 40}) { session { title capacity } userErrors { code } } }",
        other_school: Denied::Data(r#"{"updateWinSession": {"session": null, "userErrors": [{"code": "NOT_FOUND"}]}}"#),
        reveals: &[("title", "Math lab"), ("capacity", "40")],
        writes: &["win_sessions"],
    },
    Rule {
        field: "clearWinReview",
        scopes: WIN_WRITE,
        doc: "mutation($wblock: ID!, $psid: String!) { clearWinReview(input: {blockId: $wblock, learnerSourcedId: $psid}) { cleared userErrors { code } } }",
        other_school: Denied::Data(r#"{"clearWinReview": {"cleared": false, "userErrors": [{"code": "NOT_FOUND"}]}}"#),
        reveals: &[("cleared", "true")],
        writes: &["win_reviews"],
    },
    Rule {
        field: "withdrawWinSession",
        scopes: WIN_WRITE,
        doc: "mutation($wsession: ID!) { withdrawWinSession(input: {sessionId: $wsession}) { withdrawnSessionId choicesRemoved userErrors { code } } }",
        other_school: Denied::Data(
            r#"{"withdrawWinSession": {"withdrawnSessionId": null, "choicesRemoved": 0, "userErrors": [{"code": "NOT_FOUND"}]}}"#,
        ),
        reveals: &[("withdrawnSessionId", "$wsession"), ("choicesRemoved", "1")],
        writes: &["win_sessions", "win_choices"],
    },
    Rule {
        field: "updateWinBlock",
        scopes: WIN_WRITE,
        doc: "mutation($wtemplate: ID!) { updateWinBlock(input: {blockId: $wtemplate, maxChoices: 4}) { block { maxChoices school { sourcedId } } userErrors { code } } }",
        other_school: Denied::Data(r#"{"updateWinBlock": {"block": null, "userErrors": [{"code": "NOT_FOUND"}]}}"#),
        reveals: &[("maxChoices", "4"), ("sourcedId", "sc-school-001")],
        writes: &["win_blocks"],
    },
    Rule {
        field: "deleteWinBlock",
        scopes: WIN_WRITE,
        doc: "mutation($wtemplate: ID!) { deleteWinBlock(input: {blockId: $wtemplate}) { deletedBlockId userErrors { code } } }",
        other_school: Denied::Data(
            r#"{"deleteWinBlock": {"deletedBlockId": null, "userErrors": [{"code": "NOT_FOUND"}]}}"#,
        ),
        reveals: &[("deletedBlockId", "$wtemplate")],
        writes: &["win_blocks"],
    },
    Rule {
        field: "deletePlaylist",
        scopes: PLAYLISTS_WRITE,
        doc: "mutation($pl: ID!) { deletePlaylist(input: {playlistId: $pl}) { deletedId userErrors { code } } }",
        other_school: Denied::Data(r#"{"deletePlaylist": {"deletedId": null, "userErrors": [{"code": "NOT_FOUND"}]}}"#),
        reveals: &[("deletedId", "$pl")],
        writes: &["playlists"],
    },
];

/// A second framework, new to the district, for `importCaseFramework`'s control run to create.
const MATRIX_PACKAGE: &str = r#"{
  "CFDocument": {"identifier": "fw-matrix", "title": "Matrix framework", "subject": ["Mathematics"], "publisher": "Riverbend", "version": "1.0"},
  "CFItems": [
    {"identifier": "m-1", "fullStatement": "Reason about matrices", "humanCodingScheme": "MATRIX.1", "CFItemType": "Standard", "educationLevel": ["06"]}
  ],
  "CFAssociations": [
    {"associationType": "isChildOf", "originNodeURI": {"identifier": "m-1"}, "destinationNodeURI": {"identifier": "fw-matrix"}, "sequenceNumber": 1}
  ]
}"#;

/// The school a caller "limited to another school" is limited to: a school of the district with
/// no records of its own, so that everything it gets to see is stated exactly.
const OTHER_SCHOOL: &str = "sc-school-other";

async fn add_empty_school(app: &TestApp) {
    app.db
        .execute_unprepared(&format!(
            "INSERT INTO orgs (sourced_id, status, date_last_modified, org_type, name, parent_id) \
             SELECT '{OTHER_SCHOOL}', 'active', date_last_modified, 'school', 'Another school', id FROM orgs \
             WHERE sourced_id = 'sc-district'"
        ))
        .await
        .unwrap();
}

/// The district with school 001's records every rule works on; returns a full-access token
/// and the fixture variables (`$learner`, `$sid`, `$psid`, `$plan`, ...).
/// One roster import on record (the district's nightly load), for `rosterImports`.
async fn import_on_record(app: &TestApp) {
    learnergraph::roster::oneroster::history::start(
        &app.db,
        &learnergraph::roster::oneroster::Options { ran_by: "cli:matrix".into(), ..Default::default() },
        "/exports/matrix.zip",
        chrono::Utc::now(),
    )
    .await
    .unwrap();
}

pub(crate) async fn matrix_fixtures(app: &TestApp) -> (String, Value) {
    app.seed(3, 3).await;
    add_empty_school(app).await;
    let admin = app.token(&ALL_SCOPES.join(" "), &[]).await;
    let redesign = redesign_fixtures(app, &admin).await;
    let d = data(
        app.gql(
            &admin,
            "{ school(sourcedId: \"sc-school-001\") { learners(first: 3) { edges { node { id sourcedId enrollments(first: 1) { edges { node { sourcedId } } } profile { id } } } } } }",
            json!({}),
        )
        .await,
    );
    let learners = &d["school"]["learners"]["edges"];
    let (learner, fresh, victim) = (&learners[0]["node"], &learners[1]["node"], &learners[2]["node"]);
    // `fresh` has no profile yet, so createLearnerProfile's control run can succeed.
    let fresh_sid = fresh["sourcedId"].as_str().unwrap().to_owned();
    app.db
        .execute_unprepared(&format!(
            "DELETE FROM learner_profiles WHERE user_id = (SELECT id FROM users WHERE sourced_id = '{fresh_sid}')"
        ))
        .await
        .unwrap();
    let (client_id, _) = app.client("roster.read", &[]).await;
    let (vendor_id, agreement) = agreement_fixture(app).await;
    let mut vars = json!({
        "learner": learner["id"],
        "sid": learner["sourcedId"],
        "enr": learner["enrollments"]["edges"][0]["node"]["sourcedId"],
        "profile": learner["profile"]["id"],
        "fresh": fresh["id"],
        "psid": fresh_sid,
        // deleteRosterRecord's control run deletes this one, so the others stay for the rules after it.
        "victim": victim["id"],
        "client": client_id,
        "vendor": vendor_id,
        "agreement": agreement,
        "doomed": doomed_fixture(app, &admin).await,
        "mission": SECRET_MISSION,
        "pkg2": MATRIX_PACKAGE,
    });
    for (k, v) in redesign.as_object().unwrap() {
        vars[k] = v.clone();
    }
    for (k, v) in progress_fixtures(app, &admin, &fresh_sid).await.as_object().unwrap() {
        vars[k] = v.clone();
    }
    for (k, v) in win_fixtures(app, &admin, &fresh_sid).await.as_object().unwrap() {
        vars[k] = v.clone();
    }
    import_on_record(app).await;
    assert!(vars.as_object().unwrap().values().all(|v| !v.is_null()), "matrix fixtures: {vars}");
    (admin, vars)
}

/// A vendor's client and a data-sharing agreement for the agreement rules to bind and revoke.
async fn agreement_fixture(app: &TestApp) -> (String, String) {
    let (vendor_id, _) = app.client("roster.read", &[]).await;
    let agreement = learnergraph::privacy::agreements::create(
        &app.db,
        &learnergraph::auth::Principal::system(),
        learnergraph::privacy::agreements::NewAgreement {
            vendor: "Fixture vendor".into(),
            purpose: "matrix".into(),
            schools: vec![],
            starts_on: chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            ends_on: chrono::NaiveDate::from_ymd_opt(2099, 12, 31).unwrap(),
            signed_by: "Fixture officer".into(),
            signed_on: chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            elements: "Learner".into(),
            school_official: false,
        },
    )
    .await
    .expect("agreement")
    .agreement_id;
    (vendor_id, agreement)
}

/// A student of another school, for `purgeLearner`'s control run to delete last.
async fn doomed_fixture(app: &TestApp, token: &str) -> Value {
    let d = data(
        app.gql(
            token,
            "{ school(sourcedId: \"sc-school-002\") { learners(first: 1) { edges { node { sourcedId } } } } }",
            json!({}),
        )
        .await,
    );
    d["school"]["learners"]["edges"][0]["node"]["sourcedId"].clone()
}

/// The feed's current position, as `syncCursor` encodes it, read from the database.
async fn head_cursor(app: &TestApp) -> String {
    let row = app
        .db
        .query_one_raw(Statement::from_string(app.db.get_database_backend(), "SELECT seq FROM sync_clock WHERE id = 1"))
        .await
        .unwrap()
        .unwrap();
    URL_SAFE_NO_PAD.encode(format!("s:{}", row.try_get_by_index::<i64>(0).unwrap()))
}

/// `text` with every `"$name"` replaced by the fixture variable `name`, parsed.
fn expand(text: &str, vars: &Value) -> Value {
    let mut s = text.to_owned();
    for (k, v) in vars.as_object().unwrap() {
        s = s.replace(&format!("\"${k}\""), &v.to_string());
    }
    serde_json::from_str(&s).unwrap_or_else(|e| panic!("not JSON after expansion ({e}): {s}"))
}

/// Whether `body` holds `want` under `key` somewhere: as the value there, or in the list there.
/// `want` is `$name` for a fixture variable, or the value's text.
fn holds(body: &Value, key: &str, want: &str, vars: &Value) -> bool {
    let matches = |v: &Value| match want.strip_prefix('$') {
        Some(name) => {
            assert!(!vars[name].is_null(), "no fixture variable `{name}`");
            *v == vars[name]
        }
        None => match v {
            Value::String(s) => s == want,
            other => serde_json::from_str::<Value>(want).is_ok_and(|w| w == *other),
        },
    };
    match body {
        Value::Object(m) => m.iter().any(|(k, v)| {
            (k == key && (matches(v) || v.as_array().is_some_and(|a| a.iter().any(matches))))
                || holds(v, key, want, vars)
        }),
        Value::Array(a) => a.iter().any(|v| holds(v, key, want, vars)),
        _ => false,
    }
}

/// Asserts a denied caller got exactly the `expected` answer.
fn assert_denied(body: &Value, expected: Denied, vars: &Value, what: &str) {
    match expected {
        Denied::Error(code) => {
            assert_eq!(body["data"], Value::Null, "{what}: must reveal nothing: {body}");
            let errors = body["errors"].as_array().unwrap_or_else(|| panic!("{what}: no errors: {body}"));
            let codes: Vec<&Value> = errors.iter().map(|e| &e["extensions"]["code"]).collect();
            assert_eq!(codes, [&json!(code)], "{what}: {body}");
        }
        Denied::Data(d) => {
            assert!(body.get("errors").is_none(), "{what}: {body}");
            assert_eq!(body["data"], expand(d, vars), "{what}: {body}");
        }
    }
}

/// Asserts the HTTP layer refused the request as unauthenticated, before running anything.
async fn assert_refused(res: reqwest::Response, what: &str) {
    assert_eq!(res.status(), 401, "{what}");
    assert!(res.headers().get("www-authenticate").is_some_and(|v| v.as_bytes().starts_with(b"Bearer ")), "{what}");
    let body: Value = res.json().await.unwrap();
    assert!(body.get("data").is_none(), "{what}: {body}");
    assert_eq!(body["errors"].as_array().map(Vec::len), Some(1), "{what}: {body}");
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED", "{what}: {body}");
}

/// Asserts a successful answer: no errors, no userErrors, and every value the rule names.
fn assert_reveals(body: &Value, rule: &Rule, vars: &Value, who: &str) {
    assert!(body.get("errors").is_none(), "{} as {who}: {body}", rule.field);
    let payload = &body["data"][rule.field];
    if rule.doc.starts_with("mutation") {
        assert_eq!(payload["userErrors"], json!([]), "{} as {who}: {body}", rule.field);
    }
    assert!(!rule.reveals.is_empty(), "{}: the rule must name what the control run reveals", rule.field);
    for (key, want) in rule.reveals {
        assert!(holds(&body["data"], key, want, vars), "{} as {who} must reveal {key} = {want}: {body}", rule.field);
    }
}

fn rule(field: &str) -> &'static Rule {
    RULES.iter().find(|r| r.field == field).unwrap_or_else(|| panic!("no rule for {field}"))
}

/// Tables a denied request may still change, left out of the fingerprint: the access audit
/// trail, which a background task writes moments after each request (so it may change between
/// two reads whatever the request did). No other table is written on a denial: rate limits and
/// lockouts live in memory or Redis, and a token is only read.
const NOT_FINGERPRINTED: [&str; 2] = ["audit_events", "audit_event_learners"];

/// Every row of every other table, as text, by table.
type Fingerprint = BTreeMap<String, Vec<String>>;

/// One statement reading every row of every fingerprinted table.
struct Fingerprinter {
    tables: Vec<String>,
    sql: String,
}

impl Fingerprinter {
    async fn new(app: &TestApp) -> Self {
        let sql = if backend_is_postgres() {
            "SELECT table_name::text AS t, column_name::text AS c FROM information_schema.columns \
             WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position"
        } else {
            "SELECT m.name AS t, p.name AS c FROM sqlite_master m JOIN pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY m.name, p.cid"
        };
        let rows = app.db.query_all_raw(Statement::from_string(app.db.get_database_backend(), sql)).await.unwrap();
        let mut columns: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for row in rows {
            let (t, c): (String, String) = (row.try_get("", "t").unwrap(), row.try_get("", "c").unwrap());
            if !NOT_FINGERPRINTED.contains(&t.as_str()) {
                columns.entry(t).or_default().push(c);
            }
        }
        for table in ["oauth_clients", "users", "competency_frameworks", "redesign_plans", "sync_clock"] {
            assert!(columns.contains_key(table), "the fingerprint must cover {table}: {columns:?}");
        }
        let sql = columns
            .iter()
            .map(|(t, cols)| {
                let row = cols
                    .iter()
                    .map(|c| format!("COALESCE(CAST(\"{c}\" AS TEXT), '<null>')"))
                    .collect::<Vec<_>>()
                    .join(" || '|' || ");
                format!("SELECT '{t}' AS t, {row} AS r FROM \"{t}\"")
            })
            .collect::<Vec<_>>()
            .join(" UNION ALL ");
        Fingerprinter { tables: columns.into_keys().collect(), sql }
    }

    async fn take(&self, app: &TestApp) -> Fingerprint {
        let mut out: Fingerprint = self.tables.iter().map(|t| (t.clone(), vec![])).collect();
        let rows = app
            .db
            .query_all_raw(Statement::from_string(app.db.get_database_backend(), self.sql.clone()))
            .await
            .unwrap();
        for row in rows {
            let (t, r): (String, String) = (row.try_get("", "t").unwrap(), row.try_get("", "r").unwrap());
            out.get_mut(&t).unwrap().push(r);
        }
        for rows in out.values_mut() {
            rows.sort();
        }
        out
    }
}

/// Tables whose rows differ.
fn changed(before: &Fingerprint, after: &Fingerprint) -> Vec<String> {
    before.keys().filter(|t| before[*t] != after[*t]).cloned().collect()
}

/// Asserts nothing was written between two fingerprints, naming the rows that changed.
fn assert_unchanged(before: &Fingerprint, after: &Fingerprint, what: &str) {
    let tables = changed(before, after);
    if let Some(t) = tables.first() {
        let gone: Vec<&String> = before[t].iter().filter(|r| !after[t].contains(r)).take(3).collect();
        let new: Vec<&String> = after[t].iter().filter(|r| !before[t].contains(r)).take(3).collect();
        panic!("{what} changed the database: tables {tables:?}; in {t}, rows gone {gone:?}, rows new {new:?}");
    }
}

#[tokio::test]
async fn every_field_denies_every_caller_that_may_not_use_it() {
    let app = spawn_app().await;
    let (admin, mut vars) = matrix_fixtures(&app).await;

    // Every root field has a rule, and every rule names a real field.
    let fields = root_fields(&app).await;
    let ruled: BTreeSet<String> = RULES.iter().map(|r| r.field.to_owned()).collect();
    assert_eq!(fields, ruled, "every root field needs an authorization rule in RULES (and no stale ones)");

    // Every token first: minting one registers a client, which the fingerprint would see.
    let other_school = app.token(&ALL_SCOPES.join(" "), &[OTHER_SCHOOL]).await;
    let bad_tokens = bad_tokens(&app, vars["client"].as_str().unwrap()).await;
    let mut without: BTreeMap<&[&str], String> = BTreeMap::new();
    let mut alone: BTreeMap<&str, String> = BTreeMap::new();
    for rule in RULES.iter().filter(|r| !r.scopes.is_empty()) {
        if !without.contains_key(rule.scopes) {
            let rest: Vec<&str> = ALL_SCOPES.iter().copied().filter(|s| !rule.scopes.contains(s)).collect();
            without.insert(rule.scopes, app.token(&rest.join(" "), &[]).await);
        }
        for scope in rule.scopes.iter().filter(|_| rule.scopes.len() > 1) {
            if !alone.contains_key(scope) {
                alone.insert(scope, app.token(scope, &[]).await);
            }
        }
    }
    let fingerprinter = Fingerprinter::new(&app).await;

    for rule in RULES {
        let mutation = rule.doc.starts_with("mutation");
        assert_eq!(mutation, !rule.writes.is_empty(), "{}: a mutation names the tables it writes", rule.field);
        // Denied requests write nothing, whether queries or mutations.
        let before = fingerprinter.take(&app).await;
        let unchanged = |after: Fingerprint, who: &str| assert_unchanged(&before, &after, who);
        // Callers that must be denied, before the control run can change anything.
        for (what, token) in &bad_tokens {
            let res = app.gql_raw(Some(token), rule.doc, vars.clone()).await;
            assert_refused(res, &format!("{}: a token that is {what}", rule.field)).await;
        }
        assert_refused(app.gql_raw(None, rule.doc, vars.clone()).await, &format!("{}: anonymous", rule.field)).await;
        unchanged(fingerprinter.take(&app).await, &format!("{} by bad tokens and anonymous callers", rule.field));
        if !rule.scopes.is_empty() {
            let body = app.gql(&without[rule.scopes], rule.doc, vars.clone()).await;
            let what = format!("{} without {:?}", rule.field, rule.scopes);
            assert_denied(&body, Denied::Error("FORBIDDEN"), &vars, &what);
            unchanged(fingerprinter.take(&app).await, &what);
        }
        vars["head"] = json!(head_cursor(&app).await);
        let body = app.gql(&other_school, rule.doc, vars.clone()).await;
        let what = format!("{} by a caller limited to another school", rule.field);
        assert_denied(&body, rule.other_school, &vars, &what);
        unchanged(fingerprinter.take(&app).await, &what);
        // Where several scopes will do, each alone is enough.
        for scope in rule.scopes.iter().filter(|_| rule.scopes.len() > 1) {
            assert!(!mutation, "{}: only reads take one of several scopes", rule.field);
            let body = app.gql(&alone[scope], rule.doc, vars.clone()).await;
            assert_reveals(&body, rule, &vars, &format!("a caller holding only {scope}"));
        }
        // The control: the full-access caller sees the data, and a mutation really writes (a
        // query writes nothing).
        let body = app.gql(&admin, rule.doc, vars.clone()).await;
        assert_reveals(&body, rule, &vars, "the full-access control");
        let wrote = changed(&before, &fingerprinter.take(&app).await);
        if !mutation {
            assert_eq!(wrote, Vec::<String>::new(), "{}: a query wrote", rule.field);
        }
        for table in rule.writes {
            assert!(
                wrote.iter().any(|t| t == table),
                "{}: the control run must write {table}; it wrote {wrote:?}",
                rule.field
            );
        }
    }
}

/// How a district decision's effect is read back (as the district-wide tool).
#[derive(Clone, Copy)]
enum ReadBack {
    /// A query: it writes nothing, so there is nothing to read back.
    Query,
    /// This document's answer.
    Gql(&'static str),
    /// Whether the client `$client` still gets a token with the secret it had.
    OldSecret,
}

/// Every decision that belongs to the district, whether its positive control is a signed-in
/// district administrator (else the district-wide tool, for what needs `admin`, which no
/// person's front end holds), and its read-back.
const DISTRICT_DECISIONS: &[(&str, bool, ReadBack)] = &[
    ("oauthClients", false, ReadBack::Query),
    ("auditEvents", false, ReadBack::Query),
    ("rosterImports", false, ReadBack::Query),
    ("createOAuthClient", false, ReadBack::Gql("{ oauthClients { name } }")),
    ("rotateOAuthClientSecret", false, ReadBack::OldSecret),
    ("setOAuthClientEnabled", false, ReadBack::Gql("{ oauthClients { clientId enabled } }")),
    ("setOAuthClientOrgs", false, ReadBack::Gql("{ oauthClients { clientId orgs } }")),
    ("dataAgreements", false, ReadBack::Query),
    ("createDataAgreement", false, ReadBack::Gql("{ dataAgreements { vendor } }")),
    ("setOAuthClientAgreement", false, ReadBack::Gql("{ oauthClients { clientId agreementId } }")),
    ("revokeDataAgreement", false, ReadBack::Gql("{ dataAgreements { agreementId status } }")),
    (
        "setLearnerDataUse",
        false,
        ReadBack::Gql("query($sid: String!) { learner(sourcedId: $sid) { dataUse { directoryOptOut } } }"),
    ),
    ("purgeLearner", false, ReadBack::Gql("query($doomed: String!) { learner(sourcedId: $doomed) { sourcedId } }")),
    ("importCaseFramework", true, ReadBack::Gql("{ competencyFrameworks { edges { node { sourcedId title } } } }")),
    (
        "setMasteryCalculation",
        true,
        ReadBack::Gql(
            "query($fw: ID!) { node(id: $fw) { ... on CompetencyFramework { masteryCalculation { calculation parameter masteredLevel } } } }",
        ),
    ),
    ("createRedesignPillar", true, ReadBack::Gql("{ redesignPillars(includeArchived: true) { name description } }")),
    ("updateRedesignPillar", true, ReadBack::Gql("{ redesignPillars(includeArchived: true) { name description } }")),
    ("createRedesignCohort", true, ReadBack::Gql("{ redesignCohorts { year targetSize } }")),
    ("updateRedesignCohort", true, ReadBack::Gql("{ redesignCohorts { year targetSize } }")),
    ("moveRedesignPlan", true, ReadBack::Gql("{ redesignPlan(schoolSourcedId: \"sc-school-001\") { stage } }")),
    (
        "setRedesignFunding",
        true,
        ReadBack::Gql("{ redesignPlan(schoolSourcedId: \"sc-school-001\") { funding { spanYears } } }"),
    ),
    (
        "awardRedesignGrant",
        true,
        ReadBack::Gql("{ redesignPlan(schoolSourcedId: \"sc-school-001\") { grants { kind fiscalYear amount } } }"),
    ),
    (
        "recordGrantDisbursement",
        true,
        ReadBack::Gql("{ redesignPlan(schoolSourcedId: \"sc-school-001\") { grants { disbursed } } }"),
    ),
];

async fn read_back(app: &TestApp, how: ReadBack, district_tool: &str, vars: &Value, secret: &str) -> Value {
    match how {
        ReadBack::Query => Value::Null,
        ReadBack::Gql(doc) => data(app.gql(district_tool, doc, vars.clone()).await),
        ReadBack::OldSecret => {
            let res = app
                .http
                .post(app.url("/oauth/token"))
                .basic_auth(vars["client"].as_str().unwrap(), Some(secret))
                .form(&[("grant_type", "client_credentials")])
                .send()
                .await
                .unwrap();
            json!(res.status().as_u16())
        }
    }
}

/// The district's decisions (clients, the audit trail, frameworks and mastery, pillars,
/// cohorts, stages and money) refused to a tool limited to a school and to a school's
/// administrator signed in, each with its exact code and a read-back proving nothing changed;
/// then done by a district-wide caller, to prove the refusals were real.
#[tokio::test]
async fn district_decisions_refuse_school_limited_callers() {
    let app = spawn_app_with(&[("LEARNERGRAPH_DEV_SIGNIN", "true")]).await;
    app.seed(2, 2).await;
    import_on_record(&app).await;
    let district_tool = app.token(&ALL_SCOPES.join(" "), &[]).await;
    let redesign = redesign_fixtures(&app, &district_tool).await;
    let d = data(
        app.gql(
            &district_tool,
            "mutation($pkg: String!) { importCaseFramework(input: {package: $pkg}) { framework { id } userErrors { code } } }",
            json!({"pkg": CASE_PACKAGE}),
        )
        .await,
    );
    // Two learners read, so the audit trail has something to show.
    let learners = data(
        app.gql(
            &district_tool,
            "{ school(sourcedId: \"sc-school-001\") { learners(first: 2) { edges { node { sourcedId } } } } }",
            json!({}),
        )
        .await,
    );
    let (client, secret) = app.client("roster.read", &[]).await;
    let mut vars = json!({
        "fw": d["importCaseFramework"]["framework"]["id"],
        "pkg2": MATRIX_PACKAGE,
        "client": client,
        "mission": SECRET_MISSION,
        "sid": learners["school"]["learners"]["edges"][0]["node"]["sourcedId"],
        "psid": learners["school"]["learners"]["edges"][1]["node"]["sourcedId"],
    });
    for (k, v) in redesign.as_object().unwrap() {
        vars[k] = v.clone();
    }
    let (vendor_id, agreement) = agreement_fixture(&app).await;
    vars["vendor"] = json!(vendor_id);
    vars["agreement"] = json!(agreement);
    vars["doomed"] = doomed_fixture(&app, &district_tool).await;
    assert!(vars.as_object().unwrap().values().all(|v| !v.is_null()), "fixtures: {vars}");

    // A tool holding every scope for school 001 only, and school 001's administrator.
    let school_tool = app.token(&ALL_SCOPES.join(" "), &["sc-school-001"]).await;
    let school_admin = app.dev_sign_in("sc-admin-001", FRONT_END_SCOPES).await;
    let district_admin = app.dev_sign_in("sc-admin-district", FRONT_END_SCOPES).await;
    let viewer = "{ viewer { kind role userSourcedId districtWide } }";
    assert_eq!(
        data(app.gql(&school_admin, viewer, json!({})).await),
        json!({"viewer": {"kind": "user", "role": "administrator", "userSourcedId": "sc-admin-001", "districtWide": false}})
    );
    assert_eq!(
        data(app.gql(&district_admin, viewer, json!({})).await),
        json!({"viewer": {"kind": "user", "role": "administrator", "userSourcedId": "sc-admin-district", "districtWide": true}})
    );
    // Both school-limited callers do reach their own school: their refusals below are about
    // the district, not a broken token.
    let own = "{ redesignPlan(schoolSourcedId: \"sc-school-001\") { mission } }";
    assert_eq!(data(app.gql(&school_tool, own, json!({})).await), json!({"redesignPlan": {"mission": SECRET_MISSION}}));
    assert_eq!(
        data(app.gql(&school_admin, own, json!({})).await),
        json!({"redesignPlan": {"mission": SECRET_MISSION}})
    );

    let fingerprinter = Fingerprinter::new(&app).await;
    let denied = [("a tool limited to school 001", &school_tool), ("school 001's administrator", &school_admin)];
    for (field, by_person, how) in DISTRICT_DECISIONS {
        let rule = rule(field);
        let before = fingerprinter.take(&app).await;
        let seen = read_back(&app, *how, &district_tool, &vars, &secret).await;
        for (who, token) in denied {
            let body = app.gql(token, rule.doc, vars.clone()).await;
            let what = format!("{field} by {who}");
            // The tool lacks district-wide authority; the administrator lacks it too, and for
            // what needs `admin`, the scope as well (a school administrator is never granted it).
            assert_denied(&body, Denied::Error("FORBIDDEN"), &vars, &what);
            assert_unchanged(&before, &fingerprinter.take(&app).await, &what);
            assert_eq!(
                read_back(&app, *how, &district_tool, &vars, &secret).await,
                seen,
                "{what} changed what it decides"
            );
        }
        let (who, token) = if *by_person {
            ("the district administrator", &district_admin)
        } else {
            ("the district-wide tool", &district_tool)
        };
        let body = app.gql(token, rule.doc, vars.clone()).await;
        assert_reveals(&body, rule, &vars, who);
        if !matches!(how, ReadBack::Query) {
            assert_ne!(
                read_back(&app, *how, &district_tool, &vars, &secret).await,
                seen,
                "{field} by {who} changed nothing"
            );
            let wrote = changed(&before, &fingerprinter.take(&app).await);
            for table in rule.writes {
                assert!(wrote.iter().any(|t| t == table), "{field} by {who} must write {table}; it wrote {wrote:?}");
            }
        }
    }

    // Moving a plan back is for a signed-in district administrator alone, with a reason: not
    // even a district-wide tool may.
    let back = "mutation($plan: ID!) { moveRedesignPlan(input: {planId: $plan, to: ACCEPTED, note: \"Not ready\"}) { plan { stage } userErrors { code } } }";
    let stage = "{ redesignPlan(schoolSourcedId: \"sc-school-001\") { stage } }";
    assert_eq!(data(app.gql(&district_tool, stage, json!({})).await), json!({"redesignPlan": {"stage": "PLANNING"}}));
    let before = fingerprinter.take(&app).await;
    for (who, token) in [
        ("a tool limited to school 001", &school_tool),
        ("school 001's administrator", &school_admin),
        ("the district-wide tool", &district_tool),
    ] {
        let body = app.gql(token, back, vars.clone()).await;
        let what = format!("moving the plan back by {who}");
        assert_denied(&body, Denied::Error("FORBIDDEN"), &vars, &what);
        assert_unchanged(&before, &fingerprinter.take(&app).await, &what);
    }
    assert_eq!(data(app.gql(&district_tool, stage, json!({})).await), json!({"redesignPlan": {"stage": "PLANNING"}}));
    let body = app.gql(&district_admin, back, vars.clone()).await;
    assert_eq!(data(body), json!({"moveRedesignPlan": {"plan": {"stage": "ACCEPTED"}, "userErrors": []}}));
    assert_eq!(data(app.gql(&district_tool, stage, json!({})).await), json!({"redesignPlan": {"stage": "ACCEPTED"}}));
}

/// A small CASE package: a document, a cluster and two standards below it.
pub const CASE_PACKAGE: &str = r#"{
  "CFDocument": {"identifier": "fw-math-6", "title": "Grade 6 Mathematics", "subject": ["Mathematics"], "publisher": "Riverbend", "version": "1.0"},
  "CFItems": [
    {"identifier": "c-rp", "fullStatement": "Ratios and proportional relationships", "humanCodingScheme": "MATH.6.RP", "CFItemType": "Cluster", "educationLevel": ["06"]},
    {"identifier": "c-rp-1", "fullStatement": "Understand the concept of a ratio", "humanCodingScheme": "MATH.6.RP.1", "CFItemType": "Standard", "educationLevel": ["06"]},
    {"identifier": "c-rp-2", "fullStatement": "Understand the concept of a unit rate", "humanCodingScheme": "MATH.6.RP.2", "CFItemType": "Standard", "educationLevel": ["06"]}
  ],
  "CFAssociations": [
    {"associationType": "isChildOf", "originNodeURI": {"identifier": "c-rp"}, "destinationNodeURI": {"identifier": "fw-math-6"}, "sequenceNumber": 1},
    {"associationType": "isChildOf", "originNodeURI": {"identifier": "c-rp-1"}, "destinationNodeURI": {"identifier": "c-rp"}, "sequenceNumber": 1},
    {"associationType": "isChildOf", "originNodeURI": {"identifier": "c-rp-2"}, "destinationNodeURI": {"identifier": "c-rp"}, "sequenceNumber": 2}
  ]
}"#;

/// School 001's learner with a playlist of three items, a template, and a posted result.
async fn progress_fixtures(app: &TestApp, admin: &str, learner_sid: &str) -> Value {
    let d = data(
        app.gql(
            admin,
            "mutation($pkg: String!) { importCaseFramework(input: {package: $pkg}) { framework { id } userErrors { message } } }",
            json!({"pkg": CASE_PACKAGE}),
        )
        .await,
    );
    let fw = d["importCaseFramework"]["framework"]["id"].clone();
    let d = data(
        app.gql(
            admin,
            "mutation($sid: String!) {
               p: createPlaylist(input: {learnerSourcedId: $sid, subject: \"Math\", title: \"Ratios\", items: [
                 {title: \"One\", evidence: TEST, competencyIds: [\"c-rp-1\"]},
                 {title: \"Two\", evidence: PROJECT},
                 {title: \"Three\", evidence: OTHER}]}) { playlist { id items { id } } userErrors { message } }
               t: createPlaylist(input: {schoolSourcedId: \"sc-school-001\", subject: \"Math\", title: \"Template\", items: [{title: \"T\", evidence: TEST}]}) { playlist { id } userErrors { message } }
               r: postResults(input: {results: [{sourcedId: \"fixture-1\", learnerSourcedId: $sid, competencyId: \"c-rp-2\", score: 6, scoreMax: 10, evidenceType: TEST, occurredAt: \"2026-01-02T10:00:00Z\"}]}) { results { result { id } } userErrors { message } }
             }",
            json!({"sid": learner_sid}),
        )
        .await,
    );
    let items = &d["p"]["playlist"]["items"];
    let class = data(app.gql(admin, "{ class(sourcedId: \"sc-c-001-06-math-s1\") { id } }", json!({})).await)["class"]
        ["id"]
        .clone();
    let out = json!({
        "fw": fw, "comp": "c-rp-1", "pkg": CASE_PACKAGE, "pl": d["p"]["playlist"]["id"], "item": items[0]["id"],
        "item2": items[1]["id"], "item3": items[2]["id"], "template": d["t"]["playlist"]["id"],
        "result": d["r"]["results"][0]["result"]["id"], "class": class,
    });
    assert!(out.as_object().unwrap().values().all(|v| !v.is_null()), "progress fixtures: {out} {d}");
    out
}

async fn root_fields(app: &TestApp) -> BTreeSet<String> {
    let token = app.token("roster.read", &[]).await;
    let body: Value = app
        .gql_raw(
            Some(&token),
            "{ __schema { queryType { fields { name } } mutationType { fields { name } } } }",
            json!({}),
        )
        .await
        .json()
        .await
        .unwrap();
    ["queryType", "mutationType"]
        .iter()
        .flat_map(|t| body["data"]["__schema"][t]["fields"].as_array().cloned().unwrap_or_default())
        .map(|f| f["name"].as_str().unwrap().to_owned())
        .collect()
}

/// A WIN block of school 001 open for choices, with two sessions, the fresh learner's choice
/// and a placement run; and a template block in the spring 2027 term.
async fn win_fixtures(app: &TestApp, admin: &str, learner_sid: &str) -> Value {
    let close = (chrono::Utc::now() + chrono::Duration::days(30)).to_rfc3339();
    let d = data(
        app.gql(
            admin,
            "mutation($close: DateTime!) {
               b: createWinBlock(input: {schoolSourcedId: \"sc-school-001\", date: \"2030-03-04\", choicesCloseAt: $close}) { block { id } userErrors { message } }
               t: createWinBlock(input: {schoolSourcedId: \"sc-school-001\", date: \"2027-05-03\"}) { block { id } userErrors { message } }
             }",
            json!({"close": close}),
        )
        .await,
    );
    let (block, template) = (d["b"]["block"]["id"].clone(), d["t"]["block"]["id"].clone());
    let d = data(
        app.gql(
            admin,
            "mutation($b: ID!) {
               s: createWinSession(input: {blockId: $b, title: \"Ratios\", subject: \"Math\", mode: SMALL_GROUP, capacity: 10}) { session { id } userErrors { message } }
               l: createWinSession(input: {blockId: $b, title: \"Lab\", subject: \"Math\", mode: INDEPENDENT, capacity: 30}) { session { id } userErrors { message } }
             }",
            json!({"b": block}),
        )
        .await,
    );
    let (session, lab) = (d["s"]["session"]["id"].clone(), d["l"]["session"]["id"].clone());
    let d = data(
        app.gql(
            admin,
            "mutation($b: ID!, $l: String!, $s: ID!) {
               c: submitWinChoices(input: {blockId: $b, learnerSourcedId: $l, sessionIds: [$s]}) { userErrors { message } }
               r: runWinPlacement(input: {blockId: $b}) { placed userErrors { message } }
             }",
            json!({"b": block, "l": learner_sid, "s": session}),
        )
        .await,
    );
    // Held two days ago (choices stay as they were written), so attendance can be recorded.
    crate::support::held(app, &block, chrono::Utc::now().date_naive() - chrono::Duration::days(2)).await;
    let out = json!({"wblock": block, "wtemplate": template, "wsession": session, "wlab": lab});
    assert!(
        out.as_object().unwrap().values().all(|v| !v.is_null()) && d["r"]["placed"].as_i64() > Some(0),
        "win fixtures: {out} {d}"
    );
    out
}

/// The mission of school 001's plan: no caller limited to another school may ever see it.
const SECRET_MISSION: &str = "Mission of school one, for its eyes only";

/// School 001's redesign plan at ACCEPTED, with a goal (and a second one to delete), an
/// indicator, a milestone and a grant; returns their ids and the cohort year.
async fn redesign_fixtures(app: &TestApp, admin: &str) -> Value {
    let today = chrono::Utc::now().date_naive();
    let year = chrono::Datelike::year(&today);
    let window = json!({"opens": (today - chrono::Days::new(30)).to_string(), "closes": (today + chrono::Days::new(30)).to_string()});
    let d = data(
        app.gql(
            admin,
            "mutation($year: Int!, $opens: NaiveDate!, $closes: NaiveDate!) { createRedesignCohort(input: {year: $year, targetSize: 6, applicationOpensOn: $opens, applicationClosesOn: $closes}) { cohort { id } userErrors { message } } }",
            json!({"year": year, "opens": window["opens"], "closes": window["closes"]}),
        )
        .await,
    );
    let cohort = d["createRedesignCohort"]["cohort"]["id"].clone();
    let pillar =
        data(app.gql(admin, "{ redesignPillars { id } }", json!({})).await)["redesignPillars"][0]["id"].clone();
    let d = data(
        app.gql(
            admin,
            "mutation($year: Int!) { applyForRedesign(input: {schoolSourcedId: \"sc-school-001\", cohortYear: $year, application: \"Please\"}) { plan { id } userErrors { message } } }",
            json!({"year": year}),
        )
        .await,
    );
    let plan = d["applyForRedesign"]["plan"]["id"].clone();
    assert!(plan.is_string(), "fixture plan: {d}");
    for (to, extra) in [
        ("PRESENTATION_SCHEDULED", ", presentationAt: \"2026-01-01T10:00:00Z\""),
        ("PRESENTED", ", presentationOutcome: \"Good\""),
        ("ACCEPTED", ""),
    ] {
        let doc = format!(
            "mutation($plan: ID!) {{ moveRedesignPlan(input: {{planId: $plan, to: {to}{extra}}}) {{ userErrors {{ message }} }} }}"
        );
        let d = data(app.gql(admin, &doc, json!({"plan": plan})).await);
        assert_eq!(d["moveRedesignPlan"]["userErrors"], json!([]), "fixture move to {to}");
    }
    let vars = json!({"plan": plan, "pillar": pillar, "mission": SECRET_MISSION, "year": year});
    let d = data(
        app.gql(
            admin,
            "mutation($plan: ID!, $pillar: ID!, $mission: String!, $year: Int!) {
               u: updateRedesignPlan(input: {planId: $plan, mission: $mission}) { userErrors { message } }
               g: createRedesignGoal(input: {planId: $plan, title: \"One\", pillarIds: [$pillar]}) { goal { id } }
               g2: createRedesignGoal(input: {planId: $plan, title: \"Two\", pillarIds: [$pillar]}) { goal { id } }
               a: awardRedesignGrant(input: {planId: $plan, kind: PLANNING, fiscalYear: $year, amount: \"20000.00\"}) { grant { id } userErrors { message } }
             }",
            vars,
        )
        .await,
    );
    let goal = d["g"]["goal"]["id"].clone();
    let d2 = data(
        app.gql(
            admin,
            "mutation($goal: ID!) {
               i: addRedesignIndicator(input: {goalId: $goal, name: \"Reading\", baseline: 10, baselineOn: \"2026-01-01\", target: 80, targetOn: \"2027-01-01\"}) { indicator { id } }
               m: addRedesignMilestone(input: {goalId: $goal, title: \"Plan written\", dueOn: \"2026-03-01\"}) { milestone { id } }
             }",
            json!({"goal": goal}),
        )
        .await,
    );
    let out = json!({
        "year": year, "cohort": cohort, "pillar": pillar, "plan": plan, "goal": goal, "goal2": d["g2"]["goal"]["id"],
        "grant": d["a"]["grant"]["id"], "indicator": d2["i"]["indicator"]["id"], "milestone": d2["m"]["milestone"]["id"],
    });
    assert!(out.as_object().unwrap().values().all(|v| !v.is_null()), "redesign fixtures: {out} {d} {d2}");
    out
}

/// Tokens that must all be refused, each for its own reason.
async fn bad_tokens(app: &TestApp, client: &str) -> Vec<(&'static str, String)> {
    let kid =
        Keys::from_pem(&app.signing_pem, ISSUER, AUDIENCE, std::time::Duration::from_secs(60)).unwrap().jwks()["keys"]
            [0]["kid"]
            .as_str()
            .unwrap()
            .to_owned();
    let now = chrono::Utc::now().timestamp();
    let claims = json!({"iss": ISSUER, "aud": AUDIENCE, "sub": client, "client_id": client, "exp": now + 300, "iat": now, "jti": "m1",
        "scope": ALL_SCOPES.join(" ")});
    let header = |typ: &str| {
        let mut h = Header::new(Algorithm::EdDSA);
        h.typ = Some(typ.into());
        h.kid = Some(kid.clone());
        h
    };
    let sign = |pem: &str, h: Header, c: &Value| {
        jsonwebtoken::encode(&h, c, &EncodingKey::from_ed_pem(pem.as_bytes()).unwrap()).unwrap()
    };
    let with = |k: &str, v: Value| {
        let mut c = claims.clone();
        c[k] = v;
        sign(&app.signing_pem, header("at+jwt"), &c)
    };
    let without = |k: &str| {
        let mut c = claims.clone();
        c.as_object_mut().unwrap().remove(k);
        sign(&app.signing_pem, header("at+jwt"), &c)
    };
    let good = sign(&app.signing_pem, header("at+jwt"), &claims);
    let mut hs = Header::new(Algorithm::HS256);
    hs.typ = Some("at+jwt".into());
    hs.kid = Some(kid.clone());
    let jwks: Value = app.http.get(app.url("/.well-known/jwks.json")).send().await.unwrap().json().await.unwrap();
    let public = jwks["keys"][0]["x"].as_str().unwrap().to_owned();
    let mut tampered: Vec<String> = good.split('.').map(str::to_owned).collect();
    let mut more = claims.clone();
    more["client_id"] = json!("lg_someone_else");
    tampered[1] = URL_SAFE_NO_PAD.encode(more.to_string());
    // A real token, then revoked.
    let (id, secret) = app.client(&ALL_SCOPES.join(" "), &[]).await;
    let revoked = app.token_for(&id, &secret).await;
    let res = app
        .http
        .post(app.url("/oauth/revoke"))
        .basic_auth(&id, Some(&secret))
        .form(&[("token", revoked.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    vec![
        ("expired", with("exp", json!(now - 3600))),
        ("not yet valid", with("nbf", json!(now + 3600))),
        ("issued in the future", with("iat", json!(now + 3600))),
        ("signed with another key", sign(&generate_pem().unwrap(), header("at+jwt"), &claims)),
        (
            "unsigned (alg none)",
            format!(
                "{}.{}.",
                URL_SAFE_NO_PAD.encode(json!({"alg": "none", "typ": "at+jwt", "kid": kid}).to_string()),
                URL_SAFE_NO_PAD.encode(claims.to_string())
            ),
        ),
        (
            "HS256 keyed with the public key",
            jsonwebtoken::encode(&hs, &claims, &EncodingKey::from_secret(public.as_bytes())).unwrap(),
        ),
        ("from another issuer", with("iss", json!("https://evil.example"))),
        ("for another audience", with("aud", json!("other"))),
        ("missing iss", without("iss")),
        ("missing aud", without("aud")),
        ("missing sub", without("sub")),
        ("missing exp", without("exp")),
        ("missing iat", without("iat")),
        ("of type JWT", sign(&app.signing_pem, header("JWT"), &claims)),
        ("tampered", tampered.join(".")),
        ("revoked", revoked),
    ]
}

/// The changes feed needs no scope itself: each kind of record in it needs the scope that reads
/// it, each such scope alone shows exactly its kinds, none of them shows nothing, and a caller
/// limited to another school sees none of school 001's changes.
#[tokio::test]
async fn the_changes_feed_shows_each_kind_only_with_its_scope() {
    let app = spawn_app().await;
    app.seed(2, 2).await;
    let admin = app.token(&ALL_SCOPES.join(" "), &[]).await;
    let d = data(
        app.gql(
            &admin,
            "{ school(sourcedId: \"sc-school-001\") { learners(first: 1) { edges { node { sourcedId profile { id } } } } } }",
            json!({}),
        )
        .await,
    );
    let learner = &d["school"]["learners"]["edges"][0]["node"];
    let vars = json!({"sid": learner["sourcedId"], "profile": learner["profile"]["id"], "pkg": CASE_PACKAGE});
    // One change of each kind for school 001's learner: the learner, the profile, a playlist
    // with an item, a result.
    let d = data(
        app.gql(
            &admin,
            "mutation($sid: String!, $profile: ID!, $pkg: String!) {
               f: importCaseFramework(input: {package: $pkg}) { userErrors { code } }
               u: upsertLearner(input: {sourcedId: $sid, givenName: \"Changed\", familyName: \"Name\", schoolSourcedIds: [\"sc-school-001\"]}) { userErrors { code } }
               p: updateLearnerProfile(input: {profileId: $profile, expectedVersion: 1, strengths: [\"changed\"]}) { userErrors { code } }
               l: createPlaylist(input: {learnerSourcedId: $sid, subject: \"Math\", title: \"Ratios\", items: [{title: \"One\", evidence: TEST}]}) { userErrors { code } }
               r: postResults(input: {results: [{sourcedId: \"feed-1\", learnerSourcedId: $sid, competencyId: \"c-rp-1\", score: 6, scoreMax: 10, evidenceType: TEST, occurredAt: \"2026-01-02T10:00:00Z\"}]}) { userErrors { code } }
             }",
            vars.clone(),
        )
        .await,
    );
    assert!(d.as_object().unwrap().values().all(|p| p["userErrors"] == json!([])), "fixtures: {d}");
    let feed = "{ changes(first: 500) { changes { entityType type node { ... on Learner { sourcedId } ... on LearnerProfile { strengths } ... on Playlist { title } ... on PlaylistItem { title } ... on Result { sourcedId } } } } }";
    let learner = r#"{"entityType": "LEARNER", "type": "UPSERTED", "node": {"sourcedId": "$sid"}}"#;
    let profile = r#"{"entityType": "LEARNER_PROFILE", "type": "UPSERTED", "node": {"strengths": ["changed"]}}"#;
    let playlist = r#"{"entityType": "PLAYLIST", "type": "UPSERTED", "node": {"title": "Ratios"}},
                      {"entityType": "PLAYLIST_ITEM", "type": "UPSERTED", "node": {"title": "One"}}"#;
    let result = r#"{"entityType": "RESULT", "type": "UPSERTED", "node": {"sourcedId": "feed-1"}}"#;
    let all = [learner, profile, playlist, result].join(", ");
    let reading = ["roster.read", "profiles.read", "playlists.read", "progress.read"];
    let none: Vec<&str> = ALL_SCOPES.iter().copied().filter(|s| !reading.contains(s)).collect();
    let callers = [
        ("roster.read", vec![], learner.to_owned()),
        ("profiles.read", vec![], profile.to_owned()),
        ("playlists.read", vec![], playlist.to_owned()),
        ("progress.read", vec![], result.to_owned()),
        (&none.join(" ") as &str, vec![], String::new()),
        (&ALL_SCOPES.join(" "), vec![], all.clone()),
        (&ALL_SCOPES.join(" "), vec!["sc-school-001"], all.clone()),
        (&ALL_SCOPES.join(" "), vec!["sc-school-002"], String::new()),
    ];
    let mut tokens = vec![];
    for (scopes, orgs, _) in &callers {
        tokens.push(app.token(scopes, orgs).await);
    }
    for ((scopes, orgs, expected), token) in callers.iter().zip(&tokens) {
        let want = expand(&format!(r#"{{"changes": {{"changes": [{expected}]}}}}"#), &vars);
        assert_eq!(data(app.gql(token, feed, json!({})).await), want, "the feed for {scopes} limited to {orgs:?}");
    }
    assert_refused(app.gql_raw(None, feed, json!({})).await, "the feed for an anonymous caller").await;
}
