//! The HTTP API of `fifteen serve` (axum on tokio): routes, request checks and errors.
//!
//! Every answer that is not a tile, a page asset or a success is `{"error": REASON}` with a
//! 4xx status (5xx only for a failure of the server itself). Bodies are bounded
//! ([`BODY_MAX_BYTES`]), scenario and saved names are names, never paths, and the CPU work
//! of a request runs on the blocking pool, so no request holds up the server's network
//! threads (the searches share the machine's cores: an export slows edits while it runs).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequest, Path as UrlPath, Query, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use serde::Deserialize;
use serde_json::{Value, json};

use super::assets;
use super::engine::Engine;
use super::layers::TileSets;
use super::scenario::{Edit, EditError, Scenario};
use super::store;
use super::tiles::MAX_ZOOM;
use super::views;

/// Largest request body accepted, bytes.
pub const BODY_MAX_BYTES: usize = 64 * 1024;
/// Scenarios kept at once; opening one more closes the least recently used.
pub const SCENARIOS_MAX: usize = 64;

/// An open scenario and when a request last used it.
type OpenScenario = (Arc<Mutex<Scenario>>, Instant);

/// What every request shares.
pub struct AppState {
    /// The prepared city.
    pub engine: Arc<Engine>,
    /// Base map and home/block layers, indexed once.
    pub tiles: Arc<TileSets>,
    /// Where saved scenarios and exports go.
    pub out_dir: PathBuf,
    /// The `Host` values a request may name (`None`: any, when listening beyond loopback).
    hosts: Option<Vec<String>>,
    /// Prefix of this start's scenario ids, so a browser never shows a cached tile of an
    /// earlier server's scenario of the same number.
    start: String,
    scenarios: Mutex<HashMap<String, OpenScenario>>,
    next_id: AtomicU64,
    /// Held while saving (two saves of one name must not interleave).
    saving: Mutex<()>,
    /// Held while exporting (one whole `coverage` output set at a time).
    exporting: Mutex<()>,
}

impl AppState {
    /// State for a server on `engine` listening on `addr`, writing into `out_dir`.
    pub fn new(
        engine: Arc<Engine>,
        tiles: Arc<TileSets>,
        out_dir: PathBuf,
        addr: SocketAddr,
    ) -> Self {
        let port = addr.port();
        let hosts = addr.ip().is_loopback().then(|| {
            vec![
                addr.to_string(),
                format!("localhost:{port}"),
                format!("127.0.0.1:{port}"),
                format!("[::1]:{port}"),
            ]
        });
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos() ^ d.as_secs() as u32);
        AppState {
            engine,
            tiles,
            out_dir,
            hosts,
            start: format!("{nanos:08x}"),
            scenarios: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(1),
            saving: Mutex::new(()),
            exporting: Mutex::new(()),
        }
    }

    fn scenario(&self, id: &str) -> Result<Arc<Mutex<Scenario>>, ApiError> {
        let mut open = self.scenarios.lock().expect("no panic while listing");
        let (scenario, used) = open
            .get_mut(id)
            .ok_or_else(|| ApiError::not_found(format!("no open scenario {id:?}")))?;
        *used = Instant::now();
        Ok(Arc::clone(scenario))
    }

    fn open(&self, scenario: Scenario) -> Arc<Mutex<Scenario>> {
        let id = scenario.id.clone();
        let scenario = Arc::new(Mutex::new(scenario));
        let mut open = self.scenarios.lock().expect("no panic while listing");
        if open.len() >= SCENARIOS_MAX {
            let oldest = (open.iter().min_by_key(|(_, (_, used))| *used))
                .map(|(id, _)| id.clone())
                .expect("full, so not empty");
            open.remove(&oldest);
        }
        open.insert(id, (Arc::clone(&scenario), Instant::now()));
        scenario
    }
}

/// A refused request: its status and reason.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    reason: String,
}

