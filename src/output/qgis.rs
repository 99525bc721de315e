//! QGIS styles and projects: a `.qml` beside every layer (same base name, so QGIS applies it
//! on opening) and a `project.qgs` that opens every layer of a run styled, with relative
//! paths. The XML is written from small templates; `tests/qgis.rs` opens the result in real
//! QGIS and checks that every style takes.

use std::fmt::Write as _;

use crate::analysis::bands::Bands;
use crate::output::lang::{CATEGORY_FIELD_ALIASES, FIELD_ALIASES, Key, Lang, TIER_FIELD_ALIASES};

/// An RGB colour with opacity (0–255 each).
pub type Rgba = [u8; 4];

/// Walked within the first band.
pub const GREEN: Rgba = [26, 152, 80, 255];
/// Within the middle bands.
pub const YELLOW: Rgba = [254, 217, 60, 255];
/// Within the last band (the threshold).
pub const ORANGE: Rgba = [253, 141, 60, 255];
/// Beyond the threshold.
pub const RED: Rgba = [215, 48, 39, 255];
/// No time: unsnapped, unreachable, or beyond the search horizon.
pub const GREY: Rgba = [170, 170, 170, 255];
/// Existing facilities.
pub const FACILITY_BLUE: Rgba = [33, 102, 172, 255];
/// Proposed sites.
pub const SITE_PURPLE: Rgba = [118, 42, 131, 255];

/// The colour of each band, tightest first: green for the first, orange for the last
/// (the threshold), yellow between; one band alone is green, two are green and yellow.
pub fn band_colors(bands: usize) -> Vec<Rgba> {
    match bands {
        0 => Vec::new(),
        1 => vec![GREEN],
        2 => vec![GREEN, YELLOW],
        n => (0..n)
            .map(|i| {
                // green → yellow over the first half, yellow → orange over the second
                let t = i as f64 / (n - 1) as f64;
                let (a, b, u) = if t <= 0.5 {
                    (GREEN, YELLOW, t * 2.0)
                } else {
                    (YELLOW, ORANGE, t * 2.0 - 1.0)
                };
                let mix = |k: usize| {
                    (f64::from(a[k]) + (f64::from(b[k]) - f64::from(a[k])) * u).round() as u8
                };
                [mix(0), mix(1), mix(2), 255]
            })
            .collect(),
    }
}

/// What a layer's style depends on: the category it shows and the run's bands.
#[derive(Debug, Clone)]
pub struct StyleContext {
    /// The category whose fields the styles show (in the `.qml` files: a run's first
    /// category; in `project.qgs`: each layer's).
    pub category: String,
    /// The run's bands (minutes or metres), ascending; the last is the threshold.
    pub bands: Bands,
    /// The run's life-circle tiers (none with one category), for their fields' aliases.
    pub tiers: Vec<String>,
    /// The language of class labels and field aliases.
    pub lang: Lang,
}

/// Geometry of a layer, as QGIS names it in a project.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LayerGeometry {
    /// Points.
    Point,
    /// Polygons and multipolygons.
    Polygon,
}

/// One layer the tool writes and styles: file stem, geometry, and whether a project shows it
/// checked (isochrones overlap too much to show by default).
#[derive(Debug, Clone, Copy)]
pub struct LayerKind {
    /// File stem (`blocks` for `blocks.geojson`).
    pub stem: &'static str,
    /// Geometry type.
    pub geometry: LayerGeometry,
    /// Shown when the project opens.
    pub visible: bool,
}

/// Every layer the tool writes, in the order a project stacks them (top first).
pub const LAYERS: [LayerKind; 9] = [
    LayerKind {
        stem: "sites",
        geometry: LayerGeometry::Point,
        visible: true,
    },
    LayerKind {
        stem: "candidates",
        geometry: LayerGeometry::Point,
        visible: false,
    },
    LayerKind {
        stem: "facilities",
        geometry: LayerGeometry::Point,
        visible: true,
    },
    LayerKind {
        stem: "gaps",
        geometry: LayerGeometry::Polygon,
        visible: true,
    },
    LayerKind {
        stem: "buildings",
        geometry: LayerGeometry::Polygon,
        visible: true,
    },
    LayerKind {
        stem: "blocks",
        geometry: LayerGeometry::Polygon,
        visible: true,
    },
    LayerKind {
        stem: "served",
        geometry: LayerGeometry::Polygon,
        visible: true,
    },
    LayerKind {
        stem: "isochrones",
        geometry: LayerGeometry::Polygon,
        visible: false,
    },
    LayerKind {
        stem: "units",
        geometry: LayerGeometry::Polygon,
        visible: true,
    },
];

