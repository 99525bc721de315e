//! A whole PBF file: framing, limits, inflating, decoding, merging.
#![no_main]

use std::path::Path;

use fifteen::Error;
use fifteen::facilities::categories::{Category, tags_of};
use fifteen::osm::read::read_extract_bytes;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let facility_tags = tags_of(&[Category::preset("childcare").unwrap()]);
    match read_extract_bytes(Path::new("fuzz.osm.pbf"), data, &facility_tags) {
        Ok(_) => {}
        // the reader's guard caught a panic: a bug to report as a crash
        Err(Error::Data { message, .. }) if message.contains("decoding it failed") => {
            panic!("{message}")
        }
        Err(Error::Data { .. }) => {}
        Err(other) => panic!("not a data error: {other}"),
    }
});
