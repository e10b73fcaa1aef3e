//! The KPI stage: period KPIs from the MRR table ([`period`]), account and
//! efficiency KPIs from the accounts table ([`account`]), the
//! effectiveness-KPI recommendation from the fitted driver model
//! ([`recommend`]), their definitions ([`definitions`]), control charts and
//! status ([`control`]) and the flat feed dashboards read ([`feed`]).
//! Typed study in, serialisable [`KpiReport`] out; its only side effect is
//! the `run --timings` step marks on stderr.

pub mod account;
pub mod cohorts;
pub mod control;
pub mod counterfactual;
pub mod definitions;
pub mod feed;
pub mod period;
pub mod recommend;
pub mod renewal_feed;

use serde::Serialize;

use crate::config::{KpiConfig, StudyConfig};
use crate::data::{Accounts, Month, Study};
use crate::drivers::DriverReport;
pub use account::{Efficiency, GroupKpis};
pub use control::{Colour, KpiControl, Status};
pub use definitions::{Definition, Direction, KpiKey};
pub use feed::{keep_grain, DriverValue, FeedDoc, FeedRow};
pub use period::{Grain, PeriodKpis, PeriodRow};
pub use recommend::{Candidate, Recommendation, Verdict};

use cohorts::{driver_charts, CohortData};
use control::{control_charts, fill_status};
use definitions::definitions;
use feed::feed;

/// Everything the KPI stage computes.
#[derive(Debug, Clone, Serialize)]
pub struct KpiReport {
    /// The month (or `all`) account snapshots refer to.
    pub as_of: String,
    pub definitions: Vec<Definition>,
    pub periods: Option<PeriodKpis>,
    pub accounts: Vec<GroupKpis>,
    pub efficiency: Option<Efficiency>,
    pub recommendation: Option<Recommendation>,
    pub feed: Vec<FeedRow>,
    /// Control charts of the monthly KPIs (empty without a revenue table).
    pub control: Vec<KpiControl>,
    pub notes: Vec<String>,
}

/// The month account snapshots refer to: the revenue table's last, or
/// `all` without one.
pub fn as_of(periods: Option<&PeriodKpis>) -> String {
    periods.map_or_else(|| "all".to_string(), |p| p.last_month.to_string())
}

/// The KPIs that need no driver statistics: per period, per account group
/// and per owner, with their notes. [`analyse`] = [`base`] then [`complete`];
/// a run computes the base beside the driver stage.
#[derive(Debug, Clone)]
pub struct BaseKpis {
    periods: Option<PeriodKpis>,
    accounts: Vec<GroupKpis>,
    efficiency: Option<account::Efficiency>,
    notes: Vec<String>,
}

impl BaseKpis {
    /// The base from its parts, with the notes of what is missing (a
    /// period skipped, no revenue table, no owner column).
    pub fn of_parts(
        periods: Option<PeriodKpis>,
        accounts: Vec<GroupKpis>,
        efficiency: Option<Efficiency>,
    ) -> Self {
        let mut notes = Vec::new();
        match &periods {
            Some(p) => notes.extend(p.skipped.iter().map(|s| format!("Period skipped: {s}."))),
            None => notes.push("No revenue table ([revenue] in the config), so the period KPIs (GRR, NRR, logo churn per period, ARPA) are skipped.".into()),
        }
        if efficiency.is_none() {
            notes.push(
                "No owner column (accounts.owner), so the efficiency KPIs per CSM are skipped."
                    .into(),
            );
        }
        BaseKpis {
            periods,
            accounts,
            efficiency,
            notes,
        }
    }

    /// The revenue table's months, first and last: the window the drivers'
    /// start-month cohorts span.
    pub fn revenue_window(&self) -> Option<(Month, Month)> {
        self.periods.as_ref().map(|p| (p.first_month, p.last_month))
    }
}

/// What the KPI stage needs of the accounts beyond the base, given the
/// driver report: the recommendation, the start-month cohorts of the
/// drivers it charts and the recommended drivers' values. Made in memory
/// ([`DriverKpis::of_accounts`]) or by an engine's queries.
#[derive(Debug, Clone)]
pub struct DriverKpis {
    pub recommendation: Recommendation,
    pub cohorts: CohortData,
    pub values: Vec<DriverValue>,
}

