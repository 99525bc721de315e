//! The malformed-input corpus (issue 8), run through the real binary.
//!
//! Every case is made by the test itself: PBF files byte by byte with the hand encoder in
//! `tests/corpus/pbf.rs` (variations of one small valid town), registers as text. A case that
//! must fail is checked for its exit code, exactly one `fifteen: error:` line naming the file
//! and the problem, no panic, no file in a fresh output folder, and an earlier good result in
//! the same folder left byte for byte as it was. A case the reader tolerates is checked for
//! exit 0 and for what `summary.json` or the outputs say about it. The table in
//! `docs/hardening.md` lists every case with its outcome; `cargo test --test corpus --
//! --nocapture` prints each failing case's exact message.

mod common;
#[path = "corpus/pbf.rs"]
mod pbf;

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use common::{
    Outcome, assert_fails_cleanly, coverage, file_with, files_in, read_features, read_json,
};
use pbf::{
    Block, Extract, blob, blob_header, deltas, field_bytes, field_varint, frame, header_blob,
    header_block, raw_body, zigzag, zlib, zlib_body,
};

/// Exit code of unusable data.
const BAD_DATA: i32 = 1;

/// The town with the usual flags.
const FLAGS: [&str; 2] = ["--category", "childcare"];

/// Runs `fifteen coverage INPUT FLAGS --out OUT --quiet`.
fn run(input: &Path, flags: &[&str], out: &Path) -> Outcome {
    let args: Vec<OsString> = std::iter::once(input.as_os_str().to_owned())
        .chain(flags.iter().map(OsString::from))
        .chain([OsString::from("--out"), out.as_os_str().to_owned()])
        .collect();
    coverage(args)
}

/// A good run of the town into `out`.
fn good_run(out: &Path) -> Outcome {
    let (_dir, town) = file_with("town.osm.pbf", &Extract::town().pbf());
    run(&town, &FLAGS, out)
}

/// The input at `input` with `flags` fails with `code`, naming `input` and every mention; it
/// leaves a fresh output folder empty and a used one byte for byte as it was.
fn fails_with(case: &str, input: &Path, flags: &[&str], code: i32, mentions: &[&str]) {
    assert_fails_cleanly(case, |out| run(input, flags, out), good_run, code, mentions);
}

/// PBF `bytes` fail with exit 1, naming the file and every mention.
fn pbf_fails(case: &str, bytes: &[u8], mentions: &[&str]) {
    let (_dir, path) = file_with("case.osm.pbf", bytes);
    let path_text = path.display().to_string();
    let mut all = vec![path_text.as_str()];
    all.extend_from_slice(mentions);
    fails_with(case, &path, &FLAGS, BAD_DATA, &all);
}

/// PBF `bytes` are read (exit 0); returns the output folder's guard, path and summary.
fn pbf_succeeds(case: &str, bytes: &[u8]) -> (tempfile::TempDir, PathBuf, serde_json::Value) {
    let (dir, path) = file_with("case.osm.pbf", bytes);
    let out = dir.path().join("out");
    let outcome = run(&path, &FLAGS, &out);
    assert!(
        !outcome.stderr.contains("panicked"),
        "[{case}] panicked:\n{}",
        outcome.stderr
    );
    assert_eq!(
        outcome.code,
        Some(0),
        "[{case}] failed:\n{}",
        outcome.stderr
    );
    let summary = read_json(&out.join("summary.json"));
    eprintln!(
        "[{case}] exit 0: {}",
        outcome.stdout.lines().next().unwrap_or("")
    );
    (dir, out, summary)
}

/// Byte offset of blob `index` in a file made of `blobs`.
fn offset_of(blobs: &[Vec<u8>], index: usize) -> usize {
    blobs[..index].iter().map(Vec::len).sum()
}

fn town_blobs() -> Vec<Vec<u8>> {
    Extract::town().blobs()
}

// ---- framing: empty, header only, truncated, lengths ----

#[test]
fn empty_file() {
    pbf_fails("empty file", b"", &["the file is empty"]);
}

