//! Hand-made OSM PBF bytes for the malformed-input corpus and the fuzz tests.
//!
//! Every message of `fileformat.proto` and `osmformat.proto` is encoded field by field (the
//! same encoding as `src/osm/write.rs`), so that a test can break exactly one thing: a length,
//! a delta, a string index, a member type. [`Extract::town`] is a small, valid extract on which
//! the whole pipeline succeeds; the corpus cases are variations of it.
#![allow(dead_code)] // each test file uses its own subset

use std::io::Write;

use flate2::Compression;
use flate2::write::ZlibEncoder;

/// Coordinates are stored in 1e-7 degrees (granularity 100 nanodegrees).
const UNITS_PER_DEGREE: f64 = 1e7;

pub fn varint(buf: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        buf.push((n as u8) | 0x80);
        n >>= 7;
    }
    buf.push(n as u8);
}

/// A field of wire type 0 (varint).
pub fn field_varint(buf: &mut Vec<u8>, field: u32, n: u64) {
    varint(buf, u64::from(field) << 3);
    varint(buf, n);
}

/// A field of wire type 2 (length-delimited).
pub fn field_bytes(buf: &mut Vec<u8>, field: u32, bytes: &[u8]) {
    varint(buf, (u64::from(field) << 3) | 2);
    varint(buf, bytes.len() as u64);
    buf.extend_from_slice(bytes);
}

/// A packed repeated varint field; nothing when `values` is empty.
pub fn field_packed(buf: &mut Vec<u8>, field: u32, values: &[u64]) {
    if values.is_empty() {
        return;
    }
    let mut packed = Vec::new();
    for &v in values {
        varint(&mut packed, v);
    }
    field_bytes(buf, field, &packed);
}

/// Protobuf `sint64` encoding.
pub fn zigzag(n: i64) -> u64 {
    ((n << 1) ^ (n >> 63)) as u64
}

/// Zigzagged differences between consecutive values, the first taken from 0.
pub fn deltas(values: &[i64]) -> Vec<u64> {
    let mut previous = 0i64;
    values
        .iter()
        .map(|&v| {
            let d = v.wrapping_sub(previous);
            previous = v;
            zigzag(d)
        })
        .collect()
}

pub fn zlib(data: &[u8]) -> Vec<u8> {
    let mut z = ZlibEncoder::new(Vec::new(), Compression::default());
    z.write_all(data).unwrap();
    z.finish().unwrap()
}

/// A `Blob` message holding `data` zlib-compressed, with its true `raw_size`.
pub fn zlib_body(data: &[u8]) -> Vec<u8> {
    let mut blob = Vec::new();
    field_varint(&mut blob, 2, data.len() as u64);
    field_bytes(&mut blob, 3, &zlib(data));
    blob
}

/// A `Blob` message holding `data` uncompressed.
pub fn raw_body(data: &[u8]) -> Vec<u8> {
    let mut blob = Vec::new();
    field_bytes(&mut blob, 1, data);
    blob
}

/// A `BlobHeader` of `kind` announcing `datasize` bytes.
pub fn blob_header(kind: &str, datasize: u64) -> Vec<u8> {
    let mut header = Vec::new();
    field_bytes(&mut header, 1, kind.as_bytes());
    field_varint(&mut header, 3, datasize);
    header
}

