//! The coverage map the tool draws from the layers it writes: blocks by status, the gaps,
//! the area within the threshold, facilities and proposed sites, as SVG (inlined in the
//! report) and as PNG for slides (the same SVG rasterised by `resvg`).

use std::fmt::Write as _;
use std::path::Path;

use serde_json::Value;

use crate::analysis::bands::BandUnit;
use crate::error::{Error, Result};
use crate::output::lang::{Key, Lang};
use crate::output::qgis::{FACILITY_BLUE, GREEN, LonLatBox, RED, Rgba, SITE_PURPLE, YELLOW};

/// One feature read back: its polygons' rings or its point, lon/lat, and its properties.
#[derive(Debug, Clone)]
pub struct MapFeature {
    /// Rings of every polygon (exteriors and holes; drawn even-odd). Empty for a point.
    pub rings: Vec<Vec<[f64; 2]>>,
    /// The point of a point feature.
    pub point: Option<[f64; 2]>,
    /// Properties as written.
    pub properties: serde_json::Map<String, Value>,
}

impl MapFeature {
    /// The feature as the map needs it, from the geometry and properties a layer is written
    /// from (polygons, multipolygons and points; other geometries draw nothing).
    pub fn new(geometry: Option<&geojson::Geometry>, properties: &geojson::JsonObject) -> Self {
        use geojson::{GeometryValue as G, Position};
        let ring = |r: &Vec<Position>| -> Vec<[f64; 2]> {
            r.iter()
                .filter(|p| p.len() >= 2)
                .map(|p| [p[0], p[1]])
                .collect()
        };
        let (rings, point) = match geometry.map(|g| &g.value) {
            Some(G::Polygon { coordinates }) => (coordinates.iter().map(ring).collect(), None),
            Some(G::MultiPolygon { coordinates }) => {
                (coordinates.iter().flatten().map(ring).collect(), None)
            }
            Some(G::Point { coordinates: p }) if p.len() >= 2 => (Vec::new(), Some([p[0], p[1]])),
            _ => (Vec::new(), None),
        };
        MapFeature {
            rings,
            point,
            properties: properties.clone(),
        }
    }
}

/// Reads every feature of a GeoJSON layer the tool wrote.
///
/// # Errors
/// [`Error::Io`] when the file cannot be read or is not a FeatureCollection.
pub fn read_layer(path: &Path) -> Result<Vec<MapFeature>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let collection: geojson::FeatureCollection = text
        .parse()
        .map_err(|e| Error::io(path, std::io::Error::other(e)))?;
    let empty = geojson::JsonObject::new();
    Ok(collection
        .features
        .iter()
        .map(|f| MapFeature::new(f.geometry.as_ref(), f.properties.as_ref().unwrap_or(&empty)))
        .collect())
}

/// The layers a coverage map is drawn from, kept in memory as the run renders them.
#[derive(Debug, Clone, Default)]
pub struct MapSources {
    /// `blocks` features.
    pub blocks: Vec<MapFeature>,
    /// `served` features, every category and band.
    pub served: Vec<MapFeature>,
    /// `gaps` features, every category.
    pub gaps: Vec<MapFeature>,
    /// `facilities` features, every category.
    pub facilities: Vec<MapFeature>,
    /// `units` features.
    pub units: Vec<MapFeature>,
}

impl MapSources {
    /// Whether the map draws the layer `stem`.
    pub fn draws(stem: &str) -> bool {
        matches!(stem, "blocks" | "served" | "gaps" | "facilities" | "units")
    }

    /// Keeps the features of the layer `stem` when the map draws it.
    pub fn keep(&mut self, stem: &str, features: Vec<MapFeature>) {
        let kept = match stem {
            "blocks" => &mut self.blocks,
            "served" => &mut self.served,
            "gaps" => &mut self.gaps,
            "facilities" => &mut self.facilities,
            "units" => &mut self.units,
            _ => return,
        };
        *kept = features;
    }
}