#[test]
fn header_only() {
    pbf_fails(
        "header only",
        &header_blob(),
        &["holds only an OSMHeader block and no data"],
    );
}

#[test]
fn truncated_mid_blob() {
    let blobs = town_blobs();
    let last = blobs.len() - 1;
    let mut bytes = blobs.concat();
    bytes.truncate(bytes.len() - 10);
    let at = format!("blob {last} (byte offset {})", offset_of(&blobs, last));
    pbf_fails("truncated mid-blob", &bytes, &[&at, "truncated"]);
}

#[test]
fn truncated_inside_a_blob_header() {
    let blobs = town_blobs();
    let mut bytes = blobs[..2].concat();
    bytes.extend_from_slice(&blobs[2][..9]);
    let at = format!("blob 2 (byte offset {})", offset_of(&blobs, 2));
    let header_len = u32::from_be_bytes(blobs[2][..4].try_into().unwrap());
    let room = format!("declares a BlobHeader of {header_len} bytes but only 5 bytes remain");
    pbf_fails(
        "truncated inside a BlobHeader",
        &bytes,
        &[&at, &room, "truncated"],
    );
}

#[test]
fn truncated_inside_a_length_prefix() {
    let blobs = town_blobs();
    let mut bytes = blobs.concat();
    bytes.extend_from_slice(&[0, 0]);
    let at = format!("blob {} (byte offset {})", blobs.len(), bytes.len() - 2);
    pbf_fails(
        "truncated inside a length prefix",
        &bytes,
        &[&at, "4-byte length", "truncated"],
    );
}

/// Cut after the nodes: nothing to walk on, which is all a reader can tell.
#[test]
fn truncated_at_a_blob_boundary_after_the_nodes() {
    let bytes = town_blobs()[..2].concat();
    pbf_fails(
        "truncated at a blob boundary (after the nodes)",
        &bytes,
        &["no walkable way"],
    );
}

/// Cut after the ways: a valid, smaller extract (the landuse relation is gone); a PBF holds no
/// count or end marker, so this truncation cannot be told from an extract without relations.
#[test]
fn truncated_at_a_blob_boundary_after_the_ways() {
    let bytes = town_blobs()[..3].concat();
    let (_dir, _out, summary) =
        pbf_succeeds("truncated at a blob boundary (after the ways)", &bytes);
    assert_eq!(summary["counts"]["osm"]["relations"], 0);
    assert_eq!(summary["counts"]["osm"]["blobs"], 3);
}

#[test]
fn blob_larger_than_the_file() {
    let mut bytes = header_blob();
    bytes.extend(frame(&blob_header("OSMData", 1000), &[0u8; 10]));
    let at = format!("blob 1 (byte offset {})", header_blob().len());
    pbf_fails(
        "blob size larger than the file",
        &bytes,
        &[
            &at,
            "declares a blob of 1000 bytes but only 10 bytes remain",
            "truncated",
        ],
    );
}

#[test]
fn negative_header_size() {
    let mut bytes = header_blob();
    bytes.extend_from_slice(&(-2i32).to_be_bytes());
    bytes.extend_from_slice(&[0u8; 64]);
    pbf_fails(
        "negative BlobHeader size",
        &bytes,
        &["blob 1", "negative BlobHeader length (-2)"],
    );
}

#[test]
fn huge_header_size() {
    let mut bytes = header_blob();
    bytes.extend_from_slice(&(1u32 << 30).to_be_bytes());
    bytes.extend_from_slice(&[0u8; 64]);
    pbf_fails(
        "huge BlobHeader size",
        &bytes,
        &["blob 1", "BlobHeader of 1073741824 bytes", "64 KiB"],
    );
}

/// A text file: its first four bytes read as a huge header length.
#[test]
fn text_file() {
    pbf_fails(
        "text file",
        b"this is not a PBF, just text\n",
        &[
            "not a readable OSM PBF file: blob 0 (byte offset 0)",
            "64 KiB",
        ],
    );
}

#[test]
fn negative_blob_size() {
    let mut bytes = header_blob();
    bytes.extend(frame(&blob_header("OSMData", (-5i64) as u64), &[]));
    pbf_fails(
        "negative blob size",
        &bytes,
        &["blob 1", "negative blob size (-5)"],
    );
}

