//! The raw options `site` adds to `coverage`'s: where candidates come from, when to stop,
//! and the capacity model. Filled by clap from flags or by serde from a manifest, like
//! [`crate::config::options::CoverageOptions`], and resolved into a [`SiteConfig`] here.

use std::path::Path;

use clap::Args;
use serde::{Deserialize, Serialize};

use crate::config::options::{CoverageOptions, check_unique, clap_defaults, positive};
use crate::error::{Error, Result};
use crate::facilities::categories::Category;
use crate::siting::candidates::{CandidateSource, DEFAULT_SPACING_M};
use crate::siting::{CapacityModel, Demand, SiteConfig};

/// Where `site` looks for new sites and when it stops (its options beyond `coverage`'s).
#[derive(Debug, Clone, PartialEq, Args, Serialize, Deserialize)]
#[serde(default)]
pub struct SiteOptions {
    /// Candidate sites: `grid` (network points on a --spacing-m lattice over where people
    /// live), `public-buildings` (the preset in docs/siting.md), or a CSV/GeoJSON file of points;
    /// repeatable. Default: grid (unless --candidate-tags is given).
    #[arg(long = "candidates", value_name = "grid|public-buildings|FILE")]
    #[serde(deserialize_with = "crate::config::options::one_or_many")]
    pub candidates: Vec<String>,
    /// Candidate OSM elements (nodes, buildings, other areas) by tags, 'key=value,key=value'
    /// (any one matches).
    #[arg(long, value_name = "k=v,...")]
    pub candidate_tags: Option<String>,
    /// Lattice spacing of grid candidates, metres.
    #[arg(long, default_value_t = DEFAULT_SPACING_M)]
    pub spacing_m: f64,
    /// Add this many sites (fewer when no candidate adds anyone).
    #[arg(long, value_name = "K")]
    pub add: Option<usize>,
    /// Stop once this share of residents (capacity-aware: of demand) is within the
    /// threshold, 0..=1.
    #[arg(long, value_name = "SHARE")]
    pub target_share: Option<f64>,
    /// Capacity-aware siting: places of each new site; a site then counts only the demand
    /// it can serve.
    #[arg(long, value_name = "PLACES")]
    pub site_capacity: Option<u32>,
    /// Capacity-aware: places demanded per 1,000 residents, instead of one place per child
    /// under 3 (the children the population sources give).
    #[arg(long, requires = "site_capacity")]
    pub demand_per_1000: Option<f64>,
    /// Also find the exact optimum for each number of sites (at most 30 candidates).
    #[arg(long)]
    pub exact: bool,
}

impl Default for SiteOptions {
    /// The documented defaults: what `fifteen site` without these flags would use.
    fn default() -> Self {
        clap_defaults()
    }
}

/// The candidate keywords of `--candidates`; anything else names a file.
const CANDIDATE_KEYWORDS: [&str; 2] = ["grid", "public-buildings"];

impl SiteOptions {
    /// Checks the options and resolves them, with `coverage`'s, into the configuration of a
    /// `site` run reading `input` and writing `out_dir`.
    ///
    /// # Errors
    /// [`Error::Usage`] as [`CoverageOptions::resolve`], and for no stopping rule, a share
    /// out of range, a candidate source that is neither a keyword nor a file, a source named
    /// twice, or capacity options without `--site-capacity`.
    pub fn resolve(
        &self,
        coverage: &CoverageOptions,
        input: &Path,
        out_dir: &Path,
    ) -> Result<SiteConfig> {
        let coverage = coverage.resolve(input, out_dir)?;
        if self.add.is_none() && self.target_share.is_none() {
            return Err(Error::Usage(
                "say when to stop: --add N sites and/or --target-share S (e.g. 0.95)".into(),
            ));
        }
        if let Some(t) = self.target_share
            && !(0.0..=1.0).contains(&t)
        {
            return Err(Error::Usage(format!(
                "--target-share is a share in 0..=1, not {t}"
            )));
        }
        Ok(SiteConfig {
            coverage,
            candidates: self.candidate_sources()?,
            spacing_m: positive("spacing-m", self.spacing_m)?,
            add: self.add,
            target_share: self.target_share,
            capacity: self.capacity_model()?,
            exact: self.exact,
        })
    }

    /// The candidate sources in the order given; the grid when none is.
    fn candidate_sources(&self) -> Result<Vec<CandidateSource>> {
        let mut sources = Vec::new();
        for value in &self.candidates {
            sources.push(match value.as_str() {
                "grid" => CandidateSource::Grid,
                "public-buildings" => CandidateSource::public_buildings(),
                path if Path::new(path).is_file() => CandidateSource::File(path.into()),
                _ => {
                    return Err(Error::Usage(format!(
                        "--candidates {value:?} is neither grid, public-buildings nor a file"
                    )));
                }
            });
        }
        if let Some(spec) = &self.candidate_tags {
            let tags = Category::custom("candidate-tags", spec)
                .map_err(|e| {
                    Error::Usage(e.to_string().replace("--facility-tags", "--candidate-tags"))
                })?
                .tags;
            sources.push(CandidateSource::Tags {
                name: "tags".into(),
                tags,
            });
        }
        if sources.is_empty() {
            sources.push(CandidateSource::Grid);
        }
        check_unique(&sources, |c| format!("--candidates {}", c.label()))?;
        Ok(sources)
    }

    /// The capacity model, when `--site-capacity` is given.
    fn capacity_model(&self) -> Result<Option<CapacityModel>> {
        let Some(places) = self.site_capacity else {
            // clap checks this for flags; a manifest's keys are checked here
            if self.demand_per_1000.is_some() {
                return Err(Error::Usage(
                    "--demand-per-1000 needs --site-capacity".into(),
                ));
            }
            return Ok(None);
        };
        if places == 0 {
            return Err(Error::Usage("--site-capacity must be at least 1".into()));
        }
        Ok(Some(CapacityModel {
            site_places: places,
            demand: match self.demand_per_1000 {
                Some(d) => Demand::PerResident(positive("demand-per-1000", d)? / 1000.0),
                None => Demand::Children,
            },
        }))
    }

    /// The options with every candidate file taken from `base` (a manifest's folder).
    pub fn rebased(mut self, base: &Path) -> Self {
        for value in &mut self.candidates {
            if !CANDIDATE_KEYWORDS.contains(&value.as_str()) {
                *value = base.join(&*value).to_string_lossy().into_owned();
            }
        }
        self
    }
}
