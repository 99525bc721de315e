//! Census tables: counts, names and matches worked out by hand.

use super::*;
use crate::analysis::units::{UnitLevel, units_from_file};
use geo::MultiPolygon;

/// A table in a temporary file, read with `columns`.
fn read_bytes(bytes: &[u8], columns: &CensusColumns) -> Result<CensusTable> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("census.csv");
    std::fs::write(&path, bytes).unwrap();
    read_census(&path, columns)
}

/// `text` read with the usual headers.
fn read(text: &str) -> Result<CensusTable> {
    read_bytes(text.as_bytes(), &CensusColumns::default())
}

/// The message of the error reading `text`.
fn error(text: &str) -> String {
    read(text).unwrap_err().to_string()
}

/// `(line, key, residents, under3)` of each row.
fn rows(table: &CensusTable) -> Vec<(usize, &str, f64, Option<f64>)> {
    table
        .rows
        .iter()
        .map(|r| (r.line, r.key.as_str(), r.residents, r.under3))
        .collect()
}

/// A sub-district with a dummy outline.
fn unit(name: &str, codes: &[&str], other_names: &[&str]) -> Unit {
    Unit {
        name_zh: None,
        id: format!("relation/{name}"),
        name: name.to_string(),
        codes: codes.iter().map(ToString::to_string).collect(),
        other_names: other_names.iter().map(ToString::to_string).collect(),
        level: UnitLevel::Subdistrict,
        outline: MultiPolygon(vec![]),
    }
}

/// A table of `keys` (10 residents each) from lines 2 on.
fn table(keys: &[&str]) -> CensusTable {
    CensusTable {
        path: PathBuf::from("census.csv"),
        key_column: "name".into(),
        residents_column: "residents".into(),
        under3_column: None,
        rows: keys
            .iter()
            .enumerate()
            .map(|(i, k)| CensusRow {
                line: i + 2,
                key: k.to_string(),
                residents: 10.0,
                under3: None,
            })
            .collect(),
        total: None,
    }
}

/// Liechtenstein's 11 municipalities with their ISO 3166-2 codes.
fn liechtenstein() -> Vec<Unit> {
    [
        ("Balzers", "LI-01"),
        ("Eschen", "LI-02"),
        ("Gamprin", "LI-03"),
        ("Mauren", "LI-04"),
        ("Planken", "LI-05"),
        ("Ruggell", "LI-06"),
        ("Schaan", "LI-07"),
        ("Schellenberg", "LI-08"),
        ("Triesen", "LI-09"),
        ("Triesenberg", "LI-10"),
        ("Vaduz", "LI-11"),
    ]
    .iter()
    .map(|(name, iso)| unit(name, &[iso], &[]))
    .collect()
}

/// Three of Guangzhou's Tianhe sub-districts with their 9-digit division codes.
fn tianhe() -> Vec<Unit> {
    vec![
        unit("五山街道", &["440106005"], &["Wushan Subdistrict"]),
        unit("石牌街道", &["440106006"], &[]),
        unit("天河南街道", &["440106011"], &[]),
    ]
}

/// The outcome of each row as `(key, unit name, how)`, `None` for no match.
fn outcomes<'a>(
    found: &'a CensusMatch,
    units: &'a [Unit],
) -> Vec<(&'a str, Option<(&'a str, MatchHow)>)> {
    found
        .rows
        .iter()
        .map(|r| {
            let unit = match r.outcome {
                RowOutcome::Matched { unit, how } => Some((units[unit].name.as_str(), how)),
                _ => None,
            };
            (r.key.as_str(), unit)
        })
        .collect()
}

fn refs(units: &[Unit]) -> Vec<&Unit> {
    units.iter().collect()
}

