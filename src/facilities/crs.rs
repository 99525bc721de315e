//! Chinese map providers' coordinates back to WGS84: GCJ-02 (AMap/Gaode, Tencent, Google
//! China) and BD-09 (Baidu), with the widely published offset formulas (as in eviltransform
//! and coordtransform).
//!
//! GCJ-02 is WGS84 shifted by a smooth, deliberately obscured function of position (up to
//! about 700 m); BD-09 adds a further rotation and shift on top of GCJ-02. There is no
//! closed-form inverse: WGS84 is found by fixed-point iteration until the forward transform
//! lands within 1e-9° (≈ 0.1 mm) of the given point. Outside mainland China the offset does
//! not apply (providers give WGS84 there), which [`outside_china`] detects.

use std::f64::consts::PI;

/// Coordinate system of a facility register.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase", try_from = "String")]
pub enum FacilityCrs {
    /// WGS84, as OSM and GPS use.
    Wgs84,
    /// GCJ-02 ("Mars coordinates"): AMap/Gaode, Tencent, Google Maps in China.
    Gcj02,
    /// BD-09: Baidu Maps.
    Bd09,
}

impl TryFrom<String> for FacilityCrs {
    type Error = String;
    fn try_from(name: String) -> Result<Self, String> {
        FacilityCrs::from_name(&name)
    }
}

impl FacilityCrs {
    /// Parses `wgs84`, `gcj02` or `bd09` (case-insensitive, `-` and `_` ignored).
    ///
    /// # Errors
    /// A message naming the systems when `name` is none of them.
    pub fn from_name(name: &str) -> Result<Self, String> {
        match name.to_ascii_lowercase().replace(['-', '_'], "").as_str() {
            "wgs84" => Ok(FacilityCrs::Wgs84),
            "gcj02" => Ok(FacilityCrs::Gcj02),
            "bd09" => Ok(FacilityCrs::Bd09),
            _ => Err(format!("{name:?} is not one of wgs84, gcj02, bd09")),
        }
    }

    /// `(lon, lat)` in this system converted to WGS84.
    pub fn to_wgs84(self, lon: f64, lat: f64) -> (f64, f64) {
        match self {
            FacilityCrs::Wgs84 => (lon, lat),
            FacilityCrs::Gcj02 => gcj02_to_wgs84(lon, lat),
            FacilityCrs::Bd09 => {
                let (lon, lat) = bd09_to_gcj02(lon, lat);
                gcj02_to_wgs84(lon, lat)
            }
        }
    }
}

/// Krasovsky 1940 ellipsoid, as the GCJ-02 formulas use it.
const A: f64 = 6_378_245.0;
const EE: f64 = 0.006_693_421_622_965_943;

/// Rectangles `[west, north, east, south]` (degrees) whose union approximates mainland China,
/// Hong Kong and Macau, where map providers publish GCJ-02. The widely copied outline from
/// Aimeast's 2012 note (cnblogs.com/Aimeast/archive/2012/08/09/2629614.html); the single box
/// 72.004–137.8347°E, 0.8293–55.8271°N that many converters use also takes in Singapore,
/// Seoul and Hanoi and would shift their points by hundreds of metres.
const CHINA: [[f64; 4]; 6] = [
    [79.4462, 49.2204, 96.33, 42.8899],
    [109.6872, 54.1415, 135.0002, 39.3742],
    [73.1246, 42.8899, 124.143255, 29.5297],
    [82.9684, 29.5297, 97.0352, 26.7186],
    [97.0253, 29.5297, 124.367395, 20.414096],
    [107.975793, 20.414096, 111.744104, 17.871542],
];

/// Rectangles cut out of [`CHINA`]: Taiwan, northern Vietnam and Laos, Mongolia, the Russian
/// Far East and the Korean border.
const NOT_CHINA: [[f64; 4]; 6] = [
    [119.921265, 25.398623, 122.497559, 21.785006],
    [101.8652, 22.284, 106.665, 20.0988],
    [106.4525, 21.5422, 108.051, 20.4878],
    [109.0323, 55.8175, 119.127, 50.3257],
    [127.4568, 55.8175, 137.0227, 49.5574],
    [131.2662, 44.8922, 137.0227, 42.5692],
];

/// Whether a point lies outside the area where GCJ-02 applies (see `CHINA` in this module).
pub fn outside_china(lon: f64, lat: f64) -> bool {
    let within = |&[west, north, east, south]: &[f64; 4]| {
        (west..=east).contains(&lon) && (south..=north).contains(&lat)
    };
    !CHINA.iter().any(within) || NOT_CHINA.iter().any(within)
}

fn shift_lat(x: f64, y: f64) -> f64 {
    let mut r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * x.abs().sqrt();
    r += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    r += (20.0 * (y * PI).sin() + 40.0 * (y / 3.0 * PI).sin()) * 2.0 / 3.0;
    r += (160.0 * (y / 12.0 * PI).sin() + 320.0 * (y * PI / 30.0).sin()) * 2.0 / 3.0;
    r
}

fn shift_lon(x: f64, y: f64) -> f64 {
    let mut r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * x.abs().sqrt();
    r += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    r += (20.0 * (x * PI).sin() + 40.0 * (x / 3.0 * PI).sin()) * 2.0 / 3.0;
    r += (150.0 * (x / 12.0 * PI).sin() + 300.0 * (x / 30.0 * PI).sin()) * 2.0 / 3.0;
    r
}

