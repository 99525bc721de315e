//! Indicators rolled up over two districts and three sub-districts, against a hand
//! computation.
//!
//! ```text
//!  y (m)   D1 = S1 + S2 (admin_level 6)        D2 = S3
//!   500  +-------------+-------------+-------------+
//!        |  S1         |  S2         |  S3         |   sub-districts (admin_level 8)
//!    25  |   h1    h2  |   h3    h4  |   h5    h6  |   houses, 10 × 10 m, 3 floors: 10 residents
//!     0  A=============================================B   one residential street, 3,000 m
//!   -15  |      K1     |             |      K2     |   K1: 30 places, public; K2: 20, private
//!  -500  +-------------+-------------+-------------+
//!        0    250  500 750 1000 1250 1750 2000 2250 2500 2750 3000   x (m)
//! ```
//!
//! Walks (a house snaps 25 m to the street, a kindergarten 15 m): h1, h2, h5, h6 are
//! 25 + 250 + 15 = 290 m (3.87 min) from theirs; h3 is 790 m (10.53 min) from K1, h4 790 m
//! from K2. All six are within 15 min; four within 5 min.
//!
//! 2SFCA at 15 min: K1 reaches h1, h2, h3 (30 residents): R = 30/30 = 1 place per resident;
//! K2 reaches h4, h5, h6: R = 20/30. Access: h1–h3 1,000, h4–h6 666.7 places per 1,000.

mod common;

use common::map::{METRES_PER_DEGREE_LAT, Map};
use common::read_features;
use std::path::Path;

fn house(map: &mut Map, x_m: f64) {
    map.rectangle(
        x_m - 5.0,
        20.0,
        x_m + 5.0,
        30.0,
        &[("building", "house"), ("building:levels", "3")],
    );
}

/// A boundary relation; `name` may be `NAME|中文名`, which maps `name:zh` too.
fn boundary(map: &mut Map, x0: f64, x1: f64, level: &str, name: &str) {
    let ring = map.rectangle(x0, -500.0, x1, 500.0, &[]);
    let (name, zh) = name
        .split_once('|')
        .map_or((name, None), |(n, z)| (n, Some(z)));
    let mut tags = vec![
        ("type", "boundary"),
        ("boundary", "administrative"),
        ("admin_level", level),
        ("name", name),
    ];
    tags.extend(zh.map(|z| ("name:zh", z)));
    map.relation(vec![(ring, "outer")], &tags);
}

/// The streets, houses and units of the fixture, and D3 (x 3,000–4,000 m), a district with no
/// home, street or sub-district; kindergartens K1 and K2 as OSM nodes when
/// `osm_kindergartens` (K1 tagged `min_age=1`, so taking children under 3).
fn fixture(osm_kindergartens: bool) -> Map {
    fixture_named(osm_kindergartens, ["S1", "S2", "S3", "D1", "D2", "D3"])
}

/// [`fixture`] with other unit names: S1, S2, S3, D1, D2, D3 in that order (`NAME|中文名`
/// maps a `name:zh` too).
fn fixture_named(osm_kindergartens: bool, names: [&str; 6]) -> Map {
    let mut map = Map::default();
    let a = map.node(0.0, 0.0, &[]);
    let b = map.node(3000.0, 0.0, &[]);
    map.way(vec![a, b], &[("highway", "residential")]);
    if osm_kindergartens {
        map.node(
            500.0,
            -15.0,
            &[
                ("amenity", "kindergarten"),
                ("capacity", "30"),
                ("operator:type", "public"),
                ("min_age", "1"),
            ],
        );
        map.node(
            2500.0,
            -15.0,
            &[
                ("amenity", "kindergarten"),
                ("capacity", "20"),
                ("operator:type", "private"),
            ],
        );
    }
    for x in [250.0, 750.0, 1250.0, 1750.0, 2250.0, 2750.0] {
        house(&mut map, x);
    }
    boundary(&mut map, 0.0, 1000.0, "8", names[0]);
    boundary(&mut map, 1000.0, 2000.0, "8", names[1]);
    boundary(&mut map, 2000.0, 3000.0, "8", names[2]);
    boundary(&mut map, 0.0, 2000.0, "6", names[3]);
    boundary(&mut map, 2000.0, 3000.0, "6", names[4]);
    boundary(&mut map, 3000.0, 4000.0, "6", names[5]);
    map
}

