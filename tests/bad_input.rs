//! Bad inputs fail cleanly: one message on stderr naming the file (or flag) and the problem,
//! the documented exit code (1 bad data, 2 usage or environment), no panic, no output files,
//! and an earlier good output in the same folder left byte for byte as it was.
//!
//! Run with `-- --nocapture` to see each case's exact stderr.

mod common;
#[path = "corpus/pbf.rs"]
mod pbf;

use std::ffi::OsString;
use std::path::Path;

use common::{Outcome, check_failure, coverage, file_with, sample_town, shared_or_skip};
use fifteen::osm::write::PbfWriter;

/// Exit code of unusable data.
const BAD_DATA: i32 = 1;
/// Exit code of a request that cannot be carried out (usage, environment).
const USAGE: i32 = 2;

/// `input` followed by `flags`, as arguments of `fifteen coverage`.
fn args(input: impl AsRef<Path>, flags: &[&str]) -> Vec<OsString> {
    std::iter::once(input.as_ref().as_os_str().to_owned())
        .chain(flags.iter().map(OsString::from))
        .collect()
}

/// Runs `args --out out`.
fn run_into(args: &[OsString], out: &Path) -> Outcome {
    coverage(
        args.iter()
            .cloned()
            .chain([OsString::from("--out"), out.as_os_str().to_owned()]),
    )
}

/// The bad run `args` fails cleanly (see [`common::assert_fails_cleanly`]); the good run
/// it must not disturb is the sample town with `--category grocery`.
fn assert_fails_cleanly(case: &str, args: &[OsString], code: i32, mentions: &[&str]) {
    let good = self::args(sample_town(), &["--category", "grocery"]);
    common::assert_fails_cleanly(
        case,
        |out| run_into(args, out),
        |out| run_into(&good, out),
        code,
        mentions,
    );
}

fn display(path: &Path) -> String {
    path.display().to_string()
}

/// A valid extract of several data blobs (nodes, ways, relations).
fn valid_extract() -> Vec<u8> {
    std::fs::read(sample_town()).expect("data/sample-town.osm.pbf")
}

/// A text file named like an extract.
#[test]
fn text_file_is_not_a_pbf() {
    let (_dir, path) = file_with("not-a-pbf.osm.pbf", b"this is not a PBF, just text\n");
    assert_fails_cleanly(
        "not a PBF",
        &args(&path, &["--category", "childcare"]),
        BAD_DATA,
        &[&display(&path), "pbf"],
    );
}

/// A zero-byte extract.
#[test]
fn empty_file() {
    let (_dir, path) = file_with("empty.osm.pbf", b"");
    assert_fails_cleanly(
        "empty file",
        &args(&path, &["--category", "childcare"]),
        BAD_DATA,
        &[&display(&path), "empty"],
    );
}

/// The first half of a valid extract: the file ends inside a blob.
#[test]
fn truncated_pbf() {
    let bytes = valid_extract();
    let (_dir, path) = file_with("truncated.osm.pbf", &bytes[..bytes.len() / 2]);
    assert_fails_cleanly(
        "truncated PBF",
        &args(&path, &["--category", "childcare"]),
        BAD_DATA,
        &[&display(&path), "truncated|end of file"],
    );
}

/// A valid extract with eight bytes flipped in the middle of a data blob's compressed body.
#[test]
fn corrupted_blob() {
    let mut bytes = valid_extract();
    let bodies = pbf::blob_bodies(&bytes);
    assert!(bodies.len() >= 3, "{} blobs", bodies.len());
    let (start, len) = bodies[bodies.len() / 2];
    for b in &mut bytes[start + len / 2..start + len / 2 + 8] {
        *b ^= 0xff;
    }
    let (_dir, path) = file_with("corrupted.osm.pbf", &bytes);
    assert_fails_cleanly(
        "corrupted blob",
        &args(&path, &["--category", "childcare"]),
        BAD_DATA,
        &[&display(&path), "corrupt|invalid|checksum"],
    );
}

/// An input path that does not exist is an environment problem (exit 2).
#[test]
fn nonexistent_input() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing.osm.pbf");
    assert_fails_cleanly(
        "nonexistent input",
        &args(&path, &["--category", "childcare"]),
        USAGE,
        &[&display(&path), "no such file|not found|does not exist"],
    );
}

