//! What each KPI is: its key in the feed ([`KpiKey`]), label, unit, which
//! way is better, and its definition worded exactly as the data contract
//! states it (`docs/data-contract.md`), for the report and the feed.

use serde::Serialize;

use crate::config::{Grain, StudyConfig};

use super::period::PeriodRow;

/// A KPI's key in the feed, the CSV and the database table: a fixed name
/// (`grr`), the mean of an account column (`mean:<column>`), or a
/// recommended driver (`driver:<column>`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum KpiKey {
    Named(&'static str),
    Mean(String),
    Driver(String),
}

impl KpiKey {
    /// Monthly logo churn, the KPI the Laney p′ chart judges.
    pub const LOGO_CHURN: KpiKey = KpiKey::Named("logo_churn_rate");
}

impl std::fmt::Display for KpiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KpiKey::Named(n) => f.write_str(n),
            KpiKey::Mean(c) => write!(f, "mean:{c}"),
            KpiKey::Driver(c) => write!(f, "driver:{c}"),
        }
    }
}

impl Serialize for KpiKey {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Which way is good for a KPI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    HigherIsBetter,
    LowerIsBetter,
    /// Context, not a target (e.g. cohort size).
    Neutral,
}

impl Direction {
    /// The direction a driver KPI points, from the model's sign
    /// (`Candidate::higher_is_better`).
    pub fn of_higher_is_better(h: Option<bool>) -> Self {
        match h {
            Some(true) => Direction::HigherIsBetter,
            Some(false) => Direction::LowerIsBetter,
            None => Direction::Neutral,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Direction::HigherIsBetter => "higher_is_better",
            Direction::LowerIsBetter => "lower_is_better",
            Direction::Neutral => "neutral",
        }
    }
}

/// A KPI's name, unit, direction and definition, as printed in the report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Definition {
    pub kpi: KpiKey,
    pub label: String,
    /// `fraction`, `currency`, `accounts`, `points`, `days`, `score`.
    pub unit: &'static str,
    pub direction: Direction,
    pub definition: String,
}

/// Reads one KPI off a period row.
pub(super) type Pick = fn(&PeriodRow) -> Option<f64>;

/// The period KPIs: key, label, unit, direction, definition, value.
pub(super) const PERIOD_KPIS: &[(&str, &str, &str, Direction, &str, Pick)] = &[
    ("active_start", "Active accounts at start", "accounts", Direction::Neutral,
     "Accounts billed (MRR > 0) in the start month: the period's cohort.",
     |r| Some(r.counts.cohort as f64)),
    ("new_accounts", "New accounts", "accounts", Direction::HigherIsBetter,
     "Accounts billed in the end month, not in the start month, and never billed before it; outside the cohort.",
     |r| Some(r.counts.new as f64)),
    ("reactivated_accounts", "Reactivated accounts", "accounts", Direction::HigherIsBetter,
     "Accounts billed in the end month, not in the start month, but billed at some month before it; reported apart, not as expansion.",
     |r| Some(r.counts.reactivated as f64)),
    ("churned_accounts", "Churned accounts", "accounts", Direction::LowerIsBetter,
     "Cohort accounts with no MRR in the end month.",
     |r| Some(r.counts.churned as f64)),
    ("logo_churn_rate", "Logo churn rate", "fraction", Direction::LowerIsBetter,
     "Cohort accounts with no MRR in the end month / cohort size.",
     |r| r.logo_churn_rate),
    ("logo_retention", "Logo retention", "fraction", Direction::HigherIsBetter,
     "1 − logo churn rate.",
     |r| r.logo_retention),
    ("starting_mrr", "Starting MRR", "currency", Direction::Neutral,
     "The cohort's MRR in the start month.",
     |r| Some(r.counts.starting_mrr)),
    ("churned_mrr", "Churned MRR", "currency", Direction::LowerIsBetter,
     "Starting MRR of cohort accounts with no MRR in the end month.",
     |r| Some(r.counts.churned_mrr)),
    ("contraction_mrr", "Contraction MRR", "currency", Direction::LowerIsBetter,
     "Summed decreases of cohort accounts still billed in the end month.",
     |r| Some(r.counts.contraction_mrr)),
    ("expansion_mrr", "Expansion MRR", "currency", Direction::HigherIsBetter,
     "Summed increases of cohort accounts still billed in the end month.",
     |r| Some(r.counts.expansion_mrr)),
    ("grr", "Gross revenue retention (GRR)", "fraction", Direction::HigherIsBetter,
     "(starting MRR − churned MRR − contraction MRR) / starting MRR; never above 100 %.",
     |r| r.grr),
    ("nrr", "Net revenue retention (NRR)", "fraction", Direction::HigherIsBetter,
     "(starting MRR − churned MRR − contraction MRR + expansion MRR) / starting MRR.",
     |r| r.nrr),
    ("arpa", "ARPA", "currency", Direction::HigherIsBetter,
     "Total MRR in the end month / accounts billed in the end month.",
     |r| r.arpa),
];

