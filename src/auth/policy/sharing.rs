//! What a data-sharing agreement lets a vendor's client see of the district's students: the
//! student data elements (types, and for the learner and their profile, fields), in the form
//! an agreement names them, `Learner { sourcedId givenName familyName grades } Mastery`, in
//! the sense of Ed-Fi's API Profiles.
//!
//! The district's own clients (internal: school officials) need no agreement and see what their
//! scopes allow. A vendor's client sees only the elements of its agreement, while it holds
//! (between its start and end dates, not revoked); with no agreement it sees no student type
//! at all. The rules, applied for every transport:
//!
//! - a type outside the agreement is invisible: the scopes that read and write only it are
//!   withheld from the principal ([`Elements::allowed_scopes`]; asking for them answers
//!   `NOT_SHARED`), students are hidden from every list when `Learner` is not shared
//!   (`policy::user_id_visible`), and a GraphQL field answering a type outside the agreement
//!   answers null or an empty list ([`Field`]);
//! - a field outside the agreement answers null with the error code `NOT_SHARED` (GraphQL), or
//!   is left out of the record (OneRoster REST).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use crate::auth::Scope;

/// The student data types an agreement can name, in the order they are listed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Learner,
    Demographics,
    LearnerProfile,
    Playlist,
    PlaylistItem,
    Result,
    Mastery,
    WinPreference,
    WinAssignment,
}

/// One kind's place in the catalogue.
struct Entry {
    kind: Kind,
    /// The GraphQL type an agreement names it by.
    name: &'static str,
    /// Fields every reader of the type gets: the record's identity and sync metadata.
    always: &'static [&'static str],
    /// Fields an agreement may list one by one; empty: the type is shared whole.
    attributes: &'static [&'static str],
    /// Fields leading to other records, governed by their own type's place in the agreement.
    /// Under a field list, any field in none of these three lists answers `NOT_SHARED`.
    relations: &'static [&'static str],
    /// Other GraphQL types holding the same data (reached through it or about it).
    also: &'static [&'static str],
    /// The kinds that must be shared with it (a student's records name the student).
    needs: &'static [Kind],
}

const CATALOGUE: [Entry; 9] = [
    Entry {
        kind: Kind::Learner,
        name: "Learner",
        always: &["id", "sourcedId", "status", "dateLastModified"],
        attributes: &[
            "givenName",
            "familyName",
            "preferredName",
            "middleName",
            "username",
            "email",
            "identifier",
            "pronouns",
            "grades",
        ],
        relations: &[
            "schools",
            "enrollments",
            "demographics",
            "profile",
            "playlists",
            "mastery",
            "winHistory",
            "dataUse",
            "accessHistory",
        ],
        also: &[],
        needs: &[],
    },
    Entry {
        kind: Kind::Demographics,
        name: "Demographics",
        always: &[],
        attributes: &[],
        relations: &[],
        also: &[],
        needs: &[Kind::Learner],
    },
    Entry {
        kind: Kind::LearnerProfile,
        name: "LearnerProfile",
        always: &["id", "version", "createdAt", "dateLastModified", "learner"],
        attributes: &[
            "strengths",
            "interests",
            "goals",
            "learningPreferences",
            "accommodations",
            "supportNotes",
            "revisions",
        ],
        relations: &[],
        also: &["ProfileRevision", "ProfileChange"],
        needs: &[Kind::Learner],
    },
    Entry {
        kind: Kind::Playlist,
        name: "Playlist",
        always: &[],
        attributes: &[],
        relations: &[],
        also: &["LearnerPlaylistProgress"],
        needs: &[Kind::Learner],
    },
    Entry {
        kind: Kind::PlaylistItem,
        name: "PlaylistItem",
        always: &[],
        attributes: &[],
        relations: &[],
        also: &["ItemTransition"],
        needs: &[Kind::Learner, Kind::Playlist],
    },
    Entry {
        kind: Kind::Result,
        name: "Result",
        always: &[],
        attributes: &[],
        relations: &[],
        also: &["ResultOverride", "PostedResult"],
        needs: &[Kind::Learner],
    },
    Entry {
        kind: Kind::Mastery,
        name: "Mastery",
        always: &[],
        attributes: &[],
        relations: &[],
        also: &["MasteryGap"],
        needs: &[Kind::Learner],
    },
    Entry {
        kind: Kind::WinPreference,
        name: "WinPreference",
        always: &[],
        attributes: &[],
        relations: &[],
        also: &["WinChoiceReview", "ReviewedChoice", "WinStudent"],
        needs: &[Kind::Learner],
    },
    Entry {
        kind: Kind::WinAssignment,
        name: "WinAssignment",
        always: &[],
        attributes: &[],
        relations: &[],
        also: &["AbsentLearner"],
        needs: &[Kind::Learner],
    },
];

