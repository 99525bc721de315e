//! One parallel pass over a PBF extract, keeping only what the pipeline needs.
//!
//! # Why one pass
//! A PBF file stores nodes first, then ways, then relations, and a way names its nodes by id
//! only. A two-pass reader (ways first, then only the nodes they use) holds less, but inflates
//! every blob twice, and inflating is most of the cost of reading. This reader inflates each
//! blob once, on all cores, and keeps for every node just its id and coordinates (16 bytes);
//! once the ways are known, the coordinates of nodes no kept way uses are dropped. Tags are
//! kept only for the elements that matter (walkable ways, compounds' private paths,
//! buildings, landuse, facilities, entrances, gates, multipolygons of those, administrative
//! boundaries); of walls and fences only their nodes.
//!
//! # Hostile input
//! The file is framed and decoded here, by hand, rather than by the `osmpbf` crate, which
//! panics on some malformed files (a relation member of unknown type; delta overflows with
//! overflow checks on) and silently accepts others (truncated files, string-table indices out
//! of range). Every length is checked against the format's limits and against what is left
//! of the file before anything is allocated; every delta is added with overflow checks; a
//! blob may inflate to at most [`MAX_BLOB_BYTES`] and may keep at most
//! [`KEPT_BYTES_PER_BLOB_BYTE`] times its inflated size in memory. Every problem is an
//! [`Error::Data`] naming the blob (numbered from 0, the header), its byte offset and, where
//! there is one, the element. As a last line of defence the decoding of each blob runs under
//! [`std::panic::catch_unwind`], with the panic message kept off stderr.

use std::borrow::Cow;
use std::cell::Cell;
use std::io::Read;
use std::panic::{self, AssertUnwindSafe};
use std::path::Path;
use std::sync::Once;
use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;

use super::{ElementKind, Tags, carries_any, rules};
use crate::error::{Error, Result};

/// Largest `BlobHeader` the format allows, bytes.
pub const MAX_BLOB_HEADER_BYTES: usize = 64 * 1024;
/// Largest blob the format allows, compressed or inflated, bytes (32 MiB).
pub const MAX_BLOB_BYTES: usize = 32 * 1024 * 1024;
/// Most memory one blob's elements may keep, per byte of the inflated blob (plus 1 MiB). Real
/// extracts keep well under a tenth of this; it bounds what a hostile file can make the
/// reader hold (a huge string referenced by a million tags, say).
pub const KEPT_BYTES_PER_BLOB_BYTE: usize = 64;
/// Features a file may require (`HeaderBlock.required_features`).
const SUPPORTED_FEATURES: [&str; 2] = ["OsmSchema-V0.6", "DenseNodes"];

/// A way as read: id, node refs, tags.
#[derive(Debug, Clone)]
pub struct RawWay {
    /// OSM way id.
    pub id: i64,
    /// Node ids in order.
    pub refs: Vec<i64>,
    /// Tags (empty for untagged multipolygon members).
    pub tags: Tags,
}

/// One member of a relation.
#[derive(Debug, Clone)]
pub struct RawMember {
    /// Element kind of the member.
    pub kind: ElementKind,
    /// OSM id of the member.
    pub id: i64,
    /// Role (`outer`, `inner`, …).
    pub role: String,
}

/// A relation as read.
#[derive(Debug, Clone)]
pub struct RawRelation {
    /// OSM relation id.
    pub id: i64,
    /// Members in order.
    pub members: Vec<RawMember>,
    /// Tags.
    pub tags: Tags,
}

/// A tagged node kept because it is a facility.
#[derive(Debug, Clone)]
pub struct RawNode {
    /// OSM node id.
    pub id: i64,
    /// Longitude, degrees.
    pub lon: f64,
    /// Latitude, degrees.
    pub lat: f64,
    /// Tags.
    pub tags: Tags,
}

/// Coordinates of the nodes the kept ways use, sorted by id, in 1e-7 degrees.
#[derive(Debug, Default)]
pub struct NodeCoords {
    ids: Vec<i64>,
    lon_lat_e7: Vec<(i32, i32)>,
}

impl NodeCoords {
    /// `(lon, lat)` in degrees of node `id`, if the extract holds it.
    pub fn get(&self, id: i64) -> Option<(f64, f64)> {
        let i = self.ids.binary_search(&id).ok()?;
        let (lon, lat) = self.lon_lat_e7[i];
        Some((f64::from(lon) * 1e-7, f64::from(lat) * 1e-7))
    }

    /// `(min_lon, min_lat, max_lon, max_lat)` of the held nodes, degrees.
    pub fn bounds(&self) -> Option<(f64, f64, f64, f64)> {
        let (lons, lats): (Vec<i32>, Vec<i32>) = self.lon_lat_e7.iter().copied().unzip();
        let deg = |v: Option<&i32>| v.map(|&v| f64::from(v) * 1e-7);
        Some((
            deg(lons.iter().min())?,
            deg(lats.iter().min())?,
            deg(lons.iter().max())?,
            deg(lats.iter().max())?,
        ))
    }