#[test]
fn normalised_names() {
    let cases = [
        ("五山街道", "五山"),
        ("石牌街道办事处", "石牌"),
        ("天河南街道", "天河南"),
        ("天河南", "天河南"),
        ("江南镇", "江南"),
        ("沙河乡", "沙河"),
        ("南沙区", "南沙"),
        ("增城县", "增城"),
        ("某某地区", "某某"),
        ("某某办事处", "某某"),
        // a suffix goes only when two characters remain
        ("城区", "城区"),
        ("东区", "东区"),
        ("城区街道", "城区"),
        ("镇", "镇"),
        // one suffix only, the longest first
        ("新区镇", "新区"),
        // full-width forms
        ("ＡＢＣ１２３", "abc123"),
        ("第１街道", "第1"),
        ("五山（街道）", "五山"),
        // accents, case, spaces, punctuation
        ("Sant Julià de Lòria", "santjuliadeloria"),
        ("Parròquia de Sant Julià de Lòria", "santjuliadeloria"),
        ("Parròquia d'Ordino", "ordino"),
        ("Parròquia d\u{2019}Ordino", "ordino"),
        ("ÉSCHEN", "eschen"),
        ("  Triesen-berg_ ", "triesenberg"),
        ("St. Gallen", "stgallen"),
        ("Schaan · Gemeinde", "schaan"),
        ("Gemeinde Vaduz", "vaduz"),
        ("Vaduz municipality", "vaduz"),
        ("Municipality of Vaduz", "vaduz"),
        ("Eschen District", "eschen"),
        // a prefix or suffix word goes only when a word remains
        ("District", "district"),
        ("Gemeinde", "gemeinde"),
        ("", ""),
        ("·-·", ""),
    ];
    for (name, expected) in cases {
        assert_eq!(normalise_name(name), expected, "{name:?}");
    }
}

#[test]
fn canonical_codes() {
    let cases = [
        ("440106005000", "440106005"),
        ("440106005", "440106005"),
        ("440106000000", "440106"),
        ("440106000", "440106"),
        (" 440106005000 ", "440106005"),
        ("123000", "123000"),
        ("4401060050001", "4401060050001"),
        ("LI-11", "LI-11"),
        ("AD-000", "AD-000"),
    ];
    for (code, expected) in cases {
        assert_eq!(canonical_code(code), expected, "{code:?}");
    }
}

#[test]
fn counts() {
    let good = [
        ("37366", 37366.0),
        ("37,366", 37366.0),
        ("37 366", 37366.0),
        ("37\u{a0}366", 37366.0),
        ("1'234.5", 1234.5),
        ("1,234,567", 1234567.0),
        ("12.5", 12.5),
        ("0", 0.0),
        ("-0", 0.0),
        ("1e3", 1000.0),
    ];
    for (cell, expected) in good {
        assert_eq!(parse_count(cell), Ok(expected), "{cell:?}");
    }
    let bad = [
        ("1,5", "group digits by three"),
        ("1,23,456", "group digits by three"),
        ("1234,567", "group digits by three"),
        ("many", "not a count"),
        ("", "not a count"),
        ("1.2.3", "not a count"),
        ("-3", "negative"),
        ("inf", "not a finite count"),
        ("NaN", "not a finite count"),
    ];
    for (cell, expected) in bad {
        let message = parse_count(cell).unwrap_err();
        assert!(message.contains(expected), "{cell:?}: {message}");
    }
}

#[test]
fn reads_utf8_with_english_headers() {
    let table = read("Name,Population\nVaduz,5696\n Schaan ,\"6,039\"\n").unwrap();
    assert_eq!(
        (table.key_column.as_str(), table.residents_column.as_str()),
        ("Name", "Population")
    );
    assert_eq!(table.under3_column, None);
    assert_eq!(
        rows(&table),
        [(2, "Vaduz", 5696.0, None), (3, "Schaan", 6039.0, None)]
    );
}

#[test]
fn reads_utf8_with_bom_and_chinese_headers() {
    let text = "\u{feff}名称,常住人口,0-3岁\n五山街道,\"37,366\",812\n石牌街道,120 000,\n";
    let table = read(text).unwrap();
    assert_eq!(table.key_column, "名称");
    assert_eq!(table.residents_column, "常住人口");
    assert_eq!(table.under3_column.as_deref(), Some("0-3岁"));
    assert_eq!(
        rows(&table),
        [
            (2, "五山街道", 37366.0, Some(812.0)),
            (3, "石牌街道", 120000.0, None)
        ]
    );
}

#[test]
fn reads_gbk() {
    let (bytes, _, unmappable) =
        encoding_rs::GBK.encode("街道,户籍人口,婴幼儿\n天河南街道,\"58,210\",1 204\n");
    assert!(!unmappable);
    assert!(std::str::from_utf8(&bytes).is_err(), "really GBK");
    let table = read_bytes(&bytes, &CensusColumns::default()).unwrap();
    assert_eq!(table.key_column, "街道");
    assert_eq!(rows(&table), [(2, "天河南街道", 58210.0, Some(1204.0))]);
}

#[test]
fn reads_configured_headers_case_insensitively() {
    let columns = CensusColumns {
        key: Some("gemeinde".into()),
        residents: Some("Einwohner".into()),
        under3: Some("KLEINKINDER".into()),
    };
    let text = "Gemeinde;einwohner;Kleinkinder;name\nVaduz;5696;150;x\n";
    let table = read_bytes(text.as_bytes(), &columns).unwrap();
    assert_eq!(table.key_column, "Gemeinde");
    assert_eq!(rows(&table), [(2, "Vaduz", 5696.0, Some(150.0))]);
}

