//! Hostile documents are refused before they cost anything. Two passes, both linear in the
//! document's size:
//!
//! 1. [`check_tokens`] counts the raw text's bytes and lexical tokens before it is parsed, so a
//!    megabyte of `__typename` costs a scan, not a parse.
//! 2. [`check_parsed`] measures the parsed document as it would execute, after fragment
//!    expansion, without expanding anything: each fragment's cost (fields, aliases, directives,
//!    depth) is computed once and reused wherever it is spread, so a fan-out of ten fragments
//!    each spreading the next ten times is counted (10^10 fields) in a few dozen steps.
//!
//! Every string the caller sends (literals in the document and variables) is checked too: no
//! NUL or other control characters, bounded length. These run in the schema's
//! `prepare_request` hook ([`Guard`]), before async-graphql's own parsing checks and validation,
//! which do expand fragments; on GraphQL over HTTP and over WebSocket alike. Each refusal names
//! the limit in `extensions.limit` under the code `QUERY_LIMIT_EXCEEDED` (or `BAD_USER_INPUT`
//! for a string).

use std::{collections::HashMap, fmt, sync::Arc};

use async_graphql::{
    ErrorExtensionValues, Pos, Request, ServerError, ServerResult, Value, Variables,
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextPrepareRequest},
    parser::types::{ExecutableDocument, Selection, SelectionSet},
};

/// The `extensions.code` of a refused document.
pub const LIMIT_CODE: &str = "QUERY_LIMIT_EXCEEDED";

/// How big a document may be. Every count is after fragment expansion.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DocumentLimits {
    /// Bytes of the document's text.
    pub bytes: usize,
    /// Lexical tokens (names, punctuators, values) of the text.
    pub tokens: usize,
    /// Fields the document selects once every fragment is expanded.
    pub fields: u64,
    /// Aliased fields once every fragment is expanded.
    pub aliases: u64,
    /// Nesting of fields (introspection's `__schema` and `__type` subtrees are exempt: the
    /// standard introspection query nests `ofType` deeper than any data query needs).
    pub depth: u32,
    /// Directives once every fragment is expanded.
    pub directives: u64,
    /// Characters of any one string argument or variable.
    pub string_chars: usize,
}

impl Default for DocumentLimits {
    fn default() -> Self {
        DocumentLimits {
            bytes: 128 * 1024,
            tokens: 8_000,
            fields: 2_500,
            aliases: 200,
            depth: 12,
            directives: 100,
            string_chars: 65_536,
        }
    }
}

/// Why a document was refused: which limit, the most allowed, and what the document had
/// (`actual` is a lower bound when the count stopped early).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LimitError {
    Exceeded {
        limit: &'static str,
        max: u64,
        actual: u64,
    },
    /// A fragment spreads itself, directly or through others.
    FragmentCycle {
        fragment: String,
    },
    /// A string input holding a control character or too long; `at` says where.
    BadString {
        at: String,
        reason: &'static str,
    },
}

impl fmt::Display for LimitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LimitError::Exceeded { limit, max, actual } => {
                write!(f, "the document exceeds the {limit} limit: {actual} where at most {max} are allowed")
            }
            LimitError::FragmentCycle { fragment } => {
                write!(f, "fragment `{fragment}` spreads itself; fragments must not form cycles")
            }
            LimitError::BadString { at, reason } => write!(f, "{at}: {reason}"),
        }
    }
}

impl LimitError {
    /// The limit's name, as `extensions.limit`.
    pub fn limit(&self) -> &'static str {
        match self {
            LimitError::Exceeded { limit, .. } => limit,
            LimitError::FragmentCycle { .. } => "fragmentCycle",
            LimitError::BadString { .. } => "string",
        }
    }

    pub fn into_server_error(self, pos: Option<Pos>) -> ServerError {
        let mut ext = ErrorExtensionValues::default();
        match &self {
            LimitError::BadString { at, .. } => {
                ext.set("code", "BAD_USER_INPUT");
                ext.set("field", at.as_str());
            }
            LimitError::Exceeded { max, actual, .. } => {
                ext.set("code", LIMIT_CODE);
                ext.set("limit", self.limit());
                ext.set("max", *max);
                ext.set("actual", *actual);
            }
            LimitError::FragmentCycle { .. } => {
                ext.set("code", LIMIT_CODE);
                ext.set("limit", self.limit());
            }
        }
        let mut err = ServerError::new(self.to_string(), pos);
        err.extensions = Some(ext);
        err
    }
}