    /// How many nodes are held.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether no node is held.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

/// Element counts of the whole file.
#[derive(Debug, Default, Clone, Copy, serde::Serialize)]
pub struct ReadCounts {
    /// Blobs (compressed blocks) in the file.
    pub blobs: usize,
    /// Nodes in the file.
    pub nodes: usize,
    /// Ways in the file.
    pub ways: usize,
    /// Relations in the file.
    pub relations: usize,
    /// Ways with fewer than two nodes: read, but they make no edge and no area.
    pub ways_too_short: usize,
}

/// What the pipeline keeps of an extract.
#[derive(Debug, Default)]
pub struct OsmExtract {
    /// Coordinates of every node a kept way uses.
    pub nodes: NodeCoords,
    /// Ways some country walks ([`rules::is_walk_candidate`]), with their tags: the graph
    /// keeps those the extract's country walks ([`rules::is_walkable`]).
    pub walk_ways: Vec<RawWay>,
    /// Ways [`rules::is_private_walkable`] accepts: paths of gated compounds.
    pub private_ways: Vec<RawWay>,
    /// Ways tagged `barrier=wall|fence` (tags dropped) that are nothing else kept: the
    /// enclosures of gated compounds.
    pub barrier_ways: Vec<RawWay>,
    /// Ways tagged `building`, a landuse [`rules::landuse_class`] knows, or as a wanted facility.
    pub area_ways: Vec<RawWay>,
    /// Untagged or `boundary=administrative` ways used by a kept relation.
    pub member_ways: Vec<RawWay>,
    /// `type=multipolygon` relations tagged `building`, `landuse` or as a wanted facility, and
    /// `boundary=administrative` relations with an `admin_level`.
    pub relations: Vec<RawRelation>,
    /// Nodes carrying one of the facility tags the reader was given.
    pub facility_nodes: Vec<RawNode>,
    /// Ids of nodes tagged `entrance=*`, sorted.
    pub entrances: Vec<i64>,
    /// Nodes tagged `barrier=gate` and what they let through, sorted by id.
    pub gates: Vec<(i64, rules::Gate)>,
    /// Counts of the whole file.
    pub counts: ReadCounts,
}

/// Per-blob partial result, merged in file order after the parallel pass.
#[derive(Default)]
struct Partial {
    coords: Vec<(i64, i32, i32)>,
    header: bool,
    extract: OsmExtract,
    member_candidates: Vec<RawWay>,
    /// Ids of every way and relation of the blob, to find duplicates.
    way_ids: Vec<i64>,
    relation_ids: Vec<i64>,
    /// Bytes kept from the blob so far, checked against its budget.
    kept: usize,
}

fn wanted_area(tags: &[(String, String)], facility_tags: &[(String, String)]) -> bool {
    tags.iter().any(|(k, _)| k == "building")
        || rules::landuse_class(tags).is_some()
        || carries_any(tags, facility_tags)
}

/// Reads the extract at `path`, keeping walkable ways, residents' buildings and landuse, and
/// the elements carrying any of `facility_tags` (the `(key, value)` pairs of the facility
/// categories, and of `site`'s tagged candidates, e.g. from
/// [`crate::facilities::categories::tags_of`]; none when facilities come from a register and
/// no candidates are tagged).
///
/// The reader takes plain tag pairs, not categories, so it knows nothing of the layers above
/// it; a list, not a closure, so the hot per-element test stays an inlined scan.
///
/// Elements may come in any order (the result is the same as for the sorted file); an id that
/// occurs twice for the same kind of element is an error.
///
/// # Errors
/// [`Error::Io`] when the file cannot be opened or read; [`Error::Data`] when it is empty,
/// not a PBF, holds no data, is truncated or corrupt, breaks the format's limits, holds an
/// element twice or a coordinate outside ±90°/±180° — the message names the blob, its byte
/// offset and the element.
pub fn read_extract(path: &Path, facility_tags: &[(String, String)]) -> Result<OsmExtract> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let metadata = file.metadata().map_err(|e| Error::io(path, e))?;
    let len = metadata.is_file().then_some(metadata.len());
    if len == Some(0) {
        return Err(empty(path));
    }
    let reader = std::io::BufReader::with_capacity(1 << 20, file);
    read_blobs(path, reader, len, facility_tags)
}

/// [`read_extract`] of a PBF file already in memory; `path` only names it in messages.
///
/// # Errors
/// As [`read_extract`].
pub fn read_extract_bytes(
    path: &Path,
    bytes: &[u8],
    facility_tags: &[(String, String)],
) -> Result<OsmExtract> {
    if bytes.is_empty() {
        return Err(empty(path));
    }
    read_blobs(path, bytes, Some(bytes.len() as u64), facility_tags)
}

fn empty(path: &Path) -> Error {
    Error::data(path, "the file is empty, not an OSM PBF extract")
}

/// What went wrong with one blob.
enum Fault {
    /// The file is malformed: a message without the blob's position.
    Data(String),
    /// The file could not be read.
    Io(std::io::Error),
}

impl From<String> for Fault {
    fn from(message: String) -> Self {
        Fault::Data(message)
    }
}

/// Frames, inflates and decodes every blob in parallel, then merges them in file order.
fn read_blobs<R: Read + Send>(
    path: &Path,
    reader: R,
    len: Option<u64>,
    facility_tags: &[(String, String)],
) -> Result<OsmExtract> {
    silence_guarded_panics();
    // Lowest index of a blob that failed: later blobs are not worth decoding, and the error
    // reported is always the first in the file, whatever the threads' timing.
    let first_fault = AtomicUsize::new(usize::MAX);
    let blobs = Blobs {
        reader,
        remaining: len,
        offset: 0,
        index: 0,
        done: false,
        first_fault: &first_fault,
    };
    let mut results: Vec<DecodedBlob> = blobs
        .par_bridge()
        .map(|(index, offset, framed)| {
            if index > first_fault.load(Ordering::Relaxed) {
                return (index, offset, None);
            }
            let result = framed.and_then(|blob| {
                guarded(|| decode_blob(&blob, facility_tags)).map_err(Fault::Data)?
            });
            if result.is_err() {
                first_fault.fetch_min(index, Ordering::Relaxed);
            }
            (index, offset, Some(result))
        })
        .collect();
    results.sort_unstable_by_key(|(index, _, _)| *index);

    let mut partials = Vec::with_capacity(results.len());
    for (index, offset, result) in results {
        match result {
            Some(Ok(partial)) => partials.push(partial),
            Some(Err(Fault::Io(e))) => return Err(Error::io(path, e)),
            Some(Err(Fault::Data(message))) => {
                let what = if index == 0 {
                    "not a readable OSM PBF file"
                } else {
                    "corrupt OSM PBF file"
                };
                return Err(Error::data(
                    path,
                    format!("{what}: blob {index} (byte offset {offset}): {message}"),
                ));
            }
            None => break, // after the first fault, which returned above
        }
    }
    match partials.first() {
        Some(first) if first.header => {}
        _ => {
            return Err(Error::data(
                path,
                "not an OSM PBF extract: it does not start with an OSMHeader block",
            ));
        }
    }
    if partials.len() == 1 {
        return Err(Error::data(
            path,
            "the file holds only an OSMHeader block and no data: an empty extract, or one \
             truncated after its first blob",
        ));
    }
    merge(path, partials)
}

/// The kind of a framed blob.
#[derive(Clone, Copy, PartialEq, Eq)]
enum BlobKind {
    Header,
    Data,
}

/// A framed blob: its kind and its `Blob` message, not yet inflated.
/// A blob's index, byte offset and what decoding it gave (`None`: the header blob).
type DecodedBlob = (usize, u64, Option<Result<Partial, Fault>>);

