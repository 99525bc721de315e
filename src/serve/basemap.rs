//! STUB (uncommitted): replaced by the tiles branch.
#![allow(missing_docs, dead_code, unused)]
use super::tiles::TileLayer;
pub struct BaseMap {
    pub streets: TileLayer,
    pub buildings: TileLayer,
    pub water: TileLayer,
    pub street_kinds: Vec<&'static str>,
}
impl BaseMap {
    pub fn build(city: &crate::pipeline::City, input: &std::path::Path) -> crate::Result<BaseMap> {
        Ok(BaseMap {
            streets: TileLayer,
            buildings: TileLayer,
            water: TileLayer,
            street_kinds: vec![],
        })
    }
}
