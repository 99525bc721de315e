//! Geometry in a local metric frame: projection and snapping onto the walking network.

pub mod inside;
pub mod projection;
pub mod raster;
pub mod snap;

pub use projection::LocalFrame;
pub use snap::{EdgeIndex, Snap};
