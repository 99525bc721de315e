//! `--lang zh` end to end on the sample town: the report, the QGIS project and styles, and
//! the PNG map speak Chinese in the plan's terms, while field names stay ASCII.
//!
//! The map must draw its Chinese words with a CJK font when one is installed; under
//! `FIFTEEN_REQUIRE_CJK_FONT=1` (set by `.ci/run`, which installs `fonts-wqy-microhei`) one
//! must be. Without one the run warns and leaves the words out (unit-tested in
//! `output::map`).

mod common;

use std::path::Path;
use std::process::Command;

use common::{coverage, sample_town};

/// Runs the sample town's childcare coverage into `out` with `extra` flags.
fn run_town(out: &Path, extra: &[&str]) -> common::Outcome {
    let town = sample_town();
    let mut args = vec![
        town.to_str().unwrap(),
        "--category",
        "childcare",
        "--minutes",
        "5,10,15",
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let outcome = coverage(&args);
    assert_eq!(outcome.code, Some(0), "{}", outcome.stderr);
    outcome
}

/// The text of an HTML page outside its tags, `<style>` left out.
fn visible_text(html: &str) -> String {
    let body = html.split("</style>").nth(1).unwrap_or(html);
    let mut text = String::new();
    let mut in_tag = false;
    for c in body.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                text.push(' ');
            }
            _ if !in_tag => text.push(c),
            _ => {}
        }
    }
    text
}

fn has_cjk_font() -> bool {
    Command::new("fc-list")
        .args([":lang=zh", "family"])
        .output()
        .is_ok_and(|o| !o.stdout.is_empty())
}

#[test]
fn chinese_report_project_styles_and_map() {
    let dir = tempfile::tempdir().unwrap();
    let (zh, en) = (dir.path().join("zh"), dir.path().join("en"));
    let outcome = run_town(&zh, &["--lang", "zh"]);
    run_town(&en, &[]);

    // report.html: lang="zh", the plan's terms, none of the English headings
    let html = std::fs::read_to_string(zh.join("report.html")).unwrap();
    assert!(html.contains("<html lang=\"zh\">"));
    let text = visible_text(&html);
    for term in [
        "步行15分钟覆盖情况",
        "15分钟生活圈",
        "常住人口",
        "3岁以下婴幼儿",
        "托位",
        "普惠",
        "街道",
        "托育服务指导中心",
        "未达标",
        "待定",
        "规划目标",
        "数据质量",
        "托育",
    ] {
        assert!(text.contains(term), "{term} missing from the report");
    }
    for english in [
        "Within 15 minutes",
        "Targets",
        "Residents and children",
        "Coverage map",
        "Walking times",
        "Data quality",
        "not met",
        "undecided",
        "residents",
        "walking minutes",
        "(whole extract)",
    ] {
        assert!(!text.contains(english), "{english:?} left in the report");
    }

    // project.qgs: Chinese layer names; the data sources keep their file names
    let project = std::fs::read_to_string(zh.join("project.qgs")).unwrap();
    for name in [
        "<layername>居住街坊</layername>",
        "<layername>设施</layername>",
    ] {
        assert!(project.contains(name), "{name} missing");
    }
    assert!(project.contains("blocks.geojson"));
    assert!(!project.contains("<layername>blocks</layername>"));

    // .qml: Chinese aliases of the ASCII field names, and Chinese class labels
    let qml = std::fs::read_to_string(zh.join("blocks.qml")).unwrap();
    assert!(qml.contains("styleCategories=\"Symbology|Labeling|Fields\""));
    assert!(qml.contains("<alias field=\"childcare_status\" name=\"托育覆盖状态\"/>"));
    assert!(
        qml.contains("attr=\"&quot;childcare_status&quot;\""),
        "field names stay"
    );
    assert!(qml.contains("label=\"全部居民可达（覆盖）\""));
    let facilities = std::fs::read_to_string(zh.join("facilities.qml")).unwrap();
    assert!(facilities.contains("<alias field=\"places\" name=\"托位\"/>"));
    // the layers' fields themselves are unchanged
    let blocks = |d: &Path| std::fs::read_to_string(d.join("blocks.geojson")).unwrap();
    assert_eq!(blocks(&zh), blocks(&en));
    assert!(
        !std::fs::read_to_string(en.join("blocks.qml"))
            .unwrap()
            .contains("<aliases>")
    );

    // the PNG: Chinese words drawn with a CJK font, so it differs from the English map
    let png = |d: &Path| std::fs::read(d.join("map_childcare.png")).unwrap();
    let required = std::env::var_os("FIFTEEN_REQUIRE_CJK_FONT").is_some_and(|v| v == "1");
    if has_cjk_font() {
        assert!(
            !outcome.stderr.contains("no CJK font"),
            "{}",
            outcome.stderr
        );
        assert_ne!(png(&zh), png(&en));
    } else {
        assert!(
            !required,
            "FIFTEEN_REQUIRE_CJK_FONT=1 but fc-list finds no CJK font"
        );
        assert!(outcome.stderr.contains("warning: no CJK font found"));
        eprintln!(
            "skipped: the map's Chinese words (no CJK font; apt-get install fonts-wqy-microhei)"
        );
    }
}

