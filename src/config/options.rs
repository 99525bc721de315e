//! The raw options of a `coverage` run, exactly as a person gives them: clap fills them from
//! flags, a batch manifest fills them from TOML, and [`CoverageOptions::resolve`] turns them
//! into a [`CoverageConfig`] — the one place where they are checked and combined.
//!
//! Every default is written once, in the clap attribute of its field (the bands' in
//! [`DEFAULT_MINUTES`], since `--minutes` and `--meters` exclude each other); serde's defaults
//! are clap's ([`CoverageOptions::default`] parses an empty command line), so a manifest key
//! left out means what the flag left out means. Manifest keys are the field names (which
//! clap also uses as argument ids) or the flags' long names with `_` for `-`
//! ([`manifest_keys`]).

use std::path::{Path, PathBuf};

use clap::{Args, FromArgMatches};
use serde::de::{self, IntoDeserializer};
use serde::{Deserialize, Deserializer, Serialize};

use crate::analysis::life_circle::LifeCircle;
use crate::analysis::population::{
    CensusSource, DEFAULT_RASTER_SEARCH_M, DEFAULT_UNDER3_SHARE, LayerSource, PopulationSources,
};
use crate::analysis::residents::DEFAULT_GRID_BLOCK_M;
use crate::analysis::service_area::{DEFAULT_AREA_BUFFER_M, DEFAULT_AREA_CELL_M};
use crate::analysis::units::{
    DEFAULT_DISTRICT_LEVEL, DEFAULT_SUBDISTRICT_LEVEL, UnitLevel, UnitsSource,
};
use crate::config::{
    BandUnit, Bands, CoverageConfig, DEFAULT_MAX_SNAP_M, DEFAULT_MINUTES, DEFAULT_SEARCH_MINUTES,
    DEFAULT_TARGET_AFFORDABLE_SHARE, DEFAULT_TARGET_COVERED_SHARE, DEFAULT_TARGET_PLACES_PER_1000,
    DEFAULT_TARGET_SUBDISTRICT_SHARE, DEFAULT_TARGET_TODDLER_CLASS_SHARE, FacilityInput, Targets,
};
use crate::error::{Error, Result};
use crate::facilities::categories::Category;
use crate::facilities::crs::FacilityCrs;
use crate::graph::{Profile, WalkProfile};
use crate::output::lang::Lang;
use crate::output::planner::LayerFormat;