/// The layer kind of a file stem, if the tool writes such a layer.
pub fn layer_kind(stem: &str) -> Option<LayerKind> {
    LAYERS.iter().copied().find(|k| k.stem == stem)
}

fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

fn color(c: Rgba) -> String {
    format!("{},{},{},{}", c[0], c[1], c[2], c[3])
}

fn with_alpha(c: Rgba, alpha: u8) -> Rgba {
    [c[0], c[1], c[2], alpha]
}

/// A symbol of one simple layer: a fill (`outline` and its width in mm) or a circle marker
/// (`size` in mm).
#[derive(Debug, Clone, Copy)]
enum Symbol {
    Fill {
        fill: Rgba,
        outline: Rgba,
        width_mm: f64,
    },
    Marker {
        fill: Rgba,
        size_mm: f64,
        shape: &'static str,
    },
}

impl Symbol {
    fn fill(fill: Rgba) -> Self {
        Symbol::Fill {
            fill,
            outline: [255, 255, 255, 160],
            width_mm: 0.1,
        }
    }

    fn xml(&self, name: &str) -> String {
        let (kind, class, props): (&str, &str, Vec<(&str, String)>) = match *self {
            Symbol::Fill {
                fill,
                outline,
                width_mm,
            } => (
                "fill",
                "SimpleFill",
                vec![
                    ("color", color(fill)),
                    (
                        "style",
                        if fill[3] == 0 {
                            "no".into()
                        } else {
                            "solid".into()
                        },
                    ),
                    ("outline_color", color(outline)),
                    ("outline_style", "solid".into()),
                    ("outline_width", format!("{width_mm}")),
                    ("outline_width_unit", "MM".into()),
                ],
            ),
            Symbol::Marker {
                fill,
                size_mm,
                shape,
            } => (
                "marker",
                "SimpleMarker",
                vec![
                    ("color", color(fill)),
                    ("name", shape.into()),
                    ("size", format!("{size_mm}")),
                    ("size_unit", "MM".into()),
                    ("outline_color", "255,255,255,255".into()),
                    ("outline_style", "solid".into()),
                    ("outline_width", "0.3".into()),
                    ("outline_width_unit", "MM".into()),
                ],
            ),
        };
        let mut s = format!(
            "      <symbol name=\"{name}\" type=\"{kind}\" alpha=\"1\" clip_to_extent=\"1\" force_rhr=\"0\">\n        <layer class=\"{class}\" enabled=\"1\" locked=\"0\" pass=\"0\">\n"
        );
        for (k, v) in props {
            let _ = writeln!(s, "          <prop k=\"{k}\" v=\"{v}\"/>");
        }
        s.push_str("        </layer>\n      </symbol>\n");
        s
    }
}

/// A layer's renderer: one symbol, categories of an expression, or graduated ranges of one.
enum Renderer {
    Single(Symbol),
    /// `(value, label, symbol)` per category; the expression gives the value.
    Categorized {
        expression: String,
        classes: Vec<(String, String, Symbol)>,
    },
    /// `(lower, upper, label, symbol)` per range, matched first to last, bounds inclusive.
    Graduated {
        expression: String,
        ranges: Vec<(f64, f64, String, Symbol)>,
    },
}