/// What one map shows: the features of one category, kept from a run's layers.
#[derive(Debug, Clone, Default)]
pub struct MapLayers {
    /// The category shown.
    pub category: String,
    /// The threshold, in `unit`.
    pub threshold: f64,
    /// What the threshold measures.
    pub unit: BandUnit,
    /// `blocks.geojson`.
    pub blocks: Vec<MapFeature>,
    /// `served.geojson`, the category's threshold band only.
    pub served: Vec<MapFeature>,
    /// `gaps.geojson` of the category.
    pub gaps: Vec<MapFeature>,
    /// `facilities.geojson` of the category.
    pub facilities: Vec<MapFeature>,
    /// `units.geojson`.
    pub units: Vec<MapFeature>,
    /// Proposed sites (`sites.geojson`), when the map shows a `site` run.
    pub sites: Vec<MapFeature>,
}

impl MapLayers {
    /// The lon/lat box around blocks, facilities and sites (`None` when there is nothing).
    pub fn extent(&self) -> Option<LonLatBox> {
        let mut b = [
            f64::INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NEG_INFINITY,
        ];
        let mut add = |p: &[f64; 2]| {
            b = [
                b[0].min(p[0]),
                b[1].min(p[1]),
                b[2].max(p[0]),
                b[3].max(p[1]),
            ];
        };
        for f in self
            .blocks
            .iter()
            .chain(&self.facilities)
            .chain(&self.sites)
            .chain(&self.gaps)
        {
            f.rings.iter().flatten().for_each(&mut add);
            if let Some(p) = &f.point {
                add(p);
            }
        }
        b[0].is_finite().then_some(b)
    }
}