/// What a document costs, after fragment expansion.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DocumentStats {
    pub tokens: usize,
    pub fields: u64,
    pub aliases: u64,
    pub depth: u32,
    pub directives: u64,
}

/// Counts the text's bytes and tokens, stopping as soon as a limit is passed. Malformed text
/// is counted as best it can be; the parser reports it afterwards.
pub fn check_tokens(query: &str, limits: &DocumentLimits) -> Result<usize, LimitError> {
    if query.len() > limits.bytes {
        return Err(LimitError::Exceeded { limit: "bytes", max: limits.bytes as u64, actual: query.len() as u64 });
    }
    let b = query.as_bytes();
    let (mut i, mut tokens) = (0usize, 0usize);
    while i < b.len() {
        match b[i] {
            b' ' | b'\t' | b'\n' | b'\r' | b',' => i += 1,
            // The byte-order mark (EF BB BF) is ignored like white space.
            0xEF if b.get(i + 1..i + 3) == Some(&[0xBB, 0xBF]) => i += 3,
            b'#' => {
                while i < b.len() && b[i] != b'\n' && b[i] != b'\r' {
                    i += 1;
                }
            }
            b'"' => {
                tokens += 1;
                if b.get(i..i + 3) == Some(b"\"\"\"") {
                    // Block string: ends at an unescaped `"""`.
                    i += 3;
                    loop {
                        if i >= b.len() {
                            break;
                        }
                        if b[i] == b'\\' && b.get(i + 1..i + 4) == Some(b"\"\"\"") {
                            i += 4;
                        } else if b.get(i..i + 3) == Some(b"\"\"\"") {
                            i += 3;
                            break;
                        } else {
                            i += 1;
                        }
                    }
                } else {
                    i += 1;
                    while i < b.len() && b[i] != b'"' && b[i] != b'\n' {
                        i += if b[i] == b'\\' { 2 } else { 1 };
                    }
                    i += 1;
                }
            }
            b'.' if b.get(i..i + 3) == Some(b"...") => {
                tokens += 1;
                i += 3;
            }
            c if c == b'-' || c.is_ascii_digit() => {
                // A number with its fraction and exponent (`-1.5e+3`).
                tokens += 1;
                i += 1;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || matches!(b[i], b'.' | b'+' | b'-' | b'_')) {
                    i += 1;
                }
            }
            c if c == b'_' || c.is_ascii_alphabetic() => {
                tokens += 1;
                i += 1;
                while i < b.len() && (b[i] == b'_' || b[i].is_ascii_alphanumeric()) {
                    i += 1;
                }
            }
            _ => {
                // Punctuators, and any other byte (the parser refuses those).
                tokens += 1;
                i += 1;
            }
        }
        if tokens > limits.tokens {
            return Err(LimitError::Exceeded { limit: "tokens", max: limits.tokens as u64, actual: tokens as u64 });
        }
    }
    Ok(tokens)
}

/// A selection set's cost; depth in fields below the set (a leaf field is depth 1).
#[derive(Clone, Copy, Default)]
struct Cost {
    fields: u64,
    aliases: u64,
    directives: u64,
    depth: u32,
}

impl Cost {
    fn add(&mut self, other: Cost) {
        self.fields = self.fields.saturating_add(other.fields);
        self.aliases = self.aliases.saturating_add(other.aliases);
        self.directives = self.directives.saturating_add(other.directives);
        self.depth = self.depth.max(other.depth);
    }
}

enum Memo {
    Visiting,
    Done(Cost),
}

struct Walker<'a> {
    doc: &'a ExecutableDocument,
    memo: HashMap<&'a str, Memo>,
}

impl<'a> Walker<'a> {
    fn selection_set(&mut self, set: &'a SelectionSet) -> Result<Cost, LimitError> {
        let mut cost = Cost::default();
        for selection in &set.items {
            match &selection.node {
                Selection::Field(field) => {
                    let f = &field.node;
                    let name = f.name.node.as_str();
                    let mut own = Cost {
                        fields: 1,
                        aliases: u64::from(f.alias.is_some()),
                        directives: f.directives.len() as u64,
                        depth: 1,
                    };
                    if !f.selection_set.node.items.is_empty() {
                        let child = self.selection_set(&f.selection_set.node)?;
                        // Introspection types nest as deep as the type system; their fields
                        // and aliases still count.
                        let child_depth = if name == "__schema" || name == "__type" { 0 } else { child.depth };
                        own.add(Cost { depth: 0, ..child });
                        own.depth = 1 + child_depth;
                    }
                    cost.add(own);
                }
                Selection::FragmentSpread(spread) => {
                    let name = spread.node.fragment_name.node.as_str();
                    let mut own = self.fragment(name)?;
                    own.directives = own.directives.saturating_add(spread.node.directives.len() as u64);
                    cost.add(own);
                }
                Selection::InlineFragment(inline) => {
                    let mut own = self.selection_set(&inline.node.selection_set.node)?;
                    own.directives = own.directives.saturating_add(inline.node.directives.len() as u64);
                    cost.add(own);
                }
            }
        }
        Ok(cost)
    }

