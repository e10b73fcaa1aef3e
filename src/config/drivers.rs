//! `[[drivers]]`: the candidate drivers, each a column with its
//! measurement scale (which decides its tests), its valid values, and
//! whether the team controls it (only controllable ones become KPIs).

use serde::{Deserialize, Serialize};

/// The measurement scale of a candidate driver; it decides the tests used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DriverKind {
    Numeric,
    Ordinal,
    Binary,
    Categorical,
}

impl DriverKind {
    /// Lower-case name as written in the config.
    pub fn as_str(self) -> &'static str {
        match self {
            DriverKind::Numeric => "numeric",
            DriverKind::Ordinal => "ordinal",
            DriverKind::Binary => "binary",
            DriverKind::Categorical => "categorical",
        }
    }
}

/// Whether a KPI built on the driver moves before churn (leading) or with it (lagging).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Indicator {
    #[default]
    Leading,
    Lagging,
}

impl Indicator {
    /// Lower-case name as written in the config.
    pub fn as_str(self) -> &'static str {
        match self {
            Indicator::Leading => "leading",
            Indicator::Lagging => "lagging",
        }
    }
}

/// `[[drivers]]`: one candidate driver.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DriverConfig {
    pub column: String,
    pub kind: DriverKind,
    /// Human label for reports; defaults to the column name.
    pub label: Option<String>,
    /// Can the customer-success team move it? Only controllable drivers
    /// become recommended KPIs. Default: false.
    #[serde(default)]
    pub controllable: bool,
    #[serde(default)]
    pub indicator: Indicator,
    /// Reference level for a categorical driver (default: the most frequent).
    pub reference: Option<String>,
    /// Inclusive valid range for numeric/ordinal values; outside is an error.
    pub range: Option<[f64; 2]>,
    /// Ordered labels of an ordinal driver stored as text (mapped to 1..k).
    pub levels: Option<Vec<String>>,
    /// The label that counts as 1 for a binary driver with two free labels.
    pub positive: Option<String>,
    /// A numeric driver that counts events per account (support tickets,
    /// incidents): its start-cohort KPI is a rate over accounts, charted
    /// with a u chart, or Laney u′ when the diagnostic finds overdispersion.
    /// Values must be whole numbers ≥ 0. Default false.
    #[serde(default)]
    pub count: bool,
}

impl DriverConfig {
    /// The label shown in reports.
    pub fn display_label(&self) -> &str {
        self.label.as_deref().unwrap_or(&self.column)
    }
}
