//! Systematic bad input: property tests driven by the schema itself and by the OAuth endpoints'
//! parameters. Every root Query and Mutation field is called with argument values generated
//! from its argument types (hostile strings, extreme numbers, forged IDs, invalid enums and
//! dates, odd Money, nulls), as variables most of the time and as inline literals some of the
//! time; the OAuth endpoints get random and hostile form bodies and query strings.
//!
//! The oracle: never a 5xx; GraphQL answers are GraphQL JSON whose every error carries an
//! `extensions.code` other than `INTERNAL_SERVER_ERROR`; a request refused with an error wrote
//! nothing (row counts of every table but audit and token bookkeeping, before and after); OAuth
//! answers are RFC 6749 error JSON with one of the RFC's codes, or the redirect or page the
//! endpoint legitimately renders.
//!
//! Bounded and reproducible: `PROPTEST_CASES` cases per field (default [`DEFAULT_CASES`]),
//! seeds derived from the field's name (and `HOSTILE_SEED`, default 0), shrinking on (at most
//! `PROPTEST_MAX_SHRINK_ITERS` steps, default 64). `HOSTILE_EXPLORE=1` runs every case without
//! stopping at a field's first failure and prints each distinct failure once.

use std::{
    collections::{BTreeMap, HashMap},
    sync::Mutex,
    time::Duration,
};

use base64::{
    Engine,
    engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD},
};
use learnergraph::graphql::relay::{Kind, global_id};
use proptest::{
    prelude::*,
    strategy::Union,
    test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner},
};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::Value;

use crate::support::{DEV_REDIRECT, TestApp, spawn_app_with};

/// Cases per root field (and per OAuth endpoint, times four) when `PROPTEST_CASES` is unset.
const DEFAULT_CASES: u32 = 8;

/// The largest request body the sweep sends (the production default limit is 1 MiB).
const MAX_BODY: usize = 1_000_000;

/// Every scope there is: the sweep must reach every field.
const ALL_SCOPES: &str = "roster.read roster.write profiles.read profiles.write profiles.sensitive.read \
     playlists.read playlists.write progress.read progress.write win.read win.write redesign.read redesign.write admin";

fn env_u32(name: &str, default: u32) -> u32 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn explore() -> bool {
    std::env::var("HOSTILE_EXPLORE").is_ok_and(|v| !v.is_empty() && v != "0")
}

/// A runner seeded from `name`, so each field's cases reproduce and don't shift when fields
/// are added.
fn runner(name: &str, cases: u32) -> TestRunner {
    let base = std::env::var("HOSTILE_SEED").ok().and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    // FNV-1a: stable across Rust versions, unlike DefaultHasher.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ base;
    for b in name.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    let mut seed = [0u8; 32];
    for (i, chunk) in seed.chunks_mut(8).enumerate() {
        chunk.copy_from_slice(&h.rotate_left(i as u32 * 16).to_le_bytes());
    }
    let config = Config {
        cases,
        max_shrink_iters: env_u32("PROPTEST_MAX_SHRINK_ITERS", 64),
        failure_persistence: None,
        ..Config::default()
    };
    TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &seed))
}

fn cases() -> u32 {
    env_u32("PROPTEST_CASES", DEFAULT_CASES)
}

/// A tokio runtime the properties block on: proptest's runner is synchronous.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime")
}

// ---------------------------------------------------------------------------------------------
// Generated values
// ---------------------------------------------------------------------------------------------

/// An argument value, kept apart from JSON so that raw number tokens, escape sequences and
/// enum names can be written exactly as a hostile client would.
#[derive(Clone, Debug)]
enum V {
    Null,
    Bool(bool),
    /// A number token written verbatim (`-2147483649`, `1e400`, `99999999999999999999`).
    Num(String),
    Str(String),
    /// The text between the quotes of a string, written verbatim (`\ud800`, `\u0000`).
    RawStr(String),
    /// An enum value: a string in JSON, a bare name in a literal when it is a valid name.
    Enum(String),
    List(Vec<V>),
    Obj(Vec<(String, V)>),
}

fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
        && !matches!(s, "true" | "false" | "null")
}

fn json_string(s: &str) -> String {
    serde_json::to_string(s).expect("string serializes")
}

impl V {
    fn to_json(&self) -> String {
        match self {
            V::Null => "null".into(),
            V::Bool(b) => b.to_string(),
            V::Num(n) => n.clone(),
            V::Str(s) | V::Enum(s) => json_string(s),
            V::RawStr(r) => format!("\"{r}\""),
            V::List(items) => format!("[{}]", items.iter().map(V::to_json).collect::<Vec<_>>().join(",")),
            V::Obj(fields) => format!(
                "{{{}}}",
                fields.iter().map(|(k, v)| format!("{}:{}", json_string(k), v.to_json())).collect::<Vec<_>>().join(",")
            ),
        }
    }

    /// The value as a GraphQL literal. Object keys that aren't names make the document fail
    /// to parse, which is a fine hostile input too.
    fn to_literal(&self) -> String {
        match self {
            V::Enum(s) if is_name(s) => s.clone(),
            V::Obj(fields) => format!(
                "{{{}}}",
                fields.iter().map(|(k, v)| format!("{k}: {}", v.to_literal())).collect::<Vec<_>>().join(", ")
            ),
            V::List(items) => format!("[{}]", items.iter().map(V::to_literal).collect::<Vec<_>>().join(", ")),
            other => other.to_json(),
        }
    }

    /// A short rendering for reports: long strings summarised.
    fn show(&self) -> String {
        fn short(s: &str) -> String {
            let n = s.chars().count();
            if n <= 60 {
                format!("{s:?}")
            } else {
                let head: String = s.chars().take(12).collect();
                format!("{head:?}…({n} chars)")
            }
        }
        match self {
            V::Null => "null".into(),
            V::Bool(b) => b.to_string(),
            V::Num(n) => n.clone(),
            V::Str(s) => short(s),
            V::RawStr(r) => format!("raw\"{}\"", r.chars().take(60).collect::<String>()),
            V::Enum(e) => format!("enum {}", short(e)),
            V::List(items) if items.len() > 6 => format!("[{} × {}]", items.len(), items[0].show()),
            V::List(items) => format!("[{}]", items.iter().map(V::show).collect::<Vec<_>>().join(", ")),
            V::Obj(fields) => {
                format!(
                    "{{{}}}",
                    fields.iter().map(|(k, v)| format!("{k}: {}", v.show())).collect::<Vec<_>>().join(", ")
                )
            }
        }
    }
}

/// Strings that have broken services before: control characters, NUL, SQL and LIKE
/// metacharacters, odd unicode, whitespace, markup.
const HOSTILE_STRINGS: &[&str] = &[
    "",
    " ",
    "\u{0}",
    "a\u{0}b",
    "sc-s-000001\u{0}",
    "\u{1}\u{2}\u{1b}[31m\u{7f}",
    "\t\n\r\u{b}\u{c}",
    "%",
    "_",
    "%_'\"\\",
    "' OR '1'='1' --",
    "'; DROP TABLE users; --",
    "\\",
    "\\u0000",
    "%00",
    "\u{202e}gnp.exe",
    "é\u{301}",
    "😀🏫",
    "\u{fffd}",
    "\u{feff}",
    "\u{2028}\u{2029}",
    "\u{85}",
    "<script>alert(1)</script>",
    "null",
    "undefined",
    "0",
    "-1",
    "NaN",
    "   padded   ",
    "../../etc/passwd",
    "${jndi:ldap://x}",
];

/// Escape sequences that are valid JSON syntax but not valid text.
const RAW_ESCAPES: &[&str] = &["\\ud800", "\\udc00x", "\\ud83d\\u0041", "\\u0000", "\\/\\b\\f", "\\uFFFF", "\\u0085"];

fn hostile_string() -> BoxedStrategy<String> {
    hostile_string_upto(100_000)
}

/// Hostile strings of at most `max` characters.
fn hostile_string_upto(max: usize) -> BoxedStrategy<String> {
    let lengths: Vec<usize> = [256usize, 1001, 10_000, 100_000].into_iter().filter(|n| *n <= max).collect();
    Union::new_weighted(vec![
        (6, proptest::sample::select(HOSTILE_STRINGS).prop_map(str::to_owned).boxed()),
        // Any characters at all, control characters included.
        (3, proptest::collection::vec(any::<char>(), 0..24).prop_map(|c| c.into_iter().collect()).boxed()),
        (
            2,
            (proptest::sample::select(vec!['a', '%', '\u{0}', 'é', '😀', ' ']), proptest::sample::select(lengths))
                .prop_map(|(c, n)| std::iter::repeat_n(c, n).collect())
                .boxed(),
        ),
    ])
    .boxed()
}

