//! `report.html`: one self-contained page (no network, no script) a planner can hand upward —
//! the indicators against the targets, the completeness of life circles with several
//! categories, the coverage map, the histogram of walking times, the
//! coverage curve of proposed sites, and what the data left out.

use std::fmt::Write as _;

use serde_json::Value;

use crate::analysis::bands::{BandUnit, Bands};
use crate::output::lang::{Key, Lang};
use crate::output::qgis::{GREY, RED, Rgba, band_colors};

/// The walk (minutes or metres; `None`: no walk found) and residents of every home, for one
/// category.
#[derive(Debug, Clone)]
pub struct CategoryWalks {
    /// Category name.
    pub category: String,
    /// `(walk, residents)` per home.
    pub homes: Vec<(Option<f64>, f64)>,
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn rgb(c: Rgba) -> String {
    format!("rgb({},{},{})", c[0], c[1], c[2])
}

/// A number with thousands separators and `decimals` decimals.
fn thousands(v: f64, decimals: usize) -> String {
    let s = format!("{:.decimals$}", v + 0.0);
    let (int, frac) = s
        .split_once('.')
        .map_or((s.as_str(), None), |(i, f)| (i, Some(f)));
    let (sign, digits) = int.strip_prefix('-').map_or(("", int), |d| ("-", d));
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    match frac {
        Some(f) => format!("{sign}{out}.{f}"),
        None => format!("{sign}{out}"),
    }
}

fn percent(v: Option<f64>) -> String {
    // + 0.0: no "-0.0 %" from empty sums
    v.map_or_else(|| "—".into(), |v| format!("{:.1} %", v * 100.0 + 0.0))
}

/// A round step (1, 2 or 5 × 10ⁿ) of at least `raw`, for axis ticks.
fn nice_step(raw: f64) -> f64 {
    let power = 10f64.powf(raw.max(1e-9).log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|k| k * power)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * power)
}

/// The places-per-1,000 badge: met / not met on stated places, else (places assumed for
/// facilities that state none) "met on assumed capacities" or "not met on assumed
/// capacities", visibly apart from both.
fn places_badge(row: &Value, lang: Lang) -> String {
    match (
        row["places_target_met"].as_bool(),
        row["places_target_met_on_assumed"].as_bool(),
    ) {
        (Some(_), _) => badge(&row["places_target_met"], lang),
        (None, Some(true)) => format!("<span class=\"und\">{}</span>", lang.text(Key::MetAssumed)),
        (None, Some(false)) => format!(
            "<span class=\"und\">{}</span>",
            lang.text(Key::NotMetAssumed)
        ),
        (None, None) => badge(&Value::Null, lang),
    }
}

/// A met / not met / undecided badge for a `*_target_met` value.
fn badge(v: &Value, lang: Lang) -> String {
    let (class, key) = match v.as_bool() {
        Some(true) => ("met", Key::Met),
        Some(false) => ("not", Key::NotMet),
        None => ("und", Key::Undecided),
    };
    format!("<span class=\"{class}\">{}</span>", lang.text(key))
}

const STYLE: &str = "body{font-family:'DejaVu Sans',Arial,sans-serif;max-width:1060px;margin:24px auto;padding:0 16px;color:#222;line-height:1.45}\
h1{font-size:24px;margin-bottom:4px}h2{font-size:19px;margin-top:32px;border-bottom:1px solid #ccc}\
table{border-collapse:collapse;font-size:13px;margin:8px 0}td,th{border:1px solid #ccc;padding:3px 7px;text-align:right}\
td:first-child,th:first-child,td.l{text-align:left}th{background:#f2f2f2}\
.met{background:#d9f0d3;color:#1b5e20;padding:1px 6px;border-radius:3px}.not{background:#fdd;color:#b71c1c;padding:1px 6px;border-radius:3px}\
.und{background:#eee;color:#555;padding:1px 6px;border-radius:3px}.lead{font-size:17px}.small{font-size:12px;color:#555}\
svg{max-width:100%;height:auto}";

/// Opens the page.
fn head(title: &str, lang: Lang) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n<title>{t}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>{t}</h1>\n",
        lang.tag(),
        t = escape(title)
    )
}

