//! Hills: heights from SRTM tiles, sampled along every edge, turned by Tobler's hiking
//! function into how much longer each edge takes uphill and downhill than on the flat.
//!
//! # Tiles
//! An SRTM tile `N42E001.hgt` covers latitudes 42–43° N and longitudes 1–2° E: a square grid
//! of big-endian `i16` heights in metres, rows from north to south, 1,201 × 1,201 (3 arc-
//! seconds, ~90 m) or 3,601 × 3,601 (1 arc-second, ~30 m); −32,768 marks a void. Tiles are
//! read from `NAME.hgt` or `NAME.hgt.zip` (the `.hgt` inside the zip).
//!
//! # Tobler
//! W = 6·exp(−3.5·|s + 0.05|) km/h on a slope s = dh/dx (Tobler 1993): 6 km/h at its peak on a
//! 5 % descent, 5.04 km/h on the flat. It is scaled so that flat ground gives the profile's own
//! speed: a piece of slope s takes W(0) / W(s) times its flat time.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use geo::Coord;

use super::LocalFrame;
use crate::error::{Error, Result};
use crate::graph::WalkGraph;
use crate::hashing::sha256_of_bytes;

/// Longest piece of an edge given one slope, metres (a third of a 1″ cell, a tenth of a 3″ one).
pub const SAMPLE_M: f64 = 10.0;

/// Tobler's hiking function: walking speed on slope `grade` (rise ÷ run), km/h.
pub fn tobler_kmh(grade: f64) -> f64 {
    6.0 * (-3.5 * (grade + 0.05).abs()).exp()
}

/// Time on slope `grade` ÷ time on the flat, by Tobler's function.
pub fn tobler_time_factor(grade: f64) -> f64 {
    tobler_kmh(0.0) / tobler_kmh(grade)
}

/// The name of the tile whose south-west corner is at (`lat0`, `lon0`), e.g. `N42E001`.
pub fn tile_name(lat0: i32, lon0: i32) -> String {
    format!(
        "{}{:02}{}{:03}",
        if lat0 < 0 { 'S' } else { 'N' },
        lat0.unsigned_abs(),
        if lon0 < 0 { 'W' } else { 'E' },
        lon0.unsigned_abs()
    )
}

/// The file names the tile `name` (see [`tile_name`]) is looked for under, in order.
pub fn tile_files(name: &str) -> [String; 4] {
    let lower = name.to_lowercase();
    [
        format!("{name}.hgt"),
        format!("{name}.hgt.zip"),
        format!("{lower}.hgt"),
        format!("{lower}.hgt.zip"),
    ]
}

/// One SRTM tile in memory.
#[derive(Debug, Clone)]
pub struct Tile {
    lat0: i32,
    lon0: i32,
    size: usize,
    heights_m: Vec<i16>,
}

/// The void marker of SRTM.
const VOID: i16 = -32768;

impl Tile {
    /// A tile from its raw bytes (big-endian `i16`, 1,201² or 3,601² of them).
    ///
    /// # Errors
    /// [`Error::Data`] when the size is neither.
    pub fn from_bytes(path: &Path, lat0: i32, lon0: i32, bytes: &[u8]) -> Result<Tile> {
        let size = match bytes.len() {
            n if n == 2 * 1201 * 1201 => 1201,
            n if n == 2 * 3601 * 3601 => 3601,
            n => {
                return Err(Error::data(
                    path,
                    format!(
                        "{n} bytes: an SRTM tile holds 1201 × 1201 (3″) or 3601 × 3601 (1″) \
                         2-byte heights"
                    ),
                ));
            }
        };
        let heights_m = bytes
            .chunks_exact(2)
            .map(|b| i16::from_be_bytes([b[0], b[1]]))
            .collect();
        Ok(Tile {
            lat0,
            lon0,
            size,
            heights_m,
        })
    }

    /// Reads `NAME.hgt` or `NAME.hgt.zip`; also returns the SHA-256 of the file's bytes as
    /// read (what a batch records, so a tile replaced later is not taken for the one read).
    ///
    /// # Errors
    /// [`Error::Io`] when the file cannot be read, [`Error::Data`] when it is no tile.
    pub fn read(path: &Path, lat0: i32, lon0: i32) -> Result<(Tile, String)> {
        let file = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        let sha256 = sha256_of_bytes(&file);
        let bytes = if path.extension().is_some_and(|e| e == "zip") {
            let mut archive = zip::ZipArchive::new(std::io::Cursor::new(&file))
                .map_err(|e| Error::data(path, format!("not a readable zip file: {e}")))?;
            let index = (0..archive.len())
                .find(|&i| {
                    archive
                        .name_for_index(i)
                        .and_then(|n| n.ok())
                        .is_some_and(|n| n.to_ascii_lowercase().ends_with(".hgt"))
                })
                .ok_or_else(|| Error::data(path, "the zip file holds no .hgt file"))?;
            let mut entry = archive
                .by_index(index)
                .map_err(|e| Error::data(path, format!("cannot read the .hgt inside: {e}")))?;
            let mut bytes = Vec::new();
            entry
                .read_to_end(&mut bytes)
                .map_err(|e| Error::data(path, format!("cannot inflate the .hgt inside: {e}")))?;
            bytes
        } else {
            file
        };
        Ok((Tile::from_bytes(path, lat0, lon0, &bytes)?, sha256))
    }