    /// A fragment's cost, computed once; an unknown fragment costs nothing here (validation
    /// refuses it).
    fn fragment(&mut self, name: &'a str) -> Result<Cost, LimitError> {
        match self.memo.get(name) {
            Some(Memo::Done(cost)) => return Ok(*cost),
            Some(Memo::Visiting) => return Err(LimitError::FragmentCycle { fragment: name.to_owned() }),
            None => {}
        }
        let doc = self.doc;
        let Some((key, def)) = doc.fragments.get_key_value(name) else { return Ok(Cost::default()) };
        self.memo.insert(key.as_str(), Memo::Visiting);
        let mut cost = self.selection_set(&def.node.selection_set.node)?;
        cost.directives = cost.directives.saturating_add(def.node.directives.len() as u64);
        self.memo.insert(key.as_str(), Memo::Done(cost));
        Ok(cost)
    }
}

/// Measures every operation of a parsed document (summed) against the limits.
pub fn check_parsed(doc: &ExecutableDocument, limits: &DocumentLimits) -> Result<DocumentStats, LimitError> {
    let mut walker = Walker { doc, memo: HashMap::new() };
    let mut total = Cost::default();
    for (_, op) in doc.operations.iter() {
        let mut cost = walker.selection_set(&op.node.selection_set.node)?;
        cost.directives = cost.directives.saturating_add(op.node.directives.len() as u64);
        total.add(cost);
    }
    let checks: [(&'static str, u64, u64); 4] = [
        ("fields", total.fields, limits.fields),
        ("aliases", total.aliases, limits.aliases),
        ("depth", u64::from(total.depth), u64::from(limits.depth)),
        ("directives", total.directives, limits.directives),
    ];
    for (limit, actual, max) in checks {
        if actual > max {
            return Err(LimitError::Exceeded { limit, max, actual });
        }
    }
    Ok(DocumentStats {
        tokens: 0,
        fields: total.fields,
        aliases: total.aliases,
        depth: total.depth,
        directives: total.directives,
    })
}

/// Both checks on a document's text: what a fuzzer or a test can call without a schema.
pub fn check_document(query: &str, limits: &DocumentLimits) -> Result<DocumentStats, LimitError> {
    let tokens = check_tokens(query, limits)?;
    // Unparseable text is the parser's to report; it costs nothing further here.
    let Ok(doc) = async_graphql::parser::parse_query(query) else {
        return Ok(DocumentStats { tokens, ..Default::default() });
    };
    let stats = check_parsed(&doc, limits)?;
    check_document_strings(&doc, limits)?;
    Ok(DocumentStats { tokens, ..stats })
}

/// Why a string may not be stored or looked up: PostgreSQL refuses NUL in text, and control
/// characters other than tab and line breaks are never meaningful in this API's data.
pub fn bad_string(s: &str, max_chars: usize) -> Option<&'static str> {
    if s.chars().any(|c| (c.is_control() && !matches!(c, '\t' | '\n' | '\r')) || c == '\u{2028}' || c == '\u{2029}') {
        return Some("contains a NUL or other control character");
    }
    // Byte length bounds the character count from above: count only when it could matter.
    if s.len() > max_chars && s.chars().count() > max_chars {
        return Some("is too long");
    }
    None
}

