//! The GeoTIFF reader on rasters GDAL writes (gdal-bin's `gdal_translate`, skipped without it):
//! tiled Deflate, striped LZW, predictors, integers, PixelIsPoint, Mollweide; and the rasters
//! it refuses, each named in the message.

use std::path::{Path, PathBuf};
use std::process::Command;

use fifteen::Error;
use fifteen::spatial::geotiff::{RasterCrs, RasterWindow, read_window};
use fifteen::spatial::mollweide;
use geo::{Rect, coord};

mod common;

use common::gdal_or_skip;

/// Columns and rows of the test grid.
const COLS: usize = 40;
const ROWS: usize = 24;
/// Cell size of the WGS84 grid, degrees (1/32: edges exact in binary).
const CELL_DEG: f64 = 0.03125;
/// West and north edges of the WGS84 grid, degrees: it spans 9–10.25° E, 47–47.75° N.
const WEST_DEG: f64 = 9.0;
const NORTH_DEG: f64 = 47.75;

/// What the grid holds at (`col`, `row`): people, with every 7th cell nodata.
fn expected(col: usize, row: usize) -> Option<f64> {
    let k = row * COLS + col;
    (k % 7 != 3).then_some(k as f64 * 0.5)
}

/// Writes the grid as an ASCII grid (AAIGrid) with lower-left corner (`x0`, `y0`) and `cell`.
fn ascii_grid(dir: &Path, x0: f64, y0: f64, cell: f64) -> PathBuf {
    let mut text = format!(
        "ncols {COLS}\nnrows {ROWS}\nxllcorner {x0}\nyllcorner {y0}\ncellsize {cell}\n\
         NODATA_value -99999\n"
    );
    for row in 0..ROWS {
        let line: Vec<String> = (0..COLS)
            .map(|col| expected(col, row).unwrap_or(-99999.0).to_string())
            .collect();
        text += &(line.join(" ") + "\n");
    }
    let path = dir.join("grid.asc");
    std::fs::write(&path, text).unwrap();
    path
}

/// Runs `gdal_translate <args> input output` and returns `output`.
fn translate(input: &Path, output: PathBuf, args: &[&str]) -> PathBuf {
    let status = Command::new("gdal_translate")
        .arg("-q")
        .args(args)
        .arg(input)
        .arg(&output)
        .status()
        .expect("gdal_translate runs");
    assert!(status.success(), "gdal_translate {args:?} failed");
    output
}

/// The WGS84 test grid written by GDAL with `args`.
fn wgs84(dir: &Path, name: &str, args: &[&str]) -> PathBuf {
    let asc = ascii_grid(dir, WEST_DEG, NORTH_DEG - ROWS as f64 * CELL_DEG, CELL_DEG);
    let mut all = vec!["-a_srs", "EPSG:4326", "-a_nodata", "-99999"];
    all.extend(args);
    translate(&asc, dir.join(name), &all)
}

fn rect(lon0: f64, lat0: f64, lon1: f64, lat1: f64) -> Rect<f64> {
    Rect::new(coord! { x: lon0, y: lat0 }, coord! { x: lon1, y: lat1 })
}

/// The area of the window checks: columns 9–19 and rows 8–17 of the grid.
fn area() -> Rect<f64> {
    rect(9.3, 47.2, 9.6, 47.5)
}

/// Checks a WGS84 window over [`area`] cell by cell against [`expected`].
fn check_wgs84_window(path: &Path) {
    let w = read_window(path, area()).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(
        (w.crs(), w.size()),
        (RasterCrs::Wgs84, (11, 10)),
        "{}",
        path.display()
    );
    for cell in 0..w.len() {
        let (col, row) = (9 + cell % 11, 8 + cell / 11);
        assert_eq!(
            w.value(cell),
            expected(col, row),
            "{} cell ({col}, {row})",
            path.display()
        );
        let (lon, lat) = w.centre_lon_lat(cell);
        assert!((lon - (WEST_DEG + (col as f64 + 0.5) * CELL_DEG)).abs() < 1e-9);
        assert!((lat - (NORTH_DEG - (row as f64 + 0.5) * CELL_DEG)).abs() < 1e-9);
        assert_eq!(w.cell_at(lon, lat), Some(cell));
    }
}