/// The values a string argument gets: hostile text, real identifiers from the seed, escape
/// oddities.
fn string_value(pool: &Pools) -> BoxedStrategy<V> {
    Union::new_weighted(vec![
        (6, hostile_string().prop_map(V::Str).boxed()),
        (4, proptest::sample::select(pool.strings.clone()).prop_map(V::Str).boxed()),
        (1, proptest::sample::select(RAW_ESCAPES).prop_map(|r| V::RawStr(r.to_owned())).boxed()),
    ])
    .boxed()
}

fn id_value(pool: &Pools) -> BoxedStrategy<V> {
    let forged = proptest::sample::select(vec![
        "District:0",
        "Learner:-1",
        "Learner:9223372036854775807",
        "Learner:9223372036854775808",
        "Learner:1.5",
        "Learner:",
        ":1",
        "Nope:1",
        "learner:1",
        "Learner:1:2",
        "Learner: 1",
        "Learner:0x10",
        "Learner:\u{0}",
        "c:1",
    ])
    .prop_map(|s| V::Str(URL_SAFE_NO_PAD.encode(s)));
    Union::new_weighted(vec![
        // Valid-looking IDs of every kind: most resolve to nothing or to the wrong kind.
        (6, proptest::sample::select(pool.ids.clone()).prop_map(V::Str).boxed()),
        (2, forged.boxed()),
        // Random bytes, base64 in both alphabets.
        (1, proptest::collection::vec(any::<u8>(), 0..24).prop_map(|b| V::Str(URL_SAFE_NO_PAD.encode(b))).boxed()),
        (1, proptest::collection::vec(any::<u8>(), 0..24).prop_map(|b| V::Str(STANDARD.encode(b))).boxed()),
        (2, hostile_string().prop_map(V::Str).boxed()),
        // GraphQL's ID also accepts integers.
        (1, int_value().boxed()),
    ])
    .boxed()
}

fn int_value() -> BoxedStrategy<V> {
    Union::new_weighted(vec![
        (
            4,
            proptest::sample::select(vec![
                "0",
                "1",
                "-1",
                "2",
                "5",
                "20",
                "100",
                "101",
                "2147483647",
                "-2147483648",
                "2147483648",
                "-2147483649",
                "9223372036854775807",
                "-9223372036854775809",
                "99999999999999999999999",
                "1e400",
                "-0",
                "1.0",
                "1.5",
                "1e3",
            ])
            .prop_map(|n| V::Num(n.to_owned()))
            .boxed(),
        ),
        (2, any::<i32>().prop_map(|n| V::Num(n.to_string())).boxed()),
        (2, (0i32..60).prop_map(|n| V::Num(n.to_string())).boxed()),
        (1, proptest::sample::select(vec!["1", "NaN", "Infinity", ""]).prop_map(|s| V::Str(s.to_owned())).boxed()),
    ])
    .boxed()
}

fn float_value() -> BoxedStrategy<V> {
    Union::new_weighted(vec![
        (
            3,
            proptest::sample::select(vec![
                "0",
                "-0.0",
                "0.5",
                "1",
                "-1",
                "1e308",
                "-1e308",
                "1e400",
                "5e-324",
                "1e-400",
                "3.4028235e38",
                "99999999999999999999999",
            ])
            .prop_map(|n| V::Num(n.to_owned()))
            .boxed(),
        ),
        (2, any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(|f| V::Num(format!("{f:e}"))).boxed()),
        (
            1,
            proptest::sample::select(vec!["NaN", "Infinity", "-Infinity", "1.0"])
                .prop_map(|s| V::Str(s.to_owned()))
                .boxed(),
        ),
    ])
    .boxed()
}

fn datetime_value() -> BoxedStrategy<V> {
    Union::new_weighted(vec![
        (
            3,
            proptest::sample::select(vec![
                "2027-01-15T08:00:00Z",
                "2026-09-01T00:00:00+00:00",
                "2027-06-11T23:59:59.999999999-07:00",
                "1970-01-01T00:00:00Z",
            ])
            .prop_map(|s| V::Str(s.to_owned()))
            .boxed(),
        ),
        (
            4,
            proptest::sample::select(vec![
                "",
                "now",
                "2027-13-01T00:00:00Z",
                "2027-02-30T00:00:00Z",
                "2027-01-01T25:00:00Z",
                "2027-01-01T00:00:60Z",
                "0000-01-01T00:00:00Z",
                "9999-12-31T23:59:59Z",
                "+275760-09-13T00:00:00Z",
                "-000001-01-01T00:00:00Z",
                "2027-01-01",
                "2027-01-01T00:00:00",
                "2027-01-01T00:00:00+25:00",
                "2027-01-01 00:00:00Z",
                "1e10",
                "2027-01-01T00:00:00Z\u{0}",
            ])
            .prop_map(|s| V::Str(s.to_owned()))
            .boxed(),
        ),
        (1, proptest::sample::select(vec!["0", "1700000000", "-1"]).prop_map(|n| V::Num(n.to_owned())).boxed()),
    ])
    .boxed()
}

fn date_value() -> BoxedStrategy<V> {
    Union::new_weighted(vec![
        (
            3,
            proptest::sample::select(vec!["2027-01-15", "2026-08-17", "2028-02-29", "2027-06-11"])
                .prop_map(|s| V::Str(s.to_owned()))
                .boxed(),
        ),
        (
            4,
            proptest::sample::select(vec![
                "",
                "2027-02-29",
                "2027-13-01",
                "2027-00-10",
                "0000-01-01",
                "-0001-01-01",
                "9999-12-31",
                "+10000-01-01",
                "262143-12-31",
                "2027-1-1",
                "20270101",
                "2027/01/01",
                "2027-01-01T00:00:00Z",
                "2027-01-01\u{0}",
            ])
            .prop_map(|s| V::Str(s.to_owned()))
            .boxed(),
        ),
        (1, Just(V::Num("20270101".into())).boxed()),
    ])
    .boxed()
}

fn money_value() -> BoxedStrategy<V> {
    Union::new_weighted(vec![
        (
            2,
            proptest::sample::select(vec![
                "0",
                "0.00",
                "1250",
                "1250.5",
                "175000.00",
                "999999999999.99",
                "1000000000000",
            ])
            .prop_map(|s| V::Str(s.to_owned()))
            .boxed(),
        ),
        (
            4,
            proptest::sample::select(vec![
                "1e9",
                "-0.001",
                "-1",
                "99999999999999999999.99",
                "1000000000000.01",
                "9999999999999",
                "1.234",
                ".5",
                "1.",
                "NaN",
                "Infinity",
                " 1",
                "1,000",
                "0x10",
                "١٢٣",
                "",
                "1\u{0}",
            ])
            .prop_map(|s| V::Str(s.to_owned()))
            .boxed(),
        ),
        (1, proptest::sample::select(vec!["12.5", "100", "1e9", "-1"]).prop_map(|n| V::Num(n.to_owned())).boxed()),
    ])
    .boxed()
}

/// Any JSON, including NUL-laden strings and keys, and the occasional deeply nested array.
fn json_value() -> BoxedStrategy<V> {
    let leaf = Union::new_weighted(vec![
        (1, Just(V::Null).boxed()),
        (1, any::<bool>().prop_map(V::Bool).boxed()),
        (2, int_value()),
        (3, hostile_string().prop_map(V::Str).boxed()),
    ]);
    let tree = leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(V::List),
            proptest::collection::vec((hostile_string(), inner), 0..4).prop_map(V::Obj),
        ]
    });
    Union::new_weighted(vec![
        (8, tree.boxed()),
        (
            1,
            proptest::sample::select(vec![10usize, 127, 129, 1000])
                .prop_map(|depth| (0..depth).fold(V::Null, |acc, _| V::List(vec![acc])))
                .boxed(),
        ),
    ])
    .boxed()
}

/// A value of the wrong shape for whatever is expected.
fn wrong_type() -> BoxedStrategy<V> {
    prop_oneof![
        Just(V::Obj(vec![("a".into(), V::Num("1".into()))])),
        Just(V::List(vec![V::Num("1".into()), V::Str("x".into())])),
        Just(V::Bool(true)),
        Just(V::Num("3.25".into())),
        Just(V::Str("wrong type".into())),
        Just(V::Enum("NOT_A_VALUE".into())),
    ]
    .boxed()
}

// ---------------------------------------------------------------------------------------------
// The schema as introspection tells it
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug)]
enum TypeRef {
    NonNull(Box<TypeRef>),
    List(Box<TypeRef>),
    Named(String),
}

