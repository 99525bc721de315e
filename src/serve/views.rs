//! The JSON the page reads: the city, a scenario's state and indicators, a suggested site and
//! a comparison of two scenarios (shapes documented in `docs/serve.md`).

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

use super::engine::{Analysis, Engine, View};
use super::scenario::Scenario;
use crate::analysis::indicators::Indicator;
use crate::analysis::outcome::CategoryOutcome;
use crate::output::geojson::polygon_geometry;

/// Most homes a comparison's difference map lists.
pub const DIFF_MAX_HOMES: usize = 50_000;

/// `GET /api/city`: what stays fixed while the server runs.
pub fn city(engine: &Engine) -> Value {
    let (w, s, e, n) = engine.city.extract.nodes.bounds().unwrap_or_default();
    let name = (engine.config.input.file_stem())
        .map(|s| s.to_string_lossy().trim_end_matches(".osm").to_string())
        .unwrap_or_default();
    let types: BTreeSet<&str> = (engine.base.iter())
        .flat_map(|(_, list)| list.iter().filter_map(|f| f.kind.as_deref()))
        .collect();
    let profiles: Vec<&str> = (engine.config.profiles.iter())
        .map(|p| p.profile.name())
        .collect();
    json!({
        "name": name,
        "bounds": [w, s, e, n],
        "center": [(w + e) / 2.0, (s + n) / 2.0],
        "categories": engine.categories(),
        "profiles": profiles,
        "unit": engine.config.bands.unit,
        "bands": engine.config.bands.values,
        "threshold": engine.config.bands.threshold(),
        "lang": engine.config.lang,
        "facility_types": types,
        "homes": engine.residents().len(),
    })
}

/// `GET /api/units`: every unit's outline with its id, name and level.
pub fn units(engine: &Engine) -> Value {
    let features: Vec<Value> = (engine.city.units.units.iter())
        .map(|u| {
            json!({
                "type": "Feature",
                "geometry": polygon_geometry(&u.outline),
                "properties": {"unit_id": u.id, "name": u.name, "level": u.level},
            })
        })
        .collect();
    json!({"type": "FeatureCollection", "features": features})
}

/// A scenario's whole state, as every scenario request answers it.
pub fn state(engine: &Engine, scenario: &Scenario) -> Value {
    let view = &scenario.view;
    let analysis = &scenario.analysis;
    json!({
        "id": scenario.id,
        "name": scenario.name,
        "version": scenario.version,
        "view": view_json(engine, view),
        "facilities": facilities(scenario),
        "indicators": indicators(engine, analysis, view),
        "headline": headline(engine, analysis.outcome(view), view),
        "bands": analysis.bands.values,
        "server_ms": round(scenario.last_analysis_s * 1000.0, 2),
    })
}

fn view_json(engine: &Engine, view: &View) -> Value {
    json!({
        "category": engine.categories()[view.category],
        "profile": engine.config.profiles[view.profile].profile.name(),
        "threshold": view.threshold,
    })
}

/// Every facility of every category as GeoJSON points.
fn facilities(scenario: &Scenario) -> Value {
    let features: Vec<Value> = (scenario.facilities.iter().flatten())
        .map(|s| {
            let f = &s.facility;
            json!({
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [f.lon, f.lat]},
                "properties": {
                    "id": f.id, "category": f.category, "name": f.name,
                    "capacity": f.capacity, "affordable": f.affordable, "type": f.kind,
                    "origin": s.origin,
                },
            })
        })
        .collect();
    json!({"type": "FeatureCollection", "features": features})
}

/// The view category's indicator rows: `city`, and the units by id (residents outside every
/// unit of a level under `outside/LEVEL`).
fn indicators(engine: &Engine, analysis: &Analysis, view: &View) -> Value {
    let category = engine.categories()[view.category];
    let mut units = Map::new();
    let mut city = Value::Null;
    for row in analysis
        .indicators
        .iter()
        .filter(|i| i.category == category)
    {
        let value = serde_json::to_value(row).expect("indicators serialize");
        match (row.unit_id.as_str(), row.level.as_str()) {
            ("city", _) => city = value,
            ("outside", level) => {
                units.insert(format!("outside/{level}"), value);
            }
            (id, _) => {
                units.insert(id.to_string(), value);
            }
        }
    }
    json!({"city": city, "units": units})
}

