//! A minimal OpenStreetMap PBF writer, used to build test and sample extracts.
//!
//! The protobuf messages of `fileformat.proto` and `osmformat.proto` are encoded by hand:
//! one `OSMHeader` blob, then `OSMData` blobs of zlib-compressed primitive blocks holding
//! dense nodes, ways or relations (one kind per block, at most [`MAX_BLOCK_ELEMENTS`] each).
//! Element metadata (version, timestamp, user) is not written.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use flate2::Compression;
use flate2::write::ZlibEncoder;

/// Most elements one primitive block holds (osmium's default).
pub const MAX_BLOCK_ELEMENTS: usize = 8_000;

/// Nanodegrees per coordinate unit: coordinates are stored in 1e-7 degrees.
const GRANULARITY: i64 = 100;
/// Largest uncompressed blob the format allows.
const MAX_BLOB_BYTES: usize = 32 * 1024 * 1024;

/// Kind of a relation member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberType {
    /// A node member.
    Node,
    /// A way member.
    Way,
    /// A relation member.
    Relation,
}

/// One relation member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Member<'a> {
    /// What the member is.
    pub kind: MemberType,
    /// The member's OSM id.
    pub id: i64,
    /// The member's role, e.g. `outer`; may be empty.
    pub role: &'a str,
}

/// Element kinds in the order a file holds them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Section {
    Nodes,
    Ways,
    Relations,
}

/// One primitive block being filled.
struct Block {
    strings: Vec<String>,
    string_ids: HashMap<String, u32>,
    elements: usize,
    node_ids: Vec<i64>,
    node_lats: Vec<i64>,
    node_lons: Vec<i64>,
    node_keys_vals: Vec<u64>,
    /// Encoded `ways` or `relations` fields of the primitive group.
    group: Vec<u8>,
}

impl Block {
    fn new() -> Self {
        Block {
            strings: vec![String::new()],
            string_ids: HashMap::new(),
            elements: 0,
            node_ids: Vec::new(),
            node_lats: Vec::new(),
            node_lons: Vec::new(),
            node_keys_vals: Vec::new(),
            group: Vec::new(),
        }
    }

    /// The string's index; index 0 stays unused, as dense nodes end their tags with it.
    fn string_id(&mut self, s: &str) -> u32 {
        if let Some(&id) = self.string_ids.get(s) {
            return id;
        }
        let id = self.strings.len() as u32;
        self.strings.push(s.to_owned());
        self.string_ids.insert(s.to_owned(), id);
        id
    }

    /// Encodes the keys and values fields (2 and 3) of a way or relation.
    fn put_tags(&mut self, msg: &mut Vec<u8>, tags: &[(&str, &str)]) {
        let keys: Vec<u64> = tags.iter().map(|(k, _)| self.string_id(k).into()).collect();
        let vals: Vec<u64> = tags.iter().map(|(_, v)| self.string_id(v).into()).collect();
        put_packed(msg, 2, keys);
        put_packed(msg, 3, vals);
    }

    /// Encodes the whole `PrimitiveBlock` message.
    fn encode(&self, section: Section) -> Vec<u8> {
        let mut group = Vec::new();
        if section == Section::Nodes {
            let mut dense = Vec::new();
            put_packed(&mut dense, 1, deltas(&self.node_ids).map(zigzag));
            put_packed(&mut dense, 8, deltas(&self.node_lats).map(zigzag));
            put_packed(&mut dense, 9, deltas(&self.node_lons).map(zigzag));
            if self.node_keys_vals.iter().any(|&sid| sid != 0) {
                put_packed(&mut dense, 10, self.node_keys_vals.iter().copied());
            }
            put_bytes(&mut group, 2, &dense);
        } else {
            group.extend_from_slice(&self.group);
        }
        let mut table = Vec::new();
        for s in &self.strings {
            put_bytes(&mut table, 1, s.as_bytes());
        }
        let mut block = Vec::new();
        put_bytes(&mut block, 1, &table);
        put_bytes(&mut block, 2, &group);
        put_varint_field(&mut block, 17, GRANULARITY as u64);
        block
    }
}