impl ApiError {
    fn with(status: StatusCode, reason: impl Into<String>) -> Self {
        ApiError {
            status,
            reason: reason.into(),
        }
    }
    fn bad(reason: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            reason: reason.into(),
        }
    }
    fn not_found(reason: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::NOT_FOUND,
            reason: reason.into(),
        }
    }
    fn internal(reason: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            reason: reason.into(),
        }
    }
}

impl From<EditError> for ApiError {
    fn from(e: EditError) -> Self {
        let status = match e {
            EditError::NotFound(_) => StatusCode::NOT_FOUND,
            EditError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
        };
        ApiError {
            status,
            reason: e.to_string(),
        }
    }
}

impl From<crate::Error> for ApiError {
    fn from(e: crate::Error) -> Self {
        match e {
            crate::Error::Data { .. } | crate::Error::Usage(_) => ApiError {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                reason: e.to_string(),
            },
            _ => ApiError::internal(e.to_string()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, axum::Json(json!({"error": self.reason}))).into_response()
    }
}

type Shared = State<Arc<AppState>>;
type ApiResult = Result<Response, ApiError>;

/// The router of every page, tile and API route.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/", get(page))
        .route("/assets/{file}", get(asset))
        .route("/api/city", get(city))
        .route("/api/units", get(units))
        .route("/api/saved", get(saved))
        .route("/api/compare", get(compare))
        .route("/api/scenarios", post(create))
        .route("/api/scenarios/{id}", get(read).delete(close))
        .route("/api/scenarios/{id}/edits", post(edit))
        .route("/api/scenarios/{id}/view", put(view))
        .route("/api/scenarios/{id}/suggest", post(suggest))
        .route("/api/scenarios/{id}/save", post(save))
        .route("/api/scenarios/{id}/load", post(load))
        .route("/api/scenarios/{id}/export", post(export))
        .route("/tiles/base/{z}/{x}/{y}", get(base_tile))
        .route(
            "/tiles/scenario/{id}/{version}/{z}/{x}/{y}",
            get(scenario_tile),
        )
        .fallback(|| async { ApiError::not_found("no such route (see docs/serve.md)") })
        .layer(DefaultBodyLimit::max(BODY_MAX_BYTES))
        .layer(middleware::from_fn_with_state(Arc::clone(&state), guard))
        .with_state(state)
}

/// Refuses what a page of another site could send: a `Host` other than this server's
/// loopback names (DNS rebinding), and a POST or PUT that is not JSON (a cross-site form
/// needs no preflight); then answers `{"error"}` for axum's own refusals too (405, a path or
/// query it cannot decode).
async fn guard(State(app): Shared, request: Request, next: Next) -> Response {
    if let Some(hosts) = &app.hosts {
        let host = (request.headers().get(header::HOST))
            .and_then(|h| h.to_str().ok())
            .unwrap_or("");
        if !hosts.iter().any(|h| h == host) {
            let reason = format!(
                "host {host:?} is not this server's: open http://{}/",
                hosts[0]
            );
            return ApiError::with(StatusCode::FORBIDDEN, reason).into_response();
        }
    }
    if matches!(*request.method(), Method::POST | Method::PUT) {
        let json = (request.headers().get(header::CONTENT_TYPE))
            .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
        if !json {
            let reason = "send the request body as Content-Type: application/json";
            return ApiError::with(StatusCode::UNSUPPORTED_MEDIA_TYPE, reason).into_response();
        }
    }
    as_json_error(next.run(request).await).await
}

/// An error answer that is not JSON (axum's own) as `{"error": its text}`.
async fn as_json_error(response: Response) -> Response {
    let status = response.status();
    let json = (response.headers().get(header::CONTENT_TYPE))
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if json || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let body = axum::body::to_bytes(response.into_body(), BODY_MAX_BYTES)
        .await
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&body).trim().to_string();
    let reason = match text.is_empty() {
        true => status.canonical_reason().unwrap_or("refused").to_string(),
        false => text,
    };
    ApiError::with(status, reason).into_response()
}

