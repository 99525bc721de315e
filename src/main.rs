//! The `fifteen` command: parses arguments into a configuration, runs the library, maps the
//! outcome to an exit code (0 ok, 1 bad data, 2 usage or environment).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use fifteen::analysis::service_area::{DEFAULT_AREA_BUFFER_M, DEFAULT_AREA_CELL_M};
use fifteen::analysis::units::{DEFAULT_DISTRICT_LEVEL, DEFAULT_SUBDISTRICT_LEVEL, UnitsSource};
use fifteen::config::{
    CoverageConfig, DEFAULT_MAX_SNAP_M, DEFAULT_SEARCH_MINUTES, DEFAULT_TARGET_AFFORDABLE_SHARE,
    DEFAULT_TARGET_COVERED_SHARE, DEFAULT_TARGET_PLACES_PER_1000, DEFAULT_TARGET_SUBDISTRICT_SHARE,
    DEFAULT_TARGET_TODDLER_CLASS_SHARE, FacilityInput, Targets,
};
use fifteen::facilities::categories::Category;
use fifteen::facilities::crs::FacilityCrs;
use fifteen::graph::{Profile, WalkProfile};
use fifteen::output::planner::LayerFormat;
use fifteen::{Error, pipeline};

/// mimalloc instead of glibc's malloc: allocation and freeing were about a sixth of the CPU
/// of a 16× tiled Liechtenstein run (features, rings and GeoJSON properties are built and
/// dropped by the million on every core).
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "fifteen",
    version,
    about = "Which homes lie outside a 15-minute walk of a service, from an OpenStreetMap extract"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Walking time from every home to the nearest facility; coverage per building and block.
    Coverage(CoverageArgs),
    /// Many coverage jobs from a TOML manifest; failures are reported and the rest go on.
    Batch(BatchArgs),
    /// A city-sized extract from a real one: COLSxROWS shifted copies, border streets stitched.
    Tile(TileArgs),
    /// Where the next facilities should go: sites chosen greedily by residents newly within
    /// the threshold, until --add sites or --target-share.
    Site(SiteArgs),
}