/// Covered residents and children of one category within the view's threshold.
pub fn headline(engine: &Engine, outcome: &CategoryOutcome, view: &View) -> Value {
    let threshold_s = engine.threshold_s(view);
    let (residents, children) = (engine.residents(), engine.children());
    let within = |h: usize| outcome.home_times[h].is_some_and(|(t, _)| t <= threshold_s);
    let covered = |weights: &[f64]| -> f64 {
        crate::analysis::sum(
            (0..weights.len())
                .filter(|&h| within(h))
                .map(|h| weights[h]),
        )
    };
    let total_residents = crate::analysis::sum(residents.iter().copied());
    let covered_residents = covered(residents);
    json!({
        "category": outcome.name,
        "covered_residents": covered_residents,
        "residents": total_residents,
        "covered_share": if total_residents > 0.0 { covered_residents / total_residents } else { 0.0 },
        "covered_children": covered(children),
        "children": crate::analysis::sum(children.iter().copied()),
        "covered_homes": (0..residents.len()).filter(|&h| within(h)).count(),
    })
}

/// Covered residents and children of an indicator row within its threshold (the last band).
fn covered_of(row: &Indicator) -> (f64, f64) {
    let share = row.covered_share.last().copied().unwrap_or(0.0);
    (share * row.residents, share * row.children)
}

/// `GET /api/compare`: per unit (and the city), covered residents and children of the
/// view's category in `a` and in `b` (both analysed in `view`), and the homes whose coverage
/// differs (b relative to a).
pub fn compare(engine: &Engine, view: &View, a: &Analysis, b: &Analysis) -> Value {
    let category = engine.categories()[view.category];
    let rows = |s: &Analysis| -> Vec<Indicator> {
        (s.indicators.iter())
            .filter(|i| i.category == category)
            .cloned()
            .collect()
    };
    let (rows_a, rows_b) = (rows(a), rows(b));
    let mut units = Vec::new();
    let mut city = Value::Null;
    for (ra, rb) in rows_a.iter().zip(&rows_b) {
        let ((res_a, kids_a), (res_b, kids_b)) = (covered_of(ra), covered_of(rb));
        let row = json!({
            "unit_id": ra.unit_id, "name": ra.unit_name, "level": ra.level,
            "covered_residents_a": round(res_a, 1), "covered_residents_b": round(res_b, 1),
            "covered_children_a": round(kids_a, 2), "covered_children_b": round(kids_b, 2),
        });
        match ra.level.as_str() {
            "city" => city = row,
            _ => units.push(row),
        }
    }
    let diff = diff(engine, view, a, b);
    json!({"category": category, "city": city, "units": units, "diff": diff})
}

/// The homes covered in one scenario and not the other, as points.
fn diff(engine: &Engine, view: &View, a: &Analysis, b: &Analysis) -> Value {
    let covered = |s: &Analysis, h: usize| {
        s.outcome(view).home_times[h].is_some_and(|(t, _)| t <= engine.threshold_s(view))
    };
    let changed: Vec<(usize, &str)> = (0..engine.residents().len())
        .filter_map(|h| match (covered(a, h), covered(b, h)) {
            (false, true) => Some((h, "gained")),
            (true, false) => Some((h, "lost")),
            _ => None,
        })
        .collect();
    let features: Vec<Value> = (changed.iter().take(DIFF_MAX_HOMES))
        .map(|&(h, change)| {
            let home = &engine.city.residents.buildings[h];
            let (lon, lat) = engine.city.frame.to_lon_lat(home.inside_xy);
            json!({
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [round(lon, 7), round(lat, 7)]},
                "properties": {"change": change, "residents": round(engine.residents()[h], 1)},
            })
        })
        .collect();
    json!({"type": "FeatureCollection", "features": features, "homes_changed": changed.len()})
}

/// `v` rounded to `decimals`.
pub fn round(v: f64, decimals: i32) -> f64 {
    let f = 10f64.powi(decimals);
    (v * f).round() / f
}
