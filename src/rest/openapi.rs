//! The OpenAPI 3 document of the OneRoster services, served at `/ims/oneroster/openapi.json`.
//! It is generated from the same tables the handlers run on: each service declares its
//! operations with the macro that registers their routes ([`crate::roster::rest`]), and each
//! record type is one [`Schema`] whose properties are the fields its records are written with,
//! and whose filter fields are the ones the filter grammar accepts. A route without its
//! operation, or a field the document does not list, cannot be built.

use serde_json::{Map, Value, json};

use super::{Field, query::MAX_LIMIT};

/// How a property of a record is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Prop {
    Str,
    /// One of these values.
    Enum(&'static [&'static str]),
    /// `YYYY-MM-DD`.
    Date,
    /// ISO 8601 in UTC with milliseconds.
    DateTime,
    /// `"true"` or `"false"` (the binding's TrueFalse strings).
    TrueFalse,
    /// An array of strings.
    StrList,
    /// A `{href, sourcedId, type}` reference.
    Ref,
    /// An array of references.
    RefList,
    /// The user's identifiers in other systems: `[{type, identifier}]`.
    UserIds,
    /// The user's roles: `[{roleType, role, org, beginDate, endDate}]`.
    Roles,
    /// A number.
    Number,
    /// A line item's `learningObjectiveSet`: `[{source, learningObjectiveIds}]`.
    Objectives,
    /// A score scale's `scoreScaleValue`: `[{itemValueLHS, itemValueRHS}]`.
    ScaleValues,
}

/// Every record's `status`.
pub const STATUS: Prop = Prop::Enum(&["active", "tobedeleted"]);

/// A record type as the binding writes it, and how its collections are queried.
pub struct Schema {
    /// The schema's name in the document (`User`).
    pub name: &'static str,
    /// The envelope's key for one record (`user`) and for a collection (`users`).
    pub one: &'static str,
    pub many: &'static str,
    pub props: &'static [(&'static str, Prop)],
    /// The properties every record has.
    pub required: &'static [&'static str],
    /// What `filter` and `sort` accept.
    pub fields: &'static [Field],
    /// The learnergraph scope reading these records needs.
    pub scope: crate::auth::Scope,
    /// Whether the records are students' (users, enrollments, demographics, results): a
    /// filtered read of them is audited even when its page shows none.
    pub students: bool,
}

impl Schema {
    /// The names `fields` may select.
    pub fn selectable(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.props.iter().map(|p| p.0)
    }
}

/// An operation's HTTP method.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Get,
    /// Creates or replaces the record named in the path with the body's.
    Put,
    Delete,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "get",
            Method::Put => "put",
            Method::Delete => "delete",
        }
    }
}

/// One operation of a service.
pub struct Operation {
    pub method: Method,
    /// As mounted under the service's base (`/schools/{id}/classes`).
    pub path: &'static str,
    /// The binding's operation name (`getClassesForSchool`).
    pub id: &'static str,
    pub summary: &'static str,
    /// Whether it answers a collection (paged, filtered) or one record.
    pub many: bool,
    pub schema: &'static Schema,
    /// Any one of these scopes grants it.
    pub scopes: &'static [&'static str],
}

/// A service: where it is mounted, and its operations.
pub struct Service {
    pub title: &'static str,
    pub base: &'static str,
    pub operations: Vec<Operation>,
}

fn prop_schema(p: Prop) -> Value {
    match p {
        Prop::Str => json!({"type": "string"}),
        Prop::Enum(values) => json!({"type": "string", "enum": values}),
        Prop::Date => json!({"type": "string", "format": "date"}),
        Prop::DateTime => json!({"type": "string", "format": "date-time"}),
        Prop::TrueFalse => json!({"type": "string", "enum": ["true", "false"]}),
        Prop::StrList => json!({"type": "array", "items": {"type": "string"}}),
        Prop::Ref => json!({"$ref": "#/components/schemas/GUIDRef"}),
        Prop::RefList => json!({"type": "array", "items": {"$ref": "#/components/schemas/GUIDRef"}}),
        Prop::UserIds => json!({"type": "array", "items": {
            "type": "object",
            "required": ["type", "identifier"],
            "properties": {"type": {"type": "string"}, "identifier": {"type": "string"}},
        }}),
        Prop::Number => json!({"type": "number"}),
        Prop::Objectives => json!({"type": "array", "items": {
            "type": "object",
            "required": ["source", "learningObjectiveIds"],
            "properties": {"source": {"type": "string"}, "learningObjectiveIds": {"type": "array", "items": {"type": "string"}}},
        }}),
        Prop::ScaleValues => json!({"type": "array", "items": {
            "type": "object",
            "required": ["itemValueLHS", "itemValueRHS"],
            "properties": {"itemValueLHS": {"type": "string"}, "itemValueRHS": {"type": "string"}},
        }}),
        Prop::Roles => json!({"type": "array", "items": {
            "type": "object",
            "required": ["roleType", "role", "org"],
            "properties": {
                "roleType": {"type": "string", "enum": ["primary", "secondary"]},
                "role": {"type": "string"},
                "org": {"$ref": "#/components/schemas/GUIDRef"},
                "beginDate": {"type": "string", "format": "date"},
                "endDate": {"type": "string", "format": "date"},
            },
        }}),
    }
}

