//! The OneRoster 1.2 Rostering service (REST binding), read by a client written from the
//! binding's text: bearer tokens from the token endpoint with the OneRoster scope URIs, the
//! `{"users": [...]}` / `{"user": {...}}` envelopes, `X-Total-Count`, pages followed through
//! the `Link` header's `next`, and `imsx_StatusInfo` for every refusal. The roster comes from
//! the hand-made 1.2 CSV set, imported through the CLI.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::oneroster::{fixture, import, import_ok, temp_dir};
use crate::support::{TestApp, data, spawn_app, spawn_app_with};

const BASE: &str = "/ims/oneroster/rostering/v1p2";
const CORE: &str = "https://purl.imsglobal.org/spec/or/v1p2/scope/roster-core.readonly";
const ROSTER: &str = "https://purl.imsglobal.org/spec/or/v1p2/scope/roster.readonly";
const DEMOGRAPHICS: &str = "https://purl.imsglobal.org/spec/or/v1p2/scope/roster-demographics.readonly";
const GRADEBOOK: &str = "https://purl.imsglobal.org/spec/or/v1p2/scope/gradebook.readonly";
const CREATEPUT: &str = "https://purl.imsglobal.org/spec/or/v1p2/scope/gradebook.createput";
const DELETE: &str = "https://purl.imsglobal.org/spec/or/v1p2/scope/gradebook.delete";

/// A OneRoster consumer: GETs with a bearer token, reads envelopes and paging headers.
struct Client<'a> {
    app: &'a TestApp,
    token: String,
}

/// One answer: status, body, `X-Total-Count`, and the `Link` header's relations.
struct Answer {
    status: StatusCode,
    body: Value,
    total: Option<u64>,
    links: Vec<(String, String)>,
    headers: reqwest::header::HeaderMap,
}

impl Answer {
    fn link(&self, rel: &str) -> Option<&str> {
        self.links.iter().find(|(r, _)| r == rel).map(|(_, u)| u.as_str())
    }

    /// The `imsx_codeMinorFieldValue` of a refusal, checking the rest of the payload's shape.
    fn minor(&self) -> &str {
        assert_eq!(self.body["imsx_codeMajor"], "failure", "{}", self.body);
        assert_eq!(self.body["imsx_severity"], "error", "{}", self.body);
        assert!(self.body["imsx_description"].as_str().is_some_and(|d| !d.is_empty()), "{}", self.body);
        let fields = &self.body["imsx_CodeMinor"]["imsx_codeMinorField"];
        assert_eq!(fields[0]["imsx_codeMinorFieldName"], "TargetEndSystem", "{}", self.body);
        fields[0]["imsx_codeMinorFieldValue"].as_str().unwrap_or_else(|| panic!("no codeMinor in {}", self.body))
    }
}

/// `<url>; rel="name"` pairs of an RFC 8288 header, as the binding uses it.
fn parse_links(header: Option<&str>) -> Vec<(String, String)> {
    let Some(h) = header else { return vec![] };
    h.split(", <")
        .filter_map(|part| {
            let part = part.trim_start_matches('<');
            let (url, rest) = part.split_once('>')?;
            let rel = rest.split("rel=\"").nth(1)?.split('"').next()?;
            Some((rel.to_owned(), url.to_owned()))
        })
        .collect()
}

impl Client<'_> {
    async fn get(&self, path: &str) -> Answer {
        let url = if path.starts_with('/') && !path.starts_with("/ims/") {
            self.app.url(&format!("{BASE}{path}"))
        } else {
            self.app.url(path)
        };
        let res = self.app_http().get(url).bearer_auth(&self.token).send().await.unwrap();
        answer(res).await
    }

    /// A PUT of `body` (raw bytes: a client may send anything).
    async fn put(&self, path: &str, body: impl Into<reqwest::Body>) -> Answer {
        let res = self
            .app_http()
            .put(self.app.url(path))
            .bearer_auth(&self.token)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        answer(res).await
    }

    async fn delete(&self, path: &str) -> Answer {
        answer(self.app_http().delete(self.app.url(path)).bearer_auth(&self.token).send().await.unwrap()).await
    }

    fn app_http(&self) -> reqwest::Client {
        reqwest::Client::new()
    }

    /// Every record of a collection, following `next` links until there are none.
    async fn all(&self, path: &str, key: &str) -> (Vec<Value>, u64) {
        let mut out = Vec::new();
        let mut next = Some(path.to_owned());
        let mut total = None;
        let mut pages = 0;
        while let Some(p) = next {
            let a = self.get(&p).await;
            assert_eq!(a.status, StatusCode::OK, "GET {p}: {}", a.body);
            let items = a.body[key].as_array().unwrap_or_else(|| panic!("no `{key}` in {}", a.body)).clone();
            out.extend(items);
            let t = a.total.expect("X-Total-Count");
            assert!(total.is_none_or(|x| x == t), "the total changed between pages");
            total = Some(t);
            next = a.link("next").map(str::to_owned);
            pages += 1;
            assert!(pages < 100, "paging does not end");
        }
        (out, total.unwrap_or(0))
    }

    /// The sourcedIds of a whole collection, checked against its `X-Total-Count`.
    async fn ids(&self, path: &str, key: &str) -> Vec<String> {
        let (items, total) = self.all(path, key).await;
        assert_eq!(items.len() as u64, total, "GET {path}: X-Total-Count");
        items.iter().map(|i| i["sourcedId"].as_str().unwrap().to_owned()).collect()
    }
}

async fn answer(res: reqwest::Response) -> Answer {
    let status = res.status();
    let headers = res.headers().clone();
    let total = headers.get("x-total-count").map(|v| v.to_str().unwrap().parse().unwrap());
    let links = parse_links(headers.get("link").map(|v| v.to_str().unwrap()));
    let body = res.json().await.unwrap_or(Value::Null);
    Answer { status, body, total, links, headers }
}

