//! Residents: residential buildings with a population estimate, grouped into blocks.
//!
//! A building is a home when its tags say so ([`rules::residential_by_tags`]); a plain
//! `building=yes` is assumed to be one unless it stands in a non-residential landuse area or
//! its footprint is under [`rules::MIN_ASSUMED_HOME_FOOTPRINT_M2`].
//! Population = footprint area × levels ÷ gross floor area per person: the flag's value, else
//! the country's ([`rules::COUNTRY_FLOOR_AREA`]; the country from `--country`, else the
//! extract's `admin_level=2` boundary holding most homes), else
//! [`DEFAULT_FLOOR_AREA_PER_PERSON_M2`]. Blocks are the
//! `landuse=residential` areas; a home outside all of them goes into a square grid cell, so
//! every resident lands in exactly one block.

use geo::{Area as _, BoundingRect, Contains, Coord, MultiPolygon, Point, Rect};
use rayon::prelude::*;
use rstar::primitives::GeomWithData;
use rstar::{AABB, RTree};

use crate::osm::areas::{Area, BrokenAreas, build_areas};
use crate::osm::read::{OsmExtract, is_admin_boundary};
use crate::osm::repair::{Outline, RepairCounts};
use crate::osm::rules::{self, Judged, LanduseClass};
use crate::osm::{ElementId, tag};
use crate::spatial::LocalFrame;
use crate::spatial::inside::{IndexedArea, point_inside};

/// Gross floor area per resident in the footprint estimate when neither the flag nor the
/// country table gives one, m².
pub const DEFAULT_FLOOR_AREA_PER_PERSON_M2: f64 = 30.0;
/// Side of the grid cells that hold homes outside every residential landuse area, m.
pub const DEFAULT_GRID_BLOCK_M: f64 = 250.0;

/// Parameters of the residents model.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ResidentsOptions {
    /// Gross floor area per resident, m², overriding the country's (see the module doc).
    pub floor_area_per_person_m2: Option<f64>,
    /// ISO 3166-1 alpha-2 code of the country, overriding the extract's boundary.
    pub country: Option<String>,
    /// Side of the grid cells that hold homes outside every residential landuse area, m
    /// (default 250).
    pub grid_block_m: f64,
}

impl Default for ResidentsOptions {
    fn default() -> Self {
        ResidentsOptions {
            floor_area_per_person_m2: None,
            country: None,
            grid_block_m: DEFAULT_GRID_BLOCK_M,
        }
    }
}

/// A residential building.
#[derive(Debug, Clone)]
pub struct Building {
    /// The way or relation it was mapped as.
    pub id: ElementId,
    /// Its `building` tag value.
    pub building: String,
    /// Whether its tags say it is a home or it was assumed to be one.
    pub judged: Judged,
    /// Floors used in the estimate.
    pub levels: f64,
    /// Footprint area, m².
    pub footprint_m2: f64,
    /// Residents: the footprint estimate until the population stage replaces it
    /// (`crate::analysis::population`).
    pub population: f64,
    /// Where `population` comes from.
    pub population_source: ResidentsSource,
    /// Children under 3 (the plan's demand); set by the population stage.
    pub children: f64,
    /// Where `children` comes from.
    pub children_source: ChildrenSource,
    /// Footprint in lon/lat degrees, valid by OGC rules; empty when the mapped outline was
    /// invalid beyond repair.
    pub footprint: MultiPolygon<f64>,
    /// A point inside the footprint, frame metres: what places the home in a block or unit.
    pub inside_xy: Coord<f64>,
    /// Where the walk starts, frame metres: the entrance node, else `inside_xy`.
    pub origin_xy: Coord<f64>,
    /// Whether `origin_xy` is a mapped `entrance=*` node.
    pub from_entrance: bool,
    /// Index into [`Residents::blocks`].
    pub block: u32,
}