impl Renderer {
    fn xml(&self) -> String {
        let mut s = String::new();
        match self {
            Renderer::Single(symbol) => {
                s.push_str("  <renderer-v2 type=\"singleSymbol\" symbollevels=\"0\" enableorderby=\"0\" forceraster=\"0\">\n    <symbols>\n");
                s.push_str(&symbol.xml("0"));
                s.push_str("    </symbols>\n  </renderer-v2>\n");
            }
            Renderer::Categorized {
                expression,
                classes,
            } => {
                let _ = writeln!(
                    s,
                    "  <renderer-v2 type=\"categorizedSymbol\" attr=\"{}\" symbollevels=\"0\" enableorderby=\"0\" forceraster=\"0\">\n    <categories>",
                    xml_escape(expression)
                );
                for (i, (value, label, _)) in classes.iter().enumerate() {
                    let _ = writeln!(
                        s,
                        "      <category value=\"{}\" label=\"{}\" symbol=\"{i}\" render=\"true\"/>",
                        xml_escape(value),
                        xml_escape(label)
                    );
                }
                s.push_str("    </categories>\n    <symbols>\n");
                for (i, (_, _, symbol)) in classes.iter().enumerate() {
                    s.push_str(&symbol.xml(&i.to_string()));
                }
                s.push_str("    </symbols>\n  </renderer-v2>\n");
            }
            Renderer::Graduated { expression, ranges } => {
                let _ = writeln!(
                    s,
                    "  <renderer-v2 type=\"graduatedSymbol\" attr=\"{}\" graduatedMethod=\"GraduatedColor\" symbollevels=\"0\" enableorderby=\"0\" forceraster=\"0\">\n    <ranges>",
                    xml_escape(expression)
                );
                for (i, (lower, upper, label, _)) in ranges.iter().enumerate() {
                    let _ = writeln!(
                        s,
                        "      <range lower=\"{lower}\" upper=\"{upper}\" label=\"{}\" symbol=\"{i}\" render=\"true\"/>",
                        xml_escape(label)
                    );
                }
                s.push_str("    </ranges>\n    <symbols>\n");
                for (i, (_, _, _, symbol)) in ranges.iter().enumerate() {
                    s.push_str(&symbol.xml(&i.to_string()));
                }
                s.push_str(
                    "    </symbols>\n    <classificationMethod id=\"Custom\"/>\n  </renderer-v2>\n",
                );
            }
        }
        s
    }
}

/// Labels from a field or expression, with a white halo; `over` places them over the
/// feature (polygons), otherwise around it (points).
fn labeling_xml(field: &str, is_expression: bool, over: bool, size_pt: f64) -> String {
    format!(
        "  <labeling type=\"simple\">\n    <settings calloutType=\"simple\">\n      <text-style fieldName=\"{}\" isExpression=\"{}\" fontSize=\"{size_pt}\" fontSizeUnit=\"Point\" fontWeight=\"75\" textColor=\"30,30,30,255\" textOpacity=\"1\" fontFamily=\"Sans Serif\">\n        <text-buffer bufferDraw=\"1\" bufferSize=\"0.8\" bufferSizeUnits=\"MM\" bufferColor=\"255,255,255,255\" bufferOpacity=\"0.9\"/>\n      </text-style>\n      <placement placement=\"{}\" dist=\"1\" distUnits=\"MM\"/>\n      <rendering drawLabels=\"1\" obstacle=\"1\"/>\n    </settings>\n  </labeling>\n",
        xml_escape(field),
        u8::from(is_expression),
        if over { 1 } else { 0 },
    )
}

/// The graduated classes of homes' walks (minutes or metres): no walk found (grey, value
/// −1), each band, beyond the threshold (red).
fn walk_ranges(
    bands: &Bands,
    lang: Lang,
    symbol: impl Fn(Rgba) -> Symbol,
) -> Vec<(f64, f64, String, Symbol)> {
    let mut ranges = vec![(
        -1.0,
        -1.0,
        lang.text(Key::ClassNoTime).to_string(),
        symbol(GREY),
    )];
    let mut lower = 0.0;
    for (b, c) in bands.values.iter().zip(band_colors(bands.values.len())) {
        let label = lang.fill(Key::ClassWithin, &[&lang.measure(*b, bands.unit)]);
        ranges.push((lower, *b, label, symbol(c)));
        lower = *b;
    }
    let label = lang.fill(Key::ClassBeyond, &[&lang.measure(lower, bands.unit)]);
    ranges.push((lower, 1e9, label, symbol(RED)));
    ranges
}

