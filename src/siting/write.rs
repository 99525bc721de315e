//! The site job's own layers: `sites.geojson` (each chosen site and why),
//! `coverage_curve.csv` and `candidates.geojson` (every candidate, kept or left out and
//! why). Apart from [`super::run_site`] because they explain the choice rather than make it.

use std::collections::BTreeMap;
use std::io::Write;

use serde_json::{Value, json};

use crate::error::Result;
use crate::output::OutputSet;
use crate::output::geojson::{point_geometry, write_features};
use crate::output::planner::WrittenLayer;
use crate::output::spreadsheet::text_cell;
use crate::pipeline::City;

use super::candidates::Candidate;
use super::greedy::CoverSets;
use super::select::{Elements, Selection};
use super::{CurvePoint, Gathered, Kept, LeftOut, MICRO, SiteConfig, round_to};

/// The site layers, in the `write` stage: `sites.geojson`, `coverage_curve.csv`,
/// `candidates.geojson`.
pub(crate) fn write_site_layers(
    outputs: &mut OutputSet,
    config: &SiteConfig,
    city: &City,
    elements: &Elements,
    selection: &Selection,
    gathered: &Gathered,
    sets: &CoverSets,
) -> Result<()> {
    let kept = &gathered.kept;
    let chosen: Vec<&Kept> = selection.picks.iter().map(|p| &kept[p.candidate]).collect();
    let blocks = site_blocks(city, elements, selection);
    write_sites(outputs, config, elements, selection, &chosen, &blocks)?;
    outputs.write("coverage_curve.csv", |w| write_curve(w, &selection.curve))?;
    write_candidates(outputs, elements, selection, kept, &gathered.left_out, sets)
}

/// The layers the report lists: sites and candidates, with their feature counts.
pub(crate) fn site_layers(selection: &Selection, gathered: &Gathered) -> Vec<WrittenLayer> {
    vec![
        WrittenLayer {
            stem: "sites",
            features: selection.picks.len(),
        },
        WrittenLayer {
            stem: "candidates",
            features: gathered.kept.len() + gathered.left_out.len(),
        },
    ]
}

/// Blocks each chosen site serves, largest first: residents newly within the threshold,
/// or (capacity-aware) places it serves.
fn site_blocks(city: &City, elements: &Elements, selection: &Selection) -> Vec<Vec<(String, f64)>> {
    let residents = &city.residents;
    let block_of_element =
        |e: u32| residents.buildings[elements.home_of_element[e as usize] as usize].block;
    (0..selection.picks.len())
        .map(|rank| {
            let mut per_block: BTreeMap<u32, f64> = BTreeMap::new();
            match elements.capacity_micro {
                None => {
                    for &e in &selection.newly_within[rank] {
                        *per_block.entry(block_of_element(e)).or_default() +=
                            elements.weight[e as usize];
                    }
                }
                Some(_) => {
                    for (e, served) in selection.assignment.iter().enumerate() {
                        for &(r, amount) in served {
                            if r as usize == rank {
                                *per_block.entry(block_of_element(e as u32)).or_default() +=
                                    amount as f64 / MICRO;
                            }
                        }
                    }
                }
            }
            let mut list: Vec<(String, f64)> = per_block
                .into_iter()
                .map(|(b, v)| (residents.blocks[b as usize].id.clone(), v))
                .collect();
            list.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            list
        })
        .collect()
}

/// `sites.geojson`: each chosen site with its rank, gain, cumulative coverage and blocks.
fn write_sites(
    outputs: &mut OutputSet,
    config: &SiteConfig,
    elements: &Elements,
    selection: &Selection,
    chosen: &[&Kept],
    site_blocks: &[Vec<(String, f64)>],
) -> Result<()> {
    let weight = &elements.weight;
    outputs.write("sites.geojson", |w| {
        write_features(
            w,
            chosen.iter().enumerate().map(|(i, k)| {
                let point = &selection.curve[i + 1];
                let c = &k.candidate;
                let mut p = serde_json::Map::new();
                p.insert("rank".into(), json!(i + 1));
                p.extend(candidate_properties(c));
                p.insert(
                    "snap_m".into(),
                    json!(
                        k.placement
                            .snap
                            .map(|s| round_to(f64::from(s.distance_m), 1))
                    ),
                );
                p.insert(
                    "marginal_residents".into(),
                    json!(round_to(point.marginal_residents, 3)),
                );
                let newly: f64 = selection.newly_within[i]
                    .iter()
                    .map(|&e| weight[e as usize])
                    .sum();
                p.insert("newly_within_residents".into(), json!(round_to(newly, 3)));
                p.insert(
                    "cumulative_covered_population".into(),
                    json!(point.covered_population),
                );
                p.insert(
                    "cumulative_covered_share".into(),
                    json!(point.covered_share),
                );
                if let Some(model) = &config.capacity {
                    p.insert("site_places".into(), json!(model.site_places));
                    p.insert(
                        "marginal_places".into(),
                        json!(point.marginal_places.map(|v| round_to(v, 6))),
                    );
                    p.insert(
                        "served_places".into(),
                        json!(round_to(selection.loads[i] as f64 / MICRO, 6)),
                    );
                    p.insert("cumulative_served_share".into(), json!(point.served_share));
                }
                p.insert(
                    "blocks".into(),
                    json!(site_blocks[i].iter().map(|b| &b.0).collect::<Vec<_>>()),
                );
                let key = if config.capacity.is_some() {
                    "block_places"
                } else {
                    "block_residents"
                };
                p.insert(
                    key.into(),
                    json!(
                        site_blocks[i]
                            .iter()
                            .map(|b| round_to(b.1, 3))
                            .collect::<Vec<_>>()
                    ),
                );
                (Some(point_geometry(c.lon, c.lat)), p)
            }),
        )
    })
}

