//! STUB (uncommitted): replaced by the tiles branch.
#![allow(missing_docs, dead_code, unused)]
pub enum PropValue {
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(String),
}
pub struct TileLayer;
impl TileLayer {
    pub fn new(name: &str, min_zoom: u8, g: Vec<geo::Geometry<f64>>) -> Self {
        TileLayer
    }
}
pub fn encode_tile(
    layers: &[(
        &TileLayer,
        &dyn Fn(usize) -> Option<Vec<(&'static str, PropValue)>>,
    )],
    z: u8,
    x: u32,
    y: u32,
) -> Vec<u8> {
    Vec::new()
}
