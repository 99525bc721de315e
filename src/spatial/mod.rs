//! Geometry in a local metric frame: projection, snapping onto the walking network, heights.

pub mod elevation;
pub mod inside;
pub mod projection;
pub mod raster;
pub mod segment_tree;
pub mod snap;

pub use projection::LocalFrame;
pub use snap::{EdgeIndex, Snap};
