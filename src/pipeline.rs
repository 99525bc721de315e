//! The `coverage` job, stage by stage: read → graph → residents → facilities → snap →
//! route → write. Each stage is named and timed; the timings go into `summary.json`.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;
use std::time::Instant;

use geo::{Coord, Rect};
use rayon::prelude::*;

use serde::Serialize;
use serde_json::json;

use crate::analysis::coverage::{Routing, nearest_facility};
use crate::analysis::indicators::{UnitPlacement, indicators, locate_all};
use crate::analysis::outcome::CategoryOutcome;
use crate::analysis::placement::{Placement, PointsByEdge, place_homes, place_points};
use crate::analysis::population::PopulationLayerCounts;
use crate::analysis::population::{apply_population_layer, read_population_layer};
use crate::analysis::residents::{Residents, find_residents};
use crate::analysis::service_area::{AreaInputs, ReachInputs, facility_reach};
use crate::analysis::sum;
use crate::analysis::supply::{Decay, default_capacity, two_step_fca};
use crate::analysis::units::{UnitLevel, UnitsSource, units_from_file, units_from_osm};
use crate::config::ISLAND_MAX_M;
use crate::config::{CoverageConfig, FacilityInput};
use crate::error::{Error, Result};
use crate::facilities::Facility;
use crate::facilities::categories::tags_of;
use crate::facilities::crs::{FacilityCrs, outside_china};
use crate::facilities::osm::facilities_from_osm;
use crate::facilities::register::read_register;
use crate::graph::{BuildCounts, WalkCosts, WalkGraph, WalkProfile};
use crate::hashing::sha256_of;
use crate::osm::compounds::{CompoundCounts, Compounds};
use crate::osm::read::OsmExtract;
use crate::osm::read::read_extract;
use crate::output::OutputSet;
use crate::output::geojson::{write_features, write_features_parallel};
use crate::output::layers;
use crate::output::map::{MapFeature, MapSources};
use crate::output::planner::{CoverageViews, LayersWritten, WrittenLayer, finish_coverage};
use crate::output::report::CategoryWalks;
use crate::spatial::elevation::{HillReport, hill_factors, tobler_kmh};
use crate::spatial::raster::{TimeGrid, snap_extent};
use crate::spatial::{EdgeIndex, LocalFrame};

/// Stage names and wall-clock seconds, in run order.
#[derive(Debug, Default)]
pub struct Stages {
    timings: Vec<(String, f64)>,
}

impl Stages {
    /// Runs `f` as the stage `name`, timing it and reporting it to `log`.
    pub fn run<T>(&mut self, name: &'static str, log: &dyn Fn(&str), f: impl FnOnce() -> T) -> T {
        self.run_named(name.to_string(), log, f)
    }

    /// [`Self::run`] for a name made at run time (e.g. `route stroller`).
    pub fn run_named<T>(&mut self, name: String, log: &dyn Fn(&str), f: impl FnOnce() -> T) -> T {
        let start = Instant::now();
        let out = f();
        let seconds = start.elapsed().as_secs_f64();
        log(&format!("{name:<11} {seconds:>7.3} s"));
        self.timings.push((name, seconds));
        out
    }