/// Streams OSM elements into a PBF file; nodes, then ways, then relations (sorted by type then id,
/// the order osmium writes). Blocks hold at most 8,000 elements.
///
/// The writer enforces the type order; callers keep ids ascending within a type. Call
/// [`PbfWriter::finish`] to write the last block.
pub struct PbfWriter<W: Write> {
    inner: W,
    section: Section,
    block: Block,
}

impl PbfWriter<BufWriter<File>> {
    /// Creates (or truncates) the file at `path` and writes the header.
    pub fn create(path: impl AsRef<Path>) -> io::Result<Self> {
        PbfWriter::new(BufWriter::new(File::create(path)?))
    }
}

impl<W: Write> PbfWriter<W> {
    /// Writes the header (without a bounding box) to `inner`.
    pub fn new(inner: W) -> io::Result<Self> {
        PbfWriter::start(inner, None)
    }

    /// Writes the header with a bounding box in degrees to `inner`.
    pub fn with_bbox(
        inner: W,
        min_lon: f64,
        min_lat: f64,
        max_lon: f64,
        max_lat: f64,
    ) -> io::Result<Self> {
        let nano = |deg: f64| (deg * 1e9).round() as i64;
        let bbox = [nano(min_lon), nano(max_lon), nano(max_lat), nano(min_lat)];
        PbfWriter::start(inner, Some(bbox))
    }

    /// `bbox_nano` is `[left, right, top, bottom]` in nanodegrees.
    fn start(inner: W, bbox_nano: Option<[i64; 4]>) -> io::Result<Self> {
        let mut header = Vec::new();
        if let Some(sides) = bbox_nano {
            let mut bbox = Vec::new();
            for (field, side) in (1..).zip(sides) {
                put_varint_field(&mut bbox, field, zigzag(side));
            }
            put_bytes(&mut header, 1, &bbox);
        }
        put_bytes(&mut header, 4, b"OsmSchema-V0.6");
        put_bytes(&mut header, 4, b"DenseNodes");
        put_bytes(&mut header, 16, b"fifteen");
        let mut writer = PbfWriter {
            inner,
            section: Section::Nodes,
            block: Block::new(),
        };
        writer.write_blob("OSMHeader", &header)?;
        Ok(writer)
    }

    /// Writes a node; coordinates are in degrees, rounded to 1e-7.
    pub fn write_node(
        &mut self,
        id: i64,
        lon: f64,
        lat: f64,
        tags: &[(&str, &str)],
    ) -> io::Result<()> {
        let lon_units = coordinate_units(lon, 180.0)?;
        let lat_units = coordinate_units(lat, 90.0)?;
        self.enter(Section::Nodes)?;
        let block = &mut self.block;
        block.node_ids.push(id);
        block.node_lons.push(lon_units);
        block.node_lats.push(lat_units);
        for (k, v) in tags {
            let (k, v) = (block.string_id(k), block.string_id(v));
            block.node_keys_vals.extend([u64::from(k), u64::from(v)]);
        }
        block.node_keys_vals.push(0);
        block.elements += 1;
        Ok(())
    }

    /// Writes a way through the nodes `refs`.
    pub fn write_way(&mut self, id: i64, refs: &[i64], tags: &[(&str, &str)]) -> io::Result<()> {
        self.enter(Section::Ways)?;
        let mut way = Vec::new();
        put_varint_field(&mut way, 1, id as u64);
        self.block.put_tags(&mut way, tags);
        put_packed(&mut way, 8, deltas(refs).map(zigzag));
        put_bytes(&mut self.block.group, 3, &way);
        self.block.elements += 1;
        Ok(())
    }

    /// Writes a relation with its members in order.
    pub fn write_relation(
        &mut self,
        id: i64,
        members: &[Member<'_>],
        tags: &[(&str, &str)],
    ) -> io::Result<()> {
        self.enter(Section::Relations)?;
        let block = &mut self.block;
        let mut relation = Vec::new();
        put_varint_field(&mut relation, 1, id as u64);
        block.put_tags(&mut relation, tags);
        let roles: Vec<u64> = members
            .iter()
            .map(|m| block.string_id(m.role).into())
            .collect();
        let ids: Vec<i64> = members.iter().map(|m| m.id).collect();
        let types = members.iter().map(|m| match m.kind {
            MemberType::Node => 0,
            MemberType::Way => 1,
            MemberType::Relation => 2,
        });
        put_packed(&mut relation, 8, roles);
        put_packed(&mut relation, 9, deltas(&ids).map(zigzag));
        put_packed(&mut relation, 10, types);
        put_bytes(&mut block.group, 4, &relation);
        block.elements += 1;
        Ok(())
    }

    /// Writes the last block, flushes and returns the inner writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.flush_block()?;
        self.inner.flush()?;
        Ok(self.inner)
    }

