//! `fifteen serve`'s HTTP API through the real binary: edits answered incrementally give
//! the numbers `coverage` gives for the saved register (the batch tool is the oracle), tabs
//! keep their own scenarios, hostile requests get a 4xx with a reason and the server goes
//! on, Ctrl-C stops it cleanly.

mod common;

use std::collections::HashMap;
use std::path::Path;

use common::server::Server;
use common::{sample_town, shared_or_skip};
use serde_json::{Value, json};

/// The sample town's options: childcare, three bands.
const TOWN: [&str; 4] = ["--category", "childcare", "--minutes", "5,10,15"];

/// `indicators.csv` rows by (unit_id, level), as text cells by column name.
fn indicator_rows(path: &Path) -> HashMap<(String, String), HashMap<String, String>> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut reader = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let headers = reader.headers().unwrap().clone();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            let row: HashMap<String, String> = (headers.iter().zip(r.iter()))
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect();
            ((row["unit_id"].clone(), row["level"].clone()), row)
        })
        .collect()
}

/// Asserts that the page's indicator rows equal `coverage`'s `indicators.csv` (to the
/// decimals the CSV keeps): residents, children, covered shares per band, facilities,
/// places, access per child, deficit. `symbol` is the bands' unit as the CSV's columns name
/// it: `min` (`covered_share_15min`) or `m` (`covered_share_300m`).
fn assert_same_indicators(state: &Value, csv: &Path, symbol: &str) {
    let rows = indicator_rows(csv);
    let bands: Vec<f64> = serde_json::from_value(state["bands"].clone()).unwrap();
    let mut live: Vec<&Value> = vec![&state["indicators"]["city"]];
    live.extend(state["indicators"]["units"].as_object().unwrap().values());
    assert!(!rows.is_empty());
    for row in live {
        let key = (
            row["unit_id"].as_str().unwrap().to_string(),
            row["level"].as_str().unwrap().to_string(),
        );
        let cells = rows
            .get(&key)
            .unwrap_or_else(|| panic!("{key:?} not in indicators.csv"));
        let same = |column: &str, value: &Value| {
            let cell = &cells[column];
            match value.as_f64() {
                Some(v) => {
                    let decimals = cell.split('.').nth(1).map_or(0, str::len) as i32;
                    let expected: f64 = cell.parse().unwrap();
                    assert!(
                        (v - expected).abs() <= 0.5 * 10f64.powi(-decimals) + 1e-9,
                        "{key:?} {column}: page {v}, coverage {cell}"
                    );
                }
                None => assert!(
                    cell.is_empty(),
                    "{key:?} {column}: page null, coverage {cell}"
                ),
            }
        };
        for column in ["residents", "children", "facilities", "places"] {
            same(column, &row[column]);
        }
        same("access_per_child", &row["access_per_child"]);
        same("deficit_places", &row["deficit_places"]);
        for (b, band) in bands.iter().enumerate() {
            same(
                &format!("covered_share_{band}{symbol}"),
                &row["covered_share"][b],
            );
        }
    }
}

