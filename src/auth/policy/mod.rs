//! The authorization rules in one place: turning a verified token into a [`Principal`] (scope,
//! org and relationship), and the SQL conditions that limit every store query to what that
//! principal may see. Deny is the default: a principal limited to no org sees nothing.

pub mod playlists;
pub mod progress;
pub mod redesign;
pub mod roster;
pub mod sharing;
pub mod win;

use entity::{OrgType, Role};
use std::collections::{BTreeSet, HashMap};

use entity::{Status, data_agreement, data_use_restriction, enrollment, oauth_client, org, user, user_agent, user_org};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect,
    sea_query::{Expr, ExprTrait, IntoColumnRef, Query, SelectStatement},
};
use sharing::{Elements, Sharing, Terms};

use super::{Actor, OrgAccess, People, Principal, Scope, grants, principal::parse_scopes, tokens::AccessClaims};
use crate::error::{AppError, AppResult};

/// The most a signed-in person of a role can be granted, whatever the client holds. Students
/// read and take part; teachers also write learning data and read sensitive notes; school
/// administrators also edit the roster and their school's redesign plan (the redesign store
/// keeps stages and money to the district); only district administrators administer.
pub fn role_scopes(role: Role, district_admin: bool) -> BTreeSet<Scope> {
    use Scope::*;
    // A student's `playlists.write` moves their own items forward (started, submitted); the
    // playlists store keeps every other playlist write to staff and tools.
    const STUDENT: [Scope; 8] =
        [RosterRead, ProfilesRead, ProfilesWrite, PlaylistsRead, PlaylistsWrite, ProgressRead, WinRead, WinWrite];
    // A school's redesign plan (its money, its decline reasons) is for its staff.
    const TEACHER_EXTRA: [Scope; 6] =
        [ProfilesSensitiveRead, PlaylistsWrite, ProgressWrite, GradebookWrite, GradebookDelete, RedesignRead];
    // A guardian reads their own children's records (the policy's `People::Family` keeps
    // them to those), never their sensitive profile notes, and writes nothing.
    if role == Role::Guardian {
        let mut read: BTreeSet<Scope> = [RosterRead, ProfilesRead, PlaylistsRead, ProgressRead, WinRead].into();
        read.insert(OneRosterCoreRead);
        read.insert(OneRosterGradebookRead);
        return read;
    }
    let mut scopes: BTreeSet<Scope> = STUDENT.into_iter().collect();
    if role == Role::Teacher || role == Role::Administrator {
        scopes.extend(TEACHER_EXTRA);
    }
    if role == Role::Administrator {
        scopes.insert(RosterWrite);
        scopes.insert(RedesignWrite);
        if district_admin {
            scopes.extend(Scope::ALL);
        }
    }
    // A OneRoster scope fits a role when everything it stands for does (a teacher's front end
    // may ask for `roster-core.readonly`, never for `roster.readonly`'s demographics).
    let fitting: Vec<Scope> = Scope::ALL
        .into_iter()
        .filter(|s| !s.implied().is_empty() && s.implied().iter().all(|i| scopes.contains(i)))
        .collect();
    scopes.extend(fitting);
    scopes
}

/// The most a signed-in person can be granted today: [`role_scopes`] for their role, and
/// whether an administrator is one of a district (a membership of a district org).
pub async fn person_scope_cap(db: &impl ConnectionTrait, person: &user::Model) -> AppResult<BTreeSet<Scope>> {
    let district_admin = person.role == Role::Administrator && {
        let orgs = user_org::Entity::find()
            .filter(user_org::Column::UserId.eq(person.id))
            .find_also_related(org::Entity)
            .all(db)
            .await?;
        orgs.iter().any(|(_, o)| o.as_ref().is_some_and(|o| o.org_type == OrgType::District))
    };
    Ok(role_scopes(person.role, district_admin))
}

