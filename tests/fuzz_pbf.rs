//! Fuzz-style property test of PBF ingest on the stable toolchain: valid extracts mutated at
//! random (bit flips, byte writes, truncation, insertion, deletion, duplication of a range,
//! splices of two files) and random bytes behind a valid header must give `Ok` or a data
//! error — never a panic, an I/O error, or the reader's "decoding it failed" fallback (which
//! would mean the decoder panicked and the guard caught it).
//!
//! The seeds are the corpus town (zlib and uncompressed), the sample town, and two small real
//! extracts re-written with uncompressed blobs, so that most mutations reach the block decoder
//! rather than zlib's checksum. `PROPTEST_CASES=200000 cargo test --release --test fuzz_pbf`
//! runs a long session; the default (5,000 cases per property) takes a few seconds.
//! `FUZZ_SEEDS=fuzz/seeds cargo test --release --test fuzz_pbf -- --ignored` writes the seeds
//! for the cargo-fuzz targets in `fuzz/`.

mod common;
#[path = "corpus/pbf.rs"]
mod pbf;

use std::path::Path;
use std::sync::OnceLock;

use fifteen::Error;
use fifteen::facilities::categories::{Category, tags_of};
use fifteen::osm::read::read_extract_bytes;
use proptest::prelude::*;
use proptest::sample::Index;

/// Seed files, built once.
fn seeds() -> &'static [Vec<u8>] {
    static SEEDS: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    SEEDS.get_or_init(|| {
        let town = pbf::Extract::town();
        let sample = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/data/sample-town.osm.pbf"
        ))
        .expect("data/sample-town.osm.pbf");
        let mut seeds = vec![
            town.pbf(),
            town.raw_pbf(),
            pbf::uncompressed(&sample),
            sample,
        ];
        for name in ["amsterdam.osm.pbf", "rome.osm.pbf"] {
            if let Some(path) = common::shared_or_less(
                &format!("osm/{name}"),
                "real extracts among the seeds",
                &format!("fuzz_pbf: seeds without {name}"),
            ) {
                let bytes = std::fs::read(&path).expect("a shared extract");
                seeds.push(pbf::uncompressed(&bytes));
            }
        }
        seeds
    })
}

/// Reads `bytes` and checks the outcome is `Ok` or a plain data error.
fn check(bytes: &[u8]) {
    let facility_tags = tags_of(&[
        Category::preset("childcare").unwrap(),
        Category::preset("park").unwrap(),
    ]);
    match read_extract_bytes(Path::new("fuzz.osm.pbf"), bytes, &facility_tags) {
        Ok(extract) => {
            assert!(extract.counts.blobs >= 2);
            assert!(extract.entrances.is_sorted());
        }
        Err(Error::Data { message, .. }) => {
            assert!(
                !message.contains("decoding it failed"),
                "the decoder panicked: {message}"
            );
        }
        Err(other) => panic!("not a data error: {other}"),
    }
}

/// One change to a file.
#[derive(Clone, Debug)]
enum Mutation {
    FlipBit(Index, u8),
    SetByte(Index, u8),
    /// Writes a run of 0xff (a long varint, a huge length).
    Ones(Index, u8),
    Truncate(Index),
    Insert(Index, Vec<u8>),
    Delete(Index, u16),
    Duplicate(Index, u16),
    /// Replaces everything from the index on with the tail of another seed.
    Splice(Index, Index, Index),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => (any::<Index>(), 0..8u8).prop_map(|(i, b)| Mutation::FlipBit(i, b)),
        3 => (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Mutation::SetByte(i, b)),
        1 => (any::<Index>(), 1..12u8).prop_map(|(i, n)| Mutation::Ones(i, n)),
        1 => any::<Index>().prop_map(Mutation::Truncate),
        1 => (any::<Index>(), prop::collection::vec(any::<u8>(), 1..16))
            .prop_map(|(i, b)| Mutation::Insert(i, b)),
        1 => (any::<Index>(), 1..64u16).prop_map(|(i, n)| Mutation::Delete(i, n)),
        1 => (any::<Index>(), 1..256u16).prop_map(|(i, n)| Mutation::Duplicate(i, n)),
        1 => (any::<Index>(), any::<Index>(), any::<Index>())
            .prop_map(|(a, s, b)| Mutation::Splice(a, s, b)),
    ]
}

