//! The OneRoster 1.2 REST binding's query parameters for collections: `limit` and `offset`,
//! `sort` and `orderBy`, `filter`, and `fields`. Each collection declares its [`Field`]s (the
//! name a caller uses, its type, and the SQL expression behind it); filters and sorting become
//! SQL on the service's own query, so paging, `X-Total-Count` and visibility agree.
//!
//! The filter grammar is the binding's: `field op 'value'` predicates, `op` one of
//! `= != > >= < <= ~` (`~` is "contains", case-insensitive), joined by `AND` / `OR`. The binding
//! allows two predicates and one kind of joint; any number is accepted here, `AND` binding
//! tighter than `OR`. Values are single-quoted; dates and times are compared as dates.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    Condition, EntityTrait, QueryFilter, QueryOrder, Select,
    sea_query::{BinOper, Expr, ExprTrait, Func, Order},
};

use super::{StatusInfo, openapi::Schema};
use crate::auth::Principal;

/// Rows a page holds when the caller names no `limit` (the binding's default).
pub const DEFAULT_LIMIT: u64 = 100;
/// The most rows a page holds; a larger `limit` is served this many (and the `Link` header
/// says where the rest are).
pub const MAX_LIMIT: u64 = 1000;
/// The longest `filter` read; longer ones are refused before they are parsed.
const MAX_FILTER: usize = 4096;
/// The most predicates a filter may join.
const MAX_PREDICATES: usize = 20;

/// How a field's values compare.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ty {
    /// Text, compared as text; `~` finds a part of it, whatever its case.
    Text,
    /// A comma-separated list (grades, subjects, periods): `=` and `!=` match one whole
    /// element, `~` a part of the list.
    List,
    /// A calendar date, `YYYY-MM-DD`.
    Date,
    /// A time (`dateLastModified`): RFC 3339, or a date meaning its midnight UTC.
    DateTime,
    /// `true` or `false`.
    Bool,
    /// A whole number (`schoolYear`).
    Int,
    /// One of a set of values the binding enumerates (status, role, type): compared as text.
    Enum,
}

/// A field a collection may be filtered and sorted by.
#[derive(Clone, Copy)]
pub struct Field {
    /// As the binding names it (`familyName`, `dateLastModified`, `school.sourcedId`).
    pub name: &'static str,
    pub ty: Ty,
    /// The SQL behind it, on the collection's own query, for this caller (a reference to a
    /// record the caller may not see reads as NULL, so it neither matches nor sorts).
    pub expr: fn(&Principal) -> Expr,
}

/// The parameters of a collection request.
#[derive(Clone, Debug, PartialEq)]
pub struct ListParams {
    pub limit: u64,
    pub offset: u64,
    pub sort: Option<String>,
    pub descending: bool,
    pub filter: Option<String>,
    pub fields: Option<Vec<String>>,
}