struct RawBlob {
    kind: BlobKind,
    body: Vec<u8>,
}

/// Splits a PBF stream into blobs: `(index, byte offset, blob or fault)`, stopping after the
/// first fault. Lengths are checked against the format's limits and against what is left of
/// the file (when its length is known) before anything is allocated.
struct Blobs<'a, R> {
    reader: R,
    /// Bytes left in the file, when known.
    remaining: Option<u64>,
    offset: u64,
    index: usize,
    done: bool,
    first_fault: &'a AtomicUsize,
}

impl<R: Read> Blobs<'_, R> {
    /// Reads up to `n` bytes; fewer only at the end of the file.
    fn read_up_to(&mut self, n: usize) -> Result<Vec<u8>, Fault> {
        let mut buf = Vec::with_capacity(n);
        (&mut self.reader)
            .take(n as u64)
            .read_to_end(&mut buf)
            .map_err(Fault::Io)?;
        self.offset += buf.len() as u64;
        if let Some(r) = &mut self.remaining {
            *r = r.saturating_sub(buf.len() as u64);
        }
        Ok(buf)
    }

    /// Checks that `n` more bytes (`what`) fit in the file.
    fn check_room(&self, n: u64, what: &str) -> Result<(), Fault> {
        match self.remaining {
            Some(left) if n > left => Err(Fault::Data(format!(
                "declares {what} of {n} bytes but only {left} bytes remain: the file is truncated"
            ))),
            _ => Ok(()),
        }
    }

    /// Reads the next blob; `Ok(None)` at a clean end of the file.
    fn next_blob(&mut self) -> Result<Option<RawBlob>, Fault> {
        let prefix = self.read_up_to(4)?;
        let prefix: [u8; 4] = match prefix.len() {
            0 => return Ok(None),
            4 => prefix.try_into().expect("four bytes"),
            n => {
                return Err(Fault::Data(format!(
                    "the file ends {n} bytes into the blob's 4-byte length: it is truncated"
                )));
            }
        };
        let header_len = i32::from_be_bytes(prefix);
        let header_len = match usize::try_from(header_len) {
            Err(_) => {
                return Err(Fault::Data(format!(
                    "declares a negative BlobHeader length ({header_len})"
                )));
            }
            Ok(n) if n > MAX_BLOB_HEADER_BYTES => {
                return Err(Fault::Data(format!(
                    "declares a BlobHeader of {n} bytes, more than the format's limit of 64 KiB"
                )));
            }
            Ok(n) => n,
        };
        self.check_room(header_len as u64, "a BlobHeader")?;
        let header = self.read_up_to(header_len)?;
        if header.len() < header_len {
            return Err(Fault::Data(format!(
                "the file ends {} bytes into a BlobHeader of {header_len} bytes: it is truncated",
                header.len()
            )));
        }
        let (kind, datasize) = blob_header(&header)?;
        self.check_room(datasize as u64, "a blob")?;
        let body = self.read_up_to(datasize)?;
        if body.len() < datasize {
            return Err(Fault::Data(format!(
                "the file ends {} bytes into a blob of {datasize} bytes: it is truncated",
                body.len()
            )));
        }
        Ok(Some(RawBlob { kind, body }))
    }
}

impl<R: Read> Iterator for Blobs<'_, R> {
    type Item = (usize, u64, Result<RawBlob, Fault>);

    fn next(&mut self) -> Option<Self::Item> {
        if self.done || self.index > self.first_fault.load(Ordering::Relaxed) {
            return None;
        }
        let (index, offset) = (self.index, self.offset);
        self.index += 1;
        match self.next_blob() {
            Ok(Some(blob)) => Some((index, offset, Ok(blob))),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(fault) => {
                self.done = true;
                Some((index, offset, Err(fault)))
            }
        }
    }
}

/// The kind and body length of a `BlobHeader` message.
fn blob_header(bytes: &[u8]) -> Result<(BlobKind, usize), Fault> {
    let mut kind = None;
    let mut datasize = None;
    let mut pb = Pb::new(bytes);
    while let Some((field, value)) = pb.field().map_err(|m| format!("BlobHeader: {m}"))? {
        match (field, value) {
            (1, Wire::Bytes(b)) => kind = Some(b),
            (3, Wire::Varint(v)) => datasize = Some(v as i32),
            (1 | 3, _) => {
                return Err(format!("BlobHeader: field {field} has the wrong wire type").into());
            }
            _ => {}
        }
    }
    let kind = match kind {
        Some(b"OSMHeader") => BlobKind::Header,
        Some(b"OSMData") => BlobKind::Data,
        Some(other) => {
            return Err(Fault::Data(format!(
                "has unknown type {:?} (a PBF blob is OSMHeader or OSMData)",
                String::from_utf8_lossy(other)
            )));
        }
        None => return Err(Fault::Data("the BlobHeader has no type".into())),
    };
    match datasize {
        None => Err(Fault::Data("the BlobHeader has no datasize".into())),
        Some(n) if n < 0 => Err(Fault::Data(format!("declares a negative blob size ({n})"))),
        Some(n) if n as usize > MAX_BLOB_BYTES => Err(Fault::Data(format!(
            "declares a blob of {n} bytes, more than the format's limit of 32 MiB"
        ))),
        Some(n) => Ok((kind, n as usize)),
    }
}

thread_local! {
    /// Whether a panic on this thread happens inside [`guarded`] and must not be printed.
    static QUIET_PANICS: Cell<bool> = const { Cell::new(false) };
}

/// Installs (once) a panic hook that stays silent for panics inside [`guarded`] and hands
/// every other panic to the hook that was there before.
fn silence_guarded_panics() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !QUIET_PANICS.with(Cell::get) {
                previous(info);
            }
        }));
    });
}

/// Runs `decode`, turning a panic into an error message. The decoder is written not to panic;
/// this is the last line of defence, so that a hostile file cannot crash the tool.
fn guarded<T>(decode: impl FnOnce() -> T) -> Result<T, String> {
    let was_quiet = QUIET_PANICS.with(|q| q.replace(true));
    let result = panic::catch_unwind(AssertUnwindSafe(decode));
    QUIET_PANICS.with(|q| q.set(was_quiet));
    result.map_err(|payload| {
        let why = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown failure".into());
        format!("is corrupt: decoding it failed ({why})")
    })
}

