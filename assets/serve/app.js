// fifteen serve: the single-page app. Plain ES2020, no framework, no bundler.
// It talks to the HTTP API documented in docs/serve.md and draws with the vendored MapLibre GL.
//
// Hooks for browser tests (WebDriver execute_script / execute_async_script):
//   window.fifteen.ready       Promise: resolves with the first scenario state once the map has
//                              loaded and gone idle; rejects if the start failed.
//   window.fifteen.map         the maplibregl.Map (fifteen.map.project([lon, lat]) gives the pixel
//                              in #map to click).
//   window.fifteen.scenario()  the current scenario state (as the server sent it).
//   window.fifteen.setMode(m)  "inspect" | "add" | "move" | "remove" (same as the radio buttons
//                              #mode-inspect, #mode-add, #mode-move, #mode-remove).
//   document.body.dataset.version  the state's version, set once that state is drawn and the map
//                              is idle again.
//   #headline-share            text "73.9 %", attribute data-covered-residents (raw number).
//   #message                   errors (class "error") and notices (class "info"); hidden when none.
"use strict";

// Every user-visible string lives here, so another language is one more table.
const TEXT = {
  title: "fifteen",
  category: "Category",
  profile: "Profile",
  // Bands are minutes walked or metres walked (GET /api/city's unit): every text naming a
  // band takes the unit.
  threshold: (unit) => (unit === "meters" ? "Distance threshold" : "Time threshold"),
  amount: (v, unit) => (unit === "meters" ? `${v} m` : `${v} min`),
  within: (v, unit) => `≤ ${T.amount(v, unit)}`,
  beyond: "beyond",
  mode_inspect: "Inspect",
  mode_add: "Add",
  mode_move: "Move",
  mode_remove: "Remove",
  capacity: "Capacity",
  affordable: "Affordable",
  type: "Type",
  name: "Name",
  suggest: "Suggest next site",
  save: "Save as…",
  load: "Load…",
  compare: "Compare with…",
  export: "Export",
  add_it: "Add it",
  dismiss: "Dismiss",
  cancel: "Cancel",
  unit_under_cursor: "Under the cursor",
  city_indicators: "City",
  comparison: "Comparison",
  layers: "Layers",
  legend: "Legend",
  headline: (residents, v, unit) => `of ${residents} residents within ${T.amount(v, unit)}`,
  headline_children: (covered, total) => `${covered} of ${total} children covered`,
  server_ms: (ms, v) => `last edit: ${ms} ms on the server · version ${v}`,
  scenario: (name, id) => `scenario “${name}” (${id})`,
  no_unit: "Move the cursor over a district.",
  district: "district",
  subdistrict: "sub-district",
  residents: "Residents",
  children: "Children",
  covered_share: (v, unit) => `Covered within ${T.amount(v, unit)}`,
  facilities: "Facilities",
  places: "Places",
  affordable_share: "Affordable share",
  access_per_child: "Places per child in reach",
  deficit_places: "Missing places",
  covered_target_met: "Coverage target met",
  places_target_met: "Places target met",
  yes: "yes",
  no: "no",
  unknown: "–",
  ask_save_name: "Save the scenario as (letters, digits, - and _):",
  ask_export_name: "Export the full coverage output into a folder named:",
  saved: (files) => `Saved: ${files.join(", ")}`,
  exported: (dir) => `Exported to ${dir}`,
  nothing_saved: "No saved scenarios yet.",
  load_which: "Load which saved scenario?",
  compare_which: "Compare this scenario with:",
  compare_saved: "a saved scenario",
  compare_id: "or an open scenario id",
  compare_go: "Compare",
  compare_clear: "Clear comparison",
  unit: "Unit",
  covered_a: "covered (this)",
  covered_b: "covered (other)",
  delta: "Δ",
  children_delta: "Δ children",
  city: "City",
  gained: "gained",
  lost: "lost",
  suggestion: (g, c, h) => `Next site: +${g} residents, +${c} children (${h} homes)`,
  layer_homes: (unit) => (unit === "meters" ? "Homes by metres walked" : "Homes by minutes walked"),
  layer_gaps: "Gaps (homes not covered)",
  layer_blocks: "Blocks by status",
  layer_areas: "Service areas",
  layer_units: "Districts and sub-districts",
  layer_facilities: "Facilities",
  layer_base: "Streets, buildings, water",
  layer_diff: "Difference",
  layer_suggest: "Suggested site",
  block_status: { covered: "block covered", partly: "block partly covered", uncovered: "block not covered", empty: "block without homes" },
  origin_added: "added",
  origin_moved: "moved",
  other: "other",
  error_prefix: "Error: ",
  network_error: (what) => `The server did not answer (${what}).`,
  need_name: "A name is needed.",
  map_error: (m) => `Map: ${m}`,
};