#[test]
fn an_added_site_gives_the_numbers_coverage_gives_for_the_saved_register() {
    let town = sample_town();
    let server = Server::start(&town, &TOWN);
    let base = server.send_json("POST", "/api/scenarios", &json!({}));
    let id = base["id"].as_str().unwrap();
    let add =
        json!({"op": "add", "category": "childcare", "lon": 10.030, "lat": 45.000, "capacity": 30});
    let answer = server.request(
        "POST",
        &format!("/api/scenarios/{id}/edits"),
        Some(&add.to_string()),
    );
    assert_eq!(answer.status, 200);
    assert!(
        answer
            .header("server-timing")
            .is_some_and(|t| t.starts_with("engine;dur="))
    );
    let state = answer.json();
    assert_eq!(state["version"], base["version"].as_u64().unwrap() + 1);
    let (before, after) = (&base["headline"], &state["headline"]);
    assert!(after["covered_residents"].as_f64() > before["covered_residents"].as_f64());
    server.send_json(
        "POST",
        &format!("/api/scenarios/{id}/save"),
        &json!({"name": "plan-b"}),
    );
    let (summary, out) = server.coverage_of_saved(&town, "plan-b", &TOWN);
    let coverage = &summary["coverage"]["childcare"];
    assert_eq!(coverage["facilities"], 3);
    let (page, batch) = (
        after["covered_residents"].as_f64().unwrap(),
        coverage["covered_population"].as_f64().unwrap(),
    );
    assert!(
        (page - batch).abs() <= 1e-9 * batch,
        "page {page}, coverage {batch}"
    );
    assert_eq!(after["covered_homes"], coverage["covered_buildings"]);
    assert_same_indicators(&state, &out.join("indicators.csv"), "min");
    // the export is the coverage output set of the same register
    let export = server.send_json(
        "POST",
        &format!("/api/scenarios/{id}/export"),
        &json!({"name": "plan-b"}),
    );
    assert_eq!(export["dir"], "exports/plan-b");
    let exported = std::fs::read(server.out.join("exports/plan-b/indicators.csv")).unwrap();
    assert_eq!(exported, std::fs::read(out.join("indicators.csv")).unwrap());
}