/// A synthetic extract (written with `PbfWriter`) whose only ways are a house, a motorway and
/// a footway closed to walkers.
#[test]
fn extract_without_walkable_way() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("no-walkable-way.osm.pbf");
    let mut w = PbfWriter::create(&path).unwrap();
    let square = [
        (9.5200, 47.1400),
        (9.5202, 47.1400),
        (9.5202, 47.1402),
        (9.5200, 47.1402),
    ];
    for (id, (lon, lat)) in (1..).zip(square) {
        w.write_node(id, lon, lat, &[]).unwrap();
    }
    w.write_node(5, 9.5190, 47.1390, &[]).unwrap();
    w.write_node(6, 9.5210, 47.1410, &[]).unwrap();
    w.write_node(7, 9.5205, 47.1405, &[("amenity", "kindergarten")])
        .unwrap();
    w.write_way(1, &[1, 2, 3, 4, 1], &[("building", "house")])
        .unwrap();
    w.write_way(2, &[5, 6], &[("highway", "motorway")]).unwrap();
    w.write_way(3, &[4, 6], &[("highway", "footway"), ("foot", "no")])
        .unwrap();
    w.finish().unwrap();
    assert_fails_cleanly(
        "no walkable way (synthetic)",
        &args(&path, &["--category", "childcare"]),
        BAD_DATA,
        &[&display(&path), "walkable"],
    );
}

/// A real extract of a car-only network (melborne.osm.pbf: every way is `foot=no`).
#[test]
fn real_extract_without_walkable_way() {
    let path = shared_or_skip!(
        "osm/melborne.osm.pbf",
        "the real car-only extract; the synthetic case runs everywhere"
    );
    assert_fails_cleanly(
        "no walkable way (melborne)",
        &args(&path, &["--category", "childcare"]),
        BAD_DATA,
        &["melborne.osm.pbf", "walkable"],
    );
}

/// A custom category no element of the extract carries.
#[test]
fn no_facility_of_the_category() {
    let path = sample_town();
    assert_fails_cleanly(
        "no facility",
        &args(&path, &["--facility-tags", "amenity=nonexistent_xyz"]),
        BAD_DATA,
        &[
            "sample-town.osm.pbf",
            "amenity=nonexistent_xyz",
            "no facility",
        ],
    );
}

/// A register CSV whose row 3 (the second data row) has `lat` = "abc": the message names the
/// file, the row, the field and the value.
#[test]
fn register_with_a_bad_row() {
    let csv = "id,name,lon,lat\na,Shop A,10.006,45.0027\nb,Shop B,10.012,abc\n";
    let (_dir, register) = file_with("register.csv", csv.as_bytes());
    let flags = ["--facilities", &display(&register), "--category", "grocery"];
    assert_fails_cleanly(
        "register bad row",
        &args(sample_town(), &flags),
        BAD_DATA,
        &[&display(&register), "row 3", "lat", "abc"],
    );
}

/// A register with no row of the asked category: the message names the register.
#[test]
fn register_without_the_category() {
    let csv = "id,name,lon,lat,category\na,Pharmacy A,10.006,45.0027,pharmacy\n";
    let (_dir, register) = file_with("register.csv", csv.as_bytes());
    let flags = ["--facilities", &display(&register), "--category", "grocery"];
    assert_fails_cleanly(
        "register without the category",
        &args(sample_town(), &flags),
        BAD_DATA,
        &[&display(&register), "no facility", "grocery"],
    );
}

/// A register path that does not exist is an environment problem (exit 2).
#[test]
fn nonexistent_register() {
    let dir = tempfile::tempdir().unwrap();
    let register = dir.path().join("missing.csv");
    let flags = ["--facilities", &display(&register)];
    assert_fails_cleanly(
        "nonexistent register",
        &args(sample_town(), &flags),
        USAGE,
        &[&display(&register), "no such file|not found|does not exist"],
    );
}

/// A register that cannot be read (a folder) is an environment problem (exit 2).
#[test]
fn unreadable_register() {
    let dir = tempfile::tempdir().unwrap();
    let register = dir.path().join("register.csv");
    std::fs::create_dir(&register).unwrap();
    let flags = ["--facilities", &display(&register)];
    assert_fails_cleanly(
        "unreadable register",
        &args(sample_town(), &flags),
        USAGE,
        &[&display(&register), "directory"],
    );
}

/// An output folder under a regular file cannot be created (exit 2); the file stays as it was.
#[test]
fn unwritable_output_folder() {
    let (_dir, file) = file_with("file.txt", b"a regular file\n");
    let out = file.join("sub");
    let outcome = run_into(&args(sample_town(), &["--category", "grocery"]), &out);
    check_failure(
        "unwritable output",
        &outcome,
        USAGE,
        &[&display(&out), "not a directory"],
    );
    assert_eq!(std::fs::read(&file).unwrap(), b"a regular file\n");
}

/// An unknown `--category` preset is a usage error naming it (exit 2).
#[test]
fn unknown_category() {
    assert_fails_cleanly(
        "unknown category",
        &args(sample_town(), &["--category", "nosuchcat"]),
        USAGE,
        &["nosuchcat", "unknown category"],
    );
}

/// `--minutes 0` is a usage error naming the flag (exit 2).
#[test]
fn zero_minutes() {
    assert_fails_cleanly(
        "--minutes 0",
        &args(sample_town(), &["--category", "grocery", "--minutes", "0"]),
        USAGE,
        &["--minutes", "positive"],
    );
}