/// The categories of `band_min` (`band_m`), tightest band drawn in green; `alpha` for
/// overlapping areas.
fn band_classes(bands: &Bands, lang: Lang, alpha: u8) -> Vec<(String, String, Symbol)> {
    (bands.values.iter())
        .zip(band_colors(bands.values.len()))
        .map(|(b, c)| {
            (
                b.to_string(),
                lang.fill(Key::ClassWithin, &[&lang.measure(*b, bands.unit)]),
                Symbol::Fill {
                    fill: with_alpha(c, alpha),
                    outline: c,
                    width_mm: 0.3,
                },
            )
        })
        .collect()
}

/// The renderer, labels and opacity of a layer (the body shared by its `.qml` and by a
/// project's `<maplayer>`); `None` for a layer the tool does not write.
fn style_body(stem: &str, ctx: &StyleContext) -> Option<(String, bool)> {
    // a field name quoted for an expression (a category may hold any character)
    let field = |name: &str| format!("\"{}_{name}\"", ctx.category.replace('"', "\"\""));
    let lang = ctx.lang;
    let class = |key: Key| lang.text(key).to_string();
    let (renderer, labels) = match stem {
        "buildings" => (
            Renderer::Graduated {
                expression: format!("coalesce({}, -1)", field(ctx.bands.unit.field())),
                ranges: walk_ranges(&ctx.bands, lang, |f| Symbol::Fill {
                    fill: f,
                    outline: [60, 60, 60, 255],
                    width_mm: 0.05,
                }),
            },
            None,
        ),
        "blocks" => (
            Renderer::Categorized {
                expression: field("status"),
                classes: vec![
                    ("covered".into(), class(Key::ClassCovered), Symbol::fill(with_alpha(GREEN, 130))),
                    ("partly".into(), class(Key::ClassPartly), Symbol::fill(with_alpha(YELLOW, 150))),
                    ("outside".into(), class(Key::ClassOutside), Symbol::fill(with_alpha(RED, 150))),
                ],
            },
            None,
        ),
        "isochrones" => (
            Renderer::Categorized { expression: ctx.bands.unit.band_field(), classes: band_classes(&ctx.bands, lang, 50) },
            None,
        ),
        "served" => (
            Renderer::Categorized { expression: ctx.bands.unit.band_field(), classes: band_classes(&ctx.bands, lang, 60) },
            None,
        ),
        "gaps" => (
            Renderer::Single(Symbol::Fill { fill: with_alpha(RED, 170), outline: [120, 0, 0, 255], width_mm: 0.4 }),
            None,
        ),
        "facilities" => (
            Renderer::Categorized {
                expression: "CASE WHEN \"affordable\" IS NULL THEN 'unknown' WHEN \"affordable\" THEN 'affordable' ELSE 'not affordable' END".into(),
                classes: vec![
                    ("affordable".into(), class(Key::ClassAffordable), Symbol::Marker { fill: GREEN, size_mm: 4.0, shape: "circle" }),
                    ("not affordable".into(), class(Key::ClassNotAffordable), Symbol::Marker { fill: FACILITY_BLUE, size_mm: 4.0, shape: "circle" }),
                    ("unknown".into(), class(Key::ClassAffordabilityUnknown), Symbol::Marker { fill: [90, 90, 90, 255], size_mm: 4.0, shape: "circle" }),
                ],
            },
            Some(labeling_xml("name", false, false, 8.0)),
        ),
        "sites" => (
            Renderer::Single(Symbol::Marker { fill: SITE_PURPLE, size_mm: 6.0, shape: "star" }),
            Some(labeling_xml("rank", false, false, 11.0)),
        ),
        "candidates" => (
            Renderer::Categorized {
                expression: "kept".into(),
                classes: vec![
                    ("true".into(), class(Key::ClassKept), Symbol::Marker { fill: [120, 120, 120, 200], size_mm: 1.2, shape: "circle" }),
                    ("false".into(), class(Key::ClassLeftOut), Symbol::Marker { fill: [215, 48, 39, 160], size_mm: 1.2, shape: "cross2" }),
                ],
            },
            None,
        ),
        "units" => (
            Renderer::Categorized {
                expression: format!(
                    "CASE WHEN {a} AND {b} AND {d} THEN 'met' WHEN {a} = false OR {b} = false OR {d} = false THEN 'not met' ELSE 'undecided' END",
                    a = field("covered_met"),
                    b = field("places_met"),
                    d = field("affordable_met"),
                ),
                classes: vec![
                    ("met".into(), class(Key::ClassUnitMet), Symbol::Fill { fill: with_alpha(GREEN, 60), outline: [40, 40, 40, 255], width_mm: 0.5 }),
                    ("not met".into(), class(Key::ClassUnitNotMet), Symbol::Fill { fill: with_alpha(RED, 60), outline: [40, 40, 40, 255], width_mm: 0.5 }),
                    ("undecided".into(), class(Key::ClassUnitUndecided), Symbol::Fill { fill: with_alpha(GREY, 60), outline: [40, 40, 40, 255], width_mm: 0.5 }),
                ],
            },
            Some(labeling_xml("name", false, true, 9.0)),
        ),
        _ => return None,
    };
    let mut body = renderer.xml();
    if matches!(stem, "isochrones" | "served") {
        // the largest band first, beneath the others, whatever the file's order (FlatGeobuf's
        // spatial index reorders features)
        let order = format!(
            "    <orderby>\n      <orderByClause asc=\"0\" nullsFirst=\"0\">\"{}\"</orderByClause>\n    </orderby>\n  </renderer-v2>",
            ctx.bands.unit.band_field()
        );
        body = body
            .replacen("enableorderby=\"0\"", "enableorderby=\"1\"", 1)
            .replacen("  </renderer-v2>", &order, 1);
    }
    let labelled = labels.is_some();
    if let Some(l) = labels {
        body.push_str(&l);
    }
    body.push_str(&aliases_xml(ctx));
    Some((body, labelled))
}

