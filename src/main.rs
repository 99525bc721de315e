//! The `fifteen` command: parses arguments into a configuration, runs the library, maps the
//! outcome to an exit code (0 ok, 1 bad data, 2 usage or environment).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use fifteen::config::{
    CoverageConfig, DEFAULT_MAX_SNAP_M, DEFAULT_MINUTES, DEFAULT_SEARCH_MINUTES, DEFAULT_SPEED_KMH,
    FacilityInput,
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
    /// Threshold for "covered", minutes.
    #[arg(long, default_value_t = DEFAULT_MINUTES)]
    minutes: f64,
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
    config.minutes = positive("minutes", args.minutes)?;
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
            config.minutes,
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
