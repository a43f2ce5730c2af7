//! The principal: the verified identity behind a request, with the scopes its token grants and
//! the orgs it is limited to. Every resolver and store function receives one; an anonymous
//! principal holds no scope, so everything is denied by default.

use std::{collections::BTreeSet, fmt, str::FromStr};

use crate::error::AppError;

/// OAuth 2.0 scopes (see PRODUCT.md). Each GraphQL field declares the one it needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    RosterRead,
    RosterWrite,
    ProfilesRead,
    ProfilesWrite,
    ProfilesSensitiveRead,
    /// Students' demographics (never in a default read).
    DemographicsRead,
    PlaylistsRead,
    PlaylistsWrite,
    ProgressRead,
    ProgressWrite,
    WinRead,
    WinWrite,
    RedesignRead,
    RedesignWrite,
    /// The OneRoster gradebook's writes (categories, line items, results, score scales): what
    /// an LMS's grade passback needs, and no more (`progress.write` also edits frameworks and
    /// corrects mastery).
    GradebookWrite,
    /// Deleting the OneRoster gradebook's records.
    GradebookDelete,
    Admin,
    /// OneRoster 1.2's scopes, granted to clients registered for them and mapped onto
    /// learnergraph's own by [`Scope::implied`]: a vendor's OneRoster client asks for these,
    /// and the same rules then apply to it whichever API it calls.
    OneRosterCoreRead,
    OneRosterRead,
    OneRosterDemographicsRead,
    OneRosterGradebookRead,
    OneRosterGradebookCreatePut,
    OneRosterGradebookDelete,
}

impl Scope {
    pub const ALL: [Scope; 23] = [
        Scope::RosterRead,
        Scope::RosterWrite,
        Scope::ProfilesRead,
        Scope::ProfilesWrite,
        Scope::ProfilesSensitiveRead,
        Scope::DemographicsRead,
        Scope::PlaylistsRead,
        Scope::PlaylistsWrite,
        Scope::ProgressRead,
        Scope::ProgressWrite,
        Scope::WinRead,
        Scope::WinWrite,
        Scope::RedesignRead,
        Scope::RedesignWrite,
        Scope::GradebookWrite,
        Scope::GradebookDelete,
        Scope::Admin,
        Scope::OneRosterCoreRead,
        Scope::OneRosterRead,
        Scope::OneRosterDemographicsRead,
        Scope::OneRosterGradebookRead,
        Scope::OneRosterGradebookCreatePut,
        Scope::OneRosterGradebookDelete,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Scope::RosterRead => "roster.read",
            Scope::RosterWrite => "roster.write",
            Scope::ProfilesRead => "profiles.read",
            Scope::ProfilesWrite => "profiles.write",
            Scope::ProfilesSensitiveRead => "profiles.sensitive.read",
            Scope::DemographicsRead => "roster.demographics.read",
            Scope::PlaylistsRead => "playlists.read",
            Scope::PlaylistsWrite => "playlists.write",
            Scope::ProgressRead => "progress.read",
            Scope::ProgressWrite => "progress.write",
            Scope::WinRead => "win.read",
            Scope::WinWrite => "win.write",
            Scope::RedesignRead => "redesign.read",
            Scope::RedesignWrite => "redesign.write",
            Scope::GradebookWrite => "gradebook.write",
            Scope::GradebookDelete => "gradebook.delete",
            Scope::Admin => "admin",
            Scope::OneRosterCoreRead => "https://purl.imsglobal.org/spec/or/v1p2/scope/roster-core.readonly",
            Scope::OneRosterRead => "https://purl.imsglobal.org/spec/or/v1p2/scope/roster.readonly",
            Scope::OneRosterDemographicsRead => {
                "https://purl.imsglobal.org/spec/or/v1p2/scope/roster-demographics.readonly"
            }
            Scope::OneRosterGradebookRead => "https://purl.imsglobal.org/spec/or/v1p2/scope/gradebook.readonly",
            Scope::OneRosterGradebookCreatePut => "https://purl.imsglobal.org/spec/or/v1p2/scope/gradebook.createput",
            Scope::OneRosterGradebookDelete => "https://purl.imsglobal.org/spec/or/v1p2/scope/gradebook.delete",
        }
    }

    /// learnergraph's own scopes a OneRoster scope stands for (OneRoster 1.2 REST binding:
    /// `roster.readonly` is every rostering read, demographics included; `roster-core` all
    /// but demographics). The policy only ever asks for learnergraph's scopes, so a OneRoster
    /// client meets exactly the rules a GraphQL client does.
    pub fn implied(self) -> &'static [Scope] {
        match self {
            Scope::OneRosterCoreRead => &[Scope::RosterRead],
            Scope::OneRosterRead => &[Scope::RosterRead, Scope::DemographicsRead],
            Scope::OneRosterDemographicsRead => &[Scope::DemographicsRead],
            Scope::OneRosterGradebookRead => &[Scope::ProgressRead],
            Scope::OneRosterGradebookCreatePut => &[Scope::GradebookWrite],
            Scope::OneRosterGradebookDelete => &[Scope::GradebookDelete],
            _ => &[],
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Scope {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Scope::ALL.into_iter().find(|scope| scope.as_str() == s).ok_or_else(|| format!("unknown scope `{s}`"))
    }
}