    /// Height at (`lon`, `lat`) inside the tile, metres, interpolated bilinearly between the
    /// four grid points around it; `None` when one of them is a void.
    pub fn height_m(&self, lon: f64, lat: f64) -> Option<f64> {
        let last = (self.size - 1) as f64;
        let row = ((f64::from(self.lat0) + 1.0 - lat) * last).clamp(0.0, last);
        let col = ((lon - f64::from(self.lon0)) * last).clamp(0.0, last);
        let (r0, c0) = (
            (row.floor() as usize).min(self.size - 2),
            (col.floor() as usize).min(self.size - 2),
        );
        let (fr, fc) = (row - r0 as f64, col - c0 as f64);
        let at = |r: usize, c: usize| {
            let h = self.heights_m[r * self.size + c];
            (h != VOID).then_some(f64::from(h))
        };
        let (h00, h01) = (at(r0, c0)?, at(r0, c0 + 1)?);
        let (h10, h11) = (at(r0 + 1, c0)?, at(r0 + 1, c0 + 1)?);
        let top = h00 + fc * (h01 - h00);
        let bottom = h10 + fc * (h11 - h10);
        Some(top + fr * (bottom - top))
    }
}

/// What the run did with heights, for `summary.json`.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct HillReport {
    /// The tile folder.
    pub dir: PathBuf,
    /// Tiles read (file names).
    pub tiles_used: Vec<String>,
    /// SHA-256 of each tile read, by file name, of the bytes as read.
    pub tiles_sha256: BTreeMap<String, String>,
    /// Tiles the network needs that the folder lacks (names without extension).
    pub tiles_missing: Vec<String>,
    /// Edges given slopes.
    pub edges_with_heights: usize,
    /// Edges walked as flat because a tile they cross is missing.
    pub edges_flat_missing_tile: usize,
    /// Edges walked as flat because a height they need is a void.
    pub edges_flat_void: usize,
}

/// Per edge: time uphill and downhill ÷ time on the flat, and the report.
#[derive(Debug, Clone)]
pub struct Hills {
    /// Per edge `[forward, backward]` time factors (1 where heights are unknown).
    pub factors: Vec<[f32; 2]>,
    /// What was read and what was missing.
    pub report: HillReport,
}

/// Heights along `points` (lon, lat), or why there are none.
enum Profile {
    Heights(Vec<f64>),
    MissingTile,
    Void,
}

/// Reads the tiles `graph` needs from `dir` and computes every edge's hill factors.
///
/// # Errors
/// [`Error::Usage`] when `dir` is not a folder; [`Error::Io`] / [`Error::Data`] for a tile
/// that cannot be read.
pub fn hill_factors(dir: &Path, graph: &WalkGraph, frame: &LocalFrame) -> Result<Hills> {
    if !dir.is_dir() {
        return Err(Error::Usage(format!(
            "--elevation {}: not a folder of SRTM tiles",
            dir.display()
        )));
    }
    // Sample points of every edge (frame metres) and their distance along it.
    let samples: Vec<Vec<(Coord<f64>, f64)>> = (0..graph.edge_count() as u32)
        .map(|e| sample_points(graph.edge_geometry(e), graph.edge_cumulative_m(e)))
        .collect();
    let lon_lat = |p: Coord<f64>| frame.to_lon_lat(p);
    let key = |(lon, lat): (f64, f64)| (lat.floor() as i32, lon.floor() as i32);
    let mut needed: BTreeMap<(i32, i32), Option<Tile>> = BTreeMap::new();
    for points in &samples {
        for &(p, _) in points {
            needed.entry(key(lon_lat(p))).or_insert(None);
        }
    }
    let mut report = HillReport {
        dir: dir.to_path_buf(),
        ..HillReport::default()
    };
    for (&(lat0, lon0), slot) in needed.iter_mut() {
        let name = tile_name(lat0, lon0);
        let found = tile_files(&name)
            .into_iter()
            .find(|f| dir.join(f).is_file());
        match found {
            Some(file) => {
                let (tile, sha256) = Tile::read(&dir.join(&file), lat0, lon0)?;
                *slot = Some(tile);
                report.tiles_sha256.insert(file.clone(), sha256);
                report.tiles_used.push(file);
            }
            None => report.tiles_missing.push(name),
        }
    }
    let factors = samples
        .iter()
        .map(|points| {
            let heights = points.iter().try_fold(Vec::new(), |mut hs, &(p, _)| {
                let ll = lon_lat(p);
                let Some(tile) = needed[&key(ll)].as_ref() else {
                    return Err(Profile::MissingTile);
                };
                hs.push(tile.height_m(ll.0, ll.1).ok_or(Profile::Void)?);
                Ok(hs)
            });
            match heights.map(Profile::Heights).unwrap_or_else(|p| p) {
                Profile::Heights(hs) => {
                    report.edges_with_heights += 1;
                    edge_factors(points, &hs)
                }
                Profile::MissingTile => {
                    report.edges_flat_missing_tile += 1;
                    [1.0, 1.0]
                }
                Profile::Void => {
                    report.edges_flat_void += 1;
                    [1.0, 1.0]
                }
            }
        })
        .collect();
    Ok(Hills { factors, report })
}

