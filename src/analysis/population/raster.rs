//! A population raster's people given to homes (`--population-raster`, and the age rasters
//! of children under 3).
//!
//! Each cell's people go to the homes whose inside point lies in the cell, in proportion to
//! their floor area (footprint × levels). The people of a cell that holds no home go to the
//! nearest home's cell — to the homes there, by floor area the same way — when that home
//! is within the search distance of the cell's centre and the centre lies in the run's units
//! (any, when it has none); else they are counted as unplaced or outside, never dropped
//! silently. A home the raster does not cover (beyond its edge, or in a nodata cell) gets no
//! figure from it and keeps the one it had.

use std::collections::HashMap;
use std::path::Path;

use geo::{Coord, Point};
use rstar::RTree;
use rstar::primitives::GeomWithData;
use serde::Serialize;

use crate::analysis::residents::{Building, Residents};
use crate::error::Result;
use crate::spatial::LocalFrame;
use crate::spatial::geotiff::{RasterWindow, read_window};

/// What one raster (or several, summed) gave, for `summary.json`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RasterCounts {
    /// The files read.
    pub files: Vec<String>,
    /// Cells read (the window over the extract).
    pub cells_read: usize,
    /// People in those cells.
    pub people_in_window: f64,
    /// People given to homes in their own cell.
    pub placed_in_cell: f64,
    /// People of cells without homes given to homes within the search distance.
    pub placed_nearby: f64,
    /// People of cells with no home within the search distance.
    pub unplaced: f64,
    /// People of cells without homes whose centre lies outside every unit (a neighbour's).
    pub outside_units: f64,
    /// Homes the raster does not cover (beyond its edge or in a nodata cell): they keep the
    /// figure they had.
    pub homes_not_covered: usize,
    /// The search distance, metres.
    pub search_m: f64,
}

impl RasterCounts {
    /// Every figure of people multiplied by `weight` (an age raster's share under 3).
    pub fn weighted(mut self, weight: f64) -> Self {
        for v in [
            &mut self.people_in_window,
            &mut self.placed_in_cell,
            &mut self.placed_nearby,
            &mut self.unplaced,
            &mut self.outside_units,
        ] {
            *v *= weight;
        }
        self
    }

    /// Two rasters' counts summed.
    pub fn plus(mut self, other: &RasterCounts) -> Self {
        self.files.extend(other.files.iter().cloned());
        self.cells_read += other.cells_read;
        self.people_in_window += other.people_in_window;
        self.placed_in_cell += other.placed_in_cell;
        self.placed_nearby += other.placed_nearby;
        self.unplaced += other.unplaced;
        self.outside_units += other.outside_units;
        self.homes_not_covered = self.homes_not_covered.max(other.homes_not_covered);
        self
    }
}

/// Reads the window of `path` over the homes and gives its people to them: per home, in
/// home order, `None` for a home the raster does not cover. `in_units` says whether a frame
/// point lies in the run's units.
///
/// # Errors
/// As [`read_window`]: [`crate::Error::Data`] for an unsupported or broken GeoTIFF or one
/// that does not overlap the homes; also for a cell holding a negative or infinite count.
pub fn allocate_file(
    path: &Path,
    homes: &Homes,
    frame: &LocalFrame,
    search_m: f64,
    in_units: &dyn Fn(Coord<f64>) -> bool,
) -> Result<(Vec<Option<f64>>, RasterCounts)> {
    let bounds = bounds_of(&homes.lon_lat, frame, search_m).ok_or_else(|| {
        crate::Error::data(
            path,
            "the extract has no homes to give the raster's people to",
        )
    })?;
    let window = read_window(path, bounds)?;
    if let Some(cell) =
        (0..window.len()).find(|&c| window.value(c).is_some_and(|v| !v.is_finite() || v < 0.0))
    {
        let (cols, _) = window.size();
        return Err(crate::Error::data(
            path,
            format!(
                "cell (column {}, row {} of the window) holds {}: not a count of people",
                cell % cols,
                cell / cols,
                window.value(cell).unwrap_or_default()
            ),
        ));
    }
    let (people, mut counts) = allocate(&window, homes, frame, search_m, in_units);
    counts.files = vec![path.display().to_string()];
    Ok((people, counts))
}

/// The homes a raster's people go to: where they lie and how much floor each has (the
/// same for every raster of a run).
pub struct Homes {
    /// Inside points, lon/lat degrees.
    pub lon_lat: Vec<(f64, f64)>,
    /// Inside points, frame metres.
    pub inside_xy: Vec<Coord<f64>>,
    /// Floor area (footprint × levels), m²: the shares of a cell's people.
    pub floor_area_m2: Vec<f64>,
}

