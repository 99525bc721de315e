//! `fifteen serve`: a what-if map in the browser. The city is prepared once, as `coverage`
//! prepares it; each browser tab then holds its own scenario (facilities added, moved or
//! removed) answered by the incremental [`engine`], drawn from vector tiles the server cuts
//! ([`layers`], [`tiles`], [`basemap`]) and driven through a small HTTP API ([`http`],
//! documented in docs/serve.md). Saved scenarios are facility registers `coverage` reads
//! ([`store`]).

pub mod assets;
pub mod basemap;
pub mod engine;
pub mod http;
pub mod layers;
pub mod scenario;
pub mod store;
pub mod tiles;
pub mod views;

use std::net::SocketAddr;
use std::sync::Arc;

use crate::config::CoverageConfig;
use crate::error::{Error, Result};
use crate::pipeline::{City, Stages, read_register_stage};
use basemap::BaseMap;
use engine::Engine;
use layers::TileSets;

/// Everything `serve` needs, resolved.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// The city and its analysis, as `coverage` takes them; saved scenarios and exports go
    /// into its `out_dir`.
    pub coverage: CoverageConfig,
    /// Address to listen on (`127.0.0.1:8015` unless asked otherwise).
    pub addr: SocketAddr,
}

/// Prepares the city, its base facilities and its tiled layers (stages as `coverage`'s,
/// then `base map`, `searches`, every base facility's for every profile, and `tiles`).
///
/// # Errors
/// As [`City::prepare`] and [`crate::pipeline::run_coverage`]'s facility stages.
pub fn prepare(
    config: &CoverageConfig,
    log: &dyn Fn(&str),
) -> Result<(Arc<Engine>, Arc<TileSets>)> {
    let mut stages = Stages::default();
    let register = read_register_stage(config, &mut stages, log)?;
    let city = City::prepare(config, &mut stages, log)?;
    let facilities = city.facilities(config, register, &mut stages, log)?;
    let base = stages.run("base map", log, || BaseMap::build(&city, &config.input))?;
    let engine = Engine::new(config.clone(), city, facilities);
    stages.run("searches", log, || engine.warm());
    let tiles = stages.run("tiles", log, || TileSets::new(&engine, base));
    Ok((Arc::new(engine), Arc::new(tiles)))
}

/// Prepares the city and serves the page and its API until Ctrl-C (or SIGTERM), then stops
/// cleanly: requests under way get [`STOP_GRACE`] to finish, and no file is left
/// half-written (saves and exports are renamed into place whole). `listening` is told the
/// address once the server accepts connections (the port when `addr`'s is 0).
///
/// # Errors
/// As [`prepare`]; [`Error::Usage`] when the address cannot be listened on.
pub fn run_serve(
    config: &ServeConfig,
    log: &dyn Fn(&str),
    listening: &dyn Fn(SocketAddr),
) -> Result<()> {
    let (engine, tiles) = prepare(&config.coverage, log)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Usage(format!("cannot start the server's runtime: {e}")))?;
    runtime.block_on(async {
        let cannot =
            |e: std::io::Error| Error::Usage(format!("cannot listen on {}: {e}", config.addr));
        let listener = tokio::net::TcpListener::bind(config.addr)
            .await
            .map_err(cannot)?;
        let addr = listener.local_addr().map_err(cannot)?;
        let out_dir = config.coverage.out_dir.clone();
        let state = Arc::new(http::AppState::new(engine, tiles, out_dir, addr));
        listening(addr);
        let stopping = Arc::new(tokio::sync::Notify::new());
        let told = Arc::clone(&stopping);
        let server =
            axum::serve(listener, http::router(state)).with_graceful_shutdown(async move {
                stop_signal().await;
                told.notify_one();
            });
        let mut server = std::pin::pin!(server.into_future());
        let stopped = tokio::select! {
            stopped = &mut server => stopped,
            () = stopping.notified() => {
                // requests under way get a while to finish; a client that stalls does not
                // keep the server from stopping
                tokio::time::timeout(STOP_GRACE, &mut server).await.unwrap_or(Ok(()))
            }
        };
        stopped.map_err(|e| Error::Usage(format!("the server stopped: {e}")))
    })
}

/// How long requests under way may take to finish after Ctrl-C.
const STOP_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

/// Resolves on Ctrl-C or SIGTERM.
async fn stop_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