/// Inflates and decodes one framed blob.
fn decode_blob(blob: &RawBlob, facility_tags: &[(String, String)]) -> Result<Partial, Fault> {
    let data = blob_data(&blob.body)?;
    match blob.kind {
        BlobKind::Header => {
            header_block(&data)?;
            Ok(Partial {
                header: true,
                ..Partial::default()
            })
        }
        BlobKind::Data => Ok(read_block(&data, facility_tags)?),
    }
}

/// The content of a `Blob` message: raw, or inflated from zlib with the format's size cap.
fn blob_data(body: &[u8]) -> Result<Cow<'_, [u8]>, String> {
    let mut raw = None;
    let mut raw_size = None;
    let mut zlib = None;
    let mut other = None;
    let mut pb = Pb::new(body);
    while let Some((field, value)) = pb.field().map_err(|m| format!("Blob: {m}"))? {
        match (field, value) {
            (1, Wire::Bytes(b)) => raw = Some(b),
            (2, Wire::Varint(v)) => raw_size = Some(v as i32),
            (3, Wire::Bytes(b)) => zlib = Some(b),
            (4, Wire::Bytes(_)) => other = Some("lzma"),
            (5, Wire::Bytes(_)) => other = Some("bzip2"),
            (6, Wire::Bytes(_)) => other = Some("lz4"),
            (7, Wire::Bytes(_)) => other = Some("zstd"),
            (1..=7, _) => return Err(format!("Blob: field {field} has the wrong wire type")),
            _ => {}
        }
    }
    if let Some(raw) = raw {
        return Ok(Cow::Borrowed(raw));
    }
    let Some(zlib) = zlib else {
        return Err(match other {
            Some(method) => format!(
                "is compressed with {method}; fifteen reads only zlib-compressed or raw blobs \
                 (re-encode the file with `osmium cat -o out.osm.pbf`)"
            ),
            None => "holds no data".into(),
        });
    };
    let declared = match raw_size {
        Some(n) if n < 0 => return Err(format!("declares a negative inflated size ({n})")),
        Some(n) if n as usize > MAX_BLOB_BYTES => {
            return Err(format!(
                "declares an inflated size of {n} bytes, more than the format's limit of 32 MiB"
            ));
        }
        Some(n) => Some(n as usize),
        None => None,
    };
    let mut data = Vec::with_capacity(
        declared
            .unwrap_or(zlib.len().saturating_mul(4))
            .min(MAX_BLOB_BYTES),
    );
    flate2::read::ZlibDecoder::new(zlib)
        .take(MAX_BLOB_BYTES as u64 + 1)
        .read_to_end(&mut data)
        .map_err(|e| format!("its zlib data is corrupt ({e})"))?;
    if data.len() > MAX_BLOB_BYTES {
        return Err(format!(
            "inflates to more than the format's limit of 32 MiB{}",
            declared.map_or(String::new(), |n| format!(" (it declares {n} bytes)"))
        ));
    }
    match declared {
        Some(n) if n != data.len() => Err(format!(
            "inflates to {} bytes, not the {n} bytes it declares: its zlib data is corrupt or truncated",
            data.len()
        )),
        _ => Ok(Cow::Owned(data)),
    }
}

/// Checks a `HeaderBlock`: every feature it requires must be one this reader supports.
fn header_block(data: &[u8]) -> Result<(), String> {
    let mut pb = Pb::new(data);
    while let Some((field, value)) = pb.field().map_err(|m| format!("HeaderBlock: {m}"))? {
        if let (4, Wire::Bytes(feature)) = (field, value) {
            let feature = String::from_utf8_lossy(feature);
            if !SUPPORTED_FEATURES.contains(&feature.as_ref()) {
                return Err(format!(
                    "the file requires the feature {feature:?}, which fifteen does not read \
                     (it reads {})",
                    SUPPORTED_FEATURES.join(", ")
                ));
            }
        }
    }
    Ok(())
}

/// An administrative boundary relation with an `admin_level`.
pub fn is_admin_boundary(tags: &[(String, String)]) -> bool {
    super::tag(tags, "boundary") == Some("administrative")
        && super::tag(tags, "admin_level").is_some()
}

/// One protobuf field value.
#[derive(Clone, Copy, Debug)]
enum Wire<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
    Fixed,
}

/// A bounds-checked protobuf reader over one message.
struct Pb<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Pb<'a> {
    fn new(data: &'a [u8]) -> Self {
        Pb { data, pos: 0 }
    }

    fn varint(&mut self) -> Result<u64, String> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let Some(&byte) = self.data.get(self.pos) else {
                return Err("a number runs past the end of its message".into());
            };
            self.pos += 1;
            if shift == 63 && byte > 1 {
                return Err("a number is longer than 64 bits".into());
            }
            value |= u64::from(byte & 0x7f) << shift;
            if byte < 0x80 {
                return Ok(value);
            }
        }
        Err("a number is longer than 64 bits".into())
    }

    fn take(&mut self, n: u64) -> Result<&'a [u8], String> {
        let left = self.data.len() - self.pos;
        match usize::try_from(n) {
            Ok(n) if n <= left => {
                let bytes = &self.data[self.pos..self.pos + n];
                self.pos += n;
                Ok(bytes)
            }
            _ => Err(format!(
                "a field of {n} bytes runs past the end of its message ({left} bytes left)"
            )),
        }
    }

    /// The next field, `None` at the end of the message.
    fn field(&mut self) -> Result<Option<(u64, Wire<'a>)>, String> {
        if self.pos >= self.data.len() {
            return Ok(None);
        }
        let key = self.varint()?;
        let field = key >> 3;
        if field == 0 {
            return Err("a field numbered 0 (not protobuf data)".into());
        }
        let value = match key & 7 {
            0 => Wire::Varint(self.varint()?),
            1 => {
                self.take(8)?;
                Wire::Fixed
            }
            2 => {
                let n = self.varint()?;
                Wire::Bytes(self.take(n)?)
            }
            5 => {
                self.take(4)?;
                Wire::Fixed
            }
            wire => {
                return Err(format!(
                    "field {field} has wire type {wire}, not protobuf data"
                ));
            }
        };
        Ok(Some((field, value)))
    }
}