#[test]
fn blob_size_over_the_format_limit() {
    let mut bytes = header_blob();
    bytes.extend(frame(&blob_header("OSMData", 40 << 20), &[0u8; 16]));
    pbf_fails(
        "blob size over 32 MiB",
        &bytes,
        &["blob 1", "blob of 41943040 bytes", "32 MiB"],
    );
}

#[test]
fn blob_header_garbage() {
    let mut bytes = header_blob();
    bytes.extend(frame(&[0x0f, 0xff, 0x13], &[]));
    pbf_fails(
        "garbage BlobHeader",
        &bytes,
        &["blob 1", "BlobHeader", "wire type 7"],
    );
}

#[test]
fn trailing_garbage() {
    let blobs = town_blobs();
    let mut bytes = blobs.concat();
    bytes.extend_from_slice(b"\x00\x00\x00\x05hello, trailing bytes");
    let at = format!("blob {}", blobs.len());
    pbf_fails("trailing garbage", &bytes, &[&at, "BlobHeader"]);
}

#[test]
fn unknown_blob_type() {
    let blobs = town_blobs();
    let mut bytes = blobs[..1].concat();
    bytes.extend(blob("OSMFoo", &zlib_body(b"whatever")));
    bytes.extend(blobs[1..].concat());
    pbf_fails(
        "unknown blob type",
        &bytes,
        &["blob 1", "unknown type \"OSMFoo\""],
    );
}

#[test]
fn data_before_the_header() {
    let blobs = town_blobs();
    let bytes = [blobs[1].clone(), blobs[0].clone(), blobs[2].clone()].concat();
    pbf_fails(
        "data before the header",
        &bytes,
        &["does not start with an OSMHeader block"],
    );
}

#[test]
fn unsupported_required_feature() {
    let header = blob(
        "OSMHeader",
        &zlib_body(&header_block(&["OsmSchema-V0.6", "HistoricalInformation"])),
    );
    let bytes = [header, town_blobs()[1..].concat()].concat();
    pbf_fails(
        "unsupported required feature",
        &bytes,
        &["blob 0", "requires the feature \"HistoricalInformation\""],
    );
}

// ---- compression ----

/// The town with blob 1 (the nodes) given `body` as its `Blob` message.
fn town_with_nodes_body(body: &[u8]) -> Vec<u8> {
    let blobs = town_blobs();
    [blobs[0].clone(), blob("OSMData", body), blobs[2..].concat()].concat()
}

#[test]
fn zlib_garbage() {
    let mut body = Vec::new();
    field_varint(&mut body, 2, 5000);
    field_bytes(
        &mut body,
        3,
        b"\x78\x9c this is not deflate data at all, not at all",
    );
    pbf_fails(
        "zlib garbage",
        &town_with_nodes_body(&body),
        &[
            "corrupt OSM PBF file: blob 1 (byte offset",
            "zlib data is corrupt",
        ],
    );
}

#[test]
fn zlib_stream_cut_short() {
    let data = Extract::town().blocks()[0].encode();
    let z = zlib(&data);
    let mut body = Vec::new();
    field_varint(&mut body, 2, data.len() as u64);
    field_bytes(&mut body, 3, &z[..z.len() / 2]);
    pbf_fails(
        "zlib stream cut short",
        &town_with_nodes_body(&body),
        &["blob 1", "zlib data is corrupt"],
    );
}

#[test]
fn zlib_bomb() {
    // 64 MiB of zeros deflate to ~64 KiB; the blob declares 1,000 bytes.
    let bomb = zlib(&vec![0u8; 64 << 20]);
    let mut body = Vec::new();
    field_varint(&mut body, 2, 1000);
    field_bytes(&mut body, 3, &bomb);
    pbf_fails(
        "zlib bomb",
        &town_with_nodes_body(&body),
        &[
            "blob 1",
            "inflates to more than the format's limit of 32 MiB",
        ],
    );
}