/// What a `coverage` run computes and how, as given on the command line or in a manifest
/// (everything but the input, the output folder, threads and log level).
#[derive(Debug, Clone, PartialEq, Args, Serialize, Deserialize)]
#[serde(default)]
pub struct CoverageOptions {
    /// Facility category preset (childcare, school, healthcare, pharmacy, grocery, park);
    /// repeatable. With --facilities: the register's category values to keep.
    #[arg(long = "category")]
    #[serde(alias = "category", deserialize_with = "one_or_many")]
    pub categories: Vec<String>,
    /// A custom category from OSM tags, 'key=value,key=value' (any one matches); named
    /// by --custom-name.
    #[arg(long)]
    pub facility_tags: Option<String>,
    /// Name of the --facility-tags category in outputs.
    #[arg(long, default_value = "custom")]
    pub custom_name: String,
    /// The planner's facility register (CSV with lon/lat columns, or GeoJSON points)
    /// instead of OSM facilities.
    #[arg(long)]
    pub facilities: Option<PathBuf>,
    /// Coordinate system of --facilities: wgs84, gcj02 (AMap/Gaode, Tencent) or bd09
    /// (Baidu); converted to WGS84 before snapping.
    #[arg(long, default_value = "wgs84", value_parser = FacilityCrs::from_name)]
    pub facility_crs: FacilityCrs,
    /// Time bands, minutes, comma-separated (e.g. 5,10,15); the largest is the threshold
    /// for "covered" [default: 15].
    #[arg(long, value_delimiter = ',', conflicts_with = "meters")]
    #[serde(deserialize_with = "one_or_many")]
    pub minutes: Vec<f64>,
    /// Life-circle tiers to judge completeness by: `gb50180` (GB 50180-2018's 5-, 10- and
    /// 15-minute circles, docs/life-circle.md) or a TOML file of tiers; their categories
    /// join --category.
    #[arg(long, value_name = "gb50180|FILE.toml")]
    pub life_circle: Option<String>,
    /// Distance bands instead, metres of network walked, comma-separated (e.g.
    /// 300,500,1000): the profile still decides what is walkable; speed and slopes do not
    /// change a distance.
    #[arg(long, value_delimiter = ',')]
    #[serde(deserialize_with = "one_or_many")]
    pub meters: Vec<f64>,
    /// Walking profile: adult (4.5 km/h), stroller (4.0), older (3.6) or wheelchair (2.7);
    /// repeatable: several profiles share one read and graph, each gets its own folder.
    #[arg(long = "profile", value_parser = Profile::from_name)]
    #[serde(alias = "profile", deserialize_with = "one_or_many")]
    pub profiles: Vec<Profile>,
    /// Walking speed on flat ground, km/h, instead of the profile's own (one profile only).
    #[arg(long)]
    pub speed_kmh: Option<f64>,
    /// Folder of SRTM tiles (N42E001.hgt or .hgt.zip): uphill and downhill by Tobler's
    /// hiking function.
    #[arg(long)]
    pub elevation: Option<PathBuf>,
    /// Maximum distance from a home or facility to the network, metres; farther ones are
    /// reported as unsnapped.
    #[arg(long, default_value_t = DEFAULT_MAX_SNAP_M)]
    pub max_snap_m: f64,
    /// Longest walk reported, minutes; homes farther away get no time (null). With
    /// --meters: the distance walked in that time at 4.5 km/h.
    #[arg(long, default_value_t = DEFAULT_SEARCH_MINUTES)]
    pub search_minutes: f64,
    /// Gross floor area per resident in the population estimate, m² (default: the
    /// country's, see docs/method.md#residents-and-blocks, else 30).
    #[arg(long)]
    pub floor_area_per_person_m2: Option<f64>,
    /// Country of the extract, ISO 3166-1 alpha-2 (e.g. CN), for the floor area per resident
    /// and the walk rules' defaults (default: the extract's admin_level=2 boundary holding
    /// most homes).
    #[arg(long)]
    pub country: Option<String>,
    /// The planner's population layer (GeoJSON points or polygons with a residents count),
    /// replacing the footprint estimate.
    #[arg(long)]
    pub population: Option<PathBuf>,
    /// Property of --population holding the number of residents.
    #[arg(long, default_value = "population")]
    pub population_field: String,
    /// A population raster (GeoTIFF of people per cell, as WorldPop and GHS-POP publish
    /// them), replacing the footprint estimate; only the window over the extract is read.
    #[arg(long, value_name = "FILE.tif", conflicts_with = "population")]
    pub population_raster: Option<PathBuf>,
    /// How far the people of a raster cell holding no home may go to homes, metres (else
    /// they are counted as unplaced).
    #[arg(long, default_value_t = DEFAULT_RASTER_SEARCH_M)]
    pub raster_search_m: f64,
    /// A census table (CSV, UTF-8 or GBK) of residents per unit: each listed unit's homes
    /// then hold exactly its row, spread by floor area.
    #[arg(long, value_name = "FILE.csv")]
    pub census: Option<PathBuf>,
    /// Column of --census naming the unit (name, OSM ref/ISO3166-2 code, or --units id);
    /// default: a recognised header (docs/method.md#census-tables).
    #[arg(long, value_name = "COLUMN", requires = "census")]
    pub census_key: Option<String>,
    /// Column of --census holding residents; default: a recognised header.
    #[arg(long, value_name = "COLUMN", requires = "census")]
    pub census_residents: Option<String>,
    /// Column of --census holding children under 3; default: a recognised header, if any.
    #[arg(long, value_name = "COLUMN", requires = "census")]
    pub census_under3: Option<String>,
    /// Level of the units --census rows name: subdistrict or district.
    #[arg(long, default_value = "subdistrict", value_parser = ["subdistrict", "district"], requires = "census")]
    pub census_level: String,
    /// Stop with an error when a --census row matches no unit or a unit has no row.
    #[arg(long, requires = "census")]
    pub census_strict: bool,
    /// The extract's known total of residents: homes not set by --census are scaled to it.
    #[arg(long, value_name = "N")]
    pub population_total: Option<f64>,
    /// Share of residents under 3 (the plan's demand) where no --census column or age
    /// raster says; a placeholder default: give the city's figure.
    #[arg(long, default_value_t = DEFAULT_UNDER3_SHARE)]
    pub under3_share: f64,
    /// Raster of children under 1 (WorldPop age/sex `*_f_0_*`, `*_m_0_*`); repeatable,
    /// summed.
    #[arg(long, value_name = "FILE.tif")]
    #[serde(deserialize_with = "one_or_many")]
    pub under1_raster: Vec<PathBuf>,
    /// Raster of children aged 1–4 (WorldPop `*_f_1_*`, `*_m_1_*`), half of whom count as
    /// under 3; repeatable, summed.
    #[arg(long, value_name = "FILE.tif")]
    #[serde(deserialize_with = "one_or_many")]
    pub age1to4_raster: Vec<PathBuf>,
    /// Side of the grid cells grouping homes outside residential landuse, metres.
    #[arg(long, default_value_t = DEFAULT_GRID_BLOCK_M)]
    pub grid_block_m: f64,
    /// Half-width of the service-area strips drawn along reachable streets, metres.
    #[arg(long, default_value_t = DEFAULT_AREA_BUFFER_M)]
    pub area_buffer_m: f64,
    /// Grid cell of the service-area polygons, metres (outlines follow cell edges).
    #[arg(long, default_value_t = DEFAULT_AREA_CELL_M)]
    pub area_cell_m: f64,
    /// Places assumed for a facility whose source states none (default: per category,
    /// see docs/method.md#facilities).
    #[arg(long)]
    pub default_capacity: Option<f64>,
    /// Enhanced 2SFCA: one weight per band, comma-separated (e.g. 1,0.68,0.22 for
    /// 5,10,15 min); without it every pair within the threshold weighs 1.
    #[arg(long, value_delimiter = ',')]
    #[serde(deserialize_with = "some_one_or_many")]
    pub decay_weights: Option<Vec<f64>>,
    /// Target: places per 1,000 residents.
    #[arg(long, default_value_t = DEFAULT_TARGET_PLACES_PER_1000)]
    pub target_places_per_1000: f64,
    /// Target: share of places that are affordable.
    #[arg(long, default_value_t = DEFAULT_TARGET_AFFORDABLE_SHARE)]
    pub target_affordable_share: f64,
    /// Target: share of sub-districts with at least one affordable facility.
    #[arg(long, default_value_t = DEFAULT_TARGET_SUBDISTRICT_SHARE)]
    pub target_subdistrict_share: f64,
    /// Target: share of residents within the threshold (the plan names none; 0.9 is ours).
    #[arg(long, default_value_t = DEFAULT_TARGET_COVERED_SHARE)]
    pub target_covered_share: f64,
    /// Target: share of kindergartens offering toddler classes (the plan's 40 % for 2025;
    /// 30 % in 2023, 35 % in 2024).
    #[arg(long, default_value_t = DEFAULT_TARGET_TODDLER_CLASS_SHARE)]
    pub target_toddler_class_share: f64,
    /// OSM admin_level of districts.
    #[arg(long, default_value_t = DEFAULT_DISTRICT_LEVEL)]
    pub district_level: u8,
    /// OSM admin_level of sub-districts.
    #[arg(long, default_value_t = DEFAULT_SUBDISTRICT_LEVEL)]
    pub subdistrict_level: u8,
    /// The planner's unit polygons (GeoJSON), taken as sub-districts, instead of OSM
    /// boundaries.
    #[arg(long)]
    pub units: Option<PathBuf>,
    /// Property of --units holding each unit's name.
    #[arg(long, default_value = "name")]
    pub unit_name_field: String,
    /// Layer file format: geojson, or fgb (FlatGeobuf with a spatial index, which QGIS opens
    /// much faster at city scale); styles, project and report follow either.
    #[arg(long, default_value = "geojson", value_parser = LayerFormat::from_name)]
    pub format: LayerFormat,
    /// Language of the report, the maps and the QGIS project's names and field aliases: en,
    /// or zh (Chinese, in the plan's terms; field names stay ASCII; units named by their
    /// name:zh when mapped).
    #[arg(long, default_value = "en", value_parser = Lang::from_name)]
    pub lang: Lang,
}