/// The histogram of walks: residents per minute (per [`histogram_bin`] metres in a distance
/// run) up to twice the threshold, then the residents beyond and those with no walk; bars
/// coloured by band.
pub fn histogram_svg(walks: &CategoryWalks, bands: &Bands, lang: Lang) -> String {
    let threshold = bands.threshold();
    let bin = histogram_bin(bands);
    let bins = (threshold * 2.0 / bin).ceil().max(1.0) as usize;
    let mut counts = vec![0.0; bins + 2]; // per bin, beyond, no time
    for &(walk, residents) in &walks.homes {
        let i = match walk.map(|w| w / bin) {
            Some(w) if w < bins as f64 => (w.max(0.0)).floor() as usize,
            Some(_) => bins,
            None => bins + 1,
        };
        counts[i] += residents;
    }
    let colors = band_colors(bands.values.len());
    let color_of = |i: usize| -> Rgba {
        if i == bins + 1 {
            return GREY;
        }
        let upper = (i + 1) as f64 * bin;
        (bands.values.iter())
            .zip(&colors)
            .find(|(b, _)| upper <= **b)
            .map_or(RED, |(_, c)| *c)
    };
    let (w, h, left, bottom, top) = (960.0, 310.0, 60.0, 50.0, 14.0);
    let step = nice_step(counts.iter().cloned().fold(0.0, f64::max).max(1.0) / 4.0);
    let max = step
        * (counts.iter().cloned().fold(0.0, f64::max) / step)
            .ceil()
            .max(1.0);
    let bar_w = (w - left - 10.0) / (bins + 3) as f64;
    let y = |v: f64| top + (h - top - bottom) * (1.0 - v / max);
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" font-family=\"DejaVu Sans, Arial, sans-serif\" font-size=\"11\">\n"
    );
    for k in 0..=(max / step).round() as u32 {
        let v = step * f64::from(k);
        let _ = writeln!(
            s,
            "<line x1=\"{left}\" x2=\"{}\" y1=\"{yy:.1}\" y2=\"{yy:.1}\" stroke=\"#e5e5e5\"/><text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            w - 10.0,
            left - 4.0,
            y(v) + 4.0,
            thousands(v, 0),
            yy = y(v)
        );
    }
    for (i, &c) in counts.iter().enumerate() {
        let x = left + (i + usize::from(i > bins - 1)) as f64 * bar_w;
        let _ = writeln!(
            s,
            "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{}\"><title>{}</title></rect>",
            y(c),
            bar_w * 0.9,
            (h - bottom) - y(c),
            rgb(color_of(i)),
            thousands(c, 0)
        );
        let label = if i == bins {
            format!("> {}", bins as f64 * bin)
        } else if i == bins + 1 {
            lang.text(Key::NoTime).into()
        } else if i % 5 == 0 {
            format!("{}", i as f64 * bin)
        } else {
            String::new()
        };
        if !label.is_empty() {
            // the last two labels stagger so that they never overlap
            let dy = if i == bins + 1 { 26.0 } else { 14.0 };
            let _ = writeln!(
                s,
                "<text x=\"{x:.1}\" y=\"{}\">{label}</text>",
                h - bottom + dy
            );
        }
    }
    for b in &bands.values {
        let x = left + b / bin * bar_w;
        let _ = writeln!(
            s,
            "<line x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{top}\" y2=\"{}\" stroke=\"#333\" stroke-dasharray=\"4 3\"/><text x=\"{:.1}\" y=\"{}\">{}</text>",
            h - bottom,
            x + 3.0,
            top + 10.0,
            lang.measure(*b, bands.unit)
        );
    }
    let _ = writeln!(
        s,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n</svg>",
        left + (w - left) / 2.0,
        h - 6.0,
        lang.fill(
            Key::HistogramAxis,
            &[
                &escape(&lang.value(&walks.category)),
                &lang.measure(bin, bands.unit)
            ]
        )
    );
    s
}

/// Width of one histogram bar, in the bands' unit: a minute, or the round distance (1, 2 or
/// 5 × 10ⁿ m) giving 12–30 bars up to twice the threshold (100 m for 1,000 m).
fn histogram_bin(bands: &Bands) -> f64 {
    match bands.unit {
        BandUnit::Minutes => 1.0,
        BandUnit::Meters => nice_step(bands.threshold() / 15.0),
    }
}

/// A category's figure at the threshold of its life-circle tier (with `--life-circle`),
/// under its headline; empty without one.
fn tier_line(summary: &Value, category: &str, tier: &Value, lang: Lang) -> String {
    let Some(name) = tier["name"].as_str() else {
        return String::new();
    };
    lang.fill(
        Key::LeadTier,
        &[
            &escape(&lang.value(category)),
            &escape(&tier_label(summary, name, lang)),
            &percent(tier["covered_share"].as_f64()),
            &measure_of(tier, lang),
        ],
    ) + "\n"
}

