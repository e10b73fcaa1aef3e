//! What both readers of the renewals table produce: each row's outcome,
//! and the typed cells of the table before the row rules are checked.

use chrono::NaiveDate;
use serde::Serialize;

/// How a renewal ended, or that it has not yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Renewed,
    Churned,
    Open,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Renewed => "renewed",
            Outcome::Churned => "churned",
            Outcome::Open => "open",
        }
    }
    /// Renewed or churned.
    pub fn decided(self) -> bool {
        self != Outcome::Open
    }
}

/// The renewals table's cells, typed, in file order.
#[derive(Debug, Default)]
pub(crate) struct Cells {
    pub(crate) account: Vec<u32>,
    pub(crate) due: Vec<Option<NaiveDate>>,
    pub(crate) arr_due: Vec<f64>,
    pub(crate) outcome: Vec<Outcome>,
    pub(crate) renewed_arr: Vec<f64>,
    pub(crate) closed: Vec<Option<NaiveDate>>,
}