impl TypeRef {
    fn from_json(v: &Value) -> TypeRef {
        match v["kind"].as_str() {
            Some("NON_NULL") => TypeRef::NonNull(Box::new(TypeRef::from_json(&v["ofType"]))),
            Some("LIST") => TypeRef::List(Box::new(TypeRef::from_json(&v["ofType"]))),
            _ => TypeRef::Named(v["name"].as_str().expect("named type").to_owned()),
        }
    }

    fn sdl(&self) -> String {
        match self {
            TypeRef::NonNull(t) => format!("{}!", t.sdl()),
            TypeRef::List(t) => format!("[{}]", t.sdl()),
            TypeRef::Named(n) => n.clone(),
        }
    }

    fn named(&self) -> &str {
        match self {
            TypeRef::NonNull(t) | TypeRef::List(t) => t.named(),
            TypeRef::Named(n) => n,
        }
    }
}

#[derive(Clone, Debug)]
struct InputValue {
    name: String,
    ty: TypeRef,
}

#[derive(Clone, Debug)]
struct FieldDef {
    name: String,
    args: Vec<InputValue>,
    ty: TypeRef,
}

#[derive(Clone, Debug, Default)]
struct TypeDef {
    kind: String,
    fields: Vec<FieldDef>,
    input_fields: Vec<InputValue>,
    enum_values: Vec<String>,
}

struct Schema {
    query: String,
    mutation: Option<String>,
    types: HashMap<String, TypeDef>,
}

const TYPE_REF: &str = "kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } }";

