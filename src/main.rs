//! The `fifteen` command: parses arguments into a configuration, runs the library, maps the
//! outcome to an exit code (0 ok, 1 bad data, 2 usage or environment).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use fifteen::analysis::service_area::{DEFAULT_AREA_BUFFER_M, DEFAULT_AREA_CELL_M};
use fifteen::analysis::units::{DEFAULT_DISTRICT_LEVEL, DEFAULT_SUBDISTRICT_LEVEL, UnitsSource};
use fifteen::config::{
    CoverageConfig, DEFAULT_MAX_SNAP_M, DEFAULT_SEARCH_MINUTES, DEFAULT_SPEED_KMH,
    DEFAULT_TARGET_AFFORDABLE_SHARE, DEFAULT_TARGET_COVERED_SHARE, DEFAULT_TARGET_PLACES_PER_1000,
    DEFAULT_TARGET_SUBDISTRICT_SHARE, FacilityInput, Targets,
};
use fifteen::facilities::categories::Category;
use fifteen::{Error, pipeline};

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
    /// Time bands, minutes, comma-separated (e.g. 5,10,15); the largest is the threshold
    /// for "covered".
    #[arg(long, value_delimiter = ',', default_value = "15")]
    minutes: Vec<f64>,
    /// Walking speed, km/h.
    #[arg(long, default_value_t = DEFAULT_SPEED_KMH)]
    speed_kmh: f64,
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
    /// Worker threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Print no stage timings.
    #[arg(long, short)]
    quiet: bool,
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
    config.speed_kmh = positive("speed-kmh", args.speed_kmh)?;
    config.max_snap_m = positive("max-snap-m", args.max_snap_m)?;
    config.search_minutes = positive("search-minutes", args.search_minutes)?;
    config.residents.floor_area_per_person_m2 =
        positive("floor-area-per-person-m2", args.floor_area_per_person_m2)?;
    config.residents.grid_block_m = positive("grid-block-m", args.grid_block_m)?;
    config.population_layer = args
        .population
        .clone()
        .map(|path| (path, args.population_field.clone()));
    Ok(config)
}

fn coverage(args: &CoverageArgs) -> Result<(), Error> {
    let config = resolve(args)?;
    if let Some(n) = args.threads {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global()
            .map_err(|e| Error::Usage(format!("--threads {n}: {e}")))?;
    }
    let quiet = args.quiet;
    let log = move |line: &str| {
        if !quiet {
            eprintln!("fifteen: {line}");
        }
    };
    let report = pipeline::run_coverage(&config, &log)?;
    for c in &report.categories {
        println!(
            "{}: {:.1} % of {:.0} residents within {} min of {} facilities ({} homes covered)",
            c.category,
            100.0 * c.covered_share,
            c.population,
            config.threshold_min(),
            c.facilities,
            c.covered_buildings
        );
    }
    println!("wrote {}", config.out_dir.display());
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Coverage(args) => coverage(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fifteen: error: {e}");
            ExitCode::from(e.exit_code() as u8)
        }
    }
}