    /// Runs `a` and `b` side by side as the stages `name_a` and `name_b`, each timed on its
    /// own: when one is serial the other has the remaining cores. Their times overlap, so
    /// `total` counts both.
    pub fn run_side_by_side<A: Send, B: Send>(
        &mut self,
        log: &dyn Fn(&str),
        (name_a, a): (&'static str, impl FnOnce() -> A + Send),
        (name_b, b): (&'static str, impl FnOnce() -> B + Send),
    ) -> (A, B) {
        fn timed<T>(f: impl FnOnce() -> T) -> (T, f64) {
            let start = Instant::now();
            let out = f();
            (out, start.elapsed().as_secs_f64())
        }
        let ((out_a, seconds_a), (out_b, seconds_b)) = rayon::join(|| timed(a), || timed(b));
        for (name, seconds) in [(name_a, seconds_a), (name_b, seconds_b)] {
            log(&format!("{name:<11} {seconds:>7.3} s"));
            self.timings.push((name.to_string(), seconds));
        }
        (out_a, out_b)
    }

    /// The timings as a name → seconds map, plus `total` (their sum).
    pub fn to_json(&self) -> serde_json::Value {
        let mut map = serde_json::Map::new();
        for (name, s) in &self.timings {
            map.insert(name.clone(), json!((s * 1e4).round() / 1e4));
        }
        let total: f64 = self.timings.iter().map(|(_, s)| s).sum();
        map.insert("total".into(), json!((total * 1e4).round() / 1e4));
        serde_json::Value::Object(map)
    }
}

/// Covered residents of one category, for the run's result line and `summary.json`.
#[derive(Debug, Clone, Serialize)]
pub struct CategoryCoverage {
    /// Category name.
    pub category: String,
    /// Walking profile name.
    pub profile: String,
    /// Facilities of the category.
    pub facilities: usize,
    /// Facilities that could not be snapped (ids).
    pub facilities_unsnapped: Vec<String>,
    /// Facilities on network islands (ids).
    pub facilities_on_islands: Vec<String>,
    /// Residents in all homes.
    pub population: f64,
    /// Residents within the threshold.
    pub covered_population: f64,
    /// `covered_population / population`.
    pub covered_share: f64,
    /// Share of residents within each band, by band minutes.
    pub covered_share_by_band: BTreeMap<String, f64>,
    /// Homes within the threshold.
    pub covered_buildings: usize,
    /// Facilities by their stated type (the register's `type`, or OSM's `amenity`;
    /// `(not stated)` without one), to check how the kind-counting targets read them.
    pub facility_types: BTreeMap<String, usize>,
}

impl CategoryCoverage {
    /// The run's result line for this category: `childcare (stroller): 30.8 % of 55780
    /// residents within 15 min of 8 facilities`, naming the profile when `with_profile`.
    pub fn result_line(&self, threshold_min: f64, with_profile: bool) -> String {
        let label = if with_profile {
            format!("{} ({})", self.category, self.profile)
        } else {
            self.category.clone()
        };
        format!(
            "{label}: {:.1} % of {:.0} residents within {threshold_min} min of {} facilities",
            100.0 * self.covered_share,
            self.population,
            self.facilities
        )
    }
}

/// What a finished run reports: the coverage per category and the full `summary.json`.
#[derive(Debug, Clone)]
pub struct CoverageReport {
    /// Per category.
    pub categories: Vec<CategoryCoverage>,
    /// The summary as written.
    pub summary: serde_json::Value,
    /// Files written.
    pub files: Vec<std::path::PathBuf>,
    /// The (first profile's) layers written and the maps drawn from them, for a `site`
    /// run's report.
    pub views: CoverageViews,
}

/// Peak resident memory of this process so far, MiB (Linux `VmHWM`; `None` elsewhere).
pub fn peak_memory_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// Writes the GeoJSON layer `PREFIXSTEM.geojson` of the output set from `count` features,
/// rendered in parallel, and notes it.
fn write_layer(
    outputs: &mut OutputSet,
    written: &mut Vec<WrittenLayer>,
    prefix: &str,
    stem: &'static str,
    count: usize,
    feature: impl Fn(usize) -> (Option<geojson::Geometry>, geojson::JsonObject) + Sync,
) -> Result<()> {
    outputs.write(&format!("{prefix}{stem}.geojson"), |w| {
        write_features_parallel(w, count, feature)
    })?;
    written.push(WrittenLayer {
        stem,
        features: count,
    });
    Ok(())
}

/// A GeoJSON layer rendered in memory.
struct RenderedLayer {
    layer: WrittenLayer,
    bytes: Vec<u8>,
    /// The features as the map draws them (empty unless asked for).
    map: Vec<MapFeature>,
}

/// Renders a GeoJSON layer in memory, keeping its features when the map draws the layer.
fn render_layer(
    stem: &'static str,
    features: impl Iterator<Item = (Option<geojson::Geometry>, geojson::JsonObject)>,
) -> std::io::Result<RenderedLayer> {
    let for_map = MapSources::draws(stem);
    let mut count = 0;
    let mut bytes = Vec::new();
    let mut map = Vec::new();
    let features = features.inspect(|(geometry, properties)| {
        count += 1;
        if for_map {
            map.push(MapFeature::new(geometry.as_ref(), properties));
        }
    });
    write_features(&mut bytes, features)?;
    Ok(RenderedLayer {
        layer: WrittenLayer {
            stem,
            features: count,
        },
        bytes,
        map,
    })
}

/// The box around `points` grown by `pad_m` on every side (a box around the origin when
/// there are no points).
fn extent_around(points: &[Coord<f64>], pad_m: f64) -> Rect<f64> {
    let pad = Coord { x: pad_m, y: pad_m };
    let first = points.first().copied().unwrap_or_default();
    let (lo, hi) = points.iter().fold((first, first), |(lo, hi), p| {
        (
            Coord {
                x: lo.x.min(p.x),
                y: lo.y.min(p.y),
            },
            Coord {
                x: hi.x.max(p.x),
                y: hi.y.max(p.y),
            },
        )
    });
    Rect::new(lo - pad, hi + pad)
}

/// Facilities of each category, from OSM or from the register: every category the
/// configuration names, empty ones included ([`check_no_empty_category`] decides on those).
fn gather_facilities(
    config: &CoverageConfig,
    register: Option<Vec<Facility>>,
    extract: &crate::osm::read::OsmExtract,
) -> Result<Vec<(String, Vec<Facility>)>> {
    match (&config.facilities, register) {
        (FacilityInput::Osm(categories), _) => {
            let found = facilities_from_osm(extract, categories);
            Ok(categories
                .iter()
                .map(|c| c.name.clone())
                .zip(found)
                .collect())
        }
        (FacilityInput::Register { categories, .. }, Some(rows)) => {
            let mut named: Vec<(String, Vec<Facility>)> = Vec::new();
            for c in categories {
                if !named.iter().any(|(n, _)| n == c) {
                    named.push((c.clone(), Vec::new()));
                }
            }
            for f in rows {
                if !categories.is_empty() && !categories.contains(&f.category) {
                    continue;
                }
                match named.iter_mut().find(|(n, _)| *n == f.category) {
                    Some((_, list)) => list.push(f),
                    None => named.push((f.category.clone(), vec![f])),
                }
            }
            Ok(named)
        }
        (FacilityInput::Register { .. }, None) => {
            unreachable!("the register is read before the extract")
        }
    }
}

/// Warns when a register states its facilities' types but none of a category's names a
/// kindergarten or a guidance centre: most often a `type` column meaning something else
/// (ownership, say), which would make the two kind-counting targets read every facility as
/// neither.
fn warn_of_unread_types(categories: &[(String, Vec<Facility>)], log: &dyn Fn(&str)) {
    for (name, facilities) in categories {
        let typed: BTreeSet<&str> = facilities
            .iter()
            .filter(|f| f.has_register_type())
            .filter_map(|f| f.kind.as_deref())
            .collect();
        let read = facilities
            .iter()
            .any(|f| f.is_kindergarten() || f.is_guidance_centre() == Some(true));
        if !typed.is_empty() && !read {
            let types: Vec<&str> = typed.into_iter().take(10).collect();
            log(&format!(
                "warning: no register type of category {name} names a kindergarten or a \
                 guidance centre (types: {}): the toddler-class and guidance-centre targets \
                 count none",
                types.join(", ")
            ));
        }
    }
}

/// A category with no facility is a data error (most often a mistyped tag or category),
/// unless the configuration allows it (siting the first facilities of a category).
fn check_no_empty_category(
    config: &CoverageConfig,
    categories: &[(String, Vec<Facility>)],
) -> Result<()> {
    let Some((name, _)) = categories.iter().find(|(_, f)| f.is_empty()) else {
        return Ok(());
    };
    Err(match &config.facilities {
        FacilityInput::Osm(osm) => {
            let tags: Vec<String> = osm
                .iter()
                .filter(|c| &c.name == name)
                .flat_map(|c| c.tags.iter().map(|(k, v)| format!("{k}={v}")))
                .collect();
            Error::data(
                &config.input,
                format!(
                    "no facility of category {name:?} ({}) in the extract",
                    tags.join(", ")
                ),
            )
        }
        FacilityInput::Register { path, .. } => Error::data(
            path,
            format!("no facility of category {name:?} in the register"),
        ),
    })
}

/// What every job builds before it analyses: the network, the homes and the facilities,
/// all snapped. The extract stays for what later stages read from it (units, candidates).
pub struct Prepared {
    /// What the reader kept of the extract.
    pub extract: OsmExtract,
    /// Size of the input file, bytes.
    pub input_bytes: u64,
    /// SHA-256 of the input file, hex.
    pub input_sha256: String,
    /// The local metric frame.
    pub frame: LocalFrame,
    /// The walking graph.
    pub graph: WalkGraph,
    /// Counts from building it.
    pub graph_counts: BuildCounts,
    /// Gated compounds found, what belongs to them, and the homes inside them.
    pub compound_counts: CompoundCounts,
    /// R-tree of its edge segments.
    pub index: EdgeIndex,
    /// Homes and blocks.
    pub residents: Residents,
    /// What the planner's population layer did, when given.
    pub population_counts: Option<PopulationLayerCounts>,
    /// Facilities per category, in category order.
    pub categories: Vec<(String, Vec<Facility>)>,
    /// Where each home meets the network.
    pub homes: Vec<Placement>,
    /// Where each facility meets the network, per category.
    pub facility_placements: Vec<Vec<Placement>>,
}

/// Reads the inputs, builds the graph, finds homes and facilities and snaps them: the
/// stages `register`, `population layer`, `read`, `compounds`, `graph`, `residents`,
/// `facilities`, `index`, `snap`.
///
/// # Errors
/// As [`run_coverage`].
pub fn prepare(
    config: &CoverageConfig,
    stages: &mut Stages,
    log: &dyn Fn(&str),
) -> Result<Prepared> {
    let register = match &config.facilities {
        FacilityInput::Register {
            path,
            default_category,
            ..
        } => Some(stages.run("register", log, || {
            let mut rows = read_register(path, default_category)?;
            if config.facility_crs != FacilityCrs::Wgs84 {
                let outside = rows.iter().filter(|f| outside_china(f.lon, f.lat)).count();
                if outside > 0 {
                    log(&format!(
                        "warning: {outside} of {} register points lie outside China, where \
                         map providers use WGS84 and no {:?} offset applies: kept as given",
                        rows.len(),
                        config.facility_crs
                    ));
                }
                for f in rows.iter_mut().filter(|f| !outside_china(f.lon, f.lat)) {
                    (f.lon, f.lat) = config.facility_crs.to_wgs84(f.lon, f.lat);
                }
            }
            Ok::<_, Error>(rows)
        })?),
        FacilityInput::Osm(_) => None,
    };
    let population_layer = match &config.population_layer {
        Some((path, field)) => Some(stages.run("population layer", log, || {
            read_population_layer(path, field)
        })?),
        None => None,
    };
    let mut osm_categories = match &config.facilities {
        FacilityInput::Osm(c) => c.clone(),
        FacilityInput::Register { .. } => Vec::new(),
    };
    osm_categories.extend(config.read_also.iter().cloned());

    let (extract, input_hash) = stages.run("read", log, || {
        std::thread::scope(|s| {
            let hash = s.spawn(|| sha256_of(&config.input));
            let extract = read_extract(&config.input, &tags_of(&osm_categories));
            (extract, hash.join().expect("hashing does not panic"))
        })
    });
    let extract = extract?;
    let (input_bytes, input_sha256) = input_hash?;
    if extract.walk_ways.is_empty() {
        return Err(Error::data(
            &config.input,
            "the extract holds no walkable way (see docs/method.md for the highway rules)",
        ));
    }
    let (min_lon, min_lat, max_lon, max_lat) =
        extract.nodes.bounds().expect("walkable ways have nodes");
    let frame = LocalFrame::new(0.5 * (min_lon + max_lon), 0.5 * (min_lat + max_lat));

    let compounds = stages.run("compounds", log, || Compounds::find(&extract, &frame));
    let (graph, graph_counts) = stages.run("graph", log, || {
        WalkGraph::build(&extract, &frame, &compounds)
    });
    if graph.edge_count() == 0 {
        return Err(Error::data(
            &config.input,
            "the walkable ways' nodes are missing from the extract: no edge to walk",
        ));
    }
    // The edge index is built beside the homes (the index packs in parallel too).
    let (mut residents, index): (Residents, EdgeIndex) = stages.run_side_by_side(
        log,
        ("residents", || {
            find_residents(&extract, &frame, &config.residents)
        }),
        ("index", || EdgeIndex::new(&graph)),
    );
    let population_counts =
        population_layer.map(|layer| apply_population_layer(&mut residents, &frame, &layer));
    let mut categories = stages.run("facilities", log, || {
        gather_facilities(config, register, &extract)
    })?;
    for extra in &config.extra_facilities {
        match categories
            .iter_mut()
            .find(|(name, _)| *name == extra.category)
        {
            Some((_, list)) => list.push(extra.clone()),
            None => categories.push((extra.category.clone(), vec![extra.clone()])),
        }
    }
    if !config.allow_empty_category {
        check_no_empty_category(config, &categories)?;
    }
    warn_of_unread_types(&categories, log);
    let mut compound_counts = compounds.counts;
    let island_max_m = ISLAND_MAX_M;
    let (homes, facility_placements): (Vec<Placement>, Vec<Vec<Placement>>) =
        stages.run("snap", log, || {
            let origins: Vec<_> = residents.buildings.iter().map(|b| b.origin_xy).collect();
            let home_compounds: Vec<_> = origins.iter().map(|&p| compounds.containing(p)).collect();
            let homes = place_homes(
                &graph,
                &index,
                &frame,
                &origins,
                &home_compounds,
                config.max_snap_m,
                island_max_m,
            );
            compound_counts.homes = home_compounds.iter().flatten().count();
            let facilities = categories
                .iter()
                .map(|(_, list)| {
                    let points: Vec<_> = list.iter().map(|f| frame.to_xy(f.lon, f.lat)).collect();
                    place_points(
                        &graph,
                        &index,
                        &frame,
                        &points,
                        config.max_snap_m,
                        island_max_m,
                    )
                })
                .collect();
            (homes, facilities)
        });

    Ok(Prepared {
        extract,
        input_bytes,
        input_sha256,
        frame,
        graph,
        graph_counts,
        compound_counts,
        index,
        residents,
        population_counts,
        categories,
        homes,
        facility_placements,
    })
}

/// The walking costs of every profile of the run, and what the elevation tiles gave (stage
/// `elevation` when `--elevation` is set).
///
/// # Errors
/// As [`crate::spatial::elevation::hill_factors`].
pub fn walk_costs(
    config: &CoverageConfig,
    graph: &WalkGraph,
    frame: &LocalFrame,
    stages: &mut Stages,
    log: &dyn Fn(&str),
) -> Result<(Vec<WalkCosts>, Option<HillReport>)> {
    let hills = match &config.elevation_dir {
        Some(dir) => Some(stages.run("elevation", log, || hill_factors(dir, graph, frame))?),
        None => None,
    };
    if let Some(h) = hills
        .as_ref()
        .filter(|h| !h.report.tiles_missing.is_empty())
    {
        log(&format!(
            "warning: elevation tiles missing from {}: {}; {} edges on them are walked as flat",
            h.report.dir.display(),
            h.report.tiles_missing.join(", "),
            h.report.edges_flat_missing_tile
        ));
    }
    let costs = config
        .profiles
        .iter()
        .map(|p| WalkCosts::new(graph, p, hills.as_ref().map(|h| h.factors.as_slice())))
        .collect();
    Ok((costs, hills.map(|h| h.report)))
}

/// The profile's part of `summary.json`: its name, speed and what it cannot pass.
fn profile_json(profile: &WalkProfile, costs: &WalkCosts) -> serde_json::Value {
    json!({
        "name": profile.profile.name(),
        "speed_kmh": profile.speed_kmh,
        "impassable_edges": costs.impassable_edges(),
    })
}

/// Runs the whole `coverage` job and writes its outputs into `config.out_dir`.
///
/// `log` receives one line per finished stage. Nothing is written unless every stage
/// succeeds; then all files appear at once. With several profiles, each profile's layers
/// and `summary.json` go into `out_dir/PROFILE/`, and `out_dir/summary.json` gathers them.
///
/// # Errors
/// [`Error::Data`] for unusable input (corrupt extract, no walkable way, no facility of a
/// category unless [`CoverageConfig::allow_empty_category`], a bad register row);
/// [`Error::Io`] when the output folder cannot be written.
pub fn run_coverage(config: &CoverageConfig, log: &dyn Fn(&str)) -> Result<CoverageReport> {
    let mut stages = Stages::default();
    let mut outputs = OutputSet::new(&config.out_dir)?;
    let prepared = prepare(config, &mut stages, log)?;
    let (all_costs, hill_report) =
        walk_costs(config, &prepared.graph, &prepared.frame, &mut stages, log)?;
    let (units, located) = stages.run("units", log, || -> Result<_> {
        let units = match &config.units {
            UnitsSource::Osm {
                district_level,
                subdistrict_level,
            } => units_from_osm(&prepared.extract, *district_level, *subdistrict_level),
            UnitsSource::File { path, name_field } => units_from_file(path, name_field)?,
        };
        let located = locate_all(
            &units,
            &prepared.frame,
            &prepared.residents,
            &prepared.categories,
        );
        Ok((units, located))
    })?;
    let several = config.profiles.len() > 1;
    let mut categories = Vec::new();
    let mut per_profile = serde_json::Map::new();
    let mut profile_summaries = Vec::new();
    let mut views = None;
    for (profile, costs) in config.profiles.iter().zip(&all_costs) {
        let prefix = if several {
            format!("{}/", profile.profile.name())
        } else {
            String::new()
        };
        let (coverage, summary, profile_views) = analyse_profile(
            config,
            &prepared,
            &units,
            &located,
            profile,
            costs,
            &prefix,
            &mut stages,
            log,
            &mut outputs,
        )?;
        per_profile.insert(
            profile.profile.name().to_string(),
            json!({
                "profile": profile_json(profile, costs),
                "coverage": coverage.iter().map(|c| (c.category.clone(), serde_json::to_value(c).expect("serialisable"))).collect::<BTreeMap<_, _>>(),
            }),
        );
        categories.extend(coverage);
        profile_summaries.push((prefix, summary));
        views.get_or_insert(profile_views);
    }
    let graph_counts = prepared.graph_counts;
    let compound_counts = prepared.compound_counts;
    let read_counts = prepared.extract.counts;
    drop(prepared);
    let shared = |summary: &mut serde_json::Value| {
        summary["elevation"] = json!(hill_report);
        summary["timings_s"] = stages.to_json();
        summary["peak_memory_mib"] = json!(peak_memory_mib().map(|m| (m * 10.0).round() / 10.0));
    };
    let mut top = None;
    for (prefix, mut summary) in profile_summaries {
        shared(&mut summary);
        outputs.write(&format!("{prefix}summary.json"), |w| {
            serde_json::to_writer_pretty(&mut *w, &summary)?;
            std::io::Write::write_all(w, b"\n")
        })?;
        top.get_or_insert(summary);
    }
    let mut summary = top.expect("at least one profile");
    if several {
        // The run as a whole: shared input and counts, each profile's coverage.
        let mut index = json!({
            "tool": summary["tool"],
            "input": summary["input"],
            "parameters": summary["parameters"],
            "counts": { "osm": read_counts, "graph": graph_counts, "compounds": compound_counts },
            "profiles": per_profile,
        });
        if let Some(p) = index["parameters"].as_object_mut() {
            p.remove("profile");
        }
        index["parameters"]["profiles"] = json!(config.profiles);
        index["parameters"]["speed_kmh"] = serde_json::Value::Null;
        shared(&mut index);
        outputs.write("summary.json", |w| {
            serde_json::to_writer_pretty(&mut *w, &index)?;
            std::io::Write::write_all(w, b"\n")
        })?;
        summary = index;
    }
    let files = outputs.commit()?;
    Ok(CoverageReport {
        categories,
        summary,
        files,
        views: views.expect("at least one profile"),
    })
}

/// Routes one profile and writes its layers and planner files (styles, maps, report,
/// project; under `prefix`) through `outputs`; returns its coverage per category, its
/// `summary.json` without the run-wide fields (elevation, timings, memory), which the caller
/// adds, and what the planner files were made from.
#[allow(clippy::too_many_arguments)]
fn analyse_profile(
    config: &CoverageConfig,
    prepared: &Prepared,
    units: &crate::analysis::units::Units,
    located: &UnitPlacement,
    profile: &WalkProfile,
    costs: &WalkCosts,
    prefix: &str,
    stages: &mut Stages,
    log: &dyn Fn(&str),
    outputs: &mut OutputSet,
) -> Result<(Vec<CategoryCoverage>, serde_json::Value, CoverageViews)> {
    let Prepared {
        extract,
        input_bytes,
        input_sha256,
        frame,
        graph,
        graph_counts,
        compound_counts,
        index: _,
        residents,
        population_counts,
        categories,
        homes,
        facility_placements,
    } = prepared;
    let name = profile.profile.name();
    let stage = |base: &str| {
        if prefix.is_empty() {
            base.to_string()
        } else {
            format!("{base} {name}")
        }
    };
    let routing = Routing {
        threshold_s: config.threshold_min() * 60.0,
        search_limit_s: config.search_minutes.max(config.threshold_min()) * 60.0,
    };
    let bands_s: Vec<f64> = config.bands_min.iter().map(|m| m * 60.0).collect();
    let decay = Decay {
        bands_s: bands_s.clone(),
        weights: config
            .decay_weights
            .clone()
            .unwrap_or_else(|| vec![1.0; bands_s.len()]),
    };
    let population: Vec<f64> = residents.buildings.iter().map(|b| b.population).collect();
    let homes_by_edge = PointsByEdge::new(graph, homes);
    // No walk within the threshold goes farther than this: downhill is at most Tobler's
    // peak ÷ his flat speed faster.
    let downhill_max = tobler_kmh(-0.05) / tobler_kmh(0.0);
    let reach_m = costs.speed_m_s() * downhill_max * routing.threshold_s
        + config.area_buffer_m
        + config.area_cell_m;
    let outcomes: Vec<CategoryOutcome> = stages.run_named(stage("route"), log, || {
        // Categories in parallel too: one category's nearest-facility search is sequential.
        categories
            .par_iter()
            .zip(facility_placements)
            .map(|((name, facilities), placements)| {
                let home_times = nearest_facility(graph, costs, &routing, placements, homes);
                let facility_xy: Vec<Coord<f64>> = facilities
                    .iter()
                    .map(|f| frame.to_xy(f.lon, f.lat))
                    .collect();
                let served_extent =
                    snap_extent(extent_around(&facility_xy, reach_m), config.area_cell_m);
                let inputs = ReachInputs {
                    graph,
                    costs,
                    bands_s: &bands_s,
                    homes,
                    homes_by_edge: &homes_by_edge,
                    areas: Some(AreaInputs {
                        buffer_m: config.area_buffer_m,
                        cell_m: config.area_cell_m,
                        served: Some(Mutex::new(TimeGrid::covering(
                            served_extent,
                            config.area_cell_m,
                        ))),
                    }),
                };
                let reach = facility_reach(&inputs, placements, &facility_xy);
                let served_grid = inputs
                    .areas
                    .and_then(|a| a.served)
                    .map(|m| m.into_inner().expect("no panic while merging"))
                    .expect("asked for above");
                let places: Vec<f64> = facilities
                    .iter()
                    .map(|f| match f.capacity {
                        Some(c) => f64::from(c),
                        None => config
                            .default_capacity
                            .unwrap_or_else(|| default_capacity(name)),
                    })
                    .collect();
                let (ratios, access) = two_step_fca(&reach, &places, &population, &decay);
                let mut nearest_population = vec![0.0; facilities.len()];
                for (h, t) in home_times.iter().enumerate() {
                    if let Some((_, f)) = t.filter(|(s, _)| *s <= routing.threshold_s) {
                        nearest_population[f as usize] += population[h];
                    }
                }
                CategoryOutcome {
                    name: name.clone(),
                    facilities: facilities.clone(),
                    placements: placements.clone(),
                    home_times,
                    reach,
                    places,
                    ratios,
                    access,
                    nearest_population,
                    served_grid,
                }
            })
            .collect()
    });
    let indicators = stages.run_named(stage("indicators"), log, || {
        indicators(
            units,
            located,
            residents,
            &outcomes,
            &config.bands_min,
            &config.targets,
        )
    });

    let total_population = sum(population.iter().copied());
    let coverage: Vec<CategoryCoverage> = outcomes
        .iter()
        .map(|c| {
            let covered: Vec<usize> = (0..homes.len())
                .filter(|&h| c.home_times[h].is_some_and(|(t, _)| t <= routing.threshold_s))
                .collect();
            let covered_population = sum(covered.iter().map(|&h| population[h]));
            let ids_where = |pred: &dyn Fn(&Placement) -> bool| -> Vec<String> {
                c.placements
                    .iter()
                    .zip(&c.facilities)
                    .filter(|(p, _)| pred(p))
                    .map(|(_, f)| f.id.clone())
                    .collect()
            };
            CategoryCoverage {
                category: c.name.clone(),
                profile: name.to_string(),
                facilities: c.facilities.len(),
                facilities_unsnapped: ids_where(&|p| p.snap.is_none()),
                facilities_on_islands: ids_where(&|p| p.on_island),
                population: total_population,
                covered_population,
                covered_share: if total_population > 0.0 {
                    covered_population / total_population
                } else {
                    0.0
                },
                covered_buildings: covered.len(),
                covered_share_by_band: config
                    .bands_min
                    .iter()
                    .map(|&b| {
                        let within = sum((0..homes.len())
                            .filter(|&h| c.minutes(h).is_some_and(|m| m <= b))
                            .map(|h| population[h]));
                        let share = if total_population > 0.0 {
                            within / total_population
                        } else {
                            0.0
                        };
                        (layers::band_label(b), share)
                    })
                    .collect(),
                facility_types: c.facilities.iter().fold(BTreeMap::new(), |mut types, f| {
                    let kind = f.kind.as_deref().unwrap_or("(not stated)");
                    *types.entry(kind.to_string()).or_default() += 1;
                    types
                }),
            }
        })
        .collect();

    let bands_min = &config.bands_min;
    let mut written = LayersWritten::default();
    stages.run_named(stage("write"), log, || -> Result<()> {
        let file = |name: &str| format!("{prefix}{name}");
        let stats = layers::block_stats(
            residents,
            &outcomes,
            bands_min,
            config.targets.places_per_1000,
        );
        // `buildings.geojson` (over 80 % of the bytes) is rendered in parallel batches and
        // written while the served areas and gaps are drawn and the smaller layers rendered
        // in memory, keeping what the map draws: on 64× tiled liechtenstein-2015 the stage
        // went from 5.0 s to 2.2–2.9 s (single runs, 2 cores), most of it from the hole
        // assignment in `TimeGrid::polygons`.
        let io = |stem: &str| {
            let path = config.out_dir.join(file(&format!("{stem}.geojson")));
            move |e| Error::io(path, e)
        };
        let (buildings, rendered) = rayon::join(
            || {
                write_layer(
                    outputs,
                    &mut written.layers,
                    prefix,
                    "buildings",
                    residents.buildings.len(),
                    layers::building_feature(residents, homes, &outcomes, bands_min),
                )
            },
            || -> Result<Vec<RenderedLayer>> {
                let served = layers::served_areas(&outcomes, bands_min);
                Ok(vec![
                    render_layer(
                        "blocks",
                        layers::block_features(residents, &stats, &outcomes, bands_min),
                    )
                    .map_err(io("blocks"))?,
                    render_layer(
                        "facilities",
                        layers::facility_features(
                            &outcomes,
                            units,
                            located,
                            bands_min,
                            &population,
                        ),
                    )
                    .map_err(io("facilities"))?,
                    render_layer(
                        "isochrones",
                        layers::isochrone_features(&outcomes, frame, bands_min, &population),
                    )
                    .map_err(io("isochrones"))?,
                    render_layer(
                        "served",
                        layers::served_features(&served, &outcomes, frame, bands_min, &population),
                    )
                    .map_err(io("served"))?,
                    render_layer(
                        "gaps",
                        layers::gap_features(
                            residents,
                            &stats,
                            &outcomes,
                            frame,
                            config.threshold_min(),
                        ),
                    )
                    .map_err(io("gaps"))?,
                    render_layer(
                        "units",
                        layers::unit_features(units, &indicators, bands_min),
                    )
                    .map_err(io("units"))?,
                ])
            },
        );
        buildings?;
        for r in rendered? {
            outputs.write(&file(&format!("{}.geojson", r.layer.stem)), |w| {
                std::io::Write::write_all(w, &r.bytes)
            })?;
            written.map.keep(r.layer.stem, r.map);
            written.layers.push(r.layer);
        }
        outputs.write(&file("indicators.csv"), |w| {
            layers::write_indicators_csv(w, &indicators, bands_min)
        })
    })?;

    let unsnapped_homes: Vec<usize> = (0..homes.len())
        .filter(|&h| homes[h].snap.is_none())
        .collect();
    let island_homes = homes.iter().filter(|p| p.on_island).count();
    let parameters = json!({
        "facilities": match &config.facilities {
            FacilityInput::Osm(categories) => json!({
                "source": "osm",
                "categories": categories.iter().map(|c| json!({
                    "name": c.name,
                    "tags": c.tags.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>(),
                })).collect::<Vec<_>>(),
            }),
            FacilityInput::Register { path, categories, default_category } => json!({
                "source": "file", "path": path, "categories": categories, "default_category": default_category,
            }),
        },
        "minutes": config.bands_min,
        "facility_crs": config.facility_crs,
        "format": config.layer_format,
        "area_buffer_m": config.area_buffer_m,
        "default_capacity": config.default_capacity,
        "decay_weights": config.decay_weights,
        "targets": config.targets,
        "units": match &config.units {
            UnitsSource::Osm { district_level, subdistrict_level } => json!({
                "source": "osm", "district_level": district_level, "subdistrict_level": subdistrict_level,
            }),
            UnitsSource::File { path, name_field } => json!({
                "source": "file", "path": path, "name_field": name_field,
            }),
        },
        "profile": profile_json(profile, costs),
        "speed_kmh": profile.speed_kmh,
        "elevation_dir": config.elevation_dir,
        "max_snap_m": config.max_snap_m,
        "search_minutes": config.search_minutes,
        "island_max_m": ISLAND_MAX_M,
        "floor_area_per_person_m2": config.residents.floor_area_per_person_m2,
        "grid_block_m": config.residents.grid_block_m,
        "population_layer": config.population_layer.as_ref().map(|(path, field)| json!({ "path": path, "field": field })),
        "threads": rayon::current_num_threads(),
    });
    let summary = json!({
        "tool": { "name": "fifteen", "version": env!("CARGO_PKG_VERSION") },
        "input": { "path": config.input, "bytes": input_bytes, "sha256": input_sha256 },
        "parameters": parameters,
        "counts": {
            "osm": extract.counts,
            "graph": graph_counts,
            "compounds": compound_counts,
            "residents": residents.counts,
            "buildings": residents.buildings.len(),
            "blocks": residents.blocks.len(),
            "population": (total_population * 10.0).round() / 10.0,
            "buildings_unsnapped": unsnapped_homes.len(),
            "population_unsnapped": (sum(unsnapped_homes.iter().map(|&h| population[h])) * 10.0).round() / 10.0,
            "buildings_on_islands": island_homes,
            "population_layer": population_counts,
        },
        "units": {
            "districts": units.units.iter().filter(|u| u.level == UnitLevel::District).count(),
            "subdistricts": units.units.iter().filter(|u| u.level == UnitLevel::Subdistrict).count(),
            "skipped": units.skipped,
        },
        "indicators": indicators,
        "coverage": coverage.iter().map(|c| (c.category.clone(), serde_json::to_value(c).expect("serialisable"))).collect::<BTreeMap<_, _>>(),
    });
    let walks: Vec<CategoryWalks> = outcomes
        .iter()
        .map(|c| CategoryWalks {
            category: c.name.clone(),
            homes: (0..homes.len())
                .map(|h| (c.minutes(h), population[h]))
                .collect(),
        })
        .collect();
    let views = stages.run_named(stage("report"), log, || {
        finish_coverage(
            outputs,
            prefix,
            written,
            bands_min,
            &summary,
            &walks,
            config.layer_format,
        )
    })?;
    Ok((coverage, summary, views))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facilities::{FacilitySource, facility_of_kind};
    use std::cell::RefCell;

    fn typed(source: FacilitySource, kind: &str) -> Facility {
        facility_of_kind(source, Some(kind))
    }

    #[test]
    fn register_types_naming_neither_kind_are_warned_of() {
        let warnings = |facilities: Vec<Facility>| -> Vec<String> {
            let lines = RefCell::new(Vec::new());
            let log = |line: &str| lines.borrow_mut().push(line.to_string());
            warn_of_unread_types(&[("childcare".into(), facilities)], &log);
            lines.into_inner()
        };
        let file = FacilitySource::File;
        let ownership = warnings(vec![
            typed(file, "公办"),
            typed(file, "民办"),
            typed(file, "公办"),
        ]);
        assert_eq!(ownership.len(), 1, "{ownership:?}");
        assert!(ownership[0].starts_with("warning: no register type of category childcare"));
        assert!(
            ownership[0].contains("(types: 公办, 民办)"),
            "{ownership:?}"
        );
        assert!(warnings(vec![typed(file, "nursery"), typed(file, "kindergarten")]).is_empty());
        // OSM's amenity values are not a register's types.
        assert!(warnings(vec![typed(FacilitySource::Osm, "childcare")]).is_empty());
    }
}
