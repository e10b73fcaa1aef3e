//! The one result model of a run: everything the analyses found, in one
//! serialisable struct. `results.json` is this struct; every renderer (HTML,
//! Markdown, CSV, charts, the KPI database) reads only it.

use serde::Serialize;

use crate::data::LoadSummary;
use crate::drivers::DriverReport;
use crate::forward::ForwardReport;
use crate::kpis::KpiReport;
use crate::pareto::ParetoReport;
use crate::renewals::RenewalReport;
use crate::survival::SurvivalReport;

/// The full result model of a run: the single source every renderer reads.
#[derive(Debug, Clone, Serialize)]
pub struct Results {
    pub churnlab_version: &'static str,
    pub study: String,
    /// `[study] currency`, shown with money in the report.
    pub currency: Option<String>,
    /// The only field that differs between two runs on the same input
    /// (fixed by `SOURCE_DATE_EPOCH` when that is set).
    pub generated_at: String,
    pub data: LoadSummary,
    /// Cancellation reasons ranked by frequency and revenue; absent without a reason column.
    pub pareto: Option<ParetoReport>,
    /// Driver statistics: univariate screening, the logistic model, LR tests.
    pub drivers: DriverReport,
    /// Retention KPIs, account and efficiency KPIs, the recommendation, the feed.
    pub kpis: KpiReport,
    /// Time to churn: Kaplan–Meier, log-rank, Cox, the PH check, RMST;
    /// absent without dates or a tenure column.
    pub survival: Option<SurvivalReport>,
    /// Renewals due and their KPIs; absent without `[renewals]`.
    pub renewals: Option<RenewalReport>,
    /// The open renewals ranked by expected ARR lost, and whether the model
    /// is fit to rank them; absent without `[renewals]`.
    pub forward: Option<ForwardReport>,
    /// `[kpis] slide`: the KPIs the one-slide dashboard shows (default: see
    /// `report::slide::default_keys`).
    pub slide: Option<Vec<String>>,
    /// Stages skipped and why.
    pub notes: Vec<String>,
}

impl Results {
    /// The drivers whose curves the report draws: `[survival] curves`, else the
    /// recommended effectiveness KPIs, else every driver with a log-rank test.
    pub fn survival_curve_drivers(&self) -> Vec<String> {
        let r = self;
        let Some(s) = &r.survival else {
            return Vec::new();
        };
        if let Some(c) = &s.curves {
            return c.clone();
        }
        let rec: Vec<String> = r
            .kpis
            .recommendation
            .iter()
            .flat_map(|x| x.recommended())
            .map(|c| c.driver.clone())
            .filter(|d| s.drivers.iter().any(|x| &x.driver == d))
            .collect();
        if rec.is_empty() {
            s.drivers
                .iter()
                .filter(|d| d.curves.logrank.is_some())
                .map(|d| d.driver.clone())
                .collect()
        } else {
            rec
        }
    }
}

/// Why the reasons are not ranked when the config names no reason column:
/// one wording for the run's notes and the report's Pareto section.
pub const PARETO_SKIPPED: &str =
    "No cancellation-reason column in the config (accounts.reason), so the reasons are not ranked.";

/// Why there is no survival section when the study has no durations.
pub const SURVIVAL_SKIPPED: &str =
    "No durations: the config names neither accounts.start_date and accounts.end_date nor [survival] tenure (or [survival] enabled = false), so time to churn is not analysed.";

/// Current UTC time, RFC 3339, to the second; `SOURCE_DATE_EPOCH` (seconds,
/// the reproducible-builds convention) fixes it for byte-identical reruns.
pub fn now_utc() -> String {
    let fixed = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok());
    let secs = fixed.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0)
    });
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}
