//! Each recommended driver over start-month cohorts: are new accounts still
//! getting the training, onboarding, adoption … the model rewards? An X̄-S
//! chart of the cohort values (numeric, ordinal), a u or Laney u′ chart of
//! events per account (count drivers), or a Laney p′ chart of the share
//! with yes (binary), over the revenue window's months (else the last 24
//! start months). The cohorts are summarised where the accounts are (here
//! in memory, [`of_accounts`], or by an engine's query); the charts are
//! drawn from the summaries by [`driver_charts`].

use super::control::{diagnosed_chart, KpiControl};
use super::definitions::KpiKey;
use super::{Candidate, Recommendation};
use crate::config::DriverKind;
use crate::data::{Accounts, DriverValues, Month};
use crate::spc::{chart, Kind, Options, Series, Subgroup};

/// Fewest start-month cohorts a driver chart needs.
pub const MIN_COHORTS: usize = 6;

/// One start-month cohort's accounts with a value of the driver.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cohort {
    /// The values' sum (events, or accounts with yes, for attribute charts).
    pub sum: f64,
    pub stats: Subgroup,
}

/// One recommended driver's cohorts: the months of the window with two or
/// more accounts with a value, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct DriverCohorts {
    /// A count driver (events per account: u charts).
    pub count: bool,
    pub months: Vec<(Month, Cohort)>,
}

/// The cohorts of every charted driver, or why there are none.
#[derive(Debug, Clone, PartialEq)]
pub enum CohortData {
    /// The accounts have no start-date column.
    NoStartDate,
    /// The column has no date.
    NoDates,
    /// Per charted driver (as [`charted`] lists them), its cohorts; `None`
    /// for one the accounts do not hold as numbers.
    Drivers(Vec<Option<DriverCohorts>>),
}

/// The recommended drivers charted over cohorts: all but the categorical.
pub fn charted(rec: &Recommendation) -> Vec<&Candidate> {
    rec.recommended()
        .filter(|c| c.kind != DriverKind::Categorical)
        .collect()
}

/// The months the cohorts span: the revenue table's window, else the 24
/// months up to the `latest` start month; `None` without either.
pub fn window(revenue: Option<(Month, Month)>, latest: Option<Month>) -> Option<(Month, Month)> {
    revenue.or_else(|| latest.map(|m| (m.plus(-23), m)))
}

/// The cohorts of `picked` among the accounts `a`, in memory, over the
/// revenue table's `revenue_window` (if there is one).
pub fn of_accounts(
    a: &Accounts,
    picked: &[&Candidate],
    revenue_window: Option<(Month, Month)>,
) -> CohortData {
    let Some(start) = &a.start_date else {
        return CohortData::NoStartDate;
    };
    let months: Vec<Option<Month>> = start.values.iter().map(|d| d.map(Month::of)).collect();
    let latest = months.iter().flatten().max().copied();
    let Some((first, last)) = window(revenue_window, latest) else {
        return CohortData::NoDates;
    };
    let n_months = (last.0 - first.0 + 1).max(0) as usize;
    let of = |c: &Candidate| {
        let d = a.drivers.iter().find(|d| d.config.column == c.driver)?;
        let DriverValues::Numeric(v) = &d.values else {
            return None;
        };
        let mut groups: Vec<Vec<f64>> = vec![Vec::new(); n_months];
        for (x, m) in v.iter().zip(&months) {
            if let Some(m) = m.filter(|m| *m >= first && *m <= last) {
                if !x.is_nan() {
                    groups[(m.0 - first.0) as usize].push(*x);
                }
            }
        }
        let months = groups
            .into_iter()
            .enumerate()
            .filter(|(_, g)| g.len() >= 2)
            .map(|(i, g)| {
                let cohort = Cohort {
                    sum: g.iter().sum(),
                    stats: Subgroup::of(&g),
                };
                (first.plus(i as i32), cohort)
            })
            .collect();
        Some(DriverCohorts {
            count: d.config.count,
            months,
        })
    };
    CohortData::Drivers(picked.iter().map(|c| of(c)).collect())
}

/// The control charts of the `picked` drivers (as [`charted`] lists them)
/// from their cohorts, and a note naming those that could not be charted
/// (or why none was).
pub(super) fn driver_charts(
    picked: &[&Candidate],
    data: CohortData,
) -> (Vec<KpiControl>, Option<String>) {
    if picked.is_empty() {
        return (Vec::new(), None);
    }
    let drivers = match data {
        CohortData::NoStartDate => return (
            Vec::new(),
            Some("No start-date column (accounts.start_date), so the recommended driver KPIs are not charted over start-month cohorts; their status stays empty.".into()),
        ),
        CohortData::NoDates => return (Vec::new(), None),
        CohortData::Drivers(d) => d,
    };
    let mut out = Vec::new();
    let mut skipped = Vec::new();
    for (c, dc) in picked.iter().zip(drivers) {
        let Some(dc) = dc else { continue };
        let kept = &dc.months;
        if kept.len() < MIN_COHORTS {
            skipped.push(c.label.clone());
            continue;
        }
        let labels: Vec<String> = kept.iter().map(|(m, _)| m.to_string()).collect();
        let binary = c.kind == DriverKind::Binary;
        let built = if dc.count || binary {
            // Events per account, or the share with yes: the plain chart
            // unless its diagnostic finds over- or underdispersion.
            let (plain, laney, what) = if binary {
                (Kind::P, Kind::LaneyP, "share with yes")
            } else {
                (Kind::U, Kind::LaneyU, "per account")
            };
            let series = Series {
                labels,
                values: kept.iter().map(|(_, g)| g.sum).collect(),
                sizes: Some(kept.iter().map(|(_, g)| g.stats.n).collect()),
                ..Series::default()
            };
            diagnosed_chart(&series, plain, laney, what)
        } else {
            let series = Series {
                labels,
                values: kept.iter().map(|(_, g)| g.stats.mean).collect(),
                subgroups: Some(kept.iter().map(|(_, g)| g.stats).collect()),
                ..Series::default()
            };
            chart(&series, &Options::new(Kind::XbarS))
                .map(|ch| (ch, "cohort mean, Xbar-S chart".to_string()))
        };
        match built {
            Ok((ch, what)) => out.push(KpiControl::new(
                KpiKey::Driver(c.driver.clone()),
                format!("control_driver_{}", crate::config::slug(&c.driver)),
                format!("{} by start-month cohort, {what}", c.label),
                ch,
            )),
            Err(_) => skipped.push(c.label.clone()),
        }
    }
    let note = (!skipped.is_empty()).then(|| {
        format!(
            "Not charted over start-month cohorts (fewer than {MIN_COHORTS} months with two or more new accounts, or no variation): {}.",
            skipped.join(", ")
        )
    });
    (out, note)
}
