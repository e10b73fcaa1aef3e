//! The aggregate forms of the data that analyses start from, whether the
//! rows were summed in memory or by a SQL engine: a pass's answer, small
//! whatever the table's size.

use serde::Serialize;

/// Labels of a set of rows (the churned accounts' reasons) counted and
/// their weights summed, by spelling as written (trimmed).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LabelTally {
    pub rows: Vec<TallyRow>,
    /// Whether the rows carry a weight (a revenue column); else every
    /// `weight` is 0.
    pub weighted: bool,
}

/// One spelling: `None` for blank or missing.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TallyRow {
    pub label: Option<String>,
    pub count: usize,
    pub weight: f64,
}

impl TallyRow {
    pub fn new(label: Option<String>) -> Self {
        TallyRow {
            label,
            count: 0,
            weight: 0.0,
        }
    }
}