/// A life-circle tier as a Chinese page names it: the preset's `name_zh` (recorded in the
/// summary's parameters) when it has one, else the tool's own name for the value.
pub fn tier_label(summary: &Value, tier: &str, lang: Lang) -> String {
    let tiers = summary["parameters"]["life_circle"]["tier"].as_array();
    let of_preset = (tiers.into_iter().flatten()).find(|t| t["name"] == tier);
    match (lang, of_preset.and_then(|t| t["name_zh"].as_str())) {
        (Lang::Zh, Some(name_zh)) => name_zh.to_string(),
        _ => lang.value(tier),
    }
}

/// The life circle a time threshold of 5, 10 or 15 minutes is (GB 50180-2018's tiers), for
/// the headline: ` (the 15-minute life circle)`, `（15分钟生活圈）`; empty otherwise.
fn life_circle_suffix(bands: &Bands, lang: Lang) -> String {
    let t = bands.threshold();
    match bands.unit == BandUnit::Minutes && [5.0, 10.0, 15.0].contains(&t) {
        true => lang.fill(Key::LifeCircleSuffix, &[&t]),
        false => String::new(),
    }
}

/// A summary object's `threshold` in its `threshold_unit`, as the texts show it.
fn measure_of(row: &Value, lang: Lang) -> String {
    let unit = (row["threshold_unit"].as_str())
        .and_then(BandUnit::from_field)
        .unwrap_or(BandUnit::Minutes);
    lang.measure(row["threshold"].as_f64().unwrap_or(f64::NAN), unit)
}

/// The coverage curve: share of residents within the threshold against sites added, with
/// the target as a dashed line when one was set.
pub fn curve_svg(points: &[(usize, f64)], target: Option<f64>, lang: Lang) -> String {
    let (w, h, left, bottom, top) = (960.0, 300.0, 60.0, 40.0, 14.0);
    let n = points.last().map_or(1, |p| p.0).max(1) as f64;
    let lo = points.iter().map(|p| p.1).chain(target).fold(1.0, f64::min);
    let lo = (lo * 10.0).floor() / 10.0;
    let x = |k: f64| left + (w - left - 20.0) * k / n;
    let y = |v: f64| top + (h - top - bottom) * (1.0 - (v - lo) / (1.0 - lo).max(1e-9));
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" font-family=\"DejaVu Sans, Arial, sans-serif\" font-size=\"11\">\n"
    );
    for k in 0..=4 {
        let v = lo + (1.0 - lo) * f64::from(k) / 4.0;
        let _ = writeln!(
            s,
            "<line x1=\"{left}\" x2=\"{}\" y1=\"{yy:.1}\" y2=\"{yy:.1}\" stroke=\"#e5e5e5\"/><text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{:.0} %</text>",
            w - 20.0,
            left - 4.0,
            y(v) + 4.0,
            v * 100.0,
            yy = y(v)
        );
    }
    if let Some(t) = target {
        let _ = writeln!(
            s,
            "<line x1=\"{left}\" x2=\"{}\" y1=\"{yy:.1}\" y2=\"{yy:.1}\" stroke=\"{}\" stroke-dasharray=\"6 4\"/><text x=\"{}\" y=\"{:.1}\" text-anchor=\"start\" fill=\"{}\">{}</text>",
            w - 20.0,
            rgb(RED),
            left + 6.0,
            y(t) - 4.0,
            rgb(RED),
            lang.fill(Key::CurveTarget, &[&format!("{:.0}", t * 100.0)]),
            yy = y(t)
        );
    }
    let d: Vec<String> = points
        .iter()
        .map(|(k, v)| format!("{:.1},{:.1}", x(*k as f64), y(*v)))
        .collect();
    let _ = writeln!(
        s,
        "<polyline points=\"{}\" fill=\"none\" stroke=\"rgb(33,102,172)\" stroke-width=\"2.5\"/>",
        d.join(" ")
    );
    // at most about 15 labels on the sites axis
    let label_step = (points.len() / 15).max(1);
    for (k, v) in points {
        let _ = writeln!(
            s,
            "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"4\" fill=\"rgb(33,102,172)\"><title>{}</title></circle><text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            x(*k as f64),
            y(*v),
            lang.fill(Key::CurvePoint, &[k, &format!("{:.1}", v * 100.0)]),
            x(*k as f64),
            h - bottom + 14.0,
            if k % label_step == 0 {
                k.to_string()
            } else {
                String::new()
            }
        );
    }
    let _ = writeln!(
        s,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n</svg>",
        left + (w - left) / 2.0,
        h - 6.0,
        lang.text(Key::CurveAxis)
    );
    s
}

