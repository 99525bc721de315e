//! The one table that maps OSM tags to facility categories.

use crate::error::{Error, Result};

/// Preset categories: name, then the `key=value` pairs any one of which makes a facility.
pub const PRESETS: &[(&str, &[(&str, &str)])] = &[
    (
        "childcare",
        &[("amenity", "childcare"), ("amenity", "kindergarten")],
    ),
    ("school", &[("amenity", "school")]),
    (
        "healthcare",
        &[
            ("amenity", "clinic"),
            ("amenity", "doctors"),
            ("amenity", "hospital"),
        ],
    ),
    ("pharmacy", &[("amenity", "pharmacy")]),
    (
        "grocery",
        &[
            ("shop", "supermarket"),
            ("shop", "convenience"),
            ("shop", "greengrocer"),
        ],
    ),
    ("park", &[("leisure", "park"), ("leisure", "playground")]),
];

/// A facility category: a name and the tags that make an OSM element one of it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Category {
    /// Name used in output field names (`childcare_minutes`).
    pub name: String,
    /// `(key, value)` pairs; an element matches when it carries any of them.
    pub tags: Vec<(String, String)>,
}

impl Category {
    /// The preset called `name`, or a usage error listing the presets.
    pub fn preset(name: &str) -> Result<Self> {
        let (name, pairs) = PRESETS.iter().find(|(n, _)| *n == name).ok_or_else(|| {
            let known: Vec<&str> = PRESETS.iter().map(|(n, _)| *n).collect();
            Error::Usage(format!(
                "unknown category {name:?}; presets are {}",
                known.join(", ")
            ))
        })?;
        Ok(Category {
            name: name.to_string(),
            tags: crate::osm::tags_from(pairs),
        })
    }

    /// A custom category from `k=v,k=v` (as given to `--facility-tags`).
    pub fn custom(name: &str, spec: &str) -> Result<Self> {
        let tags = spec
            .split(',')
            .map(|pair| match pair.trim().split_once('=') {
                Some((k, v)) if !k.trim().is_empty() && !v.trim().is_empty() => {
                    Ok((k.trim().to_string(), v.trim().to_string()))
                }
                _ => Err(Error::Usage(format!(
                    "--facility-tags: {pair:?} is not key=value (expected e.g. 'amenity=library,amenity=community_centre')"
                ))),
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Category {
            name: name.to_string(),
            tags,
        })
    }

    /// Whether an element with these tags is a facility of this category.
    pub fn matches(&self, tags: &[(String, String)]) -> bool {
        crate::osm::carries_any(tags, &self.tags)
    }
}

/// Every tag of `categories`, in order: what [`crate::osm::read::read_extract`] keeps
/// elements by, since an element belongs to one of them exactly when it carries one of these.
pub fn tags_of(categories: &[Category]) -> Vec<(String, String)> {
    categories.iter().flat_map(|c| c.tags.clone()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::osm::tags_from as tags;

    #[test]
    fn preset_table() {
        type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], bool);
        let cases: &[Case] = &[
            ("childcare", &[("amenity", "kindergarten")], true),
            ("childcare", &[("amenity", "childcare")], true),
            ("childcare", &[("amenity", "school")], false),
            ("school", &[("amenity", "school")], true),
            ("healthcare", &[("amenity", "doctors")], true),
            ("healthcare", &[("amenity", "pharmacy")], false),
            ("pharmacy", &[("amenity", "pharmacy")], true),
            ("grocery", &[("shop", "convenience")], true),
            ("grocery", &[("shop", "bakery")], false),
            ("park", &[("leisure", "playground")], true),
        ];
        for (name, t, want) in cases {
            let c = Category::preset(name).unwrap();
            assert_eq!(c.matches(&tags(t)), *want, "{name} {t:?}");
        }
    }

    /// The reader keeps an element by `tags_of` exactly when some category matches it.
    #[test]
    fn tags_of_keeps_what_some_category_matches() {
        let categories = [
            Category::preset("childcare").unwrap(),
            Category::custom("custom", "amenity=library,shop=bakery").unwrap(),
        ];
        let wanted = tags_of(&categories);
        let elements: &[&[(&str, &str)]] = &[
            &[("amenity", "kindergarten")],
            &[("name", "x"), ("shop", "bakery")],
            &[("amenity", "school")],
            &[("shop", "childcare")],
            &[],
        ];
        for t in elements {
            let t = tags(t);
            let by_category = categories.iter().any(|c| c.matches(&t));
            assert_eq!(crate::osm::carries_any(&t, &wanted), by_category, "{t:?}");
        }
        assert!(tags_of(&[]).is_empty());
    }

    #[test]
    fn unknown_preset_names_the_presets() {
        let e = Category::preset("zoo").unwrap_err().to_string();
        assert!(e.contains("zoo") && e.contains("childcare"), "{e}");
    }

    #[test]
    fn custom_spec() {
        let c = Category::custom("custom", "amenity=library, leisure=park").unwrap();
        assert!(c.matches(&tags(&[("leisure", "park")])));
        assert!(!c.matches(&tags(&[("amenity", "park")])));
        assert!(Category::custom("custom", "amenity").is_err());
        assert!(Category::custom("custom", "amenity=").is_err());
    }
}