impl ListParams {
    /// Reads the query string. Unknown parameters are ignored (the binding lets servers add
    /// their own); a known one given twice, or with a value out of its range, is refused.
    pub fn parse(query: Option<&str>) -> Result<ListParams, StatusInfo> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query.unwrap_or(""))
            .map_err(|_| StatusInfo::invalid_data("the query string is not valid URL encoding"))?;
        let mut p =
            ListParams { limit: DEFAULT_LIMIT, offset: 0, sort: None, descending: false, filter: None, fields: None };
        let mut seen: Vec<&str> = Vec::new();
        for (name, value) in &pairs {
            let name = name.as_str();
            if !matches!(name, "limit" | "offset" | "sort" | "orderBy" | "filter" | "fields") {
                continue;
            }
            if seen.contains(&name) {
                return Err(StatusInfo::invalid_data(format!("`{name}` is given more than once")));
            }
            seen.push(name);
            match name {
                "limit" => {
                    let n: u64 = value.trim().parse().map_err(|_| {
                        StatusInfo::invalid_data(format!("`limit` must be a whole number from 1 (got `{value}`)"))
                    })?;
                    if n == 0 {
                        return Err(StatusInfo::invalid_data("`limit` must be at least 1"));
                    }
                    p.limit = Ord::min(n, MAX_LIMIT);
                }
                "offset" => {
                    // Bound as a signed 64-bit integer by both databases' drivers.
                    p.offset =
                        value.trim().parse::<u64>().ok().filter(|n| i64::try_from(*n).is_ok()).ok_or_else(|| {
                            StatusInfo::invalid_data(format!("`offset` must be a whole number from 0 (got `{value}`)"))
                        })?;
                }
                "sort" => p.sort = Some(value.trim().to_owned()).filter(|s| !s.is_empty()),
                "orderBy" => {
                    p.descending = match value.trim() {
                        "asc" => false,
                        "desc" => true,
                        other => {
                            return Err(StatusInfo::invalid_data(format!(
                                "`orderBy` is `asc` or `desc` (got `{other}`)"
                            )));
                        }
                    }
                }
                "filter" => p.filter = Some(value.clone()).filter(|f| !f.trim().is_empty()),
                _ => {
                    let names: Vec<String> =
                        value.split(',').map(|f| f.trim().to_owned()).filter(|f| !f.is_empty()).collect();
                    if names.is_empty() {
                        return Err(StatusInfo::invalid_selection("`fields` names no field"));
                    }
                    p.fields = Some(names);
                }
            }
        }
        Ok(p)
    }

    /// Checks `fields` against the names a record of the collection has.
    pub fn check_selection(&self, schema: &Schema) -> Result<(), StatusInfo> {
        for f in self.fields.iter().flatten() {
            if !schema.selectable().any(|s| s == f) {
                return Err(StatusInfo::invalid_selection(format!(
                    "`{f}` is not a field of these records; they have {}",
                    schema.selectable().collect::<Vec<_>>().join(", ")
                )));
            }
        }
        Ok(())
    }

    /// The collection's query with the filter and order applied (the caller pages it).
    pub fn apply<E: EntityTrait>(
        &self,
        p: &Principal,
        select: Select<E>,
        fields: &[Field],
        id: E::Column,
    ) -> Result<Select<E>, StatusInfo> {
        let mut q = select;
        if let Some(filter) = &self.filter {
            q = q.filter(parse_filter(p, filter, fields)?);
        }
        let order = if self.descending { Order::Desc } else { Order::Asc };
        if let Some(sort) = &self.sort {
            let field = fields.iter().find(|f| f.name == sort).ok_or_else(|| {
                StatusInfo::invalid_sort(format!(
                    "`{sort}` cannot be sorted by; these records sort by {}",
                    fields.iter().map(|f| f.name).collect::<Vec<_>>().join(", ")
                ))
            })?;
            q = q.order_by((field.expr)(p), order.clone());
        }
        // The primary key last: a stable order, so that pages neither repeat nor skip rows.
        Ok(q.order_by(id, if self.sort.is_some() { Order::Asc } else { order }))
    }
}

/// One `field op 'value'`.
#[derive(Clone, Debug, PartialEq)]
struct Predicate {
    field: String,
    op: Op,
    value: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
    Contains,
}

/// Parses a filter into the predicates it joins: an OR of ANDs.
fn parse_predicates(filter: &str) -> Result<Vec<Vec<Predicate>>, StatusInfo> {
    if filter.len() > MAX_FILTER {
        return Err(StatusInfo::invalid_filter(format!("the filter is longer than {MAX_FILTER} characters")));
    }
    let bad = |why: String| StatusInfo::invalid_filter(format!("{why}, in `{filter}`"));
    let mut groups: Vec<Vec<Predicate>> = vec![vec![]];
    let mut rest = filter.trim_start();
    let mut count = 0;
    loop {
        let name_len = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '_')).unwrap_or(rest.len());
        if name_len == 0 {
            return Err(bad("expected a field name".into()));
        }
        let field = rest[..name_len].to_owned();
        rest = rest[name_len..].trim_start();
        let (op, len) = if rest.starts_with(">=") {
            (Op::Ge, 2)
        } else if rest.starts_with("<=") {
            (Op::Le, 2)
        } else if rest.starts_with("!=") {
            (Op::Ne, 2)
        } else if rest.starts_with('=') {
            (Op::Eq, 1)
        } else if rest.starts_with('>') {
            (Op::Gt, 1)
        } else if rest.starts_with('<') {
            (Op::Lt, 1)
        } else if rest.starts_with('~') {
            (Op::Contains, 1)
        } else {
            return Err(bad(format!("expected one of = != > >= < <= ~ after `{field}`")));
        };
        rest = rest[len..].trim_start();
        let Some(quoted) = rest.strip_prefix('\'') else {
            return Err(bad(format!("the value after `{field}` must be in single quotes")));
        };
        let Some(end) = quoted.find('\'') else {
            return Err(bad(format!("the value after `{field}` has no closing quote")));
        };
        let value = quoted[..end].to_owned();
        if value.contains('\0') {
            return Err(bad(format!("the value after `{field}` holds a NUL character")));
        }
        rest = quoted[end + 1..].trim_start();
        count += 1;
        if count > MAX_PREDICATES {
            return Err(bad(format!("more than {MAX_PREDICATES} predicates")));
        }
        if let Some(g) = groups.last_mut() {
            g.push(Predicate { field, op, value });
        }
        if rest.is_empty() {
            return Ok(groups);
        }
        let word_len = rest.find(char::is_whitespace).unwrap_or(rest.len());
        match &rest[..word_len] {
            "AND" => {}
            "OR" => groups.push(vec![]),
            other => return Err(bad(format!("expected AND or OR, found `{other}`"))),
        }
        rest = rest[word_len..].trim_start();
    }
}

