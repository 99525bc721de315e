//! Every polygon the tool draws is valid (OGC simple features, as geo checks it): service
//! areas, served areas, gaps. Footprints, blocks and units are the mapper's own outlines and
//! are only counted.

mod common;

use common::{coverage, read_features, shared_or_skip};
use geo::Validation;

fn invalid(features: &[serde_json::Value]) -> Vec<String> {
    features
        .iter()
        .filter_map(|f| {
            let g: geojson::Geometry = serde_json::from_value(f["geometry"].clone()).ok()?;
            let g = geo::Geometry::<f64>::try_from(g).ok()?;
            g.check_validation()
                .err()
                .map(|e| format!("{e}: {}", f["properties"]))
        })
        .collect()
}

#[test]
fn drawn_polygons_are_valid_on_liechtenstein() {
    let input = shared_or_skip!(
        "osm/liechtenstein-2015.osm.pbf",
        "a real extract's messy geometry"
    );
    let dir = tempfile::tempdir().expect("a temporary folder");
    let out = dir.path().join("out");
    let outcome = coverage([
        input.as_os_str(),
        "--category".as_ref(),
        "childcare".as_ref(),
        "--category".as_ref(),
        "park".as_ref(),
        "--minutes".as_ref(),
        "5,10,15".as_ref(),
        "--out".as_ref(),
        out.as_os_str(),
    ]);
    assert_eq!(outcome.code, Some(0), "stderr:\n{}", outcome.stderr);
    for layer in ["isochrones", "served", "gaps"] {
        let features = read_features(&out.join(format!("{layer}.geojson")));
        assert!(!features.is_empty(), "{layer} is empty");
        let bad = invalid(&features);
        assert!(
            bad.is_empty(),
            "{layer}: {} invalid of {}: {:?}",
            bad.len(),
            features.len(),
            &bad[..bad.len().min(3)]
        );
    }
    for layer in ["buildings", "blocks", "units"] {
        let features = read_features(&out.join(format!("{layer}.geojson")));
        eprintln!(
            "{layer}: {} of {} outlines invalid as mapped",
            invalid(&features).len(),
            features.len()
        );
    }
}
