//! What a planner opens: a QGIS style beside every layer, `project.qgs`, `report.html` and
//! PNG maps, made from the layers a run has just written (before they are committed, so a
//! failed run still writes nothing), and, with `--format fgb`, the layers as FlatGeobuf.

use std::io::Write;
use std::path::Path;

use rayon::prelude::*;
use serde_json::Value;

use crate::analysis::bands::Bands;
use crate::error::Result;
use crate::output::OutputSet;
use crate::output::fgb::write_fgb;
use crate::output::lang::{Key, Lang};
use crate::output::map::{
    MapFeature, MapLayers, MapSources, MapText, coverage_svg, read_layer, svg_to_png,
};
use crate::output::qgis::{
    LayerCategory, LonLatBox, ProjectLayer, StyleContext, layer_kind, project_qgs, qml,
};
use crate::output::report::{CategoryWalks, coverage_report, site_report, tier_label};

/// The file format of the layers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase", try_from = "String")]
pub enum LayerFormat {
    /// RFC 7946 GeoJSON (`.geojson`).
    #[default]
    Geojson,
    /// FlatGeobuf with a spatial index (`.fgb`), opened much faster by QGIS.
    Fgb,
}

impl TryFrom<String> for LayerFormat {
    type Error = String;
    fn try_from(name: String) -> Result<Self, String> {
        LayerFormat::from_name(&name)
    }
}

impl LayerFormat {
    /// Parses `geojson` or `fgb`, as `--format` takes them.
    ///
    /// # Errors
    /// A message naming the formats when `name` is neither.
    pub fn from_name(name: &str) -> Result<Self, String> {
        match name {
            "geojson" => Ok(LayerFormat::Geojson),
            "fgb" => Ok(LayerFormat::Fgb),
            _ => Err(format!("{name:?} is not one of geojson, fgb")),
        }
    }

    /// The file extension of a layer, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            LayerFormat::Geojson => "geojson",
            LayerFormat::Fgb => "fgb",
        }
    }
}

/// How the planner files are written: the layers' file format (`--format`) and the
/// language of report, maps and QGIS names (`--lang`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FilesOptions {
    /// File format of the layers.
    pub format: LayerFormat,
    /// Language of the report, maps, styles and project.
    pub lang: Lang,
}

/// A layer written into an output set: its file stem and how many features it holds.
#[derive(Debug, Clone)]
pub struct WrittenLayer {
    /// File stem (`blocks`).
    pub stem: &'static str,
    /// Features written.
    pub features: usize,
}

/// Size of the PNG maps relative to the SVG (1,000 px wide): 2,000 px, sharp on a slide.
const PNG_SCALE: f32 = 2.0;

fn geojson_name(stem: &str) -> String {
    format!("{stem}.geojson")
}