/// `indicators.csv` of a run, looked up by unit name and column.
struct Indicators {
    header: csv::StringRecord,
    rows: Vec<csv::StringRecord>,
}

impl Indicators {
    fn read(out: &Path) -> Self {
        let text = std::fs::read_to_string(out.join("indicators.csv")).expect("indicators.csv");
        let mut reader = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
        let header = reader.headers().expect("a header").clone();
        let rows = reader.records().map(|r| r.expect("a row")).collect();
        Indicators { header, rows }
    }

    fn get(&self, name: &str, field: &str) -> String {
        let row = self
            .rows
            .iter()
            .find(|r| &r[1] == name)
            .unwrap_or_else(|| panic!("a row for {name}"));
        let i = self
            .header
            .iter()
            .position(|h| h == field)
            .unwrap_or_else(|| panic!("column {field}"));
        row[i].to_string()
    }
}

#[test]
fn indicators_roll_up_by_hand() {
    let (_dir, out) = fixture(true).run_coverage(
        "units",
        &["--category", "childcare", "--minutes", "5,10,15"],
    );
    let table = Indicators::read(&out);
    let rows = &table.rows;
    let get = |name: &str, field: &str| table.get(name, field);
    let num = |name: &str, field: &str| -> f64 {
        get(name, field)
            .parse()
            .unwrap_or_else(|_| panic!("{name} {field}"))
    };
    let close = |name: &str, field: &str, want: f64| {
        let got = num(name, field);
        assert!(
            (got - want).abs() <= 0.002 * want.abs().max(1.0),
            "{name} {field}: {got} vs {want}"
        );
    };

    // (unit, residents, places, affordable share or "" when no places)
    close("(whole extract)", "residents", 60.0);
    close("(whole extract)", "covered_share_5min", 4.0 / 6.0);
    close("(whole extract)", "covered_share_10min", 4.0 / 6.0);
    close("(whole extract)", "covered_share_15min", 1.0);
    close("(whole extract)", "places", 50.0);
    close("(whole extract)", "places_per_1000", 50.0 / 60.0 * 1000.0);
    close("(whole extract)", "affordable_share", 0.6);
    assert_eq!(
        get("(whole extract)", "affordable_target_met"),
        "true",
        "30 of 50 places = 0.6"
    );
    close(
        "(whole extract)",
        "subdistricts_with_affordable_share",
        1.0 / 3.0,
    );
    assert_eq!(get("(whole extract)", "subdistricts_target_met"), "false");

    close("D1", "residents", 40.0);
    close("D1", "places", 30.0);
    close("D1", "subdistricts_with_affordable_share", 0.5);
    close("D2", "residents", 20.0);
    close("D2", "affordable_share", 0.0);
    assert_eq!(get("D2", "affordable_target_met"), "false");

    close("S1", "places", 30.0);
    assert_eq!(get("S1", "has_affordable_facility"), "true");
    close("S2", "places", 0.0);
    assert_eq!(get("S2", "has_affordable_facility"), "false");
    assert_eq!(get("S2", "places_target_met"), "false");
    close("S2", "deficit_places", 4.5 * 20.0 / 1000.0);
    // 2SFCA's demand is children: 3 % of residents (the default --under3-share), so each
    // place per resident is 1 / 0.03 places per child.
    close("S2", "access_per_child", (1.0 + 2.0 / 3.0) / 2.0 / 0.03);
    close("S2", "covered_share_5min", 0.0);
    close("S2", "covered_share_15min", 1.0);
    assert_eq!(get("S3", "has_affordable_facility"), "false");

    // Toddler classes from OSM's min_age: K1 (D1) takes under-3s, K2's (D2) is unknown.
    // City: 1 of 2 with toddler classes, 1 unknown → share 0.5 counting the unknown as
    // without, and the 40 % target is met whatever K2 does; D2: 0 of 1, undecided (0 or 1
    // against 0.4).
    assert_eq!(get("(whole extract)", "kindergartens"), "2");
    assert_eq!(get("(whole extract)", "toddler_class_kindergartens"), "1");
    close("(whole extract)", "toddler_class_share", 0.5);
    assert_eq!(get("(whole extract)", "toddler_class_target_met"), "true");
    assert_eq!(get("D1", "toddler_class_target_met"), "true");
    close("D2", "toddler_class_share", 0.0);
    assert_eq!(get("D2", "toddler_class_target_met"), "");
    assert_eq!(
        get("S2", "toddler_class_share"),
        "",
        "no kindergarten in S2"
    );
    // OSM has no tag for a guidance centre: every district is undecided, D3 without any
    // facility too (a centre might be mapped as something else).
    for unit in ["(whole extract)", "D1", "D2", "D3"] {
        assert_eq!(get(unit, "guidance_centres"), "0", "{unit}");
        assert_eq!(get(unit, "guidance_target_met"), "", "{unit}");
    }
    assert!(
        rows.iter().all(|r| &r[0] != "outside"),
        "every home is in a unit"
    );

    let units = read_features(&out.join("units.geojson"));
    assert_eq!(units.len(), 6, "three districts and three sub-districts");
    let facilities = read_features(&out.join("facilities.geojson"));
    let k1 = facilities
        .iter()
        .find(|f| f["properties"]["places"] == 30.0)
        .expect("K1");
    assert_eq!(k1["properties"]["subdistrict"], "S1");
    assert_eq!(k1["properties"]["district"], "D1");
    assert_eq!(k1["properties"]["affordable_source"], "osm_proxy");
    let ratio = k1["properties"]["ratio_per_child"].as_f64().unwrap();
    assert!((ratio * 0.03 - 1.0).abs() < 1e-3, "{ratio}");
    assert_eq!(k1["properties"]["type"], "kindergarten");
    assert_eq!(k1["properties"]["toddler_classes"], true);
}