    /// Moves to `section`, starting a new block when the kind changes or the block is full.
    fn enter(&mut self, section: Section) -> io::Result<()> {
        if section < self.section {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{section:?} must be written before {:?}", self.section),
            ));
        }
        if section != self.section || self.block.elements == MAX_BLOCK_ELEMENTS {
            self.flush_block()?;
            self.section = section;
        }
        Ok(())
    }

    fn flush_block(&mut self) -> io::Result<()> {
        if self.block.elements == 0 {
            return Ok(());
        }
        let data = self.block.encode(self.section);
        self.block = Block::new();
        self.write_blob("OSMData", &data)
    }

    /// Writes the big-endian header length, the `BlobHeader` and the zlib `Blob`.
    fn write_blob(&mut self, kind: &str, data: &[u8]) -> io::Result<()> {
        if data.len() > MAX_BLOB_BYTES {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("block of {} bytes exceeds the PBF limit", data.len()),
            ));
        }
        let mut zlib = ZlibEncoder::new(Vec::new(), Compression::default());
        zlib.write_all(data)?;
        let mut blob = Vec::new();
        put_varint_field(&mut blob, 2, data.len() as u64);
        put_bytes(&mut blob, 3, &zlib.finish()?);
        let mut header = Vec::new();
        put_bytes(&mut header, 1, kind.as_bytes());
        put_varint_field(&mut header, 3, blob.len() as u64);
        self.inner.write_all(&(header.len() as u32).to_be_bytes())?;
        self.inner.write_all(&header)?;
        self.inner.write_all(&blob)
    }
}

/// Converts degrees to 1e-7 degree units, rejecting values outside `±limit_deg`.
fn coordinate_units(deg: f64, limit_deg: f64) -> io::Result<i64> {
    if !(-limit_deg..=limit_deg).contains(&deg) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("coordinate {deg} outside ±{limit_deg}°"),
        ));
    }
    Ok((deg * 1e7).round() as i64)
}

/// Differences between consecutive values, the first taken from 0.
fn deltas(values: &[i64]) -> impl Iterator<Item = i64> + '_ {
    let previous = std::iter::once(0).chain(values.iter().copied());
    values.iter().zip(previous).map(|(v, p)| v.wrapping_sub(p))
}

/// Protobuf `sint64` encoding.
fn zigzag(n: i64) -> u64 {
    ((n << 1) ^ (n >> 63)) as u64
}

fn put_varint(buf: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        buf.push((n as u8) | 0x80);
        n >>= 7;
    }
    buf.push(n as u8);
}

/// A field of wire type 0 (varint).
fn put_varint_field(buf: &mut Vec<u8>, field: u32, n: u64) {
    put_varint(buf, u64::from(field) << 3);
    put_varint(buf, n);
}

/// A field of wire type 2 (length-delimited).
fn put_bytes(buf: &mut Vec<u8>, field: u32, bytes: &[u8]) {
    put_varint(buf, (u64::from(field) << 3) | 2);
    put_varint(buf, bytes.len() as u64);
    buf.extend_from_slice(bytes);
}