fn rgb(c: Rgba) -> String {
    format!("rgb({},{},{})", c[0], c[1], c[2])
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Families known to cover Simplified Chinese, most wanted first (Debian's `fonts-noto-cjk`,
/// Adobe's name for the same faces, `fonts-wqy-microhei`, `fonts-wqy-zenhei`, `fonts-arphic-uming`).
const CJK_FAMILIES: [&str; 6] = [
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Noto Serif CJK SC",
    "AR PL UMing CN",
];

/// The fonts the maps draw Latin text with.
const LATIN_FONTS: &str = "DejaVu Sans, Arial, sans-serif";

/// The family of a font in `db` that draws Chinese: one of [`CJK_FAMILIES`], else the first
/// face named in Chinese (fonts that cover Chinese carry a Chinese name); `None` when `db`
/// holds neither.
pub fn cjk_family(db: &resvg::usvg::fontdb::Database) -> Option<String> {
    use resvg::usvg::fontdb::{Family, Language as L, Query};
    let known = CJK_FAMILIES.iter().find_map(|name| {
        db.query(&Query {
            families: &[Family::Name(name)],
            ..Query::default()
        })
    });
    let chinese = |l: &L| {
        matches!(
            l,
            L::Chinese_PeoplesRepublicOfChina
                | L::Chinese_Singapore
                | L::Chinese_Taiwan
                | L::Chinese_HongKongSAR
                | L::Chinese_MacaoSAR
        )
    };
    let id = known.or_else(|| {
        let mut named = db
            .faces()
            .filter(|f| f.families.iter().any(|(_, l)| chinese(l)));
        named.next().map(|f| f.id)
    })?;
    db.face(id)?.families.first().map(|(name, _)| name.clone())
}

/// How a map writes its words: their language, and the font family list that draws them
/// (`None` when no installed font can: the words are then left out, not drawn as boxes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapText {
    /// Language of the title and legend.
    pub lang: Lang,
    /// The SVG `font-family` of the map's words.
    pub fonts: Option<String>,
}

impl MapText {
    /// The words of maps in `lang`. English uses the fonts the maps always named; Chinese
    /// looks for a CJK font among the system's and, when there is none, warns once (on
    /// stderr) that the maps' words are left out.
    pub fn for_lang(lang: Lang) -> Self {
        let fonts = match lang {
            Lang::En => Some(LATIN_FONTS.to_string()),
            Lang::Zh => {
                let mut db = resvg::usvg::fontdb::Database::new();
                db.load_system_fonts();
                Self::chinese_fonts(&db)
            }
        };
        MapText { lang, fonts }
    }

    /// The `font-family` for Chinese words from the fonts of `db`, warning once when none
    /// draws Chinese.
    fn chinese_fonts(db: &resvg::usvg::fontdb::Database) -> Option<String> {
        static WARNED: std::sync::Once = std::sync::Once::new();
        let family = cjk_family(db);
        if family.is_none() {
            WARNED.call_once(|| {
                eprintln!(
                    "warning: no CJK font found (install fonts-noto-cjk or fonts-wqy-microhei); the maps' Chinese text is left out"
                );
            });
        }
        family.map(|f| format!("'{f}', {LATIN_FONTS}"))
    }
}

impl Default for MapText {
    /// English.
    fn default() -> Self {
        MapText::for_lang(Lang::En)
    }
}

/// Width of the drawn map, pixels (the legend is below it).
const MAP_W: f64 = 1000.0;
/// Greatest height of the drawn map, pixels.
const MAP_MAX_H: f64 = 800.0;
const MARGIN: f64 = 16.0;
const LEGEND_H: f64 = 120.0;
/// Narrowest picture: room for two legend columns and the title.
const MIN_W: f64 = 760.0;

/// Twice the signed area of a ring of screen points (y down): positive when it runs
/// clockwise on screen, as RFC 7946 exteriors do once north is up; negative for holes.
fn screen_winding(ring: &[(f64, f64)]) -> f64 {
    let n = ring.len();
    (0..n)
        .map(|k| {
            let ((x0, y0), (x1, y1)) = (ring[k], ring[(k + 1) % n]);
            x0 * y1 - x1 * y0
        })
        .sum()
}

/// The SVG path data of `rings`, placed by `xy` and drawn at half-pixel precision: vertices
/// that fall on the same half pixel as the one before are dropped. A ring that rounding
/// shrinks below three vertices, or flattens or turns over, has collapsed: an exterior
/// becomes a half-pixel square wound like one, so that it still shows; a hole is left out
/// (it could not be seen). A city drawn 1,000 pixels wide then carries a few vertices per
/// block instead of every one: on 64× tiled liechtenstein-2015 the SVG went from 24 MB to
/// 11.8 MB (and to 6.5 MB with one path per style).
fn svg_path(rings: &[Vec<[f64; 2]>], xy: impl Fn(&[f64; 2]) -> (f64, f64)) -> String {
    let half_px = |v: f64| (v * 2.0).round() / 2.0;
    let mut d = String::new();
    let mut screen: Vec<(f64, f64)> = Vec::new();
    let mut kept: Vec<(f64, f64)> = Vec::new();
    for ring in rings {
        screen.clear();
        screen.extend(ring.iter().map(&xy));
        let winding = screen_winding(&screen);
        if winding == 0.0 {
            continue; // no area at any scale
        }
        kept.clear();
        for &(x, y) in &screen {
            let q = (half_px(x), half_px(y));
            if kept.last() != Some(&q) {
                kept.push(q);
            }
        }
        while kept.len() > 1 && kept.last() == kept.first() {
            kept.pop();
        }
        let rounded = screen_winding(&kept);
        if kept.len() >= 3 && rounded != 0.0 && rounded.signum() == winding.signum() {
            for (i, (x, y)) in kept.iter().enumerate() {
                let _ = write!(d, "{}{x},{y}", if i == 0 { "M" } else { "L" });
            }
            d.push('Z');
        } else if winding > 0.0 {
            let (x, y) = kept[0];
            let _ = write!(d, "M{x},{y}h0.5v0.5h-0.5Z"); // clockwise on screen, as exteriors
        }
    }
    d
}

/// Draws the coverage map as a standalone SVG document, titled `title`, its legend in
/// `text`'s language; without a font for it, title and legend are left out.
pub fn coverage_svg(layers: &MapLayers, title: &str, text: &MapText) -> String {
    let extent = layers.extent().unwrap_or([0.0, 0.0, 1e-3, 1e-3]);
    // a local equirectangular frame: x shrunk by cos(latitude), north up
    let lat0 = ((extent[1] + extent[3]) / 2.0).to_radians();
    let kx = lat0.cos();
    let (w_deg, h_deg) = (
        ((extent[2] - extent[0]) * kx).max(1e-6),
        (extent[3] - extent[1]).max(1e-6),
    );
    let scale = ((MAP_W - 2.0 * MARGIN) / w_deg).min((MAP_MAX_H - 2.0 * MARGIN) / h_deg);
    let map_h = h_deg * scale + 2.0 * MARGIN;
    // a tall extract leaves room beside it: the picture is as wide as the map and legend
    let width = (w_deg * scale + 2.0 * MARGIN).max(MIN_W).ceil();
    let top = 40.0;
    let height = top + map_h + LEGEND_H;
    let xy = |p: &[f64; 2]| -> (f64, f64) {
        (
            MARGIN + (p[0] - extent[0]) * kx * scale,
            top + MARGIN + (extent[3] - p[1]) * scale,
        )
    };
    let path = |f: &MapFeature| svg_path(&f.rings, xy);
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height:.0}\" viewBox=\"0 0 {width} {height:.0}\" font-family=\"{}\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n",
        text.fonts.as_deref().unwrap_or(LATIN_FONTS)
    );
    if text.fonts.is_some() {
        let _ = writeln!(
            s,
            "<text x=\"{MARGIN}\" y=\"26\" font-size=\"16\" font-weight=\"bold\">{}</text>",
            escape(title)
        );
    }
    // One path per style, not per feature: resvg parses and fills one long path much faster
    // than tens of thousands of short ones. Rings are oriented (RFC 7946: exteriors
    // anticlockwise, holes clockwise), so the nonzero rule keeps holes open and paints
    // overlaps once.
    let merged = |features: &mut dyn Iterator<Item = &MapFeature>| -> String {
        features.map(&path).collect()
    };
    let _ = writeln!(
        s,
        "<path d=\"{}\" stroke=\"#888\" stroke-width=\"1\" stroke-dasharray=\"4 3\" fill=\"none\"/>",
        merged(&mut layers.units.iter())
    );
    let status_field = format!("{}_status", layers.category);
    // 0 covered, 1 partly, 2 beyond (or no status)
    let shade = |b: &MapFeature| match b.properties.get(&status_field).and_then(Value::as_str) {
        Some("covered") => 0,
        Some("partly") => 1,
        _ => 2,
    };
    for (k, fill) in [GREEN, YELLOW, RED].into_iter().enumerate() {
        let _ = writeln!(
            s,
            "<path d=\"{}\" fill=\"{}\" fill-opacity=\"0.55\" stroke=\"white\" stroke-width=\"0.5\"/>",
            merged(&mut layers.blocks.iter().filter(|b| shade(b) == k)),
            rgb(fill)
        );
    }
    let _ = writeln!(
        s,
        "<path d=\"{}\" fill=\"none\" stroke=\"rgb(0,104,55)\" stroke-width=\"1.6\"/>",
        merged(&mut layers.served.iter())
    );
    let _ = writeln!(
        s,
        "<path d=\"{}\" fill=\"{}\" fill-opacity=\"0.85\" stroke=\"rgb(120,0,0)\" stroke-width=\"0.8\"/>",
        merged(&mut layers.gaps.iter()),
        rgb(RED)
    );
    s.push_str("<g stroke=\"white\" stroke-width=\"1.5\">\n");
    for f in &layers.facilities {
        if let Some(p) = &f.point {
            let (x, y) = xy(p);
            let _ = writeln!(
                s,
                "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"6\" fill=\"{}\"/>",
                rgb(FACILITY_BLUE)
            );
        }
    }
    s.push_str("</g>\n");
    for f in &layers.sites {
        if let Some(p) = &f.point {
            let (x, y) = xy(p);
            let rank = f
                .properties
                .get("rank")
                .map(Value::to_string)
                .unwrap_or_default();
            let _ = writeln!(
                s,
                "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"14\" height=\"14\" fill=\"{}\" stroke=\"white\" stroke-width=\"1.5\" transform=\"rotate(45 {x:.1} {y:.1})\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"13\" font-weight=\"bold\" fill=\"{}\" stroke=\"white\" stroke-width=\"3\" paint-order=\"stroke\">{}</text>",
                x - 7.0,
                y - 7.0,
                rgb(SITE_PURPLE),
                x + 11.0,
                y - 8.0,
                rgb(SITE_PURPLE),
                escape(&rank)
            );
        }
    }
    // scale bar: a round length near a fifth of the map width
    let metres_per_px = 111_320.0 / scale;
    let target_m = metres_per_px * MAP_W / 5.0;
    let step = 10f64.powf(target_m.log10().floor());
    let bar_m = [5.0, 2.0, 1.0]
        .iter()
        .map(|k| k * step)
        .find(|m| *m <= target_m)
        .unwrap_or(step);
    let bar_px = bar_m / metres_per_px;
    let (bx, by) = (MARGIN, top + map_h - 8.0);
    let label = if bar_m >= 1000.0 {
        format!("{} km", bar_m / 1000.0)
    } else {
        format!("{bar_m} m")
    };
    let _ = writeln!(
        s,
        "<rect x=\"{bx}\" y=\"{:.1}\" width=\"{bar_px:.1}\" height=\"5\" fill=\"black\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\">{label}</text>",
        by - 5.0,
        bx + bar_px + 6.0,
        by
    );
    // legend
    let ly = top + map_h + 16.0;
    s.push_str(&legend(layers, text, ly));
    s.push_str("</svg>\n");
    s
}