fn apply(bytes: &mut Vec<u8>, m: &Mutation) {
    if bytes.is_empty() {
        return;
    }
    let len = bytes.len();
    match m {
        Mutation::FlipBit(i, bit) => bytes[i.index(len)] ^= 1 << bit,
        Mutation::SetByte(i, b) => bytes[i.index(len)] = *b,
        Mutation::Ones(i, n) => {
            let at = i.index(len);
            let end = (at + usize::from(*n)).min(len);
            bytes[at..end].fill(0xff);
        }
        Mutation::Truncate(i) => bytes.truncate(i.index(len)),
        Mutation::Insert(i, b) => {
            let at = i.index(len + 1);
            bytes.splice(at..at, b.iter().copied());
        }
        Mutation::Delete(i, n) => {
            let at = i.index(len);
            bytes.drain(at..(at + usize::from(*n)).min(len));
        }
        Mutation::Duplicate(i, n) => {
            let at = i.index(len);
            let range: Vec<u8> = bytes[at..(at + usize::from(*n)).min(len)].to_vec();
            bytes.splice(at..at, range);
        }
        Mutation::Splice(a, s, b) => {
            let other = &seeds()[s.index(seeds().len())];
            let from = b.index(other.len());
            bytes.truncate(a.index(len));
            bytes.extend_from_slice(&other[from..]);
        }
    }
}

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(5000);
    ProptestConfig {
        cases,
        max_shrink_iters: 10_000,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    /// A seed with one to eight mutations.
    #[test]
    fn mutated_extracts_never_panic(
        seed in any::<Index>(),
        mutations in prop::collection::vec(mutation(), 1..8),
    ) {
        let mut bytes = seeds()[seed.index(seeds().len())].clone();
        for m in &mutations {
            apply(&mut bytes, m);
        }
        check(&bytes);
    }

    /// Random bytes behind a valid header blob, and alone.
    #[test]
    fn random_bytes_never_panic(tail in prop::collection::vec(any::<u8>(), 0..4096)) {
        check(&tail);
        let mut bytes = pbf::header_blob();
        bytes.extend_from_slice(&tail);
        check(&bytes);
    }

    /// A random primitive block in a valid uncompressed blob: straight to the block decoder.
    #[test]
    fn random_blocks_never_panic(block in prop::collection::vec(any::<u8>(), 0..4096)) {
        let mut bytes = pbf::header_blob();
        bytes.extend(pbf::blob("OSMData", &pbf::raw_body(&block)));
        check(&bytes);
    }
}

/// Every seed reads as it is.
#[test]
fn seeds_are_valid() {
    for seed in seeds() {
        let facility_tags = tags_of(&[Category::preset("childcare").unwrap()]);
        read_extract_bytes(Path::new("seed.osm.pbf"), seed, &facility_tags).expect("a valid seed");
    }
}

/// Writes the seeds of the cargo-fuzz targets (see `fuzz/README.md`) under `$FUZZ_SEEDS`.
#[test]
#[ignore = "writes files; run by hand"]
fn write_fuzz_seeds() {
    let dir = std::env::var("FUZZ_SEEDS").expect("FUZZ_SEEDS=folder");
    let dir = Path::new(&dir);
    for target in ["pbf_file", "pbf_block"] {
        std::fs::create_dir_all(dir.join(target)).unwrap();
    }
    for (i, seed) in seeds().iter().enumerate() {
        std::fs::write(dir.join(format!("pbf_file/seed-{i}.osm.pbf")), seed).unwrap();
        for (j, (kind, block)) in pbf::inflated_blocks(seed).iter().enumerate() {
            if kind == "OSMData" {
                let name = format!("pbf_block/seed-{i}-{j}.block");
                std::fs::write(dir.join(name), block).unwrap();
            }
        }
    }
}