#[test]
fn declared_inflated_size_over_the_limit() {
    let mut body = Vec::new();
    field_varint(&mut body, 2, 64 << 20);
    field_bytes(&mut body, 3, &zlib(b"small"));
    pbf_fails(
        "raw_size over 32 MiB",
        &town_with_nodes_body(&body),
        &["blob 1", "inflated size of 67108864 bytes", "32 MiB"],
    );
}

#[test]
fn declared_inflated_size_wrong() {
    let data = Extract::town().blocks()[0].encode();
    let mut body = Vec::new();
    field_varint(&mut body, 2, 100);
    field_bytes(&mut body, 3, &zlib(&data));
    pbf_fails(
        "raw_size mismatch",
        &town_with_nodes_body(&body),
        &["blob 1", "not the 100 bytes it declares"],
    );
}

#[test]
fn unsupported_compression() {
    let mut body = Vec::new();
    field_varint(&mut body, 2, 100);
    field_bytes(&mut body, 4, b"\x5d\x00\x00\x80\x00 lzma-ish bytes");
    pbf_fails(
        "lzma blob",
        &town_with_nodes_body(&body),
        &["blob 1", "compressed with lzma"],
    );
}

#[test]
fn blob_without_data() {
    pbf_fails(
        "blob without data",
        &town_with_nodes_body(&[]),
        &["blob 1", "holds no data"],
    );
}

// ---- block content ----

/// The town's blobs with the data block `index` (1 nodes, 2 ways, 3 relations) replaced.
fn town_with_block(index: usize, block: &Block) -> Vec<u8> {
    let mut blobs = town_blobs();
    blobs[index] = block.blob();
    blobs.concat()
}

/// The town's nodes block with one extra dense group from raw arrays.
fn nodes_plus_dense(ids: &[u64], lats: &[u64], lons: &[u64], kv: &[u64]) -> Vec<u8> {
    let mut block = Extract::town().blocks()[0].clone();
    block.dense_raw(ids, lats, lons, kv);
    town_with_block(1, &block)
}

#[test]
fn string_index_out_of_range() {
    let mut block = Extract::town().blocks()[1].clone();
    let n = block.strings.len();
    let footway = block.s("footway");
    block.way_raw(50, &[999], &[footway], &deltas(&[1, 2]));
    pbf_fails(
        "string-table index out of range",
        &town_with_block(2, &block),
        &[&format!(
            "way/50 tag 1: string 999 is not in the block's string table of {n} strings"
        )],
    );
}

#[test]
fn string_not_utf8() {
    let mut block = Extract::town().blocks()[1].clone();
    let key = block.s("name");
    block.strings.push(b"\xff\xfe bad".to_vec());
    let bad = (block.strings.len() - 1) as u64;
    block.way_raw(50, &[key], &[bad], &deltas(&[1, 2]));
    pbf_fails(
        "string not UTF-8",
        &town_with_block(2, &block),
        &[&format!("way/50 tag 1: string {bad} is not valid UTF-8")],
    );
}

#[test]
fn relation_member_of_unknown_type() {
    let mut block = Extract::town().blocks()[2].clone();
    let (t, mp, outer) = (block.s("type"), block.s("multipolygon"), block.s("outer"));
    block.relation_raw(
        77,
        &[t],
        &[mp],
        &[outer, outer],
        &deltas(&[201, 202]),
        &[1, 7],
    );
    pbf_fails(
        "relation member of unknown type",
        &town_with_block(3, &block),
        &["blob 3", "relation/77 member 2 has an unknown type 7"],
    );
}

#[test]
fn relation_member_arrays_differ() {
    let mut block = Extract::town().blocks()[2].clone();
    let outer = block.s("outer");
    block.relation_raw(78, &[], &[], &[outer], &deltas(&[201, 202]), &[1, 1]);
    pbf_fails(
        "relation member arrays differ",
        &town_with_block(3, &block),
        &["relation/78 has 1 member roles, 2 member ids and 2 member types"],
    );
}