/// The defaults of a clap-derived options struct: what an empty command line gives.
pub(crate) fn clap_defaults<T: Args + FromArgMatches>() -> T {
    let command = T::augment_args(clap::Command::new("defaults").no_binary_name(true));
    let matches = command
        .try_get_matches_from(std::iter::empty::<String>())
        .expect("every option is optional or has a default");
    T::from_arg_matches(&matches).expect("the defaults parse")
}

impl Default for CoverageOptions {
    /// The documented defaults: what `fifteen coverage` without flags would use.
    fn default() -> Self {
        clap_defaults()
    }
}

/// Reads `x` or `[x, y]` as a list, handing each scalar to `T`'s own deserializer so that
/// its error names the expected type.
struct OneOrMany<T>(std::marker::PhantomData<T>);

macro_rules! one_scalar {
    ($($visit:ident: $ty:ty),*) => {$(
        fn $visit<E: de::Error>(self, v: $ty) -> std::result::Result<Vec<T>, E> {
            T::deserialize(v.into_deserializer()).map(|x| vec![x])
        }
    )*};
}

impl<'de, T: Deserialize<'de>> de::Visitor<'de> for OneOrMany<T> {
    type Value = Vec<T>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("one value or a list of values")
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> std::result::Result<Vec<T>, A::Error> {
        Vec::deserialize(de::value::SeqAccessDeserializer::new(seq))
    }

    one_scalar!(visit_str: &str, visit_string: String, visit_i64: i64, visit_u64: u64, visit_f64: f64, visit_bool: bool);
}