#[derive(Args)]
struct CoverageArgs {
    /// OpenStreetMap extract (.osm.pbf).
    input: PathBuf,
    /// Output folder (created if missing).
    #[arg(long, short)]
    out: PathBuf,
    /// Facility category preset (childcare, school, healthcare, pharmacy, grocery, park);
    /// repeatable. With --facilities: the register's category values to keep.
    #[arg(long = "category")]
    categories: Vec<String>,
    /// A custom category from OSM tags, 'key=value,key=value' (any one matches); named
    /// by --custom-name.
    #[arg(long)]
    facility_tags: Option<String>,
    /// Name of the --facility-tags category in outputs.
    #[arg(long, default_value = "custom")]
    custom_name: String,
    /// The planner's facility register (CSV with lon/lat columns, or GeoJSON points)
    /// instead of OSM facilities.
    #[arg(long)]
    facilities: Option<PathBuf>,
    /// Coordinate system of --facilities: wgs84, gcj02 (AMap/Gaode, Tencent) or bd09
    /// (Baidu); converted to WGS84 before snapping.
    #[arg(long, default_value = "wgs84", value_parser = parse_crs)]
    facility_crs: FacilityCrs,
    /// Time bands, minutes, comma-separated (e.g. 5,10,15); the largest is the threshold
    /// for "covered".
    #[arg(long, value_delimiter = ',', default_value = "15")]
    minutes: Vec<f64>,
    /// Walking profile: adult (4.5 km/h), stroller (4.0), older (3.6) or wheelchair (2.7);
    /// repeatable: several profiles share one read and graph, each gets its own folder.
    #[arg(long = "profile", value_parser = parse_profile)]
    profiles: Vec<Profile>,
    /// Walking speed on flat ground, km/h, instead of the profile's own (one profile only).
    #[arg(long)]
    speed_kmh: Option<f64>,
    /// Folder of SRTM tiles (N42E001.hgt or .hgt.zip): uphill and downhill by Tobler's
    /// hiking function.
    #[arg(long)]
    elevation: Option<PathBuf>,
    /// Maximum distance from a home or facility to the network, metres; farther ones are
    /// reported as unsnapped.
    #[arg(long, default_value_t = DEFAULT_MAX_SNAP_M)]
    max_snap_m: f64,
    /// Longest walk reported, minutes; homes farther away get no time (null).
    #[arg(long, default_value_t = DEFAULT_SEARCH_MINUTES)]
    search_minutes: f64,
    /// Floor area per resident in the population estimate, m².
    #[arg(long, default_value_t = 30.0)]
    floor_area_per_person_m2: f64,
    /// The planner's population layer (GeoJSON points or polygons with a residents count),
    /// replacing the footprint estimate.
    #[arg(long)]
    population: Option<PathBuf>,
    /// Property of --population holding the number of residents.
    #[arg(long, default_value = "population")]
    population_field: String,
    /// Side of the grid cells grouping homes outside residential landuse, metres.
    #[arg(long, default_value_t = 250.0)]
    grid_block_m: f64,
    /// Half-width of the service-area strips drawn along reachable streets, metres.
    #[arg(long, default_value_t = DEFAULT_AREA_BUFFER_M)]
    area_buffer_m: f64,
    /// Grid cell of the service-area polygons, metres (outlines follow cell edges).
    #[arg(long, default_value_t = DEFAULT_AREA_CELL_M)]
    area_cell_m: f64,
    /// Places assumed for a facility whose source states none (default: per category,
    /// see README).
    #[arg(long)]
    default_capacity: Option<f64>,
    /// Enhanced 2SFCA: one weight per band, comma-separated (e.g. 1,0.68,0.22 for
    /// 5,10,15 min); without it every pair within the threshold weighs 1.
    #[arg(long, value_delimiter = ',')]
    decay_weights: Option<Vec<f64>>,
    /// Target: places per 1,000 residents.
    #[arg(long, default_value_t = DEFAULT_TARGET_PLACES_PER_1000)]
    target_places_per_1000: f64,
    /// Target: share of places that are affordable.
    #[arg(long, default_value_t = DEFAULT_TARGET_AFFORDABLE_SHARE)]
    target_affordable_share: f64,
    /// Target: share of sub-districts with at least one affordable facility.
    #[arg(long, default_value_t = DEFAULT_TARGET_SUBDISTRICT_SHARE)]
    target_subdistrict_share: f64,
    /// Target: share of residents within the threshold (the plan names none; 0.9 is ours).
    #[arg(long, default_value_t = DEFAULT_TARGET_COVERED_SHARE)]
    target_covered_share: f64,
    /// Target: share of kindergartens offering toddler classes (the plan's 40 % for 2025;
    /// 30 % in 2023, 35 % in 2024).
    #[arg(long, default_value_t = DEFAULT_TARGET_TODDLER_CLASS_SHARE)]
    target_toddler_class_share: f64,
    /// OSM admin_level of districts.
    #[arg(long, default_value_t = DEFAULT_DISTRICT_LEVEL)]
    district_level: u8,
    /// OSM admin_level of sub-districts.
    #[arg(long, default_value_t = DEFAULT_SUBDISTRICT_LEVEL)]
    subdistrict_level: u8,
    /// The planner's unit polygons (GeoJSON), taken as sub-districts, instead of OSM
    /// boundaries.
    #[arg(long)]
    units: Option<PathBuf>,
    /// Property of --units holding each unit's name.
    #[arg(long, default_value = "name")]
    unit_name_field: String,
    /// Layer file format: geojson, or fgb (FlatGeobuf with a spatial index, which QGIS opens
    /// much faster at city scale); styles, project and report follow either.
    #[arg(long, default_value = "geojson", value_parser = parse_format)]
    format: LayerFormat,
    /// Worker threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Print no stage timings.
    #[arg(long, short)]
    quiet: bool,
}

/// `fifteen batch`: see `fifteen::batch` and the README.
#[derive(Args)]
struct BatchArgs {
    /// The manifest (TOML: [defaults] and [[job]] tables).
    manifest: PathBuf,
    /// Jobs run side by side (at most the machine's cores; each gets cores / N threads).
    #[arg(long, default_value_t = 1)]
    jobs: usize,
    /// Redo jobs whose inputs and parameters are unchanged since their run.json.
    #[arg(long)]
    force: bool,
    /// Run only the I-th of N slices of the manifest (I from 1): job i (from 0, manifest
    /// order) belongs to shard i % N + 1.
    #[arg(long, value_name = "I/N")]
    shard: Option<String>,
    /// List the jobs this shard would run, with their coverage command lines, and stop.
    #[arg(long)]
    list: bool,
    /// Plain progress lines even on a terminal.
    #[arg(long, conflicts_with = "quiet")]
    plain: bool,
    /// No progress; failures and the final report only.
    #[arg(long, short)]
    quiet: bool,
}

