//! One primitive block, uncompressed, behind a valid header: straight to the block decoder.
#![no_main]

use std::path::Path;

use fifteen::Error;
use fifteen::facilities::categories::{Category, tags_of};
use fifteen::osm::read::read_extract_bytes;
use libfuzzer_sys::fuzz_target;

fn varint(buf: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        buf.push((n as u8) | 0x80);
        n >>= 7;
    }
    buf.push(n as u8);
}

/// A framed blob of `kind` holding `data` uncompressed.
fn raw_blob(kind: &str, data: &[u8]) -> Vec<u8> {
    let mut body = vec![0x0a];
    varint(&mut body, data.len() as u64);
    body.extend_from_slice(data);
    let mut header = vec![0x0a, kind.len() as u8];
    header.extend_from_slice(kind.as_bytes());
    header.push(0x18);
    varint(&mut header, body.len() as u64);
    let mut out = (header.len() as u32).to_be_bytes().to_vec();
    out.extend(header);
    out.extend(body);
    out
}

fuzz_target!(|block: &[u8]| {
    let mut file = raw_blob("OSMHeader", b"\x22\x0eOsmSchema-V0.6\x22\x0aDenseNodes");
    file.extend(raw_blob("OSMData", block));
    let facility_tags = tags_of(&[
        Category::preset("childcare").unwrap(),
        Category::preset("park").unwrap(),
    ]);
    match read_extract_bytes(Path::new("fuzz.osm.pbf"), &file, &facility_tags) {
        Ok(_) => {}
        Err(Error::Data { message, .. }) if message.contains("decoding it failed") => {
            panic!("{message}")
        }
        Err(Error::Data { .. }) => {}
        Err(other) => panic!("not a data error: {other}"),
    }
});