/// A token from the token endpoint for a new client registered with `scopes`, asking for
/// exactly those scopes (as a OneRoster consumer does).
async fn token(app: &TestApp, scopes: &str, orgs: &[&str]) -> String {
    let (id, secret) = app.client(scopes, orgs).await;
    let res = reqwest::Client::new()
        .post(app.url("/oauth/token"))
        .basic_auth(&id, Some(&secret))
        .form(&[("grant_type", "client_credentials"), ("scope", scopes)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["scope"], scopes, "granted exactly what was asked");
    body["access_token"].as_str().unwrap().to_owned()
}

async fn district(app: &TestApp) {
    import_ok(app, &fixture("v12_bulk")).await;
}

fn strs(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

fn href(collection: &str, id: &str, ty: &str) -> Value {
    json!({"href": format!("{BASE}/{collection}/{id}"), "sourcedId": id, "type": ty})
}

/// Checks `dateLastModified` is the binding's UTC time with milliseconds, and drops it.
fn without_time(mut v: Value) -> Value {
    let t = v["dateLastModified"].as_str().unwrap_or_else(|| panic!("no dateLastModified in {v}")).to_owned();
    assert!(t.ends_with('Z') && t.len() == 24 && chrono::DateTime::parse_from_rfc3339(&t).is_ok(), "{t}");
    v.as_object_mut().unwrap().remove("dateLastModified");
    v
}

#[tokio::test]
async fn a_vendor_reads_the_district_through_every_rostering_endpoint() {
    let app = spawn_app().await;
    district(&app).await;
    let c = Client { app: &app, token: token(&app, CORE, &[]).await };

    // Orgs and schools.
    assert_eq!(c.ids("/orgs", "orgs").await, strs(&["d-lakeside", "sch-north", "sch-south"]));
    assert_eq!(c.ids("/schools", "orgs").await, strs(&["sch-north", "sch-south"]));
    let a = c.get("/schools/sch-north").await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(
        without_time(a.body["org"].clone()),
        json!({
            "sourcedId": "sch-north", "status": "active", "name": "North Middle School", "type": "school",
            "identifier": "NMS-0101", "parent": href("orgs", "d-lakeside", "org"), "children": [],
        })
    );
    let d = c.get("/orgs/d-lakeside").await;
    assert_eq!(d.body["org"]["children"], json!([href("orgs", "sch-north", "org"), href("orgs", "sch-south", "org")]));
    assert_eq!(c.get("/schools/d-lakeside").await.minor(), "unknownobject", "a district is not a school");

    // Academic sessions: terms (semesters are terms), grading periods, and their nesting.
    assert_eq!(
        c.ids("/academicSessions", "academicSessions").await,
        strs(&["ay-2027", "t-fall", "t-spring", "gp-fall-q1"])
    );
    assert_eq!(c.ids("/terms", "academicSessions").await, strs(&["t-fall", "t-spring"]));
    assert_eq!(c.ids("/gradingPeriods", "academicSessions").await, strs(&["gp-fall-q1"]));
    assert_eq!(c.ids("/terms/t-fall/gradingPeriods", "academicSessions").await, strs(&["gp-fall-q1"]));
    assert_eq!(c.ids("/terms/t-spring/gradingPeriods", "academicSessions").await, Vec::<String>::new());
    let year = c.get("/academicSessions/ay-2027").await;
    assert_eq!(
        without_time(year.body["academicSession"].clone()),
        json!({
            "sourcedId": "ay-2027", "status": "active", "title": "2026-2027", "startDate": "2026-08-17",
            "endDate": "2027-06-11", "type": "schoolYear", "schoolYear": "2027",
            "children": [href("academicSessions", "t-fall", "academicSession"), href("academicSessions", "t-spring", "academicSession")],
            "org": year.body["academicSession"]["org"].clone(),
        })
    );
    assert_eq!(c.get("/terms/ay-2027").await.minor(), "unknownobject", "a school year is not a term");
    assert_eq!(
        c.get("/gradingPeriods/gp-fall-q1").await.body["academicSession"]["parent"],
        href("academicSessions", "t-fall", "academicSession")
    );

    // Courses and classes.
    assert_eq!(c.ids("/courses", "courses").await, strs(&["crs-math7", "crs-sci7", "crs-eng9"]));
    assert_eq!(c.ids("/schools/sch-south/courses", "courses").await, strs(&["crs-eng9"]));
    assert_eq!(
        without_time(c.get("/courses/crs-eng9").await.body["course"].clone()),
        json!({
            "sourcedId": "crs-eng9", "status": "active", "title": "English 9", "courseCode": "ENG9",
            "schoolYear": href("academicSessions", "ay-2027", "academicSession"), "grades": ["09", "10"],
            "subjects": ["English", "Literature"], "org": href("orgs", "sch-south", "org"),
            "subjectCodes": ["01001", "01051"],
        })
    );
    assert_eq!(c.ids("/classes", "classes").await, strs(&["cls-math7-1", "cls-math7-2", "cls-sci7-1", "cls-eng9-hr"]));
    assert_eq!(
        without_time(c.get("/classes/cls-math7-2").await.body["class"].clone()),
        json!({
            "sourcedId": "cls-math7-2", "status": "active", "title": "Mathematics 7 - Periods 2-3",
            "classCode": "MATH7-2", "classType": "scheduled", "location": "Room 101", "grades": ["07"],
            "subjects": ["Mathematics"], "course": href("courses", "crs-math7", "course"),
            "school": href("schools", "sch-north", "org"),
            "terms": [href("academicSessions", "t-fall", "academicSession"), href("academicSessions", "t-spring", "academicSession")],
            "subjectCodes": ["02052"], "periods": ["2", "3"],
        })
    );
    assert_eq!(c.get("/classes/cls-sci7-1").await.body["class"]["location"], "Room 12, \"East\" wing\nFloor 2");
    assert_eq!(c.ids("/schools/sch-south/classes", "classes").await, strs(&["cls-eng9-hr"]));
    assert_eq!(c.ids("/courses/crs-math7/classes", "classes").await, strs(&["cls-math7-1", "cls-math7-2"]));
    assert_eq!(c.ids("/terms/t-spring/classes", "classes").await, strs(&["cls-math7-2", "cls-sci7-1"]));
    assert_eq!(
        c.ids("/schools/sch-north/terms", "academicSessions").await,
        strs(&["t-fall", "t-spring"]),
        "the district's terms are the school's"
    );

    // Users, students, teachers.
    let people = ["stu-1", "stu-2", "stu-3", "stu-4", "stu-5", "stu-6", "tch-1", "tch-2", "tch-3", "adm-1"];
    // A student's guardian is a user too (her `agents` name him).
    assert_eq!(c.ids("/users", "users").await, strs(&[&people[..], &["par-1"]].concat()));
    assert_eq!(c.get("/users/par-1").await.body["user"]["roles"][0]["role"], "guardian");
    assert_eq!(c.ids("/students", "users").await, strs(&people[..6]));
    assert_eq!(c.ids("/teachers", "users").await, strs(&["tch-1", "tch-2", "tch-3"]));
    assert_eq!(c.ids("/schools/sch-south/students", "users").await, strs(&["stu-5", "stu-6"]));
    assert_eq!(c.ids("/schools/sch-south/teachers", "users").await, strs(&["tch-1", "tch-3"]));
    assert_eq!(c.ids("/classes/cls-math7-1/students", "users").await, strs(&["stu-1", "stu-2"]));
    assert_eq!(c.ids("/classes/cls-math7-1/teachers", "users").await, strs(&["tch-1"]));
    assert_eq!(
        c.ids("/schools/sch-north/classes/cls-sci7-1/students", "users").await,
        strs(&["stu-1", "stu-2", "stu-3"])
    );
    assert_eq!(c.ids("/schools/sch-north/classes/cls-sci7-1/teachers", "users").await, strs(&["tch-2"]));
    assert_eq!(c.get("/schools/sch-south/classes/cls-sci7-1/students").await.minor(), "unknownobject");
    assert_eq!(
        without_time(c.get("/students/stu-1").await.body["user"].clone()),
        json!({
            "sourcedId": "stu-1", "status": "active", "userMasterIdentifier": "LUSD-S-0001", "username": "ava.lopez",
            "userIds": [{"type": "SIS", "identifier": "100001"}], "enabledUser": "true", "givenName": "Ava",
            "familyName": "Lopez", "middleName": "Maria", "preferredFirstName": "Avi", "pronouns": "she/her",
            "roles": [{"roleType": "primary", "role": "student", "org": href("orgs", "sch-north", "org"), "beginDate": "2026-08-17"}],
            "primaryOrg": href("orgs", "sch-north", "org"), "identifier": "100001",
            "email": "ava.lopez@students.lakeside.example", "agents": [href("users", "par-1", "user")], "grades": ["07"],
        })
    );
    let tch1 = c.get("/teachers/tch-1").await.body["user"].clone();
    assert_eq!(
        tch1["roles"],
        json!([
            {"roleType": "primary", "role": "teacher", "org": href("orgs", "sch-north", "org"), "beginDate": "2026-08-17"},
            {"roleType": "secondary", "role": "teacher", "org": href("orgs", "sch-south", "org"), "beginDate": "2027-01-19", "endDate": "2027-06-11"},
        ])
    );
    assert_eq!(
        c.get("/users/stu-2").await.body["user"]["userIds"],
        json!([{"type": "SIS", "identifier": "100002"}, {"type": "LDAP", "identifier": "bokafor"}])
    );
    assert_eq!(c.get("/users/adm-1").await.body["user"]["roles"][0]["role"], "districtAdministrator");
    assert_eq!(c.get("/students/tch-1").await.minor(), "unknownobject", "a teacher is not a student");
    assert_eq!(c.get("/teachers/stu-1").await.minor(), "unknownobject", "a student is not a teacher");
    assert_eq!(c.ids("/students/stu-1/classes", "classes").await, strs(&["cls-math7-1", "cls-sci7-1"]));
    assert_eq!(c.ids("/teachers/tch-2/classes", "classes").await, strs(&["cls-math7-2", "cls-sci7-1"]));
    assert_eq!(c.ids("/users/stu-5/classes", "classes").await, strs(&["cls-eng9-hr"]));

    // Enrollments.
    let all: Vec<String> = (1..=13).map(|n| format!("enr-{n:03}")).collect();
    assert_eq!(c.ids("/enrollments", "enrollments").await, all);
    assert_eq!(c.ids("/schools/sch-south/enrollments", "enrollments").await, strs(&["enr-004", "enr-012", "enr-013"]));
    assert_eq!(
        c.ids("/schools/sch-north/classes/cls-math7-1/enrollments", "enrollments").await,
        strs(&["enr-001", "enr-005", "enr-007"])
    );
    assert_eq!(
        without_time(c.get("/enrollments/enr-005").await.body["enrollment"].clone()),
        json!({
            "sourcedId": "enr-005", "status": "active", "user": href("users", "stu-1", "user"),
            "class": href("classes", "cls-math7-1", "class"), "school": href("schools", "sch-north", "org"),
            "role": "student", "primary": "false", "beginDate": "2026-08-17",
        })
    );

    // Deletions are served as tombstones, for syncing tools to see.
    let w = app
        .gql(
            &app.token("roster.read roster.write", &[]).await,
            "mutation { upsertRoster(input: {deletions: [{type: ENROLLMENT, sourcedId: \"enr-013\"}]}) { results { outcome } userErrors { message } } }",
            json!({}),
        )
        .await;
    assert_eq!(w["data"]["upsertRoster"]["userErrors"], json!([]), "{w}");
    let e = c.get("/enrollments/enr-013").await;
    assert_eq!(e.body["enrollment"]["status"], "tobedeleted", "{}", e.body);
    assert_eq!(c.ids("/enrollments?filter=status%3D%27active%27", "enrollments").await, all[..12].to_vec());
}

#[tokio::test]
async fn paging_sorting_filtering_and_field_selection_follow_the_binding() {
    let app = spawn_app().await;
    district(&app).await;
    let c = Client { app: &app, token: token(&app, ROSTER, &[]).await };

    // limit and offset, with the total and the links to the other pages.
    let a = c.get("/users?limit=3&offset=3").await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.total, Some(11), "ten people and a guardian");
    let ids: Vec<&str> = a.body["users"].as_array().unwrap().iter().map(|u| u["sourcedId"].as_str().unwrap()).collect();
    assert_eq!(ids, ["stu-4", "stu-5", "stu-6"]);
    assert_eq!(a.link("first"), Some(format!("{BASE}/users?limit=3&offset=0").as_str()));
    assert_eq!(a.link("prev"), Some(format!("{BASE}/users?limit=3&offset=0").as_str()));
    assert_eq!(a.link("next"), Some(format!("{BASE}/users?limit=3&offset=6").as_str()));
    assert_eq!(a.link("last"), Some(format!("{BASE}/users?limit=3&offset=9").as_str()));
    let (walked, _) = c.all("/users?limit=3", "users").await;
    assert_eq!(walked.len(), 11, "following `next` from the first page reads every user once");
    let last = c.get("/users?limit=3&offset=9").await;
    assert_eq!(last.link("next"), None);
    assert_eq!(last.body["users"].as_array().unwrap().len(), 2);
    assert_eq!(c.get("/users?offset=50").await.body["users"], json!([]), "past the end: an empty page");
    assert_eq!(c.get("/users").await.body["users"].as_array().unwrap().len(), 11, "the default limit is 100");

    // sort and orderBy.
    let sorted = c.ids("/students?sort=givenName&orderBy=desc", "users").await;
    assert_eq!(sorted, strs(&["stu-6", "stu-5", "stu-4", "stu-3", "stu-2", "stu-1"]));
    assert_eq!(
        c.ids("/classes?filter=school.sourcedId%3D%27sch-north%27&sort=title", "classes").await,
        strs(&["cls-sci7-1", "cls-math7-1", "cls-math7-2"])
    );
    assert_eq!(
        c.ids("/enrollments?orderBy=desc&limit=2", "enrollments").await.first().map(String::as_str),
        Some("enr-013")
    );

    // filter: the grammar, each type compared as itself.
    let filtered = async |path: &str, q: &str, key: &str| {
        let encoded: String = url::form_urlencoded::byte_serialize(q.as_bytes()).collect();
        c.ids(&format!("{path}?filter={encoded}"), key).await
    };
    assert_eq!(filtered("/users", "familyName~'LOP'", "users").await, strs(&["stu-1", "par-1"]), "~ ignores case");
    assert_eq!(filtered("/students", "grades='10' OR givenName='Ava'", "users").await, strs(&["stu-1", "stu-6"]));
    assert_eq!(filtered("/students", "grades='1'", "users").await, Vec::<String>::new(), "a list matches whole grades");
    assert_eq!(filtered("/users", "role='teacher' AND email~'turing'", "users").await, strs(&["tch-2"]));
    assert_eq!(filtered("/users", "role!='student' AND role!='teacher'", "users").await, strs(&["adm-1", "par-1"]));
    assert_eq!(
        filtered("/users", "middleName!='Maria' AND role='student'", "users").await,
        strs(&["stu-2", "stu-3", "stu-4", "stu-5", "stu-6"]),
        "a missing value is not equal"
    );
    assert_eq!(filtered("/users", "dateLastModified>'2000-01-01'", "users").await.len(), 11);
    assert_eq!(filtered("/users", "dateLastModified<'2000-01-01T00:00:00Z'", "users").await.len(), 0);
    assert_eq!(
        filtered("/users", "enabledUser='true' AND primaryOrg.sourcedId='sch-south'", "users").await,
        strs(&["stu-5", "stu-6", "tch-3"])
    );
    assert_eq!(
        filtered("/enrollments", "primary='true'", "enrollments").await,
        strs(&["enr-001", "enr-002", "enr-003", "enr-004"])
    );
    assert_eq!(
        filtered("/enrollments", "class.sourcedId='cls-sci7-1'", "enrollments").await,
        strs(&["enr-003", "enr-006", "enr-008", "enr-010"])
    );
    assert_eq!(
        filtered("/enrollments", "school.sourcedId='sch-south' AND role='student'", "enrollments").await,
        strs(&["enr-012", "enr-013"])
    );
    assert_eq!(
        filtered("/enrollments", "beginDate>='2027-01-01'", "enrollments").await,
        strs(&["enr-003", "enr-006", "enr-008", "enr-010"])
    );
    assert_eq!(filtered("/academicSessions", "startDate>'2027-01-01'", "academicSessions").await, strs(&["t-spring"]));
    assert_eq!(
        filtered("/academicSessions", "schoolYear='2027' AND parent.sourcedId='t-fall'", "academicSessions").await,
        strs(&["gp-fall-q1"])
    );
    assert_eq!(filtered("/courses", "subjects='Literature'", "courses").await, strs(&["crs-eng9"]));
    assert_eq!(
        filtered("/orgs", "type='district' OR identifier='SHS-0202'", "orgs").await,
        strs(&["d-lakeside", "sch-south"])
    );
    assert_eq!(
        filtered("/users", "familyName~'L_pez'", "users").await,
        Vec::<String>::new(),
        "_ is the caller's text, not a wildcard"
    );
    assert_eq!(
        filtered("/users", "familyName~'Lo%ez'", "users").await,
        Vec::<String>::new(),
        "% is the caller's text, not a wildcard"
    );
    assert_eq!(
        filtered("/courses", "subjects='literature'", "courses").await,
        strs(&["crs-eng9"]),
        "list elements ignore case"
    );
    let total = c.get("/users?filter=role%3D%27student%27&limit=2").await;
    assert_eq!(total.total, Some(6), "the total counts the filtered records, not the page");
    assert_eq!(total.link("next"), Some(format!("{BASE}/users?filter=role%3D%27student%27&limit=2&offset=2").as_str()));

    // fields: only the selected fields, in collections and single records.
    let a = c.get("/students?fields=sourcedId,familyName&limit=2").await;
    assert_eq!(
        a.body["users"],
        json!([{"sourcedId": "stu-1", "familyName": "Lopez"}, {"sourcedId": "stu-2", "familyName": "Okafor"}])
    );
    assert_eq!(c.get("/users/stu-1?fields=givenName").await.body, json!({"user": {"givenName": "Ava"}}));

    // Refusals: 400 with the binding's payload and codes; 404 for what is not there.
    for (path, status, minor) in [
        ("/users?filter=shoeSize%3D%279%27", 400, "invalid_filter_field"),
        ("/users?filter=givenName%3DAva", 400, "invalid_filter_field"),
        ("/users?filter=givenName%3D%27Ava%27%20XOR%20role%3D%27student%27", 400, "invalid_filter_field"),
        ("/users?filter=dateLastModified%3E%27yesterday%27", 400, "invalid_filter_field"),
        ("/users?filter=enabledUser%3D%27yes%27", 400, "invalid_filter_field"),
        ("/academicSessions?filter=schoolYear%3D%27next%27", 400, "invalid_filter_field"),
        ("/enrollments?filter=beginDate~%272027%27", 400, "invalid_filter_field"),
        ("/users?fields=sourcedId,shoeSize", 400, "invalid_selection_field"),
        ("/users/stu-1?fields=shoeSize", 400, "invalid_selection_field"),
        ("/users?sort=shoeSize", 400, "invalid_sort_field"),
        ("/users?limit=0", 400, "invaliddata"),
        ("/users?offset=-1", 400, "invaliddata"),
        ("/users?offset=9223372036854775808", 400, "invaliddata"),
        ("/users?filter=givenName%3D%27a%00b%27", 400, "invalid_filter_field"),
        ("/users?orderBy=sideways", 400, "invaliddata"),
        ("/users/nobody", 404, "unknownobject"),
        ("/classes/nothing/students", 404, "unknownobject"),
        ("/enrollments/enr-999", 404, "unknownobject"),
    ] {
        let a = c.get(path).await;
        assert_eq!(a.status.as_u16(), status, "GET {path}: {}", a.body);
        assert_eq!(a.minor(), minor, "GET {path}");
    }
}

/// Demographics for three students (stu-1, stu-5, stu-6), imported as a delta with their own
/// flag; then stu-6's is deleted, so it is a tombstone.
async fn import_demographics(app: &TestApp) {
    let dir = temp_dir("rest-demo");
    let files = [
        "academicSessions",
        "categories",
        "classes",
        "classResources",
        "courses",
        "courseResources",
        "enrollments",
        "lineItemLearningObjectiveIds",
        "lineItems",
        "lineItemScoreScales",
        "orgs",
        "resources",
        "resultLearningObjectiveIds",
        "results",
        "resultScoreScales",
        "roles",
        "scoreScales",
        "userProfiles",
        "userResources",
        "users",
    ];
    let mut manifest =
        String::from("propertyName,value\nmanifest.version,1.0\noneroster.version,1.2\nfile.demographics,delta\n");
    for f in files {
        manifest.push_str(&format!("file.{f},absent\n"));
    }
    std::fs::write(dir.join("manifest.csv"), manifest).unwrap();
    std::fs::write(
        dir.join("demographics.csv"),
        "sourcedId,status,dateLastModified,birthDate,sex,americanIndianOrAlaskaNative,asian,blackOrAfricanAmerican,nativeHawaiianOrOtherPacificIslander,white,demographicRaceTwoOrMoreRaces,hispanicOrLatinoEthnicity,countryOfBirthCode,stateOfBirthAbbreviation,cityOfBirth,publicSchoolResidenceStatus\n\
         stu-1,active,2026-09-01T00:00:00Z,2014-03-02,female,false,false,false,false,false,false,true,US,CA,Fresno,\n\
         stu-5,active,2026-09-01T00:00:00Z,2012-11-30,male,,,,,true,,false,,,,\n\
         stu-6,active,2026-09-01T00:00:00Z,2011-01-01,female,,,,,,,,,,Galway,\n",
    )
    .unwrap();
    let run = import(app, &dir, &["--with-demographics"]).await;
    assert_eq!(run.code, Some(0), "{} {}", run.stdout, run.stderr);
    std::fs::write(
        dir.join("demographics.csv"),
        "sourcedId,status,dateLastModified,birthDate\nstu-6,tobedeleted,2026-10-01T00:00:00Z,\n",
    )
    .unwrap();
    let run = import(app, &dir, &["--with-demographics"]).await;
    assert_eq!(run.code, Some(0), "{} {}", run.stdout, run.stderr);
}

#[tokio::test]
async fn oneroster_scopes_map_onto_the_same_policy_and_audit_as_graphql() {
    let app = spawn_app_with(&[("LEARNERGRAPH_DEV_SIGNIN", "true")]).await;
    district(&app).await;
    import_demographics(&app).await;

    // The token endpoint grants the OneRoster scopes to clients registered for them only.
    let (id, secret) = app.client("roster.read", &[]).await;
    let res = reqwest::Client::new()
        .post(app.url("/oauth/token"))
        .basic_auth(&id, Some(&secret))
        .form(&[("grant_type", "client_credentials"), ("scope", CORE)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(res.json::<Value>().await.unwrap()["error"], "invalid_scope");
    let metadata: Value =
        reqwest::get(app.url("/.well-known/oauth-authorization-server")).await.unwrap().json().await.unwrap();
    for s in [CORE, ROSTER, DEMOGRAPHICS, GRADEBOOK] {
        assert!(metadata["scopes_supported"].as_array().unwrap().contains(&json!(s)), "{s} is advertised");
    }

    // Introspection names the scope the token was granted, not what it stands for.
    let (id, secret) = app.client(CORE, &[]).await;
    let granted = app.token_for(&id, &secret).await;
    let res = reqwest::Client::new()
        .post(app.url("/oauth/introspect"))
        .basic_auth(&id, Some(&secret))
        .form(&[("token", granted.as_str())])
        .send()
        .await
        .unwrap();
    let body: Value = res.json().await.unwrap();
    assert_eq!((body["active"].clone(), body["scope"].clone()), (json!(true), json!(CORE)), "{body}");

    // No token, a bad token: 401 with the challenge. A token for the wrong service: 403.
    let anonymous = answer(reqwest::get(app.url(&format!("{BASE}/students"))).await.unwrap()).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert_eq!(anonymous.minor(), "unauthorisedrequest");
    assert!(anonymous.headers["www-authenticate"].to_str().unwrap().starts_with("Bearer "));
    let forged = Client { app: &app, token: "not.a.token".into() };
    assert_eq!(forged.get("/students").await.status, StatusCode::UNAUTHORIZED);
    let gradebook = Client { app: &app, token: token(&app, GRADEBOOK, &[]).await };
    let refused = gradebook.get("/students").await;
    assert_eq!((refused.status, refused.minor()), (StatusCode::FORBIDDEN, "forbidden"));

    // Demographics need their own scope (or roster.readonly), never roster-core's.
    let core = Client { app: &app, token: token(&app, CORE, &[]).await };
    assert_eq!(core.get("/demographics").await.minor(), "forbidden");
    assert_eq!(core.get("/demographics/stu-1").await.minor(), "forbidden");
    let demo = Client { app: &app, token: token(&app, DEMOGRAPHICS, &[]).await };
    assert_eq!(demo.get("/students").await.minor(), "forbidden", "demographics alone read no roster");
    assert_eq!(demo.ids("/demographics", "demographics").await, strs(&["stu-1", "stu-5", "stu-6"]));
    assert_eq!(
        without_time(demo.get("/demographics/stu-6").await.body["demographics"].clone()),
        json!({"sourcedId": "stu-6", "status": "tobedeleted"}),
        "a deleted record tells that it was deleted, not what it held"
    );
    assert_eq!(
        without_time(demo.get("/demographics/stu-5").await.body["demographics"].clone()),
        json!({"sourcedId": "stu-5", "status": "active", "birthDate": "2012-11-30", "sex": "male", "white": "true", "hispanicOrLatinoEthnicity": "false"})
    );
    assert_eq!(demo.ids("/demographics?filter=sex%3D%27female%27", "demographics").await, strs(&["stu-1"]));
    assert_eq!(demo.get("/demographics/tch-1").await.minor(), "unknownobject");
    let full = Client { app: &app, token: token(&app, ROSTER, &[]).await };
    assert_eq!(full.ids("/demographics", "demographics").await.len(), 3);

    // An org-limited client sees its school only, and the district above it.
    let south = Client { app: &app, token: token(&app, CORE, &["sch-south"]).await };
    assert_eq!(south.ids("/students", "users").await, strs(&["stu-5", "stu-6"]));
    assert_eq!(south.ids("/orgs", "orgs").await, strs(&["d-lakeside", "sch-south"]));
    assert_eq!(south.get("/students/stu-1").await.minor(), "unknownobject");
    assert_eq!(south.get("/schools/sch-north").await.minor(), "unknownobject");
    assert_eq!(south.get("/classes/cls-math7-1/students").await.minor(), "unknownobject");
    assert_eq!(south.ids("/enrollments", "enrollments").await, strs(&["enr-004", "enr-012", "enr-013"]));
    let tch1 = south.get("/users/tch-1").await.body["user"].clone();
    assert_eq!(tch1["roles"].as_array().unwrap().len(), 1, "only the membership of a school it sees: {tch1}");
    assert_eq!(tch1["roles"][0]["org"]["sourcedId"], "sch-south");
    assert!(tch1.get("primaryOrg").is_none(), "the primary org is a school it does not see: {tch1}");
    // Nor can it be found by filtering or sorting on it.
    assert_eq!(south.ids("/users?filter=primaryOrg.sourcedId%3D%27sch-north%27", "users").await, Vec::<String>::new());
    assert_eq!(south.ids("/users?filter=primaryOrg.sourcedId~%27north%27", "users").await, Vec::<String>::new());

    // A signed-in teacher, through a front end asking for OneRoster's scope: their classes and
    // their students only.
    // (`roster.readonly` stands for demographics too, which no teacher's role holds: not granted.)
    let teacher =
        app.dev_sign_in_via(&format!("roster.read {CORE} {ROSTER}"), "tch-2", &format!("{CORE} {ROSTER}")).await;
    let t = Client { app: &app, token: teacher };
    assert_eq!(t.get("/demographics").await.minor(), "forbidden");
    assert_eq!(t.get("/students/stu-1").await.body["user"]["agents"], json!([]), "a guardian the teacher does not see");
    assert_eq!(t.ids("/classes", "classes").await, strs(&["cls-math7-2", "cls-sci7-1"]));
    assert_eq!(t.ids("/students", "users").await, strs(&["stu-1", "stu-2", "stu-3", "stu-4"]));
    assert_eq!(t.get("/students/stu-5").await.minor(), "unknownobject");

    // Every read that reveals students is in the access audit, as GraphQL reads are.
    let (vendor_id, vendor_secret) = app.client(CORE, &[]).await;
    let vendor = Client { app: &app, token: app.token_for(&vendor_id, &vendor_secret).await };
    assert_eq!(vendor.ids("/schools", "orgs").await.len(), 2);
    assert_eq!(vendor.ids("/classes/cls-math7-1/students", "users").await, strs(&["stu-1", "stu-2"]));
    let admin = app.admin_token().await;
    let q = "query($c: String) { auditEvents(filter: {clientId: $c}) { totalCount edges { node { actorKind operationType operationName fields learnerSourcedIds requestId } } } }";
    let events = data(app.gql(&admin, q, json!({"c": vendor_id})).await);
    assert_eq!(events["auditEvents"]["totalCount"], 1, "only the read that revealed students: {events}");
    let e = &events["auditEvents"]["edges"][0]["node"];
    assert_eq!(e["actorKind"], "client");
    assert_eq!(e["operationType"], "query");
    assert_eq!(e["operationName"], "OneRoster getStudentsForClass");
    assert_eq!(e["fields"], json!([format!("{BASE}/classes/cls-math7-1/students")]));
    assert_eq!(e["learnerSourcedIds"], json!(["stu-1", "stu-2"]));
    assert!(e["requestId"].as_str().is_some_and(|r| r.len() == 36), "{e}");
    // A filtered read of students is audited even when its page shows none: its total answers
    // the question the filter asks.
    let probe = vendor.get("/students?filter=email~%27nobody%27&offset=5").await;
    assert_eq!((probe.total, probe.body["users"].clone()), (Some(0), json!([])));
    let events = data(app.gql(&admin, q, json!({"c": vendor_id})).await);
    assert_eq!(events["auditEvents"]["totalCount"], 2, "{events}");
    let e = &events["auditEvents"]["edges"][1]["node"];
    assert_eq!(e["operationName"], "OneRoster getAllStudents");
    assert_eq!(e["fields"], json!([format!("{BASE}/students?filter=email~%27nobody%27&offset=5")]));
    assert_eq!(e["learnerSourcedIds"], json!([]));
    // An event names the query that chose the records.
    assert_eq!(vendor.get("/classes/cls-math7-1/students?limit=1").await.status, StatusCode::OK);
    let events = data(app.gql(&admin, q, json!({"c": vendor_id})).await);
    let e = &events["auditEvents"]["edges"][2]["node"];
    assert_eq!(e["fields"], json!([format!("{BASE}/classes/cls-math7-1/students?limit=1")]));
    assert_eq!(e["learnerSourcedIds"], json!(["stu-1"]));
    // Neither a filtered read of records that are not students', nor an unfiltered page
    // showing no student, says anything of a student: no event.
    assert_eq!(vendor.ids("/schools?filter=name~%27x%27", "orgs").await.len(), 0);
    assert_eq!(vendor.get("/students?offset=500").await.body["users"], json!([]));
    let events = data(app.gql(&admin, q, json!({"c": vendor_id})).await);
    assert_eq!(events["auditEvents"]["totalCount"], 3, "{events}");
}

#[tokio::test]
async fn a_collection_costs_a_unit_per_record_of_the_callers_cost_budget() {
    let app = spawn_app_with(&[
        ("LEARNERGRAPH_CLIENT_COST_PER_WINDOW", "150"),
        ("LEARNERGRAPH_RATE_LIMIT_WINDOW_SECONDS", "3600"),
    ])
    .await;
    district(&app).await;
    let c = Client { app: &app, token: token(&app, CORE, &[]).await };
    assert_eq!(c.get("/users?limit=100").await.status, StatusCode::OK);
    // 100 of 150 spent: a second page of 100 is refused, with when to retry.
    let refused = c.get("/users?limit=100&offset=100").await;
    assert_eq!((refused.status, refused.minor()), (StatusCode::TOO_MANY_REQUESTS, "server_busy"));
    let retry: u64 = refused.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(retry > 0 && retry <= 3600, "{retry}");
    // A smaller page still fits; a single record costs no records.
    assert_eq!(c.get("/users?limit=40").await.status, StatusCode::OK);
    assert_eq!(c.get("/users/stu-1").await.status, StatusCode::OK);
}

/// The gradebook's read operations, each once.
const GRADEBOOK_OPERATIONS: [&str; 22] = [
    "putCategory",
    "deleteCategory",
    "putLineItem",
    "deleteLineItem",
    "putResult",
    "deleteResult",
    "putScoreScale",
    "deleteScoreScale",
    "getAllCategories",
    "getCategory",
    "getAllLineItems",
    "getLineItem",
    "getAllResults",
    "getResult",
    "getAllScoreScales",
    "getScoreScale",
    "getCategoriesForClass",
    "getLineItemsForClass",
    "getResultsForClass",
    "getResultsForLineItemForClass",
    "getResultsForStudentForClass",
    "getScoreScalesForClass",
];

/// The binding's rostering operations, each once.
const ROSTERING_OPERATIONS: [&str; 41] = [
    "getAllAcademicSessions",
    "getAcademicSession",
    "getAllClasses",
    "getClass",
    "getStudentsForClass",
    "getTeachersForClass",
    "getAllCourses",
    "getCourse",
    "getClassesForCourse",
    "getAllDemographics",
    "getDemographics",
    "getAllEnrollments",
    "getEnrollment",
    "getAllGradingPeriods",
    "getGradingPeriod",
    "getAllOrgs",
    "getOrg",
    "getAllSchools",
    "getSchool",
    "getClassesForSchool",
    "getCoursesForSchool",
    "getEnrollmentsForSchool",
    "getStudentsForSchool",
    "getTeachersForSchool",
    "getTermsForSchool",
    "getEnrollmentsForClassInSchool",
    "getStudentsForClassInSchool",
    "getTeachersForClassInSchool",
    "getAllStudents",
    "getStudent",
    "getClassesForStudent",
    "getAllTeachers",
    "getTeacher",
    "getClassesForTeacher",
    "getAllTerms",
    "getTerm",
    "getClassesForTerm",
    "getGradingPeriodsForTerm",
    "getAllUsers",
    "getUser",
    "getClassesForUser",
];

/// Checks a value against the document's schema (the subset the document uses).
fn conforms(doc: &Value, schema: &Value, v: &Value, at: &str) {
    if let Some(r) = schema["$ref"].as_str() {
        let name = r.strip_prefix("#/components/schemas/").unwrap_or_else(|| panic!("{at}: odd $ref {r}"));
        let target = &doc["components"]["schemas"][name];
        assert!(target.is_object(), "{at}: $ref {r} does not resolve");
        return conforms(doc, target, v, at);
    }
    match schema["type"].as_str() {
        Some("object") => {
            let o = v.as_object().unwrap_or_else(|| panic!("{at}: not an object: {v}"));
            for r in schema["required"].as_array().into_iter().flatten() {
                assert!(o.contains_key(r.as_str().unwrap()), "{at}: required {r} missing from {v}");
            }
            for (k, x) in o {
                let s = &schema["properties"][k];
                assert!(s.is_object(), "{at}: `{k}` is served but not in the document");
                conforms(doc, s, x, &format!("{at}.{k}"));
            }
        }
        Some("array") => {
            for (i, x) in v.as_array().unwrap_or_else(|| panic!("{at}: not an array: {v}")).iter().enumerate() {
                conforms(doc, &schema["items"], x, &format!("{at}[{i}]"));
            }
        }
        Some("number") => assert!(v.is_number(), "{at}: not a number: {v}"),
        Some("string") => {
            let s = v.as_str().unwrap_or_else(|| panic!("{at}: not a string: {v}"));
            if let Some(values) = schema["enum"].as_array() {
                assert!(values.contains(v), "{at}: `{s}` is not one of {values:?}");
            }
            match schema["format"].as_str() {
                Some("date") => assert!(chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok(), "{at}: {s}"),
                Some("date-time") => assert!(chrono::DateTime::parse_from_rfc3339(s).is_ok(), "{at}: {s}"),
                _ => {}
            }
        }
        other => panic!("{at}: the document has a schema of type {other:?}: {schema}"),
    }
}

#[tokio::test]
async fn the_openapi_document_describes_every_route_as_it_is_served() {
    let app = spawn_app().await;
    district(&app).await;
    import_demographics(&app).await;
    import_ok(&app, &fixture("v12_gradebook")).await;
    let res = reqwest::get(app.url("/ims/oneroster/openapi.json")).await.unwrap();
    assert_eq!(res.status(), 200);
    let doc: Value = res.json().await.unwrap();
    assert_eq!(doc["openapi"], "3.0.3");
    assert_eq!(
        doc["components"]["securitySchemes"]["OAuth2"]["flows"]["clientCredentials"]["tokenUrl"],
        "/oauth/token"
    );
    let paths = doc["paths"].as_object().unwrap();
    let mut ids: Vec<&str> = paths
        .values()
        .flat_map(|p| p.as_object().unwrap().values().map(|op| op["operationId"].as_str().unwrap()))
        .collect();
    ids.sort_unstable();
    let mut want = [&ROSTERING_OPERATIONS[..], &GRADEBOOK_OPERATIONS[..]].concat();
    want.sort_unstable();
    assert_eq!(ids, want, "the document names each operation of the binding once");

    // Every documented route is served, and what it serves is what the document says.
    let c = Client { app: &app, token: token(&app, &format!("{ROSTER} {GRADEBOOK}"), &[]).await };
    let sample = |collection: &str| match collection {
        "categories" => "cat-test",
        "lineItems" => "li-ratio-quiz",
        "results" => "res-1",
        "scoreScales" => "ss-letter",
        "orgs" => "d-lakeside",
        "schools" => "sch-north",
        "academicSessions" => "ay-2027",
        "terms" => "t-fall",
        "gradingPeriods" => "gp-fall-q1",
        "courses" => "crs-math7",
        "classes" => "cls-math7-1",
        "users" | "students" | "demographics" => "stu-1",
        "teachers" => "tch-1",
        "enrollments" => "enr-005",
        other => panic!("no sample for {other}"),
    };
    let mut served = 0;
    for (path, item) in paths {
        let op = &item["get"];
        // A record's PUT and DELETE: the binding's envelope in and out, their own scope, and
        // every refusal as the status payload (tested as served by the write tests).
        for (method, scope, ok) in [("put", CREATEPUT, "201"), ("delete", DELETE, "204")] {
            let Some(w) = item.get(method) else { continue };
            assert_eq!(w["security"], json!([{"OAuth2": [scope]}]), "{method} {path}");
            assert!(w["responses"][ok].is_object(), "{method} {path}");
            // Only a PUT can find its sourcedId taken.
            assert_eq!(w["responses"]["409"].is_object(), method == "put", "{method} {path}");
            for code in ["400", "401", "403", "404", "429", "500", "503"] {
                let schema = &w["responses"][code]["content"]["application/json"]["schema"];
                assert_eq!(schema["$ref"], "#/components/schemas/imsx_StatusInfo", "{method} {path} {code}");
            }
            if method == "put" {
                // The body is the record under the envelope's key, as the answer is; what the
                // path names and the service stamps may be left out.
                let sent = &w["requestBody"]["content"]["application/json"]["schema"];
                let answer = &w["responses"]["201"]["content"]["application/json"]["schema"];
                assert_eq!(sent["required"], answer["required"], "{path}: one envelope key");
                let key = sent["required"][0].as_str().unwrap();
                let input = sent["properties"][key]["$ref"].as_str().unwrap().rsplit('/').next().unwrap();
                let output = answer["properties"][key]["$ref"].as_str().unwrap().rsplit('/').next().unwrap();
                assert_eq!(input, format!("{output}Input"), "{path}");
                let (input, output) = (&doc["components"]["schemas"][input], &doc["components"]["schemas"][output]);
                assert_eq!(
                    input["properties"].as_object().unwrap().keys().collect::<Vec<_>>(),
                    output["properties"].as_object().unwrap().keys().collect::<Vec<_>>(),
                    "{path}: the same properties"
                );
                let required: Vec<&Value> = output["required"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|r| !["sourcedId", "status", "dateLastModified"].contains(&r.as_str().unwrap()))
                    .collect();
                assert_eq!(input["required"].as_array().unwrap().iter().collect::<Vec<_>>(), required, "{path}");
            }
        }
        let (base, rest) = path.split_at(path.find("/v1p2").unwrap() + 5);
        let segments: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
        let url: String = segments
            .iter()
            .enumerate()
            .map(|(i, seg)| match *seg {
                "{id}" => sample(segments[i - 1]).to_owned(),
                "{class}" => "cls-math7-1".to_owned(),
                "{item}" => "li-ratio-quiz".to_owned(),
                "{student}" => "stu-1".to_owned(),
                s => s.to_owned(),
            })
            .collect::<Vec<_>>()
            .join("/");
        let a = c.get(&format!("{base}/{url}")).await;
        assert_eq!(a.status, StatusCode::OK, "{path} as /{url}: {}", a.body);
        served += 1;
        conforms(&doc, &op["responses"]["200"]["content"]["application/json"]["schema"], &a.body, path);
        let scopes: Vec<&str> =
            op["security"].as_array().unwrap().iter().map(|s| s["OAuth2"][0].as_str().unwrap()).collect();
        // Each refusal the operation can answer is documented as the binding's status payload.
        for code in ["400", "401", "403", "404", "429", "500"] {
            let schema = &op["responses"][code]["content"]["application/json"]["schema"];
            assert_eq!(schema["$ref"], "#/components/schemas/imsx_StatusInfo", "{path} {code}");
        }
        let service_scope = if base == BASE { ROSTER } else { GRADEBOOK };
        assert!(scopes.contains(&service_scope), "{path}: {scopes:?}");
        // Each field the document offers to sort by sorts (its SQL holds on this database).
        // A collection documents the binding's query parameters; a single record only `fields`.
        let params: Vec<&str> = op["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["in"] == "query")
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        let many = a.total.is_some();
        let want: &[&str] =
            if many { &["limit", "offset", "sort", "orderBy", "filter", "fields"] } else { &["fields"] };
        assert_eq!(params, want, "{path}");
        if let Some(fields) = op["parameters"].as_array().unwrap().iter().find(|p| p["name"] == "sort") {
            for f in fields["schema"]["enum"].as_array().unwrap() {
                let f = f.as_str().unwrap();
                let sorted = c.get(&format!("{base}/{url}?sort={f}&orderBy=desc&limit=2")).await;
                assert_eq!(sorted.status, StatusCode::OK, "{path}?sort={f}: {}", sorted.body);
            }
        }
    }
    let reads = ROSTERING_OPERATIONS.iter().chain(&GRADEBOOK_OPERATIONS).filter(|o| o.starts_with("get")).count();
    assert_eq!(served, reads);
    // A path the binding does not have is not served, and is not in the document.
    let pets = c.get("/pets").await;
    assert_eq!((pets.status, pets.minor()), (StatusCode::NOT_FOUND, "unknownobject"));
    let resources = c.get("/ims/oneroster/resources/v1p2/resources").await;
    assert_eq!((resources.status, resources.minor()), (StatusCode::NOT_FOUND, "unknownobject"));
    assert!(!paths.contains_key(&format!("{BASE}/pets")));
}

const GB: &str = "/ims/oneroster/gradebook/v1p2";

fn gb(id: &str, collection: &str, ty: &str) -> Value {
    json!({"href": format!("{GB}/{collection}/{id}"), "sourcedId": id, "type": ty})
}

#[tokio::test]
async fn the_gradebook_serves_what_the_sis_sent_to_those_who_may_see_it() {
    let app = spawn_app_with(&[("LEARNERGRAPH_DEV_SIGNIN", "true")]).await;
    district(&app).await;
    import_ok(&app, &fixture("v12_gradebook")).await;
    let (vendor_id, vendor_secret) = app.client(GRADEBOOK, &[]).await;
    let c = Client { app: &app, token: app.token_for(&vendor_id, &vendor_secret).await };

    assert_eq!(c.ids(&format!("{GB}/categories"), "categories").await, strs(&["cat-test", "cat-hw"]));
    assert_eq!(
        without_time(c.get(&format!("{GB}/categories/cat-hw")).await.body["category"].clone()),
        json!({"sourcedId": "cat-hw", "status": "active", "title": "Homework", "weight": 30.0})
    );
    assert_eq!(c.ids(&format!("{GB}/classes/cls-sci7-1/categories"), "categories").await, strs(&["cat-test"]));
    assert_eq!(
        c.ids(&format!("{GB}/lineItems"), "lineItems").await,
        strs(&["li-ratio-quiz", "li-rate-hw", "li-sci-lab"])
    );
    let quiz = without_time(c.get(&format!("{GB}/lineItems/li-ratio-quiz")).await.body["lineItem"].clone());
    let objectives = quiz["learningObjectiveSet"].clone();
    assert_eq!(objectives[0]["source"], "case", "{quiz}");
    assert!(objectives[0]["learningObjectiveIds"].as_array().unwrap().contains(&json!("c-rp-1")), "{quiz}");
    let mut quiz = quiz;
    quiz.as_object_mut().unwrap().remove("learningObjectiveSet");
    assert_eq!(
        quiz,
        json!({
            "sourcedId": "li-ratio-quiz", "status": "active", "title": "Ratios quiz",
            "description": "Ratios, tables and tape diagrams", "assignDate": "2026-09-01T08:00:00.000Z",
            "dueDate": "2026-09-05T23:59:00.000Z", "class": href("classes", "cls-math7-1", "class"),
            "school": href("schools", "sch-north", "org"), "category": gb("cat-test", "categories", "category"),
            "gradingPeriod": href("academicSessions", "gp-fall-q1", "academicSession"),
            "resultValueMin": 0.0, "resultValueMax": 20.0,
        })
    );
    assert_eq!(
        c.ids(&format!("{GB}/classes/cls-math7-1/lineItems"), "lineItems").await,
        strs(&["li-ratio-quiz", "li-rate-hw"])
    );

    // Results, by class, line item and student (a result without a class is its line item's).
    assert_eq!(
        c.ids(&format!("{GB}/results"), "results").await,
        strs(&["res-1", "res-2", "res-3", "res-4", "res-5", "res-6"])
    );
    assert_eq!(
        c.ids(&format!("{GB}/classes/cls-math7-1/results"), "results").await,
        strs(&["res-1", "res-2", "res-3", "res-4", "res-6"])
    );
    assert_eq!(
        c.ids(&format!("{GB}/classes/cls-math7-1/lineItems/li-rate-hw/results"), "results").await,
        strs(&["res-3", "res-4"])
    );
    assert_eq!(
        c.ids(&format!("{GB}/classes/cls-math7-1/students/stu-1/results"), "results").await,
        strs(&["res-1", "res-3"])
    );
    assert_eq!(c.get(&format!("{GB}/classes/cls-sci7-1/lineItems/li-rate-hw/results")).await.minor(), "unknownobject");
    assert_eq!(
        without_time(c.get(&format!("{GB}/results/res-2")).await.body["result"].clone()),
        json!({
            "sourcedId": "res-2", "status": "active", "lineItem": gb("li-ratio-quiz", "lineItems", "lineItem"),
            "student": href("students", "stu-2", "user"), "class": href("classes", "cls-math7-1", "class"),
            "scoreStatus": "fully graded", "score": 9.0, "scoreDate": "2026-09-06",
            "inProgress": "false", "incomplete": "false", "late": "true", "missing": "false",
        })
    );
    assert_eq!(
        c.get(&format!("{GB}/results/res-3")).await.body["result"]["class"],
        href("classes", "cls-math7-1", "class")
    );
    let graded = c
        .ids(
            &format!(
                "{GB}/results?filter=scoreStatus%3D%27fully%20graded%27%20AND%20class.sourcedId%3D%27cls-math7-1%27"
            ),
            "results",
        )
        .await;
    assert_eq!(graded, strs(&["res-1", "res-2", "res-3"]));
    assert_eq!(
        c.ids(&format!("{GB}/results?filter=student.sourcedId%3D%27stu-3%27"), "results").await,
        strs(&["res-6"])
    );

    // Score scales.
    let scale = without_time(c.get(&format!("{GB}/scoreScales/ss-letter")).await.body["scoreScale"].clone());
    assert_eq!(scale["course"], href("courses", "crs-math7", "course"));
    assert_eq!(scale["scoreScaleValue"][0], json!({"itemValueLHS": "A", "itemValueRHS": "90-100"}));
    assert_eq!(scale["scoreScaleValue"].as_array().unwrap().len(), 5);
    assert_eq!(c.ids(&format!("{GB}/classes/cls-math7-1/scoreScales"), "scoreScales").await, Vec::<String>::new());

    // The gradebook's scope reads no roster, the roster's no gradebook.
    assert_eq!(c.get("/students").await.minor(), "forbidden");
    let roster_only = Client { app: &app, token: token(&app, CORE, &[]).await };
    assert_eq!(roster_only.get(&format!("{GB}/results")).await.minor(), "forbidden");
    assert_eq!(roster_only.get(&format!("{GB}/lineItems")).await.minor(), "forbidden");

    // Org limits and relationships, as for GraphQL's results.
    let south = Client { app: &app, token: token(&app, GRADEBOOK, &["sch-south"]).await };
    assert_eq!(south.ids(&format!("{GB}/results"), "results").await, Vec::<String>::new());
    assert_eq!(south.ids(&format!("{GB}/lineItems"), "lineItems").await, Vec::<String>::new());
    assert_eq!(south.get(&format!("{GB}/results/res-1")).await.minor(), "unknownobject");
    assert_eq!(south.get(&format!("{GB}/classes/cls-math7-1/results")).await.minor(), "unknownobject");
    let teacher = app.dev_sign_in_via(&format!("progress.read {GRADEBOOK}"), "tch-2", GRADEBOOK).await;
    let t = Client { app: &app, token: teacher };
    assert_eq!(
        t.ids(&format!("{GB}/lineItems"), "lineItems").await,
        strs(&["li-sci-lab"]),
        "the line items of her classes"
    );
    assert_eq!(t.get(&format!("{GB}/classes/cls-math7-1/results")).await.minor(), "unknownobject", "not her class");

    // Reads that reveal students are audited.
    c.get(&format!("{GB}/results/res-5")).await;
    let admin = app.admin_token().await;
    let q = "query($c: String) { auditEvents(filter: {clientId: $c}) { totalCount edges { node { operationName fields learnerSourcedIds } } } }";
    let events = data(app.gql(&admin, q, json!({"c": vendor_id})).await);
    let last = events["auditEvents"]["edges"].as_array().unwrap().last().unwrap()["node"].clone();
    assert_eq!(
        last,
        json!({"operationName": "OneRoster getResult", "fields": [format!("{GB}/results/res-5")], "learnerSourcedIds": ["stu-1"]})
    );
}

fn body(v: Value) -> Vec<u8> {
    serde_json::to_vec(&v).unwrap()
}

/// The gradebook's results, masteries, line items and objectives (one number: line items plus a
/// thousand per objective row) and feed entries: what a refused write must leave as is.
async fn gradebook_state(app: &TestApp) -> (Vec<Vec<String>>, Vec<Vec<String>>, i64, i64) {
    (
        crate::oneroster::gradebook_results(app).await,
        crate::oneroster::masteries(app).await,
        crate::oneroster::count(app, "line_items").await
            + 1000 * crate::oneroster::count(app, "line_item_objectives").await,
        crate::oneroster::count(app, "sync_changes").await,
    )
}

#[tokio::test]
async fn an_lms_writes_the_gradebook_through_the_pipeline_the_sis_import_uses() {
    use crate::oneroster::{changes_after, d_id, gradebook_district, gradebook_results, masteries, num, sync_cursor};
    let (app, admin) = gradebook_district().await;
    import_ok(&app, &fixture("v12_gradebook")).await;
    let cursor = sync_cursor(&app, &admin).await;
    let (lms_id, lms_secret) = app.client(&format!("{GRADEBOOK} {CREATEPUT} {DELETE}"), &[]).await;
    let lms = Client { app: &app, token: app.token_for(&lms_id, &lms_secret).await };

    // A category, then a line item in it that assesses c-rp-2.
    let category = json!({"category": {"sourcedId": "cat-quiz", "status": "active", "title": "Quizzes", "weight": 40}});
    let a = lms.put(&format!("{GB}/categories/cat-quiz"), body(category.clone())).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    let want = json!({"sourcedId": "cat-quiz", "status": "active", "title": "Quizzes", "weight": 40.0});
    assert_eq!(without_time(a.body["category"].clone()), want);
    assert_eq!(without_time(lms.get(&format!("{GB}/categories/cat-quiz")).await.body["category"].clone()), want);
    assert_eq!(lms.put(&format!("{GB}/categories/cat-quiz"), body(category)).await.status, StatusCode::OK);

    let item = json!({"lineItem": {
        "title": "Unit rates quiz", "description": "Unit rates", "assignDate": "2026-10-01T08:00:00Z",
        "dueDate": "2026-10-05T23:59:00Z", "class": {"sourcedId": "cls-math7-1"}, "category": {"sourcedId": "cat-quiz"},
        "gradingPeriod": {"sourcedId": "gp-fall-q1"}, "resultValueMin": 0, "resultValueMax": 10,
        "learningObjectiveSet": [{"source": "case", "learningObjectiveIds": ["c-rp-2"]}],
    }});
    let a = lms.put(&format!("{GB}/lineItems/li-unit-rates"), body(item.clone())).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    let want = json!({
        "sourcedId": "li-unit-rates", "status": "active", "title": "Unit rates quiz", "description": "Unit rates",
        "assignDate": "2026-10-01T08:00:00.000Z", "dueDate": "2026-10-05T23:59:00.000Z",
        "class": href("classes", "cls-math7-1", "class"), "category": gb("cat-quiz", "categories", "category"),
        "gradingPeriod": href("academicSessions", "gp-fall-q1", "academicSession"),
        "resultValueMin": 0.0, "resultValueMax": 10.0,
        "learningObjectiveSet": [{"source": "case", "learningObjectiveIds": ["c-rp-2"]}],
    });
    assert_eq!(without_time(a.body["lineItem"].clone()), want);
    assert_eq!(without_time(lms.get(&format!("{GB}/lineItems/li-unit-rates")).await.body["lineItem"].clone()), want);
    assert!(
        lms.ids(&format!("{GB}/classes/cls-math7-1/lineItems"), "lineItems").await.contains(&"li-unit-rates".into())
    );
    // The same line item again changes nothing (its objective is kept, not replaced); a new set
    // of objectives replaces the old.
    let before = gradebook_state(&app).await;
    let a = lms.put(&format!("{GB}/lineItems/li-unit-rates"), body(item.clone())).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(gradebook_state(&app).await, before);
    let mut both = item.clone();
    both["lineItem"]["learningObjectiveSet"] =
        json!([{"source": "case", "learningObjectiveIds": ["c-rp-1", "c-rp-2"]}]);
    lms.put(&format!("{GB}/lineItems/li-unit-rates"), body(both)).await;
    let mut first = item.clone();
    first["lineItem"]["learningObjectiveSet"] = json!([{"source": "case", "learningObjectiveIds": ["c-rp-1"]}]);
    lms.put(&format!("{GB}/lineItems/li-unit-rates"), body(first)).await;
    assert_eq!(
        lms.get(&format!("{GB}/lineItems/li-unit-rates")).await.body["lineItem"]["learningObjectiveSet"],
        json!([{"source": "case", "learningObjectiveIds": ["c-rp-1"]}])
    );
    let a = lms.put(&format!("{GB}/lineItems/li-unit-rates"), body(item.clone())).await;
    assert_eq!(a.body["lineItem"]["learningObjectiveSet"], want["learningObjectiveSet"], "{}", a.body);
    // A line item as the SIS's files wrote it, PUT back as read: nothing changes (its objectives
    // keep the SIS's sourcedIds).
    let before = gradebook_state(&app).await;
    let quiz = lms.get(&format!("{GB}/lineItems/li-ratio-quiz")).await.body;
    let a = lms.put(&format!("{GB}/lineItems/li-ratio-quiz"), body(quiz)).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(gradebook_state(&app).await, before);

    // A result on it: stored by the results pipeline, evidence of c-rp-2 for stu-1.
    let result = |score: u32, modified: &str| {
        json!({"result": {
            "sourcedId": "res-unit-1", "lineItem": {"sourcedId": "li-unit-rates"}, "student": {"sourcedId": "stu-1"},
            "scoreStatus": "fully graded", "score": score, "scoreDate": "2026-10-06", "comment": "Nice",
            "late": "false", "dateLastModified": modified,
        }})
    };
    // A live subscriber (the district's) hears it as soon as it is written.
    let mut ws = crate::support::ws::Ws::connect(&app, &admin).await.unwrap();
    ws.subscribe("r", "subscription { resultChanged { sourcedId score } }").await;
    crate::sync::warm_up(&app, &admin, "stu-3", &mut [&mut ws]).await;
    let a = lms.put(&format!("{GB}/results/res-unit-1"), body(result(8, "2026-10-06T12:00:00Z"))).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    let heard = ws.next_event("r").await;
    assert_eq!(heard["data"]["resultChanged"], json!({"sourcedId": "res-unit-1", "score": 8.0}), "{heard}");
    assert_eq!(
        without_time(a.body["result"].clone()),
        json!({
            "sourcedId": "res-unit-1", "status": "active", "lineItem": gb("li-unit-rates", "lineItems", "lineItem"),
            "student": href("students", "stu-1", "user"), "class": href("classes", "cls-math7-1", "class"),
            "scoreStatus": "fully graded", "score": 8.0, "scoreDate": "2026-10-06", "comment": "Nice", "late": "false",
        })
    );
    let m = masteries(&app).await;
    let c_rp_2 = m.iter().find(|r| r[0] == "stu-1" && r[1] == "c-rp-2").unwrap().clone();
    assert_eq!(c_rp_2[2], "2", "res-3 and the new result: {m:?}");
    assert!(num(&c_rp_2[3]) > 0.5 && num(&c_rp_2[3]) < 0.8, "between res-3's 0.5 and the new 0.8: {m:?}");
    // GraphQL sees it, with the competency its line item assesses.
    let teacher = app.dev_sign_in("tch-1", "progress.read progress.write").await;
    let d = data(
        app.gql(
            &teacher,
            "{ results(first: 50) { edges { node { sourcedId competencies { sourcedId } lineItem { sourcedId title category dueDate resultValueMax class { sourcedId } competencies { sourcedId } } } } } }",
            json!({}),
        )
        .await,
    );
    let node = d["results"]["edges"].as_array().unwrap().iter().find(|e| e["node"]["sourcedId"] == "res-unit-1");
    assert_eq!(node.map(|n| n["node"]["competencies"].clone()), Some(json!([{"sourcedId": "c-rp-2"}])), "{d}");
    assert_eq!(
        node.map(|n| n["node"]["lineItem"].clone()),
        Some(json!({"sourcedId": "li-unit-rates", "title": "Unit rates quiz", "category": "Quizzes",
            "dueDate": "2026-10-05T23:59:00+00:00", "resultValueMax": 10.0, "class": {"sourcedId": "cls-math7-1"},
            "competencies": [{"sourcedId": "c-rp-2"}]})),
        "{d}"
    );
    // The feed names it; the same PUT again changes nothing.
    let fed = changes_after(&app, &admin, &cursor).await;
    assert!(fed.iter().any(|c| c.0 == "RESULT" && c.2 == "res-unit-1"), "{fed:?}");
    let before = gradebook_state(&app).await;
    let a = lms.put(&format!("{GB}/results/res-unit-1"), body(result(8, "2026-10-06T12:00:00Z"))).await;
    assert_eq!((a.status, a.body["result"]["score"].clone()), (StatusCode::OK, json!(8.0)));
    assert_eq!(gradebook_state(&app).await, before, "idempotent");
    // An older version is ignored: the answer is the stored one.
    let a = lms.put(&format!("{GB}/results/res-unit-1"), body(result(2, "2026-10-01T00:00:00Z"))).await;
    assert_eq!((a.status, a.body["result"]["score"].clone()), (StatusCode::OK, json!(8.0)), "{}", a.body);
    assert_eq!(gradebook_state(&app).await, before);
    // A teacher's override outlives the LMS's regrade.
    let id = d_id(&app, &teacher, "res-unit-1").await;
    let d = data(
        app.gql(
            &teacher,
            "mutation($id: ID!) { overrideResult(input: {resultId: $id, score: 10, scoreMax: 10, note: \"retake\"}) { result { effectiveValue } userErrors { message } } }",
            json!({"id": id}),
        )
        .await,
    );
    assert_eq!(d["overrideResult"]["result"]["effectiveValue"], 1.0, "{d}");
    let a = lms.put(&format!("{GB}/results/res-unit-1"), body(result(6, "2026-10-07T00:00:00Z"))).await;
    assert_eq!((a.status, a.body["result"]["score"].clone()), (StatusCode::OK, json!(6.0)), "{}", a.body);
    let row = gradebook_results(&app).await.into_iter().find(|r| r[0] == "res-unit-1").unwrap();
    assert_eq!((num(&row[3]), num(&row[10])), (6.0, 1.0), "the SIS's score stored, the override kept: {row:?}");

    // Refusals, each in the binding's shape, each writing nothing.
    let before = gradebook_state(&app).await;
    let path = format!("{GB}/results/res-unit-2");
    let good = result(7, "2026-10-08T00:00:00Z")["result"].clone();
    let with = |key: &str, v: Value| {
        let mut r = good.clone();
        r["sourcedId"] = json!("res-unit-2");
        r[key] = v;
        body(json!({"result": r}))
    };
    for (sent, needle) in [
        (b"{not json".to_vec(), "not JSON"),
        (body(json!({"lineItem": {}})), "the body must be"),
        (with("student", json!({"sourcedId": "stu-nobody"})), "student"),
        (with("student", json!("stu-1")), "student"),
        (with("lineItem", json!({"sourcedId": "li-nothing"})), "lineItem"),
        (with("scoreStatus", json!("graded")), "scoreStatus"),
        (with("score", json!("lots")), "score"),
        (with("scoreDate", json!("yesterday")), "scoreDate"),
        (with("late", json!(3)), "late"),
        (with("sourcedId", json!("res-other")), "sourcedId"),
        (with("status", json!("tobedeleted")), "DELETE"),
        (with("dateLastModified", json!("soon")), "dateLastModified"),
        (with("dateLastModified", json!("2999-01-01T00:00:00Z")), "future"),
        (with("comment", json!("a\u{0}b")), "NUL"),
        // Spaces around a sourcedId: the engine would trim it into another record's.
        (with("student", json!({"sourcedId": " stu-1"})), "student"),
        // A result is its line item's class's.
        (with("class", json!({"sourcedId": "cls-math7-2"})), "class"),
    ] {
        let a = lms.put(&path, sent).await;
        assert_eq!((a.status, a.minor()), (StatusCode::BAD_REQUEST, "invaliddata"), "{}", a.body);
        let why = a.body["imsx_description"].as_str().unwrap();
        assert!(why.contains(needle), "{needle}: {why}");
    }
    assert_eq!(lms.get(&path).await.status, StatusCode::NOT_FOUND);
    let padded = lms.put(&format!("{GB}/results/%20res-unit-1"), with("score", json!(1))).await;
    assert_eq!((padded.status, padded.minor()), (StatusCode::BAD_REQUEST, "invaliddata"), "{}", padded.body);
    assert_eq!(gradebook_state(&app).await, before);

    // Scopes: reading grants no write, writing no delete.
    let reader = Client { app: &app, token: token(&app, GRADEBOOK, &[]).await };
    let a = reader.put(&path, with("score", json!(7))).await;
    assert_eq!((a.status, a.minor()), (StatusCode::FORBIDDEN, "forbidden"));
    let writer = Client { app: &app, token: token(&app, CREATEPUT, &[]).await };
    let a = writer.delete(&format!("{GB}/results/res-unit-1")).await;
    assert_eq!((a.status, a.minor()), (StatusCode::FORBIDDEN, "forbidden"));
    assert_eq!(gradebook_state(&app).await, before);

    // Org limits and relationships, as for reads: a school's tool writes for its school; a
    // teacher for her classes and students; the district's categories need the district.
    let south = Client { app: &app, token: token(&app, &format!("{GRADEBOOK} {CREATEPUT}"), &["sch-south"]).await };
    let a = south.put(&path, with("score", json!(7))).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.body);
    let mut elsewhere = json!({"lineItem": {"title": "X", "assignDate": "2026-10-01T08:00:00Z",
        "dueDate": "2026-10-05T23:59:00Z", "class": {"sourcedId": "cls-math7-1"}, "category": {"sourcedId": "cat-quiz"}}});
    let a = south.put(&format!("{GB}/lineItems/li-south"), body(elsewhere.clone())).await;
    assert_eq!((a.status, a.minor()), (StatusCode::BAD_REQUEST, "invaliddata"), "{}", a.body);
    let a = south.put(&format!("{GB}/lineItems/li-unit-rates"), body(elsewhere.clone())).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.body);
    let a = south.put(&format!("{GB}/categories/cat-south"), body(json!({"category": {"title": "S"}}))).await;
    assert_eq!((a.status, a.minor()), (StatusCode::FORBIDDEN, "forbidden"));
    let tch2 = Client {
        app: &app,
        token: app.dev_sign_in_via(&format!("progress.read {CREATEPUT}"), "tch-2", CREATEPUT).await,
    };
    let a = tch2.put(&path, with("score", json!(7))).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "not her student: {}", a.body);
    // Her student, on her line item, but the sourcedId is a result of another teacher's class.
    let mut moved = good.clone();
    moved["lineItem"] = json!({"sourcedId": "li-sci-lab"});
    let a = tch2.put(&format!("{GB}/results/res-unit-1"), body(json!({"result": moved}))).await;
    assert_eq!((a.status, a.minor()), (StatusCode::CONFLICT, "invaliddata"), "{}", a.body);
    // A school's tool names only its own school's records, references included.
    let mut theirs = elsewhere.clone();
    theirs["lineItem"]["class"] = json!({"sourcedId": "cls-eng9-hr"});
    theirs["lineItem"]["school"] = json!({"sourcedId": "sch-north"});
    let a = south.put(&format!("{GB}/lineItems/li-south"), body(theirs.clone())).await;
    assert_eq!((a.status, a.minor()), (StatusCode::BAD_REQUEST, "invaliddata"), "{}", a.body);
    assert_eq!(gradebook_state(&app).await, before);
    assert_eq!(lms.get(&format!("{GB}/lineItems/li-south")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(lms.get(&format!("{GB}/categories/cat-south")).await.status, StatusCode::NOT_FOUND);
    theirs["lineItem"]["school"] = json!({"sourcedId": "sch-south"});
    let a = south.put(&format!("{GB}/lineItems/li-south"), body(theirs)).await;
    assert_eq!(a.status, StatusCode::CREATED, "its own class: {}", a.body);
    // A student who also belongs to the other school is still its own school's to grade.
    let dir = temp_dir("shared-student");
    let mut manifest = std::fs::read_to_string(fixture("v12_delta").join("manifest.csv")).unwrap();
    manifest = manifest
        .replace("file.users,delta", "file.users,absent")
        .replace("file.enrollments,delta", "file.enrollments,absent");
    manifest = manifest.replace("file.roles,absent", "file.roles,delta");
    std::fs::write(dir.join("manifest.csv"), manifest).unwrap();
    std::fs::write(
        dir.join("roles.csv"),
        "sourcedId,status,dateLastModified,userSourcedId,roleType,role,beginDate,endDate,orgSourcedId,userProfileSourcedId\n\
         stu-1:sch-south,active,2026-12-01T00:00:00Z,stu-1,secondary,student,,,sch-south,\n",
    )
    .unwrap();
    import_ok(&app, &dir).await;
    let mut shared = good.clone();
    shared["sourcedId"] = json!("res-south-1");
    shared["lineItem"] = json!({"sourcedId": "li-south"});
    let a = south.put(&format!("{GB}/results/res-south-1"), body(json!({"result": shared}))).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    std::fs::remove_dir_all(&dir).ok();
    let tch1 = Client {
        app: &app,
        token: app.dev_sign_in_via(&format!("progress.read {CREATEPUT}"), "tch-1", CREATEPUT).await,
    };
    let mut mine = good.clone();
    mine["student"] = json!({"sourcedId": "stu-2"});
    mine["sourcedId"] = json!("res-unit-2");
    let a = tch1.put(&path, body(json!({"result": mine}))).await;
    assert_eq!(a.status, StatusCode::CREATED, "her student: {}", a.body);

    // Score scales: a class's, and refused for a class outside the writer's orgs.
    let scale = json!({"scoreScale": {"title": "Pass/fail", "type": "pass-fail", "class": {"sourcedId": "cls-math7-1"},
        "scoreScaleValue": [{"itemValueLHS": "P", "itemValueRHS": "Pass"}, {"itemValueLHS": "F", "itemValueRHS": "Fail"}]}});
    let a = lms.put(&format!("{GB}/scoreScales/ss-pass"), body(scale.clone())).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    assert_eq!(a.body["scoreScale"]["scoreScaleValue"], scale["scoreScale"]["scoreScaleValue"]);
    assert_eq!(lms.ids(&format!("{GB}/classes/cls-math7-1/scoreScales"), "scoreScales").await, strs(&["ss-pass"]));
    let a = south.put(&format!("{GB}/scoreScales/ss-south"), body(scale.clone())).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.body);
    // Nor may it take over another class's scale, or the district's, for a class of its own.
    let mut own = scale.clone();
    own["scoreScale"]["class"] = json!({"sourcedId": "cls-eng9-hr"});
    for taken in ["ss-pass", "ss-letter"] {
        let a = south.put(&format!("{GB}/scoreScales/{taken}"), body(own.clone())).await;
        assert_eq!((a.status, a.minor()), (StatusCode::CONFLICT, "invaliddata"), "{taken}: {}", a.body);
    }
    assert_eq!(lms.get(&format!("{GB}/scoreScales/ss-letter")).await.body["scoreScale"]["class"], Value::Null);
    assert_eq!(lms.get(&format!("{GB}/scoreScales/ss-south")).await.status, StatusCode::NOT_FOUND);

    // Deletes: a tombstone the reads show, its mastery recomputed; a line item's results end
    // with it; a second delete finds nothing.
    let a = lms.delete(&format!("{GB}/results/res-unit-1")).await;
    assert_eq!(a.status, StatusCode::NO_CONTENT, "{}", a.body);
    assert_eq!(lms.get(&format!("{GB}/results/res-unit-1")).await.body["result"]["status"], "tobedeleted");
    let m = masteries(&app).await;
    assert_eq!(m.iter().find(|r| r[0] == "stu-1" && r[1] == "c-rp-2").map(|r| r[2].clone()), Some("1".into()));
    let a = lms.delete(&format!("{GB}/results/res-unit-1")).await;
    assert_eq!((a.status, a.minor()), (StatusCode::NOT_FOUND, "unknownobject"));
    elsewhere["lineItem"]["title"] = json!("Y");
    assert_eq!(lms.delete(&format!("{GB}/lineItems/li-unit-rates")).await.status, StatusCode::NO_CONTENT);
    assert_eq!(lms.get(&format!("{GB}/results/res-unit-2")).await.body["result"]["status"], "tobedeleted");
    assert_eq!(lms.get(&format!("{GB}/lineItems/li-unit-rates")).await.body["lineItem"]["status"], "tobedeleted");
    assert_eq!(lms.delete(&format!("{GB}/lineItems/li-unit-rates")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(lms.delete(&format!("{GB}/scoreScales/ss-pass")).await.status, StatusCode::NO_CONTENT);
    assert_eq!(lms.delete(&format!("{GB}/categories/cat-quiz")).await.status, StatusCode::NO_CONTENT);
    assert_eq!(lms.delete(&format!("{GB}/categories/cat-quiz")).await.status, StatusCode::NOT_FOUND);

    // Each write is on the access audit as a mutation, with the student it changed.
    let q = "query($c: String) { auditEvents(filter: {clientId: $c}, first: 100) { edges { node { operationType operationName fields learnerSourcedIds } } } }";
    let events = data(app.gql(&app.admin_token().await, q, json!({"c": lms_id})).await);
    let put = events["auditEvents"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["node"]["operationName"] == "OneRoster putResult")
        .map(|e| e["node"].clone());
    assert_eq!(
        put,
        Some(json!({"operationType": "mutation", "operationName": "OneRoster putResult",
            "fields": [format!("{GB}/results/res-unit-1")], "learnerSourcedIds": ["stu-1"]}))
    );
    // Deleting a line item ends its results: the students whose results ended are named.
    let deleted = events["auditEvents"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["node"]["operationName"] == "OneRoster deleteLineItem")
        .map(|e| e["node"]["learnerSourcedIds"].clone());
    assert_eq!(deleted, Some(json!(["stu-2"])));
}

#[tokio::test]
async fn the_demo_district_answers_every_oneroster_read_with_records() {
    let app = spawn_app().await;
    learnergraph::seed::demo(&app.db).await.unwrap();
    let doc: Value = reqwest::get(app.url("/ims/oneroster/openapi.json")).await.unwrap().json().await.unwrap();
    let c = Client { app: &app, token: token(&app, &format!("{ROSTER} {GRADEBOOK}"), &[]).await };
    // Every teacher has an email, every class a term.
    let (teachers, _) = c.all("/teachers?limit=1000", "users").await;
    assert!(!teachers.is_empty() && teachers.iter().all(|t| t["email"].as_str().is_some_and(|e| e.contains('@'))));
    let (classes, _) = c.all("/classes?limit=1000", "classes").await;
    assert!(classes.iter().all(|k| !k["terms"].as_array().unwrap().is_empty()), "every class has a term");
    let class = "rb-c-003-06-math-s1";
    let student = c.get(&format!("/classes/{class}/students?limit=1")).await.body["users"][0]["sourcedId"]
        .as_str()
        .unwrap()
        .to_owned();
    let sample = |collection: &str| match collection {
        "categories" => "rb-cat-quiz".to_owned(),
        "lineItems" => format!("{class}-li-ratios-quiz"),
        "results" => format!("{class}-li-ratios-quiz-{student}"),
        "scoreScales" => "rb-ss-letter".to_owned(),
        "orgs" => "rb-district".to_owned(),
        "schools" => "rb-school-003".to_owned(),
        "academicSessions" | "terms" => "rb-term-2027-fall".to_owned(),
        "gradingPeriods" => "rb-gp-2027-q1".to_owned(),
        "courses" => "rb-c-003-06-math".to_owned(),
        "classes" => class.to_owned(),
        "users" | "students" | "demographics" => student.clone(),
        "teachers" => "rb-t-003-06-math-0".to_owned(),
        "enrollments" => format!("rb-e-{class}-{student}"),
        other => panic!("no sample for {other}"),
    };
    let mut read = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        let (base, rest) = path.split_at(path.find("/v1p2").unwrap() + 5);
        let segments: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
        let url: Vec<String> = segments
            .iter()
            .enumerate()
            .map(|(i, seg)| match *seg {
                "{id}" => sample(segments[i - 1]),
                "{item}" => sample("lineItems"),
                "{class}" => class.to_owned(),
                "{student}" => student.clone(),
                s => s.to_owned(),
            })
            .collect();
        let a = c.get(&format!("{base}/{}", url.join("/"))).await;
        assert_eq!(a.status, StatusCode::OK, "{path}: {}", a.body);
        let key =
            item["get"]["responses"]["200"]["content"]["application/json"]["schema"]["required"][0].as_str().unwrap();
        match a.total {
            Some(total) => assert!(total > 0 && !a.body[key].as_array().unwrap().is_empty(), "{path}: no records"),
            None => assert!(a.body[key]["sourcedId"].is_string(), "{path}: {}", a.body),
        }
        read += 1;
    }
    assert_eq!(read, ROSTERING_OPERATIONS.len() + GRADEBOOK_OPERATIONS.iter().filter(|o| o.starts_with("get")).count());
}

/// Every record of the rostering collections as `c` reads them, without their times (each
/// service stamps its own writes).
async fn roster_snapshot(c: &Client<'_>) -> Vec<(&'static str, Vec<Value>)> {
    let mut out = Vec::new();
    for (path, key) in [
        ("orgs", "orgs"),
        ("academicSessions", "academicSessions"),
        ("courses", "courses"),
        ("classes", "classes"),
        ("users", "users"),
        ("enrollments", "enrollments"),
        ("demographics", "demographics"),
    ] {
        // The live records: a tombstone of a record the target never had is not one to copy.
        let (items, _) = c.all(&format!("/{path}?limit=1000&sort=sourcedId"), key).await;
        out.push((path, items.into_iter().filter(|i| i["status"] == "active").map(without_time).collect()));
    }
    out
}

/// Two snapshots hold the same records, compared record by record (a difference names one).
fn same_roster(got: Vec<(&'static str, Vec<Value>)>, want: Vec<(&'static str, Vec<Value>)>) {
    for ((path, got), (_, want)) in got.iter().zip(&want) {
        let ids =
            |v: &Vec<Value>| v.iter().map(|r| r["sourcedId"].as_str().unwrap_or("").to_owned()).collect::<Vec<_>>();
        assert_eq!(ids(got), ids(want), "{path}");
        for (g, w) in got.iter().zip(want) {
            assert_eq!(g, w, "{path}");
        }
    }
}

/// `learnergraph sync oneroster` into `target`'s database, from `sis`.
async fn sync(
    target: &TestApp,
    sis: &TestApp,
    id: &str,
    secret_file: &std::path::Path,
    extra: &[&str],
) -> (bool, Value, String) {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_learnergraph"));
    cmd.args(["sync", "oneroster", "--with-demographics", "--client-id", id])
        .args(extra)
        .arg("--base-url")
        .arg(sis.url(BASE))
        .arg("--token-url")
        .arg(sis.url("/oauth/token"))
        .arg("--client-secret-file")
        .arg(secret_file)
        .env("DATABASE_URL", &target.database_url)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    // Off the test's runtime thread: the SIS under test answers on it.
    let child = cmd.spawn().unwrap();
    let out = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap()).await.unwrap();
    let report = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out.status.success(), report, String::from_utf8_lossy(&out.stderr).into_owned())
}

#[tokio::test]
async fn a_district_pulls_its_roster_from_a_sis_that_serves_oneroster_rest() {
    let sis = spawn_app().await;
    district(&sis).await;
    import_demographics(&sis).await;
    let (id, secret) = sis.client(ROSTER, &[]).await;
    let dir = temp_dir("sync");
    let secret_file = dir.join("secret");
    std::fs::write(&secret_file, format!("{secret}\n")).unwrap();
    let target = spawn_app().await;
    let from = Client { app: &sis, token: token(&sis, ROSTER, &[]).await };
    let to = Client { app: &target, token: token(&target, ROSTER, &[]).await };

    // A wrong secret: the token endpoint's refusal, and nothing written.
    let wrong = dir.join("wrong");
    std::fs::write(&wrong, "nope").unwrap();
    let (ok, _, err) = sync(&target, &sis, &id, &wrong, &[]).await;
    assert!(!ok && err.contains("invalid_client"), "{err}");
    assert!(to.get("/users").await.body["users"].as_array().unwrap().is_empty());

    // The first sync reads everything: the district as the SIS serves it, telling its progress.
    let (ok, report, err) = sync(&target, &sis, &id, &secret_file, &[]).await;
    assert!(ok, "{err}\n{report}");
    assert!(err.contains("progress: read 11 users") && err.contains("progress: writing users"), "{err}");
    assert_eq!(report["outcome"], "applied", "{report}");
    assert_eq!(report["files"]["users"], "bulk", "{report}");
    let want = roster_snapshot(&from).await;
    assert!(want.iter().all(|(_, items)| !items.is_empty()), "{want:?}");
    same_roster(roster_snapshot(&to).await, want);

    // The SIS changes (a user edited, one deleted, an enrollment added, one ended): the next
    // sync asks for what changed since the last, and applies it as a delta.
    import_ok(&sis, &fixture("v12_delta")).await;
    // A dry run counts the delta and writes nothing (nor moves where the next sync starts).
    let before = roster_snapshot(&to).await;
    let (ok, report, err) = sync(&target, &sis, &id, &secret_file, &["--dry-run"]).await;
    assert!(ok, "{err}\n{report}");
    assert_eq!((report["outcome"].clone(), report["counts"]["users"]["deleted"].clone()), (json!("dry_run"), json!(1)));
    same_roster(roster_snapshot(&to).await, before);
    let (ok, report, err) = sync(&target, &sis, &id, &secret_file, &[]).await;
    assert!(ok, "{err}\n{report}");
    assert_eq!(report["files"]["users"], "delta", "{report}");
    assert_eq!(
        (report["counts"]["users"]["updated"].clone(), report["counts"]["users"]["deleted"].clone()),
        (json!(1), json!(1)),
        "{report}"
    );
    // enr-014 added; enr-009 ended, and stu-4's enrollment with her.
    assert_eq!(
        (report["counts"]["enrollments"]["created"].clone(), report["counts"]["enrollments"]["deleted"].clone()),
        (json!(1), json!(2)),
        "{report}"
    );
    same_roster(roster_snapshot(&to).await, roster_snapshot(&from).await);
    // It asked with the binding's filter: the SIS's audit of the sync's reads says so.
    let q = "query($c: String) { auditEvents(filter: {clientId: $c}, first: 100) { edges { node { operationName fields } } } }";
    let events = data(sis.gql(&sis.admin_token().await, q, json!({"c": id})).await);
    let users: Vec<String> = events["auditEvents"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["node"]["operationName"] == "OneRoster getAllUsers")
        .map(|e| e["node"]["fields"][0].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(users.len(), 3, "{users:?}");
    assert!(!users[0].contains("filter=") && users[1].contains("filter=dateLastModified%3E%27"), "{users:?}");
    assert_eq!(users[1], users[2], "the dry run left the next sync's starting point where it was");
    // Each sync is in the import history.
    let history = data(
        target
            .gql(
                &target.admin_token().await,
                "{ rosterImports(first: 10) { edges { node { source outcome ranBy dryRun } } } }",
                json!({}),
            )
            .await,
    );
    let sources: Vec<Value> =
        history["rosterImports"]["edges"].as_array().unwrap().iter().map(|e| e["node"].clone()).collect();
    let source = format!("OneRoster REST {}", sis.url(BASE));
    assert_eq!(
        sources.iter().filter(|n| n["source"] == source.as_str() && n["outcome"] == "APPLIED").count(),
        2,
        "{sources:?}"
    );
    assert_eq!(sources.iter().filter(|n| n["dryRun"] == true).count(), 1, "{sources:?}");
    // A role the SIS ends: the user's next version lists one role fewer, and the sync ends it.
    let roles = temp_dir("sync-roles");
    let manifest = std::fs::read_to_string(fixture("v12_delta").join("manifest.csv")).unwrap();
    let manifest = manifest
        .replace("file.users,delta", "file.users,absent")
        .replace("file.enrollments,delta", "file.enrollments,absent")
        .replace("file.roles,absent", "file.roles,delta");
    std::fs::write(roles.join("manifest.csv"), manifest).unwrap();
    std::fs::write(
        roles.join("roles.csv"),
        "sourcedId,status,dateLastModified,userSourcedId,roleType,role,beginDate,endDate,orgSourcedId,userProfileSourcedId\n\
         role-tch-1-south,tobedeleted,2026-12-02T00:00:00Z,tch-1,secondary,teacher,,,sch-south,\n",
    )
    .unwrap();
    import_ok(&sis, &roles).await;
    let (ok, report, err) = sync(&target, &sis, &id, &secret_file, &[]).await;
    assert!(ok, "{err}\n{report}");
    assert_eq!(report["counts"]["roles"]["deleted"], 1, "{report}");
    same_roster(roster_snapshot(&to).await, roster_snapshot(&from).await);
    assert_eq!(to.get("/users/tch-1").await.body["user"]["roles"].as_array().map(Vec::len), Some(1));
    std::fs::remove_dir_all(&roles).ok();
    assert!(sources.iter().all(|n| n["ranBy"].as_str().is_some_and(|r| r.starts_with("cli:"))), "{sources:?}");
    std::fs::remove_dir_all(&dir).ok();
}