/// `fifteen tile`: see `fifteen::tile` and the README.
#[derive(Args)]
struct TileArgs {
    /// The real extract (.osm.pbf).
    input: PathBuf,
    /// Tiles west to east by south to north, e.g. 8x8.
    #[arg(long, value_name = "COLSxROWS")]
    grid: String,
    /// Output file (.osm.pbf).
    #[arg(long, short)]
    out: PathBuf,
    /// Space between neighbouring tiles, metres.
    #[arg(long, default_value_t = 0.0)]
    gap_m: f64,
    /// Walkable ways within this distance of a shared tile edge get a footway to the nearest
    /// walkable node of the neighbouring tile within it too, metres.
    #[arg(long, default_value_t = 1000.0)]
    stitch_m: f64,
    /// Longest such connecting footway, metres.
    #[arg(long, default_value_t = 3000.0)]
    max_link_m: f64,
}

/// `fifteen site`: the coverage flags (existing facilities, threshold, population model),
/// plus where candidates come from and when to stop. See `fifteen::siting` and the README.
#[derive(Args)]
struct SiteArgs {
    #[command(flatten)]
    coverage: CoverageArgs,
    /// Candidate sites: `grid` (network points on a --spacing-m lattice over where people
    /// live), `public-buildings` (the preset in the README), or a CSV/GeoJSON file of points;
    /// repeatable. Default: grid (unless --candidate-tags is given).
    #[arg(long = "candidates", value_name = "grid|public-buildings|FILE")]
    candidates: Vec<String>,
    /// Candidate OSM elements (nodes, buildings, other areas) by tags, 'key=value,key=value'
    /// (any one matches).
    #[arg(long, value_name = "k=v,...")]
    candidate_tags: Option<String>,
    /// Lattice spacing of grid candidates, metres.
    #[arg(long, default_value_t = fifteen::siting::candidates::DEFAULT_SPACING_M)]
    spacing_m: f64,
    /// Add this many sites (fewer when no candidate adds anyone).
    #[arg(long, value_name = "K")]
    add: Option<usize>,
    /// Stop once this share of residents (capacity-aware: of demand) is within the
    /// threshold, 0..=1.
    #[arg(long, value_name = "SHARE")]
    target_share: Option<f64>,
    /// Capacity-aware siting: places of each new site; a site then counts only the demand
    /// it can serve.
    #[arg(long, value_name = "PLACES")]
    site_capacity: Option<u32>,
    /// Capacity-aware: places demanded per resident, the share of residents under 3
    /// (placeholder default; give the city's figure).
    #[arg(long, default_value_t = fifteen::siting::DEFAULT_UNDER3_SHARE, requires = "site_capacity")]
    under3_share: f64,
    /// Capacity-aware: places demanded per 1,000 residents, instead of --under3-share.
    #[arg(long, conflicts_with = "under3_share", requires = "site_capacity")]
    demand_per_1000: Option<f64>,
    /// Also find the exact optimum for each number of sites (at most 30 candidates).
    #[arg(long)]
    exact: bool,
}

fn parse_crs(name: &str) -> Result<FacilityCrs, String> {
    FacilityCrs::parse(name).ok_or_else(|| format!("{name:?} is not one of wgs84, gcj02, bd09"))
}

fn parse_profile(name: &str) -> Result<Profile, String> {
    Profile::from_name(name)
        .ok_or_else(|| format!("{name:?} is not one of adult, stroller, older, wheelchair"))
}

fn parse_format(name: &str) -> Result<LayerFormat, String> {
    match name {
        "geojson" => Ok(LayerFormat::Geojson),
        "fgb" => Ok(LayerFormat::Fgb),
        _ => Err(format!("{name:?} is not one of geojson, fgb")),
    }
}

fn positive(name: &str, value: f64) -> Result<f64, Error> {
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(Error::Usage(format!(
            "--{name} must be a positive number, not {value}"
        )))
    }
}