fn record_schema(s: &Schema) -> Value {
    let props: Map<String, Value> = s.props.iter().map(|(k, p)| ((*k).to_owned(), prop_schema(*p))).collect();
    json!({"type": "object", "required": s.required, "properties": props})
}

/// A record as a PUT sends it: the path names it and the service dates it, so `sourcedId`,
/// `status` and `dateLastModified` may be left out, and a reference needs only its sourcedId.
fn input_schema(s: &Schema) -> Value {
    let input = |p: Prop| match p {
        Prop::Ref => json!({"$ref": "#/components/schemas/GUIDRefInput"}),
        Prop::RefList => json!({"type": "array", "items": {"$ref": "#/components/schemas/GUIDRefInput"}}),
        other => prop_schema(other),
    };
    let props: Map<String, Value> = s.props.iter().map(|(k, p)| ((*k).to_owned(), input(*p))).collect();
    let required: Vec<&str> =
        s.required.iter().copied().filter(|r| !matches!(*r, "sourcedId" | "status" | "dateLastModified")).collect();
    json!({"type": "object", "required": required, "properties": props})
}

fn errors(method: Method) -> Map<String, Value> {
    let mut m = Map::new();
    let conflict = ("409", "The sourcedId is another's, outside the caller's orgs (`invaliddata`)");
    let unavailable = ("503", "The change was made but its audit record could not be stored: retry (`server_busy`)");
    let writes: &[(&str, &str)] = match method {
        Method::Get => &[],
        Method::Put => &[conflict, unavailable],
        Method::Delete => &[unavailable],
    };
    for (code, why) in writes.iter().copied().chain([
        (
            "400",
            "A bad parameter: `invalid_filter_field`, `invalid_selection_field`, `invalid_sort_field` or `invaliddata`",
        ),
        ("401", "No token, or one that does not hold (`unauthorisedrequest`)"),
        ("403", "The token lacks the scope, or the caller may not do this (`forbidden`)"),
        ("404", "No record with this sourcedId that the caller may see (`unknownobject`)"),
        ("429", "Too many requests (`server_busy`); see `Retry-After`"),
        ("500", "An internal error (`internal_server_error`)"),
    ]) {
        m.insert(
            code.to_owned(),
            json!({"description": why, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/imsx_StatusInfo"}}}}),
        );
    }
    m
}

fn query_parameters(schema: &Schema) -> Vec<Value> {
    let fields: Vec<&str> = schema.fields.iter().map(|f| f.name).collect();
    let selectable: Vec<&str> = schema.selectable().collect();
    vec![
        json!({"name": "limit", "in": "query", "description": format!("Records per page (default 100, at most {MAX_LIMIT})"),
               "schema": {"type": "integer", "minimum": 1, "default": 100}}),
        json!({"name": "offset", "in": "query", "description": "Records to skip", "schema": {"type": "integer", "minimum": 0, "default": 0}}),
        json!({"name": "sort", "in": "query", "description": "The field to sort by", "schema": {"type": "string", "enum": fields}}),
        json!({"name": "orderBy", "in": "query", "schema": {"type": "string", "enum": ["asc", "desc"]}}),
        json!({"name": "filter", "in": "query",
               "description": format!("Predicates `field op 'value'` (op one of = != > >= < <= ~) joined by AND / OR, on: {}", fields.join(", ")),
               "schema": {"type": "string"}}),
        json!({"name": "fields", "in": "query", "description": format!("Comma-separated fields to return, of: {}", selectable.join(", ")),
               "schema": {"type": "string"}}),
    ]
}

/// The document for these services.
pub fn document(services: &[Service]) -> Value {
    let mut paths = Map::new();
    let mut schemas = Map::new();
    let mut scopes = Map::new();
    schemas.insert(
        "GUIDRef".into(),
        json!({"type": "object", "required": ["href", "sourcedId", "type"], "properties": {
            "href": {"type": "string", "format": "uri-reference"}, "sourcedId": {"type": "string"}, "type": {"type": "string"},
        }}),
    );
    schemas.insert(
        "GUIDRefInput".into(),
        json!({"type": "object", "required": ["sourcedId"], "properties": {
            "href": {"type": "string", "format": "uri-reference"}, "sourcedId": {"type": "string"}, "type": {"type": "string"},
        }}),
    );
    schemas.insert(
        "imsx_StatusInfo".into(),
        json!({"type": "object", "required": ["imsx_codeMajor", "imsx_severity"], "properties": {
            "imsx_codeMajor": {"type": "string", "enum": ["success", "processing", "failure", "unsupported"]},
            "imsx_severity": {"type": "string", "enum": ["status", "warning", "error"]},
            "imsx_description": {"type": "string"},
            "imsx_CodeMinor": {"type": "object", "required": ["imsx_codeMinorField"], "properties": {
                "imsx_codeMinorField": {"type": "array", "items": {"type": "object",
                    "required": ["imsx_codeMinorFieldName", "imsx_codeMinorFieldValue"],
                    "properties": {"imsx_codeMinorFieldName": {"type": "string"}, "imsx_codeMinorFieldValue": {"type": "string"}}}},
            }},
        }}),
    );
    for service in services {
        for op in &service.operations {
            let s = op.schema;
            schemas.entry(s.name.to_owned()).or_insert_with(|| record_schema(s));
            for scope in op.scopes {
                scopes.insert((*scope).to_owned(), Value::from(format!("OneRoster scope {scope}")));
            }
            let key = if op.many { s.many } else { s.one };
            let item = json!({"$ref": format!("#/components/schemas/{}", s.name)});
            let body = if op.many { json!({"type": "array", "items": item}) } else { item };
            let security: Vec<Value> = op.scopes.iter().map(|s| json!({"OAuth2": [s]})).collect();
            let id_parameter = json!({"name": "id", "in": "path", "required": true, "schema": {"type": "string"}});
            let envelope = json!({"type": "object", "required": [key], "properties": {key: body}});
            let path = paths.entry(format!("{}{}", service.base, op.path)).or_insert_with(|| json!({}));
            match op.method {
                Method::Get => {}
                Method::Put => {
                    let input_name = format!("{}Input", s.name);
                    schemas.entry(input_name.clone()).or_insert_with(|| input_schema(s));
                    let sent = json!({"type": "object", "required": [key], "properties": {
                        key: {"$ref": format!("#/components/schemas/{input_name}")},
                    }});
                    let mut responses = errors(op.method);
                    responses.insert("200".into(), json!({"description": "The record as stored: replaced, already so, or newer than the one sent (which was ignored)", "content": {"application/json": {"schema": envelope}}}));
                    responses.insert("201".into(), json!({"description": "The record, created", "content": {"application/json": {"schema": envelope}}}));
                    path[op.method.as_str()] = json!({
                        "operationId": op.id,
                        "summary": op.summary,
                        "tags": [service.title],
                        "parameters": [id_parameter],
                        "requestBody": {"required": true, "content": {"application/json": {"schema": sent}}},
                        "responses": responses,
                        "security": security,
                    });
                    continue;
                }
                Method::Delete => {
                    let mut responses = errors(op.method);
                    responses
                        .insert("204".into(), json!({"description": "Deleted (kept as a `tobedeleted` tombstone)"}));
                    path[op.method.as_str()] = json!({
                        "operationId": op.id,
                        "summary": op.summary,
                        "tags": [service.title],
                        "parameters": [id_parameter],
                        "responses": responses,
                        "security": security,
                    });
                    continue;
                }
            }
            let mut parameters: Vec<Value> = op
                .path
                .split('/')
                .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
                .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
                .collect();
            if op.many {
                parameters.extend(query_parameters(s));
            } else {
                parameters.push(json!({"name": "fields", "in": "query", "schema": {"type": "string"}}));
            }
            let mut ok = json!({
                "description": if op.many { "A page of records" } else { "The record" },
                "content": {"application/json": {"schema": {"type": "object", "required": [key], "properties": {key: body}}}},
            });
            if op.many {
                ok["headers"] = json!({
                    "X-Total-Count": {"description": "Records matching the request, over every page", "schema": {"type": "integer"}},
                    "Link": {"description": "RFC 8288 links to the first, prev, next and last pages", "schema": {"type": "string"}},
                });
            }
            let mut responses = errors(op.method);
            responses.insert("200".into(), ok);
            path["get"] = json!({
                "operationId": op.id,
                "summary": op.summary,
                "tags": [service.title],
                "parameters": parameters,
                "responses": responses,
                "security": security,
            });
        }
    }
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "learnergraph OneRoster 1.2",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "The OneRoster 1.2 REST binding as learnergraph serves it. Tokens come from `/oauth/token` (client credentials) with the OneRoster scope URIs.",
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"OAuth2": {"type": "oauth2", "flows": {"clientCredentials": {"tokenUrl": "/oauth/token", "scopes": scopes}}}},
        },
    })
}
