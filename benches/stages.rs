//! One benchmark per pipeline stage on liechtenstein-2015 (childcare), plus the whole run.
//! Each stage's inputs are built once, outside the timed closure.

use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};
use fifteen::analysis::coverage::nearest_facility;
use fifteen::analysis::placement::{PointsByEdge, place_points};
use fifteen::analysis::residents::find_residents;
use fifteen::analysis::service_area::{AreaInputs, ReachInputs, facility_reach};
use fifteen::config::{CoverageConfig, FacilityInput, ISLAND_MAX_M};
use fifteen::facilities::categories::{Category, tags_of};
use fifteen::facilities::osm::facilities_from_osm;
use fifteen::graph::{WalkCosts, WalkGraph};
use fifteen::osm::read::read_extract;
use fifteen::pipeline::run_coverage;
use fifteen::spatial::raster::{TimeGrid, snap_extent};
use fifteen::spatial::{EdgeIndex, LocalFrame};
use geo::{BoundingRect, Coord, MultiPoint};

const INPUT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/data/osm/liechtenstein-2015.osm.pbf"
);

fn stages(c: &mut Criterion) {
    let input = Path::new(INPUT);
    let categories = vec![Category::preset("childcare").expect("preset exists")];
    let config = CoverageConfig::new(
        input.to_path_buf(),
        std::path::PathBuf::new(),
        FacilityInput::Osm(categories.clone()),
    );
    let facility_tags = tags_of(&categories);
    let mut g = c.benchmark_group("liechtenstein-2015");
    // Equal iterations per sample: most stages take tens of milliseconds.
    g.sampling_mode(SamplingMode::Flat);

    g.bench_function("read_extract", |b| {
        b.iter(|| read_extract(black_box(input), &facility_tags).expect("readable"))
    });
    let extract = read_extract(input, &facility_tags).expect("readable");
    let (min_lon, min_lat, max_lon, max_lat) = extract.nodes.bounds().expect("has nodes");
    let frame = LocalFrame::new(0.5 * (min_lon + max_lon), 0.5 * (min_lat + max_lat));
    let compounds = fifteen::osm::compounds::Compounds::find(&extract, &frame);
    let foot = fifteen::osm::rules::foot_defaults(None);

    g.bench_function("graph_build", |b| {
        b.iter(|| WalkGraph::build(black_box(&extract), &frame, &compounds, foot))
    });
    let (graph, _) = WalkGraph::build(&extract, &frame, &compounds, foot);

    g.bench_function("find_residents", |b| {
        b.iter(|| find_residents(black_box(&extract), &frame, &config.residents))
    });
    let residents = find_residents(&extract, &frame, &config.residents);

    g.bench_function("facilities_from_osm", |b| {
        b.iter(|| facilities_from_osm(black_box(&extract), &categories))
    });
    let facilities = facilities_from_osm(&extract, &categories).remove(0);

    g.bench_function("edge_index", |b| {
        b.iter(|| EdgeIndex::new(black_box(&graph)))
    });
    let index = EdgeIndex::new(&graph);

    let origins: Vec<_> = residents.buildings.iter().map(|b| b.origin_xy).collect();
    let place = |points: &[_]| {
        place_points(
            &graph,
            &index,
            &frame,
            points,
            config.max_snap_m,
            ISLAND_MAX_M,
        )
    };
    g.bench_function("place_points_homes", |b| {
        b.iter(|| place(black_box(&origins)))
    });
    let homes = place(&origins);
    let facility_points: Vec<_> = facilities
        .iter()
        .map(|f| frame.to_xy(f.lon, f.lat))
        .collect();
    let placements = place(&facility_points);

    let routing = config.routing();
    let costs = WalkCosts::new(&graph, &config.profiles[0], None);
    g.bench_function("nearest_facility", |b| {
        b.iter(|| nearest_facility(&graph, &costs, &routing, black_box(&placements), &homes))
    });

    // Per-facility bounded searches (the catchments), without and with the service areas
    // and served grid the pipeline draws.
    let homes_by_edge = PointsByEdge::new(&graph, &homes);
    let bands_s = config.bands.costs_s();
    let reach_inputs = |areas| ReachInputs {
        graph: &graph,
        costs: &costs,
        bands_s: &bands_s,
        homes: &homes,
        homes_by_edge: &homes_by_edge,
        areas,
    };
    g.bench_function("facility_reach", |b| {
        let inputs = reach_inputs(None);
        b.iter(|| facility_reach(&inputs, black_box(&placements), &facility_points))
    });
    // The pipeline's served extent: facilities' box grown by the farthest reach.
    let pad = costs.speed_m_s() * routing.threshold_s + config.area_buffer_m + config.area_cell_m;
    let rect = MultiPoint::from(facility_points.clone())
        .bounding_rect()
        .expect("facilities exist");
    let served_extent = snap_extent(
        geo::Rect::new(
            rect.min() - Coord { x: pad, y: pad },
            rect.max() + Coord { x: pad, y: pad },
        ),
        config.area_cell_m,
    );
    g.bench_function("facility_reach_areas", |b| {
        b.iter(|| {
            let inputs = reach_inputs(Some(AreaInputs {
                buffer_m: config.area_buffer_m,
                cell_m: config.area_cell_m,
                served: Some(TimeGrid::covering(served_extent, config.area_cell_m).into()),
            }));
            facility_reach(&inputs, black_box(&placements), &facility_points)
        })
    });

    let out = tempfile::tempdir().expect("temp dir");
    let run_config = CoverageConfig {
        out_dir: out.path().to_path_buf(),
        ..config
    };
    // Whole runs: criterion's minimum of 10 samples, and time for them.
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(8));
    g.bench_function("run_coverage", |b| {
        b.iter(|| run_coverage(black_box(&run_config), &|_| {}).expect("run succeeds"))
    });
    g.finish();
}

criterion_group! {
    name = benches;
    // No plots: drawing them takes longer than measuring on 2 cores.
    config = Criterion::default()
        .without_plots()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    targets = stages
}
criterion_main!(benches);