/// The principal a verified token stands for, or `None` when the token no longer holds: it
/// was revoked, its client was disabled, or its person is gone.
pub async fn principal_from_claims(db: &impl ConnectionTrait, claims: &AccessClaims) -> AppResult<Option<Principal>> {
    // One statement: the client must still be enabled and the token not revoked. Only the
    // columns the principal needs (never the secret's hash).
    // The agreement a vendor's client is bound to comes in the same statement.
    let client = oauth_client::Entity::find()
        .select_only()
        .columns([oauth_client::Column::Scopes, oauth_client::Column::Orgs, oauth_client::Column::Internal])
        .left_join(data_agreement::Entity)
        .column_as(data_agreement::Column::AgreementId, "agreement_id")
        .column_as(data_agreement::Column::SchoolOfficial, "school_official")
        .column_as(data_agreement::Column::Elements, "elements")
        .column_as(data_agreement::Column::Schools, "schools")
        .column_as(data_agreement::Column::StartsOn, "starts_on")
        .column_as(data_agreement::Column::EndsOn, "ends_on")
        .column_as(data_agreement::Column::RevokedAt, "revoked_at")
        .filter(oauth_client::Column::ClientId.eq(claims.client_id.as_str()))
        .filter(oauth_client::Column::Enabled.eq(true))
        .filter(grants::not_revoked(&claims.jti, claims.fam.as_deref()))
        .into_model::<ClientTerms>()
        .one(db)
        .await?;
    let Some(client) = client else { return Ok(None) };
    let client_orgs = client.orgs.clone();
    // A vendor's agreement that has ended or was revoked ends its tokens too.
    if !client.internal && client.agreement_id.is_some() && sharing_standing(&client).is_err() {
        return Ok(None);
    }
    let client_scopes = parse_scopes(&client.scopes).unwrap_or_default();
    // Unknown scopes in a token we signed can only come from an older version: drop them.
    let mut scopes: BTreeSet<Scope> =
        claims.scope.split_whitespace().filter_map(|s| s.parse().ok()).filter(|s| client_scopes.contains(s)).collect();
    // A OneRoster scope grants the learnergraph scopes it stands for (before a person's role
    // caps them, so the cap applies to those too).
    let implied: Vec<Scope> = scopes.iter().flat_map(|s| s.implied()).copied().collect();
    scopes.extend(implied);
    // The client's registration as it is now limits the token as much as the token's own
    // claim: narrowing a client's orgs takes effect on tokens already issued. A registration
    // that can't be read limits the client to nothing.
    let registered: Option<Vec<String>> = client_orgs.map(|v| serde_json::from_value(v).unwrap_or_default());
    // An agreement naming schools limits its clients to them as well.
    let agreed: Option<Vec<String>> = if client.internal {
        None
    } else {
        client.schools.clone().map(|v| serde_json::from_value(v).unwrap_or_default())
    };
    let needs_orgs = claims.orgs.is_some() || claims.user.is_some() || registered.is_some() || agreed.is_some();
    let all_orgs: Vec<(i64, Option<i64>, String, OrgType)> = if needs_orgs {
        org::Entity::find()
            .select_only()
            .columns([org::Column::Id, org::Column::ParentId, org::Column::SourcedId, org::Column::OrgType])
            .into_tuple()
            .all(db)
            .await?
    } else {
        vec![]
    };
    let limit_of = |ids: &Vec<String>| {
        let roots = all_orgs.iter().filter(|o| ids.contains(&o.2)).map(|o| o.0).collect();
        with_descendants(&all_orgs, roots)
    };
    let mut granted: Option<BTreeSet<i64>> =
        match (claims.orgs.as_ref().map(limit_of), registered.as_ref().map(limit_of)) {
            (Some(token), Some(client)) => Some(token.intersection(&client).copied().collect()),
            (token, client) => token.or(client),
        };
    if let Some(agreed) = agreed.as_ref().map(limit_of) {
        granted = Some(match granted {
            None => agreed,
            Some(g) => g.intersection(&agreed).copied().collect(),
        });
    }
    let (actor, people) = match &claims.user {
        None => (Actor::Client { client_id: claims.client_id.clone() }, People::All),
        Some(sourced_id) => {
            let Some(person) = user::Entity::find()
                .filter(user::Column::SourcedId.eq(sourced_id.as_str()))
                .filter(user::Column::Status.eq(Status::Active))
                .filter(user::Column::EnabledUser.eq(true))
                .one(db)
                .await?
            else {
                return Ok(None);
            };
            let memberships: Vec<(i64, String)> = user_org::Entity::find()
                .select_only()
                .columns([user_org::Column::OrgId, user_org::Column::Role])
                .filter(user_org::Column::UserId.eq(person.id))
                .into_tuple()
                .all(db)
                .await?;
            let roots: BTreeSet<i64> = memberships.iter().map(|m| m.0).collect();
            let district_admin = person.role == Role::Administrator
                && all_orgs.iter().any(|o| roots.contains(&o.0) && o.3 == OrgType::District);
            let mine = with_descendants(&all_orgs, roots);
            granted = Some(match granted {
                None => mine,
                Some(client_orgs) => client_orgs.intersection(&mine).copied().collect(),
            });
            scopes = scopes.intersection(&role_scopes(person.role, district_admin)).copied().collect();
            let people = match person.role {
                Role::Administrator => People::All,
                Role::Teacher => People::Taught(person.id),
                Role::Guardian => People::Family(person.id),
                _ => People::Only(person.id),
            };
            let actor = Actor::User {
                client_id: claims.client_id.clone(),
                user_id: person.id,
                sourced_id: person.sourced_id,
                role: person.role,
            };
            (actor, people)
        }
    };
    let orgs = match granted {
        None => OrgAccess::All,
        Some(granted) => {
            let parent: HashMap<i64, Option<i64>> = all_orgs.iter().map(|o| (o.0, o.1)).collect();
            let mut ancestors = BTreeSet::new();
            for id in &granted {
                let mut cur = parent.get(id).copied().flatten();
                while let Some(p) = cur {
                    if granted.contains(&p) || !ancestors.insert(p) {
                        break;
                    }
                    cur = parent.get(&p).copied().flatten();
                }
            }
            OrgAccess::Only { orgs: granted.into_iter().collect(), ancestors: ancestors.into_iter().collect() }
        }
    };
    let sharing = if client.internal {
        Sharing::District
    } else {
        // An agreement's elements were checked when it was recorded; text that no longer
        // parses (an element this version dropped) shares nothing rather than everything.
        let elements = client.elements.as_deref().map(Elements::parse).and_then(Result::ok).unwrap_or_default();
        let kept = elements.allowed_scopes(&scopes);
        let withheld = scopes.difference(&kept).copied().collect();
        scopes = kept;
        Sharing::Agreement(std::sync::Arc::new(Terms {
            agreement_id: client.agreement_id.clone(),
            school_official: client.school_official.unwrap_or(false),
            elements,
            withheld,
            ends_on: client.ends_on,
        }))
    };
    Ok(Some(Principal { actor, scopes, orgs, people, trail: Default::default(), sharing }))
}