fn check_value(value: &Value, at: &mut String, limits: &DocumentLimits) -> Result<(), LimitError> {
    match value {
        Value::String(s) => match bad_string(s, limits.string_chars) {
            Some(reason) => Err(LimitError::BadString { at: at.clone(), reason }),
            None => Ok(()),
        },
        Value::List(items) => {
            let len = at.len();
            for (i, item) in items.iter().enumerate() {
                at.push_str(&format!("[{i}]"));
                check_value(item, at, limits)?;
                at.truncate(len);
            }
            Ok(())
        }
        Value::Object(fields) => {
            let len = at.len();
            for (name, item) in fields {
                at.push('.');
                at.push_str(name.as_str());
                check_value(item, at, limits)?;
                at.truncate(len);
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Checks the variables' strings.
pub fn check_variables(variables: &Variables, limits: &DocumentLimits) -> Result<(), LimitError> {
    for (name, value) in variables.iter() {
        check_value(value, &mut format!("${name}"), limits)?;
    }
    Ok(())
}

/// Checks the string literals in the document's arguments (fields and directives, in
/// operations and fragments).
pub fn check_document_strings(doc: &ExecutableDocument, limits: &DocumentLimits) -> Result<(), LimitError> {
    fn in_set(set: &SelectionSet, limits: &DocumentLimits) -> Result<(), LimitError> {
        for selection in &set.items {
            let (directives, children) = match &selection.node {
                Selection::Field(f) => {
                    for (name, value) in &f.node.arguments {
                        if let Ok(value) = value.node.clone().into_const_with(|_| Ok::<_, ()>(Value::Null)) {
                            check_value(
                                &value,
                                &mut format!("argument `{}` of `{}`", name.node, f.node.name.node),
                                limits,
                            )?;
                        }
                    }
                    (&f.node.directives, Some(&f.node.selection_set.node))
                }
                Selection::FragmentSpread(s) => (&s.node.directives, None),
                Selection::InlineFragment(i) => (&i.node.directives, Some(&i.node.selection_set.node)),
            };
            for d in directives {
                for (name, value) in &d.node.arguments {
                    if let Ok(value) = value.node.clone().into_const_with(|_| Ok::<_, ()>(Value::Null)) {
                        check_value(&value, &mut format!("argument `{}` of @{}", name.node, d.node.name.node), limits)?;
                    }
                }
            }
            if let Some(children) = children {
                in_set(children, limits)?;
            }
        }
        Ok(())
    }
    for (_, op) in doc.operations.iter() {
        in_set(&op.node.selection_set.node, limits)?;
    }
    for def in doc.fragments.values() {
        in_set(&def.node.selection_set.node, limits)?;
    }
    Ok(())
}

/// The schema extension that applies every check above before async-graphql touches the
/// document (see the module docs).
/// With `introspection` false, a document asking for `__schema` or `__type` is refused with
/// `INTROSPECTION_DISABLED` (async-graphql alone would answer them null, which reads like a
/// bug to the caller).
pub struct Guard {
    pub limits: DocumentLimits,
    pub introspection: bool,
}

impl ExtensionFactory for Guard {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(GuardExtension(self.limits, self.introspection))
    }
}

struct GuardExtension(DocumentLimits, bool);

/// Whether an operation's root selects `__schema` or `__type` (directly or through fragments).
fn introspects(doc: &ExecutableDocument) -> bool {
    fn root(doc: &ExecutableDocument, set: &SelectionSet, seen: &mut Vec<String>) -> bool {
        set.items.iter().any(|s| match &s.node {
            Selection::Field(f) => matches!(f.node.name.node.as_str(), "__schema" | "__type"),
            Selection::InlineFragment(i) => root(doc, &i.node.selection_set.node, seen),
            Selection::FragmentSpread(spread) => {
                let name = spread.node.fragment_name.node.to_string();
                if seen.contains(&name) {
                    return false;
                }
                seen.push(name);
                doc.fragments
                    .get(&spread.node.fragment_name.node)
                    .is_some_and(|f| root(doc, &f.node.selection_set.node, seen))
            }
        })
    }
    doc.operations.iter().any(|(_, op)| root(doc, &op.node.selection_set.node, &mut Vec::new()))
}

#[async_graphql::async_trait::async_trait]
impl Extension for GuardExtension {
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        mut request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        let limits = &self.0;
        check_variables(&request.variables, limits).map_err(|e| e.into_server_error(None))?;
        // Before the parse (the HTTP transport counted already; a second scan of at most
        // `limits.bytes` is cheaper than knowing).
        check_tokens(&request.query, limits).map_err(|e| e.into_server_error(None))?;
        let introspection = self.1;
        if let Ok(doc) = request.parsed_query() {
            check_parsed(doc, limits).map_err(|e| e.into_server_error(None))?;
            check_document_strings(doc, limits).map_err(|e| e.into_server_error(None))?;
            if !introspection && introspects(doc) {
                let mut err = ServerError::new("introspection is disabled on this server", None);
                let mut ext = ErrorExtensionValues::default();
                ext.set("code", "INTROSPECTION_DISABLED");
                err.extensions = Some(ext);
                return Err(err);
            }
        }
        next.run(ctx, request).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fan_out(levels: usize, leaf: &str) -> String {
        let mut q = String::from("query{...F0}");
        for i in 0..levels {
            q.push_str(&format!(" fragment F{i} on Query{{"));
            for _ in 0..10 {
                q.push_str(&format!("...F{} ", i + 1));
            }
            q.push('}');
        }
        q.push_str(&format!(" fragment F{levels} on Query{{{leaf}}}"));
        q
    }

    #[test]
    fn a_fragment_fan_out_is_counted_without_expanding_it() {
        let limits = DocumentLimits::default();
        let started = std::time::Instant::now();
        let err = check_document(&fan_out(9, "__typename"), &limits).unwrap_err();
        assert_eq!(err, LimitError::Exceeded { limit: "fields", max: limits.fields, actual: 1_000_000_000 });
        // Far deeper fan-outs saturate rather than overflow.
        let err = check_document(&fan_out(40, "__typename"), &limits).unwrap_err();
        assert_eq!(err, LimitError::Exceeded { limit: "fields", max: limits.fields, actual: u64::MAX });
        assert!(started.elapsed() < std::time::Duration::from_millis(500));
        // Two levels (100 fields) pass and are counted exactly.
        assert_eq!(check_document(&fan_out(2, "__typename"), &limits).unwrap().fields, 100);
    }

    #[test]
    fn tokens_and_bytes_are_counted_before_parsing() {
        let limits = DocumentLimits::default();
        let many = format!("{{{}}}", "__typename ".repeat(9_000));
        assert_eq!(check_tokens(&many, &limits).unwrap_err().limit(), "tokens");
        let huge = format!("{{{}}}", "__typename ".repeat(20_000));
        assert_eq!(check_tokens(&huge, &limits).unwrap_err().limit(), "bytes");
        assert_eq!(check_tokens("{ a(x: \"b c, d\") { ...F } } # comment , x y z", &limits), Ok(12));
        assert_eq!(check_tokens("{ a(x: \"\"\"b \\\"\"\" c\"\"\", y: -1.5e+3) }", &limits), Ok(11));
    }

    #[test]
    fn depth_aliases_directives_and_cycles() {
        let limits = DocumentLimits { depth: 3, aliases: 2, directives: 2, ..Default::default() };
        assert_eq!(check_document("{a{b{c}}}", &limits).unwrap().depth, 3);
        assert_eq!(check_document("{a{b{c{d}}}}", &limits).unwrap_err().limit(), "depth");
        // Introspection nests deeper than data, and is exempt.
        assert!(check_document("{__schema{types{fields{type{ofType{ofType{name}}}}}}}", &limits).is_ok());
        assert_eq!(check_document("{x:a y:a z:a}", &limits).unwrap_err().limit(), "aliases");
        assert_eq!(
            check_document("query{...F ...F} fragment F on Query{x:a y:a}", &limits).unwrap_err().limit(),
            "aliases"
        );
        assert_eq!(
            check_document("{a @skip(if:false) b @skip(if:false) c @skip(if:false)}", &limits).unwrap_err().limit(),
            "directives"
        );
        assert_eq!(
            check_document("query{...A} fragment A on Query{...B} fragment B on Query{...A}", &limits),
            Err(LimitError::FragmentCycle { fragment: "A".into() })
        );
    }

    #[test]
    fn strings_with_control_characters_are_refused_wherever_they_are() {
        let limits = DocumentLimits { string_chars: 5, ..Default::default() };
        let err = check_document("{ a(x: \"b\\u0000\") }", &limits).unwrap_err();
        assert_eq!(
            err,
            LimitError::BadString {
                at: "argument `x` of `a`".into(),
                reason: "contains a NUL or other control character"
            }
        );
        assert_eq!(check_document("{ a(x: {y: [\"ok\", \"toolong\"]}) }", &limits).unwrap_err().limit(), "string");
        assert!(check_document("{ a(x: \"t\\tk\") }", &limits).is_ok());
        let vars = Variables::from_json(serde_json::json!({"rows": [{"id": "a\u{1}"}]}));
        assert_eq!(
            check_variables(&vars, &limits),
            Err(LimitError::BadString {
                at: "$rows[0].id".into(),
                reason: "contains a NUL or other control character"
            })
        );
    }
}
