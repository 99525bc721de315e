//! The bands of a run: walking time in minutes (`--minutes`), or network distance walked in
//! metres (`--meters`).
//!
//! The searches add up one cost, in seconds, whatever the unit: a time run walks each edge at
//! the profile's pace (with slopes, when heights are known), a distance run walks every edge
//! it may pass at 1 s/m ([`crate::graph::WalkCosts::distance`]), so its seconds *are* metres.
//! [`BandUnit::cost_s`] turns a band into that cost and back; everything a person reads
//! (field names, legends, report) names the unit through the methods here.

use serde::Serialize;
use serde::ser::SerializeMap;

/// What a run's bands measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BandUnit {
    /// Walking time, minutes (the default).
    #[default]
    Minutes,
    /// Network distance walked, metres.
    Meters,
}

impl BandUnit {
    /// Search cost, seconds, of one unit: 60 for a minute, 1 for a metre (a distance run
    /// walks at 1 s/m).
    pub fn cost_s(self) -> f64 {
        match self {
            BandUnit::Minutes => 60.0,
            BandUnit::Meters => 1.0,
        }
    }

    /// The unit's word in field and key names: `minutes`, `meters`.
    pub fn field(self) -> &'static str {
        match self {
            BandUnit::Minutes => "minutes",
            BandUnit::Meters => "meters",
        }
    }

    /// The unit a summary names by [`BandUnit::field`] (`minutes`, `meters`).
    pub fn from_field(field: &str) -> Option<BandUnit> {
        [BandUnit::Minutes, BandUnit::Meters]
            .into_iter()
            .find(|u| u.field() == field)
    }

    /// The unit's symbol: `min`, `m`.
    pub fn symbol(self) -> &'static str {
        match self {
            BandUnit::Minutes => "min",
            BandUnit::Meters => "m",
        }
    }

    /// A value with its symbol, as legends and the report show it: `15 min`, `300 m`.
    pub fn label(self, value: f64) -> String {
        format!("{value} {}", self.symbol())
    }

    /// A value as field names carry it: `15min`, `300m`.
    pub fn field_label(self, value: f64) -> String {
        format!("{value}{}", self.symbol())
    }

    /// The field holding a home's band: `band_min`, `band_m`.
    pub fn band_field(self) -> String {
        format!("band_{}", self.symbol())
    }
}

/// Bands of a run: ascending, without repeats; the last is the threshold for "covered".
/// Serialized as one key naming the unit (`"minutes": [5, 10, 15]` or `"meters": [300]`), so
/// a summary's parameters say what they measure. The default holds no band: a placeholder
/// that [`Bands::threshold`] refuses.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Bands {
    /// What the values measure.
    pub unit: BandUnit,
    /// The bands, in `unit`, ascending.
    pub values: Vec<f64>,
}

impl Bands {
    /// Time bands, minutes (sorted, repeats dropped).
    pub fn minutes(values: &[f64]) -> Bands {
        Bands::new(BandUnit::Minutes, values)
    }

    /// Distance bands, metres (sorted, repeats dropped).
    pub fn meters(values: &[f64]) -> Bands {
        Bands::new(BandUnit::Meters, values)
    }

    fn new(unit: BandUnit, values: &[f64]) -> Bands {
        let mut values = values.to_vec();
        values.sort_by(f64::total_cmp);
        values.dedup();
        Bands { unit, values }
    }

    /// The threshold for "covered", in the unit: the last band.
    pub fn threshold(&self) -> f64 {
        *self.values.last().expect("at least one band")
    }

    /// The threshold with its symbol: `15 min`, `1000 m`.
    pub fn threshold_label(&self) -> String {
        self.unit.label(self.threshold())
    }

    /// The threshold as a search cost, seconds.
    pub fn threshold_s(&self) -> f64 {
        self.threshold() * self.unit.cost_s()
    }

    /// Every band as a search cost, seconds.
    pub fn costs_s(&self) -> Vec<f64> {
        self.values.iter().map(|v| v * self.unit.cost_s()).collect()
    }

    /// A search cost, seconds, in the unit.
    pub fn value_of_s(&self, cost_s: f64) -> f64 {
        cost_s / self.unit.cost_s()
    }

    /// Index of the tightest band `value` lies within, if any.
    pub fn band_of(&self, value: f64) -> Option<usize> {
        self.values.iter().position(|&b| value <= b)
    }
}

impl Serialize for Bands {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(1))?;
        map.serialize_entry(self.unit.field(), &self.values)?;
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_sort_and_convert_in_their_unit() {
        let b = Bands::minutes(&[15.0, 5.0, 10.0, 5.0]);
        assert_eq!(b.values, [5.0, 10.0, 15.0]);
        assert_eq!(b.threshold_s(), 900.0);
        assert_eq!(b.costs_s(), [300.0, 600.0, 900.0]);
        assert_eq!(b.value_of_s(450.0), 7.5);
        assert_eq!(b.band_of(7.5), Some(1));
        assert_eq!(b.band_of(15.01), None);
        let m = Bands::meters(&[1000.0, 300.0]);
        assert_eq!(m.threshold_s(), 1000.0);
        assert_eq!(m.value_of_s(512.5), 512.5);
        assert_eq!(
            (m.unit.label(300.0), m.unit.field_label(300.0)),
            ("300 m".to_string(), "300m".to_string())
        );
        assert_eq!(
            (b.unit.band_field(), m.unit.band_field()),
            ("band_min".to_string(), "band_m".to_string())
        );
    }

    #[test]
    fn bands_serialize_under_their_unit() {
        let json = |b: &Bands| serde_json::to_string(b).unwrap();
        assert_eq!(
            json(&Bands::minutes(&[5.0, 15.0])),
            r#"{"minutes":[5.0,15.0]}"#
        );
        assert_eq!(json(&Bands::meters(&[300.0])), r#"{"meters":[300.0]}"#);
    }
}
