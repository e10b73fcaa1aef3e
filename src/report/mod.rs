//! Renderers: each reads result structs and writes one format; none computes.

pub mod charts;
pub mod csv;
pub mod format;
pub mod html;
pub mod summary;
pub mod text;