/// Turns raw flags into a resolved configuration: the one place defaults and checks live.
fn resolve(args: &CoverageArgs) -> Result<CoverageConfig, Error> {
    let facilities = match (&args.facilities, &args.facility_tags) {
        (Some(_), Some(_)) => {
            return Err(Error::Usage(
                "--facilities and --facility-tags cannot be combined".into(),
            ));
        }
        (Some(path), None) => FacilityInput::Register {
            path: path.clone(),
            default_category: match args.categories.as_slice() {
                [one] => one.clone(),
                _ => "facility".to_string(),
            },
            categories: args.categories.clone(),
        },
        (None, tags) => {
            let mut categories = args
                .categories
                .iter()
                .map(|name| Category::preset(name))
                .collect::<Result<Vec<_>, _>>()?;
            if let Some(spec) = tags {
                categories.push(Category::custom(&args.custom_name, spec)?);
            }
            if categories.is_empty() {
                return Err(Error::Usage(
                    "name at least one --category (e.g. --category childcare), --facility-tags or --facilities".into(),
                ));
            }
            for (i, c) in categories.iter().enumerate() {
                if categories[..i].iter().any(|d| d.name == c.name) {
                    return Err(Error::Usage(format!(
                        "category {:?} is named twice",
                        c.name
                    )));
                }
            }
            FacilityInput::Osm(categories)
        }
    };
    let mut config = CoverageConfig::new(args.input.clone(), args.out.clone(), facilities);
    config.facility_crs = args.facility_crs;
    let mut bands = args
        .minutes
        .iter()
        .map(|&m| positive("minutes", m))
        .collect::<Result<Vec<_>, _>>()?;
    bands.sort_by(f64::total_cmp);
    bands.dedup();
    config.bands_min = bands;
    config.area_buffer_m = positive("area-buffer-m", args.area_buffer_m)?;
    config.area_cell_m = positive("area-cell-m", args.area_cell_m)?;
    config.default_capacity = args
        .default_capacity
        .map(|c| {
            if c.is_finite() && c >= 0.0 {
                Ok(c)
            } else {
                Err(Error::Usage(format!(
                    "--default-capacity must be ≥ 0, not {c}"
                )))
            }
        })
        .transpose()?;
    if let Some(weights) = &args.decay_weights {
        if weights.len() != config.bands_min.len() {
            return Err(Error::Usage(format!(
                "--decay-weights gives {} weights for {} bands (--minutes)",
                weights.len(),
                config.bands_min.len()
            )));
        }
        if weights.iter().any(|w| !(0.0..=1.0).contains(w)) {
            return Err(Error::Usage("--decay-weights must lie in 0..=1".into()));
        }
        config.decay_weights = Some(weights.clone());
    }
    let share = |name: &str, v: f64| {
        if (0.0..=1.0).contains(&v) {
            Ok(v)
        } else {
            Err(Error::Usage(format!(
                "--{name} is a share in 0..=1, not {v}"
            )))
        }
    };
    config.targets = Targets {
        places_per_1000: positive("target-places-per-1000", args.target_places_per_1000)?,
        affordable_share: share("target-affordable-share", args.target_affordable_share)?,
        subdistricts_with_affordable_share: share(
            "target-subdistrict-share",
            args.target_subdistrict_share,
        )?,
        covered_share: share("target-covered-share", args.target_covered_share)?,
        toddler_class_share: share(
            "target-toddler-class-share",
            args.target_toddler_class_share,
        )?,
    };
    config.units = match &args.units {
        Some(path) => UnitsSource::File {
            path: path.clone(),
            name_field: args.unit_name_field.clone(),
        },
        None => UnitsSource::Osm {
            district_level: args.district_level,
            subdistrict_level: args.subdistrict_level,
        },
    };
    let mut profiles = args.profiles.clone();
    if profiles.is_empty() {
        profiles.push(Profile::Adult);
    }
    for (i, p) in profiles.iter().enumerate() {
        if profiles[..i].contains(p) {
            return Err(Error::Usage(format!(
                "profile {:?} is named twice",
                p.name()
            )));
        }
    }
    config.profiles = profiles.into_iter().map(WalkProfile::preset).collect();
    if let Some(speed) = args.speed_kmh {
        if config.profiles.len() > 1 {
            return Err(Error::Usage(
                "--speed-kmh sets one profile's speed: give at most one --profile with it".into(),
            ));
        }
        config.profiles[0].speed_kmh = positive("speed-kmh", speed)?;
    }
    config.elevation_dir = args.elevation.clone();
    config.max_snap_m = positive("max-snap-m", args.max_snap_m)?;
    config.search_minutes = positive("search-minutes", args.search_minutes)?;
    config.residents.floor_area_per_person_m2 =
        positive("floor-area-per-person-m2", args.floor_area_per_person_m2)?;
    config.residents.grid_block_m = positive("grid-block-m", args.grid_block_m)?;
    config.population_layer = args
        .population
        .clone()
        .map(|path| (path, args.population_field.clone()));
    config.layer_format = args.format;
    Ok(config)
}

