//! Fuzz-style property test of register parsing on the stable toolchain: random bytes, random
//! text, and valid CSV / GeoJSON registers mutated at random must give facilities or a data
//! error — never a panic or an I/O error — whichever format the file name picks.
//!
//! `PROPTEST_CASES=200000 cargo test --release --test fuzz_register` runs a long session; the
//! default (1,000 cases per property) takes a second or two.
//! `FUZZ_SEEDS=fuzz/seeds cargo test --release --test fuzz_register -- --ignored` writes the
//! seeds of the cargo-fuzz target `register`.

use std::path::Path;

use fifteen::Error;
use fifteen::facilities::register::parse_register;
use proptest::prelude::*;
use proptest::sample::Index;

/// Valid registers: UTF-8 CSV with every column, semicolons and decimal commas, tabs, GBK,
/// a UTF-8 BOM, GeoJSON collections and a single feature.
fn seeds() -> Vec<Vec<u8>> {
    let mut seeds: Vec<Vec<u8>> = [
        "ID,Name,Category,Longitude,Latitude,Capacity,Affordable\n\
         k1,Kita Sonne,,13.4,52.5,40,Yes\nk2,\"Kita, Mond\",school,13.41,52.51,,\n",
        "name;x;y\nKita;4,9;52,37\nSchool;4.91;52.38\n",
        "id\tlng\tlat\na\t2.35\t48.85\n",
        "\u{feff}lon,lat,name,affordable\n1,2,Zoë,n\n3,4,Ä,1\n",
        r#"{"type":"FeatureCollection","features":[
            {"type":"Feature","id":7,"properties":{"name":"A","capacity":12,"affordable":true},
             "geometry":{"type":"Point","coordinates":[10.0,45.0]}},
            {"type":"Feature","properties":{"id":"b","category":"school"},
             "geometry":{"type":"MultiPoint","coordinates":[[10.1,45.1]]}}]}"#,
        r#"{"type":"Feature","properties":{"name":"one"},"geometry":{"type":"Point","coordinates":[1,2]}}"#,
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    let (gbk, _, _) = encoding_rs::GBK.encode("名称,lon,lat\n阳光幼儿园,116.4,39.9\n");
    seeds.push(gbk.into_owned());
    seeds
}

const NAMES: [&str; 4] = [
    "register.csv",
    "register.geojson",
    "register.json",
    "register.txt",
];

/// Parses `bytes` as each file name would have it read.
fn check(bytes: &[u8]) {
    for name in NAMES {
        match parse_register(Path::new(name), bytes, "childcare") {
            Ok(facilities) => {
                assert!(!facilities.is_empty());
                for f in &facilities {
                    assert!(f.lon.abs() <= 180.0 && f.lat.abs() <= 90.0, "{f:?}");
                }
            }
            Err(Error::Data { .. }) => {}
            Err(other) => panic!("not a data error: {other}"),
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
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        check(&bytes);
    }

    /// Text made of the characters registers are made of.
    #[test]
    fn register_like_text_never_panics(text in "[a-z0-9,;\t\n\r\"{}\\[\\]:. \u{feff}-]{0,400}") {
        check(text.as_bytes());
    }

    /// A valid register with bytes changed, inserted or cut.
    #[test]
    fn mutated_registers_never_panic(
        seed in any::<Index>(),
        edits in prop::collection::vec((any::<Index>(), any::<u8>(), 0..3u8), 1..8),
    ) {
        let seeds = seeds();
        let mut bytes = seeds[seed.index(seeds.len())].clone();
        for (at, byte, op) in edits {
            if bytes.is_empty() {
                break;
            }
            let i = at.index(bytes.len());
            match op {
                0 => bytes[i] = byte,
                1 => bytes.insert(i, byte),
                _ => bytes.truncate(i),
            }
        }
        check(&bytes);
    }
}

/// Every seed reads.
#[test]
fn seeds_are_valid() {
    for (i, seed) in seeds().iter().enumerate() {
        let name = if seed.first() == Some(&b'{') {
            "r.geojson"
        } else {
            "r.csv"
        };
        parse_register(Path::new(name), seed, "childcare")
            .unwrap_or_else(|e| panic!("seed {i}: {e}"));
    }
}

/// Writes the seeds of the cargo-fuzz target `register` under `$FUZZ_SEEDS`.
#[test]
#[ignore = "writes files; run by hand"]
fn write_fuzz_seeds() {
    let dir = std::env::var("FUZZ_SEEDS").expect("FUZZ_SEEDS=folder");
    let dir = Path::new(&dir).join("register");
    std::fs::create_dir_all(&dir).unwrap();
    for (i, seed) in seeds().iter().enumerate() {
        // the target's first byte picks the file name (see fuzz/fuzz_targets/register.rs)
        let pick = if seed.first() == Some(&b'{') { 1 } else { 0 };
        let mut bytes = vec![pick];
        bytes.extend_from_slice(seed);
        std::fs::write(dir.join(format!("seed-{i}")), bytes).unwrap();
    }
}
