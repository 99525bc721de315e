//! Life-circle presets: named tiers of categories, each with a walking time and a walking
//! distance, read from TOML. A preset says *which* categories a home must all reach and
//! within how long; [`completeness`](super::completeness) judges homes against any list of
//! tiers.
//!
//! One preset is built in, [`GB50180`]: the tiers of GB 50180-2018 (城市居住区规划设计标准),
//! 5, 10 and 15 minutes or 300, 500 and 1000 m, embedded from
//! `assets/life-circle/gb50180.toml`. A city copies that file, edits it and passes its path;
//! [`LifeCircle::resolve`] takes either. `docs/life-circle.md` cites every number.
//!
//! A category sits in one tier only: the standard places each facility at one level
//! (各层级配套设施非包含关系), and a home's figure for a category is then one threshold,
//! not two that could disagree. Each tier carries both thresholds so that one file serves
//! runs by time and runs by distance; [`LifeCircleTier::threshold`] picks one.

use std::collections::HashMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::bands::BandUnit;
use crate::error::{Error, Result};
use crate::text::decode;

/// Name of the built-in GB 50180-2018 preset.
pub const GB50180: &str = "gb50180";

/// The built-in presets: name, then the TOML text.
const BUILTIN: &[(&str, &str)] = &[(
    GB50180,
    include_str!("../../assets/life-circle/gb50180.toml"),
)];

/// A life-circle preset: a name and its tiers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LifeCircle {
    /// Short name (`gb50180`).
    pub name: String,
    /// Title, in English, for people reading the file and `summary.json`.
    pub title: String,
    /// Title in Chinese, likewise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title_zh: Option<String>,
    /// The tiers, in the file's order (`[[tier]]` tables).
    #[serde(rename = "tier", default)]
    pub tiers: Vec<LifeCircleTier>,
}

/// One tier of a life circle: the categories a home must all reach, within a walking time
/// or a walking distance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LifeCircleTier {
    /// ASCII name (`[a-z0-9_]`), used in field names (`complete_5min`).
    pub name: String,
    /// Chinese name (`五分钟生活圈居住区`): the tier's name in a `--lang zh` report and QGIS
    /// project (else the tool's own name for it, else `name`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_zh: Option<String>,
    /// Walking time, minutes: the threshold of a run by time. TOML key `minutes`.
    #[serde(rename = "minutes")]
    pub threshold_min: f64,
    /// Walking distance, metres: the threshold of a run by distance. TOML key `meters`.
    #[serde(rename = "meters")]
    pub threshold_m: f64,
    /// The tool's category names a home must all reach (`childcare`, `park`).
    pub categories: Vec<String>,
    /// Where the numbers come from (clause, table), for the reader of the file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

impl LifeCircleTier {
    /// The tier's threshold in `unit`: minutes of walking time, or metres of distance.
    pub fn threshold(&self, unit: BandUnit) -> f64 {
        match unit {
            BandUnit::Minutes => self.threshold_min,
            BandUnit::Meters => self.threshold_m,
        }
    }
}

