//! The page's files, inside the binary: the app (assets/serve/) and MapLibre GL JS as
//! published on npm (assets/vendor/maplibre-gl/, with its licence). Nothing is fetched
//! from the internet at run time.

/// `(name, bytes, media type)` of every file the page loads.
const ASSETS: &[(&str, &[u8], &str)] = &[
    (
        "index.html",
        include_bytes!("../../assets/serve/index.html"),
        "text/html; charset=utf-8",
    ),
    (
        "app.js",
        include_bytes!("../../assets/serve/app.js"),
        "text/javascript; charset=utf-8",
    ),
    (
        "app.css",
        include_bytes!("../../assets/serve/app.css"),
        "text/css; charset=utf-8",
    ),
    (
        "maplibre-gl.js",
        include_bytes!("../../assets/vendor/maplibre-gl/maplibre-gl.js"),
        "text/javascript; charset=utf-8",
    ),
    (
        "maplibre-gl.css",
        include_bytes!("../../assets/vendor/maplibre-gl/maplibre-gl.css"),
        "text/css; charset=utf-8",
    ),
    (
        "LICENSE-maplibre-gl.txt",
        include_bytes!("../../assets/vendor/maplibre-gl/LICENSE.txt"),
        "text/plain; charset=utf-8",
    ),
];

/// The bytes and media type of the page file `name`, if there is one.
pub fn asset(name: &str) -> Option<(&'static [u8], &'static str)> {
    (ASSETS.iter())
        .find(|(n, _, _)| *n == name)
        .map(|(_, bytes, mime)| (*bytes, *mime))
}