/// The register's `type` and `toddler_classes` decide the two targets that count kinds:
/// K1 (S1, D1) a kindergarten with toddler classes, K2 (S3, D2) one without, G (S2, D1) a
/// guidance centre, N (S2, D1) a nursery. The second run adds G2 (S3, D2), a kindergarten
/// hosting a guidance centre, and U (D3), of no stated type.
#[test]
fn register_types_decide_toddler_and_guidance_targets() {
    let lonlat = |x_m: f64, y_m: f64| {
        let metres_per_degree_lon = METRES_PER_DEGREE_LAT * 45f64.to_radians().cos();
        format!(
            "{:.7},{:.7}",
            10.0 + x_m / metres_per_degree_lon,
            45.0 + y_m / METRES_PER_DEGREE_LAT
        )
    };
    let register = format!(
        "id,lon,lat,type,toddler_classes\n\
         K1,{},Kindergarten,yes\n\
         K2,{},kindergarten,no\n\
         G,{},Guidance Centre,\n\
         N,{},nursery,\n",
        lonlat(500.0, -15.0),
        lonlat(2500.0, -15.0),
        lonlat(1500.0, -15.0),
        lonlat(1250.0, -15.0),
    );
    let with_more = format!(
        "{register}G2,{},公办幼儿园; 区托育服务指导中心,否\nU,{},,\n",
        lonlat(2750.0, -15.0),
        lonlat(3500.0, -15.0)
    );
    // (register, D2 and D3's guidance verdicts, the city's, the toddler-class shares of the
    // city and D2)
    for (csv, d2, d3, city, toddlers) in [
        (register, "false", "false", "false", ["0.5000", "0.0000"]),
        (with_more, "true", "", "", ["0.3333", "0.0000"]),
    ] {
        let (dir, path) = common::file_with("register.csv", csv.as_bytes());
        let (_run, out) = fixture(false)
            .run_coverage("units-register", &["--facilities", path.to_str().unwrap()]);
        drop(dir);
        let table = Indicators::read(&out);
        let get = |name: &str, field: &str| table.get(name, field);
        // Run 1: 1 of 2 kindergartens (0.5 ≥ 0.4); run 2: 1 of 3 (G2 is one, 0.33 < 0.4).
        // D1 1 of 1; D2 0 of 1, then 0 of 2 (0 < 0.4).
        let met = if toddlers[0] == "0.5000" {
            "true"
        } else {
            "false"
        };
        assert_eq!(get("(whole extract)", "toddler_class_share"), toddlers[0]);
        assert_eq!(get("(whole extract)", "toddler_class_target_met"), met);
        assert_eq!(get("D1", "toddler_class_share"), "1.0000");
        assert_eq!(get("D2", "toddler_class_share"), toddlers[1]);
        assert_eq!(get("D2", "toddler_class_target_met"), "false");
        // G is D1's guidance centre. Run 1: D2 has none (K2 is a kindergarten), D3 no
        // facility at all; the city (every district) misses. Run 2: G2 is D2's; U, of no
        // stated type, may be D3's: the city is undecided.
        assert_eq!(get("D1", "guidance_centres"), "1");
        assert_eq!(get("D1", "guidance_target_met"), "true");
        assert_eq!(get("S2", "guidance_centres"), "1");
        assert_eq!(get("S2", "guidance_target_met"), "", "not a district");
        assert_eq!(get("D2", "guidance_target_met"), d2);
        assert_eq!(get("D3", "guidance_target_met"), d3);
        assert_eq!(get("(whole extract)", "guidance_target_met"), city);
    }
}