/// Deserializes `x` or `[x, y]` into a list (a manifest's `minutes = 15` or `[5, 10, 15]`).
pub(crate) fn one_or_many<'de, D, T>(d: D) -> std::result::Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    d.deserialize_any(OneOrMany(std::marker::PhantomData))
}

fn some_one_or_many<'de, D, T>(d: D) -> std::result::Result<Option<Vec<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    one_or_many(d).map(Some)
}

/// The keys a manifest accepts for the options of `command`: each argument's id (the
/// field name) and its long flag with `_` for `-`.
pub fn manifest_keys(command: &clap::Command) -> Vec<String> {
    let mut keys = Vec::new();
    for arg in command.get_arguments() {
        keys.push(arg.get_id().to_string());
        if let Some(long) = arg.get_long() {
            keys.push(long.replace('-', "_"));
        }
    }
    keys.sort();
    keys.dedup();
    keys
}

/// `--name` must be a positive, finite number.
pub(crate) fn positive(name: &str, value: f64) -> Result<f64> {
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(Error::Usage(format!(
            "--{name} must be a positive number, not {value}"
        )))
    }
}

/// `--name` must be a share in `0..=1`.
fn share(name: &str, value: f64) -> Result<f64> {
    if (0.0..=1.0).contains(&value) {
        Ok(value)
    } else {
        Err(Error::Usage(format!(
            "--{name} is a share in 0..=1, not {value}"
        )))
    }
}