impl Building {
    /// Floor area, m²: footprint × levels, what the estimate divides and what shares of a
    /// unit's or a raster cell's people follow.
    pub fn floor_area_m2(&self) -> f64 {
        self.footprint_m2 * self.levels
    }
}

/// Where a home's residents come from (`residents_source` in `buildings.geojson`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ResidentsSource {
    /// Footprint × levels ÷ floor area per person.
    Estimate,
    /// The estimate scaled to `--population-total`.
    EstimateScaled,
    /// The planner's population layer (`--population`).
    Layer,
    /// The layer scaled to `--population-total`.
    LayerScaled,
    /// A population raster (`--population-raster`).
    Raster,
    /// The raster scaled to `--population-total`.
    RasterScaled,
    /// Its unit's row of the census table (`--census`).
    Census,
}

impl ResidentsSource {
    /// The name outputs use (`estimate`, `raster_scaled`, `census`, …).
    pub fn label(self) -> &'static str {
        match self {
            ResidentsSource::Estimate => "estimate",
            ResidentsSource::EstimateScaled => "estimate_scaled",
            ResidentsSource::Layer => "layer",
            ResidentsSource::LayerScaled => "layer_scaled",
            ResidentsSource::Raster => "raster",
            ResidentsSource::RasterScaled => "raster_scaled",
            ResidentsSource::Census => "census",
        }
    }

    /// The same source scaled to a known total (the census is never scaled).
    pub fn scaled(self) -> Self {
        match self {
            ResidentsSource::Estimate => ResidentsSource::EstimateScaled,
            ResidentsSource::Layer => ResidentsSource::LayerScaled,
            ResidentsSource::Raster => ResidentsSource::RasterScaled,
            other => other,
        }
    }
}

/// Where a home's children under 3 come from (`children_source` in `buildings.geojson`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChildrenSource {
    /// Its unit's under-3 column of the census table.
    Census,
    /// Age rasters (`--under1-raster`, `--age1to4-raster`).
    Raster,
    /// Residents × `--under3-share`.
    Share,
}

impl ChildrenSource {
    /// The name outputs use (`census`, `raster`, `share`).
    pub fn label(self) -> &'static str {
        match self {
            ChildrenSource::Census => "census",
            ChildrenSource::Raster => "raster",
            ChildrenSource::Share => "share",
        }
    }
}

/// Where a block's outline comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BlockSource {
    /// A `landuse=residential` area.
    Landuse,
    /// A grid cell holding homes outside every such area.
    Grid,
}

/// A residential block.
#[derive(Debug, Clone)]
pub struct Block {
    /// `way/1`, `relation/2` for landuse areas, `grid/X_Y` for grid cells.
    pub id: String,
    /// Landuse area or grid cell.
    pub source: BlockSource,
    /// Outline in lon/lat degrees.
    pub outline: MultiPolygon<f64>,
}

/// Where the floor area per resident came from.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FloorAreaSource {
    /// `--floor-area-per-person-m2`.
    Flag,
    /// The country's row of [`rules::COUNTRY_FLOOR_AREA`].
    Country,
    /// [`DEFAULT_FLOOR_AREA_PER_PERSON_M2`]: no country, or one not in the table.
    #[default]
    Default,
}

/// Where the country came from.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CountrySource {
    /// `--country`.
    Flag,
    /// The extract's `admin_level=2` boundary holding most homes.
    Extract,
    /// Neither: no country.
    #[default]
    None,
}