async fn introspect(app: &TestApp, token: &str) -> Schema {
    let query = format!(
        "{{ __schema {{ queryType {{ name }} mutationType {{ name }} types {{ kind name \
           fields {{ name args {{ name type {{ {TYPE_REF} }} }} type {{ {TYPE_REF} }} }} \
           inputFields {{ name type {{ {TYPE_REF} }} }} enumValues {{ name }} }} }} }}"
    );
    let body = app.gql(token, &query, serde_json::json!({})).await;
    assert!(body.get("errors").is_none(), "introspection refused: {body}");
    let s = &body["data"]["__schema"];
    let input_values = |v: &Value| -> Vec<InputValue> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .map(|iv| InputValue {
                        name: iv["name"].as_str().expect("name").to_owned(),
                        ty: TypeRef::from_json(&iv["type"]),
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut types = HashMap::new();
    for t in s["types"].as_array().expect("types") {
        let name = t["name"].as_str().expect("type name").to_owned();
        let fields = t["fields"]
            .as_array()
            .map(|fs| {
                fs.iter()
                    .map(|f| FieldDef {
                        name: f["name"].as_str().expect("field name").to_owned(),
                        args: input_values(&f["args"]),
                        ty: TypeRef::from_json(&f["type"]),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let enum_values = t["enumValues"]
            .as_array()
            .map(|vs| vs.iter().map(|v| v["name"].as_str().expect("enum value").to_owned()).collect())
            .unwrap_or_default();
        types.insert(
            name,
            TypeDef {
                kind: t["kind"].as_str().expect("kind").to_owned(),
                fields,
                input_fields: input_values(&t["inputFields"]),
                enum_values,
            },
        );
    }
    Schema {
        query: s["queryType"]["name"].as_str().expect("query type").to_owned(),
        mutation: s["mutationType"]["name"].as_str().map(str::to_owned),
        types,
    }
}

/// Real values from the seeded district, so that some arguments resolve.
#[derive(Clone)]
struct Pools {
    strings: Vec<String>,
    ids: Vec<String>,
}

async fn pools(app: &TestApp) -> Pools {
    let mut strings = vec![
        "sc-district".to_owned(),
        "sc-school-001".into(),
        "sc-school-002".into(),
        "sc-s-000001".into(),
        "sc-s-000007".into(),
        "sc-admin-district".into(),
        "sc-sy-2027".into(),
        "sc-term-2027-fall".into(),
        "roster.read".into(),
        "http://localhost:3000/callback".into(),
    ];
    for table in ["classes", "courses", "enrollments", "users"] {
        let sql = format!("SELECT sourced_id FROM {table} ORDER BY id LIMIT 3");
        for row in app.db.query_all_raw(Statement::from_string(app.db.get_database_backend(), sql)).await.expect("pool")
        {
            strings.push(row.try_get::<String>("", "sourced_id").expect("sourced_id"));
        }
    }
    let ids = Kind::ALL.iter().flat_map(|k| [1, 2, 3, 7, 12, 30, 999_999].map(|n| global_id(*k, n).0)).collect();
    Pools { strings, ids }
}

/// Builds value strategies from the schema's types.
struct Gen<'a> {
    schema: &'a Schema,
    pools: &'a Pools,
}

/// Input objects nested deeper than this get no more fields (nullable) or null (required).
const MAX_INPUT_DEPTH: usize = 3;

impl Gen<'_> {
    fn value(&self, ty: &TypeRef, depth: usize) -> BoxedStrategy<V> {
        match ty {
            TypeRef::NonNull(inner) => Union::new_weighted(vec![
                (30, self.value_of(inner, depth)),
                // A null where none is allowed.
                (1, Just(V::Null).boxed()),
            ])
            .boxed(),
            nullable => {
                Union::new_weighted(vec![(6, self.value_of(nullable, depth)), (1, Just(V::Null).boxed())]).boxed()
            }
        }
    }

    /// A value for the type without its nullability.
    fn value_of(&self, ty: &TypeRef, depth: usize) -> BoxedStrategy<V> {
        match ty {
            TypeRef::NonNull(inner) => self.value_of(inner, depth),
            TypeRef::List(inner) => {
                let item = self.value(inner, depth);
                Union::new_weighted(vec![
                    (6, proptest::collection::vec(item.clone(), 0..4).prop_map(V::List).boxed()),
                    // A single value where a list is expected (coerced to a list of one).
                    (2, item.clone()),
                    // More items than any list argument should take.
                    (
                        1,
                        (item, proptest::sample::select(vec![101usize, 150, 1001]))
                            .prop_map(|(v, n)| V::List(vec![v; n]))
                            .boxed(),
                    ),
                ])
                .boxed()
            }
            TypeRef::Named(name) => Union::new_weighted(vec![(12, self.named(name, depth)), (1, wrong_type())]).boxed(),
        }
    }

    fn named(&self, name: &str, depth: usize) -> BoxedStrategy<V> {
        match name {
            "String" => string_value(self.pools),
            "ID" => id_value(self.pools),
            "Int" => int_value(),
            "Float" => float_value(),
            "Boolean" => any::<bool>().prop_map(V::Bool).boxed(),
            "DateTime" => datetime_value(),
            "NaiveDate" | "Date" => date_value(),
            "Money" => money_value(),
            "JSON" => json_value(),
            other => {
                let def = self.schema.types.get(other).unwrap_or_else(|| panic!("unknown type {other}"));
                match def.kind.as_str() {
                    "ENUM" => self.enum_value(def),
                    "INPUT_OBJECT" => self.object(def, depth + 1),
                    // A custom scalar the generator doesn't know: hostile strings and JSON.
                    _ => Union::new_weighted(vec![(3, string_value(self.pools)), (1, json_value())]).boxed(),
                }
            }
        }
    }

    fn enum_value(&self, def: &TypeDef) -> BoxedStrategy<V> {
        let valid = def.enum_values.clone();
        let lower: Vec<String> = valid.iter().map(|v| v.to_lowercase()).collect();
        Union::new_weighted(vec![
            (5, proptest::sample::select(valid).prop_map(V::Enum).boxed()),
            (1, proptest::sample::select(lower).prop_map(V::Enum).boxed()),
            (1, hostile_string().prop_map(V::Enum).boxed()),
            (1, Just(V::Enum("NOT_A_VALUE".into())).boxed()),
        ])
        .boxed()
    }

    fn object(&self, def: &TypeDef, depth: usize) -> BoxedStrategy<V> {
        if depth > MAX_INPUT_DEPTH {
            return Just(V::Obj(vec![])).boxed();
        }
        let fields = self.arguments(&def.input_fields, depth);
        let extra = prop_oneof![
            20 => Just(None),
            1 => Just(Some(("bogusField".to_owned(), V::Num("1".into())))),
        ];
        (fields, extra).prop_map(|(fields, extra)| V::Obj(fields.into_iter().flatten().chain(extra).collect())).boxed()
    }

    /// One optional `(name, value)` per argument or input field: nullable ones are often
    /// omitted, required ones rarely.
    fn arguments(&self, args: &[InputValue], depth: usize) -> Vec<BoxedStrategy<Option<(String, V)>>> {
        args.iter()
            .map(|a| {
                let name = a.name.clone();
                let present = self.value(&a.ty, depth).prop_map(move |v| Some((name.clone(), v))).boxed();
                let omit_weight = if matches!(a.ty, TypeRef::NonNull(_)) { 1 } else { 12 };
                Union::new_weighted(vec![(30, present), (omit_weight, Just(None).boxed())]).boxed()
            })
            .collect()
    }

    /// The smallest selection set a field of this type accepts: `__typename` for objects,
    /// plus `userErrors { code }` for payloads, so that only the arguments vary.
    fn selection(&self, ty: &TypeRef) -> String {
        let Some(def) = self.schema.types.get(ty.named()) else { return String::new() };
        match def.kind.as_str() {
            "OBJECT" => {
                let user_errors = def.fields.iter().find(|f| f.name == "userErrors").is_some_and(|f| {
                    self.schema.types.get(f.ty.named()).is_some_and(|t| t.fields.iter().any(|f| f.name == "code"))
                });
                if user_errors { " { __typename userErrors { code } }".into() } else { " { __typename }".into() }
            }
            "INTERFACE" | "UNION" => " { __typename }".into(),
            _ => String::new(),
        }
    }
}

/// One generated request: the arguments given (by position in the field's argument list),
/// whether they are written inline, and whether the token is limited to one school.
type GqlCase = (Vec<Option<(String, V)>>, bool, bool);

fn document(op: &str, field: &FieldDef, selection: &str, args: &[(String, V)], inline: bool) -> (String, String) {
    if args.is_empty() {
        return (format!("{op} {{ {}{selection} }}", field.name), "{}".into());
    }
    let ty_of = |name: &str| field.args.iter().find(|a| a.name == name).map(|a| a.ty.sdl()).expect("arg type");
    if inline {
        let list = args.iter().map(|(n, v)| format!("{n}: {}", v.to_literal())).collect::<Vec<_>>().join(", ");
        (format!("{op} {{ {}({list}){selection} }}", field.name), "{}".into())
    } else {
        let decls = args.iter().map(|(n, _)| format!("${n}: {}", ty_of(n))).collect::<Vec<_>>().join(", ");
        let list = args.iter().map(|(n, _)| format!("{n}: ${n}")).collect::<Vec<_>>().join(", ");
        let vars = format!(
            "{{{}}}",
            args.iter().map(|(n, v)| format!("{}:{}", json_string(n), v.to_json())).collect::<Vec<_>>().join(",")
        );
        (format!("{op} Hostile({decls}) {{ {}({list}){selection} }}", field.name), vars)
    }
}

// ---------------------------------------------------------------------------------------------
// What was written
// ---------------------------------------------------------------------------------------------

/// Tables whose rows a refused request may legitimately add: audit trails, token bookkeeping
/// and the migrations table.
fn excluded(table: &str) -> bool {
    table.starts_with("audit_events")
        || table.starts_with("audit_event_")
        || (table.starts_with("oauth_") && table != "oauth_clients")
        || table == "seaql_migrations"
        || table.starts_with("sqlite_")
}

async fn tables(app: &TestApp) -> Vec<String> {
    let backend = app.db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => {
            "SELECT table_name AS name FROM information_schema.tables \
             WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name"
        }
        _ => "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name",
    };
    let rows = app.db.query_all_raw(Statement::from_string(backend, sql)).await.expect("list tables");
    rows.iter().map(|r| r.try_get::<String>("", "name").expect("table name")).filter(|t| !excluded(t)).collect()
}

/// Row counts of every table that matters, in one statement.
async fn fingerprint(app: &TestApp, tables: &[String]) -> BTreeMap<String, i64> {
    let sql = tables
        .iter()
        .map(|t| format!("SELECT '{t}' AS t, CAST(COUNT(*) AS BIGINT) AS n FROM \"{t}\""))
        .collect::<Vec<_>>()
        .join(" UNION ALL ");
    let rows =
        app.db.query_all_raw(Statement::from_string(app.db.get_database_backend(), sql)).await.expect("fingerprint");
    rows.iter().map(|r| (r.try_get::<String>("", "t").expect("t"), r.try_get::<i64>("", "n").expect("n"))).collect()
}

fn diff(before: &BTreeMap<String, i64>, after: &BTreeMap<String, i64>) -> String {
    after
        .iter()
        .filter(|(t, n)| before.get(*t) != Some(n))
        .map(|(t, n)| format!("{t}: {} → {n}", before.get(t).copied().unwrap_or(0)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n { s.to_owned() } else { format!("{}…", s.chars().take(n).collect::<String>()) }
}

/// A failure found by the sweep, with a key that groups repeats of the same problem.
#[derive(Clone, Debug)]
struct Failure {
    key: String,
    report: String,
}

/// Checks one GraphQL answer against the oracle; `Err` describes the first problem.
fn judge(status: u16, body: &str, wrote: &str) -> Result<(), (String, String)> {
    if status >= 500 {
        return Err((format!("HTTP {status}"), format!("HTTP {status}")));
    }
    let json: Value =
        serde_json::from_str(body).map_err(|_| ("not JSON".to_owned(), format!("HTTP {status}, body not JSON")))?;
    if json.get("data").is_none() && json.get("errors").is_none() {
        return Err(("not GraphQL".into(), format!("HTTP {status}, neither data nor errors")));
    }
    let errors = json["errors"].as_array().cloned().unwrap_or_default();
    for e in &errors {
        let message = e["message"].as_str().unwrap_or_default();
        // Group by the message's shape: quoted values and numbers vary between cases.
        let shape: String = message.split('"').step_by(2).collect::<Vec<_>>().join("\"…\"");
        let shape: String = shape.chars().filter(|c| !c.is_ascii_digit()).take(90).collect();
        match e["extensions"]["code"].as_str() {
            None => return Err((format!("no code: {shape}"), format!("error without extensions.code: {message:?}"))),
            Some("INTERNAL_SERVER_ERROR") => {
                return Err((format!("internal: {shape}"), format!("INTERNAL_SERVER_ERROR: {message:?}")));
            }
            Some(_) => {}
        }
    }
    if !errors.is_empty() && !wrote.is_empty() {
        return Err(("partial write".into(), format!("refused with an error yet wrote rows: {wrote}")));
    }
    Ok(())
}

#[test]
fn every_root_field_survives_hostile_arguments() {
    let rt = runtime();
    let app = rt.block_on(spawn_app_with(&[("LEARNERGRAPH_MAX_BODY_BYTES", &(MAX_BODY + 1024).to_string())]));
    rt.block_on(app.seed(2, 5));
    let token = rt.block_on(app.token(ALL_SCOPES, &[]));
    let limited = rt.block_on(app.token(ALL_SCOPES, &["sc-school-001"]));
    let schema = rt.block_on(introspect(&app, &token));
    let pools = rt.block_on(pools(&app));
    let tables = rt.block_on(tables(&app));
    assert!(tables.iter().any(|t| t == "users"), "tables: {tables:?}");
    let http = reqwest::Client::builder().timeout(Duration::from_secs(60)).build().expect("client");
    let generator = Gen { schema: &schema, pools: &pools };

    let mut roots = vec![("query", schema.query.clone())];
    roots.extend(schema.mutation.clone().map(|m| ("mutation", m)));
    let failures: Mutex<Vec<Failure>> = Mutex::new(Vec::new());
    let mut fields_run = 0;
    for (op, root) in roots {
        let fields = schema.types[&root].fields.clone();
        for field in fields {
            fields_run += 1;
            let selection = generator.selection(&field.ty);
            let strategy =
                (generator.arguments(&field.args, 0), proptest::bool::weighted(0.25), proptest::bool::weighted(0.2));
            let n = if field.args.is_empty() { 2 } else { cases() };
            let mut runner = runner(&format!("{op}.{}", field.name), n);
            let outcome = runner.run(&strategy, |(args, inline, limited_token): GqlCase| {
                let args: Vec<(String, V)> = args.into_iter().flatten().collect();
                let (query, vars) = document(op, &field, &selection, &args, inline);
                let body = format!("{{\"query\":{},\"variables\":{vars}}}", json_string(&query));
                // Bodies over the limit are refused before GraphQL sees them (413): not what
                // this sweep is about.
                if body.len() > MAX_BODY {
                    return Err(TestCaseError::reject("body over the limit"));
                }
                let bearer = if limited_token { &limited } else { &token };
                let (status, text, wrote) = rt.block_on(async {
                    let before = fingerprint(&app, &tables).await;
                    let res = http
                        .post(app.url("/graphql"))
                        .bearer_auth(bearer)
                        .header("content-type", "application/json")
                        .body(body)
                        .send()
                        .await
                        .expect("graphql request");
                    let status = res.status().as_u16();
                    let text = res.text().await.unwrap_or_default();
                    let after = fingerprint(&app, &tables).await;
                    (status, text, diff(&before, &after))
                });
                match judge(status, &text, &wrote) {
                    Ok(()) => Ok(()),
                    Err((key, problem)) => {
                        let shown =
                            args.iter().map(|(n, v)| format!("{n}: {}", v.show())).collect::<Vec<_>>().join(", ");
                        let report = format!(
                            "{op} {}({shown}){} [{}{}]: {problem}\n      response: {}",
                            field.name,
                            selection,
                            if inline { "inline" } else { "variables" },
                            if limited_token { ", school-limited token" } else { "" },
                            truncate(&text, 400)
                        );
                        if explore() {
                            let key = format!("{op}.{}: {key}", field.name);
                            failures.lock().expect("lock").push(Failure { key, report });
                            Ok(())
                        } else {
                            Err(TestCaseError::fail(report))
                        }
                    }
                }
            });
            match outcome {
                Ok(()) => {}
                // The case proptest shrank to: one per field.
                Err(TestError::Fail(report, _)) => failures
                    .lock()
                    .expect("lock")
                    .push(Failure { key: format!("{op}.{}", field.name), report: report.to_string() }),
                Err(TestError::Abort(why)) => panic!("{op}.{}: proptest aborted: {why}", field.name),
            }
        }
    }
    assert!(fields_run > 50, "introspection found only {fields_run} root fields");
    let failures = failures.into_inner().expect("lock");
    // One report per distinct problem (in explore mode, the first case that showed it).
    let mut distinct: BTreeMap<String, String> = BTreeMap::new();
    for f in failures {
        distinct.entry(f.key).or_insert(f.report);
    }
    let report = distinct.iter().map(|(k, r)| format!("  - {k}\n      {r}")).collect::<Vec<_>>().join("\n");
    assert!(distinct.is_empty(), "{} distinct failures over {fields_run} root fields:\n{report}", distinct.len());
}

// ---------------------------------------------------------------------------------------------
// OAuth endpoints
// ---------------------------------------------------------------------------------------------

/// The error codes of RFC 6749 (§4.1.2.1, §5.2) and RFC 7009 (§2.2.1), less `server_error`.
const RFC_ERRORS: &[&str] = &[
    "invalid_request",
    "invalid_client",
    "invalid_grant",
    "unauthorized_client",
    "unsupported_grant_type",
    "invalid_scope",
    "access_denied",
    "unsupported_response_type",
    "temporarily_unavailable",
    "unsupported_token_type",
];

const OAUTH_KEYS: &[&str] = &[
    "grant_type",
    "client_id",
    "client_secret",
    "scope",
    "code",
    "redirect_uri",
    "code_verifier",
    "refresh_token",
    "token",
    "token_type_hint",
    "response_type",
    "state",
    "code_challenge",
    "code_challenge_method",
    "request",
    "username",
    "error",
];

/// Real values that get a request past the first checks.
#[derive(Clone)]
struct OAuthPools {
    values: Vec<String>,
    client_id: String,
    client_secret: String,
}

/// A form or query string: `(key, value)` pairs url-encoded, or raw bytes as a hostile client
/// sends them.
#[derive(Clone, Debug)]
enum Body {
    Pairs(Vec<(String, String)>),
    Raw(Vec<u8>),
}

impl Body {
    fn bytes(&self) -> Vec<u8> {
        match self {
            Body::Pairs(p) => serde_urlencoded::to_string(p).expect("form").into_bytes(),
            Body::Raw(b) => b.clone(),
        }
    }

    fn show(&self) -> String {
        match self {
            Body::Pairs(p) => p
                .iter()
                .map(|(k, v)| format!("{}={}", V::Str(k.clone()).show(), V::Str(v.clone()).show()))
                .collect::<Vec<_>>()
                .join(" & "),
            Body::Raw(b) => format!("raw {}", truncate(&String::from_utf8_lossy(b).escape_debug().to_string(), 120)),
        }
    }
}

/// Longest hostile value in a form or query string: a URL can't hold 100k characters.
const OAUTH_MAX: usize = 10_000;

fn oauth_value(pools: &OAuthPools) -> BoxedStrategy<String> {
    Union::new_weighted(vec![
        (4, proptest::sample::select(pools.values.clone()).boxed()),
        (4, hostile_string_upto(OAUTH_MAX)),
        (1, proptest::collection::vec(any::<u8>(), 0..32).prop_map(|b| URL_SAFE_NO_PAD.encode(b)).boxed()),
    ])
    .boxed()
}

const RAW_FORMS: &[&[u8]] = &[
    b"",
    b"&&&",
    b"=",
    b"grant_type",
    b"grant_type=client_credentials&grant_type=client_credentials",
    b"%",
    b"%zz=1",
    b"grant_type=%FF%FE",
    b"client_id=%00&client_secret=%00&grant_type=client_credentials",
    b"grant_type=client_credentials&client_id=\xff\xfe&client_secret=x",
    b"\xc3\x28=\xa0\xa1",
    b"token=\x00",
    b"grant_type=client_credentials&scope=%E2%80%AE",
    b"a[]=1&a[]=2",
    b"+=+",
];

fn body_strategy(pools: &OAuthPools) -> BoxedStrategy<Body> {
    let pairs = proptest::collection::vec(
        (
            Union::new_weighted(vec![
                (6, proptest::sample::select(OAUTH_KEYS).prop_map(str::to_owned).boxed()),
                (1, hostile_string_upto(OAUTH_MAX)),
            ]),
            oauth_value(pools),
        ),
        0..7,
    );
    let valid_start = pools.clone();
    Union::new_weighted(vec![
        (6, pairs.clone().prop_map(Body::Pairs).boxed()),
        // A real client's credentials plus hostile extras: reaches the grant logic.
        (
            3,
            (
                proptest::sample::select(vec![
                    "client_credentials",
                    "authorization_code",
                    "refresh_token",
                    "password",
                    "",
                ]),
                pairs,
            )
                .prop_map(move |(grant, mut extra)| {
                    let mut p = vec![
                        ("grant_type".to_owned(), grant.to_owned()),
                        ("client_id".to_owned(), valid_start.client_id.clone()),
                        ("client_secret".to_owned(), valid_start.client_secret.clone()),
                    ];
                    extra.retain(|(k, _)| !["grant_type", "client_id", "client_secret"].contains(&k.as_str()));
                    p.extend(extra);
                    Body::Pairs(p)
                })
                .boxed(),
        ),
        (2, proptest::sample::select(RAW_FORMS).prop_map(|b| Body::Raw(b.to_vec())).boxed()),
        (1, proptest::collection::vec(any::<u8>(), 0..64).prop_map(Body::Raw).boxed()),
    ])
    .boxed()
}

/// Checks an answer of a form endpoint: an RFC error, or the endpoint's success shape.
fn judge_oauth(path: &str, status: u16, headers: &reqwest::header::HeaderMap, body: &str) -> Result<(), String> {
    if status >= 500 {
        return Err(format!("HTTP {status}"));
    }
    let json: Option<Value> = serde_json::from_str(body).ok();
    let content_type = headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default();
    match status {
        200 => {
            let json = json.ok_or("200 without JSON")?;
            let ok = match path {
                "/oauth/token" => json["access_token"].is_string(),
                "/oauth/revoke" => json.as_object().is_some(),
                "/oauth/introspect" => json["active"].is_boolean(),
                _ => content_type.starts_with("text/html"),
            };
            if ok { Ok(()) } else { Err(format!("200 of an unexpected shape: {json}")) }
        }
        // A rate limit: fine as long as it says when to come back.
        429 if headers.contains_key("retry-after") => Ok(()),
        // Headers or URL too large for the HTTP layer, refused before any handler runs.
        414 | 431 => Ok(()),
        400..=499 => {
            let Some(json) = json else { return Err(format!("{status} {content_type} without RFC error JSON")) };
            match json["error"].as_str() {
                Some(code) if RFC_ERRORS.contains(&code) => Ok(()),
                other => Err(format!("{status} with `error` {other:?}, not an RFC 6749 code")),
            }
        }
        other => Err(format!("unexpected HTTP {other}")),
    }
}

async fn oauth_setup() -> (TestApp, OAuthPools, reqwest::Client) {
    let app = spawn_app_with(&[("LEARNERGRAPH_DEV_SIGNIN", "true")]).await;
    app.seed(1, 3).await;
    let (client_id, client_secret) = app.client("roster.read progress.read", &[]).await;
    let access = app.token_for(&client_id, &client_secret).await;
    let fe = learnergraph::auth::clients::create_with(
        &app.db,
        "front end",
        "roster.read progress.read",
        &[],
        learnergraph::auth::clients::ClientOptions {
            grant_types: vec!["authorization_code".into(), "refresh_token".into()],
            redirect_uris: vec![DEV_REDIRECT.into()],
            ..learnergraph::auth::clients::ClientOptions::internal()
        },
    )
    .await
    .expect("front-end client");
    let values = vec![
        client_id.clone(),
        client_secret.clone(),
        fe.client_id.clone(),
        fe.client_secret.clone(),
        access,
        "client_credentials".into(),
        "authorization_code".into(),
        "refresh_token".into(),
        "access_token".into(),
        "roster.read".into(),
        "roster.read admin".into(),
        "code".into(),
        "S256".into(),
        "plain".into(),
        DEV_REDIRECT.into(),
        "http://evil.example/callback".into(),
        "sc-s-000001".into(),
        // A 43-character PKCE challenge.
        URL_SAFE_NO_PAD.encode([7u8; 32]),
    ];
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(60))
        .build()
        .expect("client");
    (app, OAuthPools { values, client_id: fe.client_id, client_secret: fe.client_secret }, http)
}

const CONTENT_TYPES: &[Option<&str>] = &[
    Some("application/x-www-form-urlencoded"),
    Some("application/x-www-form-urlencoded; charset=UTF-8"),
    Some("application/x-www-form-urlencoded; charset=ISO-8859-1"),
    Some("application/json"),
    Some("text/plain"),
    Some("multipart/form-data; boundary=x"),
    Some("APPLICATION/X-WWW-FORM-URLENCODED"),
    None,
];

/// An `Authorization` header, or none.
fn authorization(pools: &OAuthPools) -> BoxedStrategy<Option<String>> {
    let (id, secret) = (pools.client_id.clone(), pools.client_secret.clone());
    Union::new_weighted(vec![
        (6, Just(None).boxed()),
        (1, Just(Some(format!("Basic {}", STANDARD.encode(format!("{id}:{secret}"))))).boxed()),
        (
            2,
            (hostile_string_upto(1001), hostile_string_upto(1001))
                .prop_map(|(a, b)| Some(format!("Basic {}", STANDARD.encode(format!("{a}:{b}")))))
                .boxed(),
        ),
        (
            1,
            proptest::sample::select(vec![
                "Basic",
                "Basic !!!",
                "Basic Og==",
                "Basic AA==",
                "Bearer x",
                "basic Zm9vOmJhcg==",
            ])
            .prop_map(|s| Some(s.to_owned()))
            .boxed(),
        ),
    ])
    .boxed()
}

#[test]
fn oauth_form_endpoints_answer_rfc_errors_to_hostile_bodies() {
    let rt = runtime();
    let (app, pools, http) = rt.block_on(oauth_setup());
    let mut distinct: BTreeMap<String, String> = BTreeMap::new();
    // First one hostile value at a time in an otherwise valid request, for every parameter and
    // both ways of authenticating the client.
    for path in ["/oauth/token", "/oauth/revoke", "/oauth/introspect"] {
        for key in OAUTH_KEYS.iter().copied().chain(["basic_id", "basic_secret"]) {
            for bad in ["a\u{0}b", "\u{1b}[2J", &"x".repeat(10_000)] {
                let mut pairs: Vec<(String, String)> = [
                    ("grant_type", "client_credentials"),
                    ("token", "not-a-token"),
                    ("client_id", pools.client_id.as_str()),
                    ("client_secret", pools.client_secret.as_str()),
                ]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect();
                let basic = key.starts_with("basic_");
                if basic {
                    pairs.retain(|(k, _)| k != "client_id" && k != "client_secret");
                }
                match pairs.iter_mut().find(|(k, _)| k == key) {
                    Some(slot) => slot.1 = bad.to_owned(),
                    None if !basic => pairs.push((key.to_owned(), bad.to_owned())),
                    None => {}
                }
                let (id, secret) = match key {
                    "basic_id" => (bad, pools.client_secret.as_str()),
                    "basic_secret" => (pools.client_id.as_str(), bad),
                    _ => ("", ""),
                };
                let (status, headers, text) = rt.block_on(async {
                    let mut req = http.post(app.url(path)).form(&pairs);
                    if basic {
                        req = req.basic_auth(id, Some(secret));
                    }
                    let res = req.send().await.expect("oauth request");
                    (res.status().as_u16(), res.headers().clone(), res.text().await.unwrap_or_default())
                });
                if let Err(problem) = judge_oauth(path, status, &headers, &text) {
                    distinct
                        .entry(format!("POST {path}: {key} = {}", V::Str(bad.to_owned()).show()))
                        .or_insert(format!("{problem}\n      response: {status} {}", truncate(&text, 300)));
                }
            }
        }
    }
    for path in ["/oauth/token", "/oauth/revoke", "/oauth/introspect", "/oauth/authorize/dev-signin"] {
        let strategy = (
            body_strategy(&pools),
            Union::new_weighted(vec![
                (8, Just(CONTENT_TYPES[0]).boxed()),
                (3, proptest::sample::select(CONTENT_TYPES).boxed()),
            ]),
            authorization(&pools),
        );
        let mut runner = runner(path, cases() * 4);
        let found: Mutex<Vec<(String, String)>> = Mutex::new(Vec::new());
        let outcome = runner.run(&strategy, |(body, content_type, auth)| {
            // Over the body limit the server answers before reading it all and the client
            // sees a broken pipe: keep under it (64 KiB in tests).
            if body.bytes().len() > 60_000 {
                return Err(TestCaseError::reject("body over the limit"));
            }
            let (status, headers, text) = rt.block_on(async {
                let mut req = http.post(app.url(path)).body(body.bytes());
                if let Some(ct) = content_type {
                    req = req.header("content-type", ct);
                }
                if let Some(a) = &auth {
                    req = req.header("authorization", a);
                }
                let res = req.send().await.expect("oauth request");
                let status = res.status().as_u16();
                let headers = res.headers().clone();
                (status, headers, res.text().await.unwrap_or_default())
            });
            // The dev sign-in renders HTML pages and redirects for what it can't do.
            let judged = if path == "/oauth/authorize/dev-signin"
                && (status == 303 || (status == 400 && text.starts_with("<!doctype html>")))
            {
                Ok(())
            } else {
                judge_oauth(path, status, &headers, &text)
            };
            match judged {
                Ok(()) => Ok(()),
                Err(problem) => {
                    let report = format!(
                        "POST {path} [{}{}] {}: {problem}\n      response: {status} {}",
                        content_type.unwrap_or("no content type"),
                        auth.as_deref().map(|a| format!(", Authorization: {}", truncate(a, 40))).unwrap_or_default(),
                        body.show(),
                        truncate(&text, 300)
                    );
                    if explore() {
                        found.lock().expect("lock").push((format!("POST {path}: {}", truncate(&problem, 60)), report));
                        Ok(())
                    } else {
                        Err(TestCaseError::fail(report))
                    }
                }
            }
        });
        match outcome {
            Ok(()) => {}
            Err(TestError::Fail(report, _)) => found.lock().expect("lock").push((path.to_owned(), report.to_string())),
            Err(TestError::Abort(why)) => panic!("{path}: proptest aborted: {why}"),
        }
        for (k, r) in found.into_inner().expect("lock") {
            distinct.entry(k).or_insert(r);
        }
    }
    let report = distinct.iter().map(|(k, r)| format!("  - {k}\n      {r}")).collect::<Vec<_>>().join("\n");
    assert!(distinct.is_empty(), "{} distinct failures:\n{report}", distinct.len());
}

/// A query string for the browser-facing endpoints: encoded pairs, or raw text.
fn query_strategy(pools: &OAuthPools, state: String) -> BoxedStrategy<Body> {
    let valid = pools.clone();
    let pairs = proptest::collection::vec(
        (
            Union::new_weighted(vec![
                (6, proptest::sample::select(OAUTH_KEYS).prop_map(str::to_owned).boxed()),
                (1, hostile_string_upto(OAUTH_MAX)),
            ]),
            Union::new_weighted(vec![(6, oauth_value(pools)), (1, Just(state).boxed())]),
        ),
        0..7,
    );
    Union::new_weighted(vec![
        (5, pairs.clone().prop_map(Body::Pairs).boxed()),
        // A well-formed authorization request with one parameter replaced or added.
        (
            4,
            (proptest::sample::select(OAUTH_KEYS), oauth_value(pools), any::<bool>())
                .prop_map(move |(key, value, replace)| {
                    let mut p: Vec<(String, String)> = [
                        ("response_type", "code".to_owned()),
                        ("client_id", valid.client_id.clone()),
                        ("redirect_uri", DEV_REDIRECT.to_owned()),
                        ("scope", "roster.read".to_owned()),
                        ("state", "st".to_owned()),
                        ("code_challenge", URL_SAFE_NO_PAD.encode([7u8; 32])),
                        ("code_challenge_method", "S256".to_owned()),
                    ]
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), v))
                    .collect();
                    if replace {
                        p.retain(|(k, _)| k != key);
                    }
                    p.push((key.to_owned(), value));
                    Body::Pairs(p)
                })
                .boxed(),
        ),
        (2, proptest::sample::select(RAW_FORMS).prop_map(|b| Body::Raw(b.to_vec())).boxed()),
    ])
    .boxed()
}

/// Checks an answer of a browser-facing endpoint: a redirect carrying `code` or an RFC error,
/// the sign-in page, or an HTML error page; never a 5xx.
fn judge_browser(status: u16, headers: &reqwest::header::HeaderMap, body: &str) -> Result<(), String> {
    if status >= 500 {
        return Err(format!("HTTP {status}"));
    }
    let content_type = headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default();
    match status {
        302 | 303 | 307 => {
            let location = headers.get("location").and_then(|v| v.to_str().ok()).ok_or("redirect without Location")?;
            let url = url::Url::parse(location).map_err(|e| format!("redirect to an invalid URL {location:?}: {e}"))?;
            // Back to the client: must carry a code or an RFC error.
            if location.starts_with(DEV_REDIRECT) {
                let q: HashMap<_, _> = url.query_pairs().into_owned().collect();
                match (q.get("code"), q.get("error")) {
                    (Some(_), _) => Ok(()),
                    (None, Some(e)) if RFC_ERRORS.contains(&e.as_str()) => Ok(()),
                    _ => Err(format!("redirect to the client without code or RFC error: {location}")),
                }
            } else {
                Err(format!("redirect somewhere else than the registered URI: {location}"))
            }
        }
        200 if content_type.starts_with("text/html") => Ok(()),
        429 if headers.contains_key("retry-after") => Ok(()),
        // Headers or URL too large for the HTTP layer, refused before any handler runs.
        414 | 431 => Ok(()),
        400..=499 if content_type.starts_with("text/html") => Ok(()),
        400..=499 => {
            match serde_json::from_str::<Value>(body).ok().and_then(|j| j["error"].as_str().map(str::to_owned)) {
                Some(code) if RFC_ERRORS.contains(&code.as_str()) => Ok(()),
                _ => Err(format!("{status} {content_type} neither an HTML page nor RFC error JSON")),
            }
        }
        other => Err(format!("unexpected HTTP {other} {content_type}")),
    }
}

#[test]
fn oauth_browser_endpoints_survive_hostile_query_strings() {
    let rt = runtime();
    let (app, pools, http) = rt.block_on(oauth_setup());
    // A pending sign-in, so that `state` at the callback sometimes names a real request.
    let pending_state = rt.block_on(async {
        let mut url = url::Url::parse(&app.url("/oauth/authorize")).expect("url");
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &pools.client_id)
            .append_pair("redirect_uri", DEV_REDIRECT)
            .append_pair("state", "st")
            .append_pair("code_challenge", &URL_SAFE_NO_PAD.encode([7u8; 32]))
            .append_pair("code_challenge_method", "S256");
        let html = http.get(url.as_str()).send().await.expect("authorize").text().await.expect("page");
        html.split("name=request value=\"").nth(1).and_then(|s| s.split('"').next()).expect("request id").to_owned()
    });
    let mut distinct: BTreeMap<String, String> = BTreeMap::new();
    for path in ["/oauth/authorize", "/oauth/callback"] {
        let mut runner = runner(path, cases() * 4);
        let found: Mutex<Vec<(String, String)>> = Mutex::new(Vec::new());
        let outcome = runner.run(&query_strategy(&pools, pending_state.clone()), |query| {
            // Raw query strings go on the URL as they are, but for what can't be in a URL at
            // all (control bytes, spaces, non-UTF-8), which is percent-encoded.
            let raw = query.bytes();
            let qs: String = raw
                .iter()
                .map(|b| if b.is_ascii_graphic() { (*b as char).to_string() } else { format!("%{b:02X}") })
                .collect();
            // No URL holds more than 64 KiB (`http::Uri`'s limit).
            if qs.len() > 60_000 {
                return Err(TestCaseError::reject("query string too long for a URL"));
            }
            let (status, headers, text) = rt.block_on(async {
                let res = http.get(format!("{}?{qs}", app.url(path))).send().await.expect("oauth request");
                let status = res.status().as_u16();
                let headers = res.headers().clone();
                (status, headers, res.text().await.unwrap_or_default())
            });
            match judge_browser(status, &headers, &text) {
                Ok(()) => Ok(()),
                Err(problem) => {
                    let report = format!(
                        "GET {path}?{} ({}): {problem}\n      response: {status} {}",
                        truncate(&qs, 160),
                        query.show(),
                        truncate(&text, 300)
                    );
                    if explore() {
                        found.lock().expect("lock").push((format!("GET {path}: {}", truncate(&problem, 60)), report));
                        Ok(())
                    } else {
                        Err(TestCaseError::fail(report))
                    }
                }
            }
        });
        match outcome {
            Ok(()) => {}
            Err(TestError::Fail(report, _)) => found.lock().expect("lock").push((path.to_owned(), report.to_string())),
            Err(TestError::Abort(why)) => panic!("{path}: proptest aborted: {why}"),
        }
        for (k, r) in found.into_inner().expect("lock") {
            distinct.entry(k).or_insert(r);
        }
    }
    let report = distinct.iter().map(|(k, r)| format!("  - {k}\n      {r}")).collect::<Vec<_>>().join("\n");
    assert!(distinct.is_empty(), "{} distinct failures:\n{report}", distinct.len());
}

