//! The `fifteen` command: parses arguments into a configuration, runs the library, maps the
//! outcome to an exit code (0 ok, 1 bad data, 2 usage or environment).

use std::process::ExitCode;

use clap::Parser;
use fifteen::cli::{BatchArgs, Cli, Command, CoverageArgs, ServeArgs, SiteArgs, TileArgs};
use fifteen::{Error, pipeline};

/// mimalloc instead of glibc's malloc: allocation and freeing were about a sixth of the CPU
/// of a 16× tiled Liechtenstein run (features, rings and GeoJSON properties are built and
/// dropped by the million on every core).
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `println!` that ends the process quietly when stdout is closed early (`fifteen batch
/// --list | head`): a broken pipe is not an error.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write;
        if let Err(e) = writeln!(std::io::stdout().lock(), $($arg)*) {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                std::process::exit(0);
            }
            panic!("failed printing to stdout: {e}");
        }
    }};
}

/// Sets the global thread pool's size when `--threads` is given.
fn set_threads(threads: Option<usize>) -> Result<(), Error> {
    if let Some(n) = threads {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global()
            .map_err(|e| Error::Usage(format!("--threads {n}: {e}")))?;
    }
    Ok(())
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
    let config = args.options.resolve(&args.input, &args.out)?;
    set_threads(args.threads)?;
    let report = pipeline::run_coverage(&config, &stage_log(args.quiet))?;
    let several = config.profiles.len() > 1;
    for c in &report.categories {
        say!(
            "{} ({} homes covered)",
            c.result_line(&config.bands.threshold_label(), several),
            c.covered_buildings
        );
    }
    say!("wrote {}", config.out_dir.display());
    Ok(())
}

fn site(args: &SiteArgs) -> Result<(), Error> {
    let run = &args.coverage;
    let config = args.site.resolve(&run.options, &run.input, &run.out)?;
    config.category()?;
    set_threads(run.threads)?;
    let report = fifteen::siting::run_site(&config, &stage_log(run.quiet))?;
    for line in report.result_lines(&config.coverage.bands.threshold_label()) {
        say!("{line}");
    }
    say!("wrote {}", config.coverage.out_dir.display());
    Ok(())
}

fn serve(args: &ServeArgs) -> Result<(), Error> {
    let mut coverage = args.options.resolve(&args.input, &args.out)?;
    // a planner may place a category's first facility on the map
    coverage.allow_empty_category = true;
    let ip = args.bind.unwrap_or(std::net::Ipv4Addr::LOCALHOST.into());
    if !ip.is_loopback() {
        eprintln!(
            "fifteen: warning: listening on {ip}: anyone who can reach it can read the data and write scenarios into {}",
            args.out.display()
        );
    }
    let config = fifteen::serve::ServeConfig {
        coverage,
        addr: std::net::SocketAddr::new(ip, args.port),
    };
    set_threads(args.threads)?;
    let listening = |addr: std::net::SocketAddr| {
        say!("serving http://{addr}/ (Ctrl-C stops)");
    };
    fifteen::serve::run_serve(&config, &stage_log(args.quiet), &listening)?;
    say!("stopped");
    Ok(())
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
                    .command_line()
                    .map(|a| {
                        a.iter()
                            .map(|s| s.to_string_lossy().into_owned())
                            .collect::<Vec<_>>()
                            .join(" ")
                    })
                    .unwrap_or_else(|e| format!("(invalid: {e})"));
                say!("{}\t{}\tfifteen {line}", job.index + 1, job.name);
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
    let outcomes = fifteen::batch::run_batch(&manifest, &opts, &fifteen::batch::Job::resolve);
    for o in &outcomes {
        match &o.status {
            Status::Done { seconds, result } => {
                say!("{}: done in {seconds:.2} s; {}", o.name, result.join("; "))
            }
            Status::Skipped => say!("{}: skipped (unchanged)", o.name),
            Status::Failed { error } => say!("{}: FAILED: {error}", o.name),
        }
    }
    say!(
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
    say!(
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
        Command::Serve(args) => serve(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fifteen: error: {e}");
            ExitCode::from(e.exit_code() as u8)
        }
    }
}