/// A client's registration with the agreement it is bound to, as the principal needs them.
#[derive(Debug, sea_orm::FromQueryResult)]
pub struct ClientTerms {
    pub scopes: String,
    pub orgs: Option<serde_json::Value>,
    pub internal: bool,
    pub agreement_id: Option<String>,
    pub school_official: Option<bool>,
    pub elements: Option<String>,
    pub schools: Option<serde_json::Value>,
    pub starts_on: Option<chrono::NaiveDate>,
    pub ends_on: Option<chrono::NaiveDate>,
    pub revoked_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Whether a bound agreement holds today (UTC): `Err` says why not, as the token endpoint
/// tells the client.
pub fn sharing_standing(c: &ClientTerms) -> Result<(), String> {
    let Some(id) = &c.agreement_id else { return Ok(()) };
    crate::privacy::agreements::standing(id, c.starts_on, c.ends_on, c.revoked_at, crate::db::now().date_naive())
}

/// The given orgs and every org below them (a district grant covers its schools).
fn with_descendants(all: &[(i64, Option<i64>, String, OrgType)], mut granted: BTreeSet<i64>) -> BTreeSet<i64> {
    loop {
        let below: Vec<i64> = all
            .iter()
            .filter(|o| !granted.contains(&o.0) && o.1.is_some_and(|p| granted.contains(&p)))
            .map(|o| o.0)
            .collect();
        if below.is_empty() {
            return granted;
        }
        granted.extend(below);
    }
}

/// Orgs the principal may read: its own and their ancestors.
pub fn orgs_visible(p: &Principal) -> Condition {
    match &p.orgs {
        OrgAccess::All => Condition::all(),
        OrgAccess::Only { orgs, ancestors } => {
            Condition::all().add(org::Column::Id.is_in(orgs.iter().chain(ancestors).copied()))
        }
    }
}

/// Classes an enrolled person is in (as student or teacher).
fn classes_of(person: i64) -> SelectStatement {
    Query::select()
        .column(enrollment::Column::ClassId)
        .from(enrollment::Entity)
        .and_where(enrollment::Column::UserId.eq(person))
        .and_where(enrollment::Column::Status.eq(Status::Active))
        .to_owned()
}

/// For a signed-in teacher or student, only the classes they are enrolled in (as teacher or
/// student); no limit for anyone else.
pub fn in_own_classes(p: &Principal, class_id: impl IntoColumnRef) -> Condition {
    match p.people {
        People::All => Condition::all(),
        People::Taught(person) | People::Only(person) => {
            Condition::all().add(Expr::col(class_id).in_subquery(classes_of(person)))
        }
        People::Family(guardian) => Condition::all().add(
            Expr::col(class_id).in_subquery(
                Query::select()
                    .column(enrollment::Column::ClassId)
                    .from(enrollment::Entity)
                    .and_where(enrollment::Column::UserId.in_subquery(children_of(guardian)))
                    .and_where(enrollment::Column::Status.eq(Status::Active))
                    .to_owned(),
            ),
        ),
    }
}

/// Records owned by a school (classes, enrollments through their class): only granted orgs.
pub fn owned_by_granted_org(p: &Principal, col: impl IntoColumnRef) -> Condition {
    match &p.orgs {
        OrgAccess::All => Condition::all(),
        OrgAccess::Only { orgs, .. } => Condition::all().add(Expr::col(col).is_in(orgs.iter().copied())),
    }
}

/// Records a school shares with the district above it (courses, academic sessions): granted
/// orgs and their ancestors.
pub fn owned_by_visible_org(p: &Principal, col: impl IntoColumnRef) -> Condition {
    match &p.orgs {
        OrgAccess::All => Condition::all(),
        OrgAccess::Only { orgs, ancestors } => {
            Condition::all().add(Expr::col(col).is_in(orgs.iter().chain(ancestors).copied()))
        }
    }
}

/// Users (students and staff) the principal may read: members of a granted org and, for a
/// signed-in person, related to them (a student themself; a teacher themself and the
/// students in their classes).
pub fn users_visible(p: &Principal) -> Condition {
    user_id_visible(p, (user::Entity, user::Column::Id))
}

/// The same rule applied to any column holding a user id.
pub fn user_id_visible(p: &Principal, col: impl IntoColumnRef + Clone) -> Condition {
    let mut c = match &p.orgs {
        OrgAccess::All => Condition::all(),
        OrgAccess::Only { orgs, .. } => Condition::all().add(
            Expr::col(col.clone()).in_subquery(
                Query::select()
                    .column(user_org::Column::UserId)
                    .from(user_org::Entity)
                    .and_where(user_org::Column::OrgId.is_in(orgs.iter().copied()))
                    .to_owned(),
            ),
        ),
    };
    // A vendor's client whose agreement does not cover the learner sees no student at all, and
    // no vendor's client sees guardians (family data no agreement lists).
    if p.sharing.is_vendor() {
        let mut hidden = vec![Role::Guardian];
        if !p.sharing.shares(sharing::Kind::Learner) {
            hidden.push(Role::Student);
        }
        c = c.add(
            Expr::col(col.clone()).not_in_subquery(
                Query::select()
                    .column(user::Column::Id)
                    .from(user::Entity)
                    .and_where(user::Column::Role.is_in(hidden))
                    .to_owned(),
            ),
        );
    }
    // A family's opt-outs: of all sharing with vendors (every vendor's client), of directory
    // information (every vendor's client but a school official's).
    if p.sharing.is_vendor() {
        c = c.add(Expr::col(col.clone()).not_in_subquery(opted_out(p.sharing.hides_opted_out())));
    }
    match p.people {
        People::All => {}
        People::Only(person) => c = c.add(Expr::col(col).eq(person)),
        People::Family(guardian) => {
            c = c.add(
                Condition::any()
                    .add(Expr::col(col.clone()).eq(guardian))
                    .add(Expr::col(col).in_subquery(children_of(guardian))),
            )
        }
        People::Taught(teacher) => {
            let taught = Query::select()
                .column(enrollment::Column::ClassId)
                .from(enrollment::Entity)
                .and_where(enrollment::Column::UserId.eq(teacher))
                .and_where(enrollment::Column::Role.eq(Role::Teacher))
                .and_where(enrollment::Column::Status.eq(Status::Active))
                .to_owned();
            let students = Query::select()
                .column(enrollment::Column::UserId)
                .from(enrollment::Entity)
                .and_where(enrollment::Column::ClassId.in_subquery(taught))
                .and_where(enrollment::Column::Role.eq(Role::Student))
                .and_where(enrollment::Column::Status.eq(Status::Active))
                .to_owned();
            c = c.add(
                Condition::any().add(Expr::col(col.clone()).eq(teacher)).add(Expr::col(col).in_subquery(students)),
            );
        }
    }
    c
}

/// The students whose families opted out of sharing with vendors, and, with `directory`, of
/// directory information too.
pub fn opted_out(directory: bool) -> SelectStatement {
    let mut which = Condition::any().add(data_use_restriction::Column::VendorOptOut.eq(true));
    if directory {
        which = which.add(data_use_restriction::Column::DirectoryOptOut.eq(true));
    }
    Query::select()
        .column(data_use_restriction::Column::UserId)
        .from(data_use_restriction::Entity)
        .cond_where(which)
        .to_owned()
}

/// Who may read a student's access history (who saw or changed their records): the district
/// (an administrator or a tool holding `admin` district-wide), the student themself, and their
/// guardians. `learner` must already be visible to the principal (a guardian sees only their
/// own children).
pub fn may_read_access_history(p: &Principal, learner: i64) -> bool {
    match p.people {
        People::Only(me) => me == learner,
        People::Family(_) => true,
        People::All | People::Taught(_) => is_district_admin(p),
    }
}

/// The district's administration: a signed-in district administrator (the only person
/// `admin` is granted to), or one of the district's own tools holding `admin` over the whole
/// district. Never a vendor's client, a school's people or a tool limited to schools.
pub fn is_district_admin(p: &Principal) -> bool {
    if !p.has(Scope::Admin) || p.sharing.is_vendor() {
        return false;
    }
    match &p.actor {
        Actor::User { role, .. } => *role == Role::Administrator,
        Actor::Client { .. } => p.orgs == OrgAccess::All,
        Actor::System => true,
        Actor::Anonymous => false,
    }
}

/// The students a guardian is rostered as an agent of: a student's `agentSourcedIds` naming
/// the guardian, or the guardian's naming the student (OneRoster allows either side).
pub fn children_of(guardian: i64) -> SelectStatement {
    let named_by_student = Query::select()
        .column(user_agent::Column::UserId)
        .from(user_agent::Entity)
        .and_where(user_agent::Column::AgentId.eq(guardian))
        .to_owned();
    let named_by_guardian = Query::select()
        .column(user_agent::Column::AgentId)
        .from(user_agent::Entity)
        .and_where(user_agent::Column::UserId.eq(guardian))
        .to_owned();
    Query::select()
        .column(user::Column::Id)
        .from(user::Entity)
        .and_where(user::Column::Role.eq(Role::Student))
        .cond_where(
            Condition::any()
                .add(user::Column::Id.in_subquery(named_by_student))
                .add(user::Column::Id.in_subquery(named_by_guardian)),
        )
        .to_owned()
}

/// Decisions that belong to the district (redesign stages and money, competency frameworks):
/// `scope` and authority over the whole district, meaning a district-wide tool, a tool granted
/// the district org, or a district administrator. A school's people never qualify.
pub fn require_district(p: &Principal, scope: Scope, district_id: i64) -> AppResult<()> {
    p.require(scope)?;
    let over_district = match &p.orgs {
        OrgAccess::All => true,
        OrgAccess::Only { orgs, .. } => orgs.contains(&district_id),
    };
    let role_ok = match &p.actor {
        Actor::User { role, .. } => *role == Role::Administrator,
        Actor::Client { .. } | Actor::System => true,
        Actor::Anonymous => false,
    };
    if over_district && role_ok {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "only the district (a district administrator or a district-wide tool) may do this; a school's people \
             and tools limited to schools may not"
                .into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DISTRICT: i64 = 1;
    const SCHOOL: i64 = 10;

    fn names(scopes: &BTreeSet<Scope>) -> Vec<&'static str> {
        scopes.iter().map(|s| s.as_str()).collect()
    }

    #[test]
    fn each_role_is_capped_to_exactly_its_scopes() {
        let student = [
            "roster.read",
            "profiles.read",
            "profiles.write",
            "playlists.read",
            "playlists.write",
            "progress.read",
            "win.read",
            "win.write",
            "https://purl.imsglobal.org/spec/or/v1p2/scope/roster-core.readonly",
            "https://purl.imsglobal.org/spec/or/v1p2/scope/gradebook.readonly",
        ];
        let teacher_extra = [
            "profiles.sensitive.read",
            "progress.write",
            "gradebook.write",
            "gradebook.delete",
            "redesign.read",
            "https://purl.imsglobal.org/spec/or/v1p2/scope/gradebook.createput",
            "https://purl.imsglobal.org/spec/or/v1p2/scope/gradebook.delete",
        ];
        let admin_extra = ["roster.write", "redesign.write"];
        let sorted = |v: Vec<&'static str>| {
            let mut v = v;
            v.sort_unstable();
            v
        };
        let cases: [(Role, bool, Vec<&str>); 6] = [
            (Role::Student, false, student.to_vec()),
            (Role::Student, true, student.to_vec()),
            (Role::Teacher, false, [&student[..], &teacher_extra[..]].concat()),
            (Role::Teacher, true, [&student[..], &teacher_extra[..]].concat()),
            (Role::Administrator, false, [&student[..], &teacher_extra[..], &admin_extra[..]].concat()),
            (Role::Administrator, true, Scope::ALL.iter().map(|s| s.as_str()).collect()),
        ];
        for (role, district_admin, want) in cases {
            assert_eq!(
                sorted(names(&role_scopes(role, district_admin))),
                sorted(want),
                "{role} (district administrator: {district_admin})"
            );
        }
    }