// ---------------------------------------------------------------------------------------------
// One hostile value at a time
// ---------------------------------------------------------------------------------------------

/// Where a value sits in a field's arguments: the argument, then input-object fields.
type Path = Vec<String>;

/// Values that pass GraphQL's own coercion and so reach the resolvers and the database.
fn probes(named: &str) -> Vec<V> {
    match named {
        "String" | "ID" => vec![
            V::Str("a\u{0}b".into()),
            V::Str("\u{1b}[2J\u{7}".into()),
            V::Str("a".repeat(100_000)),
            V::Str("%_'\\".into()),
        ],
        "Int" => vec![V::Num("2147483647".into()), V::Num("-2147483648".into()), V::Num("0".into())],
        "Float" => vec![V::Num("1e308".into()), V::Num("-1e308".into())],
        "Money" => vec![V::Str("1000000000000".into()), V::Str("0".into())],
        "DateTime" => vec![V::Str("+262142-12-31T23:59:59Z".into()), V::Str("-262143-01-01T00:00:00Z".into())],
        "NaiveDate" => vec![V::Str("+262142-12-31".into()), V::Str("-262143-01-01".into())],
        "JSON" => vec![V::Str("\u{0}".into()), V::Obj(vec![("\u{0}".into(), V::Str("\u{0}".into()))])],
        _ => vec![],
    }
}

