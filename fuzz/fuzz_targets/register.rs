//! A facility register; the first byte picks the file name (and so the format).
#![no_main]

use std::path::Path;

use fifteen::Error;
use fifteen::facilities::register::parse_register;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, bytes)) = data.split_first() else {
        return;
    };
    let name = ["register.csv", "register.geojson", "register.txt"][usize::from(pick % 3)];
    match parse_register(Path::new(name), bytes, "childcare") {
        Ok(facilities) => {
            for f in &facilities {
                assert!(f.lon.abs() <= 180.0 && f.lat.abs() <= 90.0, "{f:?}");
            }
        }
        Err(Error::Data { .. }) => {}
        Err(other) => panic!("not a data error: {other}"),
    }
});