/// WGS84 to GCJ-02 (the forward, published transform).
pub fn wgs84_to_gcj02(lon: f64, lat: f64) -> (f64, f64) {
    let d_lat = shift_lat(lon - 105.0, lat - 35.0);
    let d_lon = shift_lon(lon - 105.0, lat - 35.0);
    let rad_lat = lat.to_radians();
    let magic = 1.0 - EE * rad_lat.sin().powi(2);
    let sqrt_magic = magic.sqrt();
    let d_lat = d_lat * 180.0 / ((A * (1.0 - EE)) / (magic * sqrt_magic) * PI);
    let d_lon = d_lon * 180.0 / (A / sqrt_magic * rad_lat.cos() * PI);
    (lon + d_lon, lat + d_lat)
}

/// GCJ-02 to WGS84, by iterating the forward transform to within 1e-9°.
pub fn gcj02_to_wgs84(lon: f64, lat: f64) -> (f64, f64) {
    let (mut w_lon, mut w_lat) = (lon, lat);
    for _ in 0..30 {
        let (g_lon, g_lat) = wgs84_to_gcj02(w_lon, w_lat);
        let (e_lon, e_lat) = (g_lon - lon, g_lat - lat);
        w_lon -= e_lon;
        w_lat -= e_lat;
        if e_lon.abs() < 1e-9 && e_lat.abs() < 1e-9 {
            break;
        }
    }
    (w_lon, w_lat)
}

const X_PI: f64 = PI * 3000.0 / 180.0;

/// BD-09 to GCJ-02 (the published inverse of Baidu's transform).
pub fn bd09_to_gcj02(lon: f64, lat: f64) -> (f64, f64) {
    let (x, y) = (lon - 0.0065, lat - 0.006);
    let z = x.hypot(y) - 0.000_02 * (y * X_PI).sin();
    let theta = y.atan2(x) - 0.000_003 * (x * X_PI).cos();
    (z * theta.cos(), z * theta.sin())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Published pairs from eviltransform's test suite: (wgs lat, wgs lon, gcj lat, gcj lon).
    const GCJ_PAIRS: [(f64, f64, f64, f64); 3] = [
        (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215), // Shanghai
        (22.543847, 113.912316, 22.540796131694766, 113.9171764808363), // Shenzhen
        (39.911954, 116.377817, 39.91334545536069, 116.38404722455657), // Beijing
    ];

    #[test]
    fn gcj02_matches_published_pairs_both_ways() {
        for (w_lat, w_lon, g_lat, g_lon) in GCJ_PAIRS {
            let (lon, lat) = wgs84_to_gcj02(w_lon, w_lat);
            assert!(
                (lon - g_lon).abs() < 1e-9 && (lat - g_lat).abs() < 1e-9,
                "forward {lon},{lat}"
            );
            let (lon, lat) = FacilityCrs::Gcj02.to_wgs84(g_lon, g_lat);
            // 1e-7° is about 1 cm
            assert!(
                (lon - w_lon).abs() < 1e-7 && (lat - w_lat).abs() < 1e-7,
                "back {lon},{lat}"
            );
        }
    }

    /// Published pairs from coordtransform's tests (Beijing, 116.404 E 39.915 N): BD-09 to
    /// GCJ-02, and WGS84 to GCJ-02 (whose inverse our iteration must undo).
    #[test]
    fn bd09_matches_published_pairs() {
        let (lon, lat) = bd09_to_gcj02(116.404, 39.915);
        assert!(
            (lon - 116.39762729119315).abs() < 1e-12 && (lat - 39.90865673957631).abs() < 1e-12
        );
        let (lon, lat) = wgs84_to_gcj02(116.404, 39.915);
        assert!((lon - 116.41024449916938).abs() < 1e-9 && (lat - 39.91640428150164).abs() < 1e-9);
        let (lon, lat) = FacilityCrs::Bd09.to_wgs84(116.404, 39.915);
        let (g_lon, g_lat) = wgs84_to_gcj02(lon, lat);
        assert!(
            (g_lon - 116.39762729119315).abs() < 1e-9 && (g_lat - 39.90865673957631).abs() < 1e-9
        );
    }

    #[test]
    fn parse_and_china_box() {
        assert_eq!(FacilityCrs::from_name("GCJ-02"), Ok(FacilityCrs::Gcj02));
        assert_eq!(FacilityCrs::from_name("bd09"), Ok(FacilityCrs::Bd09));
        assert!(FacilityCrs::from_name("utm").is_err());
        assert!(!outside_china(116.4, 39.9)); // Beijing
        assert!(!outside_china(121.47, 31.23)); // Shanghai
        assert!(!outside_china(114.17, 22.32)); // Hong Kong
        assert!(!outside_china(87.62, 43.83)); // Ürümqi
        assert!(outside_china(9.52, 47.14)); // Vaduz
        assert!(outside_china(103.85, 1.28)); // Singapore: inside the usual single box
        assert!(outside_china(126.98, 37.57)); // Seoul: inside the usual single box
        assert!(outside_china(121.56, 25.04)); // Taipei
        assert!(outside_china(105.85, 21.03)); // Hanoi
        assert!(outside_china(106.92, 47.92)); // Ulaanbaatar
    }
}