/// `name` as a file-name part: letters, digits, `-` and `_` kept, anything else `_` (a
/// category named in a register or by `--custom-name` must not reach another folder).
fn file_safe(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Reads back a layer this run has written under `prefix` (empty when it was not written).
fn read_written(outputs: &OutputSet, prefix: &str, stem: &str) -> Result<Vec<MapFeature>> {
    match outputs.written(&format!("{prefix}{}", geojson_name(stem))) {
        Some(path) => read_layer(path),
        None => Ok(Vec::new()),
    }
}

fn with(features: &[MapFeature], key: &str, value: &Value) -> Vec<MapFeature> {
    features
        .iter()
        .filter(|f| f.properties.get(key) == Some(value))
        .cloned()
        .collect()
}

fn union(a: Option<LonLatBox>, b: Option<LonLatBox>) -> Option<LonLatBox> {
    match (a, b) {
        (Some(a), Some(b)) => Some([
            a[0].min(b[0]),
            a[1].min(b[1]),
            a[2].max(b[2]),
            a[3].max(b[3]),
        ]),
        (a, b) => a.or(b),
    }
}

/// Writes `PREFIXSTEM.qml` for every layer, then with `--format fgb` replaces each GeoJSON
/// layer by `PREFIXSTEM.fgb`.
fn styles_and_format(
    outputs: &mut OutputSet,
    prefix: &str,
    layers: &[WrittenLayer],
    ctx: &StyleContext,
    format: LayerFormat,
) -> Result<()> {
    for l in layers {
        if let Some(style) = qml(l.stem, ctx) {
            outputs.write(&format!("{prefix}{}.qml", l.stem), |w| {
                w.write_all(style.as_bytes())
            })?;
        }
        if format == LayerFormat::Fgb {
            let geojson = format!("{prefix}{}", geojson_name(l.stem));
            let source = outputs
                .written(&geojson)
                .expect("written above")
                .to_path_buf();
            outputs.write(&format!("{prefix}{}.fgb", l.stem), |w| {
                write_fgb(&source, l.stem, w).map_err(std::io::Error::other)
            })?;
            outputs.discard(&geojson);
        }
    }
    Ok(())
}

/// The project's layers: those with features, stacked as [`crate::output::qgis::LAYERS`]
/// orders them, each under `prefix` (a folder, `after/`) and named in `lang` after `label`.
fn project_layers(
    layers: &[WrittenLayer],
    format: LayerFormat,
    prefix: &str,
    label: &str,
    lang: Lang,
) -> Vec<ProjectLayer> {
    let mut out: Vec<ProjectLayer> = layers
        .iter()
        .filter(|l| l.features > 0)
        .filter_map(|l| {
            Some(ProjectLayer {
                name: format!("{label}{}", lang.layer(l.stem)),
                path: format!("{prefix}{}.{}", l.stem, format.extension()),
                kind: layer_kind(l.stem)?,
                category: None,
            })
        })
        .collect();
    out.sort_by_key(|p| {
        crate::output::qgis::LAYERS
            .iter()
            .position(|k| k.stem == p.kind.stem)
    });
    out
}

/// How a layer is shown in a project with several categories.
enum PerCategory {
    /// One copy per category, filtered to its features (the file holds every category's);
    /// the count of those features.
    Filtered(usize),
    /// One copy per category, styled by its fields.
    Styled,
    /// One layer for all categories.
    Shared,
}

/// How the layer `stem` is shown for the category drawn in `map`.
fn per_category(stem: &str, map: &MapLayers) -> PerCategory {
    match stem {
        "facilities" => PerCategory::Filtered(map.facilities.len()),
        "gaps" => PerCategory::Filtered(map.gaps.len()),
        "served" => PerCategory::Filtered(map.served.len()),
        "buildings" | "blocks" | "units" => PerCategory::Styled,
        _ => PerCategory::Shared,
    }
}

/// With several categories, the layers each category reads (see [`PerCategory`]) once per
/// category, in legend groups of which the first opens checked; a filtered layer is left out
/// of a category without features in it. Then a group per life-circle tier of `tiers`
/// (name, label; unchecked): homes, blocks and units styled by the tier's completeness. Shared layers
/// (`isochrones`, off by default) follow the groups. With one category the layers are
/// returned as they are.
fn by_category(
    layers: Vec<ProjectLayer>,
    maps: &[MapLayers],
    tiers: &[(String, String)],
    lang: Lang,
) -> Vec<ProjectLayer> {
    if maps.len() < 2 {
        return layers;
    }
    let mut out = Vec::new();
    for (i, map) in maps.iter().enumerate() {
        for layer in &layers {
            let filtered = match per_category(layer.kind.stem, map) {
                PerCategory::Filtered(0) | PerCategory::Shared => continue,
                PerCategory::Filtered(_) => true,
                PerCategory::Styled => false,
            };
            let label = lang.value(&map.category);
            out.push(ProjectLayer {
                name: format!("{label}: {}", layer.name),
                category: Some(LayerCategory {
                    name: map.category.clone(),
                    label,
                    shown: i == 0,
                    filtered,
                    tier: false,
                }),
                ..layer.clone()
            });
        }
    }
    for (tier, label) in tiers {
        let by_tier = |l: &&ProjectLayer| matches!(l.kind.stem, "buildings" | "blocks" | "units");
        for layer in layers.iter().filter(by_tier) {
            out.push(ProjectLayer {
                name: format!("{label}: {}", layer.name),
                category: Some(LayerCategory {
                    name: tier.clone(),
                    label: label.clone(),
                    shown: false,
                    filtered: false,
                    tier: true,
                }),
                ..layer.clone()
            });
        }
    }
    let shared =
        |l: &ProjectLayer| matches!(per_category(l.kind.stem, &maps[0]), PerCategory::Shared);
    out.extend(layers.into_iter().filter(shared));
    out
}

/// The life-circle tiers of a coverage summary, in the order of its `completeness` rows.
fn tier_names(summary: &Value) -> Vec<String> {
    let mut tiers: Vec<String> = (summary["completeness"].as_array().into_iter().flatten())
        .filter_map(|r| r["tier"].as_str().map(String::from))
        .collect();
    tiers.dedup();
    tiers
}

/// What a coverage run has written: its layers, and the features its maps draw, kept in
/// memory as the layers were rendered (so the maps need not read them back).
#[derive(Debug, Default)]
pub struct LayersWritten {
    /// The layers written, with their feature counts.
    pub layers: Vec<WrittenLayer>,
    /// The features of the layers the maps draw.
    pub map: MapSources,
}

/// What a coverage run's planner files were made from, for a `site` run to reuse.
#[derive(Debug, Clone, Default)]
pub struct CoverageViews {
    /// The layers written, with their feature counts.
    pub layers: Vec<WrittenLayer>,
    /// The map of each category, read back from the layers.
    pub maps: Vec<MapLayers>,
}

/// Makes a `coverage` run's planner files from the layers it has written under `prefix` (a
/// profile's folder, or none) and the map's layers it kept in memory: styles, `map_C.png`
/// per category, `report.html`, the FlatGeobuf layers when asked, and `project.qgs`, all
/// under `prefix`.
///
/// # Errors
/// [`crate::Error::Io`] when a file cannot be read back or written.
pub fn finish_coverage(
    outputs: &mut OutputSet,
    prefix: &str,
    written: LayersWritten,
    bands: &Bands,
    summary: &Value,
    walks: &[CategoryWalks],
    files: FilesOptions,
) -> Result<CoverageViews> {
    let FilesOptions { format, lang } = files;
    let threshold = lang.measure(bands.threshold(), bands.unit);
    let LayersWritten {
        layers,
        map: sources,
    } = written;
    let input = summary["input"]["path"].as_str().unwrap_or("");
    let place = Path::new(input)
        .file_name()
        .map_or(input.to_string(), |n| n.to_string_lossy().into_owned());
    let text = MapText::for_lang(lang);
    // One map per category, drawn and rasterised in parallel: with all six presets the PNGs
    // were 1.35 s of a 1.85 s Liechtenstein run one after another (2 cores).
    let drawn: Vec<(MapLayers, String, String, Vec<u8>)> = walks
        .par_iter()
        .map(|w| {
            let category = Value::from(w.category.as_str());
            let layer = MapLayers {
                category: w.category.clone(),
                threshold: bands.threshold(),
                unit: bands.unit,
                blocks: sources.blocks.clone(),
                served: with(
                    &with(&sources.served, "category", &category),
                    &bands.unit.band_field(),
                    &Value::from(bands.threshold()),
                ),
                gaps: with(&sources.gaps, "category", &category),
                facilities: with(&sources.facilities, "category", &category),
                units: sources.units.clone(),
                sites: Vec::new(),
            };
            let shown = lang.value(&w.category);
            let title = lang.fill(Key::MapTitle, &[&shown, &threshold, &place]);
            let svg = coverage_svg(&layer, &title, &text);
            let png = format!("map_{}.png", file_safe(&w.category));
            let bytes = svg_to_png(&svg, PNG_SCALE, Path::new(&png))?;
            Ok((layer, svg, png, bytes))
        })
        .collect::<Result<_>>()?;
    let mut maps = Vec::new();
    let mut rendered = Vec::new();
    for (layer, svg, png, bytes) in drawn {
        outputs.write(&format!("{prefix}{png}"), |out| out.write_all(&bytes))?;
        rendered.push((layer.category.clone(), svg, png));
        maps.push(layer);
    }
    let html = coverage_report(summary, bands, walks, &rendered, lang);
    outputs.write(&format!("{prefix}report.html"), |w| {
        w.write_all(html.as_bytes())
    })?;

    let tiers = tier_names(summary);
    let tier_labels: Vec<(String, String)> = (tiers.iter())
        .map(|t| (t.clone(), tier_label(summary, t, lang)))
        .collect();
    let ctx = StyleContext {
        category: walks
            .first()
            .map(|w| w.category.clone())
            .unwrap_or_default(),
        bands: bands.clone(),
        tiers: tiers.clone(),
        lang,
    };
    styles_and_format(outputs, prefix, &layers, &ctx, format)?;
    let extent = maps
        .iter()
        .map(MapLayers::extent)
        .fold(None, union)
        .unwrap_or([-180.0, -85.0, 180.0, 85.0]);
    let title = walks
        .iter()
        .map(|w| lang.value(&w.category))
        .collect::<Vec<_>>()
        .join(", ");
    let project = project_qgs(
        &lang.fill(Key::ProjectTitle, &[&title, &threshold, &place]),
        &by_category(
            project_layers(&layers, format, "", "", lang),
            &maps,
            &tier_labels,
            lang,
        ),
        extent,
        &ctx,
    );
    outputs.write(&format!("{prefix}project.qgs"), |w| {
        w.write_all(project.as_bytes())
    })?;
    Ok(CoverageViews { layers, maps })
}

/// Makes a `site` run's planner files: styles for `sites` and `candidates`, `sites_map.png`
/// (coverage with the sites added), `report.html`, and `project.qgs` with the sites over the
/// `after/` layers.
///
/// # Errors
/// [`crate::Error::Io`] when a file cannot be read back or written.
pub fn finish_site(
    outputs: &mut OutputSet,
    layers: Vec<WrittenLayer>,
    after: &CoverageViews,
    bands: &Bands,
    summary: &Value,
    files: FilesOptions,
) -> Result<()> {
    let FilesOptions { format, lang } = files;
    let category = summary["parameters"]["category"]
        .as_str()
        .unwrap_or("")
        .to_string();
    let threshold = lang.measure(bands.threshold(), bands.unit);
    let mut map = after
        .maps
        .iter()
        .find(|m| m.category == category)
        .cloned()
        .unwrap_or_default();
    map.sites = read_written(outputs, "", "sites")?;
    let title = lang.fill(Key::SiteMapTitle, &[&lang.value(&category), &threshold]);
    let svg = coverage_svg(&map, &title, &MapText::for_lang(lang));
    let png = "sites_map.png".to_string();
    let bytes = svg_to_png(&svg, PNG_SCALE, Path::new(&png))?;
    outputs.write(&png, |out| out.write_all(&bytes))?;
    let html = site_report(summary, &(svg, png), lang);
    outputs.write("report.html", |w| w.write_all(html.as_bytes()))?;

    let ctx = StyleContext {
        category: category.clone(),
        bands: bands.clone(),
        tiers: Vec::new(),
        lang,
    };
    styles_and_format(outputs, "", &layers, &ctx, format)?;
    let mut project = project_layers(&layers, format, "", "", lang);
    let after_label = lang.text(Key::AfterPrefix);
    project.extend(project_layers(
        &after.layers,
        format,
        "after/",
        after_label,
        lang,
    ));
    let extent = map.extent().unwrap_or([-180.0, -85.0, 180.0, 85.0]);
    let xml = project_qgs(
        &lang.fill(Key::SiteProjectTitle, &[&lang.value(&category)]),
        &project,
        extent,
        &ctx,
    );
    outputs.write("project.qgs", |w| w.write_all(xml.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::file_safe;

    #[test]
    fn category_names_stay_in_their_folder() {
        assert_eq!(file_safe("childcare"), "childcare");
        assert_eq!(file_safe("托育"), "托育");
        assert_eq!(file_safe("../../etc/x"), "______etc_x");
        assert_eq!(file_safe("day care"), "day_care");
    }
}
