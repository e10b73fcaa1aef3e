//! Renderers: each reads the result model ([`crate::results::Results`]) and
//! writes one format — the HTML page ([`html`]), the executive summary
//! ([`summary`], shared by the page and `summary.md`, [`markdown`]), CSV tables ([`csv`], listed in [`files`]), PNG/SVG
//! charts ([`charts`]), terminal text ([`text`]) and the KPI feed table
//! ([`kpidb`]). Renderers word what the analyses decided; none judges.

mod cards;
pub mod charts;
pub mod csv;
pub mod csv_renewals;
pub mod engine_text;
pub mod files;
pub mod html;
pub mod kpi_text;
pub mod kpidb;
pub mod markdown;
pub mod renewals_text;
pub mod slide;
pub mod summary;
mod summary_renewals;
pub mod survival_text;
pub mod text;
pub mod words;

pub use charts::{render_all as charts, RenderedChart};
pub use files::result_files;

use crate::error::Result;
use crate::results::Results;

/// The two pages of a run: `report.html` (with `charts` inlined) and
/// `summary.md`.
///
/// # Errors
/// [`crate::error::Error::Render`] when the HTML template fails (a bug).
pub fn pages(results: &Results, charts: &[RenderedChart]) -> Result<(String, String)> {
    let summary = summary::Summary::of(results);
    let html = html::render(results, &summary, charts)?;
    let markdown = markdown::markdown(&summary, &results.generated_at);
    Ok((html, markdown))
}
