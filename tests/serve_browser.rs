//! `fifteen serve`'s page in a real browser: headless Chromium driven through WebDriver
//! (Python's selenium, tests/browser/serve_page.py) loads the page on the sample town, adds a
//! site by clicking the map, and the headline figure it then shows must be what `fifteen
//! coverage` gives for that scenario's saved register, for a time run (`--minutes`) and a
//! distance run (`--meters`), whose texts name minutes and metres. The screenshots are kept
//! at `target/serve-browser.png` and `target/serve-browser-meters.png`.
//!
//! Needs Debian's `chromium` and `chromium-driver` and selenium in the Python on PATH; without
//! them the test says it skipped (an error under `FIFTEEN_REQUIRE_CHROMIUM=1`, as in CI).

mod common;

use std::path::Path;
use std::process::Command;

use common::sample_town;
use common::server::Server;
use serde_json::{Value, json};

/// Set to `1` to make a missing browser fail the test instead of skipping it.
const REQUIRE_CHROMIUM: &str = "FIFTEEN_REQUIRE_CHROMIUM";

/// Whether Chromium, its driver and selenium are here; a `skipped:` line when not.
fn browser_here() -> bool {
    let found = Path::new("/usr/bin/chromium").exists()
        && Path::new("/usr/bin/chromedriver").exists()
        && Command::new("python3")
            .args(["-c", "import selenium"])
            .status()
            .is_ok_and(|s| s.success());
    if !found {
        assert!(
            std::env::var(REQUIRE_CHROMIUM).as_deref() != Ok("1"),
            "{REQUIRE_CHROMIUM}=1 but chromium, chromium-driver or selenium is missing"
        );
        common::note(&format!(
            "skipped: serve_browser: needs /usr/bin/chromium, /usr/bin/chromedriver and python3's selenium; set {REQUIRE_CHROMIUM}=1 to make this an error"
        ));
    }
    found
}

/// Loads the page of a server on the sample town run with `args`, adds a site by clicking
/// the map at 10.030, 45.000, and checks the headline it then shows against `fifteen
/// coverage` for that scenario's saved register: what the page showed, as
/// tests/browser/serve_page.py prints it.
fn click_and_check(args: &[&str], screenshot: &str) -> Value {
    let town = sample_town();
    let server = Server::start(&town, args);
    let screenshot = Path::new(env!("CARGO_MANIFEST_DIR")).join(screenshot);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser/serve_page.py");
    let output = Command::new("python3")
        .arg(&script)
        .arg(format!("http://{}", server.addr))
        .args(["10.030", "45.000"])
        .arg(&screenshot)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "the browser run failed: {stderr}");
    let page: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(page["facilities"], 3, "{page}");
    assert_ne!(page["before_text"], page["after_text"], "{page}");

    let id = page["scenario"].as_str().unwrap();
    server.send_json(
        "POST",
        &format!("/api/scenarios/{id}/save"),
        &json!({"name": "clicked"}),
    );
    let (summary, _) = server.coverage_of_saved(&town, "clicked", args);
    let coverage = &summary["coverage"]["childcare"];
    let batch = coverage["covered_population"].as_f64().unwrap();
    let shown = page["after_residents"].as_f64().unwrap();
    assert!(
        (shown - batch).abs() <= 1e-9 * batch,
        "page {shown}, coverage {batch}"
    );
    let share = coverage["covered_share"].as_f64().unwrap();
    assert_eq!(
        page["after_text"],
        format!("{:.1} %", 100.0 * share),
        "{page}"
    );
    assert!(std::fs::metadata(&screenshot).unwrap().len() > 10_000);
    page
}

/// Whether the page's texts `key` (a list) hold one containing `part`.
fn shows(page: &Value, key: &str, part: &str) -> bool {
    (page["texts"][key].as_array().unwrap().iter()).any(|t| t.as_str().unwrap().contains(part))
}

#[test]
fn clicking_the_map_adds_a_site_and_the_headline_is_what_coverage_gives() {
    if !browser_here() {
        return;
    }
    let args = ["--category", "childcare", "--minutes", "5,10,15"];
    let page = click_and_check(&args, "target/serve-browser.png");
    let texts = &page["texts"];
    assert_eq!(
        texts["thresholds"],
        json!(["5 min", "10 min", "15 min"]),
        "{page}"
    );
    assert_eq!(texts["threshold_label"], "Time threshold", "{page}");
    assert!(
        texts["headline"]
            .as_str()
            .unwrap()
            .ends_with("within 15 min"),
        "{page}"
    );
    assert!(shows(&page, "legend", "≤ 5 min"), "{page}");
    assert!(shows(&page, "city", "Covered within 15 min"), "{page}");
    assert!(shows(&page, "layers", "Homes by minutes"), "{page}");
}

/// With `--meters`, the same click gives `coverage --meters`'s figure, and every text that
/// names a band names metres.
#[test]
fn a_distance_run_shows_metres_and_the_headline_is_what_coverage_gives() {
    if !browser_here() {
        return;
    }
    let args = ["--category", "childcare", "--meters", "300,600"];
    let page = click_and_check(&args, "target/serve-browser-meters.png");
    let texts = &page["texts"];
    assert_eq!(page["threshold"].as_f64(), Some(600.0), "{page}");
    assert_eq!(texts["thresholds"], json!(["300 m", "600 m"]), "{page}");
    assert_eq!(texts["threshold_label"], "Distance threshold", "{page}");
    assert!(
        texts["headline"]
            .as_str()
            .unwrap()
            .ends_with("within 600 m"),
        "{page}"
    );
    assert!(shows(&page, "legend", "≤ 300 m"), "{page}");
    assert!(shows(&page, "city", "Covered within 600 m"), "{page}");
    assert!(shows(&page, "layers", "Homes by metres"), "{page}");
    assert!(!shows(&page, "legend", " min"), "{page}");
}