fn entry(kind: Kind) -> &'static Entry {
    // The catalogue lists the kinds in their declared order (a test holds it to that).
    &CATALOGUE[kind as usize]
}

/// The kind a GraphQL type's data belongs to, if it is student data.
pub fn kind_of_type(type_name: &str) -> Option<Kind> {
    CATALOGUE.iter().find(|e| e.name == type_name || e.also.contains(&type_name)).map(|e| e.kind)
}

/// The fields of a type an agreement may list, and those every reader gets (for the
/// documentation and the schema test).
pub fn catalogue() -> impl Iterator<Item = (&'static str, &'static [&'static str], &'static [&'static str])> {
    CATALOGUE.iter().map(|e| (e.name, e.always, e.attributes))
}

/// The student data elements an agreement covers: each shared kind, with the fields listed
/// (`None`: all of them).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Elements(BTreeMap<Kind, Option<BTreeSet<&'static str>>>);

impl Elements {
    /// Parses `Learner { sourcedId givenName } Result Mastery`: type names, each optionally
    /// followed by the fields shared, in braces. Refuses unknown types and fields, fields of a
    /// type shared only whole, repeated types, and types shared without those they need.
    pub fn parse(text: &str) -> Result<Elements, String> {
        let spaced = text.replace('{', " { ").replace('}', " } ").replace(',', " ");
        let mut words = spaced.split_whitespace().peekable();
        let mut out = BTreeMap::new();
        while let Some(word) = words.next() {
            if word == "{" || word == "}" {
                return Err(format!("`{word}` must follow a type name"));
            }
            let Some(e) = CATALOGUE.iter().find(|e| e.name == word) else {
                let names: Vec<&str> = CATALOGUE.iter().map(|e| e.name).collect();
                return Err(format!(
                    "`{word}` is not a student data type an agreement can name ({})",
                    names.join(", ")
                ));
            };
            let fields = if words.peek() == Some(&"{") {
                words.next();
                let mut fields = BTreeSet::new();
                loop {
                    match words.next() {
                        None => return Err(format!("`{}` has a `{{` with no `}}`", e.name)),
                        Some("}") => break,
                        Some("{") => return Err(format!("`{}`: fields do not nest", e.name)),
                        Some(f) if e.always.contains(&f) => {}
                        Some(f) => match e.attributes.iter().find(|a| **a == f) {
                            Some(a) => {
                                fields.insert(*a);
                            }
                            None if e.attributes.is_empty() => {
                                return Err(format!("`{}` is shared whole: name it without fields", e.name));
                            }
                            None => {
                                return Err(format!(
                                    "`{f}` is not a field of `{}` an agreement can list ({})",
                                    e.name,
                                    e.attributes.join(", ")
                                ));
                            }
                        },
                    }
                }
                (fields.len() < e.attributes.len()).then_some(fields)
            } else {
                None
            };
            if out.insert(e.kind, fields).is_some() {
                return Err(format!("`{}` is named twice", e.name));
            }
        }
        for kind in out.keys() {
            if let Some(missing) = entry(*kind).needs.iter().find(|n| !out.contains_key(n)) {
                return Err(format!("`{}` needs `{}` as well", entry(*kind).name, entry(*missing).name));
            }
        }
        Ok(Elements(out))
    }

    /// The canonical text: catalogue order, fields in catalogue order, braces only when the
    /// type is not shared whole.
    pub fn to_text(&self) -> String {
        let mut parts = Vec::new();
        for (kind, fields) in &self.0 {
            let e = entry(*kind);
            match fields {
                None => parts.push(e.name.to_owned()),
                Some(fields) => {
                    let listed: Vec<&str> = e.attributes.iter().copied().filter(|a| fields.contains(a)).collect();
                    parts.push(format!("{} {{ {} }}", e.name, [&["sourcedId"][..], &listed[..]].concat().join(" ")));
                }
            }
        }
        parts.join(" ")
    }

    pub fn shares(&self, kind: Kind) -> bool {
        self.0.contains_key(&kind)
    }

    /// Whether the kind is shared with every one of its fields.
    pub fn shares_whole(&self, kind: Kind) -> bool {
        matches!(self.0.get(&kind), Some(None))
    }

    fn shares_field(&self, kind: Kind, field: &str) -> bool {
        match self.0.get(&kind) {
            None => false,
            Some(None) => true,
            Some(Some(fields)) => {
                let e = entry(kind);
                e.always.contains(&field) || fields.contains(field) || e.relations.contains(&field)
            }
        }
    }

    /// The scopes a vendor's client keeps of `scopes` under these elements: a scope that
    /// reads or writes only student types outside them is withheld, as is administration (the
    /// district's alone) and the roster's writes unless the learner is shared whole. OneRoster
    /// scopes stay only when everything they stand for does.
    pub fn allowed_scopes(&self, scopes: &BTreeSet<Scope>) -> BTreeSet<Scope> {
        use Scope::*;
        let profile_sensitive = match self.0.get(&Kind::LearnerProfile) {
            None => false,
            Some(None) => true,
            Some(Some(f)) => f.contains("accommodations") || f.contains("supportNotes"),
        };
        let keep = |s: Scope| match s {
            Admin => false,
            RosterWrite => self.shares_whole(Kind::Learner),
            RosterRead | RedesignRead | RedesignWrite => true,
            DemographicsRead => self.shares(Kind::Demographics),
            ProfilesRead => self.shares(Kind::LearnerProfile),
            // Writing a profile changes fields an agreement may not list: only when it is
            // shared whole.
            ProfilesWrite => self.shares_whole(Kind::LearnerProfile),
            ProfilesSensitiveRead => profile_sensitive,
            PlaylistsRead | PlaylistsWrite => self.shares(Kind::Playlist),
            ProgressRead => self.shares(Kind::Result) || self.shares(Kind::Mastery),
            ProgressWrite | GradebookWrite | GradebookDelete => self.shares(Kind::Result),
            WinRead | WinWrite => self.shares(Kind::WinPreference) || self.shares(Kind::WinAssignment),
            OneRosterCoreRead
            | OneRosterRead
            | OneRosterDemographicsRead
            | OneRosterGradebookRead
            | OneRosterGradebookCreatePut
            | OneRosterGradebookDelete => true,
        };
        let kept: BTreeSet<Scope> = scopes.iter().copied().filter(|s| keep(*s)).collect();
        kept.iter().copied().filter(|s| s.implied().iter().all(|i| kept.contains(i))).collect()
    }
}

/// Under what terms a principal sees student data.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Sharing {
    /// The district's own clients and people, and the service itself: what the scopes allow.
    #[default]
    District,
    /// A vendor's client: only the elements of its agreement (none without one).
    Agreement(Arc<Terms>),
}

/// The agreement a vendor's client is served under.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Terms {
    /// The agreement's public id; `None` for a vendor's client bound to no agreement.
    pub agreement_id: Option<String>,
    /// Signed under FERPA's school-official exception.
    pub school_official: bool,
    pub elements: Elements,
    /// The scopes the client was granted that the agreement withholds.
    pub withheld: BTreeSet<Scope>,
    /// The agreement's last day.
    pub ends_on: Option<chrono::NaiveDate>,
}