/// Errors when `items` names something twice; `what` names one item.
pub(crate) fn check_unique<T: PartialEq>(items: &[T], what: impl Fn(&T) -> String) -> Result<()> {
    for (i, item) in items.iter().enumerate() {
        if items[..i].contains(item) {
            return Err(Error::Usage(format!("{} is named twice", what(item))));
        }
    }
    Ok(())
}

impl CoverageOptions {
    /// Checks the options and resolves them into the configuration of a run reading `input`
    /// and writing `out_dir`.
    ///
    /// # Errors
    /// [`Error::Usage`] for a value out of range, contradictory options, an unknown category
    /// preset or a malformed tag list.
    pub fn resolve(&self, input: &Path, out_dir: &Path) -> Result<CoverageConfig> {
        let life_circle = (self.life_circle.as_deref())
            .map(LifeCircle::resolve)
            .transpose()?;
        let mut config = CoverageConfig::new(
            input.to_path_buf(),
            out_dir.to_path_buf(),
            self.facility_input(life_circle.as_ref())?,
        );
        config.facility_crs = self.facility_crs;
        config.life_circle = life_circle;
        config.bands = self.bands()?;
        config.area_buffer_m = positive("area-buffer-m", self.area_buffer_m)?;
        config.area_cell_m = positive("area-cell-m", self.area_cell_m)?;
        config.default_capacity = match self.default_capacity {
            Some(c) if !(c.is_finite() && c >= 0.0) => {
                return Err(Error::Usage(format!(
                    "--default-capacity must be ≥ 0, not {c}"
                )));
            }
            other => other,
        };
        config.decay_weights = self.decay_weights(&config.bands)?;
        config.targets = self.targets()?;
        config.units = match &self.units {
            Some(path) => UnitsSource::File {
                path: path.clone(),
                name_field: self.unit_name_field.clone(),
            },
            None => UnitsSource::Osm {
                district_level: self.district_level,
                subdistrict_level: self.subdistrict_level,
            },
        };
        config.profiles = self.walk_profiles()?;
        config.elevation_dir = self.elevation.clone();
        if config.bands.unit == BandUnit::Meters {
            let given = [
                ("--speed-kmh", self.speed_kmh.is_some()),
                ("--elevation", self.elevation.is_some()),
            ];
            if let Some((flag, _)) = given.iter().find(|(_, given)| *given) {
                return Err(Error::Usage(format!(
                    "{flag} changes walking times, not distances: leave it out with --meters"
                )));
            }
        }
        config.max_snap_m = positive("max-snap-m", self.max_snap_m)?;
        config.search_minutes = positive("search-minutes", self.search_minutes)?;
        config.residents.floor_area_per_person_m2 = self
            .floor_area_per_person_m2
            .map(|m2| positive("floor-area-per-person-m2", m2))
            .transpose()?;
        config.residents.country = match &self.country {
            Some(code) if code.len() == 2 && code.bytes().all(|b| b.is_ascii_alphabetic()) => {
                Some(code.to_ascii_uppercase())
            }
            Some(code) => {
                return Err(Error::Usage(format!(
                    "--country takes a two-letter ISO 3166-1 code (e.g. CN), not {code:?}"
                )));
            }
            None => None,
        };
        config.residents.grid_block_m = positive("grid-block-m", self.grid_block_m)?;
        config.population = self.population_sources()?;
        config.layer_format = self.format;
        config.lang = self.lang;
        Ok(config)
    }