/// The pipeline's log on stderr: stage timings unless `quiet`; lines starting with
/// `warning:` always, since they say something about the results.
fn stage_log(quiet: bool) -> impl Fn(&str) {
    move |line: &str| {
        if !quiet || line.starts_with("warning:") {
            eprintln!("fifteen: {line}");
        }
    }
}

fn coverage(args: &CoverageArgs) -> Result<(), Error> {
    let config = resolve(args)?;
    if let Some(n) = args.threads {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global()
            .map_err(|e| Error::Usage(format!("--threads {n}: {e}")))?;
    }
    let log = stage_log(args.quiet);
    let report = pipeline::run_coverage(&config, &log)?;
    let several = config.profiles.len() > 1;
    for c in &report.categories {
        println!(
            "{} ({} homes covered)",
            c.result_line(config.threshold_min(), several),
            c.covered_buildings
        );
    }
    println!("wrote {}", config.out_dir.display());
    Ok(())
}

/// Resolves `site` flags: the coverage flags as `coverage` resolves them, then candidates,
/// stopping rule and capacity model.
fn resolve_site(args: &SiteArgs) -> Result<fifteen::siting::SiteConfig, Error> {
    use fifteen::siting::candidates::CandidateSource;
    use fifteen::siting::{CapacityModel, SiteConfig};
    let coverage = resolve(&args.coverage)?;
    let mut candidates = Vec::new();
    for value in &args.candidates {
        candidates.push(match value.as_str() {
            "grid" => CandidateSource::Grid,
            "public-buildings" => CandidateSource::public_buildings(),
            path => {
                let path = PathBuf::from(path);
                if !path.is_file() {
                    return Err(Error::Usage(format!(
                        "--candidates {value:?} is neither grid, public-buildings nor a file"
                    )));
                }
                CandidateSource::File(path)
            }
        });
    }
    if let Some(spec) = &args.candidate_tags {
        candidates.push(CandidateSource::Tags {
            name: "tags".into(),
            tags: Category::custom("candidate-tags", spec)
                .map_err(|e| {
                    Error::Usage(e.to_string().replace("--facility-tags", "--candidate-tags"))
                })?
                .tags,
        });
    }
    if candidates.is_empty() {
        candidates.push(CandidateSource::Grid);
    }
    for (i, c) in candidates.iter().enumerate() {
        if candidates[..i].contains(c) {
            return Err(Error::Usage(format!(
                "--candidates {} is named twice",
                c.label()
            )));
        }
    }
    if args.add.is_none() && args.target_share.is_none() {
        return Err(Error::Usage(
            "say when to stop: --add N sites and/or --target-share S (e.g. 0.95)".into(),
        ));
    }
    if let Some(t) = args.target_share
        && !(0.0..=1.0).contains(&t)
    {
        return Err(Error::Usage(format!(
            "--target-share is a share in 0..=1, not {t}"
        )));
    }
    let capacity = match args.site_capacity {
        None => None,
        Some(0) => return Err(Error::Usage("--site-capacity must be at least 1".into())),
        Some(places) => Some(match args.demand_per_1000 {
            Some(d) => CapacityModel {
                site_places: places,
                places_per_resident: positive("demand-per-1000", d)? / 1000.0,
                basis: "demand_per_1000",
            },
            None => {
                let share = args.under3_share;
                if !(share > 0.0 && share <= 1.0) {
                    return Err(Error::Usage(format!(
                        "--under3-share is a share in (0, 1], not {share}"
                    )));
                }
                CapacityModel {
                    site_places: places,
                    places_per_resident: share,
                    basis: "under3_share",
                }
            }
        }),
    };
    Ok(SiteConfig {
        coverage,
        candidates,
        spacing_m: positive("spacing-m", args.spacing_m)?,
        add: args.add,
        target_share: args.target_share,
        capacity,
        exact: args.exact,
    })
}