/// How a GraphQL field of a student type answers under an agreement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    /// As usual.
    Shared,
    /// Null, with the error code `NOT_SHARED`.
    NotShared,
    /// Its type is outside the agreement: null or an empty list, as if there were none.
    Invisible,
}

impl Sharing {
    pub fn shares(&self, kind: Kind) -> bool {
        match self {
            Sharing::District => true,
            Sharing::Agreement(t) => t.elements.shares(kind),
        }
    }

    /// Whether a Learner attribute (GraphQL field name) is shared.
    pub fn shares_learner_field(&self, field: &str) -> bool {
        match self {
            Sharing::District => true,
            Sharing::Agreement(t) => t.elements.shares_field(Kind::Learner, field),
        }
    }

    /// Whether the learner is shared with every attribute.
    pub fn shares_learner_whole(&self) -> bool {
        match self {
            Sharing::District => true,
            Sharing::Agreement(t) => t.elements.shares_whole(Kind::Learner),
        }
    }

    /// The agreement's public id, for the audit.
    pub fn agreement_id(&self) -> Option<&str> {
        match self {
            Sharing::District => None,
            Sharing::Agreement(t) => t.agreement_id.as_deref(),
        }
    }

    /// Whether the principal is a vendor's client (bound to an agreement or to none).
    pub fn is_vendor(&self) -> bool {
        matches!(self, Sharing::Agreement(_))
    }

