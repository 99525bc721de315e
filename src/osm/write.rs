//! PBF writer (being written).