/// Names from the map and from a register are anyone's text: in `indicators.csv` a name or
/// category that a spreadsheet would run as a formula is written with a leading `'` (OWASP's
/// advice), and nothing else changes.
#[test]
fn names_that_spreadsheets_would_run_are_written_as_text() {
    let hostile = [
        "=HYPERLINK(\"http://x\",\"click\")",
        "+S2",
        "-S3",
        "@D1",
        "\tD2",
        "D3",
    ];
    let (_dir, out) =
        fixture_named(true, hostile).run_coverage("units-hostile", &["--category", "childcare"]);
    let text = std::fs::read_to_string(out.join("indicators.csv")).expect("indicators.csv");
    let mut reader = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let names: std::collections::BTreeSet<String> = reader
        .records()
        .map(|r| r.expect("a row")[1].to_string())
        .collect();
    for name in &hostile[..5] {
        assert!(names.contains(&format!("'{name}")), "{name:?} in {names:?}");
        assert!(!names.contains(*name), "{name:?} written as is");
    }
    assert!(names.contains("D3"), "{names:?}");

    // a register's category, written into the category column
    let (_reg_dir, register) = common::file_with(
        "register.csv",
        format!(
            "id,lon,lat,category\nK,{:.7},{:.7},=1+1\n",
            10.0 + 500.0 / (METRES_PER_DEGREE_LAT * 45f64.to_radians().cos()),
            45.0 - 15.0 / METRES_PER_DEGREE_LAT
        )
        .as_bytes(),
    );
    let (_run, out) = fixture(false).run_coverage(
        "units-hostile-register",
        &["--facilities", register.to_str().unwrap()],
    );
    let table = Indicators::read(&out);
    let i = table
        .header
        .iter()
        .position(|h| h == "category")
        .expect("column");
    assert!(
        table.rows.iter().all(|r| &r[i] == "'=1+1"),
        "{:?}",
        table.rows
    );
}

/// `--lang zh` names a unit by its `name:zh` when mapped, else by `name`; English keeps `name`.
#[test]
fn chinese_runs_name_units_by_name_zh_when_mapped() {
    let names = ["S1|一街道", "S2", "S3", "D1|一区", "D2", "D3"];
    let args = ["--category", "childcare", "--minutes", "5,10,15"];
    let zh_args = [&args[..], &["--lang", "zh"]].concat();
    let (_zh_dir, zh) = fixture_named(true, names).run_coverage("units-zh", &zh_args);
    let (_en_dir, en) = fixture_named(true, names).run_coverage("units-en", &args);
    let (zh, en) = (Indicators::read(&zh), Indicators::read(&en));
    let names_of =
        |t: &Indicators| -> Vec<String> { t.rows.iter().map(|r| r[1].to_string()).collect() };
    for (chinese, mapped) in [("一街道", "S1"), ("一区", "D1")] {
        assert_eq!(zh.get(chinese, "residents"), en.get(mapped, "residents"));
        assert!(
            !names_of(&zh).contains(&mapped.to_string()),
            "{:?}",
            names_of(&zh)
        );
        assert!(
            !names_of(&en).contains(&chinese.to_string()),
            "{:?}",
            names_of(&en)
        );
    }
    // units without name:zh keep their name
    assert_eq!(zh.get("S2", "residents"), en.get("S2", "residents"));
}