/// Appends a repeated numeric field's values, packed or not, to `out`.
fn push_numbers(value: Wire<'_>, out: &mut Vec<u64>, what: &str) -> Result<(), String> {
    match value {
        Wire::Varint(v) => out.push(v),
        Wire::Bytes(packed) => {
            let mut pb = Pb::new(packed);
            while pb.pos < packed.len() {
                out.push(pb.varint().map_err(|m| format!("{what}: {m}"))?);
            }
        }
        Wire::Fixed => return Err(format!("{what} have the wrong wire type")),
    }
    Ok(())
}

/// A single varint field's value.
fn number(value: Wire<'_>, what: &str) -> Result<u64, String> {
    match value {
        Wire::Varint(v) => Ok(v),
        _ => Err(format!("{what} has the wrong wire type")),
    }
}

/// A length-delimited field's bytes.
fn bytes<'a>(value: Wire<'a>, what: &str) -> Result<&'a [u8], String> {
    match value {
        Wire::Bytes(b) => Ok(b),
        _ => Err(format!("{what} has the wrong wire type")),
    }
}

/// Protobuf `sint64` decoding.
fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

/// Running sum of delta-coded `sint64` values, checked for overflow.
fn undelta(
    deltas: &[u64],
    out: &mut Vec<i64>,
    what: impl Fn(usize) -> String,
) -> Result<(), String> {
    out.clear();
    let mut current = 0i64;
    for (i, &d) in deltas.iter().enumerate() {
        current = current
            .checked_add(unzigzag(d))
            .ok_or_else(|| format!("{} overflows 64 bits (a corrupt delta)", what(i)))?;
        out.push(current);
    }
    Ok(())
}

/// The block's string table: raw bytes, checked when used.
struct Strings<'a>(Vec<&'a [u8]>);

impl<'a> Strings<'a> {
    /// String `index`, for `what` (e.g. `way/5 tag 2 key`).
    fn get(&self, index: i64, what: &dyn Fn() -> String) -> Result<&'a str, String> {
        let bytes = usize::try_from(index)
            .ok()
            .and_then(|i| self.0.get(i))
            .ok_or_else(|| {
                format!(
                    "{}: string {index} is not in the block's string table of {} strings",
                    what(),
                    self.0.len()
                )
            })?;
        std::str::from_utf8(bytes)
            .map_err(|_| format!("{}: string {index} is not valid UTF-8", what()))
    }

    /// The tags of `element` from its key and value indices.
    fn tags(
        &self,
        keys: &[u64],
        vals: &[u64],
        element: &dyn Fn() -> String,
    ) -> Result<Tags, String> {
        if keys.len() != vals.len() {
            return Err(format!(
                "{} has {} tag keys but {} values",
                element(),
                keys.len(),
                vals.len()
            ));
        }
        let mut tags = Vec::with_capacity(keys.len());
        for (i, (&k, &v)) in keys.iter().zip(vals).enumerate() {
            let k = self.get(k as u32 as i64, &|| format!("{} tag {}", element(), i + 1))?;
            let v = self.get(v as u32 as i64, &|| format!("{} tag {}", element(), i + 1))?;
            tags.push((k.to_owned(), v.to_owned()));
        }
        Ok(tags)
    }
}

/// Bytes a tag list keeps in memory.
fn tags_bytes(tags: &Tags) -> usize {
    tags.iter()
        .map(|(k, v)| size_of::<(String, String)>() + k.len() + v.len())
        .sum()
}

/// Reusable buffers of one block's decoding.
#[derive(Default)]
struct Scratch {
    a: Vec<u64>,
    b: Vec<u64>,
    c: Vec<u64>,
    d: Vec<u64>,
    ids: Vec<i64>,
    lats: Vec<i64>,
    lons: Vec<i64>,
}

/// Decodes a `PrimitiveBlock`, keeping what the pipeline needs.
fn read_block(data: &[u8], facility_tags: &[(String, String)]) -> Result<Partial, String> {
    let mut strings = Vec::new();
    let mut groups = Vec::new();
    let mut granularity = 100i32;
    let (mut lat_offset, mut lon_offset) = (0i64, 0i64);
    let mut pb = Pb::new(data);
    while let Some((field, value)) = pb.field().map_err(|m| format!("PrimitiveBlock: {m}"))? {
        match field {
            1 => {
                let mut table = Pb::new(bytes(value, "the string table")?);
                while let Some((field, value)) =
                    table.field().map_err(|m| format!("string table: {m}"))?
                {
                    if field == 1 {
                        strings.push(bytes(value, "a string")?);
                    }
                }
            }
            2 => groups.push(bytes(value, "a primitive group")?),
            17 => granularity = number(value, "granularity")? as i32,
            19 => lat_offset = number(value, "lat_offset")? as i64,
            20 => lon_offset = number(value, "lon_offset")? as i64,
            _ => {}
        }
    }
    let mut block = Block {
        strings: Strings(strings),
        granularity,
        lat_offset,
        lon_offset,
        facility_tags,
        part: Partial::default(),
        scratch: Scratch::default(),
        budget: KEPT_BYTES_PER_BLOB_BYTE * data.len() + (1 << 20),
    };
    for group in groups {
        let mut pb = Pb::new(group);
        while let Some((field, value)) = pb.field().map_err(|m| format!("PrimitiveGroup: {m}"))? {
            match field {
                1 => block.node(bytes(value, "a node")?)?,
                2 => block.dense(bytes(value, "dense nodes")?)?,
                3 => block.way(bytes(value, "a way")?)?,
                4 => block.relation(bytes(value, "a relation")?)?,
                _ => {}
            }
            if block.part.kept > block.budget {
                return Err(format!(
                    "its elements would keep more than {} MiB in memory, {}× its inflated size of \
                     {} bytes: a hostile or corrupt file",
                    block.budget >> 20,
                    KEPT_BYTES_PER_BLOB_BYTE,
                    data.len()
                ));
            }
        }
    }
    if std::env::var_os("ZZ_RATIO").is_some() {
        eprintln!(
            "RATIO {} {} {:.2}",
            data.len(),
            block.part.kept,
            block.part.kept as f64 / data.len() as f64
        );
    }
    Ok(block.part)
}

/// One block being decoded.
struct Block<'a, 'c> {
    strings: Strings<'a>,
    granularity: i32,
    lat_offset: i64,
    lon_offset: i64,
    /// Tags that make an element a facility (or a tagged candidate site).
    facility_tags: &'c [(String, String)],
    part: Partial,
    scratch: Scratch,
    budget: usize,
}