/// Counts for the data-quality report.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct ResidentsCounts {
    /// ISO 3166-1 alpha-2 code of the country the homes are in, if known.
    pub country: Option<String>,
    /// Where `country` came from.
    pub country_source: CountrySource,
    /// Gross floor area per resident used, m².
    pub floor_area_per_person_m2: f64,
    /// Where `floor_area_per_person_m2` came from.
    pub floor_area_source: FloorAreaSource,
    /// Buildings of any kind read.
    pub buildings_read: usize,
    /// Buildings judged residential by tag.
    pub residential_tagged: usize,
    /// `building=yes` assumed residential.
    pub residential_assumed: usize,
    /// `building=yes` ruled out by a non-residential landuse area around them.
    pub ruled_out_by_landuse: usize,
    /// `building=yes` ruled out by a footprint under
    /// [`rules::MIN_ASSUMED_HOME_FOOTPRINT_M2`].
    pub ruled_out_by_size: usize,
    /// Buildings not residential by their tags.
    pub non_residential: usize,
    /// Blocks from landuse areas (holding at least one home).
    pub landuse_blocks: usize,
    /// Grid-cell blocks.
    pub grid_blocks: usize,
    /// Areas that could not be assembled, with the reason.
    pub broken_areas: BrokenAreas,
    /// Building outlines (of `buildings_read`) invalid as mapped: repaired, or not repairable
    /// (a home's outline is then left out of `buildings.geojson`; the home is kept by its
    /// inside point).
    pub building_outlines: RepairCounts,
    /// Landuse outlines invalid as mapped: repaired, or not repairable (then no block).
    pub landuse_outlines: RepairCounts,
}

/// Every home, with its block.
#[derive(Debug, Clone, Default)]
pub struct Residents {
    /// Residential buildings, in file order.
    pub buildings: Vec<Building>,
    /// Blocks holding at least one building; landuse blocks first, then grid cells.
    pub blocks: Vec<Block>,
    /// Counts for `summary.json`.
    pub counts: ResidentsCounts,
}

struct LanduseArea {
    area: Area,
    projected: MultiPolygon<f64>,
    area_m2: f64,
}

/// What one building area turned out to be.
enum BuildingLook {
    /// Its tags say it is no home.
    NotResidential,
    /// Its footprint has no inside point.
    Degenerate,
    /// A plain `building=yes` inside a non-residential landuse area.
    RuledOut,
    /// A plain `building=yes` too small to be a home.
    TooSmall,
    /// A home: how it was judged, a point inside it (frame metres), its footprint (m²) and
    /// levels, and the residential landuse area holding it (index), if any.
    Home {
        judged: Judged,
        inside: Coord<f64>,
        footprint_m2: f64,
        levels: f64,
        block_area: Option<usize>,
    },
}