#[test]
fn bad_tables_are_refused_naming_line_and_column() {
    let cases = [
        (
            "foo,residents\nA,1\n",
            "line 1: no key (unit name or code) column; headers on line 1: [\"foo\", \"residents\"]; tried [\"name\"",
        ),
        ("foo,residents\nA,1\n", "\"区划代码\"]"),
        ("name,bar\nA,1\n", "line 1: no residents column;"),
        (
            "name,residents\nA,1\n ,2\n",
            "line 3, column \"name\": empty key",
        ),
        (
            "name,residents\nA,1\nB,2\nA,3\n",
            "line 4, column \"name\": key \"A\" repeats line 2",
        ),
        (
            "name,residents\nA,many\n",
            "line 2, column \"residents\": \"many\" is not a count",
        ),
        (
            "name,residents\nA,\n",
            "line 2, column \"residents\": \"\" is not a count",
        ),
        (
            "name,residents\nA,-3\n",
            "line 2, column \"residents\": \"-3\" is negative",
        ),
        (
            "name,residents\nA,inf\n",
            "line 2, column \"residents\": \"inf\" is not a finite count",
        ),
        (
            "name,residents\nA,\"1,5\"\n",
            "line 2, column \"residents\": \"1,5\" is not a count (group digits by three)",
        ),
        (
            "name,residents,under3\nA,10,11\n",
            "line 2, column \"under3\": 11 children under 3 but 10 residents",
        ),
        (
            "name,residents,under3\nA,10,x\n",
            "line 2, column \"under3\": \"x\" is not a count",
        ),
        ("", "empty file: no header row"),
        ("name,residents\n", "no rows after the header"),
    ];
    for (text, expected) in cases {
        let message = error(text);
        assert!(message.contains("census.csv: "), "{message}");
        assert!(message.contains(expected), "{text:?}: {message}");
    }
}

#[test]
fn a_configured_column_must_exist() {
    let text = "name,residents,under3\nA,10,1\n";
    let cases = [
        (
            CensusColumns {
                key: Some("Gemeinde".into()),
                ..CensusColumns::default()
            },
            "line 1: no key (unit name or code) column \"Gemeinde\"; headers on line 1: [\"name\", \"residents\", \"under3\"]",
        ),
        (
            CensusColumns {
                residents: Some("Einwohner".into()),
                ..CensusColumns::default()
            },
            "no residents column \"Einwohner\"",
        ),
        (
            CensusColumns {
                under3: Some("Kleinkinder".into()),
                ..CensusColumns::default()
            },
            "no children under 3 column \"Kleinkinder\"",
        ),
    ];
    for (columns, expected) in cases {
        let message = read_bytes(text.as_bytes(), &columns)
            .unwrap_err()
            .to_string();
        assert!(message.contains(expected), "{message}");
    }
}

#[test]
fn liechtenstein_by_code_name_and_normalised_name() {
    let units = liechtenstein();
    let rows = [
        "LI-11",
        "Schaan",
        "Gemeinde Triesen",
        "BALZERS",
        "Eschen",
        "Mauren",
        "Triesenberg",
        "Ruggell",
        "Gamprin",
        "Schellenberg",
        "Plankn",
    ];
    let found = match_census(&table(&rows), &refs(&units));
    use MatchHow::*;
    assert_eq!(
        outcomes(&found, &units),
        [
            ("LI-11", Some(("Vaduz", Code))),
            ("Schaan", Some(("Schaan", Name))),
            ("Gemeinde Triesen", Some(("Triesen", NormalisedName))),
            ("BALZERS", Some(("Balzers", NormalisedName))),
            ("Eschen", Some(("Eschen", Name))),
            ("Mauren", Some(("Mauren", Name))),
            ("Triesenberg", Some(("Triesenberg", Name))),
            ("Ruggell", Some(("Ruggell", Name))),
            ("Gamprin", Some(("Gamprin", Name))),
            ("Schellenberg", Some(("Schellenberg", Name))),
            ("Plankn", None),
        ]
    );
    let RowOutcome::Unmatched { closest } = &found.rows[10].outcome else {
        panic!("Plankn is unmatched");
    };
    assert_eq!(closest.len(), 3);
    assert_eq!(closest[0], "Planken");
    assert_eq!(found.by_unit[10], Some(0), "Vaduz from the first row");
    assert_eq!(found.by_unit[4], None, "Planken");
    assert_eq!(
        found.without_row,
        [UnitWithoutRow {
            unit: 4,
            name: "Planken".into(),
            closest: vec!["Plankn".into()]
        }]
    );
    assert!(found.contested.is_empty());
    let message = found
        .require_complete(&table(&rows))
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("(2 problems)")
            && message.contains("line 12: \"Plankn\" matches no unit; closest: \"Planken\", ")
            && message.contains("unit \"Planken\" has no row; closest unmatched keys: \"Plankn\""),
        "{message}"
    );
}