/// A distance run (`--meters`): the city and the views speak metres, a threshold off the
/// bands is refused naming `--meters`, a nearer threshold covers no one more, and the base
/// scenario's indicators are those `coverage --meters` gives for its saved register.
#[test]
fn a_distance_run_speaks_metres_and_agrees_with_coverage() {
    let town = sample_town();
    let args = ["--category", "childcare", "--meters", "300,600"];
    let server = Server::start(&town, &args);
    let city = server.get_json("/api/city");
    assert_eq!(city["unit"], "meters", "{city}");
    assert_eq!(city["bands"], json!([300.0, 600.0]));
    assert_eq!(city["threshold"], json!(600.0));
    assert!(city.get("bands_min").is_none() && city.get("threshold_min").is_none());
    let base = server.send_json("POST", "/api/scenarios", &json!({}));
    let id = base["id"].as_str().unwrap();
    assert_eq!(base["view"]["threshold"], json!(600.0));
    assert_eq!(base["bands"], json!([300.0, 600.0]));
    let view = format!("/api/scenarios/{id}/view");
    let near = server.send_json("PUT", &view, &json!({"threshold": 300}));
    assert_eq!(near["view"]["threshold"], json!(300.0));
    assert_eq!(near["bands"], json!([300.0]));
    let covered = |s: &Value| s["headline"]["covered_residents"].as_f64().unwrap();
    assert!(
        covered(&near) <= covered(&base),
        "{} within 300 m, {} within 600 m",
        covered(&near),
        covered(&base)
    );
    assert!(covered(&base) > 0.0);
    assert_eq!(
        near["headline"]["covered_share"],
        base["indicators"]["city"]["covered_share"][0]
    );
    let refused = server.request("PUT", &view, Some(r#"{"threshold":450}"#));
    assert_eq!(refused.status, 400, "{}", refused.json());
    let error = refused.json()["error"].as_str().unwrap().to_string();
    assert!(
        error.contains("450") && error.contains("--meters"),
        "{error}"
    );
    // back at 600 m, the unchanged base scenario is what `coverage --meters` gives
    let state = server.send_json("PUT", &view, &json!({"threshold": 600}));
    assert_eq!(state["indicators"], base["indicators"]);
    server.send_json(
        "POST",
        &format!("/api/scenarios/{id}/save"),
        &json!({"name": "base-m"}),
    );
    let (summary, out) = server.coverage_of_saved(&town, "base-m", &args);
    let coverage = &summary["coverage"]["childcare"];
    let (page, batch) = (
        covered(&state),
        coverage["covered_population"].as_f64().unwrap(),
    );
    assert!(
        (page - batch).abs() <= 1e-9 * batch,
        "page {page}, coverage {batch}"
    );
    assert_eq!(
        state["headline"]["covered_homes"],
        coverage["covered_buildings"]
    );
    assert_same_indicators(&state, &out.join("indicators.csv"), "m");
}

#[test]
fn move_and_remove_come_back_to_the_base_figures() {
    let server = Server::start(&sample_town(), &TOWN);
    let base = server.send_json("POST", "/api/scenarios", &json!({}));
    let id = base["id"].as_str().unwrap();
    let edits = format!("/api/scenarios/{id}/edits");
    let first = &base["facilities"]["features"][0];
    let (fid, at) = (
        first["properties"]["id"].as_str().unwrap(),
        &first["geometry"]["coordinates"],
    );
    let moved = server.send_json(
        "POST",
        &edits,
        &json!({"op": "move", "id": fid, "lon": 10.03, "lat": 45.0}),
    );
    assert_ne!(moved["headline"], base["headline"]);
    assert_eq!(
        moved["facilities"]["features"][0]["properties"]["origin"],
        "moved"
    );
    let back = server.send_json(
        "POST",
        &edits,
        &json!({"op": "move", "id": fid, "lon": at[0], "lat": at[1]}),
    );
    assert_eq!(back["headline"], base["headline"]);
    assert_eq!(back["indicators"], base["indicators"]);
    let added = server.send_json(
        "POST",
        &edits,
        &json!({"op": "add", "category": "childcare", "lon": 10.0, "lat": 45.005}),
    );
    let new_id = added["facilities"]["features"][2]["properties"]["id"]
        .as_str()
        .unwrap();
    let removed = server.send_json("POST", &edits, &json!({"op": "remove", "id": new_id}));
    assert_eq!(removed["headline"], base["headline"]);
    assert_eq!(removed["indicators"], base["indicators"]);
    let none = server.send_json("POST", &edits, &json!({"op": "remove", "id": fid}));
    assert!(
        none["headline"]["covered_residents"].as_f64()
            < base["headline"]["covered_residents"].as_f64()
    );
}

#[test]
fn tabs_keep_their_own_scenarios_and_views() {
    let server = Server::start(&sample_town(), &TOWN);
    let a = server.send_json("POST", "/api/scenarios", &json!({"name": "a"}));
    let b = server.send_json("POST", "/api/scenarios", &json!({"name": "b"}));
    let (ia, ib) = (a["id"].as_str().unwrap(), b["id"].as_str().unwrap());
    assert_ne!(ia, ib);
    let add = json!({"op": "add", "category": "childcare", "lon": 10.030, "lat": 45.000});
    let edited = server.send_json("POST", &format!("/api/scenarios/{ia}/edits"), &add);
    let ten = server.send_json(
        "PUT",
        &format!("/api/scenarios/{ib}/view"),
        &json!({"threshold": 10}),
    );
    assert_eq!(ten["bands"], json!([5.0, 10.0]));
    assert_eq!(ten["view"]["threshold"], json!(10.0));
    assert_eq!(
        ten["headline"]["covered_share"],
        b["indicators"]["city"]["covered_share"][1]
    );
    let b_now = server.get_json(&format!("/api/scenarios/{ib}"));
    assert_eq!(b_now["facilities"]["features"].as_array().unwrap().len(), 2);
    let a_now = server.get_json(&format!("/api/scenarios/{ia}"));
    assert_eq!(a_now["headline"], edited["headline"]);
    let diff = server.get_json(&format!("/api/compare?a={ib}&b={ia}"));
    let gained = diff["diff"]["features"].as_array().unwrap();
    assert!(!gained.is_empty());
    assert!(gained.iter().all(|f| f["properties"]["change"] == "gained"));
    let suggestion = server.send_json("POST", &format!("/api/scenarios/{ia}/suggest"), &json!({}));
    assert!(suggestion["gain_residents"].as_f64().unwrap() > 0.0);
    assert_eq!(
        suggestion["homes"].as_u64().unwrap() as usize,
        suggestion["homes_geojson"]["features"]
            .as_array()
            .unwrap()
            .len()
    );
}

#[test]
fn hostile_requests_get_a_reason_and_the_server_goes_on() {
    let server = Server::start(&sample_town(), &TOWN);
    let id = server.send_json("POST", "/api/scenarios", &json!({}))["id"]
        .as_str()
        .unwrap()
        .to_string();
    let edits = format!("/api/scenarios/{id}/edits");
    let huge = format!("{{\"name\": \"{}\"}}", "x".repeat(100_000));
    let cases: Vec<(&str, String, Option<String>, u16, &str)> = vec![
        (
            "POST",
            edits.clone(),
            Some("{not json".into()),
            400,
            "request body",
        ),
        (
            "POST",
            edits.clone(),
            Some(r#"{"op":"explode"}"#.into()),
            400,
            "unknown variant",
        ),
        (
            "POST",
            edits.clone(),
            Some(r#"{"op":"add","category":"childcare","lon":"x","lat":1}"#.into()),
            400,
            "request body",
        ),
        (
            "POST",
            edits.clone(),
            Some(r#"{"op":"add","category":"childcare","lon":400,"lat":1}"#.into()),
            422,
            "longitude",
        ),
        (
            "POST",
            edits.clone(),
            Some(r#"{"op":"add","category":"childcare","lon":0,"lat":0}"#.into()),
            422,
            "walking network",
        ),
        (
            "POST",
            edits.clone(),
            Some(r#"{"op":"add","category":"nope","lon":10,"lat":45}"#.into()),
            404,
            "category",
        ),
        (
            "POST",
            edits.clone(),
            Some(r#"{"op":"remove","id":"node/0"}"#.into()),
            404,
            "no facility",
        ),
        (
            "POST",
            edits.clone(),
            Some(huge.clone()),
            413,
            "request body",
        ),
        (
            "POST",
            "/api/scenarios/s999/edits".into(),
            Some(r#"{"op":"remove","id":"x"}"#.into()),
            404,
            "no open scenario",
        ),
        (
            "POST",
            format!("/api/scenarios/{id}/save"),
            Some(r#"{"name":"../../etc/x"}"#.into()),
            400,
            "not a path",
        ),
        (
            "POST",
            format!("/api/scenarios/{id}/save"),
            Some(r#"{"name":"a/b"}"#.into()),
            400,
            "not a path",
        ),
        (
            "POST",
            format!("/api/scenarios/{id}/load"),
            Some(r#"{"name":"missing"}"#.into()),
            404,
            "no saved scenario",
        ),
        (
            "PUT",
            format!("/api/scenarios/{id}/view"),
            Some(r#"{"threshold":60}"#.into()),
            400,
            "bands",
        ),
        (
            "PUT",
            format!("/api/scenarios/{id}/view"),
            Some(r#"{"threshold":12}"#.into()),
            400,
            "bands",
        ),
        (
            "DELETE",
            "/api/city".into(),
            None,
            405,
            "Method Not Allowed",
        ),
        ("GET", "/api/scenarios/%FF".into(), None, 400, "UTF-8"),
        (
            "PUT",
            format!("/api/scenarios/{id}/view"),
            Some(r#"{"profile":"cyclist"}"#.into()),
            404,
            "profile",
        ),
        (
            "GET",
            "/tiles/base/99/0/0.mvt".into(),
            None,
            400,
            "tile address",
        ),
        (
            "GET",
            "/tiles/base/2/9/0.mvt".into(),
            None,
            400,
            "tile address",
        ),
        ("GET", "/tiles/base/a/b/c".into(), None, 400, "tile address"),
        (
            "GET",
            "/assets/..%2f..%2fCargo.toml".into(),
            None,
            404,
            "no asset",
        ),
        (
            "GET",
            format!("/api/compare?a={id}"),
            None,
            400,
            "b is missing",
        ),
        (
            "GET",
            format!("/tiles/scenario/{id}/x/1/0/0.mvt"),
            None,
            400,
            "not a number",
        ),
        ("GET", "/nowhere".into(), None, 404, "no such route"),
    ];
    for (method, path, body, status, reason) in cases {
        let answer = server.request(method, &path, body.as_deref());
        assert_eq!(
            answer.status,
            status,
            "{method} {path}: {}",
            String::from_utf8_lossy(&answer.body)
        );
        let error = answer.json()["error"].as_str().map(str::to_string);
        let error = error.unwrap_or_else(|| panic!("{method} {path}: no error reason"));
        assert!(error.contains(reason), "{method} {path}: {error}");
    }
    // what a page of another site could send: a form post, a rebound host name
    let form = format!(
        "POST {edits} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: 17\r\n\r\n{{\"op\":\"remove\"}}",
        server.addr
    );
    let answer = server.raw(form.as_bytes());
    assert_eq!(answer.status, 415, "{}", answer.json());
    let rebound = server
        .raw(b"GET /api/city HTTP/1.1\r\nHost: evil.example:8015\r\nConnection: close\r\n\r\n");
    assert_eq!(rebound.status, 403);
    assert!(
        rebound.json()["error"]
            .as_str()
            .unwrap()
            .contains("not this server's")
    );
    // not HTTP at all, and a request that stops half-way
    let garbage = server.raw(b"\x16\x03\x01\x02\x00 hello\r\n\r\n");
    assert!((400..500).contains(&garbage.status));
    {
        use std::io::Write;
        let mut half = std::net::TcpStream::connect(server.addr).unwrap();
        half.write_all(b"POST /api/scenarios HTTP/1.1\r\nContent-Length: 100\r\n\r\n{")
            .unwrap();
        // the server answers others while this one waits for the rest of its body
        assert_eq!(server.request("GET", "/api/city", None).status, 200);
    }
    assert!(!server.out.join("../../etc/x.csv").exists());
    assert_eq!(server.request("GET", "/api/city", None).status, 200);
}

#[test]
fn ctrl_c_stops_the_server_cleanly_even_with_a_stalled_client() {
    use std::io::Write;
    let server = Server::start(&sample_town(), &TOWN);
    assert_eq!(server.request("GET", "/", None).status, 200);
    let mut stalled = std::net::TcpStream::connect(server.addr).unwrap();
    stalled
        .write_all(b"POST /api/scenarios HTTP/1.1\r\nContent-Length: 100\r\n\r\n{")
        .unwrap();
    let started = std::time::Instant::now();
    assert_eq!(server.interrupt(), Some(0));
    // the grace period is 5 s; the stalled request does not hold the server beyond it
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
}

#[test]
fn a_loaded_register_keeps_ids_unique_and_compare_takes_one_view() {
    let server = Server::start(&sample_town(), &TOWN);
    let a = server.send_json("POST", "/api/scenarios", &json!({}));
    let ia = a["id"].as_str().unwrap();
    let edits = format!("/api/scenarios/{ia}/edits");
    server.send_json("POST", &edits, &json!({"op": "add", "category": "childcare", "lon": 10.030, "lat": 45.000, "name": "  Nido  ", "type": " nursery "}));
    server.send_json(
        "POST",
        &format!("/api/scenarios/{ia}/save"),
        &json!({"name": "one"}),
    );
    let b = server.send_json("POST", "/api/scenarios", &json!({}));
    let ib = b["id"].as_str().unwrap();
    let loaded = server.send_json(
        "POST",
        &format!("/api/scenarios/{ib}/load"),
        &json!({"name": "one"}),
    );
    let added = &loaded["facilities"]["features"][2]["properties"];
    assert_eq!(
        (
            added["id"].as_str(),
            added["name"].as_str(),
            added["type"].as_str()
        ),
        (Some("added/1"), Some("Nido"), Some("nursery"))
    );
    assert_eq!(added["origin"], "loaded");
    assert_eq!(
        loaded["headline"]["covered_residents"],
        server.get_json(&format!("/api/scenarios/{ia}"))["headline"]["covered_residents"]
    );
    let more = server.send_json(
        "POST",
        &format!("/api/scenarios/{ib}/edits"),
        &json!({"op": "add", "category": "childcare", "lon": 10.0, "lat": 45.005}),
    );
    let ids: Vec<&str> = more["facilities"]["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 4);
    assert!(ids.contains(&"added/2"), "{ids:?}");
    // a at 10 minutes against b at 15: compared in a's view, the figures are a's own and b's at 10
    let a10 = server.send_json(
        "PUT",
        &format!("/api/scenarios/{ia}/view"),
        &json!({"threshold": 10}),
    );
    let diff = server.get_json(&format!("/api/compare?a={ia}&b={ib}"));
    let near = |x: &Value, y: &Value| (x.as_f64().unwrap() - y.as_f64().unwrap()).abs() < 0.06;
    assert!(
        near(
            &diff["city"]["covered_residents_a"],
            &a10["headline"]["covered_residents"]
        ),
        "{diff}"
    );
    let b10 = server.send_json(
        "PUT",
        &format!("/api/scenarios/{ib}/view"),
        &json!({"threshold": 10}),
    );
    assert!(
        near(
            &diff["city"]["covered_residents_b"],
            &b10["headline"]["covered_residents"]
        ),
        "{diff}"
    );
}

/// On Liechtenstein, with a register's worth of edits (two sites added, one facility moved,
/// one removed), every indicator row the page shows equals `coverage`'s for the saved
/// register, for both profiles.
#[test]
fn liechtenstein_edits_agree_with_coverage_on_every_unit() {
    let input = shared_or_skip!(
        "osm/liechtenstein-2015.osm.pbf",
        "a real city's units and facilities"
    );
    let args = [
        "--category",
        "childcare",
        "--minutes",
        "5,10,15",
        "--profile",
        "adult",
        "--profile",
        "stroller",
    ];
    let server = Server::start(&input, &args);
    let base = server.send_json("POST", "/api/scenarios", &json!({}));
    let id = base["id"].as_str().unwrap();
    let edits = format!("/api/scenarios/{id}/edits");
    let features = base["facilities"]["features"].as_array().unwrap();
    assert!(features.len() >= 3);
    let id_of = |i: usize| {
        features[i]["properties"]["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    server.send_json("POST", &edits, &json!({"op": "add", "category": "childcare", "lon": 9.5209, "lat": 47.1410, "capacity": 24, "affordable": true}));
    server.send_json(
        "POST",
        &edits,
        &json!({"op": "add", "category": "childcare", "lon": 9.5225, "lat": 47.2115}),
    );
    server.send_json("POST", &edits, &json!({"op": "remove", "id": id_of(0)}));
    let at = &features[1]["geometry"]["coordinates"];
    let state = server.send_json("POST", &edits, &json!({"op": "move", "id": id_of(1), "lon": at[0].as_f64().unwrap() + 0.004, "lat": at[1]}));
    server.send_json(
        "POST",
        &format!("/api/scenarios/{id}/save"),
        &json!({"name": "li"}),
    );
    let (_, out) = server.coverage_of_saved(&input, "li", &args);
    assert!(state["indicators"]["units"].as_object().unwrap().len() >= 11);
    assert_same_indicators(&state, &out.join("adult/indicators.csv"), "min");
    let stroller = server.send_json(
        "PUT",
        &format!("/api/scenarios/{id}/view"),
        &json!({"profile": "stroller"}),
    );
    assert_same_indicators(&stroller, &out.join("stroller/indicators.csv"), "min");
}
