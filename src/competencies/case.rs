//! Reading a CASE 1.0 package (IMS Competencies and Academic Standards Exchange): its
//! CFDocument, its CFItems and the `isChildOf` CFAssociations that make the hierarchy. Other
//! association types are not part of the hierarchy and are ignored.

use crate::validate::Text;
use std::collections::{HashMap, HashSet};

use serde::Deserialize;

use crate::error::{AppError, AppResult};

/// Most items one package may hold.
pub const MAX_ITEMS: usize = 20_000;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawPackage {
    #[serde(rename = "CFDocument")]
    document: RawDocument,
    #[serde(rename = "CFItems", default)]
    items: Vec<RawItem>,
    #[serde(rename = "CFAssociations", default)]
    associations: Vec<RawAssociation>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawDocument {
    identifier: String,
    uri: Option<String>,
    title: String,
    creator: Option<String>,
    publisher: Option<String>,
    version: Option<String>,
    #[serde(default)]
    subject: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawItem {
    identifier: String,
    full_statement: String,
    human_coding_scheme: Option<String>,
    #[serde(rename = "CFItemType")]
    item_type: Option<String>,
    #[serde(default)]
    education_level: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawAssociation {
    association_type: String,
    #[serde(rename = "originNodeURI")]
    origin: RawNodeRef,
    #[serde(rename = "destinationNodeURI")]
    destination: RawNodeRef,
    sequence_number: Option<i64>,
}

#[derive(Deserialize)]
struct RawNodeRef {
    identifier: String,
}

/// A framework as a package describes it.
#[derive(Clone, Debug, PartialEq)]
pub struct Framework {
    pub identifier: String,
    pub uri: Option<String>,
    pub title: String,
    pub subject: Option<String>,
    pub grade_band: Option<String>,
    pub publisher: Option<String>,
    pub version: Option<String>,
}

/// An item, with its parent item (none for a top-level item) and its place among siblings.
#[derive(Clone, Debug, PartialEq)]
pub struct Item {
    pub identifier: String,
    pub code: Option<String>,
    pub statement: String,
    pub item_type: Option<String>,
    pub parent: Option<String>,
    pub position: i32,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Package {
    pub framework: Framework,
    /// Parents before their children.
    pub items: Vec<Item>,
}

/// The grade band the items cover, from their education levels ("06", "KG", ...): "06-08".
fn grade_band(items: &[RawItem]) -> Option<String> {
    let order = |g: &str| match g {
        "IT" | "PR" | "PK" | "TK" => Some(-1),
        "KG" => Some(0),
        other => other.parse::<i32>().ok().filter(|n| (1..=13).contains(n)),
    };
    let mut levels: Vec<(i32, &str)> =
        items.iter().flat_map(|i| i.education_level.iter()).filter_map(|g| order(g).map(|o| (o, g.as_str()))).collect();
    levels.sort();
    match (levels.first(), levels.last()) {
        (Some(lo), Some(hi)) if lo.0 == hi.0 => Some(lo.1.to_owned()),
        (Some(lo), Some(hi)) => Some(format!("{}-{}", lo.1, hi.1)),
        _ => None,
    }
}

/// Parses and checks a package: identifiers unique, every `isChildOf` between known nodes,
/// one parent per item, no cycles.
pub fn parse(json: &str) -> AppResult<Package> {
    let raw: RawPackage = serde_json::from_str(json)
        .map_err(|e| AppError::validation("package", format!("not a CASE 1.0 package: {e}")))?;
    if raw.items.len() > MAX_ITEMS {
        return Err(AppError::validation("package", format!("at most {MAX_ITEMS} CFItems per package")));
    }
    let doc = &raw.document;
    let framework = Framework {
        identifier: Text::parse("package.CFDocument.identifier", &doc.identifier, 255)?.into_string(),
        uri: Text::optional("package.CFDocument.uri", doc.uri.as_deref(), 1000)?.map(Text::into_string),
        title: Text::parse("package.CFDocument.title", &doc.title, 500)?.into_string(),
        subject: Text::optional(
            "package.CFDocument.subject",
            (!doc.subject.is_empty()).then(|| doc.subject.join(", ")).as_deref(),
            200,
        )?
        .map(Text::into_string),
        grade_band: grade_band(&raw.items),
        publisher: Text::optional(
            "package.CFDocument.publisher",
            doc.publisher.clone().or_else(|| doc.creator.clone()).as_deref(),
            300,
        )?
        .map(Text::into_string),
        version: Text::optional("package.CFDocument.version", doc.version.as_deref(), 100)?.map(Text::into_string),
    };
    let mut ids = HashSet::new();
    for (i, item) in raw.items.iter().enumerate() {
        let id = Text::parse(&format!("package.CFItems.{i}.identifier"), &item.identifier, 255)?.into_string();
        if !ids.insert(id) {
            return Err(AppError::validation(
                format!("package.CFItems.{i}.identifier"),
                format!("`{}` appears twice", item.identifier),
            ));
        }
    }
    let mut parent: HashMap<String, (Option<String>, i64)> = HashMap::new();
    for (i, a) in raw.associations.iter().enumerate().filter(|(_, a)| a.association_type == "isChildOf") {
        let field = format!("package.CFAssociations.{i}");
        let child = a.origin.identifier.trim();
        let dest = a.destination.identifier.trim();
        if !ids.contains(child) {
            return Err(AppError::validation(field, format!("origin `{child}` is not a CFItem of this package")));
        }
        let up = if dest == framework.identifier {
            None
        } else if ids.contains(dest) {
            Some(dest.to_owned())
        } else {
            return Err(AppError::validation(field, format!("destination `{dest}` is not in this package")));
        };
        let seq = a.sequence_number.unwrap_or(i64::MAX);
        if let Some((existing, _)) = parent.get(child)
            && *existing != up
        {
            return Err(AppError::validation(field, format!("`{child}` is a child of two different nodes")));
        }
        parent.insert(child.to_owned(), (up, seq));
    }
    // Order parents before children, and refuse cycles. Depths are memoised, so each item is
    // walked once: a chain of n items costs O(n), not the O(n³) of walking every item to its
    // root (a 5,000-item chain fits in one request body).
    let mut depth: HashMap<&str, usize> = HashMap::new();
    for item in &raw.items {
        let mut path: Vec<&str> = Vec::new();
        let mut on_path: HashSet<&str> = HashSet::new();
        let mut cur = item.identifier.trim();
        let base = loop {
            if let Some(d) = depth.get(cur) {
                break *d;
            }
            if !on_path.insert(cur) {
                return Err(AppError::validation("package.CFAssociations", format!("`{cur}` is its own ancestor")));
            }
            path.push(cur);
            match parent.get(cur) {
                Some((Some(up), _)) => cur = up,
                _ => break 0,
            }
        };
        for (k, id) in path.iter().rev().enumerate() {
            depth.insert(id, base + k + 1);
        }
    }
    let mut items = raw
        .items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let id = item.identifier.trim();
            let (up, seq) = parent.get(id).cloned().unwrap_or((None, i64::MAX));
            Ok((
                depth.get(id).copied().unwrap_or(1),
                seq,
                i,
                Item {
                    identifier: id.to_owned(),
                    code: Text::optional(
                        &format!("package.CFItems.{i}.humanCodingScheme"),
                        item.human_coding_scheme.as_deref(),
                        100,
                    )?
                    .map(Text::into_string),
                    statement: Text::parse(
                        &format!("package.CFItems.{i}.fullStatement"),
                        &item.full_statement,
                        10_000,
                    )?
                    .into_string(),
                    item_type: Text::optional(
                        &format!("package.CFItems.{i}.CFItemType"),
                        item.item_type.as_deref(),
                        100,
                    )?
                    .map(Text::into_string),
                    parent: up,
                    position: 0,
                },
            ))
        })
        .collect::<AppResult<Vec<_>>>()?;
    items.sort_by_key(|(depth, seq, i, _)| (*depth, *seq, *i));
    let mut positions: HashMap<Option<String>, i32> = HashMap::new();
    let items = items
        .into_iter()
        .map(|(_, _, _, mut item)| {
            let n = positions.entry(item.parent.clone()).or_default();
            *n += 1;
            item.position = *n;
            item
        })
        .collect();
    Ok(Package { framework, items })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn package(assocs: &str) -> String {
        format!(
            r#"{{"CFDocument": {{"identifier": "doc", "title": "Math", "subject": ["Mathematics"]}},
                "CFItems": [
                  {{"identifier": "a", "fullStatement": "A", "humanCodingScheme": "M.6", "educationLevel": ["06"]}},
                  {{"identifier": "b", "fullStatement": "B", "educationLevel": ["08"]}},
                  {{"identifier": "c", "fullStatement": "C"}}
                ],
                "CFAssociations": [{assocs}]}}"#
        )
    }

    fn assoc(child: &str, parent: &str, seq: i64) -> String {
        format!(
            r#"{{"associationType": "isChildOf", "originNodeURI": {{"identifier": "{child}"}},
                 "destinationNodeURI": {{"identifier": "{parent}"}}, "sequenceNumber": {seq}}}"#
        )
    }

    #[test]
    fn parents_come_before_children_in_sequence_order() {
        let assocs = [assoc("c", "a", 2), assoc("b", "a", 1), assoc("a", "doc", 1)].join(",");
        let p = parse(&package(&assocs)).unwrap_or_else(|e| panic!("{e}"));
        let order: Vec<_> = p.items.iter().map(|i| (i.identifier.as_str(), i.parent.as_deref(), i.position)).collect();
        assert_eq!(order, [("a", None, 1), ("b", Some("a"), 1), ("c", Some("a"), 2)]);
        assert_eq!(p.framework.grade_band.as_deref(), Some("06-08"));
        assert_eq!(p.framework.subject.as_deref(), Some("Mathematics"));
    }

    #[test]
    fn cycles_and_unknown_nodes_are_refused() {
        let cycle = [assoc("a", "b", 1), assoc("b", "a", 1)].join(",");
        assert!(parse(&package(&cycle)).is_err());
        assert!(parse(&package(&assoc("a", "nowhere", 1))).is_err());
        let two_parents = [assoc("c", "a", 1), assoc("c", "b", 1)].join(",");
        assert!(parse(&package(&two_parents)).is_err());
        assert!(parse("{}").is_err());
        let self_parent = assoc("a", "a", 1);
        assert!(parse(&package(&self_parent)).is_err());
    }

    #[test]
    fn a_chain_as_long_as_a_package_allows_parses_in_order() {
        let items: Vec<String> =
            (0..MAX_ITEMS).map(|i| format!(r#"{{"identifier": "i{i}", "fullStatement": "S{i}"}}"#)).collect();
        // Listed children first, each the child of the next: the worst order to walk.
        let assocs: Vec<String> = (0..MAX_ITEMS)
            .map(|i| {
                let parent = if i + 1 == MAX_ITEMS { "doc".to_owned() } else { format!("i{}", i + 1) };
                assoc(&format!("i{i}"), &parent, 1)
            })
            .collect();
        let json = format!(
            r#"{{"CFDocument": {{"identifier": "doc", "title": "Chain"}}, "CFItems": [{}], "CFAssociations": [{}]}}"#,
            items.join(","),
            assocs.join(",")
        );
        let p = parse(&json).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.items.len(), MAX_ITEMS);
        assert_eq!(p.items[0].identifier, format!("i{}", MAX_ITEMS - 1));
        assert_eq!(p.items[MAX_ITEMS - 1].identifier, "i0");
    }
}