impl DriverKpis {
    /// The driver KPIs of the accounts `a`, in memory.
    pub fn of_accounts(
        a: &Accounts,
        r: &DriverReport,
        cfg: &KpiConfig,
        revenue_window: Option<(Month, Month)>,
    ) -> Self {
        let recommendation = recommend::recommend(a, r, cfg);
        crate::timing::mark("recommendation");
        let cohorts = cohorts::of_accounts(a, &cohorts::charted(&recommendation), revenue_window);
        let values = recommendation
            .recommended()
            .filter_map(|c| DriverValue::of_accounts(a, &c.driver))
            .collect();
        DriverKpis {
            recommendation,
            cohorts,
            values,
        }
    }
}

/// Computes [`BaseKpis`].
pub fn base(study: &Study, cfg: &StudyConfig) -> BaseKpis {
    let periods = study.revenue.as_ref().map(period::period_kpis);
    crate::timing::mark("period KPIs");
    let k = &cfg.kpis;
    let cols = account::Columns {
        nps: k.nps.as_deref(),
        time_to_value: k.time_to_value.as_deref(),
        means: &k.means,
    };
    let accounts = account::account_kpis(&study.accounts, &cols);
    crate::timing::mark("account KPIs");
    let efficiency = account::efficiency(&study.accounts);
    BaseKpis::of_parts(periods, accounts, efficiency)
}

/// Computes every KPI the data supports. `drivers` is the driver stage's
/// report, if it ran (needed for the recommendation).
pub fn analyse(study: &Study, drivers: Option<&DriverReport>, cfg: &StudyConfig) -> KpiReport {
    complete(base(study, cfg), study, drivers, cfg)
}

/// Adds to `base` what needs the driver statistics, in memory.
pub fn complete(
    base: BaseKpis,
    study: &Study,
    drivers: Option<&DriverReport>,
    cfg: &StudyConfig,
) -> KpiReport {
    let window = base.revenue_window();
    let parts = drivers.map(|r| DriverKpis::of_accounts(&study.accounts, r, &cfg.kpis, window));
    finish(base, parts, cfg)
}

/// Adds to `base` what needs the driver statistics (`parts`, if the driver
/// stage ran): the recommendation, the definitions' directions, the control
/// charts and the feed. The in-memory path and the engine's share it.
pub fn finish(base: BaseKpis, parts: Option<DriverKpis>, cfg: &StudyConfig) -> KpiReport {
    let BaseKpis {
        periods,
        accounts,
        efficiency,
        mut notes,
    } = base;
    let as_of = as_of(periods.as_ref());
    let (recommendation, cohorts, values) = match parts {
        Some(p) => (Some(p.recommendation), Some(p.cohorts), p.values),
        None => (None, None, Vec::new()),
    };
    let mut definitions = definitions(cfg, periods.is_some());
    // A mean of a driver column points the way the model says.
    if let Some(rec) = &recommendation {
        for d in definitions.iter_mut() {
            if let KpiKey::Mean(col) = &d.kpi {
                if let Some(c) = rec.candidates.iter().find(|c| c.driver == *col) {
                    if c.higher_is_better.is_some() {
                        d.direction = Direction::of_higher_is_better(c.higher_is_better);
                    }
                }
            }
        }
    }
    let mut control = periods.as_ref().map_or_else(Vec::new, control_charts);
    crate::timing::mark("control charts");
    if let (Some(rec), Some(cohorts)) = (&recommendation, cohorts) {
        let (charts, note) = driver_charts(&cohorts::charted(rec), cohorts);
        control.extend(charts);
        notes.extend(note);
    }
    crate::timing::mark("driver charts");
    let mut feed = feed(
        &definitions,
        periods.as_ref(),
        &accounts,
        recommendation.as_ref(),
        &values,
        &as_of,
    );
    fill_status(&mut feed, &control);
    for c in &mut control {
        c.judge(&feed);
    }
    crate::timing::mark("KPI feed");
    KpiReport {
        as_of,
        definitions,
        periods,
        accounts,
        efficiency,
        recommendation,
        feed,
        control,
        notes,
    }
}