/// The style of a layer (by file stem) showing the completeness of the life-circle tier
/// `tier`: homes complete or not, blocks and units by the share of residents in complete
/// homes; `None` for the other layers.
fn tier_style_body(stem: &str, tier: &str, ctx: &StyleContext) -> Option<(String, bool)> {
    let field = |name: &str| format!("\"{name}_{}\"", tier.replace('"', "\"\""));
    let class = |key: Key| ctx.lang.text(key).to_string();
    let shares = |outline: Rgba, width_mm: f64| {
        let area = |fill: Rgba, alpha: u8| Symbol::Fill {
            fill: with_alpha(fill, alpha),
            outline,
            width_mm,
        };
        Renderer::Categorized {
            expression: format!(
                "CASE WHEN {f} >= 1 THEN 'all' WHEN {f} > 0 THEN 'some' ELSE 'none' END",
                f = field("complete_share")
            ),
            classes: vec![
                ("all".into(), class(Key::ClassCompleteAll), area(GREEN, 130)),
                (
                    "some".into(),
                    class(Key::ClassCompleteSome),
                    area(YELLOW, 150),
                ),
                ("none".into(), class(Key::ClassCompleteNone), area(RED, 150)),
            ],
        }
    };
    let home = |fill: Rgba| Symbol::Fill {
        fill,
        outline: [60, 60, 60, 255],
        width_mm: 0.05,
    };
    let (renderer, labels) = match stem {
        "buildings" => (
            Renderer::Categorized {
                expression: format!(
                    "CASE WHEN {} THEN 'complete' ELSE 'incomplete' END",
                    field("complete")
                ),
                classes: vec![
                    ("complete".into(), class(Key::ClassComplete), home(GREEN)),
                    ("incomplete".into(), class(Key::ClassIncomplete), home(RED)),
                ],
            },
            None,
        ),
        "blocks" => (shares([255, 255, 255, 160], 0.1), None),
        "units" => (
            shares([40, 40, 40, 255], 0.5),
            Some(labeling_xml("name", false, true, 9.0)),
        ),
        _ => return None,
    };
    let mut body = renderer.xml();
    let labelled = labels.is_some();
    body.push_str(&labels.unwrap_or_default());
    body.push_str(&aliases_xml(ctx));
    Some((body, labelled))
}

