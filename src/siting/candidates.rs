//! Candidate sites: network points on a lattice over where people live, OSM elements whose
//! tags the planner names (buildings, nodes, areas), or the planner's own file of points.

use std::collections::BTreeSet;
use std::path::PathBuf;

use geo::{BoundingRect, Contains, Coord};

use crate::analysis::residents::{BlockSource, Residents};
use crate::analysis::service_area::point_along;
use crate::config::ISLAND_MAX_M;
use crate::error::Result;
use crate::facilities::categories::Category;
use crate::facilities::osm::tagged_elements;
use crate::facilities::register::read_register;
use crate::graph::{EdgeAccess, WalkGraph};
use crate::osm::Tags;
use crate::osm::read::OsmExtract;
use crate::spatial::{EdgeIndex, LocalFrame};

/// The `public-buildings` preset: what the policy suggests reusing for new facilities.
/// An element is a candidate when it carries any one of these tags.
pub const PUBLIC_BUILDINGS: &[(&str, &str)] = &[
    ("amenity", "community_centre"),
    ("amenity", "social_facility"),
    ("amenity", "townhall"),
    ("amenity", "public_building"),
    ("office", "government"),
    ("building", "public"),
    ("building", "civic"),
    ("building", "government"),
];

/// Default lattice spacing of grid candidates, metres.
pub const DEFAULT_SPACING_M: f64 = 100.0;

/// Where candidates come from.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub enum CandidateSource {
    /// One network point per lattice cell over where people live.
    Grid,
    /// OSM elements (nodes, buildings, other areas) carrying any of `tags`, placed as
    /// facilities are; `name` is the source's label in outputs
    /// (`public-buildings` for the preset, `tags` for `--candidate-tags`).
    Tags {
        /// Label in outputs.
        name: String,
        /// `(key, value)` pairs, any one of which makes a candidate.
        tags: Vec<(String, String)>,
    },
    /// A CSV or GeoJSON file of points, read like a facility register.
    File(PathBuf),
}

