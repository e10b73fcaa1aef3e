//! Sentences that more than one renderer says (the HTML page, the terminal
//! text), written once so the views cannot drift apart.

use crate::format::percent;
use crate::kpis::Efficiency;

/// The efficiency finding in one sentence: how many CSM books churn outside
/// the 3-sigma funnel limits for their size.
pub fn funnel_sentence(e: &Efficiency) -> String {
    format!(
        "Logo churn per {} book: {} books, overall {}. {} book(s) churn above and {} below the 3-sigma funnel limits for their size; only those differ by more than chance.",
        e.owner_column,
        e.owners.len(),
        percent(e.center, 1),
        e.n_above,
        e.n_below
    )
}
