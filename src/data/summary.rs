//! What was loaded: row counts, churn rate, each driver's kind, missing count
//! and spread, segments, the revenue window, and every warning. Printed by
//! `churnlab validate` and kept in the report's data-quality appendix.

use serde::Serialize;

use super::{DriverValues, Study, Warning};
use crate::config::{DriverKind, Indicator};

/// Serialisable description of a loaded [`Study`].
#[derive(Debug, Clone, Serialize)]
pub struct LoadSummary {
    pub study: String,
    pub accounts: AccountsSummary,
    pub drivers: Vec<DriverSummary>,
    pub segments: Vec<LevelsSummary>,
    pub revenue: Option<RevenueSummary>,
    /// How time to churn is measured, when the study has durations.
    pub durations: Option<super::durations::DurationSource>,
    /// Accounts that enter the risk sets late (delayed entry).
    pub left_truncated: usize,
    /// The renewals due, when the config has `[renewals]`.
    pub renewals: Option<RenewalsSummary>,
    pub warnings: Vec<Warning>,
}

/// The renewals loaded or derived.
#[derive(Debug, Clone, Serialize)]
pub struct RenewalsSummary {
    pub source: String,
    pub rows: usize,
    pub open: usize,
    pub first_due: Option<String>,
    pub last_due: Option<String>,
    pub as_of: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct AccountsSummary {
    pub path: String,
    pub rows: usize,
    pub churned: usize,
    pub churn_rate: f64,
    /// The id column, or "row numbers".
    pub ids: String,
    pub reason_column: Option<String>,
    pub revenue_column: Option<String>,
    pub total_revenue: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DriverSummary {
    pub column: String,
    pub label: String,
    pub kind: DriverKind,
    pub controllable: bool,
    pub indicator: Indicator,
    pub n: usize,
    pub missing: usize,
    pub constant: bool,
    /// Numeric kinds: mean, min, max of present values.
    pub mean: Option<f64>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// Categorical: the number of levels.
    pub levels: Option<usize>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LevelsSummary {
    pub column: String,
    pub levels: Vec<(String, usize)>,
    pub missing: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct RevenueSummary {
    pub path: String,
    pub rows: usize,
    pub first_month: String,
    pub last_month: String,
    pub months: usize,
}

impl LoadSummary {
    /// Describes a study.
    pub fn of(study: &Study) -> Self {
        let a = &study.accounts;
        let churned = a.n_churned();
        let drivers = a
            .drivers
            .iter()
            .map(|d| {
                let (mean, min, max, levels) = match &d.values {
                    DriverValues::Numeric(v) => {
                        let present: Vec<f64> = v.iter().copied().filter(|x| !x.is_nan()).collect();
                        if present.is_empty() {
                            (None, None, None, None)
                        } else {
                            let mean = present.iter().sum::<f64>() / present.len() as f64;
                            let min = present.iter().copied().fold(f64::INFINITY, f64::min);
                            let max = present.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                            (Some(mean), Some(min), Some(max), None)
                        }
                    }
                    DriverValues::Categorical(c) => (None, None, None, Some(c.levels.len())),
                };
                DriverSummary {
                    column: d.config.column.clone(),
                    label: d.config.display_label().to_string(),
                    kind: d.config.kind,
                    controllable: d.config.controllable,
                    indicator: d.config.indicator,
                    n: a.len() - d.n_missing,
                    missing: d.n_missing,
                    constant: d.constant,
                    mean,
                    min,
                    max,
                    levels,
                }
            })
            .collect();
        LoadSummary {
            study: study.name.clone(),
            accounts: AccountsSummary {
                path: a.path.display().to_string(),
                rows: a.len(),
                churned,
                churn_rate: churned as f64 / a.len().max(1) as f64,
                ids: a.id_column.clone().unwrap_or_else(|| "row numbers".into()),
                reason_column: a.reason.as_ref().map(|r| r.column.clone()),
                revenue_column: a.revenue.as_ref().map(|r| r.column.clone()),
                total_revenue: a
                    .revenue
                    .as_ref()
                    .map(|r| r.values.iter().filter(|x| !x.is_nan()).sum()),
            },
            drivers,
            segments: a
                .segments
                .iter()
                .map(|s| LevelsSummary {
                    column: s.column.clone(),
                    levels: s
                        .levels
                        .iter()
                        .cloned()
                        .zip(s.counts.iter().copied())
                        .collect(),
                    missing: s.n_missing,
                })
                .collect(),
            revenue: study.revenue.as_ref().map(|r| RevenueSummary {
                path: r.path.display().to_string(),
                rows: r.n_rows,
                first_month: r.first_month.to_string(),
                last_month: r.last_month().to_string(),
                months: r.n_months,
            }),
            durations: study.durations.as_ref().map(|d| d.source.clone()),
            left_truncated: study.durations.as_ref().map_or(0, |d| d.n_left_truncated),
            renewals: study.renewals.as_ref().map(|r| RenewalsSummary {
                source: r.source.clone(),
                rows: r.len(),
                open: r.outcome.iter().filter(|o| !o.decided()).count(),
                first_due: r.due.iter().min().map(|d| d.to_string()),
                last_due: r.due.iter().max().map(|d| d.to_string()),
                as_of: r.as_of.to_string(),
            }),
            warnings: study.warnings.clone(),
        }
    }
}
