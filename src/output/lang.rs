//! The language of the planner files (`--lang en|zh`): every string the report, the maps and
//! the QGIS project show, in one table. Chinese uses the plan's own terms (托位, 普惠, 街道,
//! 托育服务指导中心, …); `docs/glossary-zh.md` lists them for readers. Field names stay
//! ASCII in both languages, so that scripts keep working; Chinese goes into field aliases.
//!
//! Texts are templates: `{0}`, `{1}`, … stand for the arguments of [`Lang::fill`], so that
//! each language orders them as its grammar needs.

use std::fmt::Display;

use crate::analysis::bands::BandUnit;

/// The language the planner files are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase", try_from = "String")]
pub enum Lang {
    /// English (the default).
    #[default]
    En,
    /// Simplified Chinese, in the plan's terms.
    Zh,
}

impl TryFrom<String> for Lang {
    type Error = String;
    fn try_from(name: String) -> Result<Self, String> {
        Lang::from_name(&name)
    }
}

/// Declares [`Key`] and, for the table tests, every key in `Key::ALL`.
macro_rules! keys {
    ($($key:ident),* $(,)?) => {
        /// A text the planner files show; [`Lang::text`] gives it in a language.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        #[allow(missing_docs)] // each key is named after its English text, which the table holds
        pub enum Key {
            $($key),*
        }

        impl Key {
            /// Every key, in declaration order.
            #[cfg(test)]
            const ALL: &[Key] = &[$(Key::$key),*];
        }
    };
}

keys! {
    ReportTitle,
    RunLine,
    WalkerSpeed,
    WalkerDistance,
    OnSlopes,
    Lead,
    LeadTier,
    LifeCircleSuffix,
    UncalibratedSuffix,
    TargetSuffix,
    Targets,
    IndicatorsHeader,
    Yes,
    No,
    City,
    District,
    Subdistrict,
    AssumedPlaces,
    PopulationHeading,
    Uncalibrated,
    ResidentsLine,
    None,
    CensusLine,
    PopulationHeader,
    PopulationFootnote,
    Kindergartens,
    NoDistricts,
    Guidance,
    GuidanceUnknown,
    QualityHeading,
    Unsnapped,
    Islands,
    FacilitiesUnsnapped,
    Units,
    Buildings,
    MapSection,
    WalkSection,
    Footer,
    Met,
    NotMet,
    Undecided,
    MetAssumed,
    NotMetAssumed,
    NoTime,
    HistogramAxis,
    SiteTitle,
    SiteLead,
    SiteTargetSuffix,
    CurveSection,
    SitesHeader,
    SiteMapSection,
    SiteQuality,
    CurveTarget,
    CurvePoint,
    CurveAxis,
    MapTitle,
    SiteMapTitle,
    LegendCovered,
    LegendPartly,
    LegendBeyond,
    LegendGap,
    LegendServed,
    LegendFacility,
    LegendSite,
    ProposedSite,
    LegendUnits,
    ProjectTitle,
    SiteProjectTitle,
    AfterPrefix,
    LayerSites,
    LayerCandidates,
    LayerFacilities,
    LayerGaps,
    LayerBuildings,
    LayerBlocks,
    LayerServed,
    LayerIsochrones,
    LayerUnits,
    ClassNoTime,
    ClassWithin,
    ClassBeyond,
    ClassCovered,
    ClassPartly,
    ClassOutside,
    ClassAffordable,
    ClassNotAffordable,
    ClassAffordabilityUnknown,
    ClassKept,
    ClassLeftOut,
    ClassUnitMet,
    ClassUnitNotMet,
    ClassUnitUndecided,
    CompletenessHeading,
    CompletenessLead,
    CompletenessHeader,
    TierGroup,
    ClassComplete,
    ClassIncomplete,
    ClassCompleteAll,
    ClassCompleteSome,
    ClassCompleteNone,
}

impl Lang {
    /// Parses `en` or `zh`, as `--lang` takes them.
    ///
    /// # Errors
    /// A message naming the languages when `name` is neither.
    pub fn from_name(name: &str) -> Result<Self, String> {
        match name {
            "en" => Ok(Lang::En),
            "zh" => Ok(Lang::Zh),
            _ => Err(format!("{name:?} is not one of en, zh")),
        }
    }