#[test]
fn node_id_delta_overflow() {
    let bytes = nodes_plus_dense(
        &[zigzag(i64::MAX), zigzag(1)],
        &[zigzag(450_000_000), 0],
        &[zigzag(100_000_000), 0],
        &[],
    );
    pbf_fails(
        "node id delta overflow",
        &bytes,
        &["blob 1", "the id of dense node 2 of the group overflows"],
    );
}

#[test]
fn way_ref_delta_overflow() {
    let mut block = Extract::town().blocks()[1].clone();
    let (h, f) = (block.s("highway"), block.s("footway"));
    block.way_raw(60, &[h], &[f], &[zigzag(i64::MAX), zigzag(i64::MAX)]);
    pbf_fails(
        "way node ref delta overflow",
        &town_with_block(2, &block),
        &["blob 2", "way/60 node 2 overflows"],
    );
}

#[test]
fn relation_member_delta_overflow() {
    let mut block = Extract::town().blocks()[2].clone();
    let outer = block.s("outer");
    block.relation_raw(
        79,
        &[],
        &[],
        &[outer, outer],
        &[zigzag(i64::MIN), zigzag(-1)],
        &[1, 1],
    );
    pbf_fails(
        "relation member id delta overflow",
        &town_with_block(3, &block),
        &["relation/79 member 2 overflows"],
    );
}

#[test]
fn coordinate_delta_overflow() {
    let bytes = nodes_plus_dense(
        &[zigzag(9000), zigzag(1)],
        &[zigzag(i64::MAX), zigzag(5)],
        &[zigzag(100_000_000), 0],
        &[],
    );
    pbf_fails(
        "coordinate delta overflow",
        &bytes,
        &["the latitude of dense node 2 of the group overflows"],
    );
}

#[test]
fn coordinate_scale_overflow() {
    let mut block = Block {
        granularity: Some(i32::MAX as u64),
        ..Block::default()
    };
    block.dense_raw(&[zigzag(9000)], &[zigzag(1 << 40)], &[0], &[]);
    let blobs = town_blobs();
    let bytes = [blobs.concat(), block.blob()].concat();
    pbf_fails(
        "coordinate × granularity overflow",
        &bytes,
        &["blob 4", "node/9000: a coordinate overflows 64 bits"],
    );
}

#[test]
fn latitude_beyond_90() {
    let mut town = Extract::town();
    town.nodes[4].lat = 95.0;
    pbf_fails(
        "latitude beyond ±90°",
        &town.pbf(),
        &[
            "node/5 has coordinates",
            "outside ±180° longitude / ±90° latitude",
        ],
    );
}

#[test]
fn longitude_beyond_180() {
    let mut town = Extract::town();
    town.nodes[6].lon = -200.0;
    pbf_fails(
        "longitude beyond ±180°",
        &town.pbf(),
        &["node/7 has coordinates (-200", "outside"],
    );
}

#[test]
fn dense_arrays_of_different_lengths() {
    let bytes = nodes_plus_dense(&[zigzag(9000), zigzag(1)], &[0], &[0, 0], &[]);
    pbf_fails(
        "dense arrays of different lengths",
        &bytes,
        &["dense nodes: 2 ids but 1 latitudes and 2 longitudes"],
    );
}

#[test]
fn dense_tags_end_early() {
    let bytes = nodes_plus_dense(&[zigzag(9000), zigzag(1)], &[0, 0], &[0, 0], &[1, 1, 0]);
    pbf_fails(
        "dense tag list ends early",
        &bytes,
        &["node/9001: the dense nodes' tag list ends early"],
    );
}

#[test]
fn way_with_more_keys_than_values() {
    let mut block = Extract::town().blocks()[1].clone();
    let (h, f) = (block.s("highway"), block.s("footway"));
    block.way_raw(61, &[h, h], &[f], &deltas(&[1, 2]));
    pbf_fails(
        "way keys/values mismatch",
        &town_with_block(2, &block),
        &["way/61 has 2 tag keys but 1 values"],
    );
}