/// The SQL condition a filter stands for, its fields checked against the collection's.
pub fn parse_filter(principal: &Principal, filter: &str, fields: &[Field]) -> Result<Condition, StatusInfo> {
    let mut any = Condition::any();
    for group in parse_predicates(filter)? {
        let mut all = Condition::all();
        for p in group {
            let field = fields.iter().find(|f| f.name == p.field).ok_or_else(|| {
                StatusInfo::invalid_filter(format!(
                    "`{}` cannot be filtered on; these records filter on {}",
                    p.field,
                    fields.iter().map(|f| f.name).collect::<Vec<_>>().join(", ")
                ))
            })?;
            all = all.add(predicate_sql(principal, field, &p)?);
        }
        any = any.add(all);
    }
    Ok(any)
}

fn predicate_sql(principal: &Principal, field: &Field, p: &Predicate) -> Result<Condition, StatusInfo> {
    let col = || (field.expr)(principal);
    let wrong = |what: &str| {
        StatusInfo::invalid_filter(format!(
            "`{}` is {what}: `{}` cannot compare it with '{}'",
            p.field,
            op_str(p.op),
            p.value
        ))
    };
    let cmp = |e: Expr, v: Expr| -> Condition {
        let c = match p.op {
            Op::Eq => e.eq(v),
            // A missing value is "not equal" too.
            Op::Ne => return Condition::any().add(e.clone().is_null()).add(e.ne(v)),
            Op::Gt => e.gt(v),
            Op::Ge => e.gte(v),
            Op::Lt => e.lt(v),
            Op::Le => e.lte(v),
            Op::Contains => contains_sql(e, &p.value),
        };
        Condition::all().add(c)
    };
    match field.ty {
        Ty::Text | Ty::Enum => Ok(cmp(col(), Expr::value(p.value.clone()))),
        Ty::List => match p.op {
            Op::Eq | Op::Ne => {
                // One whole element of the comma-separated list, ignoring case as `~` does.
                let c = col();
                let v = escape_like(&p.value);
                let whole = Condition::any()
                    .add(like_lower(c.clone(), v.clone()))
                    .add(like_lower(c.clone(), format!("{v},%")))
                    .add(like_lower(c.clone(), format!("%,{v}")))
                    .add(like_lower(c.clone(), format!("%,{v},%")));
                Ok(if p.op == Op::Eq { whole } else { Condition::any().add(c.is_null()).add(whole.not()) })
            }
            Op::Contains => Ok(cmp(col(), Expr::value(p.value.clone()))),
            _ => Err(wrong("a list")),
        },
        Ty::Bool => match (p.op, p.value.as_str()) {
            (Op::Eq | Op::Ne, "true") => Ok(cmp(col(), Expr::value(true))),
            (Op::Eq | Op::Ne, "false") => Ok(cmp(col(), Expr::value(false))),
            _ => Err(wrong("true or false")),
        },
        Ty::Int => {
            if p.op == Op::Contains {
                return Err(wrong("a number"));
            }
            let n: i64 = p.value.trim().parse().map_err(|_| {
                StatusInfo::invalid_filter(format!("`{}` is a whole number; '{}' is not", p.field, p.value))
            })?;
            Ok(cmp(col(), Expr::value(n)))
        }
        Ty::Date => {
            if p.op == Op::Contains {
                return Err(wrong("a date"));
            }
            let d = NaiveDate::parse_from_str(p.value.trim(), "%Y-%m-%d").map_err(|_| {
                StatusInfo::invalid_filter(format!("`{}` is a date (YYYY-MM-DD); '{}' is not", p.field, p.value))
            })?;
            Ok(cmp(col(), Expr::value(d)))
        }
        Ty::DateTime => {
            if p.op == Op::Contains {
                return Err(wrong("a time"));
            }
            let t = parse_time(&p.value).ok_or_else(|| {
                StatusInfo::invalid_filter(format!(
                    "`{}` is a time (ISO 8601, e.g. 2026-09-01T00:00:00Z, or a date); '{}' is not",
                    p.field, p.value
                ))
            })?;
            Ok(cmp(col(), Expr::value(t)))
        }
    }
}