impl LifeCircle {
    /// The names of the built-in presets.
    pub fn builtin_names() -> impl Iterator<Item = &'static str> {
        BUILTIN.iter().map(|(name, _)| *name)
    }

    /// A built-in preset by name ([`GB50180`]).
    ///
    /// # Errors
    /// [`Error::Usage`] for a name that is not built in, naming those that are.
    pub fn builtin(name: &str) -> Result<LifeCircle> {
        let Some((_, text)) = BUILTIN.iter().find(|(n, _)| *n == name) else {
            return Err(Error::Usage(format!(
                "unknown life circle {name:?}: built in are {}; else give a path to a .toml file",
                Self::builtin_names().collect::<Vec<_>>().join(", ")
            )));
        };
        let label = format!("assets/life-circle/{name}.toml (built in)");
        LifeCircle::parse(text, Path::new(&label))
    }

    /// A user's preset from the TOML file at `path`.
    ///
    /// # Errors
    /// [`Error::Io`] when it cannot be read; [`Error::Usage`], naming the file, when it is
    /// not a valid preset (see [`LifeCircle::parse`]).
    pub fn load(path: &Path) -> Result<LifeCircle> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        let text = decode(&bytes);
        LifeCircle::parse(&text, path)
    }

    /// A built-in preset when `spec` names one, else the TOML file at path `spec`.
    ///
    /// # Errors
    /// [`Error::Usage`] when `spec` is neither a built-in name nor an existing file; else as
    /// [`LifeCircle::builtin`] and [`LifeCircle::load`].
    pub fn resolve(spec: &str) -> Result<LifeCircle> {
        if Self::builtin_names().any(|n| n == spec) {
            return LifeCircle::builtin(spec);
        }
        let path = Path::new(spec);
        if path.is_file() || spec.ends_with(".toml") {
            return LifeCircle::load(path);
        }
        Err(Error::Usage(format!(
            "unknown life circle {spec:?}: built in are {}; else give a path to a .toml file",
            Self::builtin_names().collect::<Vec<_>>().join(", ")
        )))
    }

    /// Parses preset `text`; `path` names it in errors.
    ///
    /// # Errors
    /// [`Error::Usage`] naming `path` when the text is not TOML, has a key the preset does
    /// not know or lacks one it needs, has no tier, or a tier has no categories, a threshold
    /// that is not a positive finite number, a name that is not `[a-z0-9_]+` or that another
    /// tier has, or a category that another tier (or the same one) already lists.
    pub fn parse(text: &str, path: &Path) -> Result<LifeCircle> {
        let bad = |message: String| Error::Usage(format!("{}: {message}", path.display()));
        let circle: LifeCircle = toml::from_str(text)
            .map_err(|e: toml::de::Error| bad(e.to_string().trim_end().to_string()))?;
        circle.validate().map_err(bad)?;
        Ok(circle)
    }

    /// The first thing wrong with the tiers, in words.
    fn validate(&self) -> std::result::Result<(), String> {
        if self.tiers.is_empty() {
            return Err("no [[tier]] table: a life circle needs at least one tier".into());
        }
        let mut tier_of: HashMap<&str, &str> = HashMap::new();
        for (i, tier) in self.tiers.iter().enumerate() {
            let name = &tier.name;
            let ascii = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_';
            if name.is_empty() || !name.chars().all(ascii) {
                return Err(format!(
                    "tier {} is named {name:?}: a tier name is used in field names, so only \
                     a-z, 0-9 and _ (put the Chinese name in name_zh)",
                    i + 1
                ));
            }
            if self.tiers[..i].iter().any(|t| &t.name == name) {
                return Err(format!("two tiers are named {name:?}"));
            }
            for (key, value) in [
                ("minutes", tier.threshold_min),
                ("meters", tier.threshold_m),
            ] {
                if !(value.is_finite() && value > 0.0) {
                    return Err(format!(
                        "tier {name:?}: {key} = {value} must be a positive number"
                    ));
                }
            }
            if tier.categories.is_empty() {
                return Err(format!(
                    "tier {name:?} has no categories: list the categories a home must reach"
                ));
            }
            for category in &tier.categories {
                if let Some(other) = tier_of.insert(category, name) {
                    return Err(if other == name {
                        format!("tier {name:?} lists category {category:?} twice")
                    } else {
                        format!(
                            "category {category:?} is in tiers {other:?} and {name:?}: a \
                             category belongs to one tier"
                        )
                    });
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<LifeCircle> {
        LifeCircle::parse(text, Path::new("city.toml"))
    }

    fn error(text: &str) -> String {
        let e = parse(text).expect_err("should be rejected");
        assert!(matches!(e, Error::Usage(_)), "{e:?}");
        let message = e.to_string();
        assert!(message.starts_with("city.toml: "), "{message}");
        message
    }

    const ONE_TIER: &str = r#"
        name = "city"
        title = "City"
        [[tier]]
        name = "near"
        minutes = 5
        meters = 300
        categories = ["childcare"]
    "#;

    /// [`ONE_TIER`] and a second tier named `name` listing `categories` (TOML array).
    fn with_tier(name: &str, categories: &str) -> String {
        format!(
            "{ONE_TIER}\n[[tier]]\nname = {name:?}\nminutes = 15\nmeters = 1000\n\
             categories = {categories}\n"
        )
    }

    #[test]
    fn builtin_has_the_cited_numbers() {
        let circle = LifeCircle::builtin(GB50180).unwrap();
        assert_eq!(circle.name, "gb50180");
        let got: Vec<(&str, f64, f64)> = (circle.tiers.iter())
            .map(|t| (t.name.as_str(), t.threshold_min, t.threshold_m))
            .collect();
        assert_eq!(
            got,
            [
                ("5min", 5.0, 300.0),
                ("10min", 10.0, 500.0),
                ("15min", 15.0, 1000.0)
            ]
        );
        let tier = |name: &str| circle.tiers.iter().find(|t| t.name == name).unwrap();
        assert_eq!(tier("5min").categories, ["childcare", "park"]);
        assert_eq!(tier("10min").categories, ["school", "grocery"]);
        assert_eq!(tier("15min").categories, ["healthcare"]);
        assert!(
            circle
                .tiers
                .iter()
                .all(|t| t.source.is_some() && t.name_zh.is_some())
        );
        assert_eq!(tier("15min").threshold(BandUnit::Meters), 1000.0);
        assert_eq!(tier("15min").threshold(BandUnit::Minutes), 15.0);
    }

    #[test]
    fn builtin_categories_are_presets_and_pharmacy_is_left_out() {
        let circle = LifeCircle::builtin(GB50180).unwrap();
        let presets: Vec<&str> = (crate::facilities::categories::PRESETS.iter())
            .map(|(name, _)| *name)
            .collect();
        let listed: Vec<&String> = circle.tiers.iter().flat_map(|t| &t.categories).collect();
        for category in &listed {
            assert!(presets.contains(&category.as_str()), "{category}");
        }
        assert!(!listed.iter().any(|c| *c == "pharmacy"));
        assert_eq!(listed.len(), presets.len() - 1);
    }

    #[test]
    fn unknown_builtin_names_the_builtins() {
        let e = LifeCircle::builtin("gb99999").unwrap_err().to_string();
        assert!(e.contains("gb99999") && e.contains("gb50180"), "{e}");
    }

    #[test]
    fn resolve_takes_a_name_or_a_path() {
        assert_eq!(LifeCircle::resolve("gb50180").unwrap().tiers.len(), 3);
        let dir = std::env::temp_dir().join(format!("fifteen-life-circle-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("city.toml");
        std::fs::write(&path, ONE_TIER).unwrap();
        let circle = LifeCircle::resolve(path.to_str().unwrap()).unwrap();
        assert_eq!(circle.name, "city");
        std::fs::remove_dir_all(&dir).unwrap();

        let e = LifeCircle::resolve("nonesuch").unwrap_err().to_string();
        assert!(e.contains("nonesuch") && e.contains(".toml"), "{e}");
        let missing = LifeCircle::resolve("/nonexistent/city.toml").unwrap_err();
        assert!(matches!(missing, Error::Io { .. }), "{missing:?}");
        assert!(missing.to_string().contains("/nonexistent/city.toml"));
    }

    #[test]
    fn hand_written_toml_round_trips() {
        let text = r#"
            name = "city"
            title = "City life circles"
            title_zh = "本市生活圈"

            [[tier]]
            name = "5min"
            name_zh = "五分钟"
            minutes = 5
            meters = 300
            categories = ["childcare", "park"]
            source = "local guide 3.2"

            [[tier]]
            name = "15min"
            minutes = 15.5
            meters = 800
            categories = ["healthcare", "school"]
        "#;
        let circle = parse(text).unwrap();
        assert_eq!(circle.title_zh.as_deref(), Some("本市生活圈"));
        assert_eq!(circle.tiers[1].threshold_min, 15.5);
        assert_eq!(circle.tiers[1].threshold_m, 800.0);
        assert_eq!(circle.tiers[1].name_zh, None);
        let written = toml::to_string(&circle).unwrap();
        assert!(
            written.contains("minutes = 15.5") && written.contains("[[tier]]"),
            "{written}"
        );
        assert_eq!(parse(&written).unwrap(), circle);
    }

    #[test]
    fn not_toml() {
        let e = error("name = ");
        assert!(e.contains("line 1"), "{e}");
    }

    #[test]
    fn unknown_keys_are_rejected() {
        let e = error(&ONE_TIER.replace("meters = 300", "meters = 300\nradius = 300"));
        assert!(e.contains("radius"), "{e}");
        let e = error(&format!("colour = \"red\"\n{ONE_TIER}"));
        assert!(e.contains("colour"), "{e}");
    }

    #[test]
    fn missing_keys_are_named() {
        let e = error(&ONE_TIER.replace("meters = 300", ""));
        assert!(e.contains("meters"), "{e}");
        let e = error(&ONE_TIER.replace("categories = [\"childcare\"]", ""));
        assert!(e.contains("categories"), "{e}");
    }

    #[test]
    fn no_tier() {
        let e = error("name = \"city\"\ntitle = \"City\"\n");
        assert!(e.contains("no [[tier]]"), "{e}");
    }

    #[test]
    fn tier_without_categories() {
        let e = error(&ONE_TIER.replace("[\"childcare\"]", "[]"));
        assert!(e.contains("\"near\" has no categories"), "{e}");
    }

    #[test]
    fn non_positive_thresholds() {
        for (from, to, key) in [
            ("minutes = 5", "minutes = 0", "minutes = 0"),
            ("minutes = 5", "minutes = -5", "minutes = -5"),
            ("meters = 300", "meters = nan", "meters = NaN"),
            ("meters = 300", "meters = inf", "meters = inf"),
        ] {
            let e = error(&ONE_TIER.replace(from, to));
            assert!(e.contains(key) && e.contains("positive"), "{e}");
        }
    }

    #[test]
    fn duplicate_tier_name() {
        let two = with_tier("near", r#"["school"]"#);
        let e = error(&two);
        assert!(e.contains("two tiers are named \"near\""), "{e}");
    }

    #[test]
    fn tier_names_are_ascii_identifiers() {
        for name in ["五分钟", "5 min", "Near", ""] {
            let e = error(&ONE_TIER.replace("\"near\"", &format!("{name:?}")));
            assert!(e.contains("a-z, 0-9 and _"), "{name}: {e}");
        }
    }

    #[test]
    fn category_in_two_tiers() {
        let two = with_tier("far", r#"["school", "childcare"]"#);
        let e = error(&two);
        assert!(
            e.contains("\"childcare\" is in tiers \"near\" and \"far\""),
            "{e}"
        );
        let e = error(&ONE_TIER.replace("[\"childcare\"]", "[\"park\", \"park\"]"));
        assert!(e.contains("lists category \"park\" twice"), "{e}");
    }
}