/// The edge's geometry points and points between them no more than [`SAMPLE_M`] apart, each
/// with its distance along the edge.
fn sample_points(geom: &[Coord<f64>], cum_m: &[f32]) -> Vec<(Coord<f64>, f64)> {
    let mut out = vec![(geom[0], 0.0)];
    for (w, c) in geom.windows(2).zip(cum_m.windows(2)) {
        let (c0, c1) = (f64::from(c[0]), f64::from(c[1]));
        let pieces = ((c1 - c0) / SAMPLE_M).ceil().max(1.0) as usize;
        for k in 1..=pieces {
            let t = k as f64 / pieces as f64;
            let p = Coord {
                x: w[0].x + t * (w[1].x - w[0].x),
                y: w[0].y + t * (w[1].y - w[0].y),
            };
            out.push((p, c0 + t * (c1 - c0)));
        }
    }
    out
}

/// Forward and backward time factors of an edge sampled at `points` with `heights_m`.
fn edge_factors(points: &[(Coord<f64>, f64)], heights_m: &[f64]) -> [f32; 2] {
    let (mut flat, mut forward, mut backward) = (0.0, 0.0, 0.0);
    for (p, h) in points.windows(2).zip(heights_m.windows(2)) {
        let run_m = p[1].1 - p[0].1;
        if run_m <= 0.0 {
            continue;
        }
        let grade = (h[1] - h[0]) / run_m;
        flat += run_m;
        forward += run_m * tobler_time_factor(grade);
        backward += run_m * tobler_time_factor(-grade);
    }
    if flat > 0.0 {
        [(forward / flat) as f32, (backward / flat) as f32]
    } else {
        [1.0, 1.0]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Tobler (1993)'s published figures: 6 km/h at the peak, on a 5 % descent; about
    /// 5.04 km/h on the flat; the same on a 10 % descent; about 4.2 km/h up 5 %.
    #[test]
    fn tobler_published_values() {
        assert!((tobler_kmh(-0.05) - 6.0).abs() < 1e-12);
        assert!((tobler_kmh(0.0) - 5.036).abs() < 1e-3);
        assert!((tobler_kmh(-0.10) - tobler_kmh(0.0)).abs() < 1e-12);
        assert!((tobler_kmh(0.05) - 4.228).abs() < 1e-3);
        // speeds fall on either side of the peak
        assert!(tobler_kmh(0.2) < tobler_kmh(0.05) && tobler_kmh(-0.3) < tobler_kmh(-0.1));
        assert!((tobler_time_factor(0.0) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn tile_names() {
        assert_eq!(tile_name(42, 1), "N42E001");
        assert_eq!(tile_name(-5, -72), "S05W072");
        assert_eq!(tile_name(0, -1), "N00W001");
    }

    /// A 3″ tile rising 1 m per column eastwards: bilinear heights between grid points,
    /// voids refused.
    #[test]
    fn bilinear_heights_and_voids() {
        let n = 1201usize;
        let mut bytes = Vec::with_capacity(2 * n * n);
        for r in 0..n {
            for c in 0..n {
                let h: i16 = if r == 10 && c == 10 { VOID } else { c as i16 };
                bytes.extend_from_slice(&h.to_be_bytes());
            }
        }
        let tile = Tile::from_bytes(Path::new("t.hgt"), 42, 1, &bytes).unwrap();
        let step = 1.0 / 1200.0;
        // halfway between columns 100 and 101, on row 600
        let h = tile
            .height_m(1.0 + 100.5 * step, 43.0 - 600.0 * step)
            .unwrap();
        assert!((h - 100.5).abs() < 1e-6, "{h}");
        // next to the void
        assert_eq!(tile.height_m(1.0 + 10.5 * step, 43.0 - 10.5 * step), None);
        assert!(Tile::from_bytes(Path::new("t.hgt"), 42, 1, &bytes[..100]).is_err());
    }

    /// A 100 m edge rising 5 m: uphill takes W(0)/W(0.05) times, downhill W(0)/W(−0.05).
    #[test]
    fn slope_factors_by_hand() {
        let points: Vec<(Coord<f64>, f64)> = (0..=10)
            .map(|i| {
                (
                    Coord {
                        x: 10.0 * f64::from(i),
                        y: 0.0,
                    },
                    10.0 * f64::from(i),
                )
            })
            .collect();
        let heights: Vec<f64> = (0..=10).map(|i| 0.5 * f64::from(i)).collect();
        let [up, down] = edge_factors(&points, &heights);
        assert!((f64::from(up) - 5.036_38 / 4.228_04).abs() < 1e-4, "{up}");
        assert!((f64::from(down) - 5.036_38 / 6.0).abs() < 1e-4, "{down}");
    }
}