#[test]
fn english_stays_the_default() {
    let dir = tempfile::tempdir().unwrap();
    run_town(dir.path(), &["--lang", "en"]);
    let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    assert!(html.contains("<html lang=\"en\">"));
    assert!(html.contains("Within 15 min on foot"));
    assert!(html.contains("(the 15-minute life circle)"));
    assert!(!html.contains("托位"));
    let bad = coverage([
        sample_town().to_str().unwrap(),
        "--lang",
        "fr",
        "--out",
        "x",
    ]);
    assert_eq!(bad.code, Some(2));
    assert!(bad.stderr.contains("not one of en, zh"), "{}", bad.stderr);
}

/// Real QGIS (Debian's `/usr/bin/python3` with PyQGIS) applies the Chinese aliases from the
/// `.qml` when it opens a layer, and from `project.qgs`; skipped without PyQGIS, unless
/// `FIFTEEN_REQUIRE_QGIS=1`.
#[test]
fn qgis_shows_the_chinese_aliases() {
    const CHECK: &str = r#"
import sys
from qgis.core import QgsApplication, QgsVectorLayer, QgsProject
app = QgsApplication([], False); app.initQgis()
d = sys.argv[1]
layer = QgsVectorLayer(d + "/blocks.geojson", "b", "ogr")
print("qml", layer.attributeAlias(layer.fields().indexOf("childcare_status")))
project = QgsProject.instance(); project.read(d + "/project.qgs")
for l in project.mapLayers().values():
    if l.name() == "设施":
        print("project", l.attributeAlias(l.fields().indexOf("places")))
"#;
    let has_qgis = Command::new("/usr/bin/python3")
        .args(["-c", "import qgis.core"])
        .env("QT_QPA_PLATFORM", "offscreen")
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_qgis {
        let required = std::env::var_os("FIFTEEN_REQUIRE_QGIS").is_some_and(|v| v == "1");
        assert!(!required, "FIFTEEN_REQUIRE_QGIS=1 but PyQGIS is missing");
        eprintln!("skipped: no PyQGIS (apt-get install qgis python3-qgis qgis-providers)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    run_town(dir.path(), &["--lang", "zh"]);
    let output = Command::new("/usr/bin/python3")
        .args(["-c", CHECK])
        .arg(dir.path())
        .env("QT_QPA_PLATFORM", "offscreen")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("qml 托育覆盖状态"), "{stdout}");
    assert!(stdout.contains("project 托位"), "{stdout}");
}

/// A city's own life circle names its tiers in Chinese by `name_zh`, in a distance run's
/// Chinese report: the tier line, its threshold in 米 and the completeness section.
#[test]
fn a_city_tier_is_named_by_its_name_zh() {
    let dir = tempfile::tempdir().unwrap();
    let preset = dir.path().join("city.toml");
    std::fs::write(
        &preset,
        "name = \"city\"\ntitle = \"City\"\n[[tier]]\nname = \"near\"\nname_zh = \"近邻托育圈\"\n\
         minutes = 5\nmeters = 300\ncategories = [\"childcare\"]\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    let town = sample_town();
    let outcome = coverage([
        town.to_str().unwrap(),
        "--category",
        "childcare",
        "--meters",
        "300,600",
        "--life-circle",
        preset.to_str().unwrap(),
        "--lang",
        "zh",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(outcome.code, Some(0), "{}", outcome.stderr);
    let text = visible_text(&std::fs::read_to_string(out.join("report.html")).unwrap());
    assert!(
        text.contains("托育（所属生活圈层级：近邻托育圈）"),
        "{text}"
    );
    assert!(text.contains("步行300米内可达"), "{text}");
    assert!(text.contains("近邻托育圈 （托育，步行300米内）"), "{text}");
    assert!(!text.contains("near"), "{text}");
}