/// Parses a space-separated scope list (RFC 6749 §3.3), refusing unknown scopes.
pub fn parse_scopes(list: &str) -> Result<BTreeSet<Scope>, String> {
    list.split_whitespace().map(str::parse).collect()
}

/// Renders scopes as the space-separated list OAuth uses.
pub fn format_scopes<'a>(scopes: impl IntoIterator<Item = &'a Scope>) -> String {
    scopes.into_iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" ")
}

/// Who stands behind the request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Actor {
    /// No credentials: holds no scope.
    Anonymous,
    /// A tool acting for itself (client credentials grant).
    Client { client_id: String },
    /// A person signed in through a front end (authorization code grant).
    User { client_id: String, user_id: i64, sourced_id: String, role: entity::Role },
    /// The service itself (CLI seeding and maintenance).
    System,
}

/// Which orgs a principal's data access is limited to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OrgAccess {
    /// The whole district.
    All,
    /// These orgs (database ids: the granted orgs and every school below them), and the
    /// ancestors of those orgs, which may be named but whose other schools stay hidden.
    Only { orgs: Vec<i64>, ancestors: Vec<i64> },
}

/// Which people a principal may see within its orgs: relationships for signed-in people.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum People {
    /// Everyone in the orgs (tools, administrators).
    All,
    /// A teacher: themself and the students enrolled in classes they teach.
    Taught(i64),
    /// A student: only themself.
    Only(i64),
    /// A guardian (parent, relative): themself and the students they are rostered as an agent
    /// of, read-only.
    Family(i64),
}

impl People {
    /// Whether the principal is a student or a guardian, who see their own (or their
    /// children's) records and never staff's views or tools' powers.
    pub fn is_family(self) -> bool {
        matches!(self, People::Only(_) | People::Family(_))
    }
}

/// The verified caller.
#[derive(Clone, Debug)]
pub struct Principal {
    pub actor: Actor,
    pub scopes: BTreeSet<Scope>,
    pub orgs: OrgAccess,
    pub people: People,
    /// The students this request has been shown; see [`Principal::reveal`].
    pub trail: crate::audit::Trail,
    /// Under what terms it sees student data: the district's own, or a vendor's agreement.
    pub sharing: super::policy::sharing::Sharing,
}

impl Principal {
    pub fn anonymous() -> Self {
        Principal {
            actor: Actor::Anonymous,
            scopes: BTreeSet::new(),
            orgs: OrgAccess::Only { orgs: vec![], ancestors: vec![] },
            people: People::Only(0),
            trail: Default::default(),
            sharing: Default::default(),
        }
    }

    /// The CLI's principal: every scope, the whole district.
    pub fn system() -> Self {
        Principal {
            actor: Actor::System,
            scopes: Scope::ALL.into_iter().collect(),
            orgs: OrgAccess::All,
            people: People::All,
            trail: Default::default(),
            sharing: Default::default(),
        }
    }

    /// Whether an org is one the principal may read (its own orgs and their ancestors).
    pub fn may_see_org(&self, org_id: i64) -> bool {
        match &self.orgs {
            OrgAccess::All => true,
            OrgAccess::Only { orgs, ancestors } => orgs.contains(&org_id) || ancestors.contains(&org_id),
        }
    }

    /// Whether records owned by an org are the principal's: one of its granted orgs (not their
    /// ancestors). The in-memory twin of `policy::owned_by_granted_org`.
    pub fn owns_org(&self, org_id: i64) -> bool {
        match &self.orgs {
            OrgAccess::All => true,
            OrgAccess::Only { orgs, .. } => orgs.contains(&org_id),
        }
    }

    /// Notes on the request's audit trail that these students' records leave the service
    /// layer for this principal. Every service function that returns or changes a
    /// learner-bearing record calls it, so the audit does not depend on the transport.
    pub fn reveal(&self, learners: impl IntoIterator<Item = i64>) {
        self.trail.note(learners);
    }

    pub fn has(&self, scope: Scope) -> bool {
        self.scopes.contains(&scope)
    }

    /// Fails unless the principal holds `scope`: unauthenticated for an anonymous caller,
    /// forbidden otherwise.
    pub fn require(&self, scope: Scope) -> Result<(), AppError> {
        if self.has(scope) {
            Ok(())
        } else if self.actor == Actor::Anonymous {
            Err(AppError::Unauthenticated)
        } else if self.sharing.withholds(scope) {
            Err(AppError::NotShared(format!(
                "the client's data-sharing agreement does not cover the data `{scope}` reads or writes"
            )))
        } else {
            Err(AppError::Forbidden(format!("this operation needs the `{scope}` scope")))
        }
    }

    /// `(kind, id)` recorded as the author of a change.
    pub fn actor_ref(&self) -> (entity::ActorKind, String) {
        use entity::ActorKind;
        match &self.actor {
            Actor::Anonymous => (ActorKind::Anonymous, String::new()),
            Actor::Client { client_id } => (ActorKind::Client, client_id.clone()),
            Actor::User { sourced_id, .. } => (ActorKind::User, sourced_id.clone()),
            Actor::System => (ActorKind::System, "learnergraph".to_owned()),
        }
    }

    /// The OAuth client the request came through.
    pub fn client_id(&self) -> Option<&str> {
        match &self.actor {
            Actor::Client { client_id } | Actor::User { client_id, .. } => Some(client_id),
            Actor::Anonymous | Actor::System => None,
        }
    }
}