    /// The language's tag for `<html lang>`.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh",
        }
    }

    /// The text of `key` in this language (a template when it holds `{0}`, …).
    pub fn text(self, key: Key) -> &'static str {
        let (en, zh) = texts(key);
        match self {
            Lang::En => en,
            Lang::Zh => zh,
        }
    }

    /// The text of `key` with `{i}` replaced by `args[i]`.
    pub fn fill(self, key: Key, args: &[&dyn Display]) -> String {
        fill(self.text(key), args)
    }

    /// A walk as the texts show it: `15 min`, `300 m`; `15分钟`, `300米`.
    pub fn measure(self, value: f64, unit: BandUnit) -> String {
        self.measures(&[value], unit)
    }

    /// Several walks of one unit: `5, 10, 15 min`; `5、10、15分钟`.
    pub fn measures(self, values: &[f64], unit: BandUnit) -> String {
        let numbers: Vec<String> = values.iter().map(f64::to_string).collect();
        match (self, unit) {
            (Lang::En, _) => format!("{} {}", numbers.join(", "), unit.symbol()),
            (Lang::Zh, BandUnit::Minutes) => format!("{}分钟", numbers.join("、")),
            (Lang::Zh, BandUnit::Meters) => format!("{}米", numbers.join("、")),
        }
    }

    /// The name of the `rank`-th site `site` proposes, with the candidate's own name when it
    /// has one: `proposed site 2: Library`, `拟建选址 2：图书馆`.
    pub fn proposed_site(self, rank: usize, name: Option<&str>) -> String {
        let label = self.fill(Key::ProposedSite, &[&rank]);
        match (name, self) {
            (None, _) => label,
            (Some(name), Lang::En) => format!("{label}: {name}"),
            (Some(name), Lang::Zh) => format!("{label}：{name}"),
        }
    }

    /// A unit level (`city`, `district`, `subdistrict`) as the tables show it.
    pub fn level(self, level: &str) -> String {
        let key = match level {
            "city" => Key::City,
            "district" => Key::District,
            "subdistrict" => Key::Subdistrict,
            other => return other.to_string(),
        };
        self.text(key).to_string()
    }

    /// The legend name of a layer (by file stem); the stem itself for one not in the table.
    pub fn layer(self, stem: &str) -> String {
        let key = match stem {
            "sites" => Key::LayerSites,
            "candidates" => Key::LayerCandidates,
            "facilities" => Key::LayerFacilities,
            "gaps" => Key::LayerGaps,
            "buildings" => Key::LayerBuildings,
            "blocks" => Key::LayerBlocks,
            "served" => Key::LayerServed,
            "isochrones" => Key::LayerIsochrones,
            "units" => Key::LayerUnits,
            other => return other.to_string(),
        };
        self.text(key).to_string()
    }

    /// A value the tool writes (see [`VALUES`]) as this language shows it; any other value
    /// (a planner's own name) as it is.
    pub fn value(self, value: &str) -> String {
        match (self, VALUES.iter().find(|(v, _)| *v == value)) {
            (Lang::Zh, Some((_, zh))) => (*zh).to_string(),
            _ => value.to_string(),
        }
    }

    /// The Chinese alias of a layer field (`{category}_minutes` by its suffix); `None` in
    /// English, where fields show by their names, and for fields without one.
    pub fn field_alias(self, field: &str, category: &str) -> Option<String> {
        if self == Lang::En {
            return None;
        }
        if let Some((_, alias)) = FIELD_ALIASES.iter().find(|(f, _)| *f == field) {
            return Some((*alias).to_string());
        }
        let suffix = field.strip_prefix(category)?.strip_prefix('_')?;
        let (_, alias) = CATEGORY_FIELD_ALIASES.iter().find(|(f, _)| *f == suffix)?;
        Some(format!("{}{alias}", self.value(category)))
    }

    /// The Chinese alias of a life-circle tier's field (`complete_{tier}` by its prefix),
    /// naming the tier; `None` in English and for other fields.
    pub fn tier_field_alias(self, field: &str, tier: &str) -> Option<String> {
        if self == Lang::En {
            return None;
        }
        let prefix = field.strip_suffix(tier)?.strip_suffix('_')?;
        let (_, alias) = TIER_FIELD_ALIASES.iter().find(|(f, _)| *f == prefix)?;
        Some(format!("{alias}（{}）", self.value(tier)))
    }
}

/// Chinese names of the values the tool itself writes into its outputs (preset categories,
/// walking profiles, population sources, the whole-extract units, why siting stopped, the
/// default life-circle tier); a
/// planner's own names
/// (register categories, units) are shown as given.
pub const VALUES: [(&str, &str); 30] = [
    ("childcare", "托育"),
    ("healthcare", "医疗卫生"),
    ("grocery", "生鲜副食"),
    ("school", "学校"),
    ("pharmacy", "药店"),
    ("park", "公园"),
    ("adult", "成人"),
    ("stroller", "推婴儿车"),
    ("older", "老年人"),
    ("wheelchair", "轮椅"),
    ("(whole extract)", "（全域）"),
    ("(all homes)", "（全部住宅）"),
    ("(outside every district)", "（不属于任何区）"),
    ("(outside every subdistrict)", "（不属于任何街道）"),
    ("estimate", "估算"),
    ("estimate_scaled", "估算（按总数校准）"),
    ("layer", "图层"),
    ("layer_scaled", "图层（按总数校准）"),
    ("raster", "人口栅格"),
    ("raster_scaled", "人口栅格（按总数校准）"),
    ("census", "人口普查"),
    ("share", "按比例推算"),
    ("add", "已达到 --add 设定的选址数"),
    ("target", "已达到目标"),
    ("no_gain", "再无候选地点能增加覆盖"),
    ("no_candidates", "无候选地点"),
    ("all", "全部类别"),
    ("5min", "5分钟生活圈"),
    ("10min", "10分钟生活圈"),
    ("15min", "15分钟生活圈"),
];