impl Block<'_, '_> {
    /// Degrees of a coordinate in granularity units, `None` on overflow.
    fn degrees(&self, offset: i64, units: i64) -> Option<f64> {
        let nano = i64::from(self.granularity)
            .checked_mul(units)?
            .checked_add(offset)?;
        Some(1e-9 * nano as f64)
    }

    fn on_node(&mut self, id: i64, lat: i64, lon: i64, tags: Tags) -> Result<(), String> {
        let (Some(lat), Some(lon)) = (
            self.degrees(self.lat_offset, lat),
            self.degrees(self.lon_offset, lon),
        ) else {
            return Err(format!("node/{id}: a coordinate overflows 64 bits"));
        };
        let part = &mut self.part;
        part.extract.counts.nodes += 1;
        if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
            return Err(format!(
                "node/{id} has coordinates ({lon}, {lat}) outside ±180° longitude / ±90° latitude"
            ));
        }
        part.coords
            .push((id, (lon * 1e7).round() as i32, (lat * 1e7).round() as i32));
        part.kept += size_of::<(i64, i32, i32)>();
        if tags.is_empty() {
            return Ok(());
        }
        if tags.iter().any(|(k, _)| k == "entrance") {
            part.extract.entrances.push(id);
            part.kept += size_of::<i64>();
        }
        if let Some(gate) = rules::gate(&tags) {
            part.extract.gates.push((id, gate));
            part.kept += size_of::<(i64, rules::Gate)>();
        }
        if carries_any(&tags, self.facility_tags) {
            part.kept += size_of::<RawNode>() + tags_bytes(&tags);
            part.extract
                .facility_nodes
                .push(RawNode { id, lon, lat, tags });
        }
        Ok(())
    }

    /// A `Node` message.
    fn node(&mut self, msg: &[u8]) -> Result<(), String> {
        let (mut id, mut lat, mut lon) = (None, None, None);
        let mut s = std::mem::take(&mut self.scratch);
        s.a.clear();
        s.b.clear();
        let mut pb = Pb::new(msg);
        while let Some((field, value)) = pb.field().map_err(|m| format!("a node: {m}"))? {
            match field {
                1 => id = Some(unzigzag(number(value, "a node's id")?)),
                2 => push_numbers(value, &mut s.a, "a node's tag keys")?,
                3 => push_numbers(value, &mut s.b, "a node's tag values")?,
                8 => lat = Some(unzigzag(number(value, "a node's latitude")?)),
                9 => lon = Some(unzigzag(number(value, "a node's longitude")?)),
                _ => {}
            }
        }
        let Some(id) = id else {
            return Err("a node has no id".into());
        };
        let (Some(lat), Some(lon)) = (lat, lon) else {
            return Err(format!("node/{id} has no coordinates"));
        };
        let tags = self.strings.tags(&s.a, &s.b, &|| format!("node/{id}"))?;
        self.scratch = s;
        self.on_node(id, lat, lon, tags)
    }

    /// A `DenseNodes` message.
    fn dense(&mut self, msg: &[u8]) -> Result<(), String> {
        let mut s = std::mem::take(&mut self.scratch);
        for v in [&mut s.a, &mut s.b, &mut s.c, &mut s.d] {
            v.clear();
        }
        let mut pb = Pb::new(msg);
        while let Some((field, value)) = pb.field().map_err(|m| format!("dense nodes: {m}"))? {
            match field {
                1 => push_numbers(value, &mut s.a, "dense node ids")?,
                8 => push_numbers(value, &mut s.b, "dense node latitudes")?,
                9 => push_numbers(value, &mut s.c, "dense node longitudes")?,
                10 => push_numbers(value, &mut s.d, "dense node tags")?,
                _ => {}
            }
        }
        if s.a.len() != s.b.len() || s.a.len() != s.c.len() {
            return Err(format!(
                "dense nodes: {} ids but {} latitudes and {} longitudes",
                s.a.len(),
                s.b.len(),
                s.c.len()
            ));
        }
        let nth = |i: usize| format!("the id of dense node {} of the group", i + 1);
        undelta(&s.a, &mut s.ids, nth)?;
        let nth = |i: usize| format!("the latitude of dense node {} of the group", i + 1);
        undelta(&s.b, &mut s.lats, nth)?;
        let nth = |i: usize| format!("the longitude of dense node {} of the group", i + 1);
        undelta(&s.c, &mut s.lons, nth)?;
        let mut keys_vals = s.d.iter().map(|&v| v as u32 as i32 as i64);
        for i in 0..s.ids.len() {
            let id = s.ids[i];
            let mut tags = Vec::new();
            if !s.d.is_empty() {
                loop {
                    let ends_early = || format!("node/{id}: the dense nodes' tag list ends early");
                    let k = keys_vals.next().ok_or_else(ends_early)?;
                    if k == 0 {
                        break;
                    }
                    let v = keys_vals.next().ok_or_else(ends_early)?;
                    let n = tags.len() + 1;
                    let what = || format!("node/{id} tag {n}");
                    tags.push((
                        self.strings.get(k, &what)?.to_owned(),
                        self.strings.get(v, &what)?.to_owned(),
                    ));
                }
            }
            self.on_node(id, s.lats[i], s.lons[i], tags)?;
        }
        self.scratch = s;
        Ok(())
    }

    /// A `Way` message.
    fn way(&mut self, msg: &[u8]) -> Result<(), String> {
        let mut s = std::mem::take(&mut self.scratch);
        for v in [&mut s.a, &mut s.b, &mut s.c] {
            v.clear();
        }
        let mut id = None;
        let mut pb = Pb::new(msg);
        while let Some((field, value)) = pb.field().map_err(|m| format!("a way: {m}"))? {
            match field {
                1 => id = Some(number(value, "a way's id")? as i64),
                2 => push_numbers(value, &mut s.a, "a way's tag keys")?,
                3 => push_numbers(value, &mut s.b, "a way's tag values")?,
                8 => push_numbers(value, &mut s.c, "a way's node refs")?,
                _ => {}
            }
        }
        let Some(id) = id else {
            return Err("a way has no id".into());
        };
        let element = || format!("way/{id}");
        let tags = self.strings.tags(&s.a, &s.b, &element)?;
        undelta(&s.c, &mut s.ids, |i| format!("way/{id} node {}", i + 1))?;
        let refs = s.ids.clone();
        self.scratch = s;

        let part = &mut self.part;
        part.extract.counts.ways += 1;
        part.way_ids.push(id);
        part.kept += size_of::<i64>();
        if refs.len() < 2 {
            part.extract.counts.ways_too_short += 1;
        }
        let kept = size_of::<RawWay>() + size_of::<i64>() * refs.len() + tags_bytes(&tags);
        let list = if tags.is_empty() || super::tag(&tags, "boundary") == Some("administrative") {
            // kept only if a kept relation uses it (see `merge`); its tags are not needed
            part.member_candidates.push(RawWay {
                id,
                refs,
                tags: Vec::new(),
            });
            part.kept += kept - tags_bytes(&tags);
            return Ok(());
        } else if rules::is_walk_candidate(&tags) {
            &mut part.extract.walk_ways
        } else if rules::is_private_walkable(&tags) {
            &mut part.extract.private_ways
        } else if wanted_area(&tags, self.facility_tags) {
            &mut part.extract.area_ways
        } else if rules::is_enclosing_barrier(&tags) {
            // only its nodes are needed: where the wall runs
            part.kept += kept - tags_bytes(&tags);
            part.extract.barrier_ways.push(RawWay {
                id,
                refs,
                tags: Vec::new(),
            });
            return Ok(());
        } else {
            return Ok(());
        };
        part.kept += kept;
        list.push(RawWay { id, refs, tags });
        Ok(())
    }

    /// A `Relation` message.
    fn relation(&mut self, msg: &[u8]) -> Result<(), String> {
        let mut s = std::mem::take(&mut self.scratch);
        for v in [&mut s.a, &mut s.b, &mut s.c, &mut s.d] {
            v.clear();
        }
        let mut types = Vec::new();
        let mut id = None;
        let mut pb = Pb::new(msg);
        while let Some((field, value)) = pb.field().map_err(|m| format!("a relation: {m}"))? {
            match field {
                1 => id = Some(number(value, "a relation's id")? as i64),
                2 => push_numbers(value, &mut s.a, "a relation's tag keys")?,
                3 => push_numbers(value, &mut s.b, "a relation's tag values")?,
                8 => push_numbers(value, &mut s.c, "a relation's member roles")?,
                9 => push_numbers(value, &mut s.d, "a relation's member ids")?,
                10 => push_numbers(value, &mut types, "a relation's member types")?,
                _ => {}
            }
        }
        let Some(id) = id else {
            return Err("a relation has no id".into());
        };
        let element = || format!("relation/{id}");
        let tags = self.strings.tags(&s.a, &s.b, &element)?;
        if s.c.len() != s.d.len() || s.c.len() != types.len() {
            return Err(format!(
                "relation/{id} has {} member roles, {} member ids and {} member types",
                s.c.len(),
                s.d.len(),
                types.len()
            ));
        }
        undelta(&s.d, &mut s.ids, |i| {
            format!("relation/{id} member {}", i + 1)
        })?;
        let mut members = Vec::with_capacity(types.len());
        for (i, &kind) in types.iter().enumerate() {
            let kind = match kind {
                0 => ElementKind::Node,
                1 => ElementKind::Way,
                2 => ElementKind::Relation,
                other => {
                    return Err(format!(
                        "relation/{id} member {} has an unknown type {} (0 node, 1 way, 2 relation)",
                        i + 1,
                        other as i64
                    ));
                }
            };
            let role = self.strings.get(s.c[i] as u32 as i32 as i64, &|| {
                format!("relation/{id} member {} role", i + 1)
            })?;
            members.push((kind, s.ids[i], role));
        }
        self.scratch = s;

        let part = &mut self.part;
        part.extract.counts.relations += 1;
        part.relation_ids.push(id);
        part.kept += size_of::<i64>();
        let multipolygon = super::tag(&tags, "type") == Some("multipolygon");
        if (multipolygon && wanted_area(&tags, self.facility_tags)) || is_admin_boundary(&tags) {
            let members: Vec<RawMember> = members
                .into_iter()
                .map(|(kind, id, role)| RawMember {
                    kind,
                    id,
                    role: role.to_owned(),
                })
                .collect();
            part.kept += size_of::<RawRelation>()
                + tags_bytes(&tags)
                + members
                    .iter()
                    .map(|m| size_of::<RawMember>() + m.role.len())
                    .sum::<usize>();
            part.extract
                .relations
                .push(RawRelation { id, members, tags });
        }
        Ok(())
    }
}