/// A request's JSON body as `T` (an empty body reads as `{}`); refused with a 400 naming what
/// is wrong, or a 413 over [`BODY_MAX_BYTES`].
struct Body<T>(T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|r| ApiError::with(r.status(), format!("request body: {}", r.body_text())))?;
        let text: &[u8] = if bytes.is_empty() { b"{}" } else { &bytes };
        serde_json::from_slice(text)
            .map(Body)
            .map_err(|e| ApiError::bad(format!("request body: {e}")))
    }
}

/// Runs CPU work on the blocking pool.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| ApiError::internal(format!("the request's work failed: {e}")))?
}

/// A JSON answer with its engine time in `Server-Timing`.
fn timed_json(value: Value, started: Instant) -> Response {
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    let mut response = axum::Json(value).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("engine;dur={ms:.2}")) {
        response.headers_mut().insert("server-timing", v);
    }
    response
}

async fn page() -> Response {
    asset_response("index.html")
}

async fn asset(UrlPath(file): UrlPath<String>) -> Response {
    asset_response(&file)
}

fn asset_response(file: &str) -> Response {
    match assets::asset(file) {
        Some((bytes, mime)) => ([(header::CONTENT_TYPE, mime)], bytes).into_response(),
        None => ApiError::not_found(format!("no asset {file:?}")).into_response(),
    }
}

async fn city(State(app): Shared) -> Response {
    axum::Json(views::city(&app.engine)).into_response()
}

