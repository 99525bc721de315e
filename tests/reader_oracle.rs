//! The project's own PBF decoder against osmpbf, the reference crate, on every shared
//! extract: the same element counts, the same walkable ways with the same nodes, and the
//! same node coordinates.

mod common;

use common::shared_or_skip;
use fifteen::osm::read::read_extract;
use fifteen::osm::rules::is_walk_candidate;
use osmpbf::{Element, ElementReader};

fn extracts(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("../shared/data/osm")
        .map(|e| e.expect("an entry").path())
        .filter(|p| p.to_string_lossy().ends_with(".osm.pbf"))
        .collect();
    files.sort();
    files
}

#[test]
fn decoder_agrees_with_osmpbf_on_every_shared_extract() {
    let dir = shared_or_skip!("osm", "the real extracts to decode");
    for path in extracts(&dir) {
        let ours = read_extract(&path, &[]).expect("a readable extract");
        let (mut nodes, mut ways, mut relations) = (0usize, 0usize, 0usize);
        let mut walkable: Vec<(i64, Vec<i64>)> = Vec::new();
        let mut coords: Vec<(i64, f64, f64)> = Vec::new();
        ElementReader::from_path(&path)
            .expect("osmpbf opens it")
            .for_each(|e| match e {
                Element::Node(n) => {
                    nodes += 1;
                    coords.push((n.id(), n.lon(), n.lat()));
                }
                Element::DenseNode(n) => {
                    nodes += 1;
                    coords.push((n.id(), n.lon(), n.lat()));
                }
                Element::Way(w) => {
                    ways += 1;
                    let tags: Vec<(String, String)> = w
                        .tags()
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .collect();
                    if is_walk_candidate(&tags) {
                        walkable.push((w.id(), w.refs().collect()));
                    }
                }
                Element::Relation(_) => relations += 1,
            })
            .expect("osmpbf reads it");
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        assert_eq!(
            (ours.counts.nodes, ours.counts.ways, ours.counts.relations),
            (nodes, ways, relations),
            "{name}"
        );
        let ours_walkable: Vec<(i64, Vec<i64>)> = ours
            .walk_ways
            .iter()
            .map(|w| (w.id, w.refs.clone()))
            .collect();
        assert_eq!(ours_walkable, walkable, "{name}: walkable ways");
        // every node a walkable way uses has osmpbf's coordinates (to the file's 1e-7°)
        coords.sort_by_key(|c| c.0);
        for (_, refs) in &walkable {
            for r in refs {
                let Ok(i) = coords.binary_search_by_key(r, |c| c.0) else {
                    continue;
                };
                let (_, lon, lat) = coords[i];
                let (olon, olat) = ours
                    .nodes
                    .get(*r)
                    .unwrap_or_else(|| panic!("{name}: node/{r} kept"));
                assert!(
                    (olon - lon).abs() < 1.5e-7 && (olat - lat).abs() < 1.5e-7,
                    "{name}: node/{r}"
                );
            }
        }
        eprintln!(
            "{name}: {nodes} nodes, {ways} ways, {relations} relations, {} walkable ways agree",
            walkable.len()
        );
    }
}