#[test]
fn a_complete_table_has_no_problems() {
    let units = liechtenstein();
    let names: Vec<&str> = units.iter().map(|u| u.name.as_str()).collect();
    let found = match_census(&table(&names), &refs(&units));
    assert!(found.describe().is_empty(), "{:?}", found.describe());
    assert_eq!(found.by_unit, (0..11).map(Some).collect::<Vec<_>>());
    assert!(found.require_complete(&table(&names)).is_ok());
}

#[test]
fn street_offices_by_name_and_division_code() {
    let units = tianhe();
    use MatchHow::*;
    let cases: [(&str, Option<(&str, MatchHow)>); 9] = [
        ("五山", Some(("五山街道", NormalisedName))),
        ("石牌街道办事处", Some(("石牌街道", NormalisedName))),
        ("天河南", Some(("天河南街道", NormalisedName))),
        ("天河南街道", Some(("天河南街道", Name))),
        ("Wushan Subdistrict", Some(("五山街道", Name))),
        ("440106005000", Some(("五山街道", Code))),
        ("440106006", Some(("石牌街道", Code))),
        ("440106011", Some(("天河南街道", Code))),
        ("440106012", None),
    ];
    for (key, expected) in cases {
        let found = match_census(&table(&[key]), &refs(&units));
        assert_eq!(outcomes(&found, &units), [(key, expected)]);
    }
}

#[test]
fn unmatched_rows_get_the_closest_names() {
    // 石碑 is one edit from 石牌, two from 五山 and three from 天河南
    let units = tianhe();
    let found = match_census(&table(&["石碑", "五山"]), &refs(&units));
    assert_eq!(
        found.rows[0].outcome,
        RowOutcome::Unmatched {
            closest: vec!["石牌街道".into(), "五山街道".into(), "天河南街道".into()]
        }
    );
    let missing: Vec<(&str, &[String])> = found
        .without_row
        .iter()
        .map(|u| (u.name.as_str(), u.closest.as_slice()))
        .collect();
    assert_eq!(
        missing,
        [
            ("石牌街道", &["石碑".to_string()][..]),
            ("天河南街道", &["石碑".to_string()][..])
        ]
    );
    assert_eq!(
        found.describe(),
        [
            "line 2: \"石碑\" matches no unit; closest: \"石牌街道\", \"五山街道\", \"天河南街道\"",
            "unit \"石牌街道\" has no row; closest unmatched keys: \"石碑\"",
            "unit \"天河南街道\" has no row; closest unmatched keys: \"石碑\"",
        ]
    );
}

#[test]
fn two_rows_for_one_unit_are_reported_and_count_for_none() {
    let units = liechtenstein();
    let mut keys: Vec<&str> = units.iter().map(|u| u.name.as_str()).collect();
    keys.push("LI-11");
    let found = match_census(&table(&keys), &refs(&units));
    assert_eq!(
        found.contested,
        [Contested {
            unit: 10,
            name: "Vaduz".into(),
            lines: vec![12, 13]
        }]
    );
    assert_eq!(found.by_unit[10], None);
    assert_eq!(
        found.describe(),
        ["unit \"Vaduz\" is matched by lines 12 and 13, so by none"]
    );
    let message = found.require_complete(&table(&keys)).unwrap_err();
    assert!(message.to_string().contains("lines 12 and 13"), "{message}");
}

#[test]
fn a_normalised_name_of_two_units_is_ambiguous() {
    let units = vec![unit("五山街道", &[], &[]), unit("五山镇", &[], &[])];
    let found = match_census(&table(&["五山", "五山镇"]), &refs(&units));
    assert_eq!(
        found.rows[0].outcome,
        RowOutcome::Ambiguous {
            units: vec![0, 1],
            names: vec!["五山街道".into(), "五山镇".into()]
        }
    );
    // the exact name wins over the normalised one
    assert_eq!(
        found.rows[1].outcome,
        RowOutcome::Matched {
            unit: 1,
            how: MatchHow::Name
        }
    );
    assert_eq!(
        found.describe(),
        [
            "line 2: \"五山\" matches several units (\"五山街道\", \"五山镇\"), so none",
            "unit \"五山街道\" has no row; closest unmatched keys: \"五山\"",
        ]
    );
}