    /// Where residents and children come from beyond the footprint estimate.
    fn population_sources(&self) -> Result<PopulationSources> {
        // clap checks these for flags; a manifest's keys are checked here
        if self.population.is_some() && self.population_raster.is_some() {
            return Err(Error::Usage(
                "--population and --population-raster both replace the estimate: give one".into(),
            ));
        }
        let census_only = [
            (self.census_key.is_some(), "census-key"),
            (self.census_residents.is_some(), "census-residents"),
            (self.census_under3.is_some(), "census-under3"),
            (self.census_strict, "census-strict"),
            (self.census_level != "subdistrict", "census-level"),
        ];
        if self.census.is_none()
            && let Some((_, flag)) = census_only.iter().find(|(given, _)| *given)
        {
            return Err(Error::Usage(format!("--{flag} needs --census")));
        }
        let level = match self.census_level.as_str() {
            "subdistrict" => UnitLevel::Subdistrict,
            "district" => UnitLevel::District,
            other => {
                return Err(Error::Usage(format!(
                    "--census-level is subdistrict or district, not {other:?}"
                )));
            }
        };
        if !(0.0..=1.0).contains(&self.under3_share) {
            return Err(Error::Usage(format!(
                "--under3-share is a share in 0..=1, not {}",
                self.under3_share
            )));
        }
        Ok(PopulationSources {
            layer: (self.population.clone()).map(|path| LayerSource {
                path,
                field: self.population_field.clone(),
            }),
            raster: self.population_raster.clone(),
            raster_search_m: positive("raster-search-m", self.raster_search_m)?,
            census: (self.census.clone()).map(|path| CensusSource {
                path,
                key_column: self.census_key.clone(),
                residents_column: self.census_residents.clone(),
                under3_column: self.census_under3.clone(),
                level,
                strict: self.census_strict,
            }),
            total: match self.population_total {
                Some(n) => Some(positive("population-total", n)?),
                None => None,
            },
            under1_rasters: self.under1_raster.clone(),
            age1to4_rasters: self.age1to4_raster.clone(),
            under3_share: self.under3_share,
        })
    }

    /// Where facilities come from: the register, or OSM by presets and custom tags; the
    /// categories of `life_circle`'s tiers join those named.
    fn facility_input(&self, life_circle: Option<&LifeCircle>) -> Result<FacilityInput> {
        let mut named = self.categories.clone();
        let of_tiers = life_circle.into_iter().flat_map(|c| &c.tiers);
        for category in of_tiers.flat_map(|t| &t.categories) {
            if !named.contains(category) {
                named.push(category.clone());
            }
        }
        match (&self.facilities, &self.facility_tags) {
            (Some(_), Some(_)) => Err(Error::Usage(
                "--facilities and --facility-tags cannot be combined".into(),
            )),
            (Some(path), None) => Ok(FacilityInput::Register {
                path: path.clone(),
                default_category: match self.categories.as_slice() {
                    [one] => one.clone(),
                    _ => "facility".to_string(),
                },
                categories: match self.categories.is_empty() {
                    true => Vec::new(), // every category of the register
                    false => named,
                },
            }),
            (None, tags) => {
                let mut categories = (named.iter())
                    .map(|name| Category::preset(name))
                    .collect::<Result<Vec<_>>>()?;
                if let Some(spec) = tags {
                    categories.push(Category::custom(&self.custom_name, spec)?);
                }
                if categories.is_empty() {
                    return Err(Error::Usage(
                        "name at least one --category (e.g. --category childcare), --facility-tags or --facilities".into(),
                    ));
                }
                let names: Vec<&str> = categories.iter().map(|c| c.name.as_str()).collect();
                check_unique(&names, |name| format!("category {name:?}"))?;
                Ok(FacilityInput::Osm(categories))
            }
        }
    }