/// The first id that occurs twice in sorted `ids`.
fn first_duplicate(ids: &[i64]) -> Option<i64> {
    ids.windows(2).find(|w| w[0] == w[1]).map(|w| w[0])
}

/// Sorts by id unless already sorted.
fn sort_by_id<T: Send>(items: &mut [T], id: impl Fn(&T) -> i64 + Sync) {
    if !items.is_sorted_by_key(&id) {
        items.par_sort_by_key(id);
    }
}

fn duplicate(path: &Path, kind: &str, id: i64) -> Error {
    Error::data(
        path,
        format!(
            "{kind}/{id} occurs more than once in the file (an extract holds each element once)"
        ),
    )
}

/// A vector of `n` elements' capacity, or an error saying the machine lacks the memory.
fn vec_for<T>(path: &Path, n: usize, what: &str) -> Result<Vec<T>> {
    let mut v = Vec::new();
    v.try_reserve_exact(n).map_err(|_| {
        Error::io(
            path,
            std::io::Error::new(
                std::io::ErrorKind::OutOfMemory,
                format!(
                    "not enough memory for the extract's {n} {what} ({} MiB): use a smaller \
                     extract or a machine with more memory",
                    n.saturating_mul(size_of::<T>()) >> 20
                ),
            ),
        )
    })?;
    Ok(v)
}