#[test]
fn file_units_carry_codes_and_other_names() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("units.geojson");
    let square = r#"{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0]]]}"#;
    let feature =
        |props: &str| format!(r#"{{"type":"Feature","properties":{props},"geometry":{square}}}"#);
    let text = format!(
        r#"{{"type":"FeatureCollection","features":[{},{}]}}"#,
        feature(
            r#"{"name":"Vaduz","code":"LI-11","id":7,"alt_name":"Vaduz Stadt; Vaduz;Hauptort"}"#
        ),
        feature(r#"{"name":"Schaan"}"#),
    );
    std::fs::write(&path, text).unwrap();
    let units = units_from_file(&path, "name").unwrap().units;
    let got: Vec<(&str, &[String], &[String])> = units
        .iter()
        .map(|u| (u.name.as_str(), &u.codes[..], &u.other_names[..]))
        .collect();
    let strings = |s: &[&str]| s.iter().map(ToString::to_string).collect::<Vec<_>>();
    assert_eq!(
        got,
        [
            ("Schaan", &strings(&["row/2"])[..], &strings(&[])[..]),
            (
                "Vaduz",
                &strings(&["row/1", "7", "LI-11"])[..],
                &strings(&["Vaduz Stadt", "Hauptort"])[..]
            ),
        ]
    );
    let found = match_census(
        &table(&["row/2", "Hauptort"]),
        &units.iter().collect::<Vec<_>>(),
    );
    assert_eq!(
        outcomes(&found, &units),
        [
            ("row/2", Some(("Schaan", MatchHow::Code))),
            ("Hauptort", Some(("Vaduz", MatchHow::Name)))
        ]
    );
}

#[test]
fn osm_units_carry_codes_and_other_names() {
    use crate::analysis::units::units_from_osm;
    use crate::osm::read::read_extract_bytes;
    use crate::osm::write::{Member, MemberType, PbfWriter};
    let mut pbf = PbfWriter::new(Vec::new()).unwrap();
    for (id, lon, lat) in [
        (1, 9.50, 47.12),
        (2, 9.54, 47.12),
        (3, 9.54, 47.16),
        (4, 9.50, 47.16),
    ] {
        pbf.write_node(id, lon, lat, &[]).unwrap();
    }
    pbf.write_way(10, &[1, 2, 3, 4, 1], &[]).unwrap();
    let outer = Member {
        kind: MemberType::Way,
        id: 10,
        role: "outer",
    };
    let tags = [
        ("type", "boundary"),
        ("boundary", "administrative"),
        ("admin_level", "8"),
        ("name", "Vaduz"),
        ("ISO3166-2", "LI-11"),
        ("ref", "7001"),
        ("name:en", "Vaduz"),
        ("official_name", "Gemeinde Vaduz"),
        ("alt_name", "Hauptort; Vaduz Stadt"),
    ];
    pbf.write_relation(100, &[outer], &tags).unwrap();
    let bytes = pbf.finish().unwrap();
    let extract = read_extract_bytes(Path::new("li.osm.pbf"), &bytes, &[]).unwrap();
    let units = units_from_osm(&extract, 6, 8).units;
    let got: Vec<(&str, &str, &[String], &[String])> = units
        .iter()
        .map(|u| {
            (
                u.id.as_str(),
                u.name.as_str(),
                &u.codes[..],
                &u.other_names[..],
            )
        })
        .collect();
    let strings = |s: &[&str]| s.iter().map(ToString::to_string).collect::<Vec<_>>();
    assert_eq!(
        got,
        [(
            "relation/100",
            "Vaduz",
            &strings(&["7001", "LI-11"])[..],
            &strings(&["Gemeinde Vaduz", "Hauptort", "Vaduz Stadt"])[..]
        )]
    );
}

#[test]
fn a_total_row_is_read_apart_from_the_units() {
    let table = read("街道,常住人口\n五山,100\n合计,300\n石牌,200\n").unwrap();
    assert_eq!(
        rows(&table),
        [(2, "五山", 100.0, None), (4, "石牌", 200.0, None)]
    );
    let total = table.total.expect("the 合计 row");
    assert_eq!((total.line, total.residents), (3, 300.0));
    let e = error("name,residents\nA,1\nTotal,1\nSUM,1\n");
    assert!(e.contains("lines 3 and 4 are both total rows"), "{e}");
    let e = error("name,residents\nTotal,1\n");
    assert!(e.contains("no rows but the total row"), "{e}");
}