impl CandidateSource {
    /// The `public-buildings` preset.
    pub fn public_buildings() -> Self {
        CandidateSource::Tags {
            name: "public-buildings".into(),
            tags: PUBLIC_BUILDINGS
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    /// The tags the reader must keep elements of for this source (`None`: it reads none).
    pub fn read_as(&self) -> Option<Category> {
        match self {
            CandidateSource::Tags { name, tags } => Some(Category {
                name: name.clone(),
                tags: tags.clone(),
            }),
            CandidateSource::Grid | CandidateSource::File(_) => None,
        }
    }

    /// The label of this source in outputs: `grid`, the tag set's name, or `file`.
    pub fn label(&self) -> String {
        match self {
            CandidateSource::Grid => "grid".into(),
            CandidateSource::Tags { name, .. } => name.clone(),
            CandidateSource::File(_) => "file".into(),
        }
    }
}

/// One candidate site, before snapping.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// Stable id: `grid100m/X_Y` (lattice cell), `node/1` / `way/2` / `relation/3` (OSM), or
    /// the file's id (`row/N` when it has no id column).
    pub id: String,
    /// Label of the source it came from ([`CandidateSource::label`]).
    pub source: String,
    /// Name, when known.
    pub name: Option<String>,
    /// Longitude, degrees.
    pub lon: f64,
    /// Latitude, degrees.
    pub lat: f64,
    /// OSM tags (empty for grid and file candidates).
    pub tags: Tags,
}

/// What the grid source did.
#[derive(Debug, Default, Clone, Copy, serde::Serialize)]
pub struct GridCounts {
    /// Lattice cells holding a home or whose centre lies in a residential landuse block.
    pub cells: usize,
    /// Of those, cells in which no walkable point is the nearest to the cell centre.
    pub cells_without_network: usize,
}

/// The lattice cell (column, row) of `p` for `spacing_m`.
fn cell_of(p: Coord<f64>, spacing_m: f64) -> (i64, i64) {
    (
        (p.x / spacing_m).floor() as i64,
        (p.y / spacing_m).floor() as i64,
    )
}

/// Grid candidates. The lattice has square cells of `spacing_m` in the frame, aligned to the
/// frame's origin (the centre of the extract's bounding box). A cell is considered when it
/// holds the inside point of a home or its centre lies inside a `landuse=residential` block
/// with residents. Its candidate is the walkable point nearest the cell centre (preferring
/// edges off islands) when that point lies within the cell; a cell whose nearest walkable
/// point lies outside it gets none (a neighbour's candidate is then at most a cell away).
pub fn grid_candidates(
    spacing_m: f64,
    residents: &Residents,
    frame: &LocalFrame,
    graph: &WalkGraph,
    index: &EdgeIndex,
) -> (Vec<Candidate>, GridCounts) {
    let mut cells: BTreeSet<(i64, i64)> = residents
        .buildings
        .iter()
        .map(|b| cell_of(b.inside_xy, spacing_m))
        .collect();
    for block in residents
        .blocks
        .iter()
        .filter(|b| b.source == BlockSource::Landuse)
    {
        let outline = frame.project(&block.outline);
        let Some(rect) = outline.bounding_rect() else {
            continue;
        };
        let (x0, y0) = cell_of(rect.min(), spacing_m);
        let (x1, y1) = cell_of(rect.max(), spacing_m);
        for x in x0..=x1 {
            for y in y0..=y1 {
                let centre = Coord {
                    x: (x as f64 + 0.5) * spacing_m,
                    y: (y as f64 + 0.5) * spacing_m,
                };
                if outline.contains(&centre) {
                    cells.insert((x, y));
                }
            }
        }
    }
    let off_island = |e: u32| {
        let c = graph.component(graph.edge_ends(e)[0]);
        graph.component_length_m(c) >= ISLAND_MAX_M
    };
    let half = spacing_m / 2.0;
    // the farthest point of the cell from its centre, plus the frame's scale error
    let radius = half * std::f64::consts::SQRT_2 * 1.01;
    let mut counts = GridCounts {
        cells: cells.len(),
        ..GridCounts::default()
    };
    let mut out = Vec::new();
    for &(x, y) in &cells {
        let centre = Coord {
            x: (x as f64 + 0.5) * spacing_m,
            y: (y as f64 + 0.5) * spacing_m,
        };
        let landing = index
            .snap_ranked(graph, frame, centre, radius, |e| {
                (graph.edge_access(e) == EdgeAccess::Public).then(|| u8::from(!off_island(e)))
            })
            .map(|s| point_along(graph, s.edge, s.offset_m))
            .filter(|p| (p.x - centre.x).abs() <= half && (p.y - centre.y).abs() <= half);
        let Some(p) = landing else {
            counts.cells_without_network += 1;
            continue;
        };
        let (lon, lat) = frame.to_lon_lat(p);
        out.push(Candidate {
            id: format!("grid{spacing_m}m/{x}_{y}"),
            source: "grid".into(),
            name: None,
            lon,
            lat,
            tags: Vec::new(),
        });
    }
    (out, counts)
}

/// Candidates from the elements carrying any of `tags`, placed as facilities are (nodes
/// where they are, areas at a point inside, open ways at their middle node), by element id.
/// The reader must have kept them: [`CandidateSource::read_as`] names what to ask it for.
pub fn tagged_candidates(
    extract: &OsmExtract,
    label: &str,
    tags: &[(String, String)],
) -> Vec<Candidate> {
    let category = Category {
        name: label.to_string(),
        tags: tags.to_vec(),
    };
    tagged_elements(extract, &[category])
        .into_iter()
        .flatten()
        .map(|e| Candidate {
            id: e.id.to_string(),
            source: label.to_string(),
            name: crate::osm::tag(&e.tags, "name").map(str::to_string),
            lon: e.lon,
            lat: e.lat,
            tags: e.tags,
        })
        .collect()
}

/// Candidates from the planner's file (CSV or GeoJSON points, read like a register; the
/// `category` column is ignored).
///
/// # Errors
/// As [`read_register`].
pub fn file_candidates(path: &std::path::Path) -> Result<Vec<Candidate>> {
    Ok(read_register(path, "candidate")?
        .into_iter()
        .map(|f| Candidate {
            id: f.id,
            source: "file".into(),
            name: f.name,
            lon: f.lon,
            lat: f.lat,
            tags: Vec::new(),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::residents::{Block, Building, ChildrenSource, ResidentsSource};
    use crate::osm::ElementId;
    use crate::osm::rules::Judged;
    use geo::MultiPolygon;

    fn home(x: f64, y: f64) -> Building {
        Building {
            id: ElementId::way(1),
            building: "house".into(),
            judged: Judged::Tagged,
            levels: 1.0,
            footprint_m2: 100.0,
            population: 3.0,
            population_source: ResidentsSource::Estimate,
            children: 0.09,
            children_source: ChildrenSource::Share,
            footprint: MultiPolygon(vec![]),
            inside_xy: Coord { x, y },
            origin_xy: Coord { x, y },
            from_entrance: false,
            block: 0,
        }
    }

    /// A street along y = 30 from x = 0 to 1000 m, homes at x = 50 and x = 450; cells of
    /// 100 m: the homes' cells get the street point under their centre.
    #[test]
    fn one_candidate_per_cell_with_homes_at_the_street_point_nearest_its_centre() {
        let frame = LocalFrame::new(0.0, 0.0);
        let graph = WalkGraph::from_edges(
            vec![Coord { x: 0.0, y: 30.0 }, Coord { x: 1000.0, y: 30.0 }],
            &[(0, 1)],
        );
        let index = EdgeIndex::new(&graph);
        let residents = Residents {
            buildings: vec![home(50.0, 10.0), home(450.0, 90.0)],
            blocks: vec![Block {
                id: "grid/0_0".into(),
                source: BlockSource::Grid,
                outline: MultiPolygon(vec![]),
            }],
            ..Residents::default()
        };
        let (cands, counts) = grid_candidates(100.0, &residents, &frame, &graph, &index);
        assert_eq!(counts.cells, 2);
        assert_eq!(counts.cells_without_network, 0);
        let ids: Vec<&str> = cands.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["grid100m/0_0", "grid100m/4_0"]);
        let xy: Vec<Coord<f64>> = cands.iter().map(|c| frame.to_xy(c.lon, c.lat)).collect();
        assert!((xy[0].x - 50.0).abs() < 1e-3 && (xy[0].y - 30.0).abs() < 1e-3);
        assert!((xy[1].x - 450.0).abs() < 1e-3 && (xy[1].y - 30.0).abs() < 1e-3);

        // a home in a cell the street does not cross: no candidate there
        let far = Residents {
            buildings: vec![home(50.0, 250.0)],
            ..residents
        };
        let (cands, counts) = grid_candidates(100.0, &far, &frame, &graph, &index);
        assert!(cands.is_empty());
        assert_eq!((counts.cells, counts.cells_without_network), (1, 1));
    }
}