impl Homes {
    /// The homes of `residents`.
    pub fn of(residents: &Residents, frame: &LocalFrame) -> Self {
        let b = &residents.buildings;
        Homes {
            lon_lat: b.iter().map(|b| frame.to_lon_lat(b.inside_xy)).collect(),
            inside_xy: b.iter().map(|b| b.inside_xy).collect(),
            floor_area_m2: b.iter().map(Building::floor_area_m2).collect(),
        }
    }
}

/// The lon/lat box around `points` grown by `pad_m`.
fn bounds_of(points: &[(f64, f64)], frame: &LocalFrame, pad_m: f64) -> Option<geo::Rect<f64>> {
    let first = points.first()?;
    let (mut lo, mut hi) = (*first, *first);
    for &(lon, lat) in points {
        lo = (lo.0.min(lon), lo.1.min(lat));
        hi = (hi.0.max(lon), hi.1.max(lat));
    }
    let (lo_xy, hi_xy) = (frame.to_xy(lo.0, lo.1), frame.to_xy(hi.0, hi.1));
    let pad = Coord { x: pad_m, y: pad_m };
    let (lo, hi) = (frame.to_lon_lat(lo_xy - pad), frame.to_lon_lat(hi_xy + pad));
    Some(geo::Rect::new(
        Coord { x: lo.0, y: lo.1 },
        Coord { x: hi.0, y: hi.1 },
    ))
}

/// Gives each cell's people to the homes in it, by floor area (equal shares when the homes
/// have none); a cell without homes gives its people to the homes sharing a cell with the
/// home nearest its centre, if that home is within `search_m` and the centre `in_units`.
/// Per home: its people, `None` when the raster does not cover it.
pub fn allocate(
    window: &RasterWindow,
    homes: &Homes,
    frame: &LocalFrame,
    search_m: f64,
    in_units: &dyn Fn(Coord<f64>) -> bool,
) -> (Vec<Option<f64>>, RasterCounts) {
    let n = homes.lon_lat.len();
    // Covered homes grouped by cell.
    let mut group_of_cell: HashMap<usize, usize> = HashMap::new();
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut group_of_home: Vec<Option<usize>> = vec![None; n];
    for (h, &(lon, lat)) in homes.lon_lat.iter().enumerate() {
        let Some(cell) = window
            .cell_at(lon, lat)
            .filter(|&c| window.value(c).is_some())
        else {
            continue;
        };
        let group = *group_of_cell.entry(cell).or_insert_with(|| {
            groups.push(Vec::new());
            groups.len() - 1
        });
        groups[group].push(h);
        group_of_home[h] = Some(group);
    }
    let tree: RTree<GeomWithData<Point<f64>, usize>> = RTree::bulk_load(
        (0..n)
            .filter(|&h| group_of_home[h].is_some())
            .map(|h| GeomWithData::new(Point::from(homes.inside_xy[h]), h))
            .collect(),
    );
    let mut people = vec![0.0; n];
    let mut counts = RasterCounts {
        cells_read: window.len(),
        search_m,
        homes_not_covered: group_of_home.iter().filter(|g| g.is_none()).count(),
        ..RasterCounts::default()
    };
    for cell in 0..window.len() {
        let Some(value) = window.value(cell).filter(|v| *v > 0.0) else {
            continue;
        };
        counts.people_in_window += value;
        if let Some(&group) = group_of_cell.get(&cell) {
            share_out(value, &groups[group], &homes.floor_area_m2, &mut people);
            counts.placed_in_cell += value;
            continue;
        }
        let (lon, lat) = window.centre_lon_lat(cell);
        let centre = frame.to_xy(lon, lat);
        if !(centre.x.is_finite() && centre.y.is_finite()) {
            counts.unplaced += value; // a Mollweide corner off the globe
            continue;
        }
        if !in_units(centre) {
            counts.outside_units += value;
            continue;
        }
        let nearest = (tree
            .nearest_neighbor_iter_with_distance_2(&Point::from(centre))
            .next())
        .filter(|(_, d2)| *d2 <= search_m * search_m)
        .and_then(|(home, _)| group_of_home[home.data]);
        match nearest {
            Some(group) => {
                share_out(value, &groups[group], &homes.floor_area_m2, &mut people);
                counts.placed_nearby += value;
            }
            None => counts.unplaced += value,
        }
    }
    let people = (people.into_iter().zip(&group_of_home))
        .map(|(p, group)| group.map(|_| p))
        .collect();
    (people, counts)
}