/// Chinese aliases of the layers' fields that every category shares.
pub const FIELD_ALIASES: [(&str, &str); 25] = [
    ("name", "名称"),
    ("category", "类别"),
    ("source", "来源"),
    ("places", "托位"),
    ("places_source", "托位来源"),
    ("affordable", "普惠"),
    ("type", "类型"),
    ("toddler_classes", "开设托班"),
    ("district", "区"),
    ("subdistrict", "街道"),
    ("on_island", "位于孤立路网"),
    ("population", "常住人口"),
    ("children", "3岁以下婴幼儿"),
    ("population_outside", "范围外常住人口"),
    ("band_min", "步行时间段（分钟）"),
    ("band_m", "步行距离段（米）"),
    ("area_m2", "面积（平方米）"),
    ("block_id", "街坊编号"),
    ("buildings", "建筑数"),
    ("level", "层级"),
    ("unit_id", "单元编号"),
    ("facility_id", "设施编号"),
    ("rank", "排序"),
    ("levels", "层数"),
    ("footprint_m2", "基底面积（平方米）"),
];

/// Chinese aliases of per-category fields, by the suffix after `{category}_`.
pub const CATEGORY_FIELD_ALIASES: [(&str, &str); 7] = [
    ("minutes", "步行时间（分钟）"),
    ("meters", "步行距离（米）"),
    ("status", "覆盖状态"),
    ("covered_met", "覆盖达标"),
    ("places_met", "托位达标"),
    ("affordable_met", "普惠达标"),
    ("covered_share", "覆盖比例"),
];

/// Chinese aliases of per-tier fields, by the prefix before `_{tier}`.
pub const TIER_FIELD_ALIASES: [(&str, &str); 7] = [
    ("complete", "全部设施可达"),
    ("missing", "缺少的设施"),
    ("complete_population", "全部设施可达常住人口"),
    ("complete_share", "全部设施可达人口比例"),
    ("complete_children_share", "全部设施可达婴幼儿比例"),
    ("most_missing", "最常缺少的设施"),
    ("most_missing_population", "缺少该设施的常住人口"),
];