/// The fields' aliases in `ctx.lang` (QGIS 3.22's `<aliases>`, matched by field name: fields
/// a layer lacks are ignored); empty in English, where fields show by their names.
fn aliases_xml(ctx: &StyleContext) -> String {
    let fields = FIELD_ALIASES.iter().map(|(f, _)| (*f).to_string()).chain(
        CATEGORY_FIELD_ALIASES
            .iter()
            .map(|(suffix, _)| format!("{}_{suffix}", ctx.category)),
    );
    let tier_fields = ctx.tiers.iter().flat_map(|tier| {
        TIER_FIELD_ALIASES.iter().filter_map(move |(prefix, _)| {
            let field = format!("{prefix}_{tier}");
            let alias = ctx.lang.tier_field_alias(&field, tier)?;
            Some((field, alias))
        })
    });
    let aliases: String = fields
        .filter_map(|field| {
            let alias = ctx.lang.field_alias(&field, &ctx.category)?;
            Some((field, alias))
        })
        .chain(tier_fields)
        .map(|(field, alias)| {
            format!(
                "    <alias field=\"{}\" name=\"{}\"/>\n",
                xml_escape(&field),
                xml_escape(&alias)
            )
        })
        .collect();
    if aliases.is_empty() {
        return aliases;
    }
    format!("  <aliases>\n{aliases}  </aliases>\n")
}

/// The `.qml` style of a layer (by file stem), or `None` for a layer the tool does not write.
pub fn qml(stem: &str, ctx: &StyleContext) -> Option<String> {
    let (body, labelled) = style_body(stem, ctx)?;
    Some(format!(
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n<qgis version=\"3.22.0\" styleCategories=\"Symbology|Labeling{}\" labelsEnabled=\"{}\">\n{body}</qgis>\n",
        if body.contains("<aliases>") {
            "|Fields"
        } else {
            ""
        },
        u8::from(labelled)
    ))
}

/// A layer of a project: its name in the legend, its path relative to the project, its
/// kind, and the category it shows when the run has several.
#[derive(Debug, Clone)]
pub struct ProjectLayer {
    /// Name shown in the layer list.
    pub name: String,
    /// Path relative to the project file, `/`-separated (`after/blocks.geojson`).
    pub path: String,
    /// File stem that chooses the style (`blocks`).
    pub kind: LayerKind,
    /// In a run with several categories, the one this copy of the layer shows; `None` in a
    /// run with one.
    pub category: Option<LayerCategory>,
}

/// The category a project layer shows, in a run with several: each category gets a legend
/// group of its own, styled by its fields, of which the first opens checked.
#[derive(Debug, Clone)]
pub struct LayerCategory {
    /// Category name: the legend group, and the fields the style reads (`school_minutes`,
    /// `school_meters`).
    pub name: String,
    /// The group's name as the legend shows it (a category or tier in the run's language).
    pub label: String,
    /// Whether its group opens checked.
    pub shown: bool,
    /// Whether the file holds every category's features (`facilities`, `gaps`, `served`),
    /// so that the layer keeps only this category's through an OGR subset filter.
    pub filtered: bool,
    /// Whether `name` is a life-circle tier, whose completeness the layer shows, rather
    /// than a category.
    pub tier: bool,
}

impl ProjectLayer {
    /// The layer's source as QGIS's OGR provider reads it: the path, and the filter on the
    /// category when the file holds every category's features.
    fn source(&self) -> String {
        match &self.category {
            Some(c) if c.filtered => format!(
                "./{}|subset=\"category\" = '{}'",
                self.path,
                c.name.replace('\'', "''")
            ),
            _ => format!("./{}", self.path),
        }
    }
}

/// A lon/lat box, degrees: west, south, east, north.
pub type LonLatBox = [f64; 4];

/// Web Mercator metres of a lon/lat point.
fn web_mercator(lon: f64, lat: f64) -> (f64, f64) {
    const R: f64 = 6_378_137.0;
    let lat = lat.clamp(-85.0, 85.0).to_radians();
    (
        R * lon.to_radians(),
        R * (std::f64::consts::FRAC_PI_4 + lat / 2.0).tan().ln(),
    )
}