fn site(args: &SiteArgs) -> Result<(), Error> {
    let config = resolve_site(args)?;
    let category = config.category()?;
    if let Some(n) = args.coverage.threads {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global()
            .map_err(|e| Error::Usage(format!("--threads {n}: {e}")))?;
    }
    let log = stage_log(args.coverage.quiet);
    let report = fifteen::siting::run_site(&config, &log)?;
    let first = &report.curve[0];
    let last = report.curve.last().expect("row 0 at least");
    println!(
        "{category}: {:.1} % of residents within {} min before, {:.1} % after {} new site(s) (stopped: {})",
        100.0 * first.covered_share,
        config.coverage.threshold_min(),
        100.0 * last.covered_share,
        report.sites.len(),
        report.stopped_because
    );
    if let (Some(before), Some(after)) = (first.served_share, last.served_share) {
        println!(
            "{category}: demand served {:.1} % before, {:.1} % after",
            100.0 * before,
            100.0 * after
        );
    }
    println!("wrote {}", config.coverage.out_dir.display());
    Ok(())
}

/// Resolves a batch job exactly as `fifteen coverage` would resolve its command line.
fn resolve_job(job: &fifteen::batch::Job) -> Result<CoverageConfig, Error> {
    let args = job.coverage_args()?;
    let cli = Cli::try_parse_from(std::iter::once("fifteen".into()).chain(args)).map_err(|e| {
        let text = e.to_string();
        let first = text.lines().next().unwrap_or("invalid options").trim();
        Error::Usage(first.trim_start_matches("error: ").to_string())
    })?;
    match &cli.command {
        Command::Coverage(a) => resolve(a),
        _ => unreachable!("coverage_args starts with `coverage`"),
    }
}

/// Exit code 0 when every selected job is done or skipped, 1 when one failed, 2 when the
/// manifest cannot be used.
fn batch(args: &BatchArgs) -> Result<ExitCode, Error> {
    use fifteen::batch::{BatchOptions, Manifest, ProgressMode, Shard, Status};
    let manifest = Manifest::load(&args.manifest)?;
    let shard = args.shard.as_deref().map(Shard::parse).transpose()?;
    if args.jobs == 0 {
        return Err(Error::Usage("--jobs must be at least 1".into()));
    }
    if args.list {
        for job in &manifest.jobs {
            if shard.is_none_or(|s| s.contains(job.index)) {
                let line = job
                    .coverage_args()
                    .map(|a| {
                        a.iter()
                            .map(|s| s.to_string_lossy().into_owned())
                            .collect::<Vec<_>>()
                            .join(" ")
                    })
                    .unwrap_or_else(|e| format!("(invalid: {e})"));
                println!("{}\t{}\tfifteen {line}", job.index + 1, job.name);
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    let opts = BatchOptions {
        jobs: args.jobs,
        force: args.force,
        shard,
        progress: if args.quiet {
            ProgressMode::Quiet
        } else if args.plain {
            ProgressMode::Lines
        } else {
            ProgressMode::Auto
        },
    };
    let outcomes = fifteen::batch::run_batch(&manifest, &opts, &resolve_job);
    for o in &outcomes {
        match &o.status {
            Status::Done { seconds, result } => {
                println!("{}: done in {seconds:.2} s; {}", o.name, result.join("; "))
            }
            Status::Skipped => println!("{}: skipped (unchanged)", o.name),
            Status::Failed { error } => println!("{}: FAILED: {error}", o.name),
        }
    }
    println!(
        "{}",
        fifteen::batch::summary_line(&outcomes, manifest.jobs.len(), shard)
    );
    let (_, _, failed) = fifteen::batch::tally(&outcomes);
    Ok(if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn tile(args: &TileArgs) -> Result<(), Error> {
    let (cols, rows) = fifteen::tile::parse_grid(&args.grid)?;
    let options = fifteen::tile::TileOptions {
        cols,
        rows,
        gap_m: args.gap_m,
        stitch_m: args.stitch_m,
        max_link_m: args.max_link_m,
    };
    let report = fifteen::tile::tile_extract(&args.input, &args.out, &options)?;
    println!(
        "wrote {}: {} tiles, {} nodes, {} ways ({} connectors: {} per east edge, {} per north edge, longest {:.0} m), {} relations",
        args.out.display(),
        report.tiles,
        report.nodes,
        report.ways,
        report.connectors,
        report.connectors_per_east_edge,
        report.connectors_per_north_edge,
        report.longest_connector_m,
        report.relations
    );
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Coverage(args) => coverage(args),
        Command::Batch(args) => match batch(args) {
            Ok(code) => return code,
            Err(e) => Err(e),
        },
        Command::Tile(args) => tile(args),
        Command::Site(args) => site(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fifteen: error: {e}");
            ExitCode::from(e.exit_code() as u8)
        }
    }
}