/// The legend's swatches and, when a font can draw them, their words, from `ly` down.
fn legend(layers: &MapLayers, text: &MapText, ly: f64) -> String {
    let lang = text.lang;
    let threshold = lang.measure(layers.threshold, layers.unit);
    let swatch = |fill: Rgba| {
        format!(
            "<rect width=\"18\" height=\"12\" fill=\"{}\" fill-opacity=\"0.55\"/>",
            rgb(fill)
        )
    };
    let mut items: Vec<(String, String)> = vec![
        (swatch(GREEN), lang.fill(Key::LegendCovered, &[&threshold])),
        (swatch(YELLOW), lang.text(Key::LegendPartly).into()),
        (swatch(RED), lang.text(Key::LegendBeyond).into()),
        (format!("<rect width=\"18\" height=\"12\" fill=\"{}\" stroke=\"rgb(120,0,0)\"/>", rgb(RED)), lang.text(Key::LegendGap).into()),
        ("<rect width=\"18\" height=\"12\" fill=\"none\" stroke=\"rgb(0,104,55)\" stroke-width=\"1.6\"/>".into(), lang.fill(Key::LegendServed, &[&threshold])),
        (format!("<circle cx=\"9\" cy=\"6\" r=\"6\" fill=\"{}\"/>", rgb(FACILITY_BLUE)), lang.fill(Key::LegendFacility, &[&lang.value(&layers.category)])),
    ];
    if !layers.sites.is_empty() {
        items.push((
            format!("<rect x=\"4\" y=\"-1\" width=\"10\" height=\"10\" fill=\"{}\" transform=\"rotate(45 9 6)\"/>", rgb(SITE_PURPLE)),
            lang.text(Key::LegendSite).into(),
        ));
    }
    if !layers.units.is_empty() {
        items.push((
            "<line x1=\"0\" y1=\"6\" x2=\"18\" y2=\"6\" stroke=\"#888\" stroke-dasharray=\"4 3\"/>"
                .into(),
            lang.text(Key::LegendUnits).into(),
        ));
    }
    let mut s = String::new();
    for (i, (swatch, words)) in items.iter().enumerate() {
        let (col, row) = (i / 4, i % 4);
        let (x, y) = (MARGIN + col as f64 * 330.0, ly + row as f64 * 24.0);
        let words = match text.fonts {
            Some(_) => format!(
                "<text x=\"26\" y=\"11\" font-size=\"13\">{}</text>",
                escape(words)
            ),
            None => String::new(),
        };
        let _ = writeln!(
            s,
            "<g transform=\"translate({x:.0},{y:.0})\">{swatch}{words}</g>"
        );
    }
    s
}