/// Finds the homes in `extract` and groups them into blocks.
pub fn find_residents(
    extract: &OsmExtract,
    frame: &LocalFrame,
    options: &ResidentsOptions,
) -> Residents {
    let (areas, broken_areas) = build_areas(extract, |tags| {
        tag(tags, "building").is_some() || rules::landuse_class(tags).is_some()
    });
    let mut counts = ResidentsCounts {
        broken_areas,
        ..ResidentsCounts::default()
    };
    let (mut landuse, mut building_areas) = (Vec::new(), Vec::new());
    for area in areas {
        if tag(&area.tags, "building").is_some() {
            building_areas.push(area);
        } else if let Some(class) = rules::landuse_class(&area.tags) {
            counts.landuse_outlines.count(&area.outline);
            if matches!(area.outline, Outline::Unrepairable(_)) {
                continue;
            }
            let projected = frame.project(&area.polygon);
            let area_m2 = projected.unsigned_area();
            landuse.push((
                class,
                LanduseArea {
                    area,
                    projected,
                    area_m2,
                },
            ));
        }
    }
    let index = |class: LanduseClass| -> RTree<GeomWithData<Rect<f64>, usize>> {
        RTree::bulk_load(
            landuse
                .iter()
                .enumerate()
                .filter(|(_, (c, _))| *c == class)
                .filter_map(|(i, (_, l))| {
                    l.projected.bounding_rect().map(|r| GeomWithData::new(r, i))
                })
                .collect(),
        )
    };
    let residential_index = index(LanduseClass::Residential);
    let excluding_index = index(LanduseClass::NonResidential);
    let containing = |tree: &RTree<GeomWithData<Rect<f64>, usize>>, p: Coord<f64>| -> Vec<usize> {
        let mut hits: Vec<usize> = tree
            .locate_in_envelope_intersecting(&AABB::from_point(Point::from(p)))
            .map(|g| g.data)
            .filter(|&i| landuse[i].1.projected.contains(&p))
            .collect();
        hits.sort_unstable();
        hits
    };

    // What each building area is, worked out on every core; numbered below in file order.
    let looks: Vec<BuildingLook> = building_areas
        .par_iter()
        .map(|area| {
            let Some(judged) = rules::residential_by_tags(&area.tags) else {
                return BuildingLook::NotResidential;
            };
            let projected = frame.project(&area.polygon);
            let Some(inside) = point_inside(&projected) else {
                return BuildingLook::Degenerate;
            };
            // the frame's east–west scale is the extract centre's: taken back to the
            // building's own latitude, so its area (and the size rule) does not depend on
            // where the extract is centred
            let footprint_m2 = projected.unsigned_area() / frame.east_west_stretch(inside);
            if judged == Judged::Assumed && !containing(&excluding_index, inside).is_empty() {
                return BuildingLook::RuledOut;
            }
            if judged == Judged::Assumed && footprint_m2 < rules::MIN_ASSUMED_HOME_FOOTPRINT_M2 {
                return BuildingLook::TooSmall;
            }
            // The most specific residential area holds the building: smallest area, then
            // lowest index.
            let block_area = containing(&residential_index, inside)
                .into_iter()
                .min_by(|&a, &b| {
                    landuse[a]
                        .1
                        .area_m2
                        .total_cmp(&landuse[b].1.area_m2)
                        .then(a.cmp(&b))
                });
            BuildingLook::Home {
                judged,
                inside,
                footprint_m2,
                levels: rules::levels(&area.tags),
                block_area,
            }
        })
        .collect();

    let mut residents = Residents::default();
    let mut landuse_block: Vec<Option<u32>> = vec![None; landuse.len()];
    let mut grid_cells: Vec<((i64, i64), usize)> = Vec::new();
    for (area, look) in building_areas.into_iter().zip(looks) {
        counts.buildings_read += 1;
        counts.building_outlines.count(&area.outline);
        let (judged, inside, footprint_m2, levels, block_area) = match look {
            BuildingLook::NotResidential => {
                counts.non_residential += 1;
                continue;
            }
            BuildingLook::Degenerate => {
                counts
                    .broken_areas
                    .skipped
                    .push(format!("{}: degenerate footprint", area.id));
                continue;
            }
            BuildingLook::RuledOut => {
                counts.ruled_out_by_landuse += 1;
                continue;
            }
            BuildingLook::TooSmall => {
                counts.ruled_out_by_size += 1;
                continue;
            }
            BuildingLook::Home {
                judged,
                inside,
                footprint_m2,
                levels,
                block_area,
            } => (judged, inside, footprint_m2, levels, block_area),
        };
        match judged {
            Judged::Tagged => counts.residential_tagged += 1,
            Judged::Assumed => counts.residential_assumed += 1,
        }
        let block = match block_area {
            Some(i) => *landuse_block[i].get_or_insert_with(|| {
                residents.blocks.push(Block {
                    id: landuse[i].1.area.id.to_string(),
                    source: BlockSource::Landuse,
                    outline: landuse[i].1.area.polygon.clone(),
                });
                residents.blocks.len() as u32 - 1
            }),
            None => {
                let cell = (
                    (inside.x / options.grid_block_m).floor() as i64,
                    (inside.y / options.grid_block_m).floor() as i64,
                );
                grid_cells.push((cell, residents.buildings.len()));
                u32::MAX // set below, once landuse blocks are all numbered
            }
        };
        let (origin_xy, from_entrance) = match area.entrance {
            Some((lon, lat)) => (frame.to_xy(lon, lat), true),
            None => (inside, false),
        };
        residents.buildings.push(Building {
            id: area.id,
            building: tag(&area.tags, "building").unwrap_or("yes").to_string(),
            judged,
            levels,
            footprint_m2,
            population: footprint_m2 * levels, // floor area, m²: divided below
            population_source: ResidentsSource::Estimate,
            children: 0.0,
            children_source: ChildrenSource::Share,
            footprint: match area.outline {
                Outline::Unrepairable(_) => MultiPolygon(Vec::new()),
                Outline::Valid | Outline::Repaired(_) => area.polygon,
            },
            inside_xy: inside,
            origin_xy,
            from_entrance,
            block,
        });
    }
    counts.landuse_blocks = residents.blocks.len();

    // Grid blocks, numbered in cell order so output is deterministic.
    grid_cells.sort_unstable();
    for cell_run in grid_cells.chunk_by(|a, b| a.0 == b.0) {
        let (x, y) = cell_run[0].0;
        let side = options.grid_block_m;
        let corner = |dx: i64, dy: i64| {
            let (lon, lat) = frame.to_lon_lat(Coord {
                x: (x + dx) as f64 * side,
                y: (y + dy) as f64 * side,
            });
            Coord { x: lon, y: lat }
        };
        let ring = vec![
            corner(0, 0),
            corner(1, 0),
            corner(1, 1),
            corner(0, 1),
            corner(0, 0),
        ];
        residents.blocks.push(Block {
            id: format!("grid/{x}_{y}"),
            source: BlockSource::Grid,
            outline: MultiPolygon(vec![geo::Polygon::new(geo::LineString(ring), vec![])]),
        });
        let block = residents.blocks.len() as u32 - 1;
        for &(_, b) in cell_run {
            residents.buildings[b].block = block;
        }
    }
    counts.grid_blocks = residents.blocks.len() - counts.landuse_blocks;

    (counts.country, counts.country_source) = match &options.country {
        Some(code) => (Some(code.to_ascii_uppercase()), CountrySource::Flag),
        None => match country_of_homes(extract, frame, &residents.buildings) {
            Some(code) => (Some(code), CountrySource::Extract),
            None => (None, CountrySource::None),
        },
    };
    let by_country = counts
        .country
        .as_deref()
        .and_then(rules::country_floor_area);
    (counts.floor_area_per_person_m2, counts.floor_area_source) =
        match (options.floor_area_per_person_m2, by_country) {
            (Some(m2), _) => (m2, FloorAreaSource::Flag),
            (None, Some(row)) => (row.gross_m2(), FloorAreaSource::Country),
            (None, None) => (DEFAULT_FLOOR_AREA_PER_PERSON_M2, FloorAreaSource::Default),
        };
    for b in &mut residents.buildings {
        b.population /= counts.floor_area_per_person_m2;
    }
    residents.counts = counts;
    residents
}

