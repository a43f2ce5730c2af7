//! `learnergraph sync oneroster`: the roster pulled from a SIS that serves the OneRoster 1.2
//! Rostering service (REST), page by page, into the same engine as a CSV import: the records
//! become a CSV set held in memory, checked, reported and kept in the import history exactly as
//! the SIS's files would be. The first sync reads everything and applies it as bulk files (what
//! the SIS no longer has is deleted); each later one asks only for what changed since the last
//! applied sync began (`filter=dateLastModified>'…'`, tombstones included) and applies it as
//! delta files.

use std::collections::HashMap;

use chrono::{DateTime, SecondsFormat, Utc};
use entity::roster_import;
use oauth2::{ClientId, ClientSecret, Scope as OAuthScope, TokenResponse, TokenUrl, basic::BasicClient};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
use serde_json::Value;

use super::{
    Options, Outcome, Report, history,
    import::apply,
    problems::Problems,
    records::{self, Kind},
    set::{MemoryFile, Mode},
};

/// A sync's settings.
pub struct Pull {
    /// The Rostering service's base, e.g. `https://sis.example/ims/oneroster/rostering/v1p2`.
    pub base_url: String,
    pub token_url: String,
    pub client_id: String,
    pub client_secret: String,
    /// Read only what changed after this time (a delta); `None`: after the last applied sync
    /// of this base, or everything for the first.
    pub since: Option<DateTime<Utc>>,
    pub with_demographics: bool,
    pub dry_run: bool,
    pub skip_invalid: bool,
    pub ran_by: String,
    /// Print progress and problems to standard error (the CLI).
    pub echo: bool,
}

/// How far before the last sync's start a delta reads: the SIS's clock and this one may differ,
/// and a record read twice is found unchanged.
const OVERLAP: chrono::TimeDelta = chrono::TimeDelta::minutes(5);

/// Records asked for per page (a server may send fewer: paging follows its total).
const PAGE: u64 = 1000;

/// The collections a sync reads, in the order the import applies them: path and envelope key,
/// and the file each becomes.
fn collections(with_demographics: bool) -> Vec<(&'static str, Kind)> {
    let mut out = vec![
        ("orgs", Kind::Orgs),
        ("academicSessions", Kind::AcademicSessions),
        ("courses", Kind::Courses),
        ("classes", Kind::Classes),
        ("users", Kind::Users),
        ("enrollments", Kind::Enrollments),
    ];
    if with_demographics {
        out.push(("demographics", Kind::Demographics));
    }
    out
}

/// Where the import history keeps a sync of `base`.
fn source_of(base: &str) -> String {
    format!("OneRoster REST {base}")
}

/// When the last applied sync of `source` began.
async fn last_sync(db: &DatabaseConnection, source: &str) -> anyhow::Result<Option<DateTime<Utc>>> {
    let last = roster_import::Entity::find()
        .filter(roster_import::Column::Source.eq(source))
        .filter(roster_import::Column::DryRun.eq(false))
        .filter(roster_import::Column::Outcome.is_in([Outcome::Applied.as_str(), Outcome::AppliedWithSkips.as_str()]))
        .order_by_desc(roster_import::Column::StartedAt)
        .one(db)
        .await?;
    Ok(last.map(|r| r.started_at))
}