/// A plausible valid value for each type, so that one hostile value at a time gets as far
/// into the resolver as it can. IDs name a seeded record of the kind the argument's name
/// suggests (`learnerId` → a learner).
struct Baseline<'a> {
    schema: &'a Schema,
    ids: HashMap<&'static str, i64>,
}

impl Baseline<'_> {
    fn id_for(&self, arg: &str) -> V {
        let stem = arg.trim_end_matches('s').trim_end_matches("Id").trim_end_matches("ID").to_lowercase();
        let kinds = [
            (Kind::Learner, "Learner"),
            (Kind::Educator, "Educator"),
            (Kind::School, "School"),
            (Kind::District, "District"),
            (Kind::Class, "Class"),
            (Kind::Course, "Course"),
            (Kind::Enrollment, "Enrollment"),
            (Kind::AcademicSession, "AcademicSession"),
            (Kind::Playlist, "Playlist"),
            (Kind::PlaylistItem, "PlaylistItem"),
            (Kind::Competency, "Competency"),
            (Kind::CompetencyFramework, "CompetencyFramework"),
            (Kind::RedesignPlan, "RedesignPlan"),
            (Kind::RedesignPillar, "RedesignPillar"),
            (Kind::RedesignCohort, "RedesignCohort"),
            (Kind::RedesignGoal, "RedesignGoal"),
            (Kind::RedesignIndicator, "RedesignIndicator"),
            (Kind::RedesignMilestone, "RedesignMilestone"),
            (Kind::Grant, "Grant"),
            (Kind::Result, "Result"),
            (Kind::WinBlock, "WinBlock"),
            (Kind::WinSession, "WinSession"),
            (Kind::WinAssignment, "WinAssignment"),
        ];
        let (kind, name) = kinds
            .iter()
            .find(|(_, n)| n.to_lowercase() == stem)
            .or_else(|| kinds.iter().find(|(_, n)| !stem.is_empty() && n.to_lowercase().ends_with(&stem)))
            .copied()
            .unwrap_or((Kind::Learner, "Learner"));
        V::Str(global_id(kind, self.ids.get(name).copied().unwrap_or(1)).0)
    }

    fn value(&self, name: &str, ty: &TypeRef, depth: usize) -> Option<V> {
        match ty {
            TypeRef::NonNull(inner) => self.value(name, inner, depth),
            TypeRef::List(inner) => self.value(name, inner, depth).map(|v| V::List(vec![v])),
            TypeRef::Named(n) => Some(match n.as_str() {
                "String" if name.to_lowercase().contains("school") => V::Str("sc-school-001".into()),
                "String" if name.to_lowercase().contains("learner") => V::Str("sc-s-000001".into()),
                "String" if name == "scopes" || name == "scope" => V::Str("roster.read".into()),
                "String" => V::Str("Hostile probe".into()),
                "ID" => self.id_for(name),
                "Int" => V::Num("1".into()),
                "Float" => V::Num("1.5".into()),
                "Boolean" => V::Bool(true),
                "DateTime" => V::Str("2027-01-15T08:00:00Z".into()),
                "NaiveDate" => V::Str("2027-01-15".into()),
                "Money" => V::Str("100.00".into()),
                "JSON" => V::Obj(vec![]),
                other => {
                    let def = &self.schema.types[other];
                    match def.kind.as_str() {
                        "ENUM" => V::Enum(def.enum_values.first().cloned().unwrap_or_default()),
                        "INPUT_OBJECT" if depth < MAX_INPUT_DEPTH => V::Obj(
                            def.input_fields
                                .iter()
                                .filter(|f| matches!(f.ty, TypeRef::NonNull(_)))
                                .filter_map(|f| self.value(&f.name, &f.ty, depth + 1).map(|v| (f.name.clone(), v)))
                                .collect(),
                        ),
                        _ => return None,
                    }
                }
            }),
        }
    }

    /// Every path to a leaf whose type has probes, with that leaf's named type.
    fn leaves(&self, args: &[InputValue], prefix: &Path, depth: usize, out: &mut Vec<(Path, String)>) {
        for a in args {
            let mut path = prefix.clone();
            path.push(a.name.clone());
            let named = a.ty.named();
            match self.schema.types.get(named).map(|d| d.kind.as_str()) {
                Some("INPUT_OBJECT") if depth < MAX_INPUT_DEPTH => {
                    self.leaves(&self.schema.types[named].input_fields, &path, depth + 1, out);
                }
                _ if !probes(named).is_empty() => out.push((path, named.to_owned())),
                _ => {}
            }
        }
    }

    /// The field's baseline arguments with `value` at `path` (created along the way).
    fn arguments(&self, field: &FieldDef, path: &Path, value: &V) -> Vec<(String, V)> {
        let mut args: Vec<(String, V)> = field
            .args
            .iter()
            .filter(|a| matches!(a.ty, TypeRef::NonNull(_)) || a.name == path[0])
            .filter_map(|a| self.value(&a.name, &a.ty, 0).map(|v| (a.name.clone(), v)))
            .collect();
        let Some(slot) = args.iter_mut().find(|(n, _)| *n == path[0]) else { return args };
        let mut ty = field.args.iter().find(|a| a.name == path[0]).expect("arg").ty.named().to_owned();
        let mut cur = &mut slot.1;
        for key in &path[1..] {
            // Lists of input objects hold one: descend into it.
            if let V::List(items) = cur {
                cur = &mut items[0];
            }
            let V::Obj(fields) = cur else { break };
            let def = self.schema.types[&ty].input_fields.iter().find(|f| f.name == *key).expect("input field");
            if !fields.iter().any(|(k, _)| k == key) {
                // An optional input object on the way: its baseline, required fields only.
                let v = self.value(key, &TypeRef::NonNull(Box::new(def.ty.clone())), 0).unwrap_or(V::Null);
                fields.push((key.clone(), v));
            }
            ty = def.ty.named().to_owned();
            cur = &mut fields.iter_mut().find(|(k, _)| k == key).expect("just added").1;
        }
        *cur = match cur {
            V::List(_) => V::List(vec![value.clone()]),
            _ => value.clone(),
        };
        args
    }
}

