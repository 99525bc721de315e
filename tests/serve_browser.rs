//! `fifteen serve`'s page in a real browser: headless Chromium driven through WebDriver
//! (Python's selenium, tests/browser/serve_page.py) loads the page on the sample town, adds a
//! site by clicking the map, and the headline figure it then shows must be what `fifteen
//! coverage` gives for that scenario's saved register. The screenshot is kept at
//! `target/serve-browser.png`.
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

#[test]
fn clicking_the_map_adds_a_site_and_the_headline_is_what_coverage_gives() {
    if !browser_here() {
        return;
    }
    let town = sample_town();
    let args = ["--category", "childcare", "--minutes", "5,10,15"];
    let server = Server::start(&town, &args);
    let screenshot = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/serve-browser.png");
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
    let (summary, _) = server.coverage_of_saved(&town, "clicked", &args);
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
}
