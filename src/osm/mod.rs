//! OpenStreetMap input: one parallel pass over a PBF extract, the tag rules that decide what
//! a person can walk and who lives where, and polygon assembly.

pub mod areas;
pub mod compounds;
pub mod read;
pub mod repair;
pub mod rules;
pub mod write;

use std::fmt;

/// The three kinds of OSM element.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ElementKind {
    /// A node (point).
    Node,
    /// A way (ordered list of nodes).
    Way,
    /// A relation (here: multipolygons and administrative boundaries).
    Relation,
}

/// A typed OSM element id, printed as `node/1`, `way/2` or `relation/3`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ElementId {
    /// Which kind of element.
    pub kind: ElementKind,
    /// The OSM id.
    pub id: i64,
}

impl ElementId {
    /// A way id.
    pub fn way(id: i64) -> Self {
        ElementId {
            kind: ElementKind::Way,
            id,
        }
    }
    /// A node id.
    pub fn node(id: i64) -> Self {
        ElementId {
            kind: ElementKind::Node,
            id,
        }
    }
    /// A relation id.
    pub fn relation(id: i64) -> Self {
        ElementId {
            kind: ElementKind::Relation,
            id,
        }
    }
}

impl fmt::Display for ElementId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            ElementKind::Node => "node",
            ElementKind::Way => "way",
            ElementKind::Relation => "relation",
        };
        write!(f, "{kind}/{}", self.id)
    }
}

/// Tags of one element, in file order.
pub type Tags = Vec<(String, String)>;

/// The value of `key` in `tags`, if present.
pub fn tag<'a>(tags: &'a [(String, String)], key: &str) -> Option<&'a str> {
    tags.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

/// Whether `tags` carry any of the `(key, value)` pairs in `wanted`.
pub fn carries_any(tags: &[(String, String)], wanted: &[(String, String)]) -> bool {
    tags.iter()
        .any(|(k, v)| wanted.iter().any(|(wk, wv)| wk == k && wv == v))
}

/// Owned tags from `(key, value)` string pairs.
pub fn tags_from(pairs: &[(&str, &str)]) -> Tags {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}