    /// The bands: `--meters` when given, else `--minutes` (default [`DEFAULT_MINUTES`]).
    fn bands(&self) -> Result<Bands> {
        let checked = |name: &str, values: &[f64]| {
            (values.iter().map(|&v| positive(name, v))).collect::<Result<Vec<f64>>>()
        };
        match (self.minutes.is_empty(), self.meters.is_empty()) {
            (false, false) => Err(Error::Usage(
                "give bands in --minutes or in --meters, not both".into(),
            )),
            (_, false) => Ok(Bands::meters(&checked("meters", &self.meters)?)),
            (false, true) => Ok(Bands::minutes(&checked("minutes", &self.minutes)?)),
            (true, true) => Ok(Bands::minutes(&[DEFAULT_MINUTES])),
        }
    }

    /// The enhanced 2SFCA's weights, one per band, each in `0..=1`.
    fn decay_weights(&self, bands: &Bands) -> Result<Option<Vec<f64>>> {
        let Some(weights) = &self.decay_weights else {
            return Ok(None);
        };
        if weights.len() != bands.values.len() {
            return Err(Error::Usage(format!(
                "--decay-weights gives {} weights for {} bands (--{})",
                weights.len(),
                bands.values.len(),
                bands.unit.field(),
            )));
        }
        if weights.iter().any(|w| !(0.0..=1.0).contains(w)) {
            return Err(Error::Usage("--decay-weights must lie in 0..=1".into()));
        }
        Ok(Some(weights.clone()))
    }

    fn targets(&self) -> Result<Targets> {
        Ok(Targets {
            places_per_1000: positive("target-places-per-1000", self.target_places_per_1000)?,
            affordable_share: share("target-affordable-share", self.target_affordable_share)?,
            subdistricts_with_affordable_share: share(
                "target-subdistrict-share",
                self.target_subdistrict_share,
            )?,
            covered_share: share("target-covered-share", self.target_covered_share)?,
            toddler_class_share: share(
                "target-toddler-class-share",
                self.target_toddler_class_share,
            )?,
        })
    }

    /// The walking profiles (adult when none is named), with `--speed-kmh` applied.
    fn walk_profiles(&self) -> Result<Vec<WalkProfile>> {
        let mut profiles = self.profiles.clone();
        if profiles.is_empty() {
            profiles.push(Profile::Adult);
        }
        check_unique(&profiles, |p| format!("profile {:?}", p.name()))?;
        let mut profiles: Vec<WalkProfile> =
            profiles.into_iter().map(WalkProfile::preset).collect();
        if let Some(speed) = self.speed_kmh {
            if profiles.len() > 1 {
                return Err(Error::Usage(
                    "--speed-kmh sets one profile's speed: give at most one --profile with it"
                        .into(),
                ));
            }
            profiles[0].speed_kmh = positive("speed-kmh", speed)?;
        }
        Ok(profiles)
    }