/// Horizontal strips a map is drawn in, side by side: fixed, not one per thread, so that the
/// PNG's bytes do not depend on the machine.
const MAP_STRIPS: u32 = 4;

/// Rasterises an SVG the tool drew to PNG bytes at `scale` (2 gives a sharp slide image).
/// Text uses the system's fonts; without any, the PNG has no text.
///
/// The image is drawn in `MAP_STRIPS` horizontal strips side by side and deflated at png's
/// `Fast` level. The `report` stage of a one-category run, mostly this map, took 0.17 s on
/// Liechtenstein and 0.59 s on 16× tiled Liechtenstein (2 cores, the map on one of them);
/// now 0.10 s and 0.45 s, and the PNG is larger (250 → 450 KB, 410 KB → 1.1 MB). Strips
/// clip the drawing at their edges and shift it by whole rows, so they match one pass except
/// where float rounding moves an edge across one of the anti-aliasing sub-samples: a few edge
/// pixels differ slightly (tested). That holds because the tool's SVGs use no filters, masks or group opacity,
/// which resvg would draw in layers cut at the strips' edges.
pub fn svg_to_png(svg: &str, scale: f32, name: &Path) -> Result<Vec<u8>> {
    use rayon::prelude::*;
    use resvg::{tiny_skia, usvg};
    let io_error = |e: String| Error::io(name, std::io::Error::other(e));
    let mut options = usvg::Options::default();
    options.fontdb_mut().load_system_fonts();
    let tree = usvg::Tree::from_str(svg, &options).map_err(|e| io_error(e.to_string()))?;
    let size = tree.size();
    let (width, height) = (
        ((size.width() * scale).ceil() as u32).max(1),
        ((size.height() * scale).ceil() as u32).max(1),
    );
    let rows_per_strip = height.div_ceil(MAP_STRIPS.min(height));
    let pixels: Vec<Vec<u8>> = (0..height)
        .step_by(rows_per_strip as usize)
        .collect::<Vec<u32>>()
        .into_par_iter()
        .map(|top| {
            let rows = rows_per_strip.min(height - top);
            let mut strip = tiny_skia::Pixmap::new(width, rows)
                .ok_or_else(|| io_error("image too large".into()))?;
            let transform =
                tiny_skia::Transform::from_scale(scale, scale).post_translate(0.0, -(top as f32));
            resvg::render(&tree, transform, &mut strip.as_mut());
            Ok(strip.take_demultiplied())
        })
        .collect::<Result<_>>()?;
    let mut bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut bytes, width, height);
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Fast);
    let mut writer = encoder
        .write_header()
        .map_err(|e| io_error(e.to_string()))?;
    writer
        .write_image_data(&pixels.concat())
        .map_err(|e| io_error(e.to_string()))?;
    writer.finish().map_err(|e| io_error(e.to_string()))?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The pixels of a PNG, RGBA.
    fn decode(png_bytes: &[u8]) -> (u32, u32, Vec<u8>) {
        let mut reader = png::Decoder::new(std::io::Cursor::new(png_bytes))
            .read_info()
            .unwrap();
        let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut pixels).unwrap();
        (info.width, info.height, pixels)
    }

    #[test]
    fn png_in_strips_has_the_pixels_of_one_pass() {
        use resvg::{tiny_skia, usvg};
        // Slanted edges, a stroke, a half-transparent fill and text, all crossing the strips'
        // edges; 301 rows do not divide into the strips evenly.
        let svg = r##"<svg xmlns="http://www.w3.org/2000/svg" width="200" height="150.5">
            <rect width="200" height="150.5" fill="#fff"/>
            <path d="M10.3 5.7 L190.2 70.1 L40.9 145.3 Z" fill="#c33" fill-opacity="0.6"/>
            <circle cx="100" cy="75.25" r="50.4" fill="none" stroke="#236" stroke-width="1.3"/>
            <text x="20" y="80" font-size="14" font-family="DejaVu Sans">Vaduz 15 min</text>
        </svg>"##;
        let scale = 2.0;
        let mut options = usvg::Options::default();
        options.fontdb_mut().load_system_fonts();
        let tree = usvg::Tree::from_str(svg, &options).unwrap();
        let mut one_pass = tiny_skia::Pixmap::new(400, 301).unwrap();
        resvg::render(
            &tree,
            tiny_skia::Transform::from_scale(scale, scale),
            &mut one_pass.as_mut(),
        );
        let want = one_pass.take_demultiplied();
        let png_with = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| svg_to_png(svg, scale, Path::new("test.png")))
                .unwrap()
        };
        let bytes = png_with(1);
        for threads in 2..=4 {
            assert!(png_with(threads) == bytes, "{threads} threads: other bytes");
        }
        let (width, height, pixels) = decode(&bytes);
        assert_eq!((width, height), (400, 301));
        // Strips are clipped at their edges and shifted by whole rows, which moves float
        // rounding of the coordinates across anti-aliasing sub-samples (4 per pixel side) here
        // and there; a strip drawn a row off would change the slanted edges by over 100.
        let differ: Vec<u8> = pixels
            .iter()
            .zip(&want)
            .map(|(a, b)| a.abs_diff(*b))
            .filter(|&d| d > 0)
            .collect();
        assert!(
            differ.len() * 100 < want.len(),
            "{} bytes differ",
            differ.len()
        );
        assert!(differ.iter().all(|&d| d <= 64), "{differ:?}");
        // An image with fewer rows than strips.
        let flat = r##"<svg xmlns="http://www.w3.org/2000/svg" width="3" height="1">
            <rect width="3" height="1" fill="#c33"/></svg>"##;
        let (width, height, pixels) = decode(&svg_to_png(flat, 2.0, Path::new("t.png")).unwrap());
        assert_eq!((width, height), (6, 2));
        assert!(pixels.chunks(4).all(|p| p == [0xcc, 0x33, 0x33, 0xff]));
    }

    #[test]
    fn chinese_words_need_a_cjk_font() {
        use resvg::usvg::fontdb::Database;
        // No font at all: no family, and the maps leave their words out (the warning path).
        let empty = Database::new();
        assert_eq!(cjk_family(&empty), None);
        assert_eq!(MapText::chinese_fonts(&empty), None);
        let layers = MapLayers {
            category: "childcare".into(),
            threshold: 15.0,
            ..MapLayers::default()
        };
        let mute = MapText {
            lang: Lang::Zh,
            fonts: None,
        };
        let svg = coverage_svg(&layers, "托育", &mute);
        assert!(!svg.contains("托育") && !svg.contains("街坊"), "{svg}");
        assert!(svg.contains("<rect width=\"18\""), "swatches stay: {svg}");
        // The system's fonts: a CJK one when installed (CI installs fonts-wqy-microhei).
        let mut system = Database::new();
        system.load_system_fonts();
        let has_cjk = system.faces().any(|f| {
            f.families
                .iter()
                .any(|(name, _)| CJK_FAMILIES.contains(&name.as_str()))
        });
        let family = cjk_family(&system);
        assert!(
            family.is_some() || !has_cjk,
            "a known CJK family is installed"
        );
        if let Some(family) = family {
            let text = MapText {
                lang: Lang::Zh,
                fonts: MapText::chinese_fonts(&system),
            };
            assert!(
                text.fonts
                    .as_deref()
                    .unwrap()
                    .starts_with(&format!("'{family}'"))
            );
            let svg = coverage_svg(&layers, "托育", &text);
            assert!(svg.contains("托育") && svg.contains("街坊"), "{svg}");
        }
    }

    /// Identity placement: lon/lat are already pixels.
    fn px(p: &[f64; 2]) -> (f64, f64) {
        (p[0], p[1])
    }

    #[test]
    fn paths_keep_half_pixel_vertices() {
        // a 10 px square with extra vertices a tenth of a pixel from its corners
        let ring = vec![
            [0.0, 0.0],
            [0.1, 0.0],
            [10.0, 0.0],
            [10.0, 10.0],
            [10.1, 10.2],
            [0.0, 10.0],
            [0.0, 0.0],
        ];
        assert_eq!(svg_path(&[ring], px), "M0,0L10,0L10,10L0,10Z");
        // rounded to the nearest half pixel, closing vertex dropped (Z closes)
        let ring = vec![[1.26, 2.74], [5.0, 2.74], [5.0, 7.1], [1.26, 2.74]];
        assert_eq!(svg_path(&[ring], px), "M1.5,2.5L5,2.5L5,7Z");
    }

    #[test]
    fn collapsed_exteriors_become_squares_and_collapsed_holes_go() {
        // clockwise on screen (y down): exteriors
        let speck = vec![[3.1, 4.1], [3.2, 4.1], [3.2, 4.2], [3.1, 4.1]];
        let sliver = vec![[8.0, 1.0], [8.1, 1.0], [9.0, 1.0], [9.0, 1.1], [8.0, 1.0]];
        // three distinct half pixels, but rounding flattens this thin ring to no area
        let flattened = vec![[0.0, 0.0], [3.0, 0.1], [6.0, 0.0], [3.0, 0.2], [0.0, 0.0]];
        assert!(screen_winding(&[(0.0, 0.0), (3.0, 0.1), (6.0, 0.0), (3.0, 0.2)]) > 0.0);
        let hole_speck: Vec<[f64; 2]> = speck.iter().rev().copied().collect();
        let nothing = vec![[1.0, 1.0], [2.0, 2.0], [1.0, 1.0]];
        assert_eq!(
            svg_path(
                &[speck, sliver, flattened, hole_speck, nothing, Vec::new()],
                px
            ),
            "M3,4h0.5v0.5h-0.5ZM8,1h0.5v0.5h-0.5ZM0,0h0.5v0.5h-0.5Z"
        );
        // the square winds like an exterior
        assert!(screen_winding(&[(0.0, 0.0), (0.5, 0.0), (0.5, 0.5), (0.0, 0.5)]) > 0.0);
    }

    #[test]
    fn holes_keep_their_winding() {
        let exterior = vec![
            [0.0, 0.0],
            [10.0, 0.0],
            [10.0, 10.0],
            [0.0, 10.0],
            [0.0, 0.0],
        ];
        let hole = vec![[2.0, 2.0], [2.0, 4.0], [4.0, 4.0], [4.0, 2.0], [2.0, 2.0]];
        assert_eq!(
            svg_path(&[exterior, hole], px),
            "M0,0L10,0L10,10L0,10ZM2,2L2,4L4,4L4,2Z"
        );
    }
}