/// A packed repeated varint field; nothing when `values` is empty.
fn put_packed(buf: &mut Vec<u8>, field: u32, values: impl IntoIterator<Item = u64>) {
    let mut packed = Vec::new();
    for v in values {
        put_varint(&mut packed, v);
    }
    if !packed.is_empty() {
        put_bytes(buf, field, &packed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use osmpbf::{BlobDecode, BlobReader, Element, ElementReader, RelMemberType};

    type TagList = Vec<(String, String)>;
    /// `(type, id, role)` of each member.
    type Members = Vec<(RelMemberType, i64, String)>;

    /// Everything read back from a file, in file order.
    #[derive(Debug, Default, PartialEq)]
    struct Contents {
        /// `(id, lon_units, lat_units, tags)`.
        nodes: Vec<(i64, i64, i64, TagList)>,
        ways: Vec<(i64, Vec<i64>, TagList)>,
        relations: Vec<(i64, Members, TagList)>,
    }

    fn owned<'a>(tags: impl Iterator<Item = (&'a str, &'a str)>) -> TagList {
        tags.map(|(k, v)| (k.to_owned(), v.to_owned())).collect()
    }

    fn read(bytes: &[u8]) -> Contents {
        let mut contents = Contents::default();
        ElementReader::new(bytes)
            .for_each(|element| match element {
                Element::DenseNode(n) => {
                    assert_eq!(n.nano_lon() % 100, 0);
                    assert_eq!(n.nano_lat() % 100, 0);
                    contents.nodes.push((
                        n.id(),
                        n.nano_lon() / 100,
                        n.nano_lat() / 100,
                        owned(n.tags()),
                    ));
                }
                Element::Node(_) => panic!("nodes must be dense"),
                Element::Way(w) => {
                    contents
                        .ways
                        .push((w.id(), w.refs().collect(), owned(w.tags())))
                }
                Element::Relation(r) => {
                    let members = r
                        .members()
                        .map(|m| (m.member_type.clone(), m.member_id, m.role().unwrap().into()))
                        .collect();
                    contents.relations.push((r.id(), members, owned(r.tags())));
                }
            })
            .unwrap();
        contents
    }

    fn tags(pairs: &[(&str, &str)]) -> TagList {
        owned(pairs.iter().copied())
    }

    #[test]
    fn elements_round_trip_exactly() {
        let mut w = PbfWriter::new(Vec::new()).unwrap();
        w.write_node(-7, 10.123_456_74, 45.000_000_06, &[]).unwrap();
        w.write_node(-3, -179.999_999_9, -89.5, &[("entrance", "main")])
            .unwrap();
        w.write_node(0, 0.0, 0.0, &[]).unwrap();
        w.write_node(
            1 << 40,
            180.0,
            90.0,
            &[("name", "Kita Süd"), ("", ""), ("note", "")],
        )
        .unwrap();
        w.write_way(-2, &[-7, -3, 0, -7], &[("highway", "footway")])
            .unwrap();
        w.write_way(5, &[1 << 40, 0], &[]).unwrap();
        let members = [
            Member {
                kind: MemberType::Way,
                id: 5,
                role: "outer",
            },
            Member {
                kind: MemberType::Way,
                id: -2,
                role: "inner",
            },
            Member {
                kind: MemberType::Node,
                id: -3,
                role: "",
            },
            Member {
                kind: MemberType::Relation,
                id: 9,
                role: "subarea",
            },
        ];
        w.write_relation(-1, &members, &[("type", "multipolygon")])
            .unwrap();
        w.write_relation(9, &[], &[]).unwrap();
        let bytes = w.finish().unwrap();

        let expected = Contents {
            nodes: vec![
                (-7, 101_234_567, 450_000_001, vec![]),
                (
                    -3,
                    -1_799_999_999,
                    -895_000_000,
                    tags(&[("entrance", "main")]),
                ),
                (0, 0, 0, vec![]),
                (
                    1 << 40,
                    1_800_000_000,
                    900_000_000,
                    tags(&[("name", "Kita Süd"), ("", ""), ("note", "")]),
                ),
            ],
            ways: vec![
                (-2, vec![-7, -3, 0, -7], tags(&[("highway", "footway")])),
                (5, vec![1 << 40, 0], vec![]),
            ],
            relations: vec![
                (
                    -1,
                    vec![
                        (RelMemberType::Way, 5, "outer".into()),
                        (RelMemberType::Way, -2, "inner".into()),
                        (RelMemberType::Node, -3, String::new()),
                        (RelMemberType::Relation, 9, "subarea".into()),
                    ],
                    tags(&[("type", "multipolygon")]),
                ),
                (9, vec![], vec![]),
            ],
        };
        assert_eq!(read(&bytes), expected);
    }

    #[test]
    fn header_lists_features_program_and_bbox() {
        let bytes = PbfWriter::with_bbox(Vec::new(), 9.5, 44.25, 10.5, 45.75)
            .unwrap()
            .finish()
            .unwrap();
        let mut blobs = BlobReader::new(bytes.as_slice());
        let BlobDecode::OsmHeader(header) = blobs.next().unwrap().unwrap().decode().unwrap() else {
            panic!("first blob must be the header");
        };
        assert!(blobs.next().is_none(), "no data blob for an empty file");
        assert_eq!(header.required_features(), ["OsmSchema-V0.6", "DenseNodes"]);
        assert_eq!(header.writing_program(), Some("fifteen"));
        let bbox = header.bbox().unwrap();
        assert_eq!(
            (bbox.left, bbox.bottom, bbox.right, bbox.top),
            (9.5, 44.25, 10.5, 45.75)
        );
        assert_eq!(read(&bytes), Contents::default());
    }

    #[test]
    fn blocks_split_at_the_element_limit() {
        let count = 2 * MAX_BLOCK_ELEMENTS as i64 + 1;
        let mut w = PbfWriter::new(Vec::new()).unwrap();
        for id in 1..=count {
            let tag = id.to_string();
            let tags: &[(&str, &str)] = if id % 3 == 0 { &[("n", &tag)] } else { &[] };
            w.write_node(id, id as f64 * 1e-5, -(id as f64) * 1e-5, tags)
                .unwrap();
        }
        w.write_way(1, &[1, count], &[]).unwrap();
        let bytes = w.finish().unwrap();

        let blocks: Vec<usize> = BlobReader::new(bytes.as_slice())
            .skip(1)
            .map(|blob| match blob.unwrap().decode().unwrap() {
                BlobDecode::OsmData(block) => block.elements().count(),
                _ => panic!("expected a data blob"),
            })
            .collect();
        assert_eq!(blocks, [MAX_BLOCK_ELEMENTS, MAX_BLOCK_ELEMENTS, 1, 1]);
        let contents = read(&bytes);
        assert_eq!(contents.nodes.len() as i64, count);
        for (expected_id, (id, lon, lat, tags)) in (1..).zip(&contents.nodes) {
            assert_eq!(
                (*id, *lon, *lat),
                (expected_id, expected_id * 100, -expected_id * 100)
            );
            let expected_tags = match expected_id % 3 {
                0 => vec![("n".to_owned(), expected_id.to_string())],
                _ => vec![],
            };
            assert_eq!(tags, &expected_tags);
        }
        assert_eq!(contents.ways, [(1, vec![1, count], vec![])]);
    }

    #[test]
    fn out_of_order_kinds_are_rejected() {
        let mut w = PbfWriter::new(Vec::new()).unwrap();
        w.write_way(1, &[1, 2], &[]).unwrap();
        let err = w.write_node(1, 0.0, 0.0, &[]).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        w.write_relation(1, &[], &[]).unwrap();
        let err = w.write_way(2, &[1, 2], &[]).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        let contents = read(&w.finish().unwrap());
        assert_eq!((contents.ways.len(), contents.relations.len()), (1, 1));
    }

    #[test]
    fn invalid_coordinates_are_rejected() {
        let mut w = PbfWriter::new(Vec::new()).unwrap();
        for (lon, lat) in [(f64::NAN, 0.0), (0.0, 90.5), (-180.1, 0.0)] {
            let err = w.write_node(1, lon, lat, &[]).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        }
        assert_eq!(read(&w.finish().unwrap()), Contents::default());
    }

    #[test]
    fn create_writes_a_readable_file() {
        let path =
            std::env::temp_dir().join(format!("fifteen-write-{}.osm.pbf", std::process::id()));
        let mut w = PbfWriter::create(&path).unwrap();
        w.write_node(1, 10.0, 45.0, &[("amenity", "school")])
            .unwrap();
        w.finish().unwrap();
        let contents = read(&std::fs::read(&path).unwrap());
        std::fs::remove_file(&path).unwrap();
        assert_eq!(
            contents.nodes,
            [(1, 100_000_000, 450_000_000, tags(&[("amenity", "school")]))]
        );
    }
}