/// The indicators of a coverage `summary.json` against the targets: the whole extract,
/// then districts, sub-districts and the residents outside every unit.
fn indicators_section(summary: &Value, bands: &Bands, lang: Lang) -> String {
    let targets = &summary["parameters"]["targets"];
    let threshold = lang.measure(bands.threshold(), bands.unit);
    let t = |k: &str| targets[k].as_f64().unwrap_or(f64::NAN);
    let mut s = lang.fill(
        Key::Targets,
        &[
            &percent(Some(t("covered_share"))),
            &threshold,
            &t("places_per_1000"),
            &percent(Some(t("affordable_share"))),
            &percent(Some(t("subdistricts_with_affordable_share"))),
            &percent(Some(t("toddler_class_share"))),
        ],
    );
    let rows = summary["indicators"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mut categories: Vec<String> = rows
        .iter()
        .filter_map(|r| r["category"].as_str().map(String::from))
        .collect();
    categories.dedup();
    let level_rank = |r: &Value| match r["level"].as_str() {
        Some("city") => 0,
        Some("district") => 1,
        Some("subdistrict") => 2,
        _ => 3,
    };
    for category in categories {
        let mut of: Vec<&Value> = rows
            .iter()
            .filter(|r| r["category"].as_str() == Some(&category))
            .collect();
        of.sort_by_key(|r| level_rank(r));
        let shown = escape(&lang.value(&category));
        s.push_str(&lang.fill(Key::IndicatorsHeader, &[&shown, &threshold]));
        s.push('\n');
        for r in &of {
            let share = r["covered_share"]
                .as_array()
                .and_then(|a| a.last())
                .and_then(Value::as_f64);
            let has = match r["has_affordable_facility"].as_bool() {
                Some(true) => lang.text(Key::Yes),
                Some(false) => lang.text(Key::No),
                None => "—",
            };
            let _ = writeln!(
                s,
                "<tr><td>{}</td><td class=\"l\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{has}</td><td>{}</td><td>{}</td></tr>",
                escape(&lang.value(r["unit_name"].as_str().unwrap_or(""))),
                escape(&lang.level(r["level"].as_str().unwrap_or(""))),
                thousands(r["residents"].as_f64().unwrap_or(0.0), 0),
                percent(share),
                badge(&r["covered_target_met"], lang),
                r["places_per_1000"]
                    .as_f64()
                    .map_or("—".into(), |v| format!("{:.1}", v + 0.0)),
                places_badge(r, lang),
                percent(r["affordable_share"].as_f64()),
                badge(&r["affordable_target_met"], lang),
                percent(r["subdistricts_with_affordable_share"].as_f64()),
                if r["subdistricts_with_affordable_share"].is_null() {
                    String::new()
                } else {
                    badge(&r["subdistricts_target_met"], lang)
                },
            );
        }
        s.push_str("</table>\n");
        s.push_str(&assumed_places_paragraph(&of, lang));
        s.push_str(&kinds_paragraph(&of, lang));
    }
    s
}

/// The completeness of each life-circle tier (`summary.json`'s `completeness`): a headline
/// from the city's row, then a table of every unit, city first; empty without tiers.
fn completeness_section(summary: &Value, lang: Lang) -> String {
    let rows = summary["completeness"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if rows.is_empty() {
        return String::new();
    }
    let mut tiers: Vec<&str> = rows.iter().filter_map(|r| r["tier"].as_str()).collect();
    tiers.dedup();
    let mut s = lang.text(Key::CompletenessHeading).to_string();
    for tier in tiers {
        let of: Vec<&Value> = rows.iter().filter(|r| r["tier"] == tier).collect();
        let Some(city) = of.iter().find(|r| r["level"] == "city") else {
            continue;
        };
        let categories: Vec<String> = (city["categories"].as_array().into_iter().flatten())
            .filter_map(|c| c.as_str().map(|c| escape(&lang.value(c))))
            .collect();
        s.push_str(&lang.fill(
            Key::CompletenessLead,
            &[
                &escape(&tier_label(summary, tier, lang)),
                &categories.join(" + "),
                &measure_of(city, lang),
                &percent(city["complete_share"].as_f64()),
                &percent(city["complete_children_share"].as_f64()),
            ],
        ));
        s.push_str(lang.text(Key::CompletenessHeader));
        for r in &of {
            let missing = r["most_missing_category"]
                .as_str()
                .map_or("—".into(), |c| escape(&lang.value(c)));
            let _ = writeln!(
                s,
                "<tr><td>{}</td><td class=\"l\">{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"l\">{missing}</td><td>{}</td></tr>",
                escape(&lang.value(r["unit_name"].as_str().unwrap_or(""))),
                escape(&lang.level(r["level"].as_str().unwrap_or(""))),
                thousands(r["residents"].as_f64().unwrap_or(0.0), 0),
                percent(r["complete_share"].as_f64()),
                percent(r["complete_children_share"].as_f64()),
                thousands(r["most_missing_residents"].as_f64().unwrap_or(0.0), 0),
            );
        }
        s.push_str("</table>\n");
    }
    s
}

/// How many of a category's places are assumed, from its city row; empty when none is.
fn assumed_places_paragraph(rows: &[&Value], lang: Lang) -> String {
    let Some(city) = rows.first() else {
        return String::new();
    };
    let (assumed, places) = (
        city["assumed_places"].as_f64().unwrap_or(0.0),
        city["places"].as_f64().unwrap_or(0.0),
    );
    if assumed <= 0.0 {
        return String::new();
    }
    lang.fill(
        Key::AssumedPlaces,
        &[&thousands(assumed, 0), &thousands(places, 0)],
    )
}

/// Where residents and children come from, and the estimate beside the figures used per
/// unit (`population_check.csv`).
fn population_section(summary: &Value, lang: Lang) -> String {
    let pop = &summary["population"];
    let n = |v: &Value| v.as_f64().unwrap_or(0.0);
    let by_source = |key: &str| -> String {
        let parts: Vec<String> = (pop[key].as_object().into_iter().flatten())
            .map(|(source, v)| format!("{} {}", thousands(n(v), 0), escape(&lang.value(source))))
            .collect();
        parts.join(", ")
    };
    let mut s = lang.text(Key::PopulationHeading).to_string();
    if pop["uncalibrated"].as_bool() == Some(true) {
        s.push_str(lang.text(Key::Uncalibrated));
    }
    s.push_str(&lang.fill(
        Key::ResidentsLine,
        &[
            &thousands(n(&pop["residents"]), 0),
            &by_source("residents_by_source"),
            &thousands(n(&pop["estimate"]), 0),
            &thousands(n(&pop["children"]), 0),
            &by_source("children_by_source"),
        ],
    ));
    s.push('\n');
    let census = &pop["census"];
    if census.is_object() {
        let list = |k: &str| -> String {
            let items: Vec<String> = (census[k].as_array().into_iter().flatten())
                .filter_map(|v| v.as_str().map(escape))
                .collect();
            if items.is_empty() {
                lang.text(Key::None).into()
            } else {
                items.join("; ")
            }
        };
        s.push_str(&lang.fill(
            Key::CensusLine,
            &[
                &census["matched_rows"],
                &census["rows"],
                &list("unmatched_rows"),
                &list("units_without_row"),
            ],
        ));
        s.push('\n');
    }
    let units = pop["units"].as_array().cloned().unwrap_or_default();
    s.push_str(lang.text(Key::PopulationHeader));
    for u in &units {
        let _ = writeln!(
            s,
            "<tr><td>{}</td><td class=\"l\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"l\">{}</td><td>{}</td></tr>",
            escape(&lang.value(u["unit_name"].as_str().unwrap_or(""))),
            escape(&lang.level(u["level"].as_str().unwrap_or(""))),
            thousands(n(&u["homes"]), 0),
            thousands(n(&u["estimate"]), 0),
            u["given"].as_f64().map_or("—".into(), |g| thousands(g, 0)),
            u["estimate_ratio"]
                .as_f64()
                .map_or("—".into(), |r| format!("{r:.2}")),
            thousands(n(&u["residents"]), 0),
            escape(&lang.value(u["residents_source"].as_str().unwrap_or(""))),
            thousands(n(&u["children"]), 0),
        );
    }
    s.push_str(lang.text(Key::PopulationFootnote));
    s
}

/// The two targets that count kinds of facility, for one category's rows (city first):
/// kindergartens with toddler classes, and districts with a guidance centre. Empty when the
/// category has no kindergarten and no district's guidance verdict is decided (no register
/// states its facilities' types).
fn kinds_paragraph(rows: &[&Value], lang: Lang) -> String {
    let Some(city) = rows.iter().find(|r| r["level"] == "city") else {
        return String::new();
    };
    let districts: Vec<&&Value> = rows
        .iter()
        .filter(|r| r["level"] == "district" && r["unit_id"] != "outside")
        .collect();
    let kindergartens = city["kindergartens"].as_u64().unwrap_or(0);
    let typed = districts
        .iter()
        .any(|r| !r["guidance_target_met"].is_null());
    if kindergartens == 0 && !typed {
        return String::new();
    }
    let mut s = String::from("<p>");
    if kindergartens > 0 {
        s.push_str(&lang.fill(
            Key::Kindergartens,
            &[
                &city["toddler_class_kindergartens"],
                &kindergartens,
                &percent(city["toddler_class_share"].as_f64()),
                &badge(&city["toddler_class_target_met"], lang),
            ],
        ));
    }
    if districts.is_empty() {
        s.push_str(lang.text(Key::NoDistricts));
    } else {
        let named = |want: Option<bool>| -> Vec<String> {
            districts
                .iter()
                .filter(|r| r["guidance_target_met"].as_bool() == want)
                .map(|r| escape(r["unit_name"].as_str().unwrap_or("")))
                .collect()
        };
        let list = |names: Vec<String>| {
            if names.is_empty() {
                lang.text(Key::None).to_string()
            } else {
                names.join(", ")
            }
        };
        let unknown = named(None);
        let unknown = if unknown.is_empty() {
            String::new()
        } else {
            lang.fill(Key::GuidanceUnknown, &[&unknown.join(", ")])
        };
        s.push_str(&lang.fill(
            Key::Guidance,
            &[
                &list(named(Some(true))),
                &list(named(Some(false))),
                &unknown,
                &badge(&city["guidance_target_met"], lang),
            ],
        ));
    }
    s.push_str("</p>\n");
    s
}

/// What the data left out: unsnapped homes and facilities, islands, skipped units and areas.
fn quality_section(summary: &Value, lang: Lang) -> String {
    let c = &summary["counts"];
    let n = |v: &Value| v.as_f64().unwrap_or(0.0);
    let mut s = lang.text(Key::QualityHeading).to_string();
    s.push_str(&lang.fill(
        Key::Unsnapped,
        &[
            &thousands(n(&c["buildings_unsnapped"]), 0),
            &thousands(n(&c["population_unsnapped"]), 0),
            &summary["parameters"]["max_snap_m"],
        ],
    ));
    s.push('\n');
    s.push_str(&lang.fill(
        Key::Islands,
        &[
            &thousands(n(&c["buildings_on_islands"]), 0),
            &summary["parameters"]["island_max_m"],
        ],
    ));
    s.push('\n');
    if let Some(coverage) = summary["coverage"].as_object() {
        for (category, cov) in coverage {
            let list = |k: &str| -> String {
                let ids: Vec<String> = cov[k]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|v| v.as_str().map(escape))
                    .collect();
                if ids.is_empty() {
                    lang.text(Key::None).into()
                } else {
                    ids.join(", ")
                }
            };
            s.push_str(&lang.fill(
                Key::FacilitiesUnsnapped,
                &[
                    &escape(&lang.value(category)),
                    &list("facilities_unsnapped"),
                    &list("facilities_on_islands"),
                ],
            ));
            s.push('\n');
        }
    }
    let skipped_units: Vec<String> = summary["units"]["skipped"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(escape))
        .collect();
    let skipped = if skipped_units.is_empty() {
        lang.text(Key::None).to_string()
    } else {
        skipped_units.join("; ")
    };
    s.push_str(&lang.fill(
        Key::Units,
        &[
            &summary["units"]["districts"],
            &summary["units"]["subdistricts"],
            &skipped,
        ],
    ));
    s.push('\n');
    let broken = c["residents"]["broken_areas"]["skipped"]
        .as_array()
        .map_or(0, Vec::len);
    s.push_str(&lang.fill(
        Key::Buildings,
        &[
            &thousands(n(&c["residents"]["buildings_read"]), 0),
            &thousands(n(&c["buildings"]), 0),
            &thousands(n(&c["residents"]["residential_tagged"]), 0),
            &thousands(n(&c["residents"]["residential_assumed"]), 0),
            &broken,
        ],
    ));
    s.push('\n');
    s.push_str("</ul>\n");
    s
}

/// The line naming the tool, the extract and the walk's parameters.
fn run_line(summary: &Value, bands: &Bands, lang: Lang) -> String {
    let p = &summary["parameters"];
    let sha: String = (summary["input"]["sha256"].as_str().unwrap_or(""))
        .chars()
        .take(12)
        .collect();
    let slopes = if p["elevation_dir"].is_null() {
        ""
    } else {
        lang.text(Key::OnSlopes)
    };
    let profile = escape(&lang.value(p["profile"]["name"].as_str().unwrap_or("adult")));
    let walker = match bands.unit {
        BandUnit::Minutes => lang.fill(Key::WalkerSpeed, &[&profile, &p["speed_kmh"], &slopes]),
        BandUnit::Meters => lang.fill(Key::WalkerDistance, &[&profile]),
    };
    let line = lang.fill(
        Key::RunLine,
        &[
            &escape(summary["tool"]["version"].as_str().unwrap_or("")),
            &escape(summary["input"]["path"].as_str().unwrap_or("")),
            &escape(&sha),
            &walker,
            &lang.measures(&bands.values, bands.unit),
            &p["max_snap_m"],
        ],
    );
    format!("<p class=\"small\">{line}</p>\n")
}

/// One headline per category: the share of residents within the threshold, against the
/// target.
fn lead_lines(summary: &Value, bands: &Bands, lang: Lang) -> String {
    let threshold = lang.measure(bands.threshold(), bands.unit) + &life_circle_suffix(bands, lang);
    let target = summary["parameters"]["targets"]["covered_share"].as_f64();
    let uncalibrated = if summary["population"]["uncalibrated"].as_bool() == Some(true) {
        lang.text(Key::UncalibratedSuffix)
    } else {
        ""
    };
    let mut s = String::new();
    for (category, c) in summary["coverage"].as_object().into_iter().flatten() {
        let share = c["covered_share"].as_f64().unwrap_or(0.0);
        let verdict = target.map_or(String::new(), |t| {
            let met = badge(&Value::Bool(share >= t), lang);
            lang.fill(Key::TargetSuffix, &[&percent(Some(t)), &met])
        });
        s.push_str(&lang.fill(
            Key::Lead,
            &[
                &escape(&lang.value(category)),
                &percent(Some(share)),
                &thousands(c["population"].as_f64().unwrap_or(0.0), 0),
                &uncalibrated,
                &threshold,
                &c["facilities"],
                &verdict,
            ],
        ));
        s.push('\n');
        s.push_str(&tier_line(summary, category, &c["tier"], lang));
    }
    s
}

/// The page of a `coverage` run: headline, targets, a map per category, histograms, data
/// quality, in `lang`. `maps` holds `(category, svg, png file name)`.
pub fn coverage_report(
    summary: &Value,
    bands: &Bands,
    walks: &[CategoryWalks],
    maps: &[(String, String, String)],
    lang: Lang,
) -> String {
    let input = summary["input"]["path"].as_str().unwrap_or("");
    let name = std::path::Path::new(input)
        .file_name()
        .map_or(input.to_string(), |n| n.to_string_lossy().into_owned());
    let threshold = lang.measure(bands.threshold(), bands.unit);
    let mut s = head(&lang.fill(Key::ReportTitle, &[&threshold, &name]), lang);
    s.push_str(&run_line(summary, bands, lang));
    s.push_str(&lead_lines(summary, bands, lang));
    s.push_str(&indicators_section(summary, bands, lang));
    s.push_str(&completeness_section(summary, lang));
    s.push_str(&population_section(summary, lang));
    for (category, svg, png) in maps {
        let shown = escape(&lang.value(category));
        s.push_str(&lang.fill(Key::MapSection, &[&shown, &escape(png)]));
        s.push_str(svg);
        s.push('\n');
    }
    for w in walks {
        s.push_str(&lang.fill(Key::WalkSection, &[&escape(&lang.value(&w.category))]));
        s.push_str(&histogram_svg(w, bands, lang));
        s.push('\n');
    }
    s.push_str(&quality_section(summary, lang));
    s.push_str(lang.text(Key::Footer));
    s
}

/// The page of a `site` run, in `lang`: the result, the coverage curve, the chosen sites,
/// and the map of coverage with the sites added (`map`: svg and png file name).
pub fn site_report(summary: &Value, map: &(String, String), lang: Lang) -> String {
    let category = summary["parameters"]["category"].as_str().unwrap_or("");
    let threshold = measure_of(&summary["parameters"], lang);
    let shown = lang.value(category);
    let mut s = head(&lang.fill(Key::SiteTitle, &[&shown, &threshold]), lang);
    let before = summary["before"]["covered_share"].as_f64();
    let result = &summary["result"];
    let verdict = match (
        result["target_share"].as_f64(),
        result["target_reached"].as_bool(),
    ) {
        (Some(t), Some(r)) => lang.fill(
            Key::SiteTargetSuffix,
            &[&percent(Some(t)), &badge(&Value::Bool(r), lang)],
        ),
        _ => String::new(),
    };
    s.push_str(&lang.fill(
        Key::SiteLead,
        &[
            &result["sites_added"],
            &threshold,
            &percent(before),
            &percent(result["covered_share"].as_f64()),
            &verdict,
            &escape(&lang.value(result["stopped_because"].as_str().unwrap_or(""))),
        ],
    ));
    s.push('\n');
    let mut points = vec![(0usize, before.unwrap_or(0.0))];
    let sites = summary["sites"].as_array().cloned().unwrap_or_default();
    for p in &sites {
        points.push((
            p["sites"].as_u64().unwrap_or(0) as usize,
            p["covered_share"].as_f64().unwrap_or(0.0),
        ));
    }
    s.push_str(lang.text(Key::CurveSection));
    s.push_str(&curve_svg(&points, result["target_share"].as_f64(), lang));
    s.push('\n');
    s.push_str(lang.text(Key::SitesHeader));
    for p in &sites {
        let _ = writeln!(
            s,
            "<tr><td>{}</td><td class=\"l\">{}</td><td>{}</td><td>{}</td></tr>",
            p["sites"],
            escape(p["site_id"].as_str().unwrap_or("")),
            thousands(p["marginal_residents"].as_f64().unwrap_or(0.0), 0),
            percent(p["covered_share"].as_f64())
        );
    }
    s.push_str("</table>\n");
    s.push_str(&lang.fill(Key::SiteMapSection, &[&escape(&map.1)]));
    s.push_str(&map.0);
    s.push('\n');
    let left_out = summary["candidates"]["left_out"]
        .as_array()
        .map_or(0, Vec::len);
    s.push_str(&lang.fill(
        Key::SiteQuality,
        &[
            &summary["candidates"]["generated"],
            &summary["candidates"]["kept"],
            &left_out,
        ],
    ));
    s.push_str("\n</body>\n</html>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn thousands_groups_digits() {
        assert_eq!(thousands(1234567.891, 1), "1,234,567.9");
        assert_eq!(thousands(-1000.0, 0), "-1,000");
        assert_eq!(thousands(999.0, 0), "999");
    }

    /// Metres: bars of 100 m up to 2,000 m for a 1,000 m threshold, the bands marked in
    /// metres.
    #[test]
    fn histogram_in_metres() {
        let walks = CategoryWalks {
            category: "childcare".into(),
            homes: vec![(Some(250.0), 3.0), (Some(299.0), 4.0), (Some(2500.0), 2.0)],
        };
        let bands = Bands::meters(&[300.0, 1000.0]);
        assert_eq!(histogram_bin(&bands), 100.0);
        let svg = histogram_svg(&walks, &bands, Lang::En);
        for n in [
            "<title>7</title>",
            "<title>2</title>",
            ">1000 m<",
            ">&gt; 2000<",
            ">500<",
        ] {
            assert!(
                svg.contains(n) || svg.contains(&n.replace("&gt;", ">")),
                "{n} missing: {svg}"
            );
        }
        assert!(svg.contains("residents per bar of 100 m"), "{svg}");
    }

    #[test]
    fn histogram_counts_every_resident_once() {
        let walks = CategoryWalks {
            category: "childcare".into(),
            homes: vec![
                (Some(0.5), 10.0),
                (Some(14.9), 5.0),
                (Some(31.0), 2.0),
                (None, 1.0),
            ],
        };
        let svg = histogram_svg(&walks, &Bands::minutes(&[5.0, 10.0, 15.0]), Lang::En);
        for n in [
            "<title>10</title>",
            "<title>5</title>",
            "<title>2</title>",
            "<title>1</title>",
        ] {
            assert!(svg.contains(n), "{n} missing");
        }
    }

    #[test]
    fn kinds_paragraph_names_districts_with_and_without_a_guidance_centre() {
        let rows = [
            json!({"level": "city", "unit_id": "city", "kindergartens": 4,
                   "toddler_class_kindergartens": 1, "toddler_class_share": 0.25,
                   "toddler_class_target_met": false, "guidance_target_met": null}),
            json!({"level": "district", "unit_id": "d1", "unit_name": "North",
                   "guidance_target_met": true}),
            json!({"level": "district", "unit_id": "d2", "unit_name": "South & Port",
                   "guidance_target_met": false}),
            json!({"level": "district", "unit_id": "d3", "unit_name": "East",
                   "guidance_target_met": null}),
            json!({"level": "district", "unit_id": "outside",
                   "unit_name": "(outside every district)", "guidance_target_met": null}),
        ];
        let refs: Vec<&Value> = rows.iter().collect();
        let text = kinds_paragraph(&refs, Lang::En);
        assert!(
            text.contains("1 of 4 (25.0 %) <span class=\"not\">"),
            "{text}"
        );
        assert!(text.contains("with a guidance centre: North; without: South &amp; Port;"));
        assert!(
            text.contains("register): East <span class=\"und\">"),
            "{text}"
        );
        assert!(!text.contains("outside"), "{text}");
        // A category with no kindergarten and no typed facility gets no paragraph.
        let plain = [json!({"level": "city", "unit_id": "city", "kindergartens": 0})];
        assert_eq!(kinds_paragraph(&[&plain[0]], Lang::En), "");
    }
}