#[test]
fn field_running_past_its_message() {
    let mut block = Extract::town().blocks()[1].clone();
    let mut group = Vec::new();
    field_bytes(&mut group, 3, &[0x08, 0x05, 0x42, 0x7f, 0x01]); // refs: 127 bytes announced, 1 there
    block.groups.push(group);
    pbf_fails(
        "field running past its message",
        &town_with_block(2, &block),
        &["blob 2", "runs past the end of its message"],
    );
}

#[test]
fn duplicate_node_ids() {
    let mut town = Extract::town();
    let copy = town.nodes[4].clone();
    town.nodes.insert(5, copy);
    pbf_fails(
        "duplicate node id",
        &town.pbf(),
        &["node/5 occurs more than once"],
    );
}

#[test]
fn duplicate_way_ids_in_different_blobs() {
    let town = Extract::town();
    let mut extra = Block::default();
    extra.way(&town.ways[2]);
    let blobs = town.blobs();
    let bytes = [blobs[..3].concat(), extra.blob(), blobs[3].clone()].concat();
    pbf_fails("duplicate way id", &bytes, &["way/3 occurs more than once"]);
}

#[test]
fn duplicate_relation_ids() {
    let mut town = Extract::town();
    let copy = town.relations[0].clone();
    town.relations.push(copy);
    pbf_fails(
        "duplicate relation id",
        &town.pbf(),
        &["relation/1 occurs more than once"],
    );
}

#[test]
fn every_walkable_node_missing() {
    let mut town = Extract::town();
    town.nodes.retain(|n| n.id > 16);
    town.ways.retain(|w| w.id <= 8); // streets only: every node gone
    town.relations.clear();
    pbf_fails(
        "walkable ways without nodes",
        &town.pbf(),
        &["the walkable ways' nodes are missing from the extract"],
    );
}

// ---- tolerated ----

/// Every output of `out` but those that name the input: `summary.json`, `report.html`,
/// `project.qgs` and the maps (their titles).
fn outputs(out: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = files_in(out);
    files.retain(|name, _| {
        !(["summary.json", "report.html", "project.qgs"].contains(&name.as_str())
            || name.starts_with("map_"))
    });
    files
}

#[test]
fn uncompressed_blobs_read_like_compressed_ones() {
    let (_a, zlib_out, _) = pbf_succeeds("town (zlib)", &Extract::town().pbf());
    let (_b, raw_out, _) = pbf_succeeds("town (raw blobs)", &Extract::town().raw_pbf());
    assert_eq!(outputs(&zlib_out), outputs(&raw_out));
}

/// Nodes, ways and relations shuffled, kinds interleaved across blobs: the same outputs as
/// the sorted file.
#[test]
fn unsorted_file_reads_like_the_sorted_one() {
    let town = Extract::town();
    let (_a, sorted_out, sorted_summary) = pbf_succeeds("town (sorted)", &town.pbf());

    let mut nodes = town.nodes.clone();
    nodes.reverse();
    let (late, early) = nodes.split_at(nodes.len() / 2);
    let mut ways = town.ways.clone();
    ways.swap(0, 7);
    ways.swap(3, 12);
    let mut blocks = Vec::new();
    let mut b = Block::default();
    for r in &town.relations {
        b.relation(r);
    }
    blocks.push(b);
    let mut b = Block::default();
    b.dense(early);
    blocks.push(b);
    let mut b = Block::default();
    for w in &ways {
        b.way(w);
    }
    blocks.push(b);
    let mut b = Block::default();
    b.dense(late);
    blocks.push(b);
    let bytes: Vec<u8> = std::iter::once(header_blob())
        .chain(blocks.iter().map(Block::blob))
        .collect::<Vec<_>>()
        .concat();
    let (_b, unsorted_out, unsorted_summary) = pbf_succeeds("unsorted", &bytes);
    assert_eq!(outputs(&sorted_out), outputs(&unsorted_out));
    assert_eq!(
        sorted_summary["counts"]["graph"],
        unsorted_summary["counts"]["graph"]
    );
}