/// `~`: the value anywhere in the field, ignoring case.
fn contains_sql(e: Expr, value: &str) -> Expr {
    like_lower(e, format!("%{}%", escape_like(value)))
}

/// `LOWER(e) LIKE LOWER(pattern) ESCAPE '\'`: both sides lowered by the database, so each
/// database compares as it lowers (SQLite: ASCII letters only), and `\` escapes the pattern's
/// wildcards on both (PostgreSQL's default, SQLite's only when asked).
fn like_lower(e: Expr, pattern: String) -> Expr {
    let pattern = Expr::Binary(
        Box::new(Expr::expr(Func::lower(Expr::value(pattern)))),
        BinOper::Escape,
        Box::new(Expr::Constant('\\'.into())),
    );
    Expr::expr(Func::lower(e)).binary(BinOper::Like, pattern)
}

fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn op_str(op: Op) -> &'static str {
    match op {
        Op::Eq => "=",
        Op::Ne => "!=",
        Op::Gt => ">",
        Op::Ge => ">=",
        Op::Lt => "<",
        Op::Le => "<=",
        Op::Contains => "~",
    }
}

/// A filter's time: RFC 3339 (with or without fractions), or a plain date at midnight UTC.
fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    DateTime::parse_from_rfc3339(s).map(|t| t.with_timezone(&Utc)).ok().or_else(|| {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").ok().and_then(|d| d.and_hms_opt(0, 0, 0)).map(|t| t.and_utc())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pred(field: &str, op: Op, value: &str) -> Predicate {
        Predicate { field: field.into(), op, value: value.into() }
    }

    #[test]
    fn filters_parse_into_an_or_of_ands() {
        assert_eq!(parse_predicates("status='active'").ok(), Some(vec![vec![pred("status", Op::Eq, "active")]]));
        assert_eq!(
            parse_predicates("familyName~'mc' AND dateLastModified>='2026-01-01' OR role != 'student'").ok(),
            Some(vec![
                vec![pred("familyName", Op::Contains, "mc"), pred("dateLastModified", Op::Ge, "2026-01-01")],
                vec![pred("role", Op::Ne, "student")],
            ])
        );
        // Values keep their spaces, commas and operators.
        assert_eq!(
            parse_predicates("school.sourcedId<='a = b, c AND d'").ok(),
            Some(vec![vec![pred("school.sourcedId", Op::Le, "a = b, c AND d")]])
        );
        assert_eq!(parse_predicates("x>'1'").ok(), Some(vec![vec![pred("x", Op::Gt, "1")]]));
        assert_eq!(parse_predicates("x<'1'").ok(), Some(vec![vec![pred("x", Op::Lt, "1")]]));
        for bad in [
            "",
            "status=active",
            "status='active",
            "status=='active'",
            "status='active' and role='student'",
            "status='active' AND",
            "='x'",
            "status 'active'",
        ] {
            let got = parse_predicates(bad);
            assert!(matches!(&got, Err(e) if e.minor == "invalid_filter_field"), "{bad}: {got:?}");
        }
        let many = vec!["a='1'"; MAX_PREDICATES + 1].join(" AND ");
        assert!(parse_predicates(&many).is_err());
        assert!(parse_predicates(&vec!["a='1'"; MAX_PREDICATES].join(" OR ")).is_ok());
    }

    #[test]
    fn times_are_read_as_rfc3339_or_as_a_date() {
        assert_eq!(
            parse_time("2026-09-01T10:00:00Z").map(|t| t.to_rfc3339()),
            Some("2026-09-01T10:00:00+00:00".into())
        );
        assert_eq!(
            parse_time("2026-09-01T10:00:00.5+02:00").map(|t| t.to_rfc3339()),
            Some("2026-09-01T08:00:00.500+00:00".into())
        );
        assert_eq!(parse_time("2026-09-01").map(|t| t.to_rfc3339()), Some("2026-09-01T00:00:00+00:00".into()));
        assert_eq!(parse_time("2026-13-01"), None);
        assert_eq!(parse_time("yesterday"), None);
    }

    #[test]
    fn params_have_the_bindings_defaults_and_ranges() {
        let p = ListParams::parse(None).ok();
        assert_eq!(p.map(|p| (p.limit, p.offset, p.descending)), Some((DEFAULT_LIMIT, 0, false)));
        let p =
            ListParams::parse(Some("limit=5000&offset=7&sort=familyName&orderBy=desc&fields=sourcedId,%20givenName"));
        let p = p.ok();
        assert_eq!(p.as_ref().map(|p| (p.limit, p.offset, p.descending)), Some((MAX_LIMIT, 7, true)));
        assert_eq!(p.and_then(|p| p.fields), Some(vec!["sourcedId".to_owned(), "givenName".to_owned()]));
        for (q, minor) in [
            ("limit=0", "invaliddata"),
            ("limit=-1", "invaliddata"),
            ("limit=ten", "invaliddata"),
            ("offset=-3", "invaliddata"),
            ("orderBy=up", "invaliddata"),
            ("limit=1&limit=2", "invaliddata"),
            ("fields=,", "invalid_selection_field"),
        ] {
            let got = ListParams::parse(Some(q));
            assert!(matches!(&got, Err(e) if e.minor == minor), "{q}: {got:?}");
        }
        // Parameters of the server's own are left alone; empty ones are as if not given.
        assert!(ListParams::parse(Some("search=x&limit=2")).is_ok());
        let p = ListParams::parse(Some("sort=&filter=%20&orderBy=asc")).ok();
        assert_eq!(p.map(|p| (p.sort, p.filter)), Some((None, None)));
        let p = ListParams::parse(Some("sort=title&filter=status%3D%27active%27")).ok();
        assert_eq!(p.map(|p| (p.sort, p.filter)), Some((Some("title".into()), Some("status='active'".into()))));
    }

    #[test]
    fn a_filter_up_to_the_limit_is_read_and_a_longer_one_refused() {
        let at_limit = format!("title='{}'", "x".repeat(MAX_FILTER - 8));
        assert_eq!(at_limit.len(), MAX_FILTER);
        assert!(parse_predicates(&at_limit).is_ok());
        let over = format!("title='{}'", "x".repeat(MAX_FILTER - 7));
        assert!(matches!(parse_predicates(&over), Err(e) if e.description.contains("longer than 4096")));
    }

    #[test]
    fn a_comparison_a_type_does_not_have_is_refused_naming_it() {
        let p = crate::auth::Principal::system();
        let fields = [
            Field { name: "enabledUser", ty: Ty::Bool, expr: |_| Expr::cust("enabled_user") },
            Field { name: "grades", ty: Ty::List, expr: |_| Expr::cust("grades") },
            Field { name: "beginDate", ty: Ty::Date, expr: |_| Expr::cust("begin_date") },
            Field { name: "dateLastModified", ty: Ty::DateTime, expr: |_| Expr::cust("date_last_modified") },
            Field { name: "schoolYear", ty: Ty::Int, expr: |_| Expr::cust("school_year") },
        ];
        for (filter, message) in [
            ("enabledUser~'x'", "`enabledUser` is true or false: `~` cannot compare it with 'x'"),
            ("enabledUser='yes'", "`enabledUser` is true or false: `=` cannot compare it with 'yes'"),
            ("grades>'09'", "`grades` is a list: `>` cannot compare it with '09'"),
            ("beginDate~'2026'", "`beginDate` is a date: `~` cannot compare it with '2026'"),
            ("dateLastModified~'2026'", "`dateLastModified` is a time: `~` cannot compare it with '2026'"),
            ("schoolYear~'20'", "`schoolYear` is a number: `~` cannot compare it with '20'"),
            ("shoeSize='9'", "`shoeSize` cannot be filtered on"),
        ] {
            let got = parse_filter(&p, filter, &fields);
            assert!(matches!(&got, Err(e) if e.description.starts_with(message)), "{filter}: {got:?}");
        }
        for filter in [
            "enabledUser='true'",
            "enabledUser!='false'",
            "grades='09'",
            "grades!='09'",
            "grades~'0'",
            "beginDate<='2026-09-01'",
            "dateLastModified>'2026-09-01'",
            "schoolYear>='2027'",
        ] {
            assert!(parse_filter(&p, filter, &fields).is_ok(), "{filter}");
        }
    }

    mod grammar {
        use proptest::{prelude::*, test_runner::RngSeed};

        use super::super::*;

        fn config() -> ProptestConfig {
            ProptestConfig {
                cases: 512,
                failure_persistence: None,
                rng_seed: RngSeed::Fixed(0x0e05_7e12),
                ..ProptestConfig::default()
            }
        }

        const OPS: [(&str, Op); 7] = [
            ("=", Op::Eq),
            ("!=", Op::Ne),
            (">", Op::Gt),
            (">=", Op::Ge),
            ("<", Op::Lt),
            ("<=", Op::Le),
            ("~", Op::Contains),
        ];

        fn predicate() -> impl Strategy<Value = (String, usize, String, String, String)> {
            (
                "[a-zA-Z][a-zA-Z0-9_.]{0,20}",
                0..OPS.len(),
                "[^'\\x00]{0,20}",
                prop::sample::select(vec!["", " ", "  "]).prop_map(str::to_owned),
                prop::sample::select(vec!["", " ", "\t"]).prop_map(str::to_owned),
            )
        }

        proptest! {
            #![proptest_config(config())]

            /// Whatever a caller sends, the parser answers (a filter or a 400), never panics.
            #[test]
            fn never_panics_on_any_text(s in any::<String>()) {
                let _ = parse_predicates(&s);
            }

            /// Nor on text made of the grammar's own pieces in any order.
            #[test]
            fn never_panics_on_shuffled_pieces(parts in prop::collection::vec(
                prop::sample::select(vec!["a", "b.c", "=", "!=", ">=", "<", "~", "'", "'x'", " ", "AND", "OR", "and", "''"]),
                0..12,
            )) {
                let _ = parse_predicates(&parts.concat());
            }

            /// Any well-formed filter parses into exactly its predicates, AND binding tighter
            /// than OR.
            #[test]
            fn well_formed_filters_parse_into_their_predicates(
                preds in prop::collection::vec(predicate(), 1..6),
                joints in prop::collection::vec(any::<bool>(), 5),
            ) {
                let mut text = String::new();
                let mut want: Vec<Vec<Predicate>> = vec![vec![]];
                for (i, (field, op, value, pad1, pad2)) in preds.iter().enumerate() {
                    if i > 0 {
                        let or = joints[i - 1];
                        text.push_str(if or { " OR " } else { " AND " });
                        if or {
                            want.push(vec![]);
                        }
                    }
                    text.push_str(&format!("{field}{pad1}{}{pad2}'{value}'", OPS[*op].0));
                    if let Some(g) = want.last_mut() {
                        g.push(Predicate { field: field.clone(), op: OPS[*op].1, value: value.clone() });
                    }
                }
                prop_assert_eq!(parse_predicates(&text).ok(), Some(want), "{}", text);
            }

            /// What the grammar does not allow is refused: an unquoted value, a value left
            /// open, a joint in lower case, a joint with nothing after it.
            #[test]
            fn malformed_filters_are_refused((field, op, value, _, _) in predicate()) {
                let op = OPS[op].0;
                for bad in [
                    format!("{field}{op}{value}x"),
                    format!("{field}{op}'{value}"),
                    format!("{field}{op}'{value}' and {field}{op}'{value}'"),
                    format!("{field}{op}'{value}' AND"),
                    format!("{field}{op}'{value}' {field}{op}'{value}'"),
                    format!("{op}'{value}'"),
                ] {
                    let got = parse_predicates(&bad);
                    prop_assert!(matches!(&got, Err(e) if e.minor == "invalid_filter_field"), "{}: {:?}", bad, got);
                }
            }
        }
    }

    #[test]
    fn like_patterns_escape_the_callers_wildcards() {
        assert_eq!(escape_like("50%_a\\b"), "50\\%\\_a\\\\b");
    }
}
