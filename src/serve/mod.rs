//! `fifteen serve`: the map server's vector tiles and the base map drawn from the extract.
pub mod basemap;
pub mod tiles;