#[test]
fn ways_with_one_node() {
    let mut town = Extract::town();
    town.add_way(300, &[6], &[("highway", "footway")]);
    town.add_way(301, &[120], &[("building", "house")]);
    town.add_way(302, &[], &[("highway", "path")]);
    let (_dir, _out, summary) = pbf_succeeds("ways with one node", &town.pbf());
    assert_eq!(summary["counts"]["osm"]["ways_too_short"], 3);
    assert_eq!(summary["counts"]["osm"]["ways"], 19);
}

#[test]
fn way_with_a_missing_node() {
    let mut town = Extract::town();
    town.add_way(300, &[6, 999_999, 7, 8], &[("highway", "footway")]);
    let (_dir, _out, summary) = pbf_succeeds("way with a missing node", &town.pbf());
    assert_eq!(summary["counts"]["graph"]["way_nodes_missing"], 1);
}

#[test]
fn building_with_a_missing_node() {
    let mut town = Extract::town();
    town.add_way(
        300,
        &[101, 102, 999_999, 104, 101],
        &[("building", "house")],
    );
    let (_dir, _out, summary) = pbf_succeeds("building with a missing node", &town.pbf());
    let skipped = &summary["counts"]["residents"]["broken_areas"]["skipped"];
    assert!(
        skipped.as_array().is_some_and(|s| s
            .iter()
            .any(|s| s == "way/300: a node is missing from the extract")),
        "{skipped}"
    );
}

// ---- registers ----

/// The town's nodes 6 and 11 lie at these (lon, lat).
fn town_point(id: i64) -> (f64, f64) {
    let n = Extract::town()
        .nodes
        .into_iter()
        .find(|n| n.id == id)
        .unwrap();
    (n.lon, n.lat)
}

/// A register file `name` holding `bytes`, run with the town.
fn register_fails(case: &str, name: &str, bytes: &[u8], mentions: &[&str]) {
    let (dir, register) = file_with(name, bytes);
    let town = dir.path().join("town.osm.pbf");
    std::fs::write(&town, Extract::town().pbf()).unwrap();
    let reg = register.display().to_string();
    let flags = ["--facilities", &reg, "--category", "childcare"];
    let mut all = vec![reg.as_str()];
    all.extend_from_slice(mentions);
    fails_with(case, &town, &flags, BAD_DATA, &all);
}

/// A register that reads: exit 0; returns the facilities layer.
fn register_succeeds(case: &str, name: &str, bytes: &[u8]) -> Vec<serde_json::Value> {
    let (dir, register) = file_with(name, bytes);
    let town = dir.path().join("town.osm.pbf");
    std::fs::write(&town, Extract::town().pbf()).unwrap();
    let out = dir.path().join("out");
    let reg = register.display().to_string();
    let outcome = run(
        &town,
        &["--facilities", &reg, "--category", "childcare"],
        &out,
    );
    assert_eq!(
        outcome.code,
        Some(0),
        "[{case}] failed:\n{}",
        outcome.stderr
    );
    assert!(!outcome.stderr.contains("panicked"), "[{case}]");
    eprintln!("[{case}] exit 0");
    read_features(&out.join("facilities.geojson"))
}

fn names(features: &[serde_json::Value]) -> Vec<String> {
    features
        .iter()
        .map(|f| f["properties"]["name"].as_str().unwrap_or("").to_string())
        .collect()
}

fn csv_rows() -> String {
    let (x1, y1) = town_point(6);
    let (x2, y2) = town_point(11);
    format!("a,Kita Nord,{x1},{y1}\nb,Kita Süd,{x2},{y2}\n")
}

#[test]
fn register_missing_column() {
    let (x, _) = town_point(6);
    register_fails(
        "register: missing column",
        "register.csv",
        format!("id,name,lon\na,Kita,{x}\n").as_bytes(),
        &["row 1", "missing a latitude column"],
    );
}

#[test]
fn register_text_in_a_number() {
    let (x, y) = town_point(6);
    register_fails(
        "register: text in a number",
        "register.csv",
        format!("id,name,lon,lat\na,Kita,{x},{y}\nb,Kita B,{x},abc\n").as_bytes(),
        &["row 3", "field \"lat\"", "\"abc\" is not a number"],
    );
}