/// `candidates.geojson`: every kept candidate with what it reaches alone and its rank, then
/// every candidate left out with the reason.
fn write_candidates(
    outputs: &mut OutputSet,
    elements: &Elements,
    selection: &Selection,
    kept: &[Kept],
    left_out: &[LeftOut],
    sets: &CoverSets,
) -> Result<()> {
    let mut rank_of = vec![None; kept.len()];
    for (rank, pick) in selection.picks.iter().enumerate() {
        rank_of[pick.candidate] = Some(rank + 1);
    }
    outputs.write("candidates.geojson", |w| {
        let kept_features = kept.iter().enumerate().map(|(i, k)| {
            let set = sets.set(i);
            let alone = set
                .iter()
                .fold(0.0, |acc, &e| acc + elements.weight[e as usize]);
            let mut p = candidate_properties(&k.candidate);
            p.insert("kept".into(), json!(true));
            p.insert("left_out".into(), Value::Null);
            p.insert("alone_residents".into(), json!(round_to(alone, 3)));
            if let Some(cap) = elements.capacity_micro {
                let d: i64 = set.iter().map(|&e| elements.demand[e as usize]).sum();
                p.insert(
                    "alone_places".into(),
                    json!(round_to(d.min(cap) as f64 / MICRO, 6)),
                );
            }
            p.insert("rank".into(), json!(rank_of[i]));
            (Some(point_geometry(k.candidate.lon, k.candidate.lat)), p)
        });
        let left_features = left_out.iter().map(|(c, reason)| {
            let mut p = candidate_properties(c);
            p.insert("kept".into(), json!(false));
            p.insert("left_out".into(), json!(reason));
            (Some(point_geometry(c.lon, c.lat)), p)
        });
        write_features(w, kept_features.chain(left_features))
    })
}

/// `id`, `source`, `name` and `tags` (an object, `null` when none) of a candidate.
fn candidate_properties(c: &Candidate) -> serde_json::Map<String, Value> {
    let mut p = serde_json::Map::new();
    p.insert("id".into(), json!(c.id));
    p.insert("source".into(), json!(c.source));
    p.insert("name".into(), json!(c.name));
    p.insert(
        "tags".into(),
        if c.tags.is_empty() {
            Value::Null
        } else {
            Value::Object(c.tags.iter().map(|(k, v)| (k.clone(), json!(v))).collect())
        },
    );
    p
}

/// `coverage_curve.csv`: one row per number of sites added (0 = existing facilities only),
/// UTF-8 with a BOM (a candidate's id may be Chinese) as every CSV the tool writes.
fn write_curve(w: &mut impl Write, curve: &[CurvePoint]) -> std::io::Result<()> {
    w.write_all("\u{feff}".as_bytes())?;
    let capacity = curve.first().is_some_and(|p| p.served_share.is_some());
    let mut header =
        "sites,site_id,marginal_residents,covered_population,covered_share".to_string();
    if capacity {
        header.push_str(",marginal_places,served_places,served_share");
    }
    writeln!(w, "{header}")?;
    for p in curve {
        write!(
            w,
            "{},{},{},{},{}",
            p.sites,
            p.site_id.as_deref().map(csv_field).unwrap_or_default(),
            round_to(p.marginal_residents, 6),
            p.covered_population,
            p.covered_share
        )?;
        if capacity {
            write!(
                w,
                ",{},{},{}",
                p.marginal_places.map(|v| round_to(v, 6)).unwrap_or(0.0),
                p.served_places.map(|v| round_to(v, 6)).unwrap_or(0.0),
                p.served_share.unwrap_or(0.0)
            )?;
        }
        writeln!(w)?;
    }
    Ok(())
}

/// A CSV text field: neutralised when a spreadsheet would run it ([`text_cell`]), quoted
/// when it holds a delimiter, quote or line break.
fn csv_field(s: &str) -> String {
    let s = text_cell(s);
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.into_owned()
    }
}