/// `gdal_translate` options for Float32 in 16 × 16 tiles.
const TILED_16: &[&str] = &[
    "-ot",
    "Float32",
    "-co",
    "TILED=YES",
    "-co",
    "BLOCKXSIZE=16",
    "-co",
    "BLOCKYSIZE=16",
];

#[test]
fn gdal_tiled_deflate_float32() {
    gdal_or_skip!();
    let dir = tempfile::tempdir().unwrap();
    let path = wgs84(
        dir.path(),
        "deflate.tif",
        &[TILED_16, &["-co", "COMPRESS=DEFLATE"]].concat(),
    );
    check_wgs84_window(&path);
    let predictor = [TILED_16, &["-co", "COMPRESS=DEFLATE", "-co", "PREDICTOR=3"]].concat();
    check_wgs84_window(&wgs84(dir.path(), "predictor.tif", &predictor));
}

#[test]
fn gdal_striped_lzw_and_plain() {
    gdal_or_skip!();
    let dir = tempfile::tempdir().unwrap();
    let strips = ["-ot", "Float32", "-co", "BLOCKYSIZE=5"];
    check_wgs84_window(&wgs84(
        dir.path(),
        "lzw.tif",
        &[&strips[..], &["-co", "COMPRESS=LZW"]].concat(),
    ));
    check_wgs84_window(&wgs84(dir.path(), "plain.tif", &strips));
    check_wgs84_window(&wgs84(dir.path(), "f64.tif", &["-ot", "Float64"]));
}

#[test]
fn gdal_integers_with_a_predictor() {
    gdal_or_skip!();
    let dir = tempfile::tempdir().unwrap();
    // Integer grid: the values doubled, nodata −99999 as Int32 (Int16 cannot hold it).
    let path = wgs84(
        dir.path(),
        "int.tif",
        &[
            "-ot",
            "Int32",
            "-scale",
            "0",
            "1",
            "0",
            "2",
            "-co",
            "COMPRESS=DEFLATE",
            "-co",
            "PREDICTOR=2",
        ],
    );
    let w = read_window(&path, area()).unwrap();
    for cell in 0..w.len() {
        let (col, row) = (9 + cell % 11, 8 + cell / 11);
        assert_eq!(
            w.value(cell),
            expected(col, row).map(|v| v * 2.0),
            "cell ({col}, {row})"
        );
    }
}

#[test]
fn gdal_pixel_is_point() {
    gdal_or_skip!();
    let dir = tempfile::tempdir().unwrap();
    // GDAL moves the tiepoint to the first cell's centre and writes GTRasterTypeGeoKey = 2.
    let path = wgs84(
        dir.path(),
        "point.tif",
        &["-ot", "Float32", "-mo", "AREA_OR_POINT=Point"],
    );
    check_wgs84_window(&path);
}

#[test]
fn gdal_mollweide_100m() {
    gdal_or_skip!();
    let dir = tempfile::tempdir().unwrap();
    // 100 m cells from x 740,000 m, y 5,580,000 m (Liechtenstein), ESRI:54009.
    let (west_m, north_m) = (740_000.0, 5_580_000.0);
    let asc = ascii_grid(dir.path(), west_m, north_m - ROWS as f64 * 100.0, 100.0);
    let args = [
        "-a_srs",
        "ESRI:54009",
        "-a_nodata",
        "-99999",
        "-ot",
        "Float32",
        "-co",
        "TILED=YES",
        "-co",
        "BLOCKXSIZE=16",
        "-co",
        "BLOCKYSIZE=16",
        "-co",
        "COMPRESS=DEFLATE",
    ];
    let path = translate(&asc, dir.path().join("moll.tif"), &args);
    // The WGS84 box around cells (10..20, 5..15)'s corners.
    let corners = [(10.0, 5.0), (20.0, 5.0), (10.0, 15.0), (20.0, 15.0)]
        .map(|(c, r)| mollweide::inverse(west_m + c * 100.0, north_m - r * 100.0).unwrap());
    let lon = corners.iter().map(|c| c.0);
    let lat = corners.iter().map(|c| c.1);
    let bounds = rect(
        lon.clone().fold(f64::MAX, f64::min),
        lat.clone().fold(f64::MAX, f64::min),
        lon.fold(f64::MIN, f64::max),
        lat.fold(f64::MIN, f64::max),
    );
    let w = read_window(&path, bounds).unwrap();
    assert_eq!(
        (w.crs(), w.cell_size()),
        (RasterCrs::Mollweide, (100.0, 100.0))
    );
    let (cols, rows) = w.size();
    assert!(
        (12..=14).contains(&cols) && (12..=14).contains(&rows),
        "{cols} × {rows}: the box grown by a cell"
    );
    for (col, row) in (10..20).flat_map(|c| (5..15).map(move |r| (c, r))) {
        let centre = mollweide::inverse(
            west_m + (col as f64 + 0.5) * 100.0,
            north_m - (row as f64 + 0.5) * 100.0,
        )
        .unwrap();
        let cell = w.cell_at(centre.0, centre.1).expect("inside the window");
        assert_eq!(w.value(cell), expected(col, row), "cell ({col}, {row})");
        let (lon, lat) = w.centre_lon_lat(cell);
        assert!((lon - centre.0).abs() < 1e-9 && (lat - centre.1).abs() < 1e-9);
    }
    let far = read_window(&path, rect(100.0, 10.0, 101.0, 11.0));
    assert_data_error(
        far,
        &[
            "does not overlap",
            "lon 100° … 101°",
            "raster (World Mollweide x 740000 m … 744000 m",
        ],
    );
}

