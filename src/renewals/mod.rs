//! The forward view: renewals due, and how the quarter's renewals are going
//! (renewal quota, closed so far, dollar and logo renewal rates, quota
//! attainment, late renewals), from the renewals table or derived ones.

use serde::Serialize;

use crate::data::renewals::Outcome;
use crate::data::Study;

pub mod kpis;

pub use kpis::{RenewalRow, RenewalSums};

/// One renewal KPI: its feed key, label, unit, whether higher is better
/// (`None`: context), its definition as the data contract words it, and how
/// to read it off a row.
pub struct RenewalKpi {
    pub key: &'static str,
    pub label: &'static str,
    pub unit: &'static str,
    pub higher_is_better: Option<bool>,
    pub definition: &'static str,
    pub pick: fn(&RenewalRow) -> Option<f64>,
}

/// What "in P" means, after each definition.
pub const PERIOD_RULE: &str = "P is the month, the quarter, or the year to date (January 1 to the end of the month) in which the renewal date falls.";

/// The renewal KPIs, worded as the data contract states them (§5).
pub const RENEWAL_KPIS: [RenewalKpi; 8] = [
    RenewalKpi {
        key: "renewal_quota",
        label: "Renewal quota",
        unit: "currency",
        higher_is_better: None,
        definition: "renewal quota = Σ arr_due of renewals with renewal_date in P.",
        pick: |r| Some(r.sums.quota),
    },
    RenewalKpi {
        key: "renewal_closed",
        label: "Closed so far",
        unit: "currency",
        higher_is_better: None,
        definition: "closed so far = Σ arr_due of those already decided (renewed or churned).",
        pick: |r| Some(r.sums.closed),
    },
    RenewalKpi {
        key: "renewal_closed_share",
        label: "Share of quota closed",
        unit: "fraction",
        higher_is_better: Some(true),
        definition: "share of quota closed = closed so far ÷ renewal quota.",
        pick: |r| r.closed_share,
    },
    RenewalKpi {
        key: "gross_dollar_renewal_rate",
        label: "Gross dollar renewal rate",
        unit: "fraction",
        higher_is_better: Some(true),
        definition: "gross dollar renewal rate = Σ min(renewed_arr, arr_due) over renewed ÷ Σ arr_due over decided.",
        pick: |r| r.gross_dollar_renewal_rate,
    },
    RenewalKpi {
        key: "net_dollar_renewal_rate",
        label: "Net dollar renewal rate",
        unit: "fraction",
        higher_is_better: Some(true),
        definition: "net dollar renewal rate uses renewed_arr uncapped: Σ renewed_arr over renewed ÷ Σ arr_due over decided.",
        pick: |r| r.net_dollar_renewal_rate,
    },
    RenewalKpi {
        key: "logo_renewal_rate",
        label: "Logo renewal rate",
        unit: "fraction",
        higher_is_better: Some(true),
        definition: "logo renewal rate = renewed count ÷ decided count.",
        pick: |r| r.logo_renewal_rate,
    },
    RenewalKpi {
        key: "quota_attainment",
        label: "Quota attainment",
        unit: "fraction",
        higher_is_better: Some(true),
        definition: "quota attainment = Σ renewed renewed_arr (capped at arr_due) ÷ renewal quota of P (so undecided renewals count against it until they close).",
        pick: |r| r.quota_attainment,
    },
    RenewalKpi {
        key: "late_renewals",
        label: "Late renewals",
        unit: "accounts",
        higher_is_better: Some(false),
        definition: "A renewal is late when it is still open after its renewal_date: the count of renewals in P still open at the as-of date with a renewal_date before it.",
        pick: |r| Some(r.sums.late as f64),
    },
];

/// The renewals stage's results.
#[derive(Debug, Clone, Serialize)]
pub struct RenewalReport {
    /// The renewals table, or how the renewals were derived.
    pub source: String,
    pub derived: bool,
    /// "Today": open renewals due before it are late.
    pub as_of: chrono::NaiveDate,
    pub term_months: u32,
    pub renewals: usize,
    pub renewed: usize,
    pub churned: usize,
    pub open: usize,
    pub late: usize,
    /// Every period × group (months, quarters, YTD).
    pub rows: Vec<RenewalRow>,
}

impl RenewalReport {
    /// The rows of one grain and group, in time order.
    pub fn of<'a>(
        &'a self,
        grain: crate::config::Grain,
        group: &'a str,
    ) -> impl Iterator<Item = &'a RenewalRow> {
        self.rows
            .iter()
            .filter(move |r| r.grain == grain && r.group == group)
    }
}

/// The renewal KPIs of a study with renewals; `None` without `[renewals]`.
pub fn analyse(study: &Study) -> Option<RenewalReport> {
    let r = study.renewals.as_ref()?;
    let count = |o: Outcome| r.outcome.iter().filter(|x| **x == o).count();
    let late = (0..r.len())
        .filter(|&i| r.outcome[i] == Outcome::Open && r.due[i] < r.as_of)
        .count();
    Some(RenewalReport {
        source: r.source.clone(),
        derived: r.path.is_none(),
        as_of: r.as_of,
        term_months: r.term_months,
        renewals: r.len(),
        renewed: count(Outcome::Renewed),
        churned: count(Outcome::Churned),
        open: count(Outcome::Open),
        late,
        rows: kpis::renewal_rows(r, &study.accounts),
    })
}