    fn principal(actor: Actor, scopes: &[Scope], orgs: OrgAccess) -> Principal {
        Principal {
            actor,
            scopes: scopes.iter().copied().collect(),
            orgs,
            people: People::All,
            trail: Default::default(),
            sharing: Default::default(),
        }
    }

    fn user(role: Role) -> Actor {
        Actor::User { client_id: "front".into(), user_id: 7, sourced_id: "u-7".into(), role }
    }

    #[test]
    fn district_decisions_need_the_scope_the_district_and_no_school_person() {
        let tool = || Actor::Client { client_id: "tool".into() };
        let district = || OrgAccess::Only { orgs: vec![DISTRICT, SCHOOL], ancestors: vec![] };
        let school = || OrgAccess::Only { orgs: vec![SCHOOL], ancestors: vec![DISTRICT] };
        let w = &[Scope::ProgressWrite][..];
        // (who, principal, allowed?)
        let cases = [
            ("district-wide tool", principal(tool(), w, OrgAccess::All), true),
            ("tool granted the district", principal(tool(), w, district()), true),
            ("tool limited to a school", principal(tool(), w, school()), false),
            ("district-wide tool without the scope", principal(tool(), &[Scope::ProgressRead], OrgAccess::All), false),
            ("district administrator", principal(user(Role::Administrator), w, district()), true),
            ("school administrator", principal(user(Role::Administrator), w, school()), false),
            ("teacher over the district's orgs", principal(user(Role::Teacher), w, district()), false),
            ("student over the district's orgs", principal(user(Role::Student), w, district()), false),
            ("the service itself", principal(Actor::System, w, OrgAccess::All), true),
            ("anonymous", principal(Actor::Anonymous, &[], OrgAccess::All), false),
        ];
        for (who, p, allowed) in cases {
            let got = require_district(&p, Scope::ProgressWrite, DISTRICT);
            assert_eq!(got.is_ok(), allowed, "{who}: {got:?}");
            match (who, got) {
                ("anonymous", Err(e)) => assert!(matches!(e, AppError::Unauthenticated), "{who}: {e:?}"),
                (_, Err(e)) => assert!(matches!(e, AppError::Forbidden(_)), "{who}: {e:?}"),
                (_, Ok(())) => {}
            }
        }
        // Another district's decisions are refused even to this district's administrator.
        let admin = principal(user(Role::Administrator), w, district());
        assert!(matches!(require_district(&admin, Scope::ProgressWrite, 2), Err(AppError::Forbidden(_))));
    }

    #[test]
    fn a_grant_covers_the_orgs_below_it_and_nothing_beside_it() {
        let o = |id, parent| (id, parent, format!("o-{id}"), OrgType::School);
        // District 1 -> region 2 -> schools 3 and 4; district 5 -> school 6.
        let all = [o(1, None), o(2, Some(1)), o(3, Some(2)), o(4, Some(2)), o(5, None), o(6, Some(5))];
        let below = |roots: &[i64]| with_descendants(&all, roots.iter().copied().collect());
        assert_eq!(below(&[1]), BTreeSet::from([1, 2, 3, 4]));
        assert_eq!(below(&[2]), BTreeSet::from([2, 3, 4]));
        assert_eq!(below(&[3]), BTreeSet::from([3]));
        assert_eq!(below(&[3, 6]), BTreeSet::from([3, 6]));
        assert_eq!(below(&[]), BTreeSet::new());
    }
}

#[cfg(test)]
mod visibility_tests;