/// The message of the data error `result` must be, checked to hold every one of `mentions`.
fn assert_data_error(result: Result<RasterWindow, Error>, mentions: &[&str]) {
    let message = match result {
        Err(Error::Data { message, .. }) => message,
        other => panic!("expected a data error, got {other:?}"),
    };
    for mention in mentions {
        assert!(message.contains(mention), "{mention:?} not in: {message}");
    }
    eprintln!("ok: {message}");
}

#[test]
fn gdal_rasters_the_reader_refuses() {
    gdal_or_skip!();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let whole = rect(8.0, 46.0, 11.0, 49.0);
    let jpeg = wgs84(
        d,
        "jpeg.tif",
        &["-ot", "Byte", "-scale", "-co", "COMPRESS=JPEG"],
    );
    assert_data_error(read_window(&jpeg, whole), &["Compression (259) 7 (JPEG)"]);
    let complex = wgs84(d, "complex.tif", &["-ot", "CFloat32"]);
    assert_data_error(read_window(&complex, whole), &["SampleFormat (339) 6"]);
    let two = wgs84(d, "two.tif", &["-ot", "Float32", "-b", "1", "-b", "1"]);
    assert_data_error(read_window(&two, whole), &["SamplesPerPixel (277) is 2"]);
    let plain = wgs84(d, "plain.tif", &["-ot", "Float32"]);
    let mercator = translate(&plain, d.join("mercator.tif"), &["-a_srs", "EPSG:3857"]);
    assert_data_error(
        read_window(&mercator, whole),
        &["ProjectedCSTypeGeoKey (3072) is 3857"],
    );
    let utm = translate(&plain, d.join("utm.tif"), &["-a_srs", "EPSG:32632"]);
    assert_data_error(
        read_window(&utm, whole),
        &["ProjectedCSTypeGeoKey (3072) is 32632"],
    );
    assert_data_error(
        read_window(&plain, rect(20.0, 47.0, 21.0, 48.0)),
        &[
            "does not overlap",
            "lon 20° … 21°",
            "raster (lon 9° … 10.25°, lat 47° … 47.75°)",
        ],
    );
}

#[test]
fn gdal_truncated_file_is_a_data_error() {
    gdal_or_skip!();
    let dir = tempfile::tempdir().unwrap();
    let path = wgs84(
        dir.path(),
        "whole.tif",
        &[TILED_16, &["-co", "COMPRESS=DEFLATE"]].concat(),
    );
    let bytes = std::fs::read(&path).unwrap();
    let cut = dir.path().join("cut.tif");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    assert_data_error(
        read_window(&cut, rect(8.0, 46.0, 11.0, 49.0)),
        &["tile", "truncated"],
    );
    // Cut anywhere (header, tile tables, tiles): an error, never a panic.
    for len in (0..bytes.len()).step_by(23) {
        std::fs::write(&cut, &bytes[..len]).unwrap();
        let result = read_window(&cut, rect(8.0, 46.0, 11.0, 49.0));
        assert!(
            matches!(result, Err(Error::Data { .. })),
            "{len} bytes: {result:?}"
        );
    }
}
