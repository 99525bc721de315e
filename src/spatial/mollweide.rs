//! The Mollweide projection on the sphere of radius 6,378,137 m, as ESRI:54009 ("World
//! Mollweide", the grid of GHS-POP) defines it: PROJ's `+proj=moll +R=6378137` (ESRI:54009
//! names the WGS84 ellipsoid, but Mollweide is a spherical projection and PROJ takes the
//! semi-major axis as the radius).
//!
//! Formulas from Snyder, "Map Projections — A Working Manual" (USGS 1987), pp. 251–252:
//! x = R·(2√2/π)·λ·cos θ, y = R·√2·sin θ, where 2θ + sin 2θ = π·sin φ is solved for θ by
//! Newton's method (Snyder's eq. 31-4, in θ' = 2θ).

use std::f64::consts::{FRAC_PI_2, PI, SQRT_2};

/// The sphere's radius, metres (WGS84's semi-major axis, as ESRI:54009 uses).
pub const RADIUS_M: f64 = 6_378_137.0;

/// Projects a WGS84 point (longitude, latitude in degrees) to Mollweide (x, y in metres).
pub fn forward(lon_deg: f64, lat_deg: f64) -> (f64, f64) {
    let theta = auxiliary_angle(lat_deg.to_radians());
    let x_m = RADIUS_M * 2.0 * SQRT_2 / PI * lon_deg.to_radians() * theta.cos();
    let y_m = RADIUS_M * SQRT_2 * theta.sin();
    (x_m, y_m)
}

/// Unprojects a Mollweide point (x, y in metres) to WGS84 (longitude, latitude in degrees);
/// `None` outside the ellipse the projection fills.
pub fn inverse(x_m: f64, y_m: f64) -> Option<(f64, f64)> {
    let sin_theta = y_m / (RADIUS_M * SQRT_2);
    if !(-1.0..=1.0).contains(&sin_theta) {
        return None;
    }
    let theta = sin_theta.asin();
    let lat = ((2.0 * theta + (2.0 * theta).sin()) / PI)
        .clamp(-1.0, 1.0)
        .asin();
    let cos_theta = theta.cos();
    let lon = if cos_theta < 1e-12 {
        0.0 // a pole: every longitude
    } else {
        PI * x_m / (2.0 * SQRT_2 * RADIUS_M * cos_theta)
    };
    (lon.abs() <= PI + 1e-12).then(|| (lon.to_degrees(), lat.to_degrees()))
}

/// θ with 2θ + sin 2θ = π·sin φ, by Newton's method on θ' = 2θ; exact at the poles, where
/// the iteration's derivative vanishes.
fn auxiliary_angle(lat_rad: f64) -> f64 {
    if FRAC_PI_2 - lat_rad.abs() < 1e-12 {
        return FRAC_PI_2.copysign(lat_rad);
    }
    let target = PI * lat_rad.sin();
    let mut theta2 = lat_rad;
    for _ in 0..50 {
        let step = (theta2 + theta2.sin() - target) / (1.0 + theta2.cos());
        theta2 -= step;
        if step.abs() < 1e-13 {
            break;
        }
    }
    theta2 / 2.0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (lon°, lat°) → (x m, y m) by GDAL 3.6.2 / PROJ:
    /// `gdaltransform -s_srs EPSG:4326 -t_srs ESRI:54009 -output_xy`.
    const GDAL_POINTS: [((f64, f64), (f64, f64)); 7] = [
        ((0.0, 0.0), (0.0, 0.0)),
        ((9.5, 47.15), (748_745.006139178, 5_571_832.02659389)),
        ((-179.9, -89.5), (-806_989.968311316, -9_011_008.48575989)),
        ((120.0, -30.0), (11_001_704.4647197, -3_643_853.5640797)),
        ((-75.25, 40.5), (-6_361_327.79707059, 4_845_210.02348628)),
        ((180.0, 0.0), (18_040_095.6961473, 0.0)),
        ((30.0, 60.0), (1_945_691.79154612, 6_876_758.9933288)),
    ];

    #[test]
    fn forward_matches_gdal_within_a_centimetre() {
        for ((lon, lat), (x, y)) in GDAL_POINTS {
            let (px, py) = forward(lon, lat);
            assert!(
                (px - x).abs() < 0.01 && (py - y).abs() < 0.01,
                "{lon},{lat}: {px},{py}"
            );
        }
    }

    #[test]
    fn inverse_matches_gdal_within_a_centimetre() {
        // 1e-7° is about a centimetre on the ground.
        for ((lon, lat), (x, y)) in GDAL_POINTS {
            let (plon, plat) = inverse(x, y).expect("inside the ellipse");
            let (rx, ry) = forward(plon, plat);
            assert!((rx - x).abs() < 0.01 && (ry - y).abs() < 0.01, "{x},{y}");
            assert!(
                (plon - lon).abs() < 1e-7 && (plat - lat).abs() < 1e-7,
                "{x},{y}"
            );
        }
        // `gdaltransform -s_srs ESRI:54009 -t_srs EPSG:4326 -output_xy`
        let (lon, lat) = inverse(740_000.0, 5_500_000.0).unwrap();
        assert!((lon - 9.31570917585839).abs() < 1e-7 && (lat - 46.4797800281015).abs() < 1e-7);
        let (lon, lat) = inverse(-5_000_000.0, -3_000_000.0).unwrap();
        assert!((lon + 52.9004594523018).abs() < 1e-7 && (lat + 24.5525537565177).abs() < 1e-7);
    }

    #[test]
    fn poles_and_outside_the_ellipse() {
        let (x, y) = forward(45.0, 90.0);
        assert!(x.abs() < 1e-6 && (y - RADIUS_M * SQRT_2).abs() < 1e-6);
        assert_eq!(inverse(0.0, 9.1e6), None);
        assert_eq!(inverse(18.1e6, 0.0), None);
    }
}