/// A legend entry's check state as a project writes it.
fn checked(on: bool) -> &'static str {
    if on { "Qt::Checked" } else { "Qt::Unchecked" }
}

/// A QGIS project (`project.qgs`) opening `layers` (top of the legend first) styled, in
/// Web Mercator, zoomed to `extent`; paths stay relative, so the folder can be zipped and
/// sent. Consecutive layers of one [`LayerCategory`] form that category's (or tier's) legend
/// group.
pub fn project_qgs(
    title: &str,
    layers: &[ProjectLayer],
    extent: LonLatBox,
    ctx: &StyleContext,
) -> String {
    let id = |i: usize, l: &ProjectLayer| format!("layer_{i}_{}", l.kind.stem);
    let (x0, y0) = web_mercator(extent[0], extent[1]);
    let (x1, y1) = web_mercator(extent[2], extent[3]);
    let crs = |authid: &str| format!("<spatialrefsys><authid>{authid}</authid></spatialrefsys>");
    let mut s = format!(
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n<qgis projectname=\"{t}\" version=\"3.22.0\">\n  <homePath path=\"\"/>\n  <title>{t}</title>\n  <projectCrs>{crs}</projectCrs>\n  <properties>\n    <Paths>\n      <Absolute type=\"bool\">false</Absolute>\n    </Paths>\n  </properties>\n  <mapcanvas name=\"theMapCanvas\" annotationsVisible=\"1\">\n    <units>meters</units>\n    <extent><xmin>{x0}</xmin><ymin>{y0}</ymin><xmax>{x1}</xmax><ymax>{y1}</ymax></extent>\n    <rotation>0</rotation>\n    <destinationsrs>{crs}</destinationsrs>\n  </mapcanvas>\n  <layer-tree-group>\n",
        t = xml_escape(title),
        crs = crs("EPSG:3857"),
    );
    let mut group: Option<&str> = None;
    for (i, l) in layers.iter().enumerate() {
        let wanted = l.category.as_ref().map(|c| c.name.as_str());
        if wanted != group {
            if group.is_some() {
                s.push_str("    </layer-tree-group>\n");
            }
            if let Some(c) = &l.category {
                let group = match c.tier {
                    true => ctx.lang.fill(Key::TierGroup, &[&c.label]),
                    false => c.label.clone(),
                };
                let _ = writeln!(
                    s,
                    "    <layer-tree-group name=\"{}\" checked=\"{}\" expanded=\"{}\">",
                    xml_escape(&group),
                    checked(c.shown),
                    u8::from(c.shown),
                );
            }
            group = wanted;
        }
        let _ = writeln!(
            s,
            "    {}<layer-tree-layer id=\"{}\" name=\"{}\" source=\"{}\" providerKey=\"ogr\" checked=\"{}\" expanded=\"1\"/>",
            if group.is_some() { "  " } else { "" },
            id(i, l),
            xml_escape(&l.name),
            xml_escape(&l.source()),
            checked(l.kind.visible),
        );
    }
    if group.is_some() {
        s.push_str("    </layer-tree-group>\n");
    }
    s.push_str("  </layer-tree-group>\n  <projectlayers>\n");
    for (i, l) in layers.iter().enumerate() {
        let own;
        let ctx = match &l.category {
            Some(c) => {
                own = StyleContext {
                    category: c.name.clone(),
                    ..ctx.clone()
                };
                &own
            }
            None => ctx,
        };
        let style = match &l.category {
            Some(c) if c.tier => tier_style_body(l.kind.stem, &c.name, ctx),
            _ => style_body(l.kind.stem, ctx),
        };
        let (body, labelled) = style.expect("a known layer");
        let geometry = match l.kind.geometry {
            LayerGeometry::Point => "Point",
            LayerGeometry::Polygon => "Polygon",
        };
        let _ = write!(
            s,
            "  <maplayer type=\"vector\" geometry=\"{geometry}\" labelsEnabled=\"{}\">\n  <id>{}</id>\n  <datasource>{}</datasource>\n  <layername>{}</layername>\n  <srs>{}</srs>\n  <provider encoding=\"UTF-8\">ogr</provider>\n{body}  </maplayer>\n",
            u8::from(labelled),
            id(i, l),
            xml_escape(&l.source()),
            xml_escape(&l.name),
            crs("EPSG:4326"),
        );
    }
    s.push_str("  </projectlayers>\n</qgis>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_run_from_green_to_orange() {
        assert_eq!(band_colors(1), vec![GREEN]);
        assert_eq!(band_colors(3), vec![GREEN, YELLOW, ORANGE]);
        let five = band_colors(5);
        assert_eq!((five[0], five[2], five[4]), (GREEN, YELLOW, ORANGE));
    }

    #[test]
    fn minutes_follow_the_runs_bands() {
        let ctx = StyleContext {
            category: "childcare".into(),
            bands: Bands::minutes(&[7.5, 20.0]),
            tiers: Vec::new(),
            lang: Lang::En,
        };
        let q = qml("buildings", &ctx).unwrap();
        assert!(q.contains("attr=\"coalesce(&quot;childcare_minutes&quot;, -1)\""));
        assert!(q.contains("lower=\"0\" upper=\"7.5\" label=\"≤ 7.5 min\""));
        assert!(q.contains("lower=\"7.5\" upper=\"20\" label=\"≤ 20 min\""));
        assert!(q.contains("lower=\"20\" upper=\"1000000000\" label=\"&gt; 20 min\""));
        assert!(!q.contains("≤ 15 min"));
        assert!(qml("nonsense", &ctx).is_none());
    }

    #[test]
    fn several_categories_get_a_group_each() {
        let layer = |stem: &str, category: Option<(&str, bool, bool)>| ProjectLayer {
            name: stem.into(),
            path: format!("{stem}.geojson"),
            kind: layer_kind(stem).unwrap(),
            category: category.map(|(name, shown, filtered)| LayerCategory {
                name: name.into(),
                label: name.into(),
                shown,
                filtered,
                tier: false,
            }),
        };
        let layers = [
            layer("served", Some(("child care", true, true))),
            layer("buildings", Some(("child care", true, false))),
            layer("served", Some(("o'clock \"x\"", false, true))),
            layer("isochrones", None),
        ];
        let ctx = StyleContext {
            category: "child care".into(),
            bands: Bands::minutes(&[15.0]),
            tiers: Vec::new(),
            lang: Lang::En,
        };
        let xml = project_qgs("t", &layers, [0.0, 0.0, 1.0, 1.0], &ctx);
        let tree = &xml[..xml.find("<projectlayers>").unwrap()];
        assert_eq!(tree.matches("<layer-tree-group").count(), 3);
        assert_eq!(tree.matches("</layer-tree-group>").count(), 3);
        assert!(tree.contains("<layer-tree-group name=\"child care\" checked=\"Qt::Checked\""));
        assert!(tree.contains("name=\"o&apos;clock &quot;x&quot;\" checked=\"Qt::Unchecked\""));
        // the isochrones after both groups, at the top level
        let last_group_end = tree.rfind("</layer-tree-group>\n    <layer-tree-layer");
        assert!(last_group_end.is_some_and(|i| tree[i..].contains("isochrones")));
        // the subset filter (SQL quotes doubled) and each category's fields, quoted
        assert!(xml.contains(
            "<datasource>./served.geojson|subset=&quot;category&quot; = &apos;o&apos;&apos;clock &quot;x&quot;&apos;</datasource>"
        ));
        assert!(xml.contains("<datasource>./buildings.geojson</datasource>"));
        assert!(xml.contains("coalesce(&quot;child care_minutes&quot;, -1)"));
        let blocks = qml(
            "blocks",
            &StyleContext {
                category: "a\"b".into(),
                bands: Bands::minutes(&[15.0]),
                tiers: Vec::new(),
                lang: Lang::En,
            },
        )
        .unwrap();
        assert!(
            blocks.contains("attr=\"&quot;a&quot;&quot;b_status&quot;\""),
            "{blocks}"
        );
    }
}