#[test]
fn register_wrong_delimiter() {
    let (x, y) = town_point(6);
    register_fails(
        "register: wrong delimiter",
        "register.csv",
        format!("id|name|lon|lat\na|Kita|{x}|{y}\n").as_bytes(),
        &["row 1", "columns found: \"id|name|lon|lat\"", "delimiter"],
    );
}

#[test]
fn register_rows_with_another_delimiter_than_the_header() {
    let (x, y) = town_point(6);
    register_fails(
        "register: rows with another delimiter",
        "register.csv",
        format!("id,name,lon,lat\na;Kita;{x};{y}\n").as_bytes(),
        &["row 2", "field \"lon\": missing value"],
    );
}

#[test]
fn register_with_utf8_bom() {
    let text = format!("\u{feff}id,name,lon,lat\n{}", csv_rows());
    let features = register_succeeds("register: UTF-8 BOM", "register.csv", text.as_bytes());
    assert_eq!(names(&features), ["Kita Nord", "Kita Süd"]);
}

#[test]
fn register_in_utf16_with_bom() {
    let text = format!("id;name;lon;lat\n{}", csv_rows().replace(',', ";"));
    let mut bytes = vec![0xff, 0xfe];
    bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let features = register_succeeds("register: UTF-16 BOM", "register.csv", &bytes);
    assert_eq!(names(&features), ["Kita Nord", "Kita Süd"]);
}

#[test]
fn register_in_gbk() {
    let (x1, y1) = town_point(6);
    let (x2, y2) = town_point(11);
    let text = format!(
        "编号,名称,lon,lat,name\na,x,{x1},{y1},阳光幼儿园\nb,y,{x2},{y2},北京市第一幼儿园\n"
    );
    let (bytes, _, unmappable) = encoding_rs::GBK.encode(&text);
    assert!(!unmappable);
    assert!(
        std::str::from_utf8(&bytes).is_err(),
        "GBK bytes are not UTF-8"
    );
    let features = register_succeeds("register: GBK", "register.csv", &bytes);
    assert_eq!(names(&features), ["阳光幼儿园", "北京市第一幼儿园"]);
}

#[test]
fn register_geojson_not_points() {
    register_fails(
        "register: GeoJSON not points",
        "register.geojson",
        br#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},
            "geometry":{"type":"LineString","coordinates":[[10,45],[10.001,45]]}}]}"#,
        &[
            "feature 0",
            "field \"geometry\": a LineString is not a Point",
        ],
    );
}

#[test]
fn register_geojson_empty() {
    register_fails(
        "register: GeoJSON without features",
        "register.geojson",
        br#"{"type":"FeatureCollection","features":[]}"#,
        &["no facilities in file"],
    );
}

#[test]
fn register_empty_file() {
    register_fails(
        "register: empty file",
        "register.geojson",
        b"",
        &["no facilities in file"],
    );
}

#[test]
fn register_not_json() {
    register_fails(
        "register: not JSON",
        "register.geojson",
        b"{\"type\": \"FeatureCollection\", \"features\": [oops",
        &["not valid JSON"],
    );
}

#[test]
fn register_deeply_nested_json() {
    let text = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    register_fails(
        "register: deeply nested JSON",
        "register.geojson",
        text.as_bytes(),
        &["not valid JSON", "recursion limit"],
    );
}

#[test]
fn register_binary_garbage() {
    let bytes: Vec<u8> = (0..=255u8).cycle().take(4096).collect();
    register_fails(
        "register: binary garbage",
        "register.csv",
        &bytes,
        &["row 1"],
    );
}

#[test]
fn register_coordinate_out_of_range() {
    let (x, _) = town_point(6);
    register_fails(
        "register: latitude out of range",
        "register.csv",
        format!("id,lon,lat\na,{x},95\n").as_bytes(),
        &["row 2", "field \"lat\"", "out of range"],
    );
}

/// Hand-encoding sanity: the raw body helper is what the reader takes as an uncompressed blob.
#[test]
fn raw_body_is_a_blob_message() {
    let body = raw_body(b"abc");
    assert_eq!(body, [0x0a, 3, b'a', b'b', b'c']);
}