/// Pulls the roster and applies it; the report is the import's.
pub async fn pull(db: &DatabaseConnection, p: Pull) -> anyhow::Result<Report> {
    let base = p.base_url.trim_end_matches('/').to_owned();
    let base_url = reqwest::Url::parse(&base).map_err(|e| anyhow::anyhow!("--base-url `{base}`: {e}"))?;
    let source = source_of(&base);
    let since = match p.since {
        Some(t) => Some(t),
        None => last_sync(db, &source).await?.map(|t| t - OVERLAP),
    };
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(120))
        .build()?;
    let token = token(&http, &p).await?;
    let started = crate::db::now();
    let mode = if since.is_some() { Mode::Delta } else { Mode::Bulk };
    if p.echo {
        match since {
            Some(t) => eprintln!("progress: reading what changed at {base} since {}", stamp(t)),
            None => eprintln!("progress: reading everything at {base} (the first sync)"),
        }
    }
    let mut files: Vec<MemoryFile> = Vec::new();
    let mut roles = MemoryFile::new(Kind::Roles);
    // Users whose records were read, with the roles they list.
    let mut listed: HashMap<String, Vec<String>> = HashMap::new();
    for (path, kind) in collections(p.with_demographics) {
        let mut file = MemoryFile::new(kind);
        let mut offset = 0u64;
        let mut first_of_last_page: Option<String> = None;
        loop {
            let (items, total) = page(&http, &token, &base_url, path, since, offset).await?;
            if items.is_empty() {
                break;
            }
            // A server that ignores `offset` answers the same page again: stop, do not loop.
            let first = text(&items[0], "sourcedId");
            if first_of_last_page.as_deref() == Some(first.as_str()) {
                anyhow::bail!("{base}/{path} answered the same page for offset {offset}: it does not page by offset");
            }
            first_of_last_page = Some(first);
            offset += items.len() as u64;
            for r in &items {
                add(&mut file, &mut roles, &mut listed, kind, r, mode)?;
            }
            if total.is_some_and(|t| offset >= t) {
                break;
            }
        }
        if p.echo {
            eprintln!("progress: read {offset} {path}");
        }
        files.push(file);
    }
    if mode == Mode::Delta {
        // A changed user lists all its roles: the others end.
        let users: Vec<String> = listed.keys().cloned().collect();
        for (user, stored) in records::memberships_of(db, &users, None).await? {
            let kept = listed.get(&user).cloned().unwrap_or_default();
            for sid in stored.into_iter().filter(|s| !kept.contains(s)) {
                roles.delete(&sid, None);
            }
        }
    }
    files.push(roles);
    let set = MemoryFile::set_as(files.iter(), mode)?;
    let opts = Options {
        dry_run: p.dry_run,
        skip_invalid: p.skip_invalid,
        ran_by: p.ran_by.clone(),
        echo: p.echo,
        record: true,
        with_demographics: p.with_demographics,
        // A delta's versions are ordered by the SIS's dates.
        stale_check: mode == Mode::Delta,
        ..Default::default()
    };
    let record = history::start(db, &opts, &source, started).await?;
    apply(db, &set, record, opts, Problems { echo: p.echo, ..Default::default() }).await
}

/// An access token for the Rostering service's reads (OAuth 2.0 client credentials).
async fn token(http: &reqwest::Client, p: &Pull) -> anyhow::Result<String> {
    let token_url = TokenUrl::new(p.token_url.clone()).map_err(|e| anyhow::anyhow!("--token-url: {e}"))?;
    let client = BasicClient::new(ClientId::new(p.client_id.clone()))
        .set_client_secret(ClientSecret::new(p.client_secret.clone()))
        .set_token_uri(token_url);
    let scope = if p.with_demographics {
        crate::auth::Scope::OneRosterRead.as_str()
    } else {
        crate::auth::Scope::OneRosterCoreRead.as_str()
    };
    let token = client
        .exchange_client_credentials()
        .add_scope(OAuthScope::new(scope.to_owned()))
        .request_async(http)
        .await
        .map_err(|e| anyhow::anyhow!("the token endpoint {} refused: {}", p.token_url, describe(&e)))?;
    Ok(token.access_token().secret().clone())
}

/// What a token request's failure says (an RFC 6749 error and its description, when the server
/// sent one).
fn describe<RE: std::error::Error + 'static>(
    e: &oauth2::RequestTokenError<RE, oauth2::StandardErrorResponse<oauth2::basic::BasicErrorResponseType>>,
) -> String {
    match e {
        oauth2::RequestTokenError::ServerResponse(r) => match r.error_description() {
            Some(d) => format!("{} ({d})", r.error()),
            None => r.error().to_string(),
        },
        other => other.to_string(),
    }
}

fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// One page of a collection, in sourcedId order (stable while paging), and the server's
/// `X-Total-Count`.
async fn page(
    http: &reqwest::Client,
    token: &str,
    base: &reqwest::Url,
    path: &str,
    since: Option<DateTime<Utc>>,
    offset: u64,
) -> anyhow::Result<(Vec<Value>, Option<u64>)> {
    let mut url = base.clone();
    url.path_segments_mut().map_err(|()| anyhow::anyhow!("--base-url cannot be a base"))?.push(path);
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("limit", &PAGE.to_string());
        q.append_pair("offset", &offset.to_string());
        q.append_pair("sort", "sourcedId");
        if let Some(t) = since {
            q.append_pair("filter", &format!("dateLastModified>'{}'", stamp(t)));
        }
    }
    let res = http.get(url.clone()).bearer_auth(token).send().await?;
    let status = res.status();
    let total = res.headers().get("x-total-count").and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok());
    let body: Value = res.json().await.unwrap_or(Value::Null);
    if !status.is_success() {
        let why = body["imsx_description"].as_str().map_or_else(|| body.to_string(), str::to_owned);
        anyhow::bail!("GET {url}: {status}: {why}");
    }
    let items = body[path]
        .as_array()
        .cloned()
        .ok_or_else(|| anyhow::anyhow!("GET {url}: the answer holds no `{path}` list"))?;
    Ok((items, total))
}

