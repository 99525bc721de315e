//! Geometry in the local metric frame ([`crate::frame`]): snapping onto the walking network,
//! heights, rasters, population GeoTIFFs, point in polygon.

pub mod elevation;
pub mod geotiff;
pub mod inside;
pub mod mollweide;
pub mod raster;
pub mod segment_tree;
pub mod snap;

pub use crate::frame::LocalFrame;
pub use snap::{EdgeIndex, Snap};
