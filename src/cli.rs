//! The command line: what each subcommand takes, as clap parses it. The options of a run
//! are the library's own raw options ([`CoverageOptions`], [`SiteOptions`]), so a batch
//! manifest takes exactly the same keys ([`crate::batch`]); the binary only dispatches.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::config::options::CoverageOptions;
use crate::siting::options::SiteOptions;

/// `fifteen`'s arguments.
#[derive(Debug, Parser)]
#[command(
    name = "fifteen",
    version,
    about = "Which homes lie outside a 15-minute walk of a service, from an OpenStreetMap extract"
)]
pub struct Cli {
    /// The subcommand.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Walking time from every home to the nearest facility; coverage per building and block.
    Coverage(CoverageArgs),
    /// Many coverage jobs from a TOML manifest; failures are reported and the rest go on.
    Batch(BatchArgs),
    /// A city-sized extract from a real one: COLSxROWS shifted copies, border streets stitched.
    Tile(TileArgs),
    /// Where the next facilities should go: sites chosen greedily by residents newly within
    /// the threshold, until --add sites or --target-share.
    Site(SiteArgs),
    /// A what-if map in the browser: add, move or remove facilities and see coverage and
    /// the plan's indicators change at once (docs/serve.md).
    Serve(ServeArgs),
}

/// `fifteen coverage`: the input, the output folder, the run's options, threads and log.
#[derive(Debug, Args)]
pub struct CoverageArgs {
    /// OpenStreetMap extract (.osm.pbf).
    pub input: PathBuf,
    /// Output folder (created if missing).
    #[arg(long, short)]
    pub out: PathBuf,
    /// What the run computes and how.
    #[command(flatten)]
    pub options: CoverageOptions,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Print no stage timings.
    #[arg(long, short)]
    pub quiet: bool,
}

/// `fifteen serve`: the coverage options, where scenarios are saved, and where to listen.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// OpenStreetMap extract (.osm.pbf).
    pub input: PathBuf,
    /// Folder for saved scenarios and exports (created if missing); requests never read or
    /// write outside it.
    #[arg(long, short, default_value = "fifteen-serve")]
    pub out: PathBuf,
    /// The city's analysis, as `coverage` takes it.
    #[command(flatten)]
    pub options: CoverageOptions,
    /// Port to listen on (0: any free port).
    #[arg(long, default_value_t = 8015)]
    pub port: u16,
    /// Listen on this address instead of 127.0.0.1 (anyone who can reach it can read the
    /// data and write scenarios).
    #[arg(long, value_name = "ADDR")]
    pub bind: Option<std::net::IpAddr>,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Print no stage timings.
    #[arg(long, short)]
    pub quiet: bool,
}

/// `fifteen site`: the coverage arguments (existing facilities, threshold, population
/// model), plus where candidates come from and when to stop. See [`crate::siting`].
#[derive(Debug, Args)]
pub struct SiteArgs {
    /// As `coverage` takes them.
    #[command(flatten)]
    pub coverage: CoverageArgs,
    /// Candidates, stopping rule and capacity model.
    #[command(flatten)]
    pub site: SiteOptions,
}

/// `fifteen batch`: see [`crate::batch`] and docs/batch.md.
#[derive(Debug, Args)]
pub struct BatchArgs {
    /// The manifest file.
    #[arg(help = "The manifest (TOML: [defaults] and [[job]] tables)")]
    pub manifest: PathBuf,
    /// Jobs run side by side (at most the machine's cores; each gets cores / N threads).
    #[arg(long, default_value_t = 1)]
    pub jobs: usize,
    /// Redo jobs whose inputs and parameters are unchanged since their run.json.
    #[arg(long)]
    pub force: bool,
    /// Run only the I-th of N slices of the manifest (I from 1): job i (from 0, manifest
    /// order) belongs to shard i % N + 1.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
    /// List the jobs this shard would run, with their coverage command lines, and stop.
    #[arg(long)]
    pub list: bool,
    /// Plain progress lines even on a terminal.
    #[arg(long, conflicts_with = "quiet")]
    pub plain: bool,
    /// No progress; failures and the final report only.
    #[arg(long, short)]
    pub quiet: bool,
}

/// `fifteen tile`: see [`crate::tile`].
#[derive(Debug, Args)]
pub struct TileArgs {
    /// The real extract (.osm.pbf).
    pub input: PathBuf,
    /// Tiles west to east by south to north, e.g. 8x8.
    #[arg(long, value_name = "COLSxROWS")]
    pub grid: String,
    /// Output file (.osm.pbf).
    #[arg(long, short)]
    pub out: PathBuf,
    /// Space between neighbouring tiles, metres.
    #[arg(long, default_value_t = 0.0)]
    pub gap_m: f64,
    /// Walkable ways within this distance of a shared tile edge get a footway to the nearest
    /// walkable node of the neighbouring tile within it too, metres.
    #[arg(long, default_value_t = 1000.0)]
    pub stitch_m: f64,
    /// Longest such connecting footway, metres.
    #[arg(long, default_value_t = 3000.0)]
    pub max_link_m: f64,
}