async fn units(State(app): Shared) -> Response {
    axum::Json(views::units(&app.engine)).into_response()
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct NameBody {
    name: Option<String>,
}

async fn create(State(app): Shared, Body(NameBody { name }): Body<NameBody>) -> ApiResult {
    let started = Instant::now();
    blocking(move || {
        let n = app.next_id.fetch_add(1, Ordering::Relaxed);
        let name = name.unwrap_or_else(|| format!("scenario {n}"));
        let scenario = Scenario::new(&app.engine, format!("{}-{n}", app.start), name);
        let value = views::state(&app.engine, &scenario);
        app.open(scenario);
        Ok(timed_json(value, started))
    })
    .await
}

async fn read(State(app): Shared, UrlPath(id): UrlPath<String>) -> ApiResult {
    let scenario = app.scenario(&id)?;
    blocking(move || {
        let scenario = scenario.lock().expect("no panic while editing");
        Ok(axum::Json(views::state(&app.engine, &scenario)).into_response())
    })
    .await
}

async fn close(State(app): Shared, UrlPath(id): UrlPath<String>) -> ApiResult {
    let mut open = app.scenarios.lock().expect("no panic while listing");
    match open.remove(&id) {
        Some(_) => Ok(axum::Json(json!({})).into_response()),
        None => Err(ApiError::not_found(format!("no open scenario {id:?}"))),
    }
}

/// Runs `work` on scenario `id` on the blocking pool and answers its new state.
async fn with_scenario(
    app: Arc<AppState>,
    id: String,
    work: impl FnOnce(&Engine, &mut Scenario) -> Result<(), ApiError> + Send + 'static,
) -> ApiResult {
    let scenario = app.scenario(&id)?;
    let started = Instant::now();
    blocking(move || {
        let mut scenario = scenario.lock().expect("no panic while editing");
        work(&app.engine, &mut scenario)?;
        Ok(timed_json(views::state(&app.engine, &scenario), started))
    })
    .await
}

async fn edit(
    State(app): Shared,
    UrlPath(id): UrlPath<String>,
    Body(edit): Body<Edit>,
) -> ApiResult {
    with_scenario(app, id, move |engine, s| Ok(s.apply(engine, edit)?)).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ViewBody {
    category: Option<String>,
    profile: Option<String>,
    threshold: Option<f64>,
}

async fn view(
    State(app): Shared,
    UrlPath(id): UrlPath<String>,
    Body(asked): Body<ViewBody>,
) -> ApiResult {
    with_scenario(app, id, move |engine, s| {
        let mut view = s.view.clone();
        if let Some(c) = &asked.category {
            view.category = (engine.categories().iter().position(|n| n == c))
                .ok_or_else(|| ApiError::not_found(format!("no category {c:?} in this run")))?;
        }
        if let Some(p) = &asked.profile {
            view.profile = (engine.config.profiles.iter())
                .position(|w| w.profile.name() == p)
                .ok_or_else(|| ApiError::not_found(format!("no profile {p:?} in this run")))?;
        }
        if let Some(t) = asked.threshold {
            let bands = &engine.config.bands;
            if !bands.values.contains(&t) {
                return Err(ApiError::bad(format!(
                    "threshold {t} is not one of the run's bands {:?} (--{})",
                    bands.values,
                    bands.unit.field(),
                )));
            }
            view.threshold = t;
        }
        s.view = view;
        s.reanalyse(engine);
        Ok(())
    })
    .await
}

async fn suggest(State(app): Shared, UrlPath(id): UrlPath<String>) -> ApiResult {
    let scenario = app.scenario(&id)?;
    let started = Instant::now();
    blocking(move || {
        let (analysis, view) = {
            let s = scenario.lock().expect("no panic while editing");
            (Arc::clone(&s.analysis), s.view.clone())
        };
        let Some(site) = app.engine.suggest(&analysis, &view) else {
            return Ok(timed_json(json!({"site": null}), started));
        };
        let city = &app.engine.city;
        let homes: Vec<Value> = (site.homes.iter())
            .map(|&h| {
                let (lon, lat) = city
                    .frame
                    .to_lon_lat(city.residents.buildings[h as usize].inside_xy);
                json!({"type": "Feature", "properties": {},
                       "geometry": {"type": "Point", "coordinates": [lon, lat]}})
            })
            .collect();
        let value = json!({
            "candidate_id": site.candidate_id, "lon": site.lon, "lat": site.lat,
            "gain_residents": views::round(site.gain_residents, 1),
            "gain_children": views::round(site.gain_children, 2),
            "homes": site.homes.len(),
            "homes_geojson": {"type": "FeatureCollection", "features": homes},
        });
        Ok(timed_json(value, started))
    })
    .await
}

/// A saved scenario's name from a request body: letters, digits, `-` and `_` only.
fn saved_name(body: NameBody) -> Result<String, ApiError> {
    let name = body
        .name
        .ok_or_else(|| ApiError::bad("request body: missing field `name`"))?;
    store::check_name(&name).map_err(ApiError::bad)?;
    Ok(name)
}

async fn save(
    State(app): Shared,
    UrlPath(id): UrlPath<String>,
    Body(asked): Body<NameBody>,
) -> ApiResult {
    let name = saved_name(asked)?;
    let scenario = app.scenario(&id)?;
    blocking(move || {
        let facilities = scenario.lock().expect("no panic").all_facilities();
        let _saving = app.saving.lock().unwrap_or_else(|e| e.into_inner());
        let files = store::save(&app.out_dir, &name, &facilities)?;
        Ok(axum::Json(json!({"files": files})).into_response())
    })
    .await
}

async fn saved(State(app): Shared) -> ApiResult {
    let names = store::saved_names(&app.out_dir)?;
    Ok(axum::Json(json!({"names": names})).into_response())
}

async fn load(
    State(app): Shared,
    UrlPath(id): UrlPath<String>,
    Body(asked): Body<NameBody>,
) -> ApiResult {
    let name = saved_name(asked)?;
    let out_dir = app.out_dir.clone();
    if !store::saved_names(&out_dir)?.contains(&name) {
        return Err(ApiError::not_found(format!("no saved scenario {name:?}")));
    }
    with_scenario(app, id, move |engine, s| {
        let facilities = store::load(&out_dir, &name)?;
        Ok(s.load(engine, facilities)?)
    })
    .await
}

async fn export(
    State(app): Shared,
    UrlPath(id): UrlPath<String>,
    Body(asked): Body<NameBody>,
) -> ApiResult {
    let name = saved_name(asked)?;
    let scenario = app.scenario(&id)?;
    blocking(move || {
        let Ok(_exporting) = app.exporting.try_lock() else {
            let reason = "an export is running; ask again when it is done";
            return Err(ApiError::with(StatusCode::CONFLICT, reason));
        };
        let lists = scenario.lock().expect("no panic").facility_lists();
        let (dir, files) = store::export(&app.engine, &app.out_dir, &name, lists)?;
        Ok(axum::Json(json!({"dir": dir, "files": files})).into_response())
    })
    .await
}

async fn compare(State(app): Shared, Query(q): Query<HashMap<String, String>>) -> ApiResult {
    let id = |key: &str| {
        (q.get(key))
            .ok_or_else(|| ApiError::bad(format!("compare needs ?a=ID&b=ID; {key} is missing")))
    };
    let (a, b) = (app.scenario(id("a")?)?, app.scenario(id("b")?)?);
    blocking(move || {
        // one lock at a time: two comparisons in opposite orders never wait on each other
        let (analysis_a, view) = {
            let s = a.lock().expect("no panic while editing");
            (Arc::clone(&s.analysis), s.view.clone())
        };
        let facilities_b = b.lock().expect("no panic while editing").facility_lists();
        // b's facilities in a's view: a change of profile or threshold is not a change of plan
        let analysis_b = app.engine.analyse(&facilities_b, &view);
        let value = views::compare(&app.engine, &view, &analysis_a, &analysis_b);
        Ok(axum::Json(value).into_response())
    })
    .await
}

/// `{z}/{x}/{y}` of a tile path (`y` may end in `.mvt`).
fn tile_address(z: &str, x: &str, y: &str) -> Result<(u8, u32, u32), ApiError> {
    let y = y.strip_suffix(".mvt").unwrap_or(y);
    let bad = || ApiError::bad(format!("{z}/{x}/{y} is not a tile address"));
    let z: u8 = z.parse().map_err(|_| bad())?;
    let (x, y): (u32, u32) = (x.parse().map_err(|_| bad())?, y.parse().map_err(|_| bad())?);
    if z > MAX_ZOOM || u64::from(x) >= 1 << z || u64::from(y) >= 1 << z {
        return Err(bad());
    }
    Ok((z, x, y))
}

/// A tile's bytes as a response.
fn tile_response(bytes: Vec<u8>, cache: &'static str) -> Response {
    let headers = [
        (header::CONTENT_TYPE, "application/vnd.mapbox-vector-tile"),
        (header::CACHE_CONTROL, cache),
    ];
    (headers, bytes).into_response()
}

async fn base_tile(
    State(app): Shared,
    UrlPath((z, x, y)): UrlPath<(String, String, String)>,
) -> ApiResult {
    let (z, x, y) = tile_address(&z, &x, &y)?;
    blocking(move || {
        let bytes = app
            .tiles
            .base(z, x, y)
            .map_err(|e| ApiError::bad(e.to_string()))?;
        Ok(tile_response(bytes, "max-age=3600"))
    })
    .await
}

async fn scenario_tile(
    State(app): Shared,
    UrlPath((id, version, z, x, y)): UrlPath<(String, String, String, String, String)>,
) -> ApiResult {
    let (z, x, y) = tile_address(&z, &x, &y)?;
    let version: u64 = (version.parse())
        .map_err(|_| ApiError::bad(format!("version {version:?} is not a number")))?;
    let scenario = app.scenario(&id)?;
    blocking(move || {
        let (analysis, view, now) = {
            let s = scenario.lock().expect("no panic");
            (Arc::clone(&s.analysis), s.view.clone(), s.version)
        };
        // an old version's tile is answered from the current state, and not cached
        let cache = if version == now {
            "max-age=3600"
        } else {
            "no-store"
        };
        let bytes = (app.tiles.scenario(&app.engine, &analysis, &view, z, x, y))
            .map_err(|e| ApiError::bad(e.to_string()))?;
        Ok(tile_response(bytes, cache))
    })
    .await
}
