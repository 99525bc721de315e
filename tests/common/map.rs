//! Hand-made maps for fixtures: nodes placed in metres east (x) and north (y) of 10°E 45°N,
//! written as a PBF with the project's writer.

use std::path::{Path, PathBuf};

use fifteen::osm::write::{Member, MemberType, PbfWriter};

/// Metres per degree of latitude (a sphere of radius 6,371,008.8 m).
pub const METRES_PER_DEGREE_LAT: f64 = 111_195.08;

/// Tags of a fixture element.
pub type Tags = &'static [(&'static str, &'static str)];

/// Tags built at run time (relation names).
type OwnedTags = Vec<(String, String)>;

/// The map being drawn: nodes in metres, ways by node ids, relations of ways (ids count
/// from 1 in order of creation, per element kind).
#[derive(Default)]
pub struct Map {
    nodes: Vec<(f64, f64, Tags)>,
    ways: Vec<(Vec<i64>, Tags)>,
    relations: Vec<(Vec<(i64, &'static str)>, OwnedTags)>,
}

impl Map {
    /// A node at `(x_m, y_m)`; its id.
    pub fn node(&mut self, x_m: f64, y_m: f64, tags: Tags) -> i64 {
        self.nodes.push((x_m, y_m, tags));
        self.nodes.len() as i64
    }

    /// A way through `refs`; its id.
    pub fn way(&mut self, refs: Vec<i64>, tags: Tags) -> i64 {
        self.ways.push((refs, tags));
        self.ways.len() as i64
    }

    /// A closed way around the rectangle `[x0, x1] × [y0, y1]` (counter-clockwise); its id.
    pub fn rectangle(&mut self, x0: f64, y0: f64, x1: f64, y1: f64, tags: Tags) -> i64 {
        let corners = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)];
        let mut refs: Vec<i64> = corners.iter().map(|&(x, y)| self.node(x, y, &[])).collect();
        refs.push(refs[0]);
        self.way(refs, tags)
    }

    /// A relation of `(way id, role)` members; its id.
    pub fn relation(&mut self, ways: Vec<(i64, &'static str)>, tags: &[(&str, &str)]) -> i64 {
        let tags = tags
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        self.relations.push((ways, tags));
        self.relations.len() as i64
    }

    /// Writes the map as a PBF, converting metres with `lat = 45 + y / 111195.08` and
    /// `lon = 10 + x / (111195.08 · cos 45°)`.
    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        let metres_per_degree_lon = METRES_PER_DEGREE_LAT * 45f64.to_radians().cos();
        let mut writer = PbfWriter::create(path)?;
        for (id, &(x_m, y_m, tags)) in (1..).zip(&self.nodes) {
            let lon = 10.0 + x_m / metres_per_degree_lon;
            let lat = 45.0 + y_m / METRES_PER_DEGREE_LAT;
            writer.write_node(id, lon, lat, tags)?;
        }
        for (id, (refs, tags)) in (1..).zip(&self.ways) {
            writer.write_way(id, refs, tags)?;
        }
        for (id, (members, tags)) in (1..).zip(&self.relations) {
            let members: Vec<Member<'_>> = members
                .iter()
                .map(|&(way, role)| Member {
                    kind: MemberType::Way,
                    id: way,
                    role,
                })
                .collect();
            let tags: Vec<(&str, &str)> =
                tags.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            writer.write_relation(id, &members, &tags)?;
        }
        writer.finish()?;
        Ok(())
    }

    /// Writes the map into a fresh temp folder as `NAME.osm.pbf`, runs `fifteen coverage`
    /// on it with `flags` and insists it succeeds; the folder's guard and the output folder.
    pub fn run_coverage(&self, name: &str, flags: &[&str]) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let pbf = dir.path().join(format!("{name}.osm.pbf"));
        self.write(&pbf).expect("the map is written");
        let out = dir.path().join("out");
        let mut args = vec![pbf.into_os_string()];
        args.extend(flags.iter().map(Into::into));
        args.extend(["--out".into(), out.clone().into_os_string()]);
        let outcome = super::coverage(args);
        assert_eq!(outcome.code, Some(0), "stderr:\n{}", outcome.stderr);
        (dir, out)
    }
}
