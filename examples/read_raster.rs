//! Reads the window of a population GeoTIFF over a lon/lat box, `RUNS` times, and prints the
//! window, its people and the median time of one read (for `scripts/bench_raster.sh`).
//!
//! ```text
//! cargo run --release --example read_raster -- FILE.tif LON0 LAT0 LON1 LAT1 [RUNS]
//! ```

use std::path::Path;
use std::time::Instant;

use fifteen::spatial::geotiff::read_window;
use geo::{Rect, coord};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 5 {
        return Err("usage: read_raster FILE.tif LON0 LAT0 LON1 LAT1 [RUNS]".into());
    }
    let n: Vec<f64> = args[1..5]
        .iter()
        .map(|a| a.parse())
        .collect::<Result<_, _>>()?;
    let bounds = Rect::new(coord! { x: n[0], y: n[1] }, coord! { x: n[2], y: n[3] });
    let runs: usize = args.get(5).map_or(Ok(1), |r| r.parse())?;
    let mut times_ms = Vec::with_capacity(runs);
    let mut window = None;
    for _ in 0..runs.max(1) {
        let start = Instant::now();
        window = Some(read_window(Path::new(&args[0]), bounds)?);
        times_ms.push(start.elapsed().as_secs_f64() * 1e3);
    }
    times_ms.sort_by(f64::total_cmp);
    let window = window.expect("at least one run");
    let people: f64 = (0..window.len()).filter_map(|c| window.value(c)).sum();
    let (cols, rows) = window.size();
    println!(
        "window {cols} x {rows} cells, {people:.0} people, median {:.2} ms over {} runs",
        times_ms[times_ms.len() / 2],
        times_ms.len()
    );
    Ok(())
}