    /// The options with every relative file path taken from `base` (a manifest's folder).
    pub fn rebased(mut self, base: &Path) -> Self {
        for path in [
            &mut self.facilities,
            &mut self.elevation,
            &mut self.population,
            &mut self.population_raster,
            &mut self.census,
            &mut self.units,
        ]
        .into_iter()
        .flatten()
        .chain(&mut self.under1_raster)
        .chain(&mut self.age1to4_raster)
        {
            *path = base.join(&*path);
        }
        if let Some(spec) = &mut self.life_circle
            && !LifeCircle::builtin_names().any(|name| name == spec)
        {
            *spec = base.join(&*spec).to_string_lossy().into_owned();
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The search reaches the farthest life-circle tier whatever --search-minutes says (the
    /// 15-minute tier of gb50180 with a 10-minute search and 5-minute bands: 900 s).
    #[test]
    fn the_search_reaches_every_tier() {
        let options = CoverageOptions {
            life_circle: Some("gb50180".into()),
            minutes: vec![5.0],
            search_minutes: 10.0,
            ..CoverageOptions::default()
        };
        let config = options.resolve(Path::new("in.pbf"), Path::new("out"));
        let routing = config.expect("valid").routing();
        assert_eq!(
            (routing.threshold_s, routing.search_limit_s),
            (300.0, 900.0)
        );
    }

    /// A manifest's files are read from its folder; a built-in preset's name stays a name.
    #[test]
    fn rebased_takes_files_from_the_manifest_folder() {
        let rebase = |spec: &str| {
            let options = CoverageOptions {
                life_circle: Some(spec.into()),
                units: Some("units.geojson".into()),
                ..CoverageOptions::default()
            };
            options.rebased(Path::new("jobs"))
        };
        let city = rebase("city.toml");
        assert_eq!(city.life_circle.as_deref(), Some("jobs/city.toml"));
        assert_eq!(city.units, Some(PathBuf::from("jobs/units.geojson")));
        assert_eq!(rebase("gb50180").life_circle.as_deref(), Some("gb50180"));
    }

    #[test]
    fn defaults_are_the_flags_defaults() {
        let o = CoverageOptions::default();
        assert!(o.minutes.is_empty() && o.meters.is_empty());
        assert_eq!(o.max_snap_m, DEFAULT_MAX_SNAP_M);
        assert_eq!(o.custom_name, "custom");
        assert_eq!(o.facility_crs, FacilityCrs::Wgs84);
        assert_eq!(o.format, LayerFormat::Geojson);
        let from_toml: CoverageOptions = toml::from_str("").expect("empty manifest table");
        assert_eq!(from_toml, o);
    }

    #[test]
    fn manifest_values_take_one_or_many() {
        let o: CoverageOptions = toml::from_str(
            "minutes = 10\ncategory = \"park\"\nprofiles = [\"older\", \"stroller\"]\nfacility_crs = \"GCJ-02\"\ndecay_weights = 1",
        )
        .expect("valid");
        assert_eq!(o.minutes, [10.0]);
        assert_eq!(o.categories, ["park"]);
        assert_eq!(o.profiles, [Profile::Older, Profile::Stroller]);
        assert_eq!(o.facility_crs, FacilityCrs::Gcj02);
        assert_eq!(o.decay_weights, Some(vec![1.0]));
    }

    #[test]
    fn resolve_checks_values() {
        let bad = |o: CoverageOptions, mention: &str| {
            let e = o
                .resolve(Path::new("in.pbf"), Path::new("out"))
                .expect_err(mention)
                .to_string();
            assert!(e.contains(mention), "{e}");
        };
        let base = CoverageOptions {
            categories: vec!["childcare".into()],
            ..CoverageOptions::default()
        };
        bad(CoverageOptions::default(), "name at least one --category");
        bad(
            CoverageOptions {
                minutes: vec![-5.0],
                ..base.clone()
            },
            "--minutes must be a positive number",
        );
        bad(
            CoverageOptions {
                categories: vec!["park".into(), "park".into()],
                ..base.clone()
            },
            "category \"park\" is named twice",
        );
        bad(
            CoverageOptions {
                decay_weights: Some(vec![1.0, 0.5]),
                ..base.clone()
            },
            "2 weights for 1 bands",
        );
        bad(
            CoverageOptions {
                profiles: vec![Profile::Adult, Profile::Older],
                speed_kmh: Some(3.0),
                ..base.clone()
            },
            "--speed-kmh sets one profile's speed",
        );
        let config = base
            .resolve(Path::new("in.pbf"), Path::new("out"))
            .expect("valid");
        assert_eq!(config.bands, Bands::minutes(&[15.0]));
        bad(
            CoverageOptions {
                minutes: vec![5.0],
                meters: vec![300.0],
                ..base.clone()
            },
            "not both",
        );
        assert_eq!(config.profiles, [WalkProfile::preset(Profile::Adult)]);
        let meters = CoverageOptions {
            meters: vec![1000.0, 300.0],
            ..base.clone()
        };
        let config = meters.resolve(Path::new("in.pbf"), Path::new("out"));
        assert_eq!(
            config.expect("valid").bands,
            Bands::meters(&[300.0, 1000.0])
        );
    }
}