const TEXT_ZH = {
  ...TEXT,
  title: "15分钟生活圈",
  category: "类别",
  profile: "出行方式",
  threshold: (unit) => (unit === "meters" ? "距离阈值" : "时间阈值"),
  amount: (v, unit) => (unit === "meters" ? `${v} 米` : `${v} 分钟`),
  beyond: "超出",
  mode_inspect: "查看",
  mode_add: "新增",
  mode_move: "移动",
  mode_remove: "撤除",
  capacity: "托位",
  affordable: "普惠",
  type: "类型",
  name: "名称",
  suggest: "建议下一处选址",
  save: "另存为…",
  load: "载入…",
  compare: "比较…",
  export: "导出",
  add_it: "添加",
  dismiss: "关闭",
  cancel: "取消",
  unit_under_cursor: "光标所在单元",
  city_indicators: "全市",
  comparison: "方案比较",
  layers: "图层",
  legend: "图例",
  headline: (residents, v, unit) => `/ ${residents} 位居民 ${T.amount(v, unit)}内可达`,
  headline_children: (covered, total) => `${covered} / ${total} 名儿童覆盖`,
  server_ms: (ms, v) => `上次编辑：服务器 ${ms} 毫秒 · 版本 ${v}`,
  scenario: (name, id) => `方案“${name}”（${id}）`,
  no_unit: "将光标移到区或街道上。",
  district: "区",
  subdistrict: "街道",
  residents: "居民",
  children: "儿童",
  covered_share: (v, unit) => `${T.amount(v, unit)}内覆盖`,
  facilities: "设施",
  places: "托位",
  affordable_share: "普惠比例",
  access_per_child: "每名儿童可达托位",
  deficit_places: "托位缺口",
  covered_target_met: "覆盖目标达成",
  places_target_met: "托位目标达成",
  yes: "是",
  no: "否",
  ask_save_name: "方案另存为（字母、数字、- 和 _）：",
  ask_export_name: "导出全部结果到文件夹：",
  saved: (files) => `已保存：${files.join("、")}`,
  exported: (dir) => `已导出到 ${dir}`,
  nothing_saved: "尚无已保存方案。",
  load_which: "载入哪个方案？",
  compare_which: "与以下方案比较：",
  compare_saved: "已保存方案",
  compare_id: "或打开的方案编号",
  compare_go: "比较",
  compare_clear: "清除比较",
  unit: "单元",
  covered_a: "覆盖（本方案）",
  covered_b: "覆盖（对比）",
  children_delta: "Δ 儿童",
  city: "全市",
  gained: "新增覆盖",
  lost: "失去覆盖",
  suggestion: (g, c, h) => `建议选址：+${g} 居民，+${c} 儿童（${h} 处住宅）`,
  layer_homes: (unit) => (unit === "meters" ? "住宅（按步行米数）" : "住宅（按步行分钟）"),
  layer_gaps: "未覆盖住宅",
  layer_blocks: "街区状态",
  layer_areas: "服务范围",
  layer_units: "区与街道",
  layer_facilities: "设施",
  layer_base: "道路、建筑、水系",
  layer_diff: "差异",
  layer_suggest: "建议选址",
  block_status: { covered: "街区已覆盖", partly: "街区部分覆盖", uncovered: "街区未覆盖", empty: "无住宅街区" },
  origin_added: "新增",
  origin_moved: "已移动",
  other: "其他",
  error_prefix: "错误：",
  network_error: (what) => `服务器无响应（${what}）。`,
  need_name: "需要名称。",
  map_error: (m) => `地图：${m}`,
};

let T = TEXT;

// The run's band unit: "minutes" or "meters" (GET /api/city).
const bandUnit = () => (city && city.unit) || "minutes";
// A text of T: a string, or a function of the band unit (the texts that name it).
const textOf = (key) => (typeof T[key] === "function" ? T[key](bandUnit()) : T[key]);

// ---------------------------------------------------------------------------------------------
// Fixed colours.

const BLOCK_COLOURS = { covered: "#a6d96a", partly: "#fee08b", uncovered: "#f4a582", empty: "#e0e0e0" };
const TYPE_PALETTE = ["#1f78b4", "#e66101", "#6a3d9a", "#b15928", "#33a02c", "#e7298a", "#01665e", "#8c510a"];
const OTHER_COLOUR = "#666666";
const BEYOND_COLOUR = "#bdbdbd";
const DIFF_COLOURS = { gained: "#1a9850", lost: "#d73027" };

// A green-to-orange ramp with one colour per band.
function bandColours(n) {
  const fixed = {
    1: ["#1a9850"],
    2: ["#1a9850", "#fdae61"],
    3: ["#1a9850", "#a6d96a", "#fdae61"],
    4: ["#1a9850", "#a6d96a", "#fee08b", "#fdae61"],
  };
  if (fixed[n]) return fixed[n];
  const out = [];
  for (let i = 0; i < n; i++) {
    const hue = 130 - (100 * i) / Math.max(1, n - 1);
    out.push(`hsl(${hue.toFixed(0)}, 60%, ${(42 + 10 * (i / Math.max(1, n - 1))).toFixed(0)}%)`);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// State.

let city = null;        // GET /api/city
let units = null;       // GET /api/units (FeatureCollection)
let unitIndex = [];     // [{feature, bbox, area}] smallest first, sub-districts before districts
let state = null;       // current scenario state
let compareB = null;    // {id, temporary} of the scenario compared with
let typeColour = {};    // facility type -> colour
let mode = "inspect";
let hoveredUnit = null;
let popup = null;       // the open facility popup, if any
let map = null;
const $ = (id) => document.getElementById(id);

let resolveReady, rejectReady;
const ready = new Promise((resolve, reject) => { resolveReady = resolve; rejectReady = reject; });
ready.catch(() => {});   // a failed start is shown in the message box; a test waiting on ready sees it too

// ---------------------------------------------------------------------------------------------
// Messages and the API.

function showMessage(text, kind) {
  const box = $("message");
  box.className = kind;
  box.textContent = "";
  const close = document.createElement("button");
  close.textContent = "×";
  close.title = T.dismiss;
  close.onclick = () => { box.hidden = true; };
  box.append(close, document.createTextNode(text));
  box.hidden = false;
  box.dataset.kind = kind;
}
function showError(text) {
  console.error("fifteen:", text);
  showMessage(T.error_prefix + text, "error");
}
function showInfo(text) { showMessage(text, "info"); }

class ApiError extends Error {}

let pending = 0;
async function api(method, path, body) {
  const opts = { method, headers: { Accept: "application/json" } };
  if (body !== undefined) {
    opts.headers["Content-Type"] = "application/json";
    opts.body = JSON.stringify(body);
  }
  pending++;
  document.body.classList.add("busy");
  let res, text;
  try {
    res = await fetch(path, opts);
    text = await res.text();
  } catch (e) {
    showError(T.network_error(`${method} ${path}: ${e.message}`));
    throw new ApiError(String(e));
  } finally {
    if (--pending === 0) document.body.classList.remove("busy");
  }
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch (_) { data = null; }
  }
  if (!res.ok) {
    const reason = (data && typeof data.error === "string") ? data.error : (text || res.statusText);
    showError(`${reason} (${res.status}, ${method} ${path})`);
    throw new ApiError(reason);
  }
  return data;
}

// Edits and view changes go one after another, in the order the planner made them.
let queue = Promise.resolve();
function enqueue(task) {
  const run = queue.then(task);
  queue = run.catch(() => {});
  return run;
}
const sid = () => encodeURIComponent(state.id);

// ---------------------------------------------------------------------------------------------
// Formatting.

let numberFormat = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
const fmtInt = (x) => (x === null || x === undefined || Number.isNaN(x)) ? T.unknown : numberFormat.format(Math.round(x));
const fmtNum = (x, d) => (x === null || x === undefined || Number.isNaN(x)) ? T.unknown : Number(x).toFixed(d);
const fmtPct = (x) => (x === null || x === undefined || Number.isNaN(x)) ? T.unknown : `${(100 * x).toFixed(1)} %`;
const fmtBool = (x) => (x === null || x === undefined) ? T.unknown : (x ? T.yes : T.no);
// covered_share is one value per band up to the threshold; the last is the one at the threshold.
const shareAtThreshold = (cs) => Array.isArray(cs) ? (cs.length ? cs[cs.length - 1] : null) : cs;

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

// ---------------------------------------------------------------------------------------------
// Units: point-in-polygon, client side.

function ringContains(ring, x, y) {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i], [xj, yj] = ring[j];
    if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}