/// The ISO code of the extract's country boundary (`admin_level=2`, see
/// [`rules::country_code`]) holding most homes; ties go to the smaller code. Boundaries the
/// extract holds only in part (a neighbour's, cut at the extract's edge) do not assemble and
/// take no part. `None` when no boundary holds a home.
fn country_of_homes(
    extract: &OsmExtract,
    frame: &LocalFrame,
    homes: &[Building],
) -> Option<String> {
    let (areas, _) = build_areas(extract, |tags| {
        is_admin_boundary(tags) && rules::country_code(tags).is_some()
    });
    areas
        .iter()
        .filter(|a| !matches!(a.outline, Outline::Unrepairable(_)))
        .filter_map(|a| {
            let code = rules::country_code(&a.tags)?;
            let projected = frame.project(&a.polygon);
            let bounds = projected.bounding_rect()?;
            let area = IndexedArea::new(&projected);
            let held = homes
                .iter()
                .filter(|h| {
                    let p = h.inside_xy;
                    (bounds.min().x..=bounds.max().x).contains(&p.x)
                        && (bounds.min().y..=bounds.max().y).contains(&p.y)
                        && area.contains(p)
                })
                .count();
            (held > 0).then_some((held, code))
        })
        .max_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)))
        .map(|(_, code)| code)
}