/// `template` with each `{i}` replaced by `args[i]`; other braces are kept.
pub fn fill(template: &str, args: &[&dyn Display]) -> String {
    let mut out = String::with_capacity(template.len() + 16 * args.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let index = after
            .find('}')
            .and_then(|close| Some((after[..close].parse::<usize>().ok()?, close)));
        match index.and_then(|(i, close)| Some((args.get(i)?, close))) {
            Some((arg, close)) => {
                out.push_str(&arg.to_string());
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The English and Chinese of every text.
fn texts(key: Key) -> (&'static str, &'static str) {
    match key {
        Key::ReportTitle
        | Key::RunLine
        | Key::WalkerSpeed
        | Key::WalkerDistance
        | Key::OnSlopes
        | Key::Lead
        | Key::LeadTier
        | Key::LifeCircleSuffix
        | Key::UncalibratedSuffix
        | Key::TargetSuffix
        | Key::Targets
        | Key::IndicatorsHeader
        | Key::AssumedPlaces
        | Key::PopulationHeading
        | Key::Uncalibrated
        | Key::ResidentsLine
        | Key::CensusLine
        | Key::PopulationHeader
        | Key::PopulationFootnote => report_texts(key),
        Key::Kindergartens
        | Key::NoDistricts
        | Key::Guidance
        | Key::GuidanceUnknown
        | Key::QualityHeading
        | Key::Unsnapped
        | Key::Islands
        | Key::FacilitiesUnsnapped
        | Key::Units
        | Key::Buildings
        | Key::MapSection
        | Key::WalkSection
        | Key::Footer => report_more_texts(key),
        Key::SiteTitle
        | Key::SiteLead
        | Key::SiteTargetSuffix
        | Key::CurveSection
        | Key::SitesHeader
        | Key::SiteMapSection
        | Key::SiteQuality
        | Key::CurveTarget
        | Key::CurvePoint
        | Key::CurveAxis => site_texts(key),
        Key::MapTitle
        | Key::SiteMapTitle
        | Key::LegendCovered
        | Key::LegendPartly
        | Key::LegendBeyond
        | Key::LegendGap
        | Key::LegendServed
        | Key::LegendFacility
        | Key::LegendSite
        | Key::ProposedSite
        | Key::LegendUnits => map_texts(key),
        Key::CompletenessHeading
        | Key::CompletenessLead
        | Key::CompletenessHeader
        | Key::TierGroup
        | Key::ClassComplete
        | Key::ClassIncomplete
        | Key::ClassCompleteAll
        | Key::ClassCompleteSome
        | Key::ClassCompleteNone => completeness_texts(key),
        _ => word_texts(key),
    }
}

/// The coverage report's header, targets and residents.
fn report_texts(key: Key) -> (&'static str, &'static str) {
    match key {
        Key::ReportTitle => ("Within {0} on foot: {1}", "步行{0}覆盖情况：{1}"),
        Key::RunLine => (
            "fifteen {0} · extract <code>{1}</code> (SHA-256 {2}…) · {3} · bands {4} · homes and facilities at most {5} m from the network",
            "fifteen {0} · 数据 <code>{1}</code>（SHA-256 {2}…）· {3} · 分段 {4} · 住宅与设施距步行网络不超过 {5} 米",
        ),
        Key::WalkerSpeed => ("{0} walking {1} km/h{2}", "{0} 步行速度 {1} 千米/小时{2}"),
        Key::WalkerDistance => (
            "{0}, by network distance walked (no speed, no slopes)",
            "{0}，按路网步行距离（不计速度与坡度）",
        ),
        Key::OnSlopes => (
            " on the flat, by Tobler's function on slopes",
            "（平地速度；坡道按 Tobler 函数）",
        ),
        Key::LeadTier => (
            "<p class=\"small\">{0} in its life-circle tier, {1}: {2} of residents within {3}.</p>",
            "<p class=\"small\">{0}（所属生活圈层级：{1}）：{2} 的常住人口步行{3}内可达。</p>",
        ),
        Key::Lead => (
            "<p class=\"lead\"><b>{0}</b>: {1} of {2} residents{3} live within {4} of one of {5} facilities{6}.</p>",
            "<p class=\"lead\"><b>{0}</b>：{2} 常住人口{3}中，{1} 居住在 {5} 个设施之一的步行{4}范围内{6}。</p>",
        ),
        Key::LifeCircleSuffix => (" (the {0}-minute life circle)", "（{0}分钟生活圈）"),
        Key::UncalibratedSuffix => (" (an uncalibrated estimate)", "（未校准的估算）"),
        Key::TargetSuffix => (" — target {0}: {1}", " — 目标 {0}：{1}"),
        Key::Targets => (
            "<h2>Targets</h2>\n<p>Targets: at least {0} of residents within {1}; {2} places per 1,000 residents; {3} of places affordable; an affordable facility in {4} of sub-districts; {5} of kindergartens offering toddler classes; a guidance centre in every district. <em>Undecided</em>: affordability, toddler classes or facility types unknown for some facilities; <em>on assumed capacities</em>: only places assumed for facilities that state none could meet the places target.</p>\n",
            "<h2>规划目标</h2>\n<p>目标：至少 {0} 的常住人口步行{1}内可达；每千常住人口 {2} 个托位；普惠托位占比 {3}；{4} 的街道至少有一家普惠托育机构；{5} 的幼儿园开设托班；每个区至少有一个托育服务指导中心。<em>待定</em>：部分设施的普惠属性、托班或设施类型未知；<em>按假定托位</em>：仅计入为未注明托位的设施假定的托位时才可能达到托位目标。</p>\n",
        ),
        Key::IndicatorsHeader => (
            "<h3>{0}</h3>\n<table>\n<tr><th>unit</th><th>level</th><th>residents</th><th>within {1}</th><th></th><th>places / 1,000</th><th></th><th>affordable share</th><th></th><th>affordable facility</th><th>sub-districts with one</th><th></th></tr>",
            "<h3>{0}</h3>\n<table>\n<tr><th>单元</th><th>层级</th><th>常住人口</th><th>步行{1}内</th><th></th><th>每千人托位</th><th></th><th>普惠托位占比</th><th></th><th>普惠机构</th><th>有普惠机构的街道</th><th></th></tr>",
        ),
        Key::AssumedPlaces => (
            "<p class=\"small\">{0} of {1} places are assumed (a default per facility whose source states none); <code>supply_check.csv</code> lists every facility by where its places come from.</p>\n",
            "<p class=\"small\">{1} 个托位中有 {0} 个为假定值（来源未注明托位的设施按默认值计）；<code>supply_check.csv</code> 按托位来源列出每个设施。</p>\n",
        ),
        Key::PopulationHeading => (
            "<h2>Residents and children</h2>\n",
            "<h2>常住人口与3岁以下婴幼儿</h2>\n",
        ),
        Key::Uncalibrated => (
            "<p><b>Residents are an uncalibrated estimate</b> (footprint × levels ÷ floor area per person), which can be off by a factor of 2–3 per unit; give a census table (<code>--census</code>), a population raster (<code>--population-raster</code>) or the known total (<code>--population-total</code>).</p>\n",
            "<p><b>常住人口为未校准的估算</b>（基底面积 × 层数 ÷ 人均建筑面积），每个单元可能相差 2–3 倍；请提供人口普查表（<code>--census</code>）、人口栅格（<code>--population-raster</code>）或已知总人口（<code>--population-total</code>）。</p>\n",
        ),
        Key::ResidentsLine => (
            "<p>Residents: {0} ({1}); the footprint estimate alone gives {2}. Children under 3, the demand the two-step catchment and capacity-aware siting use: {3} ({4}).</p>",
            "<p>常住人口：{0}（{1}）；仅按建筑基底估算为 {2}。3岁以下婴幼儿（两步移动搜索法与按托位选址所用的需求）：{3}（{4}）。</p>",
        ),
        Key::CensusLine => (
            "<p class=\"small\">Census: {0} of {1} rows matched. Rows matching no unit: {2}. Units without a row (their homes keep the previous figure): {3}.</p>",
            "<p class=\"small\">人口普查：{1} 行中匹配 {0} 行。未匹配任何单元的行：{2}。无对应行的单元（其住宅沿用原数值）：{3}。</p>",
        ),
        Key::PopulationHeader => (
            "<table>\n<tr><th>unit</th><th>level</th><th>homes</th><th>estimate</th><th>given</th><th>estimate ÷ given</th><th>residents used</th><th>source</th><th>children</th></tr>\n",
            "<table>\n<tr><th>单元</th><th>层级</th><th>住宅</th><th>估算</th><th>给定</th><th>估算 ÷ 给定</th><th>采用的常住人口</th><th>来源</th><th>3岁以下婴幼儿</th></tr>\n",
        ),
        _ => (
            "</table>\n<p class=\"small\">The same per unit in <code>population_check.csv</code>.</p>\n",
            "</table>\n<p class=\"small\">各单元数据见 <code>population_check.csv</code>。</p>\n",
        ),
    }
}

/// The coverage report's kinds of facility, data quality, maps and footer.
fn report_more_texts(key: Key) -> (&'static str, &'static str) {
    match key {
        Key::Kindergartens => (
            "Kindergartens offering toddler classes: {0} of {1} ({2}) {3}. ",
            "开设托班的幼儿园：{1} 所中 {0} 所（{2}）{3}。",
        ),
        Key::NoDistricts => (
            "Guidance centres: no districts in this run.",
            "托育服务指导中心：本次运行无区级单元。",
        ),
        Key::Guidance => (
            "Districts with a guidance centre: {0}; without: {1}{2} {3}.",
            "有托育服务指导中心的区：{0}；没有的区：{1}{2} {3}。",
        ),
        Key::GuidanceUnknown => (
            "; unknown (facility types not in a register): {0}",
            "；未知（登记表未注明设施类型）：{0}",
        ),
        Key::QualityHeading => ("<h2>Data quality</h2>\n<ul>\n", "<h2>数据质量</h2>\n<ul>\n"),
        Key::Unsnapped => (
            "<li>{0} homes ({1} residents) farther than {2} m from the walking network: no time, counted as not covered.</li>",
            "<li>{0} 处住宅（{1} 常住人口）距步行网络超过 {2} 米：无步行时间，计为未覆盖。</li>",
        ),
        Key::Islands => (
            "<li>{0} homes snapped to network islands (components of less than {1} m of walkway); they are reached only from facilities on the same island.</li>",
            "<li>{0} 处住宅连接到孤立路网（步行道总长不足 {1} 米的连通片）；只有同一孤立路网上的设施可达。</li>",
        ),
        Key::FacilitiesUnsnapped => (
            "<li>{0}: facilities not snapped: {1}; on islands: {2}.</li>",
            "<li>{0}：未连接到路网的设施：{1}；位于孤立路网的设施：{2}。</li>",
        ),
        Key::Units => (
            "<li>Units: {0} districts, {1} sub-districts; skipped: {2}.</li>",
            "<li>行政单元：{0} 个区，{1} 个街道；跳过：{2}。</li>",
        ),
        Key::Buildings => (
            "<li>Buildings: {0} read, {1} homes ({2} tagged residential, {3} assumed from <code>building=yes</code>), {4} building areas skipped as broken.</li>",
            "<li>建筑：读取 {0} 栋，住宅 {1} 处（{2} 处标注为住宅，{3} 处由 <code>building=yes</code> 推定），{4} 个损坏的建筑面被跳过。</li>",
        ),
        Key::MapSection => (
            "<h2>Coverage map: {0}</h2>\n<p class=\"small\">Drawn from <code>blocks.geojson</code>, <code>gaps.geojson</code>, <code>served.geojson</code> and <code>facilities.geojson</code>; the same map for slides: <code>{1}</code>. Open <code>project.qgs</code> in QGIS for every layer.</p>\n",
            "<h2>覆盖地图：{0}</h2>\n<p class=\"small\">由 <code>blocks.geojson</code>、<code>gaps.geojson</code>、<code>served.geojson</code> 和 <code>facilities.geojson</code> 绘制；用于汇报的同一地图：<code>{1}</code>。在 QGIS 中打开 <code>project.qgs</code> 查看全部图层。</p>\n",
        ),
        Key::WalkSection => (
            "<h2>Walks to the nearest facility: {0}</h2>\n<p class=\"small\">Residents by their walk (time or distance) to the nearest facility; <em>no walk</em>: unsnapped, unreachable, or farther than the search.</p>\n",
            "<h2>到最近设施的步行：{0}</h2>\n<p class=\"small\">按到最近设施的步行时间或距离统计的常住人口；<em>无路径</em>：未连接路网、不可达或超出搜索范围。</p>\n",
        ),
        _ => (
            "<p class=\"small\">Every figure comes from <code>summary.json</code> and the layers in this folder.</p>\n</body>\n</html>\n",
            "<p class=\"small\">所有数字均来自本文件夹中的 <code>summary.json</code> 和各图层。</p>\n</body>\n</html>\n",
        ),
    }
}

/// The `site` report and its coverage curve.
fn site_texts(key: Key) -> (&'static str, &'static str) {
    match key {
        Key::SiteTitle => (
            "Where to add {0} facilities: a {1} walk",
            "{0}设施新增选址：步行{1}",
        ),
        Key::SiteLead => (
            "<p class=\"lead\">{0} sites raise the share of residents within {1} from {2} to {3}{4} (stopped because: {5}).</p>",
            "<p class=\"lead\">新增 {0} 处选址使步行{1}内的常住人口比例从 {2} 提高到 {3}{4}（停止原因：{5}）。</p>",
        ),
        Key::SiteTargetSuffix => ("; target {0}: {1}", "；目标 {0}：{1}"),
        Key::CurveSection => (
            "<h2>Coverage curve</h2>\n<p class=\"small\">From <code>coverage_curve.csv</code>.</p>\n",
            "<h2>覆盖曲线</h2>\n<p class=\"small\">数据来自 <code>coverage_curve.csv</code>。</p>\n",
        ),
        Key::SitesHeader => (
            "<h2>Sites, in the order chosen</h2>\n<table>\n<tr><th>rank</th><th>site</th><th>residents newly within</th><th>covered share after</th></tr>\n",
            "<h2>选址（按选定顺序）</h2>\n<table>\n<tr><th>排序</th><th>选址</th><th>新覆盖常住人口</th><th>新增后覆盖比例</th></tr>\n",
        ),
        Key::SiteMapSection => (
            "<h2>Coverage with the sites added</h2>\n<p class=\"small\">Drawn from <code>after/</code> and <code>sites.geojson</code>; for slides: <code>{0}</code>. The full coverage report with the sites is <code>after/report.html</code>.</p>\n",
            "<h2>新增选址后的覆盖</h2>\n<p class=\"small\">由 <code>after/</code> 和 <code>sites.geojson</code> 绘制；用于汇报：<code>{0}</code>。含新增选址的完整覆盖报告见 <code>after/report.html</code>。</p>\n",
        ),
        Key::SiteQuality => (
            "<h2>Data quality</h2>\n<ul><li>{0} candidates generated, {1} kept, {2} left out (unsnapped, on islands, already facilities, duplicates; listed in <code>candidates.geojson</code>).</li></ul>",
            "<h2>数据质量</h2>\n<ul><li>生成 {0} 个候选地点，保留 {1} 个，排除 {2} 个（未连接路网、位于孤立路网、已是设施或重复；见 <code>candidates.geojson</code>）。</li></ul>",
        ),
        Key::CurveTarget => ("target {0} %", "目标 {0} %"),
        Key::CurvePoint => ("{0} sites: {1} %", "{0} 处选址：{1} %"),
        _ => (
            "sites added (0: existing facilities only) → share of residents within the threshold",
            "新增选址数（0：仅现有设施）→ 阈值内常住人口比例",
        ),
    }
}

/// The maps' titles and legends.
fn map_texts(key: Key) -> (&'static str, &'static str) {
    match key {
        Key::MapTitle => (
            "{0}: homes within {1} on foot — {2}",
            "{0}：步行{1}内的住宅 — {2}",
        ),
        Key::SiteMapTitle => (
            "{0} with the proposed sites: homes within {1} on foot",
            "{0}（含拟建选址）：步行{1}内的住宅",
        ),
        Key::LegendCovered => (
            "block: every resident within {0}",
            "街坊：全部居民步行{0}内可达",
        ),
        Key::LegendPartly => ("block: some residents beyond", "街坊：部分居民超出范围"),
        Key::LegendBeyond => ("block: every resident beyond", "街坊：全部居民超出范围"),
        Key::LegendGap => (
            "gap: homes beyond, outside the served area",
            "服务盲区：覆盖范围外的住宅",
        ),
        Key::LegendServed => ("area within {0} of a facility", "设施步行{0}覆盖范围"),
        Key::LegendFacility => ("{0} facility", "{0}设施"),
        Key::LegendSite => ("proposed site, by rank", "拟建选址（按排序）"),
        Key::ProposedSite => ("proposed site {0}", "拟建选址 {0}"),
        _ => ("district / sub-district", "区 / 街道"),
    }
}

/// Words: badges, levels, axis labels, project and layer names, style classes.
fn word_texts(key: Key) -> (&'static str, &'static str) {
    match key {
        Key::Yes => ("yes", "是"),
        Key::No => ("no", "否"),
        Key::City => ("city", "全市"),
        Key::District => ("district", "区"),
        Key::Subdistrict => ("subdistrict", "街道"),
        Key::None => ("none", "无"),
        Key::Met => ("met", "达标"),
        Key::NotMet => ("not met", "未达标"),
        Key::Undecided => ("undecided", "待定"),
        Key::MetAssumed => ("met on assumed capacities", "按假定托位达标"),
        Key::NotMetAssumed => ("not met on assumed capacities", "按假定托位未达标"),
        Key::NoTime => ("no walk", "无路径"),
        Key::HistogramAxis => (
            "walk to the nearest {0} facility (residents per bar of {1})",
            "到最近{0}设施的步行时间或距离（每柱 {1} 的常住人口）",
        ),
        Key::ProjectTitle => ("{0}: {1} on foot — {2}", "{0}：步行{1} — {2}"),
        Key::SiteProjectTitle => ("{0}: proposed sites", "{0}：拟建选址"),
        Key::AfterPrefix => ("after: ", "新增后："),
        Key::LayerSites => ("sites", "拟建选址"),
        Key::LayerCandidates => ("candidates", "候选地点"),
        Key::LayerFacilities => ("facilities", "设施"),
        Key::LayerGaps => ("gaps", "服务盲区"),
        Key::LayerBuildings => ("buildings", "住宅建筑"),
        Key::LayerBlocks => ("blocks", "居住街坊"),
        Key::LayerServed => ("served", "覆盖范围"),
        Key::LayerIsochrones => ("isochrones", "等时圈"),
        Key::LayerUnits => ("units", "区与街道"),
        _ => class_texts(key),
    }
}

/// The class labels of the QGIS styles.
fn class_texts(key: Key) -> (&'static str, &'static str) {
    match key {
        Key::ClassNoTime => (
            "no walk (unsnapped, unreachable, beyond the search)",
            "无路径（未连接路网、不可达或超出搜索范围）",
        ),
        Key::ClassWithin => ("≤ {0}", "{0}以内"),
        Key::ClassBeyond => ("> {0}", "超过{0}"),
        Key::ClassCovered => ("every resident within reach", "全部居民可达（覆盖）"),
        Key::ClassPartly => ("some residents beyond", "部分居民超出范围"),
        Key::ClassOutside => ("every resident beyond", "全部居民超出范围"),
        Key::ClassAffordable => ("affordable (public-interest)", "普惠"),
        Key::ClassNotAffordable => ("not affordable", "非普惠"),
        Key::ClassAffordabilityUnknown => ("affordability unknown", "普惠属性未知"),
        Key::ClassKept => ("kept", "保留"),
        Key::ClassLeftOut => ("left out", "排除"),
        Key::ClassUnitMet => (
            "coverage, places, affordability met",
            "覆盖、托位、普惠均达标",
        ),
        Key::ClassUnitNotMet => ("one of them not met", "其中一项未达标"),
        _ => ("undecided (affordability unknown)", "待定（普惠属性未知）"),
    }
}

/// Life-circle completeness: the report's section, the project's group, the style classes.
fn completeness_texts(key: Key) -> (&'static str, &'static str) {
    match key {
        Key::CompletenessHeading => (
            "<h2>Life circles: all facilities within reach</h2>\n<p>A home is complete for a tier when it reaches <em>every</em> category of the tier within the tier's threshold (a home with no walk to one category is not); the coverage above judges each category alone. The same figures per unit are in <code>completeness.csv</code>, per home in <code>buildings.geojson</code>.</p>\n",
            "<h2>生活圈完整度：全部设施可达</h2>\n<p>住宅在某一层级的阈值内可达该层级的<em>全部</em>类别设施，即为该生活圈完整（到任一类别无路径的住宅不计）；上文的覆盖按各类别分别计算。各单元数据见 <code>completeness.csv</code>，各住宅见 <code>buildings.geojson</code>。</p>\n",
        ),
        Key::CompletenessLead => (
            "<p class=\"lead\"><b>{0}</b> ({1}, within {2}): {3} of residents and {4} of children under 3 live in homes that reach every category.</p>\n",
            "<p class=\"lead\"><b>{0}</b>（{1}，步行{2}内）：{3} 的常住人口和 {4} 的3岁以下婴幼儿居住在全部设施可达的住宅中。</p>\n",
        ),
        Key::CompletenessHeader => (
            "<table>\n<tr><th>unit</th><th>level</th><th>residents</th><th>all within reach</th><th>children under 3: all within reach</th><th>most often missing</th><th>residents missing it</th></tr>\n",
            "<table>\n<tr><th>单元</th><th>层级</th><th>常住人口</th><th>全部设施可达</th><th>3岁以下婴幼儿全部设施可达</th><th>最常缺少的设施</th><th>缺少该设施的常住人口</th></tr>\n",
        ),
        Key::TierGroup => (
            "{0}: all facilities within reach",
            "{0}：全部设施可达（生活圈完整度）",
        ),
        Key::ClassComplete => ("all facilities within reach", "全部设施可达"),
        Key::ClassIncomplete => ("some facility beyond reach", "部分设施不可达"),
        Key::ClassCompleteAll => (
            "every resident reaches all facilities",
            "全部居民全部设施可达",
        ),
        Key::ClassCompleteSome => (
            "some residents reach all facilities",
            "部分居民全部设施可达",
        ),
        _ => ("no resident reaches all facilities", "无居民全部设施可达"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn placeholders(template: &str) -> Vec<usize> {
        let mut found: Vec<usize> = (0..10)
            .filter(|i| template.contains(&format!("{{{i}}}")))
            .collect();
        found.dedup();
        found
    }

    #[test]
    fn both_languages_take_the_same_arguments() {
        for &key in Key::ALL {
            let (en, zh) = texts(key);
            assert_eq!(placeholders(en), placeholders(zh), "{key:?}");
            assert_ne!(en, zh, "{key:?}");
        }
    }

    #[test]
    fn fill_places_arguments_by_index() {
        assert_eq!(fill("{1} of {0}", &[&"a", &2]), "2 of a");
        assert_eq!(fill("{x} {9} {0", &[&"a"]), "{x} {9} {0");
        assert_eq!(
            Lang::Zh.fill(
                Key::MapTitle,
                &[&"托育", &Lang::Zh.measure(15.0, BandUnit::Minutes), &"town"]
            ),
            "托育：步行15分钟内的住宅 — town"
        );
        assert_eq!(
            Lang::Zh.fill(
                Key::ClassWithin,
                &[&Lang::Zh.measure(300.0, BandUnit::Meters)]
            ),
            "300米以内"
        );
        assert_eq!(
            Lang::En.measures(&[300.0, 500.0], BandUnit::Meters),
            "300, 500 m"
        );
        assert_eq!(
            Lang::Zh.measures(&[5.0, 10.0], BandUnit::Minutes),
            "5、10分钟"
        );
        assert_eq!(
            Lang::En.proposed_site(2, Some("Library")),
            "proposed site 2: Library"
        );
        assert_eq!(Lang::Zh.proposed_site(3, None), "拟建选址 3");
    }

    #[test]
    fn aliases_name_fields_in_chinese_only() {
        assert_eq!(
            Lang::Zh.field_alias("places", "childcare").as_deref(),
            Some("托位")
        );
        assert_eq!(
            Lang::Zh
                .field_alias("childcare_minutes", "childcare")
                .as_deref(),
            Some("托育步行时间（分钟）")
        );
        assert_eq!(Lang::Zh.field_alias("osm_id", "childcare"), Option::None);
        assert_eq!(Lang::En.field_alias("places", "childcare"), Option::None);
        assert_eq!(Lang::Zh.value("childcare"), "托育");
        assert_eq!(Lang::Zh.value("幼儿园"), "幼儿园");
        assert_eq!(Lang::En.value("childcare"), "childcare");
        assert_eq!(
            Lang::Zh
                .tier_field_alias("complete_share_all", "all")
                .as_deref(),
            Some("全部设施可达人口比例（全部类别）")
        );
        assert_eq!(
            Lang::Zh.tier_field_alias("complete_all", "15"),
            Option::None
        );
        assert_eq!(
            Lang::En.tier_field_alias("complete_all", "all"),
            Option::None
        );
        assert_eq!(Lang::from_name("zh"), Ok(Lang::Zh));
        assert!(Lang::from_name("fr").is_err());
    }
}