function polygonContains(rings, x, y) {
  if (!rings.length || !ringContains(rings[0], x, y)) return false;
  for (let k = 1; k < rings.length; k++) if (ringContains(rings[k], x, y)) return false;
  return true;
}
function polygonsOf(geom) {
  if (!geom) return [];
  if (geom.type === "Polygon") return [geom.coordinates];
  if (geom.type === "MultiPolygon") return geom.coordinates;
  return [];
}
function ringArea(ring) {
  let a = 0;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) a += (ring[j][0] + ring[i][0]) * (ring[j][1] - ring[i][1]);
  return Math.abs(a / 2);
}
function buildUnitIndex(fc) {
  const out = [];
  for (const f of fc.features || []) {
    const polys = polygonsOf(f.geometry);
    if (!polys.length) continue;
    let w = Infinity, s = Infinity, e = -Infinity, n = -Infinity, area = 0;
    for (const p of polys) {
      for (const [x, y] of p[0]) { w = Math.min(w, x); e = Math.max(e, x); s = Math.min(s, y); n = Math.max(n, y); }
      area += ringArea(p[0]);
    }
    const level = (f.properties || {}).level === "district" ? 1 : 0;
    out.push({ feature: f, polys, bbox: [w, s, e, n], area, level });
  }
  out.sort((a, b) => a.level - b.level || a.area - b.area);
  return out;
}
function unitAt(lon, lat) {
  for (const u of unitIndex) {
    const [w, s, e, n] = u.bbox;
    if (lon < w || lon > e || lat < s || lat > n) continue;
    if (u.polys.some((p) => polygonContains(p, lon, lat))) return u.feature;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Map style, built here: no style URL, no glyphs, no sprites.

function tileUrl(path) { return location.origin + path; }

function scenarioTiles(s) {
  // The version in the path makes tiles cacheable; the view in the query keeps a view change
  // from ever showing a cached tile of the previous view.
  const v = s.view || {};
  const q = `?view=${encodeURIComponent(`${v.category}.${v.profile}.${v.threshold}`)}`;
  return [tileUrl(`/tiles/scenario/${encodeURIComponent(s.id)}/${s.version}/{z}/{x}/{y}.mvt${q}`)];
}

function homesColourExpr() {
  const colours = bandColours(city.bands.length);
  const match = ["match", ["to-number", ["get", "band"]]];
  colours.forEach((c, i) => match.push(i, c));
  match.push(BEYOND_COLOUR);
  return ["case", ["has", "band"], match, BEYOND_COLOUR];
}

function facilityColourExpr() {
  const match = ["match", ["coalesce", ["get", "type"], ""]];
  for (const [t, c] of Object.entries(typeColour)) match.push(t, c);
  match.push(OTHER_COLOUR);
  return Object.keys(typeColour).length ? match : OTHER_COLOUR;
}

function areasFilter(thr) {
  return ["any", ["!", ["has", "band"]], ["==", ["to-number", ["get", "band"]], thr]];
}

function buildStyle(first) {
  const empty = { type: "FeatureCollection", features: [] };
  return {
    version: 8,
    sources: {
      base: { type: "vector", tiles: [tileUrl("/tiles/base/{z}/{x}/{y}.mvt")], minzoom: 0, maxzoom: 16 },
      scenario: { type: "vector", tiles: scenarioTiles(first), minzoom: 0, maxzoom: 16 },
      units: { type: "geojson", data: units },
      facilities: { type: "geojson", data: first.facilities || empty },
      diff: { type: "geojson", data: empty },
      suggest: { type: "geojson", data: empty },
    },
    layers: [
      { id: "background", type: "background", paint: { "background-color": "#f2efe9" } },
      { id: "water-fill", type: "fill", source: "base", "source-layer": "water",
        filter: ["==", ["geometry-type"], "Polygon"], paint: { "fill-color": "#aad3df" } },
      { id: "water-line", type: "line", source: "base", "source-layer": "water",
        filter: ["==", ["geometry-type"], "LineString"],
        paint: { "line-color": "#aad3df", "line-width": ["interpolate", ["linear"], ["zoom"], 10, 0.5, 16, 3] } },
      { id: "blocks", type: "fill", source: "scenario", "source-layer": "blocks", maxzoom: 15,
        paint: {
          "fill-color": ["match", ["get", "status"], "covered", BLOCK_COLOURS.covered, "partly", BLOCK_COLOURS.partly,
            "uncovered", BLOCK_COLOURS.uncovered, BLOCK_COLOURS.empty],
          "fill-opacity": ["interpolate", ["linear"], ["zoom"], 10, 0.7, 15, 0.25],
        } },
      { id: "buildings", type: "fill", source: "base", "source-layer": "buildings", minzoom: 13,
        paint: { "fill-color": "#d9d0c9", "fill-outline-color": "#c4b9b0" } },
      { id: "streets", type: "line", source: "base", "source-layer": "streets",
        layout: { "line-cap": "round", "line-join": "round" },
        paint: {
          "line-color": ["match", ["get", "kind"], "major", "#ffffff", "path", "#c8b8a8", "#fcfcfc"],
          "line-width": ["interpolate", ["exponential", 1.6], ["zoom"],
            10, ["match", ["get", "kind"], "major", 1.2, "path", 0.2, 0.5],
            17, ["match", ["get", "kind"], "major", 10, "path", 1.5, 5]],
        } },
      { id: "areas-fill", type: "fill", source: "scenario", "source-layer": "areas",
        filter: areasFilter(first.view.threshold),
        paint: { "fill-color": "#3182bd", "fill-opacity": 0.08 } },
      { id: "areas-line", type: "line", source: "scenario", "source-layer": "areas",
        filter: areasFilter(first.view.threshold),
        paint: { "line-color": "#3182bd", "line-width": 1, "line-opacity": 0.6 } },
      { id: "homes", type: "fill", source: "scenario", "source-layer": "homes", minzoom: 13,
        paint: { "fill-color": homesColourExpr(), "fill-opacity": 0.9 } },
      { id: "gaps", type: "line", source: "scenario", "source-layer": "homes", minzoom: 13,
        // covered is a boolean in the tiles; 0 and "false" are accepted too, should an encoder write those.
        filter: ["any", ["==", ["get", "covered"], false], ["==", ["get", "covered"], 0], ["==", ["get", "covered"], "false"]],
        paint: { "line-color": "#e31a1c", "line-width": ["interpolate", ["linear"], ["zoom"], 13, 0.6, 17, 2] } },
      { id: "units-sub", type: "line", source: "units", filter: ["!=", ["get", "level"], "district"],
        paint: { "line-color": "#6a51a3", "line-width": 1, "line-dasharray": [3, 2] } },
      { id: "units-district", type: "line", source: "units", filter: ["==", ["get", "level"], "district"],
        paint: { "line-color": "#3f007d", "line-width": 2.5 } },
      { id: "unit-hover", type: "line", source: "units", filter: ["==", ["get", "unit_id"], "\u0000"],
        paint: { "line-color": "#ff7f00", "line-width": 3 } },
      { id: "diff", type: "circle", source: "diff", layout: { visibility: "none" },
        paint: {
          "circle-color": ["match", ["get", "change"], "gained", DIFF_COLOURS.gained, "lost", DIFF_COLOURS.lost, "#888"],
          "circle-radius": ["interpolate", ["linear"], ["zoom"], 11, 1.5, 17, 5],
          "circle-opacity": 0.85,
        } },
      { id: "suggest-homes", type: "circle", source: "suggest", filter: ["!=", ["get", "_role"], "site"],
        paint: { "circle-color": "#ffd400", "circle-radius": ["interpolate", ["linear"], ["zoom"], 11, 2, 17, 6],
          "circle-stroke-color": "#7a6400", "circle-stroke-width": 0.5 } },
      { id: "facilities", type: "circle", source: "facilities",
        paint: {
          "circle-color": facilityColourExpr(),
          "circle-radius": ["interpolate", ["linear"], ["zoom"], 10, ["match", ["get", "origin"], "base", 3, 5],
            16, ["match", ["get", "origin"], "base", 7, 10]],
          "circle-stroke-color": ["match", ["get", "origin"], "added", "#000000", "moved", "#ff00ff", "#ffffff"],
          "circle-stroke-width": ["match", ["get", "origin"], "base", 1.5, 3],
        } },
      { id: "suggest-site", type: "circle", source: "suggest", filter: ["==", ["get", "_role"], "site"],
        paint: { "circle-color": "#ffd400", "circle-radius": 10, "circle-stroke-color": "#000", "circle-stroke-width": 3 } },
    ],
  };
}

const LAYER_GROUPS = [
  ["layer_homes", ["homes"], true],
  ["layer_gaps", ["gaps"], true],
  ["layer_blocks", ["blocks"], true],
  ["layer_areas", ["areas-fill", "areas-line"], true],
  ["layer_units", ["units-sub", "units-district", "unit-hover"], true],
  ["layer_facilities", ["facilities"], true],
  ["layer_suggest", ["suggest-homes", "suggest-site"], true],
  ["layer_diff", ["diff"], false],
  ["layer_base", ["water-fill", "water-line", "buildings", "streets"], true],
];

function setGroupVisible(layers, on) {
  for (const id of layers) if (map.getLayer(id)) map.setLayoutProperty(id, "visibility", on ? "visible" : "none");
}

function buildLayerToggles() {
  const box = $("layer-toggles");
  box.textContent = "";
  for (const [key, layers, on] of LAYER_GROUPS) {
    const cb = el("input", { type: "checkbox", id: `toggle-${layers[0]}` });
    cb.checked = on;
    cb.addEventListener("change", () => setGroupVisible(layers, cb.checked));
    box.append(el("label", {}, cb, " ", textOf(key)));
  }
}

function buildLegend() {
  const box = $("legend");
  box.textContent = "";
  const colours = bandColours(city.bands.length);
  city.bands.forEach((b, i) => box.append(el("div", {}, el("span", { class: "swatch", style: `background:${colours[i]}` }), T.within(b, bandUnit()))));
  box.append(el("div", {}, el("span", { class: "swatch", style: `background:${BEYOND_COLOUR}` }), T.beyond));
  box.append(el("div", {}, el("span", { class: "swatch", style: "background:transparent;border:2px solid #e31a1c" }), textOf("layer_gaps")));
  for (const [k, c] of Object.entries(BLOCK_COLOURS)) box.append(el("div", {}, el("span", { class: "swatch", style: `background:${c}` }), T.block_status[k]));
  for (const [t, c] of Object.entries(typeColour)) box.append(el("div", {}, el("span", { class: "swatch dot", style: `background:${c}` }), t));
  box.append(el("div", {}, el("span", { class: "swatch dot", style: `background:${OTHER_COLOUR}` }), T.other));
  box.append(el("div", {}, el("span", { class: "swatch dot", style: "background:#fff;border:3px solid #000" }), T.origin_added));
  box.append(el("div", {}, el("span", { class: "swatch dot", style: "background:#fff;border:3px solid #ff00ff" }), T.origin_moved));
  box.append(el("div", {}, el("span", { class: "swatch dot", style: `background:${DIFF_COLOURS.gained}` }), T.gained));
  box.append(el("div", {}, el("span", { class: "swatch dot", style: `background:${DIFF_COLOURS.lost}` }), T.lost));
}

// ---------------------------------------------------------------------------------------------
// Panel.

function indicatorTable(ind, thr) {
  const rows = [
    [T.residents, fmtInt(ind.residents)],
    [T.children, fmtInt(ind.children)],
    [T.covered_share(thr, bandUnit()), fmtPct(shareAtThreshold(ind.covered_share))],
    [T.facilities, fmtInt(ind.facilities)],
    [T.places, fmtInt(ind.places)],
    [T.affordable_share, fmtPct(ind.affordable_share)],
    [T.access_per_child, fmtNum(ind.access_per_child, 2)],
    [T.deficit_places, fmtInt(ind.deficit_places)],
    [T.covered_target_met, fmtBool(ind.covered_target_met)],
    [T.places_target_met, fmtBool(ind.places_target_met)],
  ];
  const t = el("table", { class: "ind" });
  for (const [k, v] of rows) t.append(el("tr", {}, el("td", {}, k), el("td", {}, v)));
  return t;
}

function renderHeadline() {
  const h = state.headline || {};
  const share = $("headline-share");
  share.textContent = fmtPct(h.covered_share);
  share.dataset.coveredResidents = String(h.covered_residents);
  share.dataset.residents = String(h.residents);
  share.dataset.coveredShare = String(h.covered_share);
  $("headline-text").textContent = T.headline(fmtInt(h.residents), state.view.threshold, bandUnit());
  $("headline-children").textContent = T.headline_children(fmtInt(h.covered_children), fmtInt(h.children));
  $("server-ms").textContent = T.server_ms(fmtNum(state.server_ms, 1), state.version);
  $("scenario-name").textContent = T.scenario(state.name, state.id);
}

function renderCity() {
  const box = $("city-info");
  box.textContent = "";
  const ind = state.indicators && state.indicators.city;
  if (ind) box.append(indicatorTable(ind, state.view.threshold));
}

function renderUnit() {
  const box = $("unit-info");
  box.textContent = "";
  if (!hoveredUnit) { box.className = "muted"; box.textContent = T.no_unit; return; }
  box.className = "";
  const p = hoveredUnit.properties || {};
  const level = p.level === "district" ? T.district : T.subdistrict;
  box.append(el("div", {}, el("b", {}, p.name || p.unit_id), ` (${level})`));
  const ind = state && state.indicators && state.indicators.units && state.indicators.units[p.unit_id];
  if (ind) box.append(indicatorTable(ind, state.view.threshold));
  else box.append(el("div", { class: "muted" }, T.unknown));
}

function renderViewControls() {
  $("sel-category").value = state.view.category;
  $("sel-profile").value = state.view.profile;
  $("sel-threshold").value = String(state.view.threshold);
}

function fillSelect(sel, values, label) {
  sel.textContent = "";
  for (const v of values) sel.append(el("option", { value: String(v) }, label ? label(v) : v));
}

// ---------------------------------------------------------------------------------------------
// Applying a new scenario state.

// Resolves once the map is idle with the new scenario tiles drawn. `idle` alone can come
// before the tiles of a new URL start loading (the screenshot then showed the old state), so
// it waits for the scenario source to start loading first; a state whose tiles all come from
// the cache gives up waiting for that after a few seconds.
function waitIdle(tilesChanged) {
  return new Promise((resolve) => {
    let loading = !tilesChanged;
    const onLoading = (e) => { if (e.sourceId === "scenario") loading = true; };
    const check = () => {
      if (!loading || !map.isSourceLoaded("scenario") || !map.areTilesLoaded()) return;
      map.off("sourcedataloading", onLoading);
      map.off("idle", check);
      resolve();
    };
    map.on("sourcedataloading", onLoading);
    map.on("idle", check);
    setTimeout(() => { loading = true; check(); }, 3000);
    map.triggerRepaint();
  });
}

let stateSerial = 0;
function applyState(s) {
  const old = state;
  state = s;
  const serial = ++stateSerial;
  if (popup) { popup.remove(); popup = null; }
  renderHeadline();
  renderCity();
  renderUnit();
  renderViewControls();
  if (map && map.getSource("facilities")) {
    map.getSource("facilities").setData(s.facilities || { type: "FeatureCollection", features: [] });
    const tiles = scenarioTiles(s);
    const tilesChanged = !old || old.id !== s.id || old.version !== s.version || scenarioTiles(old)[0] !== tiles[0];
    if (tilesChanged) map.getSource("scenario").setTiles(tiles);
    for (const id of ["areas-fill", "areas-line"]) map.setFilter(id, areasFilter(s.view.threshold));
    waitIdle(tilesChanged).then(() => {
      if (serial === stateSerial) document.body.dataset.version = String(s.version);
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Actions.

function addDefaults() {
  const body = { category: state.view.category };
  const cap = $("in-capacity").value.trim();
  if (cap !== "") body.capacity = Number(cap);
  body.affordable = $("in-affordable").checked;
  const type = $("in-type").value.trim();
  if (type) body.type = type;
  const name = $("in-name").value.trim();
  if (name) body.name = name;
  return body;
}

function edit(body) {
  return enqueue(async () => {
    const s = await api("POST", `/api/scenarios/${sid()}/edits`, body);
    applyState(s);
    if (compareB) refreshCompare().catch(() => {});
    return s;
  });
}

function addAt(lon, lat, extra) {
  return edit({ op: "add", ...addDefaults(), ...(extra || {}), lon, lat });
}

function setView(part) {
  return enqueue(async () => {
    const s = await api("PUT", `/api/scenarios/${sid()}/view`, part);
    applyState(s);
    if (compareB) refreshCompare().catch(() => {});
    return s;
  }).catch(() => renderViewControls());
}

function setMode(m) {
  mode = m;
  for (const x of ["inspect", "add", "move", "remove"]) document.body.classList.toggle(`mode-${x}`, x === m);
  const radio = $(`mode-${m}`);
  if (radio) radio.checked = true;
}

function clearSuggestion() {
  $("suggestion").hidden = true;
  $("suggestion").textContent = "";
  map.getSource("suggest").setData({ type: "FeatureCollection", features: [] });
}

async function suggest() {
  let sg;
  try { sg = await enqueue(() => api("POST", `/api/scenarios/${sid()}/suggest`, {})); } catch (_) { return; }
  const homes = (sg.homes_geojson && sg.homes_geojson.features) || [];
  const site = { type: "Feature", geometry: { type: "Point", coordinates: [sg.lon, sg.lat] }, properties: { _role: "site" } };
  map.getSource("suggest").setData({ type: "FeatureCollection", features: [...homes, site] });
  const box = $("suggestion");
  box.textContent = "";
  box.append(
    el("div", {}, T.suggestion(fmtInt(sg.gain_residents), fmtInt(sg.gain_children), fmtInt(sg.homes))),
    el("button", { id: "btn-add-suggested", onclick: () => {
      addAt(sg.lon, sg.lat).then(clearSuggestion, () => {});
    } }, T.add_it),
    el("button", { onclick: clearSuggestion }, T.dismiss),
  );
  box.hidden = false;
  box.dataset.lon = String(sg.lon);
  box.dataset.lat = String(sg.lat);
  map.easeTo({ center: [sg.lon, sg.lat], zoom: Math.max(map.getZoom(), 14) });
}

async function saveAs() {
  const name = prompt(T.ask_save_name, state.name && /^[A-Za-z0-9_-]{1,64}$/.test(state.name) ? state.name : "");
  if (name === null) return;
  if (!name.trim()) { showError(T.need_name); return; }
  try {
    const r = await enqueue(() => api("POST", `/api/scenarios/${sid()}/save`, { name: name.trim() }));
    showInfo(T.saved(r.files || []));
  } catch (_) { /* shown */ }
}

async function exportIt() {
  const name = prompt(T.ask_export_name, "");
  if (name === null) return;
  if (!name.trim()) { showError(T.need_name); return; }
  try {
    const r = await enqueue(() => api("POST", `/api/scenarios/${sid()}/export`, { name: name.trim() }));
    showInfo(T.exported(r.dir));
  } catch (_) { /* shown */ }
}

function chooser(title, build) {
  const box = $("chooser");
  box.textContent = "";
  box.append(el("div", {}, title));
  build(box);
  box.append(el("button", { onclick: () => { box.hidden = true; } }, T.cancel));
  box.hidden = false;
}

async function loadDialog() {
  let r;
  try { r = await api("GET", "/api/saved"); } catch (_) { return; }
  const names = r.names || [];
  if (!names.length) { showInfo(T.nothing_saved); return; }
  chooser(T.load_which, (box) => {
    for (const n of names) {
      box.append(el("button", { "data-name": n, onclick: async () => {
        box.hidden = true;
        try {
          const s = await enqueue(() => api("POST", `/api/scenarios/${sid()}/load`, { name: n }));
          applyState(s);
        } catch (_) { /* shown */ }
      } }, n));
    }
  });
}

async function compareDialog() {
  let names = [];
  try { names = (await api("GET", "/api/saved")).names || []; } catch (_) { /* shown; an id still works */ }
  chooser(T.compare_which, (box) => {
    const sel = el("select", { id: "compare-saved" });
    sel.append(el("option", { value: "" }, "—"));
    for (const n of names) sel.append(el("option", { value: n }, n));
    const idIn = el("input", { id: "compare-id", size: "8" });
    box.append(el("label", {}, T.compare_saved, " ", sel), el("label", {}, T.compare_id, " ", idIn));
    box.append(el("button", { id: "compare-go", onclick: async () => {
      const name = sel.value, id = idIn.value.trim();
      if (!name && !id) { showError(T.need_name); return; }
      box.hidden = true;
      await startCompare(name ? { saved: name } : { id });
    } }, T.compare_go));
  });
}

async function dropCompareB() {
  if (compareB && compareB.temporary) {
    const id = compareB.id;
    api("DELETE", `/api/scenarios/${encodeURIComponent(id)}`).catch(() => {});
  }
  compareB = null;
}

async function startCompare(what) {
  await dropCompareB();
  try {
    if (what.saved) {
      const b = await api("POST", "/api/scenarios", { name: what.saved });
      compareB = { id: b.id, temporary: true };
      await api("POST", `/api/scenarios/${encodeURIComponent(b.id)}/load`, { name: what.saved });
      // Compare like with like: the other scenario takes this one's view.
      await api("PUT", `/api/scenarios/${encodeURIComponent(b.id)}/view`, state.view);
    } else {
      compareB = { id: what.id, temporary: false };
    }
    await refreshCompare();
  } catch (_) { /* shown */ }
}

async function refreshCompare() {
  if (!compareB) return;
  if (compareB.temporary) await api("PUT", `/api/scenarios/${encodeURIComponent(compareB.id)}/view`, state.view);
  const r = await api("GET", `/api/compare?a=${sid()}&b=${encodeURIComponent(compareB.id)}`);
  renderCompare(r);
}

function renderCompare(r) {
  const box = $("compare-info");
  box.textContent = "";
  const t = el("table", { class: "cmp", id: "compare-table" });
  t.append(el("tr", {}, el("th", {}, T.unit), el("th", {}, T.covered_a), el("th", {}, T.covered_b), el("th", {}, T.delta), el("th", {}, T.children_delta)));
  const row = (u, label) => {
    const d = (u.covered_residents_b ?? 0) - (u.covered_residents_a ?? 0);
    const dc = (u.covered_children_b ?? 0) - (u.covered_children_a ?? 0);
    const cls = (x) => (x > 0 ? "gain" : x < 0 ? "loss" : "");
    const sign = (x) => (x > 0 ? "+" : "") + fmtInt(x);
    return el("tr", { "data-unit": u.unit_id || "" }, el("td", {}, label), el("td", {}, fmtInt(u.covered_residents_a)), el("td", {}, fmtInt(u.covered_residents_b)),
      el("td", { class: cls(d) }, sign(d)), el("td", { class: cls(dc) }, sign(dc)));
  };
  if (r.city) t.append(row(r.city, T.city));
  for (const u of r.units || []) t.append(row(u, u.name || u.unit_id));
  box.append(t, el("button", { onclick: clearCompare }, T.compare_clear));
  $("compare-box").hidden = false;
  map.getSource("diff").setData(r.diff || { type: "FeatureCollection", features: [] });
  setGroupVisible(["diff"], true);
  const cb = $("toggle-diff");
  if (cb) cb.checked = true;
}

function clearCompare() {
  dropCompareB();
  $("compare-box").hidden = true;
  map.getSource("diff").setData({ type: "FeatureCollection", features: [] });
}

// ---------------------------------------------------------------------------------------------
// Map interaction: click to add or remove, drag to move, hover for the unit.

function facilityAt(point) {
  const pad = 4;
  const feats = map.queryRenderedFeatures([[point.x - pad, point.y - pad], [point.x + pad, point.y + pad]], { layers: ["facilities"] });
  return feats.length ? feats[0] : null;
}

function installInteraction() {
  let drag = null;   // {id, start: point, moved: bool}

  map.on("mousedown", "facilities", (e) => {
    if (mode !== "move" && mode !== "inspect") return;
    const f = e.features && e.features[0];
    if (!f) return;
    e.preventDefault();   // keeps the map from panning
    drag = { id: f.properties.id, start: e.point, moved: false, feature: f };
    map.dragPan.disable();
    document.body.classList.add("dragging");
  });

  map.on("mousemove", (e) => {
    if (drag) {
      if (Math.abs(e.point.x - drag.start.x) + Math.abs(e.point.y - drag.start.y) > 3) drag.moved = true;
      if (drag.moved) {
        // Show the facility where the cursor is while dragging.
        const fc = JSON.parse(JSON.stringify(state.facilities));
        for (const f of fc.features) if (f.properties.id === drag.id) f.geometry.coordinates = [e.lngLat.lng, e.lngLat.lat];
        map.getSource("facilities").setData(fc);
      }
      return;
    }
    scheduleHover(e.lngLat);
  });

  const endDrag = (e) => {
    if (!drag) return;
    const d = drag;
    drag = null;
    map.dragPan.enable();
    document.body.classList.remove("dragging");
    if (d.moved && e && e.lngLat) {
      edit({ op: "move", id: d.id, lon: e.lngLat.lng, lat: e.lngLat.lat })
        .catch(() => map.getSource("facilities").setData(state.facilities));
    }
    // A drag ends in a mouseup that may also fire a click: that click is not an add or remove.
    if (d.moved) suppressClickUntil = performance.now() + 300;
  };
  let suppressClickUntil = 0;
  map.on("mouseup", endDrag);
  map.getCanvas().addEventListener("mouseleave", () => {
    if (drag) { drag = null; map.dragPan.enable(); document.body.classList.remove("dragging"); map.getSource("facilities").setData(state.facilities); }
  });

  map.on("click", (e) => {
    if (performance.now() < suppressClickUntil) return;
    if (mode === "add") {
      addAt(e.lngLat.lng, e.lngLat.lat).catch(() => {});
    } else if (mode === "remove") {
      const f = facilityAt(e.point);
      if (f) edit({ op: "remove", id: f.properties.id }).catch(() => {});
    } else {
      const f = facilityAt(e.point);
      if (f) showFacilityPopup(f, e.lngLat);
    }
  });

  document.addEventListener("keydown", (e) => {
    if (e.key !== "Escape") return;
    if (drag) { drag = null; map.dragPan.enable(); document.body.classList.remove("dragging"); map.getSource("facilities").setData(state.facilities); }
    setMode("inspect");
  });

  map.on("mouseenter", "facilities", () => { if (mode !== "add") map.getCanvas().style.cursor = mode === "remove" ? "pointer" : "grab"; });
  map.on("mouseleave", "facilities", () => { map.getCanvas().style.cursor = ""; });
}

function showFacilityPopup(f, lngLat) {
  const p = f.properties || {};
  // MapLibre hands properties of GeoJSON features back as they were; null stays null.
  const t = el("table", { class: "ind" });
  const row = (k, v) => t.append(el("tr", {}, el("td", {}, k), el("td", {}, v)));
  row(T.name, p.name ?? T.unknown);
  row(T.type, p.type ?? T.unknown);
  row(T.category, p.category ?? T.unknown);
  row(T.capacity, p.capacity === null || p.capacity === undefined ? T.unknown : fmtInt(Number(p.capacity)));
  row(T.affordable, fmtBool(p.affordable === null || p.affordable === undefined ? null : p.affordable === true || p.affordable === "true"));
  if (p.origin === "added") row("", T.origin_added);
  if (p.origin === "moved") row("", T.origin_moved);
  const box = el("div", { class: "facility-popup", "data-id": String(p.id) }, el("div", { class: "small muted" }, String(p.id)), t);
  if (popup) popup.remove();
  popup = new maplibregl.Popup({ closeButton: true, maxWidth: "240px" }).setLngLat(lngLat).setDOMContent(box).addTo(map);
}

let hoverPending = null;
function scheduleHover(lngLat) {
  const first = hoverPending === null;
  hoverPending = lngLat;
  if (!first) return;
  requestAnimationFrame(() => {
    const ll = hoverPending;
    hoverPending = null;
    const u = unitAt(ll.lng, ll.lat);
    const id = u ? u.properties.unit_id : null;
    const old = hoveredUnit ? hoveredUnit.properties.unit_id : null;
    if (id === old) return;
    hoveredUnit = u;
    map.setFilter("unit-hover", ["==", ["get", "unit_id"], id === null ? "\u0000" : id]);
    renderUnit();
  });
}

// ---------------------------------------------------------------------------------------------
// Start.

function applyTexts() {
  document.title = city && city.name ? `${T.title} · ${city.name}` : T.title;
  for (const node of document.querySelectorAll("[data-t]")) {
    const v = textOf(node.dataset.t);
    if (typeof v === "string") node.textContent = v;
  }
}

function wireControls() {
  $("sel-category").addEventListener("change", (e) => setView({ category: e.target.value }));
  $("sel-profile").addEventListener("change", (e) => setView({ profile: e.target.value }));
  $("sel-threshold").addEventListener("change", (e) => setView({ threshold: Number(e.target.value) }));
  for (const r of document.querySelectorAll("input[name=mode]")) r.addEventListener("change", () => { if (r.checked) setMode(r.value); });
  $("btn-suggest").addEventListener("click", () => suggest());
  $("btn-save").addEventListener("click", () => saveAs());
  $("btn-load").addEventListener("click", () => loadDialog());
  $("btn-compare").addEventListener("click", () => compareDialog());
  $("btn-export").addEventListener("click", () => exportIt());
}

async function main() {
  city = await api("GET", "/api/city");
  if (city.lang === "zh") {
    T = TEXT_ZH;
    numberFormat = new Intl.NumberFormat("zh-CN", { maximumFractionDigits: 0 });
    document.documentElement.lang = "zh";
  }
  applyTexts();
  $("city-name").textContent = city.name || T.title;
  [...new Set((city.facility_types || []).filter((t) => typeof t === "string" && t))]
    .slice(0, TYPE_PALETTE.length).forEach((t, i) => { typeColour[t] = TYPE_PALETTE[i]; });
  fillSelect($("sel-category"), city.categories || []);
  fillSelect($("sel-profile"), city.profiles || []);
  fillSelect($("sel-threshold"), city.bands || [], (b) => T.amount(b, bandUnit()));
  const dl = $("facility-types");
  for (const t of city.facility_types || []) dl.append(el("option", { value: t }));
  if ((city.facility_types || []).length) $("in-type").value = city.facility_types[0];
  wireControls();
  setMode("inspect");

  const [u, first] = await Promise.all([
    api("GET", "/api/units").catch(() => ({ type: "FeatureCollection", features: [] })),
    api("POST", "/api/scenarios", {}),
  ]);
  units = u && u.type === "FeatureCollection" ? u : { type: "FeatureCollection", features: [] };
  unitIndex = buildUnitIndex(units);
  state = first;
  renderHeadline();
  renderCity();
  renderUnit();
  renderViewControls();

  const [w, s, e, n] = city.bounds;
  map = new maplibregl.Map({
    container: "map",
    style: buildStyle(first),
    bounds: [[w, s], [e, n]],
    fitBoundsOptions: { padding: 20 },
    minZoom: 6,
    maxZoom: 20,
    attributionControl: false,
    dragRotate: false,
    pitchWithRotate: false,
  });
  map.touchZoomRotate.disableRotation();
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-left");
  map.addControl(new maplibregl.ScaleControl({ unit: "metric" }), "bottom-left");
  window.fifteen.map = map;

  let mapErrors = 0;
  map.on("error", (e) => {
    const msg = (e && e.error && e.error.message) || String(e);
    console.error("fifteen map error:", msg);
    if (mapErrors++ < 3) showError(T.map_error(msg));
  });

  buildLayerToggles();
  buildLegend();
  installInteraction();

  map.once("load", () => {
    map.once("idle", () => {
      document.body.dataset.version = String(state.version);
      document.body.dataset.ready = "1";
      resolveReady(state);
    });
  });

  window.addEventListener("pagehide", () => {
    // Each tab's scenarios live on the server; give them back when the tab goes.
    const ids = [state && state.id, compareB && compareB.temporary ? compareB.id : null].filter(Boolean);
    for (const id of ids) fetch(`/api/scenarios/${encodeURIComponent(id)}`, { method: "DELETE", keepalive: true }).catch(() => {});
  });
  window.addEventListener("pageshow", (e) => { if (e.persisted) location.reload(); });
}

// Hooks for tests and scripts (WebDriver waits on fifteen.ready).
window.fifteen = {
  map: null,
  scenario: () => state,
  city: () => city,
  ready,
  setMode,
  edit,              // fifteen.edit({op: "add", lon, lat, ...}) -> Promise of the new state
  addAt,             // fifteen.addAt(lon, lat) with the panel's defaults
  idle: () => waitIdle(),
  text: () => T,
};

main().catch((e) => {
  if (!(e instanceof ApiError)) showError(String(e && e.message ? e.message : e));
  console.error("fifteen: start failed", e);
  rejectReady(e);
});