/// A property as the CSV binding writes it: strings as they are, numbers and booleans as text.
fn text(r: &Value, name: &str) -> String {
    match &r[name] {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => String::new(),
    }
}

/// A reference's sourcedId.
fn reference(r: &Value, name: &str) -> String {
    text(&r[name], "sourcedId")
}

/// A list of references' sourcedIds, comma-separated.
fn references(r: &Value, name: &str) -> String {
    r[name].as_array().map_or_else(String::new, |a| {
        a.iter().map(|x| text(x, "sourcedId")).filter(|s| !s.is_empty()).collect::<Vec<_>>().join(",")
    })
}

/// A list of strings, comma-separated (a string is kept as the SIS wrote it).
fn list(r: &Value, name: &str) -> String {
    match &r[name] {
        Value::Array(a) => a.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(","),
        Value::String(s) => s.clone(),
        _ => String::new(),
    }
}

/// Adds a record read from the service to its file (and a user's roles to `roles`). In a bulk
/// set a tombstone is left out (its absence deletes); in a delta it is a deletion.
fn add(
    file: &mut MemoryFile,
    roles: &mut MemoryFile,
    listed: &mut HashMap<String, Vec<String>>,
    kind: Kind,
    r: &Value,
    mode: Mode,
) -> anyhow::Result<()> {
    let sid = text(r, "sourcedId");
    let modified = DateTime::parse_from_rfc3339(&text(r, "dateLastModified")).ok().map(|t| t.with_timezone(&Utc));
    if text(r, "status") == "tobedeleted" {
        if mode == Mode::Delta {
            file.delete(&sid, modified);
        }
        return Ok(());
    }
    let t = |name: &str| text(r, name);
    let cells: Vec<(&'static str, String)> = match kind {
        Kind::Orgs => vec![
            ("name", t("name")),
            ("type", t("type")),
            ("identifier", t("identifier")),
            ("parentSourcedId", reference(r, "parent")),
        ],
        Kind::AcademicSessions => vec![
            ("title", t("title")),
            ("type", t("type")),
            ("startDate", t("startDate")),
            ("endDate", t("endDate")),
            ("parentSourcedId", reference(r, "parent")),
            ("schoolYear", t("schoolYear")),
        ],
        Kind::Courses => vec![
            ("title", t("title")),
            ("courseCode", t("courseCode")),
            ("grades", list(r, "grades")),
            ("orgSourcedId", reference(r, "org")),
            ("schoolYearSourcedId", reference(r, "schoolYear")),
            ("subjects", list(r, "subjects")),
            ("subjectCodes", list(r, "subjectCodes")),
        ],
        Kind::Classes => vec![
            ("title", t("title")),
            ("grades", list(r, "grades")),
            ("courseSourcedId", reference(r, "course")),
            ("classCode", t("classCode")),
            ("classType", t("classType")),
            ("location", t("location")),
            ("schoolSourcedId", reference(r, "school")),
            ("termSourcedIds", references(r, "terms")),
            ("subjects", list(r, "subjects")),
            ("subjectCodes", list(r, "subjectCodes")),
            ("periods", list(r, "periods")),
        ],
        Kind::Users => {
            let ids: Vec<String> = r["userIds"].as_array().map_or_else(Vec::new, |a| {
                a.iter().map(|i| format!("{{{}:{}}}", text(i, "type"), text(i, "identifier"))).collect()
            });
            // A user that lists its roles has those: in a delta, the others end. One that lists
            // none (`roles` left out) keeps its roles as they are.
            let roles_listed = r["roles"].as_array();
            let mut mine = Vec::new();
            for role in roles_listed.into_iter().flatten() {
                let org = reference(role, "org");
                let role_sid = records::role_id(&sid, &org);
                mine.push(role_sid.clone());
                roles.push(
                    modified,
                    vec![
                        ("sourcedId", role_sid),
                        ("userSourcedId", sid.clone()),
                        ("roleType", text(role, "roleType")),
                        ("role", text(role, "role")),
                        ("orgSourcedId", org),
                        ("beginDate", text(role, "beginDate")),
                        ("endDate", text(role, "endDate")),
                    ],
                );
            }
            if roles_listed.is_some() {
                listed.insert(sid.clone(), mine);
            }
            vec![
                ("enabledUser", t("enabledUser")),
                ("username", t("username")),
                ("userIds", ids.join(",")),
                ("givenName", t("givenName")),
                ("familyName", t("familyName")),
                ("middleName", t("middleName")),
                ("identifier", t("identifier")),
                ("email", t("email")),
                ("sms", t("sms")),
                ("phone", t("phone")),
                ("agentSourcedIds", references(r, "agents")),
                ("grades", list(r, "grades")),
                ("userMasterIdentifier", t("userMasterIdentifier")),
                ("preferredGivenName", t("preferredFirstName")),
                ("preferredMiddleName", t("preferredMiddleName")),
                ("preferredFamilyName", t("preferredLastName")),
                ("primaryOrgSourcedId", reference(r, "primaryOrg")),
                ("pronouns", t("pronouns")),
            ]
        }
        Kind::Enrollments => vec![
            ("classSourcedId", reference(r, "class")),
            ("schoolSourcedId", reference(r, "school")),
            ("userSourcedId", reference(r, "user")),
            ("role", t("role")),
            ("primary", t("primary")),
            ("beginDate", t("beginDate")),
            ("endDate", t("endDate")),
        ],
        Kind::Demographics => records::header(Kind::Demographics)
            .iter()
            .filter(|c| !matches!(**c, "sourcedId" | "status" | "dateLastModified"))
            .map(|c| (*c, t(c)))
            .collect(),
        other => anyhow::bail!("a sync does not read {}", other.name()),
    };
    let mut cells = cells;
    cells.push(("sourcedId", sid));
    file.push(modified, cells);
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn records_become_the_csv_bindings_rows() {
        let user = json!({
            "sourcedId": "u1", "status": "active", "dateLastModified": "2026-09-01T00:00:00.000Z",
            "enabledUser": "true", "givenName": "Ava", "familyName": "Lopez", "grades": ["07"],
            "userIds": [{"type": "LDAP", "identifier": "ava"}], "agents": [{"sourcedId": "g1", "href": "/x", "type": "user"}],
            "roles": [{"roleType": "primary", "role": "student", "org": {"sourcedId": "sch"}, "beginDate": "2026-08-17"}],
            "primaryOrg": {"sourcedId": "sch"}, "preferredFirstName": "Avi",
        });
        let (mut users, mut roles, mut listed) =
            (MemoryFile::new(Kind::Users), MemoryFile::new(Kind::Roles), HashMap::new());
        add(&mut users, &mut roles, &mut listed, Kind::Users, &user, Mode::Bulk).unwrap_or_default();
        let csv = String::from_utf8(users.csv().unwrap_or_default()).unwrap_or_default();
        let row = csv.lines().nth(1).unwrap_or_default();
        assert!(row.starts_with("u1,active,2026-09-01T00:00:00.000000Z,true,,{LDAP:ava},Ava,Lopez,"), "{row}");
        assert!(row.contains(",g1,07,") && row.contains(",Avi,") && row.ends_with(",sch,"), "{row}");
        let csv = String::from_utf8(roles.csv().unwrap_or_default()).unwrap_or_default();
        assert_eq!(
            csv.lines().nth(1),
            Some("u1:sch,active,2026-09-01T00:00:00.000000Z,u1,primary,student,2026-08-17,,sch,")
        );
        assert_eq!(listed.get("u1"), Some(&vec!["u1:sch".to_owned()]));
        // A user that lists no roles keeps its own: nothing is listed for it.
        let quiet = json!({"sourcedId": "u2", "status": "active", "givenName": "B", "familyName": "C"});
        add(&mut users, &mut roles, &mut listed, Kind::Users, &quiet, Mode::Delta).unwrap_or_default();
        assert!(!listed.contains_key("u2"));
        let none = json!({"sourcedId": "u3", "status": "active", "roles": []});
        add(&mut users, &mut roles, &mut listed, Kind::Users, &none, Mode::Delta).unwrap_or_default();
        assert_eq!(listed.get("u3"), Some(&vec![]), "an empty list is a list: every role ends");

        // A tombstone: left out of a bulk set, a deletion in a delta.
        let gone = json!({"sourcedId": "c9", "status": "tobedeleted", "dateLastModified": "2026-09-02T00:00:00Z"});
        let mut classes = MemoryFile::new(Kind::Classes);
        add(&mut classes, &mut roles, &mut listed, Kind::Classes, &gone, Mode::Bulk).unwrap_or_default();
        assert_eq!(String::from_utf8(classes.csv().unwrap_or_default()).unwrap_or_default().lines().count(), 1);
        add(&mut classes, &mut roles, &mut listed, Kind::Classes, &gone, Mode::Delta).unwrap_or_default();
        let csv = String::from_utf8(classes.csv().unwrap_or_default()).unwrap_or_default();
        assert!(
            csv.lines().nth(1).is_some_and(|l| l.starts_with("c9,tobedeleted,2026-09-02T00:00:00.000000Z")),
            "{csv}"
        );
    }
}