#[test]
fn every_argument_leaf_survives_one_hostile_value() {
    let rt = runtime();
    let app = rt.block_on(spawn_app_with(&[("LEARNERGRAPH_MAX_BODY_BYTES", &(MAX_BODY + 1024).to_string())]));
    rt.block_on(app.seed(2, 5));
    let token = rt.block_on(app.token(ALL_SCOPES, &[]));
    let schema = rt.block_on(introspect(&app, &token));
    let tables = rt.block_on(tables(&app));
    let ids = rt.block_on(async {
        let mut ids = HashMap::new();
        for (kind, sql) in [
            ("Learner", "SELECT MIN(id) AS n FROM users WHERE role = 'student'"),
            ("Educator", "SELECT MIN(id) AS n FROM users WHERE role = 'teacher'"),
            ("School", "SELECT MIN(id) AS n FROM orgs WHERE org_type = 'school'"),
            ("District", "SELECT MIN(id) AS n FROM orgs WHERE org_type = 'district'"),
            ("Class", "SELECT MIN(id) AS n FROM classes"),
            ("Course", "SELECT MIN(id) AS n FROM courses"),
            ("Enrollment", "SELECT MIN(id) AS n FROM enrollments"),
            ("AcademicSession", "SELECT MIN(id) AS n FROM academic_sessions"),
        ] {
            let row =
                app.db.query_one_raw(Statement::from_string(app.db.get_database_backend(), sql)).await.expect("id");
            if let Some(n) = row.and_then(|r| r.try_get::<Option<i64>>("", "n").ok().flatten()) {
                ids.insert(kind, n);
            }
        }
        ids
    });
    let baseline = Baseline { schema: &schema, ids };
    let generator = Gen { schema: &schema, pools: &Pools { strings: vec![], ids: vec![] } };
    let mut roots = vec![("query", schema.query.clone())];
    roots.extend(schema.mutation.clone().map(|m| ("mutation", m)));
    let mut failures: BTreeMap<String, String> = BTreeMap::new();
    let mut requests = 0;
    for (op, root) in roots {
        for field in schema.types[&root].fields.clone() {
            let selection = generator.selection(&field.ty);
            let mut leaves = Vec::new();
            baseline.leaves(&field.args, &vec![], 0, &mut leaves);
            for (path, named) in leaves {
                for probe in probes(&named) {
                    let args = baseline.arguments(&field, &path, &probe);
                    let (query, vars) = document(op, &field, &selection, &args, false);
                    let body = format!("{{\"query\":{},\"variables\":{vars}}}", json_string(&query));
                    requests += 1;
                    let (status, text, wrote) = rt.block_on(async {
                        let before = fingerprint(&app, &tables).await;
                        let res = app
                            .http
                            .post(app.url("/graphql"))
                            .bearer_auth(&token)
                            .header("content-type", "application/json")
                            .body(body)
                            .send()
                            .await
                            .expect("graphql request");
                        let status = res.status().as_u16();
                        let text = res.text().await.unwrap_or_default();
                        let after = fingerprint(&app, &tables).await;
                        (status, text, diff(&before, &after))
                    });
                    if let Err((key, problem)) = judge(status, &text, &wrote) {
                        let shown =
                            args.iter().map(|(n, v)| format!("{n}: {}", v.show())).collect::<Vec<_>>().join(", ");
                        failures
                            .entry(format!("{op}.{}.{} = {}: {key}", field.name, path.join("."), probe.show()))
                            .or_insert(format!(
                                "{op} {}({shown}): {problem}\n      response: {}",
                                field.name,
                                truncate(&text, 300)
                            ));
                    }
                }
            }
        }
    }
    assert!(requests > 100, "only {requests} probes");
    let report = failures.iter().map(|(k, r)| format!("  - {k}\n      {r}")).collect::<Vec<_>>().join("\n");
    assert!(failures.is_empty(), "{} failures over {requests} probes:\n{report}", failures.len());
}