/// A Chinese register and Chinese sub-districts from files, as a Chinese spreadsheet or GIS
/// saves them (GBK) and as UTF-8, the register under Chinese headers: both read alike, and
/// the names reach the outputs as given.
/// The fixture's houses at 250 … 2,750 m; 天河南街道 holds x < 1,500 m, 石牌街道 the rest.
#[test]
fn chinese_register_and_units_read_alike_in_gbk_and_utf8() {
    let metres_per_degree_lon = METRES_PER_DEGREE_LAT * 45f64.to_radians().cos();
    let lon = |x_m: f64| 10.0 + x_m / metres_per_degree_lon;
    let lat = |y_m: f64| 45.0 + y_m / METRES_PER_DEGREE_LAT;
    let register = format!(
        "编号,名称,经度,纬度,托位数\nT1,天河区第一托育园,{:.7},{:.7},30\nT2,石牌街道托育中心,{:.7},{:.7},20\n",
        lon(500.0),
        lat(-15.0),
        lon(2500.0),
        lat(-15.0)
    );
    let square = |x0: f64, x1: f64| {
        let ring: Vec<[f64; 2]> = [
            (x0, -400.0),
            (x1, -400.0),
            (x1, 400.0),
            (x0, 400.0),
            (x0, -400.0),
        ]
        .iter()
        .map(|&(x, y)| [lon(x), lat(y)])
        .collect();
        serde_json::json!({"type": "Polygon", "coordinates": [ring]})
    };
    let units = serde_json::json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "天河南街道"}, "geometry": square(-50.0, 1500.0)},
        {"type": "Feature", "properties": {"name": "石牌街道"}, "geometry": square(1500.0, 3050.0)},
    ]})
    .to_string();
    let gbk = |text: &str| {
        let (bytes, _, unmappable) = encoding_rs::GBK.encode(text);
        assert!(
            !unmappable && std::str::from_utf8(&bytes).is_err(),
            "really GBK"
        );
        bytes.into_owned()
    };
    let mut indicators = Vec::new();
    for (encoding, register, units) in [
        (
            "utf-8",
            register.clone().into_bytes(),
            units.clone().into_bytes(),
        ),
        ("gbk", gbk(&register), gbk(&units)),
    ] {
        let (_r, register) = common::file_with("register.csv", &register);
        let (_u, units) = common::file_with("units.geojson", &units);
        let flags = [
            "--facilities",
            register.to_str().unwrap(),
            "--units",
            units.to_str().unwrap(),
            "--category",
            "childcare",
            "--lang",
            "zh",
        ];
        let (_run, out) = fixture(false).run_coverage("units-chinese", &flags);
        let table = Indicators::read(&out);
        for (unit, places) in [("天河南街道", "30.0"), ("石牌街道", "20.0")] {
            assert_eq!(table.get(unit, "places"), places, "{encoding}: {unit}");
        }
        let facilities = read_features(&out.join("facilities.geojson"));
        let names: Vec<&str> = (facilities.iter())
            .map(|f| f["properties"]["name"].as_str().unwrap_or(""))
            .collect();
        assert_eq!(
            names,
            ["天河区第一托育园", "石牌街道托育中心"],
            "{encoding}"
        );
        indicators.push(std::fs::read(out.join("indicators.csv")).expect("indicators.csv"));
    }
    assert!(indicators[0] == indicators[1], "GBK and UTF-8 runs differ");
}
