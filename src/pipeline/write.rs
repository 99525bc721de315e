//! The write and report stages of one profile: its layers (GeoJSON rendered in parallel),
//! `indicators.csv` (and `completeness.csv` with several categories), then styles, maps,
//! report and QGIS project from them.

use serde_json::Value;

use crate::config::CoverageConfig;
use crate::error::{Error, Result};
use crate::output::OutputSet;
use crate::output::geojson::{write_features, write_features_parallel};
use crate::output::map::{MapFeature, MapSources};
use crate::output::planner::{
    CoverageViews, FilesOptions, LayersWritten, WrittenLayer, finish_coverage,
};
use crate::output::report::CategoryWalks;
use crate::output::{checks, layers};
use crate::pipeline::analyse::ProfileAnalysis;
use crate::pipeline::city::City;

/// Writes one profile's layers, `indicators.csv` and, when the run has life-circle tiers,
/// `completeness.csv` under `prefix` (its folder, or none).
///
/// # Errors
/// [`Error::Io`] when a layer cannot be written.
pub fn write_layers(
    config: &CoverageConfig,
    city: &City,
    analysis: &ProfileAnalysis,
    prefix: &str,
    outputs: &mut OutputSet,
) -> Result<LayersWritten> {
    let (residents, frame, bands) = (&city.residents, &city.frame, &config.bands);
    let (outcomes, tiers) = (&analysis.outcomes, &analysis.tiers);
    let (population, children) = (city.population(), city.children());
    let mut written = LayersWritten::default();
    let file = |name: &str| format!("{prefix}{name}");
    let stats = layers::block_stats(
        residents,
        outcomes,
        tiers,
        bands,
        config.targets.places_per_1000,
    );
    // `buildings.geojson` (over 80 % of the bytes) is rendered in parallel batches and
    // written while the served areas and gaps are drawn and the smaller layers rendered in
    // memory, keeping what the map draws: on 64× tiled liechtenstein-2015 the stage went from
    // 5.0 s to 2.2–2.9 s (single runs, 2 cores), most of it from the hole assignment in
    // `TimeGrid::polygons`.
    let io = |stem: &str| {
        let path = config.out_dir.join(file(&format!("{stem}.geojson")));
        move |e| Error::io(path, e)
    };
    let (buildings, rendered) = rayon::join(
        || {
            write_layer(
                outputs,
                &mut written.layers,
                prefix,
                "buildings",
                residents.buildings.len(),
                layers::building_feature(residents, &city.homes, outcomes, tiers, bands),
            )
        },
        || -> Result<Vec<RenderedLayer>> {
            let served = layers::served_areas(outcomes, bands);
            let units = &city.units;
            Ok(vec![
                render_layer(
                    "blocks",
                    layers::block_features(residents, &stats, outcomes, tiers, bands),
                )
                .map_err(io("blocks"))?,
                render_layer(
                    "facilities",
                    layers::facility_features(outcomes, units, bands, (&population, &children)),
                )
                .map_err(io("facilities"))?,
                render_layer(
                    "isochrones",
                    layers::isochrone_features(outcomes, frame, bands, &population),
                )
                .map_err(io("isochrones"))?,
                render_layer(
                    "served",
                    layers::served_features(&served, outcomes, frame, bands, &population),
                )
                .map_err(io("served"))?,
                render_layer(
                    "gaps",
                    layers::gap_features(residents, &stats, outcomes, frame, bands.threshold_s()),
                )
                .map_err(io("gaps"))?,
                render_layer(
                    "units",
                    layers::unit_features(
                        units,
                        &analysis.indicators,
                        &analysis.completeness,
                        bands,
                    ),
                )
                .map_err(io("units"))?,
            ])
        },
    );
    buildings?;
    for r in rendered? {
        outputs.write(&file(&format!("{}.geojson", r.layer.stem)), |w| {
            std::io::Write::write_all(w, &r.bytes)
        })?;
        written.map.keep(r.layer.stem, r.map);
        written.layers.push(r.layer);
    }
    outputs.write(&file("indicators.csv"), |w| {
        layers::write_indicators_csv(w, &analysis.indicators, bands)
    })?;
    if !analysis.tiers.is_empty() {
        outputs.write(&file("completeness.csv"), |w| {
            layers::write_completeness_csv(w, &analysis.completeness)
        })?;
    }
    outputs.write(&file("population_check.csv"), |w| {
        checks::write_population_check_csv(w, &city.population.units)
    })?;
    outputs.write(&file("supply_check.csv"), |w| {
        checks::write_supply_check_csv(w, outcomes)
    })?;
    Ok(written)
}

/// Makes one profile's planner files (styles, maps, report, project) from its layers.
///
/// # Errors
/// [`Error::Io`] when a file cannot be written.
pub fn write_report(
    config: &CoverageConfig,
    city: &City,
    analysis: &ProfileAnalysis,
    prefix: &str,
    written: LayersWritten,
    summary: &Value,
    outputs: &mut OutputSet,
) -> Result<CoverageViews> {
    let population = city.population();
    let walks: Vec<CategoryWalks> = (analysis.outcomes.iter())
        .map(|c| CategoryWalks {
            category: c.name.clone(),
            homes: (0..city.homes.len())
                .map(|h| (c.walk(h, &config.bands), population[h]))
                .collect(),
        })
        .collect();
    finish_coverage(
        outputs,
        prefix,
        written,
        &config.bands,
        summary,
        &walks,
        FilesOptions {
            format: config.layer_format,
            lang: config.lang,
        },
    )
}

/// Writes the GeoJSON layer `PREFIXSTEM.geojson` of the output set from `count` features,
/// rendered in parallel, and notes it.
fn write_layer(
    outputs: &mut OutputSet,
    written: &mut Vec<WrittenLayer>,
    prefix: &str,
    stem: &'static str,
    count: usize,
    feature: impl Fn(usize) -> (Option<geojson::Geometry>, geojson::JsonObject) + Sync,
) -> Result<()> {
    outputs.write(&format!("{prefix}{stem}.geojson"), |w| {
        write_features_parallel(w, count, feature)
    })?;
    written.push(WrittenLayer {
        stem,
        features: count,
    });
    Ok(())
}

/// A GeoJSON layer rendered in memory.
struct RenderedLayer {
    layer: WrittenLayer,
    bytes: Vec<u8>,
    /// The features as the map draws them (empty unless asked for).
    map: Vec<MapFeature>,
}

/// Renders a GeoJSON layer in memory, keeping its features when the map draws the layer.
fn render_layer(
    stem: &'static str,
    features: impl Iterator<Item = (Option<geojson::Geometry>, geojson::JsonObject)>,
) -> std::io::Result<RenderedLayer> {
    let for_map = MapSources::draws(stem);
    let mut count = 0;
    let mut bytes = Vec::new();
    let mut map = Vec::new();
    let features = features.inspect(|(geometry, properties)| {
        count += 1;
        if for_map {
            map.push(MapFeature::new(geometry.as_ref(), properties));
        }
    });
    write_features(&mut bytes, features)?;
    Ok(RenderedLayer {
        layer: WrittenLayer {
            stem,
            features: count,
        },
        bytes,
        map,
    })
}