/// A framed blob: the 4-byte big-endian header length, `header`, `body`.
pub fn frame(header: &[u8], body: &[u8]) -> Vec<u8> {
    let mut out = (header.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(header);
    out.extend_from_slice(body);
    out
}

/// A framed blob of `kind` whose `Blob` message is `body`.
pub fn blob(kind: &str, body: &[u8]) -> Vec<u8> {
    frame(&blob_header(kind, body.len() as u64), body)
}

/// A `HeaderBlock` requiring `features`.
pub fn header_block(features: &[&str]) -> Vec<u8> {
    let mut block = Vec::new();
    for f in features {
        field_bytes(&mut block, 4, f.as_bytes());
    }
    field_bytes(&mut block, 16, b"fifteen corpus");
    block
}

/// The usual header blob (OsmSchema-V0.6, DenseNodes), zlib-compressed.
pub fn header_blob() -> Vec<u8> {
    blob(
        "OSMHeader",
        &zlib_body(&header_block(&["OsmSchema-V0.6", "DenseNodes"])),
    )
}

/// One `PrimitiveBlock` being built: a string table and primitive groups.
#[derive(Clone, Debug)]
pub struct Block {
    pub strings: Vec<Vec<u8>>,
    pub groups: Vec<Vec<u8>>,
    pub granularity: Option<u64>,
    pub lat_offset: Option<i64>,
    pub lon_offset: Option<i64>,
}

impl Default for Block {
    fn default() -> Self {
        Block {
            strings: vec![Vec::new()],
            groups: Vec::new(),
            granularity: None,
            lat_offset: None,
            lon_offset: None,
        }
    }
}

/// Tags as borrowed pairs.
pub type TagList<'a> = &'a [(String, String)];

impl Block {
    /// The index of `s` in the string table, added when new.
    pub fn s(&mut self, s: &str) -> u64 {
        match self.strings.iter().position(|t| t == s.as_bytes()) {
            Some(i) if i > 0 => i as u64,
            _ => {
                self.strings.push(s.as_bytes().to_vec());
                (self.strings.len() - 1) as u64
            }
        }
    }

    fn keys_vals(&mut self, tags: TagList<'_>) -> (Vec<u64>, Vec<u64>) {
        tags.iter().map(|(k, v)| (self.s(k), self.s(v))).unzip()
    }

    /// A group of dense nodes from raw (zigzagged delta) arrays.
    pub fn dense_raw(&mut self, ids: &[u64], lats: &[u64], lons: &[u64], keys_vals: &[u64]) {
        let mut dense = Vec::new();
        field_packed(&mut dense, 1, ids);
        field_packed(&mut dense, 8, lats);
        field_packed(&mut dense, 9, lons);
        field_packed(&mut dense, 10, keys_vals);
        let mut group = Vec::new();
        field_bytes(&mut group, 2, &dense);
        self.groups.push(group);
    }

    /// A group of dense nodes, coordinates in degrees.
    pub fn dense(&mut self, nodes: &[Node]) {
        let ids: Vec<i64> = nodes.iter().map(|n| n.id).collect();
        let lats: Vec<i64> = nodes.iter().map(|n| units(n.lat)).collect();
        let lons: Vec<i64> = nodes.iter().map(|n| units(n.lon)).collect();
        let mut kv = Vec::new();
        if nodes.iter().any(|n| !n.tags.is_empty()) {
            for n in nodes {
                for (k, v) in &n.tags {
                    kv.extend([self.s(k), self.s(v)]);
                }
                kv.push(0);
            }
        }
        self.dense_raw(&deltas(&ids), &deltas(&lats), &deltas(&lons), &kv);
    }

    /// A group of one way from raw parts.
    pub fn way_raw(&mut self, id: i64, keys: &[u64], vals: &[u64], ref_deltas: &[u64]) {
        let mut way = Vec::new();
        field_varint(&mut way, 1, id as u64);
        field_packed(&mut way, 2, keys);
        field_packed(&mut way, 3, vals);
        field_packed(&mut way, 8, ref_deltas);
        let mut group = Vec::new();
        field_bytes(&mut group, 3, &way);
        self.groups.push(group);
    }

    pub fn way(&mut self, way: &Way) {
        let (keys, vals) = self.keys_vals(&way.tags);
        self.way_raw(way.id, &keys, &vals, &deltas(&way.refs));
    }

    /// A group of one relation from raw parts.
    pub fn relation_raw(
        &mut self,
        id: i64,
        keys: &[u64],
        vals: &[u64],
        roles: &[u64],
        member_deltas: &[u64],
        types: &[u64],
    ) {
        let mut rel = Vec::new();
        field_varint(&mut rel, 1, id as u64);
        field_packed(&mut rel, 2, keys);
        field_packed(&mut rel, 3, vals);
        field_packed(&mut rel, 8, roles);
        field_packed(&mut rel, 9, member_deltas);
        field_packed(&mut rel, 10, types);
        let mut group = Vec::new();
        field_bytes(&mut group, 4, &rel);
        self.groups.push(group);
    }

    pub fn relation(&mut self, rel: &Relation) {
        let (keys, vals) = self.keys_vals(&rel.tags);
        let roles: Vec<u64> = rel.members.iter().map(|m| self.s(&m.2)).collect();
        let ids: Vec<i64> = rel.members.iter().map(|m| m.1).collect();
        let types: Vec<u64> = rel.members.iter().map(|m| m.0).collect();
        self.relation_raw(rel.id, &keys, &vals, &roles, &deltas(&ids), &types);
    }

    /// The encoded `PrimitiveBlock`.
    pub fn encode(&self) -> Vec<u8> {
        let mut table = Vec::new();
        for s in &self.strings {
            field_bytes(&mut table, 1, s);
        }
        let mut block = Vec::new();
        field_bytes(&mut block, 1, &table);
        for g in &self.groups {
            field_bytes(&mut block, 2, g);
        }
        if let Some(g) = self.granularity {
            field_varint(&mut block, 17, g);
        }
        if let Some(o) = self.lat_offset {
            field_varint(&mut block, 19, o as u64);
        }
        if let Some(o) = self.lon_offset {
            field_varint(&mut block, 20, o as u64);
        }
        block
    }

    /// The block as a framed, zlib-compressed OSMData blob.
    pub fn blob(&self) -> Vec<u8> {
        blob("OSMData", &zlib_body(&self.encode()))
    }

    /// The block as a framed, uncompressed OSMData blob.
    pub fn raw_blob(&self) -> Vec<u8> {
        blob("OSMData", &raw_body(&self.encode()))
    }
}

/// Degrees to 1e-7 degree units.
pub fn units(deg: f64) -> i64 {
    (deg * UNITS_PER_DEGREE).round() as i64
}

fn tags(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[derive(Clone, Debug)]
pub struct Node {
    pub id: i64,
    pub lon: f64,
    pub lat: f64,
    pub tags: Vec<(String, String)>,
}

#[derive(Clone, Debug)]
pub struct Way {
    pub id: i64,
    pub refs: Vec<i64>,
    pub tags: Vec<(String, String)>,
}

/// Member type (0 node, 1 way, 2 relation), id, role.
pub type Member = (u64, i64, String);

#[derive(Clone, Debug)]
pub struct Relation {
    pub id: i64,
    pub members: Vec<Member>,
    pub tags: Vec<(String, String)>,
}

/// A whole extract's elements, encoded one block per kind.
#[derive(Clone, Debug, Default)]
pub struct Extract {
    pub nodes: Vec<Node>,
    pub ways: Vec<Way>,
    pub relations: Vec<Relation>,
}

/// Metres east and north of 10°E 45°N to (lon, lat).
fn at(x_m: f64, y_m: f64) -> (f64, f64) {
    let m_per_deg_lat = 111_195.08;
    let m_per_deg_lon = m_per_deg_lat * 45f64.to_radians().cos();
    (10.0 + x_m / m_per_deg_lon, 45.0 + y_m / m_per_deg_lat)
}

impl Extract {
    /// A small town on which `fifteen coverage --category childcare` succeeds: a 4 × 4 grid of
    /// residential streets 100 m apart (nodes 1–16, ways 1–8), a footway across the middle
    /// (way 9), six houses (ways 101–106, nodes 101–124), a kindergarten (node 200) and a
    /// residential landuse multipolygon (relation 1, outer way 201 on nodes 201–204).
    pub fn town() -> Extract {
        let mut e = Extract::default();
        let node = |e: &mut Extract, id: i64, x: f64, y: f64, t: &[(&str, &str)]| {
            let (lon, lat) = at(x, y);
            e.nodes.push(Node {
                id,
                lon,
                lat,
                tags: tags(t),
            });
        };
        for row in 0..4 {
            for col in 0..4 {
                node(
                    &mut e,
                    1 + row * 4 + col,
                    col as f64 * 100.0,
                    row as f64 * 100.0,
                    &[],
                );
            }
        }
        for (h, (x, y)) in [
            (30.0, 20.0),
            (130.0, 20.0),
            (230.0, 120.0),
            (30.0, 220.0),
            (130.0, 220.0),
            (260.0, 230.0),
        ]
        .into_iter()
        .enumerate()
        {
            let base = 101 + 4 * h as i64;
            node(&mut e, base, x, y, &[]);
            node(&mut e, base + 1, x + 12.0, y, &[]);
            node(&mut e, base + 2, x + 12.0, y + 10.0, &[]);
            node(&mut e, base + 3, x, y + 10.0, &[]);
        }
        node(
            &mut e,
            200,
            150.0,
            160.0,
            &[("amenity", "kindergarten"), ("name", "Kita Mitte")],
        );
        for (i, (x, y)) in [
            (-10.0, -10.0),
            (310.0, -10.0),
            (310.0, 310.0),
            (-10.0, 310.0),
        ]
        .into_iter()
        .enumerate()
        {
            node(&mut e, 201 + i as i64, x, y, &[]);
        }
        let mut way = |id: i64, refs: Vec<i64>, t: &[(&str, &str)]| {
            e.ways.push(Way {
                id,
                refs,
                tags: tags(t),
            })
        };
        for row in 0..4 {
            way(
                1 + row,
                (0..4).map(|c| 1 + row * 4 + c).collect(),
                &[("highway", "residential")],
            );
        }
        for col in 0..4 {
            way(
                5 + col,
                (0..4).map(|r| 1 + r * 4 + col).collect(),
                &[("highway", "residential")],
            );
        }
        way(9, vec![6, 11], &[("highway", "footway")]);
        for h in 0..6 {
            let base = 101 + 4 * h;
            way(
                101 + h,
                vec![base, base + 1, base + 2, base + 3, base],
                &[("building", "house")],
            );
        }
        way(201, vec![201, 202, 203, 204, 201], &[]);
        e.relations.push(Relation {
            id: 1,
            members: vec![(1, 201, "outer".into())],
            tags: tags(&[("type", "multipolygon"), ("landuse", "residential")]),
        });
        e
    }

    /// Adds a way.
    pub fn add_way(&mut self, id: i64, refs: &[i64], t: &[(&str, &str)]) {
        self.ways.push(Way {
            id,
            refs: refs.to_vec(),
            tags: tags(t),
        });
    }

    /// The data blocks: nodes, ways, relations (empty kinds left out).
    pub fn blocks(&self) -> Vec<Block> {
        let mut blocks = Vec::new();
        if !self.nodes.is_empty() {
            let mut b = Block::default();
            b.dense(&self.nodes);
            blocks.push(b);
        }
        if !self.ways.is_empty() {
            let mut b = Block::default();
            for w in &self.ways {
                b.way(w);
            }
            blocks.push(b);
        }
        if !self.relations.is_empty() {
            let mut b = Block::default();
            for r in &self.relations {
                b.relation(r);
            }
            blocks.push(b);
        }
        blocks
    }

    /// Framed blobs: the header, then one zlib blob per block.
    pub fn blobs(&self) -> Vec<Vec<u8>> {
        std::iter::once(header_blob())
            .chain(self.blocks().iter().map(Block::blob))
            .collect()
    }

    /// The whole file.
    pub fn pbf(&self) -> Vec<u8> {
        self.blobs().concat()
    }

    /// The whole file with uncompressed blocks (what a fuzzer should mutate to reach the
    /// block decoder rather than zlib's checksum).
    pub fn raw_pbf(&self) -> Vec<u8> {
        std::iter::once(blob(
            "OSMHeader",
            &raw_body(&header_block(&["OsmSchema-V0.6", "DenseNodes"])),
        ))
        .chain(self.blocks().iter().map(Block::raw_blob))
        .collect::<Vec<_>>()
        .concat()
    }
}

/// A protobuf varint at `*i` of trusted `bytes`, advancing `*i`.
fn read_varint(bytes: &[u8], i: &mut usize) -> u64 {
    let mut value = 0;
    for shift in (0..64).step_by(7) {
        let byte = bytes[*i];
        *i += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte < 0x80 {
            break;
        }
    }
    value
}

/// `(offset, length)` of every blob body of a PBF file: each blob is a 4-byte big-endian
/// header length, a `BlobHeader` whose field 3 is the body's length, then the body.
pub fn blob_bodies(pbf: &[u8]) -> Vec<(usize, usize)> {
    let mut bodies = Vec::new();
    let mut pos = 0;
    while pos + 4 <= pbf.len() {
        let header_len = u32::from_be_bytes(pbf[pos..pos + 4].try_into().unwrap()) as usize;
        let header = &pbf[pos + 4..pos + 4 + header_len];
        let (mut i, mut body_len) = (0, None);
        while i < header.len() {
            let key = read_varint(header, &mut i);
            match key & 7 {
                0 => {
                    let v = read_varint(header, &mut i);
                    if key >> 3 == 3 {
                        body_len = Some(v as usize);
                    }
                }
                2 => i += read_varint(header, &mut i) as usize,
                wire => panic!("unexpected wire type {wire} in a BlobHeader"),
            }
        }
        let start = pos + 4 + header_len;
        let len = body_len.expect("BlobHeader.datasize");
        bodies.push((start, len));
        pos = start + len;
    }
    assert_eq!(pos, pbf.len(), "blobs end at the end of the file");
    bodies
}

/// The length-delimited fields of a trusted message: `(field, bytes)`; varints are skipped.
fn read_fields(msg: &[u8]) -> Vec<(u64, &[u8])> {
    let (mut i, mut out) = (0, Vec::new());
    while i < msg.len() {
        let key = read_varint(msg, &mut i);
        match key & 7 {
            0 => {
                read_varint(msg, &mut i);
            }
            2 => {
                let n = read_varint(msg, &mut i) as usize;
                out.push((key >> 3, &msg[i..i + n]));
                i += n;
            }
            wire => panic!("unexpected wire type {wire}"),
        }
    }
    out
}

/// Every blob of a valid PBF file, inflated: `(type, block bytes)`.
pub fn inflated_blocks(pbf: &[u8]) -> Vec<(String, Vec<u8>)> {
    use std::io::Read;
    let (mut pos, mut out) = (0, Vec::new());
    while pos < pbf.len() {
        let header_len = u32::from_be_bytes(pbf[pos..pos + 4].try_into().unwrap()) as usize;
        let header = &pbf[pos + 4..pos + 4 + header_len];
        let (mut i, mut datasize, mut kind) = (0, 0, String::new());
        while i < header.len() {
            let key = read_varint(header, &mut i);
            match (key >> 3, key & 7) {
                (3, 0) => datasize = read_varint(header, &mut i) as usize,
                (1, 2) => {
                    let n = read_varint(header, &mut i) as usize;
                    kind = String::from_utf8(header[i..i + n].to_vec()).unwrap();
                    i += n;
                }
                (_, 2) => i += read_varint(header, &mut i) as usize,
                _ => {
                    read_varint(header, &mut i);
                }
            }
        }
        let body = &pbf[pos + 4 + header_len..pos + 4 + header_len + datasize];
        let mut data = Vec::new();
        for (field, bytes) in read_fields(body) {
            match field {
                1 => data = bytes.to_vec(),
                3 => {
                    flate2::read::ZlibDecoder::new(bytes)
                        .read_to_end(&mut data)
                        .unwrap();
                }
                _ => {}
            }
        }
        out.push((kind, data));
        pos += 4 + header_len + datasize;
    }
    out
}

/// A valid PBF file re-written with uncompressed blobs.
pub fn uncompressed(pbf: &[u8]) -> Vec<u8> {
    inflated_blocks(pbf)
        .iter()
        .flat_map(|(kind, data)| blob(kind, &raw_body(data)))
        .collect()
}