    /// Whether students who opted out of directory information are hidden: from every
    /// vendor's client except one acting under a school-official agreement.
    pub fn hides_opted_out(&self) -> bool {
        match self {
            Sharing::District => false,
            Sharing::Agreement(t) => !t.school_official,
        }
    }

    /// Whether the agreement's term ended before `today`.
    pub fn ended(&self, today: chrono::NaiveDate) -> bool {
        matches!(self, Sharing::Agreement(t) if t.ends_on.is_some_and(|end| today > end))
    }

    /// Whether `scope` was granted but is withheld by the agreement.
    pub fn withholds(&self, scope: Scope) -> bool {
        match self {
            Sharing::District => false,
            Sharing::Agreement(t) => t.withheld.contains(&scope),
        }
    }

    /// How the field `field` of `parent` (returning `returns`, a GraphQL type name) answers.
    pub fn field(&self, parent: &str, field: &str, returns: &str) -> Field {
        let Sharing::Agreement(t) = self else { return Field::Shared };
        // Students outside the agreement are already left out of every list and lookup by
        // the policy's conditions (`user_id_visible`): a learner list answers empty.
        if let Some(kind) = kind_of_type(returns)
            && kind != Kind::Learner
            && !t.elements.shares(kind)
        {
            return Field::Invisible;
        }
        match kind_of_type(parent) {
            Some(kind) if !t.elements.shares(kind) => Field::Invisible,
            Some(kind) if !t.elements.shares_field(kind, field) => Field::NotShared,
            // A student's name (or email...) shown by another student type (a WIN roster's
            // `WinStudent.givenName`) follows the learner's field list.
            Some(kind)
                if kind != Kind::Learner
                    && entry(Kind::Learner).attributes.contains(&field)
                    && !t.elements.shares_field(Kind::Learner, field) =>
            {
                Field::NotShared
            }
            _ => Field::Shared,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalogue_lists_each_kind_at_its_index() {
        for (i, e) in CATALOGUE.iter().enumerate() {
            assert_eq!(e.kind as usize, i, "{}", e.name);
        }
    }

    #[test]
    fn elements_parse_to_a_canonical_text() {
        let e = Elements::parse("Learner { sourcedId givenName familyName grades } Result Mastery").unwrap();
        assert_eq!(e.to_text(), "Learner { sourcedId givenName familyName grades } Result Mastery");
        // Order, commas and repeated always-shared fields do not matter; a full list is whole.
        let e = Elements::parse("Mastery,Learner{grades familyName id givenName}").unwrap();
        assert_eq!(e.to_text(), "Learner { sourcedId givenName familyName grades } Mastery");
        let all = CATALOGUE[0].attributes.join(" ");
        assert_eq!(Elements::parse(&format!("Learner {{ {all} }}")).unwrap().to_text(), "Learner");
        assert_eq!(Elements::parse("").unwrap(), Elements::default());
    }

    #[test]
    fn elements_refuse_what_is_not_in_the_catalogue() {
        let refused = [
            ("School", "not a student data type"),
            ("Learner { ssn }", "`ssn` is not a field of `Learner`"),
            ("Learner Result { score }", "`Result` is shared whole"),
            ("Learner Learner", "named twice"),
            ("Mastery", "`Mastery` needs `Learner`"),
            ("Learner PlaylistItem", "`PlaylistItem` needs `Playlist`"),
            ("Learner { givenName", "no `}`"),
            ("{ givenName }", "must follow a type name"),
            ("Learner { { } }", "do not nest"),
        ];
        for (text, why) in refused {
            let err = Elements::parse(text).expect_err(text);
            assert!(err.contains(why), "{text}: {err}");
        }
    }

    #[test]
    fn scopes_follow_the_types_shared() {
        use Scope::*;
        let all: BTreeSet<Scope> = Scope::ALL.into_iter().collect();
        let kept = |text: &str| Elements::parse(text).unwrap().allowed_scopes(&all);
        let base = [RosterRead, RedesignRead, RedesignWrite, OneRosterCoreRead];
        assert_eq!(kept(""), BTreeSet::from(base));
        assert_eq!(kept("Learner { givenName }"), BTreeSet::from(base));
        assert_eq!(kept("Learner"), BTreeSet::from_iter(base.into_iter().chain([RosterWrite])));
        assert_eq!(
            kept("Learner { givenName } Mastery"),
            BTreeSet::from_iter(base.into_iter().chain([ProgressRead, OneRosterGradebookRead]))
        );
        let results = kept("Learner { givenName } Result");
        for s in [ProgressRead, ProgressWrite, GradebookWrite, GradebookDelete, OneRosterGradebookCreatePut] {
            assert!(results.contains(&s), "{s}");
        }
        assert!(!results.contains(&Admin) && !results.contains(&ProfilesRead) && !results.contains(&DemographicsRead));
        let profile = kept("Learner LearnerProfile { strengths }");
        assert!(profile.contains(&ProfilesRead) && !profile.contains(&ProfilesSensitiveRead));
        assert!(!profile.contains(&ProfilesWrite) && kept("Learner LearnerProfile").contains(&ProfilesWrite));
        assert!(kept("Learner LearnerProfile { supportNotes }").contains(&ProfilesSensitiveRead));
        let demo = kept("Learner Demographics");
        assert!(demo.contains(&DemographicsRead) && demo.contains(&OneRosterRead));
        assert!(!kept("Learner").contains(&OneRosterRead), "OneRoster's full read includes demographics");
    }

    #[test]
    fn fields_answer_by_the_agreement() {
        let terms = |text: &str| {
            Sharing::Agreement(Arc::new(Terms {
                agreement_id: Some("dsa_1".into()),
                school_official: false,
                elements: Elements::parse(text).unwrap(),
                withheld: BTreeSet::new(),
                ends_on: None,
            }))
        };
        let s = terms("Learner { givenName } Mastery");
        assert_eq!(s.field("Learner", "givenName", "String"), Field::Shared);
        assert_eq!(s.field("Learner", "sourcedId", "String"), Field::Shared);
        assert_eq!(s.field("Learner", "email", "String"), Field::NotShared);
        assert_eq!(s.field("Learner", "schools", "School"), Field::Shared);
        assert_eq!(s.field("Learner", "mastery", "Mastery"), Field::Shared);
        assert_eq!(s.field("Learner", "profile", "LearnerProfile"), Field::Invisible);
        assert_eq!(s.field("Learner", "playlists", "Playlist"), Field::Invisible);
        assert_eq!(s.field("MasteryGap", "level", "MasteryLevel"), Field::Shared);
        let win = terms("Learner { sourcedId } WinPreference");
        assert_eq!(win.field("WinStudent", "givenName", "String"), Field::NotShared);
        assert_eq!(win.field("WinStudent", "sourcedId", "String"), Field::Shared);
        assert_eq!(s.field("Query", "school", "School"), Field::Shared);
        assert_eq!(s.field("Class", "learners", "LearnerConnection"), Field::Shared);
        let p = terms("Learner LearnerProfile { strengths }");
        assert_eq!(p.field("LearnerProfile", "strengths", "String"), Field::Shared);
        assert_eq!(p.field("LearnerProfile", "supportNotes", "String"), Field::NotShared);
        assert_eq!(p.field("LearnerProfile", "revisions", "ProfileRevisionConnection"), Field::NotShared);
        assert_eq!(Sharing::District.field("Learner", "email", "String"), Field::Shared);
        assert_eq!(terms("").field("Result", "score", "Float"), Field::Invisible);
        // A field the catalogue does not know is not shared under a field list.
        assert_eq!(s.field("Learner", "somethingNew", "String"), Field::NotShared);
        assert_eq!(terms("Learner").field("Learner", "somethingNew", "String"), Field::Shared);
    }

    #[test]
    fn the_catalogue_names_every_field_of_the_types_shared_field_by_field() {
        use async_graphql::parser::types::{TypeKind, TypeSystemDefinition};
        let sdl = include_str!("../../../schema.graphql");
        let doc = async_graphql::parser::parse_schema(sdl).expect("schema.graphql parses");
        for e in CATALOGUE.iter().filter(|e| !e.attributes.is_empty()) {
            let fields: Vec<String> = doc
                .definitions
                .iter()
                .find_map(|d| match d {
                    TypeSystemDefinition::Type(t) if t.node.name.node == e.name => match &t.node.kind {
                        TypeKind::Object(o) => Some(o.fields.iter().map(|f| f.node.name.node.to_string()).collect()),
                        _ => None,
                    },
                    _ => None,
                })
                .expect("the type is in the schema");
            let known: Vec<&str> = [e.always, e.attributes, e.relations].concat();
            for f in &fields {
                assert!(known.contains(&f.as_str()), "`{}.{f}` is in no list of the catalogue", e.name);
            }
            for k in known {
                assert!(fields.iter().any(|f| f == k), "the catalogue names `{}.{k}`, which the schema lacks", e.name);
            }
        }
    }
}