/// Adds `value` to `homes` in proportion to their `weight`.
fn share_out(value: f64, homes: &[usize], weight: &[f64], out: &mut [f64]) {
    for (h, share) in shares(homes, weight) {
        out[h] += value * share;
    }
}

/// Each of `homes` with its share of their summed `weight` (equal shares when all weigh 0).
pub fn shares<'a>(
    homes: &'a [usize],
    weight: &'a [f64],
) -> impl Iterator<Item = (usize, f64)> + 'a {
    let total: f64 = homes.iter().map(|&h| weight[h]).sum();
    homes.iter().map(move |&h| {
        let share = if total > 0.0 {
            weight[h] / total
        } else {
            1.0 / homes.len() as f64
        };
        (h, share)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spatial::geotiff::tests::{Georef, wgs84_keys, write};
    use tiff::encoder::colortype::Gray32Float;
    use tiff::tags::Tag;

    /// A 2 × 2 raster of 0.01° cells from 10° E, 45.02° N: north-west 12 people, north-east
    /// 6, south-west 10 (no home in it), south-east nodata. Homes: 0 (100 m²) and 1 (300 m²)
    /// in the north-west cell, 2 (50 m²) in the north-east one, 3 beyond the raster. The
    /// south-west cell's centre (10.005° E, 45.005° N) is 616 m from home 0 (10.004° E,
    /// 45.0105° N: 79 m east–west, 611 m north–south), its nearest; home 2 is 1.1 km away.
    fn place(
        search_m: f64,
        in_units: &dyn Fn(Coord<f64>) -> bool,
    ) -> (Vec<Option<f64>>, RasterCounts) {
        let dir = tempfile::tempdir().unwrap();
        let georef = Georef {
            doubles: vec![
                (Tag::ModelPixelScaleTag, vec![0.01, 0.01, 0.0]),
                (Tag::ModelTiepointTag, vec![0.0, 0.0, 0.0, 10.0, 45.02, 0.0]),
            ],
            keys: wgs84_keys(1),
            ascii: None,
        };
        let path = write::<Gray32Float>(&dir, (2, 2), &[12.0, 6.0, 10.0, -99999.0], &georef);
        let lon_lat = [
            (10.004, 45.0105),
            (10.008, 45.018),
            (10.015, 45.012),
            (10.05, 45.05),
        ];
        let frame = LocalFrame::new(10.0, 45.0);
        let inside: Vec<Coord<f64>> = lon_lat.iter().map(|&(x, y)| frame.to_xy(x, y)).collect();
        let bounds = geo::Rect::new(Coord { x: 9.99, y: 44.99 }, Coord { x: 10.06, y: 45.06 });
        let window = read_window(&path, bounds).unwrap();
        let homes = Homes {
            lon_lat: lon_lat.to_vec(),
            inside_xy: inside,
            floor_area_m2: vec![100.0, 300.0, 50.0, 100.0],
        };
        allocate(&window, &homes, &frame, search_m, in_units)
    }

    #[test]
    fn cells_go_to_their_homes_by_floor_area() {
        // 12 as 100 : 300, 6 to home 2 alone; the south-west 10 to home 0's cell, 100 : 300;
        // home 3 lies beyond the raster and gets no figure
        let (people, counts) = place(2000.0, &|_| true);
        assert_eq!(people, [Some(3.0 + 2.5), Some(9.0 + 7.5), Some(6.0), None]);
        assert_eq!(
            (counts.placed_in_cell, counts.placed_nearby, counts.unplaced),
            (18.0, 10.0, 0.0)
        );
        assert_eq!((counts.cells_read, counts.people_in_window), (4, 28.0));
        assert_eq!(counts.homes_not_covered, 1);
    }

    #[test]
    fn people_beyond_the_search_distance_or_the_units_are_not_placed() {
        let (people, counts) = place(500.0, &|_| true);
        assert_eq!(people, [Some(3.0), Some(9.0), Some(6.0), None]);
        assert_eq!((counts.placed_nearby, counts.unplaced), (0.0, 10.0));
        // the south-west cell's centre outside every unit: its people are a neighbour's
        let (people, counts) = place(2000.0, &|p| p.y > 1000.0);
        assert_eq!(people, [Some(3.0), Some(9.0), Some(6.0), None]);
        assert_eq!((counts.outside_units, counts.unplaced), (10.0, 0.0));
    }
}