/// How a grain's start and end months are chosen.
pub(super) fn grain_rule(g: Grain) -> &'static str {
    match g {
        Grain::Month => "Month M: start month M−1, end month M.",
        Grain::Quarter => "Quarter: start = last month of the previous quarter, end = last month of the quarter (partial = the data ends before it).",
        Grain::Ttm => "Trailing twelve months at M: start month M−12, end month M.",
        Grain::Ytd => "Year to date at M: start = December of the previous year, end month M.",
        Grain::Snapshot => "Account KPIs as of the last month of the data.",
    }
}

const PERIOD_RULE: &str = "A period compares a start month with an end month over the cohort of accounts billed (MRR > 0) in the start month. Month M: start M−1, end M. Quarter: start = last month of the previous quarter, end = last month of the quarter. TTM at M: start M−12, end M. YTD at M: start = December of the previous year, end M.";

/// The definitions of every KPI the study reports.
pub(super) fn definitions(cfg: &StudyConfig, has_periods: bool) -> Vec<Definition> {
    let mut out = Vec::new();
    if has_periods {
        for (k, l, u, d, text, _) in PERIOD_KPIS {
            out.push(Definition {
                kpi: KpiKey::Named(k),
                label: l.to_string(),
                unit: u,
                direction: *d,
                definition: format!("{text} {PERIOD_RULE}"),
            });
        }
    }
    let k = &cfg.kpis;
    if let Some(c) = &k.nps {
        out.push(Definition {
            kpi: KpiKey::Named("nps"),
            label: "Net Promoter Score".into(),
            unit: "points",
            direction: Direction::HigherIsBetter,
            definition: format!("% promoters (answer 9–10) − % detractors (0–6) among accounts with an answer in `{c}`, from −100 to 100; 95 % CI from the trinomial variance."),
        });
        out.push(Definition {
            kpi: KpiKey::Named("nps_response_rate"),
            label: "NPS response rate".into(),
            unit: "fraction",
            direction: Direction::HigherIsBetter,
            definition: format!("Accounts with an answer in `{c}` / accounts."),
        });
    }
    if let Some(c) = &k.time_to_value {
        out.push(Definition {
            kpi: KpiKey::Named("time_to_value_median"),
            label: "Time to value, median".into(),
            unit: "days",
            direction: Direction::LowerIsBetter,
            definition: format!(
                "Median of `{c}` over accounts with a value (linear interpolation)."
            ),
        });
        out.push(Definition {
            kpi: KpiKey::Named("time_to_value_p75"),
            label: "Time to value, 75th percentile".into(),
            unit: "days",
            direction: Direction::LowerIsBetter,
            definition: format!(
                "75th percentile of `{c}` over accounts with a value (linear interpolation)."
            ),
        });
    }
    for c in &k.means {
        out.push(Definition {
            kpi: KpiKey::Mean(c.clone()),
            label: format!("Mean {}", driver_label(cfg, c)),
            unit: "score",
            // Set from the model's sign when the column is a driver (see `analyse`).
            direction: Direction::HigherIsBetter,
            definition: format!("Mean of `{c}` over accounts with a value."),
        });
    }
    out
}

fn driver_label(cfg: &StudyConfig, col: &str) -> String {
    cfg.drivers
        .iter()
        .find(|d| d.column == col)
        .map_or(col.to_string(), |d| d.display_label().to_string())
}