fn merge(path: &Path, partials: Vec<Partial>) -> Result<OsmExtract> {
    let mut out = OsmExtract::default();
    let total = |f: fn(&Partial) -> usize| partials.iter().map(f).sum::<usize>();
    let mut coords = vec_for(path, total(|p| p.coords.len()), "nodes")?;
    let mut way_ids = vec_for(path, total(|p| p.way_ids.len()), "ways")?;
    let mut relation_ids = Vec::with_capacity(total(|p| p.relation_ids.len()));
    let mut untagged = Vec::with_capacity(total(|p| p.member_candidates.len()));
    for p in partials {
        out.counts.blobs += 1;
        coords.extend(p.coords);
        way_ids.extend(p.way_ids);
        relation_ids.extend(p.relation_ids);
        untagged.extend(p.member_candidates);
        let e = p.extract;
        out.counts.nodes += e.counts.nodes;
        out.counts.ways += e.counts.ways;
        out.counts.relations += e.counts.relations;
        out.counts.ways_too_short += e.counts.ways_too_short;
        out.walk_ways.extend(e.walk_ways);
        out.private_ways.extend(e.private_ways);
        out.barrier_ways.extend(e.barrier_ways);
        out.gates.extend(e.gates);
        out.area_ways.extend(e.area_ways);
        out.relations.extend(e.relations);
        out.facility_nodes.extend(e.facility_nodes);
        out.entrances.extend(e.entrances);
    }

    // Elements in any order read as the sorted file does; each id occurs once per kind.
    sort_by_id(&mut coords, |c| c.0);
    if let Some(id) = coords.windows(2).find(|w| w[0].0 == w[1].0).map(|w| w[0].0) {
        return Err(duplicate(path, "node", id));
    }
    sort_by_id(&mut way_ids, |&id| id);
    if let Some(id) = first_duplicate(&way_ids) {
        return Err(duplicate(path, "way", id));
    }
    drop(way_ids);
    sort_by_id(&mut relation_ids, |&id| id);
    if let Some(id) = first_duplicate(&relation_ids) {
        return Err(duplicate(path, "relation", id));
    }
    sort_by_id(&mut out.walk_ways, |w| w.id);
    sort_by_id(&mut out.private_ways, |w| w.id);
    sort_by_id(&mut out.barrier_ways, |w| w.id);
    sort_by_id(&mut out.gates, |g| g.0);
    sort_by_id(&mut out.area_ways, |w| w.id);
    sort_by_id(&mut untagged, |w| w.id);
    sort_by_id(&mut out.relations, |r| r.id);
    sort_by_id(&mut out.facility_nodes, |n| n.id);
    out.entrances.sort_unstable();

    let mut member_ids: Vec<i64> = out
        .relations
        .iter()
        .flat_map(|r| r.members.iter())
        .filter(|m| m.kind == ElementKind::Way)
        .map(|m| m.id)
        .collect();
    member_ids.sort_unstable();
    out.member_ways = untagged
        .into_iter()
        .filter(|w| member_ids.binary_search(&w.id).is_ok())
        .collect();

    let mut used = vec_for(
        path,
        [
            &out.walk_ways,
            &out.private_ways,
            &out.barrier_ways,
            &out.area_ways,
            &out.member_ways,
        ]
        .iter()
        .flat_map(|ways| ways.iter())
        .map(|w| w.refs.len())
        .sum(),
        "way node references",
    )?;
    used.extend(
        [
            &out.walk_ways,
            &out.private_ways,
            &out.barrier_ways,
            &out.area_ways,
            &out.member_ways,
        ]
        .into_iter()
        .flat_map(|ways| ways.iter().flat_map(|w| w.refs.iter().copied())),
    );
    used.par_sort_unstable();
    used.dedup();
    let mut nodes = NodeCoords {
        ids: vec_for(path, used.len().min(coords.len()), "used nodes")?,
        lon_lat_e7: vec_for(path, used.len().min(coords.len()), "used nodes")?,
    };
    let mut wanted = used.iter().peekable();
    for (id, lon, lat) in coords {
        while wanted.next_if(|w| **w < id).is_some() {}
        if wanted.peek() == Some(&&id) {
            nodes.ids.push(id);
            nodes.lon_lat_e7.push((lon, lat));
        }
    }
    nodes.ids.shrink_to_fit();
    nodes.lon_lat_e7.shrink_to_fit();
    if nodes.is_empty() && !out.walk_ways.is_empty() {
        return Err(Error::data(
            path,
            "the walkable ways' nodes are missing from the extract: no edge to walk",
        ));
    }
    out.nodes = nodes;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::osm::tags_from;

    fn sample_town() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("data/sample-town.osm.pbf")
    }

    #[test]
    fn bytes_read_like_the_file() {
        let path = sample_town();
        let childcare = tags_from(&[("amenity", "childcare"), ("amenity", "kindergarten")]);
        let from_file = read_extract(&path, &childcare).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        let from_bytes = read_extract_bytes(&path, &bytes, &childcare).unwrap();
        assert_eq!(format!("{from_file:?}"), format!("{from_bytes:?}"));
        assert!(from_file.counts.blobs >= 3 && !from_file.walk_ways.is_empty());
    }

    #[test]
    fn a_panic_while_guarded_becomes_an_error() {
        silence_guarded_panics();
        let result: Result<(), String> = guarded(|| panic!("index out of bounds"));
        let message = result.unwrap_err();
        assert!(message.contains("index out of bounds"), "{message}");
        assert!(!QUIET_PANICS.with(Cell::get), "quiet only while guarded");
        assert_eq!(guarded(|| 7), Ok(7));
    }

    #[test]
    fn varints_are_bounds_checked() {
        let mut pb = Pb::new(&[0xff; 11]);
        assert!(pb.varint().unwrap_err().contains("longer than 64 bits"));
        let mut pb = Pb::new(&[0x80, 0x80]);
        assert!(pb.varint().unwrap_err().contains("runs past the end"));
        let max = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
        assert_eq!(Pb::new(&max).varint(), Ok(u64::MAX));
        let mut pb = Pb::new(&[0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]);
        assert!(pb.field().unwrap_err().contains("runs past the end"));
    }

    #[test]
    fn too_little_memory_is_an_environment_error() {
        let err = vec_for::<(i64, i32, i32)>(Path::new("big.osm.pbf"), usize::MAX / 8, "nodes")
            .unwrap_err();
        assert_eq!(err.exit_code(), 2);
        let message = err.to_string();
        assert!(
            message.starts_with("big.osm.pbf: not enough memory for the extract's"),
            "{message}"
        );
    }

    #[test]
    fn deltas_are_checked() {
        let mut out = Vec::new();
        undelta(&[4, 3, 2], &mut out, |i| format!("#{i}")).unwrap();
        assert_eq!(out, [2, 0, 1]);
        let err = undelta(&[u64::MAX - 1, 2], &mut out, |i| format!("#{i}")).unwrap_err();
        assert!(err.starts_with("#1 overflows"), "{err}");
    }
}
